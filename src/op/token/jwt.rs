//! The tokens the provider signs: RFC 9068 access tokens and OpenID Connect ID tokens,
//! each with the newest key for its algorithm. The algorithm is the caller's choice (a
//! client's or a resource's), never a constant here.

use serde_json::{Map, Value, json};

use super::binding::Binding;
use crate::Error;
use crate::jose::Alg;
use crate::jose::jws::{assemble, signing_input};
use crate::oidc::token_hash;
use crate::op::keys::SigningKeys;
use crate::op::signer::TokenSigner;
use crate::op::users::{FEDERATED_AMR, Profile};
use crate::time::UnixTime;

/// Claims each scope releases (OpenID Connect Core §5.4).
const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The scope that releases user claim `name` (OpenID Connect Core §5.4), if one does.
pub fn scope_of_claim(name: &str) -> Option<&'static str> {
    SCOPE_CLAIMS
        .iter()
        .find(|(_, names)| names.contains(&name))
        .map(|(scope, _)| *scope)
}

/// Whether `name` is a user claim some scope releases (OpenID Connect Core §5.4): what
/// the `claims` parameter may ask for one by one (§5.5).
pub fn is_scope_claim(name: &str) -> bool {
    scope_of_claim(name).is_some()
}

/// The user's claims that `scope` releases (OpenID Connect Core §5.4), plus `sub`, plus
/// those of `requested` (the `claims` parameter, §5.5: "in addition to the scope values")
/// that are scope claims. Only claims the user has are released: one the user lacks is
/// absent, never `null`.
///
/// A request's `value` / `values` are not compared. When the user's value differs from
/// the one asked for, the provider may still return the value it has (§5.5.1), and that
/// is the choice here: the relying party judges it, and a claim is never left out or,
/// worse, given the value asked for instead of the user's (never fabricated).
pub fn user_claims<'n>(
    user: &dyn Profile,
    scope: &str,
    requested: impl IntoIterator<Item = &'n str>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.sub().to_owned()));
    let mut release = |name: &str| {
        if let Some(value) = user.claims().get(name) {
            out.insert(name.to_owned(), value.clone());
        }
    };
    for granted in scope.split(' ') {
        let Some((_, names)) = SCOPE_CLAIMS.iter().find(|(s, _)| *s == granted) else {
            continue;
        };
        for name in *names {
            release(name);
        }
    }
    for name in requested {
        if is_scope_claim(name) {
            release(name);
        }
    }
    out
}

/// Signs `claims` under `alg` with the newest key for it, through `signer`, with `typ` in
/// the header.
pub(crate) async fn sign(
    keys: &SigningKeys,
    signer: &dyn TokenSigner,
    alg: Alg,
    typ: &str,
    claims: &Value,
) -> Result<String, Error> {
    let kid = keys.kid_for(alg).ok_or(Error::KeyNotFound)?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(typ.into()));
    header.insert("kid".into(), Value::String(kid.into()));
    let input = signing_input(header, alg, claims.to_string().as_bytes());
    let signature = signer.sign(kid, alg, input.as_bytes()).await?;
    Ok(assemble(&input, &signature))
}

/// What an access token says.
#[derive(Debug, Clone)]
pub struct AccessGrant<'a> {
    /// The signing algorithm.
    pub alg: Alg,
    /// The token's unique id (`jti`), chosen by the caller so it can be recorded first.
    pub jti: &'a str,
    /// The issuer.
    pub issuer: &'a str,
    /// The subject: a user, or the client itself for `client_credentials`.
    pub sub: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// The resources it is for (RFC 8707); empty: the provider itself (the issuer).
    pub audience: &'a [String],
    /// Granted scopes, space-separated.
    pub scope: &'a str,
    /// When the user authenticated, if a user did.
    pub auth_time: Option<i64>,
    /// What the token is bound to: a DPoP key (`cnf.jkt`, RFC 9449 §6.1) or a TLS client
    /// certificate (`cnf.x5t#S256`, RFC 8705 §3.1).
    pub binding: Option<&'a Binding>,
    /// The session id, so revocation and logout can find the token.
    pub sid: Option<&'a str>,
    /// The grant (refresh family) the token comes from, as the private claim `gid`:
    /// revoking the grant (a code replay, a refresh token reuse) revokes the token too.
    pub grant: Option<&'a str>,
    /// The claims the authorization request asked for the UserInfo response (OpenID
    /// Connect Core §5.5), as the private claim [`USERINFO_CLAIMS`]; absent when none.
    pub userinfo_claims: &'a [String],
    /// Lifetime in seconds.
    pub lifetime: u64,
    /// What a token exchange (RFC 8693) adds: who acts for the subject, and the grants
    /// the token came from.
    pub exchanged: Option<&'a Exchanged>,
}

