//! Intake and crime recording end to end: cases and occurrences, stalking first, the crime decision and
//! its clock, linked suspects, idempotent creation, strict validation, concurrency and restarts.

use crate::support::{self, TestApp, case_body, occurrence_body};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "investigation");

fn read(app: &TestApp, token: &str, id: &str) -> Value {
    let reply = app.call_with(
        "GET",
        &format!("/api/v1/cases/{id}"),
        token,
        None,
        &[REASON],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.database()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn decide(app: &TestApp, token: &str, id: &str, decision: Value) -> support::Reply {
    let etag = app.etag(token, id);
    app.call_with(
        "POST",
        &format!("/api/v1/cases/{id}/crime-decision"),
        token,
        Some(decision),
        &[("if-match", &etag)],
    )
}

#[test]
fn a_report_becomes_a_case_with_its_first_occurrence_and_a_running_clock() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let created = app.call("POST", "/api/v1/cases", &officer, Some(case_body(true)));
    assert_eq!(created.status, 201, "{}", created.body);
    let case = created.json();
    let id = case["id"].as_str().unwrap();
    assert_eq!(created.header("location"), format!("/api/v1/cases/{id}"));
    assert_eq!(created.header("etag"), "\"v1\"");
    assert!(
        case["incident_reference"]
            .as_str()
            .unwrap()
            .starts_with("TEST/INC/")
    );
    assert_eq!(case["reported_by"], "1234");
    assert_eq!(case["status"], "awaiting-decision");
    assert_eq!(case["occurrences"].as_array().unwrap().len(), 1);
    assert_eq!(case["occurrences"][0]["behaviours"], json!(["following"]));
    assert_eq!(case["suggestion"]["suggested"], "not-yet-course-of-conduct");
    assert_eq!(
        case["stalking"], true,
        "stalking indicators already flag the case"
    );
    let minutes = case["clock"]["minutes_left"].as_i64().unwrap();
    assert!((1430..=1440).contains(&minutes), "{minutes}");
    assert_eq!(case["clock"]["overdue"], false);
    assert_eq!(read(&app, &officer, id)["victim"]["name"], "Alex Example");
}

#[test]
fn occurrences_need_the_current_version_and_change_the_suggestion() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let id = app.new_case(&officer, true, 1);
    let path = format!("/api/v1/cases/{id}/occurrences");
    let missing = app.call("POST", &path, &officer, Some(occurrence_body(true)));
    assert_eq!(missing.status, 428);
    let stale = app.call_with(
        "POST",
        &path,
        &officer,
        Some(occurrence_body(true)),
        &[("if-match", "\"v7\"")],
    );
    assert_eq!(stale.status, 412);
    assert_eq!(stale.header("etag"), "\"v1\"");
    let mut breach = occurrence_body(true);
    breach["breach_of_order"] = json!(true);
    breach["fear_of_violence"] = json!(true);
    let added = app.call_with(
        "POST",
        &path,
        &officer,
        Some(breach),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let case = added.json();
    assert_eq!(case["version"], 2);
    assert_eq!(case["occurrences"][1]["number"], 2);
    assert_eq!(case["occurrences"][1]["breach_of_order"], true);
    assert_eq!(case["suggestion"]["suggested"], "stalking-s2a");
    assert_eq!(case["course_of_conduct"], true);
    let again = app.call_with(
        "POST",
        &path,
        &officer,
        Some(occurrence_body(true)),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(again.status, 412, "a replayed update cannot apply twice");
    assert_eq!(count(&app, "occurrences"), 2);

    let suggestion = app
        .call_with(
            "GET",
            &format!("/api/v1/cases/{id}/classification"),
            &officer,
            None,
            &[REASON],
        )
        .json();
    assert_eq!(suggestion["suggested"], "stalking-s2a");
    assert!(
        suggestion["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("following"))
    );
}

#[test]
fn crime_decisions_are_stalking_first_get_unique_references_and_are_final() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let stalking = app.new_case(&officer, true, 2);

    let harassment = json!({ "outcome": "recorded", "principal": "harassment-s2" });
    let refused = decide(&app, &officer, &stalking, harassment);
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.json()["errors"][0]["pointer"],
        "/stalking_ruled_out_reason"
    );
    assert_eq!(
        read(&app, &officer, &stalking)["status"],
        "awaiting-decision",
        "nothing was written"
    );

    let recorded = decide(
        &app,
        &officer,
        &stalking,
        json!({ "outcome": "recorded", "principal": "sexual-offence", "included": ["stalking-s2a"] }),
    );
    assert_eq!(recorded.status, 200, "{}", recorded.body);
    let case = recorded.json();
    assert_eq!(case["status"], "recorded");
    assert_eq!(case["principal_classification"], "sexual-offence");
    assert_eq!(case["included_classifications"], json!(["stalking-s2a"]));
    assert!(
        case["crime_reference"]
            .as_str()
            .unwrap()
            .starts_with("TEST/2026/")
    );
    assert_eq!(case["clock"], Value::Null, "no clock once decided");
    let again = decide(
        &app,
        &officer,
        &stalking,
        json!({ "outcome": "no-crime", "reasons": "x" }),
    );
    assert_eq!(again.status, 409);

    let harassment_case = app.new_case(&officer, true, 2);
    let with_reason = decide(
        &app,
        &officer,
        &harassment_case,
        json!({ "outcome": "recorded", "principal": "harassment-s2", "stalking_ruled_out_reason": "Contact was about shared childcare only" }),
    );
    assert_eq!(with_reason.status, 200, "{}", with_reason.body);
    assert_ne!(
        with_reason.json()["crime_reference"],
        case["crime_reference"]
    );

    let single = app.new_case(&officer, false, 1);
    let too_early = decide(
        &app,
        &officer,
        &single,
        json!({ "outcome": "recorded", "principal": "harassment-s2" }),
    );
    assert_eq!(
        too_early.json()["errors"][0]["pointer"],
        "/principal",
        "harassment needs two occasions"
    );
    let no_crime = decide(
        &app,
        &officer,
        &single,
        json!({ "outcome": "no-crime", "reasons": "Victim's account shows a lawful debt collection letter" }),
    );
    assert_eq!(no_crime.status, 200);
    assert_eq!(no_crime.json()["status"], "no-crime");
    assert_eq!(no_crime.json()["crime_reference"], Value::Null);
}

#[test]
fn lists_filter_by_status_clock_classification_and_officer_with_paging() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let other = app.token("officer", "5678");
    let supervisor = app.token("supervisor", "S1");
    let overdue = app.new_case(&officer, true, 2);
    let recorded = app.new_case(&officer, true, 2);
    decide(
        &app,
        &officer,
        &recorded,
        json!({ "outcome": "recorded", "principal": "stalking-s4a" }),
    );
    let theirs = app.new_case(&other, false, 1);
    app.database()
        .execute(
            "UPDATE cases SET decision_due_at = '2026-01-01T00:00:00.000000Z' WHERE id = ?1",
            [&overdue],
        )
        .unwrap();

    let list = |query: &str| -> Vec<String> {
        let reply = app.call_with(
            "GET",
            &format!("/api/v1/cases{query}"),
            &supervisor,
            None,
            &[("x-access-reason", "supervision")],
        );
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        reply.json()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list("?overdue=true"), vec![overdue.clone()]);
    assert_eq!(list("?status=recorded"), vec![recorded.clone()]);
    assert_eq!(list("?classification=stalking-s4a"), vec![recorded.clone()]);
    assert_eq!(list("?officer=5678"), vec![theirs.clone()]);
    let mut due_soon = list("?due_within_hours=24");
    due_soon.sort();
    let mut expected = vec![overdue.clone(), theirs.clone()];
    expected.sort();
    assert_eq!(
        due_soon, expected,
        "awaiting decisions due within 24 hours, overdue included"
    );
    assert_eq!(list("").len(), 3);

    let first = app
        .call_with("GET", "/api/v1/cases?limit=2", &supervisor, None, &[REASON])
        .json();
    assert_eq!(first["cases"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap();
    let second = app
        .call_with(
            "GET",
            &format!("/api/v1/cases?limit=2&after={next}"),
            &supervisor,
            None,
            &[REASON],
        )
        .json();
    assert_eq!(second["cases"].as_array().unwrap().len(), 1);
    assert_eq!(second["next"], Value::Null);
    let overdue_case = first["cases"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["cases"].as_array().unwrap())
        .find(|c| c["id"] == overdue.as_str())
        .unwrap()
        .clone();
    assert_eq!(overdue_case["clock"]["overdue"], true);
    assert!(overdue_case["clock"]["minutes_left"].as_i64().unwrap() < 0);
    for bad in [
        "?status=open",
        "?overdue=yes",
        "?due_within_hours=48",
        "?classification=nope",
        "?limit=0",
    ] {
        assert_eq!(
            app.call_with(
                "GET",
                &format!("/api/v1/cases{bad}"),
                &supervisor,
                None,
                &[REASON]
            )
            .status,
            400,
            "{bad}"
        );
    }
}

#[test]
fn the_same_suspect_is_linked_across_cases() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let mut first = case_body(true);
    first["suspects"] = json!([{ "name": "Sam Sample", "police_id": "12/345678A" }]);
    let mut second = case_body(false);
    second["victim"]["name"] = json!("Another Victim");
    second["suspects"] =
        json!([{ "name": "S. Sample", "police_id": "12345678a" }, { "name": "Unknown" }]);
    let a = app
        .call("POST", "/api/v1/cases", &officer, Some(first))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = app
        .call("POST", "/api/v1/cases", &officer, Some(second))
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let unrelated = app.new_case(&officer, false, 1);
    let case_b = read(&app, &officer, &b);
    assert_eq!(case_b["linked_suspect"], true);
    assert_eq!(case_b["suspects"][0]["linked_cases"], json!([a]));
    assert_eq!(case_b["suspects"][1]["linked_cases"], json!([]));
    assert_eq!(
        read(&app, &officer, &a)["suspects"][0]["linked_cases"],
        json!([b])
    );
    assert_eq!(read(&app, &officer, &unrelated)["linked_suspect"], false);
}

#[test]
fn a_retried_report_creates_one_case() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let key = ("idempotency-key", "7d0f1a8e-3c52-4f8b-9a41-5e2b6c9d0e11");
    let first = app.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(case_body(true)),
        &[key],
    );
    assert_eq!(first.status, 201);
    let log_before = count(&app, "access_log");
    let retry = app.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(case_body(true)),
        &[key],
    );
    assert_eq!(retry.status, 201);
    assert_eq!(retry.json()["id"], first.json()["id"]);
    assert_eq!(retry.body, first.body, "the same response, byte for byte");
    assert_eq!(count(&app, "cases"), 1);
    assert_eq!(
        count(&app, "access_log"),
        log_before,
        "a retry writes nothing"
    );
    let reused = app.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(case_body(false)),
        &[key],
    );
    assert_eq!(reused.status, 422);
    assert_eq!(reused.json()["type"], "/problems/idempotency-key-reused");
    // Keys are per caller: another officer's same key is a new report.
    let other = app.token("officer", "5678");
    assert_eq!(
        app.call_with(
            "POST",
            "/api/v1/cases",
            &other,
            Some(case_body(true)),
            &[key]
        )
        .status,
        201
    );
    assert_eq!(count(&app, "cases"), 2);
}

