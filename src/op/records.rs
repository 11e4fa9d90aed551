//! What the provider keeps in the [`Store`], and how consistent each record must be.
//!
//! Each kind of record is a type ([`Kind`]): its value, its key prefix, and what it needs
//! of the store ([`Consistency`]), so a key ([`Key`]) reads and writes only its own kind.
//! Keys are `prefix:` + base64url(SHA-256(secret)) wherever the secret is a bearer value
//! (session ids, codes, refresh tokens, transaction ids): a read of the store never yields
//! a usable credential.
//!
//! | record | written | read | consistency need |
//! |---|---|---|---|
//! | `authreq` | /authorize | login, consent | read-your-write in one browser flow (same location) |
//! | `session` | login | /authorize; deleted at /end_session | read-your-write (same location) |
//! | `consent` | consent | /authorize | cacheable; a stale read asks again |
//! | `device`, `user-code` | /device_authorization | /token (by device code), /device (by user code) | write-once; the user code written with [`reserve`], unique among pending requests |
//! | `decision` | /device, /ciba | /token | write-once with [`reserve`]: one answer per request |
//! | `ciba`, `ciba-inbox` | /bc-authorize | /token (by `auth_req_id`), /ciba (by user and number) | write-once; the inbox entry written with [`reserve`] under a number from the user's counter. Neither holds the `auth_req_id`, which is derived from the request's id (`ServerSecrets::auth_req_id`) |
//! | `ciba-ping` | /bc-authorize, for a ping client | /ciba, when the user answers | single use, through [`consume`] once the answer is stored; kept for the request's life (60 s at least, as every record): the client's notification token, which must be sent back as it is |
//! | `poll-slot` | /token | /token | write-once with [`reserve`], one per polling slot: a second poll in a slot is `slow_down` |
//! | `code` | code issued | /token | single use, through the code's grant record (next row), written with [`reserve`]: the code itself is only read |
//! | `refresh` | /token | /token | the grant; written once per token. The code's own (under its derived first refresh token, written with [`reserve`]: one exchange wins) also marks the code spent, and names what a replay revokes |
//! | `rotated` | /token | /token | write-once rotation mark; reuse after grace revokes the family |
//! | `family` | on revocation | /token | revocation, visible after propagation |
//! | `family-notice` | with `family` | /userinfo and /api/me (an access token's `gid`) | the same revocation where resources read cheaply, visible after propagation |
//! | `par` | /par | /authorize | single use, through [`consume`]: a `request_uri` is used once (RFC 9126 §4), and expires with the record's own `expires_at` |
//! | `request-object` | /authorize, /par | /authorize, /par | single use, written with [`reserve`]: a request object's `jti` is accepted once |
//! | `session-clients` | code issued to a client with a `backchannel_logout_uri` | /end_session | read-your-write; a client missed at another location is not told |
//! | `client` | /register, and its PUT and DELETE | every endpoint that looks a client up | cacheable: an update or deletion reaches other locations within the store's propagation (and the provider's own minute of caching) |
//! | `upstream-state` | /upstream/start | /upstream/callback | single use, through [`consume`]: a state answers one sign-in at the upstream |
//! | `upstream-account` | /upstream/callback | wherever a user's claims are read | cacheable: the claims of the last sign-in, rewritten at each |

use core::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::op::authorize::response_mode::ResponseMode;
use crate::op::claims::RequestedClaims;
use crate::op::types::{ClientId, RedirectUri, Scope};
use crate::store::Store;
use crate::{Error, b64};

/// What a kind of record needs of the store. More needs may come: a host matches with a
/// wildcard and sends what it does not know to its strongly consistent backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Consistency {
    /// A stale read is harmless: the flow asks again, or reads again later.
    Cacheable,
    /// Read back within one browser flow, normally at the location that wrote it.
    ReadYourWrites,
    /// Used at most once: through [`consume`], atomic on a strongly consistent backend.
    SingleUse,
    /// Written once under a key of its own and never rewritten; what it says holds once it
    /// has propagated, and a stale location cannot erase it.
    WriteOnce,
    /// Written once like [`Consistency::WriteOnce`], and read on every protected-resource
    /// request, where a strongly consistent read would be a round trip to one location
    /// from every edge: kept where reads are cheap and cached, and what it says reaches
    /// every location within the store's propagation (RFC 7009 §2.2 allows such a delay).
    Notice,
}

