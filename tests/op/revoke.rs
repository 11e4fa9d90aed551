//! The revocation endpoint (RFC 7009): a client revokes its own refresh and access tokens,
//! and with them their grant (the refresh family: §2.1); every other token is answered
//! 200 and left alone (§2.2); the client authenticates exactly as at the token endpoint
//! (§2.1, RFC 6749 §2.3).

use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

/// A confidential client of the code flow that authenticates with HTTP Basic.
const RP: &str = "rp";
const RP_REDIRECT: &str = "https://rp.example/cb";

fn revoke_request(form: &[(&str, &str)]) -> Request {
    Request::new("POST", &absolute("/revoke")).with_form(form)
}

/// The public SPA revokes `token`, identified by its `client_id`.
fn spa_revokes(op: &Op, token: &str, hint: Option<&str>) -> Response {
    let mut form = vec![("token", token), ("client_id", SPA)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    op.send(&revoke_request(&form))
}

/// §2.2: 200, not cacheable, and nothing in the body a client would read.
fn assert_revoked_answer(response: &Response) {
    assert_eq!(response.status, 200, "{}", text(response));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert!(response.body.is_empty(), "{}", text(response));
}

fn refresh(op: &Op, token: &str) -> Response {
    op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", SPA),
    ]))
}

fn userinfo(op: &Op, access: &str) -> Response {
    op.send(
        &Request::new("GET", &absolute("/userinfo"))
            .with_header("authorization", &format!("Bearer {access}")),
    )
}

