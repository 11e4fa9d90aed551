//! Upstream sign-in: the provider as an OpenID Connect relying party of another provider
//! (`upstream_providers`), with the in-memory web of `op_support` serving the upstream's
//! discovery document, keys and token endpoint. The authentication request (OpenID Connect
//! Core §3.1.2.1, RFC 7636 PKCE S256), the callback's `state` (single use, bound to the
//! browser and the waiting request; RFC 9700 §4.7), `iss` in the response (RFC 9207 §2.4,
//! the mix-up defence), the token request (RFC 6749 §4.1.3, `client_secret_basic` §2.3.1),
//! the ID token's validation (Core §3.1.3.7), the local subject and the session (`amr`
//! `fed`, RFC 8176 §2).

use oidc_edge::jose::Alg;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::config::Config;
use oidc_edge::op::form::{self, Params};
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::secrets::ServerSecrets;
use oidc_edge::op::upstream::account::local_subject;
use oidc_edge::op::{Provider, Request, Response, TokenSigner};
use oidc_edge::pkce::{CodeChallenge, CodeVerifier};
use serde_json::{Map, Value, json};

use crate::op_support::*;

pub(crate) const IDP: &str = "https://idp.example";
pub(crate) const IDP_DISCOVERY: &str = "https://idp.example/.well-known/openid-configuration";
pub(crate) const IDP_AUTHORIZE: &str = "https://idp.example/authorize";
pub(crate) const IDP_TOKEN: &str = "https://idp.example/token";
pub(crate) const IDP_JWKS: &str = "https://idp.example/jwks";
pub(crate) const IDP_CLIENT: &str = "op-at-idp";
pub(crate) const IDP_NAME: &str = "Example IdP";
pub(crate) const SECRET_VAR: &str = "IDP_CLIENT_SECRET";
pub(crate) const CALLBACK: &str = "https://op.example/upstream/callback";
pub(crate) const FED_ACR: &str = "urn:example:idp";

/// The upstream provider's signing key.
pub(crate) struct Idp {
    pub(crate) keys: SigningKeys,
    pub(crate) kid: String,
    pub(crate) public: Value,
}

impl Idp {
    pub(crate) fn new(kid: &str) -> Idp {
        let keys =
            SigningKeys::from_jwks_json(&SigningKeys::generate(Some(kid)).unwrap().to_string())
                .unwrap();
        let public = keys.public_jwks();
        Idp {
            keys,
            kid: kid.to_owned(),
            public,
        }
    }

    /// `claims` as a JWS of this key, `typ` JWT.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let mut header = Map::new();
        header.insert("kid".into(), json!(self.kid));
        header.insert("typ".into(), json!("JWT"));
        let input = signing_input(header, Alg::Es256, claims.to_string().as_bytes());
        let signature = run_ready(self.keys.sign(&self.kid, Alg::Es256, input.as_bytes())).unwrap();
        assemble(&input, &signature)
    }
}

pub(crate) fn provider_entry() -> Value {
    json!({
        "id": "idp", "name": IDP_NAME, "issuer": IDP, "client_id": IDP_CLIENT,
        "client_secret_var": SECRET_VAR,
        "scopes": ["openid", "email", "profile"],
        "claims": { "email": "email", "email_verified": "email_verified", "name": "name",
                    "nickname": "preferred_username" },
        "acr": FED_ACR
    })
}

pub(crate) fn upstream_config() -> Value {
    let mut config = config_json();
    config["upstream_providers"] = json!([provider_entry()]);
    config
}

/// The upstream's discovery document (OpenID Connect Discovery §3).
pub(crate) fn metadata() -> Value {
    json!({
        "issuer": IDP,
        "authorization_endpoint": IDP_AUTHORIZE,
        "token_endpoint": IDP_TOKEN,
        "jwks_uri": IDP_JWKS,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true
    })
}

/// A provider with the upstream configured and served.
pub(crate) fn setup_with(config: Value) -> (Op, Idp) {
    let op = Op::with_config(config);
    let idp = Idp::new("idp-1");
    op.web.serve_json(IDP_DISCOVERY, None, &metadata());
    op.web.serve_json(IDP_JWKS, None, &idp.public);
    (op, idp)
}

pub(crate) fn setup() -> (Op, Idp) {
    setup_with(upstream_config())
}

/// A sign-in sent to the upstream: the browser, the client's request, the login page's
/// path, and the authentication request the upstream received.
pub(crate) struct Started<'a> {
    pub(crate) browser: Browser<'a>,
    pub(crate) client: AuthStart,
    pub(crate) login: String,
    pub(crate) sent: Params,
}

impl Started<'_> {
    pub(crate) fn param(&self, name: &str) -> String {
        self.sent
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    }

    /// The upstream's answer with `params` (besides `state`) at the callback.
    pub(crate) fn answer(&self, params: &[(&str, &str)]) -> Response {
        let state = self.param("state");
        let mut all = vec![("state", state.as_str())];
        all.extend_from_slice(params);
        self.browser
            .get(&format!("/upstream/callback?{}", form::encode(&all)))
    }

    /// The upstream's answer with `code`, as a conformant one sends it.
    pub(crate) fn come_back(&self, code: &str) -> Response {
        self.answer(&[("code", code), ("iss", IDP)])
    }
}

/// The href of the login page's link to `name`, as a browser reads it.
pub(crate) fn upstream_link(html: &str, name: &str) -> String {
    let end = html
        .find(&format!("\">Continue with {name}</a>"))
        .unwrap_or_else(|| panic!("no link to {name} in {html}"));
    let start = html[..end].rfind("href=\"").unwrap() + "href=\"".len();
    html[start..end]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

/// The SPA's code flow started, the login page's "Continue with" followed.
pub(crate) fn start<'a>(op: &'a Op, extra: &[(&str, &str)]) -> Started<'a> {
    start_in(Browser::new(op), extra)
}