/// A kind of record: its value, its key prefix, what it needs of the store, and whether
/// the text that names it is a bearer secret (then only its hash is ever a key).
pub trait Kind {
    /// What is stored.
    type Value: Serialize + DeserializeOwned;
    /// The key prefix.
    const PREFIX: &'static str;
    /// What it needs of the store.
    const CONSISTENCY: Consistency;
    /// Whether the key's text is a secret, hashed into the key.
    const SECRET: bool;
}

/// Kinds whose records are used once, through [`consume`].
pub trait Consumable: Kind {}

/// The store key of one record of kind `K`: `prefix:` + base64url(SHA-256(text)) for
/// secrets, `prefix:text` for ids that are already derived values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key<K> {
    text: String,
    kind: PhantomData<K>,
}

impl<K: Kind> Key<K> {
    /// The key of the record named by `text`.
    pub fn new(text: &str) -> Key<K> {
        let text = if K::SECRET {
            hashed(K::PREFIX, text)
        } else {
            format!("{}:{text}", K::PREFIX)
        };
        Key {
            text,
            kind: PhantomData,
        }
    }

    /// The key as the store sees it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the record needs of the store.
    pub fn consistency(&self) -> Consistency {
        K::CONSISTENCY
    }
}

/// `prefix:` + base64url(SHA-256(value)): a fixed-length fingerprint that never yields
/// the value back.
pub fn hashed(prefix: &str, value: &str) -> String {
    format!(
        "{prefix}:{}",
        b64::encode(&Sha256::digest(value.as_bytes()))
    )
}

/// Declares the kinds, each `Name: Value, "prefix", Consistency, secret;`, and [`KINDS`],
/// the list hosts route by: one declaration, so no kind can be left off the list.
macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident: $value:ty, $prefix:literal, $consistency:ident, $secret:literal;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct $name;

            impl Kind for $name {
                type Value = $value;
                const PREFIX: &'static str = $prefix;
                const CONSISTENCY: Consistency = Consistency::$consistency;
                const SECRET: bool = $secret;
            }
        )*

        /// Every kind's key prefix and consistency need, for [`consistency_of`].
        const KINDS: &[(&str, Consistency)] = &[$(($prefix, Consistency::$consistency)),*];
    };
}

