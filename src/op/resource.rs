//! Protected-resource checks shared by `/userinfo` and the provider's own API: the access
//! token (an RFC 9068 JWT issued here, not revoked), its sender constraint (a DPoP proof
//! of its key, RFC 9449 §7, with the algorithms of its client's profile; or the TLS client
//! certificate it is bound to, RFC 8705 §3) and its scopes, with the RFC 6750 §3 /
//! RFC 9449 §7.1 challenges when they fail.

use std::sync::Arc;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::dpop::{NoncePolicy, ProofCheck, check_proof, www_authenticate};
use crate::jose::jwt::verify_with;
use crate::jose::{Alg, SignatureVerifier};
use crate::op::clients::registry;
use crate::op::grant::lifecycle;
use crate::op::http::{Request, Response};
use crate::op::provider::{Provider, Services};
use crate::op::records::{self, Key, OpaqueAccessTokens};
use crate::op::token::binding::{X5T_S256, presented_thumbprint};
use crate::store::Store;
use crate::time::UnixTime;

/// The DPoP algorithms a resource here names in its challenges and its metadata.
pub const CHALLENGE_ALGS: [Alg; 4] = [Alg::Es256, Alg::EdDsa, Alg::Ps256, Alg::Rs256];

/// The `Authorization` scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer` (RFC 6750 §2.1).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// What a resource demands of a request.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Scopes the token must carry (403 `insufficient_scope` otherwise).
    pub scopes: &'a [&'a str],
    /// Only sender-constrained tokens are accepted: DPoP-bound ones with their proof, or
    /// certificate-bound ones over a connection that presents their certificate (RFC 8705
    /// §3, with the `Bearer` scheme). Challenges name DPoP only.
    pub sender_constrained: bool,
    /// Proofs must carry a server nonce (RFC 9449 §9): proofs made in advance by a
    /// compromised client are then useless.
    pub require_nonce: bool,
    /// The resource is the provider's own API (`{issuer}/api/me`): tokens asked for it
    /// (RFC 8707) are accepted besides those for the provider itself, and challenges
    /// name its metadata (RFC 9728 §5.1). Otherwise only tokens for the provider itself
    /// (`aud` the issuer) are.
    pub own_api: bool,
}

/// A failed resource request: the challenge to send.
#[derive(Debug, Clone)]
pub struct Denied {
    /// HTTP status: 401, 403 for insufficient scope, 503 when storage is down.
    pub status: u16,
    /// The RFC 6750 / RFC 9449 error code; empty when no credentials came (RFC 6750 §3.1).
    pub error: &'static str,
    /// A description.
    pub description: String,
    /// The scheme to challenge with.
    pub scheme: Scheme,
    /// Whether the resource takes sender-constrained tokens only, so a bare challenge names
    /// only DPoP.
    pub dpop_only: bool,
    /// Whether challenges name the resource's metadata (RFC 9728 §5.1).
    pub resource_metadata: bool,
}

impl Denied {
    /// A denial with the given challenge.
    pub fn new(
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
            dpop_only: false,
            resource_metadata: false,
        }
    }

    /// The response, with a `WWW-Authenticate` challenge of the request's scheme (every
    /// scheme the resource takes, when the request named none) and a fresh `DPoP-Nonce`
    /// for `use_dpop_nonce`.
    pub fn to_response(&self, op: &Provider, now: UnixTime) -> Response {
        // RFC 9728 §5.1: where a client finds which authorization server to ask.
        let metadata = if self.resource_metadata {
            format!(
                ", resource_metadata=\"{}{}\"",
                op.config.issuer,
                crate::op::routes::OWN_API_METADATA_PATH
            )
        } else {
            String::new()
        };
        if self.error.is_empty() {
            // The body still names a code, for clients that read bodies; the challenge
            // does not (RFC 6750 §3.1).
            let body = serde_json::json!({ "error": "invalid_token", "error_description": self.description });
            let response = Response::json(self.status, &body).no_store();
            let response = if self.dpop_only {
                response
            } else {
                let bearer = if metadata.is_empty() {
                    "Bearer".to_owned()
                } else {
                    format!("Bearer{}", metadata.trim_start_matches(','))
                };
                response.with_header("www-authenticate", &bearer)
            };
            return response.with_header(
                "www-authenticate",
                &format!(
                    "{}{metadata}",
                    www_authenticate(None, None, &CHALLENGE_ALGS)
                ),
            );
        }
        let description = self.description.replace(['"', '\\'], "'");
        let response = Response::json(
            self.status,
            &serde_json::json!({ "error": self.error, "error_description": description }),
        )
        .no_store();
        let challenge = match self.scheme {
            Scheme::Bearer => format!(
                "Bearer error=\"{}\", error_description=\"{description}\"{metadata}",
                self.error
            ),
            Scheme::Dpop => format!(
                "{}{metadata}",
                www_authenticate(Some(self.error), Some(&description), &CHALLENGE_ALGS)
            ),
        };
        let response = response.with_header("www-authenticate", &challenge);
        if self.error == "use_dpop_nonce" {
            response.with_header("dpop-nonce", &op.secrets.nonce().current(now))
        } else {
            response
        }
    }
}

