//! The FAPI 2.0 Security Profile (Final) for clients with `"profile": "fapi2"`: what the
//! configuration refuses or sets, and what each request must then be: pushed (§5.3.2.2),
//! with PKCE S256 (§5.3.2.2), from a confidential client authenticating with
//! `private_key_jwt` (§5.3.3), for DPoP-bound access tokens only (§5.3.2.1), every JWS in
//! PS256, ES256 or EdDSA (§5.4.1), codes of at most 60 s (§5.3.2.1), `iss` in the response
//! (§5.3.2.2, RFC 9207).

use oidc_edge::jose::Alg;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::config::Config;
use oidc_edge::op::form::encode;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::{Request, Response, TokenSigner};
use serde_json::{Map, Value, json};

use crate::op_support::*;

const BANK: &str = "bank-app";
const BANK_REDIRECT: &str = "https://bank.example/cb";

/// The FAPI 2.0 client as an operator writes it: the profile, its keys, nothing else
/// of the profile's.
fn bank(keys: &[&ClientKey]) -> Value {
    json!({
        "client_id": BANK, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": keys.iter().map(|k| k.public.clone()).collect::<Vec<_>>() },
        "redirect_uris": [BANK_REDIRECT], "scopes": ["openid", "email"], "first_party": true,
        "profile": "fapi2"
    })
}

fn config_with(client: Value) -> Value {
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(client);
    config
}

/// The provider's keys: ES256 only, as FAPI 2.0 allows.
fn es256_keys() -> Value {
    SigningKeys::generate(Some("op-es256")).unwrap()
}

fn refused_at(config: &Value) -> String {
    Config::from_json(&config.to_string()).unwrap_err().path
}

/// An assertion (RFC 7523 §3) of the client, signed by `key`, meant for the issuer.
fn assertion(op: &Op, key: &ClientKey) -> String {
    let jti = oidc_edge::random::token(16).unwrap();
    sign(key, &assertion_claims(op, BANK, &jti), &[])
}

