//! JOSE test vectors copied from the RFCs, and the JWK / JWKS strictness rules.
//!
//! Every vector below is copied verbatim from the RFC it cites; the `concat!` pieces are the
//! lines of the RFC figure (its line breaks are "for display purposes only"). Where a test
//! builds a variant of a vector (a flipped bit, a foreign private key), the comment says so.
#![cfg(not(target_arch = "wasm32"))]
// Helpers below build inputs from fixed vectors; a vector that fails to decode is a broken
// test, so they unwrap and panic like the #[test] fns they serve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use oidc_edge::Error;
use oidc_edge::b64;
use oidc_edge::jose::{
    Alg, CompactJws, Jwk, JwkSet, PrivateKey, PublicKey, Validation, crypto, jws, jwt,
};
use oidc_edge::time::UnixTime;
use serde_json::{Map, Value, json};

/// The stable error code of a result, or "ok".
fn code<T>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) => err.code(),
    }
}

/// The outcome of verifying `token` with `keys` under the default rules at time 0 (the RFC
/// examples carry no times): `"ok"` or the error's code.
fn verify_code(token: &str, keys: &JwkSet) -> &'static str {
    code(jwt::verify(
        token,
        keys,
        &Validation::default(),
        UnixTime(0),
    ))
}

fn jwk(text: &str) -> Jwk {
    Jwk::from_json(text.as_bytes()).unwrap()
}

fn jwk_code(text: &str) -> &'static str {
    code(Jwk::from_json(text.as_bytes()))
}

fn set_of(keys: &[&str]) -> JwkSet {
    JwkSet::from_json(json!({ "keys": keys_json(keys) }).to_string().as_bytes()).unwrap()
}

fn keys_json(keys: &[&str]) -> Vec<Value> {
    keys.iter()
        .map(|k| serde_json::from_str(k).unwrap())
        .collect()
}

/// A JWK with members added or replaced.
fn with_members(text: &str, members: Value) -> String {
    let mut obj: Map<String, Value> = serde_json::from_str(text).unwrap();
    let Value::Object(extra) = members else {
        panic!("members must be an object")
    };
    obj.extend(extra);
    Value::Object(obj).to_string()
}

/// A JWK with some members removed.
fn without_members(text: &str, names: &[&str]) -> String {
    let mut obj: Map<String, Value> = serde_json::from_str(text).unwrap();
    for name in names {
        obj.remove(*name);
    }
    Value::Object(obj).to_string()
}

/// Flips bit `bit` of byte `byte` of the decoded part `part` (0 header, 1 payload,
/// 2 signature) of a compact JWS, and re-encodes it canonically.
fn flip_bit(token: &str, part: usize, byte: usize, bit: u8) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut bytes = b64::decode(&parts[part]).unwrap();
    bytes[byte] ^= 1 << bit;
    parts[part] = b64::encode(&bytes);
    parts.join(".")
}

fn decoded_len(token: &str, part: usize) -> usize {
    b64::decode(token.split('.').nth(part).unwrap())
        .unwrap()
        .len()
}

fn rsa_key(jwk: &Jwk) -> &rsa::RsaPublicKey {
    match jwk.public_key() {
        PublicKey::Rsa(key) => key,
        _ => panic!("not an RSA key"),
    }
}

/// RFC 8037 prints octets as space-separated hex.
fn hex_octets(dump: &str) -> Vec<u8> {
    hex::decode(dump.replace(' ', "")).unwrap()
}

// --- RFC 7515 Appendix A ---------------------------------------------------------------

/// RFC 7515 A.1 (reused by A.2 and A.3): BASE64URL(JWS Payload) of
/// `{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}`.
const RFC7515_PAYLOAD: &str = concat!(
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt",
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
);
/// The `exp` of that payload.
const RFC7515_EXP: i64 = 1_300_819_380;

/// RFC 7515 A.2.1: the RSA key of the RS256 example (2048 bits), public members.
const RFC7515_A2_N: &str = concat!(
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx",
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs",
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH",
    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV",
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8",
    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
);
/// RFC 7515 A.2.1: the private members of the same key.
const RFC7515_A2_D: &str = concat!(
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97I",
    "jlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0",
    "BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn",
    "439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYT",
    "CBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLh",
    "BOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
);
const RFC7515_A2_P: &str = concat!(
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdi",
    "YrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPG",
    "BY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
);
const RFC7515_A2_Q: &str = concat!(
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxa",
    "ewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA",
    "-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
);
const RFC7515_A2_DP: &str = concat!(
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3Q",
    "CLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb",
    "34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
);
const RFC7515_A2_DQ: &str = concat!(
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa",
    "7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-ky",
    "NlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
);
const RFC7515_A2_QI: &str = concat!(
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2o",
    "y26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLU",
    "W0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
);
/// RFC 7515 A.2.1: the complete JWS (JWS Compact Serialization).
const RFC7515_A2_JWS: &str = concat!(
    "eyJhbGciOiJSUzI1NiJ9",
    ".",
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt",
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
    ".",
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7",
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4",
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K",
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv",
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB",
    "p0igcN_IoypGlUPQGe77Rw",
);
/// RFC 7515 A.2.1: the signature octets, as printed before their base64url encoding.
const RFC7515_A2_SIGNATURE_OCTETS: [u8; 256] = [
    112, 46, 33, 137, 67, 232, 143, 209, 30, 181, 216, 45, 191, 120, 69, 243, 65, 6, 174, 27, 129,
    255, 247, 115, 17, 22, 173, 209, 113, 125, 131, 101, 109, 66, 10, 253, 60, 150, 238, 221, 115,
    162, 102, 62, 81, 102, 104, 123, 0, 11, 135, 34, 110, 1, 135, 237, 16, 115, 249, 69, 229, 130,
    173, 252, 239, 22, 216, 90, 121, 142, 232, 198, 109, 219, 61, 184, 151, 91, 23, 208, 148, 2,
    190, 237, 213, 217, 217, 112, 7, 16, 141, 178, 129, 96, 213, 248, 4, 12, 167, 68, 87, 98, 184,
    31, 190, 127, 249, 217, 46, 10, 231, 111, 36, 242, 91, 51, 187, 230, 244, 74, 230, 30, 177, 4,
    10, 203, 32, 4, 77, 62, 249, 18, 142, 212, 1, 48, 121, 91, 212, 189, 59, 65, 238, 202, 208,
    102, 171, 101, 25, 129, 253, 228, 141, 247, 127, 55, 45, 195, 139, 159, 175, 221, 59, 239, 177,
    139, 93, 163, 204, 60, 46, 176, 47, 158, 58, 65, 214, 18, 202, 173, 21, 145, 18, 115, 160, 95,
    35, 185, 232, 56, 250, 175, 132, 157, 105, 132, 41, 239, 90, 30, 136, 121, 130, 54, 195, 212,
    14, 96, 69, 34, 165, 68, 200, 242, 122, 122, 45, 184, 6, 99, 209, 108, 247, 202, 234, 86, 222,
    64, 92, 178, 33, 90, 69, 178, 194, 85, 102, 181, 90, 193, 167, 72, 160, 112, 223, 200, 163, 42,
    70, 149, 67, 208, 25, 238, 251, 71,
];

fn rfc7515_a2_public_jwk() -> String {
    json!({ "kty": "RSA", "n": RFC7515_A2_N, "e": "AQAB" }).to_string()
}

fn rfc7515_a2_private_jwk() -> String {
    json!({
        "kty": "RSA", "n": RFC7515_A2_N, "e": "AQAB", "d": RFC7515_A2_D, "p": RFC7515_A2_P,
        "q": RFC7515_A2_Q, "dp": RFC7515_A2_DP, "dq": RFC7515_A2_DQ, "qi": RFC7515_A2_QI,
    })
    .to_string()
}