pub(crate) fn start_in<'a>(browser: Browser<'a>, extra: &[(&str, &str)]) -> Started<'a> {
    let client = AuthStart::new();
    let scope = "openid email profile offline_access";
    let login = location(&browser.get(&client.url(SPA, SPA_REDIRECT, scope, extra)));
    let page = browser.get(&login);
    assert_eq!(page.status, 200, "{}", text(&page));
    let href = upstream_link(&text(&page), IDP_NAME);
    let to_idp = location(&browser.get(&href));
    assert!(to_idp.starts_with(&format!("{IDP_AUTHORIZE}?")), "{to_idp}");
    Started {
        browser,
        client,
        login,
        sent: redirect_params(&to_idp),
    }
}

/// What a well-behaved upstream puts in the ID token for user `sub` of `started`.
pub(crate) fn id_claims(op: &Op, started: &Started<'_>, sub: &str) -> Value {
    json!({
        "iss": IDP, "sub": sub, "aud": IDP_CLIENT,
        "iat": op.now(), "exp": op.now() + 300,
        "nonce": started.param("nonce"),
        "email": "ada@idp.example", "email_verified": true, "name": "Ada Lovelace",
        "preferred_username": "ada",
    })
}

/// The upstream's token endpoint answers with `id_token`.
pub(crate) fn token_endpoint_answers(op: &Op, id_token: &str) {
    op.web.serve_json(
        IDP_TOKEN,
        Some("no-store"),
        &json!({ "access_token": "upstream-access-token", "token_type": "Bearer",
                 "expires_in": 300, "id_token": id_token }),
    );
}

/// The upstream's answer accepted: the SPA's code exchanged; the token response.
pub(crate) fn tokens_after(op: &Op, started: &Started<'_>, back: &Response) -> Value {
    let to_spa = location(back);
    assert!(to_spa.starts_with(SPA_REDIRECT), "{to_spa}");
    let params = redirect_params(&to_spa);
    assert_eq!(params.get("state"), Some(started.client.state.as_str()));
    let tokens = exchange(op, &started.client, params.get("code").unwrap());
    assert_eq!(tokens.status, 200, "{}", text(&tokens));
    body(&tokens)
}

/// The whole sign-in of upstream user `sub` for the SPA: the flow (its browser holds the
/// session here) and the token response.
pub(crate) fn signed_in_upstream<'a>(op: &'a Op, idp: &Idp, sub: &str) -> (Started<'a>, Value) {
    let started = start(op, &[]);
    token_endpoint_answers(op, &idp.sign(&id_claims(op, &started, sub)));
    let back = started.come_back("upstream-code");
    let tokens = tokens_after(op, &started, &back);
    (started, tokens)
}

/// The whole sign-in of upstream user `sub`: the ID token our provider issued.
pub(crate) fn sign_in_as(op: &Op, idp: &Idp, sub: &str) -> Value {
    let (_, tokens) = signed_in_upstream(op, idp, sub);
    jwt_payload(tokens["id_token"].as_str().unwrap())
}

/// The login page shown again after a failed upstream sign-in: its status and message.
pub(crate) fn failed(response: &Response) -> (u16, String) {
    let html = text(response);
    assert!(
        html.contains("Continue with"),
        "not the login page: {} {html}",
        response.status
    );
    assert!(
        response
            .header("set-cookie")
            .is_none_or(|c| !c.contains("oe_session"))
    );
    (response.status, html)
}

/// Core §3.1.2.1 and RFC 7636 §4.3: what the upstream is asked; RFC 6749 §4.1.3 and §2.3.1:
/// how the code is exchanged; Core §3.1.3.7: the ID token accepted; then the user is a
/// local account with a session, and the client gets a code as after a password.
#[test]
fn a_sign_in_at_the_upstream_ends_at_the_client() {
    let (op, idp) = setup();
    let started = start(&op, &[]);
    for (name, value) in [
        ("response_type", "code"),
        ("client_id", IDP_CLIENT),
        ("redirect_uri", CALLBACK),
        ("scope", "openid email profile"),
        ("code_challenge_method", "S256"),
    ] {
        assert_eq!(started.sent.get(name), Some(value), "{name}");
    }
    for name in ["state", "nonce", "code_challenge"] {
        assert_eq!(started.param(name).len(), 43, "{name}: 256 random bits");
    }
    assert!(started.sent.get("prompt").is_none() && started.sent.get("max_age").is_none());

    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "upstream-user-1")));
    let back = started.come_back("upstream-code");
    assert!(
        back.headers
            .iter()
            .any(|(n, v)| n == "set-cookie" && v.starts_with("__Host-oe_session=")),
        "a session here"
    );

    // The token request: the code, this provider's callback, the PKCE verifier of the
    // challenge sent, and the client's secret from its binding in Basic.
    let posts = op.web.posts(IDP_TOKEN);
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post.form.get("grant_type"), Some("authorization_code"));
    assert_eq!(post.form.get("code"), Some("upstream-code"));
    assert_eq!(post.form.get("redirect_uri"), Some(CALLBACK));
    assert_eq!(post.form.get("client_id"), None, "authenticated by Basic");
    let verifier = CodeVerifier::parse(post.form.get("code_verifier").unwrap()).unwrap();
    let challenge = CodeChallenge::parse_s256(&started.param("code_challenge")).unwrap();
    assert!(challenge.is_satisfied_by(&verifier));
    let secret = upstream_secret_of(SECRET_VAR);
    let encoded = |s: &str| form::encode_component(s);
    assert_eq!(
        post.authorization.as_deref(),
        Some(basic(&encoded(IDP_CLIENT), &encoded(&secret)).as_str())
    );

    let tokens = tokens_after(&op, &started, &back);
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    let sub = local_subject("idp", "upstream-user-1");
    assert_eq!(id_token["sub"], json!(sub));
    assert_ne!(id_token["sub"], json!("upstream-user-1"));
    assert_eq!(id_token["amr"], json!(["fed"]), "RFC 8176 §2");
    assert_eq!(id_token["acr"], json!(FED_ACR));
    assert_eq!(id_token["email"], json!("ada@idp.example"));
    assert_eq!(id_token["email_verified"], json!(true));
    assert_eq!(id_token["name"], json!("Ada Lovelace"));
    assert_eq!(
        id_token["nickname"],
        json!("ada"),
        "mapped from preferred_username"
    );
    assert!(id_token.get("preferred_username").is_none(), "not mapped");
    assert_eq!(id_token["nonce"], json!(started.client.nonce));

    // UserInfo and a refresh read the account from the store.
    let userinfo = op.send(
        &Request::new("GET", &format!("{ISSUER}/userinfo")).with_header(
            "authorization",
            &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        ),
    );
    assert_eq!(userinfo.status, 200, "{}", text(&userinfo));
    assert_eq!(body(&userinfo)["sub"], json!(sub));
    assert_eq!(body(&userinfo)["name"], json!("Ada Lovelace"));
    let refreshed = op.send(&token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", SPA),
    ]));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    let again = jwt_payload(body(&refreshed)["id_token"].as_str().unwrap());
    assert_eq!(again["sub"], json!(sub));
    assert_eq!(again["amr"], json!(["fed"]));
    assert_eq!(again["email"], json!("ada@idp.example"));

    // The session works as any: the next request of this browser needs no sign-in.
    let next = AuthStart::new();
    let back = started
        .browser
        .get(&next.url(SPA, SPA_REDIRECT, "openid", &[]));
    assert!(location(&back).starts_with(SPA_REDIRECT));
}

