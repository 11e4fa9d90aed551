//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9,
//! RFC 7521 §4.2) at every endpoint that authenticates clients: a JWT signed with one of
//! the client's registered keys, meant for this provider, short-lived, used once.

use oidc_edge::b64;
use oidc_edge::jose::Alg;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::config::Config;
use oidc_edge::op::{Request, Response, TokenSigner};
use serde_json::{Map, Value, json};

use crate::op_support::*;

const BATCH: &str = "batch-job";

/// The provider with a `private_key_jwt` client whose `jwks` holds `keys`.
fn op_with(keys: &[&ClientKey]) -> Op {
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": BATCH, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": jwks_of(keys),
        "grant_types": ["client_credentials"], "scopes": ["api:read"]
    }));
    Op::with_config(config)
}

/// A JWT signed by `key` with `claims`, header `typ` given unless `None`.
fn signed(key: &ClientKey, claims: &Value, typ: Option<&str>) -> String {
    match typ {
        Some(typ) => sign(key, claims, &[("typ", json!(typ))]),
        None => sign(key, claims, &[]),
    }
}

/// The claims a well-behaved batch client sends.
fn claims(op: &Op, jti: &str) -> Value {
    assertion_claims(op, BATCH, jti)
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
            json!([ISSUER, format!("{ISSUER}/token")]),
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
            "aud of ours and another server's",
            signed(
                &key,
                &with(
                    claims(&op, "c2"),
                    "aud",
                    json!([ISSUER, "https://evil.example"]),
                ),
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
            "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks_of(&[&key]),
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

// --- Keys at a jwks_uri (RFC 7591 §2) ---------------------------------------------------

/// Where the batch client of [`op_with_jwks_uri`] publishes its keys.
const KEYS_URL: &str = "https://batch.example/.well-known/jwks.json";

/// The provider with a `private_key_jwt` client whose keys are at [`KEYS_URL`], where
/// `keys` are served (nothing is, for none).
fn op_with_jwks_uri(keys: &[&ClientKey]) -> Op {
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": BATCH, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": KEYS_URL,
        "grant_types": ["client_credentials"], "scopes": ["api:read"]
    }));
    let op = Op::with_config(config);
    if !keys.is_empty() {
        op.web.serve_json(KEYS_URL, None, &jwks_of(keys));
    }
    op
}

/// A fresh assertion by `key` (a new `jti` each time) and the status it gets at `/token`.
fn authenticate(op: &Op, key: &ClientKey) -> Response {
    let jti = oidc_edge::random::token(16).unwrap();
    client_credentials(op, &signed(key, &claims(op, &jti), None), &[])
}

/// RFC 7591 §2 `jwks_uri`: the keys are fetched (a GET of at most 64 KiB, within 5 s) on
/// the first assertion and kept; later assertions, at every endpoint, fetch nothing.
#[test]
fn keys_at_a_jwks_uri_authenticate_the_client() {
    let key = client_key(Alg::Es256, "uri-key");
    let op = op_with_jwks_uri(&[&key]);
    assert_eq!(
        op.web.gets(KEYS_URL),
        0,
        "nothing is fetched before it is needed"
    );
    let response = authenticate(&op, &key);
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(op.web.gets(KEYS_URL), 1);
    let limits = op.web.last_limits().unwrap();
    assert_eq!((limits.max_bytes, limits.timeout_ms), (64 * 1024, 5_000));
    let token = body(&response)["access_token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(authenticate(&op, &key).status, 200);
    }
    for path in ["/introspect", "/revoke"] {
        let assertion = signed(
            &key,
            &claims(&op, &format!("at {path}")),
            Some("client-authentication+jwt"),
        );
        let response = op.send(&Request::new("POST", &absolute(path)).with_form(&[
            ("token", &token),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ]));
        assert_eq!(response.status, 200, "{path}: {}", text(&response));
    }
    assert_eq!(op.web.gets(KEYS_URL), 1, "the keys are kept");
    // The rules of an assertion are those of inline keys: a replay still fails.
    let assertion = signed(&key, &claims(&op, "twice"), None);
    assert_eq!(client_credentials(&op, &assertion, &[]).status, 200);
    assert_invalid_client(&client_credentials(&op, &assertion, &[]), "replayed jti");
    // A stranger's key under the client's kid is not the client's, and fetches nothing.
    let stranger = client_key(Alg::Es256, "uri-key");
    assert_invalid_client(&authenticate(&op, &stranger), "another key, same kid");
    assert_eq!(op.web.gets(KEYS_URL), 1);
}

