//! `jwk`: JWK and JWKS parsing (src/jose/jwk.rs): the same text read as a key and as a
//! set. A parsed key's public form and its RFC 7638 members re-parse to the same
//! thumbprint, never carry private members, and a private P-256 key signs what its
//! public half verifies.

use oidc_edge::jose::crypto;
use oidc_edge::jose::{Alg, Jwk, JwkSet, KeyKind};

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

pub fn jwk(data: &[u8]) {
    if let Ok(key) = Jwk::from_json(data) {
        check_key(&key);
    }
    if let Ok(set) = JwkSet::from_json(data) {
        for key in set.keys() {
            check_key(key);
        }
        let kids: Vec<Option<&str>> = core::iter::once(None)
            .chain(set.keys().iter().map(|k| k.kid()))
            .take(4)
            .collect();
        for alg in Alg::ALL {
            for kid in &kids {
                if let Ok(candidates) = set.candidates(alg, *kid) {
                    assert!(!candidates.is_empty());
                    for key in candidates {
                        assert!(key.permits(alg));
                        assert!(kid.is_none() || key.kid() == *kid);
                    }
                }
            }
        }
    }
}

fn check_key(key: &Jwk) {
    let public = key.public_json();
    for member in PRIVATE_MEMBERS {
        assert!(!public.contains_key(member), "public JWK has {member}");
    }
    let text = serde_json::to_vec(&public).expect("serialises");
    let again = Jwk::from_json(&text).expect("the public JWK of a parsed key parses");
    assert_eq!(again.thumbprint(), key.thumbprint());
    assert_eq!(again.kid(), key.kid());
    assert_eq!(again.alg(), key.alg());
    assert!(!again.is_private());
    let canonical =
        Jwk::from_json(key.canonical_json().as_bytes()).expect("the RFC 7638 members form a JWK");
    assert_eq!(canonical.thumbprint(), key.thumbprint());
    assert_eq!(canonical.canonical_json(), key.canonical_json());
    let stripped = key.to_public();
    assert!(!stripped.is_private());
    assert_eq!(stripped.thumbprint(), key.thumbprint());
    for alg in Alg::ALL {
        assert_eq!(again.permits(alg), key.permits(alg));
    }
    if key.is_private() && key.kind() == KeyKind::P256 {
        let message = b"fuzz";
        let signature = key
            .es256_signature(message)
            .expect("a private P-256 key signs");
        assert!(
            crypto::verify(Alg::Es256, key.public_key(), message, &signature).is_ok(),
            "a signature of the private key verifies with its public half"
        );
    }
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use super::{KEY_A, KEY_B};
    let rsa_n = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    let rsa =
        format!(r#"{{"kty":"RSA","n":"{rsa_n}","e":"AQAB","kid":"r1","alg":"RS256","use":"sig"}}"#);
    let okp = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","key_ops":["verify"]}"#;
    let p384 = r#"{"kty":"EC","crv":"P-384","x":"AAAA","y":"AAAA"}"#;
    let set = format!(
        r#"{{"keys":[{rsa},{okp},{},{{"kty":"oct","k":"AAAA"}},{{"kty":"EC","crv":"secp256k1","x":"A","y":"B"}}]}}"#,
        KEY_B.replacen('{', r#"{"kid":"b","#, 1)
    );
    vec![
        ("ec-private".to_owned(), KEY_A.as_bytes().to_vec()),
        ("rsa".to_owned(), rsa.into_bytes()),
        ("okp".to_owned(), okp.as_bytes().to_vec()),
        ("p384-bad".to_owned(), p384.as_bytes().to_vec()),
        ("set".to_owned(), set.into_bytes()),
    ]
}
