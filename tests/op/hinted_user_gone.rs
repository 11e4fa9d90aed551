//! A request whose `id_token_hint` names a user (OpenID Connect Core §3.1.2.1) ends as
//! naming a user who is gone (`login_required`, §3.1.2.6) only where it would otherwise show
//! a login page that no sign-in gets past. A live session of the hinted user answers it
//! whatever the configuration or the store says of that user, and an upstream user whose
//! account the store does not hold (expired, or written at another location and not yet
//! seen here: Workers KV takes up to a minute) is offered the sign-in that writes it again.

use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::Response;
use oidc_edge::store::Records;
use serde_json::{Value, json};

use crate::op_support::*;
use crate::upstream_sign_in::{
    id_claims, setup, signed_in_upstream, start_in, token_endpoint_answers, tokens_after,
    upstream_config,
};

const DAY: i64 = 86_400;

/// A code at the client's redirect URI, with the request's `state`.
#[track_caller]
fn assert_code(response: &Response, start: &AuthStart, case: &str) {
    let back = location(response);
    assert!(back.starts_with(SPA_REDIRECT), "{case}: {back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()), "{case}");
    assert!(params.get("code").is_some(), "{case}: {back}");
}

/// `login_required` at the client's redirect URI because the hinted user is gone.
#[track_caller]
fn assert_gone(response: &Response, start: &AuthStart, case: &str) {
    let back = location(response);
    assert!(back.starts_with(SPA_REDIRECT), "{case}: {back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("error"), Some("login_required"), "{case}");
    assert_eq!(params.get("state"), Some(start.state.as_str()), "{case}");
    assert!(params.get("code").is_none(), "{case}");
    let description = params.get("error_description").unwrap_or_default();
    assert!(
        description.contains("cannot sign in here"),
        "{case}: {description}"
    );
}

/// The login page, not an answer to the client.
#[track_caller]
fn assert_login_page(response: &Response, case: &str) {
    let to = location(response);
    assert!(to.starts_with("/login?"), "{case}: {to}");
}

/// The store key of the account of local subject `sub` (`records`: `upstream-account:`).
fn account_key(sub: &str) -> String {
    format!("upstream-account:{sub}")
}

/// §3.1.2.1: "the End-User identified by the ID Token is logged in" is answered. A
/// configured user signs in here only with a password; with passwords turned off, their live
/// session still answers a request naming them (with `prompt=none` too, a silent renew),
/// and only a request that needs a sign-in (none in this browser, or `prompt=login`) ends
/// with `login_required`. With passwords on, the login page asks for them.
#[test]
fn a_live_session_answers_a_hint_while_passwords_are_off() {
    let (op, _idp) = setup();
    let (browser, start_demo, code) = sign_in(&op, "openid");
    let hint = body(&exchange(&op, &start_demo, &code))["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut config = upstream_config();
    config["password_login"] = json!(false);
    op.deploy_config(config);

    for extra in [&[][..], &[("prompt", "none")][..]] {
        let start = AuthStart::new();
        assert_code(
            &with_hint(&browser, &start, &hint, extra),
            &start,
            &format!("{extra:?}"),
        );
    }
    let start = AuthStart::new();
    let forced = with_hint(&browser, &start, &hint, &[("prompt", "login")]);
    assert_gone(&forced, &start, "prompt=login");
    let start = AuthStart::new();
    assert_gone(
        &with_hint(&Browser::new(&op), &start, &hint, &[]),
        &start,
        "no session",
    );

    op.deploy_config(upstream_config());
    let start = AuthStart::new();
    let asked = with_hint(&Browser::new(&op), &start, &hint, &[]);
    assert_login_page(&asked, "passwords on");
}

/// Workers KV shows a write at other locations up to a minute later: a hint naming an
/// upstream user whose first sign-in was at another location finds no account here. Their
/// live session still answers (a silent renew, §3.1.2.1), and without one the login page
/// offers the upstream sign-in, rather than `login_required` for a user who is not gone.
#[test]
fn an_upstream_account_not_yet_seen_here_is_not_a_user_who_is_gone() {
    let (op, idp) = setup();
    let (started, tokens) = signed_in_upstream(&op, &idp, "ada");
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let sub = jwt_payload(&hint)["sub"].as_str().unwrap().to_owned();
    let key = account_key(&sub);
    let written = run_ready(op.store.get(&key)).unwrap().expect("the account");
    run_ready(op.store.delete(&key)).unwrap();

    let renew = AuthStart::new();
    let silent = with_hint(&started.browser, &renew, &hint, &[("prompt", "none")]);
    assert_code(&silent, &renew, "prompt=none, live session");
    let start = AuthStart::new();
    let asked = with_hint(&Browser::new(&op), &start, &hint, &[]);
    assert_login_page(&asked, "no session");

    // The write arrives; the code of the silent renew is then redeemed as any.
    run_ready(op.store.put(&key, &written, 3_600)).unwrap();
    let code = redirect_params(&location(&silent))
        .get("code")
        .unwrap()
        .to_owned();
    let tokens = body(&exchange(&op, &renew, &code));
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["sub"],
        json!(sub)
    );
}

/// The account is kept for the longer of the refresh-token and session lifetimes after a
/// sign-in; a refresh does not keep it longer, so a refresh family used on past it ends
/// (RFC 6749 §5.2 `invalid_grant`), while the ID token of its last refresh is still a
/// fine hint (up to a session after it expires). A request with that hint is offered the
/// upstream sign-in, which writes the account again and answers it; only once no upstream
/// provider is configured can nobody be that user.
#[test]
fn a_hint_naming_an_expired_account_is_offered_the_sign_in() {
    let (op, idp) = setup();
    let (_, tokens) = signed_in_upstream(&op, &idp, "ada");
    op.advance(13 * DAY);
    let refresh = |token: &Value| {
        op.send(&token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token.as_str().unwrap()),
            ("client_id", SPA),
        ]))
    };
    let refreshed = refresh(&tokens["refresh_token"]);
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    let refreshed = body(&refreshed);
    let hint = refreshed["id_token"].as_str().unwrap().to_owned();
    let sub = jwt_payload(&hint)["sub"].clone();

    // 14 days and a second after the sign-in: the account has expired.
    op.advance(DAY + 1);
    let sub_text = sub.as_str().unwrap();
    assert!(
        run_ready(op.store.get(&account_key(sub_text)))
            .unwrap()
            .is_none()
    );
    let ended = refresh(&refreshed["refresh_token"]);
    assert_eq!(body(&ended)["error"], json!("invalid_grant"));

    let again = start_in(Browser::new(&op), &[("id_token_hint", hint.as_str())]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &again, "ada")));
    let back = again.come_back("upstream-code");
    let tokens = tokens_after(&op, &again, &back);
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["sub"],
        sub
    );

    // With no upstream provider left, no sign-in can be an upstream user.
    run_ready(op.store.delete(&account_key(sub_text))).unwrap();
    op.deploy_config(config_json());
    let start = AuthStart::new();
    assert_gone(
        &with_hint(&Browser::new(&op), &start, &hint, &[]),
        &start,
        "no providers",
    );
}
