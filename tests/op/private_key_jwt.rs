//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9,
//! RFC 7521 §4.2) at every endpoint that authenticates clients: a JWT signed with one of
//! the client's registered keys, meant for this provider, short-lived, used once.

use oidc_edge::b64;
use oidc_edge::jose::Alg;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::config::Config;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::{Request, Response, TokenSigner};
use serde_json::{Map, Value, json};

use crate::op_support::*;

const BATCH: &str = "batch-job";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The client's key pair: its private JWKS (to sign with) and its public `jwks`.
struct ClientKey {
    private: SigningKeys,
    public: Value,
    kid: String,
    alg: Alg,
}

fn client_key(alg: Alg, kid: &str) -> ClientKey {
    let private = SigningKeys::generate_key(alg, Some(kid)).unwrap();
    let mut public = private.clone();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        public.as_object_mut().unwrap().remove(member);
    }
    ClientKey {
        private: SigningKeys::from_jwks_json(&json!({ "keys": [private] }).to_string()).unwrap(),
        public: json!({ "keys": [public] }),
        kid: kid.to_owned(),
        alg,
    }
}

/// The provider with a `private_key_jwt` client whose `jwks` holds `keys`.
fn op_with(keys: &[&ClientKey]) -> Op {
    let mut config = config_json();
    let public: Vec<Value> = keys.iter().map(|k| k.public["keys"][0].clone()).collect();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": BATCH, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": public },
        "grant_types": ["client_credentials"], "scopes": ["api:read"]
    }));
    Op::with_config(config)
}

/// A JWT signed by `key` with `claims`, header `typ` given unless `None`.
fn signed(key: &ClientKey, claims: &Value, typ: Option<&str>) -> String {
    let mut header = Map::new();
    header.insert("kid".into(), json!(key.kid));
    if let Some(typ) = typ {
        header.insert("typ".into(), json!(typ));
    }
    let input = signing_input(header, key.alg, claims.to_string().as_bytes());
    let signature = run_ready(key.private.sign(&key.kid, key.alg, input.as_bytes())).unwrap();
    assemble(&input, &signature)
}

