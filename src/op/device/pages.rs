//! The device verification pages (RFC 8628 §3.3): enter the code, check what the device
//! asks for, approve or deny, and the answer. Rendered like every page here
//! (`op::pages`): escaped values, no script, the same security headers.

use crate::op::http::Response;
use crate::op::pages::{ClientView, escape, hidden_input, page, scope_item};

/// What `/device`'s forms post to: the page itself.
pub const ACTION: &str = "/device";

/// The form where the signed-in user types (or confirms) the code their device shows.
pub struct CodePage<'a> {
    /// The CSRF token.
    pub csrf: &'a str,
    /// The code to prefill (from `verification_uri_complete`, or as typed before).
    pub user_code: &'a str,
    /// The provider's name.
    pub provider_name: &'a str,
    /// An error to show.
    pub error: Option<&'a str>,
    /// The status to answer with.
    pub status: u16,
}

/// Renders the code form.
pub fn code(p: &CodePage<'_>) -> Response {
    let error = p
        .error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Connect a device</h1><p>Enter the code your device shows to use your {provider} account there.</p>{error}\
         <form method=\"post\" action=\"{ACTION}\">{step}{csrf}\
         <label for=\"user_code\">Code</label>\
         <input id=\"user_code\" name=\"user_code\" value=\"{code}\" autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\" maxlength=\"32\" required autofocus>\
         <button type=\"submit\">Continue</button></form>",
        provider = escape(p.provider_name),
        step = hidden_input("step", "code"),
        csrf = hidden_input("csrf", p.csrf),
        code = escape(p.user_code),
    );
    page(
        p.status,
        &format!("Connect a device · {}", p.provider_name),
        &body,
        None,
        None,
    )
}

/// The approval form: who asks, for what, and the code to compare with the device's.
pub struct ApprovePage<'a> {
    /// The CSRF token, bound to the code.
    pub csrf: &'a str,
    /// The code as shown (`XXXX-XXXX`).
    pub user_code: &'a str,
    /// The client asking.
    pub client: ClientView<'a>,
    /// The provider's name.
    pub provider_name: &'a str,
    /// The scopes asked for, each with its plain words if there are some.
    pub scopes: &'a [(&'a str, Option<&'a str>)],
}

/// Renders the approval form. It warns that a code from someone else hands them the
/// account (RFC 8628 §5.4, remote phishing).
pub fn approve(p: &ApprovePage<'_>) -> Response {
    let scopes: String = p.scopes.iter().map(scope_item).collect();
    let body = format!(
        "{logo}<h1>Connect this device?</h1><p>{client} on a device asks to use your {provider} account to:</p><ul>{scopes}</ul>\
         <p>The device shows the code <code>{code}</code>. Allow only if it is a device you are setting up yourself: \
         a code someone else gave you would hand them your account.</p>{links}\
         <form method=\"post\" action=\"{ACTION}\">{step}{user_code}{csrf}\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        logo = p.client.logo(),
        client = p.client.label(),
        provider = escape(p.provider_name),
        code = escape(p.user_code),
        links = p.client.links(),
        step = hidden_input("step", "decide"),
        user_code = hidden_input("user_code", p.user_code),
        csrf = hidden_input("csrf", p.csrf),
    );
    page(
        200,
        &format!("Connect a device · {}", p.provider_name),
        &body,
        None,
        p.client.logo_origin(),
    )
}

/// The page after the answer.
pub fn answered(approved: bool) -> Response {
    let body = if approved {
        "<h1>Device connected</h1><p>You can go back to your device: it continues on its own.</p>"
    } else {
        "<h1>Request denied</h1><p>The device was not given access. You can close this window.</p>"
    };
    page(200, "Connect a device", body, None, None)
}