/// RFC 7515 A.3.1: the P-256 key of the ES256 example, as printed (with its private `d`).
const RFC7515_A3_PRIVATE_JWK: &str = concat!(
    r#"{"kty":"EC","#,
    r#""crv":"P-256","#,
    r#""x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","#,
    r#""y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","#,
    r#""d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#,
    r#"}"#,
);
const RFC7515_A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const RFC7515_A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const RFC7515_A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
/// RFC 7515 A.3.1: the complete JWS.
const RFC7515_A3_JWS: &str = concat!(
    "eyJhbGciOiJFUzI1NiJ9",
    ".",
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt",
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
    ".",
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA",
    "pmWQxfKTUJqPP3-Kg6NU1Q",
);
/// RFC 7515 A.3.1: the R and S octets of that signature.
const RFC7515_A3_R: [u8; 32] = [
    14, 209, 33, 83, 121, 99, 108, 72, 60, 47, 127, 21, 88, 7, 212, 2, 163, 178, 40, 3, 58, 249,
    124, 126, 23, 129, 154, 195, 22, 158, 166, 101,
];
const RFC7515_A3_S: [u8; 32] = [
    197, 10, 7, 211, 140, 60, 112, 229, 216, 241, 45, 175, 8, 74, 84, 128, 166, 101, 144, 197, 242,
    147, 80, 154, 143, 63, 127, 138, 131, 163, 84, 213,
];

/// The RFC 7515 A.3.1 key without its private member `d`.
fn rfc7515_a3_public_jwk() -> String {
    ec_jwk(RFC7515_A3_X, RFC7515_A3_Y)
}

fn ec_jwk(x: &str, y: &str) -> String {
    json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }).to_string()
}

/// A second ago the RFC 7515 example tokens were still valid.
const BEFORE_EXP: UnixTime = UnixTime(RFC7515_EXP - 1);

/// RFC 7515 Appendix A.3: the ES256 example JWS verifies with the example key through
/// `jwt::verify` (default validation, a `now` before its `exp`), exposing the A.1 claims.
#[test]
fn rfc7515_a3_es256_jwt_verifies() {
    let keys = JwkSet::from_json(rfc7515_a3_public_jwk().as_bytes()).unwrap();
    let verified = jwt::verify(RFC7515_A3_JWS, &keys, &Validation::default(), BEFORE_EXP).unwrap();
    assert_eq!(verified.header().alg, Alg::Es256);
    assert_eq!(verified.header().kid, None);
    let claims = verified.claims();
    assert_eq!(claims.string("iss").unwrap(), Some("joe"));
    assert_eq!(
        claims.numeric_date("exp").unwrap(),
        Some(RFC7515_EXP as f64)
    );
    assert_eq!(
        claims.get("http://example.com/is_root"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        verified.key().thumbprint(),
        jwk(&rfc7515_a3_public_jwk()).thumbprint()
    );

    // The printed private JWK works as a key set too: only its public half is used.
    let private_set = JwkSet::from_json(RFC7515_A3_PRIVATE_JWK.as_bytes()).unwrap();
    assert_eq!(
        code(jwt::verify(
            RFC7515_A3_JWS,
            &private_set,
            &Validation::default(),
            BEFORE_EXP
        )),
        "ok"
    );
}

/// RFC 7515 Appendix A.3 with RFC 7519 §4.1.4: at and after its `exp` (1300819380) the same
/// token is expired; an allow-list without ES256 refuses it before any key is tried.
#[test]
fn rfc7515_a3_es256_time_and_allow_list() {
    let keys = JwkSet::from_json(rfc7515_a3_public_jwk().as_bytes()).unwrap();
    let default = Validation::default();
    assert_eq!(
        code(jwt::verify(
            RFC7515_A3_JWS,
            &keys,
            &default,
            UnixTime(RFC7515_EXP)
        )),
        "jwt_expired"
    );
    assert_eq!(
        code(jwt::verify(
            RFC7515_A3_JWS,
            &keys,
            &default,
            UnixTime(1_900_000_000)
        )),
        "jwt_expired"
    );
    let tolerant = Validation {
        clock_tolerance: 60,
        ..Validation::default()
    };
    assert_eq!(
        code(jwt::verify(
            RFC7515_A3_JWS,
            &keys,
            &tolerant,
            UnixTime(RFC7515_EXP + 59)
        )),
        "ok"
    );
    let rsa_only = Validation {
        algorithms: vec![Alg::Rs256, Alg::Ps256],
        ..Validation::default()
    };
    assert_eq!(
        code(jwt::verify(RFC7515_A3_JWS, &keys, &rsa_only, BEFORE_EXP)),
        "alg_not_allowed"
    );
    let es256_only = Validation {
        algorithms: vec![Alg::Es256],
        ..Validation::default()
    };
    assert_eq!(
        code(jwt::verify(RFC7515_A3_JWS, &keys, &es256_only, BEFORE_EXP)),
        "ok"
    );
}

/// RFC 7515 Appendix A.3 / A.3.2: `crypto::verify` over the JWS Signing Input with the
/// 64-octet R || S signature; the decoded signature is exactly the printed R and S.
#[test]
fn rfc7515_a3_es256_crypto_verify() {
    let key = jwk(&rfc7515_a3_public_jwk());
    let jws = CompactJws::parse(RFC7515_A3_JWS).unwrap();
    assert_eq!(jws.header().alg, Alg::Es256);
    assert_eq!(
        jws.signing_input(),
        &RFC7515_A3_JWS.as_bytes()[..RFC7515_A3_JWS.rfind('.').unwrap()]
    );
    assert_eq!(jws.payload(), b64::decode(RFC7515_PAYLOAD).unwrap());
    assert_eq!(&jws.signature()[..32], RFC7515_A3_R);
    assert_eq!(&jws.signature()[32..], RFC7515_A3_S);
    assert_eq!(
        code(crypto::verify(
            Alg::Es256,
            key.public_key(),
            jws.signing_input(),
            jws.signature()
        )),
        "ok"
    );
    // The key decides: the same signature under another algorithm is refused, never coerced.
    for alg in [Alg::Es384, Alg::Rs256, Alg::Ps256, Alg::EdDsa] {
        assert_eq!(
            code(crypto::verify(
                alg,
                key.public_key(),
                jws.signing_input(),
                jws.signature()
            )),
            "key_alg_mismatch",
            "{alg}"
        );
    }
    // A DER-encoded or truncated signature is not the JWS encoding (RFC 7518 §3.4).
    let truncated = &jws.signature()[..63];
    assert_eq!(
        code(crypto::verify(
            Alg::Es256,
            key.public_key(),
            jws.signing_input(),
            truncated
        )),
        "signature_invalid"
    );
}

/// RFC 7515 Appendix A.3: flipping any one bit of the payload or of the signature makes
/// the example fail with `signature_invalid` (through `jwt::verify` and `crypto::verify`).
#[test]
fn rfc7515_a3_es256_bit_flips_fail() {
    let keys = JwkSet::from_json(rfc7515_a3_public_jwk().as_bytes()).unwrap();
    let key = jwk(&rfc7515_a3_public_jwk());
    let mut tried = 0;
    for part in [1, 2] {
        for byte in 0..decoded_len(RFC7515_A3_JWS, part) {
            let bit = (byte % 8) as u8;
            let tampered = flip_bit(RFC7515_A3_JWS, part, byte, bit);
            let result = jwt::verify(&tampered, &keys, &Validation::default(), BEFORE_EXP);
            assert_eq!(
                code(result),
                "signature_invalid",
                "part {part} byte {byte} bit {bit}"
            );
            let jws = CompactJws::parse(&tampered).unwrap();
            let direct = crypto::verify(
                Alg::Es256,
                key.public_key(),
                jws.signing_input(),
                jws.signature(),
            );
            assert_eq!(
                code(direct),
                "signature_invalid",
                "part {part} byte {byte} bit {bit}"
            );
            tried += 1;
        }
    }
    assert_eq!(tried, 70 + 64);
}

/// RFC 7515 Appendix A.2: the RS256 example (2048-bit key) verifies; its signature octets
/// are the ones printed; a flipped bit fails.
#[test]
fn rfc7515_a2_rs256_verifies() {
    let keys = JwkSet::from_json(rfc7515_a2_public_jwk().as_bytes()).unwrap();
    let verified = jwt::verify(RFC7515_A2_JWS, &keys, &Validation::default(), BEFORE_EXP).unwrap();
    assert_eq!(verified.header().alg, Alg::Rs256);
    assert_eq!(verified.claims().string("iss").unwrap(), Some("joe"));

    let jws = CompactJws::parse(RFC7515_A2_JWS).unwrap();
    assert_eq!(jws.signature(), RFC7515_A2_SIGNATURE_OCTETS);
    let key = jwk(&rfc7515_a2_public_jwk());
    assert_eq!(
        code(crypto::verify(
            Alg::Rs256,
            key.public_key(),
            jws.signing_input(),
            jws.signature()
        )),
        "ok"
    );
    assert!(crypto::pkcs1v15::<sha2::Sha256>(
        rsa_key(&key),
        jws.signing_input(),
        jws.signature()
    ));
    assert!(!crypto::pkcs1v15::<sha2::Sha384>(
        rsa_key(&key),
        jws.signing_input(),
        jws.signature()
    ));
    for alg in [Alg::Rs384, Alg::Rs512, Alg::Ps256] {
        let result = crypto::verify(alg, key.public_key(), jws.signing_input(), jws.signature());
        assert_eq!(code(result), "signature_invalid", "{alg}");
    }
    for (part, byte) in [(1, 0), (1, 69), (2, 0), (2, 128), (2, 255)] {
        let tampered = flip_bit(RFC7515_A2_JWS, part, byte, 0);
        let result = jwt::verify(&tampered, &keys, &Validation::default(), BEFORE_EXP);
        assert_eq!(code(result), "signature_invalid", "part {part} byte {byte}");
    }
}

/// RFC 7515 Appendix A.2.1 private key, with RFC 7638 §3.2.1: the private JWK parses, its
/// public form drops the private members, and both have the same thumbprint.
#[test]
fn rfc7515_a2_private_rsa_jwk() {
    let private = jwk(&rfc7515_a2_private_jwk());
    assert!(private.is_private());
    let public = private.to_public();
    assert!(!public.is_private());
    let json = public.public_json();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(!json.contains_key(member), "{member}");
    }
    assert_eq!(json["n"], RFC7515_A2_N);
    assert_eq!(public.thumbprint(), private.thumbprint());
    assert_eq!(
        public.thumbprint(),
        jwk(&rfc7515_a2_public_jwk()).thumbprint()
    );
    let keys = JwkSet::new(vec![private]);
    assert_eq!(
        code(jwt::verify(
            RFC7515_A2_JWS,
            &keys,
            &Validation::default(),
            BEFORE_EXP
        )),
        "ok"
    );
}

