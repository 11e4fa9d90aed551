//! The algorithms the provider signs with (RFC 7518 §3.1, RFC 8037 §3.1): P-256 (ES256),
//! RSA (RS256, PS256) and Ed25519 (EdDSA) keys in `OIDC_SIGNING_KEYS`; ID tokens RS256 by
//! default (OpenID Connect Registration §2, Core §15.1) or as the client's
//! `id_token_signed_response_alg` says; discovery listing exactly what a key signs.

use std::sync::OnceLock;

use oidc_edge::jose::{Alg, CompactJws, Jwk};
use oidc_edge::oidc::{
    AccessTokenExpectations, IdTokenExpectations, validate_access_token, validate_id_token,
};
use oidc_edge::op::config::Config;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::time::UnixTime;
use serde_json::{Value, json};

use crate::op_support::*;

/// One generated private JWK per algorithm, made once for the whole run (RSA key
/// generation is the slow part).
fn key(alg: Alg) -> Value {
    static KEYS: OnceLock<Vec<(Alg, Value)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [Alg::Es256, Alg::Rs256, Alg::Ps256, Alg::EdDsa]
            .into_iter()
            .map(|alg| {
                let kid = format!("{}-1", alg.as_str().to_lowercase());
                (alg, SigningKeys::generate_key(alg, Some(&kid)).unwrap())
            })
            .collect()
    });
    keys.iter().find(|(a, _)| *a == alg).unwrap().1.clone()
}

fn jwks(algs: &[Alg]) -> Value {
    json!({ "keys": algs.iter().map(|alg| key(*alg)).collect::<Vec<_>>() })
}

fn alg_and_kid(jwt: &str) -> (String, String) {
    let jws = CompactJws::parse(jwt).unwrap();
    let header = jws.header();
    (header.alg.as_str().to_owned(), header.kid.clone().unwrap())
}

/// The tokens of one code exchange by `client` (the SPA unless a config changes it).
fn tokens(op: &Op) -> (AuthStart, Value) {
    let (_browser, start, code) = sign_in(op, "openid profile email offline_access");
    let response = exchange(op, &start, &code);
    assert_eq!(response.status, 200, "{}", text(&response));
    (start, body(&response))
}

fn check_id_token(op: &Op, start: &AuthStart, tokens: &Value, alg: Alg) {
    let id_token = tokens["id_token"].as_str().unwrap();
    validate_id_token(
        id_token,
        &op.jwks,
        &IdTokenExpectations {
            issuer: ISSUER.into(),
            client_id: SPA.into(),
            nonce: Some(start.nonce.clone()),
            access_token: tokens["access_token"].as_str().map(str::to_owned),
            algorithms: vec![alg],
            ..IdTokenExpectations::default()
        },
        UnixTime(op.now()),
    )
    .unwrap_or_else(|err| panic!("ID token under {}: {err}", alg.as_str()));
}

fn check_access_token(op: &Op, tokens: &Value, alg: Alg) {
    validate_access_token(
        tokens["access_token"].as_str().unwrap(),
        &op.jwks,
        &AccessTokenExpectations {
            issuer: ISSUER.into(),
            audience: ISSUER.into(),
            algorithms: vec![alg],
            ..Default::default()
        },
        UnixTime(op.now()),
    )
    .unwrap_or_else(|err| panic!("access token under {}: {err}", alg.as_str()));
}