/// The SPA's tokens after a code flow with `offline_access`: (access, refresh).
fn spa_tokens(op: &Op) -> (String, String) {
    let (_browser, start, code) = sign_in(op, "openid offline_access");
    let tokens = body(&exchange(op, &start, &code));
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// Both tokens still work: the refresh token refreshes, the access token reads /userinfo.
/// The refresh rotates, so this returns the successor.
fn assert_still_valid(op: &Op, access: &str, refresh_token: &str) -> String {
    let info = userinfo(op, access);
    assert_eq!(
        info.status,
        200,
        "the access token still works: {}",
        text(&info)
    );
    let refreshed = refresh(op, refresh_token);
    assert_eq!(
        refreshed.status,
        200,
        "the refresh token still refreshes: {}",
        text(&refreshed)
    );
    body(&refreshed)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Both tokens are dead: the refresh fails `invalid_grant`, the access token gets 401.
fn assert_revoked(op: &Op, access: &str, refresh_token: &str) {
    let refreshed = refresh(op, refresh_token);
    assert_eq!(refreshed.status, 400, "{}", text(&refreshed));
    assert_eq!(body(&refreshed)["error"], "invalid_grant");
    let info = userinfo(op, access);
    assert_eq!(info.status, 401, "{}", text(&info));
    assert_eq!(body(&info)["error_description"], "the token was revoked");
}

/// §2.1: a refresh token revokes its grant, and "SHOULD also invalidate all access tokens
/// based on the same authorization grant": the family's refresh tokens (the one revoked
/// and its predecessor) and every access token naming it.
#[test]
fn a_refresh_token_revokes_its_family_and_its_access_tokens() {
    let op = Op::new();
    let (first_access, first_refresh) = spa_tokens(&op);
    let rotated = body(&refresh(&op, &first_refresh));
    let access = rotated["access_token"].as_str().unwrap();
    let refresh_token = rotated["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo(&op, access).status, 200);

    assert_revoked_answer(&spa_revokes(&op, refresh_token, Some("refresh_token")));
    assert_revoked(&op, access, refresh_token);
    assert_revoked(&op, &first_access, &first_refresh);

    // §2.2: revoking it again is still a success.
    assert_revoked_answer(&spa_revokes(&op, refresh_token, None));
}

/// §2.1: an access token is revoked through the grant it names (`gid`): §2.1 lets the
/// server revoke "the respective authorization grant", which takes the refresh token too.
#[test]
fn an_access_token_revokes_its_grant() {
    let op = Op::new();
    let (access, refresh_token) = spa_tokens(&op);
    let (other_access, other_refresh) = spa_tokens(&op);
    assert_revoked_answer(&spa_revokes(&op, &access, Some("access_token")));
    assert_revoked(&op, &access, &refresh_token);
    // Another grant of the same client and user is untouched.
    assert_still_valid(&op, &other_access, &other_refresh);
}

/// §2.1: the hint only orders the search ("If the server is unable to locate the token
/// using the given hint, it MUST extend its search across all of its supported token
/// types"); §2.2: "An invalid token type hint value is ignored by the authorization server
/// and does not influence the revocation response."
#[test]
fn a_wrong_or_unknown_hint_still_finds_the_token() {
    let op = Op::new();
    let cases: [(bool, Option<&str>); 5] = [
        (true, Some("access_token")), // a refresh token hinted as an access token
        (false, Some("refresh_token")), // an access token hinted as a refresh token
        (true, Some("id_token")),     // not a hint this server knows: ignored
        (false, Some("bogus")),
        (false, None),
    ];
    for (send_refresh, hint) in cases {
        let (access, refresh_token) = spa_tokens(&op);
        let token = if send_refresh {
            &refresh_token
        } else {
            &access
        };
        assert_revoked_answer(&spa_revokes(&op, token, hint));
        assert_revoked(&op, &access, &refresh_token);
    }
}

/// §2.1: the server "verifies whether the token was issued to the client making the
/// revocation request" and does not revoke another client's; §2.2 answers 200 for tokens
/// it does not revoke, so the answer says nothing about another client's token.
#[test]
fn another_clients_token_is_left_alone() {
    let op = Op::with_config(with_rp());
    let (access, mut refresh_token) = spa_tokens(&op);
    for token in [access.clone(), refresh_token.clone()] {
        for hint in [None, Some("access_token"), Some("refresh_token")] {
            let mut form = vec![("token", token.as_str())];
            if let Some(hint) = hint {
                form.push(("token_type_hint", hint));
            }
            let by_service = op.send(
                &revoke_request(&form)
                    .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
            );
            assert_revoked_answer(&by_service);
            let mut post = form.clone();
            post.extend([("client_id", THIRD), ("client_secret", SERVICE_SECRET)]);
            assert_revoked_answer(&op.send(&revoke_request(&post)));
        }
    }
    refresh_token = assert_still_valid(&op, &access, &refresh_token);

    // And the other way round: the public SPA names a confidential client's tokens.
    let (rp_access, rp_refresh) = rp_tokens(&op);
    assert_revoked_answer(&spa_revokes(&op, &rp_access, None));
    assert_revoked_answer(&spa_revokes(&op, &rp_refresh, None));
    assert_eq!(userinfo(&op, &rp_access).status, 200);
    let rp_refreshed = op.send(
        &token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rp_refresh),
        ])
        .with_header("authorization", &basic(RP, SERVICE_SECRET)),
    );
    assert_eq!(rp_refreshed.status, 200, "{}", text(&rp_refreshed));
    assert_still_valid(&op, &access, &refresh_token);
}