// --- RFC 7520 (JOSE Cookbook) ------------------------------------------------------------

/// RFC 7520 §4 Figure 7: the payload of every §4 example (the RFC's "\xe2\x80\x99" is
/// U+2019 in UTF-8).
const RFC7520_FIGURE_7: &[u8] = b"It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\xe2\x80\x99s no knowing where you might be swept off to.";

/// RFC 7520 §3.3 Figure 3: RSA 2048-bit public key.
const RFC7520_FIGURE_3: &str = concat!(
    r#"{"kty": "RSA","#,
    r#""kid": "bilbo.baggins@hobbiton.example","#,
    r#""use": "sig","#,
    r#""n": "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT"#,
    r#"-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV"#,
    r#"wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-"#,
    r#"oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde"#,
    r#"3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC"#,
    r#"LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g"#,
    r#"HdrNP5zw","#,
    r#""e": "AQAB"}"#,
);

/// RFC 7520 §3.4 Figure 4: the private members of the same RSA key.
fn rfc7520_figure_4_private_members() -> Value {
    json!({
        "d": concat!(
            "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78e",
            "iZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRld",
            "Y7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-b",
            "MwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU",
            "6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDj",
            "d18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOc",
            "OpBrQzwQ",
        ),
        "p": concat!(
            "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nR",
            "aO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmG",
            "peNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8",
            "bUq0k",
        ),
        "q": concat!(
            "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT",
            "8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7an",
            "V5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0",
            "s7pFc",
        ),
        "dp": concat!(
            "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q",
            "1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn",
            "-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX",
            "59ehik",
        ),
        "dq": concat!(
            "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pEr",
            "AMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJK",
            "bi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdK",
            "T1cYF8",
        ),
        "qi": concat!(
            "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-N",
            "ZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDh",
            "jJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpP",
            "z8aaI4",
        ),
    })
}

/// RFC 7520 §3.1 Figure 1: Elliptic Curve P-521 public key.
const RFC7520_FIGURE_1: &str = concat!(
    r#"{"kty": "EC","#,
    r#""kid": "bilbo.baggins@hobbiton.example","#,
    r#""use": "sig","#,
    r#""crv": "P-521","#,
    r#""x": "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9"#,
    r#"A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","#,
    r#""y": "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVy"#,
    r#"SsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"}"#,
);
/// RFC 7520 §3.2 Figure 2: the private scalar of that key.
const RFC7520_FIGURE_2_D: &str = concat!(
    "AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zb",
    "KipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt",
);

/// RFC 7520 §3.5 Figure 5: HMAC SHA-256 symmetric key.
const RFC7520_FIGURE_5: &str = concat!(
    r#"{"kty": "oct","#,
    r#""kid": "018c0ae5-4d9b-471b-bfd6-eef314bc7037","#,
    r#""use": "sig","#,
    r#""alg": "HS256","#,
    r#""k": "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}"#,
);

/// RFC 7520 §4.1.3 Figure 13: RS256 JWS Compact Serialization.
const RFC7520_FIGURE_13: &str = concat!(
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX",
    "hhbXBsZSJ9",
    ".",
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH",
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk",
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm",
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
    ".",
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK",
    "ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J",
    "IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w",
    "W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP",
    "xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f",
    "cIe8u9ipH84ogoree7vjbU5y18kDquDg",
);

/// RFC 7520 §4.2.3 Figure 20: PS384 JWS Compact Serialization.
const RFC7520_FIGURE_20: &str = concat!(
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX",
    "hhbXBsZSJ9",
    ".",
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH",
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk",
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm",
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
    ".",
    "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I",
    "pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU",
    "vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX",
    "e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT",
    "0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a",
    "6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw",
);

/// RFC 7520 §4.3.3 Figure 27: ES512 JWS Compact Serialization.
const RFC7520_FIGURE_27: &str = concat!(
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX",
    "hhbXBsZSJ9",
    ".",
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH",
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk",
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm",
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
    ".",
    "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb",
    "u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv",
    "AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2",
);

/// RFC 7520 §4.4.3 Figure 34: HS256 JWS Compact Serialization.
const RFC7520_FIGURE_34: &str = concat!(
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LW",
    "VlZjMxNGJjNzAzNyJ9",
    ".",
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH",
    "lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk",
    "b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm",
    "UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
    ".",
    "s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0",
);

const BILBO: &str = "bilbo.baggins@hobbiton.example";

/// RFC 7520 §4.1 (RSA v1.5 signature, RS256) with the §3.3 key: the JWS parses, its payload
/// is Figure 7, and the signature verifies through `crypto::verify`. `jwt::verify` gets past
/// the signature and then refuses the payload, which is not a JWT claim set.
#[test]
fn rfc7520_4_1_rs256_verifies() {
    let key = jwk(RFC7520_FIGURE_3);
    assert_eq!(key.kid(), Some(BILBO));
    let jws = CompactJws::parse(RFC7520_FIGURE_13).unwrap();
    assert_eq!(jws.header().alg, Alg::Rs256);
    assert_eq!(jws.header().kid.as_deref(), Some(BILBO));
    assert_eq!(jws.payload(), RFC7520_FIGURE_7);
    assert_eq!(
        code(crypto::verify(
            Alg::Rs256,
            key.public_key(),
            jws.signing_input(),
            jws.signature()
        )),
        "ok"
    );
    assert!(crypto::pkcs1v15::<sha2::Sha256>(
        rsa_key(&key),
        jws.signing_input(),
        jws.signature()
    ));
    assert_eq!(
        code(crypto::verify(
            Alg::Rs512,
            key.public_key(),
            jws.signing_input(),
            jws.signature()
        )),
        "signature_invalid"
    );

    let keys = JwkSet::new(vec![key.clone()]);
    let candidates = keys.candidates(Alg::Rs256, Some(BILBO)).unwrap();
    assert_eq!(candidates.len(), 1);
    // Signature first, claims second: the only failure left is the non-JSON payload.
    assert_eq!(verify_code(RFC7520_FIGURE_13, &keys), "json_invalid");
    let tampered = flip_bit(RFC7520_FIGURE_13, 1, 0, 0);
    assert_eq!(verify_code(&tampered, &keys), "signature_invalid");
}

