//! A provider under test: memory store, a clock the test moves, the Rust PBKDF2 and
//! signature backends, an in-memory web for what it fetches, and a tiny browser (cookie
//! jar) to walk the login pages; the forms of the pages a signed-in user answers on
//! ([`page_forms`]), and a client's own signing keys ([`client_keys`]).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client_keys;
mod page_forms;

// Found through `op_support::*` like the rest; tests/kv_consistency.rs, which includes this
// module too, uses neither.
#[allow(unused_imports)]
pub use client_keys::*;
#[allow(unused_imports)]
pub use page_forms::*;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use oidc_edge::dpop::proof::{ProofClaims, sign_es256};
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::{RustCrypto, run_ready};
use oidc_edge::jose::{Jwk, JwkSet};
use oidc_edge::op::config::Config;
use oidc_edge::op::fetch::{
    BearerGet, FetchError, FetchFuture, FetchLimits, Fetched, Fetcher, FormPost,
};
use oidc_edge::op::form::{self, Params};
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::password::{PasswordHash, Pbkdf2, RustPbkdf2};
use oidc_edge::op::secrets::ServerSecrets;
use oidc_edge::op::{Provider, Request, Response, Services, TokenSigner};
use oidc_edge::pkce::Pkce;
use oidc_edge::store::MemoryStore;
use oidc_edge::time::{Clock, UnixTime};
use oidc_edge::{b64, random};
use serde_json::{Map, Value, json};

pub const ISSUER: &str = "https://op.example";
pub const SPA: &str = "spa";
pub const SPA_REDIRECT: &str = "https://spa.example/callback";
pub const THIRD: &str = "third-party";
pub const THIRD_REDIRECT: &str = "https://third.example/cb";
pub const SERVICE: &str = "service";
pub const SERVICE_SECRET: &str = "service-secret-0123456789abcdefghijklmnop";
pub const START: i64 = 1_800_000_000;

#[derive(Debug, Clone)]
pub struct TestClock(pub Rc<Cell<i64>>);

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.get())
    }
}

pub struct Op {
    /// The provider; [`Op::rotate_keys`] replaces it, as a new deployment would.
    pub provider: RefCell<Provider>,
    /// What the provider was built from, to build it again.
    config_text: RefCell<String>,
    keys_json: RefCell<Value>,
    server_secret: RefCell<String>,
    pub store: MemoryStore<TestClock>,
    pub clock: TestClock,
    pub jwks: JwkSet,
    /// PBKDF2 iterations run so far: what password and secret checks cost.
    pub pbkdf2_iterations: Cell<u64>,
    /// What the provider's GETs find (clients' `jwks_uri`).
    pub web: Web,
}

/// An in-memory web: the answer at each URL (to a GET or a POST alike), and the requests
/// made. A URL nobody serves has no answer ([`FetchError::Failed`]); a body over the limit
/// is [`FetchError::TooLarge`], as a host that enforces it answers.
#[derive(Default)]
pub struct Web {
    answers: RefCell<HashMap<String, Result<Fetched, FetchError>>>,
    gets: RefCell<Vec<(String, FetchLimits)>>,
    posts: RefCell<Vec<Posted>>,
    bearer_gets: RefCell<Vec<BearerGot>>,
}

/// A GET with a Bearer token the provider made.
#[derive(Debug, Clone)]
pub struct BearerGot {
    pub url: String,
    pub access_token: String,
    pub limits: FetchLimits,
}

/// A form POST the provider made.
#[derive(Debug, Clone)]
pub struct Posted {
    pub url: String,
    pub authorization: Option<String>,
    pub form: Params,
    pub limits: FetchLimits,
}

impl Web {
    /// Serves `body` at `url` with `status` and `Cache-Control: cache_control`.
    pub fn serve(&self, url: &str, status: u16, cache_control: Option<&str>, body: &[u8]) {
        self.serve_typed(url, status, cache_control, None, body);
    }

