//! `id_token_hint` at the authorization endpoint: OpenID Connect Core 1.0 §3.1.2.1 ("If
//! the End-User identified by the ID Token is logged in or is logged in by the request,
//! then the Authorization Server returns a positive response; else, it SHOULD return an
//! error, such as login_required"). The hint must be an ID token this provider issued to
//! the requesting client (§2: signed with its key, its `iss`, `typ` `JWT`, the client in
//! its `aud`); anything else is `invalid_request`, sent to the client's redirect URI like
//! the other errors of a request whose redirect URI is known (§3.1.2.6). It is read from
//! the query, a request object (RFC 9101 §5) and a pushed request (RFC 9126 §4) alike.

use oidc_edge::jose::Alg;
use oidc_edge::op::form::{Params, encode};
use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const DEMO_SUB: &str = "248289761001";
const SIGNER: &str = "signer";
const SIGNER_REDIRECT: &str = "https://signer.example/cb";
/// What a hint that is not a valid ID token of this provider gets, whether another
/// provider's, tampered, or older than a session.
const NOT_OURS: &str = "not a valid ID token of this provider, or is older than a session";

/// The SPA flow walked by `username` in a new browser: the browser, now signed in as
/// that user, and the ID token the SPA got.
fn signed_in_as<'a>(op: &'a Op, username: &str, password: &str) -> (Browser<'a>, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &[])));
    let back = location(&browser.login(&to_login, username, password));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    (browser, id_token_of(op, &start, &code))
}

fn id_token_of(op: &Op, start: &AuthStart, code: &str) -> String {
    let tokens = exchange(op, start, code).json_body();
    tokens["id_token"].as_str().unwrap().to_owned()
}

/// The parameters of the answer at the SPA's redirect URI.
#[track_caller]
fn at_client(response: &Response) -> Params {
    let back = location(response);
    assert!(back.starts_with(SPA_REDIRECT), "{back}");
    redirect_params(&back)
}

/// An `invalid_request` at the client's redirect URI, with its `state` and a description
/// containing `why`, and no code.
#[track_caller]
fn assert_invalid_hint(response: &Response, start: &AuthStart, why: &str) {
    let params = at_client(response);
    assert_eq!(params.get("error"), Some("invalid_request"), "{why}");
    assert_eq!(params.get("state"), Some(start.state.as_str()), "{why}");
    assert_eq!(params.get("iss"), Some(ISSUER), "{why}");
    assert!(params.get("code").is_none(), "{why}");
    let description = params.get("error_description").unwrap_or_default();
    assert!(description.contains(why), "{why}: {description}");
}

/// §3.1.2.1: a hint naming the signed-in user is answered at once, even with
/// `prompt=none`, and the ID token is about that user. An ID token past its `exp` is
/// still a fine hint (§3.1.2.1: a hint about the "current or past authenticated session").
#[test]
fn a_hint_for_the_signed_in_user_is_answered_with_a_code() {
    let op = Op::new();
    let (browser, hint) = signed_in_as(&op, "demo", "correct horse");
    assert_eq!(jwt_payload(&hint)["sub"], DEMO_SUB);
    let start = AuthStart::new();
    let params = at_client(&with_hint(&browser, &start, &hint, &[("prompt", "none")]));
    assert_eq!(params.get("error"), None, "{params:?}");
    let code = params.get("code").unwrap();
    assert_eq!(
        jwt_payload(&id_token_of(&op, &start, code))["sub"],
        DEMO_SUB
    );

    // An hour on, the hint has expired (lifetimes.id_token is 600 s) and still names
    // the user.
    op.advance(3600);
    let start = AuthStart::new();
    let params = at_client(&with_hint(&browser, &start, &hint, &[("prompt", "none")]));
    assert!(params.get("code").is_some(), "{params:?}");
}

