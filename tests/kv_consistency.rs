//! The provider on a model of Workers KV with two locations: each single-use record's hazard
//! across locations, measured (DESIGN.md principle 8: "single-use data … through `consume`
//! with the hazard documented and tested").
//!
//! The model (`tests/kv_support`) encodes what Cloudflare documents: writes visible at once
//! where made and up to 60 s later elsewhere, edge caches (60 s) that also hold "absent",
//! 1 write/s per key, 60 s minimum TTL, no atomic read-and-delete. Every measurement runs
//! under three readings of "up to 60 s":
//!
//! - `uniform P=60`: every write, new key or not, reaches other locations after 60 s;
//! - `new keys 0 s, changes 60 s`: a new key is seen everywhere at once, a change or a
//!   deletion after 60 s (the 2020 docs' wording);
//! - `cache only`: the central store is current, only edge caches (60 s) are stale.
//!
//! and, as the baseline, on the core's atomic `MemoryStore`. The clock is the test's: no
//! sleeping. `cargo test --test kv_consistency -- --nocapture` prints the tables;
//! `readme_table` prints the summary the README quotes.
//!
//! The engine these tests measure (src/op/token/grants/): an exchange reads the code with
//! `get` (the code is never deleted: it expires with its 60 s lifetime) and writes the code's
//! grant record (`refresh:` under the code's derived first refresh token) with `reserve`
//! once the tokens are signed, and no token leaves before that write. The exchange whose
//! `reserve` finds the record already written is the replay: it answers `invalid_grant` and
//! revokes what the winner issued, named by the record: its refresh family (`family` and
//! `family-notice`), which its access token names as `gid`, as does an exchange that finds the
//! code gone but its grant record present. `reserve` is atomic on MemoryStore; on KV it is a
//! get then a put (worker/src/kv.rs), and a put KV refuses with 429 (a second write of the
//! key within the second) answers "already present". The refresh family is derived from the
//! code; refresh records are never rewritten, a rotation leaves a `rotated:` mark of its own;
//! a DPoP proof's `jti` is recorded with `reserve`.
#![cfg(not(target_arch = "wasm32"))]
// Helpers outside `#[test]` functions unwrap: a broken fixture must fail loudly, and clippy
// only exempts the test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod kv_support;
mod op_support;

use std::ops::Range;

use kv_support::*;
use oidc_edge::op::records::{Grants, Key, RevokedFamilies, Rotations};
use op_support::{ISSUER, START, code_form};
use serde_json::Value;

const SCOPE: &str = "openid offline_access";
/// When a client refreshes: a minute before its 600 s access token expires.
const REFRESH_AFTER: i64 = 540;
/// No window measured here comes near it: scans of a hazard stop there.
const SCAN_TO: i64 = 100;

fn body(response: &oidc_edge::op::Response) -> Value {
    response.json_body()
}

fn str_field(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {value}"))
        .to_owned()
}

fn wrote(edge: &Edge, prefix_wanted: &str, since: i64) -> bool {
    edge.kv_model()
        .mutations()
        .iter()
        .any(|m| m.at >= since && !m.delete && prefix(&m.key) == prefix_wanted)
}

/// A JSON record as the central store holds it (what a strongly consistent store reads).
fn central_record(edge: &Edge, key: &str) -> Option<Value> {
    edge.kv_model()
        .central(key)
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

/// A JSON record as a strongly consistent store would read it: the KV model's central
/// store, or the memory store.
fn stored(edge: &Edge, key: &str) -> Option<Value> {
    match &edge.backend {
        Backend::Kv(_) => central_record(edge, key),
        Backend::Memory(_) => edge
            .peek(A, key)
            .map(|bytes| serde_json::from_slice(&bytes).unwrap()),
    }
}

/// The claims of one of the provider's access tokens.
fn access_claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&oidc_edge::b64::decode(payload).unwrap()).unwrap()
}

/// A measured window as the tables print it: `0 s`, `60 s` (from the first second on), or
/// `20 s (+40…+59 s)` when it opens later.
fn show(window: &Range<i64>) -> String {
    let length = window.end - window.start;
    if window.is_empty() {
        "0 s".into()
    } else if window.start == 0 {
        format!("{length} s")
    } else {
        format!("{length} s (+{}…+{} s)", window.start, window.end - 1)
    }
}

/// An empty window (the hazard never occurred).
const NONE: Range<i64> = 0..0;

// ---------------------------------------------------------------------------------------
// 1. Authorization codes (RFC 6749 §4.1.2: "The client MUST NOT use the authorization code
//    more than once. If an authorization code is used more than once, the authorization
//    server MUST deny the request and SHOULD revoke … all tokens previously issued based on
//    that authorization code."; RFC 6749 §10.5). The engine reads `code:<hash>` and writes
//    the code's grant record (`refresh:<hash>` of its derived first refresh token) with
//    `reserve`, with the tokens; finding the grant record already there says "spent".
// ---------------------------------------------------------------------------------------

/// What happened to one code. The browser's session issues it at A; `wait` seconds later
/// it is exchanged at `first`; `d` seconds after that the same code is presented at
/// `second`. One probe on an edge whose browser is signed in at A.
struct CodeReplay {
    first: String,
    replay: String,
    /// The first exchange's grant record was visible where the replay ran.
    used_marker_visible: bool,
    /// The replay revoked the first exchange's tokens (RFC 6749 §4.1.2 "SHOULD revoke").
    revoked: bool,
}

fn code_replay(
    edge: &Edge,
    browser: &Browser,
    first: Loc,
    second: Loc,
    wait: i64,
    d: i64,
) -> CodeReplay {
    let (start, code) = new_code(browser, SCOPE);
    edge.advance(wait);
    let first_response = exchange(edge, first, &start, &code);
    edge.advance(d);
    // The code's grant record lives under the refresh token its exchange returned.
    let used_marker_visible = first_response.status == 200 && {
        let token = str_field(&body(&first_response), "refresh_token");
        edge.peek(second, &grant_key(&token)).is_some()
    };
    let since = edge.now();
    let replay = exchange(edge, second, &start, &code);
    let revoked = match &edge.backend {
        Backend::Kv(_) => wrote(edge, "family-notice", since),
        Backend::Memory(_) => {
            first_response.status == 200 && {
                let access = str_field(&body(&first_response), "access_token");
                userinfo(edge, first, &access).status == 401
            }
        }
    };
    CodeReplay {
        first: outcome(&first_response),
        replay: outcome(&replay),
        used_marker_visible,
        revoked,
    }
}

/// Seconds `d` after the first exchange for which the code is redeemed twice: the first
/// exchange at `first` (`wait` s after the code was issued at A) and the second at `second`
/// both get tokens.
fn double_redemptions(
    config: &str,
    kv: Option<KvConfig>,
    first: Loc,
    second: Loc,
    wait: i64,
) -> Range<i64> {
    let edge = Edge::build(config, kv);
    let browser = signed_in(&edge, A);
    scan(0, SCAN_TO, |d| {
        let r = code_replay(&edge, &browser, first, second, wait, d);
        r.first == "200" && r.replay == "200"
    })
}

/// Seconds after the exchange at A during which a replay at B is refused but revokes
/// nothing (it does not see the grant record, and nothing later acts on that replay).
fn unrevoked_replay_window(kv: Option<KvConfig>) -> i64 {
    let edge = Edge::build(config_text(), kv);
    let browser = signed_in(&edge, A);
    threshold(0, SCAN_TO, |d| {
        let r = code_replay(&edge, &browser, A, B, 0, d);
        assert_eq!(
            (r.first.as_str(), r.replay.as_str()),
            ("200", "400 invalid_grant")
        );
        !r.revoked
    })
}

/// RFC 6749 §4.1.2 across locations, DESIGN.md principle 8: exchanged at A in the second
/// the code was issued (what an SPA does), replayed at B. The replay is refused under every
/// reading; what differs is whether it revokes, which needs the grant record to have reached B.
#[test]
fn code_replay_across_locations() {
    let mut table = String::from(
        "| model | replay at B after exchange at A | replay answer | grant record visible at B | revoked |\n|---|---|---|---|---|\n",
    );
    for kv in schedules() {
        let edge = Edge::kv(kv);
        let browser = signed_in(&edge, A);
        for d in [0, 1, 30, 59, 60, 61] {
            let r = code_replay(&edge, &browser, A, B, 0, d);
            assert_eq!(r.first, "200");
            table += &format!(
                "| {} | +{d} s | {} | {} | {} |\n",
                kv.name(),
                r.replay,
                r.used_marker_visible,
                r.revoked
            );
            assert_eq!(
                r.replay,
                "400 invalid_grant",
                "{} +{d} s: never redeemed twice",
                kv.name()
            );
            // Only uniform propagation hides the grant record (a new key) from B, for P = 60 s.
            let sees_marker = kv != KvConfig::uniform(60) || d >= 60;
            assert_eq!(
                (r.used_marker_visible, r.revoked),
                (sees_marker, sees_marker),
                "{} +{d} s: the replay revokes exactly when B sees the grant record",
                kv.name()
            );
        }
    }
    println!("code replay at another location:\n{table}");

    // The same location never honours a replay, under every reading, and revokes.
    for kv in schedules().map(Some).into_iter().chain([None]) {
        let edge = Edge::build(config_text(), kv);
        let browser = signed_in(&edge, A);
        for d in [0, 1, 30, 59, 61] {
            let r = code_replay(&edge, &browser, A, A, 0, d);
            assert_eq!(
                (r.first.as_str(), r.replay.as_str(), r.revoked),
                ("200", "400 invalid_grant", true),
                "{kv:?} +{d} s at A"
            );
        }
    }
    assert_eq!(unrevoked_replay_window(Some(KvConfig::uniform(60))), 60);
    assert_eq!(
        unrevoked_replay_window(Some(KvConfig::new_keys_fast(60))),
        0
    );
    assert_eq!(unrevoked_replay_window(None), 0);
}

