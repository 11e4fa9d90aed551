//! The provider's error type: the OAuth 2.0 / OpenID Connect error codes, each with its
//! status and its response shape (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 9449 §7.1;
//! OpenID Connect Core §3.1.2.6).

use serde_json::json;

use super::http::Response;
use crate::Error;

/// Every way a provider request can fail, as its protocol error code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpError {
    /// `invalid_request`: missing, repeated or malformed parameter.
    InvalidRequest(String),
    /// `invalid_client`: client authentication failed (401). `basic` when the client
    /// tried HTTP Basic, which then gets a `WWW-Authenticate` challenge.
    InvalidClient {
        /// Whether the client used HTTP Basic.
        basic: bool,
    },
    /// `invalid_grant`: the code, refresh token or PKCE verifier is invalid, expired,
    /// used, revoked, or issued to another client or redirect URI.
    InvalidGrant(String),
    /// `unauthorized_client`: the client may not use this grant or response type.
    UnauthorizedClient(String),
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `unsupported_response_type`.
    UnsupportedResponseType,
    /// `invalid_scope`.
    InvalidScope(String),
    /// `invalid_target` (RFC 8707 §2): a `resource` that is unknown, malformed, or not
    /// one the grant covers.
    InvalidTarget(String),
    /// `access_denied`: the user refused.
    AccessDenied,
    /// `authorization_pending` (RFC 8628 §3.5): the user has not answered yet.
    AuthorizationPending,
    /// `slow_down` (RFC 8628 §3.5): pending, and polled too fast.
    SlowDown,
    /// `expired_token` (RFC 8628 §3.5): the device code expired before an answer.
    ExpiredToken,
    /// `unknown_user_id` (CIBA Core §13): the hint names no user here.
    UnknownUserId,
    /// `invalid_binding_message` (CIBA Core §13).
    InvalidBindingMessage(String),
    /// `login_required` (`prompt=none` without a session).
    LoginRequired,
    /// `login_required`: the `claims` parameter asks for an ID token about one `sub`, and
    /// the signed-in user is another (OpenID Connect Core §5.5.1).
    SubjectUnavailable,
    /// `login_required`: the `id_token_hint` names another user than the signed-in one
    /// (OpenID Connect Core §3.1.2.1).
    NotTheHintedUser,
    /// `login_required`: the `id_token_hint` names a user who cannot sign in here any more
    /// (removed from the configuration, a configured user while passwords are off, or an
    /// account of an upstream provider no longer configured) and no session of theirs
    /// answers: no sign-in can ever answer the request (`users::hinted_user_gone`).
    HintedUserGone,
    /// `consent_required` (`prompt=none` without consent).
    ConsentRequired,
    /// `request_uri_not_supported` (RFC 9101 §7): a `request_uri` that is not a pushed
    /// request's; request objects are not fetched from elsewhere.
    RequestUriNotSupported,
    /// `invalid_request_object` (RFC 9101 §7): the request object is not one to accept.
    InvalidRequestObject(String),
    /// `invalid_request_uri` (RFC 9101 §7, RFC 9126 §4): the pushed request is unknown,
    /// used, expired or another client's.
    InvalidRequestUri(String),
    /// `invalid_dpop_proof` or `use_dpop_nonce`, from the proof check.
    Dpop(Error),
    /// `invalid_token` at a protected resource (401).
    InvalidToken(String),
    /// `temporarily_unavailable`: the host failed (its storage, its cryptography, its
    /// randomness), not the request; the client may retry.
    TemporarilyUnavailable,
}

