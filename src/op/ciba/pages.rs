//! The CIBA page (`/ciba`): the signed-in user's waiting requests, each with who asks, for
//! what, and the binding message to compare with what the asking device shows; allow or
//! deny each. Rendered like every page here (`op::pages`).

use crate::op::http::Response;
use crate::op::pages::{ClientView, escape, hidden_input, page, scope_item};

/// What `/ciba`'s forms post to: the page itself.
pub const ACTION: &str = "/ciba";

/// One waiting request as the page shows it.
pub struct Waiting<'a> {
    /// Its inbox number.
    pub number: u64,
    /// Its id.
    pub id: &'a str,
    /// The CSRF token of its form, bound to its id.
    pub csrf: &'a str,
    /// The client asking.
    pub client: ClientView<'a>,
    /// Its binding message.
    pub binding_message: Option<&'a str>,
    /// The scopes asked for, each with its plain words if there are some.
    pub scopes: Vec<(&'a str, Option<&'a str>)>,
    /// Minutes until it expires (rounded up).
    pub minutes_left: i64,
}

/// Renders the list.
pub fn inbox(provider_name: &str, waiting: &[Waiting<'_>]) -> Response {
    let items: String = waiting.iter().map(item).collect();
    let body = if waiting.is_empty() {
        format!(
            "<h1>Requests</h1><p>No application is waiting for your answer at {}.</p>",
            escape(provider_name)
        )
    } else {
        format!(
            "<h1>Requests</h1><p>These applications ask to use your {} account. Allow only what you started yourself.</p>{items}",
            escape(provider_name)
        )
    };
    page(
        200,
        &format!("Requests · {provider_name}"),
        &body,
        None,
        None,
    )
}

/// One request's section and form.
fn item(w: &Waiting<'_>) -> String {
    let scopes: String = w.scopes.iter().map(scope_item).collect();
    let binding = w
        .binding_message
        .map(|m| {
            format!(
                "<p>It shows: <strong>{}</strong>. Allow only if the application shows the same.</p>",
                escape(m)
            )
        })
        .unwrap_or_default();
    let number = w.number.to_string();
    format!(
        "<section><p>{client} asks to:</p><ul>{scopes}</ul>{binding}\
         <p class=\"scope\">Expires in {minutes} min.</p>\
         <form method=\"post\" action=\"{ACTION}\">{step}{number}{request}{csrf}\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form></section>",
        client = w.client.label(),
        minutes = w.minutes_left,
        step = hidden_input("step", "decide"),
        number = hidden_input("number", &number),
        request = hidden_input("request", w.id),
        csrf = hidden_input("csrf", w.csrf),
    )
}

/// The page after an answer, or when the request is no longer waiting.
pub fn answered(title: &str, text: &str, status: u16) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"{ACTION}\">Back to your requests</a></p>",
        escape(title),
        escape(text)
    );
    page(status, title, &body, None, None)
}