    /// Serves `body` at `url` with `status`, `Cache-Control: cache_control` and
    /// `Content-Type: content_type`.
    pub fn serve_typed(
        &self,
        url: &str,
        status: u16,
        cache_control: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) {
        self.answers.borrow_mut().insert(
            url.to_owned(),
            Ok(Fetched {
                status,
                cache_control: cache_control.map(str::to_owned),
                content_type: content_type.map(str::to_owned),
                body: body.to_vec(),
            }),
        );
    }

    /// Serves `value` as JSON at `url`, 200, with `Cache-Control: cache_control`.
    pub fn serve_json(&self, url: &str, cache_control: Option<&str>, value: &Value) {
        let body = value.to_string();
        self.serve_typed(
            url,
            200,
            cache_control,
            Some("application/json"),
            body.as_bytes(),
        );
    }

    /// GETs of `url` fail with `error`.
    pub fn fail(&self, url: &str, error: FetchError) {
        self.answers.borrow_mut().insert(url.to_owned(), Err(error));
    }

    /// How many GETs of `url` were made.
    pub fn gets(&self, url: &str) -> usize {
        self.gets.borrow().iter().filter(|(u, _)| u == url).count()
    }

    /// The limits of the last GET.
    pub fn last_limits(&self) -> Option<FetchLimits> {
        self.gets.borrow().last().map(|(_, limits)| *limits)
    }

    /// The form POSTs made to `url`, in order.
    pub fn posts(&self, url: &str) -> Vec<Posted> {
        self.posts
            .borrow()
            .iter()
            .filter(|p| p.url == url)
            .cloned()
            .collect()
    }

    /// The GETs with a Bearer token made to `url`, in order.
    pub fn bearer_gets(&self, url: &str) -> Vec<BearerGot> {
        self.bearer_gets
            .borrow()
            .iter()
            .filter(|g| g.url == url)
            .cloned()
            .collect()
    }

    fn answer(&self, url: &str, limits: FetchLimits) -> Result<Fetched, FetchError> {
        match self.answers.borrow().get(url) {
            Some(Ok(doc)) if doc.body.len() > limits.max_bytes => Err(FetchError::TooLarge),
            Some(answer) => answer.clone(),
            None => Err(FetchError::Failed),
        }
    }
}

impl Fetcher for Web {
    fn get<'a>(&'a self, url: &'a str, limits: FetchLimits) -> FetchFuture<'a> {
        self.gets.borrow_mut().push((url.to_owned(), limits));
        Box::pin(std::future::ready(self.answer(url, limits)))
    }

    fn post_form<'a>(&'a self, post: FormPost<'a>, limits: FetchLimits) -> FetchFuture<'a> {
        let form = Params::parse(std::str::from_utf8(post.form).unwrap()).unwrap();
        self.posts.borrow_mut().push(Posted {
            url: post.url.to_owned(),
            authorization: post.authorization.map(str::to_owned),
            form,
            limits,
        });
        Box::pin(std::future::ready(self.answer(post.url, limits)))
    }

    fn get_bearer<'a>(&'a self, get: BearerGet<'a>, limits: FetchLimits) -> FetchFuture<'a> {
        self.bearer_gets.borrow_mut().push(BearerGot {
            url: get.url.to_owned(),
            access_token: get.access_token.to_owned(),
            limits,
        });
        Box::pin(std::future::ready(self.answer(get.url, limits)))
    }
}

/// A fresh `OIDC_SERVER_SECRET`, as `oidc-edge server-secret` makes one.
pub fn server_secrets() -> ServerSecrets {
    ServerSecrets::from_text(&ServerSecrets::generate().unwrap()).unwrap()
}

/// A provider from the three values the Worker reads, and the upstream providers' client
/// secrets it reads from the bindings the configuration names ([`upstream_secret_of`]).
fn build_provider(config: &str, keys: &Value, server_secret: &str) -> Provider {
    Provider::new(
        Config::from_json(config).unwrap(),
        SigningKeys::from_jwks_json(&keys.to_string()).unwrap(),
        ServerSecrets::from_text(server_secret).unwrap(),
    )
    .with_upstream_secrets(|var| Some(upstream_secret_of(var)))
    .unwrap()
}

