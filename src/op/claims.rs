//! The `claims` request parameter (OpenID Connect Core §5.5): individual claims asked for
//! the ID token and the UserInfo response, in addition to those the scope releases (§5.4).
//!
//! What is kept of a request is small and bounded: the names of the claims this provider
//! can release (the user claims of the §5.4 scopes, and `auth_time`), per member. The
//! rest is dropped where it is read: unknown members (§5.5: ignored), unknown claims
//! (§5.5: "not an error"), `essential` (a password sign-in has no way to obtain a claim the user lacks:
//! it changes nothing, and nothing of it is kept), and `value` / `values`, which §5.5.1
//! lets the provider answer with the value it has (below). The values kept are the `sub`
//! the ID token is asked for (§5.5.1: only that user may be answered) and the `acr`
//! values asked for as essential (§5.5.1.1: otherwise the authentication fails); `acr`
//! itself is always in the ID token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::json;
use crate::op::error::OpError;
use crate::op::token::jwt::is_scope_claim;

/// Longest `claims` value accepted, in bytes: room for every claim this provider knows,
/// each with a `value`, many times over.
pub const MAX_CLAIMS_PARAMETER_LEN: usize = 4 * 1024;
/// Most claims one member (`id_token`, `userinfo`) may name.
pub const MAX_CLAIMS_PER_MEMBER: usize = 64;
/// Longest claim name accepted, in bytes.
pub const MAX_CLAIM_NAME_LEN: usize = 255;
/// Longest `sub` value accepted: OpenID Connect Core §2 caps a subject identifier at 255
/// ASCII characters, so a longer one names no user.
pub const MAX_SUB_LEN: usize = 255;

/// The claims an authorization request asked for one by one, kept to those this provider
/// can release, by where they go. Stored with the transaction, the code and the grant;
/// absent from records when empty (and in records written before it existed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedClaims {
    /// Claims for the ID token (§5.5 `id_token`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token: Vec<String>,
    /// Claims for the UserInfo response (§5.5 `userinfo`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo: Vec<String>,
}

impl RequestedClaims {
    /// Whether nothing was asked for (what a request without `claims` keeps).
    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.userinfo.is_empty()
    }

    /// Keeps only the claims `keep` says yes to.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.id_token.retain(|name| keep(name));
        self.userinfo.retain(|name| keep(name));
    }

    /// Every claim asked for, for either token, each once: ID-token claims first, then
    /// those asked only for the UserInfo response.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for name in self.id_token.iter().chain(&self.userinfo) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }
}

/// What an authorization request's `claims` parameter asks, as kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimsRequest {
    /// The releasable claims asked for.
    pub claims: RequestedClaims,
    /// The `sub` value the ID token is asked for (§5.5.1): the provider must answer only
    /// for that user.
    pub sub: Option<String>,
    /// The `acr` values the ID token is asked for as an Essential Claim (§5.5.1.1): one of
    /// them must be met, or the authentication fails. Empty when `acr` is not essential.
    pub essential_acr: Vec<String>,
}

/// Whether `name` is a claim a `claims` request can add: a user claim of a §5.4 scope,
/// or `auth_time` (always in the ID token; from the access token at UserInfo).
pub fn releasable(name: &str) -> bool {
    name == "auth_time" || is_scope_claim(name)
}

/// Parses a `claims` parameter strictly (the crate's JSON rules: a size cap, an object,
/// no repeated member names at any depth). Anything malformed is `invalid_request`; a
/// claim nobody knows is not (§5.5).
pub fn parse(text: &str) -> Result<ClaimsRequest, OpError> {
    let top = json::parse_object(text.as_bytes(), MAX_CLAIMS_PARAMETER_LEN, "claims")
        .map_err(|err| OpError::InvalidRequest(err.to_string()))?;
    let mut out = ClaimsRequest::default();
    // §5.5: members other than `userinfo` and `id_token` are ignored.
    if let Some(member) = top.get("id_token") {
        let (names, sub) = requests("id_token", member)?;
        out.claims.id_token = names;
        out.essential_acr = essential_acr(member);
        out.sub = match sub {
            None => None,
            Some(Value::String(sub)) if sub.len() <= MAX_SUB_LEN => Some(sub.clone()),
            // §2, §5.1: `sub` is a string of at most 255 characters; no user has another.
            Some(_) => {
                return Err(OpError::InvalidRequest(format!(
                    "claims: the value of id_token.sub must be a string of at most \
                     {MAX_SUB_LEN} characters"
                )));
            }
        };
    }
    if let Some(member) = top.get("userinfo") {
        // The `sub` of a UserInfo response is the token's; §5.5.1 binds only the ID token's.
        out.claims.userinfo = requests("userinfo", member)?.0;
    }
    Ok(out)
}

