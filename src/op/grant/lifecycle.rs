//! Revocation and status. A grant (one refresh family: every token descended from one
//! code exchange) is revoked as a whole by a write-once `family` mark, which the token
//! endpoint reads, and a `family-notice` that resources read: an access token names its
//! family (`gid`), so one look-up tells a resource whether it still stands. Marks are new
//! keys, never rewrites, so on an eventually consistent store a stale location cannot
//! erase one (`op::records` states each record's consistency need: the notices may live
//! where reads are cheapest).

use futures_util::future::try_join;

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
