//! How the authorization response reaches the client: `query` (RFC 6749 §4.1.2), the Form
//! Post Response Mode, and JARM's signed responses (`jwt`, `query.jwt`, `form_post.jwt`),
//! for codes and errors alike, with the issuer in every one (RFC 9207 §2).

use base64ct::Encoding;
use oidc_edge::jose::jwt::{Validation, verify};
use oidc_edge::jose::{Alg, CompactJws};
use oidc_edge::op::form::Params;
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::{Request, Response};
use oidc_edge::time::UnixTime;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::op_support::*;

/// The SPA's request with `response_mode` and `extra`, through the login page as "demo":
/// the provider's last answer.
fn signed_in(op: &Op, mode: &str, extra: &[(&str, &str)]) -> (AuthStart, Response) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let mut params = vec![("response_mode", mode)];
    params.extend_from_slice(extra);
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &params)));
    (start, browser.login(&to_login, "demo", "correct horse"))
}

/// The hidden fields of a form-post page, and its form's action.
fn posted_form(page: &Response) -> (String, Params) {
    assert_eq!(page.status, 200, "{}", text(page));
    let html = text(page);
    let action = html
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let mut pairs: Vec<(String, String)> = Vec::new();
    for input in html.split("<input ").skip(1) {
        let attr = |name: &str| {
            input
                .split(&format!("{name}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_owned()
        };
        pairs.push((attr("name"), attr("value")));
    }
    let params = Params::from_pairs(pairs.into_iter().map(Ok)).unwrap();
    (action, params)
}

/// The claims of a JARM response after its signature and `iss`, `aud` and `exp` checks
/// (JARM §4.4), for `client_id`.
fn jarm_claims(
    op: &Op,
    response: &str,
    client_id: &str,
) -> Result<Map<String, Value>, oidc_edge::Error> {
    let validation = Validation {
        issuers: vec![ISSUER.into()],
        audiences: vec![client_id.into()],
        required_claims: ["iss", "aud", "exp"].map(String::from).to_vec(),
        ..Validation::default()
    };
    let verified = verify(response, &op.jwks, &validation, UnixTime(op.now()))?;
    Ok(verified.claims().as_map().clone())
}

/// Form Post Response Mode §2, §5: the code, state and iss as fields of a form posted to
/// the redirect URI by a script the CSP allows by its hash alone, in a page nothing frames
/// or caches; the code exchanges.
#[test]
fn form_post_posts_the_response() {
    let op = Op::new();
    let (start, page) = signed_in(&op, "form_post", &[]);
    assert!(page.header("location").is_none());
    let (action, params) = posted_form(&page);
    assert_eq!(action, SPA_REDIRECT);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert_eq!(params.get("iss"), Some(ISSUER), "RFC 9207 §2");
    let html = text(&page);
    let script = html
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    assert_eq!(html.matches("<script").count(), 1, "one script");
    let hash = base64ct::Base64::encode_string(&Sha256::digest(script.as_bytes()));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "the script's own hash: {csp}"
    );
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(csp.contains("form-action https://spa.example"), "{csp}");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let tokens = exchange(&op, &start, params.get("code").unwrap());
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
}

/// Form Post Response Mode §2, RFC 6749 §4.1.2.1: errors are posted the same way, with
/// `iss` (RFC 9207 §2); a denied consent too.
#[test]
fn form_post_posts_errors() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let page = browser.get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("response_mode", "form_post"), ("prompt", "none")],
    ));
    let (_, params) = posted_form(&page);
    assert_eq!(params.get("error"), Some("login_required"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert_eq!(params.get("iss"), Some(ISSUER));

    let to_login = location(&browser.get(&start.url(
        THIRD,
        THIRD_REDIRECT,
        "openid",
        &[("response_mode", "form_post")],
    )));
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    let html = text(&browser.get(&to_consent));
    let denied = browser.answer_consent(&html, "deny");
    let (action, params) = posted_form(&denied);
    assert_eq!(action, THIRD_REDIRECT);
    assert_eq!(params.get("error"), Some("access_denied"));
    assert_eq!(params.get("iss"), Some(ISSUER));
}

/// JARM §2.1, §2.3.1, §2.3.4: with `jwt` (the code flow's `query.jwt`) the redirect
/// carries one parameter, `response`: a JWT signed by the provider with `iss`, `aud` (the
/// client), a short `exp`, the code and the state. The code exchanges.
#[test]
fn jwt_response_mode_signs_the_response() {
    let op = Op::new();
    for mode in ["jwt", "query.jwt"] {
        let (start, back) = signed_in(&op, mode, &[]);
        let back = location(&back);
        assert!(back.starts_with(SPA_REDIRECT), "{back}");
        let params = redirect_params(&back);
        assert_eq!(params.get("code"), None, "nothing outside the JWT");
        assert_eq!(params.get("iss"), None);
        let response = params.get("response").unwrap();
        let claims = jarm_claims(&op, response, SPA).unwrap();
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], SPA);
        assert_eq!(claims["state"], start.state.as_str());
        let exp = claims["exp"].as_i64().unwrap();
        assert!(exp > op.now() && exp <= op.now() + 60, "short-lived: {exp}");
        let tokens = exchange(&op, &start, claims["code"].as_str().unwrap());
        assert_eq!(tokens.status, 200, "{mode}: {}", text(&tokens));
    }
}

