//! The provider's HTML pages: login, consent and errors. Plain server-rendered forms
//! with every interpolated value escaped, no script at all, and a Content Security Policy
//! that allows only the one inline stylesheet (by hash) and forms posting back here (or,
//! after a POST, redirecting to the client).

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::clients::document::host_of;
use super::config::{Client, ClientOrigin};
use super::http::Response;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}\
main{max-width:380px;margin:12vh auto;background:#fff;padding:32px;border-radius:12px;box-shadow:0 2px 12px #0001}\
h1{font-size:1.3em;margin:0 0 4px}p{margin:8px 0;color:#4a5163}label{display:block;margin:16px 0 4px;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c9ced8;border-radius:8px;font:inherit}\
button{margin-top:20px;padding:10px 18px;border:0;border-radius:8px;background:#2456d6;color:#fff;font:inherit;cursor:pointer}\
button.secondary{background:#e6e9ef;color:#1d2330;margin-left:8px}.error{color:#b3261e;font-weight:600}\
ul{padding-left:20px}code{background:#eef0f4;padding:1px 5px;border-radius:4px}\
img.logo{display:block;margin:0 0 16px;border-radius:8px}.scope{color:#6b7285;font-size:.85em}\
.links{font-size:.9em}a{color:#2456d6}.provenance{color:#8a5a00;font-size:.9em}\
a.upstream{display:block;box-sizing:border-box;margin-top:12px;padding:10px 18px;border:1px solid #c9ced8;border-radius:8px;color:#1d2330;text-align:center;text-decoration:none;font-weight:600}\
p.or{margin:20px 0 0;text-align:center;color:#6b7285}";

fn style_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&Sha256::digest(STYLE.as_bytes()))
    })
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page response with the security headers every page carries. `form_target` is the
/// origin a form on the page may end up at after its POST (the client's redirect URI),
/// which the CSP `form-action` must allow in browsers that check redirects; `image_origin`
/// the one origin images may come from (a client's logo).
pub(crate) fn page(
    status: u16,
    title: &str,
    body: &str,
    form_target: Option<&str>,
    image_origin: Option<&str>,
) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    );
    let form_action = match form_target {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let img_src = image_origin
        .map(|origin| format!("; img-src {origin}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'sha256-{}'{img_src}; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'",
        style_hash()
    );
    Response::html(status, html)
        .no_store()
        .with_header("content-security-policy", &csp)
        .with_header("x-frame-options", "DENY")
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
}

/// What a page's CSP `form-action` must allow for a form whose POST ends in a redirect to
/// `uri` (browsers check the redirect too): the origin of an http(s) URI, or the scheme of
/// a native app's private-use one (`com.example.app:`, RFC 8252 §7.1), as a CSP scheme
/// source. Nothing else of a private-use URI reaches the header: the rest is the client's
/// text, and a `;` or `,` in it would add directives or policies.
pub fn form_target(uri: &str) -> Option<&str> {
    if uri.starts_with("https://") || uri.starts_with("http://") {
        return origin_of(uri);
    }
    let end = uri.find(':')?;
    let scheme = uri.get(..end)?;
    if crate::op::config::is_scheme(scheme) {
        uri.get(..=end)
    } else {
        None
    }
}

/// Whether `uri` is an http(s) URI, which a form can be posted to.
pub fn is_http(uri: &str) -> bool {
    uri.starts_with("https://") || uri.starts_with("http://")
}

/// The origin of an absolute URL (`https://host:port`), for CSP.
pub fn origin_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    url.get(..scheme.len().checked_add(3)?.checked_add(end)?)
}

/// Who is asking, as the pages show it (RFC 7591 §2 metadata). The `client_id` is always
/// shown beside the name: the name is the client's own claim, the id is what the operator
/// registered.
#[derive(Debug, Clone, Copy)]
pub struct ClientView<'a> {
    /// The client's id.
    pub client_id: &'a str,
    /// `client_name`.
    pub name: Option<&'a str>,
    /// `logo_uri`.
    pub logo_uri: Option<&'a str>,
    /// `policy_uri`.
    pub policy_uri: Option<&'a str>,
    /// `tos_uri`.
    pub tos_uri: Option<&'a str>,
    /// How the client came to be known, which the pages say when the operator did not
    /// vouch for it.
    pub origin: ClientOrigin,
}

impl<'a> ClientView<'a> {
    /// The view of a registered client.
    pub fn of(client: &'a Client) -> ClientView<'a> {
        ClientView {
            client_id: client.client_id.as_str(),
            name: client.client_name.as_deref(),
            logo_uri: client.logo_uri.as_deref(),
            policy_uri: client.policy_uri.as_deref(),
            tos_uri: client.tos_uri.as_deref(),
            origin: client.origin,
        }
    }

    /// The client id alone, for a client no longer registered.
    pub fn bare(client_id: &'a str) -> ClientView<'a> {
        ClientView {
            client_id,
            name: None,
            logo_uri: None,
            policy_uri: None,
            tos_uri: None,
            origin: ClientOrigin::Configured,
        }
    }

    /// Who vouches for the client, when the operator does not: the host of its metadata
    /// document (whoever controls it is who is asking,
    /// draft-ietf-oauth-client-id-metadata-document §6.1), or that it registered itself.
    fn provenance(&self) -> String {
        match self.origin {
            ClientOrigin::Configured => String::new(),
            ClientOrigin::Registered => "<p class=\"provenance\">This application registered \
                 itself here; nobody has reviewed it.</p>"
                .to_owned(),
            ClientOrigin::MetadataDocument => match host_of(self.client_id) {
                Some(host) => format!(
                    "<p class=\"provenance\">This application is described by \
                     <strong>{}</strong>. Continue only if you trust that site.</p>",
                    escape(host)
                ),
                None => String::new(),
            },
        }
    }

    /// The name with the id, or the id alone, escaped.
    pub(crate) fn label(&self) -> String {
        match self.name {
            Some(name) => format!(
                "<strong>{}</strong> (<code>{}</code>)",
                escape(name),
                escape(self.client_id)
            ),
            None => format!("<code>{}</code>", escape(self.client_id)),
        }
    }

    /// The logo, escaped, if there is one.
    pub(crate) fn logo(&self) -> String {
        self.logo_uri
            .map(|uri| {
                format!(
                    "<img class=\"logo\" src=\"{}\" alt=\"\" width=\"48\" height=\"48\">",
                    escape(uri)
                )
            })
            .unwrap_or_default()
    }

    /// The origin the logo comes from, for the CSP.
    pub(crate) fn logo_origin(&self) -> Option<&'a str> {
        self.logo_uri.and_then(origin_of)
    }

    /// Links to the client's policy and terms, if it has them.
    pub(crate) fn links(&self) -> String {
        let links: Vec<String> = [
            (self.policy_uri, "Privacy policy"),
            (self.tos_uri, "Terms of service"),
        ]
        .into_iter()
        .filter_map(|(uri, text)| {
            uri.map(|uri| {
                format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{text}</a>",
                    escape(uri)
                )
            })
        })
        .collect();
        if links.is_empty() {
            String::new()
        } else {
            format!("<p class=\"links\">{}</p>", links.join(" · "))
        }
    }
}

/// The login form.
pub struct LoginPage<'a> {
    /// Where the form posts: `/login`, or the page that signs its user in itself
    /// (`/device`, `/ciba`).
    pub action: &'a str,
    /// The hidden fields that carry the form's context (the transaction id, …).
    pub hidden: &'a [(&'a str, &'a str)],
    /// The CSRF token.
    pub csrf: &'a str,
    /// The client the user signs in to, when one is known yet.
    pub client: Option<ClientView<'a>>,
    /// What signing in is for when no client is named ("to connect a device").
    pub purpose: &'a str,
    /// The provider's name.
    pub provider_name: &'a str,
    /// The username to prefill after a failed attempt.
    pub username: &'a str,
    /// An error to show.
    pub error: Option<&'a str>,
    /// Where the flow ends, for the CSP.
    pub redirect_origin: Option<&'a str>,
    /// Whether the password form is shown (`password_login`).
    pub password: bool,
    /// A "Continue with …" link per upstream provider.
    pub upstreams: &'a [UpstreamLink<'a>],
}

/// A link that starts a sign-in at an upstream provider. A link, not a form: a form's
/// `form-action` would have to allow every upstream's authorization endpoint, which the
/// page does not know without fetching each one's discovery document first.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamLink<'a> {
    /// The provider's name.
    pub name: &'a str,
    /// Where the link leads (this provider's `/upstream/start`, with the transaction).
    pub href: &'a str,
}

/// Renders the login page.
pub fn login(p: &LoginPage<'_>) -> Response {
    let error = p
        .error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let password = if p.password {
        let hidden: String = p
            .hidden
            .iter()
            .map(|(name, value)| hidden_input(name, value))
            .collect();
        format!(
            "<form method=\"post\" action=\"{action}\">\
             {hidden}<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"username\">Username</label>\
             <input id=\"username\" name=\"username\" autocomplete=\"username\" value=\"{username}\" required autofocus>\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\">Sign in</button></form>",
            action = escape(p.action),
            csrf = escape(p.csrf),
            username = escape(p.username),
        )
    } else {
        String::new()
    };
    let or = if p.password && !p.upstreams.is_empty() {
        "<p class=\"or\">or</p>"
    } else {
        ""
    };
    let upstreams: String = p
        .upstreams
        .iter()
        .map(|link| {
            format!(
                "<a class=\"upstream\" href=\"{}\" rel=\"nofollow\">Continue with {}</a>",
                escape(link.href),
                escape(link.name)
            )
        })
        .collect();
    let client = match p.client {
        Some(client) => format!("to continue to {}", client.label()),
        None => escape(p.purpose),
    };
    let body = format!(
        "{logo}<h1>Sign in to {provider}</h1><p>{client}</p>{provenance}{error}\
         {password}{or}{upstreams}",
        logo = p.client.map(|c| c.logo()).unwrap_or_default(),
        provider = escape(p.provider_name),
        provenance = p.client.map(|c| c.provenance()).unwrap_or_default(),
    );
    page(
        if p.error.is_some() { 401 } else { 200 },
        &format!("Sign in · {}", p.provider_name),
        &body,
        p.redirect_origin,
        p.client.and_then(|c| c.logo_origin()),
    )
}

/// A hidden form field, escaped.
pub(crate) fn hidden_input(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

/// One scope in a list of what a client asks for: its plain words if it has some, with
/// the scope itself beside them.
pub(crate) fn scope_item(&(scope, words): &(&str, Option<&str>)) -> String {
    match words {
        Some(words) => format!(
            "<li>{} <span class=\"scope\">(<code>{}</code>)</span></li>",
            escape(words),
            escape(scope)
        ),
        None => format!("<li><code>{}</code></li>", escape(scope)),
    }
}

/// The consent form.
pub struct ConsentPage<'a> {
    /// The transaction id.
    pub tx: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The client asking.
    pub client: ClientView<'a>,
    /// The provider's name.
    pub provider_name: &'a str,
    /// The scopes asked for, each with its plain words if there are some.
    pub scopes: &'a [(&'a str, Option<&'a str>)],
    /// Claims asked for one by one (OpenID Connect Core §5.5), beyond the scopes'.
    pub claims: &'a [&'a str],
    /// Where the flow ends, for the CSP.
    pub redirect_origin: Option<&'a str>,
}

