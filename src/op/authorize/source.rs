//! Where the parameters of a request at `/authorize` come from: the query or form itself,
//! a request object (`request`, RFC 9101 §5), or a request the client pushed before
//! (`request_uri` from `/par`, RFC 9126 §4). In the last two, only `client_id` is read
//! from outside, to find the client whose keys or push it must be; every other parameter
//! outside is ignored (RFC 9101 §5: the object's parameters are the request; RFC 9126 §4:
//! the pushed ones are).

use super::validate::Source;
use super::{par, request_object};
use crate::jose::SignatureVerifier;
use crate::op::config::Client;
use crate::op::error::OpError;
use crate::op::form::Params;
use crate::op::provider::{Provider, Services};
use crate::store::Store;

/// The parameters of the request that `params` (the request's own) name for `client`, and
/// where they came from.
pub async fn resolve<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    client: &Client,
    params: Params,
    services: &Services<'_, S, P, V>,
) -> Result<(Params, Source), OpError> {
    match (params.get("request"), params.get("request_uri")) {
        (None, None) => Ok((params, Source::default())),
        (Some(_), Some(_)) => Err(OpError::InvalidRequest(
            "send request or request_uri, not both (RFC 9101 §5)".into(),
        )),
        (Some(object), None) => {
            let signed = request_object::verify(op, client, object, services).await?;
            let source = Source {
                pushed: false,
                signed: true,
            };
            Ok((signed, source))
        }
        (None, Some(uri)) if uri.starts_with(par::URN_PREFIX) => {
            let pushed = par::take(uri, &client.client_id, services).await?;
            let source = Source {
                pushed: true,
                signed: pushed.signed,
            };
            Ok((pushed.params, source))
        }
        // RFC 9101 §5.2 lets a provider fetch a request object from the client's URL; this
        // one does not (a fetch on every request, to an address the request chooses).
        (None, Some(_)) => Err(OpError::RequestUriNotSupported),
    }
}