/// JARM §2.3.3: `form_post.jwt` posts the same one `response` field.
#[test]
fn form_post_jwt_posts_the_signed_response() {
    let op = Op::new();
    let (start, page) = signed_in(&op, "form_post.jwt", &[]);
    let (action, params) = posted_form(&page);
    assert_eq!(action, SPA_REDIRECT);
    assert!(params.get("code").is_none() && params.get("state").is_none());
    let claims = jarm_claims(&op, params.get("response").unwrap(), SPA).unwrap();
    assert_eq!(claims["state"], start.state.as_str());
    assert!(claims["code"].is_string());
}

/// JARM §2.4 (error responses), §4.4 (the client checks `aud` and `iss`): an error is a
/// signed response too; a response made for one client fails the checks of another, and
/// one whose signature is not the provider's fails everywhere.
#[test]
fn a_signed_response_is_for_its_client_only() {
    let op = Op::new();
    let start = AuthStart::new();
    let back = location(&Browser::new(&op).get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("response_mode", "jwt"), ("prompt", "none")],
    )));
    let response = redirect_params(&back).get("response").unwrap().to_owned();
    let claims = jarm_claims(&op, &response, SPA).unwrap();
    assert_eq!(claims["error"], "login_required");
    assert_eq!(claims["state"], start.state.as_str());
    assert_eq!(claims["iss"], ISSUER);

    assert_eq!(
        jarm_claims(&op, &response, THIRD).unwrap_err(),
        oidc_edge::Error::AudienceMismatch,
        "replayed to another client"
    );
    let other = Op::new();
    assert!(
        jarm_claims(&other, &response, SPA).is_err(),
        "another provider's keys"
    );
    op.advance(61);
    assert_eq!(
        jarm_claims(&op, &response, SPA).unwrap_err(),
        oidc_edge::Error::Expired
    );
}