/// Renders the consent page: who asks, for what in plain words (the scope itself beside
/// them), and the client's policy and terms.
pub fn consent(p: &ConsentPage<'_>) -> Response {
    let scopes: String = p
        .scopes
        .iter()
        .map(scope_item)
        .chain(p.claims.iter().map(|claim| {
            format!(
                "<li>Your <code>{}</code> <span class=\"scope\">(asked for by name)</span></li>",
                escape(claim)
            )
        }))
        .collect();
    let body = format!(
        "{logo}<h1>Allow access?</h1><p>{client} asks to use your {provider} account to:</p><ul>{scopes}</ul>{provenance}{links}\
         <form method=\"post\" action=\"/consent\">\
         <input type=\"hidden\" name=\"tx\" value=\"{tx}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        logo = p.client.logo(),
        client = p.client.label(),
        provider = escape(p.provider_name),
        provenance = p.client.provenance(),
        links = p.client.links(),
        tx = escape(p.tx),
        csrf = escape(p.csrf),
    );
    page(
        200,
        &format!("Allow access · {}", p.provider_name),
        &body,
        p.redirect_origin,
        p.client.logo_origin(),
    )
}

/// The sign-out confirmation form (RP-Initiated Logout 1.0 §2).
pub struct LogoutPage<'a> {
    /// The CSRF token.
    pub csrf: &'a str,
    /// The client the user came from, if known.
    pub client_id: Option<&'a str>,
    /// The validated place to return to.
    pub post_logout_redirect_uri: Option<&'a str>,
    /// The client's `state`.
    pub state: Option<&'a str>,
}

