//! docs/configuration.md against the parser (`Config::from_json`, src/op/config/), so the
//! reference cannot drift from what the provider accepts:
//!
//! - every field a table documents is accepted, alone, on the minimal example, and its
//!   "required / default" cell and integer range are what the parser does;
//! - every level refuses an unknown field, and the list of fields its error names is exactly
//!   the documented one; every field name the parser's source reads is documented;
//! - every ```json block of the document is a configuration that parses, the second one
//!   holding every documented field;
//! - the "not yet supported" fields and values are refused; the other bindings
//!   (`OIDC_SIGNING_KEYS`, `OIDC_SERVER_SECRET`, `OIDC_STORE`) match `worker/wrangler.toml`
//!   and their parsers.
//!
//! The table format is described in an HTML comment at the top of the document.
#![cfg(not(target_arch = "wasm32"))]
// Helpers outside `#[test]` functions unwrap and panic too; clippy only exempts test functions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oidc_edge::b64;
use oidc_edge::jose::Alg;
use oidc_edge::jose::jwk::MAX_JWKS_KEYS;
use oidc_edge::op::config::{Config, ConfigError, PROTECTED_CLAIMS, TokenFormat};
use oidc_edge::op::keys::SigningKeys;
use oidc_edge::op::password::{KEY_LEN, MAX_USER_ITERATIONS, MIN_USER_ITERATIONS, SALT_LEN};
use oidc_edge::op::secrets::{MAX_SECRET_LEN, MIN_SECRET_LEN};
use serde_json::{Map, Value, json};

/// The field an unknown-field probe adds; no specification will ever register it.
const UNKNOWN: &str = "x-not-a-documented-field";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// --- The document ---------------------------------------------------------------------

/// One markdown table: the first backticked text of the heading above it, its header
/// cells and its rows.
struct Table {
    object: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// The kind of table: its first header cell (`field`, `claim`, `binding`, …).
    fn kind(&self) -> &str {
        &self.header[0]
    }

    /// The index of the column whose header starts with `name`.
    fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h.starts_with(name))
            .unwrap_or_else(|| panic!("table under `{}` has no {name:?} column", self.object))
    }

    /// The row's first cell, the name in backticks.
    fn names(&self) -> Vec<String> {
        self.rows.iter().map(|row| name_cell(row, self)).collect()
    }
}

fn name_cell(row: &[String], table: &Table) -> String {
    code(&row[0])
        .unwrap_or_else(|| {
            panic!(
                "under `{}`: the first cell {:?} must be a name in backticks",
                table.object, row[0]
            )
        })
        .to_owned()
}

struct Doc {
    text: String,
    tables: Vec<Table>,
    /// Fenced blocks: (info string, content).
    blocks: Vec<(String, String)>,
    /// Sections: (heading, text up to the next heading).
    sections: Vec<(String, String)>,
}