/// §2.2: "invalid tokens do not cause an error response": unknown, malformed, forged,
/// long and expired tokens are answered 200, and revoke nothing. A token past the form's
/// value limit (8 KiB, as at every form endpoint) makes the request itself malformed: 400.
#[test]
fn unknown_malformed_and_oversized_tokens_get_200() {
    let op = Op::new();
    let (access, refresh_token) = spa_tokens(&op);
    // The access token with its signature changed, and its payload with another `gid`.
    let mut parts: Vec<&str> = access.split('.').collect();
    let forged_signature = format!("{}AAAA", &parts[2][..parts[2].len() - 4]);
    parts[2] = &forged_signature;
    let forged = parts.join(".");
    let unsigned = format!(
        "{}.{}.",
        access.split('.').next().unwrap(),
        oidc_edge::b64::encode(
            json!({ "gid": "x", "client_id": SPA })
                .to_string()
                .as_bytes()
        )
    );
    let garbage = [
        "x".to_owned(),
        "a.b.c".to_owned(),
        "é€𐍈".to_owned(),
        "%00".to_owned(),
        format!("{refresh_token}x"),
        forged,
        unsigned,
        "r".repeat(oidc_edge::op::form::MAX_VALUE_LEN),
    ];
    for token in &garbage {
        for hint in [None, Some("access_token"), Some("refresh_token")] {
            assert_revoked_answer(&spa_revokes(&op, token, hint));
        }
    }
    let refresh_token = assert_still_valid(&op, &access, &refresh_token);

    let too_long = "r".repeat(oidc_edge::op::form::MAX_VALUE_LEN + 1);
    let refused = spa_revokes(&op, &too_long, None);
    assert_eq!(refused.status, 400);
    assert_eq!(body(&refused)["error"], "invalid_request");

    // An expired access token needs no revocation: 200, and its grant stands.
    let (old_access, _) = spa_tokens(&op);
    op.advance(601);
    assert_eq!(userinfo(&op, &old_access).status, 401);
    assert_revoked_answer(&spa_revokes(&op, &old_access, Some("access_token")));
    let refreshed = refresh(&op, &refresh_token);
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
}

/// §2.1: `token` is REQUIRED (RFC 6749 §5.2 `invalid_request` otherwise); the request is a
/// form POST (§2.1, "application/x-www-form-urlencoded"), and only POST.
#[test]
fn malformed_requests() {
    let op = Op::new();
    let missing = op.send(&revoke_request(&[("client_id", SPA)]));
    assert_eq!(missing.status, 400);
    assert_eq!(body(&missing)["error"], "invalid_request");
    assert_eq!(missing.header("cache-control"), Some("no-store"));
    let empty = op.send(&revoke_request(&[("client_id", SPA), ("token", "")]));
    assert_eq!(
        body(&empty)["error"],
        "invalid_request",
        "an empty value is absent"
    );
    let mut json_body =
        Request::new("POST", &absolute("/revoke")).with_header("content-type", "application/json");
    json_body.body = br#"{"token":"x","client_id":"spa"}"#.to_vec();
    let json_body = op.send(&json_body);
    assert_eq!(json_body.status, 400);
    assert_eq!(body(&json_body)["error"], "invalid_request");
    let twice = op.send(&revoke_request(&[
        ("client_id", SPA),
        ("token", "a"),
        ("token", "b"),
    ]));
    assert_eq!(
        body(&twice)["error"],
        "invalid_request",
        "RFC 6749 §3.2: no repeats"
    );
    let get = op.send(&Request::new(
        "GET",
        &absolute("/revoke?token=x&client_id=spa"),
    ));
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
}