kinds! {
    /// Authorization requests waiting for login or consent, by transaction id.
    AuthRequests: AuthRequest, "authreq", ReadYourWrites, true;
    /// Provider sessions, by the session cookie's value.
    Sessions: Session, "session", ReadYourWrites, true;
    /// The clients with a back-channel logout URI that a session signed in to, by the
    /// session's `sid`: who is told when it ends.
    SessionClients: Vec<ClientId>, "session-clients", ReadYourWrites, true;
    /// The scopes a user granted a client, by `sub` and `client_id`.
    Consents: Vec<String>, "consent", Cacheable, true;
    /// Authorization codes.
    Codes: Code, "code", SingleUse, true;
    /// Device authorization requests (RFC 8628 §3.2), by device code: what the token
    /// endpoint's polls read.
    DeviceRequests: DeviceRequest, "device", WriteOnce, true;
    /// The same requests by user code (normalized, `op::device::user_code`): what the
    /// verification page looks up. Written with [`reserve`], so no two pending requests
    /// share a user code.
    UserCodes: DeviceRequest, "user-code", WriteOnce, true;
    /// The user's answer to a device or CIBA request, by the request's id: written once
    /// with [`reserve`], so a request is approved or denied once, by one user.
    Decisions: Decision, "decision", WriteOnce, false;
    /// One mark per polling slot of a device or CIBA request (`id`, interval, slot),
    /// written with [`reserve`]: a second poll in one slot is too fast (`slow_down`).
    PollSlots: Mark, "poll-slot", WriteOnce, false;
    /// CIBA requests (CIBA Core §7.1), by `auth_req_id`: what the token endpoint's polls
    /// read.
    CibaRequests: CibaRequest, "ciba", WriteOnce, true;
    /// The same requests in their user's inbox, by `sub` and a number the user's counter
    /// gave (`op::ciba`): what `/ciba` lists. Written with [`reserve`].
    CibaInbox: CibaRequest, "ciba-inbox", WriteOnce, true;
    /// What the ping of a ping client's request sends besides the derived `auth_req_id`
    /// (`op::ciba::ping`), by the request's id: taken in one call ([`consume`]) when the
    /// user answers, so no second reader finds it between a read and a delete.
    CibaPings: crate::op::ciba::ping::PingBack, "ciba-ping", SingleUse, false;
    /// The `jti`s of `private_key_jwt` assertions, by client and `jti`: each is accepted
    /// once (RFC 7523 §3).
    ClientAssertions: Mark, "client-assertion", SingleUse, true;
    /// Pushed authorization requests (RFC 9126), by the random part of their
    /// `request_uri`: used once, at `/authorize`.
    PushedRequests: crate::op::authorize::par::PushedRequest, "par", SingleUse, true;
    /// The `jti`s of request objects (RFC 9101), by client and `jti`: each is accepted once.
    RequestObjects: Mark, "request-object", SingleUse, true;
    /// Grants, by refresh token: the code's own under its derived first refresh token
    /// (marking the code spent), then one per rotation.
    Grants: Grant, "refresh", WriteOnce, true;
    /// Opaque access tokens, by the token: what each grants (the claims a JWT would
    /// carry), read by every resource request here and by `/introspect`. Written once
    /// where it is strongly consistent, so a token works at once wherever it is used.
    OpaqueAccessTokens: serde_json::Map<String, serde_json::Value>, "access", WriteOnce, true;
    /// Rotation marks, by the refresh token rotated out.
    Rotations: Mark, "rotated", WriteOnce, true;
    /// Revoked refresh families, by family id (an HMAC of the code, not a bearer secret):
    /// what the token endpoint reads before it refreshes.
    RevokedFamilies: Mark, "family", WriteOnce, false;
    /// The same revocations as resources read them: an access token names its family
    /// (`gid`), and every protected request looks it up.
    FamilyNotices: Mark, "family-notice", Notice, false;
    /// Clients registered at `/register` (RFC 7591), by `client_id` (not a secret: the
    /// client presents it everywhere).
    RegisteredClients: RegisteredClient, "client", Cacheable, false;
    /// Registered clients that deleted themselves (RFC 7592 §2.3), by `client_id`: kept
    /// where the store is strongly consistent, so an update at a location that still reads
    /// the deleted registration from KV cannot write it back (`clients::registered`).
    DeletedClients: Mark, "client-deleted", WriteOnce, false;
    /// Sign-ins under way at an upstream provider, by the `state` sent there (a bearer
    /// value: whoever holds it may finish the sign-in).
    UpstreamStates: crate::op::upstream::PendingSignIn, "upstream-state", SingleUse, true;
    /// Users who sign in at an upstream provider, by their local `sub` (derived, not a
    /// secret): the claims their last sign-in brought.
    UpstreamAccounts: crate::op::upstream::UpstreamAccount, "upstream-account", Cacheable, false;
}

impl Consumable for Codes {}
impl Consumable for UpstreamStates {}
impl Consumable for PushedRequests {}
impl Consumable for CibaPings {}

/// What the record stored under `key` needs of the store, read from the key's prefix, for
/// hosts that send each kind to the backend it needs. `None` for a key that is not one of
/// the kinds above (DPoP `jti` marks, counters, kinds added later and not listed here): a
/// host should give those its strongly consistent backend.
pub fn consistency_of(key: &str) -> Option<Consistency> {
    let (prefix, _) = key.split_once(':')?;
    KINDS
        .iter()
        .find(|(kind, _)| *kind == prefix)
        .map(|(_, consistency)| *consistency)
}

