//! Token exchange (RFC 8693) at the token endpoint: subject tokens (§2.1), the target
//! (`resource`, `audience`), scopes no wider than the subject's, delegation with `act`
//! (§4.1, nested), impersonation only where allowed, the §2.2.2 errors, sender
//! constraint kept (RFC 9449), and revocation reaching what was exchanged.

use oidc_edge::op::{Request, Response};
use serde_json::{Value, json};

use crate::op_support::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID: &str = "urn:ietf:params:oauth:token-type:id_token";
/// May impersonate.
const GATEWAY: &str = "gateway";
/// Must name an actor; gets its own tokens with client credentials.
const DELEGATOR: &str = "delegator";
const API: &str = "https://api.example/";
const BACKEND: &str = "https://backend.example/";

fn exchange_op() -> Op {
    Op::with_config(exchange_config())
}

/// The configuration of [`exchange_op`]: the third-party client may exchange too, with
/// `api:read`, acting through a user's token.
fn exchange_config() -> Value {
    let mut config = config_json();
    config["clients"][1]["grant_types"] = json!(["authorization_code", GRANT]);
    config["clients"][1]["scopes"] = json!(["openid", "email", "api:read"]);
    let secret_hash = config["clients"][2]["client_secret_hash"].clone();
    config["clients"][0]["scopes"] = json!([
        "openid",
        "profile",
        "email",
        "offline_access",
        "api:read",
        "api:write"
    ]);
    let clients = config["clients"].as_array_mut().unwrap();
    clients.push(json!({
        "client_id": GATEWAY, "client_type": "confidential", "client_secret_hash": secret_hash,
        "grant_types": [GRANT], "scopes": ["openid", "email", "api:read", "api:write"],
        "token_exchange_impersonation": true
    }));
    clients.push(json!({
        "client_id": DELEGATOR, "client_type": "confidential", "client_secret_hash": secret_hash,
        "grant_types": [GRANT, "client_credentials"], "scopes": ["api:read"]
    }));
    config["resources"] = json!([
        { "resource": API, "scopes": ["api:read", "api:write"] },
        { "resource": BACKEND, "scopes": ["api:read"] }
    ]);
    config
}

/// The SPA's tokens for `scope`, as user demo.
fn spa_tokens(op: &Op, scope: &str) -> Value {
    let (_, start, code) = sign_in(op, scope);
    let response = exchange(op, &start, &code);
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

/// A token exchange by `client` (authenticated with the test secret).
fn exchange_as(op: &Op, client: &str, form: &[(&str, &str)]) -> Response {
    let mut all = vec![("grant_type", GRANT)];
    all.extend_from_slice(form);
    op.send(&token_request(&all).with_header("authorization", &basic(client, SERVICE_SECRET)))
}

/// A token exchange by `client` of `token`, of type `kind`, for `resource`, with no actor.
fn exchange_subject(op: &Op, client: &str, token: &str, kind: &str, resource: &str) -> Response {
    exchange_as(
        op,
        client,
        &[
            ("subject_token", token),
            ("subject_token_type", kind),
            ("resource", resource),
        ],
    )
}

fn error_of(response: &Response) -> String {
    assert_eq!(response.status, 400, "{}", text(response));
    body(response)["error"].as_str().unwrap().to_owned()
}

/// The delegator's own access token (client credentials): its actor token.
fn delegator_token(op: &Op) -> String {
    let response = op.send(
        &token_request(&[("grant_type", "client_credentials")])
            .with_header("authorization", &basic(DELEGATOR, SERVICE_SECRET)),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)["access_token"].as_str().unwrap().to_owned()
}

/// The third-party client's tokens for `scope`, as `username`, who consents.
fn third_party_tokens(op: &Op, username: &str, password: &str, scope: &str) -> Value {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(THIRD, THIRD_REDIRECT, scope, &[])));
    let to_consent = location(&browser.login(&to_login, username, password));
    let html = text(&browser.get(&to_consent));
    let back = location(&browser.answer_consent(&html, "allow"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let response = op.send(&token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", THIRD_REDIRECT),
        ("client_id", THIRD),
        ("client_secret", SERVICE_SECRET),
        ("code_verifier", start.pkce.verifier.expose()),
    ]));
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

