//! Mutual TLS (RFC 8705): client authentication with a CA-issued certificate
//! (`tls_client_auth`, §2.1) or a registered one (`self_signed_tls_client_auth`, §2.2),
//! certificate-bound access tokens (§3) checked at `/userinfo`, `/api/me` and shown by
//! `/introspect` (§3.2), a public client's bound refresh token (§4), the client metadata
//! (§2.1.2, §3.4), discovery (§3.3) and the endpoint aliases (§5).
//!
//! The certificates are real (tests/fixtures/mtls, made by OpenSSL with its make.sh): a
//! request carries what Cloudflare's edge reports of one, the SHA-256 of its DER and its
//! DNs in RFC 2253 form, as the Worker converts `request.cf.tlsClientAuth`.

use std::sync::OnceLock;

use oidc_edge::b64;
use oidc_edge::jose::Alg;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::config::Config;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::mtls::ClientCertificate;
use oidc_edge::op::{Request, Response, TokenSigner};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::op_support::*;

/// `tls_client_auth`, subject the `bank-app` certificate's (types written in lower case).
const PARTNER: &str = "partner";
/// `self_signed_tls_client_auth` with `self-signed-1` in its inline `jwks`.
const SELF_SIGNED: &str = "self-signed";
/// `self_signed_tls_client_auth` with its keys at a `jwks_uri`.
const REMOTE: &str = "self-signed-remote";
const REMOTE_JWKS: &str = "https://client.example/jwks";
/// `tls_client_auth` as `other-app`, with certificate-bound tokens.
const BOUND: &str = "bound-service";
/// `self_signed_tls_client_auth` as `self-signed-2`, certificate-bound opaque tokens.
const BOUND_OPAQUE: &str = "bound-opaque";
/// A public client with certificate-bound tokens (RFC 8705 §4).
const MOBILE: &str = "mobile";
const MOBILE_REDIRECT: &str = "https://mobile.example/cb";
const MTLS_ORIGIN: &str = "https://mtls.op.example";

/// What tests/fixtures/mtls/certificates.json records of each certificate.
fn fixtures() -> &'static Value {
    static FIXTURES: OnceLock<Value> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/mtls/certificates.json")).unwrap()
    })
}

fn der(name: &str) -> Vec<u8> {
    let text = fixtures()[name]["der"].as_str().unwrap();
    <base64ct::Base64 as base64ct::Encoding>::decode_vec(text).unwrap()
}

/// `x5t#S256` of a fixture certificate: base64url(SHA-256(DER)) (RFC 8705 §3.1).
fn x5t(name: &str) -> String {
    b64::encode(&Sha256::digest(der(name)))
}

/// The fixture certificate as the edge reports it: verified when its authority is trusted
/// (the CA-issued ones; self-signed ones fail verification), not revoked.
fn cert(name: &str) -> ClientCertificate {
    cert_as(name, !name.starts_with("self-signed"), false)
}

fn cert_as(name: &str, verified: bool, revoked: bool) -> ClientCertificate {
    let facts = &fixtures()[name];
    let hex: String = Sha256::digest(der(name))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    ClientCertificate::from_host(
        verified,
        revoked,
        &hex,
        facts["subject_dn"].as_str().unwrap(),
        facts["issuer_dn"].as_str().unwrap(),
    )
    .unwrap()
}

/// A client's public JWK for a self-signed fixture, with its certificate as `x5c`.
fn jwk_with_x5c(name: &str, kid: &str) -> Value {
    let mut jwk = fixtures()[name]["jwk"].clone();
    jwk["kid"] = json!(kid);
    jwk["x5c"] = json!([fixtures()[name]["der"]]);
    jwk
}

fn mtls_clients() -> Vec<Value> {
    vec![
        json!({ "client_id": PARTNER, "client_type": "confidential",
                "token_endpoint_auth_method": "tls_client_auth",
                "tls_client_auth_subject_dn": "cn=bank-app,ou=Payments,o=Bank of Tests,c=DE",
                "grant_types": ["client_credentials"], "scopes": ["api:read"] }),
        json!({ "client_id": SELF_SIGNED, "client_type": "confidential",
                "token_endpoint_auth_method": "self_signed_tls_client_auth",
                "jwks": { "keys": [jwk_with_x5c("self-signed-1", "s1")] },
                "grant_types": ["client_credentials"], "scopes": ["api:read"] }),
        json!({ "client_id": REMOTE, "client_type": "confidential",
                "token_endpoint_auth_method": "self_signed_tls_client_auth",
                "jwks_uri": REMOTE_JWKS,
                "grant_types": ["client_credentials"], "scopes": ["api:read"] }),
        json!({ "client_id": BOUND, "client_type": "confidential",
                "token_endpoint_auth_method": "tls_client_auth",
                // The same DN as OpenSSL's RFC 2253 form `CN=Zo\C3\AB,O=Example\, Inc.,C=DE`.
                "tls_client_auth_subject_dn": "CN=Zoë,O=Example\\2C Inc.,C=DE",
                "tls_client_certificate_bound_access_tokens": true,
                "grant_types": ["client_credentials"], "scopes": ["api:read"] }),
        json!({ "client_id": BOUND_OPAQUE, "client_type": "confidential",
                "token_endpoint_auth_method": "self_signed_tls_client_auth",
                "jwks": { "keys": [jwk_with_x5c("self-signed-2", "s2")] },
                "tls_client_certificate_bound_access_tokens": true, "access_token_format": "opaque",
                "grant_types": ["client_credentials"], "scopes": ["api:read"] }),
        json!({ "client_id": MOBILE, "client_type": "public", "token_endpoint_auth_method": "none",
                "tls_client_certificate_bound_access_tokens": true,
                "redirect_uris": [MOBILE_REDIRECT], "grant_types": ["authorization_code", "refresh_token"],
                "scopes": ["openid", "profile", "offline_access"], "first_party": true }),
    ]
}