/// Checks a protected-resource request against `policy`: the access token (RFC 9068,
/// issued here, not revoked, carrying the scopes) and, for a DPoP-bound token, the proof
/// with `ath` and the bound key. Returns the token's claims.
pub async fn authorize_request<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
    policy: &Policy<'_>,
) -> Result<Arc<Map<String, Value>>, Denied> {
    check(op, req, services, policy)
        .await
        .map_err(|denied| Denied {
            dpop_only: policy.sender_constrained,
            resource_metadata: policy.own_api,
            // A resource of sender-constrained tokens challenges with DPoP whatever the
            // request tried.
            scheme: if policy.sender_constrained {
                Scheme::Dpop
            } else {
                denied.scheme
            },
            ..denied
        })
}

/// The claims of an access token issued here, checked as every resource here checks it
/// (RFC 9068 §4: signature by one of the provider's keys, `typ`, `iss`, `aud`, `exp`).
/// Whether it was revoked and how it is bound are the caller's to check; the revocation
/// endpoint reads it too, to find the grant a token names.
///
/// A token that passed is remembered by its SHA-256 until it expires: one access token is
/// presented many times, and the signature over the same bytes does not change, while
/// checking it was most of what a resource request cost. What time changes is checked on
/// every use: `exp` (a token once past `nbf` stays past it). The cache belongs to the
/// provider, so new signing keys (a new provider) start it empty.
pub async fn access_token_claims<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    token: &str,
    services: &Services<'_, S, P, V>,
) -> Result<Arc<Map<String, Value>>, Error> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    // A precision loss past 2^53 seconds changes nothing a clock reads.
    #[allow(clippy::cast_precision_loss)]
    let now = services.now.0 as f64;
    let remembered = op
        .checked_access_tokens
        .lock()
        .ok()
        .and_then(|cache| cache.get(&digest));
    if let Some((exp, claims)) = remembered
        && now < exp
    {
        return Ok(claims);
    }
    // An opaque token (no dots: not a JWS) is what its stored record says, as long as it
    // lives; a store failure is the caller's 503, never an answer.
    if !token.contains('.') {
        let claims = records::get(services.store, &Key::<OpaqueAccessTokens>::new(token))
            .await?
            .ok_or(Error::JwsMalformed {
                reason: "not an access token issued here",
            })?;
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        if services.now.0 >= exp {
            return Err(Error::Expired);
        }
        let claims = Arc::new(claims);
        if let Ok(mut cache) = op.checked_access_tokens.lock() {
            // Whole seconds, as stored.
            #[allow(clippy::cast_precision_loss)]
            cache.insert(digest, (exp as f64, claims.clone()));
        }
        return Ok(claims);
    }
    // RFC 9068 §4, for every audience this provider issues tokens for.
    let verified = verify_with(
        token,
        &op.verify_keys,
        &op.access_token_rules,
        services.now,
        services.verifier,
    )
    .await?;
    verified.claims().string("client_id")?;
    verified.claims().string("scope")?;
    let claims = Arc::new(verified.claims().as_map().clone());
    if let Some(exp) = verified.claims().numeric_date("exp")?
        && let Ok(mut cache) = op.checked_access_tokens.lock()
    {
        cache.insert(digest, (exp, claims.clone()));
    }
    Ok(claims)
}