/// The text between the first pair of backticks.
fn code(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(&text[start..start + len])
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

fn doc() -> Doc {
    let text = read(&root().join("docs/configuration.md"));
    let mut tables: Vec<Table> = Vec::new();
    let mut blocks = Vec::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut heading = String::new();
    let mut fence: Option<(String, String)> = None;
    let mut in_table = false;
    for line in text.lines() {
        if let Some(info) = line.strip_prefix("```") {
            match fence.take() {
                Some(block) => blocks.push(block),
                None => fence = Some((info.trim().to_owned(), String::new())),
            }
            continue;
        }
        if let Some((_, content)) = fence.as_mut() {
            content.push_str(line);
            content.push('\n');
            continue;
        }
        if let Some(section) = sections.last_mut() {
            section.1.push_str(line);
            section.1.push('\n');
        }
        if line.starts_with('#') {
            heading = line.to_owned();
            sections.push((heading.clone(), String::new()));
            in_table = false;
        } else if line.starts_with('|') {
            let row = cells(line);
            if !in_table {
                tables.push(Table {
                    object: code(&heading).unwrap_or_default().to_owned(),
                    header: row,
                    rows: Vec::new(),
                });
                in_table = true;
            } else if !row
                .iter()
                .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
            {
                let table = tables.last_mut().unwrap();
                assert_eq!(
                    row.len(),
                    table.header.len(),
                    "a row under {heading:?} has the wrong number of cells: {line}"
                );
                table.rows.push(row);
            }
        } else {
            in_table = false;
        }
    }
    assert!(
        fence.is_none(),
        "docs/configuration.md: unterminated code block"
    );
    Doc {
        text,
        tables,
        blocks,
        sections,
    }
}

impl Doc {
    /// The tables of one kind.
    fn tables(&self, kind: &str) -> impl Iterator<Item = &Table> {
        self.tables.iter().filter(move |t| t.kind() == kind)
    }

    /// The field tables: one per object of OIDC_CONFIG.
    fn field_tables(&self) -> Vec<&Table> {
        let tables: Vec<&Table> = self.tables("field").collect();
        assert!(
            tables.len() >= 5,
            "expected field tables for OIDC_CONFIG, clients[i], users[i], lifetimes and \
             login_limits; found {}",
            tables.len()
        );
        tables
    }

    /// The one table of `kind`.
    fn table(&self, kind: &str) -> &Table {
        let mut tables = self.tables(kind);
        let table = tables
            .next()
            .unwrap_or_else(|| panic!("no table whose first column is {kind:?}"));
        assert!(tables.next().is_none(), "more than one {kind:?} table");
        table
    }

    fn json_blocks(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter(|(info, _)| info == "json")
            .map(|(_, content)| content.as_str())
            .collect()
    }

    /// The first ```json block.
    fn minimal(&self) -> Value {
        serde_json::from_str(self.json_blocks()[0]).unwrap()
    }

    /// The second ```json block.
    fn full(&self) -> Value {
        serde_json::from_str(self.json_blocks()[1]).unwrap()
    }

    /// The section under the heading that contains `needle`.
    fn section(&self, needle: &str) -> &str {
        &self
            .sections
            .iter()
            .find(|(heading, _)| heading.contains(needle))
            .unwrap_or_else(|| panic!("no heading containing {needle:?}"))
            .1
    }
}

// --- Objects inside a configuration ----------------------------------------------------

/// The object at `path` (`OIDC_CONFIG`, `clients[i]`, `users[i].claims`, `lifetimes`) of
/// `config`, with `[i]` the first element; a missing object is created empty.
fn object_mut<'a>(config: &'a mut Value, path: &str) -> &'a mut Map<String, Value> {
    let mut at = config;
    if path != "OIDC_CONFIG" {
        for segment in path.split('.') {
            let (name, indexed) = match segment.strip_suffix("[i]") {
                Some(name) => (name, true),
                None => (segment, false),
            };
            let map = at.as_object_mut().unwrap();
            at = map.entry(name).or_insert_with(|| json!({}));
            if indexed {
                at = at
                    .get_mut(0)
                    .unwrap_or_else(|| panic!("the example has no {name}[0]"));
            }
        }
    }
    at.as_object_mut()
        .unwrap_or_else(|| panic!("{path} is not an object"))
}

/// Every object at `path` of `config` (each element of an `[i]` array).
fn objects_at<'a>(config: &'a Value, path: &str) -> Vec<&'a Map<String, Value>> {
    let mut found = vec![config];
    if path != "OIDC_CONFIG" {
        for segment in path.split('.') {
            let (name, indexed) = match segment.strip_suffix("[i]") {
                Some(name) => (name, true),
                None => (segment, false),
            };
            found = found
                .into_iter()
                .filter_map(|v| v.get(name))
                .flat_map(|v| match (indexed, v) {
                    (true, Value::Array(items)) => items.iter().collect(),
                    (true, _) => Vec::new(),
                    (false, v) => vec![v],
                })
                .collect();
        }
    }
    found.into_iter().filter_map(Value::as_object).collect()
}

/// The path the parser names in an error about `field` of the object at `path`.
fn error_path(path: &str, field: &str) -> String {
    if path == "OIDC_CONFIG" {
        field.to_owned()
    } else {
        format!("{}.{field}", path.replace("[i]", "[0]"))
    }
}

fn parse(config: &Value) -> Result<Config, ConfigError> {
    Config::from_json(&config.to_string())
}