fn mtls_config() -> Value {
    let mut config = config_json();
    config["clients"]
        .as_array_mut()
        .unwrap()
        .extend(mtls_clients());
    config
}

fn mtls_op() -> Op {
    let op = Op::with_config(mtls_config());
    op.web.serve_json(
        REMOTE_JWKS,
        Some("max-age=3600"),
        &json!({ "keys": [jwk_with_x5c("self-signed-1", "r1")] }),
    );
    op
}

fn at(path: &str) -> String {
    format!("{ISSUER}{path}")
}

/// A `client_credentials` request naming `client_id` alone (RFC 8705 §2: the certificate
/// is the credential), at `url`, with `certificate` on the connection.
fn credentials_request(
    url: &str,
    client_id: &str,
    certificate: Option<ClientCertificate>,
) -> Request {
    let req = Request::new("POST", url).with_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
    ]);
    match certificate {
        Some(certificate) => req.with_client_certificate(certificate),
        None => req,
    }
}

fn token_for(op: &Op, client_id: &str, certificate: Option<ClientCertificate>) -> Response {
    op.send(&credentials_request(&at("/token"), client_id, certificate))
}

fn assert_invalid_client(response: &Response, what: &str) {
    assert_eq!(response.status, 401, "{what}: {}", text(response));
    assert_eq!(body(response)["error"], "invalid_client", "{what}");
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64::decode(payload).unwrap()).unwrap()
}

/// What the service (a confidential client with a secret) learns from `/introspect`.
fn introspect(op: &Op, token: &str) -> Value {
    body(
        &op.send(
            &Request::new("POST", &at("/introspect"))
                .with_form(&[("token", token)])
                .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
        ),
    )
}

fn bearer(url: &str, token: &str, certificate: Option<ClientCertificate>) -> Request {
    let req = Request::new("GET", url).with_header("authorization", &format!("Bearer {token}"));
    match certificate {
        Some(certificate) => req.with_client_certificate(certificate),
        None => req,
    }
}

/// The fixtures are what they say: the SHA-256 OpenSSL printed is that of the DER, and
/// the DNs are RFC 2253 text as OpenSSL writes it (escapes included).
#[test]
fn the_fixture_certificates_are_real() {
    for name in ["ca", "bank-app", "other-app"]
        .into_iter()
        .chain(SELF_SIGNED_FIXTURES)
    {
        let hex: String = Sha256::digest(der(name))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(fixtures()[name]["sha256"], hex, "{name}");
        assert_eq!(der(name)[0], 0x30, "{name}: DER");
    }
    assert_eq!(
        fixtures()["other-app"]["subject_dn"],
        "CN=Zo\\C3\\AB,O=Example\\, Inc.,C=DE"
    );
}

/// §2.1: a certificate the edge verified, with the registered subject DN, authenticates
/// the client; none, an unverified one, a revoked one, another subject, or a header that
/// claims one does not (§2.1: `invalid_client`).
#[test]
fn tls_client_auth_takes_a_verified_certificate_with_the_registered_subject() {
    let op = mtls_op();
    let ok = token_for(&op, PARTNER, Some(cert("bank-app")));
    assert_eq!(ok.status, 200, "{}", text(&ok));
    assert_eq!(body(&ok)["token_type"], "Bearer");
    assert!(
        claims_of(body(&ok)["access_token"].as_str().unwrap())
            .get("cnf")
            .is_none(),
        "§3.4: bound only when the client asks"
    );

    assert_invalid_client(&token_for(&op, PARTNER, None), "no certificate");
    assert_invalid_client(
        &token_for(&op, PARTNER, Some(cert_as("bank-app", false, false))),
        "the edge did not verify it",
    );
    assert_invalid_client(
        &token_for(&op, PARTNER, Some(cert_as("bank-app", true, true))),
        "revoked (Cloudflare reports certVerified SUCCESS for a revoked one)",
    );
    assert_invalid_client(
        &token_for(&op, PARTNER, Some(cert("other-app"))),
        "another subject, same authority",
    );
    assert_invalid_client(
        &token_for(&op, PARTNER, Some(cert_as("self-signed-1", true, false))),
        "another subject, even verified",
    );
    let claimed = credentials_request(&at("/token"), PARTNER, None)
        .with_header(
            "x-ssl-client-s-dn",
            fixtures()["bank-app"]["subject_dn"].as_str().unwrap(),
        )
        .with_header("x-ssl-client-verify", "SUCCESS")
        .with_header(
            "mf-cf-blob",
            r#"{"tlsClientAuth":{"certPresented":"1","certVerified":"SUCCESS"}}"#,
        );
    assert_invalid_client(&op.send(&claimed), "headers are not a certificate");
    // RFC 6749 §2.3: one method; a secret beside the certificate is not this client's way.
    let with_secret = Request::new("POST", &at("/token"))
        .with_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", PARTNER),
            ("client_secret", "anything"),
        ])
        .with_client_certificate(cert("bank-app"));
    assert_invalid_client(&op.send(&with_secret), "a secret instead");
}