/// Renders the sign-out confirmation page.
pub fn logout(p: &LogoutPage<'_>) -> Response {
    let hidden = |name: &str, value: Option<&str>| {
        value
            .map(|v| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    escape(v)
                )
            })
            .unwrap_or_default()
    };
    let from = p
        .client_id
        .map(|c| format!("<p>Requested by <code>{}</code>.</p>", escape(c)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign out?</h1><p>You will be signed out of this identity provider.</p>{from}\
         <form method=\"post\" action=\"/end_session\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{client}{redirect}{state}\
         <button type=\"submit\" name=\"confirm\" value=\"yes\">Sign out</button></form>",
        csrf = escape(p.csrf),
        client = hidden("client_id", p.client_id),
        redirect = hidden("post_logout_redirect_uri", p.post_logout_redirect_uri),
        state = hidden("state", p.state),
    );
    page(
        200,
        "Sign out",
        &body,
        p.post_logout_redirect_uri.and_then(form_target),
        None,
    )
}

/// The page after a sign-out with nowhere to return to.
pub fn signed_out() -> Response {
    page(
        200,
        "Signed out",
        "<h1>Signed out</h1><p>You are signed out. You can close this window.</p>",
        None,
        None,
    )
}

/// An error page, for failures that must not be sent to a redirect URI (an unknown
/// client or redirect URI: RFC 6749 §4.1.2.1).
pub fn error(status: u16, code: &str, description: &str) -> Response {
    let body = format!(
        "<h1>Something went wrong</h1><p class=\"error\">{}</p><p>{}</p>",
        escape(code),
        escape(description)
    );
    page(status, "Error", &body, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn pages_carry_security_headers() {
        let page = error(400, "invalid_request", "<script>alert(1)</script>");
        let body = String::from_utf8(page.body.clone()).unwrap();
        assert!(!body.contains("<script>"));
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("default-src 'none'"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("http://localhost:5173/callback?x=1"),
            Some("http://localhost:5173")
        );
        assert_eq!(origin_of("https://a.example"), Some("https://a.example"));
        assert_eq!(origin_of("nope"), None);
    }

    #[test]
    fn form_targets_are_origins_or_schemes() {
        assert_eq!(
            form_target("https://a.example:8443/cb?x=1"),
            Some("https://a.example:8443")
        );
        assert_eq!(
            form_target("com.example.app:/oauth2redirect"),
            Some("com.example.app:")
        );
        // The authority of a private-use URI never reaches the policy.
        assert_eq!(
            form_target("com.example.app://a;sandbox,b"),
            Some("com.example.app:")
        );
        assert_eq!(form_target("nope"), None);
        assert_eq!(form_target("1x.y:/cb"), None);
        assert_eq!(form_target("a b.c:/cb"), None);
    }
}