/// `config` must fail, at `path`.
#[track_caller]
fn assert_refused_at(config: &Value, path: &str) -> ConfigError {
    match parse(config) {
        Ok(_) => panic!("expected an error at {path}, but this parsed: {config}"),
        Err(err) => {
            assert_eq!(err.path, path, "the error was {err}; config: {config}");
            err
        }
    }
}

#[track_caller]
fn assert_accepted(config: &Value, what: &str) -> Config {
    parse(config).unwrap_or_else(|err| panic!("{what}: refused with {err}; config: {config}"))
}

/// A JSON array of strings.
fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(items.map(|s| Value::String(s.to_owned())).collect())
}

/// The configuration name of a token format.
fn format_name(format: TokenFormat) -> Value {
    json!(match format {
        TokenFormat::Jwt => "jwt",
        TokenFormat::Opaque => "opaque",
    })
}

/// The value of a documented field in a parsed configuration, as JSON, to compare with its
/// documented default. Only fields documented with a default need an entry.
fn project(config: &Config, path: &str, field: &str) -> Value {
    match (path, field) {
        ("OIDC_CONFIG", "clients") => strings(config.clients.iter().map(|c| c.client_id.as_str())),
        ("OIDC_CONFIG", "users") => strings(config.users.iter().map(|u| u.sub.as_str())),
        ("OIDC_CONFIG", "password_acr") => json!(config.password_acr),
        ("OIDC_CONFIG", "require_pushed_authorization_requests") => {
            json!(config.require_pushed_authorization_requests)
        }
        ("OIDC_CONFIG", "resources") => {
            strings(config.resources.iter().map(|r| r.resource.as_str()))
        }
        ("resources[i]", "access_token_format") => {
            format_name(config.resources[0].access_token_format)
        }
        ("clients[i]", _) => {
            let c = &config.clients[0];
            match field {
                "token_endpoint_auth_method" => json!(c.token_endpoint_auth_method.as_str()),
                "application_type" => json!(c.application_type.as_str()),
                "post_logout_redirect_uris" => {
                    strings(c.post_logout_redirect_uris.iter().map(|u| u.as_str()))
                }
                "grant_types" => strings(c.grant_types.iter().map(|g| g.as_str())),
                "allowed_origins" => strings(c.allowed_origins.iter().map(String::as_str)),
                "first_party" => json!(c.first_party),
                "access_token_format" => format_name(c.access_token_format),
                "dpop_bound_access_tokens" => json!(c.dpop_bound_access_tokens),
                "tls_client_certificate_bound_access_tokens" => {
                    json!(c.tls_client_certificate_bound_access_tokens)
                }
                "token_exchange_impersonation" => json!(c.token_exchange_impersonation),
                "backchannel_token_delivery_mode" => {
                    json!(c.backchannel_token_delivery_mode.as_ref().map(|m| m.name()))
                }
                "backchannel_logout_session_required" => {
                    json!(c.backchannel_logout_session_required)
                }
                "require_pushed_authorization_requests" => {
                    json!(c.authorization.require_pushed_authorization_requests)
                }
                "require_signed_request_object" => {
                    json!(c.authorization.require_signed_request_object)
                }
                _ => panic!("no projection for clients[i].{field}: add one to this test"),
            }
        }
        ("users[i]", "claims") => Value::Object(config.users[0].claims.clone()),
        ("OIDC_CONFIG", "upstream_providers") => {
            strings(config.upstream_providers.iter().map(|p| p.id.as_str()))
        }
        ("OIDC_CONFIG", "password_login") => json!(config.password_login),
        ("upstream_providers[i]", _) => {
            let p = &config.upstream_providers[0];
            match field {
                "scopes" => strings(p.scopes.iter().map(String::as_str)),
                "claims" => Value::Object(
                    p.claims
                        .iter()
                        .map(|(ours, theirs)| (ours.clone(), json!(theirs)))
                        .collect(),
                ),
                _ => {
                    panic!("no projection for upstream_providers[i].{field}: add one to this test")
                }
            }
        }
        ("registration", _) => {
            let r = &config.registration;
            match field {
                "enabled" => json!(r.enabled),
                "client_id_metadata_documents" => json!(r.client_id_metadata_documents),
                "allow_loopback_fetch" => json!(r.allow_loopback_fetch),
                "max_per_hour" => json!(r.max_per_hour),
                _ => panic!("no projection for registration.{field}: add one to this test"),
            }
        }
        ("lifetimes", _) => {
            let l = &config.lifetimes;
            json!(match field {
                "code" => l.code,
                "access_token" => l.access_token,
                "id_token" => l.id_token,
                "refresh_token" => l.refresh_token,
                "session" => l.session,
                "device_code" => l.device_code,
                "ciba" => l.ciba,
                "par" => l.par,
                _ => panic!("no projection for lifetimes.{field}: add one to this test"),
            })
        }
        ("login_limits", _) => {
            let l = &config.login_limits;
            json!(match field {
                "per_username" => l.per_username,
                "per_address" => l.per_address,
                "window" => l.window,
                _ => panic!("no projection for login_limits.{field}: add one to this test"),
            })
        }
        _ => panic!("no projection for {path}.{field}: add one to this test"),
    }
}