/// §2.1.2: the DN is compared as RFC 4514 reads it: types without case, escapes undone
/// (`\2C` is `,`, `\C3\AB` is `ë`), values exactly.
#[test]
fn the_subject_dn_is_compared_as_rfc_4514_reads_it() {
    let op = mtls_op();
    // Configured `CN=Zoë,O=Example\2C Inc.,C=DE`; OpenSSL reports `CN=Zo\C3\AB,O=Example\, Inc.,C=DE`.
    let ok = token_for(&op, BOUND, Some(cert("other-app")));
    assert_eq!(ok.status, 200, "{}", text(&ok));
    let report = |subject: &str| {
        let hex: String = Sha256::digest(der("other-app"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        ClientCertificate::from_host(true, false, &hex, subject, "CN=Test Client CA")
    };
    for (subject, accepted) in [
        ("cn=Zo\\C3\\AB,o=Example\\, Inc.,c=DE", true),
        ("CN=Zoë,O=Example\\, Inc.,C=DE", true),
        ("CN=zoë,O=Example\\, Inc.,C=DE", false),
        ("CN=Zoë,O=Example\\, Inc.", false),
        ("C=DE,O=Example\\, Inc.,CN=Zoë", false),
        ("CN=Zoë, O=Example\\, Inc., C=DE", false),
        ("CN=Zoë+O=Example\\, Inc.,C=DE", false),
        ("", false),
    ] {
        let status = token_for(&op, BOUND, report(subject)).status;
        assert_eq!(status == 200, accepted, "{subject}: {status}");
    }
}

/// §2.2: the certificate that heads the `x5c` of one of the client's keys authenticates it,
/// verified by the edge or not (it is self-signed); another certificate, none, or a
/// revoked one does not, nor does the certificate of another client.
#[test]
fn self_signed_tls_client_auth_takes_a_registered_certificate() {
    let op = mtls_op();
    let ok = token_for(&op, SELF_SIGNED, Some(cert("self-signed-1")));
    assert_eq!(ok.status, 200, "{}", text(&ok));
    assert_invalid_client(&token_for(&op, SELF_SIGNED, None), "no certificate");
    assert_invalid_client(
        &token_for(&op, SELF_SIGNED, Some(cert("self-signed-2"))),
        "another self-signed certificate",
    );
    assert_invalid_client(
        &token_for(&op, SELF_SIGNED, Some(cert("bank-app"))),
        "another client's certificate, verified",
    );
    assert_invalid_client(
        &token_for(
            &op,
            SELF_SIGNED,
            Some(cert_as("self-signed-1", false, true)),
        ),
        "revoked",
    );
    assert_invalid_client(
        &token_for(&op, PARTNER, Some(cert("self-signed-1"))),
        "the self-signed client's certificate for the CA client",
    );
}

/// The self-signed fixtures: a key of each type a JWK here may be (P-256, P-384, RSA,
/// Ed25519), and a P-256 key whose certificate writes its point compressed.
const SELF_SIGNED_FIXTURES: [&str; 6] = [
    "self-signed-1",
    "self-signed-2",
    "self-signed-p384",
    "self-signed-compressed",
    "self-signed-rsa",
    "self-signed-ed25519",
];

/// The configuration with the self-signed client's keys replaced by `keys`, or why it is
/// refused (path and message).
fn self_signed_with_keys(keys: Value) -> Result<Op, (String, String)> {
    let mut config = mtls_config();
    let clients = config["clients"].as_array_mut().unwrap();
    let client = clients.iter_mut().find(|c| c["client_id"] == SELF_SIGNED);
    client.unwrap()["jwks"] = json!({ "keys": keys });
    match Config::from_json(&config.to_string()) {
        Ok(_) => Ok(Op::with_config(config)),
        Err(err) => Err((err.path, err.message)),
    }
}

/// RFC 7517 §4.7 ("The key in the first certificate MUST match the public key represented
/// by other members of the JWK") for §2.2: a certificate that carries its JWK's key
/// authenticates the client, whatever the key's type and however the certificate writes
/// it (OpenSSL made each, and wrote each JWK from the key it reads in it); another key's
/// certificate beside a JWK is refused with the configuration, where it stands.
#[test]
fn the_certificate_of_a_key_must_carry_that_key() {
    for name in SELF_SIGNED_FIXTURES {
        let op = self_signed_with_keys(json!([jwk_with_x5c(name, "k")]))
            .unwrap_or_else(|err| panic!("{name}: {err:?}"));
        let ok = token_for(&op, SELF_SIGNED, Some(cert(name)));
        assert_eq!(ok.status, 200, "{name}: {}", text(&ok));
    }
    for jwk_of in SELF_SIGNED_FIXTURES {
        for certificate_of in SELF_SIGNED_FIXTURES.iter().filter(|c| **c != jwk_of) {
            let mut jwk = jwk_with_x5c(jwk_of, "k");
            jwk["x5c"] = json!([fixtures()[certificate_of]["der"]]);
            let Err((path, message)) = self_signed_with_keys(json!([jwk])) else {
                panic!("the JWK of {jwk_of} with the certificate of {certificate_of} was taken");
            };
            assert!(path.ends_with(".jwks.keys[0].x5c[0]"), "{path}");
            assert!(message.contains("RFC 7517 §4.7"), "{message}");
        }
    }
    // The first certificate is the key's; the rest of the chain may be any certificates.
    let mut chained = jwk_with_x5c("self-signed-1", "k");
    chained["x5c"] = json!([fixtures()["self-signed-1"]["der"], fixtures()["ca"]["der"]]);
    assert!(self_signed_with_keys(json!([chained])).is_ok());
    let mut behind = jwk_with_x5c("self-signed-1", "k");
    behind["x5c"] = json!([fixtures()["ca"]["der"], fixtures()["self-signed-1"]["der"]]);
    assert!(self_signed_with_keys(json!([behind])).is_err());
}

/// A certificate beside a JWK whose key the provider does not read (RFC 7517 §5: such keys
/// are skipped) cannot be checked against it, so it is refused like one that does not read.
#[test]
fn the_certificate_of_an_unread_key_is_refused() {
    let p521 = json!({ "kty": "EC", "crv": "P-521", "kid": "p521",
        "x": "AA", "y": "AA", "x5c": [fixtures()["self-signed-2"]["der"]] });
    let Err((path, message)) =
        self_signed_with_keys(json!([jwk_with_x5c("self-signed-1", "k"), p521]))
    else {
        panic!("a certificate beside a P-521 key was taken");
    };
    assert!(path.ends_with(".jwks.keys[1].x5c[0]"), "{path}");
    assert!(
        message.contains("belongs to a JWK of a type or size the provider skips"),
        "{message}"
    );
}

/// The same rule for keys fetched from a `jwks_uri` and for a client that registers itself
/// (RFC 7591 §3.2.2: `invalid_client_metadata`, saying which certificate and why).
#[test]
fn a_certificate_of_another_key_authenticates_nobody() {
    let op = mtls_op();
    let mut mismatched = jwk_with_x5c("self-signed-1", "r1");
    mismatched["x5c"] = json!([fixtures()["self-signed-2"]["der"]]);
    op.web.serve_json(
        REMOTE_JWKS,
        Some("max-age=3600"),
        &json!({ "keys": [mismatched.clone()] }),
    );
    for name in ["self-signed-1", "self-signed-2"] {
        assert_invalid_client(&token_for(&op, REMOTE, Some(cert(name))), name);
    }

    let mut config = config_json();
    config["registration"] = json!({ "enabled": true });
    let op = Op::with_config(config);
    let mut req = Request::new("POST", &at("/register"))
        .with_header("content-type", "application/json")
        .with_header("cf-connecting-ip", "198.51.100.7");
    req.body = json!({
        "redirect_uris": ["https://registered.example/cb"],
        "token_endpoint_auth_method": "self_signed_tls_client_auth",
        "jwks": { "keys": [mismatched] },
    })
    .to_string()
    .into_bytes();
    let refused = op.send(&req);
    assert_eq!(refused.status, 400, "{}", text(&refused));
    let refused = body(&refused);
    assert_eq!(refused["error"], "invalid_client_metadata");
    let description = refused["error_description"].as_str().unwrap();
    assert!(
        description.contains("jwks.keys[0].x5c[0]") && description.contains("RFC 7517 §4.7"),
        "{description}"
    );
}

/// §2.2 with `jwks_uri`: the keys are fetched; a certificate they lack fetches them again,
/// at most once a minute (a rolled-over certificate is found, a stream of unknown ones
/// costs the client's server one request a minute).
#[test]
fn self_signed_certificates_at_a_jwks_uri_are_fetched_again_for_a_new_one() {
    let op = mtls_op();
    assert_eq!(
        token_for(&op, REMOTE, Some(cert("self-signed-1"))).status,
        200
    );
    assert_eq!(op.web.gets(REMOTE_JWKS), 1);
    // The client rolls over to its second certificate.
    op.web.serve_json(
        REMOTE_JWKS,
        Some("max-age=3600"),
        &json!({ "keys": [jwk_with_x5c("self-signed-2", "r2")] }),
    );
    assert_invalid_client(
        &token_for(&op, REMOTE, Some(cert("self-signed-2"))),
        "within a minute of the last fetch",
    );
    assert_eq!(op.web.gets(REMOTE_JWKS), 1);
    op.advance(61);
    assert_eq!(
        token_for(&op, REMOTE, Some(cert("self-signed-2"))).status,
        200
    );
    assert_eq!(op.web.gets(REMOTE_JWKS), 2);
    assert_invalid_client(
        &token_for(&op, REMOTE, Some(cert("bank-app"))),
        "a certificate the keys lack",
    );
    assert_eq!(
        op.web.gets(REMOTE_JWKS),
        2,
        "no fetch per unknown certificate"
    );
}

/// §2: every endpoint that authenticates clients as the token endpoint does takes the
/// certificate too: introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1).
#[test]
fn introspection_and_revocation_authenticate_with_the_certificate() {
    let op = mtls_op();
    let token = body(&token_for(&op, PARTNER, Some(cert("bank-app"))))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ask = |certificate: Option<ClientCertificate>| {
        let req = Request::new("POST", &at("/introspect"))
            .with_form(&[("token", token.as_str()), ("client_id", PARTNER)]);
        op.send(&match certificate {
            Some(c) => req.with_client_certificate(c),
            None => req,
        })
    };
    let answer = ask(Some(cert("bank-app")));
    assert_eq!(answer.status, 200, "{}", text(&answer));
    assert_eq!(body(&answer)["active"], true);
    assert_invalid_client(&ask(None), "introspection without the certificate");
    assert_invalid_client(&ask(Some(cert("other-app"))), "another certificate");

    let revoke = |certificate: ClientCertificate| {
        op.send(
            &Request::new("POST", &at("/revoke"))
                .with_form(&[("token", token.as_str()), ("client_id", PARTNER)])
                .with_client_certificate(certificate),
        )
    };
    assert_invalid_client(
        &revoke(cert("other-app")),
        "revocation, another certificate",
    );
    // A client-credentials token has no grant to revoke (endpoints/revoke.rs): 200 once
    // the client is authenticated.
    assert_eq!(revoke(cert("bank-app")).status, 200);
}

/// §3.1, §3.2: a client registered for certificate-bound tokens gets `cnf.x5t#S256`, the
/// base64url SHA-256 of its certificate's DER, with `token_type` Bearer; introspection
/// shows the same `cnf`. Opaque tokens carry it too.
#[test]
fn bound_access_tokens_carry_the_certificate_thumbprint() {
    let op = mtls_op();
    let tokens = body(&token_for(&op, BOUND, Some(cert("other-app"))));
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(access)["cnf"],
        json!({ "x5t#S256": x5t("other-app") })
    );
    let answer = introspect(&op, access);
    assert_eq!(answer["active"], true);
    assert_eq!(answer["cnf"], json!({ "x5t#S256": x5t("other-app") }));
    assert_eq!(answer["token_type"], "Bearer");

    let opaque = body(&token_for(&op, BOUND_OPAQUE, Some(cert("self-signed-2"))));
    let opaque = opaque["access_token"].as_str().unwrap();
    assert!(!opaque.contains('.'), "opaque");
    assert_eq!(
        introspect(&op, opaque)["cnf"],
        json!({ "x5t#S256": x5t("self-signed-2") })
    );
}

/// §3.4 ("at the authorization server's discretion"): a client registered for bound
/// tokens that calls without a certificate gets no token at all, never a bearer one; a
/// DPoP proof besides the certificate is refused (one token, one binding).
#[test]
fn a_bound_client_gets_no_unbound_token() {
    let op = mtls_op();
    // The public client names itself alone: nothing but the binding refuses it.
    let (_browser, start, code) = mobile_sign_in(&op, "openid");
    let form = mobile_code_form(&start, &code);
    let without = op.send(&Request::new("POST", &at("/token")).with_form(&form));
    assert_eq!(without.status, 400, "{}", text(&without));
    assert_eq!(body(&without)["error"], "invalid_request");

    let key = dpop_key(41);
    let both = op.send(
        &Request::new("POST", &at("/token"))
            .with_form(&form)
            .with_header(
                "dpop",
                &dpop_proof(&op, &key, "POST", &at("/token"), None, None),
            )
            .with_client_certificate(cert("self-signed-1")),
    );
    assert_eq!(both.status, 400, "{}", text(&both));
    assert_eq!(body(&both)["error"], "invalid_request");
    assert!(text(&both).contains("DPoP"), "{}", text(&both));
}

/// A client not registered for bound tokens that authenticates with its certificate and
/// sends a DPoP proof gets a DPoP-bound token, and only that: `cnf` names the key alone.
#[test]
fn a_token_is_bound_one_way() {
    let op = mtls_op();
    let key = dpop_key(42);
    let url = at("/token");
    let with_proof = |nonce: Option<&str>| {
        op.send(
            &credentials_request(&url, PARTNER, Some(cert("bank-app")))
                .with_header("dpop", &dpop_proof(&op, &key, "POST", &url, None, nonce)),
        )
    };
    let nonce = with_proof(None).header("dpop-nonce").unwrap().to_owned();
    let tokens = with_proof(Some(&nonce));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert_eq!(body(&tokens)["token_type"], "DPoP");
    let cnf = &claims_of(body(&tokens)["access_token"].as_str().unwrap())["cnf"];
    assert_eq!(cnf, &json!({ "jkt": key.thumbprint() }));

    // The configuration refuses a client that asks for both bindings.
    let mut config = mtls_config();
    let clients = config["clients"].as_array_mut().unwrap();
    let last = clients.len() - 1;
    clients[last]["dpop_bound_access_tokens"] = json!(true);
    assert_eq!(
        Config::from_json(&config.to_string()).unwrap_err().path,
        format!("clients[{last}].tls_client_certificate_bound_access_tokens")
    );
}

/// §3: a certificate-bound token is good at `/api/me` over a connection that presents its
/// certificate, and `invalid_token` (401) without one, with another, or as DPoP.
#[test]
fn api_me_takes_a_bound_token_with_its_certificate_only() {
    let op = mtls_op();
    let api = at("/api/me");
    for (client, name) in [(BOUND, "other-app"), (BOUND_OPAQUE, "self-signed-2")] {
        let tokens = body(&token_for(&op, client, Some(cert(name))));
        let access = tokens["access_token"].as_str().unwrap();
        let ok = op.send(&bearer(&api, access, Some(cert(name))));
        assert_eq!(ok.status, 200, "{client}: {}", text(&ok));
        assert_eq!(body(&ok)["client_id"], client);
        assert_eq!(body(&ok)["x5t#S256"], x5t(name));
        for (what, certificate) in [
            ("none", None),
            ("another", Some(cert("bank-app"))),
            ("revoked", Some(cert_as(name, true, true))),
        ] {
            let refused = op.send(&bearer(&api, access, certificate));
            assert_eq!(refused.status, 401, "{client}, {what}");
            assert_eq!(body(&refused)["error"], "invalid_token", "{client}, {what}");
        }
        let as_dpop = op.send(
            &Request::new("GET", &api)
                .with_header("authorization", &format!("DPoP {access}"))
                .with_header(
                    "dpop",
                    &dpop_proof(&op, &dpop_key(43), "GET", &api, Some(access), None),
                )
                .with_client_certificate(cert(name)),
        );
        assert_eq!(as_dpop.status, 401, "{client}: DPoP scheme");
    }
    // A bearer token that is bound to nothing is still refused there.
    let unbound = body(&token_for(&op, PARTNER, Some(cert("bank-app"))));
    let unbound = unbound["access_token"].as_str().unwrap();
    let refused = op.send(&bearer(&api, unbound, Some(cert("bank-app"))));
    assert_eq!(refused.status, 401);
    assert_eq!(body(&refused)["error"], "invalid_token");
}

fn mobile_sign_in<'a>(op: &'a Op, scope: &str) -> (Browser<'a>, AuthStart, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(MOBILE, MOBILE_REDIRECT, scope, &[])));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    (browser, start, code)
}

