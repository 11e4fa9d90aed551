//! OpenID Connect Back-Channel Logout 1.0: when a session ends, each client it signed in to
//! that registered a `backchannel_logout_uri` is sent a logout token (§2.4) naming the
//! session (`sid`) and the user (`sub`). The provider sends nothing itself: each notice is
//! an [`Effect`] its host POSTs after answering (§2.5), so a slow or failing client never
//! holds up the user's logout.

use crate::Error;
use crate::op::clients::registry;
use crate::op::form;
use crate::op::http::Effect;
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, Session, SessionClients};
use crate::op::token::jwt;
use crate::store::Store;

/// The notices for the end of `session`: one POST per client to be told.
pub async fn notices<S: Store, P, V>(
    op: &Provider,
    session: &Session,
    services: &Services<'_, S, P, V>,
) -> Result<Vec<Effect>, Error> {
    let key = Key::<SessionClients>::new(&session.sid);
    let clients = records::get(services.store, &key)
        .await?
        .unwrap_or_default();
    let mut effects = Vec::with_capacity(clients.len());
    for client_id in clients {
        let Some(client) = registry::find(op, &client_id, services).await? else {
            continue;
        };
        let Some(url) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let token = jwt::logout_token(
            &op.keys,
            services.signer,
            // Back-Channel Logout §2.4: signed with the keys of the client's ID tokens.
            crate::op::token::issue::id_token_alg(op, &client),
            &op.config.issuer,
            &client_id,
            (&session.sub, &session.sid),
            services.now,
        )
        .await?;
        effects.push(Effect::Post {
            url,
            content_type: "application/x-www-form-urlencoded",
            authorization: None,
            body: form::encode(&[("logout_token", &token)]).into_bytes(),
        });
    }
    Ok(effects)
}
