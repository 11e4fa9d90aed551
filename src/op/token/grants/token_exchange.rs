//! `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693): a confidential client
//! registered for it (a gateway, a backend acting for a user) trades a token of this
//! provider's for an access token aimed at a configured resource.
//!
//! - The subject token (§2.1) is an access token issued here that still stands (checked as
//!   a resource checks it: revocation included, and the client it was issued to still
//!   known) or an ID token of this provider's that has not expired, issued to a client
//!   still known. Anything else — another issuer's, expired, revoked, a deleted client's,
//!   of a type not named by `subject_token_type` — is `invalid_request` (§2.2.2).
//! - The token is for the resources `resource` and `audience` name, each a configured one
//!   (`invalid_target` otherwise, §2.2.2), and carries scopes no wider than the subject
//!   token's (an access token's `scope`; for an ID token, what its user granted the client
//!   it was issued to), within the client's own and what the resources take. It never
//!   outlives the subject token.
//! - With an `actor_token` (issued to this very client: its own access token, or an ID
//!   token of its sign-in, checked as a subject token is) the token is delegated: `act`
//!   names the actor, with the subject token's own `act` nested within (§4.1, the chain of
//!   prior actors). An actor token that was itself exchanged is refused: it stands for its
//!   subject with this client acting, so `act` would name as the actor a party that never
//!   acted. Without one, the token is the subject's own (impersonation, §1.1), which only a
//!   client registered with `token_exchange_impersonation` may ask for.
//! - A DPoP-bound subject or actor token is exchanged only with a proof of its key, and
//!   the new token is bound to that key too; a certificate-bound one only over a connection
//!   that presents its certificate, and the new token is bound to that certificate unless
//!   DPoP binds it: an exchange is no way around sender constraint (RFC 9449, RFC 8705).
//! - The token names a grant of its own (`gid`: the client may revoke it) and the grants
//!   of the tokens it came from, the subject's and the actor's (`pgid`; an ID token or a
//!   client's own token names none): revoking either's grant revokes what was exchanged
//!   from it (`grant::lifecycle::token_revoked`). It outlives neither. No refresh token is
//!   issued.

use serde_json::{Map, Value, json};

use super::super::issue::{Issue, issue};
use super::super::jwt::{Exchanged, set_member};
use super::super::own_id_token::{self, Expect, Expiry};
use super::super::target;
use super::super::{Binding, TokenRequest};
use crate::Error;
use crate::jose::SignatureVerifier;
use crate::op::clients::registry;
use crate::op::error::OpError;
use crate::op::flow;
use crate::op::grant::lifecycle;
use crate::op::provider::{Provider, Services};
use crate::op::resource::access_token_claims;
use crate::op::types::Scope;
use crate::random;
use crate::store::Store;

/// The token type of an access token (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The token type of an ID token (RFC 8693 §3).
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

/// The most actors a chain of delegations may nest: each adds to every token after it.
pub const MAX_CHAIN: usize = 4;

/// The most grants a token may name as its parents: an exchange adds the subject token's
/// grant and an actor's, so a chain of [`MAX_CHAIN`] delegations fits, whoever acted.
pub const MAX_PARENT_GRANTS: usize = 2 * MAX_CHAIN;

/// A subject or actor token that passed its checks.
#[derive(Debug)]
struct Presented {
    /// Its subject.
    sub: String,
    /// The client it was issued to (an access token's `client_id`, an ID token's `aud`).
    client_id: String,
    /// An access token's scope; `None` for an ID token.
    scope: Option<Scope>,
    /// The grant it names (`gid`), and the grants that one came from (`pgid`).
    grants: Vec<String>,
    /// Its own `act`, if it was itself delegated.
    act: Option<Value>,
    /// Whether it was itself issued by a token exchange (it has `pgid`, or an `act`).
    exchanged: bool,
    /// The DPoP key or certificate it is bound to (`cnf`).
    binding: Option<Binding>,
    /// When it expires.
    exp: i64,
    /// When the user authenticated, if a user did.
    auth_time: Option<i64>,
    /// The sign-in session.
    sid: Option<String>,
}