fn mobile_code_form<'a>(start: &'a AuthStart, code: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", MOBILE_REDIRECT),
        ("client_id", MOBILE),
        ("code_verifier", start.pkce.verifier.expose()),
    ]
}

/// §3 at `/userinfo`, and §4: a public client's tokens and its refresh token are bound to
/// its certificate; the refresh token is refused over a connection with another.
#[test]
fn a_public_clients_tokens_and_refresh_token_are_bound() {
    let op = mtls_op();
    let (_browser, start, code) = mobile_sign_in(&op, "openid profile offline_access");
    let tokens = op.send(
        &Request::new("POST", &at("/token"))
            .with_form(&mobile_code_form(&start, &code))
            .with_client_certificate(cert("self-signed-1")),
    );
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let tokens = body(&tokens);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(access)["cnf"],
        json!({ "x5t#S256": x5t("self-signed-1") })
    );
    let userinfo = at("/userinfo");
    let ok = op.send(&bearer(&userinfo, access, Some(cert("self-signed-1"))));
    assert_eq!(ok.status, 200, "{}", text(&ok));
    assert_eq!(body(&ok)["sub"], "248289761001");
    for certificate in [None, Some(cert("self-signed-2"))] {
        let refused = op.send(&bearer(&userinfo, access, certificate));
        assert_eq!(refused.status, 401);
        assert_eq!(body(&refused)["error"], "invalid_token");
        assert!(
            refused
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer error=\"invalid_token\"")
        );
    }

    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        introspect(&op, refresh)["cnf"],
        json!({ "x5t#S256": x5t("self-signed-1") }),
        "§3.2 for the refresh token"
    );
    let refresh_with = |certificate: ClientCertificate| {
        op.send(
            &Request::new("POST", &at("/token"))
                .with_form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh),
                    ("client_id", MOBILE),
                ])
                .with_client_certificate(certificate),
        )
    };
    let stolen = refresh_with(cert("self-signed-2"));
    assert_eq!(stolen.status, 400, "{}", text(&stolen));
    assert_eq!(body(&stolen)["error"], "invalid_grant");
    let refreshed = refresh_with(cert("self-signed-1"));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    assert_eq!(
        claims_of(body(&refreshed)["access_token"].as_str().unwrap())["cnf"],
        json!({ "x5t#S256": x5t("self-signed-1") })
    );
}

