//! The UserInfo endpoint (OpenID Connect Core §5.3) as a protected resource: Bearer
//! tokens (RFC 6750) and DPoP-bound tokens (RFC 9449 §7), which must come with a proof.

use serde_json::Value;

use crate::Error;
use crate::dpop::{ProofCheck, check_proof, www_authenticate};
use crate::jose::{Alg, SignatureVerifier};
use crate::oidc::{AccessTokenExpectations, validate_access_token_with};
use crate::op::http::{Request, Response};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Revoked};
use crate::op::tokens::user_claims;
use crate::store::Store;

/// The `Authorization` scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer` (RFC 6750 §2.1).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// A failed resource request: the challenge to send.
#[derive(Debug, Clone)]
pub struct Denied {
    /// HTTP status: 401, or 403 for insufficient scope.
    pub status: u16,
    /// The RFC 6750 / RFC 9449 error code.
    pub error: &'static str,
    /// A description.
    pub description: String,
    /// The scheme to challenge with.
    pub scheme: Scheme,
}

impl Denied {
    fn new(
        status: u16,
        error: &'static str,
        description: impl Into<String>,
        scheme: Scheme,
    ) -> Denied {
        Denied {
            status,
            error,
            description: description.into(),
            scheme,
        }
    }

    /// The response, with a `WWW-Authenticate` challenge of the request's scheme (both,
    /// when the scheme is unknown) and a fresh `DPoP-Nonce` for `use_dpop_nonce`.
    pub fn to_response(&self, op: &Provider, now: crate::time::UnixTime) -> Response {
        let algs = [Alg::Es256, Alg::EdDsa, Alg::Ps256, Alg::Rs256];
        if self.error.is_empty() {
            // Both schemes this server takes, so a client knows DPoP is welcome. The body
            // still names a code, for clients that read bodies; the challenge does not.
            let body = serde_json::json!({ "error": "invalid_token", "error_description": self.description });
            return Response::json(self.status, &body)
                .no_store()
                .with_header("www-authenticate", "Bearer")
                .with_header("www-authenticate", &www_authenticate(None, None, &algs));
        }
        let description = self.description.replace(['"', '\\'], "'");
        let mut response = Response::json(
            self.status,
            &serde_json::json!({ "error": self.error, "error_description": description }),
        )
        .no_store();
        let bearer = format!(
            "Bearer error=\"{}\", error_description=\"{description}\"",
            self.error
        );
        let dpop = www_authenticate(Some(self.error), Some(&description), &algs);
        response = match self.scheme {
            Scheme::Bearer => response.with_header("www-authenticate", &bearer),
            Scheme::Dpop => response.with_header("www-authenticate", &dpop),
        };
        if self.error == "use_dpop_nonce" {
            response = response.with_header("dpop-nonce", &op.secrets.nonce().current(now));
        }
        response
    }
}

/// Handles `/userinfo`.
pub async fn handle<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
) -> Response {
    match authorize_request(op, req, services, &["openid"]).await {
        Ok(claims) => {
            let sub = claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let scope = claims
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match op.config.user(sub) {
                Some(user) => {
                    Response::json(200, &Value::Object(user_claims(user, scope))).no_store()
                }
                None => Denied::new(
                    401,
                    "invalid_token",
                    "the token's subject is not a user",
                    Scheme::Bearer,
                )
                .to_response(op, services.now),
            }
        }
        Err(denied) => denied.to_response(op, services.now),
    }
}

/// Checks a protected-resource request: the access token (RFC 9068, issued here, not
/// revoked, carrying `required_scopes`) and, for a DPoP-bound token, the proof with
/// `ath` and the bound key. Returns the token's claims.
pub async fn authorize_request<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
    required_scopes: &[&str],
) -> Result<serde_json::Map<String, Value>, Denied> {
    let authorizations = req.header_all("authorization");
    // RFC 6750 §3.1: no credentials (or a scheme this server does not take) get a bare
    // challenge, without an error code.
    let Some(authorization) = authorizations.first() else {
        return Err(Denied::new(
            401,
            "",
            "an access token is required",
            Scheme::Bearer,
        ));
    };
    // Several fields, or several credentials joined by an HTTP stack, are one request
    // with two answers to "who is this": refused.
    if authorizations.len() > 1 || authorization.contains(',') {
        return Err(Denied::new(
            401,
            "invalid_request",
            "exactly one Authorization header is required",
            Scheme::Bearer,
        ));
    }
    let (scheme, token) = match authorization.split_once(' ') {
        Some((s, t)) if s.eq_ignore_ascii_case("bearer") => (Scheme::Bearer, t.trim()),
        Some((s, t)) if s.eq_ignore_ascii_case("dpop") => (Scheme::Dpop, t.trim()),
        _ => {
            return Err(Denied::new(
                401,
                "",
                "use the Bearer or DPoP scheme",
                Scheme::Bearer,
            ));
        }
    };
    let expected = AccessTokenExpectations {
        issuer: op.config.issuer.clone(),
        audience: op.config.issuer.clone(),
        required_scopes: Vec::new(),
        algorithms: vec![Alg::Es256],
        clock_tolerance: 0,
    };
    let verified = validate_access_token_with(
        token,
        &op.verify_keys,
        &expected,
        services.now,
        services.verifier,
    )
    .await
    .map_err(|e| Denied::new(401, "invalid_token", e.to_string(), scheme))?;
    let claims = verified.claims().as_map().clone();
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let revoked: Option<Revoked> = records::get(services.store, &format!("revoked-at:{jti}"))
        .await
        .map_err(|_| Denied::new(503, "temporarily_unavailable", "try again", scheme))?;
    if revoked.is_some() {
        return Err(Denied::new(
            401,
            "invalid_token",
            "the token was revoked",
            scheme,
        ));
    }
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    match (bound, scheme) {
        (Some(jkt), Scheme::Dpop) => {
            let check = ProofCheck {
                access_token: Some(token),
                bound_jkt: Some(jkt),
                ..ProofCheck::new(&req.method, req.url.as_str())
            };
            match check_proof(
                &req.header_all("dpop"),
                &check,
                services.now,
                services.verifier,
                Some(services.store),
            )
            .await
            {
                Ok(_) => {}
                Err(Error::StoreUnavailable) => {
                    return Err(Denied::new(
                        503,
                        "temporarily_unavailable",
                        "try again",
                        scheme,
                    ));
                }
                Err(err) => {
                    return Err(Denied::new(
                        401,
                        crate::dpop::oauth_error(&err),
                        err.to_string(),
                        scheme,
                    ));
                }
            }
        }
        // RFC 9449 §7.2: a DPoP-bound token presented as Bearer is refused.
        (Some(_), Scheme::Bearer) => {
            return Err(Denied::new(
                401,
                "invalid_token",
                "this token is DPoP-bound; use the DPoP scheme",
                Scheme::Dpop,
            ));
        }
        (None, Scheme::Dpop) => {
            return Err(Denied::new(
                401,
                "invalid_token",
                "this token is not DPoP-bound",
                Scheme::Bearer,
            ));
        }
        (None, Scheme::Bearer) => {}
    }
    let granted: Vec<&str> = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split(' ')
        .collect();
    if let Some(missing) = required_scopes.iter().find(|s| !granted.contains(s)) {
        return Err(Denied::new(
            403,
            "insufficient_scope",
            format!("the token lacks scope {missing}"),
            scheme,
        ));
    }
    Ok(claims)
}
