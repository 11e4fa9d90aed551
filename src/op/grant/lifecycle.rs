//! Revocation and status. A grant (one refresh family: every token descended from one
//! code exchange) is revoked as a whole by a write-once `family` mark, which the token
//! endpoint reads, and a `family-notice` that resources read; an access token on its own
//! by a `revoked-at` mark under its `jti`. Marks are new keys, never rewrites, so on an
//! eventually consistent store a stale location cannot erase one (`op::records` states
//! each record's consistency need: the notices may live where reads are cheapest).

use futures_util::future::try_join;

use crate::Error;
use crate::op::provider::Services;
use crate::op::records::{
    self, FamilyNotices, Grant, Key, Mark, RevokedAccessTokens, RevokedFamilies,
};
use crate::store::Store;

/// How long a revoked access token's mark is kept: longer than any access token lives.
const ACCESS_MARK_TTL: u64 = 86_400;
/// How long a revoked family's mark is kept: longer than any refresh token lives.
const FAMILY_MARK_TTL: u64 = 31_536_000;

/// Marks a refresh family revoked: no token of it refreshes again, and its access tokens
/// (which name it as `gid`) are refused.
pub async fn revoke_family<S: Store, P, V>(
    family: &str,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    let revoked = Mark { at: services.now.0 };
    try_join(
        records::put(
            services.store,
            &Key::<RevokedFamilies>::new(family),
            &revoked,
            FAMILY_MARK_TTL,
        ),
        records::put(
            services.store,
            &Key::<FamilyNotices>::new(family),
            &revoked,
            FAMILY_MARK_TTL,
        ),
    )
    .await
    .map(|((), ())| ())
}

/// RFC 6749 §4.1.2: a code used twice revokes what its first use issued (`spent`, the
/// code's grant record): its access token and its refresh family.
pub async fn revoke_replayed_code<S: Store, P, V>(
    spent: &Grant,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    let Some(access_jti) = &spent.code_access_jti else {
        return Ok(());
    };
    // A burst of replays writes the revocation once (KV takes one write per key per second).
    let revoked_key = Key::<RevokedAccessTokens>::new(access_jti);
    let already: Option<Mark> = records::get(services.store, &revoked_key).await?;
    if already.is_some() {
        return Ok(());
    }
    let revoked = Mark { at: services.now.0 };
    records::put(services.store, &revoked_key, &revoked, ACCESS_MARK_TTL).await?;
    revoke_family(&spent.family, services).await
}

/// Whether the refresh family is revoked.
pub async fn family_revoked<S: Store, P, V>(
    family: &str,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let mark: Option<Mark> =
        records::get(services.store, &Key::<RevokedFamilies>::new(family)).await?;
    Ok(mark.is_some())
}

/// Whether an access token is revoked, on its own (`jti`) or with its grant (`gid`); both
/// looked up at once, in the notices resources read.
pub async fn access_token_revoked<S: Store, P, V>(
    jti: &str,
    grant: Option<&str>,
    services: &Services<'_, S, P, V>,
) -> Result<bool, Error> {
    let token_key = Key::<RevokedAccessTokens>::new(jti);
    let revoked_token = records::get(services.store, &token_key);
    let revoked_grant = async {
        match grant {
            Some(family) => {
                let notice: Option<Mark> =
                    records::get(services.store, &Key::<FamilyNotices>::new(family)).await?;
                Ok(notice.is_some())
            }
            None => Ok(false),
        }
    };
    let (token, grant): (Option<Mark>, bool) = try_join(revoked_token, revoked_grant).await?;
    Ok(token.is_some() || grant)
}