/// What a token from a token exchange carries besides an access token's claims.
#[derive(Debug, Clone, Default)]
pub struct Exchanged {
    /// The `act` claim (RFC 8693 §4.1): the current actor, prior ones nested within.
    pub act: Option<Value>,
    /// The grants of the token it was exchanged from and of that token's own subject
    /// tokens, nearest first (`pgid`, read by `grant::lifecycle::token_revoked`).
    pub parent_grants: Vec<String>,
}

/// The private access-token claim naming the claims requested for the UserInfo response
/// (OpenID Connect Core §5.5 `userinfo`): the token carries them to `/userinfo`, which
/// has no other way to the grant. At most the few scope claims and `auth_time`.
pub const USERINFO_CLAIMS: &str = "userinfo_claims";

/// What an access token says (RFC 9068 §2.2), whether signed as a JWT or stored behind
/// an opaque string. The audience is the resources it was asked for (RFC 8707), or else
/// the issuer itself: the provider's userinfo endpoint and its own API.
pub fn access_token_claims(grant: &AccessGrant<'_>, now: UnixTime) -> Value {
    let mut claims = json!({
        "iss": grant.issuer,
        "sub": grant.sub,
        "aud": match grant.audience {
            [] => json!(grant.issuer),
            [one] => json!(one),
            many => json!(many),
        },
        "client_id": grant.client_id,
        "scope": grant.scope,
        "iat": now.0,
        "exp": now.0.saturating_add(i64::try_from(grant.lifetime).unwrap_or(i64::MAX)),
        "jti": grant.jti,
    });
    if let Some(auth_time) = grant.auth_time {
        set_member(&mut claims, "auth_time", json!(auth_time));
    }
    if let Some(binding) = grant.binding {
        set_member(&mut claims, "cnf", binding.cnf());
    }
    if let Some(sid) = grant.sid {
        set_member(&mut claims, "sid", json!(sid));
    }
    if let Some(gid) = grant.grant {
        set_member(&mut claims, "gid", json!(gid));
    }
    if !grant.userinfo_claims.is_empty() {
        set_member(&mut claims, USERINFO_CLAIMS, json!(grant.userinfo_claims));
    }
    if let Some(exchanged) = grant.exchanged {
        if let Some(act) = &exchanged.act {
            set_member(&mut claims, "act", act.clone());
        }
        // Written even when empty (an ID token or a client's own token names no grant):
        // its presence is what marks a token as exchanged, which no actor token may be.
        set_member(
            &mut claims,
            crate::op::grant::lifecycle::PARENT_GRANTS,
            json!(exchanged.parent_grants),
        );
    }
    claims
}

/// An RFC 9068 access token: [`access_token_claims`], signed.
pub async fn access_token(
    keys: &SigningKeys,
    signer: &dyn TokenSigner,
    grant: &AccessGrant<'_>,
    now: UnixTime,
) -> Result<String, Error> {
    let claims = access_token_claims(grant, now);
    sign(keys, signer, grant.alg, "at+jwt", &claims).await
}

/// Adds a member to a JSON object made with `json!({ … })`. Unlike `value[name] = …`,
/// which panics on a value that is not an object, this cannot panic; the callers' values
/// are always objects.
pub fn set_member(object: &mut Value, name: &str, value: Value) {
    if let Some(members) = object.as_object_mut() {
        members.insert(name.to_owned(), value);
    }
}