/// RFC 9111 §5.2.2.1: the keys are kept for the answer's `max-age`, within 60 s to a day,
/// 300 s without one, 60 s with `no-store` or `no-cache`; then fetched again.
#[test]
fn keys_are_kept_for_their_max_age_within_bounds() {
    let key = client_key(Alg::Es256, "k");
    for (cache_control, kept) in [
        (None, 300),
        (Some("max-age=900"), 900),
        (Some("public, max-age=3600"), 3600),
        (Some("max-age=5"), 60),
        (Some("max-age=31536000, immutable"), 86_400),
        (Some("no-store"), 60),
        (Some("max-age=3600, no-cache"), 60),
        (Some("private"), 300),
    ] {
        let op = op_with_jwks_uri(&[]);
        op.web
            .serve_json(KEYS_URL, cache_control, &jwks_of(&[&key]));
        assert_eq!(authenticate(&op, &key).status, 200, "{cache_control:?}");
        op.advance(kept - 1);
        assert_eq!(authenticate(&op, &key).status, 200, "{cache_control:?}");
        assert_eq!(op.web.gets(KEYS_URL), 1, "{cache_control:?}: kept {kept} s");
        op.advance(1);
        assert_eq!(authenticate(&op, &key).status, 200, "{cache_control:?}");
        assert_eq!(
            op.web.gets(KEYS_URL),
            2,
            "{cache_control:?}: expired at {kept} s"
        );
    }
}

/// Key rotation at the client (RFC 7517 §5, OpenID Connect Core §10.1.1): an assertion
/// naming a kid the kept keys lack fetches them again at once, at most once a minute, so
/// made-up kids cannot make the provider fetch on every request.
#[test]
fn a_new_kid_fetches_the_keys_again_at_most_once_a_minute() {
    let old = client_key(Alg::Es256, "2026-01");
    let new = client_key(Alg::Rs256, "2026-02");
    let newer = client_key(Alg::EdDsa, "2026-03");
    let op = op_with_jwks_uri(&[&old]);
    assert_eq!(authenticate(&op, &old).status, 200);
    assert_eq!(op.web.gets(KEYS_URL), 1);

    // Within a minute of that fetch, a new kid is not fetched for.
    op.web
        .serve_json(KEYS_URL, Some("max-age=3600"), &jwks_of(&[&old, &new]));
    op.advance(59);
    assert_invalid_client(&authenticate(&op, &new), "a new kid 59 s after the fetch");
    assert_eq!(op.web.gets(KEYS_URL), 1);

    // The client publishes a new key and signs with it while the old keys are still kept.
    op.advance(1);
    op.web
        .serve_json(KEYS_URL, Some("max-age=3600"), &jwks_of(&[&old, &new]));
    let response = authenticate(&op, &new);
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(op.web.gets(KEYS_URL), 2, "one fetch for the new kid");
    assert_eq!(
        authenticate(&op, &old).status,
        200,
        "the old key still verifies"
    );
    assert_eq!(authenticate(&op, &new).status, 200);
    assert_eq!(op.web.gets(KEYS_URL), 2);

    // Another kid within the minute: no fetch, so it fails even though it is published.
    op.web.serve_json(KEYS_URL, None, &jwks_of(&[&new, &newer]));
    op.advance(59);
    assert_invalid_client(&authenticate(&op, &newer), "a second new kid within 60 s");
    let unknown = client_key(Alg::Es256, "made-up");
    for _ in 0..5 {
        assert_invalid_client(&authenticate(&op, &unknown), "a made-up kid");
    }
    assert_eq!(op.web.gets(KEYS_URL), 2, "no fetch within 60 s of the last");
    assert_eq!(
        authenticate(&op, &new).status,
        200,
        "the kept keys still work"
    );

    // A minute after the last fetch, the next unknown kid fetches again.
    op.advance(1);
    assert_eq!(authenticate(&op, &newer).status, 200);
    assert_eq!(op.web.gets(KEYS_URL), 3);
    // The old key left the published set: it no longer verifies.
    assert_invalid_client(&authenticate(&op, &old), "a withdrawn key");
    // A made-up kid gets one fetch a minute, never more.
    op.advance(60);
    for _ in 0..5 {
        assert_invalid_client(&authenticate(&op, &unknown), "a made-up kid");
    }
    assert_eq!(op.web.gets(KEYS_URL), 4);
    // No kid at all, and no published key of the algorithm: the same rule.
    let ps256 = client_key(Alg::Ps256, "ps256");
    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    let input = signing_input(
        header,
        Alg::Ps256,
        claims(&op, "no-kid").to_string().as_bytes(),
    );
    let signature =
        run_ready(ps256.private.sign(&ps256.kid, Alg::Ps256, input.as_bytes())).unwrap();
    let assertion = assemble(&input, &signature);
    let response = client_credentials(&op, &assertion, &[]);
    assert_invalid_client(&response, "no kid, no PS256 key (the RSA key is RS256)");
    assert_eq!(op.web.gets(KEYS_URL), 4);
    op.advance(60);
    let input = signing_input(
        Map::new(),
        Alg::Ps256,
        claims(&op, "no-kid-2").to_string().as_bytes(),
    );
    let signature =
        run_ready(ps256.private.sign(&ps256.kid, Alg::Ps256, input.as_bytes())).unwrap();
    let response = client_credentials(&op, &assemble(&input, &signature), &[]);
    assert_invalid_client(&response, "no kid, no PS256 key, a minute later");
    assert_eq!(
        op.web.gets(KEYS_URL),
        5,
        "fetched for it once the minute is over"
    );
}

