//! Client authentication at the token endpoint (RFC 6749 §2.3): `client_secret_basic`,
//! `client_secret_post`, or `none` for public clients. A client uses exactly the method
//! it is registered with, and one method per request.

use base64ct::Encoding;

use super::config::{AuthMethod, Client};
use super::error::OpError;
use super::form::{Params, decode_component};
use super::http::Request;
use super::password::{Pbkdf2, verify_password};
use super::provider::Provider;

/// The authenticated client of a token request.
pub async fn authenticate<'p, P: Pbkdf2>(
    op: &'p Provider,
    req: &Request,
    params: &Params,
    pbkdf2: &P,
) -> Result<&'p Client, OpError> {
    let basic = match req.header("authorization").and_then(basic_credentials) {
        Some(encoded) => Some(parse_basic(encoded)?),
        None => None,
    };
    let (client_id, secret, method) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OpError::InvalidRequest(
                "use one client authentication method, not several".into(),
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OpError::InvalidRequest(
                    "client_id differs from the authenticated client".into(),
                ));
            }
            (id, Some(secret), AuthMethod::ClientSecretBasic)
        }
        (None, Some(secret)) => {
            let id = params
                .get("client_id")
                .ok_or(OpError::InvalidClient { basic: false })?;
            (
                id.to_owned(),
                Some(secret.to_owned()),
                AuthMethod::ClientSecretPost,
            )
        }
        (None, None) => {
            let id = params
                .get("client_id")
                .ok_or(OpError::InvalidClient { basic: false })?;
            (id.to_owned(), None, AuthMethod::None)
        }
    };
    let basic = method == AuthMethod::ClientSecretBasic;
    let client = op
        .config
        .client(&client_id)
        .ok_or(OpError::InvalidClient { basic })?;
    if client.token_endpoint_auth_method != method {
        return Err(OpError::InvalidClient { basic });
    }
    match (&client.client_secret_hash, secret) {
        (None, None) => Ok(client),
        (Some(hash), Some(secret)) => {
            let ok = verify_password(hash, secret.as_bytes(), pbkdf2)
                .await
                .map_err(|_| OpError::TemporarilyUnavailable)?;
            if ok {
                Ok(client)
            } else {
                Err(OpError::InvalidClient { basic })
            }
        }
        _ => Err(OpError::InvalidClient { basic }),
    }
}

/// The credentials of an `Authorization: Basic <credentials>` value; `None` for another
/// scheme. The scheme is matched without case (RFC 9110 §11.1). Splitting at the first
/// space, never at a byte offset, keeps a value with multi-byte characters from being cut
/// inside one.
fn basic_credentials(value: &str) -> Option<&str> {
    let (scheme, credentials) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then_some(credentials)
}

/// `Authorization: Basic` credentials: base64 of `id:secret`, each form-urlencoded
/// (RFC 6749 §2.3.1).
fn parse_basic(encoded: &str) -> Result<(String, String), OpError> {
    let invalid = || OpError::InvalidClient { basic: true };
    let decoded = base64ct::Base64::decode_vec(encoded.trim()).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = text.split_once(':').ok_or_else(invalid)?;
    let id = decode_component(id).map_err(|_| invalid())?;
    let secret = decode_component(secret).map_err(|_| invalid())?;
    if id.is_empty() || secret.is_empty() {
        return Err(invalid());
    }
    Ok((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value whose 6th and 7th bytes are one character used to be sliced inside it: a
    /// panic, and on Workers a trap that failed every request on the isolate.
    #[test]
    fn authorization_scheme_is_found_without_byte_offsets() {
        for value in [
            "Basicé",
            "Basicééé",
            "é",
            "ééééé",
            "Basi\u{10348}x",
            "",
            " ",
            "Basic",
        ] {
            assert_eq!(basic_credentials(value), None, "{value:?}");
        }
        assert_eq!(basic_credentials("BASIC abc"), Some("abc"));
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("basic é"), Some("é"));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = base64ct::Base64::encode_string(b"my%20client:s%3Ae+cret");
        assert_eq!(
            parse_basic(&encoded).unwrap(),
            ("my client".into(), "s:e cret".into())
        );
        for bad in ["", "!!!", &base64ct::Base64::encode_string(b"no-colon")] {
            assert!(parse_basic(bad).is_err(), "{bad}");
        }
    }
}
