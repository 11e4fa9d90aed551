//! `provider`: the whole `Provider::handle` (src/op/) on a memory store with a clock the
//! input moves, driven by a sequence of steps: authorize, the login and consent pages,
//! the token endpoint (code, refresh, client credentials; client authentication; DPoP),
//! userinfo, the DPoP-only API, logout, and raw requests with arbitrary method, path,
//! headers and body. Each field is either the valid value the flow has reached (a code,
//! a cookie, a CSRF token, a refresh token taken from earlier responses), absent,
//! arbitrary text, or the valid value cut or extended, so inputs get past the first
//! checks.
//!
//! Every answer must have a sane status (never 5xx: the memory store does not fail;
//! 429 only from sign-in throttling),
//! a `Location` on redirects, no control characters in header fields, cookies that are
//! `HttpOnly` and `SameSite=Lax`, JSON where JSON is declared, and no body for `HEAD`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use arbitrary::{Arbitrary, Unstructured};
use oidc_edge::Error;
use oidc_edge::b64;
use oidc_edge::dpop::access_token_hash;
use oidc_edge::jose::jws::{assemble, signing_input};
use oidc_edge::jose::verifier::{RustCrypto, run_ready};
use oidc_edge::jose::{Alg, Jwk};
use oidc_edge::op::config::Config;
use oidc_edge::op::fetch::NoFetch;
use oidc_edge::op::form::{self, Params};
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::password::{Pbkdf2, RustPbkdf2};
use oidc_edge::op::secrets::ServerSecrets;
use oidc_edge::op::{Provider, Request, Response, Services};
use oidc_edge::pkce::CodeVerifier;
use oidc_edge::store::MemoryStore;
use oidc_edge::time::{Clock, UnixTime};
use serde_json::{Map, Value, json};

use super::{Encode, Few, KEY_A, KEY_B, Seed, Text, text};

pub const ISSUER: &str = "https://op.example";
const START: i64 = 1_800_000_000;
const PASSWORD: &str = "correct horse";
const SECRET: &str = "service-secret-0123456789abcdefghijklmnop";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const MAX_STEPS: usize = 24;

// ---------------------------------------------------------------------------------------
// The input.

