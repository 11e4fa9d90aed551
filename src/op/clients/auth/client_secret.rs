//! `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1): the client's secret,
//! in an `Authorization: Basic` header or in the form body, checked against its stored
//! hash. (`client_secret_jwt` would need the secret in clear, and only hashes are kept.)

use base64ct::Encoding;

use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::form::decode_component;
use crate::op::http::Request;
use crate::op::password::{Pbkdf2, verify_password};
use crate::secret::Secret;

/// Whether `secret` is the client's: derived with `pbkdf2` and compared in constant time.
/// A client without a stored hash, or a request without a secret, is not authenticated.
pub async fn verify<P: Pbkdf2>(
    client: &Client,
    secret: Option<&Secret>,
    pbkdf2: &P,
) -> Result<bool, OpError> {
    let (Some(hash), Some(secret)) = (&client.client_secret_hash, secret) else {
        return Ok(false);
    };
    verify_password(hash, secret.expose().as_bytes(), pbkdf2)
        .await
        .map_err(|_| OpError::TemporarilyUnavailable)
}

/// The client id and secret of an `Authorization: Basic` header; `None` without one or
/// with another scheme; `invalid_client` when the credentials are malformed.
pub fn from_authorization_header(req: &Request) -> Result<Option<(String, Secret)>, OpError> {
    match req.header("authorization").and_then(basic_credentials) {
        Some(encoded) => parse_basic(encoded).map(Some),
        None => Ok(None),
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
fn parse_basic(encoded: &str) -> Result<(String, Secret), OpError> {
    let invalid = || OpError::InvalidClient { basic: true };
    let decoded = base64ct::Base64::decode_vec(encoded.trim()).map_err(|_| invalid())?;
    let text = zeroize::Zeroizing::new(String::from_utf8(decoded).map_err(|_| invalid())?);
    let (id, secret) = text.split_once(':').ok_or_else(invalid)?;
    let id = decode_component(id).map_err(|_| invalid())?;
    let secret = Secret::new(decode_component(secret).map_err(|_| invalid())?);
    if id.is_empty() || secret.expose().is_empty() {
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
        let (id, secret) = parse_basic(&encoded).unwrap();
        assert_eq!((id.as_str(), secret.expose()), ("my client", "s:e cret"));
        for bad in ["", "!!!", &base64ct::Base64::encode_string(b"no-colon")] {
            assert!(parse_basic(bad).is_err(), "{bad}");
        }
    }
}
