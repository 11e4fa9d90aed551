//! The introspection endpoint (RFC 7662): a confidential client (a resource server) asks
//! whether a token is active and what it carries (§2.2); every token that is not active is
//! the same `{"active":false}` whatever the reason; only an authenticated confidential
//! client may ask (§2.1). With `Accept: application/token-introspection+jwt` the answer is
//! a JWT signed by the provider (RFC 9701).

use oidc_edge::jose::jwt::{Verified, verify};
use oidc_edge::jose::{CompactJws, Validation};
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::{Request, Response};
use oidc_edge::time::UnixTime;
use serde_json::{Map, Value, json};

use crate::op_support::*;

/// The media type of the RFC 9701 answer (§5, §12.2).
const JWT_TYPE: &str = "application/token-introspection+jwt";

/// The one answer for every token that is not active (§2.2), byte for byte.
const INACTIVE: &[u8] = br#"{"active":false}"#;

/// The members an RFC 7662 §2.2 answer may carry (RFC 7662 §2.2 and its IANA registry),
/// with `cnf` (RFC 9449 §6.2, RFC 8705 §3.2): nothing of the provider's own bookkeeping.
const ANSWER_MEMBERS: [&str; 13] = [
    "active",
    "scope",
    "client_id",
    "username",
    "token_type",
    "exp",
    "iat",
    "nbf",
    "sub",
    "aud",
    "iss",
    "jti",
    "cnf",
];

/// The user [`sign_in`] signs in as.
const DEMO_SUB: &str = "248289761001";

fn introspect_request(form: &[(&str, &str)]) -> Request {
    Request::new("POST", &absolute("/introspect")).with_form(form)
}

/// The service (a confidential client, `client_secret_basic`) asks about `token`.
fn service_asks(op: &Op, token: &str, hint: Option<&str>) -> Response {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    op.send(
        &introspect_request(&form).with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    )
}

/// §2.2: a 200 JSON answer, never cached; its body.
fn answer(response: &Response) -> Value {
    assert_eq!(response.status, 200, "{}", text(response));
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    body(response)
}

/// The answer about an active token: `active: true`, and only registered members.
fn active(response: &Response) -> Map<String, Value> {
    let answer = answer(response);
    assert_eq!(answer["active"], true, "{answer}");
    let members = answer.as_object().unwrap().clone();
    for name in members.keys() {
        assert!(
            ANSWER_MEMBERS.contains(&name.as_str()),
            "{name} is not an introspection member: {answer}"
        );
    }
    members
}

/// §2.2: `{"active":false}` and nothing more, so nothing says why.
fn assert_inactive(response: &Response) {
    answer(response);
    assert_eq!(response.body, INACTIVE, "{}", text(response));
}

/// The SPA's tokens after a code flow with `offline_access`: (access, refresh, ID token).
fn spa_tokens(op: &Op) -> (String, String, String) {
    let (_browser, start, code) = sign_in(op, "openid offline_access");
    let response = exchange(op, &start, &code);
    assert_eq!(response.status, 200, "{}", text(&response));
    let tokens = body(&response);
    let token = |name: &str| tokens[name].as_str().unwrap().to_owned();
    (
        token("access_token"),
        token("refresh_token"),
        token("id_token"),
    )
}

fn refresh(op: &Op, token: &str) -> Response {
    op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", SPA),
    ]))
}

/// The claims of a JWT, read without checking it (the test issued it).
fn claims_of(jwt: &str) -> Map<String, Value> {
    serde_json::from_slice(CompactJws::parse(jwt).unwrap().payload()).unwrap()
}

/// A `client_credentials` access token of the service (Bearer, no DPoP).
fn service_token(op: &Op) -> String {
    let response = op.send(
        &token_request(&[("grant_type", "client_credentials"), ("scope", "api:read")])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)["access_token"].as_str().unwrap().to_owned()
}