/// The value of the binding `var` under test: what a Worker secret of that name holds.
pub fn upstream_secret_of(var: &str) -> String {
    format!("{var}-value:with/characters that need encoding")
}

/// [`RustPbkdf2`] that adds up the iterations it runs.
pub struct CountingPbkdf2<'a>(&'a Cell<u64>);

impl Pbkdf2 for CountingPbkdf2<'_> {
    async fn derive(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], oidc_edge::Error> {
        self.0.set(self.0.get() + u64::from(iterations));
        RustPbkdf2.derive(password, salt, iterations).await
    }
}

pub fn config_json() -> Value {
    let user_hash = PasswordHash::create(b"correct horse", 10_000)
        .unwrap()
        .to_string();
    let other_hash = PasswordHash::create(b"second user pw", 10_000)
        .unwrap()
        .to_string();
    let secret_hash = PasswordHash::create(SERVICE_SECRET.as_bytes(), 1_000)
        .unwrap()
        .to_string();
    json!({
        "issuer": ISSUER,
        "clients": [
            { "client_id": SPA, "client_type": "public", "token_endpoint_auth_method": "none",
              "redirect_uris": [SPA_REDIRECT], "post_logout_redirect_uris": ["https://spa.example/"],
              "grant_types": ["authorization_code", "refresh_token"],
              "scopes": ["openid", "profile", "email", "offline_access"],
              "allowed_origins": ["https://spa.example"], "first_party": true, "dpop_bound_access_tokens": false },
            { "client_id": THIRD, "client_type": "confidential", "token_endpoint_auth_method": "client_secret_post",
              "client_secret_hash": secret_hash,
              "redirect_uris": [THIRD_REDIRECT], "grant_types": ["authorization_code"],
              "scopes": ["openid", "email"] },
            { "client_id": SERVICE, "client_type": "confidential", "token_endpoint_auth_method": "client_secret_basic",
              "client_secret_hash": secret_hash, "grant_types": ["client_credentials"], "scopes": ["api:read", "api:write"] }
        ],
        "users": [
            { "sub": "248289761001", "username": "demo", "password_hash": user_hash,
              "claims": { "name": "Demo User", "email": "demo@example.com", "email_verified": true } },
            { "sub": "u2", "username": "second", "password_hash": other_hash, "claims": {} }
        ],
        "lifetimes": { "code": 60, "access_token": 600, "id_token": 600, "refresh_token": 1209600, "session": 86400 }
    })
}

impl Op {
    pub fn new() -> Op {
        Op::with_config(config_json())
    }

    pub fn with_config(config: Value) -> Op {
        Op::with_config_and_keys(config, SigningKeys::generate(Some("k1")).unwrap())
    }

    /// A provider for `config` signing with `keys_json` (an `OIDC_SIGNING_KEYS` value),
    /// checked against each other as the Worker checks them.
    pub fn with_config_and_keys(config: Value, keys_json: Value) -> Op {
        let config_text = config.to_string();
        Config::from_json(&config_text)
            .unwrap()
            .check_signing_keys(&SigningKeys::from_jwks_json(&keys_json.to_string()).unwrap())
            .unwrap();
        let server_secret = ServerSecrets::generate().unwrap();
        let provider = build_provider(&config_text, &keys_json, &server_secret);
        let jwks = JwkSet::from_json(provider.signing_keys().public_jwks().to_string().as_bytes())
            .unwrap();
        let clock = TestClock(Rc::new(Cell::new(START)));
        let store = MemoryStore::new(clock.clone());
        Op {
            provider: RefCell::new(provider),
            config_text: RefCell::new(config_text),
            keys_json: RefCell::new(keys_json),
            server_secret: RefCell::new(server_secret),
            store,
            clock,
            jwks,
            pbkdf2_iterations: Cell::new(0),
            web: Web::default(),
        }
    }

