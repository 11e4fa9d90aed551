//! `phc`: password-hash strings (src/op/password.rs). A parsed hash prints back to the
//! exact input (the format has one spelling per hash), and verifying never panics.

use oidc_edge::jose::verifier::run_ready;
use oidc_edge::op::password::{PasswordHash, RustPbkdf2, verify_password};

pub fn phc(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(hash) = PasswordHash::parse(text) else {
        return;
    };
    let printed = hash.to_phc_string();
    assert_eq!(printed, text, "a parsed hash prints back to its input");
    let again = PasswordHash::parse(&printed).expect("printed hash re-parses");
    assert_eq!(again.iterations(), hash.iterations());
    assert_eq!(again.salt(), hash.salt());
    assert!(hash.iterations() >= 1);
    assert!((16..=64).contains(&hash.salt().len()));
    // Deriving is the expensive part: only for the cheapest counts.
    if hash.iterations() <= 4 {
        let ok = run_ready(verify_password(&hash, b"password", &RustPbkdf2));
        assert!(ok.is_ok());
    }
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "user".to_owned(),
            b"$pbkdf2-sha256$i=100000$AAECAwQFBgcICQoLDA0ODw$Nk4e-VoKIGhkTdSYgPJLLXQEy4BKalXSW-Y6vy8_R3U".to_vec(),
        ),
        (
            "secret-one-iteration".to_owned(),
            b"$pbkdf2-sha256$i=1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_vec(),
        ),
        (
            "leading-zero".to_owned(),
            b"$pbkdf2-sha256$i=0100$AAECAwQFBgcICQoLDA0ODw$Nk4e-VoKIGhkTdSYgPJLLXQEy4BKalXSW-Y6vy8_R3U".to_vec(),
        ),
    ]
}
