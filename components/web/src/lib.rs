//! Serves the mobile web form: the files of `static/`, embedded at build time, on `/...`.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;

mod files {
    include!(concat!(env!("OUT_DIR"), "/static_files.rs"));
}

/// No inline script or style, nothing from other origins; the page may only talk to this app.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    let head = match req.method() {
        Method::Get => false,
        Method::Head => true,
        _ => {
            let mut builder = problem(
                405,
                "method-not-allowed",
                "Method not allowed",
                "The web form's files are read with GET or HEAD.",
            );
            builder.header("allow", "GET, HEAD");
            return builder.build();
        }
    };
    // `spin-path-info` is the part after the route's prefix; the route is `/...`, so it is the path.
    let path = req
        .header("spin-path-info")
        .and_then(|v| v.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("/");
    let path = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let Some(&(_, stored, is_gzip, hash)) = files::FILES.iter().find(|(p, ..)| *p == path) else {
        return problem(
            404,
            "not-found",
            "Not found",
            "There is no such page or file.",
        )
        .build();
    };
    let gzip = is_gzip
        && req
            .header("accept-encoding")
            .and_then(|v| v.as_str())
            .is_some_and(accepts_gzip);
    // The gzipped body is a different representation: its own ETag.
    let etag = format!("\"{hash}{}\"", if gzip { "-gz" } else { "" });
    if req.header("if-none-match").and_then(|v| v.as_str()) == Some(etag.as_str()) {
        let mut builder = secured(304);
        builder.header("etag", etag);
        return builder.build();
    }
    let body = if head {
        Vec::new()
    } else if is_gzip && !gzip {
        inflate(stored)
    } else {
        stored.to_vec()
    };
    let mut builder = secured(200);
    if gzip {
        builder.header("content-encoding", "gzip");
    }
    builder
        .header("content-type", content_type(&path))
        .header("vary", "accept-encoding")
        .header("etag", etag)
        // Revalidate every time: a cheap 304 keeps officers on the current form after a release.
        .header("cache-control", "no-cache")
        .body(body);
    builder.build()
}

/// The plain file from its gzipped form (built by `build.rs`: a bare 10-byte header, the deflated
/// file, then its CRC and length).
fn inflate(gzipped: &[u8]) -> Vec<u8> {
    miniz_oxide::inflate::decompress_to_vec(&gzipped[10..gzipped.len() - 8])
        .expect("build.rs gzipped it")
}

/// Whether an `Accept-Encoding` value accepts gzip (and does not refuse it with `q=0`).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts.next() == Some("gzip")
            && parts.all(|p| !matches!(p, "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
    })
}

/// A response builder with the headers every answer carries.
fn secured(status: u16) -> spin_sdk::http::ResponseBuilder {
    let mut builder = Response::builder();
    builder
        .status(status)
        .header("content-security-policy", CSP)
        // The same two as every API response (spin_adapter::SECURITY_HEADERS).
        .header(
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        )
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header(
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        );
    builder
}

/// An RFC 9457 problem, shaped like the API's (`src/problem.rs`); every text here is a fixed literal,
/// so it is written out rather than pulling in a JSON library.
fn problem(status: u16, slug: &str, title: &str, detail: &str) -> spin_sdk::http::ResponseBuilder {
    let mut builder = secured(status);
    builder
        .header("content-type", "application/problem+json")
        .header("cache-control", "no-store")
        .body(format!(
            r#"{{"type":"/problems/{slug}","title":"{title}","status":{status},"detail":"{detail}"}}"#
        ));
    builder
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