impl OpError {
    /// The protocol error code.
    pub fn code(&self) -> &'static str {
        match self {
            OpError::InvalidRequest(_) => "invalid_request",
            OpError::InvalidClient { .. } => "invalid_client",
            OpError::InvalidGrant(_) => "invalid_grant",
            OpError::UnauthorizedClient(_) => "unauthorized_client",
            OpError::UnsupportedGrantType => "unsupported_grant_type",
            OpError::UnsupportedResponseType => "unsupported_response_type",
            OpError::InvalidScope(_) => "invalid_scope",
            OpError::InvalidTarget(_) => "invalid_target",
            OpError::AccessDenied => "access_denied",
            OpError::AuthorizationPending => "authorization_pending",
            OpError::SlowDown => "slow_down",
            OpError::ExpiredToken => "expired_token",
            OpError::UnknownUserId => "unknown_user_id",
            OpError::InvalidBindingMessage(_) => "invalid_binding_message",
            OpError::LoginRequired
            | OpError::SubjectUnavailable
            | OpError::NotTheHintedUser
            | OpError::HintedUserGone => "login_required",
            OpError::ConsentRequired => "consent_required",
            OpError::RequestUriNotSupported => "request_uri_not_supported",
            OpError::InvalidRequestObject(_) => "invalid_request_object",
            OpError::InvalidRequestUri(_) => "invalid_request_uri",
            OpError::Dpop(err) => crate::dpop::oauth_error(err),
            OpError::InvalidToken(_) => "invalid_token",
            OpError::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// A human-readable description (never containing secrets).
    pub fn description(&self) -> String {
        match self {
            OpError::InvalidRequest(d)
            | OpError::InvalidGrant(d)
            | OpError::UnauthorizedClient(d)
            | OpError::InvalidScope(d)
            | OpError::InvalidTarget(d)
            | OpError::InvalidToken(d)
            | OpError::InvalidBindingMessage(d)
            | OpError::InvalidRequestObject(d)
            | OpError::InvalidRequestUri(d) => d.clone(),
            OpError::InvalidClient { .. } => "client authentication failed".into(),
            OpError::UnsupportedGrantType => "unsupported grant_type".into(),
            OpError::UnsupportedResponseType => "only response_type=code is supported".into(),
            OpError::AccessDenied => "the user denied the request".into(),
            OpError::AuthorizationPending => "the user has not answered yet".into(),
            OpError::SlowDown => {
                "polled too fast: wait 5 seconds longer between polls from now on".into()
            }
            OpError::ExpiredToken => "the request has expired".into(),
            OpError::UnknownUserId => "the hint names no user of this provider".into(),
            OpError::LoginRequired => "the user is not signed in".into(),
            OpError::SubjectUnavailable => {
                "the subject the claims parameter requests is not the signed-in user".into()
            }
            OpError::NotTheHintedUser => {
                "the signed-in user is not the subject of the id_token_hint".into()
            }
            OpError::HintedUserGone => {
                "the subject of the id_token_hint cannot sign in here any more".into()
            }
            OpError::ConsentRequired => "the user has not consented".into(),
            OpError::RequestUriNotSupported => {
                "request_uri must be one the pushed_authorization_request_endpoint issued".into()
            }
            OpError::Dpop(err) => err.to_string(),
            OpError::TemporarilyUnavailable => "the service is temporarily unavailable".into(),
        }
    }

    /// The HTTP status at the token endpoint (RFC 6749 §5.2).
    pub fn status(&self) -> u16 {
        match self {
            OpError::InvalidClient { .. } | OpError::InvalidToken(_) => 401,
            OpError::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }

    /// The JSON error response of the token (and similar) endpoints, not cacheable.
    pub fn to_response(&self) -> Response {
        let body = json!({ "error": self.code(), "error_description": self.description() });
        let response = Response::json(self.status(), &body).no_store();
        match self {
            OpError::InvalidClient { basic: true } => {
                response.with_header("www-authenticate", "Basic realm=\"oidc-edge\"")
            }
            _ => response,
        }
    }
}

impl From<Error> for OpError {
    /// Failures of the host, not of the request (its storage, its cryptography or its
    /// randomness: a token that could not be signed), become `temporarily_unavailable`,
    /// which invites a retry (RFC 6749 §5.2); anything else reaching here is a malformed
    /// request.
    fn from(err: Error) -> OpError {
        if err.is_host_failure() {
            OpError::TemporarilyUnavailable
        } else {
            OpError::InvalidRequest(err.to_string())
        }
    }
}