fn push(op: &Op, key: &ClientKey, start: &AuthStart, pkce: bool) -> Response {
    let mut form = vec![
        ("response_type", "code"),
        ("client_id", BANK),
        ("redirect_uri", BANK_REDIRECT),
        ("scope", "openid"),
        ("state", start.state.as_str()),
        ("nonce", start.nonce.as_str()),
    ];
    if pkce {
        form.extend_from_slice(&[
            ("code_challenge", start.pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]);
    }
    let assertion = assertion(op, key);
    op.send(
        &Request::new("POST", &format!("{ISSUER}/par"))
            .with_form(&with_assertion(&form, &assertion)),
    )
}

/// A DPoP proof (RFC 9449 §4.2) signed with an RSA key under RS256: a JWS FAPI 2.0 does
/// not allow.
fn rs256_proof(op: &Op, key: &ClientKey, htu: &str, nonce: Option<&str>) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), key.public.clone());
    let mut claims = json!({
        "jti": oidc_edge::random::token(16).unwrap(), "htm": "POST", "htu": htu, "iat": op.now(),
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    let input = signing_input(header, Alg::Rs256, claims.to_string().as_bytes());
    let signature = run_ready(key.private.sign(&key.kid, Alg::Rs256, input.as_bytes())).unwrap();
    assemble(&input, &signature)
}

/// §5.3.2.2, §5.3.3, §5.3.2.1, RFC 9207: the whole flow as FAPI 2.0 has it, through PAR
/// with `private_key_jwt`, PKCE and a DPoP-bound token; a plain request, a push without
/// PKCE and a token request without DPoP are refused with `invalid_request`.
#[test]
fn a_fapi2_client_gets_tokens_only_the_fapi2_way() {
    let key = client_key(Alg::Es256, "bank-es256");
    let op = Op::with_config_and_keys(config_with(bank(&[&key])), es256_keys());
    let start = AuthStart::new();

    let plain = Browser::new(&op).get(&start.url(BANK, BANK_REDIRECT, "openid", &[]));
    assert_eq!(
        redirect_params(&location(&plain)).get("error"),
        Some("invalid_request"),
        "§5.3.2.2: only pushed requests"
    );
    let no_pkce = push(&op, &key, &start, false);
    assert_eq!(no_pkce.status, 400, "{}", text(&no_pkce));
    assert_eq!(body(&no_pkce)["error"], "invalid_request", "§5.3.2.2: PKCE");

    let pushed = push(&op, &key, &start, true);
    assert_eq!(pushed.status, 201, "{}", text(&pushed));
    let request_uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let browser = Browser::new(&op);
    let query = encode(&[("client_id", BANK), ("request_uri", &request_uri)]);
    let to_login = location(&browser.get(&format!("/authorize?{query}")));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let params = redirect_params(&back);
    assert_eq!(params.get("iss"), Some(ISSUER), "§5.3.2.2, RFC 9207");
    let code = params.get("code").unwrap().to_owned();

    let token_url = format!("{ISSUER}/token");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", BANK_REDIRECT),
        ("code_verifier", start.pkce.verifier.expose()),
    ];
    let bearer_assertion = assertion(&op, &key);
    let bearer = op.send(&token_request(&with_assertion(&form, &bearer_assertion)));
    assert_eq!(bearer.status, 400, "§5.3.2.1: no bearer tokens");
    assert_eq!(body(&bearer)["error"], "invalid_request");

    let dpop = dpop_key(7);
    let first_assertion = assertion(&op, &key);
    let first = op.send(
        &token_request(&with_assertion(&form, &first_assertion)).with_header(
            "dpop",
            &dpop_proof(&op, &dpop, "POST", &token_url, None, None),
        ),
    );
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let second_assertion = assertion(&op, &key);
    let tokens = op.send(
        &token_request(&with_assertion(&form, &second_assertion)).with_header(
            "dpop",
            &dpop_proof(&op, &dpop, "POST", &token_url, None, Some(&nonce)),
        ),
    );
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert_eq!(body(&tokens)["token_type"], "DPoP");
    let id_token = body(&tokens)["id_token"].as_str().unwrap().to_owned();
    let header = oidc_edge::jose::CompactJws::parse(&id_token)
        .unwrap()
        .header()
        .alg;
    assert_eq!(header, Alg::Es256, "§5.4.1");
}

/// §5.4.1: what the client signs uses PS256, ES256 or EdDSA only: an assertion, a request
/// object and a DPoP proof signed RS256 by the client's own registered RSA key are refused.
#[test]
fn a_fapi2_client_signs_with_the_profiles_algorithms_only() {
    let es = client_key(Alg::Es256, "bank-es256");
    let rsa = client_key(Alg::Rs256, "bank-rs256");
    let op = Op::with_config_and_keys(config_with(bank(&[&es, &rsa])), es256_keys());
    let start = AuthStart::new();

    let rs_push = push(&op, &rsa, &start, true);
    assert_eq!(rs_push.status, 401, "{}", text(&rs_push));
    assert_eq!(body(&rs_push)["error"], "invalid_client");

    let now = op.now();
    let object = json!({
        "iss": BANK, "aud": ISSUER, "jti": "rs-object", "iat": now, "exp": now + 60,
        "client_id": BANK, "response_type": "code", "redirect_uri": BANK_REDIRECT,
        "scope": "openid", "code_challenge": start.pkce.challenge.as_str(),
        "code_challenge_method": "S256",
    });
    let rs_object = sign(&rsa, &object, &[]);
    let es_assertion = assertion(&op, &es);
    let response = op.send(
        &Request::new("POST", &format!("{ISSUER}/par"))
            .with_form(&with_assertion(&[("request", &rs_object)], &es_assertion)),
    );
    assert_eq!(response.status, 400, "{}", text(&response));
    assert_eq!(body(&response)["error"], "invalid_request_object");

    let token_url = format!("{ISSUER}/token");
    let es_assertion = assertion(&op, &es);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "c"),
        ("redirect_uri", BANK_REDIRECT),
    ];
    let nonce = op
        .send(
            &token_request(&with_assertion(&form, &es_assertion)).with_header(
                "dpop",
                &dpop_proof(&op, &dpop_key(3), "POST", &token_url, None, None),
            ),
        )
        .header("dpop-nonce")
        .unwrap()
        .to_owned();
    let es_assertion = assertion(&op, &es);
    let rs_dpop = op.send(
        &token_request(&with_assertion(&form, &es_assertion))
            .with_header("dpop", &rs256_proof(&op, &rsa, &token_url, Some(&nonce))),
    );
    assert_eq!(rs_dpop.status, 400, "{}", text(&rs_dpop));
    assert_eq!(body(&rs_dpop)["error"], "invalid_dpop_proof");
}