/// One upstream user is one local subject, at every sign-in (the claims follow the last
/// one); another upstream user, or the same `sub` at another provider, is another.
#[test]
fn the_local_subject_is_stable_per_provider_and_upstream_user() {
    let mut config = upstream_config();
    let mut second = provider_entry();
    second["id"] = json!("other");
    second["name"] = json!("Other IdP");
    config["upstream_providers"]
        .as_array_mut()
        .unwrap()
        .push(second);
    let (op, idp) = setup_with(config);
    let first = sign_in_as(&op, &idp, "upstream-user-1");
    op.advance(120);
    let again = sign_in_as(&op, &idp, "upstream-user-1");
    assert_eq!(first["sub"], again["sub"]);
    assert_eq!(first["sub"], json!(local_subject("idp", "upstream-user-1")));
    let other_user = sign_in_as(&op, &idp, "upstream-user-2");
    assert_ne!(first["sub"], other_user["sub"]);
    assert_ne!(
        local_subject("idp", "upstream-user-1"),
        local_subject("other", "upstream-user-1")
    );
}

/// RFC 9700 §4.7, Core §3.1.2.5: the `state` answers one sign-in, in the browser that
/// started it; a replayed answer, or one carried to another browser, is refused and its
/// code never exchanged.
#[test]
fn the_state_is_single_use_and_bound_to_the_browser() {
    let (op, idp) = setup();
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "u1")));
    let first = started.come_back("upstream-code");
    location(&first);
    let replay = started.come_back("upstream-code");
    assert_eq!(replay.status, 400);
    assert!(text(&replay).contains("already used"), "{}", text(&replay));
    assert_eq!(
        op.web.posts(IDP_TOKEN).len(),
        1,
        "the replay's code is not exchanged"
    );

    // Another browser with this browser's answer: refused, and the state is spent.
    let victim = start(&op, &[]);
    let attacker = Browser::new(&op);
    let state = victim.param("state");
    let stolen = attacker.get(&format!(
        "/upstream/callback?{}",
        form::encode(&[("state", &state), ("code", "c"), ("iss", IDP)])
    ));
    assert_eq!(stolen.status, 400);
    assert_eq!(victim.come_back("c").status, 400, "spent by the attempt");
    assert_eq!(op.web.posts(IDP_TOKEN).len(), 1);

    // Made-up, missing and malformed states are not looked up.
    for query in [
        "",
        "state=abc&code=c",
        &format!("state={}&code=c", "A".repeat(43)),
    ] {
        let response = started.browser.get(&format!("/upstream/callback?{query}"));
        assert_eq!(response.status, 400, "{query}");
    }
}

/// RFC 9207 §2.4 and RFC 9700 §4.4: an answer whose `iss` is another provider's is a
/// mix-up; with the upstream advertising `iss`, an answer without it too. Either is refused
/// before the code is sent anywhere.
#[test]
fn an_answer_from_another_issuer_is_refused_before_the_exchange() {
    let (op, idp) = setup();
    token_endpoint_answers(&op, "not used");
    let started = start(&op, &[]);
    let (status, html) = failed(&started.answer(&[("code", "c"), ("iss", "https://evil.example")]));
    assert_eq!(status, 400);
    assert!(html.contains("issuer_mismatch"), "{html}");
    let started = start(&op, &[]);
    let (status, html) = failed(&started.answer(&[("code", "c")]));
    assert_eq!(status, 400);
    assert!(html.contains("issuer_missing"), "{html}");
    assert!(
        op.web.posts(IDP_TOKEN).is_empty(),
        "no code reached a token endpoint"
    );

    // An upstream that does not advertise `iss` may leave it out, never get it wrong.
    let mut quiet = metadata();
    quiet
        .as_object_mut()
        .unwrap()
        .remove("authorization_response_iss_parameter_supported");
    let (op, idp_quiet) = setup();
    op.web.serve_json(IDP_DISCOVERY, None, &quiet);
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp_quiet.sign(&id_claims(&op, &started, "u1")));
    location(&started.answer(&[("code", "c")]));
    let started = start(&op, &[]);
    let (_, html) = failed(&started.answer(&[("code", "c"), ("iss", "https://evil.example")]));
    assert!(html.contains("issuer_mismatch"));
    drop(idp);

    // The ID token's own `iss` must be the upstream's too (Core §3.1.3.7 step 2).
    let (op, idp) = setup();
    let started = start(&op, &[]);
    let mut claims = id_claims(&op, &started, "u1");
    claims["iss"] = json!("https://evil.example");
    token_endpoint_answers(&op, &idp.sign(&claims));
    let (_, html) = failed(&started.come_back("c"));
    assert!(html.contains("jwt_issuer_mismatch"), "{html}");
}

