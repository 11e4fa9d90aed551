//! Upstream sign-in, the claims an upstream's ID token lacks: asked of its UserInfo
//! endpoint (OpenID Connect Core §5.3.1) with the access token of the same token response
//! (RFC 6750 §2.1), its answer used only when it is JSON about the ID token's `sub`
//! (§5.3.2), and never over the ID token's own values (§5.4 puts the scopes' claims at
//! UserInfo; the ID token is the signed statement bound to this sign-in).

use oidc_edge::op::fetch::FetchError;
use serde_json::{Value, json};

use crate::op_support::*;
use crate::upstream_sign_in::{
    IDP_DISCOVERY, IDP_TOKEN, Idp, Started, failed, id_claims, metadata, setup, start,
    token_endpoint_answers, tokens_after,
};

const IDP_USERINFO: &str = "https://idp.example/userinfo";

/// The upstream's discovery document with its UserInfo endpoint.
fn metadata_with_userinfo() -> Value {
    let mut document = metadata();
    document["userinfo_endpoint"] = json!(IDP_USERINFO);
    document
}

/// A provider whose upstream has a UserInfo endpoint.
fn setup_with_userinfo() -> (Op, Idp) {
    let (op, idp) = setup();
    op.web
        .serve_json(IDP_DISCOVERY, None, &metadata_with_userinfo());
    (op, idp)
}

/// An ID token for `sub` without the email claims the configuration maps, as providers
/// that keep their ID tokens small send it.
fn lean_id_claims(op: &Op, started: &Started<'_>, sub: &str) -> Value {
    let mut claims = id_claims(op, started, sub);
    let object = claims.as_object_mut().unwrap();
    object.remove("email");
    object.remove("email_verified");
    claims
}

/// Core §5.3.1, §5.3.2, §5.4: the mapped claims the ID token lacks come from UserInfo,
/// asked once with the upstream's access token as a Bearer token within the fetch limits;
/// what the ID token says wins over what UserInfo says.
#[test]
fn the_claims_an_id_token_lacks_come_from_userinfo() {
    let (op, idp) = setup_with_userinfo();
    op.web.serve_json(
        IDP_USERINFO,
        Some("no-store"),
        &json!({ "sub": "ada", "email": "ada@userinfo.example", "email_verified": true,
                 "name": "Not The ID Token's Name" }),
    );
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    let tokens = tokens_after(&op, &started, &back);

    let asked = op.web.bearer_gets(IDP_USERINFO);
    assert_eq!(asked.len(), 1, "asked once");
    assert_eq!(asked[0].access_token, "upstream-access-token");
    assert_eq!(asked[0].limits.max_bytes, 64 * 1024);
    assert_eq!(asked[0].limits.timeout_ms, 5_000);

    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], json!("ada@userinfo.example"));
    assert_eq!(id_token["email_verified"], json!(true));
    assert_eq!(id_token["name"], json!("Ada Lovelace"), "the ID token wins");
    // Kept with the account: our own UserInfo says the same.
    let userinfo = op.send(
        &oidc_edge::op::Request::new("GET", &format!("{ISSUER}/userinfo")).with_header(
            "authorization",
            &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        ),
    );
    assert_eq!(body(&userinfo)["email"], json!("ada@userinfo.example"));
}

/// Nothing is asked when the ID token carries every mapped claim, nor of an upstream whose
/// discovery document names no UserInfo endpoint (the sign-in then goes on with what the
/// ID token has).
#[test]
fn userinfo_is_asked_only_for_what_is_missing() {
    let (op, idp) = setup_with_userinfo();
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    tokens_after(&op, &started, &back);
    assert!(op.web.bearer_gets(IDP_USERINFO).is_empty());

    let (op, idp) = setup();
    op.web.serve_json(
        IDP_USERINFO,
        None,
        &json!({ "sub": "ada", "email": "x@y.example" }),
    );
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    let tokens = tokens_after(&op, &started, &back);
    assert!(op.web.bearer_gets(IDP_USERINFO).is_empty());
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("email").is_none(), "{id_token}");
}