/// What the profile decides is set by it, and refused when written otherwise: pushed
/// requests and DPoP-bound tokens; what it leaves open must be a choice it allows.
#[test]
fn the_configuration_holds_a_client_to_the_profile() {
    let key = client_key(Alg::Es256, "k");
    let parsed = Config::from_json(&config_with(bank(&[&key])).to_string()).unwrap();
    let client = parsed.client(BANK).unwrap();
    assert!(client.is_fapi2());
    assert!(client.authorization.require_pushed_authorization_requests);
    assert!(client.dpop_bound_access_tokens);

    let path = |change: &dyn Fn(&mut Value)| {
        let mut client = bank(&[&key]);
        change(&mut client);
        refused_at(&config_with(client))
    };
    let at = |field: &str| format!("clients[3].{field}");
    assert_eq!(path(&|c| c["profile"] = json!("fapi1")), at("profile"));
    assert_eq!(
        path(&|c| c["require_pushed_authorization_requests"] = json!(false)),
        at("require_pushed_authorization_requests")
    );
    assert_eq!(
        path(&|c| c["dpop_bound_access_tokens"] = json!(false)),
        at("dpop_bound_access_tokens")
    );
    for field in [
        "request_object_signing_alg",
        "authorization_signed_response_alg",
        "id_token_signed_response_alg",
        "introspection_signed_response_alg",
    ] {
        assert_eq!(path(&|c| c[field] = json!("RS256")), at(field), "{field}");
    }
    let secret = oidc_edge::op::password::PasswordHash::create(b"a secret of the bank app", 1_000)
        .unwrap()
        .to_string();
    assert_eq!(
        path(&|c| {
            c["token_endpoint_auth_method"] = json!("client_secret_basic");
            c["client_secret_hash"] = json!(secret);
            c.as_object_mut().unwrap().remove("jwks");
        }),
        at("token_endpoint_auth_method")
    );
    assert_eq!(
        path(&|c| {
            c["client_type"] = json!("public");
            c["token_endpoint_auth_method"] = json!("none");
        }),
        at("token_endpoint_auth_method")
    );

    // §5.3.2.1 and §5.3.2.2: the lifetimes, once a client has the profile.
    let mut config = config_with(bank(&[&key]));
    config["lifetimes"]["code"] = json!(61);
    assert_eq!(refused_at(&config), "lifetimes.code");
    let mut config = config_with(bank(&[&key]));
    config["lifetimes"]["par"] = json!(600);
    assert_eq!(refused_at(&config), "lifetimes.par");
    let mut config = config_json();
    config["lifetimes"]["code"] = json!(600);
    config["lifetimes"]["par"] = json!(600);
    assert!(
        Config::from_json(&config.to_string()).is_ok(),
        "no FAPI client, no FAPI lifetimes"
    );
}

/// §5.4.1 with the signing keys: a FAPI 2.0 client's ID tokens, signed responses and
/// introspection answers would be RS256 by default where an RS256 key signs (OpenID
/// Connect's default), so the client must name another; the access tokens take the last
/// key's algorithm, which must be one of the profile's.
#[test]
fn the_signing_keys_must_suit_a_fapi2_client() {
    let key = client_key(Alg::Es256, "k");
    let rs = SigningKeys::generate_key(Alg::Rs256, Some("rs")).unwrap();
    let es = SigningKeys::generate_key(Alg::Es256, Some("es")).unwrap();
    let check = |client: Value, keys: Value| {
        Config::from_json(&config_with(client).to_string())
            .unwrap()
            .check_signing_keys(&SigningKeys::from_jwks_json(&keys.to_string()).unwrap())
            .map_err(|err| err.path)
    };
    let rs_then_es = json!({ "keys": [rs, es] });
    assert_eq!(
        check(bank(&[&key]), rs_then_es.clone()),
        Err("clients[3].id_token_signed_response_alg".into())
    );
    let mut named = bank(&[&key]);
    for field in [
        "id_token_signed_response_alg",
        "authorization_signed_response_alg",
        "introspection_signed_response_alg",
    ] {
        named[field] = json!("ES256");
    }
    assert_eq!(check(named.clone(), rs_then_es), Ok(()));
    assert_eq!(
        check(named, json!({ "keys": [es, rs] })),
        Err("OIDC_SIGNING_KEYS".into()),
        "access tokens signed RS256"
    );
    assert_eq!(check(bank(&[&key]), es256_keys()), Ok(()));
}