/// §2.2: an active access token is answered with what it carries: its scope, client,
/// subject, audience, issuer, times and id, `token_type` `Bearer` (RFC 6750); none of the
/// provider's own claims (`gid`, the grant; `sid`, the session) that no resource needs.
/// The client asking is not the one the token was issued to (the module's stated policy:
/// any confidential client may ask about any token).
#[test]
fn an_access_token_is_active_with_what_it_carries() {
    let op = Op::new();
    let (access, _refresh, _id) = spa_tokens(&op);
    let claims = claims_of(&access);
    assert!(claims.contains_key("gid") && claims.contains_key("sid"));

    let answer = active(&service_asks(&op, &access, None));
    assert_eq!(answer["client_id"], SPA);
    assert_eq!(answer["sub"], DEMO_SUB);
    assert_eq!(answer["scope"], "openid offline_access");
    assert_eq!(answer["aud"], ISSUER);
    assert_eq!(answer["iss"], ISSUER);
    assert_eq!(answer["iat"], op.now());
    assert_eq!(answer["exp"], op.now() + 600);
    assert_eq!(answer["token_type"], "Bearer");
    for name in [
        "scope",
        "client_id",
        "sub",
        "aud",
        "iss",
        "exp",
        "iat",
        "jti",
    ] {
        assert_eq!(answer.get(name), claims.get(name), "{name}");
    }
    for internal in ["gid", "sid", "cnf"] {
        assert!(answer.get(internal).is_none(), "{internal}: {answer:?}");
    }
}

/// §2.2: a refresh token is active while it refreshes: its scope, client, subject and
/// issuer, `token_type` `refresh_token`. Rotation (RFC 9700 §4.14.2) ends it at once,
/// even within the retry grace: the successor is the token that is active.
#[test]
fn a_refresh_token_is_active_until_it_is_rotated() {
    let op = Op::new();
    let (_access, refresh_token, _id) = spa_tokens(&op);
    let answer = active(&service_asks(&op, &refresh_token, None));
    assert_eq!(
        Value::Object(answer.clone()),
        json!({
            "active": true,
            "scope": "openid offline_access",
            "client_id": SPA,
            "sub": DEMO_SUB,
            "iss": ISSUER,
            "token_type": "refresh_token",
        })
    );

    let rotated = refresh(&op, &refresh_token);
    assert_eq!(rotated.status, 200, "{}", text(&rotated));
    let successor = body(&rotated)["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(successor, refresh_token);
    assert_inactive(&service_asks(&op, &refresh_token, None));
    assert_eq!(active(&service_asks(&op, &successor, None)), answer);
    // The access token the refresh issued is active too, and the first one still is: a
    // rotation does not revoke.
    let new_access = body(&rotated)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        active(&service_asks(&op, &new_access, None))["sub"],
        DEMO_SUB
    );
}

/// RFC 7009 §2.1 with §2.2 here: once the client revokes its refresh token, the grant's
/// access token and refresh token are both `{"active":false}` (the grant's notice and its
/// family mark, `op::grant::lifecycle`); another grant of the same user is untouched.
#[test]
fn revoked_tokens_are_inactive() {
    let op = Op::new();
    let (access, refresh_token, _id) = spa_tokens(&op);
    let (other_access, other_refresh, _id) = spa_tokens(&op);
    active(&service_asks(&op, &access, None));
    active(&service_asks(&op, &refresh_token, None));

    let revoked = op.send(&Request::new("POST", &absolute("/revoke")).with_form(&[
        ("token", &refresh_token),
        ("token_type_hint", "refresh_token"),
        ("client_id", SPA),
    ]));
    assert_eq!(revoked.status, 200, "{}", text(&revoked));
    for token in [&access, &refresh_token] {
        for hint in [None, Some("access_token"), Some("refresh_token")] {
            let response = service_asks(&op, token, hint);
            assert_inactive(&response);
            assert_eq!(body(&response), json!({ "active": false }));
        }
    }
    active(&service_asks(&op, &other_access, None));
    active(&service_asks(&op, &other_refresh, None));
}

/// §2.2: an access token past its `exp` (`lifetimes.access_token`, 600 s) is inactive,
/// though it was answered active (and its check remembered) a second before; its grant's
/// refresh token is still active.
#[test]
fn an_expired_access_token_is_inactive() {
    let op = Op::new();
    let (access, refresh_token, _id) = spa_tokens(&op);
    op.advance(599);
    active(&service_asks(&op, &access, None));
    op.advance(1);
    assert_inactive(&service_asks(&op, &access, None));
    assert_inactive(&service_asks(&op, &access, Some("access_token")));
    active(&service_asks(&op, &refresh_token, None));
}