/// A field of a request.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Field {
    /// The value the flow expects here (from earlier responses, or the fixed one).
    Valid,
    Absent,
    Text(Text),
    /// The valid value cut to this many characters (modulo its length + 1).
    Cut(u8),
    /// The valid value with text appended.
    Extended(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ClientPick {
    Spa,
    Third,
    Service,
    DpopSpa,
    Other(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Authorize {
    pub post: bool,
    pub client: ClientPick,
    pub redirect_uri: Field,
    pub response_type: Field,
    pub scope: Field,
    pub state: Field,
    pub nonce: Field,
    pub code_challenge: Field,
    pub code_challenge_method: Field,
    pub prompt: Field,
    pub max_age: Field,
    pub dpop_jkt: Field,
    pub extra: Few<(Text, Text)>,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Grant {
    Code,
    Refresh,
    ClientCredentials,
    Other(Text),
    Absent,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ClientAuth {
    /// `client_id` in the form, no secret.
    Public(ClientPick),
    /// `client_id` and `client_secret` in the form.
    Post(ClientPick, Field),
    /// HTTP Basic.
    Basic(ClientPick, Field),
    /// An `Authorization` header of any content.
    Header(Text),
    /// HTTP Basic and `client_secret` in the form.
    Both(ClientPick),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum ProofKey {
    A,
    B,
    /// Key A with its private member in the header.
    Private,
    /// The proof is this text, not a signed proof.
    Raw(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Proof {
    pub key: ProofKey,
    pub typ: Field,
    pub htm: Field,
    pub htu: Field,
    pub jti: Field,
    /// Seconds from now.
    pub iat: i16,
    pub nonce: Field,
    pub ath: Field,
    /// Two `DPoP` fields instead of one.
    pub twice: bool,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Token {
    pub grant: Grant,
    pub auth: ClientAuth,
    pub code: Field,
    pub redirect_uri: Field,
    pub code_verifier: Field,
    pub refresh_token: Field,
    pub scope: Field,
    pub dpop: Option<Proof>,
    pub extra: Few<(Text, Text)>,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Scheme {
    Bearer,
    Dpop,
    Other(Text),
    Absent,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Resource {
    pub post: bool,
    pub scheme: Scheme,
    pub token: Field,
    pub dpop: Option<Proof>,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct EndSession {
    pub post: bool,
    pub id_token_hint: Field,
    pub client_id: Option<ClientPick>,
    pub post_logout_redirect_uri: Field,
    pub state: Field,
    pub confirm: Field,
    pub csrf: Field,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Method {
    Get,
    Post,
    Head,
    Options,
    Other(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum PathPick {
    Authorize,
    Login,
    Consent,
    Token,
    Userinfo,
    EndSession,
    ApiMe,
    Jwks,
    Discovery,
    Other(Text),
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Raw {
    pub method: Method,
    pub path: PathPick,
    pub query: Text,
    pub headers: Few<(Text, Text)>,
    pub body: Text,
    /// Sent as a form body (`Content-Type` set).
    pub form: bool,
    /// The browser's cookies sent too.
    pub cookies: bool,
}

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Step {
    Authorize(Authorize),
    /// `GET /login?tx=`.
    LoginPage(Field),
    Login {
        tx: Field,
        csrf: Field,
        username: Field,
        password: Field,
    },
    Consent {
        post: bool,
        tx: Field,
        csrf: Field,
        decision: Field,
    },
    Token(Token),
    Userinfo(Resource),
    ApiMe(Resource),
    EndSession(EndSession),
    Raw(Raw),
    /// The clock moves on this many seconds.
    Wait(u16),
    /// The browser loses its cookies.
    ForgetCookies,
    /// `GET` the last `Location` on the provider.
    Follow,
}

// ---------------------------------------------------------------------------------------
// The provider under test, built once per process.

#[derive(Debug, Clone)]
struct FuzzClock(Rc<Cell<i64>>);

impl Clock for FuzzClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.get())
    }
}

/// PBKDF2 in Rust at one iteration whatever the hash says: the configuration's hashes
/// are made the same way (and say 10,000, the least the configuration accepts), so
/// passwords still verify, at a fuzzing speed.
struct OneIteration;

impl Pbkdf2 for OneIteration {
    async fn derive(
        &self,
        password: &[u8],
        salt: &[u8],
        _iterations: u32,
    ) -> Result<[u8; 32], Error> {
        RustPbkdf2.derive(password, salt, 1).await
    }
}

fn hash(secret: &str, salt: u8) -> String {
    let salt = [salt; 16];
    let key = run_ready(RustPbkdf2.derive(secret.as_bytes(), &salt, 1)).expect("derives");
    format!(
        "$pbkdf2-sha256$i=10000${}${}",
        b64::encode(&salt),
        b64::encode(&key)
    )
}

fn build() -> Provider {
    let config = json!({
        "issuer": ISSUER,
        "clients": [
            { "client_id": "spa", "client_type": "public", "token_endpoint_auth_method": "none",
              "redirect_uris": ["https://spa.example/callback"],
              "post_logout_redirect_uris": ["https://spa.example/"],
              "grant_types": ["authorization_code", "refresh_token"],
              "scopes": ["openid", "profile", "email", "offline_access"],
              "allowed_origins": ["https://spa.example"], "first_party": true },
            { "client_id": "third", "client_type": "confidential",
              "token_endpoint_auth_method": "client_secret_post", "client_secret_hash": hash(SECRET, 3),
              "redirect_uris": ["https://third.example/cb"],
              "grant_types": ["authorization_code", "refresh_token"],
              "scopes": ["openid", "email", "offline_access"] },
            { "client_id": "service", "client_type": "confidential",
              "token_endpoint_auth_method": "client_secret_basic", "client_secret_hash": hash(SECRET, 4),
              "grant_types": ["client_credentials"], "scopes": ["api:read", "api:write"] },
            { "client_id": "dpop-spa", "client_type": "public", "token_endpoint_auth_method": "none",
              "redirect_uris": ["https://dpop.example/cb"],
              "post_logout_redirect_uris": ["https://dpop.example/"],
              "grant_types": ["authorization_code", "refresh_token"],
              "scopes": ["openid", "profile", "offline_access"],
              "allowed_origins": ["https://dpop.example"], "first_party": true,
              "dpop_bound_access_tokens": true }
        ],
        "users": [
            { "sub": "248289761001", "username": "demo", "password_hash": hash(PASSWORD, 1),
              "claims": { "name": "Demo User", "email": "demo@example.com", "email_verified": true } },
            { "sub": "u2", "username": "second", "password_hash": hash("second", 2), "claims": {} }
        ],
        "lifetimes": { "code": 60, "access_token": 600, "id_token": 600, "refresh_token": 86400, "session": 3600 }
    });
    let config = Config::from_json(&config.to_string()).expect("fuzz config");
    let keys = SigningKeys::from_jwks_json(&format!(
        r#"{{"keys":[{}]}}"#,
        KEY_B.replacen('{', r#"{"kid":"b","#, 1)
    ))
    .expect("signing key");
    Provider::new(config, keys, ServerSecrets::derive(&[7; 32]))
}

thread_local! {
    static PROVIDER: &'static Provider = Box::leak(Box::new(build()));
    static DPOP_KEYS: (Jwk, Jwk) = (
        Jwk::from_json(KEY_A.as_bytes()).expect("key A"),
        Jwk::from_json(KEY_B.as_bytes()).expect("key B"),
    );
}

// ---------------------------------------------------------------------------------------
// The flow's state: a browser's cookies and what earlier answers handed out.

struct World {
    provider: &'static Provider,
    clock: FuzzClock,
    store: MemoryStore<FuzzClock>,
    cookies: RefCell<Vec<(String, String)>>,
    tx: Option<String>,
    csrf: Option<String>,
    code: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    id_token: Option<String>,
    dpop_nonce: Option<String>,
    location: Option<String>,
    proofs: u32,
    /// `METHOD /path STATUS` of every request, for [`trace`].
    log: Vec<String>,
}

impl Field {
    fn resolve(&self, valid: Option<&str>) -> Option<String> {
        match self {
            Field::Valid => valid.map(str::to_owned),
            Field::Absent => None,
            Field::Text(t) => Some(t.0.clone()),
            Field::Cut(n) => valid.map(|v| {
                let keep = usize::from(*n) % (v.chars().count() + 1);
                v.chars().take(keep).collect()
            }),
            Field::Extended(t) => valid.map(|v| format!("{v}{}", t.0)),
        }
    }
}

impl ClientPick {
    fn id(&self) -> String {
        match self {
            ClientPick::Spa => "spa".into(),
            ClientPick::Third => "third".into(),
            ClientPick::Service => "service".into(),
            ClientPick::DpopSpa => "dpop-spa".into(),
            ClientPick::Other(t) => t.0.clone(),
        }
    }

    fn redirect_uri(&self) -> Option<&'static str> {
        match self {
            ClientPick::Spa => Some("https://spa.example/callback"),
            ClientPick::Third => Some("https://third.example/cb"),
            ClientPick::DpopSpa => Some("https://dpop.example/cb"),
            _ => None,
        }
    }

    fn scope(&self) -> &'static str {
        match self {
            ClientPick::Third => "openid email offline_access",
            ClientPick::Service => "api:read",
            ClientPick::DpopSpa => "openid profile offline_access",
            _ => "openid profile email offline_access",
        }
    }
}

fn url(path: &str, query: &[(&str, Option<String>)]) -> String {
    let pairs: Vec<(&str, &str)> = query
        .iter()
        .filter_map(|(n, v)| v.as_deref().map(|v| (*n, v)))
        .collect();
    if pairs.is_empty() {
        format!("{ISSUER}{path}")
    } else {
        format!("{ISSUER}{path}?{}", form::encode(&pairs))
    }
}

fn with_form(req: Request, pairs: &[(&str, Option<String>)]) -> Request {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(n, v)| v.as_deref().map(|v| (*n, v)))
        .collect();
    req.with_form(&pairs)
}

fn extras(pairs: &Few<(Text, Text)>) -> Vec<(&str, Option<String>)> {
    pairs
        .0
        .iter()
        .map(|(n, v)| (n.0.as_str(), Some(v.0.clone())))
        .collect()
}

fn challenge() -> String {
    CodeVerifier::parse(VERIFIER)
        .expect("verifier")
        .challenge()
        .as_str()
        .to_owned()
}

impl World {
    fn now(&self) -> i64 {
        self.clock.0.get()
    }

    /// Sends `req` with the browser's cookies (when `cookies`), checks the answer and
    /// keeps what it hands out.
    fn send(&mut self, req: Request, cookies: bool) -> Response {
        let jar: Vec<String> = self
            .cookies
            .borrow()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let req = if cookies && !jar.is_empty() {
            req.with_header("cookie", &jar.join("; "))
        } else {
            req
        };
        let services = Services {
            store: &self.store,
            pbkdf2: &OneIteration,
            verifier: &RustCrypto,
            signer: self.provider.signing_keys(),
            // No client here has a jwks_uri: there is nothing to fetch.
            fetcher: &NoFetch,
            now: UnixTime(self.now()),
        };
        let response = run_ready(async { Ok(self.provider.handle(&req, &services).await) })
            .expect("the memory store and RustCrypto never wait");
        check(&req, &response);
        self.log
            .push(format!("{} {} {}", req.method, req.path(), response.status));
        self.learn(&response);
        response
    }

    fn learn(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                let (n, v) = pair
                    .split_once('=')
                    .expect("a cookie has a name and a value");
                let mut jar = self.cookies.borrow_mut();
                jar.retain(|(existing, _)| existing != n);
                if !v.is_empty() && !value.contains("Max-Age=0") {
                    jar.push((n.to_owned(), v.to_owned()));
                }
            } else if name.eq_ignore_ascii_case("dpop-nonce") {
                self.dpop_nonce = Some(value.clone());
            }
        }
        if let Some(location) = response.header("location") {
            self.location = Some(location.to_owned());
            if let Some((_, query)) = location.split_once('?')
                && let Ok(params) = Params::parse(query)
            {
                if let Some(code) = params.get("code") {
                    self.code = Some(code.to_owned());
                }
                if let Some(tx) = params.get("tx") {
                    self.tx = Some(tx.to_owned());
                }
            }
        }
        let body = String::from_utf8_lossy(&response.body);
        if let Some(tx) = hidden(&body, "tx") {
            self.tx = Some(tx);
        }
        if let Some(csrf) = hidden(&body, "csrf") {
            self.csrf = Some(csrf);
        }
        if response.status == 200
            && let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(&response.body)
        {
            let get = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
            if let Some(token) = get("access_token") {
                self.access_token = Some(token);
            }
            if let Some(token) = get("refresh_token") {
                self.refresh_token = Some(token);
            }
            if let Some(token) = get("id_token") {
                self.id_token = Some(token);
            }
        }
    }

    /// A DPoP proof for `method` and `url`.
    fn proof(&mut self, proof: &Proof, method: &str, url: &str, token: Option<&str>) -> String {
        let key = match &proof.key {
            ProofKey::Raw(text) => return text.0.clone(),
            ProofKey::B => 1,
            ProofKey::A | ProofKey::Private => 0,
        };
        self.proofs += 1;
        let (signer, header_jwk) = DPOP_KEYS.with(|(a, b)| {
            let signer = if key == 0 { a.clone() } else { b.clone() };
            let jwk = match proof.key {
                ProofKey::Private => serde_json::from_str(KEY_A).unwrap_or(Value::Null),
                _ => Value::Object(signer.public_json()),
            };
            (signer, jwk)
        });
        let mut header = Map::new();
        if let Some(typ) = proof.typ.resolve(Some("dpop+jwt")) {
            header.insert("typ".into(), Value::String(typ));
        }
        header.insert("jwk".into(), header_jwk);
        let mut claims = Map::new();
        let jti = format!("jti-{}", self.proofs);
        let ath = token.map(access_token_hash);
        for (name, value) in [
            ("jti", proof.jti.resolve(Some(&jti))),
            ("htm", proof.htm.resolve(Some(method))),
            ("htu", proof.htu.resolve(Some(url))),
            ("nonce", proof.nonce.resolve(self.dpop_nonce.as_deref())),
            ("ath", proof.ath.resolve(ath.as_deref())),
        ] {
            if let Some(value) = value {
                claims.insert(name.into(), Value::String(value));
            }
        }
        claims.insert("iat".into(), json!(self.now() + i64::from(proof.iat)));
        let input = signing_input(
            header,
            Alg::Es256,
            Value::Object(claims).to_string().as_bytes(),
        );
        let signature = signer.es256_signature(input.as_bytes()).expect("signs");
        assemble(&input, &signature)
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Authorize(a) => self.authorize(a),
            Step::LoginPage(tx) => {
                let tx = tx.resolve(self.tx.as_deref());
                self.send(Request::new("GET", &url("/login", &[("tx", tx)])), true);
            }
            Step::Login {
                tx,
                csrf,
                username,
                password,
            } => {
                let pairs = [
                    ("tx", tx.resolve(self.tx.as_deref())),
                    ("csrf", csrf.resolve(self.csrf.as_deref())),
                    ("username", username.resolve(Some("demo"))),
                    ("password", password.resolve(Some(PASSWORD))),
                ];
                self.send(
                    with_form(Request::new("POST", &url("/login", &[])), &pairs),
                    true,
                );
            }
            Step::Consent {
                post,
                tx,
                csrf,
                decision,
            } => {
                let pairs = [
                    ("tx", tx.resolve(self.tx.as_deref())),
                    ("csrf", csrf.resolve(self.csrf.as_deref())),
                    ("decision", decision.resolve(Some("allow"))),
                ];
                let req = if *post {
                    with_form(Request::new("POST", &url("/consent", &[])), &pairs)
                } else {
                    Request::new("GET", &url("/consent", &pairs))
                };
                self.send(req, true);
            }
            Step::Token(t) => self.token(t),
            Step::Userinfo(r) => self.resource("/userinfo", r),
            Step::ApiMe(r) => self.resource("/api/me", r),
            Step::EndSession(e) => {
                let pairs = [
                    (
                        "id_token_hint",
                        e.id_token_hint.resolve(self.id_token.as_deref()),
                    ),
                    ("client_id", e.client_id.as_ref().map(ClientPick::id)),
                    (
                        "post_logout_redirect_uri",
                        e.post_logout_redirect_uri
                            .resolve(Some("https://spa.example/")),
                    ),
                    ("state", e.state.resolve(Some("bye"))),
                    ("confirm", e.confirm.resolve(Some("yes"))),
                    ("csrf", e.csrf.resolve(self.csrf.as_deref())),
                ];
                let req = if e.post {
                    with_form(Request::new("POST", &url("/end_session", &[])), &pairs)
                } else {
                    Request::new("GET", &url("/end_session", &pairs))
                };
                self.send(req, true);
            }
            Step::Raw(r) => self.raw(r),
            Step::Wait(seconds) => self.clock.0.set(self.now() + i64::from(*seconds)),
            Step::ForgetCookies => self.cookies.borrow_mut().clear(),
            Step::Follow => {
                let Some(location) = self.location.take() else {
                    return;
                };
                let target = if location.starts_with('/') {
                    format!("{ISSUER}{location}")
                } else if location.starts_with(ISSUER) {
                    location
                } else {
                    return;
                };
                self.send(Request::new("GET", &target), true);
            }
        }
    }

    fn authorize(&mut self, a: &Authorize) {
        let mut pairs = vec![
            ("response_type", a.response_type.resolve(Some("code"))),
            ("client_id", Some(a.client.id())),
            (
                "redirect_uri",
                a.redirect_uri.resolve(a.client.redirect_uri()),
            ),
            ("scope", a.scope.resolve(Some(a.client.scope()))),
            ("state", a.state.resolve(Some("af0ifjsldkj"))),
            ("nonce", a.nonce.resolve(Some("n-0S6_WzA2Mj"))),
            (
                "code_challenge",
                a.code_challenge.resolve(Some(&challenge())),
            ),
            (
                "code_challenge_method",
                a.code_challenge_method.resolve(Some("S256")),
            ),
            ("prompt", a.prompt.resolve(Some("login"))),
            ("max_age", a.max_age.resolve(Some("3600"))),
        ];
        let jkt = DPOP_KEYS.with(|(a, _)| a.thumbprint());
        pairs.push(("dpop_jkt", a.dpop_jkt.resolve(Some(&jkt))));
        pairs.extend(extras(&a.extra));
        let req = if a.post {
            with_form(Request::new("POST", &url("/authorize", &[])), &pairs)
        } else {
            Request::new("GET", &url("/authorize", &pairs))
        };
        self.send(req, true);
    }

    fn token(&mut self, t: &Token) {
        let mut req = Request::new("POST", &url("/token", &[]));
        let mut pairs = vec![(
            "grant_type",
            match &t.grant {
                Grant::Code => Some("authorization_code".to_owned()),
                Grant::Refresh => Some("refresh_token".to_owned()),
                Grant::ClientCredentials => Some("client_credentials".to_owned()),
                Grant::Other(text) => Some(text.0.clone()),
                Grant::Absent => None,
            },
        )];
        let basic = |client: &ClientPick, secret: Option<String>| {
            format!(
                "Basic {}",
                b64_standard(
                    format!(
                        "{}:{}",
                        form::encode_component(&client.id()),
                        form::encode_component(&secret.unwrap_or_default())
                    )
                    .as_bytes()
                )
            )
        };
        let client = match &t.auth {
            ClientAuth::Public(client) => {
                pairs.push(("client_id", Some(client.id())));
                client.clone()
            }
            ClientAuth::Post(client, secret) => {
                pairs.push(("client_id", Some(client.id())));
                pairs.push(("client_secret", secret.resolve(Some(SECRET))));
                client.clone()
            }
            ClientAuth::Basic(client, secret) => {
                req = req.with_header(
                    "authorization",
                    &basic(client, secret.resolve(Some(SECRET))),
                );
                client.clone()
            }
            ClientAuth::Header(value) => {
                req = req.with_header("authorization", &value.0);
                ClientPick::Spa
            }
            ClientAuth::Both(client) => {
                req = req.with_header("authorization", &basic(client, Some(SECRET.into())));
                pairs.push(("client_secret", Some(SECRET.into())));
                client.clone()
            }
        };
        pairs.push(("code", t.code.resolve(self.code.as_deref())));
        pairs.push((
            "redirect_uri",
            t.redirect_uri.resolve(client.redirect_uri()),
        ));
        pairs.push(("code_verifier", t.code_verifier.resolve(Some(VERIFIER))));
        pairs.push((
            "refresh_token",
            t.refresh_token.resolve(self.refresh_token.as_deref()),
        ));
        pairs.push(("scope", t.scope.resolve(Some(client.scope()))));
        pairs.extend(extras(&t.extra));
        if let Some(proof) = &t.dpop {
            let value = self.proof(proof, "POST", &format!("{ISSUER}/token"), None);
            req = req.with_header("dpop", &value);
            if proof.twice {
                req = req.with_header("dpop", &value);
            }
        }
        self.send(with_form(req, &pairs), false);
    }

    fn resource(&mut self, path: &str, r: &Resource) {
        let method = if r.post { "POST" } else { "GET" };
        let endpoint = format!("{ISSUER}{path}");
        let mut req = Request::new(method, &endpoint);
        let token = r.token.resolve(self.access_token.as_deref());
        let scheme = match &r.scheme {
            Scheme::Bearer => Some("Bearer".to_owned()),
            Scheme::Dpop => Some("DPoP".to_owned()),
            Scheme::Other(t) => Some(t.0.clone()),
            Scheme::Absent => None,
        };
        if let Some(scheme) = scheme {
            req = req.with_header(
                "authorization",
                &format!("{scheme} {}", token.as_deref().unwrap_or_default()),
            );
        }
        if let Some(proof) = &r.dpop {
            let value = self.proof(proof, method, &endpoint, token.as_deref());
            req = req.with_header("dpop", &value);
            if proof.twice {
                req = req.with_header("dpop", &value);
            }
        }
        if r.post {
            req = req.with_form(&[]);
        }
        self.send(req, false);
    }

    fn raw(&mut self, r: &Raw) {
        let method = match &r.method {
            Method::Get => "GET".to_owned(),
            Method::Post => "POST".to_owned(),
            Method::Head => "HEAD".to_owned(),
            Method::Options => "OPTIONS".to_owned(),
            Method::Other(t) => t.0.clone(),
        };
        let path = match &r.path {
            PathPick::Authorize => "/authorize".to_owned(),
            PathPick::Login => "/login".to_owned(),
            PathPick::Consent => "/consent".to_owned(),
            PathPick::Token => "/token".to_owned(),
            PathPick::Userinfo => "/userinfo".to_owned(),
            PathPick::EndSession => "/end_session".to_owned(),
            PathPick::ApiMe => "/api/me".to_owned(),
            PathPick::Jwks => "/jwks".to_owned(),
            PathPick::Discovery => "/.well-known/openid-configuration".to_owned(),
            PathPick::Other(t) => t.0.clone(),
        };
        let target = if r.query.0.is_empty() {
            format!("{ISSUER}{path}")
        } else {
            format!("{ISSUER}{path}?{}", r.query.0)
        };
        let mut req = Request::new(&method, &target);
        if r.form {
            req = req.with_header("content-type", "application/x-www-form-urlencoded");
        }
        for (name, value) in &r.headers.0 {
            req = req.with_header(&name.0, &value.0);
        }
        req.body = r.body.0.clone().into_bytes();
        self.send(req, r.cookies);
    }
}

/// Standard base64 with padding, as HTTP Basic uses (RFC 7617).
fn b64_standard(bytes: &[u8]) -> String {
    b64::encode(bytes).replace('-', "+").replace('_', "/")
        + match bytes.len() % 3 {
            1 => "==",
            2 => "=",
            _ => "",
        }
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// What every answer must satisfy.
fn check(req: &Request, response: &Response) {
    let what = || format!("{} {} answered {}", req.method, req.url, response.status);
    assert!(
        matches!(
            response.status,
            200 | 204 | 303 | 400 | 401 | 403 | 404 | 405 | 429
        ),
        "{}: {}",
        what(),
        String::from_utf8_lossy(&response.body)
    );
    if response.status == 303 {
        assert!(response.header("location").is_some(), "{}", what());
    }
    for (name, value) in &response.headers {
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()),
            "{}: header name {name:?}",
            what()
        );
        assert!(
            value
                .bytes()
                .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f)),
            "{}: header {name}: {value:?}",
            what()
        );
        if name.eq_ignore_ascii_case("set-cookie") {
            assert!(
                value.contains("; HttpOnly") && value.contains("; SameSite=Lax"),
                "{}: cookie {value:?}",
                what()
            );
        }
    }
    if req.method == "HEAD" {
        assert!(response.body.is_empty(), "{}: HEAD with a body", what());
    } else if response
        .header("content-type")
        .is_some_and(|ct| ct.contains("json"))
    {
        assert!(
            serde_json::from_slice::<Value>(&response.body).is_ok(),
            "{}: declared JSON is not",
            what()
        );
    }
    if req.path() == "/token" && req.method == "POST" {
        assert_eq!(
            response.header("cache-control"),
            Some("no-store"),
            "{}",
            what()
        );
        if response.status == 200 {
            let body: Value = serde_json::from_slice(&response.body).expect("JSON");
            assert!(
                body.get("access_token").is_some_and(Value::is_string),
                "{}",
                what()
            );
            assert!(
                body.get("token_type").is_some_and(Value::is_string),
                "{}",
                what()
            );
        }
    }
}

/// Runs the steps the input decodes to (at most [`MAX_STEPS`]) against a fresh store.
pub fn provider(data: &[u8]) {
    trace(data);
}

/// [`provider`], returning `METHOD /path STATUS` for every request made.
pub fn trace(data: &[u8]) -> Vec<String> {
    let mut u = Unstructured::new(data);
    let mut steps = Vec::new();
    while !u.is_empty() && steps.len() < MAX_STEPS {
        match Step::arbitrary(&mut u) {
            Ok(step) => steps.push(step),
            Err(_) => break,
        }
    }
    run(&steps)
}

fn run(steps: &[Step]) -> Vec<String> {
    let clock = FuzzClock(Rc::new(Cell::new(START)));
    let mut world = World {
        provider: PROVIDER.with(|p| *p),
        store: MemoryStore::new(clock.clone()),
        clock,
        cookies: RefCell::new(Vec::new()),
        tx: None,
        csrf: None,
        code: None,
        access_token: None,
        refresh_token: None,
        id_token: None,
        dpop_nonce: None,
        location: None,
        proofs: 0,
        log: Vec::new(),
    };
    for step in steps {
        world.step(step);
    }
    world.log
}

// ---------------------------------------------------------------------------------------
// Seeds: the flows an RP runs, written as steps.

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use Field::{Absent, Valid};
    let authorize = |client: ClientPick| {
        Step::Authorize(Authorize {
            post: false,
            client,
            redirect_uri: Valid,
            response_type: Valid,
            scope: Valid,
            state: Valid,
            nonce: Valid,
            code_challenge: Valid,
            code_challenge_method: Valid,
            prompt: Absent,
            max_age: Absent,
            dpop_jkt: Absent,
            extra: Few(vec![]),
        })
    };
    let login = Step::Login {
        tx: Valid,
        csrf: Valid,
        username: Valid,
        password: Valid,
    };
    let token = |grant: Grant, auth: ClientAuth, dpop: Option<Proof>| {
        Step::Token(Token {
            grant,
            auth,
            code: Valid,
            redirect_uri: Valid,
            code_verifier: Valid,
            refresh_token: Valid,
            scope: Absent,
            dpop,
            extra: Few(vec![]),
        })
    };
    let proof = Proof {
        key: ProofKey::A,
        typ: Valid,
        htm: Valid,
        htu: Valid,
        jti: Valid,
        iat: 0,
        nonce: Valid,
        ath: Valid,
        twice: false,
    };
    let resource = |scheme: Scheme, dpop: Option<Proof>| Resource {
        post: false,
        scheme,
        token: Valid,
        dpop,
    };
    let flows: Vec<(&str, Vec<Step>)> = vec![
        (
            "spa-code-refresh-userinfo-logout",
            vec![
                authorize(ClientPick::Spa),
                Step::Follow,
                login.clone(),
                token(Grant::Code, ClientAuth::Public(ClientPick::Spa), None),
                Step::Userinfo(resource(Scheme::Bearer, None)),
                token(Grant::Refresh, ClientAuth::Public(ClientPick::Spa), None),
                Step::EndSession(EndSession {
                    post: false,
                    id_token_hint: Valid,
                    client_id: Some(ClientPick::Spa),
                    post_logout_redirect_uri: Valid,
                    state: Valid,
                    confirm: Absent,
                    csrf: Absent,
                }),
            ],
        ),
        (
            "third-party-consent",
            vec![
                authorize(ClientPick::Third),
                Step::Follow,
                login.clone(),
                Step::Follow,
                Step::Consent {
                    post: true,
                    tx: Valid,
                    csrf: Valid,
                    decision: Valid,
                },
                token(
                    Grant::Code,
                    ClientAuth::Post(ClientPick::Third, Valid),
                    None,
                ),
                token(
                    Grant::Refresh,
                    ClientAuth::Post(ClientPick::Third, Valid),
                    None,
                ),
            ],
        ),
        (
            "dpop-nonce-api",
            vec![
                authorize(ClientPick::DpopSpa),
                Step::Follow,
                login.clone(),
                token(
                    Grant::Code,
                    ClientAuth::Public(ClientPick::DpopSpa),
                    Some(proof.clone()),
                ),
                token(
                    Grant::Code,
                    ClientAuth::Public(ClientPick::DpopSpa),
                    Some(proof.clone()),
                ),
                Step::Userinfo(resource(Scheme::Dpop, Some(proof.clone()))),
                Step::ApiMe(resource(Scheme::Dpop, Some(proof.clone()))),
                Step::ApiMe(resource(Scheme::Dpop, Some(proof.clone()))),
                token(
                    Grant::Refresh,
                    ClientAuth::Public(ClientPick::DpopSpa),
                    Some(proof.clone()),
                ),
            ],
        ),
        (
            "client-credentials",
            vec![
                token(
                    Grant::ClientCredentials,
                    ClientAuth::Basic(ClientPick::Service, Valid),
                    None,
                ),
                Step::ApiMe(resource(Scheme::Bearer, None)),
                token(
                    Grant::ClientCredentials,
                    ClientAuth::Both(ClientPick::Service),
                    None,
                ),
            ],
        ),
        (
            "logout-confirmation",
            vec![
                authorize(ClientPick::Spa),
                Step::Follow,
                login.clone(),
                Step::EndSession(EndSession {
                    post: false,
                    id_token_hint: Absent,
                    client_id: None,
                    post_logout_redirect_uri: Absent,
                    state: Absent,
                    confirm: Absent,
                    csrf: Absent,
                }),
                Step::EndSession(EndSession {
                    post: true,
                    id_token_hint: Absent,
                    client_id: None,
                    post_logout_redirect_uri: Absent,
                    state: Absent,
                    confirm: Valid,
                    csrf: Valid,
                }),
                authorize(ClientPick::Spa),
            ],
        ),
        (
            "code-replay-expiry",
            vec![
                authorize(ClientPick::Spa),
                Step::Follow,
                login,
                token(Grant::Code, ClientAuth::Public(ClientPick::Spa), None),
                token(Grant::Code, ClientAuth::Public(ClientPick::Spa), None),
                Step::Wait(700),
                Step::Userinfo(resource(Scheme::Bearer, None)),
                token(Grant::Refresh, ClientAuth::Public(ClientPick::Spa), None),
            ],
        ),
        (
            "raw-requests",
            vec![
                Step::Raw(Raw {
                    method: Method::Options,
                    path: PathPick::Token,
                    query: text(""),
                    headers: Few(vec![(text("Origin"), text("https://spa.example"))]),
                    body: text(""),
                    form: false,
                    cookies: false,
                }),
                Step::Raw(Raw {
                    method: Method::Head,
                    path: PathPick::Discovery,
                    query: text(""),
                    headers: Few(vec![]),
                    body: text(""),
                    form: false,
                    cookies: false,
                }),
                Step::Raw(Raw {
                    method: Method::Post,
                    path: PathPick::Token,
                    query: text("a=1"),
                    headers: Few(vec![(text("Authorization"), text("Basic Og=="))]),
                    body: text("grant_type=client_credentials&client_id=service"),
                    form: true,
                    cookies: true,
                }),
            ],
        ),
    ];
    flows
        .into_iter()
        .map(|(name, steps)| {
            let mut seed = Seed::default();
            for step in &steps {
                step.encode(&mut seed);
            }
            let bytes = seed.bytes();
            let mut u = Unstructured::new(&bytes);
            let mut back = Vec::new();
            while !u.is_empty() {
                back.push(Step::arbitrary(&mut u).expect("seed decodes"));
            }
            assert_eq!(back, steps, "seed {name} does not decode to its steps");
            (name.to_owned(), bytes)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The inverse of the derived `Arbitrary` impls above, for the seeds.

impl Encode for Field {
    fn encode(&self, seed: &mut Seed) {
        match self {
            Field::Valid => {
                seed.variant(0, 5);
            }
            Field::Absent => {
                seed.variant(1, 5);
            }
            Field::Text(t) => {
                seed.variant(2, 5);
                t.encode(seed);
            }
            Field::Cut(n) => {
                seed.variant(3, 5).u8(*n);
            }
            Field::Extended(t) => {
                seed.variant(4, 5);
                t.encode(seed);
            }
        }
    }
}

impl Encode for ClientPick {
    fn encode(&self, seed: &mut Seed) {
        let index = match self {
            ClientPick::Spa => 0,
            ClientPick::Third => 1,
            ClientPick::Service => 2,
            ClientPick::DpopSpa => 3,
            ClientPick::Other(_) => 4,
        };
        seed.variant(index, 5);
        if let ClientPick::Other(t) = self {
            t.encode(seed);
        }
    }
}

impl Encode for Proof {
    fn encode(&self, seed: &mut Seed) {
        match &self.key {
            ProofKey::A => {
                seed.variant(0, 4);
            }
            ProofKey::B => {
                seed.variant(1, 4);
            }
            ProofKey::Private => {
                seed.variant(2, 4);
            }
            ProofKey::Raw(t) => {
                seed.variant(3, 4);
                t.encode(seed);
            }
        }
        for field in [&self.typ, &self.htm, &self.htu, &self.jti] {
            field.encode(seed);
        }
        seed.i16(self.iat);
        self.nonce.encode(seed);
        self.ath.encode(seed);
        self.twice.encode(seed);
    }
}

impl Encode for Resource {
    fn encode(&self, seed: &mut Seed) {
        self.post.encode(seed);
        match &self.scheme {
            Scheme::Bearer => {
                seed.variant(0, 4);
            }
            Scheme::Dpop => {
                seed.variant(1, 4);
            }
            Scheme::Other(t) => {
                seed.variant(2, 4);
                t.encode(seed);
            }
            Scheme::Absent => {
                seed.variant(3, 4);
            }
        }
        self.token.encode(seed);
        self.dpop.encode(seed);
    }
}

impl Encode for Step {
    fn encode(&self, seed: &mut Seed) {
        const N: u32 = 12;
        match self {
            Step::Authorize(a) => {
                seed.variant(0, N);
                a.post.encode(seed);
                a.client.encode(seed);
                for field in [
                    &a.redirect_uri,
                    &a.response_type,
                    &a.scope,
                    &a.state,
                    &a.nonce,
                    &a.code_challenge,
                    &a.code_challenge_method,
                    &a.prompt,
                    &a.max_age,
                    &a.dpop_jkt,
                ] {
                    field.encode(seed);
                }
                a.extra.encode(seed);
            }
            Step::LoginPage(tx) => {
                seed.variant(1, N);
                tx.encode(seed);
            }
            Step::Login {
                tx,
                csrf,
                username,
                password,
            } => {
                seed.variant(2, N);
                for field in [tx, csrf, username, password] {
                    field.encode(seed);
                }
            }
            Step::Consent {
                post,
                tx,
                csrf,
                decision,
            } => {
                seed.variant(3, N);
                post.encode(seed);
                for field in [tx, csrf, decision] {
                    field.encode(seed);
                }
            }
            Step::Token(t) => {
                seed.variant(4, N);
                match &t.grant {
                    Grant::Code => {
                        seed.variant(0, 5);
                    }
                    Grant::Refresh => {
                        seed.variant(1, 5);
                    }
                    Grant::ClientCredentials => {
                        seed.variant(2, 5);
                    }
                    Grant::Other(text) => {
                        seed.variant(3, 5);
                        text.encode(seed);
                    }
                    Grant::Absent => {
                        seed.variant(4, 5);
                    }
                }
                match &t.auth {
                    ClientAuth::Public(c) => {
                        seed.variant(0, 5);
                        c.encode(seed);
                    }
                    ClientAuth::Post(c, f) => {
                        seed.variant(1, 5);
                        c.encode(seed);
                        f.encode(seed);
                    }
                    ClientAuth::Basic(c, f) => {
                        seed.variant(2, 5);
                        c.encode(seed);
                        f.encode(seed);
                    }
                    ClientAuth::Header(text) => {
                        seed.variant(3, 5);
                        text.encode(seed);
                    }
                    ClientAuth::Both(c) => {
                        seed.variant(4, 5);
                        c.encode(seed);
                    }
                }
                for field in [
                    &t.code,
                    &t.redirect_uri,
                    &t.code_verifier,
                    &t.refresh_token,
                    &t.scope,
                ] {
                    field.encode(seed);
                }
                t.dpop.encode(seed);
                t.extra.encode(seed);
            }
            Step::Userinfo(r) => {
                seed.variant(5, N);
                r.encode(seed);
            }
            Step::ApiMe(r) => {
                seed.variant(6, N);
                r.encode(seed);
            }
            Step::EndSession(e) => {
                seed.variant(7, N);
                e.post.encode(seed);
                e.id_token_hint.encode(seed);
                e.client_id.encode(seed);
                for field in [&e.post_logout_redirect_uri, &e.state, &e.confirm, &e.csrf] {
                    field.encode(seed);
                }
            }
            Step::Raw(r) => {
                seed.variant(8, N);
                match &r.method {
                    Method::Get => {
                        seed.variant(0, 5);
                    }
                    Method::Post => {
                        seed.variant(1, 5);
                    }
                    Method::Head => {
                        seed.variant(2, 5);
                    }
                    Method::Options => {
                        seed.variant(3, 5);
                    }
                    Method::Other(t) => {
                        seed.variant(4, 5);
                        t.encode(seed);
                    }
                }
                let paths = 10;
                let index = match &r.path {
                    PathPick::Authorize => 0,
                    PathPick::Login => 1,
                    PathPick::Consent => 2,
                    PathPick::Token => 3,
                    PathPick::Userinfo => 4,
                    PathPick::EndSession => 5,
                    PathPick::ApiMe => 6,
                    PathPick::Jwks => 7,
                    PathPick::Discovery => 8,
                    PathPick::Other(_) => 9,
                };
                seed.variant(index, paths);
                if let PathPick::Other(t) = &r.path {
                    t.encode(seed);
                }
                r.query.encode(seed);
                r.headers.encode(seed);
                r.body.encode(seed);
                r.form.encode(seed);
                r.cookies.encode(seed);
            }
            Step::Wait(seconds) => {
                seed.variant(9, N).u16(*seconds);
            }
            Step::ForgetCookies => {
                seed.variant(10, N);
            }
            Step::Follow => {
                seed.variant(11, N);
            }
        }
    }
}