/// §5.3.2.2, FAPI 2.0 leaves nothing to the plain request: the same request by value
/// (signed) is refused too, since it is not pushed.
#[test]
fn a_signed_request_by_value_is_not_enough() {
    let key = client_key(Alg::Es256, "bank-es256");
    let op = Op::with_config_and_keys(config_with(bank(&[&key])), es256_keys());
    let start = AuthStart::new();
    let now = op.now();
    let object = json!({
        "iss": BANK, "aud": ISSUER, "jti": "by-value", "iat": now, "exp": now + 60,
        "client_id": BANK, "response_type": "code", "redirect_uri": BANK_REDIRECT,
        "scope": "openid", "state": start.state, "code_challenge": start.pkce.challenge.as_str(),
        "code_challenge_method": "S256",
    });
    let request = sign(&key, &object, &[]);
    let query = encode(&[("client_id", BANK), ("request", &request)]);
    let back = location(&Browser::new(&op).get(&format!("/authorize?{query}")));
    let params = redirect_params(&back);
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));
}

/// The `bank-app` certificate of tests/fixtures/mtls as Cloudflare's edge reports it:
/// verified by the trusted authority, its SHA-256 and subject.
fn bank_certificate() -> oidc_edge::op::mtls::ClientCertificate {
    let facts: Value =
        serde_json::from_str(include_str!("../fixtures/mtls/certificates.json")).unwrap();
    let facts = &facts["bank-app"];
    oidc_edge::op::mtls::ClientCertificate::from_host(
        true,
        false,
        facts["sha256"].as_str().unwrap(),
        facts["subject_dn"].as_str().unwrap(),
        facts["issuer_dn"].as_str().unwrap(),
    )
    .unwrap()
}

/// The FAPI 2.0 client authenticating with mutual TLS, its tokens bound to the certificate.
fn mtls_bank() -> Value {
    json!({
        "client_id": BANK, "client_type": "confidential",
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=bank-app,OU=Payments,O=Bank of Tests,C=DE",
        "tls_client_certificate_bound_access_tokens": true,
        "redirect_uris": [BANK_REDIRECT], "scopes": ["openid", "email"], "first_party": true,
        "profile": "fapi2"
    })
}

