//! The forms of the pages a signed-in user answers on (`/device`, `/ciba`), filled in as a
//! browser does: every hidden input carried over, the visible fields typed.

use oidc_edge::op::Response;

use super::{Browser, Op, hidden, location, text};

/// Every hidden input of `html`, in order.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[at + "<input type=\"hidden\" name=\"".len()..];
        let name = rest.split('"').next().unwrap().to_owned();
        out.push((name.clone(), hidden(html, &name)));
    }
    out
}

/// POSTs to `path` a form of `hidden` fields with `typed` ones, which replace hidden ones
/// of the same name.
pub fn submit_form(
    browser: &Browser<'_>,
    path: &str,
    hidden: &[(String, String)],
    typed: &[(&str, &str)],
) -> Response {
    let mut form: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    form.retain(|(name, _)| !typed.iter().any(|(n, _)| n == name));
    form.extend_from_slice(typed);
    browser.post(path, &form)
}

/// A new browser signed in at the page `path` as `username`: its sign-in form (which
/// `shows` a text of its own) submitted, and the page again, which it returns.
pub fn signed_in_at<'a>(
    op: &'a Op,
    path: &str,
    shows: &str,
    username: &str,
    password: &str,
) -> (Browser<'a>, Response) {
    let browser = Browser::new(op);
    let sign_in = browser.get(path);
    assert_eq!(sign_in.status, 200);
    let html = text(&sign_in);
    assert!(html.contains(shows), "{html}");
    let back = submit_form(
        &browser,
        path,
        &hidden_fields(&html),
        &[("username", username), ("password", password)],
    );
    assert_eq!(location(&back), path);
    let page = browser.get(path);
    assert_eq!(page.status, 200, "{}", text(&page));
    (browser, page)
}
