//! The components' request log: one JSON line per request on stderr (which Spin collects), with the
//! method, the route's pattern, the status, the duration and a request id, and no personal data.

use crate::support::{TestApp, case_body};
use serde_json::Value;

#[test]
fn each_request_is_one_json_line_with_its_route_pattern_and_no_personal_data() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let id = app.new_case(&officer, true, 1);
    let traced = app.call_with(
        "GET",
        &format!("/api/v1/cases/{id}?include=Alex+Example"),
        &officer,
        None,
        &[
            ("x-access-reason", "investigation"),
            ("x-request-id", "ingress-7f3a.01_b"),
        ],
    );
    assert_eq!(traced.status, 200, "{}", traced.body);
    assert_eq!(traced.header("x-request-id"), "ingress-7f3a.01_b");
    // An id that is not a short token is replaced: a client cannot write into the log.
    let untrusted = app.call_with(
        "GET",
        "/api/v1/cases",
        "srt_wrong",
        None,
        &[("x-request-id", "Alex Example")],
    );
    assert_eq!(untrusted.status, 401);
    let made = untrusted.header("x-request-id").to_string();
    assert!(
        made.len() >= 16 && made.bytes().all(|b| b.is_ascii_hexdigit()),
        "{made}"
    );
    let health = app.call("GET", "/api/v1/health", "", None);
    assert!(!health.header("x-request-id").is_empty());

    let text = app.guest_log("cases");
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 3, "{text}");
    for line in &lines {
        let fields: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "duration_ms",
                "method",
                "request_id",
                "route",
                "status",
                "time"
            ],
            "{line}"
        );
        assert!(
            line["duration_ms"].is_number() && line["status"].is_u64(),
            "{line}"
        );
    }
    let read = lines
        .iter()
        .find(|l| l["request_id"] == "ingress-7f3a.01_b")
        .expect("the read's line, under the id the ingress gave");
    assert_eq!(read["method"], "GET");
    assert_eq!(read["route"], "/api/v1/cases/{id}");
    assert_eq!(read["status"], 200);
    let refused = lines
        .iter()
        .find(|l| l["request_id"] == made.as_str())
        .expect("the refusal's line, under the id the app made");
    assert_eq!(
        (&refused["route"], &refused["status"]),
        (&Value::from("/api/v1/cases"), &Value::from(401))
    );
    // Nothing of the request itself: no record id, path, query, body, name or credential. (Not the
    // officer's subject, "1234": the times' digits may hold it.)
    let victim = case_body(true)["victim"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    for secret in [
        id.as_str(),
        &victim,
        "Alex",
        "Example",
        "include",
        "srt_",
        &officer,
    ] {
        assert!(!text.contains(secret), "the log holds `{secret}`: {text}");
    }
    let health_log = app.guest_log("health");
    assert!(
        health_log.contains("\"route\":\"/api/v1/health\""),
        "{health_log}"
    );
}