/// Exchanges the subject token.
pub async fn exchange<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    TokenRequest {
        client,
        params,
        binding,
        certificate,
    }: TokenRequest<'_>,
    services: &Services<'_, S, P, V>,
) -> Result<Value, OpError> {
    if params
        .get("requested_token_type")
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(OpError::InvalidRequest(format!(
            "requested_token_type: only {ACCESS_TOKEN_TYPE} is issued"
        )));
    }
    let subject = match (
        params.get("subject_token"),
        params.get("subject_token_type"),
    ) {
        (Some(token), Some(kind)) => presented(op, "subject_token", token, kind, services).await?,
        _ => {
            return Err(OpError::InvalidRequest(
                "subject_token and subject_token_type are required".into(),
            ));
        }
    };
    let actor = match (params.get("actor_token"), params.get("actor_token_type")) {
        (Some(token), Some(kind)) => {
            Some(presented(op, "actor_token", token, kind, services).await?)
        }
        (None, None) => None,
        _ => {
            return Err(OpError::InvalidRequest(
                "actor_token and actor_token_type go together".into(),
            ));
        }
    };
    match &actor {
        // The actor is whoever the client acts for: a token issued to this client proves
        // it; one issued to anyone else proves nothing about this request.
        Some(actor) if client.client_id != actor.client_id.as_str() => {
            return Err(OpError::InvalidRequest(
                "the actor_token was not issued to this client".into(),
            ));
        }
        Some(actor) if actor.exchanged => {
            return Err(OpError::InvalidRequest(
                "the actor_token was itself issued by a token exchange: present the actor's own token".into(),
            ));
        }
        None if !client.token_exchange_impersonation => {
            return Err(OpError::InvalidRequest(
                "this client may not impersonate: name the actor with actor_token".into(),
            ));
        }
        _ => {}
    }
    let mut binding = binding;
    for (name, token) in [
        ("subject_token", Some(&subject)),
        ("actor_token", actor.as_ref()),
    ] {
        match token.and_then(|t| t.binding.as_ref()) {
            Some(Binding::Dpop(bound))
                if binding.as_ref().and_then(Binding::jkt) != Some(bound) =>
            {
                return Err(OpError::InvalidRequest(format!(
                    "the {name} is DPoP-bound: exchange it with a proof of its key"
                )));
            }
            Some(Binding::Certificate(bound)) if certificate.as_deref() != Some(bound) => {
                return Err(OpError::InvalidRequest(format!(
                    "the {name} is bound to a TLS client certificate: exchange it over a connection that presents it (RFC 8705 §3)"
                )));
            }
            // Presented with its certificate: the new token is bound to it too, unless a
            // DPoP key binds it.
            Some(Binding::Certificate(bound)) if binding.is_none() => {
                binding = Some(Binding::Certificate(bound.clone()));
            }
            _ => {}
        }
    }
    let named: Vec<&str> = params
        .all("resource")
        .into_iter()
        .chain(params.all("audience"))
        .collect();
    if named.is_empty() {
        return Err(OpError::InvalidRequest(
            "name the resource the token is for (resource or audience)".into(),
        ));
    }
    let resources = target::known(op, &named)?;
    let scope = exchanged_scope(op, client, &subject, params.get("scope"), services).await?;
    let mut target = target::target(op, client, &resources, &scope)?;
    // The new token lives no longer than the one it stands for, nor than its actor's.
    let expires = actor
        .as_ref()
        .map_or(subject.exp, |actor| actor.exp.min(subject.exp));
    let remaining = u64::try_from(expires.saturating_sub(services.now.0)).unwrap_or(0);
    target.lifetime = target.lifetime.min(remaining);
    let mut parent_grants = subject.grants.clone();
    for grant in actor.iter().flat_map(|actor| &actor.grants) {
        if !parent_grants.contains(grant) {
            parent_grants.push(grant.clone());
        }
    }
    if parent_grants.len() > MAX_PARENT_GRANTS {
        return Err(OpError::InvalidRequest(
            "the subject_token comes from too long a chain of exchanges".into(),
        ));
    }
    let exchanged = Exchanged {
        act: act(actor.as_ref(), subject.act.clone())?,
        parent_grants,
    };
    let own_grant = random::token(16)?;
    let mut body = issue(
        op,
        client,
        Issue {
            jti: &random::token(16)?,
            grant: Some(&own_grant),
            sub: &subject.sub,
            user: None,
            scope: &target.scope,
            target: &target,
            auth_time: subject.auth_time,
            sid: subject.sid.as_deref(),
            nonce: None,
            binding: binding.as_ref(),
            claims: None,
            exchanged: Some(&exchanged),
        },
        services,
    )
    .await?;
    // §2.2.1: what was issued; `token_type` says how to use it.
    set_member(&mut body, "issued_token_type", json!(ACCESS_TOKEN_TYPE));
    Ok(body)
}

/// The `act` of the new token (§4.1): the actor, with the subject token's own `act` (its
/// prior actors) nested within; the subject token's `act` unchanged when it is
/// impersonated.
fn act(actor: Option<&Presented>, prior: Option<Value>) -> Result<Option<Value>, OpError> {
    let Some(actor) = actor else {
        return Ok(prior);
    };
    let mut act = Map::new();
    act.insert("sub".into(), json!(actor.sub));
    if let Some(prior) = prior {
        if depth(&prior) >= MAX_CHAIN {
            return Err(OpError::InvalidRequest(format!(
                "the subject_token has more than {MAX_CHAIN} actors already"
            )));
        }
        act.insert("act".into(), prior);
    }
    Ok(Some(Value::Object(act)))
}

/// How many actors an `act` claim nests.
fn depth(act: &Value) -> usize {
    let mut depth = 0_usize;
    let mut current = Some(act);
    while let Some(value) = current {
        depth = depth.saturating_add(1);
        current = value.get("act");
    }
    depth
}