/// §3.1.2.1: with `prompt=none`, a hint naming another user than the signed-in one is
/// `login_required`, and no code; with nobody signed in, `login_required` as without a
/// hint.
#[test]
fn a_hint_for_another_user_is_login_required_with_prompt_none() {
    let op = Op::new();
    let (browser, _demo_hint) = signed_in_as(&op, "demo", "correct horse");
    let (_second_browser, second_hint) = signed_in_as(&op, "second", "second user pw");
    assert_eq!(jwt_payload(&second_hint)["sub"], "u2");
    let start = AuthStart::new();
    let params = at_client(&with_hint(
        &browser,
        &start,
        &second_hint,
        &[("prompt", "none")],
    ));
    assert_eq!(params.get("error"), Some("login_required"));
    assert!(
        params
            .get("error_description")
            .unwrap()
            .contains("id_token_hint"),
        "{params:?}"
    );
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert!(params.get("code").is_none());

    let nobody = Browser::new(&op);
    let params = at_client(&with_hint(
        &nobody,
        &start,
        &second_hint,
        &[("prompt", "none")],
    ));
    assert_eq!(params.get("error"), Some("login_required"));
    assert!(params.get("code").is_none());
}

/// §3.1.2.1 without `prompt=none`: a session of another user is not used, the login page
/// is shown; a sign-in as someone else than the hint names shows it again, saying why and
/// not whom, the request still waiting; a sign-in as the hinted user gets the code.
#[test]
fn the_hinted_user_is_asked_to_sign_in() {
    let op = Op::new();
    let (browser, _demo_hint) = signed_in_as(&op, "demo", "correct horse");
    let (_second_browser, second_hint) = signed_in_as(&op, "second", "second user pw");
    let start = AuthStart::new();
    let to_login = location(&with_hint(&browser, &start, &second_hint, &[]));
    assert!(to_login.starts_with("/login?"), "{to_login}");

    let again = browser.login(&to_login, "demo", "correct horse");
    let html = assert_asked_for_another_account(&again);

    // The page shown again is the same form, for the same waiting request.
    let back = browser.post(
        "/login",
        &[
            ("tx", &hidden(&html, "tx")),
            ("csrf", &hidden(&html, "csrf")),
            ("username", "second"),
            ("password", "second user pw"),
        ],
    );
    let params = at_client(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    let code = params.get("code").unwrap();
    assert_eq!(jwt_payload(&id_token_of(&op, &start, code))["sub"], "u2");
}

/// The configuration without the user `u2` ("second"), as an operator removes a user.
fn without_second_user() -> Value {
    let mut config = config_json();
    config["users"]
        .as_array_mut()
        .unwrap()
        .retain(|user| user["sub"] != "u2");
    config
}

/// `login_required` at the client's redirect URI because the hint's user is gone, with
/// its `state`, and no code.
#[track_caller]
fn assert_hinted_user_gone(response: &Response, start: &AuthStart) {
    let params = at_client(response);
    assert_eq!(params.get("error"), Some("login_required"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert!(params.get("code").is_none());
    let description = params.get("error_description").unwrap_or_default();
    assert!(description.contains("cannot sign in here"), "{description}");
}

/// §3.1.2.1 ("SHOULD return an error, such as login_required"), §3.1.2.6: a hint naming
/// a user this provider can no longer sign in (removed from the configuration) can never
/// be answered. The request ends with `login_required` at the client's redirect URI at
/// once, with or without a session, rather than with a login page that no sign-in gets
/// past.
#[test]
fn a_hint_naming_a_removed_user_ends_the_request() {
    let op = Op::new();
    let (_second, second_hint) = signed_in_as(&op, "second", "second user pw");
    let (browser, _demo_hint) = signed_in_as(&op, "demo", "correct horse");
    op.deploy_config(without_second_user());
    for (browser, extra) in [
        (&browser, &[][..]),
        (&Browser::new(&op), &[][..]),
        (&browser, &[("prompt", "login")][..]),
    ] {
        let start = AuthStart::new();
        let response = with_hint(browser, &start, &second_hint, extra);
        assert_hinted_user_gone(&response, &start);
    }
}

/// The same when the user is removed while the login page waits: the sign-in of another
/// user there ends the request with `login_required` instead of showing the page again.
#[test]
fn a_hinted_user_removed_while_the_login_page_waits_ends_the_request() {
    let op = Op::new();
    let (browser, _demo_hint) = signed_in_as(&op, "demo", "correct horse");
    let (_second, second_hint) = signed_in_as(&op, "second", "second user pw");
    let start = AuthStart::new();
    let to_login = location(&with_hint(&browser, &start, &second_hint, &[]));
    assert!(to_login.starts_with("/login?"), "{to_login}");
    op.deploy_config(without_second_user());
    let response = browser.login(&to_login, "demo", "correct horse");
    assert_hinted_user_gone(&response, &start);
}

/// §3.1.2.1, §2: a hint that is not an ID token this provider issued to this client is
/// `invalid_request` at the client's redirect URI, whoever is signed in. Each case changes
/// one thing in a hint that is otherwise accepted: the `aud` (another client's), the key
/// (another provider's, of the same name), the `typ` (an access token's, RFC 9068 §2.1),
/// the `iss`; and hints that are no JWT at all.
#[test]
fn a_hint_this_provider_did_not_issue_to_this_client_is_invalid_request() {
    let op = Op::new();
    let (browser, hint) = signed_in_as(&op, "demo", "correct horse");
    let claims = jwt_payload(&hint);
    let silent = |hint: &str| {
        let start = AuthStart::new();
        let response = with_hint(&browser, &start, hint, &[("prompt", "none")]);
        (start, response)
    };
    // Signed again as it is, the hint is accepted: each case below fails for its change.
    let (_, same) = silent(&provider_signed(&op, "JWT", &claims));
    assert!(at_client(&same).get("code").is_some());

    let for_third = provider_signed(&op, "JWT", &with(claims.clone(), "aud", json!(THIRD)));
    let (start, response) = silent(&for_third);
    assert_invalid_hint(&response, &start, "issued to another client");
    let among_others = with(claims.clone(), "aud", json!([THIRD, "someone"]));
    let (start, response) = silent(&provider_signed(&op, "JWT", &among_others));
    assert_invalid_hint(&response, &start, "issued to another client");

    let other_provider = Op::new();
    let (start, response) = silent(&provider_signed(&other_provider, "JWT", &claims));
    assert_invalid_hint(&response, &start, NOT_OURS);

    let (start, response) = silent(&provider_signed(&op, "at+jwt", &claims));
    assert_invalid_hint(&response, &start, NOT_OURS);

    let elsewhere = with(claims.clone(), "iss", json!("https://other.example"));
    let (start, response) = silent(&provider_signed(&op, "JWT", &elsewhere));
    assert_invalid_hint(&response, &start, NOT_OURS);

    // A character in the middle of the signature: every one of its six bits is signature,
    // where the last character's low bits are unused (RFC 4648 §3.5), and changing only
    // those would fail the hint as non-canonical base64url, never reaching the signature.
    let (signed, signature) = hint.rsplit_once('.').unwrap();
    let middle = signature.len() / 2;
    let mut changed = signature.to_owned();
    let was = &signature[middle..=middle];
    changed.replace_range(middle..=middle, if was == "A" { "B" } else { "A" });
    let tampered = format!("{signed}.{changed}");
    let unsigned = format!("{signed}.");
    for malformed in [
        tampered.as_str(),
        unsigned.as_str(),
        "not.a.jwt",
        "x",
        "...",
        "eyJhbGciOiJub25lIn0.e30.",
    ] {
        let (start, response) = silent(malformed);
        assert_invalid_hint(&response, &start, NOT_OURS);
    }
    // Far past a session's lifetime, a hint names no live session.
    op.advance(2 * 86_400);
    let (browser, _) = signed_in_as(&op, "demo", "correct horse");
    let start = AuthStart::new();
    let response = with_hint(&browser, &start, &hint, &[("prompt", "none")]);
    assert_invalid_hint(&response, &start, NOT_OURS);
}

/// A hint and a `claims` parameter that ask for different users (§3.1.2.1, §5.5.1) can
/// never both be met: `invalid_request`.
#[test]
fn a_hint_and_a_claims_sub_naming_different_users_are_invalid_request() {
    let op = Op::new();
    let (browser, hint) = signed_in_as(&op, "demo", "correct horse");
    let other = json!({ "id_token": { "sub": { "value": "u2" } } }).to_string();
    let start = AuthStart::new();
    let response = with_hint(&browser, &start, &hint, &[("claims", &other)]);
    assert_invalid_hint(&response, &start, "name different users");
    let same = json!({ "id_token": { "sub": { "value": DEMO_SUB } } }).to_string();
    let response = with_hint(&browser, &start, &hint, &[("claims", &same)]);
    assert!(at_client(&response).get("code").is_some());
}

/// §3.1.2.1: the user who answers the consent page must still be the hinted one. When
/// the browser signs in as someone else meanwhile (another tab), the consent ends in
/// `login_required`, and no code; and that user's consent is not remembered, so the
/// client's next request for them asks again.
#[test]
fn a_consent_given_by_another_user_than_the_hinted_one_gets_no_code() {
    let op = Op::new();
    let (browser, hint) = signed_in_as(&op, "demo", "correct horse");
    let third_hint = provider_signed(&op, "JWT", &with(jwt_payload(&hint), "aud", json!(THIRD)));
    let start = AuthStart::new();
    let consent = browser.get(&start.url(
        THIRD,
        THIRD_REDIRECT,
        "openid",
        &[("id_token_hint", &third_hint)],
    ));
    let to_consent = location(&consent);
    assert!(to_consent.starts_with("/consent?"), "{to_consent}");
    let html = text(&browser.get(&to_consent));

    // Another tab: the same browser signs in as the second user.
    sign_in_in_another_tab(&browser, "second", "second user pw");

    assert_refused_at_consent(
        &browser,
        &html,
        (THIRD, THIRD_REDIRECT),
        &start,
        "login_required",
    );
}

/// A provider with SIGNER: a first-party client with its own ES256 key, for request
/// objects (RFC 9101) and pushed requests (RFC 9126).
fn op_with_signer(key: &ClientKey) -> Op {
    let mut config = config_json();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": SIGNER, "client_type": "confidential",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": { "keys": [key.public] },
        "redirect_uris": [SIGNER_REDIRECT], "scopes": ["openid"], "first_party": true
    }));
    Op::with_config(config)
}