/// Sets the value at a JSON pointer (creating nothing), or removes it when `value` is None.
fn with(mut body: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = body.pointer_mut(parent).unwrap();
    match (target, value) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_string(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(v)) => items[key.parse::<usize>().unwrap()] = v,
        _ => panic!("cannot edit {pointer}"),
    }
    body
}

#[test]
fn thirty_bad_requests_each_get_a_4xx_problem_naming_the_field_and_write_nothing() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let good = case_body(true);
    let long = "x".repeat(5001);
    let future = "2999-01-01T00:00:00Z";
    // (body, status, the pointer the problem must name; "" for a whole-body problem)
    let cases: Vec<(Value, u16, &str)> = vec![
        (with(good.clone(), "/extra", Some(json!(1))), 422, "/extra"),
        (
            with(good.clone(), "/victim/nickname", Some(json!("x"))),
            422,
            "/victim/nickname",
        ),
        (
            with(good.clone(), "/occurrence/colour", Some(json!("red"))),
            422,
            "/occurrence/colour",
        ),
        (with(good.clone(), "/victim", None), 422, "/victim"),
        (with(good.clone(), "/suspects", None), 422, "/suspects"),
        (with(good.clone(), "/occurrence", None), 422, "/occurrence"),
        (with(good.clone(), "/four", None), 422, "/four"),
        (
            with(good.clone(), "/occurrence/from", None),
            422,
            "/occurrence/from",
        ),
        (
            with(good.clone(), "/domestic_abuse", Some(json!("yes"))),
            422,
            "/domestic_abuse",
        ),
        (
            with(good.clone(), "/four/fixated", Some(json!(1))),
            422,
            "/four/fixated",
        ),
        (
            with(good.clone(), "/suspects", Some(json!({ "name": "x" }))),
            422,
            "/suspects",
        ),
        (
            with(
                good.clone(),
                "/occurrence/behaviours",
                Some(json!("following")),
            ),
            422,
            "/occurrence/behaviours",
        ),
        (
            with(good.clone(), "/relationship", Some(json!("enemy"))),
            422,
            "/relationship",
        ),
        (
            with(
                good.clone(),
                "/occurrence/channel",
                Some(json!("carrier-pigeon")),
            ),
            422,
            "/occurrence/channel",
        ),
        (
            with(
                good.clone(),
                "/occurrence/behaviours",
                Some(json!(["following", "shouting"])),
            ),
            422,
            "/occurrence/behaviours/1",
        ),
        (
            with(good.clone(), "/victim/name", Some(json!("  "))),
            422,
            "/victim/name",
        ),
        (
            with(good.clone(), "/victim/name", Some(json!("x".repeat(201)))),
            422,
            "/victim/name",
        ),
        (
            with(good.clone(), "/occurrence/description", Some(json!(long))),
            422,
            "/occurrence/description",
        ),
        (
            with(good.clone(), "/occurrence/location", Some(json!(""))),
            422,
            "/occurrence/location",
        ),
        (
            with(good.clone(), "/occurrence/from", Some(json!(future))),
            422,
            "/occurrence/from",
        ),
        (
            with(
                good.clone(),
                "/occurrence/from",
                Some(json!("last Tuesday")),
            ),
            422,
            "/occurrence/from",
        ),
        (
            with(
                good.clone(),
                "/occurrence/to",
                Some(json!("2026-10-01T00:00:00Z")),
            ),
            422,
            "/occurrence/to",
        ),
        (
            with(good.clone(), "/occurrence/to", Some(json!(future))),
            422,
            "/occurrence/to",
        ),
        (
            with(
                good.clone(),
                "/victim/date_of_birth",
                Some(json!("01/04/1990")),
            ),
            422,
            "/victim/date_of_birth",
        ),
        (
            with(
                good.clone(),
                "/victim/date_of_birth",
                Some(json!("2999-01-01")),
            ),
            422,
            "/victim/date_of_birth",
        ),
        (
            with(good.clone(), "/suspects", Some(json!([]))),
            422,
            "/suspects",
        ),
        (
            with(
                good.clone(),
                "/suspects",
                Some(json!(vec![json!({ "name": "x" }); 11])),
            ),
            422,
            "/suspects",
        ),
        (
            with(
                good.clone(),
                "/occurrence/behaviours",
                Some(json!(["following", "following"])),
            ),
            422,
            "/occurrence/behaviours",
        ),
        (
            with(good.clone(), "/suspects/0/name", Some(json!("a\u{0007}b"))),
            422,
            "/suspects/0/name",
        ),
        (
            with(
                good.clone(),
                "/suspects/0/police_id",
                Some(json!("x".repeat(33))),
            ),
            422,
            "/suspects/0/police_id",
        ),
        (json!([1, 2, 3]), 422, ""),
        (json!("a string"), 422, ""),
    ];
    let before = (
        count(&app, "cases"),
        count(&app, "occurrences"),
        count(&app, "suspects"),
        count(&app, "access_log"),
    );
    for (i, (body, status, pointer)) in cases.iter().enumerate() {
        let reply = app.call("POST", "/api/v1/cases", &officer, Some(body.clone()));
        assert_eq!(reply.status, *status, "case {i}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            "application/problem+json",
            "case {i}"
        );
        if !pointer.is_empty() {
            let named: Vec<String> = reply.json()["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["pointer"].as_str().unwrap().to_string())
                .collect();
            assert!(
                named.iter().any(|p| p == pointer),
                "case {i}: expected {pointer} in {named:?}"
            );
        }
    }
    // Not JSON at all, the wrong content type, no body, trailing data, and a bad Idempotency-Key.
    let raw = |content_type: Option<&str>, body: &str, extra: &[(&str, &str)]| {
        let mut request = ureq::http::Request::builder()
            .method("POST")
            .uri(app.url("/api/v1/cases"))
            .header("authorization", format!("Bearer {officer}"));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        support::read(support::agent().run(request.body(body.to_string()).unwrap()))
    };
    let good_text = good.to_string();
    let raw_cases = [
        raw(Some("application/json"), "{\"victim\": ", &[]),
        raw(Some("text/plain"), &good_text, &[]),
        raw(None, &good_text, &[]),
        raw(Some("application/json"), "", &[]),
        raw(Some("application/json"), &format!("{good_text} {{}}"), &[]),
        raw(
            Some("application/json"),
            &good_text,
            &[("idempotency-key", "")],
        ),
    ];
    for (i, reply) in raw_cases.iter().enumerate() {
        assert!(
            (400..500).contains(&reply.status),
            "raw case {i}: {} {}",
            reply.status,
            reply.body
        );
        assert_eq!(
            reply.header("content-type"),
            "application/problem+json",
            "raw case {i}"
        );
    }
    assert!(cases.len() + raw_cases.len() >= 30);
    let after = (
        count(&app, "cases"),
        count(&app, "occurrences"),
        count(&app, "suspects"),
        count(&app, "access_log"),
    );
    assert_eq!(before, after, "the database is unchanged");
}

