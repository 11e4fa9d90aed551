//! The Form Post Response Mode page (OAuth 2.0 Form Post Response Mode §2): the response
//! parameters as hidden fields of a form that the browser posts to the redirect URI at
//! once. The response never appears in a URL, so it stays out of browser history, logs
//! and `Referer` headers.
//!
//! The one script on the page is fixed text, allowed by its hash and nothing else (CSP
//! `script-src 'sha256-…'`); every value is escaped into an attribute. The form may post
//! only to the redirect URI's origin (`form-action`), the page cannot be framed (a framed
//! auto-post would hand a code to whoever frames it), and nothing caches it. Without
//! script, a button submits the same form.

use std::sync::OnceLock;

use base64ct::Encoding;
use sha2::{Digest, Sha256};

use crate::op::http::Response;
use crate::op::pages::{escape, origin_of};

/// The script that posts the form, exactly as the CSP hash covers it.
const SCRIPT: &str = "document.forms[0].submit()";

/// The CSP source of [`SCRIPT`]: its SHA-256 in base64 (CSP3 §2.3.1 hash-source).
pub fn script_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        format!(
            "'sha256-{}'",
            base64ct::Base64::encode_string(&Sha256::digest(SCRIPT.as_bytes()))
        )
    })
}

/// The page that posts `params` to `redirect_uri` (a registered redirect URI: absolute
/// http or https).
pub fn page(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let fields: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Continue</title></head><body>\
         <form method=\"post\" action=\"{action}\">{fields}\
         <noscript><p>Press the button to return to the application.</p>\
         <button type=\"submit\">Continue</button></noscript></form>\
         <script>{SCRIPT}</script></body></html>",
        action = escape(redirect_uri),
    );
    // A redirect URI that is not an absolute URL cannot be registered; should one get
    // here, the form may post nowhere.
    let form_action = origin_of(redirect_uri).unwrap_or("'none'");
    let csp = format!(
        "default-src 'none'; script-src {}; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'",
        script_hash()
    );
    // The page's fields hold the authorization code (or the JARM response carrying it).
    Response::html(200, html)
        .no_store_credentials()
        .with_header("content-security-policy", &csp)
        .with_header("x-frame-options", "DENY")
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash in the policy is the hash of the script on the page, and values cannot
    /// break out of their attribute.
    #[test]
    fn the_page_runs_only_its_own_script() {
        let page = page(
            "https://rp.example/cb?x=1",
            &[("state", "\"><script>alert(1)</script>")],
        );
        let html = String::from_utf8(page.body.clone()).unwrap();
        assert_eq!(html.matches("<script>").count(), 1);
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("action=\"https://rp.example/cb?x=1\""));
        let csp = page.header("content-security-policy").unwrap();
        let expected =
            base64ct::Base64::encode_string(&Sha256::digest(b"document.forms[0].submit()"));
        assert!(
            csp.contains(&format!("script-src 'sha256-{expected}';")),
            "{csp}"
        );
        assert!(csp.contains("form-action https://rp.example;"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
    }
}