/// SIGNER's whole request, with `extra`, as a request object.
fn request_object(op: &Op, key: &ClientKey, start: &AuthStart, extra: &[(&str, &str)]) -> String {
    let mut claims = json!({
        "iss": SIGNER, "aud": ISSUER, "jti": oidc_edge::random::token(16).unwrap(),
        "iat": op.now(), "nbf": op.now(), "exp": op.now() + 60,
        "client_id": SIGNER, "response_type": "code", "redirect_uri": SIGNER_REDIRECT,
        "scope": "openid", "state": start.state, "nonce": start.nonce,
        "code_challenge": start.pkce.challenge.as_str(), "code_challenge_method": "S256",
    });
    for (name, value) in extra {
        claims[*name] = json!(value);
    }
    sign(key, &claims, &[("typ", json!("oauth-authz-req+jwt"))])
}

/// SIGNER's authentication at `/token` and `/par` (RFC 7523 §2.2).
fn assertion(op: &Op, key: &ClientKey) -> String {
    let jti = oidc_edge::random::token(16).unwrap();
    sign(key, &assertion_claims(op, SIGNER, &jti), &[])
}

/// The parameters of the answer at SIGNER's redirect URI.
#[track_caller]
fn at_signer(response: &Response) -> Params {
    let back = location(response);
    assert!(back.starts_with(SIGNER_REDIRECT), "{back}");
    redirect_params(&back)
}