#[test]
fn fifty_concurrent_reports_are_all_stored_with_unique_references() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|_| scope.spawn(|| app.new_case(&officer, true, 2)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(count(&app, "cases"), 50);
    let db = app.database();
    let distinct: i64 = db
        .query_row(
            "SELECT COUNT(DISTINCT incident_reference) FROM cases",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(distinct, 50);
    std::thread::scope(|scope| {
        for id in &ids {
            let (app, officer) = (&app, &officer);
            scope.spawn(move || {
                let reply = decide(
                    app,
                    officer,
                    id,
                    json!({ "outcome": "recorded", "principal": "stalking-s2a" }),
                );
                assert_eq!(reply.status, 200, "{}", reply.body);
            });
        }
    });
    let references: i64 = db
        .query_row(
            "SELECT COUNT(DISTINCT crime_reference) FROM cases",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(references, 50, "unique crime references");
    let verified = app
        .call("GET", "/api/v1/audit/verify", support::ADMIN_TOKEN, None)
        .json();
    assert_eq!(verified["valid"], true, "{verified}");
}

#[test]
fn cases_survive_a_restart() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let id = app.new_case(&officer, true, 2);
    decide(
        &app,
        &officer,
        &id,
        json!({ "outcome": "recorded", "principal": "stalking-s2a" }),
    );
    let before = read(&app, &officer, &id);
    let app = app.restart();
    let after = read(&app, &officer, &id);
    for field in [
        "incident_reference",
        "crime_reference",
        "occurrences",
        "suspects",
        "version",
        "status",
    ] {
        assert_eq!(before[field], after[field], "{field}");
    }
}

#[test]
fn a_partner_gets_a_receipt_never_the_case_and_linking_is_logged_as_a_combination() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let partner = app.token("partner", "mash");
    // The police already hold a case on this suspect.
    let earlier = app.new_case(&officer, true, 2);
    let reply = app.call("POST", "/api/v1/cases", &partner, Some(case_body(true)));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let receipt = reply.json();
    let keys: Vec<&str> = receipt
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "incident_reference", "received_at"],
        "{receipt}"
    );
    assert!(!reply.body.contains(&earlier), "nothing about other cases");
    assert!(reply.header("etag").is_empty());
    // The case was linked all the same, and the linking is logged against the earlier case.
    let combined: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE operation = 'combination' AND record_type = 'case' AND record_id = ?1 AND subject = 'mash'",
            [&earlier],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(combined, 1);
    let case = receipt["id"].as_str().unwrap();
    let read = app.call_with(
        "GET",
        &format!("/api/v1/cases/{case}"),
        &officer,
        None,
        &[("x-access-reason", "investigation")],
    );
    assert_eq!(read.json()["linked_suspect"], true, "{}", read.body);
}

#[test]
fn stored_idempotent_responses_are_purged_after_the_retention_period() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    // A response stored two days ago (it holds a victim's details): past the 24-hour default.
    app.database()
        .execute(
            "INSERT INTO idempotency_keys (principal, key, request_hash, status, response, created_at)
             VALUES ('t', 'old-key', 'h', 201, X'7B7D', '2026-01-01T00:00:00.000000Z')",
            [],
        )
        .unwrap();
    let reply = app.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(case_body(true)),
        &[("idempotency-key", "new-key")],
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    let keys: Vec<String> = app
        .database()
        .prepare("SELECT key FROM idempotency_keys")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(keys, ["new-key"]);
}
