//! The fields of a user, the lifetimes and the sign-in limits: one parser each, every rule
//! a message that names the field; and the checks they share with clients (`client.rs`).

use serde_json::{Map, Value};

use super::reader::Obj;
use super::{ConfigError, Lifetimes, LoginLimits, MAX_ID_LEN, PROTECTED_CLAIMS, User};
use crate::op::password::{MAX_USER_ITERATIONS, MIN_USER_ITERATIONS, PasswordHash};

pub(super) fn parse_user(value: &Value, path: String) -> Result<User, ConfigError> {
    let obj = Obj::new(value, path)?;
    obj.only(&["sub", "username", "password_hash", "claims"])?;

    let sub = obj.required_string("sub")?;
    check_id(sub).map_err(|m| ConfigError::new(obj.at("sub"), m))?;

    let username = obj.required_string("username")?;
    if username.is_empty() || username.chars().count() > MAX_ID_LEN {
        return Err(ConfigError::new(
            obj.at("username"),
            "must be 1 to 255 characters",
        ));
    }
    if username.chars().any(char::is_control) || username.trim() != username {
        return Err(ConfigError::new(
            obj.at("username"),
            "must not contain control characters or begin or end with whitespace",
        ));
    }

    let hash_path = obj.at("password_hash");
    let phc = obj.required_string("password_hash")?;
    let password_hash = parse_hash(phc, &hash_path, MIN_USER_ITERATIONS, "a password hash")?;

    let claims = match obj.get("claims") {
        None => Map::new(),
        Some(Value::Object(claims)) => {
            check_claims(claims, &obj.at("claims"))?;
            claims.clone()
        }
        Some(_) => {
            return Err(ConfigError::new(obj.at("claims"), "must be a JSON object"));
        }
    };

    Ok(User {
        sub: sub.to_owned(),
        username: username.to_owned(),
        password_hash,
        claims,
    })
}

/// A PHC hash with `min..=MAX_USER_ITERATIONS` iterations.
pub(super) fn parse_hash(
    phc: &str,
    path: &str,
    min: u32,
    what: &str,
) -> Result<PasswordHash, ConfigError> {
    let hash = PasswordHash::parse(phc).map_err(|err| ConfigError::new(path, err.reason))?;
    if !(min..=MAX_USER_ITERATIONS).contains(&hash.iterations()) {
        return Err(ConfigError::new(
            path,
            format!(
                "{what} must use {min} to {MAX_USER_ITERATIONS} iterations (Cloudflare's \
                 runtime refuses PBKDF2 above {MAX_USER_ITERATIONS}); this one uses {}",
                hash.iterations()
            ),
        ));
    }
    Ok(hash)
}

/// OpenID Connect Core §5.1 claims with a fixed JSON type, so a typo there is caught here
/// rather than by a relying party.
fn check_claims(claims: &Map<String, Value>, path: &str) -> Result<(), ConfigError> {
    for (name, value) in claims {
        let at = format!("{path}.{name}");
        if PROTECTED_CLAIMS.contains(&name.as_str()) {
            return Err(ConfigError::new(
                at,
                "is a protocol claim the provider sets itself; it cannot be configured",
            ));
        }
        check_claim_value(name, value).map_err(|expected| {
            ConfigError::new(at, format!("must be {expected} (OpenID Connect Core §5.1)"))
        })?;
    }
    Ok(())
}

/// Whether `value` has the JSON type OpenID Connect Core §5.1 gives claim `name` (any
/// value for a claim it does not define); the type expected when it has not. Also what an
/// upstream provider's claims are held to before they become ours.
pub(super) fn check_claim_value(name: &str, value: &Value) -> Result<(), &'static str> {
    match name {
        "email_verified" | "phone_number_verified" => {
            value.is_boolean().then_some(()).ok_or("a boolean")
        }
        "updated_at" => value
            .is_u64()
            .then_some(())
            .ok_or("a number of seconds since the epoch"),
        "address" => value.is_object().then_some(()).ok_or("a JSON object"),
        "name" | "given_name" | "family_name" | "middle_name" | "nickname"
        | "preferred_username" | "profile" | "picture" | "website" | "email" | "gender"
        | "birthdate" | "zoneinfo" | "locale" | "phone_number" => {
            value.is_string().then_some(()).ok_or("a string")
        }
        "" => Err("a non-empty claim name"),
        _ => Ok(()),
    }
}

