//! How the authorization response reaches the client: in the redirect's query (RFC 6749
//! §4.1.2), in a form the browser posts (OAuth 2.0 Form Post Response Mode), or as one
//! JWT the provider signs in either of them (JARM, the JWT Secured Authorization Response
//! Mode). Every response carries the issuer (RFC 9207 §2): as `iss` beside the code or
//! error, or as the JWT's `iss` claim.
//!
//! `fragment` is not offered: the code flow is the only flow here, and a fragment hides
//! nothing a code needs hidden while a server-side client cannot read it.

use serde::{Deserialize, Serialize};

use super::{form_post, jarm};
use crate::Error;
use crate::op::error::OpError;
use crate::op::form;
use crate::op::http::Response;
use crate::op::provider::{Provider, Services};
use crate::op::records::AuthRequest;
use crate::store::Store;

/// The ways a response may go, as stored with a waiting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ResponseMode {
    /// In the redirect's query (RFC 6749 §4.1.2), the default of `response_type=code`.
    #[default]
    #[serde(rename = "query")]
    Query,
    /// In a form the browser posts to the redirect URI (Form Post Response Mode §2).
    #[serde(rename = "form_post")]
    FormPost,
    /// One signed JWT, `response`, in the redirect's query (JARM §2.3.1; what `jwt`
    /// means for `response_type=code`, §2.3.4).
    #[serde(rename = "query.jwt")]
    QueryJwt,
    /// One signed JWT, `response`, in a posted form (JARM §2.3.3).
    #[serde(rename = "form_post.jwt")]
    FormPostJwt,
}

impl ResponseMode {
    /// The `response_mode` values accepted, as discovery lists them.
    pub const SUPPORTED: [&str; 5] = ["query", "form_post", "jwt", "query.jwt", "form_post.jwt"];

    /// The mode `response_mode` asks for (`None`: the code flow's default, `query`).
    pub fn parse(name: Option<&str>) -> Result<ResponseMode, OpError> {
        match name {
            None | Some("query") => Ok(ResponseMode::Query),
            Some("form_post") => Ok(ResponseMode::FormPost),
            // JARM §2.3.4: `jwt` is the response type's default mode, signed.
            Some("jwt" | "query.jwt") => Ok(ResponseMode::QueryJwt),
            Some("form_post.jwt") => Ok(ResponseMode::FormPostJwt),
            Some("fragment" | "fragment.jwt") => Err(OpError::InvalidRequest(
                "response_mode fragment is not supported: use query, form_post or their .jwt forms"
                    .into(),
            )),
            Some(_) => Err(OpError::InvalidRequest(format!(
                "response_mode must be one of {}",
                ResponseMode::SUPPORTED.join(", ")
            ))),
        }
    }

    /// Whether the answer is a form the browser posts (`form_post`, `form_post.jwt`).
    pub fn is_form_post(&self) -> bool {
        matches!(self, ResponseMode::FormPost | ResponseMode::FormPostJwt)
    }

    /// Whether this is the default, which records leave unwritten.
    pub fn is_query(&self) -> bool {
        *self == ResponseMode::Query
    }
}

/// Where and how the answer to one authorization request goes: known once its client
/// and redirect URI are.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// The client, the audience of a signed response.
    pub client_id: &'a str,
    /// The redirect URI, already checked to be one the client registered.
    pub redirect_uri: &'a str,
    /// The client's `state`, returned unchanged.
    pub state: Option<&'a str>,
    /// How.
    pub mode: ResponseMode,
}

impl<'a> Reply<'a> {
    /// The reply to a waiting request.
    pub fn of(request: &'a AuthRequest) -> Reply<'a> {
        Reply {
            client_id: &request.client_id,
            redirect_uri: &request.redirect_uri,
            state: request.state.as_deref(),
            mode: request.response_mode,
        }
    }
}

/// Answers the client with `params` (the code, or an error) and its `state`, in the
/// reply's mode.
pub async fn deliver<S: Store, P, V>(
    op: &Provider,
    reply: &Reply<'_>,
    params: &[(&str, &str)],
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let mut params = params.to_vec();
    if let Some(state) = reply.state {
        params.push(("state", state));
    }
    match reply.mode {
        ResponseMode::Query | ResponseMode::FormPost => {
            // RFC 9207 §2: the issuer beside the code or error.
            params.push(("iss", op.config.issuer.as_str()));
            Ok(if reply.mode == ResponseMode::Query {
                redirect_to(reply.redirect_uri, &params)
            } else {
                form_post::page(reply.redirect_uri, &params)
            })
        }
        ResponseMode::QueryJwt | ResponseMode::FormPostJwt => {
            // JARM §2.1: the issuer, the audience and the expiry are the JWT's claims.
            let jwt = jarm::response(op, reply.client_id, &params, services).await?;
            let params = [("response", jwt.as_str())];
            Ok(if reply.mode == ResponseMode::QueryJwt {
                redirect_to(reply.redirect_uri, &params)
            } else {
                form_post::page(reply.redirect_uri, &params)
            })
        }
    }
}

/// Answers the client with `err` (RFC 6749 §4.1.2.1), in the reply's mode.
pub async fn deliver_error<S: Store, P, V>(
    op: &Provider,
    reply: &Reply<'_>,
    err: &OpError,
    services: &Services<'_, S, P, V>,
) -> Result<Response, Error> {
    let description = err.description();
    let params = [
        ("error", err.code()),
        ("error_description", description.as_str()),
    ];
    deliver(op, reply, &params, services).await
}

/// A 303 to `uri` with `params` added to its query (`uri` as it is when there are none).
/// Marked as holding a credential: the parameters are a client's authorization code (or
/// the JARM response carrying it) as often as an error.
pub fn redirect_to(uri: &str, params: &[(&str, &str)]) -> Response {
    if params.is_empty() {
        return Response::redirect(uri).no_store_credentials();
    }
    let separator = if uri.contains('?') { '&' } else { '?' };
    Response::redirect(&format!("{uri}{separator}{}", form::encode(params))).no_store_credentials()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_named_as_registered() {
        for (name, mode) in [
            (None, ResponseMode::Query),
            (Some("query"), ResponseMode::Query),
            (Some("form_post"), ResponseMode::FormPost),
            (Some("jwt"), ResponseMode::QueryJwt),
            (Some("query.jwt"), ResponseMode::QueryJwt),
            (Some("form_post.jwt"), ResponseMode::FormPostJwt),
        ] {
            assert_eq!(ResponseMode::parse(name), Ok(mode), "{name:?}");
        }
        for refused in ["fragment", "fragment.jwt", "QUERY", "web_message", ""] {
            assert!(ResponseMode::parse(Some(refused)).is_err(), "{refused}");
        }
        assert_eq!(
            serde_json::to_string(&ResponseMode::FormPostJwt).unwrap(),
            "\"form_post.jwt\""
        );
    }
}