/// The first `MIN to MAX` range in `text` whose MAX is followed by `unit` (any when
/// empty); numbers may have thousands separators.
fn range(text: &str, unit: &str) -> Option<(u64, u64)> {
    let number = |s: &str| s.replace(',', "").parse::<u64>().ok();
    let mut from = 0;
    while let Some(found) = text[from..].find(" to ") {
        let at = from + found;
        from = at + 4;
        let before = &text[..at];
        let start = before
            .rfind(|c: char| !(c.is_ascii_digit() || c == ','))
            .map_or(0, |i| i + 1);
        let after = &text[at + 4..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ','))
            .unwrap_or(after.len());
        let (Some(min), Some(max)) = (number(&before[start..]), number(&after[..end])) else {
            continue;
        };
        if unit.is_empty() || after[end..].starts_with(&format!(" {unit}")) {
            return Some((min, max));
        }
    }
    None
}

/// `n` with thousands separators, as the document writes numbers.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A well-formed PBKDF2 hash string with `iterations` (its key matches no password).
fn hash_with(iterations: u64) -> String {
    format!(
        "$pbkdf2-sha256$i={iterations}${}${}",
        b64::encode(&[7; SALT_LEN]),
        b64::encode(&[9; KEY_LEN])
    )
}

// --- The parser's source --------------------------------------------------------------