/// A case of `code_redeemed_twice_seconds_apart_…`: configuration, model, first exchange
/// at, second at, first exchange this many seconds after issuance, and the seconds after
/// the first exchange when the second also succeeds.
type CodeCase<'a> = (&'a str, Option<KvConfig>, Loc, Loc, i64, Range<i64>);

/// RFC 6749 §4.1.2, DESIGN.md principle 8 ("the hazard documented and tested"): two
/// exchanges of one code a second or more apart both succeed only where a location sees the
/// code alive but not its grant record (exchanges in flight at the same moment are
/// `concurrent_redemptions_of_one_code_both_succeed_on_kv`). The grant record is written
/// at the first exchange (the code is never deleted on KV), so that needs uniform propagation (a
/// new key as slow as a change) and a code that waited before its first exchange:
///
/// - client first at A, `w` s after issuance: B sees the code from P after issuance and
///   the grant record from P after the exchange, so a replay P − w … P after the exchange is
///   honoured, while the code lives (lifetime L): `[P − w, min(P, L − w))`;
/// - thief first at B (it sees the code from P after issuance, so `w ≥ P`), client later at
///   A, which holds the code (it is never deleted on KV) and sees the thief's grant record
///   P after it: `[0, min(P, L − w))`.
///
/// With the default 60 s codes and P = 60 both are empty: the code reaches another location
/// only as it expires. Where new keys are fast or only caches are stale, the grant record is seen
/// wherever the code is: never.
#[test]
fn code_redeemed_twice_seconds_apart_needs_uniform_propagation_and_a_waiting_code() {
    let long_codes = config_with_code_lifetime(600);
    let short = config_text();
    let long = long_codes.as_str();
    let cases: [CodeCase; 14] = [
        (short, Some(KvConfig::uniform(60)), A, B, 0, NONE),
        (short, Some(KvConfig::uniform(60)), A, B, 30, NONE),
        (short, Some(KvConfig::uniform(60)), B, A, 0, NONE),
        (short, Some(KvConfig::uniform(30)), A, B, 0, NONE),
        (short, Some(KvConfig::uniform(30)), A, B, 20, 10..30),
        (short, Some(KvConfig::uniform(30)), B, A, 30, 0..30),
        (long, Some(KvConfig::uniform(60)), A, B, 20, 40..60),
        (long, Some(KvConfig::uniform(60)), B, A, 60, 0..60),
        (short, Some(KvConfig::new_keys_fast(120)), A, B, 0, NONE),
        (long, Some(KvConfig::new_keys_fast(60)), A, B, 20, NONE),
        (long, Some(KvConfig::new_keys_fast(60)), B, A, 0, NONE),
        (long, Some(KvConfig::cache_only()), A, B, 20, NONE),
        (long, Some(KvConfig::cache_only()), B, A, 0, NONE),
        (long, None, B, A, 60, NONE),
    ];
    let mut table = String::from(
        "| model | code lifetime | first exchange → second | first exchange after issuance | redeemed twice for |\n|---|---|---|---|---|\n",
    );
    let name = |l: Loc| if l == A { "A" } else { "B" };
    let mut failures = Vec::new();
    for (config, kv, first, second, wait, expected) in cases {
        let window = double_redemptions(config, kv, first, second, wait);
        let lifetime = if config == short { 60 } else { 600 };
        let model = kv.map_or("memory store".into(), |kv| kv.name());
        table += &format!(
            "| {model} | {lifetime} s | {} → {} | +{wait} s | {} |\n",
            name(first),
            name(second),
            show(&window)
        );
        if window != expected {
            failures.push(format!(
                "{model}, {lifetime} s codes, {} → {}, +{wait} s: {window:?}, expected {expected:?}",
                name(first),
                name(second)
            ));
        }
    }
    println!("code double redemption:\n{table}");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Two exchanges of one code in flight at the same moment, at `locs` (a double-submitted
/// callback, a retry racing the original, a thief racing the client).
fn redeem_together(
    edge: &Edge,
    start: &op_support::AuthStart,
    code: &str,
    locs: [Loc; 2],
) -> [oidc_edge::op::Response; 2] {
    let request = token_request(&code_form(start, code));
    edge.send_together(&[(locs[0], &request), (locs[1], &request)])
        .try_into()
        .unwrap()
}

/// Two exchanges of one code in flight at once at `locs`, on a fresh edge: both answers,
/// and whether tokens one of them got are refused afterwards where the other ran (an access
/// token refused at /userinfo there: the other found the grant record and revoked what it
/// names, RFC 6749 §4.1.2).
fn race_for_one_code(kv: Option<KvConfig>, locs: [Loc; 2]) -> ([String; 2], bool) {
    let edge = Edge::build(config_text(), kv);
    let (_b, start, code) = sign_in(&edge, A, SCOPE, 0);
    let responses = redeem_together(&edge, &start, &code, locs);
    let answers = responses.each_ref().map(outcome);
    let revoked = (0..2).any(|i| {
        answers[i] == "200" && {
            let access = str_field(&body(&responses[i]), "access_token");
            userinfo(&edge, locs[1 - i], &access).status == 401
        }
    });
    (answers, revoked)
}

/// RFC 6749 §4.1.2 under true concurrency. The exchange reads the code with `get` and
/// writes its grant record with `reserve`; on KV `reserve` is a get then a put, so two
/// exchanges whose reads overlap both find the code and both find no grant record before
/// either writes it: the code is redeemed twice at one location, under every reading, and
/// at two locations wherever B already sees the code (under uniform propagation B does not,
/// and refuses without writing anything). MemoryStore's atomic `reserve` lets one write the
/// record; the other finds the winner's record, answers `invalid_grant` and revokes what the
/// winner issued.
///
/// With KV's 1 write/s per key enforced, the second grant-record put is refused (429); the
/// Worker's adapter (worker/src/kv.rs) reads a refused write of a write-once record as
/// another request having just written that very record, so its `reserve` answers "already
/// present" and that exchange is the replay: `invalid_grant`, as on MemoryStore, with no
/// token issued (not 503: the refused write is the protocol's answer, not a store failure).
/// Whether it also revokes the winner's tokens depends on where it ran: at A it reads the
/// winner's record (written at A) and revokes; at B its own read a moment before cached
/// "absent", so it finds nothing to revoke, and the winner's tokens stay valid. The platform
/// documents the 429, not that it holds as a lock across locations.
#[test]
fn concurrent_redemptions_of_one_code_both_succeed_on_kv() {
    let twice = (["200", "200"], false);
    let once = (["200", "400 invalid_grant"], false);
    let once_revoked = (["200", "400 invalid_grant"], true);
    let cases = [
        (Some(KvConfig::uniform(60)), [A, A], twice, once_revoked),
        (Some(KvConfig::uniform(60)), [A, B], once, once),
        (
            Some(KvConfig::new_keys_fast(60)),
            [A, A],
            twice,
            once_revoked,
        ),
        (Some(KvConfig::new_keys_fast(60)), [A, B], twice, once),
        (Some(KvConfig::cache_only()), [A, A], twice, once_revoked),
        (Some(KvConfig::cache_only()), [A, B], twice, once),
        (None, [A, A], once_revoked, once_revoked),
    ];
    let mut table = String::from(
        "| model | in flight at | answers | tokens revoked | answers, 1 write/s enforced | tokens revoked |\n|---|---|---|---|---|---|\n",
    );
    let name = |l: Loc| if l == A { "A" } else { "B" };
    for (kv, locs, expected, expected_enforced) in cases {
        let enforced = kv.map(|kv| KvConfig {
            enforce_write_limit: true,
            ..kv
        });
        let [plain, limited] = [kv, enforced].map(|kv| race_for_one_code(kv, locs));
        let model = kv.map_or("memory store".into(), |kv| kv.name());
        table += &format!(
            "| {model} | {} + {} | {} | {} | {} | {} |\n",
            name(locs[0]),
            name(locs[1]),
            plain.0.join(", "),
            plain.1,
            limited.0.join(", "),
            limited.1
        );
        assert_eq!(
            (plain.0.each_ref().map(String::as_str), plain.1),
            expected,
            "{model} {locs:?}"
        );
        assert_eq!(
            (limited.0.each_ref().map(String::as_str), limited.1),
            expected_enforced,
            "{model} {locs:?}, 1 write/s enforced"
        );
    }
    println!("one code, two exchanges in flight at once:\n{table}");
}

/// After a double redemption and a replay of the code: refresh with each redemption's
/// refresh token, and /userinfo with each access token, at A and at B.
struct AfterDoubleRedemption {
    /// Refresh (earlier, later), userinfo (earlier, later): [at A, at B], 120 s after the
    /// replay.
    answers: [[String; 2]; 4],
    /// Seconds after the replay during which the earlier access token is still accepted
    /// at A and B.
    earlier_accepted_for: i64,
}

/// The code redeemed twice, by two exchanges in flight at once at A (`racing`; default
/// config), or (600 s codes) at A 20 s after issuance and at B 45 s later; the code
/// replayed at A 200 s after that. `None` when the backend refuses the second redemption.
fn after_double_redemption(kv: Option<KvConfig>, racing: bool) -> Option<AfterDoubleRedemption> {
    let long_codes = config_with_code_lifetime(600);
    let config = if racing { config_text() } else { &long_codes };
    let edge = Edge::build(config, kv);
    let (_b, start, code) = sign_in(&edge, A, SCOPE, 0);
    let [earlier, later] = if racing {
        redeem_together(&edge, &start, &code, [A, A])
    } else {
        edge.advance(20);
        let earlier = exchange(&edge, A, &start, &code);
        edge.advance(45);
        [earlier, exchange(&edge, B, &start, &code)]
    };
    assert_eq!(earlier.status, 200);
    if later.status != 200 {
        return None;
    }
    let [earlier, later] = [body(&earlier), body(&later)];
    let family = |tokens: &Value| {
        let key = grant_key(&str_field(tokens, "refresh_token"));
        stored(&edge, &key).unwrap()["family"].clone()
    };
    assert_eq!(family(&earlier), family(&later), "one family for both");
    let access = |tokens: &Value| str_field(tokens, "access_token");
    assert_eq!(
        str_field(&earlier, "refresh_token"),
        str_field(&later, "refresh_token"),
        "the code's refresh token is derived: one for both"
    );

    // Long after both propagated, a replay (the thief's, or the client's by mistake).
    edge.advance(200);
    assert_eq!(
        outcome(&exchange(&edge, A, &start, &code)),
        "400 invalid_grant"
    );
    let replayed = edge.now();
    // From the replay on, the earlier access token at A and at B every second, until both
    // refuse it (its `gid` names the revoked family) or it expires.
    let both = |f: &dyn Fn(Loc) -> String| [f(A), f(B)];
    let exp = access_claims(&access(&earlier))["exp"].as_i64().unwrap();
    let earlier_accepted_for = loop {
        let accepted = both(&|l| userinfo(&edge, l, &access(&earlier)).status.to_string());
        if accepted == ["401", "401"] {
            break edge.now() - replayed;
        }
        assert!(edge.now() < exp, "accepted until it expired");
        edge.advance(1);
    };
    edge.advance((replayed + 120 - edge.now()).max(0));
    let answers = [
        both(&|l| outcome(&refresh(&edge, l, &str_field(&earlier, "refresh_token")))),
        both(&|l| outcome(&refresh(&edge, l, &str_field(&later, "refresh_token")))),
        both(&|l| outcome(&userinfo(&edge, l, &access(&earlier)))),
        both(&|l| outcome(&userinfo(&edge, l, &access(&later)))),
    ];
    Some(AfterDoubleRedemption {
        answers,
        earlier_accepted_for,
    })
}

/// What a double redemption still leaves behind (RFC 6749 §4.1.2: revoke "all tokens
/// previously issued based on that authorization code"). Both redemptions share one refresh
/// family (derived from the code) and one refresh token, and both access tokens name the
/// family (`gid`); the grant record holds one access-token `jti` (the later redemption's
/// write replaces the earlier's), so the earlier access token is revoked through its family:
/// at A at once, at B once the family's revocation (a new key) is visible there. Measured
/// for both ways a code is still redeemed twice: two exchanges in flight at once at A (every
/// reading), and, under uniform propagation, a code exchanged at A 20 s after issuance and
/// again at B 45 s later.
#[test]
fn double_redemption_revokes_the_refresh_chain_and_both_access_tokens() {
    let mut table = String::from(
        "| double redemption, code replayed at A 200 s later; answers 120 s after that at A; at B | refresh, earlier | refresh, later | access token, earlier | access token, later | earlier access token still accepted after the replay |\n|---|---|---|---|---|---|\n",
    );
    let refused = "400 invalid_grant".to_owned();
    let revoked = "401 invalid_token".to_owned();
    let expected = [
        [refused.clone(), refused.clone()],
        [refused.clone(), refused],
        [revoked.clone(), revoked.clone()],
        [revoked.clone(), revoked],
    ];
    let cases = [
        (
            "in flight at once at A",
            Some(KvConfig::uniform(60)),
            true,
            60,
        ),
        (
            "in flight at once at A",
            Some(KvConfig::new_keys_fast(60)),
            true,
            0,
        ),
        (
            "in flight at once at A",
            Some(KvConfig::cache_only()),
            true,
            0,
        ),
        (
            "at A +20 s, at B +65 s, 600 s codes",
            Some(KvConfig::uniform(60)),
            false,
            60,
        ),
    ];
    for (what, kv, racing, accepted_for) in cases {
        let model = kv.map_or("memory store".into(), |kv| kv.name());
        let after = after_double_redemption(kv, racing).expect(what);
        table += &format!("| {what}, {model} |");
        for [at_a, at_b] in &after.answers {
            table += &format!(" {at_a}; {at_b} |");
        }
        table += &format!(" {} s |\n", after.earlier_accepted_for);
        assert_eq!(after.answers, expected, "{what}, {model}");
        assert_eq!(
            after.earlier_accepted_for, accepted_for,
            "{what}, {model}: until the family's revocation reaches B"
        );
    }
    assert!(
        after_double_redemption(None, true).is_none(),
        "MemoryStore refuses the second of two exchanges in flight at once"
    );
    println!("after a double redemption:\n{table}");
}

// ---------------------------------------------------------------------------------------
// 2. Refresh tokens (RFC 6749 §6, §10.4; OAuth 2.0 Security BCP (RFC 9700) §4.14.2:
//    rotation, and reuse of an old token revokes the family). `refresh:` records are
//    written once; a rotation writes the successor, then a `rotated:` mark; a reuse within
//    30 s whose successor has no mark yet is a lost-response retry (same successor).
// ---------------------------------------------------------------------------------------

struct RefreshReuse {
    rotation: String,
    reuse: String,
    /// The reuse got the very successor the legitimate rotation got.
    same_successor: bool,
    /// The reuse revoked the family.
    family_revoked: bool,
    /// The reuse wrote a `rotated:` mark (it re-rotated the old token).
    remarked: bool,
}

/// rt1 issued at A; rotated at A `REFRESH_AFTER` seconds later; rt1 presented again at
/// `second` `d` seconds after the rotation, and, for each of `again`, that many seconds
/// later again at `second` (the last presentation is reported). One probe on an edge whose
/// browser is signed in at A.
fn refresh_reuse(
    edge: &Edge,
    browser: &Browser,
    second: Loc,
    d: i64,
    again: &[i64],
) -> Vec<RefreshReuse> {
    let (start, code) = new_code(browser, SCOPE);
    let rt1 = str_field(&body(&exchange(edge, A, &start, &code)), "refresh_token");
    edge.advance(REFRESH_AFTER);
    let rotation = refresh(edge, A, &rt1);
    let rt2 = str_field(&body(&rotation), "refresh_token");
    let family = stored(edge, &grant_key(&rt1)).unwrap()["family"]
        .as_str()
        .unwrap()
        .to_owned();
    let mark_key = rotation_key(&rt1);
    let mut out = Vec::new();
    for step in std::iter::once(d).chain(again.iter().copied()) {
        edge.advance(step);
        let since = edge.now();
        let mark_before = stored(edge, &mark_key);
        let reuse = refresh(edge, second, &rt1);
        let family_revoked = stored(edge, &family_key(&family)).is_some();
        let remarked = match &edge.backend {
            Backend::Kv(_) => wrote(edge, "rotated", since),
            Backend::Memory(_) => stored(edge, &mark_key) != mark_before,
        };
        out.push(RefreshReuse {
            rotation: outcome(&rotation),
            same_successor: reuse.status == 200 && body(&reuse)["refresh_token"] == rt2.as_str(),
            reuse: outcome(&reuse),
            family_revoked,
            remarked,
        });
        if family_revoked {
            break;
        }
    }
    out
}

/// Seconds after a rotation during which the old token, presented once at `second`, still
/// refreshes.
fn refresh_window(kv: Option<KvConfig>, second: Loc) -> i64 {
    let edge = Edge::build(config_text(), kv);
    let browser = signed_in(&edge, A);
    threshold(0, SCAN_TO, |d| {
        refresh_reuse(&edge, &browser, second, d, &[])[0].reuse == "200"
    })
}

/// Seconds after a rotation during which the old token still refreshes at B when it is
/// presented there twice: first at the last second a single presentation is honoured, then
/// again. Under uniform propagation that first presentation re-rotates the token (B does not
/// see the mark) and writes B's own `rotated:` mark, whose later time restarts the grace.
fn refresh_window_twice(kv: Option<KvConfig>) -> i64 {
    let last = refresh_window(kv, B) - 1;
    let edge = Edge::build(config_text(), kv);
    let browser = signed_in(&edge, A);
    last + threshold(1, SCAN_TO, |k| {
        let r = refresh_reuse(&edge, &browser, B, last, &[k]);
        assert_eq!(r[0].reuse, "200", "the first presentation is honoured");
        r.len() == 2 && r[1].reuse == "200"
    })
}

/// Security BCP (RFC 9700) §4.14.2 across locations, DESIGN.md principle 8: rotation at A,
/// the old token at B. Under uniform propagation B does not see the `rotated:` mark for
/// 60 s and re-rotates (same derived successor, and a mark of its own); otherwise B sees
/// the mark at once and only the 30 s grace honours the old token, as on MemoryStore.
#[test]
fn refresh_reuse_across_locations() {
    let mut table = String::from(
        "| model | old token at B after rotation at A | answer | same successor | re-rotated | family revoked |\n|---|---|---|---|---|---|\n",
    );
    for kv in schedules() {
        let edge = Edge::kv(kv);
        let browser = signed_in(&edge, A);
        let stale = kv == KvConfig::uniform(60);
        for d in [1, 30, 31, 59, 60, 61] {
            let r = &refresh_reuse(&edge, &browser, B, d, &[])[0];
            assert_eq!(r.rotation, "200");
            table += &format!(
                "| {} | +{d} s | {} | {} | {} | {} |\n",
                kv.name(),
                r.reuse,
                r.same_successor,
                r.remarked,
                r.family_revoked
            );
            let honoured_until = if stale { 59 } else { 30 };
            if d <= honoured_until {
                assert_eq!(r.reuse, "200", "{} +{d} s", kv.name());
                assert!(
                    r.same_successor,
                    "the successor is derived from the token: no second branch, but the \
                     reuser now holds the legitimate client's next token"
                );
                assert!(!r.family_revoked, "{} +{d} s: reuse undetected", kv.name());
                assert_eq!(
                    r.remarked,
                    stale,
                    "{} +{d} s: B re-rotates only where it cannot see the mark",
                    kv.name()
                );
            } else {
                assert_eq!(r.reuse, "400 invalid_grant", "{} +{d} s", kv.name());
                assert!(r.family_revoked, "{} +{d} s: reuse detected", kv.name());
            }
        }
    }
    println!("refresh reuse:\n{table}");

    // Presented at B at the last undetected second, then again: under uniform propagation
    // B's own mark (rewritten with B's time, last writer wins) restarts the 30 s grace, so
    // the old token is honoured up to P + 30 s after the real rotation.
    let edge = Edge::kv(KvConfig::uniform(60));
    let browser = signed_in(&edge, A);
    let r = refresh_reuse(&edge, &browser, B, 59, &[30, 1]);
    let answers: Vec<(&str, bool, bool)> = r
        .iter()
        .map(|r| (r.reuse.as_str(), r.same_successor, r.family_revoked))
        .collect();
    assert_eq!(
        answers,
        [
            ("200", true, false),
            ("200", true, false),
            ("400 invalid_grant", false, true)
        ],
        "+59 s, +89 s, +90 s"
    );
    let windows: Vec<(String, i64)> = schedules()
        .map(Some)
        .into_iter()
        .chain([None])
        .map(|kv| {
            let name = kv.map_or("memory store".into(), |kv| kv.name());
            (name, refresh_window_twice(kv))
        })
        .collect();
    println!("old token honoured at B when presented twice: {windows:?}");
    let expected = [90, 31, 31, 31];
    assert_eq!(windows.iter().map(|w| w.1).collect::<Vec<_>>(), expected);
}

/// A thief re-rotates a stolen parent (rt1) at B, where rt1's rotation is not visible yet,
/// after the client has already rotated its successor (rt2) at A. Returns what presenting
/// rt2 100 s after its rotation gets, and whether the central store lost rt2's rotation
/// mark (it must not: marks are write-once keys of their own).
fn rollback(kv: Option<KvConfig>) -> (String, bool) {
    let edge = Edge::build(config_text(), kv);
    let (_b, start, code) = sign_in(&edge, A, SCOPE, 0);
    let rt1 = str_field(&body(&exchange(&edge, A, &start, &code)), "refresh_token");
    edge.advance(REFRESH_AFTER);
    let rt2 = str_field(&body(&refresh(&edge, A, &rt1)), "refresh_token");
    edge.advance(5);
    // The legitimate client refreshes again (another tab); rt2 is now rotated.
    assert_eq!(refresh(&edge, A, &rt2).status, 200);
    edge.advance(5);
    // The thief presents the stolen rt1 at B, 10 s after its rotation.
    let stolen = refresh(&edge, B, &rt1);
    let mark_lost = match &edge.backend {
        Backend::Kv(kv) => kv.central(&rotation_key(&rt2)).is_none(),
        Backend::Memory(_) => false,
    };
    if stolen.status == 200 {
        assert_eq!(body(&stolen)["refresh_token"], rt2.as_str());
    }
    // 100 s after rt2 was rotated, rt2 is presented at A.
    edge.advance(95);
    (outcome(&refresh(&edge, A, &rt2)), mark_lost)
}

/// Security BCP (RFC 9700) §4.14.2, DESIGN.md principle 8: a reuse that a strongly
/// consistent store detects stays detectable when a stale location re-rotates the parent.
/// (An earlier engine kept the rotation mark inside the successor's record, which the
/// stale re-rotation overwrote; rotation marks are now write-once keys.)
#[test]
fn stale_rerotation_cannot_erase_the_successors_rotation_mark() {
    let (memory, _) = rollback(None);
    assert_eq!(memory, "400 invalid_grant", "memory store: reuse detected");
    let mut table = String::from(
        "| model | rt2 presented 100 s after its rotation | rotation mark lost centrally |\n|---|---|---|\n| memory store | 400 invalid_grant | false |\n",
    );
    for kv in [KvConfig::uniform(60), KvConfig::new_keys_fast(60)] {
        let (answer, lost) = rollback(Some(kv));
        table += &format!("| {} | {answer} | {lost} |\n", kv.name());
        assert!(!lost, "{}: the rotation mark survived", kv.name());
        assert_eq!(
            answer,
            "400 invalid_grant",
            "{}: a token rotated 100 s ago is refused",
            kv.name()
        );
    }
    println!("successor rotation mark:\n{table}");
}

// ---------------------------------------------------------------------------------------
// 3. DPoP proofs (RFC 9449 §11.1: a proof is single use, by `jti`; §4.3 step 11 bounds it
//    by `iat`). The check records `jti` with `reserve`, which on KV is get then put.
// ---------------------------------------------------------------------------------------

/// One proof for `GET /userinfo` used at A, then the same proof at `second` `d` s later.
/// One probe on an edge whose browser is signed in at A.
fn dpop_replay(edge: &Edge, browser: &Browser, second: Loc, d: i64) -> (String, String) {
    let key = op_support::dpop_key(31);
    let (start, code) = new_code(browser, "openid");
    let tokens = exchange_dpop(edge, A, &key, &start, &code);
    let access = str_field(&tokens, "access_token");
    edge.advance(1);
    let url = format!("{ISSUER}/userinfo");
    let p = proof(edge, &key, "GET", &url, Some(&access), None);
    let first = userinfo_dpop(edge, A, &access, &p);
    edge.advance(d);
    let again = userinfo_dpop(edge, second, &access, &p);
    (outcome(&first), outcome(&again))
}

fn dpop_window(kv: Option<KvConfig>, second: Loc, hi: i64) -> i64 {
    let edge = Edge::build(config_text(), kv);
    let browser = signed_in(&edge, A);
    threshold(0, hi, |d| {
        dpop_replay(&edge, &browser, second, d) == ("200".into(), "200".into())
    })
}

/// Two requests with the same proof in flight at the same moment at A (RFC 9449 §11.1):
/// both answers. On KV `reserve` is a get then a put, so both may read "absent".
fn dpop_race(kv: Option<KvConfig>) -> [String; 2] {
    let edge = Edge::build(config_text(), kv);
    let key = op_support::dpop_key(35);
    let (_b, start, code) = sign_in(&edge, A, "openid", 0);
    let access = str_field(
        &exchange_dpop(&edge, A, &key, &start, &code),
        "access_token",
    );
    edge.advance(1);
    let url = format!("{ISSUER}/userinfo");
    let p = proof(&edge, &key, "GET", &url, Some(&access), None);
    let request = oidc_edge::op::Request::new("GET", &url)
        .with_header("authorization", &format!("DPoP {access}"))
        .with_header("dpop", &p);
    let [r0, r1]: [oidc_edge::op::Response; 2] = edge
        .send_together(&[(A, &request), (A, &request)])
        .try_into()
        .unwrap();
    [outcome(&r0), outcome(&r1)]
}

/// RFC 9449 §11.1 across locations, DESIGN.md principle 8 (`jti` through `reserve`,
/// which on KV is get then put): the same proof at A, then at B; and two requests with one
/// proof in flight at once at A.
#[test]
fn dpop_jti_replay_across_locations() {
    let mut table = String::from("| model | same proof at B after A | answer |\n|---|---|---|\n");
    for (kv, hazard) in [
        (KvConfig::uniform(60), true),
        (KvConfig::new_keys_fast(60), false),
        (KvConfig::cache_only(), false),
    ] {
        let edge = Edge::kv(kv);
        let browser = signed_in(&edge, A);
        for d in [1, 30, 59, 61] {
            let (first, again) = dpop_replay(&edge, &browser, B, d);
            assert_eq!(first, "200");
            table += &format!("| {} | +{d} s | {again} |\n", kv.name());
            let expected = if hazard && d < 60 {
                "200"
            } else {
                "401 invalid_dpop_proof"
            };
            assert_eq!(again, expected, "{} +{d} s", kv.name());
        }
    }
    println!("DPoP proof replay:\n{table}");
    // The same location refuses at once; the proof's own age limit (300 s + 5 s tolerance)
    // is the outer bound when propagation is slower than that.
    assert_eq!(dpop_window(Some(KvConfig::uniform(60)), A, 200), 0);
    assert_eq!(dpop_window(Some(KvConfig::uniform(400)), B, 400), 306);
    // Two requests with one proof in flight at once: both accepted on KV, at one location,
    // under every reading; MemoryStore's atomic `reserve` refuses the second. With KV's
    // 1 write/s per key enforced, the second `jti` put is refused, which the Worker's adapter
    // reads as "already present": the second is refused as on MemoryStore.
    for kv in schedules() {
        assert_eq!(dpop_race(Some(kv)), ["200", "200"], "{}", kv.name());
        let enforced = KvConfig {
            enforce_write_limit: true,
            ..kv
        };
        assert_eq!(
            dpop_race(Some(enforced)),
            ["200", "401 invalid_dpop_proof"],
            "{}, 1 write/s enforced",
            kv.name()
        );
    }
    assert_eq!(dpop_race(None), ["200", "401 invalid_dpop_proof"]);
}

// ---------------------------------------------------------------------------------------
// 4. Revocation (RFC 6749 §4.1.2; RFC 7009 §2.2's "invalidated immediately" is what a KV
//    deployment cannot promise): `family:<id>` and `family-notice:<id>` written at A, read
//    at B by the refresh grant and by /userinfo (through the access token's `gid`).
// ---------------------------------------------------------------------------------------

/// Code replay at A revokes the access token; /userinfo at B: seconds until it refuses.
/// `polling`: B served that token every second since before the revocation (each look-up
/// caches "absent"); otherwise B's first look-up comes `d` seconds after.
fn revocation_delay(kv: Option<KvConfig>, polling: bool) -> i64 {
    let edge = Edge::build(config_text(), kv);
    let browser = signed_in(&edge, A);
    let run = |d_cold: Option<i64>| -> i64 {
        let (start, code) = new_code(&browser, SCOPE);
        let access = str_field(&body(&exchange(&edge, A, &start, &code)), "access_token");
        edge.advance(1);
        if polling {
            assert_eq!(userinfo(&edge, B, &access).status, 200);
        }
        edge.advance(1);
        assert_eq!(
            outcome(&exchange(&edge, A, &start, &code)),
            "400 invalid_grant"
        );
        assert_eq!(
            userinfo(&edge, A, &access).status,
            401,
            "at once where revoked"
        );
        let revoked_at = edge.now();
        match d_cold {
            Some(d) => {
                edge.advance(d);
                i64::from(userinfo(&edge, B, &access).status == 200)
            }
            None => loop {
                if userinfo(&edge, B, &access).status == 401 {
                    return edge.now() - revoked_at;
                }
                assert!(edge.now() - revoked_at < 600, "never refused");
                edge.advance(1);
            },
        }
    };
    if polling {
        run(None)
    } else {
        threshold(0, SCAN_TO, |d| run(Some(d)) == 1)
    }
}

/// Code replay at A revokes the refresh family (the `family:` record a detected refresh
/// reuse writes too); the holder of the family's current refresh token at B: seconds until
/// B refuses it. `polling`: the holder refreshed at B every second since before the
/// revocation (each refresh reads `family:`, caching "absent", and rotates); otherwise its
/// first refresh at B comes `d` seconds after.
fn family_revocation_delay(kv: Option<KvConfig>, polling: bool) -> i64 {
    let edge = Edge::build(config_text(), kv);
    let browser = signed_in(&edge, A);
    let run = |d_cold: Option<i64>| -> i64 {
        let (start, code) = new_code(&browser, SCOPE);
        let mut rt = str_field(&body(&exchange(&edge, A, &start, &code)), "refresh_token");
        let family = stored(&edge, &grant_key(&rt)).unwrap()["family"]
            .as_str()
            .unwrap()
            .to_owned();
        // The refresh record has reached B under every reading.
        edge.advance(61);
        if polling {
            let r = refresh(&edge, B, &rt);
            assert_eq!(r.status, 200);
            rt = str_field(&body(&r), "refresh_token");
        }
        edge.advance(1);
        assert_eq!(
            outcome(&exchange(&edge, A, &start, &code)),
            "400 invalid_grant"
        );
        assert!(
            stored(&edge, &family_key(&family)).is_some(),
            "the replay revoked the family"
        );
        if !polling {
            assert_eq!(
                outcome(&refresh(&edge, A, &rt)),
                "400 invalid_grant",
                "at once where revoked"
            );
        }
        let revoked_at = edge.now();
        match d_cold {
            Some(d) => {
                edge.advance(d);
                i64::from(refresh(&edge, B, &rt).status == 200)
            }
            None => loop {
                let r = refresh(&edge, B, &rt);
                if r.status != 200 {
                    assert_eq!(outcome(&r), "400 invalid_grant");
                    return edge.now() - revoked_at;
                }
                rt = str_field(&body(&r), "refresh_token");
                assert!(edge.now() - revoked_at < 600, "never refused");
                edge.advance(1);
            },
        }
    };
    if polling {
        run(None)
    } else {
        threshold(0, SCAN_TO, |d| run(Some(d)) == 1)
    }
}

/// RFC 6749 §4.1.2 ("SHOULD revoke") and RFC 9700 §4.14.2 (revoke the family) meet
/// DESIGN.md principle 8 ("negative lookups cached"): how long a revoked access token, and
/// a revoked refresh family, keep working at another location.
#[test]
fn revocation_visibility_across_locations() {
    let mut table = String::from(
        "| model | access token: B's first look-up after | access token: B polling every second | family: B's first refresh after | family: B refreshing every second |\n|---|---|---|---|---|\n",
    );
    let expected = [
        [60, 119, 60, 119],
        [0, 59, 0, 59],
        [0, 59, 0, 59],
        [0, 0, 0, 0],
    ];
    let models = schedules().map(Some).into_iter().chain([None]);
    for (kv, expected) in models.zip(expected) {
        let measured = [
            revocation_delay(kv, false),
            revocation_delay(kv, true),
            family_revocation_delay(kv, false),
            family_revocation_delay(kv, true),
        ];
        let name = kv.map_or("memory store".into(), |kv| kv.name());
        table += &format!(
            "| {name} | {} s | {} s | {} s | {} s |\n",
            measured[0], measured[1], measured[2], measured[3]
        );
        assert_eq!(measured, expected, "{name}");
    }
    println!("revocation still not honoured at B for:\n{table}");
}

// ---------------------------------------------------------------------------------------
// 5. Writes per key: "Writes to same key: 1 per second" (KV limits page).
// ---------------------------------------------------------------------------------------

fn violations(edge: &Edge, count_deletes: bool) -> Vec<String> {
    let mut out: Vec<String> = edge
        .kv_model()
        .rate_violations(count_deletes)
        .into_iter()
        .map(|v| v.prefix)
        .collect();
    // By name: concurrent writes land in either order.
    out.sort();
    out.dedup();
    out
}

/// A code exchanged at A 1 s after its issuance (so the code's put and delete fall in two
/// seconds), with `scope`; returns the token response.
fn fresh_exchange(edge: &Edge, scope: &str) -> (op_support::AuthStart, String, Value) {
    let (_b, start, code) = sign_in(edge, A, scope, 5);
    edge.advance(1);
    let tokens = exchange(edge, A, &start, &code);
    assert_eq!(tokens.status, 200);
    (start, code, body(&tokens))
}

/// DESIGN.md principle 8, "1 write/s per key": which flows write one key twice within a
/// second. At one location, requests one after another never do (a code is never deleted on
/// KV, so an SPA exchanging it in the second it was issued writes it once); the same request twice
/// in flight at once does, and so does the same request at two locations in one second,
/// each writing what it cannot see the other write. (Every
/// TTL the engine writes is at least KV's 60 s minimum: `records::put` clamps, the DPoP
/// replay window is 311 s.)
#[test]
fn writes_per_key_per_second() {
    let mut table = String::from(
        "| flow | keys written twice in one second (puts) | (puts + deletes) |\n|---|---|---|\n",
    );
    let mut row = |flow: &str, edge: &Edge| -> (Vec<String>, Vec<String>) {
        let found = (violations(edge, false), violations(edge, true));
        table += &format!("| {flow} | {:?} | {:?} |\n", found.0, found.1);
        found
    };
    let none: Vec<String> = vec![];
    let names = |names: &[&str]| -> Vec<String> { names.iter().map(|&n| n.to_owned()).collect() };

    // Sign-in with 5 s of typing; the SPA posts the code in the redirect's second.
    let edge = Edge::kv(KvConfig::default());
    let (_b, start, code) = sign_in(&edge, A, SCOPE, 5);
    let rt1 = str_field(&body(&exchange(&edge, A, &start, &code)), "refresh_token");
    let found = row("sign-in, code exchanged in the redirect's second", &edge);
    assert_eq!(found, (none.clone(), none.clone()));

    // Rotation later, a lost-response retry 1 s after it (no write), a normal rotation.
    edge.advance(REFRESH_AFTER);
    let rt2 = str_field(&body(&refresh(&edge, A, &rt1)), "refresh_token");
    edge.advance(1);
    assert_eq!(
        body(&refresh(&edge, A, &rt1))["refresh_token"],
        rt2.as_str()
    );
    edge.advance(REFRESH_AFTER);
    assert_eq!(refresh(&edge, A, &rt2).status, 200);
    let found = row("+ rotation, grace retry 1 s later, rotation", &edge);
    assert_eq!(found, (none.clone(), none.clone()));

    // Refresh in the same second as the exchange: the old token's record is not rewritten;
    // a second tab refreshing in that second too gets the grace (no write).
    let edge = Edge::kv(KvConfig::default());
    let (_, _, tokens) = fresh_exchange(&edge, SCOPE);
    let rt1 = str_field(&tokens, "refresh_token");
    assert_eq!(refresh(&edge, A, &rt1).status, 200);
    assert_eq!(refresh(&edge, A, &rt1).status, 200);
    let found = row(
        "code exchanged, then refreshed twice (two tabs), all in one second at A",
        &edge,
    );
    assert_eq!(found, (none.clone(), none.clone()));

    // A code replayed three times in one second writes the revocation once.
    let edge = Edge::kv(KvConfig::default());
    let (start, code, _) = fresh_exchange(&edge, SCOPE);
    edge.advance(1);
    for _ in 0..3 {
        assert_eq!(
            outcome(&exchange(&edge, A, &start, &code)),
            "400 invalid_grant"
        );
    }
    let found = row("code replayed 3 times within one second at A", &edge);
    assert_eq!(found, (none.clone(), none.clone()));

    // One refresh token at A and at B in one second (two tabs routed apart). Under uniform
    // propagation B does not see A's `rotated:` mark and rotates again: the successor's
    // record and the mark are written twice. Where new keys are fast, B sees the mark and
    // takes the grace path (no write).
    for (kv, expected) in [
        (KvConfig::uniform(60), names(&["refresh", "rotated"])),
        (KvConfig::new_keys_fast(60), none.clone()),
    ] {
        let edge = Edge::kv(kv);
        let (_, _, tokens) = fresh_exchange(&edge, SCOPE);
        let rt1 = str_field(&tokens, "refresh_token");
        edge.advance(REFRESH_AFTER);
        let at_a = body(&refresh(&edge, A, &rt1));
        let at_b = body(&refresh(&edge, B, &rt1));
        assert_eq!(at_a["refresh_token"], at_b["refresh_token"]);
        let found = row(
            &format!(
                "one refresh token at A and at B in one second ({})",
                kv.name()
            ),
            &edge,
        );
        assert_eq!(found, (expected.clone(), expected));
    }

    // Requests in flight at the same moment at one location read before either writes:
    // two exchanges of one code both write its grant record; two
    // refreshes of one token both write the successor and the mark.
    let edge = Edge::kv(KvConfig::default());
    let (_b, start, code) = sign_in(&edge, A, SCOPE, 5);
    edge.advance(1);
    let statuses = redeem_together(&edge, &start, &code, [A, A]).map(|r| r.status);
    assert_eq!(statuses, [200, 200]);
    let found = row("two exchanges of one code in flight at once at A", &edge);
    assert_eq!(found, (names(&["refresh"]), names(&["refresh"])));
    let edge = Edge::kv(KvConfig::default());
    let (_, _, tokens) = fresh_exchange(&edge, SCOPE);
    edge.advance(REFRESH_AFTER);
    let request = token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &str_field(&tokens, "refresh_token")),
        ("client_id", op_support::SPA),
    ]);
    let [r0, r1]: [oidc_edge::op::Response; 2] = edge
        .send_together(&[(A, &request), (A, &request)])
        .try_into()
        .unwrap();
    assert_eq!(body(&r0)["refresh_token"], body(&r1)["refresh_token"]);
    let found = row("two refreshes of one token in flight at once at A", &edge);
    assert_eq!(
        found,
        (
            names(&["refresh", "rotated"]),
            names(&["refresh", "rotated"])
        )
    );

    // Reuse of a rotated token at A and at B in the same second (uniform P=60): each
    // location revokes the family, not seeing the other's write.
    let edge = Edge::kv(KvConfig::uniform(60));
    let (_, _, tokens) = fresh_exchange(&edge, SCOPE);
    let rt1 = str_field(&tokens, "refresh_token");
    edge.advance(REFRESH_AFTER);
    assert_eq!(refresh(&edge, A, &rt1).status, 200);
    edge.advance(61);
    assert_eq!(outcome(&refresh(&edge, A, &rt1)), "400 invalid_grant");
    assert_eq!(outcome(&refresh(&edge, B, &rt1)), "400 invalid_grant");
    let found = row("rotated token reused at A and B in one second", &edge);
    assert_eq!(found.0, names(&["family", "family-notice"]));

    // A code replayed at A and at B in one second, once the grant record is visible at B
    // (uniform P=60): each writes `family` and `family-notice`, not seeing the other's.
    let edge = Edge::kv(KvConfig::uniform(60));
    let (start, code, _) = fresh_exchange(&edge, SCOPE);
    edge.advance(61);
    assert_eq!(
        outcome(&exchange(&edge, A, &start, &code)),
        "400 invalid_grant"
    );
    assert_eq!(
        outcome(&exchange(&edge, B, &start, &code)),
        "400 invalid_grant"
    );
    let found = row("code replayed at A and B in one second", &edge);
    assert_eq!(found.0, names(&["family", "family-notice"]));

    // The same DPoP proof at A and B in one second (uniform P=60): both accepted, both put.
    let edge = Edge::kv(KvConfig::uniform(60));
    let key = op_support::dpop_key(32);
    let (_b, start, code) = sign_in(&edge, A, "openid", 5);
    edge.advance(1);
    let access = str_field(
        &exchange_dpop(&edge, A, &key, &start, &code),
        "access_token",
    );
    edge.advance(1);
    let p = proof(
        &edge,
        &key,
        "GET",
        &format!("{ISSUER}/userinfo"),
        Some(&access),
        None,
    );
    assert_eq!(userinfo_dpop(&edge, A, &access, &p).status, 200);
    assert_eq!(userinfo_dpop(&edge, B, &access, &p).status, 200);
    let found = row("same DPoP proof at A and B in one second", &edge);
    assert_eq!(found.0, names(&["dpop-jti"]));
    assert!(
        edge.kv_model().short_ttls().is_empty(),
        "every TTL is at least 60 s"
    );
    println!("writes per key per second:\n{table}");
}

