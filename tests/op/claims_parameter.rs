//! The `claims` request parameter (OpenID Connect Core §5.5, §5.5.1): individual claims
//! for the ID token and the UserInfo response, in addition to the scope's (§5.4), carried
//! from `/authorize` through the code and every refresh; malformed requests refused at
//! the redirect URI.

use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::Request;
use oidc_edge::op::records::{Codes, Grants, Key};
use oidc_edge::store::Records;
use oidc_edge::{oidc::IdTokenExpectations, oidc::validate_id_token, time::UnixTime};
use serde_json::{Value, json};

use crate::op_support::*;

/// The whole SPA code flow as "demo", with `claims` (and any other `extra` parameter).
fn sign_in_asking<'a>(op: &'a Op, scope: &str, claims: &Value) -> (Browser<'a>, AuthStart, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let claims = claims.to_string();
    let to_login =
        location(&browser.get(&start.url(SPA, SPA_REDIRECT, scope, &[("claims", &claims)])));
    assert!(to_login.starts_with("/login?"), "{to_login}");
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()), "{back}");
    let code = params.get("code").unwrap().to_owned();
    (browser, start, code)
}

/// The UserInfo response for `access_token`.
fn userinfo(op: &Op, access_token: &str) -> Value {
    let response = op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access_token}")),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

/// The tokens of a refresh of `refresh_token`.
fn refresh(op: &Op, refresh_token: &str) -> Value {
    let response = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", SPA),
    ]));
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

/// The members of a JSON object, sorted.
fn members(object: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names
}

/// §5.5: claims asked for under `id_token` are in the ID token in addition to the
/// scope's, even without the scope that would release them, and not in the UserInfo
/// response.
#[test]
fn id_token_claims_come_without_their_scope_and_stay_out_of_userinfo() {
    let op = Op::new();
    let asked = json!({ "id_token": { "email": null, "email_verified": { "essential": true } } });
    let (_b, start, code) = sign_in_asking(&op, "openid", &asked);
    let response = exchange(&op, &start, &code);
    assert_eq!(response.status, 200, "{}", text(&response));
    let tokens = body(&response);
    let access_token = tokens["access_token"].as_str().unwrap();
    let id_token = validate_id_token(
        tokens["id_token"].as_str().unwrap(),
        &op.jwks,
        &IdTokenExpectations {
            issuer: ISSUER.into(),
            client_id: SPA.into(),
            nonce: Some(start.nonce.clone()),
            access_token: Some(access_token.into()),
            ..IdTokenExpectations::default()
        },
        UnixTime(op.now()),
    )
    .unwrap();
    let claims = id_token.claims();
    assert_eq!(claims.string("email").unwrap(), Some("demo@example.com"));
    assert_eq!(claims.get("email_verified"), Some(&json!(true)));
    assert!(claims.get("name").is_none(), "not asked, no profile scope");
    let info = userinfo(&op, access_token);
    assert_eq!(members(&info), ["sub"], "{info}");
    assert!(
        jwt_payload(access_token).get("userinfo_claims").is_none(),
        "nothing asked for the UserInfo response"
    );
}

/// §5.5: claims asked for under `userinfo` are in the UserInfo response, not in the ID
/// token.
#[test]
fn userinfo_claims_stay_out_of_the_id_token() {
    let op = Op::new();
    let asked = json!({ "userinfo": { "name": null, "email": { "essential": false } } });
    let (_b, start, code) = sign_in_asking(&op, "openid", &asked);
    let tokens = body(&exchange(&op, &start, &code));
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("name").is_none() && id_token.get("email").is_none());
    let info = userinfo(&op, tokens["access_token"].as_str().unwrap());
    assert_eq!(members(&info), ["email", "name", "sub"], "{info}");
    assert_eq!(info["name"], "Demo User");
    assert_eq!(info["email"], "demo@example.com");
}

/// §5.5 with §5.4: what the scope releases still comes; a claim asked for that the scope
/// releases anyway is there once; `auth_time` may be asked of the UserInfo response.
#[test]
fn requested_claims_add_to_the_scopes_claims() {
    let op = Op::new();
    let asked = json!({
        "id_token": { "name": null, "auth_time": { "essential": true } },
        "userinfo": { "name": null, "auth_time": null },
    });
    let (_b, start, code) = sign_in_asking(&op, "openid email", &asked);
    let tokens = body(&exchange(&op, &start, &code));
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "demo@example.com");
    assert_eq!(id_token["name"], "Demo User");
    assert_eq!(id_token["auth_time"], START);
    let info = userinfo(&op, tokens["access_token"].as_str().unwrap());
    assert_eq!(
        members(&info),
        ["auth_time", "email", "email_verified", "name", "sub"],
        "{info}"
    );
    assert_eq!(info["auth_time"], START);
}

