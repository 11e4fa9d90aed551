//! Protocol values as types (DESIGN.md principle 2): a `client_id`, a redirect URI and a
//! scope are not interchangeable strings. Each is checked where it enters (the
//! configuration reader, the authorization request) and then carried as its type; each
//! reads as `&str` (`Deref`) wherever text is needed, and stores as the plain string, so
//! records written before these types existed still read.

use core::fmt;
use core::ops::Deref;

use serde::{Deserialize, Serialize};

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value already checked by its reader.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }
    };
}

text_type!(
    /// A client identifier (RFC 6749 §2.2).
    ClientId
);
text_type!(
    /// A redirection endpoint URI (RFC 6749 §3.1.2), always compared exactly.
    RedirectUri
);
text_type!(
    /// A granted or requested scope (RFC 6749 §3.3): names separated by single spaces.
    Scope
);

impl Scope {
    /// Whether the scope names `name`.
    pub fn has(&self, name: &str) -> bool {
        self.names().any(|granted| granted == name)
    }

    /// The scope's names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|name| !name.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_space_separated_names() {
        let scope = Scope::new("openid  email");
        assert!(scope.has("openid") && scope.has("email") && !scope.has("open"));
        assert_eq!(scope.names().collect::<Vec<_>>(), ["openid", "email"]);
    }

    #[test]
    fn stored_as_plain_strings() {
        let id = ClientId::new("spa");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"spa\"");
        let back: ClientId = serde_json::from_str("\"spa\"").unwrap();
        assert_eq!(back, "spa");
        assert_eq!(format!("{back:?}"), "ClientId(\"spa\")");
    }
}