/// The prefixes of the keys `loc` stored (puts KV accepted) in the second `at`, by name.
fn stored_by(edge: &Edge, loc: Loc, at: i64) -> Vec<String> {
    let mut out: Vec<String> = edge
        .kv_model()
        .mutations()
        .iter()
        .filter(|m| m.loc == loc && m.at == at && !m.delete)
        .map(|m| prefix(&m.key))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// DESIGN.md principle 8, "1 write/s per key", with KV refusing the second put of a second
/// (429 on the platform, [`Written::RateLimited`] here). The Worker's adapter
/// (worker/src/kv.rs, which the model's views follow) reads a refused write of a single-use
/// or write-once record as what it is: another request has just written that very record.
/// A `put` of a write-once record answers `Ok` (its content is determined by its key: a
/// derived successor, a rotation or revocation mark, so what the other request stored is
/// what this one would have), and a `reserve` answers "already present". Only a cacheable
/// record's refused write is a 503; no flow here writes one twice in a second.
///
/// At one location no put is refused: a refresh in the exchange's second and a burst of code
/// replays both answer normally. The second put of a same-second pair at two locations is
/// refused, and that request answers what it would have answered had it seen the first
/// request's write: the same successor, the same `invalid_grant`. A DPoP `jti` put refused
/// is a replay refused (`reserve` "already present"); a second later B, which still does
/// not see A's mark, accepts the proof: the window of `dpop_jti_replay_across_locations`,
/// which the limit only narrows by its first second.
#[test]
fn write_limit_enforced() {
    let kv = KvConfig {
        enforce_write_limit: true,
        ..KvConfig::default()
    };
    let mut table = String::from("| flow, limit enforced (uniform P=60) | answers |\n|---|---|\n");
    let mut row = |flow: &str, answers: &[String]| {
        table += &format!("| {flow} | {} |\n", answers.join(", "));
    };
    let none: Vec<String> = vec![];
    let names = |names: &[&str]| -> Vec<String> { names.iter().map(|&n| n.to_owned()).collect() };

    // One location: exchange, refresh and a second tab's refresh in one second; then a
    // burst of code replays.
    let edge = Edge::kv(kv);
    let (start, code, tokens) = fresh_exchange(&edge, SCOPE);
    let rt1 = str_field(&tokens, "refresh_token");
    let first = refresh(&edge, A, &rt1);
    let second = refresh(&edge, A, &rt1);
    let answers = [outcome(&first), outcome(&second)];
    row("refresh twice in the exchange's second, at A", &answers);
    assert_eq!(answers, ["200", "200"]);
    assert_eq!(
        body(&first)["refresh_token"],
        body(&second)["refresh_token"]
    );
    edge.advance(1);
    let burst: Vec<String> = (0..3)
        .map(|_| outcome(&exchange(&edge, A, &start, &code)))
        .collect();
    row("code replayed 3 times in one second, at A", &burst);
    assert_eq!(burst, ["400 invalid_grant"; 3]);
    assert_eq!(edge.kv_model().refused_writes(), 0);

    // Two locations, one second: one refresh token at A and at B.
    let edge = Edge::kv(kv);
    let (_, _, tokens) = fresh_exchange(&edge, SCOPE);
    let rt1 = str_field(&tokens, "refresh_token");
    edge.advance(REFRESH_AFTER);
    let second = edge.now();
    let at_a = refresh(&edge, A, &rt1);
    let at_b = refresh(&edge, B, &rt1);
    edge.advance(1);
    let retry = refresh(&edge, B, &rt1);
    let answers = [outcome(&at_a), outcome(&at_b), outcome(&retry)];
    row(
        "one refresh token at A and B in one second, B again 1 s later",
        &answers,
    );
    // B does not see A's `rotated:` mark and rotates again: both of its puts (the derived
    // successor's record, the mark) are refused, and both records stand as A wrote them, so
    // B hands out the very successor A did. A second later B, still not seeing the mark,
    // rotates again, now stored (as `writes_per_key_per_second` measures without the limit).
    assert_eq!(answers, ["200", "200", "200"]);
    assert_eq!(body(&at_a)["refresh_token"], body(&at_b)["refresh_token"]);
    assert_eq!(body(&at_a)["refresh_token"], body(&retry)["refresh_token"]);
    assert_eq!(edge.kv_model().refused_writes(), 2);
    assert_eq!(stored_by(&edge, B, second), none);
    assert_eq!(
        stored_by(&edge, B, second + 1),
        names(&["refresh", "rotated"])
    );

    // A rotated token reused at A and B in one second.
    edge.advance(61);
    let second = edge.now();
    let answers = [
        outcome(&refresh(&edge, A, &rt1)),
        outcome(&refresh(&edge, B, &rt1)),
        {
            edge.advance(1);
            outcome(&refresh(&edge, B, &rt1))
        },
    ];
    row(
        "rotated token reused at A and B in one second, B again 1 s later",
        &answers,
    );
    // Each detects the reuse and revokes the family; B's two marks (`family`,
    // `family-notice`) are refused and stand as A wrote them. A second later B, whose read
    // of `family` a moment before cached "absent", detects the reuse again and writes them.
    assert_eq!(answers, ["400 invalid_grant"; 3]);
    assert_eq!(edge.kv_model().refused_writes(), 2 + 2);
    assert_eq!(
        stored_by(&edge, A, second),
        names(&["family", "family-notice"])
    );
    assert_eq!(stored_by(&edge, B, second), none);
    assert_eq!(
        stored_by(&edge, B, second + 1),
        names(&["family", "family-notice"])
    );

    // A code replayed at A and B in one second, once B sees the grant record.
    let edge = Edge::kv(kv);
    let (start, code, _) = fresh_exchange(&edge, SCOPE);
    edge.advance(61);
    let second = edge.now();
    let answers = [
        outcome(&exchange(&edge, A, &start, &code)),
        outcome(&exchange(&edge, B, &start, &code)),
        {
            edge.advance(1);
            outcome(&exchange(&edge, B, &start, &code))
        },
    ];
    row(
        "code replayed at A and B in one second, B again 1 s later",
        &answers,
    );
    // Each finds the grant record and revokes what it names; B's two marks (`family`,
    // `family-notice`) are refused and stand as A wrote them. A second later B, whose read
    // of `family` cached "absent", writes them again.
    assert_eq!(answers, ["400 invalid_grant"; 3]);
    assert_eq!(edge.kv_model().refused_writes(), 2);
    let revocation = names(&["family", "family-notice"]);
    assert_eq!(stored_by(&edge, A, second), revocation);
    assert_eq!(stored_by(&edge, B, second), none);
    assert_eq!(stored_by(&edge, B, second + 1), revocation);

    // The same DPoP proof at A and B in one second: the limit refuses B's `jti` put, which
    // the adapter reads as "already present", so B refuses the replay; the same proof at B a
    // second later, where A's mark is not yet seen, is accepted (and stored).
    let edge = Edge::kv(kv);
    let key = op_support::dpop_key(34);
    let (_b, start, code) = sign_in(&edge, A, "openid", 5);
    edge.advance(1);
    let access = str_field(
        &exchange_dpop(&edge, A, &key, &start, &code),
        "access_token",
    );
    edge.advance(1);
    let second = edge.now();
    let url = format!("{ISSUER}/userinfo");
    let p = proof(&edge, &key, "GET", &url, Some(&access), None);
    let answers = [
        outcome(&userinfo_dpop(&edge, A, &access, &p)),
        outcome(&userinfo_dpop(&edge, B, &access, &p)),
        {
            edge.advance(1);
            outcome(&userinfo_dpop(&edge, B, &access, &p))
        },
    ];
    row(
        "same DPoP proof at A and B in one second, again at B 1 s later",
        &answers,
    );
    assert_eq!(answers, ["200", "401 invalid_dpop_proof", "200"]);
    assert_eq!(edge.kv_model().refused_writes(), 1);
    assert_eq!(stored_by(&edge, B, second), none);
    assert_eq!(stored_by(&edge, B, second + 1), names(&["dpop-jti"]));
    println!("1 write/s per key enforced:\n{table}");
}

// ---------------------------------------------------------------------------------------
// 6. The model itself, and the provider at one location on it versus on MemoryStore.
// ---------------------------------------------------------------------------------------

/// The model against the documentation it encodes (see `tests/kv_support`): per-location
/// visibility, cached negative lookups, non-atomic `consume` and `reserve`, the 60 s
/// minimum TTL, the write log.
#[test]
fn model_semantics() {
    use oidc_edge::jose::verifier::run_ready;
    use oidc_edge::store::{Records, SingleUse};
    use std::rc::Rc;

    let clock = op_support::TestClock(Rc::new(std::cell::Cell::new(START)));
    let tick = |s: i64| clock.0.set(clock.0.get() + s);

    // Uniform: visible where written at once, elsewhere after the delay.
    let kv = Rc::new(Kv::new(KvConfig::uniform(60), clock.clone()));
    kv.put(A, "k:1", b"v1", 300).unwrap();
    assert_eq!(kv.get(A, "k:1").as_deref(), Some(&b"v1"[..]));
    assert_eq!(
        kv.get(B, "k:1"),
        None,
        "not yet at B, and B now caches 'absent'"
    );
    tick(59);
    assert_eq!(kv.get(B, "k:1"), None);
    tick(1);
    assert_eq!(kv.get(B, "k:1").as_deref(), Some(&b"v1"[..]));

    // Cache only: the negative lookup is what delays a new key.
    let kv = Rc::new(Kv::new(KvConfig::cache_only(), clock.clone()));
    assert_eq!(kv.get(B, "k:2"), None);
    tick(10);
    kv.put(A, "k:2", b"v2", 300).unwrap();
    assert_eq!(kv.peek(B, "k:2"), None, "B's cached 'absent' is 10 s old");
    tick(49);
    assert_eq!(kv.get(B, "k:2"), None);
    tick(1);
    assert_eq!(kv.get(B, "k:2").as_deref(), Some(&b"v2"[..]));

    // New keys fast: creation at once, deletion after the delay.
    let kv = Rc::new(Kv::new(KvConfig::new_keys_fast(60), clock.clone()));
    kv.put(A, "k:4", b"v4", 300).unwrap();
    assert_eq!(kv.get(B, "k:4").as_deref(), Some(&b"v4"[..]));
    kv.delete(A, "k:4").unwrap();
    assert_eq!(kv.get(A, "k:4"), None);
    assert_eq!(kv.get(B, "k:4").as_deref(), Some(&b"v4"[..]));
    assert_eq!(kv.central("k:4"), None);
    // A consume on KV is a read (as in worker/src/kv.rs): the value stays where it was.
    kv.put(A, "k:6", b"v6", 300).unwrap();
    let a = kv.at(A);
    for _ in 0..2 {
        assert_eq!(
            run_ready(a.consume("k:6")).unwrap().as_deref(),
            Some(&b"v6"[..])
        );
    }
    // reserve is get-then-put: both locations win within the window.
    let kv = Rc::new(Kv::new(KvConfig::uniform(60), clock.clone()));
    let (a, b) = (kv.at(A), kv.at(B));
    assert!(run_ready(a.reserve("k:5", b"1", 311)).unwrap());
    assert!(!run_ready(a.reserve("k:5", b"1", 311)).unwrap());
    assert!(run_ready(b.reserve("k:5", b"1", 311)).unwrap());

    // TTL: 60 s minimum, expiry honoured even from a cache.
    assert!(kv.put(A, "k:6", b"x", 59).is_err());
    assert_eq!(kv.short_ttls(), vec![("k:6".to_owned(), 59)]);
    kv.put(A, "k:7", b"x", 60).unwrap();
    tick(59);
    assert!(kv.get(A, "k:7").is_some());
    tick(1);
    assert_eq!(kv.get(A, "k:7"), None);

    // The write log: k:5 was put twice in one second (at A and B).
    let v = kv.rate_violations(false);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].prefix.as_str(), v[0].puts), ("k", 2));

    // 1 write/s enforced: KV refuses a second put of a key within the second, and a view
    // answers it as worker/src/kv.rs does, by the key's kind (`consistency_of`).
    let kv = Rc::new(Kv::new(
        KvConfig {
            enforce_write_limit: true,
            ..KvConfig::uniform(60)
        },
        clock.clone(),
    ));
    let (a, b) = (kv.at(A), kv.at(B));
    assert_eq!(kv.put(A, "k:8", b"1", 60).unwrap(), Written::Stored);
    assert_eq!(kv.put(B, "k:8", b"2", 60).unwrap(), Written::RateLimited);
    // Write-once, notice and undeclared keys: the put stands as the other request wrote it.
    for key in ["rotated:x", "family-notice:x", "throttle:x"] {
        run_ready(a.put(key, b"1", 60)).unwrap();
        run_ready(b.put(key, b"2", 60)).unwrap();
        assert_eq!(kv.central(key).as_deref(), Some(&b"1"[..]), "{key}");
    }
    // Cacheable and read-your-writes records: the refused put fails (503).
    for key in ["consent:x", "session:x"] {
        run_ready(a.put(key, b"1", 60)).unwrap();
        assert_eq!(
            run_ready(b.put(key, b"2", 60)),
            Err(oidc_edge::Error::StoreUnavailable),
            "{key}"
        );
    }
    // `reserve`: B does not see A's mark, and its refused put says "already present".
    assert!(run_ready(a.reserve("dpop-jti:x", b"1", 311)).unwrap());
    assert!(!run_ready(b.reserve("dpop-jti:x", b"1", 311)).unwrap());
    assert_eq!(kv.refused_writes(), 1 + 3 + 2 + 1);
    tick(1);
    assert!(
        run_ready(b.reserve("dpop-jti:x", b"1", 311)).unwrap(),
        "a second later B's put is stored"
    );
    assert_eq!(kv.refused_writes(), 7);
}