/// The source of the configuration parser, comments left out.
fn parser_source() -> String {
    let dir = root().join("src/op/config");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no sources in {}", dir.display());
    files
        .iter()
        .flat_map(|f| {
            read(f)
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The string literals of `text`, each with the text that follows it.
fn literals(text: &str) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let body = &rest[open + 1..];
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        out.push((body[..end].to_owned(), &body[end + 1..]));
        rest = &body[end + 1..];
    }
    out
}

/// The field lists the parser checks members against: `only(&[...])` and `*_FIELDS`
/// constants.
fn source_field_lists(source: &str) -> Vec<BTreeSet<String>> {
    let mut lists = Vec::new();
    for marker in ["only(&[", ": &[&str] = &["] {
        for (at, _) in source.match_indices(marker) {
            let body = &source[at + marker.len()..];
            let body = &body[..body.find(']').unwrap()];
            lists.push(literals(body).into_iter().map(|(s, _)| s).collect());
        }
    }
    lists
}

/// Every member name the parser reads: the first argument of each reader call.
fn source_read_names(source: &str) -> BTreeSet<String> {
    let calls = [
        ".required_string(\"",
        ".string(\"",
        ".bool(\"",
        ".u64(\"",
        ".array(\"",
        ".strings(\"",
        ".get(\"",
        ".at(\"",
        "read(\"",
        "uri_list(&obj, \"",
    ];
    let mut names = BTreeSet::new();
    for call in calls {
        for (at, _) in source.match_indices(call) {
            let start = at + call.len() - 1;
            let (name, _) = literals(&source[start..]).into_iter().next().unwrap();
            names.insert(name);
        }
    }
    names
}

/// The claim names `check_claim_value` gives a type: the literals of its match patterns.
fn source_typed_claims(source: &str) -> BTreeSet<String> {
    let start = source
        .find("fn check_claim_value")
        .expect("check_claim_value is gone from src/op/config/: update this test");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").unwrap()];
    literals(body)
        .into_iter()
        .filter(|(name, after)| {
            let after = after.trim_start();
            !name.is_empty() && (after.starts_with('|') || after.starts_with("=>"))
        })
        .map(|(name, _)| name)
        .collect()
}

// --- Tests ----------------------------------------------------------------------------

/// Every ```json block is a complete `OIDC_CONFIG` the parser accepts: the minimal example
/// and the one with every field.
#[test]
fn json_examples_parse() {
    let doc = doc();
    let blocks = doc.json_blocks();
    assert!(
        blocks.len() >= 2,
        "expected a minimal example and one with every field"
    );
    for (i, block) in blocks.iter().enumerate() {
        Config::from_json(block)
            .unwrap_or_else(|err| panic!("```json block {i} does not parse: {err}\n{block}"));
    }
}

/// The second example holds every documented field, at every level.
#[test]
fn full_example_has_every_field() {
    let doc = doc();
    let full = doc.full();
    for table in doc.field_tables() {
        let objects = objects_at(&full, &table.object);
        for field in table.names() {
            assert!(
                objects.iter().any(|o| o.contains_key(&field)),
                "the example with every field has no {}.{field}",
                table.object
            );
        }
    }
}

/// Each documented field, set alone on the minimal example to its value in the full
/// example, is accepted (RFC 7591 §2 names for client metadata).
#[test]
fn every_documented_field_is_accepted() {
    /// Fields refused alone, each with the field it needs: request objects are checked
    /// with the client's keys (RFC 9101 §6.1); CIBA's ping mode and its notification
    /// endpoint go together (CIBA Core §4).
    const NEEDS_COMPANION: [(&str, &str, &str); 5] = [
        ("clients[i]", "require_signed_request_object", "jwks"),
        ("clients[i]", "request_object_signing_alg", "jwks"),
        ("clients[i]", "profile", "jwks"),
        (
            "clients[i]",
            "backchannel_token_delivery_mode",
            "backchannel_client_notification_endpoint",
        ),
        (
            "clients[i]",
            "backchannel_client_notification_endpoint",
            "backchannel_token_delivery_mode",
        ),
    ];
    let doc = doc();
    let full = doc.full();
    for table in doc.field_tables() {
        for field in table.names() {
            let value = objects_at(&full, &table.object)
                .into_iter()
                .find_map(|o| o.get(&field))
                .unwrap_or_else(|| panic!("no example value for {}.{field}", table.object))
                .clone();
            let mut config = doc.minimal();
            // A FAPI 2.0 client authenticates with private_key_jwt, and has no secret; a
            // subject DN is for a client that authenticates with its certificate (RFC 8705
            // §2.1.2).
            let method = match (table.object.as_str(), field.as_str()) {
                ("clients[i]", "profile") => Some("private_key_jwt"),
                ("clients[i]", "tls_client_auth_subject_dn") => Some("tls_client_auth"),
                _ => None,
            };
            if let Some(method) = method {
                let client = object_mut(&mut config, "clients[i]");
                client.remove("client_secret_hash");
                client.insert("token_endpoint_auth_method".into(), json!(method));
            }
            // A field that is refused without another documented one gets it too.
            for (object, needy, companion) in NEEDS_COMPANION {
                if table.object == object && field == needy {
                    let example = objects_at(&full, object)
                        .into_iter()
                        .find_map(|o| o.get(companion))
                        .unwrap_or_else(|| panic!("no example value for {object}.{companion}"))
                        .clone();
                    object_mut(&mut config, object).insert(companion.to_owned(), example);
                }
            }
            object_mut(&mut config, &table.object).insert(field.clone(), value);
            assert_accepted(&config, &format!("{}.{field}", table.object));
        }
    }
}

/// Every level refuses a field it does not know, and the fields its error lists are exactly
/// the documented ones: nothing the parser accepts is missing from the document.
#[test]
fn unknown_fields_are_refused_and_known_ones_documented() {
    let doc = doc();
    for table in doc.field_tables() {
        let mut config = doc.minimal();
        object_mut(&mut config, &table.object).insert(UNKNOWN.to_owned(), json!(1));
        let err = assert_refused_at(&config, &error_path(&table.object, UNKNOWN));
        let known = err
            .message
            .strip_prefix("unknown field (expected one of: ")
            .and_then(|m| m.strip_suffix(')'))
            .unwrap_or_else(|| panic!("unexpected message for an unknown field: {err}"));
        let known: BTreeSet<&str> = known.split(", ").collect();
        let names = table.names();
        let documented: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            known, documented,
            "the fields the parser knows in {} differ from the documented ones",
            table.object
        );
    }
}

