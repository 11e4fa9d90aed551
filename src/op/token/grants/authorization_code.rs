//! `authorization_code` (RFC 6749 §4.1.3): a single-use code, bound to its client, its
//! redirect URI, its PKCE challenge (RFC 7636 §4.6) and, with `dpop_jkt`, its DPoP key
//! (RFC 9449 §10). A replayed code revokes what its first use issued (§4.1.2).

use serde_json::{Value, json};

use super::super::issue::{Issue, issue};
use super::super::jwt::set_member;
use super::super::target;
use super::super::{Binding, TokenRequest};
use super::approved::public_binding;
use crate::op::config::{Client, GrantType};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::grant::lifecycle;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Code, Codes, Grant, Grants, Key};
use crate::op::users;
use crate::pkce::{CodeChallenge, CodeVerifier};
use crate::random;
use crate::store::Store;

/// Exchanges the code for tokens.
pub async fn exchange<S: Store, P, V>(
    op: &Provider,
    TokenRequest {
        client,
        params,
        binding,
        ..
    }: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    let code = params
        .get("code")
        .ok_or_else(|| OpError::InvalidRequest("code is required".into()))?;
    let code_key = Key::<Codes>::new(code);
    // The code's grant record: stored under the code's derived first refresh token when the
    // code is exchanged, so its presence means "spent". The code record is only read, never
    // deleted (it expires with its short lifetime): the grant record is what refuses a
    // second use, and it is written with `reserve`, so of exchanges in flight at once on a
    // strongly consistent store exactly one writes it and every other finds the winner's
    // record and revokes what it names (below). Taking the code atomically instead would
    // leave the losers nothing to revoke: they would refuse before the winner wrote it.
    // A live code is not checked for a grant record up front: the `reserve` below finds it,
    // and a request the code's binding refuses looks for it then; one store round trip
    // fewer on every exchange.
    let first_refresh = op.secrets.first_refresh(code);
    let grant_key = Key::<Grants>::new(&first_refresh);
    let Some(record): Option<Code> = records::get(services.store, &code_key).await? else {
        // Expired or unknown; if it was spent, this is a late replay (RFC 6749 §4.1.2).
        revoke_if_spent(&grant_key, services).await?;
        return Err(OpError::InvalidGrant(
            "the code is invalid, expired or already used".into(),
        ));
    };
    let request = &record.request;
    let jkt = binding.as_ref().and_then(Binding::jkt);
    let bound = match check_binding(client, params, jkt, &record) {
        Ok(()) => users::find(op, &record.sub, services)
            .await?
            .ok_or_else(|| OpError::InvalidGrant("the user no longer exists".into())),
        Err(refused) => Err(refused),
    };
    // RFC 8707 §2.2: the token is for the resources the request names, within those the
    // authorization named.
    let targeted = bound.and_then(|user| {
        let resources = target::chosen(&request.resources, target::requested(op, params)?)?;
        Ok((
            user,
            target::target(op, client, &resources, &request.scope)?,
        ))
    });
    let (user, target) = match targeted {
        Ok(targeted) => targeted,
        Err(refused) => {
            // Read only now (the common exchange skips it): a spent code sent again with
            // the wrong client, redirect URI, verifier, key or resource is still a replay,
            // and still revokes what the first exchange issued (RFC 6749 §4.1.2).
            if revoke_if_spent(&grant_key, services).await? {
                return Err(OpError::InvalidGrant(
                    "the code is invalid, expired or already used".into(),
                ));
            }
            return Err(refused);
        }
    };
    let refreshable =
        request.scope.has("offline_access") && client.allows_grant(GrantType::RefreshToken);
    let access_jti = random::token(16)?;
    let lifetimes = &op.config.lifetimes;
    let grant_record = Grant {
        // Derived from the code, so even two redemptions racing in two locations share
        // one family, and revoking it ends both.
        family: op.secrets.family_of(code),
        client_id: client.client_id.clone(),
        sub: record.sub.clone(),
        scope: request.scope.clone(),
        auth_time: record.auth_time,
        sid: record.sid.clone(),
        // RFC 9449 §5, RFC 8705 §4: refresh tokens of public clients are bound to the DPoP
        // key or the certificate, as their access tokens are.
        jkt: public_binding(client, binding.as_ref(), Binding::jkt),
        x5t: public_binding(client, binding.as_ref(), Binding::x5t),
        refreshable,
        // Refreshed ID tokens and UserInfo keep honoring the `claims` parameter.
        claims: request.claims.clone(),
        resources: request.resources.clone(),
        polled: false,
    };
    // The record outlives whatever it guards: the code (a replay must find it), the access
    // token (a replay revokes it) and the refresh token, if one is issued.
    let ttl = if refreshable {
        lifetimes.refresh_token
    } else {
        lifetimes.access_token
    }
    .max(lifetimes.code)
    .max(lifetimes.access_token);
    // The tokens first, then the record that spends the code: a signing failure (a 503)
    // leaves the code for the client's retry, and whoever finds the record written has
    // lost to an exchange that issued what the record names. No token leaves without the
    // record that lets a replay revoke it (RFC 6749 §4.1.2).
    let mut body = issue(
        op,
        client,
        Issue {
            jti: &access_jti,
            grant: Some(&grant_record.family),
            sub: &record.sub,
            user: Some(&user),
            scope: &request.scope,
            target: &target,
            auth_time: Some(record.auth_time),
            sid: Some(&record.sid),
            nonce: request.nonce.as_deref(),
            binding: binding.as_ref(),
            claims: Some(&request.claims),
            exchanged: None,
        },
        services,
    )
    .await?;
    if !records::reserve(services.store, &grant_key, &grant_record, ttl).await? {
        // Another exchange of this code wrote the grant record first (in flight at the
        // same moment, or earlier): this one is the replay, and revokes what the other
        // issued.
        revoke_if_spent(&grant_key, services).await?;
        return Err(OpError::InvalidGrant(
            "the code is invalid, expired or already used".into(),
        ));
    }
    if refreshable {
        set_member(&mut body, "refresh_token", json!(first_refresh));
    }
    Ok(body)
}

