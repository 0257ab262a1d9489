//! Search records end to end: recorded per power, checked for compliance, amended (never rewritten),
//! listed and reported on (JSON and CSV), every error path, who may do what, tampering caught, and the
//! access log exported and verified outside the app.

use crate::support::searches::{ago, date_ago, s2b};
use crate::support::{self, TestApp};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "audit");

fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.call("POST", "/api/v1/searches", token, Some(body));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.header("location").starts_with("/api/v1/searches/"));
    assert_eq!(reply.header("etag"), "\"v1\"");
    reply.json()
}

fn rule<'a>(search: &'a Value, name: &str) -> &'a str {
    search["compliance"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap()["outcome"]
        .as_str()
        .unwrap()
}

fn count(app: &TestApp, table: &str) -> i64 {
    app.database()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn amend(app: &TestApp, token: &str, id: &str, version: &str, body: Value) -> support::Reply {
    app.call_with(
        "POST",
        &format!("/api/v1/searches/{id}/amendments"),
        token,
        Some(body),
        &[("if-match", version)],
    )
}

#[test]
fn a_search_is_recorded_checked_and_completed_by_amendment() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);
    let search = create(&app, &officer, s2b(&case));
    let id = search["id"].as_str().unwrap();
    assert_eq!(search["compliance"]["stage"], "executed");
    assert_eq!(search["compliance"]["status"], "non-compliant");
    // Executed but not endorsed: a mandatory field; the return is still in time.
    assert_eq!(rule(&search, "mandatory-fields"), "breached");
    assert_eq!(rule(&search, "returned-in-time"), "pending");
    assert_eq!(rule(&search, "s2b-needs-stalking"), "met");
    assert_eq!(rule(&search, "executed-within-validity"), "met");

    // The endorsement and the return, by amendment: the original stays readable.
    let closing = json!({
        "reason": "Warrant endorsed and returned to court.",
        "changes": {
            "endorsement": { "endorsed_at": ago(3), "by": "1234" },
            "returned_to_court": { "returned_at": ago(2), "by": "1234" }
        }
    });
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/v1/searches/{id}/amendments"),
            &officer,
            Some(closing.clone())
        )
        .status,
        428
    );
    assert_eq!(
        amend(&app, &officer, id, "\"v9\"", closing.clone()).status,
        412
    );
    let done = amend(&app, &officer, id, "\"v1\"", closing);
    assert_eq!(done.status, 201, "{}", done.body);
    assert_eq!(done.header("etag"), "\"v2\"");
    let done = done.json();
    assert_eq!(done["compliance"]["status"], "compliant", "{done:#}");
    assert_eq!(done["compliance"]["stage"], "closed");
    assert_eq!(done["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        done["versions"][1]["reason"],
        "Warrant endorsed and returned to court."
    );
    let original = app.call_with(
        "GET",
        &format!("/api/v1/searches/{id}/versions/1"),
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(original.status, 200);
    assert!(
        original.json()["record"].get("endorsement").is_none(),
        "the original as made"
    );
    let read = app.call_with(
        "GET",
        &format!("/api/v1/searches/{id}"),
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["record"]["returned_to_court"]["by"], "1234");

    // Amendments are refused when they say nothing, break the record, or lack a reason.
    let v2 = "\"v2\"";
    for (body, pointer) in [
        (
            json!({ "reason": "", "changes": { "premises": { "uprn": "1" } } }),
            "/reason",
        ),
        (json!({ "reason": "r", "changes": {} }), "/changes"),
        (json!({ "reason": "r", "changes": [1] }), "/changes"),
        (
            json!({ "reason": "r", "changes": { "power": "pace-s99" } }),
            "/changes/power",
        ),
        (
            json!({ "reason": "r", "changes": { "execution": { "ended_at": "2000-01-01T00:00:00Z" } } }),
            "/changes/execution/ended_at",
        ),
        (
            json!({ "reason": "r", "changes": { "case_id": "nope" } }),
            "/changes/case_id",
        ),
        (
            json!({ "reason": "r", "changes": { "premises": null } }),
            "/changes/premises",
        ),
    ] {
        let reply = amend(&app, &officer, id, v2, body);
        assert_eq!(reply.status, 422, "{pointer}: {}", reply.body);
        assert!(
            reply.pointers().iter().any(|p| p == pointer),
            "{pointer}: {}",
            reply.body
        );
    }
    assert_eq!(
        count(&app, "search_versions"),
        2,
        "refused amendments wrote nothing"
    );
    // Versions cannot be rewritten even by a bug.
    assert!(
        app.database()
            .execute("UPDATE search_versions SET reason = 'x'", [])
            .is_err()
    );
}

#[test]
fn compliance_rules_show_on_the_record() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let harassment = app.new_case(&officer, false, 1);
    let mut body = s2b(&harassment);
    body["application"]["authorised_by"]["rank"] = json!("sergeant");
    body["execution"]["force_used"] = json!(true);
    body["execution"]["seized"][0]["within_authority"] = json!(false);
    body["execution"]["notice"] = json!({ "given": false });
    let search = create(&app, &officer, body);
    for name in [
        "s2b-needs-stalking",
        "authorised-by-inspector",
        "force-reason",
        "seizure-grounds",
        "notice-of-rights",
    ] {
        assert_eq!(rule(&search, name), "breached", "{name}");
    }
    // Executed before the warrant was issued.
    let stalking = app.new_case(&officer, true, 2);
    let mut early = s2b(&stalking);
    early["warrant"]["issued_on"] = json!(date_ago(1));
    let search = create(&app, &officer, early);
    assert_eq!(rule(&search, "executed-within-validity"), "breached");
    // A consent search without written consent.
    let consent = create(
        &app,
        &officer,
        json!({
            "case_id": stalking, "power": "consent",
            "premises": { "address": "2 Example Street" },
            "consent": { "given_by": "The occupier", "given_at": ago(1), "in_writing": false },
            "execution": {
                "started_at": ago(1), "ended_at": ago(1),
                "officer_in_charge": { "id": "1234", "rank": "constable" },
                "occupier_present": false, "force_used": false, "notice": { "given": true }
            },
            "register": { "station": "Northtown", "entry": "SR/2026/18" }
        }),
    );
    assert_eq!(rule(&consent, "mandatory-fields"), "breached");
    assert!(
        consent["compliance"]["rules"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("consent in writing")
    );
}

#[test]
fn bad_search_records_get_precise_problems_and_write_nothing() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);
    let log_before = count(&app, "access_log");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = s2b(&case);
        change(&mut body);
        body
    };
    let bad: Vec<(Value, &str)> = vec![
        (with(&|b| b["power"] = json!("pace-s99")), "/power"),
        (with(&|b| b["colour"] = json!("red")), ""),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("premises");
            }),
            "/premises",
        ),
        (
            with(&|b| b["premises"]["address"] = json!(" ")),
            "/premises/address",
        ),
        (
            with(&|b| b["execution"]["started_at"] = json!("2999-01-01T00:00:00Z")),
            "/execution/started_at",
        ),
        (
            with(&|b| b["execution"]["ended_at"] = json!("2000-01-01T00:00:00Z")),
            "/execution/ended_at",
        ),
        (
            with(&|b| b["warrant"]["issued_on"] = json!("2 Nov")),
            "/warrant/issued_on",
        ),
        (
            with(&|b| b["application"]["applicant"]["rank"] = json!("general")),
            "/application/applicant/rank",
        ),
        (
            with(&|b| b["decision"] = json!({ "outcome": "refused", "decided_at": ago(5) })),
            "/decision/reasons",
        ),
        (with(&|b| b["power"] = json!("pace-s17")), "/warrant"),
        (with(&|b| b["case_id"] = json!("no-such-case")), "/case_id"),
        (
            with(&|b| b["application"]["entries"] = json!("multiple")),
            "/application/entries_sought",
        ),
    ];
    for (body, pointer) in bad {
        let reply = app.call("POST", "/api/v1/searches", &officer, Some(body));
        assert_eq!(reply.status, 422, "{pointer}: {}", reply.body);
        assert_eq!(reply.header("content-type"), "application/problem+json");
        if !pointer.is_empty() {
            assert!(
                reply.pointers().iter().any(|p| p == pointer),
                "{pointer}: {}",
                reply.body
            );
        }
    }
    assert_eq!(count(&app, "searches"), 0);
    assert_eq!(count(&app, "access_log"), log_before);
    for (path, status) in [
        ("/api/v1/searches/nope", 404),
        ("/api/v1/searches/nope/versions/1", 404),
        ("/api/v1/searches?power=magic", 400),
        ("/api/v1/searches?status=fine", 400),
        ("/api/v1/searches?from=yesterday", 400),
        ("/api/v1/searches/report?from=2026-01-01", 400),
        ("/api/v1/searches/report?from=2026-02-01&to=2026-01-01", 400),
    ] {
        let supervisor = app.token("supervisor", "S1");
        let reply = app.call_with("GET", path, &supervisor, None, &[REASON]);
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
    }
    let no_reason = app.call("GET", "/api/v1/searches", &officer, None);
    assert_eq!(no_reason.status, 400);
    let body = s2b(&case);
    let retry = |key: &str| {
        app.call_with(
            "POST",
            "/api/v1/searches",
            &officer,
            Some(body.clone()),
            &[("idempotency-key", key)],
        )
    };
    let (first, second) = (retry("search-1"), retry("search-1"));
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    assert_eq!(count(&app, "searches"), 1);
}