/// §5.3.3 and §5.3.2.1 with RFC 8705: mutual TLS is a FAPI 2.0 client authentication and
/// certificate-bound tokens a FAPI 2.0 sender constraint, DPoP then not forced: the whole
/// flow through PAR, with the certificate; a token request without it, or with a DPoP
/// proof besides it, gets nothing.
#[test]
fn a_fapi2_client_may_use_mutual_tls_instead() {
    let parsed = Config::from_json(&config_with(mtls_bank()).to_string()).unwrap();
    let client = parsed.client(BANK).unwrap();
    assert!(client.tls_client_certificate_bound_access_tokens);
    assert!(!client.dpop_bound_access_tokens, "DPoP is not forced");
    let mut explicit = mtls_bank();
    explicit["dpop_bound_access_tokens"] = json!(false);
    assert!(Config::from_json(&config_with(explicit).to_string()).is_ok());

    let op = Op::with_config_and_keys(config_with(mtls_bank()), es256_keys());
    let start = AuthStart::new();
    let pushed = op.send(
        &Request::new("POST", &format!("{ISSUER}/par"))
            .with_form(&[
                ("response_type", "code"),
                ("client_id", BANK),
                ("redirect_uri", BANK_REDIRECT),
                ("scope", "openid"),
                ("state", start.state.as_str()),
                ("nonce", start.nonce.as_str()),
                ("code_challenge", start.pkce.challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .with_client_certificate(bank_certificate()),
    );
    assert_eq!(pushed.status, 201, "{}", text(&pushed));
    let request_uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let browser = Browser::new(&op);
    let query = encode(&[("client_id", BANK), ("request_uri", &request_uri)]);
    let to_login = location(&browser.get(&format!("/authorize?{query}")));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", BANK_REDIRECT),
        ("client_id", BANK),
        ("code_verifier", start.pkce.verifier.expose()),
    ];
    let token_url = format!("{ISSUER}/token");
    let without = op.send(&token_request(&form));
    assert_eq!(without.status, 401, "{}", text(&without));
    assert_eq!(body(&without)["error"], "invalid_client");
    let with_dpop = op.send(
        &token_request(&form)
            .with_header(
                "dpop",
                &dpop_proof(&op, &dpop_key(8), "POST", &token_url, None, None),
            )
            .with_client_certificate(bank_certificate()),
    );
    assert_eq!(with_dpop.status, 400, "{}", text(&with_dpop));
    assert_eq!(body(&with_dpop)["error"], "invalid_request");
    let tokens = op.send(&token_request(&form).with_client_certificate(bank_certificate()));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    assert_eq!(body(&tokens)["token_type"], "Bearer");
    let access = body(&tokens)["access_token"].as_str().unwrap().to_owned();
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&oidc_edge::b64::decode(payload).unwrap()).unwrap();
    assert!(claims["cnf"]["x5t#S256"].is_string(), "{claims}");
    let userinfo = |certificate: bool| {
        let req = Request::new("GET", &format!("{ISSUER}/userinfo"))
            .with_header("authorization", &format!("Bearer {access}"));
        op.send(&if certificate {
            req.with_client_certificate(bank_certificate())
        } else {
            req
        })
    };
    assert_eq!(userinfo(true).status, 200);
    assert_eq!(userinfo(false).status, 401, "§5.3.2.1: no bearer fallback");
}

/// An RSA key a DPoP client holds, able to sign PS256 (which FAPI 2.0 allows) and RS256
/// (which it does not): the same key, so the same thumbprint, either way.
struct RsaDpopKey {
    keys: SigningKeys,
    public: Value,
}

fn rsa_dpop_key() -> RsaDpopKey {
    let ps = SigningKeys::generate_key(Alg::Ps256, Some("d-ps")).unwrap();
    let mut rs = ps.clone();
    rs["alg"] = json!("RS256");
    rs["kid"] = json!("d-rs");
    let public = json!({ "kty": "RSA", "n": ps["n"], "e": ps["e"] });
    RsaDpopKey {
        keys: SigningKeys::from_jwks_json(&json!({ "keys": [ps, rs] }).to_string()).unwrap(),
        public,
    }
}

/// A DPoP proof (RFC 9449 §4.2) by `key` under `alg`, with `ath` for `access_token`.
fn rsa_proof(
    op: &Op,
    key: &RsaDpopKey,
    alg: Alg,
    (htm, htu): (&str, &str),
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), key.public.clone());
    let mut claims = json!({
        "jti": oidc_edge::random::token(16).unwrap(), "htm": htm, "htu": htu, "iat": op.now(),
    });
    if let Some(token) = access_token {
        // RFC 9449 §4.2: base64url of the SHA-256 of the access token.
        let digest = <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes());
        claims["ath"] = json!(oidc_edge::b64::encode(&digest));
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    let kid = if alg == Alg::Ps256 { "d-ps" } else { "d-rs" };
    let input = signing_input(header, alg, claims.to_string().as_bytes());
    let signature = run_ready(key.keys.sign(kid, alg, input.as_bytes())).unwrap();
    assemble(&input, &signature)
}

