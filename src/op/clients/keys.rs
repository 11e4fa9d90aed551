//! A client's keys (RFC 7591 §2 `jwks`): what its `private_key_jwt` assertions and its
//! request objects (RFC 9101) are checked with.

use serde_json::Value;

use crate::jose::JwkSet;

/// A client's `jwks`: a JWKS of public keys, each with a `kid` (an assertion names its key),
/// of a type that signs (RFC 7517 §4), never a private or symmetric key. An error is the
/// path below `jwks` (`""`, or `.keys[0].d`) and a message.
pub fn parse_jwks(value: &Value) -> Result<JwkSet, (String, String)> {
    let refused = |at: String, message: &str| Err((at, message.to_owned()));
    let Value::Object(obj) = value else {
        return refused(String::new(), "must be a JWKS object: {\"keys\": [...]}");
    };
    if obj.contains_key("kty") {
        return refused(
            String::new(),
            "must be a JWKS, {\"keys\": [...]}, not a single JWK",
        );
    }
    if let Some(Value::Array(keys)) = obj.get("keys") {
        for (i, key) in keys.iter().enumerate() {
            let at = format!(".keys[{i}]");
            let Value::Object(key) = key else {
                return refused(at, "must be a JWK object");
            };
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                if key.contains_key(private) {
                    return refused(
                        format!("{at}.{private}"),
                        "must not be here: a client registers its public keys only",
                    );
                }
            }
            if !matches!(key.get("kid"), Some(Value::String(kid)) if !kid.is_empty()) {
                return refused(
                    format!("{at}.kid"),
                    "is required: assertions name their key by kid",
                );
            }
        }
    }
    let set = JwkSet::from_object(obj).map_err(|err| (String::new(), err.to_string()))?;
    if set.keys().is_empty() {
        return refused(
            String::new(),
            "must hold at least one public key of a supported type (EC P-256 or P-384, RSA, Ed25519)",
        );
    }
    Ok(set)
}