/// §2.2: a refresh token past `lifetimes.refresh_token` (its record's lifetime) is
/// inactive, as the token endpoint no longer takes it.
#[test]
fn an_expired_refresh_token_is_inactive() {
    let op = Op::new();
    let (_access, refresh_token, _id) = spa_tokens(&op);
    op.advance(1_209_599);
    active(&service_asks(&op, &refresh_token, None));
    op.advance(1);
    assert_inactive(&service_asks(&op, &refresh_token, None));
    assert_eq!(
        body(&refresh(&op, &refresh_token))["error"],
        "invalid_grant"
    );
}

/// §2.2: "If the introspection call is properly authorized but the token is not active,
/// does not exist on this server, or the protected resource is not allowed to introspect
/// this particular token, then the authorization server MUST return an introspection
/// response with the "active" field set to "false"" — and, here, nothing else: unknown,
/// malformed, long, forged (same claims and `kid`, another P-256 key), another issuer's
/// (signed by this provider's own key), an ID token, an unused authorization code, an
/// expired or a rotated token all get the very same answer, so none says which it is.
#[test]
fn every_inactive_token_gets_the_same_answer() {
    // Two providers sharing one signing key: the other's tokens verify here, and only
    // their issuer (and audience) tells them apart.
    let keys = SigningKeys::generate(Some("k1")).unwrap();
    let op = Op::with_config_and_keys(config_json(), keys.clone());
    let mut other_config = config_json();
    other_config["issuer"] = json!("https://other.example");
    let other = Op::with_config_and_keys(other_config, keys);
    let foreign = service_token(&other);
    assert_eq!(claims_of(&foreign)["iss"], "https://other.example");
    active(&service_asks(&other, &foreign, None));

    let (access, refresh_token, id_token) = spa_tokens(&op);
    let (_browser, _start, unused_code) = sign_in(&op, "openid offline_access");
    // The access token's header and claims, signed by a key that is not the provider's.
    let forger = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let forged = oidc_edge::jose::jws::sign_es256(
        CompactJws::parse(&access).unwrap().header().raw.clone(),
        CompactJws::parse(&access).unwrap().payload(),
        &forger,
    );
    assert_eq!(
        CompactJws::parse(&forged).unwrap().header().kid.as_deref(),
        Some("k1")
    );
    let truncated = access[..access.len() - 4].to_owned();
    let (old_access, old_refresh, _id) = spa_tokens(&op);
    assert_eq!(refresh(&op, &old_refresh).status, 200);

    let tokens = [
        ("unknown", oidc_edge::random::token(32).unwrap()),
        ("three dots", "a.b.c".to_owned()),
        ("not base64url", "é€𐍈".to_owned()),
        ("6 KB", "x".repeat(6 * 1024)),
        ("forged", forged),
        ("another issuer", foreign),
        ("truncated signature", truncated),
        ("ID token", id_token),
        ("unused code", unused_code),
        ("rotated refresh token", old_refresh),
        ("one past a refresh token", format!("{refresh_token}x")),
    ];
    // Expired last: the clock moves for every token after it.
    let answers: Vec<(&str, Response)> = tokens
        .iter()
        .flat_map(|(what, token)| {
            [None, Some("access_token"), Some("refresh_token")]
                .map(|hint| (*what, service_asks(&op, token, hint)))
        })
        .collect();
    op.advance(600);
    let expired = service_asks(&op, &old_access, None);
    let first = &answers[0].1;
    for (what, response) in answers.iter().chain([&("expired", expired)]) {
        assert_inactive(response);
        assert_eq!(
            (response.status, &response.headers, &response.body),
            (first.status, &first.headers, &first.body),
            "{what}"
        );
    }
    // The provider's own live tokens are still active: the cases above were refused for
    // what they are, not for the client asking.
    active(&service_asks(&op, &refresh_token, None));
}

/// RFC 6749 §3.1 (which RFC 7662 §2.1 builds on): "Parameters sent without a value MUST
/// be treated as if they were omitted", so an empty `token` is a missing one, 400
/// `invalid_request` (not an inactive token); a token past the form's value limit (8 KiB)
/// makes the request itself malformed.
#[test]
fn an_empty_or_too_long_token_is_a_malformed_request() {
    let op = Op::new();
    for token in [
        String::new(),
        "x".repeat(oidc_edge::op::form::MAX_VALUE_LEN + 1),
    ] {
        let response = service_asks(&op, &token, None);
        assert_eq!(response.status, 400, "{}", text(&response));
        assert_eq!(body(&response)["error"], "invalid_request");
    }
    let longest = "x".repeat(oidc_edge::op::form::MAX_VALUE_LEN);
    assert_inactive(&service_asks(&op, &longest, None));
}

