//! Workers requests and responses to and from the core's plain HTTP values.

use futures_util::StreamExt;
use oidc_edge::op::http::{MAX_BODY_LEN, MAX_HEADERS};
use oidc_edge::op::{Request, Response};
use worker::Headers;

/// Why a request could not be converted: answered with this status by the caller.
pub struct Refused(pub u16, pub &'static str);

/// The core's view of a Workers request. Bodies over [`MAX_BODY_LEN`] are refused from
/// `Content-Length` before they are read, and while they are read (chunked uploads), so
/// no request makes the isolate hold more than that.
pub async fn request(mut req: worker::Request) -> Result<Request, Refused> {
    let url = req
        .url()
        .map_err(|_| Refused(400, "invalid_request"))?
        .to_string();
    let method = req.method().to_string();
    let headers: Vec<(String, String)> = req.headers().entries().take(MAX_HEADERS + 1).collect();
    if headers.len() > MAX_HEADERS {
        return Err(Refused(431, "request_header_fields_too_large"));
    }
    let declared = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_LEN) {
        return Err(Refused(413, "request_too_large"));
    }
    let body = if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        Vec::new()
    } else {
        capped_body(&mut req).await?
    };
    let headers = headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    Ok(Request {
        method,
        url,
        headers,
        body,
    })
}

/// The body, read chunk by chunk; past [`MAX_BODY_LEN`] nothing more is kept and the
/// request is refused. The rest is still read, and dropped: answering before the body is
/// read left it unread on the connection, and under `wrangler dev` the next request on it
/// failed with a 503 (tests/e2e/op.test.mjs, the chunked 70 KB body and the request after
/// it). The runtime bounds how much there is to read.
async fn capped_body(req: &mut worker::Request) -> Result<Vec<u8>, Refused> {
    // `stream` fails only when there is no body: an empty one.
    let Ok(mut stream) = req.stream() else {
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

/// Seconds a client is asked to wait after a 503 (storage unavailable): KV takes one write
/// per key per second, and a Durable Object that failed over answers again within seconds.
const RETRY_AFTER_SECONDS: &str = "1";

/// A Workers response from the core's. A 503 (storage truly unavailable) always carries
/// `Retry-After` (RFC 9110 §10.2.3).
pub fn response(response: Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    if response.status == 503 && !headers.has("retry-after")? {
        headers.append("retry-after", RETRY_AFTER_SECONDS)?;
    }
    let out = if response.body.is_empty() {
        worker::Response::empty()?
    } else {
        worker::Response::from_bytes(response.body)?
    };
    Ok(out.with_status(response.status).with_headers(headers))
}