/// RFC 6749 §4.1.2: a code used again revokes what its first use issued, named by the
/// code's grant record. Returns whether the code was spent. A device code or an
/// `auth_req_id` sent as a code names its own grant's record the same way: that is no
/// code, and nothing is revoked (RFC 8628 §3.5, CIBA Core §10.1 decide what those are).
async fn revoke_if_spent<S: Store, P, V>(
    grant_key: &Key<Grants>,
    services: &Services<'_, S, P, V>,
) -> Result<bool, OpError> {
    let Some(spent) = records::get::<_, Grants>(services.store, grant_key)
        .await?
        .filter(|spent| !spent.polled)
    else {
        return Ok(false);
    };
    lifecycle::revoke_replayed_code(&spent, services).await?;
    Ok(true)
}

/// RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9449 §10: what the code is bound to (its client,
/// redirect URI, PKCE challenge and DPoP key) against this request.
fn check_binding(
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
    record: &Code,
) -> Result<(), OpError> {
    let request = &record.request;
    if request.client_id != client.client_id {
        return Err(OpError::InvalidGrant(
            "the code was issued to another client".into(),
        ));
    }
    if params.get("redirect_uri") != Some(request.redirect_uri.as_str()) {
        return Err(OpError::InvalidGrant(
            "redirect_uri does not match the authorization request".into(),
        ));
    }
    check_pkce(
        request.code_challenge.as_deref(),
        params.get("code_verifier"),
    )?;
    if let Some(expected) = &request.dpop_jkt
        && jkt != Some(expected.as_str())
    {
        return Err(OpError::InvalidGrant(
            "the DPoP key is not the one named by dpop_jkt".into(),
        ));
    }
    Ok(())
}

/// RFC 7636 §4.6: with a challenge, the verifier must match it; without one, a verifier
/// is an error too (a downgrade attempt, OAuth 2.0 Security BCP §2.1.1).
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OpError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (Some(challenge), Some(verifier)) => {
            let verifier =
                CodeVerifier::parse(verifier).map_err(|e| OpError::InvalidGrant(e.to_string()))?;
            let challenge = CodeChallenge::parse_s256(challenge)
                .map_err(|e| OpError::InvalidGrant(e.to_string()))?;
            if challenge.is_satisfied_by(&verifier) {
                Ok(())
            } else {
                Err(OpError::InvalidGrant(
                    "code_verifier does not match the code_challenge".into(),
                ))
            }
        }
        (Some(_), None) => Err(OpError::InvalidGrant("code_verifier is required".into())),
        (None, Some(_)) => Err(OpError::InvalidGrant(
            "code_verifier given but no code_challenge was".into(),
        )),
    }
}