/// §2.1: `token_type_hint` only helps the search: "If the server is unable to locate the
/// token using the given hint, it MUST extend its search across all of its supported
/// token types", and a hint the server does not know is ignored. The answer is the same
/// whatever the hint.
#[test]
fn the_hint_does_not_change_the_answer() {
    let op = Op::new();
    let (access, refresh_token, _id) = spa_tokens(&op);
    for (token, token_type) in [(&access, "Bearer"), (&refresh_token, "refresh_token")] {
        let unhinted = active(&service_asks(&op, token, None));
        assert_eq!(unhinted["token_type"], token_type);
        for hint in [
            "access_token",
            "refresh_token",
            "id_token",
            "bogus",
            "REFRESH_TOKEN",
        ] {
            assert_eq!(
                active(&service_asks(&op, token, Some(hint))),
                unhinted,
                "{token_type} hinted as {hint}"
            );
        }
    }
}

/// Form parameters.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// §2.1: the endpoint "MUST also require some form of authorization"; here, client
/// authentication as at the token endpoint (RFC 6749 §2.3), by a confidential client. A
/// failure is `invalid_client`, answered exactly as /token answers it (401, a `Basic`
/// challenge when Basic was tried: RFC 6749 §5.2), before the token is looked at. The
/// public SPA authenticates by `client_id` alone, which anyone can send: refused the same
/// way, without a challenge. A confidential client with `client_secret_post` may ask.
#[test]
fn only_an_authenticated_confidential_client_may_ask() {
    let op = Op::new();
    let (access, refresh_token, _id) = spa_tokens(&op);
    let attempts: Vec<(Form, Option<String>)> = vec![
        (vec![], Some(basic(SERVICE, "wrong secret"))),
        (vec![], Some(basic("nobody", SERVICE_SECRET))),
        (vec![("client_id", THIRD), ("client_secret", "wrong")], None),
        // A confidential client must authenticate; naming it is not enough.
        (vec![("client_id", SERVICE)], None),
        (vec![("client_id", "nobody")], None),
        // No client at all.
        (vec![], None),
    ];
    for (form, authorization) in &attempts {
        for token in [access.as_str(), refresh_token.as_str()] {
            let send = |path: &str, extra: (&str, &str)| {
                let mut form = form.clone();
                form.push(extra);
                let req = Request::new("POST", &absolute(path)).with_form(&form);
                op.send(&match authorization {
                    Some(value) => req.with_header("authorization", value),
                    None => req,
                })
            };
            let asked = send("/introspect", ("token", token));
            let at_token = send("/token", ("grant_type", "client_credentials"));
            assert_eq!(asked.status, 401, "{form:?}: {}", text(&asked));
            assert_eq!(body(&asked)["error"], "invalid_client");
            // The same answer, but for /token's CORS `Vary: Origin` (no CORS here).
            let at_token_headers: Vec<_> = at_token
                .headers
                .iter()
                .filter(|(name, _)| name != "vary")
                .collect();
            assert_eq!(
                (asked.status, asked.headers.iter().collect(), &asked.body),
                (at_token.status, at_token_headers, &at_token.body),
                "{form:?}"
            );
            let challenge = asked.header("www-authenticate");
            if authorization.is_some() {
                assert!(challenge.unwrap().starts_with("Basic"), "{form:?}");
            } else {
                assert_eq!(challenge, None, "{form:?}");
            }
        }
    }

    // The public client, by its `client_id`, about its own tokens and another's.
    let service = service_token(&op);
    for token in [&access, &refresh_token, &service] {
        let public = op.send(&introspect_request(&[("token", token), ("client_id", SPA)]));
        assert_eq!(public.status, 401, "{}", text(&public));
        assert_eq!(body(&public)["error"], "invalid_client");
        assert_eq!(public.header("cache-control"), Some("no-store"));
        assert_eq!(public.header("www-authenticate"), None);
        assert!(body(&public).get("active").is_none(), "{}", text(&public));
    }

    // The third party, confidential with `client_secret_post`, may.
    let third = op.send(&introspect_request(&[
        ("token", &access),
        ("client_id", THIRD),
        ("client_secret", SERVICE_SECRET),
    ]));
    assert_eq!(active(&third)["client_id"], SPA);
}

