//! JWTs a client signs (`private_key_jwt` assertions, request objects), checked with the
//! keys it registered: its inline `jwks`, or those at its `jwks_uri`
//! ([`crate::op::clients::jwks_uri`]), fetched again once when the JWT names a key the kept
//! ones lack (the client may have rotated its keys since).

use crate::Error;
use crate::jose::jwt::{Validation, Verified, verify_with};
use crate::jose::{JwkSet, SignatureVerifier};
use crate::op::clients::jwks_uri;
use crate::op::config::Client;
use crate::op::provider::{Provider, Services};

/// `token` verified with `client`'s keys: signature, header rules and `validation`.
/// [`Error::KeyNotFound`] when the client has no keys to be had (none registered, or its
/// `jwks_uri` cannot be fetched).
pub(crate) async fn verify<S, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    token: &str,
    validation: &Validation,
    services: &Services<'_, S, P, V>,
) -> Result<Verified, Error> {
    match (&client.jwks, &client.jwks_uri) {
        (Some(keys), _) => signed_by(token, &keys.set, validation, services).await,
        (None, Some(uri)) => {
            let keys = jwks_uri::current(op, uri, services)
                .await
                .ok_or(Error::KeyNotFound)?;
            match signed_by(token, &keys.set, validation, services).await {
                // At most one fetch a minute for a key the kept ones lack.
                Err(Error::KeyNotFound) => match jwks_uri::refetched(op, uri, services).await {
                    Some(keys) => signed_by(token, &keys.set, validation, services).await,
                    None => Err(Error::KeyNotFound),
                },
                checked => checked,
            }
        }
        (None, None) => Err(Error::KeyNotFound),
    }
}

async fn signed_by<S, P, V: SignatureVerifier>(
    token: &str,
    keys: &JwkSet,
    validation: &Validation,
    services: &Services<'_, S, P, V>,
) -> Result<Verified, Error> {
    verify_with(token, keys, validation, services.now, services.verifier).await
}
