//! The outbound HTTP port over Spin's `wasi:http/outgoing-handler`: what `allowed_outbound_hosts`
//! grants the component (the identity provider's origin, through a variable) and nothing else.

use spin_sdk::http::conversions::TryIntoOutgoingRequest;
use spin_sdk::http::{Fields, Method, OutgoingRequest, Response, Scheme};
use stalking_response::access::oidc::client::{Http, HttpReply};

/// Outbound HTTP through Spin, one blocking request at a time.
pub struct SpinHttp;

/// The largest document read from the provider.
const MAX_BODY: usize = 256 * 1024;

/// A request as `wasi:http` takes it, made here from an absolute `http(s)` URL. spin-sdk's own
/// `Request` converts through `anyhow::Error`s, whose `Debug` brings std's backtrace printer and
/// rustc-demangle into the component (README, "Component size"); this one fails with a `String`.
struct Outbound<'a> {
    method: Method,
    url: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: Vec<u8>,
}

impl TryIntoOutgoingRequest for Outbound<'_> {
    type Error = String;

    fn try_into_outgoing_request(self) -> Result<(OutgoingRequest, Option<Vec<u8>>), String> {
        let (https, authority, path) =
            parts(self.url).ok_or_else(|| "the URL is not http or https".to_string())?;
        let scheme = if https { Scheme::Https } else { Scheme::Http };
        let headers: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
            .collect();
        let fields = Fields::from_list(&headers).map_err(|e| format!("a header: {e:?}"))?;
        let request = OutgoingRequest::new(fields);
        let refused = |what: &str| format!("the request's {what} was refused");
        request
            .set_method(&self.method)
            .map_err(|()| refused("method"))?;
        request
            .set_scheme(Some(&scheme))
            .map_err(|()| refused("scheme"))?;
        request
            .set_authority(Some(authority))
            .map_err(|()| refused("authority"))?;
        request
            .set_path_with_query(Some(&path))
            .map_err(|()| refused("path"))?;
        Ok((request, Some(self.body)))
    }
}

/// An absolute `http(s)` URL's parts as `wasi:http` sets them: whether it is `https`, its authority,
/// and its path with the query (`/` when it has no path).
fn parts(url: &str) -> Option<(bool, &str, String)> {
    let (https, rest) = match url.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (false, url.strip_prefix("http://")?),
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    Some((https, authority, path))
}

fn send_with(request: Outbound<'_>) -> Result<HttpReply, String> {
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
        send_with(Outbound {
            method: Method::Get,
            url,
            headers: &[("accept", "application/json")],
            body: Vec::new(),
        })
    }

    fn post_form(&self, url: &str, form: &str) -> Result<HttpReply, String> {
        send_with(Outbound {
            method: Method::Post,
            url,
            headers: &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/json"),
            ],
            body: form.as_bytes().to_vec(),
        })
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

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn a_url_splits_into_what_wasi_http_sets() {
        let part = |https, authority, path: &str| Some((https, authority, path.to_string()));
        assert_eq!(
            parts("https://login.example.com/tenant/v2.0/.well-known/openid-configuration"),
            part(
                true,
                "login.example.com",
                "/tenant/v2.0/.well-known/openid-configuration"
            )
        );
        assert_eq!(
            parts("http://127.0.0.1:8080/token?client=a"),
            part(false, "127.0.0.1:8080", "/token?client=a")
        );
        assert_eq!(parts("https://idp.example"), part(true, "idp.example", "/"));
        assert_eq!(
            parts("https://idp.example?x=1"),
            part(true, "idp.example", "/?x=1")
        );
        assert_eq!(parts("ftp://idp.example/keys"), None);
        assert_eq!(parts("idp.example/keys"), None);
    }
}