/// Core §3.1.3.7 step 11: the ID token must carry the nonce of this sign-in.
#[test]
fn an_id_token_with_another_nonce_is_refused() {
    let (op, idp) = setup();
    let started = start(&op, &[]);
    let other = start(&op, &[]);
    // The ID token of another sign-in (its nonce), injected into this one.
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &other, "u1")));
    let (status, html) = failed(&started.come_back("c"));
    assert_eq!(status, 400);
    assert!(html.contains("id_token_nonce_mismatch"), "{html}");
    let mut claims = id_claims(&op, &started, "u1");
    claims.as_object_mut().unwrap().remove("nonce");
    token_endpoint_answers(&op, &idp.sign(&claims));
    let (_, html) = failed(&start_in(Browser::new(&op), &[]).come_back("c"));
    assert!(html.contains("nonce"), "{html}");

    // The request still waits: the user signs in with a password instead.
    let back = started
        .browser
        .login(&started.login, "demo", "correct horse");
    assert!(location(&back).starts_with(SPA_REDIRECT));
}

/// Core §3.1.3.7 steps 3-5: an ID token the upstream issued to another of its clients is
/// not a sign-in here (the hostile case of an upstream answering for another audience).
#[test]
fn an_id_token_for_another_audience_is_refused() {
    let (op, idp) = setup();
    for aud in [json!("someone-else"), json!(["someone-else", "another"])] {
        let started = start(&op, &[]);
        let mut claims = id_claims(&op, &started, "u1");
        claims["aud"] = aud.clone();
        token_endpoint_answers(&op, &idp.sign(&claims));
        let (status, html) = failed(&started.come_back("c"));
        assert_eq!(status, 400);
        assert!(html.contains("jwt_audience_mismatch"), "{aud}: {html}");
    }
    // Listed among several audiences, but issued to (`azp`) another.
    let started = start(&op, &[]);
    let mut claims = id_claims(&op, &started, "u1");
    claims["aud"] = json!([IDP_CLIENT, "another"]);
    claims["azp"] = json!("another");
    token_endpoint_answers(&op, &idp.sign(&claims));
    let (_, html) = failed(&started.come_back("c"));
    assert!(html.contains("azp"), "{html}");
}

/// Core §3.1.3.7 step 6: signed by a key of the upstream's `jwks_uri`, with an algorithm
/// its discovery document lists; an unknown `kid` fetches the keys again once.
#[test]
fn an_id_token_with_a_bad_signature_is_refused() {
    let (op, _idp) = setup();
    let impostor = Idp::new("idp-1");
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &impostor.sign(&id_claims(&op, &started, "u1")));
    let (status, html) = failed(&started.come_back("c"));
    assert_eq!(status, 400);
    assert!(html.contains("signature_invalid"), "{html}");

    // At most one fetch a minute for unknown keys (`kept::REFETCH_INTERVAL`).
    op.advance(61);
    let gets = op.web.gets(IDP_JWKS);
    let unknown = Idp::new("idp-2");
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &unknown.sign(&id_claims(&op, &started, "u1")));
    let (_, html) = failed(&started.come_back("c"));
    assert!(html.contains("key_not_found"), "{html}");
    assert_eq!(
        op.web.gets(IDP_JWKS),
        gets + 1,
        "fetched again for the new kid"
    );

    // The upstream rotated: its new key is served, and found once the minute is over.
    op.web.serve_json(IDP_JWKS, None, &unknown.public);
    op.advance(61);
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &unknown.sign(&id_claims(&op, &started, "u1")));
    location(&started.come_back("c"));

    // A token signed with `none` or an algorithm the discovery document does not list.
    let started = start(&op, &[]);
    let claims = id_claims(&op, &started, "u1");
    let unsigned = format!(
        "{}.{}.",
        oidc_edge::b64::encode(br#"{"alg":"none"}"#),
        oidc_edge::b64::encode(claims.to_string().as_bytes())
    );
    token_endpoint_answers(&op, &unsigned);
    failed(&started.come_back("c"));
}

/// Core §3.1.3.7 steps 9-10: expired, or issued in the future (beyond a minute of clock
/// difference).
#[test]
fn an_expired_id_token_is_refused() {
    let (op, idp) = setup();
    for (name, value, code) in [
        ("exp", op.now() - 61, "jwt_expired"),
        ("iat", op.now() + 600, "jwt_issued_in_future"),
    ] {
        let started = start(&op, &[]);
        let mut claims = id_claims(&op, &started, "u1");
        claims[name] = json!(value);
        token_endpoint_answers(&op, &idp.sign(&claims));
        let (_, html) = failed(&started.come_back("c"));
        assert!(html.contains(code), "{name}: {html}");
    }
}

/// RFC 6749 §4.1.2.1: the upstream did not sign the user in. The login page says so, the
/// request still waits, and nothing is exchanged. Its `error_description` is not shown.
#[test]
fn an_error_from_the_upstream_shows_the_login_page_again() {
    let (op, _idp) = setup();
    let started = start(&op, &[]);
    let response = started.answer(&[
        ("error", "access_denied"),
        ("error_description", "<b>call +1 555</b>"),
        ("iss", IDP),
    ]);
    let (status, html) = failed(&response);
    assert_eq!(status, 403);
    assert!(
        html.contains("Example IdP did not sign you in (access_denied)"),
        "{html}"
    );
    assert!(!html.contains("555"));
    assert!(op.web.posts(IDP_TOKEN).is_empty());
    let started2 = start(&op, &[]);
    let (_, html) = failed(&started2.answer(&[("error", "a\"<script>"), ("iss", IDP)]));
    assert!(html.contains("did not sign you in (error)"), "{html}");

    // The upstream refuses the code at its token endpoint, or answers nonsense.
    for (status, answer, code) in [
        (
            400,
            br#"{"error":"invalid_grant"}"#.as_slice(),
            "token_request_refused",
        ),
        (200, b"not json".as_slice(), "token_response_invalid"),
        (
            200,
            br#"{"access_token":"a","token_type":"Bearer"}"#.as_slice(),
            "id_token_missing",
        ),
        (302, b"".as_slice(), "token_request_refused"),
    ] {
        op.web.serve(IDP_TOKEN, status, None, answer);
        let started = start(&op, &[]);
        let (_, html) = failed(&started.come_back("c"));
        assert!(html.contains(code), "{code}: {html}");
    }

    // The user goes on with a password.
    let back = started
        .browser
        .login(&started.login, "demo", "correct horse");
    assert!(location(&back).starts_with(SPA_REDIRECT));
}

