//! Where a `client_id` is looked up. Today every client is in the configuration; clients
//! registered at run time (RFC 7591, kept in the store) and client ID metadata documents
//! (fetched by the host) are found here too as they come, which is why the lookup is
//! async, may fail with the store, and returns a client that may be owned rather than
//! borrowed from the configuration.

use std::borrow::Cow;

use crate::Error;
use crate::op::config::Client;
use crate::op::provider::{Provider, Services};

/// The client with this `client_id`, if one is known.
pub async fn find<'p, S, P, V>(
    op: &'p Provider,
    client_id: &str,
    _services: &Services<'_, S, P, V>,
) -> Result<Option<Cow<'p, Client>>, Error> {
    Ok(op.config.client(client_id).map(Cow::Borrowed))
}