/// §2.1: the request is a form POST with a REQUIRED `token` (RFC 6749 §5.2
/// `invalid_request` otherwise, no parameter repeated: §3.2), and only POST. The route
/// is for resource servers, not browser apps: no CORS, so a browser's preflight from even
/// the SPA's own origin is refused, and no answer grants an origin (unlike /revoke).
#[test]
fn malformed_requests_and_no_cors() {
    let op = Op::new();
    let authorized =
        |req: Request| op.send(&req.with_header("authorization", &basic(SERVICE, SERVICE_SECRET)));
    let missing = authorized(introspect_request(&[]));
    assert_eq!(missing.status, 400, "{}", text(&missing));
    assert_eq!(body(&missing)["error"], "invalid_request");
    assert_eq!(missing.header("cache-control"), Some("no-store"));
    let hint_only = authorized(introspect_request(&[("token_type_hint", "access_token")]));
    assert_eq!(body(&hint_only)["error"], "invalid_request");
    let twice = authorized(introspect_request(&[("token", "a"), ("token", "b")]));
    assert_eq!(twice.status, 400);
    assert_eq!(body(&twice)["error"], "invalid_request");
    let mut json_body = Request::new("POST", &absolute("/introspect"))
        .with_header("content-type", "application/json");
    json_body.body = br#"{"token":"x"}"#.to_vec();
    let json_body = authorized(json_body);
    assert_eq!(json_body.status, 400, "{}", text(&json_body));
    assert_eq!(body(&json_body)["error"], "invalid_request");
    for method in ["GET", "PUT", "DELETE"] {
        let other = authorized(Request::new(method, &absolute("/introspect?token=x")));
        assert_eq!(other.status, 405, "{method}");
        assert_eq!(other.header("allow"), Some("POST"));
    }

    let preflight = |path: &str| {
        op.send(
            &Request::new("OPTIONS", &absolute(path))
                .with_header("origin", "https://spa.example")
                .with_header("access-control-request-method", "POST"),
        )
    };
    assert_eq!(preflight("/revoke").status, 204, "the origin is allowed");
    let refused = preflight("/introspect");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("access-control-allow-methods"), None);
    let (access, _refresh, _id) = spa_tokens(&op);
    let from_browser = authorized(
        introspect_request(&[("token", &access)]).with_header("origin", "https://spa.example"),
    );
    active(&from_browser);
    assert_eq!(from_browser.header("access-control-allow-origin"), None);
}

/// RFC 9449 §6.2: a DPoP-bound access token is answered with `token_type` `DPoP` and the
/// key's thumbprint as `cnf.jkt`, so the resource can check the proof; the public SPA's
/// refresh token, bound to the same key (§5), says so too.
#[test]
fn a_dpop_bound_token_says_so() {
    let op = Op::new();
    let key = dpop_key(21);
    let (_browser, tokens) = dpop_sign_in(&op, &key, "openid offline_access");
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    let answer = active(&service_asks(&op, access, None));
    assert_eq!(answer["token_type"], "DPoP");
    assert_eq!(answer["cnf"], json!({ "jkt": key.thumbprint() }));
    assert_eq!(answer["client_id"], SPA);
    assert_eq!(answer["sub"], DEMO_SUB);

    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let answer = active(&service_asks(&op, refresh_token, None));
    assert_eq!(answer["token_type"], "refresh_token");
    assert_eq!(answer["cnf"], json!({ "jkt": key.thumbprint() }));
}

/// RFC 6749 §4.4: a `client_credentials` token is the client's own: `sub` and
/// `client_id` are both the client, `token_type` `Bearer`; it names no grant, so nothing
/// but its `exp` ends it (RFC 7009 §2 leaves it alone).
#[test]
fn a_client_credentials_token_is_the_clients_own() {
    let op = Op::new();
    let token = service_token(&op);
    let answer = active(&service_asks(&op, &token, None));
    assert_eq!(answer["sub"], SERVICE);
    assert_eq!(answer["client_id"], SERVICE);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["scope"], "api:read");
    assert_eq!(answer["aud"], ISSUER);
    assert_eq!(answer["exp"], op.now() + 600);

    let revoked = op.send(
        &Request::new("POST", &absolute("/revoke"))
            .with_form(&[("token", &token)])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET)),
    );
    assert_eq!(revoked.status, 200);
    assert_eq!(active(&service_asks(&op, &token, None)), answer);
    op.advance(600);
    assert_inactive(&service_asks(&op, &token, None));
}

