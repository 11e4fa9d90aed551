//! Client metadata as a client sends it (RFC 7591 §2, registry names): at `/register`, at
//! `/register/<client_id>` (RFC 7592 §2.2), and in a client ID metadata document. It is
//! turned into the shape of a configured client and checked by the configuration's own
//! validator (`config::parse_client`), with the rules of a client that vouches for itself
//! ([`SelfAsserted`]): one schema, one set of rules, wherever a client comes from.
//!
//! What the client sends that this provider does not read is ignored (RFC 7591 §2: the
//! server "MUST ignore any client metadata sent by the client that it does not
//! understand"), and the answer lists what was registered, so a client sees what it got.

use serde_json::{Map, Value, json};

use crate::op::config::{
    AuthMethod, Client, ClientSource, ConfigError, GrantType, SelfAsserted, parse_client,
};

/// The longest metadata read, in bytes of JSON: far above what a client sends (a few
/// redirect URIs, a name, a key or two), far below the request body limit.
pub const MAX_METADATA_LEN: usize = 16 * 1024;

/// The registry names read; anything else a client sends is ignored.
pub const READ_FIELDS: [&str; 24] = [
    "application_type",
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "scope",
    "client_name",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "jwks",
    "jwks_uri",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "dpop_bound_access_tokens",
    // RFC 8705 §2.1.2, §3.4: a client that registers itself may prove itself with a
    // certificate, CA-issued with the subject it names or one it registers in its `jwks`,
    // as with a key it registers for private_key_jwt (`config::mtls`).
    "tls_client_auth_subject_dn",
    "tls_client_certificate_bound_access_tokens",
    "id_token_signed_response_alg",
    "introspection_signed_response_alg",
    // RFC 9126 §6, RFC 9101 §10.5, JARM §3: each only restricts the client itself.
    "require_pushed_authorization_requests",
    "require_signed_request_object",
    "request_object_signing_alg",
    "authorization_signed_response_alg",
];

/// Why metadata was refused (RFC 7591 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataError {
    /// `invalid_redirect_uri`: a redirect URI is not one this provider takes.
    InvalidRedirectUri(String),
    /// `invalid_client_metadata`: any other field.
    InvalidClientMetadata(String),
}

impl MetadataError {
    /// The error code.
    pub fn code(&self) -> &'static str {
        match self {
            MetadataError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            MetadataError::InvalidClientMetadata(_) => "invalid_client_metadata",
        }
    }

    /// What is wrong, naming the field.
    pub fn description(&self) -> &str {
        match self {
            MetadataError::InvalidRedirectUri(d) | MetadataError::InvalidClientMetadata(d) => d,
        }
    }

    /// The error the validator's `err` is: one about `redirect_uris` is
    /// `invalid_redirect_uri`, any other `invalid_client_metadata`. The path is the
    /// client's own name for the field (`scope`, not the configuration's `scopes`).
    fn from_config(err: ConfigError) -> MetadataError {
        let path = match err.path.strip_prefix("scopes") {
            Some(rest) if rest.is_empty() || rest.starts_with('[') => "scope".to_owned(),
            _ => err.path,
        };
        let description = format!("{path}: {}", err.message);
        if path.starts_with("redirect_uris") {
            MetadataError::InvalidRedirectUri(description)
        } else {
            MetadataError::InvalidClientMetadata(description)
        }
    }
}

/// A client read from its metadata, and the metadata as registered: what was read, with
/// every default made explicit (RFC 7591 §3.2.1: the answer holds "all registered
/// metadata about the client, including any fields provisioned by the authorization
/// server itself").
#[derive(Debug, Clone)]
pub struct Read {
    /// The client (without a secret hash: that is the caller's to set).
    pub client: Client,
    /// The metadata as registered.
    pub registered: Map<String, Value>,
}

/// The deepest a metadata value may nest arrays and objects (a JWKS is three levels deep,
/// `{"keys": [{…}]}`). The request's JSON reader takes 127 levels; the stored registration
/// wraps the metadata in more, and a record must read back within the store's JSON reader's
/// own limit, or the client would answer to nothing and could not even be deleted.
const MAX_VALUE_DEPTH: usize = 16;

/// Whether `value` nests arrays and objects more than `limit` levels deep.
fn nests_deeper_than(value: &Value, limit: usize) -> bool {
    let inner = |value: &Value| nests_deeper_than(value, limit.saturating_sub(1));
    match value {
        Value::Array(items) => limit == 0 || items.iter().any(inner),
        Value::Object(members) => limit == 0 || members.values().any(inner),
        _ => false,
    }
}

