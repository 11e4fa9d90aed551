//! Where a `client_id` is looked up: the configuration first; then, when registration is
//! on, the clients registered at `/register` (RFC 7591, kept in the store:
//! [`registered`]); then, when client ID metadata documents are on, an `https` URL's
//! document (fetched by the host: [`document`]). Every endpoint finds clients here, which is
//! why the lookup is async, may fail with the store, and returns a client that may be owned
//! rather than borrowed from the configuration.

use std::borrow::Cow;

use crate::Error;
use crate::op::clients::{document, registered};
use crate::op::config::Client;
use crate::op::provider::{Provider, Services};
use crate::store::Store;

/// The client with this `client_id`, if one is known.
pub async fn find<'p, S: Store, P, V>(
    op: &'p Provider,
    client_id: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Option<Cow<'p, Client>>, Error> {
    if let Some(client) = op.config.client(client_id) {
        return Ok(Some(Cow::Borrowed(client)));
    }
    let registration = &op.config.registration;
    let found = if registration.enabled && registered::looks_registered(client_id) {
        registered::find(op, client_id, services).await?
    } else if registration.client_id_metadata_documents && client_id.starts_with("https://") {
        document::find(op, client_id, services).await
    } else {
        None
    };
    Ok(found.map(|client| Cow::Owned(Client::clone(&client))))
}