/// The service asks about `token` for a JWT answer, with `accept` as its `Accept`.
fn service_asks_for(op: &Op, token: &str, accept: &str) -> Response {
    op.send(
        &introspect_request(&[("token", token)])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET))
            .with_header("accept", accept),
    )
}

/// An RFC 9701 answer, checked: its media type, not cached, a JWS typed
/// `token-introspection+jwt` whose signature verifies against the published keys, from
/// the issuer to `audience`, made now.
fn signed_answer(op: &Op, response: &Response, audience: &str) -> Verified {
    assert_eq!(response.status, 200, "{}", text(response));
    assert_eq!(response.header("content-type"), Some(JWT_TYPE));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let jwt = std::str::from_utf8(&response.body).unwrap();
    let validation = Validation {
        issuers: vec![ISSUER.into()],
        audiences: vec![audience.into()],
        algorithms: Vec::new(),
        typ: Some("token-introspection+jwt".into()),
        clock_tolerance: 0,
        required_claims: ["iat", "token_introspection"].map(String::from).to_vec(),
    };
    let verified = verify(jwt, &op.jwks, &validation, UnixTime(op.now()))
        .unwrap_or_else(|err| panic!("{err}: {jwt}"));
    assert_eq!(
        verified.header().typ.as_deref(),
        Some("token-introspection+jwt")
    );
    assert_eq!(verified.key().kid(), Some("k1"));
    let claims = verified.claims();
    assert_eq!(claims.get("iss"), Some(&json!(ISSUER)));
    assert_eq!(claims.get("aud"), Some(&json!(audience)));
    assert_eq!(claims.get("iat"), Some(&json!(op.now())));
    // Not an access token's shape: no subject, no expiry at the top.
    assert!(claims.get("sub").is_none() && claims.get("exp").is_none());
    verified
}

/// RFC 9701 §4 and §5: `Accept: application/token-introspection+jwt` gets the answer as
/// a JWT signed by the provider (a key of its JWKS, under an algorithm discovery lists),
/// typed `token-introspection+jwt`, with `iss`, the calling client as `aud`, `iat`, and
/// the RFC 7662 answer, the very one the same question gets as JSON, as
/// `token_introspection`; an inactive token's is `{"active": false}`. Any other `Accept`
/// (JSON, `*/*`) gets plain JSON, and errors stay JSON.
#[test]
fn a_signed_answer_on_request() {
    let op = Op::new();
    let (access, refresh_token, _id) = spa_tokens(&op);
    let doc = body(&op.send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    let algs = doc["introspection_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    for token in [&access, &refresh_token] {
        let plain = answer(&service_asks(&op, token, None));
        assert_eq!(plain["active"], true);
        for accept in [
            JWT_TYPE,
            "application/json;q=0.5, Application/Token-Introspection+JWT",
        ] {
            let signed = signed_answer(&op, &service_asks_for(&op, token, accept), SERVICE);
            assert_eq!(signed.claims().get("token_introspection"), Some(&plain));
            assert!(algs.contains(&json!(signed.header().alg.as_str())));
        }
    }
    let unknown = signed_answer(&op, &service_asks_for(&op, "unknown", JWT_TYPE), SERVICE);
    assert_eq!(
        unknown.claims().get("token_introspection"),
        Some(&json!({ "active": false }))
    );
    // Another client asking is the audience of its answer.
    let by_third = op.send(
        &introspect_request(&[
            ("token", &access),
            ("client_id", THIRD),
            ("client_secret", SERVICE_SECRET),
        ])
        .with_header("accept", JWT_TYPE),
    );
    signed_answer(&op, &by_third, THIRD);

    for accept in ["application/json", "*/*", "application/jwt", "text/html"] {
        let plain = service_asks_for(&op, &access, accept);
        assert_eq!(active(&plain)["client_id"], SPA, "{accept}");
    }
    let refused = op.send(
        &introspect_request(&[("token", &access)])
            .with_header("authorization", &basic(SERVICE, "wrong secret"))
            .with_header("accept", JWT_TYPE),
    );
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("content-type"), Some("application/json"));
    assert_eq!(body(&refused)["error"], "invalid_client");
}