/// The requested claims are part of the grant: a refreshed ID token and the UserInfo
/// response of a refreshed access token honor them as the first ones did.
#[test]
fn requested_claims_survive_a_refresh() {
    let op = Op::new();
    let asked = json!({ "id_token": { "email": null }, "userinfo": { "name": null } });
    let (_b, start, code) = sign_in_asking(&op, "openid offline_access", &asked);
    let first = body(&exchange(&op, &start, &code));
    op.advance(60);
    let second = refresh(&op, first["refresh_token"].as_str().unwrap());
    op.advance(60);
    let third = refresh(&op, second["refresh_token"].as_str().unwrap());
    for tokens in [&first, &second, &third] {
        let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
        assert_eq!(id_token["email"], "demo@example.com");
        assert!(id_token.get("name").is_none());
        let info = userinfo(&op, tokens["access_token"].as_str().unwrap());
        assert_eq!(members(&info), ["name", "sub"], "{info}");
    }
}

/// §5.5: a claim the provider does not know is "not an error", and members other than
/// `userinfo` and `id_token` are ignored; claims outside the §5.4 scopes (a custom user
/// claim) are ignored the same way; a voluntary `acr` is answered with the class met.
#[test]
fn unknown_claims_and_members_are_ignored() {
    let mut config = config_json();
    config["users"][0]["claims"]["groups"] = json!(["admin"]);
    let op = Op::with_config(config);
    let asked = json!({
        "id_token": {
            // Voluntary: the class met is returned whatever is asked (tests/op/acr.rs).
            "acr": { "values": ["urn:mace:incommon:iap:silver"] },
            "https://example.com/unknown": null,
            "groups": null,
        },
        "userinfo": { "acr": null, "x": { "value": 1 }, "groups": null },
        "verified_claims": { "claims": {} },
        "extra": 1,
    });
    let (_b, start, code) = sign_in_asking(&op, "openid", &asked);
    let tokens = body(&exchange(&op, &start, &code));
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    for absent in ["https://example.com/unknown", "groups"] {
        assert!(id_token.get(absent).is_none(), "{absent}");
    }
    assert_eq!(id_token["acr"], "1", "the class the sign-in met");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(members(&userinfo(&op, access_token)), ["sub"]);
    assert!(jwt_payload(access_token).get("userinfo_claims").is_none());
}

/// §5.5: a claim the user lacks is left out, never sent as `null`. §5.5.1: a `value` or
/// `values` the user's claim does not match still gets the user's actual value (never
/// the one asked for).
#[test]
fn missing_claims_are_absent_and_values_are_the_users() {
    let op = Op::new();
    let asked = json!({
        "id_token": {
            "phone_number": { "essential": true },
            "email": { "value": "someone@else.example", "essential": true },
            "given_name": null,
        },
        "userinfo": {
            "address": null,
            "name": { "values": ["Someone", "Else"] },
        },
    });
    let (_b, start, code) = sign_in_asking(&op, "openid", &asked);
    let tokens = body(&exchange(&op, &start, &code));
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("phone_number").is_none() && id_token.get("given_name").is_none());
    assert_eq!(id_token["email"], "demo@example.com");
    let info = userinfo(&op, tokens["access_token"].as_str().unwrap());
    assert_eq!(members(&info), ["name", "sub"], "{info}");
    assert_eq!(info["name"], "Demo User");
}

