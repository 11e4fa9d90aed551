//! The provider's configuration contract (DESIGN.md "Configuration"), password hashes,
//! signing keys, and the `oidc-edge` CLI.
//!
//! The fixed hashes below were made with `oidc-edge hash-password` / `hash-secret --stdin`
//! and cross-checked with Python's `hashlib.pbkdf2_hmac("sha256", ...)`, an independent
//! implementation. The PBKDF2 known answers are RFC 7914 §11.
// Helpers below serve the #[test] fns and fail the same way they do.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use oidc_edge::jose::Alg;
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::config::{
    AuthMethod, ClientType, Config, ConfigError, GrantType, Lifetimes, PROTECTED_CLAIMS,
};
use oidc_edge::op::keys::{PrivateKey, SigningKeys};
use oidc_edge::op::password::{
    MAX_USER_ITERATIONS, PasswordHash, Pbkdf2, RustPbkdf2, verify_password,
};
use oidc_edge::{b64, jose::Jwk};
use serde_json::{Value, json};

/// `demo-password`, 100,000 iterations.
const DEMO_PASSWORD_HASH: &str =
    "$pbkdf2-sha256$i=100000$wb93xPjqGUVBg23fnGuMOw$N01CFJRUn32kQFVx6FZM_sjh0o5v1SL4bGl80-9yurM";
/// `demo-service-secret`, 1 iteration (a client secret: high entropy in real use).
const DEMO_SECRET_HASH: &str =
    "$pbkdf2-sha256$i=1$5C5dHtAbtRayXxAynhv6Ng$qfynsUFVCB-hF6EiQHILx9BZHxnAgKTeNYyZWr9zdBk";
/// `second-password`, 10,000 iterations (the minimum for users).
const SECOND_PASSWORD_HASH: &str =
    "$pbkdf2-sha256$i=10000$uMYk7HEELa54FHSAVZJmWw$BwOvvVVvGtiggKJLQ4heqsV96NPn9P9dEl8qCoKke9c";

/// The DESIGN.md example, with real hashes.
fn example() -> Value {
    json!({
      "issuer": "http://localhost:8787",
      "clients": [
        { "client_id": "demo-spa", "client_type": "public", "token_endpoint_auth_method": "none",
          "redirect_uris": ["http://localhost:5173/callback"], "post_logout_redirect_uris": ["http://localhost:5173/"],
          "grant_types": ["authorization_code", "refresh_token"], "scopes": ["openid", "profile", "email", "offline_access"],
          "allowed_origins": ["http://localhost:5173"], "first_party": true, "dpop_bound_access_tokens": false },
        { "client_id": "demo-service", "client_type": "confidential", "token_endpoint_auth_method": "client_secret_basic",
          "client_secret_hash": DEMO_SECRET_HASH,
          "grant_types": ["client_credentials"], "scopes": ["api:read"] }
      ],
      "users": [
        { "sub": "248289761001", "username": "demo", "password_hash": DEMO_PASSWORD_HASH,
          "claims": { "name": "Demo User", "email": "demo@example.com", "email_verified": true } }
      ],
      "lifetimes": { "code": 60, "access_token": 600, "id_token": 600, "refresh_token": 1209600, "session": 86400 }
    })
}

fn parse(value: &Value) -> Result<Config, ConfigError> {
    Config::from_json(&value.to_string())
}

/// The example changed by `mutate` must fail at `path`.
#[track_caller]
fn assert_error_at(path: &str, mutate: impl FnOnce(&mut Value)) -> ConfigError {
    let mut value = example();
    mutate(&mut value);
    match parse(&value) {
        Ok(_) => panic!("expected an error at {path}, but the config parsed: {value}"),
        Err(err) => {
            assert_eq!(err.path, path, "wrong path; the error was {err}");
            assert_eq!(err.to_string(), format!("{}: {}", err.path, err.message));
            err
        }
    }
}

/// The example changed by `mutate` must parse.
#[track_caller]
fn assert_ok(mutate: impl FnOnce(&mut Value)) -> Config {
    let mut value = example();
    mutate(&mut value);
    parse(&value).unwrap_or_else(|err| panic!("expected {value} to parse, got {err}"))
}

fn at<'a>(value: &'a mut Value, pointer: &str) -> &'a mut Value {
    value
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
}

fn obj<'a>(value: &'a mut Value, pointer: &str) -> &'a mut serde_json::Map<String, Value> {
    at(value, pointer).as_object_mut().unwrap()
}

/// A syntactically valid hash with `iterations` and a key no password matches.
fn fake_hash(iterations: u32) -> String {
    format!(
        "$pbkdf2-sha256$i={iterations}${}${}",
        b64::encode(&[7u8; 16]),
        b64::encode(&[9u8; 32])
    )
}

// --- The example ---------------------------------------------------------------------

#[test]
fn design_example_parses() {
    let config = parse(&example()).unwrap();
    assert_eq!(config.issuer, "http://localhost:8787");
    assert_eq!(config.clients.len(), 2);
    assert_eq!(config.users.len(), 1);
    assert_eq!(
        config.lifetimes,
        Lifetimes {
            code: 60,
            access_token: 600,
            id_token: 600,
            refresh_token: 1_209_600,
            session: 86_400,
            device_code: 600,
            ciba: 300,
            par: 60,
        }
    );

    let spa = config.client("demo-spa").unwrap();
    assert!(spa.is_public());
    assert_eq!(spa.client_type, ClientType::Public);
    assert_eq!(spa.token_endpoint_auth_method, AuthMethod::None);
    assert!(spa.client_secret_hash.is_none());
    assert_eq!(spa.redirect_uris, ["http://localhost:5173/callback"]);
    assert_eq!(spa.post_logout_redirect_uris, ["http://localhost:5173/"]);
    assert_eq!(spa.allowed_origins, ["http://localhost:5173"]);
    assert!(spa.allows_grant(GrantType::AuthorizationCode));
    assert!(spa.allows_grant(GrantType::RefreshToken));
    assert!(!spa.allows_grant(GrantType::ClientCredentials));
    assert!(spa.allows_scope("openid") && spa.allows_scope("offline_access"));
    assert!(!spa.allows_scope("api:read") && !spa.allows_scope("open"));
    assert!(spa.first_party && !spa.dpop_bound_access_tokens);

    let service = config.client("demo-service").unwrap();
    assert!(!service.is_public());
    assert_eq!(
        service.token_endpoint_auth_method.as_str(),
        "client_secret_basic"
    );
    assert_eq!(service.grant_types, [GrantType::ClientCredentials]);
    assert!(service.redirect_uris.is_empty() && !service.first_party);
    let secret_hash = service.client_secret_hash.as_ref().unwrap();
    assert!(
        run_ready(verify_password(
            secret_hash,
            b"demo-service-secret",
            &RustPbkdf2
        ))
        .unwrap()
    );
    assert!(config.client("nobody").is_none());
    assert!(config.client("DEMO-SPA").is_none());

    let user = config.user_by_username("demo").unwrap();
    assert_eq!(user.sub, "248289761001");
    assert_eq!(config.user("248289761001").unwrap().username, "demo");
    assert_eq!(user.claims["email_verified"], true);
    assert_eq!(user.password_hash.iterations(), 100_000);
    assert!(config.user_by_username("Demo").is_none());
    assert!(config.user("demo").is_none());
}

