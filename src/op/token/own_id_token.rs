//! ID tokens this provider signed, read back when a client hands one in: the
//! `id_token_hint` of `/authorize` (OpenID Connect Core §3.1.2.1), `/end_session`
//! (RP-Initiated Logout 1.0 §2) and `/bc-authorize` (CIBA Core §7.1), and a subject token
//! at token exchange (RFC 8693 §2.1). Each must be signed with one of the provider's keys
//! and algorithms, by this issuer, with `typ` `JWT` (RFC 7519 §5.1: how the provider types
//! its ID tokens), which its access, logout and introspection tokens do not carry; what else
//! it must be is the caller's [`Expect`].

use crate::jose::SignatureVerifier;
use crate::jose::jwt::{Validation, Verified, verify_with};
use crate::op::provider::{Provider, Services};

/// What a caller asks of an ID token beyond its being this provider's.
pub(crate) struct Expect<'a> {
    /// The client it must have been issued to (`aud`), if one is named.
    pub audience: Option<&'a str>,
    /// Whether it may have expired.
    pub expiry: Expiry,
    /// The claims it must carry.
    pub required: &'a [&'a str],
}

/// How far past its `exp` an ID token still counts.
#[derive(Clone, Copy)]
pub(crate) enum Expiry {
    /// Not at all.
    Unexpired,
    /// Up to a session's lifetime: an expired ID token is still a fine hint, and one
    /// older than a session can name no live session.
    WithinASession,
}

/// `token` verified as an ID token this provider signed that meets `expect`; `None`
/// otherwise, whatever the reason (the callers answer every failure alike).
pub(crate) async fn verified<S, P, V: SignatureVerifier>(
    op: &Provider,
    token: &str,
    expect: &Expect<'_>,
    services: &Services<'_, S, P, V>,
) -> Option<Verified> {
    let validation = Validation {
        issuers: vec![op.config.issuer.clone()],
        audiences: expect.audience.map(str::to_owned).into_iter().collect(),
        algorithms: op.keys.algorithms(),
        typ: Some("JWT".into()),
        clock_tolerance: match expect.expiry {
            Expiry::Unexpired => 0,
            Expiry::WithinASession => {
                i64::try_from(op.config.lifetimes.session).unwrap_or(i64::MAX)
            }
        },
        required_claims: expect.required.iter().map(|c| (*c).to_owned()).collect(),
    };
    verify_with(
        token,
        &op.verify_keys,
        &validation,
        services.now,
        services.verifier,
    )
    .await
    .ok()
}