/// Reads a record. One that no longer parses (written by another version) is treated as
/// absent rather than failing the request.
pub async fn get<S: Store, K: Kind>(store: &S, key: &Key<K>) -> Result<Option<K::Value>, Error> {
    Ok(store
        .get(key.as_str())
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Consumes (reads and removes, once) a single-use record.
pub async fn consume<S: Store, K: Consumable>(
    store: &S,
    key: &Key<K>,
) -> Result<Option<K::Value>, Error> {
    Ok(store
        .consume(key.as_str())
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Writes a record for `ttl` seconds (at least 60) only if none is stored under its key:
/// `true` when this call wrote it. Atomic on a strongly consistent store; on KV a read,
/// then a write.
pub async fn reserve<S: Store, K: Kind>(
    store: &S,
    key: &Key<K>,
    value: &K::Value,
    ttl: u64,
) -> Result<bool, Error> {
    let bytes = serde_json::to_vec(value).map_err(|_| Error::StoreUnavailable)?;
    store.reserve(key.as_str(), &bytes, ttl.max(60)).await
}

/// Writes a record for `ttl` seconds (at least 60: Workers KV's minimum).
pub async fn put<S: Store, K: Kind>(
    store: &S,
    key: &Key<K>,
    value: &K::Value,
    ttl: u64,
) -> Result<(), Error> {
    let bytes = serde_json::to_vec(value).map_err(|_| Error::StoreUnavailable)?;
    store.put(key.as_str(), &bytes, ttl.max(60)).await
}

/// Removes a record.
pub async fn delete<S: Store, K: Kind>(store: &S, key: &Key<K>) -> Result<(), Error> {
    store.delete(key.as_str()).await
}

/// An authorization request waiting for login or consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: ClientId,
    /// The exact redirect URI of the request.
    pub redirect_uri: RedirectUri,
    /// Granted-to-be scopes.
    pub scope: Scope,
    /// The client's `state`, returned unchanged.
    pub state: Option<String>,
    /// The OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
    /// `prompt=login` was asked.
    pub force_login: bool,
    /// When the request was made (Unix seconds): what `prompt=login` and `max_age` are
    /// measured from wherever the flow goes on (`flow::signed_in_as_asked`). 0 in records
    /// written before it existed, which then ask nothing of the sign-in's time (and so
    /// not written when 0: such records read and write as before).
    #[serde(default, skip_serializing_if = "is_unset")]
    pub asked_at: i64,
    /// `prompt=consent` was asked.
    pub force_consent: bool,
    /// RFC 9449 §10: the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
    /// Hash of the browser-binding cookie: only the browser that started the flow may
    /// finish it (login CSRF defence).
    pub browser: String,
    /// The claims asked for one by one with the `claims` parameter (OpenID Connect Core
    /// §5.5). Not written when none were (records stay as they were), and absent from
    /// records written before it existed.
    #[serde(default, skip_serializing_if = "RequestedClaims::is_empty")]
    pub claims: RequestedClaims,
    /// The `sub` the `claims` parameter asks of the ID token (§5.5.1): no other user's
    /// sign-in may answer this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_sub: Option<String>,
    /// The `sub` of the request's `id_token_hint` (OpenID Connect Core §3.1.2.1), checked
    /// as an ID token this provider issued to the client: only that user's sign-in answers
    /// this request. Not written when there was no hint (nor in records written before it
    /// was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hinted_sub: Option<String>,
    /// The resources the request named (RFC 8707 §2), which the code's tokens may be for.
    /// Absent from records when none (and in records written before it existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// How the answer goes to the client (`response_mode`). Not written for the default,
    /// `query` (and absent from records written before it existed).
    #[serde(default, skip_serializing_if = "ResponseMode::is_query")]
    pub response_mode: ResponseMode,
    /// The context classes one of which the sign-in must meet: `acr` asked for as an
    /// Essential Claim (OpenID Connect Core §5.5.1.1). Empty, and not written, when it was
    /// not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub essential_acr: Vec<String>,
}

impl AuthRequest {
    /// The names of the claims the request asks for one by one (`claims` parameter,
    /// OpenID Connect Core §5.5), for the ID token or the UserInfo response, each once;
    /// only those this provider can release. The consent page lists scopes; these are
    /// what it would add, since they are released in addition to the scopes' claims.
    pub fn requested_claim_names(&self) -> Vec<&str> {
        self.claims.names()
    }

    /// Whether a sign-in of context class `acr` answers the request: any does, unless
    /// `acr` was asked for as an Essential Claim (OpenID Connect Core §5.5.1.1).
    pub fn accepts_acr(&self, acr: &str) -> bool {
        self.essential_acr.is_empty() || self.essential_acr.iter().any(|value| value == acr)
    }
}

/// A signed-in user at the provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The user's subject.
    pub sub: String,
    /// When they authenticated (Unix seconds).
    pub auth_time: i64,
    /// Session id published in ID tokens as `sid` (not the cookie value).
    pub sid: String,
    /// When the browser signed in here (Unix seconds): at the login form, or back from an
    /// upstream provider, whose own `auth_time` may be older. 0 in records written before
    /// it existed (and so not written when 0).
    #[serde(default, skip_serializing_if = "is_unset")]
    pub signed_in_at: i64,
}

/// An issued authorization code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    /// The request the code answers.
    pub request: AuthRequest,
    /// The user.
    pub sub: String,
    /// When they authenticated.
    pub auth_time: i64,
    /// The session's `sid`.
    pub sid: String,
}

/// A grant: what an authorization code's exchange granted, stored under the hash of a
/// refresh token. The first is the code's derived refresh token (so the record is also the
/// mark that the code was spent); each rotation stores the grant again under the successor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// The rotation family: every token descended from one code exchange.
    pub family: String,
    /// The client.
    pub client_id: ClientId,
    /// The user.
    pub sub: String,
    /// Scopes.
    pub scope: Scope,
    /// When the user authenticated.
    pub auth_time: i64,
    /// The session's `sid`.
    pub sid: String,
    /// The DPoP key the token is bound to, if any.
    pub jkt: Option<String>,
    /// The TLS client certificate the token is bound to (`x5t#S256`, RFC 8705 §4), if any;
    /// never with `jkt`. Not written when none; absent from older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Whether the token may refresh (`offline_access` was granted). A code's grant record
    /// without it only marks the code spent; its token was never handed out. Records from
    /// before this field existed were all handed-out refresh tokens, hence the default.
    #[serde(default = "handed_out")]
    pub refreshable: bool,
    /// The claims the authorization request asked for one by one (OpenID Connect Core
    /// §5.5), honored by every ID token and access token of the grant. Not written when
    /// none were; absent from records written before it existed.
    #[serde(default, skip_serializing_if = "RequestedClaims::is_empty")]
    pub claims: RequestedClaims,
    /// The resources the authorization covers (RFC 8707 §2): a refresh may ask for a
    /// token for any of them. Not written when none; absent from older records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Whether the grant came from a device or CIBA request's poll, not a code. Its record
    /// is stored under the request's derived first refresh token, as a code's is, so a
    /// device code or an `auth_req_id` sent as a `code` finds it: this says it is no
    /// spent code, and a code's replay never revokes it. Not written when false; absent
    /// from older records.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub polled: bool,
}

