//! The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), served at both
//! well-known paths. It lists only what the provider really does; endpoint URLs come from
//! the route table, so an endpoint is advertised exactly when it is routed (and, for one
//! that serves a single grant, some client may use it).

use serde_json::{Value, json};

use crate::jose::Alg;
use crate::op::authorize::response_mode::ResponseMode;
use crate::op::config::{AuthMethod, Config, GrantType};
use crate::op::http::Response;
use crate::op::keys::SigningKeys;
use crate::op::provider::Provider;
use crate::op::routes::{Endpoint, ROUTES};
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
    let registration = &config.registration;
    let mut scopes: Vec<&str> = config
        .clients
        .iter()
        .flat_map(|c| c.scopes.iter().map(String::as_str))
        .collect();
    let mut grants: Vec<&str> = config
        .clients
        .iter()
        .flat_map(|c| c.grant_types.iter().map(|g| g.as_str()))
        .collect();
    let mut auth_methods: Vec<&str> = config
        .clients
        .iter()
        .map(|c| c.token_endpoint_auth_method.as_str())
        .collect();
    // What clients that arrive on their own may be registered for.
    if registration.any() {
        scopes.extend(config.offered_scopes().iter().map(String::as_str));
        grants
            .extend([GrantType::AuthorizationCode, GrantType::RefreshToken].map(GrantType::as_str));
        auth_methods.extend(
            [
                AuthMethod::None,
                AuthMethod::PrivateKeyJwt,
                AuthMethod::TlsClientAuth,
                AuthMethod::SelfSignedTlsClientAuth,
            ]
            .map(AuthMethod::as_str),
        );
    }
    if registration.enabled {
        auth_methods.extend(
            [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost].map(AuthMethod::as_str),
        );
        if registration.initial_access_token_hash.is_some() {
            grants.push(GrantType::ClientCredentials.as_str());
        }
    }
    for list in [&mut scopes, &mut grants, &mut auth_methods] {
        list.sort_unstable();
        list.dedup();
    }
    let mut claims: Vec<String> = CLAIMS.iter().map(|c| (*c).to_owned()).collect();
    for user in &config.users {
        for name in user.claims.keys() {
            if !claims.contains(name) {
                claims.push(name.clone());
            }
        }
    }
    // The claims upstream sign-ins bring, and the context classes they meet.
    let acr_values = config.acr_values();
    for upstream in &config.upstream_providers {
        for (name, _) in &upstream.claims {
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
        // OpenID Connect Discovery §3: the context classes a sign-in here meets (with a
        // password, or at each upstream provider).
        "acr_values_supported": acr_values,
        "prompt_values_supported": ["none", "login", "consent"],
        "dpop_signing_alg_values_supported": dpop_algs,
        // RFC 8705 §3.3: access tokens bound to the TLS client certificate, for clients
        // registered with `tls_client_certificate_bound_access_tokens`.
        "tls_client_certificate_bound_access_tokens": true,
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
    // draft-ietf-oauth-client-id-metadata-document §5: an `https` URL may be a client_id.
    if registration.client_id_metadata_documents {
        set_member(
            &mut document,
            "client_id_metadata_document_supported",
            json!(true),
        );
    }
    // CIBA Core §4: poll and ping modes (push is not offered), no user_code, wherever a
    // client may use CIBA.
    if offered(config, Endpoint::BcAuthorize) {
        set_member(
            &mut document,
            "backchannel_token_delivery_modes_supported",
            json!(["poll", "ping"]),
        );
        set_member(
            &mut document,
            "backchannel_user_code_parameter_supported",
            json!(false),
        );
    }
    let mut aliases = serde_json::Map::new();
    for route in ROUTES
        .iter()
        .filter(|route| route.enabled(config) && offered(config, route.endpoint))
    {
        if let Some(name) = route.discovery {
            set_member(
                &mut document,
                name,
                json!(format!("{issuer}{}", route.path)),
            );
            // RFC 8705 §5: where a client that presents a certificate calls it.
            if let Some(mtls) = config.mtls.as_ref().filter(|_| route.mtls) {
                aliases.insert(
                    name.to_owned(),
                    json!(format!("{}{}", mtls.endpoint_origin, route.path)),
                );
            }
        }
    }
    if !aliases.is_empty() {
        set_member(
            &mut document,
            "mtls_endpoint_aliases",
            Value::Object(aliases),
        );
    }
    document
}

/// Whether an endpoint is of use to some configured client: one that serves a single
/// grant is advertised only beside that grant in `grant_types_supported`.
fn offered(config: &Config, endpoint: Endpoint) -> bool {
    let grant = match endpoint {
        Endpoint::DeviceAuthorization => GrantType::DeviceCode,
        Endpoint::BcAuthorize => GrantType::Ciba,
        _ => return true,
    };
    config.clients.iter().any(|c| c.allows_grant(grant))
}

/// The algorithms' registered names.
fn names(algs: &[Alg]) -> Vec<&'static str> {
    algs.iter().map(|alg| alg.as_str()).collect()
}