#[test]
fn lists_filter_and_the_report_counts_for_the_performance_meeting() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let analyst = app.token("analyst", "AN1");
    let stalking = app.new_case(&officer, true, 2);
    let harassment = app.new_case(&officer, false, 1);
    let compliant = create(&app, &officer, s2b(&stalking));
    amend(
        &app,
        &officer,
        compliant["id"].as_str().unwrap(),
        "\"v1\"",
        json!({ "reason": "Returned.", "changes": {
            "endorsement": { "endorsed_at": ago(3), "by": "1234" },
            "returned_to_court": { "returned_at": ago(2), "by": "1234" } } }),
    );
    create(&app, &officer, s2b(&harassment)); // s.2B on a case without stalking, not endorsed
    let mut refused = s2b(&stalking);
    for stage in ["warrant", "execution", "register"] {
        refused.as_object_mut().unwrap().remove(stage);
    }
    refused["decision"] =
        json!({ "outcome": "refused", "decided_at": ago(6), "reasons": "Not enough." });
    create(&app, &officer, refused);

    let list = |query: &str| -> Vec<Value> {
        let reply = app.call_with(
            "GET",
            &format!("/api/v1/searches{query}"),
            &officer,
            None,
            &[REASON],
        );
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        reply.json()["searches"].as_array().unwrap().clone()
    };
    assert_eq!(list("").len(), 3);
    assert_eq!(list("?status=non-compliant").len(), 1);
    assert_eq!(list("?status=compliant").len(), 2, "closed and refused");
    assert_eq!(list(&format!("?case_id={harassment}")).len(), 1);
    assert_eq!(list("?power=pace-s17").len(), 0);
    assert_eq!(
        list(&format!("?from={}", date_ago(1))).len(),
        0,
        "all filed 3 or 6 days ago"
    );
    let page = list("?limit=2");
    assert_eq!(page.len(), 2);
    let rest = list(&format!(
        "?limit=2&after={}",
        page[1]["id"].as_str().unwrap()
    ));
    assert_eq!(rest.len(), 1);

    let period = format!("from={}&to={}", date_ago(30), date_ago(0));
    let report = app.call_with(
        "GET",
        &format!("/api/v1/searches/report?{period}"),
        &analyst,
        None,
        &[REASON],
    );
    assert_eq!(report.status, 200, "{}", report.body);
    let report = report.json();
    assert_eq!(report["searches"], 3);
    assert_eq!(report["by_power"]["pha-s2b-warrant"], 3);
    assert_eq!(
        report["warrant_applications"],
        json!({ "made": 3, "granted": 2, "refused": 1, "awaiting_decision": 0 })
    );
    assert_eq!(report["executed"], 2);
    assert_eq!(report["fully_compliant"], 2);
    let rules: Vec<&str> = report["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["mandatory-fields", "s2b-needs-stalking"]);
    assert!(
        !report.to_string().contains("Example Street"),
        "no addresses in the report"
    );

    let csv = app.call_with(
        "GET",
        &format!("/api/v1/searches/report?{period}&format=csv"),
        &analyst,
        None,
        &[REASON],
    );
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        csv.body.starts_with("\"measure\",\"value\"\r\n"),
        "{}",
        csv.body
    );
    assert!(
        csv.body
            .contains("\"warrant applications refused\",\"1\"\r\n")
    );
    assert!(csv.body.contains("\"share fully compliant\",\"0.667\"\r\n"));
    let breaches = app.call_with(
        "GET",
        &format!("/api/v1/searches/report?{period}&format=csv&table=breaches"),
        &analyst,
        None,
        &[REASON],
    );
    assert_eq!(breaches.body.lines().count(), 3, "{}", breaches.body);
    assert!(breaches.body.contains("\"s2b-needs-stalking\""));
}