/// A client registered at `/register` (RFC 7591): its metadata as accepted (registry names,
/// read again through the same validator whenever it is loaded), and hashes of what it was
/// issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisteredClient {
    /// The metadata, as the registration answered it.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The PHC hash of its secret (RFC 7591 §3.2.1), for a client that authenticates with one.
    pub secret_hash: Option<String>,
    /// base64url(SHA-256) of its registration access token (RFC 7592 §3): a 256-bit random
    /// value, so a plain digest is enough.
    pub access_token_hash: String,
    /// When it was registered (`client_id_issued_at`, Unix seconds).
    pub issued_at: i64,
    /// When the registration ends (Unix seconds), its secret's `client_secret_expires_at`.
    pub expires_at: i64,
}

/// A device authorization request (RFC 8628 §3.1) waiting for its user, stored under its
/// device code and under its user code. Neither code is in it: the store holds only their
/// hashes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRequest {
    /// A random id, not a secret: what the request's decision and polling marks are
    /// stored under, reachable from both codes.
    pub id: String,
    /// The client that asked.
    pub client_id: ClientId,
    /// The scopes asked for, each allowed to the client.
    pub scope: Scope,
    /// The resources named (RFC 8707 §2), which the tokens may be for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// When the codes expire (Unix seconds): `expires_in` after the request.
    pub expires_at: i64,
    /// The polling interval the client was given (seconds, RFC 8628 §3.2).
    pub interval: u64,
}

/// A CIBA request (CIBA Core §7.1) waiting for its user, stored under its `auth_req_id`
/// (which it does not hold: the store has only its hash, and the provider derives it from
/// the request's id with the master secret) and in the user's inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CibaRequest {
    /// A random id, not a secret: what its answer and polling marks are stored under, and
    /// how `/ciba`'s forms name it.
    pub id: String,
    /// The client that asked.
    pub client_id: ClientId,
    /// The user asked.
    pub sub: String,
    /// The scopes asked for, `openid` among them.
    pub scope: Scope,
    /// The text shown on both devices so the user can tell the request is theirs (§7.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_message: Option<String>,
    /// The resources named (RFC 8707 §2), which the tokens may be for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
    /// The polling interval the client was given (seconds, §7.3).
    pub interval: u64,
}

