//! One JSON line per request on stderr, which Spin (and SpinKube's shim) collects from each component:
//! `{"time","method","route","status","duration_ms","request_id","sql_statements",
//! "longest_transaction"}`, the last two from `statements` (what the request cost the database: round
//! trips, on libSQL). The route is the route table's pattern (`/api/v1/cases/{id}`), never the path,
//! and nothing else of the request is written: paths, query strings, bodies and the caller can carry
//! personal data. The line is written by hand (no serializer): every value is either a number, one of
//! the app's own patterns, or checked text.

use crate::statements::{self, Counts};
use spin_sdk::http::{Request, Response};
use std::time::Instant;

/// The request id header: taken from the request when well-formed, else made; always answered.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id taken from a client or a proxy.
const MAX_REQUEST_ID: usize = 64;

/// A request id a client or proxy sent, if it is 1 to 64 of `A–Z a–z 0–9 . _ -` (as a UUID, a trace
/// id or an ingress's id is); anything else is replaced, so a log line never carries what a client
/// chose to write there.
pub fn well_formed_request_id(given: Option<&str>) -> Option<&str> {
    given.filter(|id| {
        (1..=MAX_REQUEST_ID).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    })
}

/// The request's id: the one it carries if well-formed, else a new random one.
pub fn request_id(req: &Request) -> String {
    let given = req.header(REQUEST_ID_HEADER).and_then(|v| v.as_str());
    match well_formed_request_id(given) {
        Some(id) => id.to_string(),
        None => crate::context::new_id(),
    }
}

/// The log line for one request. `route` is a route table's pattern (or `None`: no route matched).
pub fn line(
    time: &str,
    method: &str,
    route: Option<&str>,
    status: u16,
    duration: std::time::Duration,
    request_id: &str,
    counts: Counts,
) -> String {
    // Milliseconds to a tenth, in integers: float formatting would add about 20 kB to each component.
    let tenths = (duration.as_secs().saturating_mul(10_000))
        .saturating_add(u64::from(duration.subsec_micros() / 100));
    let route = match route {
        Some(route) => format!("\"{}\"", escaped(route)),
        None => "null".to_string(),
    };
    format!(
        "{{\"time\":\"{}\",\"method\":\"{}\",\"route\":{route},\"status\":{status},\"duration_ms\":{}.{},\"request_id\":\"{}\",\"sql_statements\":{},\"longest_transaction\":{}}}",
        escaped(time),
        escaped(method),
        tenths / 10,
        tenths % 10,
        escaped(request_id),
        counts.statements,
        counts.longest_transaction,
    )
}

/// JSON string content: the values here are the app's own ASCII, but nothing is written unescaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Serves `req` with `handle`, which also says which route pattern matched; answers the request id in
/// `x-request-id` and writes the request's log line.
pub fn logged(
    req: &Request,
    handle: impl FnOnce(&mut Option<&'static str>) -> Response,
) -> Response {
    let started = Instant::now();
    statements::start();
    let id = request_id(req);
    let mut route = None;
    let mut response = handle(&mut route);
    response.set_header(REQUEST_ID_HEADER, id.as_str());
    let method = req.method().to_string().to_ascii_uppercase();
    eprintln!(
        "{}",
        line(
            crate::context::now().as_str(),
            &method,
            route,
            *response.status(),
            started.elapsed(),
            &id,
            statements::taken(),
        )
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_json_with_only_the_pattern_and_numbers() {
        let text = line(
            "2026-11-30T02:00:00.000Z",
            "GET",
            Some("/api/v1/cases/{id}"),
            200,
            std::time::Duration::from_micros(12_345),
            "abc-123",
            Counts {
                statements: 12,
                longest_transaction: 9,
            },
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"time": "2026-11-30T02:00:00.000Z", "method": "GET",
                "route": "/api/v1/cases/{id}", "status": 200, "duration_ms": 12.3, "request_id": "abc-123",
                "sql_statements": 12, "longest_transaction": 9})
        );
        let none: serde_json::Value = serde_json::from_str(&line(
            "t",
            "GET",
            None,
            404,
            Default::default(),
            "x\"\n",
            Counts::default(),
        ))
        .unwrap();
        assert_eq!(none["route"], serde_json::Value::Null);
        assert_eq!(none["request_id"], "x\"\n");
    }

    #[test]
    fn only_short_token_request_ids_are_taken() {
        assert_eq!(
            well_formed_request_id(Some("0f8fad5b-d9cb-469f-a165-70867728950e")),
            Some("0f8fad5b-d9cb-469f-a165-70867728950e")
        );
        for bad in [
            "",
            "has space",
            "Alex Example",
            "a/b",
            "a\"b",
            "é",
            &"x".repeat(65),
        ] {
            assert_eq!(well_formed_request_id(Some(bad)), None, "{bad}");
        }
        assert_eq!(well_formed_request_id(None), None);
    }
}