/// What an ID token says beyond the user's claims.
#[derive(Debug, Clone)]
pub struct IdGrant<'a> {
    /// The signing algorithm (`at_hash` uses its hash, OpenID Connect Core §3.1.3.6).
    pub alg: Alg,
    /// The issuer.
    pub issuer: &'a str,
    /// The client (the audience).
    pub client_id: &'a str,
    /// The authentication request's nonce.
    pub nonce: Option<&'a str>,
    /// When the user authenticated.
    pub auth_time: i64,
    /// The session id (`sid`, OpenID Connect Front-/Back-Channel Logout).
    pub sid: &'a str,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
    /// The Authentication Context Class Reference of the sign-in (`acr`).
    pub acr: &'a str,
    /// Granted scopes.
    pub scope: &'a str,
    /// The claims the authorization request asked for the ID token (OpenID Connect Core
    /// §5.5 `id_token`), released in addition to the scope's.
    pub claims: &'a [String],
    /// Lifetime in seconds.
    pub lifetime: u64,
}

/// The `amr` value of a password sign-in (RFC 8176 §2, "pwd").
pub const PASSWORD_AMR: &str = "pwd";

/// An OpenID Connect ID token (Core §2) for `user`.
pub async fn id_token(
    keys: &SigningKeys,
    signer: &dyn TokenSigner,
    user: &dyn Profile,
    grant: &IdGrant<'_>,
    now: UnixTime,
) -> Result<String, Error> {
    let mut claims = user_claims(user, grant.scope, grant.claims.iter().map(String::as_str));
    for (name, value) in [
        ("iss", json!(grant.issuer)),
        ("aud", json!(grant.client_id)),
        ("iat", json!(now.0)),
        (
            "exp",
            json!(
                now.0
                    .saturating_add(i64::try_from(grant.lifetime).unwrap_or(i64::MAX))
            ),
        ),
        ("auth_time", json!(grant.auth_time)),
        // OpenID Connect Core §2, RFC 8176 §2: how the user authenticated: a password on
        // the login page, or at an upstream provider (the one way such a user signs in).
        (
            "amr",
            json!([user.upstream().map_or(PASSWORD_AMR, |_| FEDERATED_AMR)]),
        ),
        // §2: the context class that sign-in meets (`password_acr`, or the upstream's).
        ("acr", json!(grant.acr)),
        ("sid", json!(grant.sid)),
        ("at_hash", json!(token_hash(grant.alg, grant.access_token))),
    ] {
        claims.insert(name.into(), value);
    }
    if let Some(nonce) = grant.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    sign(keys, signer, grant.alg, "JWT", &Value::Object(claims)).await
}

/// The event a logout token carries (Back-Channel Logout 1.0 §2.4).
const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout token is valid: it is delivered at once.
const LOGOUT_TOKEN_LIFETIME: i64 = 120;

/// A logout token (Back-Channel Logout 1.0 §2.4) telling `client_id` that the session
/// `sid` of `sub` ended: `typ` `logout+jwt` (§2.4, so it cannot pass for an ID token),
/// the logout event, no `nonce`.
pub async fn logout_token(
    keys: &SigningKeys,
    signer: &dyn TokenSigner,
    alg: Alg,
    issuer: &str,
    client_id: &str,
    session: (&str, &str),
    now: UnixTime,
) -> Result<String, Error> {
    let (sub, sid) = session;
    let claims = json!({
        "iss": issuer,
        "aud": client_id,
        "iat": now.0,
        "exp": now.0.saturating_add(LOGOUT_TOKEN_LIFETIME),
        "jti": crate::random::token(16)?,
        "sub": sub,
        "sid": sid,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    sign(keys, signer, alg, "logout+jwt", &claims).await
}

/// The JWT answer of the introspection endpoint (RFC 9701 §5): `typ`
/// `token-introspection+jwt` (so it passes for no other token), `iss`, the calling
/// client as `aud`, `iat`, and the RFC 7662 answer as `token_introspection`. It carries no
/// `exp`: it states what was true when it was made (§5 leaves freshness to `iat`).
pub async fn introspection_response(
    keys: &SigningKeys,
    signer: &dyn TokenSigner,
    alg: Alg,
    issuer: &str,
    client_id: &str,
    answer: Value,
    now: UnixTime,
) -> Result<String, Error> {
    let claims = json!({
        "iss": issuer,
        "aud": client_id,
        "iat": now.0,
        "token_introspection": answer,
    });
    sign(keys, signer, alg, "token-introspection+jwt", &claims).await
}