/// Reads `metadata` as the client `client_id`, by `rules`. Without a
/// `token_endpoint_auth_method` the client authenticates with `default_method` (RFC 7591
/// §2: `client_secret_basic` at `/register`; a metadata document has no secret).
pub fn read(
    metadata: &Map<String, Value>,
    client_id: &str,
    rules: &SelfAsserted<'_>,
    default_method: AuthMethod,
) -> Result<Read, MetadataError> {
    let invalid = |field: &str, message: &str| {
        MetadataError::InvalidClientMetadata(format!("{field}: {message}"))
    };
    // RFC 7592 §2.2: a null is an omitted field.
    let mut read: Map<String, Value> = metadata
        .iter()
        .filter(|(name, value)| READ_FIELDS.contains(&name.as_str()) && !value.is_null())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();

    if let Some((name, _)) = read
        .iter()
        .find(|(_, value)| nests_deeper_than(value, MAX_VALUE_DEPTH))
    {
        return Err(invalid(
            name,
            &format!("nests arrays and objects deeper than {MAX_VALUE_DEPTH} levels"),
        ));
    }

    // RFC 7591 §2 `scope`: space-separated; the scopes this provider does not offer are
    // left out (§3.2.1 lets the server replace what it will not register), and the answer
    // says which were registered. Without one, every offered scope.
    let scopes: Vec<String> = match read.remove("scope") {
        None => rules.scopes.to_vec(),
        Some(Value::String(text)) => {
            let mut kept: Vec<String> = Vec::new();
            for scope in text.split(' ').filter(|s| !s.is_empty()) {
                if rules.scopes.iter().any(|s| s == scope) && !kept.iter().any(|k| k == scope) {
                    kept.push(scope.to_owned());
                }
            }
            if kept.is_empty() {
                return Err(invalid(
                    "scope",
                    &format!(
                        "names no scope this provider offers (it offers: {})",
                        rules.scopes.join(" ")
                    ),
                ));
            }
            kept
        }
        Some(_) => {
            return Err(invalid(
                "scope",
                "must be a string of space-separated scopes",
            ));
        }
    };

    // RFC 7591 §2 `grant_types`: the grants only the operator gives (`GrantType::
    // operator_only`) are left out beside `authorization_code`, as unoffered scopes are
    // (§3.2.1), and the answer says which were registered. Hosts ask for what discovery
    // lists: VS Code asks for the code grant, refresh and the device grant whenever
    // `grant_types_supported` names it, which it does once the operator configures one
    // device client. Without the code grant they are refused, with the reason: the client
    // asked for them in particular.
    if let Some(Value::Array(grants)) = read.get_mut("grant_types") {
        let operator_only = |grant: &Value| {
            grant
                .as_str()
                .and_then(GrantType::parse)
                .is_some_and(GrantType::operator_only)
        };
        let code = GrantType::AuthorizationCode.as_str();
        if grants.iter().any(|grant| grant.as_str() == Some(code)) {
            grants.retain(|grant| !operator_only(grant));
        }
    }

    // RFC 7591 §2 `response_types`: only `code` is served here.
    let response_types = match read.remove("response_types") {
        None => None,
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if item.as_str() != Some("code") {
                    return Err(invalid(
                        &format!("response_types[{i}]"),
                        "must be \"code\": the only response type this provider serves",
                    ));
                }
            }
            Some(!items.is_empty())
        }
        Some(_) => return Err(invalid("response_types", "must be an array of strings")),
    };

    let method = match read.get("token_endpoint_auth_method") {
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(invalid("token_endpoint_auth_method", "must be a string")),
        None => default_method.as_str().to_owned(),
    };
    // RFC 6749 §2.1: a client that does not authenticate is public.
    let client_type = if method == AuthMethod::None.as_str() {
        "public"
    } else {
        "confidential"
    };
    let mut shape = read.clone();
    shape.insert("client_id".into(), json!(client_id));
    shape.insert("client_type".into(), json!(client_type));
    shape.insert("token_endpoint_auth_method".into(), json!(method));
    shape.insert("scopes".into(), json!(scopes));
    let client = parse_client(
        &Value::Object(shape),
        String::new(),
        ClientSource::SelfAsserted(rules),
    )
    .map_err(MetadataError::from_config)?;

    // RFC 7591 §2.1: `code` and `authorization_code` come together.
    let code_flow = client.allows_grant(GrantType::AuthorizationCode);
    match response_types {
        Some(true) if !code_flow => {
            return Err(invalid(
                "response_types",
                "code needs the authorization_code grant (RFC 7591 §2.1)",
            ));
        }
        Some(false) if code_flow => {
            return Err(invalid(
                "grant_types",
                "authorization_code needs response_types [\"code\"] (RFC 7591 §2.1)",
            ));
        }
        _ => {}
    }

    let mut registered = read;
    registered.insert(
        "token_endpoint_auth_method".into(),
        json!(client.token_endpoint_auth_method.as_str()),
    );
    let grants: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    registered.insert("grant_types".into(), json!(grants));
    let responses: &[&str] = if code_flow { &["code"] } else { &[] };
    registered.insert("response_types".into(), json!(responses));
    registered.insert("scope".into(), json!(client.scopes.join(" ")));
    registered.insert(
        "application_type".into(),
        json!(client.application_type.as_str()),
    );
    Ok(Read { client, registered })
}