/// An upstream that cannot be reached, or whose discovery document speaks for another
/// issuer (Discovery §4.3) or breaks a rule, cannot be signed in at: a 503 login page,
/// never a 500.
#[test]
fn an_unreachable_or_wrong_upstream_is_a_clear_page() {
    let op = Op::with_config(upstream_config());
    let browser = Browser::new(&op);
    let client = AuthStart::new();
    let login = location(&browser.get(&client.url(SPA, SPA_REDIRECT, "openid", &[])));
    let link = upstream_link(&text(&browser.get(&login)), IDP_NAME);
    let page = browser.get(&link);
    assert_eq!(page.status, 503);
    assert!(text(&page).contains("Example IdP cannot be reached right now"));

    let wrong = |mutate: &dyn Fn(&mut Value)| {
        let op = Op::with_config(upstream_config());
        let mut document = metadata();
        mutate(&mut document);
        op.web.serve_json(IDP_DISCOVERY, None, &document);
        let browser = Browser::new(&op);
        let login = location(&browser.get(&client.url(SPA, SPA_REDIRECT, "openid", &[])));
        let link = upstream_link(&text(&browser.get(&login)), IDP_NAME);
        browser.get(&link).status
    };
    assert_eq!(wrong(&|d| d["issuer"] = json!("https://evil.example")), 503);
    assert_eq!(wrong(&|d| d["issuer"] = json!("https://idp.example/")), 503);
    assert_eq!(
        wrong(&|d| d["token_endpoint"] = json!("http://idp.example/token")),
        503
    );
    assert_eq!(
        wrong(&|d| d["token_endpoint"] = json!("https://10.0.0.1/token")),
        503
    );
    assert_eq!(wrong(&|d| d["jwks_uri"] = json!(null)), 503);
    assert_eq!(
        wrong(&|d| d["response_types_supported"] = json!(["id_token"])),
        503
    );
    assert_eq!(
        wrong(&|d| d["code_challenge_methods_supported"] = json!(["plain"])),
        503
    );
    assert_eq!(
        wrong(&|d| d["id_token_signing_alg_values_supported"] = json!(["HS256", "none"])),
        503
    );
    assert_eq!(wrong(&|_| {}), 303, "the document as it should be");
}

/// Core §3.1.2.1: a client's `prompt=login` and `max_age` are asked of the upstream too,
/// and with `max_age` the ID token must say when the user authenticated, recently enough
/// (step 13); that `auth_time` becomes the session's.
#[test]
fn a_fresh_sign_in_is_asked_of_the_upstream() {
    let (op, idp) = setup();
    let started = start(&op, &[("prompt", "login"), ("max_age", "300")]);
    assert_eq!(started.sent.get("prompt"), Some("login"));
    assert_eq!(started.sent.get("max_age"), Some("300"));
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "u1")));
    let (_, html) = failed(&started.come_back("c"));
    assert!(html.contains("auth_time"), "required with max_age: {html}");

    let started = start(&op, &[("max_age", "300")]);
    let mut claims = id_claims(&op, &started, "u1");
    claims["auth_time"] = json!(op.now() - 1000);
    token_endpoint_answers(&op, &idp.sign(&claims));
    let (_, html) = failed(&started.come_back("c"));
    assert!(html.contains("auth_time"), "too old: {html}");

    let started = start(&op, &[("max_age", "300")]);
    let mut claims = id_claims(&op, &started, "u1");
    claims["auth_time"] = json!(op.now() - 100);
    token_endpoint_answers(&op, &idp.sign(&claims));
    let back = started.come_back("c");
    let tokens = tokens_after(&op, &started, &back);
    let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["auth_time"], json!(op.now() - 100));
}