    /// Rotates the signing keys as an operator does: a new key `kid` is added after the
    /// others and signs from now on; the configuration, the store and `OIDC_SERVER_SECRET`
    /// stay.
    pub fn rotate_keys(&self, kid: &str) {
        let new = SigningKeys::generate(Some(kid)).unwrap();
        let mut keys_json = self.keys_json.borrow_mut();
        let added = new["keys"][0].clone();
        keys_json["keys"].as_array_mut().unwrap().push(added);
        *self.provider.borrow_mut() = build_provider(
            &self.config_text.borrow(),
            &keys_json,
            &self.server_secret.borrow(),
        );
    }

    /// Deploys `keys_json` as the new `OIDC_SIGNING_KEYS`: a new provider, the same
    /// configuration, store and `OIDC_SERVER_SECRET`.
    pub fn deploy_keys(&self, keys_json: Value) {
        *self.provider.borrow_mut() = build_provider(
            &self.config_text.borrow(),
            &keys_json,
            &self.server_secret.borrow(),
        );
        *self.keys_json.borrow_mut() = keys_json;
    }

    /// Deploys `config` as the new `OIDC_CONFIG`: a new provider, the same keys, store and
    /// `OIDC_SERVER_SECRET`.
    pub fn deploy_config(&self, config: Value) {
        let text = config.to_string();
        *self.provider.borrow_mut() = build_provider(
            &text,
            &self.keys_json.borrow(),
            &self.server_secret.borrow(),
        );
        *self.config_text.borrow_mut() = text;
    }

    /// Deploys a new `OIDC_SERVER_SECRET`: a new provider, the same configuration, keys and
    /// store.
    pub fn rotate_server_secret(&self) {
        let secret = ServerSecrets::generate().unwrap();
        *self.provider.borrow_mut() = build_provider(
            &self.config_text.borrow(),
            &self.keys_json.borrow(),
            &secret,
        );
        *self.server_secret.borrow_mut() = secret;
    }

    /// The `OIDC_SIGNING_KEYS` deployed now.
    pub fn keys_json(&self) -> Value {
        self.keys_json.borrow().clone()
    }

    /// The CSRF token the provider would put in a form for `purpose`, `tx` and `browser`:
    /// for tests of what the server checks beyond what its pages offer.
    pub fn csrf_token(&self, purpose: &str, tx: &str, browser: &str) -> String {
        ServerSecrets::from_text(&self.server_secret.borrow())
            .unwrap()
            .csrf_token(purpose, tx, browser)
    }

    pub fn now(&self) -> i64 {
        self.clock.0.get()
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.0.set(self.clock.0.get() + seconds);
    }

    /// `req` answered while every store operation fails ([`Down`]).
    pub fn send_with_store_down(&self, req: &Request) -> Response {
        let provider = self.provider.borrow();
        let services = Services {
            store: &Down,
            pbkdf2: &RustPbkdf2,
            verifier: &RustCrypto,
            signer: provider.signing_keys(),
            fetcher: &oidc_edge::op::fetch::NoFetch,
            now: UnixTime(self.now()),
        };
        run_ready(async { Ok(provider.handle(req, &services).await) }).unwrap()
    }

    /// `req` answered on the test's store by a provider whose every signature fails, as
    /// WebCrypto could fail on the host.
    pub fn send_with_signer_down(&self, req: &Request) -> Response {
        let provider = self.provider.borrow();
        let services = Services {
            store: &self.store,
            pbkdf2: &RustPbkdf2,
            verifier: &RustCrypto,
            signer: &SignerDown,
            fetcher: &self.web,
            now: UnixTime(self.now()),
        };
        run_ready(async { Ok(provider.handle(req, &services).await) }).unwrap()
    }