/// RFC 8693 with RFC 8705: a certificate-bound subject token is exchanged only over a
/// connection that presents its certificate, and what it becomes is bound to it too.
#[test]
fn an_exchange_keeps_the_certificate_binding() {
    let mut config = mtls_config();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": "gateway", "client_type": "confidential",
        "token_endpoint_auth_method": "self_signed_tls_client_auth",
        "jwks": { "keys": [jwk_with_x5c("self-signed-1", "g1"), jwk_with_x5c("self-signed-2", "g2")] },
        "grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"], "scopes": ["openid", "profile"],
        "token_exchange_impersonation": true
    }));
    let op = Op::with_config(config);
    let (_browser, start, code) = mobile_sign_in(&op, "openid profile");
    let tokens = body(
        &op.send(
            &Request::new("POST", &at("/token"))
                .with_form(&mobile_code_form(&start, &code))
                .with_client_certificate(cert("self-signed-1")),
        ),
    );
    let subject = tokens["access_token"].as_str().unwrap();
    let exchange = |certificate: ClientCertificate| {
        op.send(
            &Request::new("POST", &at("/token"))
                .with_form(&[
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                    ),
                    ("client_id", "gateway"),
                    ("subject_token", subject),
                    (
                        "subject_token_type",
                        "urn:ietf:params:oauth:token-type:access_token",
                    ),
                    ("resource", &at("/api/me")),
                ])
                .with_client_certificate(certificate),
        )
    };
    // The gateway may authenticate with either certificate; the subject token is bound to
    // self-signed-1.
    let elsewhere = exchange(cert("self-signed-2"));
    assert_eq!(elsewhere.status, 400, "{}", text(&elsewhere));
    assert_eq!(body(&elsewhere)["error"], "invalid_request");
    let exchanged = exchange(cert("self-signed-1"));
    assert_eq!(exchanged.status, 200, "{}", text(&exchanged));
    assert_eq!(
        claims_of(body(&exchanged)["access_token"].as_str().unwrap())["cnf"],
        json!({ "x5t#S256": x5t("self-signed-1") })
    );
}