/// The scopes of the new token: those asked for (all of the ceiling when none are), each
/// within the subject token's and the client's own (`invalid_scope` otherwise).
async fn exchanged_scope<S: Store, P, V>(
    op: &Provider,
    client: &crate::op::config::Client,
    subject: &Presented,
    asked: Option<&str>,
    services: &Services<'_, S, P, V>,
) -> Result<Scope, OpError> {
    let subject_scopes: Vec<String> = match &subject.scope {
        Some(scope) => scope.names().map(str::to_owned).collect(),
        // An ID token carries no scope: its user's grant to the client it was issued to.
        None => flow::granted_scopes(op, &subject.sub, &subject.client_id, services).await?,
    };
    let ceiling: Vec<&str> = subject_scopes
        .iter()
        .map(String::as_str)
        .filter(|s| client.allows_scope(s))
        .collect();
    let scope: Vec<&str> = match asked {
        Some(asked) => {
            let asked: Vec<&str> = asked.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(wider) = asked.iter().find(|s| !ceiling.contains(s)) {
                return Err(OpError::InvalidScope(format!(
                    "scope {wider:?} is wider than the subject token's or this client's"
                )));
            }
            asked
        }
        None => ceiling,
    };
    if scope.is_empty() {
        return Err(OpError::InvalidScope(
            "no scope of the subject token is one this client may have".into(),
        ));
    }
    let mut unique: Vec<&str> = Vec::with_capacity(scope.len());
    for name in scope {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(Scope::new(unique.join(" ")))
}

/// Checks a token the request presents as `name` (`subject_token`, `actor_token`) of the
/// type it declares.
async fn presented<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    name: &str,
    token: &str,
    kind: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Presented, OpError> {
    let refused = || {
        OpError::InvalidRequest(format!(
            "the {name} is not an active token of this provider of its {name}_type"
        ))
    };
    let claims = match kind {
        ACCESS_TOKEN_TYPE => {
            let claims = match access_token_claims(op, token, services).await {
                Ok(claims) => claims,
                Err(Error::StoreUnavailable) => return Err(OpError::TemporarilyUnavailable),
                Err(_) => return Err(refused()),
            };
            if lifecycle::token_revoked(&claims, services).await? {
                return Err(refused());
            }
            claims.as_ref().clone()
        }
        ID_TOKEN_TYPE => id_token_claims(op, token, services)
            .await
            .ok_or_else(refused)?,
        _ => {
            return Err(OpError::InvalidRequest(format!(
                "{name}_type must be {ACCESS_TOKEN_TYPE} or {ID_TOKEN_TYPE}"
            )));
        }
    };
    let text = |claim: &str| claims.get(claim).and_then(Value::as_str).map(str::to_owned);
    let is_access = kind == ACCESS_TOKEN_TYPE;
    let client_id = if is_access {
        text("client_id")
    } else {
        text("aud")
    };
    let (Some(sub), Some(client_id), Some(exp)) = (
        text("sub"),
        client_id,
        claims.get("exp").and_then(Value::as_i64),
    ) else {
        return Err(refused());
    };
    // A token outlives nothing of its client's (a registration deleted, RFC 7592 §2.3; a
    // client taken out of the configuration), as at the resources (`op::resource`).
    match registry::find(op, &client_id, services).await {
        Ok(Some(_)) => {}
        Err(Error::StoreUnavailable) => return Err(OpError::TemporarilyUnavailable),
        Ok(None) | Err(_) => return Err(refused()),
    }
    let parents = lifecycle::parent_grants(&claims);
    // Every exchanged token names its parent grants, if only as an empty list.
    let exchanged = claims.contains_key(lifecycle::PARENT_GRANTS) || claims.contains_key("act");
    let grants: Vec<String> = text("gid")
        .into_iter()
        .chain(parents.into_iter().map(str::to_owned))
        .collect();
    Ok(Presented {
        sub,
        client_id,
        scope: is_access.then(|| Scope::new(text("scope").unwrap_or_default())),
        grants,
        act: claims.get("act").cloned(),
        exchanged,
        binding: Binding::of_cnf(claims.get("cnf")),
        exp,
        auth_time: claims.get("auth_time").and_then(Value::as_i64),
        sid: text("sid"),
    })
}

/// The claims of an ID token this provider signed (OpenID Connect Core §2, `typ` `JWT`,
/// which its access, logout and introspection tokens do not carry) that has not expired.
async fn id_token_claims<S, P, V: SignatureVerifier>(
    op: &Provider,
    token: &str,
    services: &Services<'_, S, P, V>,
) -> Option<Map<String, Value>> {
    let expect = Expect {
        audience: None,
        expiry: Expiry::Unexpired,
        required: &["sub", "aud", "exp", "iat"],
    };
    let verified = own_id_token::verified(op, token, &expect, services).await?;
    Some(verified.claims().as_map().clone())
}