/// One scripted session at location A: code flow, replay and revocation, rotation, grace,
/// reuse, DPoP replay, code expiry. Returns each step's answer.
fn transcript(edge: &Edge) -> Vec<String> {
    let mut out = Vec::new();
    let mut log = |what: &str, response: &oidc_edge::op::Response| {
        out.push(format!("{what}: {}", outcome(response)));
    };
    let (_b, start, code) = sign_in(edge, A, SCOPE, 3);
    edge.advance(1);
    let first = exchange(edge, A, &start, &code);
    log("exchange", &first);
    let first = body(&first);
    let access = str_field(&first, "access_token");
    log("userinfo", &userinfo(edge, A, &access));
    edge.advance(1);
    log("replay", &exchange(edge, A, &start, &code));
    log("userinfo after replay", &userinfo(edge, A, &access));
    log(
        "refresh after replay",
        &refresh(edge, A, &str_field(&first, "refresh_token")),
    );

    let (_b, start, code) = sign_in(edge, A, SCOPE, 3);
    let rt1 = str_field(&body(&exchange(edge, A, &start, &code)), "refresh_token");
    edge.advance(REFRESH_AFTER);
    let second = refresh(edge, A, &rt1);
    log("rotation", &second);
    let rt2 = str_field(&body(&second), "refresh_token");
    edge.advance(5);
    let retry = refresh(edge, A, &rt1);
    let same = body(&retry)["refresh_token"] == rt2.as_str();
    log(&format!("grace retry same successor {same}"), &retry);
    let third = refresh(edge, A, &rt2);
    log("rotation 2", &third);
    let rt3 = str_field(&body(&third), "refresh_token");
    edge.advance(31);
    log("reuse after grace", &refresh(edge, A, &rt2));
    log("family revoked", &refresh(edge, A, &rt3));

    let key = op_support::dpop_key(33);
    let (_b, start, code) = sign_in(edge, A, "openid", 3);
    let access = str_field(&exchange_dpop(edge, A, &key, &start, &code), "access_token");
    let url = format!("{ISSUER}/userinfo");
    let p = proof(edge, &key, "GET", &url, Some(&access), None);
    log("dpop userinfo", &userinfo_dpop(edge, A, &access, &p));
    edge.advance(1);
    log("dpop replay", &userinfo_dpop(edge, A, &access, &p));

    let (_b, start, code) = sign_in(edge, A, "openid", 3);
    edge.advance(61);
    log("expired code", &exchange(edge, A, &start, &code));
    out
}