/// RFC 8705 §3.3 and §2.1.1/§2.2.1: discovery says tokens may be certificate-bound and
/// lists the methods the clients use, for the token, revocation and introspection
/// endpoints; no aliases without an mTLS origin.
#[test]
fn discovery_lists_the_methods_and_binding() {
    let op = mtls_op();
    let doc = body(&op.send(&Request::new(
        "GET",
        &at("/.well-known/openid-configuration"),
    )));
    assert_eq!(doc["tls_client_certificate_bound_access_tokens"], true);
    for list in [
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ] {
        let methods = doc[list].as_array().unwrap();
        for method in ["tls_client_auth", "self_signed_tls_client_auth"] {
            assert!(methods.contains(&json!(method)), "{list}: {method}");
        }
    }
    assert!(doc.get("mtls_endpoint_aliases").is_none());
}

fn aliased_op() -> Op {
    let mut config = mtls_config();
    config["mtls"] = json!({ "endpoint_origin": MTLS_ORIGIN });
    Op::with_config(config)
}

/// §5: with an mTLS origin, discovery lists the endpoints that take certificates there
/// (`mtls_endpoint_aliases`), and the provider serves them there, and only them.
#[test]
fn the_mtls_origin_serves_the_aliased_endpoints_only() {
    let op = aliased_op();
    let doc = body(&op.send(&Request::new(
        "GET",
        &at("/.well-known/openid-configuration"),
    )));
    let aliases = doc["mtls_endpoint_aliases"].as_object().unwrap();
    let mut names: Vec<&str> = aliases.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "introspection_endpoint",
            "pushed_authorization_request_endpoint",
            "revocation_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
        ],
        "device and CIBA endpoints only where a client may use them"
    );
    assert_eq!(aliases["token_endpoint"], format!("{MTLS_ORIGIN}/token"));
    assert_eq!(doc["token_endpoint"], at("/token"), "the main ones stay");

    let tokens = op.send(&credentials_request(
        &format!("{MTLS_ORIGIN}/token"),
        BOUND,
        Some(cert("other-app")),
    ));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let access = body(&tokens)["access_token"].as_str().unwrap().to_owned();
    let me = op.send(&bearer(
        &format!("{MTLS_ORIGIN}/api/me"),
        &access,
        Some(cert("other-app")),
    ));
    assert_eq!(me.status, 200, "{}", text(&me));
    for path in [
        "/authorize?client_id=spa",
        "/login",
        "/.well-known/openid-configuration",
        "/jwks",
        "/end_session",
    ] {
        // Its host on another port or scheme, as the edge may serve it, is the same host.
        for origin in [
            MTLS_ORIGIN,
            "https://mtls.op.example:8443",
            "http://mtls.op.example",
            "https://MTLS.op.example.",
        ] {
            let response = op.send(&Request::new("GET", &format!("{origin}{path}")));
            assert_eq!(response.status, 404, "{origin}{path}");
        }
    }
}