/// A JWKS that cannot be had or read authenticates nobody, as `invalid_client` (never a
/// 5xx: the client's server is down, not the provider), and is not asked for again within a
/// minute; once it is fixed, the client authenticates.
#[test]
fn a_jwks_uri_that_cannot_be_read_authenticates_nobody() {
    use oidc_edge::op::fetch::FetchError;
    /// What the client's server answers: a status and a body, or nothing.
    type Answer = Result<(u16, Vec<u8>), FetchError>;

    let key = client_key(Alg::Es256, "k");
    let good = jwks_of(&[&key]);
    let mut with_private = good.clone();
    with_private["keys"][0]["d"] = json!("AAAA");
    let mut without_kid = good.clone();
    without_kid["keys"][0]
        .as_object_mut()
        .unwrap()
        .remove("kid");
    let big = json!({ "keys": [key.public.clone()], "padding": "x".repeat(70_000) });
    let json = |value: &Value| -> Answer { Ok((200, value.to_string().into_bytes())) };
    let cases: Vec<(&str, Answer)> = vec![
        ("no answer", Err(FetchError::Failed)),
        ("a timeout", Err(FetchError::TimedOut)),
        ("over 64 KiB", json(&big)),
        ("a 404", Ok((404, good.to_string().into_bytes()))),
        ("a 500", Ok((500, Vec::new()))),
        ("a redirect", Ok((302, Vec::new()))),
        (
            "the keys, but with a 201",
            Ok((201, good.to_string().into_bytes())),
        ),
        ("not JSON", Ok((200, b"<html>".to_vec()))),
        ("a single JWK", json(&key.public)),
        ("a private key", json(&with_private)),
        ("a key without kid", json(&without_kid)),
        ("no keys", json(&json!({ "keys": [] }))),
        (
            "duplicate members",
            Ok((200, b"{\"keys\":[],\"keys\":[]}".to_vec())),
        ),
    ];
    for (why, answer) in cases {
        let op = op_with_jwks_uri(&[]);
        match answer {
            Ok((status, body)) => op.web.serve(KEYS_URL, status, None, &body),
            Err(error) => op.web.fail(KEYS_URL, error),
        }
        assert_invalid_client(&authenticate(&op, &key), why);
        assert_eq!(op.web.gets(KEYS_URL), 1, "{why}");
        // Not asked again within the minute, whatever the assertions say.
        op.web.serve_json(KEYS_URL, None, &good);
        op.advance(59);
        assert_invalid_client(&authenticate(&op, &key), why);
        assert_invalid_client(&authenticate(&op, &client_key(Alg::Es256, "other")), why);
        assert_eq!(
            op.web.gets(KEYS_URL),
            1,
            "{why}: no fetch within the minute"
        );
        op.advance(1);
        assert_eq!(authenticate(&op, &key).status, 200, "{why}: fixed");
        assert_eq!(op.web.gets(KEYS_URL), 2, "{why}");
    }
}

/// Kept keys that have not expired stay in use when fetching for a new kid fails; expired
/// keys whose fetch fails authenticate nobody.
#[test]
fn kept_keys_outlive_a_failed_fetch_until_they_expire() {
    use oidc_edge::op::fetch::FetchError;

    let key = client_key(Alg::Es256, "k");
    let op = op_with_jwks_uri(&[]);
    op.web
        .serve_json(KEYS_URL, Some("max-age=600"), &jwks_of(&[&key]));
    assert_eq!(authenticate(&op, &key).status, 200);
    op.web.fail(KEYS_URL, FetchError::Failed);
    op.advance(60);
    assert_invalid_client(
        &authenticate(&op, &client_key(Alg::Es256, "new")),
        "a new kid while the server is down",
    );
    assert_eq!(op.web.gets(KEYS_URL), 2);
    assert_eq!(
        authenticate(&op, &key).status,
        200,
        "the kept keys still verify"
    );
    op.advance(540);
    assert_invalid_client(&authenticate(&op, &key), "expired, and the server down");
    assert_eq!(op.web.gets(KEYS_URL), 3);
}

