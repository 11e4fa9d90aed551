//! The upstream's answer at the callback (OpenID Connect Core §3.1.2.5, §3.1.3): checked in
//! the order that keeps the code safe, then exchanged, then the ID token validated by the
//! rules the package ships (`crate::oidc::validate_id_token_with`).
//!
//! 1. `iss` (RFC 9207 §2.4): when the answer carries one it must be the provider's issuer,
//!    and when the provider's discovery document promises one it must be there. An answer
//!    from another provider (a mix-up attack, RFC 9700 §4.4) is refused before its code
//!    goes anywhere, so it never reaches this provider's token endpoint.
//! 2. `error` (RFC 6749 §4.1.2.1): the upstream did not sign the user in.
//! 3. The code, exchanged at the token endpoint with the PKCE verifier and the client's
//!    credentials there (`client_secret_basic`, or the `client_id` alone for a public
//!    client), through the host's [`Fetcher`](crate::op::fetch::Fetcher) with a size and
//!    time limit.
//! 4. The ID token: signed by a key of the upstream's `jwks_uri` (fetched and kept as a
//!    client's are, fetched again once for an unknown `kid`) with an algorithm its
//!    discovery document lists, `iss` the provider's issuer, `aud` this provider's
//!    `client_id` there (`azp` too when there are several), the `nonce` sent, not expired
//!    nor issued in the future, `auth_time` recent enough when `max_age` was sent, and
//!    `at_hash` right when present.
//! 5. The upstream's UserInfo endpoint, for the mapped claims the ID token lacks
//!    ([`super::userinfo`]: its `sub` must be the ID token's).

use serde_json::{Map, Value};

use super::authorization::{PendingSignIn, redirect_uri};
use super::metadata::{self, Metadata};
use super::userinfo;
use crate::Error;
use crate::jose::SignatureVerifier;
use crate::json;
use crate::oidc::{IdTokenExpectations, validate_id_token_with};
use crate::op::clients::jwks_uri;
use crate::op::config::UpstreamProvider;
use crate::op::fetch::{FetchLimits, FormPost};
use crate::op::form::{self, Params};
use crate::op::kept::FETCH_TIMEOUT_MS;
use crate::op::provider::{Provider, Services};

/// The largest token response read, in bytes: an ID token, an access token and a refresh
/// token, with room for large RSA-signed ones.
pub const MAX_TOKEN_RESPONSE_LEN: usize = 64 * 1024;
/// Seconds of clock difference tolerated between this provider and the upstream on `exp`,
/// `iat` and `auth_time`.
pub const CLOCK_TOLERANCE: i64 = 60;
/// The longest `error` code from the upstream that is shown.
const MAX_ERROR_LEN: usize = 64;

/// Who signed in at the upstream.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user's `sub` there.
    pub upstream_sub: String,
    /// Every claim of the ID token, and those it lacks from the upstream's UserInfo
    /// endpoint when one was asked (the configuration picks which become ours).
    pub claims: Map<String, Value>,
    /// When the user authenticated there (`auth_time`), if the ID token says, never later
    /// than now.
    pub auth_time: Option<i64>,
}

/// Why a sign-in at the upstream did not happen. Each is shown on the login page, where
/// the user may try again or sign in another way; none is this provider's fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The upstream's discovery document, keys, token endpoint or UserInfo endpoint cannot
    /// be had.
    Unreachable,
    /// The upstream answered with an error (RFC 6749 §4.1.2.1): its code, when it is one.
    Refused(String),
    /// The answer broke a rule: a stable code for what it was (with the claim's name for a
    /// missing claim).
    Unverified(String),
}

