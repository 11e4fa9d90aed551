//! `upstream_providers`: OpenID Providers a user may sign in at instead of with a password
//! here. For each, the provider is a relying party (`crate::op::upstream`): its
//! registration there (`client_id`, and the secret, which is never in this document), the
//! scopes it asks for, and which of the upstream's claims become which of ours.
//!
//! The client secret is the one value of an upstream registration that must be kept in
//! clear, since the provider sends it: it lives in a Worker secret (or `.dev.vars` locally)
//! whose name `client_secret_var` gives, read by the host at start
//! ([`Provider::with_upstream_secrets`](crate::op::Provider::with_upstream_secrets)). The
//! configuration, often a plain variable, then names it without holding it.

use serde_json::Value;

use super::fields::{self, check_claim_value};
use super::reader::Obj;
use super::uri::check_upstream_uri;
use super::{ConfigError, MAX_ID_LEN, PROTECTED_CLAIMS};

/// The most upstream providers a configuration may list: each is a button on the login page.
const MAX_UPSTREAM_PROVIDERS: usize = 16;
/// The longest provider `id`: it is part of every local subject made for its users.
const MAX_PROVIDER_ID_LEN: usize = 32;
/// The most claims one provider may map.
const MAX_MAPPED_CLAIMS: usize = 32;
/// The most scopes one provider may ask for.
const MAX_SCOPES: usize = 16;

/// The bindings the provider itself reads: never an upstream's secret, or the provider
/// would send its own configuration or keys to the upstream as a client secret.
const OWN_BINDINGS: [&str; 4] = [
    "OIDC_CONFIG",
    "OIDC_SIGNING_KEYS",
    "OIDC_SERVER_SECRET",
    "OIDC_STORE",
];

/// One OpenID Provider users may sign in at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamProvider {
    /// A short name of lowercase letters, digits, `-` and `_`: in the login page's links,
    /// and part of every local subject made for the provider's users (so it never changes).
    pub id: String,
    /// What the login page's button says: "Continue with {name}".
    pub name: String,
    /// Its issuer identifier, exactly as its ID tokens carry it; its discovery document is
    /// at `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery §4).
    pub issuer: String,
    /// This provider's `client_id` there: the `aud` of the ID tokens it sends back.
    pub client_id: String,
    /// The name of the Worker secret holding this provider's client secret there, sent
    /// with `client_secret_basic` (RFC 6749 §2.3.1). `None`: a public client there, which
    /// authenticates with PKCE alone (`token_endpoint_auth_method` `none`).
    pub client_secret_var: Option<String>,
    /// The scopes asked for there; `openid` always among them.
    pub scopes: Vec<String>,
    /// Which of the upstream's ID-token claims become which of ours: `(ours, theirs)`.
    pub claims: Vec<(String, String)>,
    /// The `acr` of ID tokens issued after a sign-in there (OpenID Connect Core §2).
    pub acr: String,
}

/// `upstream_providers`, for a provider at `issuer` (already checked): an upstream on
/// localhost only when `issuer` is itself a development issuer on localhost.
pub(super) fn parse_upstream_providers(
    items: &[Value],
    development: bool,
    default_acr: &str,
) -> Result<Vec<UpstreamProvider>, ConfigError> {
    if items.len() > MAX_UPSTREAM_PROVIDERS {
        return Err(ConfigError::new(
            "upstream_providers",
            format!("must list at most {MAX_UPSTREAM_PROVIDERS} providers"),
        ));
    }
    let mut providers: Vec<UpstreamProvider> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let provider = parse_one(
            item,
            format!("upstream_providers[{i}]"),
            development,
            default_acr,
        )?;
        if let Some(j) = providers.iter().position(|p| p.id == provider.id) {
            return Err(ConfigError::new(
                format!("upstream_providers[{i}].id"),
                format!("duplicates upstream_providers[{j}].id"),
            ));
        }
        providers.push(provider);
    }
    Ok(providers)
}

fn parse_one(
    value: &Value,
    path: String,
    development: bool,
    default_acr: &str,
) -> Result<UpstreamProvider, ConfigError> {
    let obj = Obj::new(value, path)?;
    obj.only(&[
        "id",
        "name",
        "issuer",
        "client_id",
        "client_secret_var",
        "scopes",
        "claims",
        "acr",
    ])?;
    let id = obj.required_string("id")?;
    let id_ok = !id.is_empty()
        && id.len() <= MAX_PROVIDER_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(ConfigError::new(
            obj.at("id"),
            format!(
                "must be 1 to {MAX_PROVIDER_ID_LEN} lowercase letters, digits, '-' or '_' (it is part of every subject made for this provider's users: never change it)"
            ),
        ));
    }
    let name = obj.required_string("name")?;
    fields::check_display_text(name, fields::MAX_DISPLAY_LEN)
        .map_err(|m| ConfigError::new(obj.at("name"), m))?;
    let issuer = obj.required_string("issuer")?;
    check_upstream_uri(issuer, development).map_err(|m| ConfigError::new(obj.at("issuer"), m))?;
    if issuer.contains('?') {
        return Err(ConfigError::new(
            obj.at("issuer"),
            "must not contain a query (OpenID Connect Discovery §3)",
        ));
    }
    let client_id = obj.required_string("client_id")?;
    if client_id.is_empty()
        || client_id.len() > MAX_ID_LEN
        || !client_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ConfigError::new(
            obj.at("client_id"),
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    let client_secret_var = match obj.string("client_secret_var")? {
        None => None,
        Some(var) => {
            check_secret_var(var).map_err(|m| ConfigError::new(obj.at("client_secret_var"), m))?;
            Some(var.to_owned())
        }
    };
    let scopes = parse_scopes(&obj)?;
    let claims = parse_claim_map(&obj)?;
    let acr = match obj.string("acr")? {
        None => default_acr.to_owned(),
        Some(acr) => {
            if acr.is_empty() || acr.len() > 255 || !acr.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::new(
                    obj.at("acr"),
                    "must be 1 to 255 visible ASCII characters without spaces (OpenID Connect Core §2)",
                ));
            }
            acr.to_owned()
        }
    };
    Ok(UpstreamProvider {
        id: id.to_owned(),
        name: name.to_owned(),
        issuer: issuer.to_owned(),
        client_id: client_id.to_owned(),
        client_secret_var,
        scopes,
        claims,
        acr,
    })
}