/// The login page links to each upstream beside the password form, or instead of it with
/// `password_login: false` (and then refuses passwords); the link is CSRF-protected and
/// bound to the transaction.
#[test]
fn the_login_page_offers_the_upstreams() {
    let (op, _idp) = setup();
    let browser = Browser::new(&op);
    let client = AuthStart::new();
    let login = location(&browser.get(&client.url(SPA, SPA_REDIRECT, "openid", &[])));
    let html = text(&browser.get(&login));
    assert!(html.contains("name=\"password\""));
    let link = upstream_link(&html, IDP_NAME);
    assert!(link.starts_with("/upstream/start?tx="), "{link}");
    let forged = link.replace("csrf=", "csrf=x");
    assert_eq!(browser.get(&forged).status, 403);
    let unknown = link.replace("provider=idp", "provider=nope");
    assert_eq!(browser.get(&unknown).status, 400);
    assert_eq!(Browser::new(&op).get(&link).status, 400, "another browser");
    assert_eq!(browser.get(&link).status, 303);

    let mut config = upstream_config();
    config["password_login"] = json!(false);
    let (op, _idp) = setup_with(config);
    let browser = Browser::new(&op);
    let login = location(&browser.get(&client.url(SPA, SPA_REDIRECT, "openid", &[])));
    let html = text(&browser.get(&login));
    assert!(!html.contains("name=\"password\""), "{html}");
    upstream_link(&html, IDP_NAME);
    let tx = login.split("tx=").nth(1).unwrap();
    let refused = browser.post(
        "/login",
        &[
            ("tx", tx),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    assert_eq!(refused.status, 403);
    assert!(text(&refused).contains("Passwords are not accepted here"));

    // Without upstream providers, the routes do not exist.
    let plain = Op::new();
    assert_eq!(
        plain
            .send(&Request::new("GET", &format!("{ISSUER}/upstream/callback")))
            .status,
        404
    );
}

/// What the configuration refuses of an upstream provider, naming the field.
#[test]
fn upstream_configuration_rules() {
    let refused = |mutate: &dyn Fn(&mut Value), path: &str| {
        let mut config = upstream_config();
        mutate(&mut config);
        let err = Config::from_json(&config.to_string()).unwrap_err();
        assert_eq!(err.path, path, "{err}");
        err.message
    };
    let entry = |name: &str, value: Value| {
        let name = name.to_owned();
        move |c: &mut Value| c["upstream_providers"][0][name.as_str()] = value.clone()
    };
    let at = |field: &str| format!("upstream_providers[0].{field}");
    assert!(
        refused(
            &entry("client_secret_var", json!("OIDC_SIGNING_KEYS")),
            &at("client_secret_var")
        )
        .contains("reads itself")
    );
    refused(
        &entry("client_secret_var", json!("1X")),
        &at("client_secret_var"),
    );
    refused(&entry("issuer", json!("http://idp.example")), &at("issuer"));
    refused(
        &entry("issuer", json!("http://127.0.0.1:8788")),
        &at("issuer"),
    );
    refused(
        &entry("issuer", json!("https://192.168.1.1")),
        &at("issuer"),
    );
    refused(
        &entry("issuer", json!("https://idp.example?x=1")),
        &at("issuer"),
    );
    refused(&entry("id", json!("Has Caps")), &at("id"));
    refused(&entry("name", json!("")), &at("name"));
    refused(&entry("scopes", json!(["email"])), &at("scopes"));
    refused(&entry("claims", json!({ "sub": "sub" })), &at("claims.sub"));
    refused(&entry("claims", json!({ "email": 1 })), &at("claims.email"));
    refused(&entry("unknown", json!(1)), &at("unknown"));
    refused(
        &|c| {
            let first = c["upstream_providers"][0].clone();
            c["upstream_providers"].as_array_mut().unwrap().push(first);
        },
        "upstream_providers[1].id",
    );
    refused(
        &|c| {
            c["upstream_providers"] = json!([]);
            c["password_login"] = json!(false);
        },
        "password_login",
    );
    // RFC 8628 §3.3 / CIBA Core §7: /device and /ciba sign users in with the password form.
    refused(
        &|c| {
            c["password_login"] = json!(false);
            c["clients"].as_array_mut().unwrap().push(json!({
                "client_id": "tv", "client_type": "public", "scopes": ["openid"],
                "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"],
            }));
        },
        "password_login",
    );

    // On a development issuer (localhost), the upstream may be another local provider.
    let mut config = upstream_config();
    config["issuer"] = json!("http://localhost:8787");
    config["upstream_providers"][0]["issuer"] = json!("http://127.0.0.1:8788");
    Config::from_json(&config.to_string()).unwrap();

    // Defaults: `openid` alone, no claims, the password sign-in's acr, a public client.
    let mut config = upstream_config();
    config["upstream_providers"] =
        json!([{ "id": "idp", "name": "IdP", "issuer": IDP, "client_id": "c" }]);
    let parsed = Config::from_json(&config.to_string()).unwrap();
    let provider = &parsed.upstream_providers[0];
    assert_eq!(provider.scopes, ["openid"]);
    assert!(provider.claims.is_empty());
    assert_eq!(provider.acr, parsed.password_acr);
    assert_eq!(provider.client_secret_var, None);
}

/// The client secret comes from the binding the configuration names, read at start: one
/// that is not set is an error naming it; the secret is never printed.
#[test]
fn the_client_secret_comes_from_its_binding() {
    let config = Config::from_json(&upstream_config().to_string()).unwrap();
    let provider = || {
        Provider::new(
            config.clone(),
            SigningKeys::from_jwks_json(&SigningKeys::generate(None).unwrap().to_string()).unwrap(),
            ServerSecrets::from_text(&ServerSecrets::generate().unwrap()).unwrap(),
        )
    };
    let err = provider().with_upstream_secrets(|_| None).unwrap_err();
    assert_eq!(err.path, "upstream_providers[0].client_secret_var");
    assert!(err.message.contains(SECRET_VAR), "{err}");
    provider()
        .with_upstream_secrets(|_| Some(String::new()))
        .unwrap_err();
    let ready = provider()
        .with_upstream_secrets(|var| (var == SECRET_VAR).then(|| "s3cr3t-value".to_owned()))
        .unwrap();
    assert!(!format!("{ready:?}").contains("s3cr3t-value"));
}

/// A public client at the upstream (no `client_secret_var`): PKCE alone, the `client_id`
/// in the form, no Authorization (RFC 6749 §4.1.3).
#[test]
fn a_public_client_at_the_upstream_names_itself_in_the_form() {
    let mut config = upstream_config();
    config["upstream_providers"][0]
        .as_object_mut()
        .unwrap()
        .remove("client_secret_var");
    let (op, idp) = setup_with(config);
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "u1")));
    location(&started.come_back("c"));
    let post = &op.web.posts(IDP_TOKEN)[0];
    assert_eq!(post.authorization, None);
    assert_eq!(post.form.get("client_id"), Some(IDP_CLIENT));
}

