//! `http_input`: what the provider reads from a request before any endpoint logic:
//! form bodies and query strings (src/op/form.rs), cookies, headers and URL parts
//! (src/op/http.rs), and the endpoints' parameter reader. Encoding round trips; the URL
//! accessors return the parts they promise.

use arbitrary::Arbitrary;
use oidc_edge::op::Request;
use oidc_edge::op::form::{self, FormError, MAX_PARAMS, MAX_VALUE_LEN, Params};

use super::{Encode, Few, Seed, Text, decode, encode_checked, text};

#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Input {
    pub method: Text,
    pub url: Text,
    pub headers: Few<(Text, Text)>,
    pub body: Text,
    /// Pairs to encode and parse back.
    pub pairs: Few<(Text, Text)>,
    /// A name to look up as a header and a cookie.
    pub name: Text,
}

impl Encode for Input {
    fn encode(&self, seed: &mut Seed) {
        self.method.encode(seed);
        self.url.encode(seed);
        self.headers.encode(seed);
        self.body.encode(seed);
        self.pairs.encode(seed);
        self.name.encode(seed);
    }
}

pub fn http_input(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let mut req = Request::new(&input.method.0, &input.url.0);
    for (name, value) in &input.headers.0 {
        req = req.with_header(&name.0, &value.0);
    }
    req.body = input.body.0.clone().into_bytes();

    // URL parts.
    let path = req.path();
    assert!(path.starts_with('/'), "path {path:?}");
    assert!(!path.contains(['?', '#']));
    let query = req.query();
    assert!(!query.contains('#'));
    assert!(req.url.contains(query));
    let base = req.url_without_query();
    assert!(req.url.starts_with(base));
    assert!(!base.contains(['?', '#']));
    assert_eq!(req.method, req.method.to_ascii_uppercase());

    // Headers and cookies.
    let mut names: Vec<String> = req.headers.iter().map(|(n, _)| n.clone()).collect();
    names.push(input.name.0.to_ascii_lowercase());
    for name in &names {
        assert_eq!(req.header(name), req.header_all(name).first().copied());
        assert_eq!(name, &name.to_ascii_lowercase());
    }
    let mut cookie_names = vec![input.name.0.clone(), "oe_session".to_owned()];
    for value in req.header_all("cookie") {
        for pair in value.split(';').take(8) {
            if let Some((name, _)) = pair.trim().split_once('=') {
                cookie_names.push(name.to_owned());
            }
        }
    }
    for name in &cookie_names {
        if let Some(value) = req.cookie(name) {
            assert!(!value.contains(';'));
            assert!(req.header_all("cookie").iter().any(|h| h.contains(value)));
        }
    }
    let _ = req.has_form_body();

    // The endpoints' parameters (query for GET, form body for POST) and both parsers.
    let _ = req.params();
    for text in [query, input.body.0.as_str()] {
        if let Ok(parsed) = Params::parse(text) {
            for pair in text.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let name = form::decode_component(name).expect("parsed, so decodes");
                let value = form::decode_component(value).expect("parsed, so decodes");
                if value.is_empty() {
                    assert!(!parsed.has(&name) || parsed.get(&name).is_some());
                } else {
                    assert_eq!(parsed.get(&name), Some(value.as_str()));
                }
            }
        }
    }

    // Encoding round trips.
    for (name, value) in &input.pairs.0 {
        for s in [&name.0, &value.0] {
            let encoded = form::encode_component(s);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
            );
            assert_eq!(form::decode_component(&encoded).as_deref(), Ok(s.as_str()));
        }
    }
    let pairs: Vec<(&str, &str)> = input
        .pairs
        .0
        .iter()
        .map(|(n, v)| (n.0.as_str(), v.0.as_str()))
        .collect();
    let encoded = form::encode(&pairs);
    let parsed = Params::parse(&encoded);
    let distinct = pairs
        .iter()
        .enumerate()
        .all(|(i, (n, _))| pairs[..i].iter().all(|(m, _)| m != n));
    let fits = pairs.len() <= MAX_PARAMS && pairs.iter().all(|(_, v)| v.len() <= MAX_VALUE_LEN);
    match parsed {
        Ok(parsed) => {
            for (name, value) in &pairs {
                if !value.is_empty() {
                    assert_eq!(parsed.get(name), Some(*value));
                }
            }
        }
        Err(FormError::Repeated(name)) => assert!(!distinct, "repeated {name:?}"),
        Err(FormError::TooLarge) => assert!(!fits),
        Err(FormError::Malformed) => panic!("our own encoding is malformed: {encoded:?}"),
    }
}

pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let base = Input {
        method: text("post"),
        url: text("https://op.example/token?x=1&y=%C3%A9#frag"),
        headers: Few(vec![
            (
                text("Content-Type"),
                text("application/x-www-form-urlencoded; charset=UTF-8"),
            ),
            (
                text("Cookie"),
                text("oe_browser=AAAA; oe_session=BBBB; theme=dark"),
            ),
            (text("Authorization"), text("Basic c3BhOnNlY3JldA==")),
        ]),
        body: text(
            "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fspa.example%2Fcallback&client_id=spa&code_verifier=x+y",
        ),
        pairs: Few(vec![
            (text("redirect_uri"), text("https://c.example/cb?x=1")),
            (text("scope"), text("openid profile é+&=")),
        ]),
        name: text("oe_session"),
    };
    let variants = vec![
        ("token-post", base.clone()),
        (
            "authorize-get",
            Input {
                method: text("GET"),
                url: text(
                    "https://op.example/authorize?response_type=code&client_id=spa&scope=openid&state=a%20b&empty=&flag",
                ),
                headers: Few(vec![(text("cookie"), text("a=1;b=2"))]),
                body: text(""),
                ..base.clone()
            },
        ),
        (
            "odd-url",
            Input {
                url: text("op.example"),
                headers: Few(vec![(text("cookie"), text("=;;x"))]),
                body: text("a=%zz&a=1&%FF"),
                ..base.clone()
            },
        ),
    ];
    variants
        .into_iter()
        .map(|(name, input)| (name.to_owned(), encode_checked(&input)))
        .collect()
}