/// What an analyst receives is aggregate and carries none of the records' words: the free text of a
/// case and of a search with breaches (names, addresses, grounds, reasons, descriptions) is in neither
/// the compliance report (JSON, both CSV tables) nor the case counts.
#[test]
fn an_analysts_reports_carry_no_free_text() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let analyst = app.token("analyst", "AN1");
    let mut case = support::case_body(true);
    case["victim"]["name"] = json!("PLANTED victim");
    case["suspects"][0]["name"] = json!("PLANTED suspect");
    case["occurrence"]["description"] = json!("PLANTED narrative");
    case["occurrence"]["location"] = json!("PLANTED location");
    let created = app.call("POST", "/api/v1/cases", &officer, Some(case));
    assert_eq!(created.status, 201, "{}", created.body);
    let case_id = created.json()["id"].as_str().unwrap().to_string();

    let mut search = s2b(&case_id);
    search["premises"]["address"] = json!("PLANTED address");
    search["application"]["grounds"] = json!("PLANTED grounds");
    search["application"]["articles_sought"] = json!(["PLANTED article"]);
    search["application"]["court"] = json!("PLANTED court");
    search["application"]["applicant"]["name"] = json!("PLANTED applicant");
    search["execution"]["people_on_premises"] = json!(["PLANTED person"]);
    search["execution"]["seized"] = json!([
        { "description": "PLANTED seized item", "exhibit_reference": "AB/1", "within_authority": false }
    ]);
    search["execution"]["notice"] = json!({ "given": false, "not_given_reason": "PLANTED reason" });
    search["register"] = json!({ "station": "PLANTED station", "entry": "PLANTED entry" });
    let created = create(&app, &officer, search);
    assert_eq!(rule(&created, "seizure-grounds"), "breached");

    let period = format!("from={}&to={}", date_ago(30), date_ago(0));
    let mut shown = Vec::new();
    for query in ["", "&format=csv", "&format=csv&table=breaches"] {
        let reply = app.call_with(
            "GET",
            &format!("/api/v1/searches/report?{period}{query}"),
            &analyst,
            None,
            &[REASON],
        );
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        shown.push(reply.body);
    }
    assert!(shown[0].contains("seizure-grounds"), "{}", shown[0]);
    assert!(shown[2].contains("seizure-grounds"), "{}", shown[2]);
    let stats = app.call("GET", "/api/v1/stats/cases", &analyst, None);
    assert_eq!(stats.status, 200, "{}", stats.body);
    shown.push(stats.body);
    for body in shown {
        assert!(
            !body.contains("PLANTED"),
            "free text for an analyst: {body}"
        );
    }
}