/// Core §5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly match
/// the sub Claim in the ID Token; if they do not match, the UserInfo Response values MUST
/// NOT be used." The sign-in fails with a code that says so, and no session is made.
#[test]
fn a_userinfo_answer_about_another_subject_is_not_used() {
    let (op, idp) = setup_with_userinfo();
    for answer in [
        json!({ "sub": "mallory", "email": "mallory@idp.example" }),
        json!({ "sub": "ADA", "email": "ada@idp.example" }),
        json!({ "email": "ada@idp.example" }),
        json!({ "sub": 7, "email": "ada@idp.example" }),
    ] {
        op.web.serve_json(IDP_USERINFO, None, &answer);
        let started = start(&op, &[]);
        token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
        let (status, html) = failed(&started.come_back("upstream-code"));
        assert_eq!(status, 400, "{answer}");
        assert!(html.contains("userinfo_sub_mismatch"), "{answer}: {html}");
    }
}

/// Core §5.3.2: the answer is JSON (`application/json`); a signed answer
/// (`application/jwt`) is refused rather than read unverified, as is any answer other than
/// a 200 with a JSON object (RFC 6750 §3: a refused token), one too large, or none. A token
/// response whose token is not a Bearer token (RFC 6749 §5.1, `token_type`) cannot be sent
/// as one: refused before any request. Each is the login page again with its code.
#[test]
fn a_userinfo_answer_that_is_not_json_about_the_user_fails_the_sign_in() {
    let (op, idp) = setup_with_userinfo();
    let json_body = br#"{"sub":"ada","email":"ada@idp.example"}"#.as_slice();
    let big = format!(r#"{{"sub":"ada","pad":"{}"}}"#, "x".repeat(64 * 1024));
    for (status, content_type, answer, code) in [
        (
            200,
            Some("application/jwt"),
            b"eyJ.eyJ.sig".as_slice(),
            "userinfo_not_json",
        ),
        (200, Some("text/html"), json_body, "userinfo_not_json"),
        (200, None, json_body, "userinfo_not_json"),
        (401, Some("application/json"), json_body, "userinfo_refused"),
        (302, Some("application/json"), json_body, "userinfo_refused"),
        (
            200,
            Some("application/json"),
            b"[1]".as_slice(),
            "userinfo_invalid",
        ),
        (
            200,
            Some("application/json"),
            b"{\"sub\":".as_slice(),
            "userinfo_invalid",
        ),
        (
            200,
            Some("application/json"),
            big.as_bytes(),
            "cannot be reached",
        ),
    ] {
        op.web
            .serve_typed(IDP_USERINFO, status, None, content_type, answer);
        let started = start(&op, &[]);
        token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
        let (_, html) = failed(&started.come_back("upstream-code"));
        assert!(html.contains(code), "{status} {content_type:?}: {html}");
    }

    op.web.fail(IDP_USERINFO, FetchError::TimedOut);
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
    let (status, html) = failed(&started.come_back("upstream-code"));
    assert_eq!(status, 503);
    assert!(
        html.contains("Example IdP cannot be reached right now"),
        "{html}"
    );

    // A sender-constrained token: nothing is sent.
    op.web
        .serve_json(IDP_USERINFO, None, &json!({ "sub": "ada" }));
    let before = op.web.bearer_gets(IDP_USERINFO).len();
    for token_type in [json!("DPoP"), json!(null)] {
        let started = start(&op, &[]);
        let id_token = idp.sign(&lean_id_claims(&op, &started, "ada"));
        let mut response = json!({ "access_token": "upstream-access-token",
                                   "expires_in": 300, "id_token": id_token });
        if !token_type.is_null() {
            response["token_type"] = token_type.clone();
        }
        op.web.serve_json(IDP_TOKEN, Some("no-store"), &response);
        let (_, html) = failed(&started.come_back("upstream-code"));
        assert!(
            html.contains("userinfo_token_type_unsupported"),
            "{token_type}: {html}"
        );
    }
    assert_eq!(op.web.bearer_gets(IDP_USERINFO).len(), before);

    // The request still waits: a well-formed answer lets the user in.
    op.web
        .serve_json(IDP_USERINFO, None, &json!({ "sub": "ada" }));
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    tokens_after(&op, &started, &back);
}

/// Discovery §3 and the upstream rule: a UserInfo endpoint the access token would be sent
/// to must be https on a public host, as the upstream's other endpoints. One that is not is
/// never sent the token, but does not refuse the document: a sign-in whose ID token carries
/// every mapped claim goes on, and one that needs UserInfo fails with
/// `userinfo_endpoint_invalid`. `null` is no endpoint (Core §5.1 reads `null` as absent):
/// the sign-in goes on without the claims.
#[test]
fn a_userinfo_endpoint_off_https_is_never_used() {
    for endpoint in [
        json!("http://idp.example/userinfo"),
        json!("https://127.0.0.1/userinfo"),
        json!(7),
    ] {
        let (op, idp) = setup();
        let mut document = metadata_with_userinfo();
        document["userinfo_endpoint"] = endpoint.clone();
        op.web.serve_json(IDP_DISCOVERY, None, &document);
        let started = start(&op, &[]);
        token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "ada")));
        let back = started.come_back("upstream-code");
        tokens_after(&op, &started, &back);

        let started = start(&op, &[]);
        token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
        let (_, html) = failed(&started.come_back("upstream-code"));
        assert!(
            html.contains("userinfo_endpoint_invalid"),
            "{endpoint}: {html}"
        );
        assert_eq!(op.web.bearer_gets(IDP_USERINFO).len(), 0, "{endpoint}");
        assert_eq!(op.web.bearer_gets("http://idp.example/userinfo").len(), 0);
        assert_eq!(op.web.bearer_gets("https://127.0.0.1/userinfo").len(), 0);
    }

    let (op, idp) = setup();
    let mut document = metadata_with_userinfo();
    document["userinfo_endpoint"] = Value::Null;
    op.web.serve_json(IDP_DISCOVERY, None, &document);
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&lean_id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    let tokens = tokens_after(&op, &started, &back);
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert!(id_token.get("email").is_none(), "{id_token}");
}

