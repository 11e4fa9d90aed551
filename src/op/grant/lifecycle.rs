//! Revocation and status. A grant (one refresh family: every token descended from one
//! code exchange) is revoked as a whole by a write-once `family` mark, which the token
//! endpoint reads, and a `family-notice` that resources read: an access token names its
//! family (`gid`), so one look-up tells a resource whether it still stands. Marks are new
//! keys, never rewrites, so on an eventually consistent store a stale location cannot
//! erase one (`op::records` states each record's consistency need: the notices may live
//! where reads are cheapest).

use futures_util::future::try_join;
use serde_json::{Map, Value};

use crate::Error;
use crate::op::provider::Services;
use crate::op::records::{self, FamilyNotices, Grant, Key, Mark, RevokedFamilies};
use crate::store::Store;

/// How long a revoked family's mark is kept: longer than any refresh token lives.
const FAMILY_MARK_TTL: u64 = 31_536_000;

/// Marks a refresh family revoked: no token of it refreshes again, and its access tokens
/// (which name it as `gid`) are refused. Writes only what is missing: replays one after
/// another, or a client revoking its access token and then its refresh token, write the
/// marks once (KV takes one write per key per second), and a revocation left half written
/// (the notice stored, the mark failed) is completed by the next.
pub async fn revoke_family<S: Store, P, V>(
    family: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    let (refused, noticed) = try_join(
        family_revoked(family, services),
        access_token_revoked(Some(family), services),
    )
    .await?;
    // The notice first, then the mark: the token endpoint stops at the mark, so a mark
    // written without its notice would never be completed, and resources would go on
    // accepting the family's access tokens.
    let revoked = Mark { at: services.now.0 };
    if !noticed {
        records::put(
            services.store,
            &Key::<FamilyNotices>::new(family),
            &revoked,
            FAMILY_MARK_TTL,
        )
        .await?;
    }
    if !refused {
        records::put(
            services.store,
            &Key::<RevokedFamilies>::new(family),
            &revoked,
            FAMILY_MARK_TTL,
        )
        .await?;
    }
    Ok(())
}

/// RFC 6749 §4.1.2: a code used twice revokes what its first use issued (`spent`, the
/// code's grant record): its refresh family, and with it the access token, which names the
/// family as `gid`.
pub async fn revoke_replayed_code<S: Store, P, V>(
    spent: &Grant,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    revoke_family(&spent.family, services).await
}

/// Whether the refresh family is revoked, as the token endpoint must know it.
pub async fn family_revoked<S: Store, P, V>(
    family: &str,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let mark: Option<Mark> =
        records::get(services.store, &Key::<RevokedFamilies>::new(family)).await?;
    Ok(mark.is_some())
}

/// Whether an access token is revoked, as resources read it: through the notices of the
/// grant it names (`gid`) and, for a token exchanged from another (RFC 8693), of the
/// grants that one came from (`pgid`, nearest first): revoking the subject token's grant
/// revokes what was exchanged from it. A store failure is an error, never a verdict.
pub async fn token_revoked<S: Store, P, V>(
    claims: &Map<String, Value>,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let own = claims.get("gid").and_then(Value::as_str);
    let parents = parent_grants(claims);
    let (own, first) = try_join(
        access_token_revoked(own, services),
        access_token_revoked(parents.first().copied(), services),
    )
    .await?;
    if own || first {
        return Ok(true);
    }
    for parent in parents.iter().skip(1) {
        if access_token_revoked(Some(parent), services).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The grants an exchanged access token came from (its `pgid`), nearest first; none for
/// any other token.
pub fn parent_grants(claims: &Map<String, Value>) -> Vec<&str> {
    claims
        .get(PARENT_GRANTS)
        .and_then(Value::as_array)
        .map(|grants| grants.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The private access-token claim naming the grants an exchanged token came from.
pub const PARENT_GRANTS: &str = "pgid";

/// Whether an access token is revoked, as resources read it: through the notice of the
/// grant it names (`gid`). A token without one (client credentials) has nothing that
/// revokes it before it expires.
pub async fn access_token_revoked<S: Store, P, V>(
    grant: Option<&str>,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let Some(family) = grant else {
        return Ok(false);
    };
    let notice: Option<Mark> =
        records::get(services.store, &Key::<FamilyNotices>::new(family)).await?;
    Ok(notice.is_some())
}