/// Every member name the parser's source reads, and every list it checks members against,
/// is documented: a field added to src/op/config/ without the document fails here.
#[test]
fn every_field_in_the_parser_source_is_documented() {
    let doc = doc();
    let source = parser_source();
    let tables = doc.field_tables();
    let documented: BTreeSet<String> = tables.iter().flat_map(|t| t.names()).collect();

    let read = source_read_names(&source);
    assert!(
        read.len() > 20,
        "found only {read:?} in the parser's source"
    );
    for name in &read {
        assert!(
            documented.contains(name),
            "src/op/config/ reads {name:?}, which docs/configuration.md does not document"
        );
    }

    let lists = source_field_lists(&source);
    assert!(
        lists.len() >= 5,
        "found only {lists:?} in the parser's source"
    );
    for list in lists {
        assert!(
            tables
                .iter()
                .any(|t| t.names().into_iter().collect::<BTreeSet<_>>() == list),
            "src/op/config/ accepts exactly {list:?} in some object, and no table of \
             docs/configuration.md documents that object"
        );
    }
}

/// The "required / default" column: removing a required field is an error at that field;
/// removing one with a default gives the documented default (RFC 7591 §2 `grant_types`,
/// `token_endpoint_auth_method`).
#[test]
fn required_and_default_cells_match_the_parser() {
    let doc = doc();
    for table in doc.field_tables() {
        let column = table.column("required");
        for (row, field) in table.rows.iter().zip(table.names()) {
            let cell = &row[column];
            let what = format!("{}.{field}", table.object);
            let mut config = doc.minimal();
            // A required field of an optional object the minimal example leaves out
            // (`mtls`): the object as the full example has it.
            let optional_object =
                !table.object.contains(['[', '.']) && table.object != "OIDC_CONFIG";
            if cell.starts_with("required")
                && optional_object
                && config.get(&table.object).is_none()
            {
                config[table.object.as_str()] = doc.full()[table.object.as_str()].clone();
            }
            let removed = object_mut(&mut config, &table.object).remove(&field);
            if cell.starts_with("required") {
                assert!(
                    removed.is_some(),
                    "{what} is required, so the minimal example must have it"
                );
                assert_refused_at(&config, &error_path(&table.object, &field));
            } else if cell.starts_with("optional") {
                assert_accepted(&config, &format!("{what} left out"));
            } else if let Some(rest) = cell.strip_prefix("default ") {
                let default = code(rest)
                    .unwrap_or_else(|| panic!("{what}: the default must be in backticks"));
                let default: Value = serde_json::from_str(default)
                    .unwrap_or_else(|_| Value::String(default.to_owned()));
                let parsed = assert_accepted(&config, &format!("{what} left out"));
                assert_eq!(
                    project(&parsed, &table.object, &field),
                    default,
                    "{what}: the documented default is not the parser's"
                );
            } else {
                panic!("{what}: {cell:?} must start with required, optional or default");
            }
        }
    }
}

