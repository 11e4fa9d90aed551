//! `config`: the `OIDC_CONFIG` reader (src/op/config/) and the `OIDC_SIGNING_KEYS`
//! reader (src/op/keys.rs) on arbitrary text. A configuration that passes builds a
//! provider that serves discovery and its keys; a refusal names a path and never repeats
//! a hash.

use oidc_edge::jose::JwkSet;
use oidc_edge::jose::verifier::{RustCrypto, run_ready};
use oidc_edge::op::config::Config;
use oidc_edge::op::fetch::NoFetch;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::password::RustPbkdf2;
use oidc_edge::op::secrets::ServerSecrets;
use oidc_edge::op::{Provider, Request, Services};
use oidc_edge::store::MemoryStore;
use oidc_edge::time::{FixedClock, UnixTime};
use serde_json::Value;

use super::KEY_B;

pub fn config(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    match Config::from_json(text) {
        Ok(config) => serve(config),
        Err(err) => {
            assert!(!err.path.is_empty());
            // Messages never repeat a hash (src/op/config/mod.rs): no long string of the
            // input that looks like one appears in the error.
            let mut strings = Vec::new();
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                collect_strings(&value, &mut strings);
            }
            for s in strings {
                if s.len() >= 24 && s.starts_with("$pbkdf2") {
                    assert!(
                        !err.to_string().contains(s.as_str()),
                        "error repeats a hash: {err}"
                    );
                }
            }
        }
    }
    if let Ok(keys) = SigningKeys::from_jwks_json(text) {
        let public = keys.public_jwks();
        let set = JwkSet::from_json(public.to_string().as_bytes()).expect("published keys parse");
        assert_eq!(set.keys().len(), keys.kids().count());
        for key in set.keys() {
            assert!(!key.is_private());
            assert!(keys.signing_key(key.kid().expect("kid")).is_some());
        }
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn serve(config: Config) {
    let issuer = config.issuer.clone();
    let keys = SigningKeys::from_jwks_json(&format!(
        r#"{{"keys":[{}]}}"#,
        KEY_B.replacen('{', r#"{"kid":"b","#, 1)
    ))
    .expect("fixed signing key");
    let provider = Provider::new(config, keys, ServerSecrets::derive(&[7; 32]));
    let now = UnixTime(1_800_000_000);
    let store = MemoryStore::new(FixedClock(now));
    let services = Services {
        store: &store,
        pbkdf2: &RustPbkdf2,
        verifier: &RustCrypto,
        signer: provider.signing_keys(),
        fetcher: &NoFetch,
        now,
    };
    // The provider serves from the root of its host, and an issuer is refused with a
    // path (found by this target), so discovery answers under the issuer itself.
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let req = Request::new("GET", &format!("{issuer}{path}"));
        let response =
            run_ready(async { Ok(provider.handle(&req, &services).await) }).expect("ready");
        assert_eq!(response.status, 200, "{path}");
        let body: Value = serde_json::from_slice(&response.body).expect("JSON");
        if path == "/jwks" {
            assert!(body.get("keys").is_some());
        } else {
            assert_eq!(
                body.get("issuer").and_then(Value::as_str),
                Some(issuer.as_str())
            );
        }
    }
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let hash =
        "$pbkdf2-sha256$i=10000$AAECAwQFBgcICQoLDA0ODw$Nk4e-VoKIGhkTdSYgPJLLXQEy4BKalXSW-Y6vy8_R3U";
    let secret =
        "$pbkdf2-sha256$i=1$AAECAwQFBgcICQoLDA0ODw$Nk4e-VoKIGhkTdSYgPJLLXQEy4BKalXSW-Y6vy8_R3U";
    let full = serde_json::json!({
        "issuer": "http://localhost:8787",
        "clients": [
            { "client_id": "demo-spa", "client_type": "public", "token_endpoint_auth_method": "none",
              "redirect_uris": ["http://localhost:5173/callback"], "post_logout_redirect_uris": ["http://localhost:5173/"],
              "grant_types": ["authorization_code", "refresh_token"], "scopes": ["openid", "profile", "email", "offline_access"],
              "allowed_origins": ["http://localhost:5173"], "first_party": true, "dpop_bound_access_tokens": false },
            { "client_id": "demo-service", "client_type": "confidential", "token_endpoint_auth_method": "client_secret_basic",
              "client_secret_hash": secret, "grant_types": ["client_credentials"], "scopes": ["api:read"] }
        ],
        "users": [
            { "sub": "248289761001", "username": "demo", "password_hash": hash,
              "claims": { "name": "Demo User", "email": "demo@example.com", "email_verified": true } }
        ],
        "lifetimes": { "code": 60, "access_token": 600, "id_token": 600, "refresh_token": 1209600, "session": 86400 }
    });
    let minimal = r#"{"issuer":"https://op.example","clients":[],"users":[]}"#;
    let keys = format!(
        r#"{{"keys":[{}]}}"#,
        KEY_B.replacen('{', r#"{"kid":"b","alg":"ES256","use":"sig","#, 1)
    );
    vec![
        (
            "design-md".to_owned(),
            serde_json::to_vec_pretty(&full).expect("JSON"),
        ),
        ("minimal".to_owned(), minimal.as_bytes().to_vec()),
        ("signing-keys".to_owned(), keys.into_bytes()),
        (
            "typo".to_owned(),
            br#"{"issuer":"https://op.example","client":[]}"#.to_vec(),
        ),
    ]
}