/// §5.5.1.1: the `acr` values an `id_token` member asks for as an Essential Claim
/// (`value`, or `values`, strings only), or none when `acr` is not essential.
fn essential_acr(member: &Value) -> Vec<String> {
    let Some(Value::Object(acr)) = member.get("acr") else {
        return Vec::new();
    };
    if acr.get("essential") != Some(&Value::Bool(true)) {
        return Vec::new();
    }
    let mut values: Vec<String> = acr
        .get("value")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(Value::Array(more)) = acr.get("values") {
        values.extend(more.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    values
}

/// One member (`id_token` or `userinfo`): the releasable claims it names, and the `value`
/// it asks of `sub`, if any.
fn requests<'v>(
    member: &str,
    value: &'v Value,
) -> Result<(Vec<String>, Option<&'v Value>), OpError> {
    let invalid = |what: String| OpError::InvalidRequest(format!("claims: {what}"));
    let Value::Object(requests) = value else {
        return Err(invalid(format!("{member} must be a JSON object")));
    };
    if requests.len() > MAX_CLAIMS_PER_MEMBER {
        return Err(invalid(format!(
            "{member} names more than {MAX_CLAIMS_PER_MEMBER} claims"
        )));
    }
    let mut names = Vec::new();
    let mut sub = None;
    for (name, request) in requests {
        if name.len() > MAX_CLAIM_NAME_LEN {
            return Err(invalid(format!(
                "a claim name in {member} is longer than {MAX_CLAIM_NAME_LEN} bytes"
            )));
        }
        let request = match request {
            // §5.5: `null` asks for the claim in the default manner.
            Value::Null => None,
            Value::Object(request) => Some(request),
            _ => {
                return Err(invalid(format!(
                    "{member} claim {name:?} must be null or a JSON object"
                )));
            }
        };
        if let Some(request) = request {
            check_request(request)
                .map_err(|what| invalid(format!("{member} claim {name:?}: {what}")))?;
            if name == "sub" {
                sub = request.get("value");
            }
        }
        if releasable(name) {
            names.push(name.clone());
        }
    }
    Ok((names, sub))
}

/// §5.5.1: `essential` is a boolean and `values` an array when present; `value` may be any
/// JSON value. Other members may be defined by extensions, and are ignored.
fn check_request(request: &Map<String, Value>) -> Result<(), &'static str> {
    if request.get("essential").is_some_and(|e| !e.is_boolean()) {
        return Err("essential must be a boolean");
    }
    if request.get("values").is_some_and(|v| !v.is_array()) {
        return Err("values must be an array");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_releasable_names_only() {
        let parsed = parse(
            r#"{"id_token":{"email":{"essential":true},"acr":{"values":["x"]},"auth_time":null,"unknown":null},
                "userinfo":{"name":null,"picture":{"value":"p"},"groups":null},"other":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(parsed.claims.id_token, ["auth_time", "email"]);
        assert_eq!(parsed.claims.userinfo, ["name", "picture"]);
        assert_eq!(parsed.sub, None);
        assert_eq!(
            parsed.claims.names(),
            ["auth_time", "email", "name", "picture"]
        );
    }

    #[test]
    fn the_id_tokens_sub_value_is_kept() {
        let parsed =
            parse(r#"{"id_token":{"sub":{"value":"u1"}},"userinfo":{"sub":{"value":"u2"}}}"#)
                .unwrap();
        assert_eq!(parsed.sub.as_deref(), Some("u1"));
        assert!(parsed.claims.is_empty());
        assert!(parse(r#"{"id_token":{"sub":{"value":1}}}"#).is_err());
        let long = format!(
            r#"{{"id_token":{{"sub":{{"value":"{}"}}}}}}"#,
            "s".repeat(256)
        );
        assert!(parse(&long).is_err());
        let longest = long.replacen("s\"", "\"", 1);
        assert_eq!(parse(&longest).unwrap().sub.map(|s| s.len()), Some(255));
    }

    #[test]
    fn refuses_malformed_requests() {
        let many: Vec<String> = (0..=MAX_CLAIMS_PER_MEMBER)
            .map(|i| format!("\"c{i}\":null"))
            .collect();
        let many = format!("{{\"userinfo\":{{{}}}}}", many.join(","));
        let long = format!("{{\"userinfo\":{{\"{}\":null}}}}", "n".repeat(256));
        for bad in [
            "",
            "[]",
            "{",
            r#"{"userinfo":{"email":null,"email":null}}"#,
            r#"{"userinfo":[]}"#,
            r#"{"id_token":null}"#,
            r#"{"userinfo":{"email":true}}"#,
            r#"{"userinfo":{"email":{"essential":"yes"}}}"#,
            r#"{"userinfo":{"email":{"values":"a"}}}"#,
            many.as_str(),
            long.as_str(),
        ] {
            assert!(
                matches!(parse(bad), Err(OpError::InvalidRequest(_))),
                "{bad}"
            );
        }
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_CLAIMS_PARAMETER_LEN));
        assert!(parse(&big).is_err());
    }

    #[test]
    fn stored_small_and_read_when_absent() {
        let none = RequestedClaims::default();
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
        let back: RequestedClaims = serde_json::from_str("{}").unwrap();
        assert!(back.is_empty());
    }
}