/// §5 with RFC 7523 §3 and RFC 9449 §4.3: at the alias, a `private_key_jwt` assertion may
/// name the alias's token endpoint as its audience, and a DPoP proof's `htu` is the alias
/// URL the request went to.
#[test]
fn assertions_and_proofs_name_the_alias() {
    let private = SigningKeys::generate_key(Alg::Es256, Some("jwt-key")).unwrap();
    let mut public = private.clone();
    public.as_object_mut().unwrap().remove("d");
    let signer = SigningKeys::from_jwks_json(&json!({ "keys": [private] }).to_string()).unwrap();
    let mut config = mtls_config();
    config["mtls"] = json!({ "endpoint_origin": MTLS_ORIGIN });
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": "jwt-client", "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt", "jwks": { "keys": [public] },
        "grant_types": ["client_credentials"], "scopes": ["api:read"]
    }));
    let op = Op::with_config(config);
    let assertion = |aud: &str| {
        let claims = json!({
            "iss": "jwt-client", "sub": "jwt-client", "aud": aud, "exp": op.now() + 60,
            "jti": oidc_edge::random::token(16).unwrap(),
        });
        let mut header = Map::new();
        header.insert("kid".into(), json!("jwt-key"));
        let input = signing_input(header, Alg::Es256, claims.to_string().as_bytes());
        let signature = run_ready(signer.sign("jwt-key", Alg::Es256, input.as_bytes())).unwrap();
        assemble(&input, &signature)
    };
    let alias = format!("{MTLS_ORIGIN}/token");
    let key = dpop_key(44);
    let send = |aud: &str, nonce: Option<&str>| {
        let assertion = assertion(aud);
        op.send(
            &Request::new("POST", &alias)
                .with_form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ])
                .with_header("dpop", &dpop_proof(&op, &key, "POST", &alias, None, nonce)),
        )
    };
    let first = send(&alias, None);
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let ok = send(&alias, Some(&nonce));
    assert_eq!(ok.status, 200, "{}", text(&ok));
    assert_eq!(body(&ok)["token_type"], "DPoP");
    assert_eq!(send(ISSUER, Some(&nonce)).status, 200, "the issuer");
    assert_invalid_client(
        &send("https://other.example/token", Some(&nonce)),
        "another server's",
    );
}

/// The configuration: `mtls.endpoint_origin` is an https origin other than the issuer's;
/// a client's mTLS metadata is complete and coherent (RFC 8705 §2.1.2, §2.2, §3.4).
#[test]
fn the_configuration_checks_mtls() {
    let refused = |config: &Value| Config::from_json(&config.to_string()).unwrap_err();
    for origin in [
        json!("http://mtls.op.example"),
        json!("http://localhost:8443"),
        json!("https://mtls.op.example/"),
        json!("https://mtls.op.example/token"),
        json!("https://MTLS.op.example"),
        json!("https://mtls.op.example:443"),
        json!(ISSUER),
        json!(7),
    ] {
        let mut config = mtls_config();
        config["mtls"] = json!({ "endpoint_origin": origin });
        assert_eq!(refused(&config).path, "mtls.endpoint_origin", "{origin}");
    }
    // The issuer's origin as a browser or client sends it (RFC 6454 §6.2), however the
    // issuer is written.
    let mut config = mtls_config();
    config["issuer"] = json!(ISSUER.replace("op.example", "OP.example") + ":443");
    config["mtls"] = json!({ "endpoint_origin": ISSUER });
    assert_eq!(refused(&config).path, "mtls.endpoint_origin");
    let mut config = mtls_config();
    config["mtls"] = json!({ "endpoint_origin": MTLS_ORIGIN, "aliases": [] });
    assert_eq!(refused(&config).path, "mtls.aliases");

    let base = mtls_config();
    let index = |id: &str| {
        base["clients"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["client_id"] == id)
            .unwrap()
    };
    let path = |id: &str, change: &dyn Fn(&mut Value)| {
        let mut config = base.clone();
        change(&mut config["clients"][index(id)]);
        let err = refused(&config);
        (err.path, err.message)
    };
    let at = |id: &str, field: &str| format!("clients[{}].{field}", index(id));
    for (change, field) in [
        (
            &(|c: &mut Value| {
                c.as_object_mut()
                    .unwrap()
                    .remove("tls_client_auth_subject_dn");
            }) as &dyn Fn(&mut Value),
            "tls_client_auth_subject_dn",
        ),
        (
            &|c: &mut Value| c["tls_client_auth_subject_dn"] = json!("CN=bank-app, O=x"),
            "tls_client_auth_subject_dn",
        ),
        (
            &|c: &mut Value| c["tls_client_auth_subject_dn"] = json!(""),
            "tls_client_auth_subject_dn",
        ),
        (
            &|c: &mut Value| c["client_secret_hash"] = json!("$pbkdf2-sha256$i=1$AA$AA"),
            "client_secret_hash",
        ),
        (
            &|c: &mut Value| {
                c["client_type"] = json!("public");
            },
            "token_endpoint_auth_method",
        ),
    ] {
        assert_eq!(path(PARTNER, change).0, at(PARTNER, field), "{field}");
    }
    assert_eq!(
        path(SELF_SIGNED, &|c| c["tls_client_auth_subject_dn"] =
            json!("CN=x"))
        .0,
        at(SELF_SIGNED, "tls_client_auth_subject_dn"),
        "a DN is for tls_client_auth only"
    );
    let (field, message) = path(SELF_SIGNED, &|c| {
        c["jwks"]["keys"][0].as_object_mut().unwrap().remove("x5c");
    });
    assert_eq!(field, at(SELF_SIGNED, "jwks"));
    assert!(message.contains("x5c"), "{message}");
    assert_eq!(
        path(SELF_SIGNED, &|c| {
            c.as_object_mut().unwrap().remove("jwks");
        })
        .0,
        at(SELF_SIGNED, "jwks")
    );
    // RFC 7517 §4.7: base64 DER, not base64url (the fixture's base64 has `+` and `/`).
    let der_b64url = b64::encode(&der("self-signed-1"));
    assert!(der_b64url.contains(['-', '_']));
    // RFC 5280 §4.1: a SEQUENCE that is not a certificate, or a certificate with a byte after.
    let trailing = [der("self-signed-1"), vec![0]].concat();
    let trailing = <base64ct::Base64 as base64ct::Encoding>::encode_string(&trailing);
    for bad in [
        json!([der_b64url]),
        json!([]),
        json!("MII"),
        json!(["AAAA"]),
        json!(["MAA="]),
        json!([trailing]),
    ] {
        let (field, _) = path(SELF_SIGNED, &|c| c["jwks"]["keys"][0]["x5c"] = bad.clone());
        assert!(
            field.starts_with(&at(SELF_SIGNED, "jwks.keys[0].x5c")),
            "{bad}: {field}"
        );
    }
    assert!(Config::from_json(&base.to_string()).is_ok());
}

