//! Reading JSON objects with paths: each value read knows where it is, for errors.

use serde_json::{Map, Value};

use super::{ConfigError, ROOT};

/// A JSON object being read, with its path for errors.
pub(super) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    pub(super) fn new(value: &'a Value, path: String) -> Result<Obj<'a>, ConfigError> {
        match value {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(ConfigError::new(
                if path.is_empty() {
                    ROOT.to_owned()
                } else {
                    path
                },
                "must be a JSON object",
            )),
        }
    }

    /// The path of member `name`.
    pub(super) fn at(&self, name: &str) -> String {
        // An empty member name (`{"": 1}`) is shown as `""`, so the path is never empty.
        let name = if name.is_empty() { "\"\"" } else { name };
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Refuses members not in `known`, so typos are errors.
    pub(super) fn only(&self, known: &[&str]) -> Result<(), ConfigError> {
        match self.map.keys().find(|name| !known.contains(&name.as_str())) {
            None => Ok(()),
            Some(name) => Err(ConfigError::new(
                self.at(name),
                format!("unknown field (expected one of: {})", known.join(", ")),
            )),
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    pub(super) fn string(&self, name: &str) -> Result<Option<&'a str>, ConfigError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ConfigError::new(self.at(name), "must be a string")),
        }
    }

    pub(super) fn required_string(&self, name: &str) -> Result<&'a str, ConfigError> {
        self.string(name)?
            .ok_or_else(|| ConfigError::new(self.at(name), "is required"))
    }

    /// A boolean, `false` when absent.
    pub(super) fn bool(&self, name: &str) -> Result<bool, ConfigError> {
        match self.map.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ConfigError::new(self.at(name), "must be true or false")),
        }
    }

    pub(super) fn u64(&self, name: &str) -> Result<Option<u64>, ConfigError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                ConfigError::new(self.at(name), "must be a whole number of seconds")
            }),
        }
    }

    /// An array, empty when absent.
    pub(super) fn array(&self, name: &str) -> Result<&'a [Value], ConfigError> {
        match self.map.get(name) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(ConfigError::new(self.at(name), "must be an array")),
        }
    }

    /// An array of distinct strings, empty when absent, each with its path.
    pub(super) fn strings(&self, name: &str) -> Result<Vec<(String, &'a str)>, ConfigError> {
        let mut out: Vec<(String, &'a str)> = Vec::new();
        for (i, item) in self.array(name)?.iter().enumerate() {
            let path = format!("{}[{i}]", self.at(name));
            let Value::String(s) = item else {
                return Err(ConfigError::new(path, "must be a string"));
            };
            if let Some(j) = out.iter().position(|(_, seen)| seen == s) {
                return Err(ConfigError::new(
                    path,
                    format!("duplicates {}[{j}]", self.at(name)),
                ));
            }
            out.push((path, s));
        }
        Ok(out)
    }
}