/// RFC 7520 §3.4 Figure 4: the RSA private key parses; its public half is Figure 3.
#[test]
fn rfc7520_3_4_rsa_private_key_parses() {
    let private = jwk(&with_members(
        RFC7520_FIGURE_3,
        rfc7520_figure_4_private_members(),
    ));
    assert!(private.is_private());
    assert_eq!(private.thumbprint(), jwk(RFC7520_FIGURE_3).thumbprint());
    let jws = CompactJws::parse(RFC7520_FIGURE_13).unwrap();
    let result = crypto::verify(
        Alg::Rs256,
        private.public_key(),
        jws.signing_input(),
        jws.signature(),
    );
    assert_eq!(code(result), "ok");
}

/// RFC 7520 §4.2 (RSA-PSS, PS384: SHA-384, MGF1 with SHA-384, 48-octet salt as RFC 7518
/// §3.5 requires) verifies with the §3.3 key through `crypto::verify` and `crypto::pss`.
#[test]
fn rfc7520_4_2_ps384_verifies() {
    let key = jwk(RFC7520_FIGURE_3);
    let jws = CompactJws::parse(RFC7520_FIGURE_20).unwrap();
    assert_eq!(jws.header().alg, Alg::Ps384);
    assert_eq!(jws.payload(), RFC7520_FIGURE_7);
    let (input, sig) = (jws.signing_input(), jws.signature());
    assert_eq!(
        code(crypto::verify(Alg::Ps384, key.public_key(), input, sig)),
        "ok"
    );
    assert!(crypto::pss::<sha2::Sha384>(rsa_key(&key), input, sig, 48));
    // Another salt length, another hash, or PKCS#1 v1.5 with the same hash: all refused.
    assert!(!crypto::pss::<sha2::Sha384>(rsa_key(&key), input, sig, 32));
    assert!(!crypto::pss::<sha2::Sha384>(rsa_key(&key), input, sig, 0));
    for alg in [Alg::Ps256, Alg::Ps512, Alg::Rs384] {
        assert_eq!(
            code(crypto::verify(alg, key.public_key(), input, sig)),
            "signature_invalid",
            "{alg}"
        );
    }
    let keys = JwkSet::new(vec![key]);
    assert_eq!(verify_code(RFC7520_FIGURE_20, &keys), "json_invalid");
    let tampered = flip_bit(RFC7520_FIGURE_20, 2, 100, 3);
    assert_eq!(verify_code(&tampered, &keys), "signature_invalid");
}

/// RFC 7520 §4.3 (ECDSA P-521, ES512): the algorithm is not implemented, so the JWS is
/// `alg_unsupported`; the §3.1 / §3.2 P-521 keys are `jwk_unsupported` and a JWKS skips them.
#[test]
fn rfc7520_4_3_es512_is_unsupported() {
    assert_eq!(
        code(CompactJws::parse(RFC7520_FIGURE_27)),
        "alg_unsupported"
    );
    let rsa = JwkSet::new(vec![jwk(RFC7520_FIGURE_3)]);
    assert_eq!(verify_code(RFC7520_FIGURE_27, &rsa), "alg_unsupported");
    assert_eq!(jwk_code(RFC7520_FIGURE_1), "jwk_unsupported");
    let private = with_members(RFC7520_FIGURE_1, json!({ "d": RFC7520_FIGURE_2_D }));
    assert_eq!(jwk_code(&private), "jwk_unsupported");
    let set = set_of(&[RFC7520_FIGURE_1, &private]);
    assert!(set.keys().is_empty());
}

/// RFC 7520 §4.4 (HMAC-SHA2, HS256): HMAC with keys from a JWKS is algorithm confusion
/// (RFC 8725 §3.1), so the JWS is `alg_not_allowed`, and the §3.5 `oct` key is unsupported.
#[test]
fn rfc7520_4_4_hs256_is_not_allowed() {
    assert_eq!(
        code(CompactJws::parse(RFC7520_FIGURE_34)),
        "alg_not_allowed"
    );
    let rsa = JwkSet::new(vec![jwk(RFC7520_FIGURE_3)]);
    assert_eq!(verify_code(RFC7520_FIGURE_34, &rsa), "alg_not_allowed");
    assert_eq!(jwk_code(RFC7520_FIGURE_5), "jwk_unsupported");
    assert!(set_of(&[RFC7520_FIGURE_5]).keys().is_empty());
}

// --- RFC 7638 ---------------------------------------------------------------------------

/// RFC 7638 §3.1: the example RSA key (2048 bits, with `alg` and `kid`).
const RFC7638_3_1_JWK: &str = concat!(
    r#"{"kty": "RSA","#,
    r#""n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt"#,
    r#"VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6"#,
    r#"4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"#,
    r#"W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"#,
    r#"1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINH"#,
    r#"aQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","#,
    r#""e": "AQAB","#,
    r#""alg": "RS256","#,
    r#""kid": "2011-04-29"}"#,
);
/// RFC 7638 §3.1: the SHA-256 of the canonical JSON, as printed.
const RFC7638_3_1_HASH: [u8; 32] = [
    55, 54, 203, 177, 120, 124, 184, 48, 156, 119, 238, 140, 55, 5, 197, 225, 111, 251, 158, 133,
    151, 21, 144, 31, 30, 76, 89, 177, 17, 130, 245, 123,
];