/// An environment binding's name: a letter or `_`, then letters, digits and `_`; none the
/// provider reads itself.
fn check_secret_var(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first_ok || name.len() > 128 || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(
            "must be the name of a Worker secret: a letter or '_', then letters, digits or '_' (at most 128)"
                .to_owned(),
        );
    }
    if OWN_BINDINGS.contains(&name) {
        return Err(format!(
            "names {name}, which the provider reads itself: it would be sent to the upstream as a client secret"
        ));
    }
    Ok(())
}

/// `scopes`: scope tokens, `openid` among them; `["openid"]` when absent.
fn parse_scopes(obj: &Obj<'_>) -> Result<Vec<String>, ConfigError> {
    if obj.get("scopes").is_none() {
        return Ok(vec!["openid".to_owned()]);
    }
    let listed = obj.strings("scopes")?;
    if listed.len() > MAX_SCOPES {
        return Err(ConfigError::new(
            obj.at("scopes"),
            format!("must list at most {MAX_SCOPES} scopes"),
        ));
    }
    let mut scopes = Vec::with_capacity(listed.len());
    for (path, scope) in listed {
        if scope.is_empty() || !scope.bytes().all(fields::is_scope_char) {
            return Err(ConfigError::new(
                path,
                "must be a scope token: visible ASCII without spaces, '\"' or '\\' (RFC 6749 §3.3)",
            ));
        }
        scopes.push(scope.to_owned());
    }
    if !scopes.iter().any(|s| s == "openid") {
        return Err(ConfigError::new(
            obj.at("scopes"),
            "must include openid: the sign-in is an OpenID Connect authentication request (Core §3.1.2.1)",
        ));
    }
    Ok(scopes)
}

/// `claims`: `{ "ours": "theirs" }`, ours never a protocol claim; none when absent.
fn parse_claim_map(obj: &Obj<'_>) -> Result<Vec<(String, String)>, ConfigError> {
    let entries = match obj.get("claims") {
        None => return Ok(Vec::new()),
        Some(Value::Object(entries)) => entries,
        Some(_) => {
            return Err(ConfigError::new(
                obj.at("claims"),
                "must be an object of our claim name to the upstream's",
            ));
        }
    };
    if entries.len() > MAX_MAPPED_CLAIMS {
        return Err(ConfigError::new(
            obj.at("claims"),
            format!("must map at most {MAX_MAPPED_CLAIMS} claims"),
        ));
    }
    let mut claims = Vec::with_capacity(entries.len());
    for (ours, theirs) in entries {
        let path = format!("{}.{ours}", obj.at("claims"));
        if ours.is_empty() || ours.len() > 255 {
            return Err(ConfigError::new(
                path,
                "must be named by 1 to 255 characters",
            ));
        }
        if PROTECTED_CLAIMS.contains(&ours.as_str()) {
            return Err(ConfigError::new(
                path,
                "is a protocol claim the provider sets itself; it cannot be mapped",
            ));
        }
        let Value::String(theirs) = theirs else {
            return Err(ConfigError::new(
                path,
                "must be the name of the upstream's claim",
            ));
        };
        if theirs.is_empty() || theirs.len() > 255 {
            return Err(ConfigError::new(path, "must be 1 to 255 characters"));
        }
        claims.push((ours.clone(), theirs.clone()));
    }
    Ok(claims)
}

impl UpstreamProvider {
    /// Our claims from the upstream's: each mapped claim the upstream sent, when its value
    /// has the JSON type OpenID Connect Core §5.1 gives our claim (a value of another type
    /// is left out rather than passed on to clients that trust the type).
    pub fn map_claims(
        &self,
        theirs: &serde_json::Map<String, Value>,
    ) -> serde_json::Map<String, Value> {
        let mut ours = serde_json::Map::new();
        for (our_name, their_name) in &self.claims {
            if let Some(value) = theirs.get(their_name)
                && !value.is_null()
                && check_claim_value(our_name, value).is_ok()
            {
                ours.insert(our_name.clone(), value.clone());
            }
        }
        ours
    }
}