/// Sanity check of the model (DESIGN.md principle 8: the hazards are cross-location only):
/// at one location the provider on KV answers exactly as on MemoryStore, under every
/// reading (RFC 6749 §4.1.2 replay, RFC 9700 §4.14.2 rotation, RFC 9449 §11.1 replay).
#[test]
fn same_location_matches_memory_store() {
    let memory = transcript(&Edge::memory());
    assert_eq!(
        memory,
        [
            "exchange: 200",
            "userinfo: 200",
            "replay: 400 invalid_grant",
            "userinfo after replay: 401 invalid_token",
            "refresh after replay: 400 invalid_grant",
            "rotation: 200",
            "grace retry same successor true: 200",
            "rotation 2: 200",
            "reuse after grace: 400 invalid_grant",
            "family revoked: 400 invalid_grant",
            "dpop userinfo: 200",
            "dpop replay: 401 invalid_dpop_proof",
            "expired code: 400 invalid_grant",
        ]
    );
    for kv in schedules() {
        assert_eq!(transcript(&Edge::kv(kv)), memory, "{}", kv.name());
    }
}

// ---------------------------------------------------------------------------------------
// The summary the README quotes.
// ---------------------------------------------------------------------------------------

/// A line of the summary.
struct Row {
    /// Record and scenario.
    record: &'static str,
    /// What goes wrong inside the window.
    hazard: &'static str,
    /// Uniform P=60, new keys fast, cache only, MemoryStore.
    measured: [String; 4],
    /// The same, as expected.
    expected: [String; 4],
    /// What bounds the window.
    bound: &'static str,
}