/// RFC 7591 with RFC 8705 §2.1.2 and §2.2: a client that registers itself may authenticate
/// with a certificate, checked as a configured one is.
#[test]
fn a_registered_client_may_use_mutual_tls() {
    // No configured client uses mutual TLS: what discovery lists is what registration takes.
    let mut config = config_json();
    config["registration"] = json!({ "enabled": true });
    let op = Op::with_config(config);
    let register = |metadata: Value| {
        let mut req = Request::new("POST", &at("/register"))
            .with_header("content-type", "application/json")
            .with_header("cf-connecting-ip", "198.51.100.7");
        req.body = metadata.to_string().into_bytes();
        op.send(&req)
    };
    let registered = register(json!({
        "redirect_uris": ["https://registered.example/cb"],
        "token_endpoint_auth_method": "self_signed_tls_client_auth",
        "jwks": { "keys": [jwk_with_x5c("self-signed-2", "reg")] },
        "tls_client_certificate_bound_access_tokens": true,
    }));
    assert_eq!(registered.status, 201, "{}", text(&registered));
    let registered = body(&registered);
    assert!(registered.get("client_secret").is_none());
    assert_eq!(
        registered["tls_client_certificate_bound_access_tokens"],
        true
    );
    let client_id = registered["client_id"].as_str().unwrap();
    // RFC 7009 §2.2: an unknown token is 200, once the client is authenticated.
    let revoked = op.send(
        &Request::new("POST", &at("/revoke"))
            .with_form(&[("token", "unknown"), ("client_id", client_id)])
            .with_client_certificate(cert("self-signed-2")),
    );
    assert_eq!(revoked.status, 200, "{}", text(&revoked));
    assert_invalid_client(
        &op.send(
            &Request::new("POST", &at("/revoke"))
                .with_form(&[("token", "unknown"), ("client_id", client_id)])
                .with_client_certificate(cert("self-signed-1")),
        ),
        "another certificate",
    );
    let tls = register(json!({
        "redirect_uris": ["https://registered.example/cb"],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=bank-app,OU=Payments,O=Bank of Tests,C=DE",
    }));
    assert_eq!(tls.status, 201, "{}", text(&tls));
    let discovery = body(&op.send(&Request::new(
        "GET",
        &at("/.well-known/openid-configuration"),
    )));
    let methods = discovery["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for method in ["tls_client_auth", "self_signed_tls_client_auth"] {
        assert!(methods.contains(&json!(method)), "{method}");
    }
}

/// RFC 7517 §4.7 matters only to a client that authenticates with its certificate (RFC 8705
/// §2.2): any other client's keys load with an `x5c` that does not read (base64url, empty,
/// not an array) or carries another key, as they did before certificates were read.
#[test]
fn an_unreadable_x5c_is_refused_only_where_it_is_used() {
    let der_b64url = b64::encode(&der("self-signed-1"));
    let another_key = json!([fixtures()["self-signed-2"]["der"]]);
    for bad in [json!([der_b64url]), json!([]), json!("MII"), another_key] {
        let mut jwk = jwk_with_x5c("self-signed-1", "pk");
        jwk["x5c"] = bad.clone();
        let mut config = config_json();
        config["clients"].as_array_mut().unwrap().push(json!({
            "client_id": "assertions", "client_type": "confidential",
            "token_endpoint_auth_method": "private_key_jwt", "jwks": { "keys": [jwk] },
            "grant_types": ["client_credentials"], "scopes": ["api:read"]
        }));
        assert!(Config::from_json(&config.to_string()).is_ok(), "{bad}");
    }
}