/// §5.5 with RFC 6749 §4.1.2.1: a `claims` value that is not the JSON object §5.5
/// describes (malformed, repeated member names, not an object, too large, too many
/// claims, names too long, `essential` or `values` of the wrong type) is
/// `invalid_request`, sent to the redirect URI with `state` and `iss`.
#[test]
fn malformed_claims_are_invalid_request_at_the_redirect_uri() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let many: Vec<String> = (0..65).map(|i| format!("\"c{i}\":null")).collect();
    let many = format!("{{\"id_token\":{{{}}}}}", many.join(","));
    let long_name = format!("{{\"userinfo\":{{\"{}\":null}}}}", "n".repeat(256));
    let oversized = format!("{{\"pad\":\"{}\"}}", "x".repeat(4096));
    for bad in [
        "{",
        "not json",
        r#"{"userinfo":{"email":null}} trailing"#,
        r#"{"userinfo":{"email":null,"email":null}}"#,
        r#"{"userinfo":{"email":null},"userinfo":{"name":null}}"#,
        r#"{"id_token":{"email":{"essential":true,"essential":false}}}"#,
        "[]",
        r#""claims""#,
        "42",
        r#"{"userinfo":["email"]}"#,
        r#"{"id_token":"email"}"#,
        r#"{"id_token":{"email":true}}"#,
        r#"{"id_token":{"email":{"essential":"yes"}}}"#,
        r#"{"userinfo":{"email":{"values":"a@b.example"}}}"#,
        r#"{"id_token":{"sub":{"value":248289761001}}}"#,
        many.as_str(),
        long_name.as_str(),
        oversized.as_str(),
    ] {
        let response = browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("claims", bad)]));
        let back = location(&response);
        assert!(back.starts_with(SPA_REDIRECT), "{bad}: {back}");
        let params = redirect_params(&back);
        assert_eq!(params.get("error"), Some("invalid_request"), "{bad}");
        assert_eq!(params.get("state"), Some(start.state.as_str()), "{bad}");
        assert_eq!(params.get("iss"), Some(ISSUER), "{bad}");
        assert!(params.get("code").is_none());
    }
    // At the limits, accepted.
    let many: Vec<String> = (0..64).map(|i| format!("\"c{i}\":null")).collect();
    let many = format!("{{\"id_token\":{{{}}}}}", many.join(","));
    let long_name = format!("{{\"userinfo\":{{\"{}\":null}}}}", "n".repeat(255));
    for fine in [many, long_name, "{}".to_owned()] {
        let response = browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("claims", &fine)]));
        assert!(location(&response).starts_with("/login?"), "{fine}");
    }
}

/// §5.5.1: an ID token asked for about a given `sub` is only ever about that user: a
/// session of another user is not used (`login_required` with `prompt=none`, the login
/// page without), and a sign-in as another user shows the login page again, saying why
/// and not whom, as for an `id_token_hint` (node-oidc-provider's login prompt does the
/// same for both); the named user's sign-in on that page gets the code.
#[test]
fn a_requested_sub_is_the_only_user_answered() {
    let op = Op::new();
    let (browser, _start, _code) = sign_in(&op, "openid");
    let for_sub = |sub: &str| json!({ "id_token": { "sub": { "value": sub } } }).to_string();
    let start = AuthStart::new();
    let other = for_sub("u2");
    let silent = browser.get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("claims", &other), ("prompt", "none")],
    ));
    let params = redirect_params(&location(&silent));
    assert_eq!(params.get("error"), Some("login_required"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));

    // The same user: a code at once, from the session.
    let same = for_sub("248289761001");
    let at_once = browser.get(&start.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("claims", &same), ("prompt", "none")],
    ));
    assert!(redirect_params(&location(&at_once)).get("code").is_some());

    // Another user: the login page; signing in as demo again shows it again.
    let to_login =
        location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[("claims", &other)])));
    assert!(to_login.starts_with("/login?"), "{to_login}");
    let again = browser.login(&to_login, "demo", "correct horse");
    let html = assert_asked_for_another_account(&again);

    // Signing in as u2 on that page, for the same waiting request, answers it.
    let back = location(&browser.post(
        "/login",
        &[
            ("tx", &hidden(&html, "tx")),
            ("csrf", &hidden(&html, "csrf")),
            ("username", "second"),
            ("password", "second user pw"),
        ],
    ));
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    let code = params.get("code").unwrap().to_owned();
    let tokens = body(&exchange(&op, &start, &code));
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["sub"],
        "u2"
    );
}

/// §5.5.1: a flow that ends in `login_required` because the signed-in user is not the
/// `sub` asked for grants nothing. The user named signs in and reaches the consent page;
/// the browser signs in as someone else meanwhile (another tab); the consent given then
/// is not remembered, and the client's next request for that user shows the consent page
/// again.
#[test]
fn a_consent_in_a_flow_for_another_sub_is_not_remembered() {
    let op = Op::new();
    let browser = Browser::new(&op);
    let for_u2 = json!({ "id_token": { "sub": { "value": "u2" } } }).to_string();
    let start = AuthStart::new();
    let to_login =
        location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, "openid", &[("claims", &for_u2)])));
    let to_consent = location(&browser.login(&to_login, "second", "second user pw"));
    assert!(to_consent.starts_with("/consent?"), "{to_consent}");
    let html = text(&browser.get(&to_consent));

    // Another tab: the same browser signs in as demo.
    sign_in_in_another_tab(&browser, "demo", "correct horse");

    assert_refused_at_consent(
        &browser,
        &html,
        (THIRD, THIRD_REDIRECT),
        &start,
        "login_required",
    );
}