/// What the table says of a race between requests in flight at the same moment.
fn race(both_succeed: bool) -> String {
    if both_succeed {
        "any overlap".into()
    } else {
        "0 s".into()
    }
}

/// Every window, under every reading and on MemoryStore, as one markdown table: seconds
/// after the first use (the exchange, the rotation, the revocation) during which the hazard
/// holds; "any overlap" for requests in flight at the same moment.
#[test]
fn readme_table() {
    let [uniform, fast, cache] = schedules().map(Some);
    let models = [uniform, fast, cache, None];
    let each = |f: &dyn Fn(Option<KvConfig>) -> String| models.map(f);
    let window = |f: &dyn Fn(Option<KvConfig>) -> Range<i64>| each(&|kv| show(&f(kv)));
    let from_zero = |f: &dyn Fn(Option<KvConfig>) -> i64| window(&|kv| 0..f(kv));
    let shown = |windows: [Range<i64>; 4]| windows.each_ref().map(show);
    let long_codes = config_with_code_lifetime(600);
    let long = long_codes.as_str();
    let rows = [
        Row {
            record: "`code`: two exchanges in flight at once at A (double submit, a retry racing the original)",
            hazard: "redeemed twice",
            measured: each(&|kv| {
                let edge = Edge::build(config_text(), kv);
                let (_b, start, code) = sign_in(&edge, A, SCOPE, 0);
                race(redeem_together(&edge, &start, &code, [A, A]).map(|r| r.status) == [200, 200])
            }),
            expected: [true, true, true, false].map(race),
            bound: "`reserve` on KV is a get then a put: both read the code, then both find no \
                    grant record before either writes it; the same at A + B wherever B already \
                    sees the code. If KV's 429 on a second write to a key within 1 s holds, the \
                    second grant-record put is refused, which says \"already present\": that \
                    exchange gets `invalid_grant` and no token (at A it also revokes the \
                    winner's tokens; at B its cached \"absent\" hides them)",
        },
        Row {
            record: "`code`: exchanged at A in the second it was issued (an SPA), again at B later",
            hazard: "redeemed twice",
            measured: window(&|kv| double_redemptions(config_text(), kv, A, B, 0)),
            expected: shown([NONE; 4]),
            bound: "none: the grant record, written with `reserve` before any token leaves \
                    (its read finds the first exchange's record), is what says \"spent\" (on KV \
                    the code itself is never deleted: it expires with its 60 s TTL)",
        },
        Row {
            record: "`code`: a thief exchanges at B first, the client at A (the issuing location) later",
            hazard: "redeemed twice",
            measured: window(&|kv| double_redemptions(config_text(), kv, B, A, 0)),
            expected: shown([NONE; 4]),
            bound: "none: at P = 60 a 60 s code never reaches B alive; where new keys are fast \
                    or only caches are stale, the thief's grant record is seen at A at once",
        },
        Row {
            record: "`code`, 600 s codes: exchanged at A 20 s after issuance, again at B later",
            hazard: "redeemed twice",
            measured: window(&|kv| double_redemptions(long, kv, A, B, 20)),
            expected: shown([40..60, NONE, NONE, NONE]),
            bound: "uniform only: B sees the code P after issuance, the grant record P after the \
                    exchange: as long as the code waited, capped by lifetime − P (0 with the \
                    default 60 s codes at P = 60; 20 s at P = 30)",
        },
        Row {
            record: "`code`, 600 s codes: a thief exchanges at B 60 s after issuance, the client at A later",
            hazard: "redeemed twice",
            measured: window(&|kv| double_redemptions(long, kv, B, A, 60)),
            expected: shown([0..60, NONE, NONE, NONE]),
            bound: "uniform only: the thief's grant record reaches A after P, capped \
                    by the code's remaining life (30 s with 60 s codes at P = 30)",
        },
        Row {
            record: "`refresh` (the code's grant record): two exchanges in flight at once at A, the code replayed 200 s later",
            hazard: "the earlier access token (not the one the grant record names) still \
                     accepted at B, polled every second from the replay",
            measured: each(&|kv| {
                let after = after_double_redemption(kv, true);
                show(&(0..after.map_or(0, |after| after.earlier_accepted_for)))
            }),
            expected: shown([0..60, NONE, NONE, NONE]),
            bound: "propagation of the family's revocation, a new key (P): every access token \
                    names its family (`gid`)",
        },
        Row {
            record: "`refresh` (the code's grant record): exchanged at A, replayed at B",
            hazard: "replay refused, but nothing revoked (RFC 6749 §4.1.2 \"SHOULD revoke\")",
            measured: from_zero(&unrevoked_replay_window),
            expected: shown([0..60, NONE, NONE, NONE]),
            bound: "propagation of the grant record, a new key (P); nothing acts on that replay later",
        },
        Row {
            record: "`refresh` + `rotated`: rotated at A, the old token presented once at B",
            hazard: "old token refreshes (same successor), reuse undetected",
            measured: from_zero(&|kv| refresh_window(kv, B)),
            expected: shown([0..60, 0..31, 0..31, 0..31]),
            bound: "uniform: propagation of the `rotated:` mark, a new key (P); otherwise the \
                    30 s grace for lost responses (by design)",
        },
        Row {
            record: "`rotated`: the old token at B at the last undetected second, then again",
            hazard: "B re-rotates, rewriting the mark with its own time: the grace restarts",
            measured: from_zero(&refresh_window_twice),
            expected: shown([0..90, 0..31, 0..31, 0..31]),
            bound: "P + the 30 s grace (uniform only)",
        },
        Row {
            record: "`dpop-jti`: the same proof at A, then at B",
            hazard: "proof accepted twice",
            measured: from_zero(&|kv| dpop_window(kv, B, 200)),
            expected: shown([0..60, NONE, NONE, NONE]),
            bound: "propagation of a new key (P); outer bound the proof's age, 300 s + 5 s \
                    (306 s with P = 400)",
        },
        Row {
            record: "`dpop-jti`: two requests with one proof in flight at once at A",
            hazard: "proof accepted twice",
            measured: each(&|kv| race(dpop_race(kv) == ["200", "200"])),
            expected: [true, true, true, false].map(race),
            bound: "`reserve` on KV is a get then a put; if KV's 429 on a second write to a \
                    key within 1 s holds, the second put is refused, which says \"already \
                    present\": that request gets `invalid_dpop_proof`",
        },
        Row {
            record: "`family-notice`: a code replay at A revokes, B serves the token every second",
            hazard: "revoked access token accepted",
            measured: from_zero(&|kv| revocation_delay(kv, true)),
            expected: shown([0..119, 0..59, 0..59, NONE]),
            bound: "P + C (B re-caches \"absent\" just before the write reaches it); P for a \
                    first look-up; the token's 600 s lifetime",
        },
        Row {
            record: "`family`: revoked at A (code replay or refresh reuse), the holder refreshes \
                     at B every second",
            hazard: "revoked family refreshes",
            measured: from_zero(&|kv| family_revocation_delay(kv, true)),
            expected: shown([0..119, 0..59, 0..59, NONE]),
            bound: "P + C, as above; P for a first refresh",
        },
    ];
    let [u, f, c] = schedules().map(|kv| kv.name());
    let mut table = format!(
        "| record: scenario | hazard | {u} | {f} | {c} | MemoryStore | bounded by |\n|---|---|---|---|---|---|---|\n"
    );
    for row in &rows {
        let [m0, m1, m2, m3] = &row.measured;
        table += &format!(
            "| {} | {} | {m0} | {m1} | {m2} | {m3} | {} |\n",
            row.record, row.hazard, row.bound
        );
    }
    println!("{table}");
    let wrong: Vec<String> = rows
        .iter()
        .filter(|row| row.measured != row.expected)
        .map(|row| {
            format!(
                "{}: {:?}, expected {:?}",
                row.record, row.measured, row.expected
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The store key of the grant record under a refresh token.
fn grant_key(refresh_token: &str) -> String {
    Key::<Grants>::new(refresh_token).as_str().to_owned()
}

/// The store key of a refresh token's rotation mark.
fn rotation_key(refresh_token: &str) -> String {
    Key::<Rotations>::new(refresh_token).as_str().to_owned()
}

/// The store key of a refresh family's revocation mark.
fn family_key(family: &str) -> String {
    Key::<RevokedFamilies>::new(family).as_str().to_owned()
}