/// Form parameters.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// §2.1: the client authenticates as at the token endpoint (RFC 6749 §2.3); a failure is
/// §2.2.1's `invalid_client`, answered exactly as /token answers it (401, and a `Basic`
/// challenge when Basic was tried), before the token is looked at.
#[test]
fn failed_client_authentication_is_answered_as_at_the_token_endpoint() {
    let op = Op::new();
    let (access, refresh_token) = spa_tokens(&op);
    let attempts: Vec<(Form, Option<String>)> = vec![
        (vec![], Some(basic(SERVICE, "wrong secret"))),
        (vec![], Some(basic("nobody", SERVICE_SECRET))),
        (vec![("client_id", THIRD), ("client_secret", "wrong")], None),
        // A confidential client must authenticate; naming it is not enough.
        (vec![("client_id", SERVICE)], None),
        (vec![("client_id", "nobody")], None),
        // The public client cannot present a secret it does not have.
        (vec![("client_id", SPA), ("client_secret", "x")], None),
        // No client at all.
        (vec![], None),
    ];
    for (form, authorization) in attempts {
        for token in [access.as_str(), refresh_token.as_str()] {
            let send = |path: &str, extra: (&str, &str)| {
                let mut form = form.clone();
                form.push(extra);
                let req = Request::new("POST", &absolute(path)).with_form(&form);
                op.send(&match &authorization {
                    Some(value) => req.with_header("authorization", value),
                    None => req,
                })
            };
            let revoked = send("/revoke", ("token", token));
            let at_token = send("/token", ("grant_type", "client_credentials"));
            assert_eq!(revoked.status, 401, "{form:?}: {}", text(&revoked));
            assert_eq!(body(&revoked)["error"], "invalid_client");
            assert_eq!(
                (revoked.status, &revoked.headers, &revoked.body),
                (at_token.status, &at_token.headers, &at_token.body),
                "{form:?}"
            );
        }
    }
    assert_still_valid(&op, &access, &refresh_token);
}

/// §2.1 with a confidential client authenticating by `client_secret_basic` (RFC 6749
/// §2.3.1): its refresh token revokes its family, its access token its grant.
#[test]
fn a_confidential_client_with_client_secret_basic() {
    let op = Op::with_config(with_rp());
    let rp_revokes = |token: &str, hint: &str| {
        op.send(
            &revoke_request(&[("token", token), ("token_type_hint", hint)])
                .with_header("authorization", &basic(RP, SERVICE_SECRET)),
        )
    };
    let rp_refresh = |token: &str| {
        op.send(
            &token_request(&[("grant_type", "refresh_token"), ("refresh_token", token)])
                .with_header("authorization", &basic(RP, SERVICE_SECRET)),
        )
    };
    for (send_refresh, hint) in [(true, "refresh_token"), (false, "access_token")] {
        let (access, refresh_token) = rp_tokens(&op);
        assert_eq!(userinfo(&op, &access).status, 200);
        let token = if send_refresh {
            &refresh_token
        } else {
            &access
        };
        // Naming the client without its secret is not authenticating (RFC 6749 §2.3).
        let unauthenticated = op.send(&revoke_request(&[("token", token), ("client_id", RP)]));
        assert_eq!(unauthenticated.status, 401);
        assert_eq!(
            rp_refresh(&refresh_token).status,
            200,
            "nothing was revoked"
        );
        let refresh_token = body(&rp_refresh(&refresh_token))["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();

        assert_revoked_answer(&rp_revokes(token, hint));
        let refused = rp_refresh(&refresh_token);
        assert_eq!(
            body(&refused)["error"],
            "invalid_grant",
            "{}",
            text(&refused)
        );
        assert_eq!(userinfo(&op, &access).status, 401);
    }
}

/// A client-credentials access token names no grant (`gid`): nothing revokes it before it
/// expires (`lifetimes.access_token`, minutes). §2.2 answers 200 all the same, and the
/// token keeps working: checked at the DPoP-bound /api/me, where such a token is accepted.
#[test]
fn a_client_credentials_token_is_answered_200_and_expires_on_its_own() {
    let op = Op::new();
    let key = dpop_key(41);
    let token_url = format!("{ISSUER}/token");
    let cc = |nonce: Option<&str>| {
        op.send(
            &token_request(&[("grant_type", "client_credentials"), ("scope", "api:read")])
                .with_header("authorization", &basic(SERVICE, SERVICE_SECRET))
                .with_header(
                    "dpop",
                    &dpop_proof(&op, &key, "POST", &token_url, None, nonce),
                ),
        )
    };
    let nonce = cc(None).header("dpop-nonce").unwrap().to_owned();
    let issued = cc(Some(&nonce));
    assert_eq!(issued.status, 200, "{}", text(&issued));
    let access = body(&issued)["access_token"].as_str().unwrap().to_owned();
    let api = format!("{ISSUER}/api/me");
    let call_api = |nonce: Option<&str>| {
        op.send(
            &Request::new("GET", &api)
                .with_header("authorization", &format!("DPoP {access}"))
                .with_header(
                    "dpop",
                    &dpop_proof(&op, &key, "GET", &api, Some(&access), nonce),
                ),
        )
    };
    let api_nonce = call_api(None).header("dpop-nonce").unwrap().to_owned();
    assert_eq!(call_api(Some(&api_nonce)).status, 200);

    let revoked = op.send(
        &revoke_request(&[("token", &access), ("token_type_hint", "access_token")])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_revoked_answer(&revoked);
    let after = call_api(Some(&api_nonce));
    assert_eq!(after.status, 200, "{}", text(&after));
    assert_eq!(body(&after)["client_id"], SERVICE);
}

/// Fetch §3.2: an SPA revokes from the browser, so /revoke takes CORS as /token does, for
/// the configured origins only. Discovery advertises it (RFC 8414 §2, RFC 7009 §6 for the
/// metadata name) with the token endpoint's authentication methods.
#[test]
fn cors_and_discovery() {
    let op = Op::new();
    let preflight = op.send(
        &Request::new("OPTIONS", &absolute("/revoke"))
            .with_header("origin", "https://spa.example")
            .with_header("access-control-request-method", "POST"),
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("POST")
    );
    let (_access, refresh_token) = spa_tokens(&op);
    let revoked = op.send(
        &revoke_request(&[("token", &refresh_token), ("client_id", SPA)])
            .with_header("origin", "https://spa.example"),
    );
    assert_revoked_answer(&revoked);
    assert_eq!(
        revoked.header("access-control-allow-origin"),
        Some("https://spa.example")
    );
    let evil = op.send(
        &Request::new("OPTIONS", &absolute("/revoke"))
            .with_header("origin", "https://evil.example"),
    );
    assert_eq!(evil.status, 403);

    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/oauth-authorization-server"),
    )));
    assert_eq!(doc["revocation_endpoint"], format!("{ISSUER}/revoke"));
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        doc["token_endpoint_auth_methods_supported"]
    );
}