/// With an RSA and a P-256 key, ID tokens are RS256 (the OpenID Connect default) and access
/// tokens take the last key's algorithm; both verify against the published JWKS, and
/// discovery lists exactly the two.
#[test]
fn id_tokens_are_rs256_by_default_and_access_tokens_take_the_newest_key() {
    let op = Op::with_config_and_keys(config_json(), jwks(&[Alg::Rs256, Alg::Es256]));
    let (start, tokens) = tokens(&op);
    assert_eq!(
        alg_and_kid(tokens["id_token"].as_str().unwrap()),
        ("RS256".to_owned(), "rs256-1".to_owned())
    );
    assert_eq!(
        alg_and_kid(tokens["access_token"].as_str().unwrap()),
        ("ES256".to_owned(), "es256-1".to_owned())
    );
    check_id_token(&op, &start, &tokens, Alg::Rs256);
    check_access_token(&op, &tokens, Alg::Es256);

    // The refreshed tokens too, and the resource accepts the access token.
    let refreshed = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    check_id_token_without_nonce(&op, &body(&refreshed), Alg::Rs256);
    let userinfo = op.send(
        &oidc_edge::op::Request::new("GET", &absolute("/userinfo")).with_header(
            "authorization",
            &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        ),
    );
    assert_eq!(userinfo.status, 200, "{}", text(&userinfo));

    let discovery = body(&op.send(&oidc_edge::op::Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
}

fn check_id_token_without_nonce(op: &Op, tokens: &Value, alg: Alg) {
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(alg_and_kid(id_token).0, alg.as_str());
    validate_id_token(
        id_token,
        &op.jwks,
        &IdTokenExpectations {
            issuer: ISSUER.into(),
            client_id: SPA.into(),
            algorithms: vec![alg],
            ..IdTokenExpectations::default()
        },
        UnixTime(op.now()),
    )
    .unwrap();
}

/// OpenID Connect Registration §2: `id_token_signed_response_alg` picks the algorithm of the
/// client's ID tokens, for each algorithm the provider signs with; the JWKS publishes every
/// key with its one `alg`.
#[test]
fn a_client_names_the_algorithm_of_its_id_tokens() {
    let all = [Alg::Rs256, Alg::Ps256, Alg::EdDsa, Alg::Es256];
    for alg in all {
        let mut config = config_json();
        config["clients"][0]["id_token_signed_response_alg"] = json!(alg.as_str());
        let op = Op::with_config_and_keys(config, jwks(&all));
        let (start, tokens) = tokens(&op);
        let (header_alg, kid) = alg_and_kid(tokens["id_token"].as_str().unwrap());
        assert_eq!(header_alg, alg.as_str());
        assert_eq!(kid, format!("{}-1", alg.as_str().to_lowercase()));
        check_id_token(&op, &start, &tokens, alg);
        // Access tokens keep the default: the last key's.
        check_access_token(&op, &tokens, Alg::Es256);
    }

    let keys = SigningKeys::from_jwks_json(&jwks(&all).to_string()).unwrap();
    let published = keys.public_jwks();
    for (entry, alg) in published["keys"].as_array().unwrap().iter().zip(all) {
        assert_eq!(entry["alg"], alg.as_str(), "{entry}");
        assert_eq!(entry["use"], "sig");
        let jwk = Jwk::from_json(entry.to_string().as_bytes()).unwrap();
        assert!(!jwk.is_private(), "{entry}");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(entry.get(private).is_none(), "{private} published: {entry}");
        }
    }
    assert_eq!(
        keys.algorithms(),
        [Alg::Es256, Alg::Rs256, Alg::Ps256, Alg::EdDsa]
    );
}

/// Without an RSA key ID tokens take the default algorithm, so an ES256-only deployment
/// keeps working; a client that names an algorithm no key signs is a configuration error
/// at start, naming the field.
#[test]
fn without_an_rsa_key_and_with_a_missing_algorithm() {
    let op = Op::with_config_and_keys(config_json(), jwks(&[Alg::EdDsa]));
    let (start, tokens) = tokens(&op);
    check_id_token(&op, &start, &tokens, Alg::EdDsa);
    check_access_token(&op, &tokens, Alg::EdDsa);

    let mut config = config_json();
    config["clients"][1]["id_token_signed_response_alg"] = json!("PS256");
    let config = Config::from_json(&config.to_string()).unwrap();
    let keys = SigningKeys::from_jwks_json(&jwks(&[Alg::Rs256, Alg::Es256]).to_string()).unwrap();
    let err = config.check_signing_keys(&keys).unwrap_err();
    assert_eq!(err.path, "clients[1].id_token_signed_response_alg");
    assert!(err.message.contains("keygen --alg PS256"), "{err}");

    for bad in ["HS256", "none", "ES384", "RS512", "es256", ""] {
        let mut config = config_json();
        config["clients"][0]["id_token_signed_response_alg"] = json!(bad);
        let err = Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(
            err.path, "clients[0].id_token_signed_response_alg",
            "{bad}: {err}"
        );
    }
}

/// The newest key of each algorithm signs; older ones stay published (RFC 7517 §5).
#[test]
fn the_newest_key_of_each_algorithm_signs() {
    let newer_rsa = SigningKeys::generate_key(Alg::Rs256, Some("rs256-2")).unwrap();
    let list = json!({ "keys": [key(Alg::Rs256), key(Alg::Es256), newer_rsa] });
    let keys = SigningKeys::from_jwks_json(&list.to_string()).unwrap();
    assert_eq!(keys.kid_for(Alg::Rs256), Some("rs256-2"));
    assert_eq!(keys.kid_for(Alg::Es256), Some("es256-1"));
    assert_eq!(keys.default_algorithm(), Alg::Rs256);
    assert_eq!(
        keys.signing().map(|(kid, _)| kid).collect::<Vec<_>>(),
        ["es256-1", "rs256-2"]
    );
    assert_eq!(keys.public_jwks()["keys"].as_array().unwrap().len(), 3);
}

/// RFC 7518 §3.3 / §3.5: RS256 is deterministic, PS256 salts each signature; both verify.
/// RFC 8037 §3.1: EdDSA is deterministic.
#[test]
fn each_key_signs_its_algorithm_only() {
    use oidc_edge::jose::verifier::run_ready;
    use oidc_edge::op::TokenSigner;

    let keys = SigningKeys::from_jwks_json(
        &jwks(&[Alg::Es256, Alg::Rs256, Alg::Ps256, Alg::EdDsa]).to_string(),
    )
    .unwrap();
    let sign = |kid: &str, alg: Alg| run_ready(keys.sign(kid, alg, b"input"));
    assert_eq!(
        sign("rs256-1", Alg::Rs256).unwrap(),
        sign("rs256-1", Alg::Rs256).unwrap()
    );
    assert_ne!(
        sign("ps256-1", Alg::Ps256).unwrap(),
        sign("ps256-1", Alg::Ps256).unwrap()
    );
    assert_eq!(sign("ps256-1", Alg::Ps256).unwrap().len(), 256);
    assert_eq!(sign("eddsa-1", Alg::EdDsa).unwrap().len(), 64);
    for (kid, wrong) in [
        ("rs256-1", Alg::Ps256),
        ("ps256-1", Alg::Rs256),
        ("es256-1", Alg::EdDsa),
        ("eddsa-1", Alg::Es256),
    ] {
        assert_eq!(
            sign(kid, wrong),
            Err(oidc_edge::Error::KeyAlgMismatch),
            "{kid} {wrong:?}"
        );
    }
}

/// What an RSA or Ed25519 signing key must be: private, `alg` RS256 or PS256 on RSA only,
/// CRT values that follow from the key (a wrong one would make a host's signature give
/// the key away), at least 2048 bits.
#[test]
fn rsa_and_ed25519_key_rules() {
    let at = |jwk: Value| {
        SigningKeys::from_jwks_json(&json!({ "keys": [jwk] }).to_string())
            .unwrap_err()
            .path
    };
    let p = "OIDC_SIGNING_KEYS.keys[0]";
    let with = |alg: Alg, f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut jwk = key(alg);
        f(jwk.as_object_mut().unwrap());
        jwk
    };
    assert_eq!(
        at(with(Alg::Rs256, &|k| {
            k.insert("alg".into(), json!("ES256"));
        })),
        format!("{p}.alg")
    );
    assert_eq!(
        at(with(Alg::Rs256, &|k| {
            k.insert("alg".into(), json!("RS512"));
        })),
        format!("{p}.alg")
    );
    assert_eq!(
        at(with(Alg::EdDsa, &|k| {
            k.insert("alg".into(), json!("ES256"));
        })),
        format!("{p}.alg")
    );
    let other = key(Alg::Ps256);
    // dp of another key: p and q still multiply to n, so only the CRT check sees it.
    assert_eq!(
        at(with(Alg::Rs256, &|k| {
            k.insert("dp".into(), other["dp"].clone());
        })),
        format!("{p}.dp")
    );
    assert_eq!(
        at(with(Alg::Rs256, &|k| {
            k.insert("qi".into(), other["qi"].clone());
        })),
        format!("{p}.qi")
    );
    // The private exponent of another key: refused whole.
    assert_eq!(
        at(with(Alg::Rs256, &|k| {
            k.insert("d".into(), other["d"].clone());
        })),
        p
    );
    assert_eq!(
        at(with(Alg::Rs256, &|k| {
            k.remove("qi");
        })),
        p
    );
    assert_eq!(
        at(with(Alg::EdDsa, &|k| {
            k.insert("d".into(), key(Alg::Es256)["d"].clone());
        })),
        p
    );
    // No alg on an RSA key: RS256.
    let keys = SigningKeys::from_jwks_json(
        &json!({ "keys": [with(Alg::Rs256, &|k| { k.remove("alg"); })] }).to_string(),
    )
    .unwrap();
    assert_eq!(keys.algorithms(), [Alg::Rs256]);
    let printed = format!("{keys:?}");
    assert!(printed.contains("RS256") && !printed.contains(key(Alg::Rs256)["d"].as_str().unwrap()));
}