/// The ID token SIGNER gets for `code` of the request `start`.
fn signer_id_token(op: &Op, key: &ClientKey, start: &AuthStart, code: &str) -> String {
    let auth = assertion(op, key);
    let form = with_assertion(
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", SIGNER_REDIRECT),
            ("code_verifier", start.pkce.verifier.expose()),
        ],
        &auth,
    );
    let tokens = op.send(&token_request(&form)).json_body();
    tokens["id_token"].as_str().unwrap().to_owned()
}

/// SIGNER's flow, with a request object, walked by `username` in a new browser: the
/// browser, now signed in as that user, and the ID token SIGNER got.
fn signer_signed_in_as<'a>(
    op: &'a Op,
    key: &ClientKey,
    username: &str,
    password: &str,
) -> (Browser<'a>, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let object = request_object(op, key, &start, &[]);
    let to_login = location(&browser.get(&format!(
        "/authorize?{}",
        encode(&[("client_id", SIGNER), ("request", &object)])
    )));
    let code = at_signer(&browser.login(&to_login, username, password))
        .get("code")
        .unwrap()
        .to_owned();
    let id_token = signer_id_token(op, key, &start, &code);
    (browser, id_token)
}

/// RFC 9101 §5: in a request object, `id_token_hint` is a parameter like any other and
/// is checked the same: the signed-in user's hint is answered with `prompt=none`, another
/// user's is `login_required`, another client's `invalid_request`; and the hint outside
/// the object is not read.
#[test]
fn a_hint_in_a_request_object_is_checked_the_same() {
    let key = client_key(Alg::Es256, "signer-key");
    let op = op_with_signer(&key);
    let (browser, hint) = signer_signed_in_as(&op, &key, "demo", "correct horse");
    let (_b, second_hint) = signer_signed_in_as(&op, &key, "second", "second user pw");
    let (_b, spa_hint) = signed_in_as(&op, "demo", "correct horse");
    let by_value = |hint: &str, outside: &[(&str, &str)]| {
        let start = AuthStart::new();
        let object = request_object(
            &op,
            &key,
            &start,
            &[("id_token_hint", hint), ("prompt", "none")],
        );
        let mut query = vec![("client_id", SIGNER), ("request", object.as_str())];
        query.extend_from_slice(outside);
        let params = at_signer(&browser.get(&format!("/authorize?{}", encode(&query))));
        (start, params)
    };

    let (start, params) = by_value(&hint, &[]);
    let code = params.get("code").unwrap();
    assert_eq!(
        jwt_payload(&signer_id_token(&op, &key, &start, code))["sub"],
        DEMO_SUB
    );

    let (start, params) = by_value(&second_hint, &[]);
    assert_eq!(params.get("error"), Some("login_required"));
    assert_eq!(params.get("state"), Some(start.state.as_str()));

    let (start, params) = by_value(&spa_hint, &[]);
    assert_eq!(params.get("error"), Some("invalid_request"));
    assert!(
        params
            .get("error_description")
            .unwrap()
            .contains("another client"),
        "{params:?}"
    );
    assert_eq!(params.get("state"), Some(start.state.as_str()));

    // A hint outside the object is none of the request's.
    let (_, params) = by_value(&hint, &[("id_token_hint", &second_hint)]);
    assert!(params.get("code").is_some(), "{params:?}");
}

