//! What an access token is for (RFC 8707 resource indicators): the resources a request
//! names, the ones a token request may choose within what was authorized, and for those
//! the token's audience, scopes and lifetime.
//!
//! Without a resource an access token is for the provider itself (`aud` the issuer:
//! `/userinfo` and `/api/me`), with every granted scope. With resources, `aud` names
//! them (so a token for one API is refused at another), the token carries the granted
//! scopes at least one of them takes (with several, the union: ask for one resource at a
//! time for a token that carries only that one's; the provider's own API, which takes
//! every scope, is never asked for beside another), and it lives as long as the
//! shortest-lived of them says.

use crate::op::config::{Client, Resource, TokenFormat};
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::provider::Provider;
use crate::op::types::Scope;

/// The most resources one request may name.
pub const MAX_RESOURCES: usize = 8;

/// What an access token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The audience: the resources, or empty for the provider itself.
    pub audience: Vec<String>,
    /// The scopes the token carries.
    pub scope: Scope,
    /// Its lifetime, in seconds.
    pub lifetime: u64,
    /// Its form: a signed JWT, or an opaque string stored with what it grants.
    pub format: TokenFormat,
}

/// The resources `params` name (`resource`, repeatable: RFC 8707 §2), each known to this
/// provider; `invalid_target` otherwise (§2: an absolute URI without a fragment, which
/// the configuration guarantees of every known one).
pub fn requested(op: &Provider, params: &Params) -> Result<Vec<String>, OpError> {
    known(op, &params.all("resource"))
}

/// `named`, each a resource this provider knows, each once, in order; `invalid_target`
/// for too many or an unknown one.
pub fn known(op: &Provider, named: &[&str]) -> Result<Vec<String>, OpError> {
    if named.len() > MAX_RESOURCES {
        return Err(OpError::InvalidTarget(format!(
            "at most {MAX_RESOURCES} resources may be requested at once"
        )));
    }
    let mut resources: Vec<String> = Vec::with_capacity(named.len());
    for &uri in named {
        if op.config.resource(uri).is_none() {
            return Err(OpError::InvalidTarget(
                "the resource is not one this provider issues tokens for".into(),
            ));
        }
        if !resources.iter().any(|r| r == uri) {
            resources.push(uri.to_owned());
        }
    }
    Ok(resources)
}

/// The resources a token request targets: those it names, each one the grant covers
/// (`authorized`, what the authorization request named; a grant that named none covers
/// any known resource), or else every authorized one (RFC 8707 §2.2).
pub fn chosen(authorized: &[String], named: Vec<String>) -> Result<Vec<String>, OpError> {
    if named.is_empty() {
        return Ok(authorized.to_vec());
    }
    if !authorized.is_empty() && named.iter().any(|n| !authorized.contains(n)) {
        return Err(OpError::InvalidTarget(
            "the resource was not part of the authorization".into(),
        ));
    }
    Ok(named)
}

/// The audience, scopes, lifetime and form of a token for `resources` out of the
/// `granted` scope, for `client` (whose `access_token_format` holds for tokens without a
/// resource). `invalid_scope` when none of the granted scopes is one the resources take;
/// `invalid_target` for resources whose tokens take different forms.
pub fn target(
    op: &Provider,
    client: &Client,
    resources: &[String],
    granted: &Scope,
) -> Result<Target, OpError> {
    if resources.is_empty() {
        return Ok(Target {
            audience: Vec::new(),
            scope: granted.clone(),
            lifetime: op.config.lifetimes.access_token,
            format: client.access_token_format,
        });
    }
    let known: Vec<Resource> = resources
        .iter()
        .map(|uri| {
            op.config.resource(uri).ok_or_else(|| {
                OpError::InvalidTarget("the resource is no longer configured".into())
            })
        })
        .collect::<Result<_, _>>()?;
    // The provider's own API takes every scope: beside another resource it would hand that
    // one every granted scope too. One token is for it alone.
    if known.len() > 1 && known.iter().any(|r| r.scopes.is_none()) {
        return Err(OpError::InvalidTarget(
            "a token for the provider's own API is for it alone: ask for the other resources separately"
                .into(),
        ));
    }
    let scope: Vec<&str> = granted
        .names()
        .filter(|name| known.iter().any(|r| r.takes_scope(name)))
        .collect();
    if scope.is_empty() {
        return Err(OpError::InvalidScope(
            "none of the granted scopes is one the resource takes".into(),
        ));
    }
    let lifetime = known
        .iter()
        .map(|r| r.access_token_lifetime)
        .min()
        .unwrap_or(op.config.lifetimes.access_token);
    let format = known
        .first()
        .map_or(TokenFormat::Jwt, |r| r.access_token_format);
    if known.iter().any(|r| r.access_token_format != format) {
        return Err(OpError::InvalidTarget(
            "these resources take access tokens of different forms: ask for one at a time".into(),
        ));
    }
    Ok(Target {
        audience: resources.to_vec(),
        scope: Scope::new(scope.join(" ")),
        lifetime,
        format,
    })
}