/// A provider removed from the configuration takes its users with it: their refresh
/// tokens and UserInfo stop working, as a removed user's do.
#[test]
fn removing_the_provider_ends_its_users_tokens() {
    let (op, idp) = setup();
    let started = start(&op, &[]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "u1")));
    let back = started.come_back("c");
    let tokens = tokens_after(&op, &started, &back);
    let refresh = |token: &str| {
        token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", SPA),
        ])
    };
    let refreshed = op.send(&refresh(tokens["refresh_token"].as_str().unwrap()));
    assert_eq!(refreshed.status, 200, "{}", text(&refreshed));
    let mut config = upstream_config();
    config["upstream_providers"][0]["id"] = json!("renamed");
    op.deploy_config(config);
    let next = body(&refreshed)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = op.send(&refresh(&next));
    assert_eq!(refused.status, 400, "{}", text(&refused));
    assert_eq!(body(&refused)["error"], json!("invalid_grant"));
    let userinfo = op.send(
        &Request::new("GET", &format!("{ISSUER}/userinfo")).with_header(
            "authorization",
            &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
        ),
    );
    assert_eq!(userinfo.status, 401);
}

/// Discovery §3: the context classes upstream sign-ins meet, and the claims they bring,
/// are among those advertised.
#[test]
fn discovery_lists_what_upstream_sign_ins_bring() {
    let (op, _idp) = setup();
    let doc = body(&op.send(&Request::new(
        "GET",
        &format!("{ISSUER}/.well-known/openid-configuration"),
    )));
    assert_eq!(doc["acr_values_supported"], json!(["1", FED_ACR]));
    let claims = doc["claims_supported"].as_array().unwrap();
    assert!(claims.contains(&json!("nickname")), "{claims:?}");
}

/// OpenID Connect Core §5.5.1.1: `acr` as an Essential Claim decides how the user may sign
/// in. The upstream's class: the login page offers only the upstream. The password's class
/// with a session of the upstream's: the session is no use, and the page offers only the
/// password form. (`flow::issue_code` checks the class again, whatever was posted.)
#[test]
fn an_essential_acr_chooses_the_way_to_sign_in() {
    let (op, idp) = setup();
    let upstream_only =
        format!(r#"{{"id_token":{{"acr":{{"essential":true,"value":"{FED_ACR}"}}}}}}"#);
    let started = start(&op, &[("claims", upstream_only.as_str())]);
    let page = text(&started.browser.get(&started.login));
    assert!(!page.contains("name=\"password\""), "{page}");
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    let tokens = tokens_after(&op, &started, &back);
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["acr"],
        FED_ACR
    );

    // The same browser, signed in upstream, asked for the password's class.
    let password_only = r#"{"id_token":{"acr":{"essential":true,"value":"1"}}}"#;
    let client = AuthStart::new();
    let to_login = location(&started.browser.get(&client.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("claims", password_only)],
    )));
    assert!(to_login.starts_with("/login?"), "{to_login}");
    let page = text(&started.browser.get(&to_login));
    assert!(page.contains("name=\"password\""), "{page}");
    assert!(!page.contains("Continue with"), "{page}");
    let back = location(&started.browser.login(&to_login, "demo", "correct horse"));
    let code = redirect_params(&back).get("code").unwrap().to_owned();
    let tokens = body(&exchange(&op, &client, &code));
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["acr"],
        "1"
    );
}

/// §5.5.1.1, checked where every code is issued: a password posted for a request that only
/// the upstream's class answers (the page offered no password form; the CSRF token made as
/// the provider makes it) ends the flow with `access_denied`, the request gone. A provider
/// whose class is not accepted cannot be started either; with `prompt=none`, a session of
/// another class is `login_required`.
#[test]
fn an_essential_acr_is_checked_whatever_is_posted() {
    let (op, _idp) = setup();
    let upstream_only =
        format!(r#"{{"id_token":{{"acr":{{"essential":true,"value":"{FED_ACR}"}}}}}}"#);
    let browser = Browser::new(&op);
    let client = AuthStart::new();
    let to_login = location(&browser.get(&client.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("claims", upstream_only.as_str())],
    )));
    let tx = redirect_params(&to_login).get("tx").unwrap().to_owned();
    let cookie = browser.cookie("__Host-oe_browser").unwrap();
    let csrf = op.csrf_token("login", &tx, &cookie);
    let posted = [
        ("tx", tx.as_str()),
        ("csrf", csrf.as_str()),
        ("username", "demo"),
        ("password", "correct horse"),
    ];
    let back = location(&browser.post("/login", &posted));
    let params = redirect_params(&back);
    assert_eq!(params.get("error"), Some("access_denied"), "{back}");
    assert_eq!(params.get("state"), Some(client.state.as_str()));
    assert!(params.get("code").is_none());
    let again = browser.get(&to_login);
    assert!(
        !text(&again).contains("Continue with"),
        "the request is gone"
    );

    // The password's class only: the upstream's link cannot be made to work.
    let password_only = r#"{"id_token":{"acr":{"essential":true,"value":"1"}}}"#;
    let browser = Browser::new(&op);
    let to_login = location(&browser.get(&AuthStart::new().url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("claims", password_only)],
    )));
    let tx = redirect_params(&to_login).get("tx").unwrap().to_owned();
    let cookie = browser.cookie("__Host-oe_browser").unwrap();
    let csrf = op.csrf_token("upstream", &tx, &cookie);
    let query = form::encode(&[
        ("tx", tx.as_str()),
        ("provider", "idp"),
        ("csrf", csrf.as_str()),
    ]);
    let start = browser.get(&format!("/upstream/start?{query}"));
    assert_eq!(start.status, 400, "{}", text(&start));

    // prompt=none with a password session and the upstream's class asked for.
    let (browser, _start, _code) = sign_in(&op, "openid");
    let client = AuthStart::new();
    let back = location(&browser.get(&client.url(
        SPA,
        SPA_REDIRECT,
        "openid",
        &[("claims", upstream_only.as_str()), ("prompt", "none")],
    )));
    assert_eq!(
        redirect_params(&back).get("error"),
        Some("login_required"),
        "{back}"
    );
}