/// OpenID Connect Discovery §3: `claims_parameter_supported` is true.
#[test]
fn discovery_says_the_claims_parameter_is_supported() {
    let op = Op::new();
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert_eq!(doc["claims_parameter_supported"], true);
}

/// The stored value under `key`, as JSON.
fn stored(op: &Op, key: &str) -> Value {
    let bytes = run_ready(op.store.get(key)).unwrap().unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Replaces the stored value under `key`.
fn store(op: &Op, key: &str, value: &Value) {
    run_ready(op.store.put(key, value.to_string().as_bytes(), 3600)).unwrap();
}

/// Records written before the `claims` parameter existed (codes and grants without the
/// requested claims) still work: they read as asking for no individual claim. Records
/// of requests without `claims` are written in that same shape.
#[test]
fn records_written_before_the_claims_parameter_still_work() {
    let op = Op::new();
    // A request without `claims` writes the old shape.
    let (_b, start, code) = sign_in(&op, "openid offline_access");
    let code_key = Key::<Codes>::new(&code);
    let record = stored(&op, code_key.as_str());
    assert!(record["request"].get("claims").is_none(), "{record}");
    assert!(record["request"].get("required_sub").is_none(), "{record}");
    let tokens = body(&exchange(&op, &start, &code));
    let grant_key = Key::<Grants>::new(tokens["refresh_token"].as_str().unwrap());
    assert!(stored(&op, grant_key.as_str()).get("claims").is_none());

    // A code and a grant that asked for claims, rewritten in the old shape.
    let asked = json!({ "id_token": { "email": null }, "userinfo": { "name": null } });
    let (_b, start, code) = sign_in_asking(&op, "openid offline_access", &asked);
    let code_key = Key::<Codes>::new(&code);
    let mut record = stored(&op, code_key.as_str());
    assert_eq!(
        record["request"]["claims"],
        json!({ "id_token": ["email"], "userinfo": ["name"] })
    );
    record["request"].as_object_mut().unwrap().remove("claims");
    store(&op, code_key.as_str(), &record);
    let tokens = body(&exchange(&op, &start, &code));
    assert!(
        jwt_payload(tokens["id_token"].as_str().unwrap())
            .get("email")
            .is_none()
    );

    let asked_again = sign_in_asking(&op, "openid offline_access", &asked);
    let tokens = body(&exchange(&op, &asked_again.1, &asked_again.2));
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let grant_key = Key::<Grants>::new(refresh_token);
    let mut grant = stored(&op, grant_key.as_str());
    assert_eq!(
        grant["claims"],
        json!({ "id_token": ["email"], "userinfo": ["name"] })
    );
    grant.as_object_mut().unwrap().remove("claims");
    store(&op, grant_key.as_str(), &grant);
    let refreshed = refresh(&op, refresh_token);
    assert!(
        jwt_payload(refreshed["id_token"].as_str().unwrap())
            .get("email")
            .is_none()
    );
    let info = userinfo(&op, refreshed["access_token"].as_str().unwrap());
    assert_eq!(members(&info), ["sub"]);
}

/// A claim asked for by name is released only to a client that may ask for the scope that
/// releases it: the `claims` parameter never widens what a client is allowed (a client
/// allowed only `openid` gets neither `email` nor `name`, with or without consent).
#[test]
fn claims_stay_within_the_clients_scopes() {
    let mut config = config_json();
    config["clients"][0]["scopes"] = json!(["openid"]);
    let op = Op::with_config(config);
    let asked = json!({ "id_token": { "email": null, "name": null, "auth_time": null },
                        "userinfo": { "email": null } });
    let (_b, start, code) = sign_in_asking(&op, "openid", &asked);
    let tokens = body(&exchange(&op, &start, &code));
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(
        id_token.get("email").is_none() && id_token.get("name").is_none(),
        "{id_token}"
    );
    assert!(id_token.get("auth_time").is_some());
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(members(&userinfo(&op, access_token)), ["sub"]);
}