/// JARM §3: `authorization_signed_response_alg` picks the algorithm; without it RS256 when
/// a key signs it (JARM's default), else the provider's; discovery lists what keys sign
/// (JARM §4 `authorization_signing_alg_values_supported`). A client's algorithm without a
/// key is a configuration error.
#[test]
fn the_client_chooses_the_signing_algorithm() {
    let es = SigningKeys::generate_key(Alg::Es256, Some("es")).unwrap();
    let rs = SigningKeys::generate_key(Alg::Rs256, Some("rs")).unwrap();
    let keys = json!({ "keys": [rs, es] });
    let alg_of = |op: &Op, mode: &str| {
        let (_, back) = signed_in(op, mode, &[]);
        let response = redirect_params(&location(&back))
            .get("response")
            .unwrap()
            .to_owned();
        jarm_claims(op, &response, SPA).unwrap();
        CompactJws::parse(&response).unwrap().header().alg
    };
    let op = Op::with_config_and_keys(config_json(), keys.clone());
    assert_eq!(alg_of(&op, "jwt"), Alg::Rs256, "JARM §3's default");
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(
        doc["authorization_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );

    let mut config = config_json();
    config["clients"][0]["authorization_signed_response_alg"] = json!("ES256");
    let op = Op::with_config_and_keys(config.clone(), keys);
    assert_eq!(alg_of(&op, "query.jwt"), Alg::Es256);

    let only_es = json!({ "keys": [SigningKeys::generate_key(Alg::Es256, Some("e")).unwrap()] });
    let op = Op::with_config_and_keys(config_json(), only_es.clone());
    assert_eq!(
        alg_of(&op, "jwt"),
        Alg::Es256,
        "no RS256 key: the provider's own"
    );

    config["clients"][0]["authorization_signed_response_alg"] = json!("PS256");
    let parsed = oidc_edge::op::config::Config::from_json(&config.to_string()).unwrap();
    let err = parsed
        .check_signing_keys(&SigningKeys::from_jwks_json(&only_es.to_string()).unwrap())
        .unwrap_err();
    assert_eq!(err.path, "clients[0].authorization_signed_response_alg");
}

/// OAuth 2.0 Multiple Response Types §2.1 and this provider's choice: `fragment` is not
/// offered (nor `fragment.jwt`), and unknown modes are refused, in the query.
#[test]
fn other_response_modes_are_refused() {
    let op = Op::new();
    let start = AuthStart::new();
    for mode in ["fragment", "fragment.jwt", "web_message", "JWT"] {
        let back = location(&Browser::new(&op).get(&start.url(
            SPA,
            SPA_REDIRECT,
            "openid",
            &[("response_mode", mode)],
        )));
        let params = redirect_params(&back);
        assert_eq!(params.get("error"), Some("invalid_request"), "{mode}");
        assert_eq!(params.get("iss"), Some(ISSUER), "{mode}");
    }
}

/// OpenID Connect Discovery §3, JARM §4, RFC 9207 §3: the modes that work, exactly.
#[test]
fn discovery_lists_the_response_modes() {
    let op = Op::new();
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/oauth-authorization-server"),
    )));
    assert_eq!(
        doc["response_modes_supported"],
        json!(["query", "form_post", "jwt", "query.jwt", "form_post.jwt"])
    );
    assert_eq!(
        doc["authorization_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
}

/// RFC 9207 §2: `iss` beside every response that is not a JWT, through a pushed request
/// too (the mode is one of the pushed parameters).
#[test]
fn pushed_requests_keep_their_response_mode() {
    let op = Op::new();
    let start = AuthStart::new();
    let form = [
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", SPA_REDIRECT),
        ("scope", "openid"),
        ("state", start.state.as_str()),
        ("code_challenge", start.pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("response_mode", "form_post.jwt"),
    ];
    let pushed = op.send(&Request::new("POST", &format!("{ISSUER}/par")).with_form(&form));
    let request_uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let browser = Browser::new(&op);
    let query = oidc_edge::op::form::encode(&[("client_id", SPA), ("request_uri", &request_uri)]);
    let to_login = location(&browser.get(&format!("/authorize?{query}")));
    let page = browser.login(&to_login, "demo", "correct horse");
    let (_, params) = posted_form(&page);
    let claims = jarm_claims(&op, params.get("response").unwrap(), SPA).unwrap();
    assert_eq!(claims["state"], start.state.as_str());
}