/// Checks the upstream's answer (`params`) to the sign-in `pending` at `provider`.
pub async fn finish<S, P, V: SignatureVerifier>(
    op: &Provider,
    provider: &UpstreamProvider,
    pending: &PendingSignIn,
    params: &Params,
    services: &Services<'_, S, P, V>,
) -> Result<SignedIn, Failure> {
    let metadata = metadata::current(op, provider, services)
        .await
        .ok_or(Failure::Unreachable)?;
    match params.get("iss") {
        Some(iss) if iss != provider.issuer => return Err(unverified("issuer_mismatch")),
        None if metadata.iss_parameter => return Err(unverified("issuer_missing")),
        _ => {}
    }
    if let Some(error) = params.get("error") {
        return Err(Failure::Refused(error_code(error)));
    }
    let code = params
        .get("code")
        .ok_or_else(|| unverified("code_missing"))?;
    let tokens = exchange(op, provider, &metadata, pending, code, services).await?;
    let id_token = tokens
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or_else(|| unverified("id_token_missing"))?;
    let expected = IdTokenExpectations {
        issuer: provider.issuer.clone(),
        client_id: provider.client_id.clone(),
        nonce: Some(pending.nonce.clone()),
        max_age: pending.max_age,
        access_token: tokens
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned),
        code: None,
        algorithms: metadata.algorithms.clone(),
        clock_tolerance: CLOCK_TOLERANCE,
    };
    let keys = jwks_uri::current(op, &metadata.jwks_uri, services)
        .await
        .ok_or(Failure::Unreachable)?;
    let verified = match validate_id_token_with(
        id_token,
        &keys.set,
        &expected,
        services.now,
        services.verifier,
    )
    .await
    {
        // The upstream signs with a key the kept set lacks: it rotated. Fetched again at
        // most once a minute, so made-up `kid`s cannot make it fetch on every sign-in.
        Err(Error::KeyNotFound) => {
            let keys = jwks_uri::refetched(op, &metadata.jwks_uri, services)
                .await
                .ok_or_else(|| describe(&Error::KeyNotFound))?;
            validate_id_token_with(
                id_token,
                &keys.set,
                &expected,
                services.now,
                services.verifier,
            )
            .await
        }
        other => other,
    }
    .map_err(|err| describe(&err))?;
    let claims = verified.claims();
    let upstream_sub = claims
        .string("sub")
        .ok()
        .flatten()
        .filter(|sub| !sub.is_empty())
        .ok_or_else(|| unverified("sub_missing"))?
        .to_owned();
    let auth_time = claims
        .numeric_date("auth_time")
        .ok()
        .flatten()
        .map(|t| (t as i64).min(services.now.0));
    let claims = userinfo::complete(
        provider,
        &metadata,
        &tokens,
        claims.as_map().clone(),
        services,
    )
    .await?;
    Ok(SignedIn {
        upstream_sub,
        claims,
        auth_time,
    })
}

/// The token response to the code (RFC 6749 §4.1.3, §5.1): a 200 with a JSON object.
async fn exchange<S, P, V>(
    op: &Provider,
    provider: &UpstreamProvider,
    metadata: &Metadata,
    pending: &PendingSignIn,
    code: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Map<String, Value>, Failure> {
    let redirect_uri = redirect_uri(op);
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", pending.code_verifier.as_str()),
    ];
    let authorization = match &provider.client_secret_var {
        Some(_) => {
            // Configured but not given by the host: the sign-in cannot authenticate.
            let secret = op
                .upstream_secret(&provider.id)
                .ok_or(Failure::Unreachable)?;
            Some(basic(&provider.client_id, secret.expose()))
        }
        // RFC 6749 §4.1.3: a public client names itself in the form.
        None => {
            fields.push(("client_id", provider.client_id.as_str()));
            None
        }
    };
    let form = form::encode(&fields);
    let post = FormPost {
        url: &metadata.token_endpoint,
        authorization: authorization.as_deref(),
        form: form.as_bytes(),
    };
    let limits = FetchLimits {
        max_bytes: MAX_TOKEN_RESPONSE_LEN,
        timeout_ms: FETCH_TIMEOUT_MS,
    };
    let answer = services
        .fetcher
        .post_form(post, limits)
        .await
        .map_err(|_| Failure::Unreachable)?;
    if answer.status != 200 {
        return Err(unverified("token_request_refused"));
    }
    json::parse_object(&answer.body, MAX_TOKEN_RESPONSE_LEN, "token response")
        .map_err(|_| unverified("token_response_invalid"))
}

/// `Authorization: Basic` for a client id and secret, each form-encoded first (RFC 6749
/// §2.3.1).
fn basic(client_id: &str, secret: &str) -> String {
    let pair = format!(
        "{}:{}",
        form::encode_component(client_id),
        form::encode_component(secret)
    );
    format!(
        "Basic {}",
        <base64ct::Base64 as base64ct::Encoding>::encode_string(pair.as_bytes())
    )
}

/// An answer that broke the rule `code`.
pub(super) fn unverified(code: &str) -> Failure {
    Failure::Unverified(code.to_owned())
}

/// The failure of an ID token the core refused: its stable code, and which claim it lacks.
fn describe(err: &Error) -> Failure {
    match err {
        Error::ClaimMissing { name } => Failure::Unverified(format!("{}: {name}", err.code())),
        _ => Failure::Unverified(err.code().to_owned()),
    }
}

/// The upstream's `error`, if it is an error code (RFC 6749 §4.1.2.1: `%x20-21 / %x23-5B /
/// %x5D-7E`, here without spaces and at most [`MAX_ERROR_LEN`]); otherwise a word that says
/// so. Its `error_description` is never shown: it is text anyone can write.
fn error_code(error: &str) -> String {
    let is_code = !error.is_empty()
        && error.len() <= MAX_ERROR_LEN
        && error
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    if is_code {
        error.to_owned()
    } else {
        "error".to_owned()
    }
}