/// RFC 6750 §2.1: a Bearer token is a `b64token` (letters, digits, `-._~+/`, then any
/// `=`). An upstream access token that is not, or longer than a header field can carry,
/// is never put into one: the sign-in fails with `userinfo_access_token_invalid` and
/// nothing is sent.
#[test]
fn an_access_token_that_is_no_bearer_token_is_not_sent() {
    let (op, idp) = setup_with_userinfo();
    op.web
        .serve_json(IDP_USERINFO, None, &json!({ "sub": "ada" }));
    let long = "a".repeat(8 * 1024 + 1);
    for token in [
        "abc\r\nX-Injected: 1",
        "tok en",
        "café",
        "a=b",
        long.as_str(),
    ] {
        let started = start(&op, &[]);
        let id_token = idp.sign(&lean_id_claims(&op, &started, "ada"));
        op.web.serve_json(
            IDP_TOKEN,
            Some("no-store"),
            &json!({ "access_token": token, "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token }),
        );
        let (_, html) = failed(&started.come_back("upstream-code"));
        assert!(
            html.contains("userinfo_access_token_invalid"),
            "{token:?}: {html}"
        );
    }
    assert!(op.web.bearer_gets(IDP_USERINFO).is_empty());

    // The longest accepted, with its `=` padding.
    let longest = format!("{}==", "a".repeat(8 * 1024 - 2));
    let started = start(&op, &[]);
    let id_token = idp.sign(&lean_id_claims(&op, &started, "ada"));
    op.web.serve_json(
        IDP_TOKEN,
        Some("no-store"),
        &json!({ "access_token": longest, "token_type": "Bearer",
                 "expires_in": 300, "id_token": id_token }),
    );
    let back = started.come_back("upstream-code");
    tokens_after(&op, &started, &back);
    assert_eq!(op.web.bearer_gets(IDP_USERINFO)[0].access_token, longest);
}

/// Core §5.1: `email_verified` says the End-User's address "has been verified", of one
/// address. An ID token with an `email` and no `email_verified` does not take UserInfo's
/// `email_verified` when UserInfo's `email` is another address; it does when it is the
/// same.
#[test]
fn a_userinfo_verified_flag_about_another_address_is_not_taken() {
    let (op, idp) = setup_with_userinfo();
    for (address, verified) in [("other@idp.example", None), ("ada@idp.example", Some(true))] {
        op.web.serve_json(
            IDP_USERINFO,
            None,
            &json!({ "sub": "ada", "email": address, "email_verified": true }),
        );
        let started = start(&op, &[]);
        let mut claims = id_claims(&op, &started, "ada");
        claims.as_object_mut().unwrap().remove("email_verified");
        token_endpoint_answers(&op, &idp.sign(&claims));
        let back = started.come_back("upstream-code");
        let tokens = tokens_after(&op, &started, &back);
        let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
        assert_eq!(id_token["email"], json!("ada@idp.example"), "{address}");
        assert_eq!(
            id_token.get("email_verified").and_then(Value::as_bool),
            verified,
            "{address}"
        );
    }
}