/// `/introspect` of `token` by the gateway: whether it is active, and the answer.
fn introspect(op: &Op, token: &str) -> Value {
    let response = op.send(
        &Request::new("POST", &absolute("/introspect"))
            .with_form(&[("token", token)])
            .with_header("authorization", &basic(GATEWAY, SERVICE_SECRET)),
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

/// RFC 8693 §2.1-§2.2.1: an access token of the SPA, impersonated by the gateway, for
/// another resource: `issued_token_type`, the subject's `sub`, the gateway as `client_id`,
/// the resource as `aud`, only the scopes it takes, no refresh or ID token, no longer-lived
/// than the subject token.
#[test]
fn an_access_token_exchanged_for_another_resource() {
    let op = exchange_op();
    let subject = spa_tokens(&op, "openid api:read api:write");
    let subject_token = subject["access_token"].as_str().unwrap();
    op.advance(100);
    let response = exchange_as(
        &op,
        GATEWAY,
        &[
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS),
            ("resource", BACKEND),
        ],
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let tokens = body(&response);
    assert_eq!(tokens["issued_token_type"], ACCESS);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "api:read", "the scopes the backend takes");
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
    assert_eq!(
        tokens["expires_in"], 500,
        "no longer than the subject token's 600 s"
    );
    let claims = jwt_payload(tokens["access_token"].as_str().unwrap());
    let original = jwt_payload(subject_token);
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(claims["client_id"], GATEWAY);
    assert_eq!(claims["aud"], BACKEND);
    assert_eq!(claims["exp"], original["exp"]);
    assert!(claims.get("act").is_none(), "impersonation: no actor");
    assert_ne!(claims["gid"], original["gid"], "a grant of its own");
    assert_eq!(claims["pgid"], json!([original["gid"]]));

    // `audience` names a resource as `resource` does; with both, the token is for both.
    let by_audience = exchange_as(
        &op,
        GATEWAY,
        &[
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS),
            ("audience", API),
            ("scope", "api:write"),
        ],
    );
    let claims = jwt_payload(body(&by_audience)["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "api:write");
    assert_eq!(
        introspect(&op, body(&by_audience)["access_token"].as_str().unwrap())["active"],
        true
    );
}

/// RFC 8693 §2.2.2: `invalid_target` for a resource not configured, `invalid_request`
/// without one; `invalid_scope` for scopes wider than the subject token's.
#[test]
fn targets_and_scopes() {
    let op = exchange_op();
    let subject = spa_tokens(&op, "openid api:read");
    let token = subject["access_token"].as_str().unwrap();
    let refused = |extra: &[(&str, &str)]| {
        let mut form = vec![("subject_token", token), ("subject_token_type", ACCESS)];
        form.extend_from_slice(extra);
        error_of(&exchange_as(&op, GATEWAY, &form))
    };
    assert_eq!(
        refused(&[("resource", "https://elsewhere.example/")]),
        "invalid_target"
    );
    assert_eq!(refused(&[("audience", "elsewhere")]), "invalid_target");
    assert_eq!(refused(&[]), "invalid_request");
    // Wider than the subject token's (it has no api:write).
    assert_eq!(
        refused(&[("resource", API), ("scope", "api:write")]),
        "invalid_scope"
    );
    // Not one the resource takes.
    assert_eq!(
        refused(&[("resource", BACKEND), ("scope", "openid")]),
        "invalid_scope"
    );
    assert_eq!(
        refused(&[
            ("resource", API),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token"
            )
        ]),
        "invalid_request"
    );
    // Within the exchanging client's own scopes too: the delegator may have api:read only.
    let both = spa_tokens(&op, "openid api:read api:write");
    let actor = delegator_token(&op);
    let delegated = |scope: Option<&str>| {
        let mut form = vec![
            ("subject_token", both["access_token"].as_str().unwrap()),
            ("subject_token_type", ACCESS),
            ("resource", API),
            ("actor_token", actor.as_str()),
            ("actor_token_type", ACCESS),
        ];
        form.extend(scope.map(|s| ("scope", s)));
        exchange_as(&op, DELEGATOR, &form)
    };
    assert_eq!(body(&delegated(None))["scope"], "api:read");
    assert_eq!(error_of(&delegated(Some("api:write"))), "invalid_scope");
    // A client without the grant.
    let without = exchange_as(
        &op,
        SERVICE,
        &[
            ("subject_token", token),
            ("subject_token_type", ACCESS),
            ("resource", API),
        ],
    );
    assert_eq!(error_of(&without), "unauthorized_client");
}

/// RFC 8693 §2.2.2: a subject token that is not an active token of this provider's is
/// `invalid_request`: malformed, of the wrong declared type, expired, revoked, signed by
/// another key.
#[test]
fn subject_tokens_that_are_refused() {
    let op = exchange_op();
    let subject = spa_tokens(&op, "openid api:read offline_access");
    let access = subject["access_token"].as_str().unwrap();
    let id_token = subject["id_token"].as_str().unwrap();
    let try_subject = |token: &str, kind: &str| {
        exchange_as(
            &op,
            GATEWAY,
            &[
                ("subject_token", token),
                ("subject_token_type", kind),
                ("resource", API),
            ],
        )
    };
    assert_eq!(
        error_of(&try_subject("not-a-token", ACCESS)),
        "invalid_request"
    );
    assert_eq!(error_of(&try_subject(id_token, ACCESS)), "invalid_request");
    assert_eq!(error_of(&try_subject(access, ID)), "invalid_request");
    assert_eq!(
        error_of(&try_subject(access, "urn:ietf:params:oauth:token-type:jwt")),
        "invalid_request"
    );
    let missing = exchange_as(
        &op,
        GATEWAY,
        &[("subject_token", access), ("resource", API)],
    );
    assert_eq!(error_of(&missing), "invalid_request");
    // Another provider's token, with the same claims.
    let other = exchange_op();
    let foreign = spa_tokens(&other, "openid api:read");
    assert_eq!(
        error_of(&try_subject(
            foreign["access_token"].as_str().unwrap(),
            ACCESS
        )),
        "invalid_request"
    );
    assert_eq!(try_subject(access, ACCESS).status, 200);
    // Revoked with its grant (RFC 7009 by its own client).
    let revoked = op.send(&Request::new("POST", &absolute("/revoke")).with_form(&[
        ("token", subject["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    assert_eq!(revoked.status, 200);
    assert_eq!(error_of(&try_subject(access, ACCESS)), "invalid_request");
    // Expired.
    let fresh = spa_tokens(&op, "openid api:read");
    op.advance(600);
    assert_eq!(
        error_of(&try_subject(
            fresh["access_token"].as_str().unwrap(),
            ACCESS
        )),
        "invalid_request"
    );
}

/// RFC 8693 §4.1: with an actor token the token is delegated, `act` naming the actor;
/// exchanged again, the new actor is outermost and the prior one nested. A client not
/// allowed to impersonate must name an actor, and the actor token must be its own (an
/// access token of another user, issued to another client, is refused).
#[test]
fn delegation_names_the_actor_nested_for_chains() {
    let op = exchange_op();
    let subject = spa_tokens(&op, "openid api:read");
    let subject_token = subject["access_token"].as_str().unwrap();
    let actor = delegator_token(&op);
    let delegate = |subject_token: &str, actor: Option<&str>| {
        let mut form = vec![
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS),
            ("resource", BACKEND),
        ];
        if let Some(actor) = actor {
            form.push(("actor_token", actor));
            form.push(("actor_token_type", ACCESS));
        }
        exchange_as(&op, DELEGATOR, &form)
    };
    assert_eq!(error_of(&delegate(subject_token, None)), "invalid_request");
    let once = delegate(subject_token, Some(&actor));
    assert_eq!(once.status, 200, "{}", text(&once));
    let once = body(&once)["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_payload(&once);
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(claims["act"], json!({ "sub": DELEGATOR }));
    let twice = body(&delegate(&once, Some(&actor)))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = jwt_payload(&twice);
    assert_eq!(
        claims["act"],
        json!({ "sub": DELEGATOR, "act": { "sub": DELEGATOR } })
    );
    assert_eq!(
        claims["pgid"],
        json!([jwt_payload(&once)["gid"], jwt_payload(subject_token)["gid"]])
    );
    // RFC 7662 §2.2 with RFC 8693 §4.1: introspection shows the actor.
    assert_eq!(
        introspect(&op, &twice)["act"],
        json!({ "sub": DELEGATOR, "act": { "sub": DELEGATOR } })
    );

    // Another user's token, issued to another client, is no actor token of this client.
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid api:read", &[])));
    let back = location(&browser.login(&to_login, "second", "second user pw"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let theirs = body(&exchange(&op, &start, &code));
    let stolen = delegate(
        subject_token,
        Some(theirs["access_token"].as_str().unwrap()),
    );
    assert_eq!(error_of(&stolen), "invalid_request");
    assert!(text(&stolen).contains("not issued to this client"));
    // An actor token needs its type, and a type needs its token.
    let untyped = exchange_as(
        &op,
        DELEGATOR,
        &[
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS),
            ("resource", BACKEND),
            ("actor_token", &actor),
        ],
    );
    assert_eq!(error_of(&untyped), "invalid_request");
}

/// The chain of exchanges is bounded, so tokens stay small: four delegations, whether the
/// actor is the client itself or a user whose grant the tokens also name; eight
/// impersonations.
#[test]
fn chains_are_bounded() {
    let op = exchange_op();
    let agent = third_party_tokens(&op, "second", "second user pw", "openid api:read");
    let agent = agent["access_token"].as_str().unwrap();
    let own = delegator_token(&op);
    for (client, actor) in [(DELEGATOR, own.as_str()), (THIRD, agent)] {
        let mut token = spa_tokens(&op, "openid api:read")["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let mut form = vec![
                ("grant_type", GRANT),
                ("subject_token", token.as_str()),
                ("subject_token_type", ACCESS),
                ("resource", BACKEND),
                ("actor_token", actor),
                ("actor_token_type", ACCESS),
            ];
            // The third-party client authenticates with client_secret_post, the delegator
            // with client_secret_basic.
            let response = if client == THIRD {
                form.extend([("client_id", THIRD), ("client_secret", SERVICE_SECRET)]);
                op.send(&token_request(&form))
            } else {
                op.send(
                    &token_request(&form)
                        .with_header("authorization", &basic(client, SERVICE_SECRET)),
                )
            };
            statuses.push(response.status);
            if response.status == 200 {
                token = body(&response)["access_token"].as_str().unwrap().to_owned();
            }
        }
        assert_eq!(statuses, [200, 200, 200, 200, 400, 400], "{client}");
    }
    // Impersonation nests no actor: each exchange adds the subject's grant, up to eight.
    let mut token = spa_tokens(&op, "openid api:read")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let response = exchange_subject(&op, GATEWAY, &token, ACCESS, BACKEND);
        statuses.push(response.status);
        if response.status == 200 {
            token = body(&response)["access_token"].as_str().unwrap().to_owned();
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 400, 400]);
}

/// Revoking the subject token's grant revokes what was exchanged from it, and what was
/// exchanged from that; the exchanging client revoking its token revokes only its own.
#[test]
fn revocation_reaches_what_was_exchanged() {
    let op = exchange_op();
    let subject = spa_tokens(&op, "openid api:read offline_access");
    let subject_token = subject["access_token"].as_str().unwrap();
    let exchange_for = |token: &str| {
        let response = exchange_subject(&op, GATEWAY, token, ACCESS, BACKEND);
        assert_eq!(response.status, 200, "{}", text(&response));
        body(&response)["access_token"].as_str().unwrap().to_owned()
    };
    // The gateway revokes its own exchanged token: the SPA's stays.
    let first = exchange_for(subject_token);
    let revoke = |client: &str, token: &str| {
        op.send(
            &Request::new("POST", &absolute("/revoke"))
                .with_form(&[("token", token)])
                .with_header("authorization", &basic(client, SERVICE_SECRET)),
        )
    };
    assert_eq!(revoke(GATEWAY, &first).status, 200);
    assert_eq!(introspect(&op, &first)["active"], false);
    assert_eq!(introspect(&op, subject_token)["active"], true);

    let second = exchange_for(subject_token);
    let third = exchange_for(&second);
    assert_eq!(introspect(&op, &third)["active"], true);
    let revoked = op.send(&Request::new("POST", &absolute("/revoke")).with_form(&[
        ("token", subject["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    assert_eq!(revoked.status, 200);
    for token in [subject_token, second.as_str(), third.as_str()] {
        assert_eq!(introspect(&op, token)["active"], false);
    }
}

/// An ID token of this provider's is a subject token too (RFC 8693 §3): its scope is what
/// its user granted the client it was issued to (every scope of a first-party client).
#[test]
fn an_id_token_as_the_subject() {
    let op = exchange_op();
    // The SPA is first-party: its ID token stands for every scope the SPA may have.
    let spa = spa_tokens(&op, "openid");
    let response = exchange_as(
        &op,
        GATEWAY,
        &[
            ("subject_token", spa["id_token"].as_str().unwrap()),
            ("subject_token_type", ID),
            ("resource", API),
        ],
    );
    assert_eq!(response.status, 200, "{}", text(&response));
    let claims = jwt_payload(body(&response)["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(claims["scope"], "api:read api:write");
    assert_eq!(claims["pgid"], json!([]), "an ID token names no grant");

    // The third-party client: what the user consented to, no more.
    let tokens = third_party_tokens(&op, "demo", "correct horse", "openid email");
    let id_token = tokens["id_token"].as_str().unwrap();
    let exchange_id = |resource: &str| exchange_subject(&op, GATEWAY, id_token, ID, resource);
    assert_eq!(
        error_of(&exchange_id(API)),
        "invalid_scope",
        "no api scope was granted"
    );
    let own_api = format!("{ISSUER}/api/me");
    let granted = exchange_id(&own_api);
    assert_eq!(granted.status, 200, "{}", text(&granted));
    assert_eq!(body(&granted)["scope"], "openid email");
    op.advance(600);
    assert_eq!(
        error_of(&exchange_id(&own_api)),
        "invalid_request",
        "expired"
    );
}

/// RFC 9449: a DPoP-bound subject token is exchanged only with a proof of its key, and
/// the new token is bound to the same key.
#[test]
fn dpop_bound_subject_tokens_stay_bound() {
    let op = exchange_op();
    let key = dpop_key(7);
    let (_, tokens) = dpop_sign_in(&op, &key, "openid api:read");
    let subject_token = tokens["access_token"].as_str().unwrap();
    let form = [
        ("grant_type", GRANT),
        ("subject_token", subject_token),
        ("subject_token_type", ACCESS),
        ("resource", BACKEND),
    ];
    let request =
        || token_request(&form).with_header("authorization", &basic(GATEWAY, SERVICE_SECRET));
    assert_eq!(error_of(&op.send(&request())), "invalid_request");
    let token_url = format!("{ISSUER}/token");
    let with_key = |key: &oidc_edge::jose::Jwk| {
        let first = op.send(&request().with_header(
            "dpop",
            &dpop_proof(&op, key, "POST", &token_url, None, None),
        ));
        let nonce = first.header("dpop-nonce").unwrap().to_owned();
        op.send(&request().with_header(
            "dpop",
            &dpop_proof(&op, key, "POST", &token_url, None, Some(&nonce)),
        ))
    };
    assert_eq!(error_of(&with_key(&dpop_key(8))), "invalid_request");
    let bound = with_key(&key);
    assert_eq!(bound.status, 200, "{}", text(&bound));
    let bound = body(&bound);
    assert_eq!(bound["token_type"], "DPoP");
    assert_eq!(
        jwt_payload(bound["access_token"].as_str().unwrap())["cnf"],
        jwt_payload(subject_token)["cnf"]
    );
}

/// The configuration: the grant is for confidential clients (RFC 8693 §2.1 trusts the
/// client with other parties' tokens); discovery lists it.
#[test]
fn configuration_rules() {
    let with_client = |client: Value| {
        let mut config = config_json();
        config["clients"].as_array_mut().unwrap().push(client);
        oidc_edge::op::config::Config::from_json(&config.to_string())
    };
    let public = with_client(json!({
        "client_id": "x", "client_type": "public", "grant_types": [GRANT], "scopes": ["api:read"]
    }));
    assert_eq!(public.unwrap_err().path, "clients[3].grant_types[0]");
    let doc = body(&exchange_op().send(&Request::new(
        "GET",
        &absolute("/.well-known/openid-configuration"),
    )));
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(GRANT))
    );
}

/// RFC 8693 §4.1: `act` names the party that acted. An actor token that was itself
/// exchanged stands for its subject with this client acting, not for a party of its own,
/// so it is refused. A user's own token is an actor (a support agent acting for a
/// customer): the delegated token is revoked with the actor's grant and outlives neither
/// token.
#[test]
fn an_actor_is_a_party_that_acted() {
    let op = exchange_op();
    let demo = spa_tokens(&op, "openid api:read");
    let demo_token = demo["access_token"].as_str().unwrap();
    let own = delegator_token(&op);
    let delegate = |client: &str, subject: &str, actor: &str| {
        exchange_as(
            &op,
            client,
            &[
                ("subject_token", subject),
                ("subject_token_type", ACCESS),
                ("resource", BACKEND),
                ("actor_token", actor),
                ("actor_token_type", ACCESS),
            ],
        )
    };
    let for_demo = delegate(DELEGATOR, demo_token, &own);
    assert_eq!(for_demo.status, 200, "{}", text(&for_demo));
    let for_demo = body(&for_demo)["access_token"].as_str().unwrap().to_owned();
    // The delegator's token for demo, as the actor for another user: demo never acted.
    let browser = Browser::new(&op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, "openid api:read", &[])));
    let back = location(&browser.login(&to_login, "second", "second user pw"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let second = body(&exchange(&op, &start, &code));
    let posing = delegate(
        DELEGATOR,
        second["access_token"].as_str().unwrap(),
        &for_demo,
    );
    assert_eq!(error_of(&posing), "invalid_request");
    assert!(text(&posing).contains("itself issued by a token exchange"));
    // Nor one exchanged by impersonation from a token that names no grant (an ID token).
    let impersonated = exchange_subject(
        &op,
        GATEWAY,
        demo["id_token"].as_str().unwrap(),
        ID,
        BACKEND,
    );
    assert_eq!(impersonated.status, 200, "{}", text(&impersonated));
    let impersonated = body(&impersonated)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let posing = delegate(
        GATEWAY,
        second["access_token"].as_str().unwrap(),
        &impersonated,
    );
    assert_eq!(error_of(&posing), "invalid_request");
    assert!(text(&posing).contains("itself issued by a token exchange"));

    // A user's own token as the actor: "second" signs in to the third-party client, which
    // then acts for demo. The actor's token is the older one, so it expires first.
    let agent = third_party_tokens(&op, "second", "second user pw", "openid api:read");
    let agent_token = agent["access_token"].as_str().unwrap();
    op.advance(100);
    let customer = spa_tokens(&op, "openid api:read");
    let customer_token = customer["access_token"].as_str().unwrap();
    let delegated = op.send(&token_request(&[
        ("grant_type", GRANT),
        ("subject_token", customer_token),
        ("subject_token_type", ACCESS),
        ("resource", BACKEND),
        ("actor_token", agent_token),
        ("actor_token_type", ACCESS),
        ("client_id", THIRD),
        ("client_secret", SERVICE_SECRET),
    ]));
    assert_eq!(delegated.status, 200, "{}", text(&delegated));
    let delegated = body(&delegated)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = jwt_payload(&delegated);
    assert_eq!(claims["sub"], "248289761001");
    assert_eq!(claims["act"], json!({ "sub": "u2" }));
    let agent_claims = jwt_payload(agent_token);
    assert_eq!(
        claims["exp"], agent_claims["exp"],
        "no longer than the actor's"
    );
    assert_eq!(
        claims["pgid"],
        json!([jwt_payload(customer_token)["gid"], agent_claims["gid"]])
    );
    assert_eq!(introspect(&op, &delegated)["active"], true);
    // The agent's grant revoked: what was delegated from it goes too; the customer's stays.
    let revoked = op.send(&Request::new("POST", &absolute("/revoke")).with_form(&[
        ("token", agent_token),
        ("client_id", THIRD),
        ("client_secret", SERVICE_SECRET),
    ]));
    assert_eq!(revoked.status, 200);
    assert_eq!(introspect(&op, &delegated)["active"], false);
    assert_eq!(introspect(&op, customer_token)["active"], true);
}

/// A subject token outlives nothing of its client's, as at the resources: once the client
/// it was issued to is gone from the configuration (or its registration deleted, RFC 7592
/// §2.3), neither its access token nor its ID token is exchanged.
#[test]
fn a_removed_clients_tokens_are_not_exchanged() {
    let op = exchange_op();
    let spa = spa_tokens(&op, "openid api:read");
    let for_backend =
        |token: &str, kind: &str| exchange_subject(&op, GATEWAY, token, kind, BACKEND);
    let access = spa["access_token"].as_str().unwrap();
    let id_token = spa["id_token"].as_str().unwrap();
    assert_eq!(for_backend(access, ACCESS).status, 200);
    assert_eq!(for_backend(id_token, ID).status, 200);
    let mut config = exchange_config();
    config["clients"].as_array_mut().unwrap().remove(0);
    op.deploy_config(config);
    for (token, kind) in [(access, ACCESS), (id_token, ID)] {
        let refused = for_backend(token, kind);
        assert_eq!(error_of(&refused), "invalid_request", "{kind}");
    }
}