/// §5.5.1.1 at the consent page: a consent answered after the browser signed in meanwhile
/// (another tab) in a way whose class the essential `acr` does not accept ends in
/// `access_denied`, and grants nothing: that user's consent is not remembered, and the
/// client's next request for them shows the consent page again.
#[test]
fn a_consent_refused_for_its_acr_is_not_remembered() {
    let (op, idp) = setup();
    let password_only = r#"{"id_token":{"acr":{"essential":true,"value":"1"}}}"#;
    let browser = Browser::new(&op);
    let client = AuthStart::new();
    let to_login = location(&browser.get(&client.url(
        THIRD,
        THIRD_REDIRECT,
        "openid",
        &[("claims", password_only)],
    )));
    let to_consent = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(to_consent.starts_with("/consent?"), "{to_consent}");
    let html = text(&browser.get(&to_consent));

    // Another tab: the same browser signs in at the upstream, whose class is not "1".
    let started = start_in(browser, &[("prompt", "login")]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    tokens_after(&op, &started, &back);

    assert_refused_at_consent(
        &started.browser,
        &html,
        (THIRD, THIRD_REDIRECT),
        &client,
        "access_denied",
    );
}

/// OpenID Connect Core §3.1.2.1: a request whose `id_token_hint` names one user, completed
/// through an upstream sign-in as another, gets no code: the login page comes back, saying
/// why and not whom, the request still waiting; the hinted user's sign-in then answers it.
#[test]
fn an_upstream_sign_in_as_another_user_than_the_hinted_one_gets_no_code() {
    let (op, idp) = setup();
    let (_demo, demo_start, code) = sign_in(&op, "openid");
    let tokens = body(&exchange(&op, &demo_start, &code));
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_payload(&hint)["sub"], "248289761001");

    let started = start(&op, &[("id_token_hint", hint.as_str())]);
    token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "ada")));
    let back = started.come_back("upstream-code");
    // The login page with an error, as after a wrong password.
    assert_eq!(back.status, 401, "{}", text(&back));
    assert!(
        back.header("location").is_none(),
        "no answer to the client yet"
    );
    let html = text(&back);
    assert!(html.contains("asked for another account"), "{html}");
    assert!(html.contains("Continue with"), "the login page: {html}");
    assert!(
        html.contains(r#"autocomplete="username" value="""#),
        "the page names nobody: {html}"
    );

    // The page shown again is the form for the same waiting request.
    let signed_in = started.browser.post(
        "/login",
        &[
            ("tx", &hidden(&html, "tx")),
            ("csrf", &hidden(&html, "csrf")),
            ("username", "demo"),
            ("password", "correct horse"),
        ],
    );
    let tokens = tokens_after(&op, &started, &signed_in);
    assert_eq!(
        jwt_payload(tokens["id_token"].as_str().unwrap())["sub"],
        "248289761001"
    );
}

/// Core §3.1.2.1, §5.5.1: when the login page comes back because the account signed in at
/// the upstream is not the one the request names (its `id_token_hint`, or the `sub` of its
/// `claims` parameter), "Continue with" asks the upstream for a fresh sign-in
/// (`prompt=login`): still signed in there, it would answer with the same account again.
/// No `login_hint` is made up for it. The right account then gets the code.
#[test]
fn a_sign_in_as_the_wrong_account_asks_the_upstream_for_a_fresh_one() {
    let (op, idp) = setup();
    let (_, tokens) = signed_in_upstream(&op, &idp, "ada");
    let hint_token = tokens["id_token"].as_str().unwrap().to_owned();
    let ada = jwt_payload(&hint_token)["sub"].as_str().unwrap().to_owned();
    let claims = json!({ "id_token": { "sub": { "value": ada } } }).to_string();
    for named in [("id_token_hint", hint_token.as_str()), ("claims", &claims)] {
        let started = start(&op, &[named]);
        assert_eq!(
            started.sent.get("prompt"),
            None,
            "{named:?}: no session yet"
        );
        token_endpoint_answers(&op, &idp.sign(&id_claims(&op, &started, "mallory")));
        let again = started.come_back("upstream-code");
        assert_eq!(again.status, 401, "{named:?}: {}", text(&again));
        let html = text(&again);
        assert!(html.contains("asked for another account"), "{html}");

        let to_idp = location(&started.browser.get(&upstream_link(&html, IDP_NAME)));
        let sent = redirect_params(&to_idp);
        assert_eq!(sent.get("prompt"), Some("login"), "{named:?}: {to_idp}");
        assert_eq!(sent.get("login_hint"), None);
        let id_token = idp.sign(&json!({
            "iss": IDP, "sub": "ada", "aud": IDP_CLIENT, "iat": op.now(), "exp": op.now() + 300,
            "nonce": sent.get("nonce").unwrap(), "email": "ada@idp.example",
        }));
        token_endpoint_answers(&op, &id_token);
        let state = sent.get("state").unwrap();
        let back = started.browser.get(&format!(
            "/upstream/callback?{}",
            form::encode(&[("state", state), ("code", "c"), ("iss", IDP)])
        ));
        let tokens = tokens_after(&op, &started, &back);
        let id_token = jwt_payload(tokens["id_token"].as_str().unwrap());
        assert_eq!(id_token["sub"], json!(ada), "{named:?}");
    }
}

/// Core §3.1.2.1: a hint naming the account of an upstream provider since removed from
/// the configuration names a user no sign-in here can be: `login_required` at the client at
/// once. While the provider is configured, the account's user can sign in there again: the
/// login page.
#[test]
fn a_hint_naming_an_account_of_a_removed_provider_ends_the_request() {
    let (op, idp) = setup();
    let (_, tokens) = signed_in_upstream(&op, &idp, "ada");
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let client = AuthStart::new();
    let url = client.url(SPA, SPA_REDIRECT, "openid", &[("id_token_hint", &hint)]);
    let to_login = location(&Browser::new(&op).get(&url));
    assert!(to_login.starts_with("/login?"), "{to_login}");

    let mut config = upstream_config();
    config["upstream_providers"][0]["id"] = json!("renamed");
    op.deploy_config(config);
    let back = location(&Browser::new(&op).get(&url));
    assert!(back.starts_with(SPA_REDIRECT), "{back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("error"), Some("login_required"));
    assert_eq!(params.get("state"), Some(client.state.as_str()));
}