/// The claims a well-behaved client sends (what oauth4webapi's `PrivateKeyJwt` does).
fn claims(op: &Op, jti: &str) -> Value {
    json!({
        "iss": BATCH, "sub": BATCH, "aud": ISSUER, "jti": jti,
        "iat": op.now(), "exp": op.now() + 60,
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    if value.is_null() {
        claims.as_object_mut().unwrap().remove(name);
    } else {
        claims[name] = value;
    }
    claims
}

fn client_credentials(op: &Op, assertion: &str, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("scope", "api:read"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    op.send(&token_request(&form))
}

#[track_caller]
fn assert_invalid_client(response: &Response, why: &str) {
    assert_eq!(response.status, 401, "{why}: {}", text(response));
    assert_eq!(body(response)["error"], "invalid_client", "{why}");
}

/// RFC 7523 §2.2, §3: a valid assertion authenticates the client, for each kind of key; the
/// token is the client's own.
#[test]
fn a_signed_assertion_authenticates_the_client() {
    for (i, alg) in [Alg::Es256, Alg::Rs256, Alg::Ps256, Alg::EdDsa]
        .into_iter()
        .enumerate()
    {
        let key = client_key(alg, &format!("key-{i}"));
        let op = op_with(&[&key]);
        for (n, aud) in [
            json!(ISSUER),
            json!(format!("{ISSUER}/token")),
            json!([ISSUER, "https://other.example"]),
        ]
        .into_iter()
        .enumerate()
        {
            let assertion = signed(
                &key,
                &with(claims(&op, &format!("jti-{n}")), "aud", aud),
                Some("JWT"),
            );
            let response = client_credentials(&op, &assertion, &[("client_id", BATCH)]);
            assert_eq!(response.status, 200, "{alg:?}: {}", text(&response));
            let access = body(&response)["access_token"].as_str().unwrap().to_owned();
            let claims = oidc_edge::jose::CompactJws::parse(&access).unwrap();
            let payload: Value = serde_json::from_slice(claims.payload()).unwrap();
            assert_eq!(payload["client_id"], BATCH);
            assert_eq!(payload["sub"], BATCH);
        }
    }
}

/// RFC 7523 §3 (7): a `jti` is accepted once; a replay, even at once, fails.
#[test]
fn an_assertion_is_used_once() {
    let key = client_key(Alg::Es256, "k");
    let op = op_with(&[&key]);
    let assertion = signed(&key, &claims(&op, "once"), None);
    assert_eq!(client_credentials(&op, &assertion, &[]).status, 200);
    assert_invalid_client(&client_credentials(&op, &assertion, &[]), "replayed jti");
    // The same jti in a new assertion is still a replay.
    let again = signed(
        &key,
        &with(claims(&op, "once"), "exp", json!(op.now() + 90)),
        None,
    );
    assert_invalid_client(&client_credentials(&op, &again, &[]), "jti reused");
}

/// RFC 7523 §3 and RFC 8725: what makes an assertion fail, each as `invalid_client` with
/// nothing said of why beyond it.
#[test]
fn assertions_that_fail() {
    let key = client_key(Alg::Es256, "k");
    let other = client_key(Alg::Es256, "k");
    let op = op_with(&[&key]);
    let now = op.now();
    let cases: Vec<(&str, String)> = vec![
        (
            "iss of another client",
            signed(&key, &with(claims(&op, "a"), "iss", json!(SERVICE)), None),
        ),
        (
            "sub of another client",
            signed(&key, &with(claims(&op, "b"), "sub", json!(SERVICE)), None),
        ),
        (
            "aud of another server",
            signed(
                &key,
                &with(claims(&op, "c"), "aud", json!("https://evil.example")),
                None,
            ),
        ),
        (
            "no aud",
            signed(&key, &with(claims(&op, "d"), "aud", Value::Null), None),
        ),
        (
            "expired",
            signed(&key, &with(claims(&op, "e"), "exp", json!(now - 60)), None),
        ),
        (
            "no exp",
            signed(&key, &with(claims(&op, "f"), "exp", Value::Null), None),
        ),
        (
            "exp an hour ahead",
            signed(
                &key,
                &with(claims(&op, "g"), "exp", json!(now + 3600)),
                None,
            ),
        ),
        (
            "no jti",
            signed(&key, &with(claims(&op, "h"), "jti", Value::Null), None),
        ),
        (
            "not yet valid",
            signed(&key, &with(claims(&op, "i"), "nbf", json!(now + 600)), None),
        ),
        (
            "signed by another key with the same kid",
            signed(&other, &claims(&op, "j"), None),
        ),
        (
            "an access token's typ",
            signed(&key, &claims(&op, "k"), Some("at+jwt")),
        ),
        (
            "a DPoP proof's typ",
            signed(&key, &claims(&op, "l"), Some("dpop+jwt")),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64::encode(br#"{"alg":"none","kid":"k"}"#),
                b64::encode(claims(&op, "m").to_string().as_bytes())
            ),
        ),
        (
            "HS256 keyed with the public key",
            format!(
                "{}.{}.{}",
                b64::encode(br#"{"alg":"HS256","kid":"k"}"#),
                b64::encode(claims(&op, "n").to_string().as_bytes()),
                b64::encode(&[0u8; 32])
            ),
        ),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (why, assertion) in cases {
        assert_invalid_client(&client_credentials(&op, &assertion, &[]), why);
    }
    // Past the form's parameter limit the request is refused before anyone reads it.
    let oversized = format!("{}.{}.x", "a".repeat(5000), "b".repeat(5000));
    let response = client_credentials(&op, &oversized, &[]);
    assert_eq!(response.status, 400, "{}", text(&response));
    assert_eq!(body(&response)["error"], "invalid_request");
    // The client named in the body must be the assertion's.
    let assertion = signed(&key, &claims(&op, "o"), None);
    assert_invalid_client(
        &client_credentials(&op, &assertion, &[("client_id", SERVICE)]),
        "client_id of another client",
    );
    // A client registered for secrets cannot authenticate with an assertion it made up.
    let service_assertion = signed(
        &key,
        &with(
            with(claims(&op, "p"), "iss", json!(SERVICE)),
            "sub",
            json!(SERVICE),
        ),
        None,
    );
    assert_invalid_client(
        &client_credentials(&op, &service_assertion, &[]),
        "a secret client",
    );
}

/// RFC 6749 §2.3, RFC 7521 §4.2: one method per request, and the assertion type named.
#[test]
fn malformed_assertion_requests() {
    let key = client_key(Alg::Es256, "k");
    let op = op_with(&[&key]);
    let assertion = signed(&key, &claims(&op, "x"), None);
    let invalid_request = |response: Response, why: &str| {
        assert_eq!(response.status, 400, "{why}: {}", text(&response));
        assert_eq!(body(&response)["error"], "invalid_request", "{why}");
    };
    invalid_request(
        op.send(&token_request(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:example:other"),
            ("client_assertion", &assertion),
        ])),
        "another assertion type",
    );
    invalid_request(
        op.send(&token_request(&[
            ("grant_type", "client_credentials"),
            ("client_assertion", &assertion),
        ])),
        "no assertion type",
    );
    invalid_request(
        client_credentials(&op, &assertion, &[("client_secret", SERVICE_SECRET)]),
        "with a secret too",
    );
    invalid_request(
        op.send(&token_request(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
        ])),
        "a type without an assertion",
    );
}

/// The same authentication at `/revoke` and `/introspect` (RFC 7009 §2.1, RFC 7662 §2.1),
/// with `aud` the endpoint itself or the issuer; discovery says so (RFC 8414 §2).
#[test]
fn every_endpoint_takes_it_and_discovery_says_so() {
    let key = client_key(Alg::Rs256, "r");
    let op = op_with(&[&key]);
    let token = body(&client_credentials(
        &op,
        &signed(&key, &claims(&op, "t"), None),
        &[],
    ))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (n, path) in ["/introspect", "/revoke"].into_iter().enumerate() {
        for (m, aud) in [absolute(path), ISSUER.to_owned()].into_iter().enumerate() {
            let assertion = signed(
                &key,
                &with(claims(&op, &format!("e{n}{m}")), "aud", json!(aud)),
                None,
            );
            let response = op.send(&Request::new("POST", &absolute(path)).with_form(&[
                ("token", &token),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &assertion),
            ]));
            assert_eq!(response.status, 200, "{path}: {}", text(&response));
            if path == "/introspect" {
                assert_eq!(body(&response)["active"], true);
            }
        }
    }
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    for methods in [
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ] {
        assert!(
            doc[methods]
                .as_array()
                .unwrap()
                .contains(&json!("private_key_jwt")),
            "{methods}: {}",
            doc[methods]
        );
    }
    let algs = doc["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.contains(&json!("RS256")) && algs.contains(&json!("ES256")));
    assert!(!algs.contains(&json!("HS256")) && !algs.contains(&json!("none")));
    // Without such a client, none of it.
    let plain = body(&Op::new().send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert!(
        plain
            .get("token_endpoint_auth_signing_alg_values_supported")
            .is_none()
    );
}

/// What the configuration refuses of a `private_key_jwt` client, naming the field.
#[test]
fn private_key_jwt_configuration_rules() {
    let key = client_key(Alg::Es256, "k");
    let client = |change: &dyn Fn(&mut Value)| {
        let mut config = config_json();
        let mut batch = json!({
            "client_id": BATCH, "client_type": "confidential",
            "token_endpoint_auth_method": "private_key_jwt", "jwks": key.public.clone(),
            "grant_types": ["client_credentials"], "scopes": ["api:read"]
        });
        change(&mut batch);
        config["clients"].as_array_mut().unwrap().push(batch);
        Config::from_json(&config.to_string())
    };
    assert!(client(&|_| {}).is_ok());
    let refused = |change: &dyn Fn(&mut Value), path: &str| {
        let err = client(change).unwrap_err();
        assert_eq!(err.path, path, "{err}");
        err
    };
    refused(
        &|c| {
            c.as_object_mut().unwrap().remove("jwks");
        },
        "clients[3].jwks",
    );
    refused(
        &|c| {
            c["client_secret_hash"] = json!(
                "$pbkdf2-sha256$i=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            )
        },
        "clients[3].client_secret_hash",
    );
    refused(
        &|c| c["client_type"] = json!("public"),
        "clients[3].token_endpoint_auth_method",
    );
    let err = refused(
        &|c| c["token_endpoint_auth_method"] = json!("client_secret_jwt"),
        "clients[3].token_endpoint_auth_method",
    );
    assert!(err.message.contains("only its hash is stored"), "{err}");
    refused(
        &|c| c["jwks"]["keys"][0]["d"] = json!("AAAA"),
        "clients[3].jwks.keys[0].d",
    );
    refused(
        &|c| {
            c["jwks"]["keys"][0].as_object_mut().unwrap().remove("kid");
        },
        "clients[3].jwks.keys[0].kid",
    );
    refused(&|c| c["jwks"] = json!({ "kty": "EC" }), "clients[3].jwks");
    refused(&|c| c["jwks"] = json!({ "keys": [] }), "clients[3].jwks");
    refused(
        &|c| c["jwks"] = json!({ "keys": [{ "kty": "oct", "kid": "h", "k": "AAAA" }] }),
        "clients[3].jwks.keys[0].k",
    );
    refused(
        &|c| c["jwks"]["keys"][0]["x"] = json!("AAAA"),
        "clients[3].jwks",
    );
}