#[test]
fn every_role_gets_exactly_the_search_endpoints_the_table_gives_it() {
    let app = TestApp::start();
    let tokens = app.role_tokens();
    let officer = &tokens[0].1;
    let case = app.new_case(officer, true, 2);
    let id = create(&app, officer, s2b(&case))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rows: Vec<support::MatrixRow> = vec![
        (
            "POST",
            "/api/v1/searches".into(),
            Some(s2b(&case)),
            &["officer", "supervisor"],
        ),
        (
            "GET",
            "/api/v1/searches".into(),
            None,
            &["officer", "supervisor", "superintendent", "auditor"],
        ),
        (
            "GET",
            format!("/api/v1/searches/{id}"),
            None,
            &["officer", "supervisor", "superintendent", "auditor"],
        ),
        (
            "GET",
            format!("/api/v1/searches/{id}/versions/1"),
            None,
            &["officer", "supervisor", "superintendent", "auditor"],
        ),
        (
            "GET",
            "/api/v1/searches/report?from=2026-01-01&to=2026-12-31".into(),
            None,
            &["supervisor", "superintendent", "analyst", "auditor"],
        ),
        (
            "GET",
            "/api/v1/audit/export?from=2026-01-01&to=2030-12-31".into(),
            None,
            &["auditor"],
        ),
    ];
    app.assert_matrix(&tokens, &rows);
    let amendment = json!({ "reason": "Typo.", "changes": { "premises": { "uprn": "100" } } });
    for (role, token) in tokens
        .iter()
        .filter(|(r, _)| !["officer", "supervisor"].contains(r))
    {
        let reply = amend(&app, token, &id, "\"v1\"", amendment.clone());
        assert_eq!(reply.status, 403, "{role}");
    }
    assert_eq!(
        amend(&app, &tokens[1].1, &id, "\"v1\"", amendment).status,
        201
    );
}

