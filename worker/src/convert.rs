//! Workers requests and responses to and from the core's plain HTTP values.

use futures_util::StreamExt;
use oidc_edge::op::http::{MAX_BODY_LEN, MAX_HEADERS};
use oidc_edge::op::mtls::ClientCertificate;
use oidc_edge::op::routes;
use oidc_edge::op::{Request, Response};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::js_sys;
use worker::wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/convert.js")]
extern "C" {
    #[wasm_bindgen(js_name = headerLines)]
    fn header_lines(headers: &web_sys::Headers) -> String;

    #[wasm_bindgen(js_name = clientCertificate)]
    fn client_certificate_facts(request: &web_sys::Request) -> Option<String>;

    /// `body` arrives in JS as a view of the module's memory, which the Response
    /// constructor copies before it returns (convert.js says why that holds, and from
    /// which workerd release).
    #[wasm_bindgen(js_name = makeResponse, catch)]
    fn make_response(status: u16, lines: &str, body: &[u8]) -> Result<web_sys::Response, JsValue>;
}

/// Why a request could not be converted: answered with this status by the caller.
pub struct Refused(pub u16, pub &'static str);

/// The path of an absolute URL (`/healthz` of `http://host/healthz?x`), without parsing
/// the rest: the one thing the Worker reads of a URL before the core does.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .and_then(|start| after_scheme.get(start..))
        .unwrap_or("/");
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The core's view of a Workers request. Bodies over [`MAX_BODY_LEN`] are refused from
/// `Content-Length` before they are read, and while they are read (chunked uploads), so
/// no request makes the isolate hold more than that.
pub async fn request(req: web_sys::Request) -> Result<Request, Refused> {
    let url = req.url();
    let method = req.method();
    // Read only on the paths where the provider looks for a certificate: elsewhere it would
    // be a crossing into JS and a read of the runtime's `cf` object for nothing.
    let client_certificate = routes::takes_client_certificate(path_of(&url))
        .then(|| client_certificate(&req))
        .flatten();
    let lines = header_lines(&req.headers());
    let mut headers = Vec::new();
    let mut fields = lines.split('\n');
    // Names come lower-cased from the Headers iterator.
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        if headers.len() == MAX_HEADERS {
            return Err(Refused(431, "request_header_fields_too_large"));
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    let declared = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map(|(_, v)| v.trim().parse::<usize>().ok());
    if declared.flatten().is_some_and(|len| len > MAX_BODY_LEN) {
        return Err(Refused(413, "request_too_large"));
    }
    let body = if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        Vec::new()
    } else if let Some(Some(_)) = declared {
        // A declared length is the body's length (HTTP framing), and it fits: read whole.
        whole_body(&req).await?
    } else {
        capped_body(req).await?
    };
    Ok(Request {
        method,
        url,
        headers,
        body,
        client_certificate,
    })
}

/// The TLS client certificate Cloudflare's edge reports in `request.cf.tlsClientAuth`
/// (convert.js reads it; no header is ever read for it), or `None`: none presented, or
/// facts that do not read (a thumbprint that is not 64 hex digits, a field of another
/// type), which count as none.
fn client_certificate(req: &web_sys::Request) -> Option<ClientCertificate> {
    let facts = client_certificate_facts(req)?;
    let mut fields = facts.split('\n');
    let (Some(verified), Some(revoked), Some(sha256), Some(subject), Some(issuer), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    ClientCertificate::from_host(verified == "1", revoked == "1", sha256, subject, issuer)
}

/// A body of a length known to fit, in one read.
async fn whole_body(req: &web_sys::Request) -> Result<Vec<u8>, Refused> {
    let read = req
        .array_buffer()
        .map_err(|_| Refused(400, "invalid_request"))?;
    let buffer = JsFuture::from(read)
        .await
        .map_err(|_| Refused(400, "invalid_request"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The body, read chunk by chunk; past [`MAX_BODY_LEN`] nothing more is kept and the
/// request is refused. The rest is still read, and dropped: answering before the body is
/// read left it unread on the connection, and under `wrangler dev` the next request on it
/// failed with a 503 (tests/e2e/op.test.mjs, the chunked 70 KB body and the request after
/// it). The runtime bounds how much there is to read.
async fn capped_body(req: web_sys::Request) -> Result<Vec<u8>, Refused> {
    // `stream` fails only when there is no body: an empty one.
    let Ok(mut stream) = worker::Request::from(req).stream() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    let mut too_large = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Refused(400, "invalid_request"))?;
        too_large = too_large || chunk.len() > MAX_BODY_LEN.saturating_sub(body.len());
        if !too_large {
            body.extend_from_slice(&chunk);
        }
    }
    if too_large {
        return Err(Refused(413, "request_too_large"));
    }
    Ok(body)
}

/// Seconds a client is asked to wait after a 503 (storage, or the runtime's cryptography,
/// unavailable): KV takes one write per key per second, and a Durable Object that failed
/// over answers again within seconds.
const RETRY_AFTER_SECONDS: &str = "1";

/// A Workers response from the core's. A 503 (the host truly unavailable) always carries
/// `Retry-After` (RFC 9110 §10.2.3).
pub fn response(response: Response) -> worker::Result<web_sys::Response> {
    let mut lines = String::new();
    let mut retry_after = false;
    for (name, value) in &response.headers {
        if [name, value].iter().any(|text| text.contains(['\n', '\r'])) {
            // The Headers API would refuse it too; this also keeps the field list intact.
            return Err(worker::Error::RustError(format!(
                "the header field {name:?} has a line break"
            )));
        }
        retry_after = retry_after || name.eq_ignore_ascii_case("retry-after");
        for part in [name, value] {
            lines.push_str(part);
            lines.push('\n');
        }
    }
    if response.status == 503 && !retry_after {
        lines.push_str("retry-after\n");
        lines.push_str(RETRY_AFTER_SECONDS);
        lines.push('\n');
    }
    make_response(response.status, &lines, &response.body).map_err(worker::Error::from)
}