/// Clients that share a `jwks_uri` share one fetch.
#[test]
fn clients_sharing_a_jwks_uri_share_its_keys() {
    let key = client_key(Alg::Es256, "shared");
    let mut config = config_json();
    for id in ["batch-a", "batch-b"] {
        config["clients"].as_array_mut().unwrap().push(json!({
            "client_id": id, "client_type": "confidential",
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": KEYS_URL,
            "grant_types": ["client_credentials"], "scopes": ["api:read"]
        }));
    }
    let op = Op::with_config(config);
    op.web.serve_json(KEYS_URL, None, &jwks_of(&[&key]));
    for id in ["batch-a", "batch-b"] {
        let assertion = signed(
            &key,
            &with(with(claims(&op, id), "iss", json!(id)), "sub", json!(id)),
            None,
        );
        let response = client_credentials(&op, &assertion, &[]);
        assert_eq!(response.status, 200, "{id}: {}", text(&response));
    }
    assert_eq!(op.web.gets(KEYS_URL), 1);
}

/// RFC 7591 §2: `jwks` or `jwks_uri`, never both; the URI https (http only on a loopback
/// host), as the client's other URIs.
#[test]
fn jwks_uri_configuration_rules() {
    let client = |change: &dyn Fn(&mut Value)| {
        let mut config = config_json();
        let mut batch = json!({
            "client_id": BATCH, "client_type": "confidential",
            "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": KEYS_URL,
            "grant_types": ["client_credentials"], "scopes": ["api:read"]
        });
        change(&mut batch);
        config["clients"].as_array_mut().unwrap().push(batch);
        Config::from_json(&config.to_string())
    };
    let parsed = client(&|_| {}).unwrap();
    assert_eq!(parsed.clients[3].jwks_uri.as_deref(), Some(KEYS_URL));
    assert!(parsed.clients[3].jwks.is_none());
    for uri in [
        "http://127.0.0.1:8788/jwks",
        "http://localhost/jwks",
        "http://[::1]:9000/keys",
        "https://keys.example/jwks?v=2",
    ] {
        assert!(client(&|c| c["jwks_uri"] = json!(uri)).is_ok(), "{uri}");
    }
    let refused = |change: &dyn Fn(&mut Value), path: &str| {
        let err = client(change).unwrap_err();
        assert_eq!(err.path, path, "{err}");
        err
    };
    let key = client_key(Alg::Es256, "k");
    let err = refused(&|c| c["jwks"] = jwks_of(&[&key]), "clients[3].jwks_uri");
    assert_eq!(err.message, "give jwks or jwks_uri, not both");
    for uri in [
        "http://batch.example/jwks",
        "http://10.0.0.1/jwks",
        "ftp://batch.example/jwks",
        "https://batch.example/jwks#keys",
        "https://user@batch.example/jwks",
        "/jwks",
        "",
    ] {
        refused(&|c| c["jwks_uri"] = json!(uri), "clients[3].jwks_uri");
    }
    refused(
        &|c| c["jwks_uri"] = json!(["https://a.example"]),
        "clients[3].jwks_uri",
    );
    let err = refused(
        &|c| {
            c.as_object_mut().unwrap().remove("jwks_uri");
        },
        "clients[3].jwks",
    );
    assert!(err.message.contains("jwks_uri"), "{err}");
    // Like jwks, it may be registered for a client that does not use it yet.
    let mut config = config_json();
    config["clients"][2]["jwks_uri"] = json!(KEYS_URL);
    assert!(Config::from_json(&config.to_string()).is_ok());
}

/// The audience is one of this provider's own names, never the host the request came in
/// on: an assertion made for another server, sent here through that name, fails (the
/// audience injection of draft-ietf-oauth-rfc7523bis).
#[test]
fn the_audience_is_never_taken_from_the_request() {
    let key = client_key(Alg::Es256, "k");
    let op = op_with(&[&key]);
    let assertion = signed(
        &key,
        &with(
            claims(&op, "evil"),
            "aud",
            json!("https://evil.example/token"),
        ),
        None,
    );
    let response = op.send(
        &Request::new("POST", "https://evil.example/token").with_form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ]),
    );
    assert_invalid_client(&response, "aud of the request's host");
}
