//! The components' request log: one JSON line per request on stderr (which Spin collects), with the
//! method, the route's pattern, the status, the duration, a request id and the statements the request
//! ran, and no personal data.

use crate::support::{TestApp, case_body};
use serde_json::{Value, json};

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
                "longest_transaction",
                "method",
                "request_id",
                "route",
                "sql_statements",
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
    assert!(read["sql_statements"].as_u64().unwrap() >= 3, "{read}");
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

/// A report's write holds the lock across the same few statements whatever the data: a suspect named
/// on many earlier cases is linked to them by reads before the transaction, not inside it.
#[test]
fn a_reports_transaction_does_not_grow_with_the_suspects_other_cases() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let mut body = case_body(true);
    body["suspects"] = json!([{"name": "Sam Serial", "police_id": "12/345678A"}]);
    let mut reports = Vec::new();
    for n in 0..12 {
        body["victim"]["name"] = json!(format!("Victim {n}"));
        let made = app.call_with(
            "POST",
            "/api/v1/cases",
            &officer,
            Some(body.clone()),
            &[("x-request-id", format!("report-{n}").as_str())],
        );
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(
            made.json()["suspects"][0]["linked_case_count"],
            n,
            "{}",
            made.body
        );
        reports.push(format!("report-{n}"));
    }
    let lines = app.request_lines();
    let counts: Vec<(u64, u64)> = reports
        .iter()
        .map(|id| {
            let line = lines
                .iter()
                .find(|l| l["request_id"] == id.as_str())
                .unwrap_or_else(|| panic!("no line for {id}"));
            (
                line["longest_transaction"].as_u64().unwrap(),
                line["sql_statements"].as_u64().unwrap(),
            )
        })
        .collect();
    // The transaction is the same each time. The statements outside it vary a little, with whether
    // this request also chains the access-log queue and seals a checkpoint, but not with the links:
    // the last report, linked to eleven cases, would otherwise run eleven more.
    assert!(
        counts.iter().all(|c| c.0 == counts[0].0) && (4..=12).contains(&counts[0].0),
        "a report's transaction: {counts:?}"
    );
    let fewest = counts.iter().map(|c| c.1).min().unwrap();
    let most = counts.iter().map(|c| c.1).max().unwrap();
    assert!(most <= fewest + 8, "statements per report: {counts:?}");
}