    /// `req` answered on `store` (one that wraps the test's store, to act between the
    /// provider's calls) instead of the test's store.
    pub fn send_on<S: oidc_edge::store::Store>(&self, req: &Request, store: &S) -> Response {
        let provider = self.provider.borrow();
        let services = Services {
            store,
            pbkdf2: &RustPbkdf2,
            verifier: &RustCrypto,
            signer: provider.signing_keys(),
            fetcher: &self.web,
            now: UnixTime(self.now()),
        };
        run_ready(async { Ok(provider.handle(req, &services).await) }).unwrap()
    }

    /// `req` answered on the test's store, with every store call it made ([`Logged`]).
    pub fn send_logged(&self, req: &Request) -> (Response, Vec<(&'static str, String)>) {
        let provider = self.provider.borrow();
        let logged = Logged {
            store: &self.store,
            calls: RefCell::new(Vec::new()),
        };
        let services = Services {
            store: &logged,
            pbkdf2: &RustPbkdf2,
            verifier: &RustCrypto,
            signer: provider.signing_keys(),
            fetcher: &self.web,
            now: UnixTime(self.now()),
        };
        let response = run_ready(async { Ok(provider.handle(req, &services).await) }).unwrap();
        (response, logged.calls.into_inner())
    }

    /// `req` sent twice at once: both in flight before either is answered.
    pub fn send_together(&self, req: &Request) -> (Response, Response) {
        let provider = self.provider.borrow();
        let services = Services {
            store: &self.store,
            pbkdf2: &RustPbkdf2,
            verifier: &RustCrypto,
            signer: provider.signing_keys(),
            fetcher: &oidc_edge::op::fetch::NoFetch,
            now: UnixTime(self.now()),
        };
        run_ready(async {
            Ok(futures_util::future::join(
                provider.handle(req, &services),
                provider.handle(req, &services),
            )
            .await)
        })
        .unwrap()
    }

    pub fn send(&self, req: &Request) -> Response {
        let provider = self.provider.borrow();
        let services = Services {
            store: &self.store,
            pbkdf2: &CountingPbkdf2(&self.pbkdf2_iterations),
            verifier: &RustCrypto,
            signer: provider.signing_keys(),
            fetcher: &self.web,
            now: UnixTime(self.now()),
        };
        let response = run_ready(async { Ok(provider.handle(req, &services).await) }).unwrap();
        assert!(
            response.status < 500 || response.status == 503,
            "{} {} answered {}",
            req.method,
            req.url,
            response.status
        );
        response
    }
}

/// The cookies a browser keeps: sent with every request, updated from every `Set-Cookie`.
#[derive(Default)]
pub struct CookieJar(RefCell<Vec<(String, String)>>);

impl std::ops::Deref for CookieJar {
    type Target = RefCell<Vec<(String, String)>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl CookieJar {
    /// Sends `req` through `transport` with the cookies, keeping the ones the answer sets.
    pub fn send(&self, req: Request, transport: impl FnOnce(&Request) -> Response) -> Response {
        let cookie: Vec<String> = self
            .borrow()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let req = if cookie.is_empty() {
            req
        } else {
            req.with_header("cookie", &cookie.join("; "))
        };
        let response = transport(&req);
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap();
                let (n, v) = pair.split_once('=').unwrap();
                let mut jar = self.borrow_mut();
                jar.retain(|(existing, _)| existing != n);
                jar.push((n.to_owned(), v.to_owned()));
            }
        }
        response
    }
}

/// A browser: a cookie jar in front of the provider.
pub struct Browser<'a> {
    pub op: &'a Op,
    pub cookies: CookieJar,
}