#[test]
fn tampering_with_a_search_record_or_its_log_entry_is_caught() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);
    let id = create(&app, &officer, s2b(&case))["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.verify()["valid"], true);
    let db = app.database();
    db.execute_batch("DROP TRIGGER search_versions_unchanged; DROP TRIGGER search_versions_kept;")
        .unwrap();

    // Someone with the file edits the record: it no longer matches the digest the log vouches for.
    db.execute(
        "UPDATE search_versions SET document = replace(document, 'Phone', 'Nothing') WHERE search_id = ?1",
        [&id],
    )
    .unwrap();
    let report = app.verify();
    assert_eq!(report["valid"], false);
    assert!(
        report["records"]["problems"][0]
            .as_str()
            .unwrap()
            .contains("does not match its digest"),
        "{report}"
    );

    // …and re-computes the digest too: the log still vouches for the old content.
    let fresh: String = db
        .query_row(
            "SELECT document FROM search_versions WHERE search_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(fresh.as_bytes()));
    db.execute(
        "UPDATE search_versions SET digest = ?1 WHERE search_id = ?2",
        [&digest, &id],
    )
    .unwrap();
    let report = app.verify();
    assert_eq!(report["valid"], false);
    assert!(
        report
            .to_string()
            .contains("no access-log entry wrote this content"),
        "{report}"
    );

    // …and then edits the log entry's digest: the hash chain breaks there.
    db.execute_batch("DROP TRIGGER access_log_append_only_update;")
        .unwrap();
    db.execute(
        "UPDATE access_log SET digest = ?1 WHERE record_type = 'search' AND record_id = ?2",
        [&digest, &id],
    )
    .unwrap();
    let report = app.verify();
    assert_eq!(report["valid"], false);
    assert!(
        report["first_broken"]["reason"]
            .as_str()
            .unwrap()
            .contains("does not match its hash"),
        "{report}"
    );

    // Removing the record altogether is caught too.
    let app2 = TestApp::start();
    let officer = app2.token("officer", "1234");
    let case = app2.new_case(&officer, true, 2);
    create(&app2, &officer, s2b(&case));
    let db = app2.database();
    db.execute_batch(
        "DROP TRIGGER search_versions_kept; PRAGMA foreign_keys = OFF; DELETE FROM search_versions; DELETE FROM searches;",
    )
    .unwrap();
    let report = app2.verify();
    assert_eq!(report["valid"], false);
    assert!(report.to_string().contains("no longer stored"), "{report}");
}

#[test]
fn an_auditor_exports_the_log_and_verifies_it_outside_the_app() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let auditor = app.token("auditor", "A1");
    let case = app.new_case(&officer, true, 2);
    create(&app, &officer, s2b(&case));
    let today = date_ago(0);
    let path = format!("/api/v1/audit/export?from={}&to={today}", date_ago(1));
    let reply = app.call_with("GET", &path, &auditor, None, &[REASON]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let export = reply.json();
    assert!(export["entries"].as_array().unwrap().len() >= 5);
    assert!(!export["checkpoints"].as_array().unwrap().is_empty());
    assert!(
        export["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["digest"].is_string())
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.json");
    let key = dir.path().join("key");
    std::fs::write(&file, &reply.body).unwrap();
    std::fs::write(&key, "test-checkpoint-key").unwrap();
    let script = support::repo().join("scripts/verify-access-log-export.py");
    let run = |file: &std::path::Path| {
        std::process::Command::new("python3")
            .arg(&script)
            .arg(file)
            .arg("--key-file")
            .arg(&key)
            .output()
            .expect("python3 runs")
    };
    let ok = run(&file);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: "));

    // One changed field in the export is found, by sequence number.
    let mut tampered = export.clone();
    tampered["entries"][2]["subject"] = json!("someone-else");
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    let failed = run(&bad);
    assert_eq!(failed.status.code(), Some(1));
    let seq = export["entries"][2]["seq"].as_i64().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&failed.stdout).trim(),
        format!("entry {seq}: its content does not match its hash")
    );
    // A forged checkpoint is found with the key.
    let mut forged = export.clone();
    forged["checkpoints"][0]["mac"] = json!("00");
    std::fs::write(&bad, forged.to_string()).unwrap();
    assert_eq!(run(&bad).status.code(), Some(1));

    assert_eq!(
        app.call_with(
            "GET",
            "/api/v1/audit/export?from=2026-01-01",
            &auditor,
            None,
            &[REASON]
        )
        .status,
        400
    );
    let disclosed: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE record_type = 'access-log' AND operation = 'disclosure'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(disclosed, 1, "the export is itself logged");
}