/// RFC 7638 §3.1: the thumbprint of the example RSA key is
/// "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; per §3.2 / §3.2.2 optional members and
/// member order do not change it.
#[test]
fn rfc7638_3_1_rsa_thumbprint() {
    let key = jwk(RFC7638_3_1_JWK);
    assert_eq!(
        key.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(b64::decode(&key.thumbprint()).unwrap(), RFC7638_3_1_HASH);
    assert_eq!(key.kid(), Some("2011-04-29"));
    assert_eq!(key.alg(), Some("RS256"));
    let json = key.public_json();
    assert_eq!(json["kid"], "2011-04-29");
    assert_eq!(json["alg"], "RS256");

    let bare = jwk(&without_members(RFC7638_3_1_JWK, &["alg", "kid"]));
    assert_eq!(bare.thumbprint(), key.thumbprint());
    let decorated = with_members(
        RFC7638_3_1_JWK,
        json!({ "use": "sig", "key_ops": ["verify"], "kid": "other" }),
    );
    assert_eq!(jwk(&decorated).thumbprint(), key.thumbprint());
}

/// RFC 7638 §3.2 (EC required members crv, kty, x, y): the thumbprint of the RFC 7515 A.3
/// key is the same with and without its private `d` (§3.2.1).
#[test]
fn rfc7638_3_2_ec_thumbprint_ignores_private_members() {
    let public = jwk(&rfc7515_a3_public_jwk());
    let private = jwk(RFC7515_A3_PRIVATE_JWK);
    assert_eq!(public.thumbprint(), private.thumbprint());
    assert_eq!(private.to_public().thumbprint(), public.thumbprint());
    assert!(!private.public_json().contains_key("d"));
}

// --- RFC 8037 Appendix A ----------------------------------------------------------------

/// RFC 8037 A.1: Ed25519 private key.
const RFC8037_A1_JWK: &str = concat!(
    r#"{"kty":"OKP","crv":"Ed25519","#,
    r#""d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","#,
    r#""x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
);
/// RFC 8037 A.1: the hexadecimal dumps of the private and of the public key.
const RFC8037_A1_D_HEX: &str = "9d 61 b1 9d ef fd 5a 60 ba 84 4a f4 92 ec 2c c4 44 49 c5 69 7b 32 69 19 70 3b ac 03 1c ae 7f 60";
const RFC8037_A1_X_HEX: &str = "d7 5a 98 01 82 b1 0a b7 d5 4b fe d3 c9 64 07 3a 0e e1 72 f3 da a6 23 25 af 02 1a 68 f7 07 51 1a";
/// RFC 8037 A.2: Ed25519 public key.
const RFC8037_A2_JWK: &str = concat!(
    r#"{"kty":"OKP","crv":"Ed25519","#,
    r#""x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
);
/// RFC 8037 A.3: the SHA-256 of the canonical JWK, in hexadecimal, and the thumbprint.
const RFC8037_A3_HASH_HEX: &str =
    "90facafea9b1556698540f70c0117a22ea37bd5cf3ed3c47093c1707282b4b89";
const RFC8037_A3_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/// RFC 8037 A.4: the payload (text), the JWS, and its signature (hex).
const RFC8037_A4_PAYLOAD: &[u8] = b"Example of Ed25519 signing";
const RFC8037_A4_JWS: &str = concat!(
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCj",
    "P0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_Mu",
    "M0KAg",
);
const RFC8037_A4_SIGNATURE_HEX: &str = concat!(
    "86 0c 98 d2 29 7f 30 60 a3 3f 42 73 96 72 d6 1b 53 cf 3a de fe d3 d3 c6 72 f3 20 dc 02 1b ",
    "41 1e 9d 59 b8 62 8d c3 51 e2 48 b8 8b 29 46 8e 0e 41 85 5b 0f b7 d8 3b b1 5b e9 02 bf cc ",
    "b8 cd 0a 02",
);
/// RFC 8037 A.6 / A.7: X25519 and X448 public keys (key agreement, not signatures).
const RFC8037_A6_X25519_JWK: &str = concat!(
    r#"{"kty":"OKP","crv":"X25519","kid":"Bob","#,
    r#""x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}"#,
);
const RFC8037_A7_X448_JWK: &str = concat!(
    r#"{"kty":"OKP","crv":"X448","kid":"Dave","#,
    r#""x":"PreoKbDNIPW8_AtZm2_sz22kYnEHvbDU80W0MCfYuXL8PjT7QjKhPKcG3LV67D2"#,
    r#"uB73BxnvzNgk"}"#,
);

/// RFC 8037 A.1 and A.2: the Ed25519 private JWK parses as private, its members decode to
/// the printed hex dumps, and its public form is the A.2 key.
#[test]
fn rfc8037_a1_a2_ed25519_keys() {
    let private = jwk(RFC8037_A1_JWK);
    assert!(private.is_private());
    let public = jwk(RFC8037_A2_JWK);
    assert!(!public.is_private());
    let PublicKey::Ed25519(vk) = public.public_key() else {
        panic!("not Ed25519")
    };
    assert_eq!(vk.as_bytes().as_slice(), hex_octets(RFC8037_A1_X_HEX));
    let d = b64::decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
    assert_eq!(d, hex_octets(RFC8037_A1_D_HEX));
    assert_eq!(private.to_public().public_json(), public.public_json());
}

/// RFC 8037 A.3: the JWK thumbprint of the A.1 / A.2 key.
#[test]
fn rfc8037_a3_ed25519_thumbprint() {
    let public = jwk(RFC8037_A2_JWK);
    assert_eq!(public.thumbprint(), RFC8037_A3_THUMBPRINT);
    assert_eq!(
        b64::decode(&public.thumbprint()).unwrap(),
        hex_octets(RFC8037_A3_HASH_HEX)
    );
    assert_eq!(jwk(RFC8037_A1_JWK).thumbprint(), RFC8037_A3_THUMBPRINT);
}

/// RFC 8037 A.4 / A.5: the EdDSA JWS over "Example of Ed25519 signing" verifies with the
/// A.2 key; its signature is the printed hex; Ed25519 being deterministic, signing the
/// same input with the A.1 key gives the same signature; a flipped bit fails.
#[test]
fn rfc8037_a4_ed25519_signature_verifies() {
    use ed25519_dalek::Signer;

    let key = jwk(RFC8037_A2_JWK);
    let jws = CompactJws::parse(RFC8037_A4_JWS).unwrap();
    assert_eq!(jws.header().alg, Alg::EdDsa);
    assert_eq!(jws.payload(), RFC8037_A4_PAYLOAD);
    assert_eq!(
        jws.signing_input(),
        b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    );
    assert_eq!(jws.signature(), hex_octets(RFC8037_A4_SIGNATURE_HEX));
    assert_eq!(
        code(crypto::verify(
            Alg::EdDsa,
            key.public_key(),
            jws.signing_input(),
            jws.signature()
        )),
        "ok"
    );

    let seed: [u8; 32] = hex_octets(RFC8037_A1_D_HEX).try_into().unwrap();
    let resigned = ed25519_dalek::SigningKey::from_bytes(&seed).sign(jws.signing_input());
    assert_eq!(resigned.to_bytes().as_slice(), jws.signature());

    for (part, byte) in [(1, 0), (1, 25), (2, 0), (2, 31), (2, 32), (2, 63)] {
        let tampered = flip_bit(RFC8037_A4_JWS, part, byte, 5);
        let jws = CompactJws::parse(&tampered).unwrap();
        let result = crypto::verify(
            Alg::EdDsa,
            key.public_key(),
            jws.signing_input(),
            jws.signature(),
        );
        assert_eq!(code(result), "signature_invalid", "part {part} byte {byte}");
    }
    let keys = JwkSet::new(vec![key]);
    assert_eq!(verify_code(RFC8037_A4_JWS, &keys), "json_invalid");
}

/// RFC 8037 §2 / A.6 / A.7: X25519 and X448 are OKP keys for key agreement, not signature
/// verification; they are `jwk_unsupported` and a JWKS skips them.
#[test]
fn rfc8037_a6_a7_x25519_x448_keys_are_unsupported() {
    assert_eq!(jwk_code(RFC8037_A6_X25519_JWK), "jwk_unsupported");
    assert_eq!(jwk_code(RFC8037_A7_X448_JWK), "jwk_unsupported");
    let set = set_of(&[RFC8037_A6_X25519_JWK, RFC8037_A7_X448_JWK, RFC8037_A2_JWK]);
    assert_eq!(set.keys().len(), 1);
    assert_eq!(set.keys()[0].thumbprint(), RFC8037_A3_THUMBPRINT);
}

// --- ES256 signing ----------------------------------------------------------------------

/// RFC 7515 §5.1 / RFC 7518 §3.4, with the RFC 7515 A.3.1 private JWK: `sign_es256` makes a
/// compact JWS that `jwt::verify` accepts with the public JWK; the key decides `alg`, so an
/// `alg` in the given header is replaced.
#[test]
fn es256_sign_verify_round_trip_with_rfc7515_a3_key() {
    let private = jwk(RFC7515_A3_PRIVATE_JWK);
    let Some(PrivateKey::P256(signing_key)) = private.private_key() else {
        panic!("no P-256 signing key")
    };
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    header.insert("alg".into(), "none".into());
    let claims = json!({
        "iss": "https://op.example", "sub": "248289761001", "aud": "client-1",
        "iat": 1_700_000_000, "exp": 1_700_000_600,
    });
    let token = jws::sign_es256(header, claims.to_string().as_bytes(), signing_key);

    let parsed = CompactJws::parse(&token).unwrap();
    assert_eq!(parsed.header().raw["alg"], "ES256");
    assert_eq!(parsed.signature().len(), 64);

    let keys = JwkSet::new(vec![private.to_public()]);
    let validation = Validation {
        issuers: vec!["https://op.example".into()],
        audiences: vec!["client-1".into()],
        algorithms: vec![Alg::Es256],
        typ: Some("JWT".into()),
        ..Validation::default()
    };
    let verified = jwt::verify(&token, &keys, &validation, UnixTime(1_700_000_100)).unwrap();
    assert_eq!(verified.header().alg, Alg::Es256);
    assert_eq!(Value::Object(verified.claims().as_map().clone()), claims);

    // The RFC's own public key verifies it too, and nothing else does.
    let rfc_keys = JwkSet::from_json(rfc7515_a3_public_jwk().as_bytes()).unwrap();
    assert_eq!(
        code(jwt::verify(
            &token,
            &rfc_keys,
            &validation,
            UnixTime(1_700_000_100)
        )),
        "ok"
    );
    let rsa_keys = JwkSet::from_json(rfc7515_a2_public_jwk().as_bytes()).unwrap();
    assert_eq!(
        code(jwt::verify(
            &token,
            &rsa_keys,
            &validation,
            UnixTime(1_700_000_100)
        )),
        "key_not_found"
    );
    let tampered = flip_bit(&token, 1, 3, 1);
    assert_eq!(
        code(jwt::verify(
            &tampered,
            &keys,
            &validation,
            UnixTime(1_700_000_100)
        )),
        "signature_invalid"
    );
    assert_eq!(
        code(jwt::verify(
            &token,
            &keys,
            &validation,
            UnixTime(1_700_000_600)
        )),
        "jwt_expired"
    );
}

// --- JWK strictness (RFC 7517, RFC 7518 §6) ---------------------------------------------

/// RFC 7518 §6.2.1.2 / §6.2.1.3: P-256 `x` and `y` are exactly 32 octets; P-384 48.
#[test]
fn jwk_ec_coordinates_must_have_the_curve_length() {
    let x = b64::decode(RFC7515_A3_X).unwrap();
    let y = b64::decode(RFC7515_A3_Y).unwrap();
    let short_x = b64::encode(&x[1..]);
    let long_y = b64::encode(&[&[0u8][..], &y].concat());
    assert_eq!(jwk_code(&ec_jwk(RFC7515_A3_X, RFC7515_A3_Y)), "ok");
    assert_eq!(jwk_code(&ec_jwk(&short_x, RFC7515_A3_Y)), "jwk_invalid");
    assert_eq!(jwk_code(&ec_jwk(RFC7515_A3_X, &long_y)), "jwk_invalid");
    assert_eq!(jwk_code(&ec_jwk(RFC7515_A3_X, "")), "jwk_invalid");
    // The same coordinates claimed as P-384 are the wrong length for that curve.
    let as_p384 = with_members(&rfc7515_a3_public_jwk(), json!({ "crv": "P-384" }));
    assert_eq!(jwk_code(&as_p384), "jwk_invalid");
    // `d` too (RFC 7518 §6.2.2.1).
    let short_d = b64::encode(&b64::decode(RFC7515_A3_D).unwrap()[1..]);
    assert_eq!(
        jwk_code(&with_members(
            RFC7515_A3_PRIVATE_JWK,
            json!({ "d": short_d })
        )),
        "jwk_invalid"
    );
    // Missing members.
    assert_eq!(
        jwk_code(&without_members(&rfc7515_a3_public_jwk(), &["y"])),
        "jwk_invalid"
    );
    assert_eq!(
        jwk_code(&without_members(&rfc7515_a3_public_jwk(), &["crv"])),
        "jwk_invalid"
    );
}

/// RFC 7515 §2 / Appendix C (base64url without padding, RFC 4648 §5 alphabet): padded,
/// standard-alphabet, whitespace-broken and non-canonical key material is refused.
#[test]
fn jwk_key_material_must_be_canonical_base64url() {
    let padded_x = format!("{RFC7515_A3_X}=");
    assert_eq!(jwk_code(&ec_jwk(&padded_x, RFC7515_A3_Y)), "jwk_invalid");
    // RFC 7515 A.3's y has "_", its d has "-": the standard alphabet's "/" and "+" are refused.
    let slash_y = RFC7515_A3_Y.replace('_', "/");
    assert_ne!(slash_y, RFC7515_A3_Y);
    assert_eq!(jwk_code(&ec_jwk(RFC7515_A3_X, &slash_y)), "jwk_invalid");
    let plus_d = RFC7515_A3_D.replace('-', "+");
    assert_eq!(
        jwk_code(&with_members(
            RFC7515_A3_PRIVATE_JWK,
            json!({ "d": plus_d })
        )),
        "jwk_invalid"
    );
    let spaced_x = format!("{} {}", &RFC7515_A3_X[..20], &RFC7515_A3_X[20..]);
    assert_eq!(jwk_code(&ec_jwk(&spaced_x, RFC7515_A3_Y)), "jwk_invalid");
    // The last character of a 32-octet value carries 2 unused bits, which must be zero:
    // "U" -> "V" decodes to the same octets non-canonically.
    let non_canonical_x = format!("{}V", &RFC7515_A3_X[..42]);
    assert!(RFC7515_A3_X.ends_with('U'));
    assert_eq!(
        jwk_code(&ec_jwk(&non_canonical_x, RFC7515_A3_Y)),
        "jwk_invalid"
    );
    // RSA too (RFC 7520 §3.3's n has "-" and "_").
    let mut rsa: Map<String, Value> = serde_json::from_str(RFC7520_FIGURE_3).unwrap();
    let n = rsa["n"]
        .as_str()
        .unwrap()
        .replace('-', "+")
        .replace('_', "/");
    rsa.insert("n".into(), Value::String(n));
    assert_eq!(jwk_code(&Value::Object(rsa).to_string()), "jwk_invalid");
}

/// RFC 7518 §6.2.1 / SEC 1 §3.2.2.1: the point must be on the curve (the RFC 7515 A.3 key with
/// its `y` altered in the last octet, and the all-zero point, are not).
#[test]
fn jwk_ec_point_must_be_on_the_curve() {
    let off_curve_y = format!("{}4", &RFC7515_A3_Y[..42]);
    assert!(RFC7515_A3_Y.ends_with('0'));
    assert_eq!(jwk_code(&ec_jwk(RFC7515_A3_X, &off_curve_y)), "jwk_invalid");
    let zero = b64::encode(&[0u8; 32]);
    assert_eq!(jwk_code(&ec_jwk(&zero, &zero)), "jwk_invalid");
    assert_eq!(jwk_code(&ec_jwk(RFC7515_A3_Y, RFC7515_A3_X)), "jwk_invalid");
}

/// SEC 1 §2.3.6 (field elements are integers below p): a coordinate written as x + p names
/// the same point modulo p, and is refused all the same.
#[test]
fn jwk_ec_coordinates_must_be_below_p() {
    use p256::elliptic_curve::point::{AffineCoordinates, DecompressPoint};
    // A point with a small x, found by decompression, so that x + p still fits 32 octets.
    let (x, point) = (1u8..)
        .find_map(|small| {
            let mut x = [0u8; 32];
            x[31] = small;
            let point = p256::AffinePoint::decompress(&x.into(), 0.into());
            point.into_option().map(|point| (x, point))
        })
        .unwrap();
    let y = b64::encode(&point.y());
    assert_eq!(jwk_code(&ec_jwk(&b64::encode(&x), &y)), "ok");
    let p = hex_octets("ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff ffffffff");
    let mut x_plus_p = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let sum = u16::from(x[i]) + u16::from(p[i]) + carry;
        x_plus_p[i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "x + p fits 256 bits");
    assert_eq!(
        jwk_code(&ec_jwk(&b64::encode(&x_plus_p), &y)),
        "jwk_invalid"
    );
}

/// RFC 7518 §6.1 (`kty` values) and RFC 8725 §3.1: symmetric (`oct`) keys and unknown key
/// types are unsupported; `kty` itself is required and a string.
#[test]
fn jwk_kty_rules() {
    assert_eq!(jwk_code(RFC7520_FIGURE_5), "jwk_unsupported");
    assert_eq!(jwk_code(r#"{"kty":"XYZ"}"#), "jwk_unsupported");
    assert_eq!(
        jwk_code(&without_members(&rfc7515_a3_public_jwk(), &["kty"])),
        "jwk_invalid"
    );
    assert_eq!(
        jwk_code(&with_members(&rfc7515_a3_public_jwk(), json!({ "kty": 1 }))),
        "jwk_invalid"
    );
    assert_eq!(
        jwk_code(&with_members(
            &rfc7515_a3_public_jwk(),
            json!({ "crv": "P-521" })
        )),
        "jwk_unsupported"
    );
    assert_eq!(
        jwk_code(&with_members(RFC8037_A2_JWK, json!({ "crv": "Ed448" }))),
        "jwk_unsupported"
    );
    assert_eq!(jwk_code("[]"), "json_not_object");
    assert_eq!(jwk_code("{"), "json_invalid");
}

/// RFC 7518 §3.3 / §3.5 (a key of size 2048 bits or larger MUST be used): a 1024-bit modulus
/// (the first 128 octets of the RFC 7520 §3.3 modulus) and a 4097-bit one are unsupported.
#[test]
fn jwk_rsa_modulus_size_limits() {
    let figure_3 = jwk(RFC7520_FIGURE_3).public_json();
    let n = b64::decode(figure_3["n"].as_str().unwrap()).unwrap();
    assert_eq!(n.len(), 256);
    let small = json!({ "kty": "RSA", "n": b64::encode(&n[..128]), "e": "AQAB" }).to_string();
    assert_eq!(jwk_code(&small), "jwk_unsupported");
    let mut big = vec![0x01];
    big.extend_from_slice(&n);
    big.extend_from_slice(&n);
    let big = json!({ "kty": "RSA", "n": b64::encode(&big), "e": "AQAB" }).to_string();
    assert_eq!(jwk_code(&big), "jwk_unsupported");
    // A JWKS skips them (RFC 7517 §5: keys it cannot use), keeping the good one.
    let set = set_of(&[&small, &big, RFC7520_FIGURE_3]);
    assert_eq!(set.keys().len(), 1);
}

/// RFC 7518 §6.3.1.1 (Base64urlUInt: "the minimum number of octets"): `n` or `e` with a
/// leading zero octet is invalid, as is an empty integer or a partial private key.
#[test]
fn jwk_rsa_integers_must_be_minimal() {
    let n = b64::decode(RFC7515_A2_N).unwrap();
    let padded_n = b64::encode(&[&[0u8][..], &n].concat());
    let rsa = |n: &str, e: &str| json!({ "kty": "RSA", "n": n, "e": e }).to_string();
    assert_eq!(jwk_code(&rsa(RFC7515_A2_N, "AQAB")), "ok");
    assert_eq!(jwk_code(&rsa(&padded_n, "AQAB")), "jwk_invalid");
    assert_eq!(jwk_code(&rsa(RFC7515_A2_N, "AAEAAQ")), "jwk_invalid");
    assert_eq!(jwk_code(&rsa(RFC7515_A2_N, "")), "jwk_invalid");
    let partial = with_members(&rfc7515_a2_public_jwk(), json!({ "d": RFC7515_A2_D }));
    assert_eq!(jwk_code(&partial), "jwk_invalid");
    let multi_prime = with_members(&rfc7515_a2_public_jwk(), json!({ "oth": [] }));
    assert_eq!(jwk_code(&multi_prime), "jwk_unsupported");
}

/// RFC 7517 §4 / RFC 7518 §6.2.2.1, §6.3.2, RFC 8037 §2: a private key must match its
/// public key. EC and OKP keys given a foreign private member are refused.
#[test]
fn jwk_private_key_must_match_public_key() {
    // RFC 7515 A.3's point with RFC 8037 A.1's 32-octet scalar as `d`.
    let foreign_d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    let p256 = with_members(RFC7515_A3_PRIVATE_JWK, json!({ "d": foreign_d }));
    assert_eq!(jwk_code(RFC7515_A3_PRIVATE_JWK), "ok");
    assert_eq!(jwk_code(&p256), "jwk_invalid");
    // RFC 8037 A.1's public key with RFC 7515 A.3's `d` as seed.
    let ed25519 = with_members(RFC8037_A1_JWK, json!({ "d": RFC7515_A3_D }));
    assert_eq!(jwk_code(RFC8037_A1_JWK), "ok");
    assert_eq!(jwk_code(&ed25519), "jwk_invalid");
    // P-384: a key made here from the scalar 0x0101…01, and the same point with 0x0202…02.
    let signing = p384::ecdsa::SigningKey::from_slice(&[1u8; 48]).unwrap();
    let point = signing.verifying_key().to_sec1_point(false);
    let sec1 = point.as_bytes();
    let p384 = |d: &[u8]| {
        json!({
            "kty": "EC", "crv": "P-384", "x": b64::encode(&sec1[1..49]), "y": b64::encode(&sec1[49..]),
            "d": b64::encode(d),
        })
        .to_string()
    };
    assert_eq!(jwk_code(&p384(&[1u8; 48])), "ok");
    assert_eq!(jwk_code(&p384(&[2u8; 48])), "jwk_invalid");
    // A scalar out of range (zero, or the all-ones value above the group order).
    assert_eq!(
        jwk_code(&with_members(
            RFC7515_A3_PRIVATE_JWK,
            json!({ "d": b64::encode(&[0u8; 32]) })
        )),
        "jwk_invalid"
    );
    assert_eq!(
        jwk_code(&with_members(
            RFC7515_A3_PRIVATE_JWK,
            json!({ "d": b64::encode(&[0xffu8; 32]) })
        )),
        "jwk_invalid"
    );
}

/// RFC 7517 §4 / RFC 7518 §6.3.2: the RSA private members must belong to the public key too.
/// RFC 7515 A.2's public key with RFC 7520 §3.4's private members (another 2048-bit key)
/// must be refused like the EC and OKP cases above.
#[test]
fn jwk_rsa_private_key_must_match_public_key() {
    let mismatched = with_members(&rfc7515_a2_public_jwk(), rfc7520_figure_4_private_members());
    assert_eq!(jwk_code(&rfc7515_a2_private_jwk()), "ok");
    assert_eq!(jwk_code(&mismatched), "jwk_invalid");
}

/// RFC 7517 §4.2–4.5: `kid`, `alg` and `use` are strings and `key_ops` an array of strings;
/// another JSON type is an error, not "absent".
#[test]
fn jwk_optional_members_have_their_json_types() {
    let base = rfc7515_a3_public_jwk();
    for bad in [
        json!({ "kid": 42 }),
        json!({ "kid": null }),
        json!({ "kid": ["a"] }),
        json!({ "alg": 1 }),
        json!({ "use": true }),
        json!({ "key_ops": "verify" }),
        json!({ "key_ops": [1] }),
        json!({ "x": 5 }),
    ] {
        assert_eq!(
            jwk_code(&with_members(&base, bad.clone())),
            "jwk_invalid",
            "{bad}"
        );
    }
    let good = with_members(
        &base,
        json!({ "kid": "k1", "alg": "ES256", "use": "sig", "key_ops": ["verify"] }),
    );
    let key = jwk(&good);
    assert_eq!(key.kid(), Some("k1"));
    assert_eq!(key.alg(), Some("ES256"));
}

/// RFC 7515 §5.2 / RFC 7517 §4 (member names unique): duplicate member names are refused in
/// a JWK and in a JWKS entry.
#[test]
fn jwk_duplicate_members_are_refused() {
    let duplicate_x = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{RFC7515_A3_X}","x":"{RFC7515_A3_X}","y":"{RFC7515_A3_Y}"}}"#
    );
    assert_eq!(jwk_code(&duplicate_x), "json_duplicate_member");
    let duplicate_kty = format!(
        r#"{{"kty":"EC","kty":"RSA","crv":"P-256","x":"{RFC7515_A3_X}","y":"{RFC7515_A3_Y}"}}"#
    );
    assert_eq!(jwk_code(&duplicate_kty), "json_duplicate_member");
    let jwks = format!(r#"{{"keys":[{duplicate_x}]}}"#);
    assert_eq!(
        code(JwkSet::from_json(jwks.as_bytes())),
        "json_duplicate_member"
    );
    let duplicate_keys = format!(r#"{{"keys":[],"keys":[{}]}}"#, rfc7515_a3_public_jwk());
    assert_eq!(
        code(JwkSet::from_json(duplicate_keys.as_bytes())),
        "json_duplicate_member"
    );
}

// --- JWKS (RFC 7517 §5) -----------------------------------------------------------------

/// RFC 7517 §5: a JWK Set skips keys of types or curves it does not support (RFC 7520 §3.1
/// P-521, §3.5 oct, RFC 8037 A.6 X25519) and keeps the rest, in order.
#[test]
fn jwks_skips_unsupported_keys() {
    let set = set_of(&[
        RFC7520_FIGURE_1,
        RFC7520_FIGURE_5,
        RFC8037_A6_X25519_JWK,
        RFC7520_FIGURE_3,
        &rfc7515_a3_public_jwk(),
        RFC8037_A2_JWK,
    ]);
    let thumbprints: Vec<String> = set.keys().iter().map(Jwk::thumbprint).collect();
    assert_eq!(
        thumbprints,
        [
            jwk(RFC7520_FIGURE_3),
            jwk(&rfc7515_a3_public_jwk()),
            jwk(RFC8037_A2_JWK)
        ]
        .map(|k| k.thumbprint())
    );
    assert!(set_of(&[]).keys().is_empty());
}

/// RFC 7517 §5: a malformed key of a supported type, a non-object entry, or a missing /
/// non-array `keys` makes the whole set an error (no silent partial sets).
#[test]
fn jwks_errors_on_malformed_keys() {
    let short_x = b64::encode(&b64::decode(RFC7515_A3_X).unwrap()[1..]);
    let bad_ec = ec_jwk(&short_x, RFC7515_A3_Y);
    let jwks = |keys: Value| {
        code(JwkSet::from_json(
            json!({ "keys": keys }).to_string().as_bytes(),
        ))
    };
    let good: Value = serde_json::from_str(&rfc7515_a3_public_jwk()).unwrap();
    let bad: Value = serde_json::from_str(&bad_ec).unwrap();
    assert_eq!(jwks(json!([good.clone(), bad])), "jwk_invalid");
    assert_eq!(jwks(json!([good.clone(), "not a key"])), "jwk_invalid");
    assert_eq!(
        jwks(json!([good.clone(), { "kty": "EC", "crv": "P-256" }])),
        "jwk_invalid"
    );
    assert_eq!(jwks(json!({ "0": good })), "jwk_invalid");
    assert_eq!(code(JwkSet::from_json(br#"{"kid":"x"}"#)), "jwk_invalid");
    assert_eq!(code(JwkSet::from_json(b"[]")), "json_not_object");
}

/// A JWKS whose keys are: the RFC 7515 A.3 P-256 key ("ec"), the RFC 7520 §3.3 RSA key
/// ("rsa"), and the RFC 8037 A.2 Ed25519 key ("ed").
fn mixed_set() -> JwkSet {
    set_of(&[
        &with_members(&rfc7515_a3_public_jwk(), json!({ "kid": "ec" })),
        &with_members(RFC7520_FIGURE_3, json!({ "kid": "rsa" })),
        &with_members(RFC8037_A2_JWK, json!({ "kid": "ed" })),
    ])
}

fn kids(candidates: Result<Vec<&Jwk>, Error>) -> Vec<String> {
    candidates
        .unwrap()
        .iter()
        .map(|k| k.kid().unwrap_or("-").to_owned())
        .collect()
}

/// RFC 7515 §4.1.4 and RFC 8725 §3.1 (the key decides the algorithm): a `kid` naming a key of
/// another type is `key_alg_mismatch`, never a reason to try other keys; an unknown `kid` is
/// `key_not_found`; without a `kid` only keys of the algorithm's type are candidates.
#[test]
fn jwks_candidates_by_kid_and_type() {
    let set = mixed_set();
    assert_eq!(kids(set.candidates(Alg::Es256, Some("ec"))), ["ec"]);
    assert_eq!(
        code(set.candidates(Alg::Es256, Some("rsa"))),
        "key_alg_mismatch"
    );
    assert_eq!(
        code(set.candidates(Alg::Rs256, Some("ed"))),
        "key_alg_mismatch"
    );
    assert_eq!(
        code(set.candidates(Alg::Es384, Some("ec"))),
        "key_alg_mismatch"
    );
    assert_eq!(
        code(set.candidates(Alg::Es256, Some("nope"))),
        "key_not_found"
    );
    assert_eq!(kids(set.candidates(Alg::Es256, None)), ["ec"]);
    assert_eq!(kids(set.candidates(Alg::Ps512, None)), ["rsa"]);
    assert_eq!(kids(set.candidates(Alg::EdDsa, None)), ["ed"]);
    assert_eq!(code(set.candidates(Alg::Es384, None)), "key_not_found");
    assert_eq!(
        code(JwkSet::default().candidates(Alg::Es256, None)),
        "key_not_found"
    );
}

/// RFC 7517 §4.2 (`use`), §4.3 (`key_ops`), §4.4 (`alg`): a key whose `alg` is another
/// algorithm, whose `use` is "enc", or whose `key_ops` lack "verify" is not a candidate.
#[test]
fn jwks_candidates_respect_alg_use_and_key_ops() {
    let ec = rfc7515_a3_public_jwk();
    let only = |members: Value, alg: Alg| {
        let key = with_members(&ec, members);
        let set = set_of(&[&key]);
        (
            code(set.candidates(alg, None)),
            code(set.candidates(alg, Some("k"))),
        )
    };
    assert_eq!(
        only(json!({ "kid": "k", "alg": "ES256" }), Alg::Es256),
        ("ok", "ok")
    );
    assert_eq!(
        only(json!({ "kid": "k", "use": "sig" }), Alg::Es256),
        ("ok", "ok")
    );
    assert_eq!(
        only(
            json!({ "kid": "k", "key_ops": ["sign", "verify"] }),
            Alg::Es256
        ),
        ("ok", "ok")
    );
    assert_eq!(
        only(json!({ "kid": "k", "use": "enc" }), Alg::Es256),
        ("key_not_found", "key_alg_mismatch")
    );
    assert_eq!(
        only(json!({ "kid": "k", "key_ops": ["sign"] }), Alg::Es256),
        ("key_not_found", "key_alg_mismatch")
    );
    assert_eq!(
        only(json!({ "kid": "k", "key_ops": [] }), Alg::Es256),
        ("key_not_found", "key_alg_mismatch")
    );
    let rsa = |members: Value, alg: Alg| {
        let key = with_members(RFC7520_FIGURE_3, members);
        let set = set_of(&[&key]);
        (
            code(set.candidates(alg, None)),
            code(set.candidates(alg, Some("k"))),
        )
    };
    assert_eq!(
        rsa(json!({ "kid": "k", "alg": "RS256" }), Alg::Rs256),
        ("ok", "ok")
    );
    assert_eq!(
        rsa(json!({ "kid": "k", "alg": "RS256" }), Alg::Ps256),
        ("key_not_found", "key_alg_mismatch")
    );
    assert_eq!(
        rsa(json!({ "kid": "k", "alg": "PS384" }), Alg::Rs384),
        ("key_not_found", "key_alg_mismatch")
    );

    // Through jwt::verify: the RFC 7515 A.3 token against its own key marked "use": "enc".
    let enc = set_of(&[&with_members(&ec, json!({ "use": "enc" }))]);
    assert_eq!(
        code(jwt::verify(
            RFC7515_A3_JWS,
            &enc,
            &Validation::default(),
            BEFORE_EXP
        )),
        "key_not_found"
    );
}

/// RFC 7515 §4.1.4 / RFC 8725 §3.1 through `jwt::verify`: an ES256 token whose `kid` names
/// the RSA key is refused even though the set holds the EC key that signed it; without a
/// `kid`, every candidate of the right type is tried.
#[test]
fn jwt_verify_kid_rules() {
    let private = jwk(RFC7515_A3_PRIVATE_JWK);
    let Some(PrivateKey::P256(signing_key)) = private.private_key() else {
        panic!("no P-256 signing key")
    };
    let claims = br#"{"sub":"x"}"#;
    let header = |kid: Option<&str>| {
        let mut map = Map::new();
        if let Some(kid) = kid {
            map.insert("kid".into(), Value::String(kid.into()));
        }
        map
    };
    let set = mixed_set();
    let now = UnixTime(0);
    let by_rsa_kid = jws::sign_es256(header(Some("rsa")), claims, signing_key);
    assert_eq!(
        code(jwt::verify(&by_rsa_kid, &set, &Validation::default(), now)),
        "key_alg_mismatch"
    );
    let by_ec_kid = jws::sign_es256(header(Some("ec")), claims, signing_key);
    assert_eq!(
        code(jwt::verify(&by_ec_kid, &set, &Validation::default(), now)),
        "ok"
    );
    let by_unknown_kid = jws::sign_es256(header(Some("gone")), claims, signing_key);
    assert_eq!(
        code(jwt::verify(
            &by_unknown_kid,
            &set,
            &Validation::default(),
            now
        )),
        "key_not_found"
    );

    // No kid: an unrelated P-256 key first, the signing key second; the second one verifies.
    let other = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let point = other.verifying_key().to_sec1_point(false);
    let other_jwk = ec_jwk(
        &b64::encode(&point.as_bytes()[1..33]),
        &b64::encode(&point.as_bytes()[33..]),
    );
    let two = set_of(&[&other_jwk, &rfc7515_a3_public_jwk()]);
    let no_kid = jws::sign_es256(header(None), claims, signing_key);
    let verified = jwt::verify(&no_kid, &two, &Validation::default(), now).unwrap();
    assert_eq!(
        verified.key().thumbprint(),
        jwk(&rfc7515_a3_public_jwk()).thumbprint()
    );
    let only_other = set_of(&[&other_jwk]);
    assert_eq!(
        code(jwt::verify(
            &no_kid,
            &only_other,
            &Validation::default(),
            now
        )),
        "signature_invalid"
    );
}