impl<'a> Browser<'a> {
    pub fn new(op: &'a Op) -> Browser<'a> {
        Browser {
            op,
            cookies: CookieJar::default(),
        }
    }

    pub fn send(&self, req: Request) -> Response {
        self.cookies.send(req, |req| self.op.send(req))
    }

    pub fn get(&self, path_and_query: &str) -> Response {
        self.send(Request::new("GET", &absolute(path_and_query)))
    }

    /// Answers the consent page `html` (its form's `tx` and `csrf`) with `decision`,
    /// `allow` or `deny`.
    pub fn answer_consent(&self, html: &str, decision: &str) -> Response {
        self.post(
            "/consent",
            &[
                ("tx", &hidden(html, "tx")),
                ("csrf", &hidden(html, "csrf")),
                ("decision", decision),
            ],
        )
    }

    /// The value of the cookie `name` the browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.send(Request::new("POST", &absolute(path)).with_form(form))
    }

    /// Fills in and submits the login form shown at `login_path`.
    pub fn login(&self, login_path: &str, username: &str, password: &str) -> Response {
        let page = self.get(login_path);
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let html = String::from_utf8(page.body).unwrap();
        let tx = hidden(&html, "tx");
        let csrf = hidden(&html, "csrf");
        self.post(
            "/login",
            &[
                ("tx", &tx),
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
    }
}

pub fn absolute(path_and_query: &str) -> String {
    if path_and_query.starts_with("http") {
        path_and_query.to_owned()
    } else {
        format!("{ISSUER}{path_and_query}")
    }
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub fn location(response: &Response) -> String {
    assert_eq!(
        response.status,
        303,
        "expected a redirect, got {} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    response.header("location").unwrap().to_owned()
}

/// The query parameters of a redirect to the client.
pub fn redirect_params(location: &str) -> Params {
    Params::parse(location.split_once('?').unwrap().1).unwrap()
}

/// An authorization request URL for the SPA with PKCE, state and nonce.
pub struct AuthStart {
    pub pkce: Pkce,
    pub state: String,
    pub nonce: String,
}

impl AuthStart {
    pub fn new() -> AuthStart {
        AuthStart {
            pkce: Pkce::generate(64).unwrap(),
            state: random::token(16).unwrap(),
            nonce: random::token(16).unwrap(),
        }
    }

    pub fn url(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", self.state.as_str()),
            ("nonce", self.nonce.as_str()),
            ("code_challenge", self.pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        params.extend_from_slice(extra);
        format!("/authorize?{}", form::encode(&params))
    }
}

/// Allowing the consent page `html` for `client` ended the flow refused: `error` at the
/// client with the request's `state` and no code, and the consent was not remembered (the
/// browser's next request for `client` shows the consent page again).
pub fn assert_refused_at_consent(
    browser: &Browser,
    html: &str,
    (client, redirect): (&str, &str),
    start: &AuthStart,
    error: &str,
) {
    let back = location(&browser.answer_consent(html, "allow"));
    assert!(back.starts_with(redirect), "{back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("error"), Some(error));
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    assert!(params.get("code").is_none());
    let later = browser.get(&AuthStart::new().url(client, redirect, "openid", &[]));
    let to_consent = location(&later);
    assert!(to_consent.starts_with("/consent?"), "{to_consent}");
}

/// The SPA's request with `hint` and `extra` (an `id_token_hint`, OpenID Connect Core
/// §3.1.2.1), answered in `browser`.
pub fn with_hint(
    browser: &Browser<'_>,
    start: &AuthStart,
    hint: &str,
    extra: &[(&str, &str)],
) -> Response {
    let mut params = vec![("id_token_hint", hint)];
    params.extend_from_slice(extra);
    browser.get(&start.url(SPA, SPA_REDIRECT, "openid", &params))
}

/// A sign-in as another account than the request names was not taken: no answer to the
/// client yet, the login page again saying so, and naming nobody. Returns the page.
#[track_caller]
pub fn assert_asked_for_another_account(again: &Response) -> String {
    assert!(
        again.header("location").is_none(),
        "no answer to the client yet"
    );
    let html = text(again);
    assert!(html.contains("asked for another account"), "{html}");
    assert!(
        html.contains(r#"autocomplete="username" value="""#),
        "the page names nobody: {html}"
    );
    html
}

/// In another tab of `browser`, the SPA's request with `prompt=login` answered by signing in
/// as `username`: the browser's session is now that user's.
pub fn sign_in_in_another_tab(browser: &Browser<'_>, username: &str, password: &str) {
    let other = AuthStart::new();
    let to_login =
        location(&browser.get(&other.url(SPA, SPA_REDIRECT, "openid", &[("prompt", "login")])));
    let signed_in = location(&browser.login(&to_login, username, password));
    assert!(redirect_params(&signed_in).get("code").is_some());
}

/// Walks the whole SPA code flow as user "demo" and returns (browser, start, code).
pub fn sign_in<'a>(op: &'a Op, scope: &str) -> (Browser<'a>, AuthStart, String) {
    let browser = Browser::new(op);
    let start = AuthStart::new();
    let to_login = location(&browser.get(&start.url(SPA, SPA_REDIRECT, scope, &[])));
    let back = location(&browser.login(&to_login, "demo", "correct horse"));
    assert!(back.starts_with(SPA_REDIRECT), "{back}");
    let params = redirect_params(&back);
    assert_eq!(params.get("state"), Some(start.state.as_str()));
    let code = params.get("code").unwrap().to_owned();
    (browser, start, code)
}

pub fn token_request(form: &[(&str, &str)]) -> Request {
    Request::new("POST", &format!("{ISSUER}/token")).with_form(form)
}

/// The `authorization_code` form of the SPA.
pub fn code_form<'a>(start: &'a AuthStart, code: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", SPA_REDIRECT),
        ("client_id", SPA),
        ("code_verifier", start.pkce.verifier.expose()),
    ]
}

pub fn exchange(op: &Op, start: &AuthStart, code: &str) -> Response {
    op.send(&token_request(&code_form(start, code)))
}

/// A P-256 DPoP key held in Rust.
pub fn dpop_key(seed: u8) -> Jwk {
    let signing = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    let point = signing.verifying_key().to_sec1_point(false);
    let bytes = point.as_bytes();
    let jwk = json!({
        "kty": "EC", "crv": "P-256",
        "x": b64::encode(&bytes[1..33]), "y": b64::encode(&bytes[33..65]), "d": b64::encode(&[seed; 32]),
    });
    Jwk::from_json(jwk.to_string().as_bytes()).unwrap()
}

pub fn dpop_proof(
    op: &Op,
    key: &Jwk,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> String {
    sign_es256(
        key,
        &ProofClaims {
            htm,
            htu,
            iat: UnixTime(op.now()),
            access_token,
            nonce,
        },
    )
    .unwrap()
}

/// The whole SPA code flow with a DPoP-bound exchange (including the nonce round trip,
/// RFC 9449 §8). Returns the browser and the token response.
pub fn dpop_sign_in<'a>(op: &'a Op, key: &Jwk, scope: &str) -> (Browser<'a>, Value) {
    let (browser, start, code) = sign_in(op, scope);
    let token_url = format!("{ISSUER}/token");
    let form = code_form(&start, &code);
    let first = op.send(
        &token_request(&form)
            .with_header("dpop", &dpop_proof(op, key, "POST", &token_url, None, None)),
    );
    let nonce = first.header("dpop-nonce").unwrap().to_owned();
    let tokens = op.send(&token_request(&form).with_header(
        "dpop",
        &dpop_proof(op, key, "POST", &token_url, None, Some(&nonce)),
    ));
    assert_eq!(
        tokens.status,
        200,
        "{}",
        String::from_utf8_lossy(&tokens.body)
    );
    (browser, tokens.json_body())
}

/// The payload of a JWT, unverified (the tokens' signatures have their own tests).
pub fn jwt_payload(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64::decode(payload).unwrap()).unwrap()
}

/// The protected header of a compact JWS.
pub fn jwt_header(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&b64::decode(header).unwrap()).unwrap()
}

/// `claims` signed by the provider's own key for its ID tokens, the header naming that key
/// and carrying `typ`: a token the provider could have issued, of the type `typ` says.
pub fn provider_signed(op: &Op, typ: &str, claims: &Value) -> String {
    let keys = SigningKeys::from_jwks_json(&op.keys_json().to_string()).unwrap();
    let alg = keys.id_token_algorithm();
    let kid = keys.kid_for(alg).unwrap();
    let mut header = Map::new();
    header.insert("kid".into(), json!(kid));
    header.insert("typ".into(), json!(typ));
    let input = signing_input(header, alg, claims.to_string().as_bytes());
    let signature = run_ready(keys.sign(kid, alg, input.as_bytes())).unwrap();
    assemble(&input, &signature)
}

/// A response's body as JSON.
pub fn body(response: &Response) -> Value {
    response.json_body()
}

/// A response's body as text.
pub fn text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// `Authorization: Basic` for `id` and `secret` (RFC 6749 §2.3.1; these ids and secrets
/// need no form-encoding).
pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        <base64ct::Base64 as base64ct::Encoding>::encode_string(
            format!("{id}:{secret}").as_bytes()
        )
    )
}