/// Integer fields: the documented range's ends are accepted and the numbers just outside
/// refused (lifetimes; RFC 6749 §4.1.2 for codes; login limits).
#[test]
fn integer_ranges_match_the_parser() {
    let doc = doc();
    let mut checked = 0;
    for table in doc.field_tables() {
        let (kind, constraints) = (table.column("type"), table.column("constraints"));
        for (row, field) in table.rows.iter().zip(table.names()) {
            if row[kind] != "integer" {
                continue;
            }
            let (min, max) = range(&row[constraints], "")
                .unwrap_or_else(|| panic!("{}.{field}: no range", table.object));
            let set = |n: u64| {
                let mut config = doc.minimal();
                object_mut(&mut config, &table.object).insert(field.clone(), json!(n));
                config
            };
            let what = format!("{}.{field}", table.object);
            assert_accepted(&set(min), &format!("{what} = {min}"));
            assert_accepted(&set(max), &format!("{what} = {max}"));
            if min > 0 {
                assert_refused_at(&set(min - 1), &error_path(&table.object, &field));
            }
            assert_refused_at(&set(max + 1), &error_path(&table.object, &field));
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} integer fields found");
}

/// Hash fields: the documented iteration range is the parser's (RFC 8018 §5.2 PBKDF2, and
/// Cloudflare's cap of 100,000).
#[test]
fn hash_iteration_ranges_match_the_parser() {
    let doc = doc();
    let mut checked = Vec::new();
    for table in doc.field_tables() {
        let constraints = table.column("constraints");
        for (row, field) in table.rows.iter().zip(table.names()) {
            if !field.ends_with("_hash") {
                continue;
            }
            let (min, max) = range(&row[constraints], "iterations")
                .unwrap_or_else(|| panic!("{}.{field}: no iteration range", table.object));
            let path = error_path(&table.object, &field);
            let set = |n: u64| {
                let mut config = doc.minimal();
                object_mut(&mut config, &table.object).insert(field.clone(), json!(hash_with(n)));
                config
            };
            assert_accepted(&set(min), &format!("{path} with {min} iterations"));
            assert_accepted(&set(max), &format!("{path} with {max} iterations"));
            assert_refused_at(&set(min - 1), &path);
            assert_refused_at(&set(max + 1), &path);
            checked.push(field);
        }
    }
    assert_eq!(
        checked,
        [
            "client_secret_hash",
            "password_hash",
            "initial_access_token_hash"
        ]
    );
    let users = doc.section("`users[i]`");
    let range = format!(
        "{} to {} iterations",
        thousands(u64::from(MIN_USER_ITERATIONS)),
        thousands(u64::from(MAX_USER_ITERATIONS))
    );
    assert!(users.contains(&range), "the users section must say {range}");
}

/// OpenID Connect Core §5.1: each standard claim the parser types is documented with its
/// type, accepted with it and refused with another; protocol claims (RFC 7519 §4.1) are
/// listed and refused; other claims pass.
#[test]
fn claims_match_the_parser() {
    let doc = doc();
    let table = doc.table("claim");
    assert_eq!(table.object, "users[i].claims");
    let documented: BTreeSet<String> = table.names().into_iter().collect();
    assert_eq!(
        source_typed_claims(&parser_source()),
        documented,
        "the claims check_claim_value types differ from the documented ones"
    );

    let claims_path = "users[i].claims";
    let with_claim = |name: &str, value: Value| {
        let mut config = doc.minimal();
        object_mut(&mut config, claims_path).insert(name.to_owned(), value);
        config
    };
    let kind = table.column("type");
    for (row, name) in table.rows.iter().zip(table.names()) {
        let (good, bad) = match row[kind].split_whitespace().next() {
            Some("string") => (json!("text"), json!(1)),
            Some("boolean") => (json!(true), json!("true")),
            Some("object") => (json!({ "country": "GB" }), json!("GB")),
            Some("integer") => (json!(1_700_000_000), json!("1700000000")),
            other => panic!("claim {name}: unknown type {other:?}"),
        };
        assert_accepted(&with_claim(&name, good), &format!("claim {name}"));
        assert_refused_at(&with_claim(&name, bad), &error_path(claims_path, &name));
    }

    let section = doc.section("`users[i].claims`");
    for name in PROTECTED_CLAIMS {
        assert!(
            section.contains(&format!("`{name}`")),
            "the protocol claim {name} is not listed as refused"
        );
        assert_refused_at(
            &with_claim(name, json!("x")),
            &error_path(claims_path, name),
        );
    }
    assert_accepted(&with_claim("department", json!(5)), "a custom claim");
}

/// The "not yet supported" tables: each field planned by the design (RFC 7591 §2 metadata,
/// RFC 9126, RFC 8707, …) is refused as unknown, and each value is refused at its path.
#[test]
fn unsupported_fields_and_values_are_refused() {
    let doc = doc();
    // Field names per object: `access_token_format` is read in `resources[i]` and refused
    // in `clients[i]`.
    let documented: BTreeSet<(String, String)> = doc
        .field_tables()
        .iter()
        .flat_map(|t| t.names().into_iter().map(|name| (t.object.clone(), name)))
        .collect();

    let fields = doc.table("refused field");
    let at = fields.column("in");
    for (row, field) in fields.rows.iter().zip(fields.names()) {
        let object = code(&row[at]).unwrap();
        assert!(
            !documented.contains(&(object.to_owned(), field.clone())),
            "{object}.{field} is documented and refused"
        );
        let mut config = doc.minimal();
        object_mut(&mut config, object).insert(field.clone(), json!(true));
        let err = assert_refused_at(&config, &error_path(object, &field));
        assert!(err.message.starts_with("unknown field"), "{err}");
    }

    let values = doc.table("refused value");
    let of = values.column("of");
    let tables = doc.field_tables();
    for (row, value) in values.rows.iter().zip(values.names()) {
        let target = code(&row[of]).unwrap();
        let (object, field) = target.rsplit_once('.').unwrap();
        let table = tables.iter().find(|t| t.object == object).unwrap();
        let kind = &table.rows[table.names().iter().position(|n| n == field).unwrap()]
            [table.column("type")];
        let mut config = doc.minimal();
        let (json_value, path) = if kind.starts_with("array") {
            (json!([value]), format!("{}[0]", error_path(object, field)))
        } else {
            (json!(value), error_path(object, field))
        };
        object_mut(&mut config, object).insert(field.to_owned(), json_value);
        assert_refused_at(&config, &path);
    }
}

/// The bindings table lists exactly the secrets and vars of worker/wrangler.toml; the
/// signing-key members and limits are those `SigningKeys` checks (RFC 7517 §4, RFC 7518
/// §6.2), and the server secret's length is `ServerSecrets`'.
#[test]
fn other_bindings_match_the_worker() {
    let doc = doc();
    let toml = read(&root().join("worker/wrangler.toml"));
    let mut expected = BTreeSet::new();
    let mut section = "";
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if section == "[secrets]" && line.starts_with("required") {
            expected.extend(literals(line).into_iter().map(|(s, _)| s));
        } else if section == "[vars]"
            && !line.starts_with('#')
            && let Some((name, _)) = line.split_once('=')
        {
            expected.insert(name.trim().to_owned());
        }
    }
    assert!(expected.contains("OIDC_CONFIG"), "read {expected:?}");
    let documented: BTreeSet<String> = doc.table("binding").names().into_iter().collect();
    assert_eq!(
        documented, expected,
        "bindings differ from worker/wrangler.toml"
    );

    let secret = format!("{MIN_SECRET_LEN} to {MAX_SECRET_LEN} random bytes");
    assert!(doc.text.contains(&secret), "the document must say {secret}");

    let members = doc.table("member");
    assert_eq!(members.object, "OIDC_SIGNING_KEYS.keys[i]");
    let names = members.names();
    let required = members.column("required");
    for (alg, kty) in [(Alg::Es256, "EC"), (Alg::Rs256, "RSA"), (Alg::EdDsa, "OKP")] {
        let keys = json!({ "keys": [SigningKeys::generate_key(alg, Some("k1")).unwrap()] });
        let key = keys["keys"][0].as_object().unwrap();
        for name in key.keys() {
            assert!(
                names.contains(name),
                "a generated {kty} key has {name}, not documented"
            );
        }
        for (row, name) in members.rows.iter().zip(&names) {
            let cell = row[required].as_str();
            let documented_required = cell == "all" || cell.split(", ").any(|t| t == kty);
            let mut jwks = keys.clone();
            jwks["keys"][0].as_object_mut().unwrap().remove(name);
            let result = SigningKeys::from_jwks_json(&jwks.to_string());
            assert_eq!(
                result.is_err(),
                documented_required,
                "OIDC_SIGNING_KEYS member {name} of an {kty} key: documented as {cell}"
            );
        }
    }
    let limit = format!("1 to {MAX_JWKS_KEYS} private keys");
    assert!(doc.text.contains(&limit), "the document must say {limit}");
}

/// The README links the reference, inside the repository.
#[test]
fn readme_links_the_reference() {
    let readme = read(&root().join("README.md"));
    assert!(readme.contains("](docs/configuration.md)"));
}
