//! The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), served at both
//! well-known paths. It lists only what the provider really does; endpoint URLs come from
//! the route table, so an endpoint is advertised exactly when it is routed.

use serde_json::{Value, json};

use crate::jose::Alg;
use crate::op::authorize::response_mode::ResponseMode;
use crate::op::config::{AuthMethod, Config};
use crate::op::http::Response;
use crate::op::keys::SigningKeys;
use crate::op::provider::Provider;
use crate::op::routes::ROUTES;
use crate::op::token::set_member;

/// Handles `GET` of either well-known path. The document is built on first use and kept.
pub fn handle(op: &Provider) -> Response {
    let document = op
        .discovery
        .get_or_init(|| document(&op.config, &op.keys).to_string().into_bytes());
    Response::json_text(200, document.clone()).with_header("cache-control", "public, max-age=300")
}

/// The claims the provider can release (the scope claims of Core §5.4 it supports).
const CLAIMS: [&str; 12] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "amr",
    "nonce",
    "sid",
    "name",
    "email",
];

/// Builds the document for `config`, whose tokens are signed with `keys`.
pub fn document(config: &Config, keys: &SigningKeys) -> Value {
    let issuer = &config.issuer;
    let mut scopes: Vec<&str> = config
        .clients
        .iter()
        .flat_map(|c| c.scopes.iter().map(String::as_str))
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut grants: Vec<&str> = config
        .clients
        .iter()
        .flat_map(|c| c.grant_types.iter().map(|g| g.as_str()))
        .collect();
    grants.sort_unstable();
    grants.dedup();
    let mut auth_methods: Vec<&str> = config
        .clients
        .iter()
        .map(|c| c.token_endpoint_auth_method.as_str())
        .collect();
    auth_methods.sort_unstable();
    auth_methods.dedup();
    let mut claims: Vec<String> = CLAIMS.iter().map(|c| (*c).to_owned()).collect();
    for user in &config.users {
        for name in user.claims.keys() {
            if !claims.contains(name) {
                claims.push(name.clone());
            }
        }
    }
    // RFC 8414 §2: introspection authenticates confidential clients only, in the ways the
    // token endpoint takes.
    let introspection_methods: Vec<&str> = auth_methods
        .iter()
        .copied()
        .filter(|m| *m != AuthMethod::None.as_str())
        .collect();
    let dpop_algs = names(&Alg::ALL);
    let mut document = json!({
        "issuer": issuer,
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ResponseMode::SUPPORTED,
        "grant_types_supported": grants,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": names(&keys.algorithms()),
        "token_endpoint_auth_methods_supported": auth_methods,
        // RFC 8414 §2: the revocation endpoint authenticates clients as the token endpoint does.
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": introspection_methods,
        // RFC 9701 §7: the JWT answer is signed as the caller's ID tokens are; every
        // algorithm an ID token may take is one it may take.
        "introspection_signing_alg_values_supported": names(&keys.algorithms()),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims,
        // OpenID Connect Discovery §3: the one context class a sign-in here meets.
        "acr_values_supported": [config.password_acr],
        "prompt_values_supported": ["none", "login", "consent"],
        "dpop_signing_alg_values_supported": dpop_algs,
        "authorization_response_iss_parameter_supported": true,
        // RFC 9101: request objects by value; by reference only as pushed requests
        // (`request_uri_parameter_supported` is about fetching them, which is not done).
        "request_parameter_supported": true,
        "request_uri_parameter_supported": false,
        "request_object_signing_alg_values_supported": names(&Alg::ALL),
        // RFC 9126 §5.
        "require_pushed_authorization_requests": config.require_pushed_authorization_requests,
        // JARM §4: every algorithm a response may be signed with is one a key signs.
        "authorization_signing_alg_values_supported": names(&keys.algorithms()),
        // OpenID Connect Core §5.5: individual claims for the ID token and UserInfo.
        "claims_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    // RFC 8414 §2: the algorithms private_key_jwt assertions may be signed with, wherever
    // clients authenticate that way: every asymmetric one (each key allows only its own).
    if auth_methods.contains(&AuthMethod::PrivateKeyJwt.as_str()) {
        for name in [
            "token_endpoint_auth_signing_alg_values_supported",
            "revocation_endpoint_auth_signing_alg_values_supported",
            "introspection_endpoint_auth_signing_alg_values_supported",
        ] {
            set_member(&mut document, name, json!(names(&Alg::ALL)));
        }
    }
    for route in ROUTES {
        if let Some(name) = route.discovery {
            set_member(
                &mut document,
                name,
                json!(format!("{issuer}{}", route.path)),
            );
        }
    }
    document
}

/// The algorithms' registered names.
fn names(algs: &[Alg]) -> Vec<&'static str> {
    algs.iter().map(|alg| alg.as_str()).collect()
}
