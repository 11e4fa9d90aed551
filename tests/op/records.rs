//! What the store holds: no secret is ever a key or a value in clear.

use crate::op_support::*;

/// Records are stored under hashes: no code, token or session value is a store key.
#[test]
fn store_keys_never_contain_secrets() {
    let op = Op::new();
    let (browser, start, code) = sign_in(&op, "openid offline_access");
    let tokens = body(&exchange(&op, &start, &code));
    let rt = tokens["refresh_token"].as_str().unwrap();
    let session = browser
        .cookies
        .borrow()
        .iter()
        .find(|(n, _)| n == "__Host-oe_session")
        .unwrap()
        .1
        .clone();
    let dump = format!("{:?}", op.store);
    for secret in [code.as_str(), rt, session.as_str()] {
        assert!(
            !dump.contains(secret),
            "a secret value appears in the store"
        );
    }
}