/// A signer whose every signature fails.
pub struct SignerDown;

impl TokenSigner for SignerDown {
    fn sign<'a>(
        &'a self,
        _kid: &'a str,
        _alg: oidc_edge::jose::Alg,
        _signing_input: &'a [u8],
    ) -> oidc_edge::op::signer::SignatureFuture<'a> {
        Box::pin(std::future::ready(Err(oidc_edge::Error::CryptoUnavailable)))
    }
}

/// A store whose every operation fails, for the 503 paths.
pub struct Down;

impl oidc_edge::store::Records for Down {
    async fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, oidc_edge::Error> {
        Err(oidc_edge::Error::StoreUnavailable)
    }
    async fn put(&self, _key: &str, _value: &[u8], _ttl: u64) -> Result<(), oidc_edge::Error> {
        Err(oidc_edge::Error::StoreUnavailable)
    }
    async fn delete(&self, _key: &str) -> Result<(), oidc_edge::Error> {
        Err(oidc_edge::Error::StoreUnavailable)
    }
}

impl oidc_edge::store::SingleUse for Down {
    async fn consume(&self, _key: &str) -> Result<Option<Vec<u8>>, oidc_edge::Error> {
        Err(oidc_edge::Error::StoreUnavailable)
    }
}

/// A store that passes every call on to `store` and notes it (operation, key): for tests of
/// how many round trips a step takes.
pub struct Logged<'a, S> {
    store: &'a S,
    calls: RefCell<Vec<(&'static str, String)>>,
}

impl<S> Logged<'_, S> {
    fn note(&self, operation: &'static str, key: &str) {
        self.calls.borrow_mut().push((operation, key.to_owned()));
    }
}

impl<S: oidc_edge::store::Store> oidc_edge::store::Records for Logged<'_, S> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, oidc_edge::Error> {
        self.note("get", key);
        self.store.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl: u64) -> Result<(), oidc_edge::Error> {
        self.note("put", key);
        self.store.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), oidc_edge::Error> {
        self.note("delete", key);
        self.store.delete(key).await
    }
}

impl<S: oidc_edge::store::Store> oidc_edge::store::SingleUse for Logged<'_, S> {
    async fn consume(&self, key: &str) -> Result<Option<Vec<u8>>, oidc_edge::Error> {
        self.note("consume", key);
        self.store.consume(key).await
    }
    async fn reserve(&self, key: &str, value: &[u8], ttl: u64) -> Result<bool, oidc_edge::Error> {
        self.note("reserve", key);
        self.store.reserve(key, value, ttl).await
    }
    async fn increment(&self, key: &str, ttl: u64) -> Result<u64, oidc_edge::Error> {
        self.note("increment", key);
        self.store.increment(key, ttl).await
    }
}