/// RFC 8414 §2: discovery advertises the endpoint, the client authentication it takes
/// (the token endpoint's, without `none`: public clients may not ask), and RFC 9701 §7's
/// `introspection_signing_alg_values_supported`.
#[test]
fn discovery_advertises_introspection() {
    let op = Op::new();
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = body(&op.send(&Request::new("GET", &absolute(path))));
        assert_eq!(
            doc["introspection_endpoint"],
            format!("{ISSUER}/introspect")
        );
        let token_methods = doc["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap();
        assert!(token_methods.contains(&json!("none")));
        let methods: Vec<&Value> = token_methods
            .iter()
            .filter(|m| *m != &json!("none"))
            .collect();
        assert_eq!(
            doc["introspection_endpoint_auth_methods_supported"],
            json!(methods)
        );
        assert_eq!(
            doc["introspection_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post"])
        );
        assert_eq!(
            doc["introspection_signing_alg_values_supported"],
            json!(["ES256"])
        );
    }
}

/// Storage down: 503 `temporarily_unavailable`, never `{"active": false}`, which a
/// resource would take for a revoked token (nor `true`, which it would trust).
#[test]
fn storage_unavailable_is_503() {
    let op = Op::new();
    let (access, refresh_token, _id) = spa_tokens(&op);
    for token in [access.as_str(), refresh_token.as_str(), "unknown"] {
        let req = introspect_request(&[("token", token)])
            .with_header("authorization", &basic(SERVICE, SERVICE_SECRET));
        let response = op.send_with_store_down(&req);
        assert_eq!(response.status, 503, "{}", text(&response));
        assert_eq!(body(&response)["error"], "temporarily_unavailable");
    }
}

/// §2.2: "active" means the token can be used. A refresh token the token endpoint now
/// refuses, because its user was removed from the configuration or its client may no
/// longer refresh (or is gone), is not active.
#[test]
fn a_refresh_token_the_token_endpoint_refuses_is_inactive() {
    use oidc_edge::op::Provider;
    use oidc_edge::op::config::Config;
    /// A change to the configuration.
    type Change = fn(&mut Value);
    let keys = SigningKeys::generate(Some("k1")).unwrap();
    // The same store and keys under a changed configuration: a redeployment.
    let reconfigure = |op: &Op, change: Change| {
        let mut config = config_json();
        change(&mut config);
        *op.provider.borrow_mut() = Provider::new(
            Config::from_json(&config.to_string()).unwrap(),
            SigningKeys::from_jwks_json(&keys.to_string()).unwrap(),
            server_secrets(),
        );
    };
    let changes: [(&str, Change); 3] = [
        ("user removed", |c| {
            c["users"].as_array_mut().unwrap().remove(0);
        }),
        ("refresh_token grant withdrawn", |c| {
            c["clients"][0]["grant_types"] = json!(["authorization_code"]);
        }),
        ("client removed", |c| {
            c["clients"].as_array_mut().unwrap().remove(0);
        }),
    ];
    for (what, change) in changes {
        let op = Op::with_config_and_keys(config_json(), keys.clone());
        let (_access, refresh_token, _id) = spa_tokens(&op);
        assert!(active(&service_asks(&op, &refresh_token, None))["active"] == true);
        reconfigure(&op, change);
        let refused = refresh(&op, &refresh_token);
        assert!(refused.status >= 400, "{what}: {}", text(&refused));
        let answer = service_asks(&op, &refresh_token, None);
        assert_eq!(answer.body, INACTIVE, "{what}: {}", text(&answer));
    }
}

/// RFC 9110 §12.4.2: a media range with `q=0` is "not acceptable": the JWT answer named so
/// is not chosen.
#[test]
fn a_refused_jwt_answer_is_plain_json() {
    let op = Op::new();
    let (access, _refresh, _id) = spa_tokens(&op);
    for (accept, jwt) in [
        (JWT_TYPE.to_owned(), true),
        (format!("{JWT_TYPE};q=0.5, application/json"), true),
        (format!("{JWT_TYPE};q=0, application/json"), false),
        (format!("{JWT_TYPE}; q=0.0"), false),
    ] {
        let response = op.send(
            &introspect_request(&[("token", &access)])
                .with_header("authorization", &basic(SERVICE, SERVICE_SECRET))
                .with_header("accept", &accept),
        );
        assert_eq!(response.status, 200, "{accept}");
        let media = if jwt { JWT_TYPE } else { "application/json" };
        assert_eq!(response.header("content-type"), Some(media), "{accept}");
    }
}