/// Storage down: 503 `temporarily_unavailable`, as at every endpoint that reads it — never
/// a 200 that would tell the client its token is gone.
#[test]
fn storage_unavailable_is_503() {
    let op = Op::new();
    let (access, refresh_token) = spa_tokens(&op);
    for token in [&access, &refresh_token] {
        let req = revoke_request(&[("token", token), ("client_id", SPA)]);
        let response = op.send_with_store_down(&req);
        assert_eq!(response.status, 503, "{}", text(&response));
        assert_eq!(body(&response)["error"], "temporarily_unavailable");
    }
    assert_still_valid(&op, &access, &refresh_token);
}

/// The test configuration with [`RP`] added: confidential, `client_secret_basic` (the
/// service's secret), code flow with refresh tokens, first party (no consent page).
fn with_rp() -> Value {
    let mut config = config_json();
    let secret_hash = config["clients"][2]["client_secret_hash"].clone();
    config["clients"].as_array_mut().unwrap().push(json!({
        "client_id": RP, "client_type": "confidential", "token_endpoint_auth_method": "client_secret_basic",
        "client_secret_hash": secret_hash, "redirect_uris": [RP_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": ["openid", "offline_access"], "first_party": true
    }));
    config
}

/// [`RP`]'s tokens after a code flow: (access, refresh).
fn rp_tokens(op: &Op) -> (String, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login =
        location(&browser.get(&start.url(RP, RP_REDIRECT, "openid offline_access", &[])));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(back.starts_with(RP_REDIRECT), "{back}");
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let response = op.send(
        &token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_REDIRECT),
            ("code_verifier", start.pkce.verifier.expose()),
        ])
        .with_header("authorization", &basic(RP, SERVICE_SECRET)),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    let tokens = body(&response);
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}
