//! `resources`: the APIs this provider issues access tokens for (RFC 8707 resource
//! indicators). A token asked for one of them has it as its audience, carries only the
//! scopes it takes, and lives as long as it says.

use serde_json::Value;

use super::reader::Obj;
use super::uri::check_redirect_uri;
use super::{ConfigError, Lifetimes, TokenFormat};

/// The most resources a configuration may list.
const MAX_RESOURCES: usize = 64;

/// One protected resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Its identifier: an absolute https URL (http on a loopback host), no fragment
    /// (RFC 8707 §2). Tokens for it have it as `aud`.
    pub resource: String,
    /// The scopes it takes; a token for it carries only these of the granted ones.
    /// `None`: every granted scope (the provider's own API).
    pub scopes: Option<Vec<String>>,
    /// How long its access tokens live, in seconds.
    pub access_token_lifetime: u64,
    /// The form of its access tokens.
    pub access_token_format: TokenFormat,
}

impl Resource {
    /// Whether a token for this resource may carry `scope`.
    pub fn takes_scope(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| s == scope))
    }
}

/// `resources`, with `lifetimes` for the default token lifetime.
pub(super) fn parse_resources(
    items: &[Value],
    lifetimes: &Lifetimes,
) -> Result<Vec<Resource>, ConfigError> {
    if items.len() > MAX_RESOURCES {
        return Err(ConfigError::new(
            "resources",
            format!("must list at most {MAX_RESOURCES} resources"),
        ));
    }
    let mut resources: Vec<Resource> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let obj = Obj::new(item, format!("resources[{i}]"))?;
        obj.only(&[
            "resource",
            "scopes",
            "access_token_format",
            "access_token_lifetime",
        ])?;
        let resource = obj.required_string("resource")?;
        check_redirect_uri(resource).map_err(|m| ConfigError::new(obj.at("resource"), m))?;
        if resources.iter().any(|r| r.resource == resource) {
            return Err(ConfigError::new(obj.at("resource"), "is listed twice"));
        }
        let scope_list = obj.strings("scopes")?;
        if obj.get("scopes").is_none() || scope_list.is_empty() {
            return Err(ConfigError::new(
                obj.at("scopes"),
                "is required: the scopes this resource takes (at least one)",
            ));
        }
        let mut scopes = Vec::with_capacity(scope_list.len());
        for (path, scope) in scope_list {
            if scope.is_empty() || !scope.bytes().all(super::fields::is_scope_char) {
                return Err(ConfigError::new(
                    path,
                    "must be a scope token: visible ASCII without spaces, '\"' or '\\' (RFC 6749 §3.3)",
                ));
            }
            scopes.push(scope.to_owned());
        }
        let access_token_format = super::client::token_format(&obj)?;
        let access_token_lifetime = match obj.u64("access_token_lifetime")? {
            None => lifetimes.access_token,
            Some(seconds) if (60..=86_400).contains(&seconds) => seconds,
            Some(_) => {
                return Err(ConfigError::new(
                    obj.at("access_token_lifetime"),
                    "must be 60 to 86400 seconds",
                ));
            }
        };
        resources.push(Resource {
            resource: resource.to_owned(),
            scopes: Some(scopes),
            access_token_lifetime,
            access_token_format,
        });
    }
    Ok(resources)
}
