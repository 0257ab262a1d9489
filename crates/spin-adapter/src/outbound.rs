//! The outbound HTTP port over Spin's `wasi:http/outgoing-handler`: what `allowed_outbound_hosts`
//! grants the component (the identity provider's origin, through a variable) and nothing else.

use spin_sdk::http::{Method, Request, Response};
use stalking_response::access::oidc::client::{Http, HttpReply};

/// Outbound HTTP through Spin, one blocking request at a time.
pub struct SpinHttp;

/// The largest document read from the provider.
const MAX_BODY: usize = 256 * 1024;

fn send_with(request: Request) -> Result<HttpReply, String> {
    let response: Response = spin_sdk::http::run(spin_sdk::http::send(request))
        .map_err(|e| format!("outbound request failed: {e}"))?;
    let status = *response.status();
    let body = response.into_body();
    if body.len() > MAX_BODY {
        return Err("the response is too large".into());
    }
    Ok(HttpReply { status, body })
}

impl Http for SpinHttp {
    fn get(&self, url: &str) -> Result<HttpReply, String> {
        send_with(
            Request::builder()
                .method(Method::Get)
                .uri(url)
                .header("accept", "application/json")
                .build(),
        )
    }

    fn post_form(&self, url: &str, form: &str) -> Result<HttpReply, String> {
        send_with(
            Request::builder()
                .method(Method::Post)
                .uri(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(form.as_bytes().to_vec())
                .build(),
        )
    }
}

/// No outbound HTTP: for a component that verifies no partner's JWT (without `partner-tokens`), which
/// so carries none of Spin's outgoing-handler code. Never called there.
#[cfg(not(feature = "partner-tokens"))]
pub struct Nowhere;

#[cfg(not(feature = "partner-tokens"))]
impl Http for Nowhere {
    fn get(&self, _url: &str) -> Result<HttpReply, String> {
        Err("no outbound HTTP in this component".into())
    }

    fn post_form(&self, _url: &str, _form: &str) -> Result<HttpReply, String> {
        Err("no outbound HTTP in this component".into())
    }
}