/// RFC 9126 §2: a pushed request's hint is checked at `/par` (a JSON `invalid_request`
/// to the client) and again at `/authorize`, where the signed-in user's hint is answered
/// with `prompt=none` and another user's is `login_required` (§3.1.2.1).
#[test]
fn a_pushed_hint_is_checked_the_same() {
    let key = client_key(Alg::Es256, "signer-key");
    let op = op_with_signer(&key);
    let (browser, hint) = signer_signed_in_as(&op, &key, "demo", "correct horse");
    let (_b, second_hint) = signer_signed_in_as(&op, &key, "second", "second user pw");
    let (_b, spa_hint) = signed_in_as(&op, "demo", "correct horse");
    let push = |start: &AuthStart, hint: &str| {
        let auth = assertion(&op, &key);
        let form = with_assertion(
            &[
                ("client_id", SIGNER),
                ("response_type", "code"),
                ("redirect_uri", SIGNER_REDIRECT),
                ("scope", "openid"),
                ("state", &start.state),
                ("code_challenge", start.pkce.challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("prompt", "none"),
                ("id_token_hint", hint),
            ],
            &auth,
        );
        op.send(&Request::new("POST", &format!("{ISSUER}/par")).with_form(&form))
    };

    let refused = push(&AuthStart::new(), &spa_hint);
    assert_eq!(refused.status, 400, "{}", text(&refused));
    let error: Value = refused.json_body();
    assert_eq!(error["error"], "invalid_request");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("another client"),
        "{error}"
    );

    // Pushed, then used at `/authorize` in the browser signed in as demo.
    let authorize = |start: &AuthStart, hint: &str| {
        let pushed = push(start, hint).json_body();
        let request_uri = pushed["request_uri"].as_str().unwrap();
        at_signer(&browser.get(&format!(
            "/authorize?{}",
            encode(&[("client_id", SIGNER), ("request_uri", request_uri)])
        )))
    };
    let params = authorize(&AuthStart::new(), &hint);
    assert!(params.get("code").is_some(), "{params:?}");

    let start = AuthStart::new();
    let params = authorize(&start, &second_hint);
    assert_eq!(params.get("error"), Some("login_required"), "{params:?}");
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert!(params.get("code").is_none());
}
