//! CIBA ping mode (OpenID Connect CIBA Core 1.0 §5, §10.2): a client registered with
//! `backchannel_token_delivery_mode: "ping"` gives each request a `client_notification_token`
//! (§7.1), and when the user answers at `/ciba` — allowing or denying — the provider POSTs
//! the request's `auth_req_id` to the client's notification endpoint with that token as a
//! bearer credential. The client then calls the token endpoint as in poll mode.
//!
//! The POST is an [`Effect`] the host sends after the user's page is answered, so a slow or
//! failing endpoint never holds up or fails the page, and the answer is already stored:
//! a client that missed its ping polls and gets its tokens (or `access_denied`) all the same.
//!
//! Of the two values the ping carries, the `auth_req_id` is never stored: it is derived from
//! the request's id with the master secret (`ServerSecrets::auth_req_id`) and derived again
//! here. The client's `client_notification_token` must be sent back as it is, so it is kept
//! in a record of its own (`ciba-ping`, by the request's id), for the request's life
//! (60 seconds at least, the store's shortest expiry: `records::put`), and taken from the
//! store in one call (a single-use record) as soon as the answer is stored; never in
//! `Debug` or a log.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::json;

use crate::Error;
use crate::op::config::TokenDelivery;
use crate::op::error::OpError;
use crate::op::http::{self, Effect};
use crate::op::provider::Provider;
use crate::op::provider::Services;
use crate::op::records::{self, CibaPings, CibaRequest, CibaRequests, Key};
use crate::secret::Secret;
use crate::store::Store;

/// The longest `client_notification_token`, in characters (§7.1).
pub const MAX_NOTIFICATION_TOKEN: usize = 1024;

/// What a ping sends besides the derived `auth_req_id`: kept with a ping client's request
/// until the user answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PingBack {
    /// The client's `client_notification_token` (§7.1), the ping's bearer token.
    #[serde(with = "secret_text")]
    pub client_notification_token: Secret,
    /// The store key of the request's record: the hash of the `auth_req_id` the client was
    /// given, no secret. The ping names the id derived again at answer time only if it
    /// hashes to this (after a change of the server secret it would not).
    pub request_key: String,
}

/// The `client_notification_token` of a ping client's request (§7.1): required, a bearer
/// token in the syntax of RFC 6750 §2.1 (`b64token`), at most
/// [`MAX_NOTIFICATION_TOKEN`] characters. The errors never repeat the value.
pub fn notification_token(value: Option<&str>) -> Result<Secret, OpError> {
    let Some(token) = value else {
        return Err(OpError::InvalidRequest(
            "client_notification_token is required for a client in ping mode (CIBA Core §7.1)"
                .into(),
        ));
    };
    if token.len() > MAX_NOTIFICATION_TOKEN {
        return Err(OpError::InvalidRequest(format!(
            "client_notification_token must be at most {MAX_NOTIFICATION_TOKEN} characters (CIBA Core §7.1)"
        )));
    }
    if !http::is_b64token(token) {
        return Err(OpError::InvalidRequest(
            "client_notification_token must be a bearer token: letters, digits and -._~+/, then any = (RFC 6750 §2.1)".into(),
        ));
    }
    Ok(Secret::new(token.to_owned()))
}

/// Keeps what the ping of request `request_id` will send, for `ttl` seconds (the request's
/// life: once it has expired no answer can be given, so no ping is sent).
pub async fn keep<S: Store, P, V>(
    request_id: &str,
    ping: &PingBack,
    ttl: u64,
    services: &Services<'_, S, P, V>,
) -> Result<(), Error> {
    records::put(
        services.store,
        &Key::<CibaPings>::new(request_id),
        ping,
        ttl,
    )
    .await
}

/// The ping for `request`, just answered (§10.2): a POST of `{"auth_req_id": …}` as JSON to
/// the client's notification endpoint with `Authorization: Bearer <client_notification_token>`.
/// The kept token is taken from the store here, its last use. None when the request is not
/// a ping client's, the client has left ping mode since, the `auth_req_id` derived now is
/// not the client's (the server secret has changed since), or the store fails: the answer
/// is already stored, so the page is answered all the same.
pub async fn notice<S: Store, P, V>(
    op: &Provider,
    request: &CibaRequest,
    services: &Services<'_, S, P, V>,
) -> Option<Effect> {
    // CIBA is for configured clients only: the configuration says whether to look for a
    // kept token, so a poll client's answer reads nothing more.
    let client = op.config.client(&request.client_id)?;
    let Some(TokenDelivery::Ping {
        notification_endpoint,
    }) = &client.backchannel_token_delivery_mode
    else {
        return None;
    };
    // Taken in one call: only the one answer that was stored gets here
    // (`pending::decide`), and the token is needed no more after it. Where the store's
    // `consume` is a plain read (KV alone), the delete after it removes the token too.
    let key = Key::<CibaPings>::new(&request.id);
    let ping = records::consume(services.store, &key).await.ok().flatten();
    let _ = records::delete(services.store, &key).await;
    let ping = ping?;
    // The id is derived again with today's secret: after `OIDC_SERVER_SECRET` has changed
    // it is not the one the client was given, and would only tell the client of an id it
    // never had. The key kept with the token is the hash of the id the client got.
    let auth_req_id = op.secrets.auth_req_id(&request.id);
    if Key::<CibaRequests>::new(&auth_req_id).as_str() != ping.request_key {
        return None;
    }
    let body = json!({ "auth_req_id": auth_req_id });
    Some(Effect::Post {
        url: notification_endpoint.clone(),
        content_type: "application/json",
        authorization: Some(Secret::new(format!(
            "Bearer {}",
            ping.client_notification_token.expose()
        ))),
        body: body.to_string().into_bytes(),
    })
}

/// A [`Secret`] in a record: its text.
mod secret_text {
    use super::{Deserialize, Deserializer, Secret, Serializer};

    pub fn serialize<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6750 §2.1 `b64token`, and the §7.1 length limit.
    #[test]
    fn notification_tokens() {
        for good in [
            "a",
            "8d67dc78-7faa-4d41-aabd-67707b374255",
            "a+/b=",
            "x==",
            "-._~",
        ] {
            assert!(notification_token(Some(good)).is_ok(), "{good}");
        }
        let longest = "a".repeat(MAX_NOTIFICATION_TOKEN);
        assert!(notification_token(Some(&longest)).is_ok());
        let longer = "a".repeat(MAX_NOTIFICATION_TOKEN + 1);
        for bad in [
            None,
            Some(""),
            Some("="),
            Some("a b"),
            Some("a=b"),
            Some("a\r\nX: y"),
            Some("é"),
            Some(longer.as_str()),
        ] {
            assert!(notification_token(bad).is_err(), "{bad:?}");
        }
    }

    /// The token is not shown by `Debug`.
    #[test]
    fn debug_hides_the_token() {
        let ping = PingBack {
            client_notification_token: Secret::new("the-notification-token".into()),
            request_key: "ciba:the-key".into(),
        };
        let shown = format!("{ping:?}");
        assert!(!shown.contains("the-notification-token"), "{shown}");
    }
}