#[test]
fn enum_names_round_trip() {
    for g in [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::DeviceCode,
    ] {
        assert_eq!(GrantType::parse(g.as_str()), Some(g));
    }
    for m in [
        AuthMethod::None,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
    ] {
        assert_eq!(AuthMethod::parse(m.as_str()), Some(m));
    }
    assert_eq!(AuthMethod::None.as_str(), "none");
    assert_eq!(AuthMethod::ClientSecretPost.as_str(), "client_secret_post");
    assert_eq!(GrantType::parse("password"), None);
    assert_eq!(
        ClientType::parse("confidential"),
        Some(ClientType::Confidential)
    );
}

#[test]
fn defaults_fill_absent_members() {
    let config = assert_ok(|v| {
        obj(v, "").remove("lifetimes");
        for name in [
            "token_endpoint_auth_method",
            "grant_types",
            "post_logout_redirect_uris",
            "allowed_origins",
            "first_party",
            "dpop_bound_access_tokens",
        ] {
            obj(v, "/clients/0").remove(name);
        }
        obj(v, "/clients/1").remove("token_endpoint_auth_method");
        obj(v, "/users/0").remove("claims");
    });
    assert_eq!(config.lifetimes, Lifetimes::default());
    let spa = &config.clients[0];
    assert_eq!(spa.token_endpoint_auth_method, AuthMethod::None);
    // RFC 7591 §2: grant_types defaults to authorization_code.
    assert_eq!(spa.grant_types, [GrantType::AuthorizationCode]);
    assert!(!spa.first_party && !spa.dpop_bound_access_tokens);
    assert!(spa.allowed_origins.is_empty() && spa.post_logout_redirect_uris.is_empty());
    // RFC 7591 §2: token_endpoint_auth_method defaults to client_secret_basic.
    assert_eq!(
        config.clients[1].token_endpoint_auth_method,
        AuthMethod::ClientSecretBasic
    );
    assert!(config.users[0].claims.is_empty());

    let partial = assert_ok(|v| *at(v, "/lifetimes") = json!({ "access_token": 300 }));
    assert_eq!(
        partial.lifetimes,
        Lifetimes {
            access_token: 300,
            ..Lifetimes::default()
        }
    );
    assert_eq!(
        Lifetimes::default(),
        Lifetimes {
            code: 60,
            access_token: 600,
            id_token: 600,
            refresh_token: 1_209_600,
            session: 86_400,
            device_code: 600,
            ciba: 300,
            par: 60,
        }
    );

    let empty = Config::from_json(r#"{"issuer":"https://op.example.com"}"#).unwrap();
    assert!(empty.clients.is_empty() && empty.users.is_empty());
}

// --- Document-level strictness ----------------------------------------------------------

#[test]
fn unknown_fields_are_errors_everywhere() {
    assert_error_at("issuer_url", |v| {
        obj(v, "").insert("issuer_url".into(), json!("x"));
    });
    let err = assert_error_at("clients[0].redirect_uri", |v| {
        obj(v, "/clients/0").insert("redirect_uri".into(), json!("https://a.example/cb"));
    });
    assert!(err.message.contains("unknown field"), "{err}");
    assert_error_at("clients[1].client_secret", |v| {
        obj(v, "/clients/1").insert("client_secret".into(), json!("plaintext"));
    });
    assert_error_at("users[0].password", |v| {
        obj(v, "/users/0").insert("password".into(), json!("demo"));
    });
    assert_error_at("lifetimes.codes", |v| {
        obj(v, "/lifetimes").insert("codes".into(), json!(60));
    });
}

#[test]
fn duplicate_members_and_bad_json_are_document_errors() {
    let text = example().to_string();
    // A repeated member, nested inside a client.
    let duplicated = text.replacen(
        r#""client_id":"demo-spa""#,
        r#""client_id":"demo-spa","client_id":"evil""#,
        1,
    );
    assert_ne!(duplicated, text);
    let err = Config::from_json(&duplicated).unwrap_err();
    assert_eq!(err.path, "OIDC_CONFIG");
    assert!(err.message.contains("repeats a member name"), "{err}");

    let err = Config::from_json("{\n  \"issuer\": \"https://op.example.com\",\n}").unwrap_err();
    assert_eq!(err.path, "OIDC_CONFIG");
    assert!(err.message.contains("line 3"), "{err}");

    assert_eq!(Config::from_json("[]").unwrap_err().path, "OIDC_CONFIG");
    assert_eq!(Config::from_json("").unwrap_err().path, "OIDC_CONFIG");
    let huge = format!(r#"{{"issuer":"{}"}}"#, "a".repeat(2 << 20));
    assert_eq!(Config::from_json(&huge).unwrap_err().path, "OIDC_CONFIG");
}

#[test]
fn wrong_json_types_name_the_field() {
    assert_error_at("clients", |v| *at(v, "/clients") = json!({}));
    assert_error_at("clients[0]", |v| *at(v, "/clients/0") = json!("demo-spa"));
    assert_error_at("clients[0].first_party", |v| {
        *at(v, "/clients/0/first_party") = json!("yes")
    });
    assert_error_at("clients[0].scopes[1]", |v| {
        *at(v, "/clients/0/scopes/1") = json!(1)
    });
    assert_error_at("users[0].sub", |v| {
        *at(v, "/users/0/sub") = json!(248289761001u64)
    });
    assert_error_at("lifetimes.code", |v| {
        *at(v, "/lifetimes/code") = json!(60.5)
    });
    assert_error_at("lifetimes.code", |v| {
        *at(v, "/lifetimes/code") = json!("60")
    });
    assert_error_at("lifetimes", |v| *at(v, "/lifetimes") = json!([]));
}

// --- Issuer ---------------------------------------------------------------------------

#[test]
fn issuer_rules() {
    for good in [
        "https://op.example.com",
        "https://op.example.com:8443",
        "http://localhost:8787",
        "http://127.0.0.1:8787",
        "http://[::1]:8787",
    ] {
        assert_ok(|v| *at(v, "/issuer") = json!(good));
    }
    for bad in [
        "http://op.example.com",
        "https://op.example.com/",
        "http://localhost:8787/",
        "https://op.example.com?tenant=a",
        "https://op.example.com/tenant/a",
        "https://op.example.com#x",
        "op.example.com",
        "ftp://op.example.com",
        "HTTPS://op.example.com",
        "https://user@op.example.com",
        "https://",
        "https://op.example.com:0",
        "https://op.example.com:99999",
        "https://op example.com",
        "http://localhost.evil.example",
        "",
    ] {
        assert_error_at("issuer", |v| *at(v, "/issuer") = json!(bad));
    }
    assert_error_at("issuer", |v| {
        obj(v, "").remove("issuer");
    });
}

// --- Clients --------------------------------------------------------------------------

#[test]
fn client_id_is_unique_and_non_empty() {
    assert_error_at("clients[1].client_id", |v| {
        *at(v, "/clients/1/client_id") = json!("demo-spa")
    });
    assert_error_at("clients[0].client_id", |v| {
        *at(v, "/clients/0/client_id") = json!("")
    });
    assert_error_at("clients[0].client_id", |v| {
        *at(v, "/clients/0/client_id") = json!("demo spa")
    });
    assert_error_at("clients[0].client_id", |v| {
        *at(v, "/clients/0/client_id") = json!("x".repeat(256))
    });
    assert_error_at("clients[0].client_id", |v| {
        obj(v, "/clients/0").remove("client_id");
    });
}

#[test]
fn client_type_and_authentication_must_agree() {
    assert_error_at("clients[0].client_type", |v| {
        *at(v, "/clients/0/client_type") = json!("spa")
    });
    // Public: "none", and no secret.
    assert_error_at("clients[0].token_endpoint_auth_method", |v| {
        *at(v, "/clients/0/token_endpoint_auth_method") = json!("client_secret_basic")
    });
    assert_error_at("clients[0].client_secret_hash", |v| {
        obj(v, "/clients/0").insert("client_secret_hash".into(), json!(DEMO_SECRET_HASH));
    });
    // Confidential: basic or post with a secret, or private_key_jwt without one
    // (tests/op/private_key_jwt.rs).
    assert_error_at("clients[1].token_endpoint_auth_method", |v| {
        *at(v, "/clients/1/token_endpoint_auth_method") = json!("none")
    });
    assert_error_at("clients[1].client_secret_hash", |v| {
        *at(v, "/clients/1/token_endpoint_auth_method") = json!("private_key_jwt")
    });
    let err = assert_error_at("clients[1].client_secret_hash", |v| {
        obj(v, "/clients/1").remove("client_secret_hash");
    });
    assert!(err.message.contains("hash-secret"), "{err}");
    let post = assert_ok(|v| {
        *at(v, "/clients/1/token_endpoint_auth_method") = json!("client_secret_post")
    });
    assert_eq!(
        post.clients[1].token_endpoint_auth_method,
        AuthMethod::ClientSecretPost
    );
}

#[test]
fn client_secret_hash_rules() {
    // Any count from 1 (the example uses 1) to the Workers cap.
    assert_ok(|v| *at(v, "/clients/1/client_secret_hash") = json!(fake_hash(MAX_USER_ITERATIONS)));
    let err = assert_error_at("clients[1].client_secret_hash", |v| {
        *at(v, "/clients/1/client_secret_hash") = json!(fake_hash(MAX_USER_ITERATIONS + 1))
    });
    assert!(err.message.contains("100000"), "{err}");
    let err = assert_error_at("clients[1].client_secret_hash", |v| {
        *at(v, "/clients/1/client_secret_hash") = json!("plain-text-secret")
    });
    assert!(!err.message.contains("plain-text-secret"), "{err}");
}

#[test]
fn grant_type_rules() {
    // authorization_code needs a redirect URI.
    assert_error_at("clients[0].redirect_uris", |v| {
        *at(v, "/clients/0/redirect_uris") = json!([])
    });
    assert_error_at("clients[0].redirect_uris", |v| {
        obj(v, "/clients/0").remove("redirect_uris");
    });
    // refresh_token only with authorization_code.
    assert_error_at("clients[1].grant_types", |v| {
        *at(v, "/clients/1/grant_types") = json!(["client_credentials", "refresh_token"])
    });
    // client_credentials only for confidential clients.
    assert_error_at("clients[0].grant_types[2]", |v| {
        *at(v, "/clients/0/grant_types") =
            json!(["authorization_code", "refresh_token", "client_credentials"])
    });
    assert_error_at("clients[0].grant_types[0]", |v| {
        *at(v, "/clients/0/grant_types") = json!(["implicit"])
    });
    assert_error_at("clients[0].grant_types[1]", |v| {
        *at(v, "/clients/0/grant_types") = json!(["authorization_code", "authorization_code"])
    });
    assert_error_at("clients[0].grant_types", |v| {
        *at(v, "/clients/0/grant_types") = json!([])
    });
    // A confidential client may use all three.
    let all = assert_ok(|v| {
        *at(v, "/clients/1/grant_types") =
            json!(["authorization_code", "refresh_token", "client_credentials"]);
        obj(v, "/clients/1").insert("redirect_uris".into(), json!(["https://rp.example/cb"]));
    });
    assert!(all.clients[1].allows_grant(GrantType::RefreshToken));
    // RFC 8628 §3.4: the device grant, for a public client, needs no redirect URI and
    // may come with refresh tokens.
    let device = assert_ok(|v| {
        *at(v, "/clients/0/grant_types") = json!([
            "urn:ietf:params:oauth:grant-type:device_code",
            "refresh_token"
        ]);
        obj(v, "/clients/0").remove("redirect_uris");
    });
    assert!(device.clients[0].allows_grant(GrantType::DeviceCode));
    assert!(device.clients[0].allows_grant(GrantType::RefreshToken));
    let err = assert_error_at("clients[0].grant_types[0]", |v| {
        *at(v, "/clients/0/grant_types") = json!(["device_code"])
    });
    assert!(
        err.message
            .contains("\"urn:ietf:params:oauth:grant-type:device_code\""),
        "{err}"
    );
}

#[test]
fn redirect_uri_rules() {
    for good in [
        "https://rp.example.com/callback",
        "https://rp.example.com/callback?tenant=a",
        "https://rp.example.com:8443/cb",
        // RFC 8252 §7.3: http is fine on the loopback interface.
        "http://127.0.0.1:49152/callback",
        "http://[::1]/callback",
        "http://localhost/cb",
    ] {
        assert_ok(|v| *at(v, "/clients/0/redirect_uris/0") = json!(good));
    }
    for bad in [
        "https://rp.example.com/callback#frag",
        "https://rp.example.com/callback#",
        "http://rp.example.com/callback",
        "http://192.168.1.10/callback",
        "/callback",
        "callback",
        "com.example.app:/callback",
        "https://user:pw@rp.example.com/cb",
        "https://rp.example.com:65536/cb",
        "https://rp.example.com:/cb",
        "https://[::1/cb",
        "https://rp.example.com/a b",
        "https:///cb",
    ] {
        assert_error_at("clients[0].redirect_uris[0]", |v| {
            *at(v, "/clients/0/redirect_uris/0") = json!(bad)
        });
    }
    assert_error_at("clients[0].redirect_uris[1]", |v| {
        *at(v, "/clients/0/redirect_uris") = json!([
            "http://localhost:5173/callback",
            "http://localhost:5173/callback"
        ])
    });
    assert_error_at("clients[0].post_logout_redirect_uris[0]", |v| {
        *at(v, "/clients/0/post_logout_redirect_uris/0") = json!("http://rp.example.com/")
    });
}

#[test]
fn scope_rules() {
    for bad in ["openid profile", "", "caf\u{e9}", "a\"b", "a\\b"] {
        assert_error_at("clients[0].scopes[1]", |v| {
            *at(v, "/clients/0/scopes/1") = json!(bad)
        });
    }
    assert_error_at("clients[0].scopes", |v| {
        *at(v, "/clients/0/scopes") = json!([])
    });
    assert_error_at("clients[0].scopes", |v| {
        obj(v, "/clients/0").remove("scopes");
    });
    assert_error_at("clients[0].scopes[1]", |v| {
        *at(v, "/clients/0/scopes") = json!(["openid", "openid"])
    });
    // OAuth-only clients need no openid.
    let oauth = assert_ok(|v| *at(v, "/clients/0/scopes") = json!(["api:read", "api:write"]));
    assert!(!oauth.clients[0].allows_scope("openid"));
}

#[test]
fn allowed_origin_rules() {
    for good in [
        "https://app.example.com",
        "https://app.example.com:8443",
        "http://127.0.0.1:5173",
    ] {
        assert_ok(|v| *at(v, "/clients/0/allowed_origins/0") = json!(good));
    }
    for bad in [
        "http://localhost:5173/",
        "https://app.example.com/path",
        "https://app.example.com?x",
        "https://App.Example.com",
        "https://app.example.com:443",
        "http://localhost:80",
        "http://app.example.com",
        "app.example.com",
        "*",
    ] {
        assert_error_at("clients[0].allowed_origins[0]", |v| {
            *at(v, "/clients/0/allowed_origins/0") = json!(bad)
        });
    }
}

// --- Users ----------------------------------------------------------------------------

#[test]
fn user_identity_rules() {
    let second = json!({ "sub": "2", "username": "second", "password_hash": SECOND_PASSWORD_HASH });
    let two = assert_ok(|v| at(v, "/users").as_array_mut().unwrap().push(second.clone()));
    assert_eq!(two.user("2").unwrap().username, "second");

    assert_error_at("users[1].sub", |v| {
        let mut dup = second.clone();
        dup["sub"] = json!("248289761001");
        at(v, "/users").as_array_mut().unwrap().push(dup);
    });
    assert_error_at("users[1].username", |v| {
        let mut dup = second.clone();
        dup["username"] = json!("demo");
        at(v, "/users").as_array_mut().unwrap().push(dup);
    });
    assert_error_at("users[0].sub", |v| *at(v, "/users/0/sub") = json!(""));
    assert_error_at("users[0].sub", |v| {
        *at(v, "/users/0/sub") = json!("x".repeat(256))
    });
    assert_error_at("users[0].username", |v| {
        *at(v, "/users/0/username") = json!("")
    });
    assert_error_at("users[0].username", |v| {
        *at(v, "/users/0/username") = json!(" demo")
    });
    assert_error_at("users[0].username", |v| {
        obj(v, "/users/0").remove("username");
    });
    assert_error_at("users[0].password_hash", |v| {
        obj(v, "/users/0").remove("password_hash");
    });
}

#[test]
fn user_password_hash_iterations_are_bounded() {
    assert_ok(|v| *at(v, "/users/0/password_hash") = json!(fake_hash(10_000)));
    assert_ok(|v| *at(v, "/users/0/password_hash") = json!(fake_hash(MAX_USER_ITERATIONS)));
    for bad in [1, 9_999, MAX_USER_ITERATIONS + 1, 600_000] {
        assert_error_at("users[0].password_hash", |v| {
            *at(v, "/users/0/password_hash") = json!(fake_hash(bad))
        });
    }
    let err = assert_error_at("users[0].password_hash", |v| {
        *at(v, "/users/0/password_hash") =
            json!("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")
    });
    assert!(!err.message.contains("R9h"), "{err}");
}

#[test]
fn user_claims_rules() {
    assert_error_at("users[0].claims", |v| {
        *at(v, "/users/0/claims") = json!(["name"])
    });
    for name in PROTECTED_CLAIMS {
        let err = assert_error_at(&format!("users[0].claims.{name}"), |v| {
            obj(v, "/users/0/claims").insert(name.into(), json!("x"));
        });
        assert!(err.message.contains("protocol claim"), "{err}");
    }
    for name in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "auth_time",
        "nonce",
        "azp",
        "at_hash",
        "c_hash",
        "sid",
        "acr",
        "amr",
        "cnf",
        "scope",
        "client_id",
    ] {
        assert!(PROTECTED_CLAIMS.contains(&name), "{name}");
    }
    // OpenID Connect Core §5.1 types.
    assert_error_at("users[0].claims.email_verified", |v| {
        *at(v, "/users/0/claims/email_verified") = json!("true")
    });
    assert_error_at("users[0].claims.name", |v| {
        *at(v, "/users/0/claims/name") = json!(1)
    });
    assert_error_at("users[0].claims.updated_at", |v| {
        obj(v, "/users/0/claims").insert("updated_at".into(), json!("2024-01-01"));
    });
    let custom = assert_ok(|v| {
        let claims = obj(v, "/users/0/claims");
        claims.insert("groups".into(), json!(["admin"]));
        claims.insert("address".into(), json!({ "country": "SE" }));
        claims.insert("updated_at".into(), json!(1_700_000_000));
    });
    assert_eq!(custom.users[0].claims["groups"], json!(["admin"]));
}

// --- Lifetimes ------------------------------------------------------------------------

#[test]
fn lifetime_ranges() {
    let cases = [
        ("code", 60, 600),
        ("access_token", 60, 86_400),
        ("id_token", 60, 86_400),
        ("refresh_token", 60, 31_536_000),
        ("session", 60, 2_592_000),
    ];
    for (name, min, max) in cases {
        let pointer = format!("/lifetimes/{name}");
        assert_ok(|v| *at(v, &pointer) = json!(min));
        assert_ok(|v| *at(v, &pointer) = json!(max));
        for bad in [json!(min - 1), json!(max + 1), json!(0), json!(-60)] {
            assert_error_at(&format!("lifetimes.{name}"), |v| *at(v, &pointer) = bad);
        }
    }
}

// --- Password hashes ------------------------------------------------------------------

#[test]
fn phc_strings_round_trip() {
    for phc in [DEMO_PASSWORD_HASH, DEMO_SECRET_HASH, SECOND_PASSWORD_HASH] {
        let hash = PasswordHash::parse(phc).unwrap();
        assert_eq!(hash.to_string(), phc);
        assert_eq!(hash.to_phc_string(), phc);
        assert_eq!(hash.salt().len(), 16);
    }
    assert_eq!(
        PasswordHash::parse(DEMO_SECRET_HASH).unwrap().iterations(),
        1
    );
    let made = PasswordHash::create(b"pw", 3).unwrap();
    let again = PasswordHash::parse(&made.to_phc_string()).unwrap();
    assert_eq!(again.iterations(), 3);
    assert_eq!(again.salt(), made.salt());
}

#[test]
fn phc_parse_rejects_malformed_strings() {
    let salt = b64::encode(&[1u8; 16]);
    let key = b64::encode(&[2u8; 32]);
    let bad = [
        format!("$pbkdf2-sha512$i=1000${salt}${key}"),
        format!("$pbkdf2$i=1000${salt}${key}"),
        format!("$pbkdf2-sha256$rounds=1000${salt}${key}"),
        format!("$pbkdf2-sha256$i=0${salt}${key}"),
        format!("$pbkdf2-sha256$i=01000${salt}${key}"),
        format!("$pbkdf2-sha256$i=+1000${salt}${key}"),
        format!("$pbkdf2-sha256$i=4294967296${salt}${key}"),
        format!("$pbkdf2-sha256$i=${salt}${key}"),
        format!("$pbkdf2-sha256$i=1000${salt}"),
        format!("$pbkdf2-sha256$i=1000${salt}${key}$"),
        format!("$pbkdf2-sha256$i=1000${salt}=${key}"),
        format!("$pbkdf2-sha256$i=1000${salt}${key}="),
        format!("$pbkdf2-sha256$i=1000${}${key}", b64::encode(&[1u8; 15])),
        format!("$pbkdf2-sha256$i=1000${}${key}", b64::encode(&[1u8; 65])),
        format!("$pbkdf2-sha256$i=1000${salt}${}", b64::encode(&[2u8; 31])),
        format!("$pbkdf2-sha256$i=1000${salt}${}", b64::encode(&[2u8; 33])),
        format!("$pbkdf2-sha256$i=1000${}${key}", salt.replace('A', "+")),
        format!(" $pbkdf2-sha256$i=1000${salt}${key}"),
        String::new(),
    ];
    for phc in bad {
        let err = PasswordHash::parse(&phc).expect_err(&phc);
        assert!(!err.to_string().contains(&key), "{err}");
    }
    assert!(PasswordHash::parse(&format!("$pbkdf2-sha256$i=4294967295${salt}${key}")).is_ok());
}

/// RFC 7914 §11: PBKDF2-HMAC-SHA-256 test vectors (dkLen=64; the first 32 bytes here, as
/// PBKDF2 computes each 32-byte block independently).
#[test]
fn rfc7914_section11_pbkdf2_sha256_vectors() {
    let cases: [(&[u8], &[u8], u32, &str); 2] = [
        (
            b"passwd",
            b"salt",
            1,
            concat!(
                "55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05",
                "f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc"
            ),
        ),
        (
            b"Password",
            b"NaCl",
            80_000,
            concat!(
                "4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9",
                "64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56"
            ),
        ),
    ];
    for (password, salt, iterations, expected) in cases {
        let expected = hex::decode(expected.replace(' ', "")).unwrap();
        let derived = run_ready(RustPbkdf2.derive(password, salt, iterations)).unwrap();
        assert_eq!(derived.as_slice(), expected.as_slice(), "c={iterations}");
    }
}

#[test]
fn verify_password_accepts_only_the_password() {
    let demo = PasswordHash::parse(DEMO_PASSWORD_HASH).unwrap();
    assert!(run_ready(verify_password(&demo, b"demo-password", &RustPbkdf2)).unwrap());
    for wrong in [
        &b"demo-passwore"[..],
        b"Demo-password",
        b"demo-password\n",
        b"",
    ] {
        assert!(!run_ready(verify_password(&demo, wrong, &RustPbkdf2)).unwrap());
    }
    let made = PasswordHash::create("pässword".as_bytes(), 1_000).unwrap();
    assert!(run_ready(verify_password(&made, "pässword".as_bytes(), &RustPbkdf2)).unwrap());
    assert!(!run_ready(verify_password(&made, b"password", &RustPbkdf2)).unwrap());
    // The decoy matches nothing, not even the empty password.
    let decoy = PasswordHash::decoy(1_000);
    assert!(!run_ready(verify_password(&decoy, b"", &RustPbkdf2)).unwrap());
    assert_eq!(decoy.iterations(), 1_000);
}

#[test]
fn create_uses_fresh_salts_and_bounded_iterations() {
    let a = PasswordHash::create(b"same", 1).unwrap();
    let b = PasswordHash::create(b"same", 1).unwrap();
    assert_ne!(a.salt(), b.salt());
    assert_ne!(a.to_string(), b.to_string());
    assert_eq!(a.salt().len(), 16);
    assert_eq!(
        PasswordHash::create(b"pw", 0).unwrap_err().code(),
        "invalid_length"
    );
    assert_eq!(
        PasswordHash::create(b"pw", MAX_USER_ITERATIONS + 1)
            .unwrap_err()
            .code(),
        "invalid_length"
    );
}

#[test]
fn debug_never_shows_hashes_or_salts() {
    let config = parse(&example()).unwrap();
    let printed = format!("{config:?} {:#?}", config.users[0]);
    for phc in [DEMO_PASSWORD_HASH, DEMO_SECRET_HASH] {
        let [_, _, _, salt, key] = phc.split('$').collect::<Vec<_>>()[..] else {
            panic!("{phc}")
        };
        assert!(!printed.contains(salt), "salt of {phc} in {printed}");
        assert!(!printed.contains(key), "key of {phc} in {printed}");
    }
    assert!(printed.contains("demo-spa") && printed.contains("***"));
    let hash = PasswordHash::parse(DEMO_PASSWORD_HASH).unwrap();
    assert_eq!(
        format!("{hash:?}"),
        r#"PasswordHash { iterations: 100000, salt: "***", hash: "***" }"#
    );
}

// --- Signing keys ---------------------------------------------------------------------

/// The single key of a generated JWKS.
fn generated_key(kid: &str) -> Value {
    let jwks = SigningKeys::generate(Some(kid)).unwrap();
    jwks["keys"][0].clone()
}

fn keys_of(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

#[track_caller]
fn keys_error_at(path: &str, keys: &[Value]) -> ConfigError {
    let err = SigningKeys::from_jwks_json(&keys_of(keys)).unwrap_err();
    assert_eq!(err.path, path, "wrong path; the error was {err}");
    err
}

#[test]
fn newest_key_signs_and_all_are_published() {
    let (old, new) = (generated_key("2024-01"), generated_key("2025-01"));
    let keys = SigningKeys::from_jwks_json(&keys_of(&[old.clone(), new.clone()])).unwrap();
    let signing: Vec<(&str, &PrivateKey)> = keys.signing().collect();
    let [(kid, signing)] = signing.as_slice() else {
        panic!("one key signs ES256: {signing:?}")
    };
    assert_eq!(*kid, "2025-01");
    assert_eq!(keys.kid_for(Alg::Es256), Some("2025-01"));
    assert_eq!(keys.kids().collect::<Vec<_>>(), ["2024-01", "2025-01"]);

    // The current key is the last JWK's private key.
    let signature = signing.sign(b"message").unwrap();
    let published = keys.public_jwks();
    let entries = published["keys"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let newest = Jwk::from_json(entries[1].to_string().as_bytes()).unwrap();
    let oidc_edge::jose::PublicKey::P256(verifying) = newest.public_key() else {
        panic!("not P-256")
    };
    assert!(verifying.verify(b"message", &signature));

    for (entry, source) in entries.iter().zip([&old, &new]) {
        let members: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            members,
            ["alg", "crv", "kid", "kty", "use", "x", "y"],
            "{entry}"
        );
        assert_eq!(entry["alg"], "ES256");
        assert_eq!(entry["use"], "sig");
        for name in ["kid", "x", "y"] {
            assert_eq!(entry[name], source[name]);
        }
    }
    assert!(!published.to_string().contains(new["d"].as_str().unwrap()));
    assert!(!published.to_string().contains("\"d\""));
    assert_eq!(keys.public_jwk_set().keys().len(), 2);
    assert!(keys.public_jwk_set().keys().iter().all(|k| !k.is_private()));
}

#[test]
fn generated_kid_defaults_to_the_thumbprint() {
    let jwks = SigningKeys::generate(None).unwrap();
    let key = &jwks["keys"][0];
    let jwk = Jwk::from_json(key.to_string().as_bytes()).unwrap();
    assert_eq!(key["kid"], jwk.thumbprint());
    assert!(jwk.is_private());
    assert_eq!(
        SigningKeys::generate(Some("")).unwrap_err().code(),
        "invalid_option"
    );
    assert_ne!(
        SigningKeys::generate(None).unwrap()["keys"][0]["d"],
        key["d"],
        "fresh randomness"
    );
}

#[test]
fn signing_keys_rules() {
    let good = generated_key("a");
    let with = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut key = good.clone();
        f(key.as_object_mut().unwrap());
        key
    };
    let p = "OIDC_SIGNING_KEYS.keys[0]";

    keys_error_at(
        &format!("{p}.crv"),
        &[with(&|k| {
            k.insert("crv".into(), json!("P-384"));
        })],
    );
    // RSA and Ed25519 keys sign too (tests/op/signing_algorithms.rs), but only private ones.
    keys_error_at(
        &format!("{p}.d"),
        &[json!({ "kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB" })],
    );
    keys_error_at(
        &format!("{p}.d"),
        &[json!({ "kty": "OKP", "crv": "Ed25519", "kid": "e", "x": "AA" })],
    );
    keys_error_at(
        &format!("{p}.crv"),
        &[json!({ "kty": "OKP", "crv": "X25519", "kid": "e", "x": "AA", "d": "AA" })],
    );
    keys_error_at(
        &format!("{p}.kty"),
        &[json!({ "kty": "oct", "kid": "h", "k": "AA" })],
    );
    keys_error_at(
        &format!("{p}.kid"),
        &[with(&|k| {
            k.remove("kid");
        })],
    );
    keys_error_at(
        &format!("{p}.kid"),
        &[with(&|k| {
            k.insert("kid".into(), json!(""));
        })],
    );
    keys_error_at(
        &format!("{p}.kid"),
        &[with(&|k| {
            k.insert("kid".into(), json!(7));
        })],
    );
    let err = keys_error_at(
        &format!("{p}.d"),
        &[with(&|k| {
            k.remove("d");
        })],
    );
    assert!(err.message.contains("private"), "{err}");
    keys_error_at(
        &format!("{p}.alg"),
        &[with(&|k| {
            k.insert("alg".into(), json!("ES384"));
        })],
    );
    keys_error_at(
        &format!("{p}.use"),
        &[with(&|k| {
            k.insert("use".into(), json!("enc"));
        })],
    );
    keys_error_at(
        &format!("{p}.key_ops"),
        &[with(&|k| {
            k.insert("key_ops".into(), json!(["verify"]));
        })],
    );
    // The private half of another key: the JWK parser's error, at the key.
    let other = generated_key("b");
    let err = keys_error_at(
        p,
        &[with(&|k| {
            k.insert("d".into(), other["d"].clone());
        })],
    );
    assert!(
        !err.to_string().contains(other["d"].as_str().unwrap()),
        "{err}"
    );
    keys_error_at(p, &[json!("not a key")]);

    keys_error_at(
        "OIDC_SIGNING_KEYS.keys[1].kid",
        &[
            good.clone(),
            with(&|k| {
                k.insert("x".into(), other["x"].clone());
                k.insert("y".into(), other["y"].clone());
                k.insert("d".into(), other["d"].clone());
            }),
        ],
    );
    keys_error_at("OIDC_SIGNING_KEYS.keys", &[]);
    let err = SigningKeys::from_jwks_json(&good.to_string()).unwrap_err();
    assert!(err.path.starts_with("OIDC_SIGNING_KEYS."), "{err}");
    let err = SigningKeys::from_jwks_json(r#"{"keys":[],"keys":[]}"#).unwrap_err();
    assert_eq!(err.path, "OIDC_SIGNING_KEYS");
    let err =
        SigningKeys::from_jwks_json(&json!({ "keys": [good.clone()], "extra": 1 }).to_string())
            .unwrap_err();
    assert_eq!(err.path, "OIDC_SIGNING_KEYS.extra");
}

#[test]
fn signing_keys_debug_shows_kids_only() {
    let key = generated_key("kid-1");
    let keys = SigningKeys::from_jwks_json(&keys_of(std::slice::from_ref(&key))).unwrap();
    let printed = format!("{keys:?} {keys:#?}");
    assert!(printed.contains("kid-1"), "{printed}");
    for name in ["d", "x", "y"] {
        assert!(
            !printed.contains(key[name].as_str().unwrap()),
            "{name} in {printed}"
        );
    }
}

// --- The CLI --------------------------------------------------------------------------

fn cli(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oidc-edge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A file in the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("oidc-edge-op-config-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn cli_keygen_output_is_accepted_as_signing_keys() {
    let out = cli(&["keygen", "--kid", "cli-key"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = SigningKeys::from_jwks_json(stdout(&out).trim()).unwrap();
    assert_eq!(keys.kid_for(Alg::Es256), Some("cli-key"));

    let out = cli(&["keygen"], None);
    assert!(out.status.success());
    let jwks: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let jwk = Jwk::from_json(jwks["keys"][0].to_string().as_bytes()).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], jwk.thumbprint());
    assert_eq!(jwks["keys"][0]["alg"], "ES256");

    // One key per --alg, in order, each named by its thumbprint; `check-config` says which
    // signs what.
    let out = cli(&["keygen", "--alg", "RS256,PS256,EdDSA,ES256"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let keys = SigningKeys::from_jwks_json(text.trim()).unwrap();
    assert_eq!(
        keys.algorithms(),
        [Alg::Es256, Alg::Rs256, Alg::Ps256, Alg::EdDsa]
    );
    assert_eq!(keys.id_token_algorithm(), Alg::Rs256);
    assert_eq!(keys.default_algorithm(), Alg::Es256);
    let jwks: Value = serde_json::from_str(&text).unwrap();
    for key in jwks["keys"].as_array().unwrap() {
        let jwk = Jwk::from_json(key.to_string().as_bytes()).unwrap();
        assert_eq!(key["kid"], jwk.thumbprint(), "{}", key["alg"]);
    }
    let keys_file = TempFile::new("four-keys.json", &text);
    let config = TempFile::new("config.json", &example().to_string());
    let out = cli(
        &["check-config", config.path(), "--keys", keys_file.path()],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("ok: 4 signing keys; signing RS256 with \"")
            && stdout(&out)
                .contains("ID tokens RS256 unless a client names another, other tokens ES256"),
        "{}",
        stdout(&out)
    );
}

/// `keys rotate` takes a JWKS file one stage further in place (owner-only, no copy left
/// beside it) and says what to do next; run too early, it changes nothing.
#[test]
fn cli_keys_rotate_publishes_then_waits() {
    let out = cli(&["keygen", "--alg", "RS256,ES256"], None);
    let file = TempFile::new("rotate-keys.json", &stdout(&out));
    let before = std::fs::read_to_string(file.path()).unwrap();

    let out = cli(
        &[
            "keys",
            "rotate",
            file.path(),
            "--alg",
            "ES256",
            "--kid",
            "es-2",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("published \"es-2\" (ES256, not signing yet)"),
        "{}",
        stdout(&out)
    );
    let after = std::fs::read_to_string(file.path()).unwrap();
    let keys = SigningKeys::from_jwks_json(&after).unwrap();
    assert_eq!(keys.kids().collect::<Vec<_>>().len(), 3);
    assert_ne!(
        keys.kid_for(Alg::Es256),
        Some("es-2"),
        "published, not signing"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let path = std::path::Path::new(file.path());
    let temporary_prefix = format!(".{}.", path.file_name().unwrap().to_string_lossy());
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&temporary_prefix)
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        !stdout(&out).contains(
            serde_json::from_str::<Value>(&after).unwrap()["keys"][2]["d"]
                .as_str()
                .unwrap()
        )
    );

    let out = cli(&["keys", "rotate", file.path(), "--alg", "ES256"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("too early to promote: run this again in "),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(file.path()).unwrap(), after);
    assert_ne!(before, after);

    let broken = TempFile::new("broken-keys.json", r#"{"keys":[]}"#);
    let out = cli(&["keys", "rotate", broken.path(), "--alg", "ES256"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("OIDC_SIGNING_KEYS.keys"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cli_hash_password_reads_the_first_line_of_stdin() {
    let out = cli(
        &["hash-password", "--iterations", "10000"],
        Some("correct horse\r\nsecond line\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let hash = PasswordHash::parse(stdout(&out).trim_end()).unwrap();
    assert_eq!(hash.iterations(), 10_000);
    assert!(run_ready(verify_password(&hash, b"correct horse", &RustPbkdf2)).unwrap());
    assert!(!run_ready(verify_password(&hash, b"correct horse\r", &RustPbkdf2)).unwrap());

    // The default count is the Workers cap (the one slow hash of this suite).
    let out = cli(&["hash-password"], Some("pw"));
    assert!(out.status.success(), "{}", stderr(&out));
    let hash = PasswordHash::parse(stdout(&out).trim_end()).unwrap();
    assert_eq!(hash.iterations(), MAX_USER_ITERATIONS);
    assert!(run_ready(verify_password(&hash, b"pw", &RustPbkdf2)).unwrap());

    assert_eq!(cli(&["hash-password"], Some("\n")).status.code(), Some(1));
    assert_eq!(
        cli(&["hash-password", "--iterations", "100001"], Some("pw\n"))
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn cli_hash_secret_prints_a_secret_and_its_hash() {
    let out = cli(&["hash-secret"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let [secret_line, hash_line] = lines[..] else {
        panic!("{text}")
    };
    let secret = secret_line.strip_prefix("secret: ").unwrap();
    assert_eq!(b64::decode(secret).unwrap().len(), 32);
    let hash = PasswordHash::parse(hash_line.strip_prefix("hash: ").unwrap()).unwrap();
    assert_eq!(hash.iterations(), 1_000);
    assert!(run_ready(verify_password(&hash, secret.as_bytes(), &RustPbkdf2)).unwrap());

    let out = cli(
        &["hash-secret", "--stdin", "--iterations=5"],
        Some("given-secret\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("given-secret"), "{text}");
    let hash = PasswordHash::parse(text.trim_end().strip_prefix("hash: ").unwrap()).unwrap();
    assert_eq!(hash.iterations(), 5);
    assert!(run_ready(verify_password(&hash, b"given-secret", &RustPbkdf2)).unwrap());
}

#[test]
fn cli_check_config() {
    let good = TempFile::new(
        "good.json",
        &serde_json::to_string_pretty(&example()).unwrap(),
    );
    let out = cli(&["check-config", good.path()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ok: 2 clients, 1 users\n");

    let keys_out = cli(&["keygen", "--kid", "k1"], None);
    let keys = TempFile::new("keys.json", &stdout(&keys_out));
    let out = cli(&["check-config", good.path(), "--keys", keys.path()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ok: 2 clients, 1 users\n"));
    assert!(
        !stdout(&out).contains(
            serde_json::from_str::<Value>(&stdout(&keys_out)).unwrap()["keys"][0]["d"]
                .as_str()
                .unwrap()
        )
    );

    let mut bad = example();
    *at(&mut bad, "/clients/0/redirect_uris/0") = json!("http://rp.example.com/cb");
    let bad = TempFile::new("bad.json", &bad.to_string());
    let out = cli(&["check-config", bad.path()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("clients[0].redirect_uris[0]: "),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());

    let bad_keys = TempFile::new("bad-keys.json", r#"{"keys":[{"kty":"EC","crv":"P-256"}]}"#);
    let out = cli(
        &["check-config", good.path(), "--keys", bad_keys.path()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("OIDC_SIGNING_KEYS.keys[0].kid"),
        "{}",
        stderr(&out)
    );

    // A client naming an algorithm no key signs: refused with the keys, naming the field.
    let mut wants_ps256 = example();
    wants_ps256["clients"][0]["id_token_signed_response_alg"] = json!("PS256");
    let wants_ps256 = TempFile::new("ps256.json", &wants_ps256.to_string());
    let out = cli(
        &["check-config", wants_ps256.path(), "--keys", keys.path()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("clients[0].id_token_signed_response_alg: is PS256"),
        "{}",
        stderr(&out)
    );

    let missing = cli(&["check-config", "/nonexistent/oidc-config.json"], None);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn cli_usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["keygen", "--kid"],
        &["keygen", "--kid", "a", "--kid", "b"],
        &["keygen", "extra"],
        &["keys"],
        &["keys", "rotate"],
        &["keys", "rotate", "k.json"],
        &["keys", "rotate", "k.json", "--alg", "HS256"],
        &[
            "keys",
            "rotate",
            "k.json",
            "--alg",
            "ES256",
            "--token-lifetime",
            "soon",
        ],
        &["keys", "spin", "k.json", "--alg", "ES256"],
        &["keygen", "--alg", "HS256"],
        &["keygen", "--alg", "ES384"],
        &["keygen", "--alg", "RS256,"],
        &[
            "keygen",
            "--alg",
            "RS256,ES256",
            "--kid",
            "one-kid-for-two-keys",
        ],
        &["hash-password", "--iterations", "many"],
        &["hash-secret", "--stdin", "--stdin"],
        &["check-config"],
        &["check-config", "a.json", "b.json"],
        &["check-config", "a.json", "--verbose"],
    ] {
        let out = cli(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("usage: oidc-edge"), "{args:?}");
    }
    let help = cli(&["--help"], None);
    assert!(help.status.success());
    assert!(stdout(&help).contains("check-config FILE"));
}