async fn check<S: Store, P, V: SignatureVerifier>(
    op: &Provider,
    req: &Request,
    services: &Services<'_, S, P, V>,
    policy: &Policy<'_>,
) -> Result<Arc<Map<String, Value>>, Denied> {
    let (scheme, token) = credentials(req)?;
    let claims = access_token_claims(op, token, services)
        .await
        .map_err(|e| match e {
            // An opaque token's record could not be read: not a verdict on the token.
            Error::StoreUnavailable => {
                Denied::new(503, "temporarily_unavailable", "try again", scheme)
            }
            e => Denied::new(401, "invalid_token", e.to_string(), scheme),
        })?;
    // RFC 8707, RFC 9068 §4: a token for another resource is not one for this one.
    let issuer = op.config.issuer.as_str();
    let for_here = |aud: &str| aud == issuer || (policy.own_api && aud == op.own_api);
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => for_here(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(for_here),
        _ => false,
    };
    if !audience_ok {
        return Err(Denied::new(
            401,
            "invalid_token",
            "the token is for another resource",
            scheme,
        ));
    }
    let unavailable = || Denied::new(503, "temporarily_unavailable", "try again", scheme);
    // Revoked with its grant (a code replay or a refresh token reuse), or with the grant of
    // the token it was exchanged from.
    let revoked = lifecycle::token_revoked(&claims, services)
        .await
        .map_err(|_| unavailable())?;
    if revoked {
        return Err(Denied::new(
            401,
            "invalid_token",
            "the token was revoked",
            scheme,
        ));
    }
    // A token outlives nothing of its client's: a registration deleted (RFC 7592 §2.3), a
    // client taken out of the configuration.
    let client_id = claims
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let known = registry::find(op, client_id, services)
        .await
        .map_err(|_| unavailable())?;
    let Some(client) = known else {
        return Err(Denied::new(
            401,
            "invalid_token",
            "the token's client is no longer registered",
            scheme,
        ));
    };
    // CORS (`op::cors`): a page calls as the token's client, from an origin that client
    // allows; checked before the DPoP proof, whose `jti` would be spent.
    if !op.origin_allowed_for(req, &client) {
        return Err(Denied::new(
            400,
            "invalid_request",
            "this origin is not allowed for the token's client (CORS)",
            scheme,
        ));
    }
    let cnf = claims.get("cnf");
    // RFC 8705 §3: a certificate-bound token is only good over a connection that presents
    // its certificate.
    let certificate_bound = cnf.and_then(|c| c.get(X5T_S256));
    // A member that is not a string binds to nothing that could be presented: refused.
    if let Some(x5t) = certificate_bound
        && (x5t.as_str().is_none() || x5t.as_str() != presented_thumbprint(req).as_deref())
    {
        return Err(Denied::new(
            401,
            "invalid_token",
            "the token is bound to a TLS client certificate this request does not present",
            scheme,
        ));
    }
    let bound = cnf.and_then(|c| c.get("jkt")).and_then(Value::as_str);
    match (bound, scheme) {
        (Some(jkt), Scheme::Dpop) => {
            let check = ProofCheck {
                access_token: Some(token),
                bound_jkt: Some(jkt),
                // Every asymmetric algorithm, or those of the client's profile (FAPI 2.0
                // §5.4.1), as at the token endpoint.
                algorithms: client.signing_algorithms(),
                nonce: if policy.require_nonce {
                    NoncePolicy::Stateless(op.secrets.nonce())
                } else {
                    NoncePolicy::NotRequired
                },
                ..ProofCheck::new(&req.method, req.url.as_str())
            };
            let proofs = req.header_all("dpop");
            match check_proof(
                &proofs,
                &check,
                services.now,
                services.verifier,
                Some(services.store),
            )
            .await
            {
                Ok(_) => {}
                Err(Error::StoreUnavailable) => return Err(unavailable()),
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
        (None, _) if policy.sender_constrained && certificate_bound.is_none() => {
            return Err(Denied::new(
                401,
                "invalid_token",
                "this resource accepts only DPoP-bound or certificate-bound access tokens",
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
    if let Some(missing) = policy.scopes.iter().find(|s| !granted.contains(s)) {
        return Err(Denied::new(
            403,
            "insufficient_scope",
            format!("the token lacks scope {missing}"),
            scheme,
        ));
    }
    Ok(claims)
}

/// The one credential of the request: its scheme and token.
fn credentials(req: &Request) -> Result<(Scheme, &str), Denied> {
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
    match authorization.split_once(' ') {
        Some((s, t)) if s.eq_ignore_ascii_case("dpop") => Ok((Scheme::Dpop, t.trim())),
        // A certificate-bound token comes as Bearer even where only sender-constrained
        // tokens are taken: the token decides, once read.
        Some((s, t)) if s.eq_ignore_ascii_case("bearer") => Ok((Scheme::Bearer, t.trim())),
        _ => Err(Denied::new(
            401,
            "",
            "use the Bearer or DPoP scheme",
            Scheme::Bearer,
        )),
    }
}