/// What the user answered to a device or CIBA request: who, from which sign-in, and
/// whether they approved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the user approved (`false`: denied, `access_denied` to the polls).
    pub approved: bool,
    /// The user.
    pub sub: String,
    /// When they authenticated.
    pub auth_time: i64,
    /// The session's `sid`.
    pub sid: String,
}

/// A write-once mark of when something ended: a revoked refresh family or access token, a
/// rotated-out refresh token (each its own key, never a field rewritten in place).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mark {
    /// When (Unix seconds).
    pub at: i64,
}

/// Whether a time is the 0 of a record written before its field existed.
fn is_unset(time: &i64) -> bool {
    *time == 0
}

/// The `refreshable` of a record written before the field existed.
fn handed_out() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_routed_by_its_prefix() {
        fn check<K: Kind>() {
            let key = Key::<K>::new("some text");
            assert_eq!(
                consistency_of(key.as_str()),
                Some(K::CONSISTENCY),
                "{}",
                K::PREFIX
            );
        }
        check::<AuthRequests>();
        check::<Sessions>();
        check::<SessionClients>();
        check::<Consents>();
        check::<Codes>();
        check::<DeviceRequests>();
        check::<UserCodes>();
        check::<Decisions>();
        check::<PollSlots>();
        check::<CibaRequests>();
        check::<CibaInbox>();
        check::<CibaPings>();
        check::<PushedRequests>();
        check::<RequestObjects>();
        check::<Grants>();
        check::<Rotations>();
        check::<RevokedFamilies>();
        check::<FamilyNotices>();
        check::<RegisteredClients>();
        check::<UpstreamStates>();
        check::<UpstreamAccounts>();
        assert_eq!(consistency_of("dpop-jti:abc"), None);
        assert_eq!(consistency_of("throttle:abc"), None);
        assert_eq!(consistency_of("no prefix"), None);
        assert_eq!(consistency_of("codes:abc"), None, "whole prefixes only");
    }

    #[test]
    fn refresh_records_written_before_the_grant_fields_still_read() {
        let old = br#"{"family":"f","client_id":"c","sub":"s","scope":"openid offline_access","auth_time":1,"sid":"x","jkt":null}"#;
        let record: Grant = serde_json::from_slice(old).unwrap();
        assert!(record.refreshable);
        // Records that still name the code's access token (`code_access_jti`, no longer
        // written: the token is revoked through its family) read too.
        let new = br#"{"family":"f","client_id":"c","sub":"s","scope":"openid","auth_time":1,"sid":"x","jkt":null,"refreshable":false,"code_access_jti":"j"}"#;
        let record: Grant = serde_json::from_slice(new).unwrap();
        assert!(!record.refreshable);
        assert!(record.claims.is_empty());
    }

    /// Records written before the `claims` parameter (OpenID Connect Core §5.5) read as
    /// asking for no individual claim, and records that ask for none are written as before.
    #[test]
    fn records_written_before_requested_claims_still_read() {
        let request = r#"{"client_id":"c","redirect_uri":"https://c.example/cb","scope":"openid","state":null,"nonce":null,"code_challenge":null,"max_age":null,"force_login":false,"force_consent":false,"dpop_jkt":null,"browser":"b"}"#;
        let old: AuthRequest = serde_json::from_str(request).unwrap();
        assert!(old.claims.is_empty() && old.required_sub.is_none() && old.hinted_sub.is_none());
        assert!(old.requested_claim_names().is_empty());
        assert_eq!(serde_json::to_string(&old).unwrap(), request);
        let code = format!(r#"{{"request":{request},"sub":"s","auth_time":1,"sid":"x"}}"#);
        let old: Code = serde_json::from_str(&code).unwrap();
        assert!(old.request.claims.is_empty());
        let grant = r#"{"family":"f","client_id":"c","sub":"s","scope":"openid","auth_time":1,"sid":"x","jkt":null,"refreshable":true}"#;
        let old: Grant = serde_json::from_str(grant).unwrap();
        assert!(old.claims.is_empty());
        assert_eq!(serde_json::to_string(&old).unwrap(), grant);

        let asked: Grant = serde_json::from_str(
            r#"{"family":"f","client_id":"c","sub":"s","scope":"openid","auth_time":1,"sid":"x","jkt":null,"refreshable":true,"claims":{"userinfo":["email"]}}"#,
        )
        .unwrap();
        assert_eq!(asked.claims.userinfo, ["email"]);
        assert!(asked.claims.id_token.is_empty());
    }
}