pub(super) fn parse_lifetimes(value: &Value) -> Result<Lifetimes, ConfigError> {
    let obj = Obj::new(value, "lifetimes".to_owned())?;
    obj.only(&[
        "code",
        "access_token",
        "id_token",
        "refresh_token",
        "session",
        "device_code",
        "ciba",
        "par",
    ])?;
    let defaults = Lifetimes::default();
    let read = |name: &str, default: u64, max: u64| -> Result<u64, ConfigError> {
        let Some(seconds) = obj.u64(name)? else {
            return Ok(default);
        };
        if !(60..=max).contains(&seconds) {
            return Err(ConfigError::new(
                obj.at(name),
                format!("must be 60 to {max} seconds"),
            ));
        }
        Ok(seconds)
    };
    Ok(Lifetimes {
        code: read("code", defaults.code, 600)?,
        access_token: read("access_token", defaults.access_token, 86_400)?,
        id_token: read("id_token", defaults.id_token, 86_400)?,
        refresh_token: read("refresh_token", defaults.refresh_token, 31_536_000)?,
        session: read("session", defaults.session, 2_592_000)?,
        // RFC 8628 §3.2's example code lives 30 minutes; longer only widens the window for
        // guessing its user code.
        device_code: read("device_code", defaults.device_code, 1_800)?,
        ciba: read("ciba", defaults.ciba, 1_800)?,
        // RFC 9126 §2.2: a pushed request is used at once; its record is checked for
        // expiry when it is taken, so it may live shorter than a store's least TTL.
        par: match obj.u64("par")? {
            None => defaults.par,
            Some(seconds @ 10..=600) => seconds,
            Some(_) => {
                return Err(ConfigError::new(obj.at("par"), "must be 10 to 600 seconds"));
            }
        },
    })
}

/// `login_limits`: each member optional, each within its range.
pub(super) fn parse_login_limits(value: &Value) -> Result<LoginLimits, ConfigError> {
    let obj = Obj::new(value, "login_limits".to_owned())?;
    obj.only(&["per_username", "per_address", "window"])?;
    let defaults = LoginLimits::default();
    let read = |name: &str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
        match obj.u64(name)? {
            None => Ok(default),
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(_) => Err(ConfigError::new(
                obj.at(name),
                format!("must be {min} to {max}"),
            )),
        }
    };
    Ok(LoginLimits {
        per_username: read("per_username", defaults.per_username, 1, 1_000)?,
        per_address: read("per_address", defaults.per_address, 1, 100_000)?,
        window: read("window", defaults.window, 60, 86_400)?,
    })
}

// --- Identifiers ----------------------------------------------------------------------

/// `client_id` and `sub`: 1 to 255 visible ASCII characters (RFC 6749 Appendix A.1 allows
/// spaces in a client id; this provider does not, as they break Basic authentication and
/// logs).
pub(super) fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err("must be 1 to 255 characters");
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be visible ASCII, without spaces");
    }
    Ok(())
}

/// The longest name shown on a page: a client's, the provider's.
pub(super) const MAX_DISPLAY_LEN: usize = 100;

/// Text shown to people: 1 to `max` characters, no control characters, no whitespace at
/// either end (it is escaped on the page; this keeps it readable and one line).
pub(super) fn check_display_text(text: &str, max: usize) -> Result<(), String> {
    let count = text.chars().count();
    if count == 0 || count > max {
        return Err(format!("must be 1 to {max} characters"));
    }
    if text.chars().any(char::is_control) || text.trim() != text {
        return Err(
            "must not contain control characters or begin or end with whitespace".to_owned(),
        );
    }
    Ok(())
}

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
pub(super) fn is_scope_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}