/// §5.4.1 at the resources: a FAPI 2.0 client's DPoP proofs at `/userinfo` and `/api/me`
/// take the profile's algorithms only, as at the token endpoint. A token bound (with a
/// PS256 proof) to an RSA key is refused with an RS256 proof of that very key, and taken
/// with a PS256 one; a client without the profile may use RS256.
#[test]
fn a_fapi2_clients_proofs_at_the_resources_take_the_profiles_algorithms() {
    let key = client_key(Alg::Es256, "bank-es256");
    let op = Op::with_config_and_keys(config_with(bank(&[&key])), es256_keys());
    let dpop = rsa_dpop_key();
    let start = AuthStart::new();
    let pushed = push(&op, &key, &start, true);
    let request_uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let browser = Browser::new(&op);
    let query = encode(&[("client_id", BANK), ("request_uri", &request_uri)]);
    let to_login = location(&browser.get(&format!("/authorize?{query}")));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let token_url = format!("{ISSUER}/token");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", BANK_REDIRECT),
        ("code_verifier", start.pkce.verifier.expose()),
    ];
    let ask = |nonce: Option<&str>| {
        let assertion = assertion(&op, &key);
        op.send(
            &token_request(&with_assertion(&form, &assertion)).with_header(
                "dpop",
                &rsa_proof(&op, &dpop, Alg::Ps256, ("POST", &token_url), None, nonce),
            ),
        )
    };
    let nonce = ask(None).header("dpop-nonce").unwrap().to_owned();
    let tokens = ask(Some(&nonce));
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    let access = body(&tokens)["access_token"].as_str().unwrap().to_owned();

    let userinfo = format!("{ISSUER}/userinfo");
    let at_userinfo = |alg: Alg| {
        op.send(
            &Request::new("GET", &userinfo)
                .with_header("authorization", &format!("DPoP {access}"))
                .with_header(
                    "dpop",
                    &rsa_proof(&op, &dpop, alg, ("GET", &userinfo), Some(&access), None),
                ),
        )
    };
    let rs = at_userinfo(Alg::Rs256);
    assert_eq!(rs.status, 401, "{}", text(&rs));
    assert_eq!(body(&rs)["error"], "invalid_dpop_proof");
    assert_eq!(at_userinfo(Alg::Ps256).status, 200);

    let api = format!("{ISSUER}/api/me");
    let at_api = |alg: Alg, nonce: Option<&str>| {
        op.send(
            &Request::new("GET", &api)
                .with_header("authorization", &format!("DPoP {access}"))
                .with_header(
                    "dpop",
                    &rsa_proof(&op, &dpop, alg, ("GET", &api), Some(&access), nonce),
                ),
        )
    };
    let api_nonce = at_api(Alg::Ps256, None)
        .header("dpop-nonce")
        .unwrap()
        .to_owned();
    let rs = at_api(Alg::Rs256, Some(&api_nonce));
    assert_eq!(rs.status, 401, "{}", text(&rs));
    assert_eq!(body(&rs)["error"], "invalid_dpop_proof");
    assert_eq!(at_api(Alg::Ps256, Some(&api_nonce)).status, 200);

    // The SPA has no profile: RS256 is one of every asymmetric algorithm it may use.
    let (_b, spa_start, spa_code) = sign_in(&op, "openid");
    let spa_form = code_form(&spa_start, &spa_code);
    let spa_ask = |nonce: Option<&str>| {
        op.send(&token_request(&spa_form).with_header(
            "dpop",
            &rsa_proof(&op, &dpop, Alg::Rs256, ("POST", &token_url), None, nonce),
        ))
    };
    let nonce = spa_ask(None).header("dpop-nonce").unwrap().to_owned();
    let spa_tokens = spa_ask(Some(&nonce));
    assert_eq!(spa_tokens.status, 200, "{}", text(&spa_tokens));
    let spa_access = body(&spa_tokens)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let spa_rs = op.send(
        &Request::new("GET", &userinfo)
            .with_header("authorization", &format!("DPoP {spa_access}"))
            .with_header(
                "dpop",
                &rsa_proof(
                    &op,
                    &dpop,
                    Alg::Rs256,
                    ("GET", &userinfo),
                    Some(&spa_access),
                    None,
                ),
            ),
    );
    assert_eq!(spa_rs.status, 200, "{}", text(&spa_rs));
}
