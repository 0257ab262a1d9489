//! What the route tables guarantee for every route: refusals are decided (and logged) before any
//! handler runs, every record shown is logged per record, and a misconfigured force fails closed.

use crate::support::{self, ADMIN_TOKEN, TestApp};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "investigation");

/// The access log's entries after `seq`, as (subject, record_type, record_id, reason_code, outcome).
fn entries_after(app: &TestApp, seq: i64) -> Vec<(String, String, String, String, String)> {
    app.database()
        .prepare(
            "SELECT subject, record_type, record_id, reason_code, outcome FROM access_log
             WHERE seq > ?1 ORDER BY seq",
        )
        .unwrap()
        .query_map([seq], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn last_seq(app: &TestApp) -> i64 {
    app.database()
        .query_row("SELECT COALESCE(MAX(seq), 0) FROM access_log", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn refusals_are_decided_before_any_handler_and_logged() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let before = last_seq(&app);

    // A query the handler would reject: the caller is refused first, for who they are.
    let garbage = "/api/v1/audit/access-log?after=not-a-number";
    let anonymous = app.call("GET", garbage, "", None);
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let forged = app.call("GET", garbage, "srt_not-a-real-token", None);
    assert_eq!(forged.status, 401, "{}", forged.body);
    let wrong_role = app.call_with("GET", garbage, &officer, None, &[REASON]);
    assert_eq!(wrong_role.status, 403, "{}", wrong_role.body);
    let auditor = app.token("auditor", "A1");
    let before_auditor = last_seq(&app);
    let no_reason = app.call("GET", garbage, &auditor, None);
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    assert_eq!(no_reason.json()["type"], "/problems/access-reason-required");

    let refused: Vec<_> = entries_after(&app, before)
        .into_iter()
        .filter(|e| e.4 == "denied")
        .collect();
    let expect = |subject: &str, why: &str| {
        (
            subject.to_string(),
            "access-log".to_string(),
            "list".to_string(),
            why.to_string(),
            "denied".to_string(),
        )
    };
    assert_eq!(
        refused,
        vec![
            expect("anonymous", "unauthenticated"),
            expect("anonymous", "unauthenticated"),
            expect("1234", "denied"),
            expect("A1", "reason-missing"),
        ]
    );
    // The auditor's own refusal is the only entry its attempt wrote.
    assert_eq!(entries_after(&app, before_auditor).len(), 1);

    // With the reason, the same bad query is now the handler's to reject.
    let bad_query = app.call_with(
        "GET",
        garbage,
        &auditor,
        None,
        &[("x-access-reason", "audit")],
    );
    assert_eq!(bad_query.status, 400, "{}", bad_query.body);
    assert_eq!(bad_query.json()["type"], "/problems/invalid-query");

    // Unknown paths and methods are refused before authentication, as problems.
    let missing = app.call("GET", "/api/v1/cases/x/nothing", "", None);
    assert_eq!(
        (missing.status, missing.header("content-type")),
        (404, "application/problem+json")
    );
    let wrong_method = app.call("PUT", "/api/v1/cases", "", None);
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), "POST, GET");
}

#[test]
fn every_record_shown_is_logged_and_found_under_its_case() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let auditor = app.token("auditor", "A1");
    for _ in 0..3 {
        app.new_case(&officer, true, 1);
    }

    // A page of two cases: one consultation per case shown.
    let before = last_seq(&app);
    let page = app.call_with("GET", "/api/v1/cases?limit=2", &officer, None, &[REASON]);
    assert_eq!(page.status, 200, "{}", page.body);
    let shown: Vec<String> = page.json()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let logged: Vec<String> = entries_after(&app, before)
        .into_iter()
        .map(|e| {
            assert_eq!((e.1.as_str(), e.3.as_str()), ("case", "investigation"));
            e.2
        })
        .collect();
    assert_eq!(logged, shown);

    // An assessment of the first case shown, read directly, through the case's history and its risk.
    let case = &shown[0];
    let created = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(support::dash_body(case, 3)),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let assessment = created.json()["id"].as_str().unwrap().to_string();
    let referral = created.json()["referrals"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/api/v1/risk-assessments/{assessment}"),
        format!("/api/v1/risk-assessments?case_id={case}"),
        format!("/api/v1/risk/cases/{case}"),
    ] {
        let read = app.call_with("GET", &path, &officer, None, &[REASON]);
        assert_eq!(read.status, 200, "{path}: {}", read.body);
    }

    // Who accessed the case: every way in, each with its record.
    let who = app.call_with(
        "GET",
        &format!("/api/v1/audit/access-log?record_type=case&record_id={case}&limit=100"),
        &auditor,
        None,
        &[("x-access-reason", "audit")],
    );
    assert_eq!(who.status, 200, "{}", who.body);
    let seen: Vec<(String, String, String)> = who.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e: &Value| {
            (
                e["operation"].as_str().unwrap().to_string(),
                e["record_type"].as_str().unwrap().to_string(),
                e["record_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |operation: &str, record_type: &str, id: &str| {
        (
            operation.to_string(),
            record_type.to_string(),
            id.to_string(),
        )
    };
    assert_eq!(
        seen,
        vec![
            row("collection", "case", case),
            row("consultation", "case", case), // the list
            row("collection", "risk-assessment", &assessment),
            row("collection", "referral", &referral), // made due by it, with its digest
            row("consultation", "risk-assessment", &assessment), // read directly
            row("consultation", "case", case),        // the history: the case…
            row("consultation", "risk-assessment", &assessment), // …and each assessment
            row("consultation", "case", case),        // the case's risk
        ],
        "{}",
        who.body
    );
    assert_eq!(app.verify()["valid"], true);
}

#[test]
fn an_invalid_variable_fails_closed_and_names_itself() {
    let app = TestApp::start_with(&[("session_hours", "48")]);
    let reply = app.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None);
    assert_eq!(reply.status, 503, "{}", reply.body);
    let problem = reply.json();
    assert_eq!(problem["type"], "/problems/misconfigured");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("`session_hours`"),
        "{problem}"
    );
    // Nothing ran: the database was not even opened.
    let tables: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'access_log'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn production_serves_no_personal_data_without_the_access_log_key() {
    let app = TestApp::start_with(&[("audit_checkpoint_key", "")]);
    let reply = app.call("GET", "/api/v1/cases", ADMIN_TOKEN, None);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("`audit_checkpoint_key`"),
        "{}",
        reply.body
    );
    let health = support::read(support::agent().get(app.url("/api/v1/health")).call());
    assert_eq!(health.status, 200, "the health check still answers");
    let development =
        TestApp::start_with(&[("audit_checkpoint_key", ""), ("environment", "development")]);
    let reply = development.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None);
    assert_eq!(
        reply.status, 200,
        "development runs without a key: {}",
        reply.body
    );
}

#[test]
fn the_manifest_repeats_the_settings_defaults() {
    let manifest: toml::Table = std::fs::read_to_string(support::repo().join("spin.toml"))
        .unwrap()
        .parse()
        .unwrap();
    for (name, default) in stalking_response::settings::VARIABLES {
        assert_eq!(
            manifest["variables"][*name]["default"].as_str(),
            Some(*default),
            "spin.toml's default for {name}"
        );
    }
}

/// Every answer of the app, whichever component or code path gives it, tells browsers to use HTTPS only
/// and never to sniff a content type: a handler's JSON (200, 201) and CSV, the runner's and a handler's
/// problems (401, 403, 404, 405, 422), the web form's files and its own 404, and health.
#[test]
fn every_response_carries_hsts_and_nosniff() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let analyst = app.token("analyst", "AN1");
    let case = app.new_case(&officer, true, 1);
    let created = app.call(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(support::case_body(false)),
    );
    let missing_case = format!("/api/v1/cases/{}", "0".repeat(32));
    let replies = [
        ("201 created", created),
        (
            "200 read",
            app.call_with(
                "GET",
                &format!("/api/v1/cases/{case}"),
                &officer,
                None,
                &[REASON],
            ),
        ),
        (
            "200 csv",
            app.call_with(
                "GET",
                "/api/v1/searches/report?from=2026-01-01&to=2026-01-31&format=csv",
                &analyst,
                None,
                &[REASON],
            ),
        ),
        ("401", app.call("GET", "/api/v1/cases", "", None)),
        ("403", app.call("GET", "/api/v1/tokens", &officer, None)),
        (
            "404 from the handler",
            app.call_with("GET", &missing_case, &officer, None, &[REASON]),
        ),
        (
            "404 from the runner",
            app.call("GET", "/api/v1/cases/x/nothing", "", None),
        ),
        ("405", app.call("PUT", "/api/v1/cases", "", None)),
        (
            "422",
            app.call(
                "POST",
                "/api/v1/cases",
                &officer,
                Some(serde_json::json!({})),
            ),
        ),
        ("static file", app.call("GET", "/", "", None)),
        ("static 404", app.call("GET", "/no-such-file.js", "", None)),
        ("health", app.call("GET", "/api/v1/health", "", None)),
        ("health 405", app.call("POST", "/api/v1/health", "", None)),
    ];
    let statuses: Vec<u16> = replies.iter().map(|(_, r)| r.status).collect();
    assert_eq!(
        statuses,
        [
            201, 200, 200, 401, 403, 404, 404, 405, 422, 200, 404, 200, 405
        ]
    );
    for (what, reply) in &replies {
        assert_eq!(
            reply.header("strict-transport-security"),
            "max-age=31536000; includeSubDomains",
            "{what}"
        );
        assert_eq!(reply.header("x-content-type-options"), "nosniff", "{what}");
    }
    assert_eq!(
        replies[2].1.header("content-type"),
        "text/csv; charset=utf-8"
    );
}

/// A path parameter longer than any id is refused as not found before authentication, so nothing of it
/// reaches the access log, whoever sends it.
#[test]
fn an_overlong_id_is_not_found_before_authentication_and_never_logged() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let analyst = app.token("analyst", "AN1");
    let before = last_seq(&app);
    let long = "a".repeat(60_000);
    for (method, path, token) in [
        ("GET", format!("/api/v1/cases/{long}"), officer.as_str()),
        ("GET", format!("/api/v1/cases/{long}"), analyst.as_str()),
        ("GET", format!("/api/v1/cases/{long}"), ""),
        (
            "GET",
            format!("/api/v1/risk/cases/{long}"),
            officer.as_str(),
        ),
        (
            "POST",
            format!("/api/v1/cases/{long}/occurrences"),
            officer.as_str(),
        ),
        ("DELETE", format!("/api/v1/tokens/{long}"), ADMIN_TOKEN),
    ] {
        let reply = app.call_with(method, &path, token, None, &[REASON]);
        assert_eq!(
            (reply.status, reply.header("content-type")),
            (404, "application/problem+json"),
            "{method} {}…: {}",
            &path[..30],
            reply.body
        );
        assert_eq!(reply.json()["type"], "/problems/not-found");
    }
    // Up to the bound, a parameter is an id like any other: checked, refused and logged as before.
    let at_most = "b".repeat(64);
    let refused = app.call("GET", &format!("/api/v1/cases/{at_most}"), &analyst, None);
    assert_eq!(refused.status, 403, "{}", refused.body);
    let over = "b".repeat(65);
    let refused = app.call("GET", &format!("/api/v1/cases/{over}"), &analyst, None);
    assert_eq!(refused.status, 404, "{}", refused.body);

    let logged = entries_after(&app, before);
    assert_eq!(logged.len(), 1, "only the 64-character id: {logged:?}");
    assert_eq!(logged[0].2, at_most);
    let longest: i64 = app
        .database()
        .query_row(
            "SELECT COALESCE(MAX(LENGTH(record_id)), 0) FROM access_log",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        longest <= 64,
        "a record id of {longest} characters was logged"
    );
}

#[test]
fn a_path_id_that_cannot_be_an_id_is_that_records_404() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let superintendent = app.token("superintendent", "SI1");
    // Ids are printable ASCII without spaces: `a b` and `é` are nobody's id, so the typed id refuses
    // them before any lookup, with the same 404 as an id that does not exist.
    for (method, path, token, body, detail) in [
        ("GET", "/api/v1/cases/a%20b", &officer, None, "no case"),
        (
            "GET",
            "/api/v1/risk/cases/%C3%A9",
            &officer,
            None,
            "no case",
        ),
        ("GET", "/api/v1/cases/%C3%A9", &officer, None, "no case"),
        (
            "GET",
            "/api/v1/risk-assessments/a%20b",
            &officer,
            None,
            "no risk assessment",
        ),
        (
            "GET",
            "/api/v1/referrals/a%20b",
            &supervisor,
            None,
            "no referral",
        ),
        (
            "GET",
            "/api/v1/searches/a%20b",
            &officer,
            None,
            "no search record",
        ),
        (
            "POST",
            "/api/v1/pins/a%20b/decision",
            &superintendent,
            Some(json!({"decision": "decline", "rationale": "Words of advice are enough."})),
            "no PIN request",
        ),
    ] {
        let reply = app.call_with(method, path, token, body, &[REASON]);
        assert_eq!(
            (reply.status, reply.header("content-type")),
            (404, "application/problem+json"),
            "{method} {path}: {}",
            reply.body
        );
        let said = reply.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(said.contains(detail), "{path}: {said}");
    }
}

#[test]
fn reads_through_referral_lists_partner_fetches_and_searches_are_found_under_the_case() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let auditor = app.token("auditor", "A1");
    let partner = app.token("partner", "mash");
    let case = app.new_case(&officer, true, 2);
    let created = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(support::dash_body(&case, 14)),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let referrals: Vec<(String, String)> = created.json()["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["agency"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mash = &referrals.iter().find(|(a, _)| a == "mash").unwrap().1;
    let sent = app.call(
        "POST",
        &format!("/api/v1/referrals/{mash}/send"),
        &officer,
        Some(json!({ "basis": "consent", "victim_aware": true, "rationale": "High risk." })),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let search = app.call(
        "POST",
        "/api/v1/searches",
        &officer,
        Some(json!({
            "case_id": case, "power": "pace-s17",
            "premises": { "address": "1 Example Street" },
            "authority": { "grounds": "To arrest the suspect." }
        })),
    );
    assert_eq!(search.status, 201, "{}", search.body);
    let search = search.json()["id"].as_str().unwrap().to_string();

    let found_under_case = |since: i64| -> Vec<(String, String)> {
        let who = app.call_with(
            "GET",
            &format!(
                "/api/v1/audit/access-log?record_type=case&record_id={case}&after={since}&limit=100"
            ),
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        );
        assert_eq!(who.status, 200, "{}", who.body);
        who.json()["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["subject"] != "A1")
            .map(|e| {
                (
                    e["record_type"].as_str().unwrap().to_string(),
                    e["record_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let reads: Vec<(String, &str, (&str, &str))> = vec![
        (
            format!("/api/v1/referrals?case_id={case}"),
            officer.as_str(),
            ("referral", mash.as_str()),
        ),
        (
            format!("/api/v1/referrals/{mash}"),
            officer.as_str(),
            ("referral", mash.as_str()),
        ),
        (
            "/api/v1/partner/referrals".into(),
            partner.as_str(),
            ("referral", mash.as_str()),
        ),
        (
            "/api/v1/searches".into(),
            officer.as_str(),
            ("search", search.as_str()),
        ),
        (
            format!("/api/v1/searches/{search}"),
            officer.as_str(),
            ("search", search.as_str()),
        ),
        (
            format!("/api/v1/searches/{search}/versions/1"),
            officer.as_str(),
            ("search", search.as_str()),
        ),
    ];
    for (path, token, (kind, id)) in reads {
        let since = last_seq(&app);
        let read = app.call_with("GET", &path, token, None, &[REASON]);
        assert_eq!(read.status, 200, "{path}: {}", read.body);
        let found = found_under_case(since);
        assert!(
            found.contains(&(kind.to_string(), id.to_string())),
            "{path}: {found:?}"
        );
    }
}

#[test]
fn list_statuses_are_typed_and_an_unknown_one_is_named_with_the_known_ones() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let partner = app.token("partner", "mash");
    for (path, token, known) in [
        ("/api/v1/cases?status=closed", &officer, "awaiting-decision"),
        // A partner sees only what was sent to it: `due` is not one of its statuses.
        (
            "/api/v1/partner/referrals?status=due",
            &partner,
            "acknowledged",
        ),
        ("/api/v1/referrals?status=closed", &officer, "acknowledged"),
        ("/api/v1/pins?status=closed", &supervisor, "authorised"),
        ("/api/v1/searches?status=closed", &officer, "non-compliant"),
    ] {
        let reply = app.call_with("GET", path, token, None, &[REASON]);
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        let detail = reply.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.contains("`status`") && detail.contains(known),
            "{path}: {detail}"
        );
    }
}

#[test]
fn an_overlong_access_log_query_is_refused_before_it_is_logged() {
    let app = TestApp::start();
    let auditor = app.token("auditor", "A1");
    let long = "c".repeat(60_000);
    for query in [
        format!("record_type=case&record_id={long}"),
        format!("subject={long}"),
    ] {
        let reply = app.call_with(
            "GET",
            &format!("/api/v1/audit/access-log?{query}"),
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        );
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert!(reply.json()["detail"].as_str().unwrap().contains("64"));
    }
    let longest: i64 = app
        .database()
        .query_row(
            "SELECT COALESCE(MAX(LENGTH(record_id)), 0) FROM access_log",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        longest <= 100,
        "a record id of {longest} characters was logged"
    );
}

/// Holds the database's write lock from outside the app for `held`, from when this returns.
fn hold_write_lock(app: &TestApp, held: std::time::Duration) -> std::thread::JoinHandle<()> {
    let db = app.database();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(held);
        db.execute_batch("COMMIT").unwrap();
    })
}

#[test]
fn a_write_waits_for_the_lock_and_past_the_wait_is_answered_busy_with_nothing_recorded() {
    use std::time::{Duration, Instant};
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    app.new_case(&officer, true, 1);
    let cases = || {
        app.database()
            .query_row("SELECT COUNT(*) FROM cases", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };

    // Held briefly: the request waits (the guest sleeps between tries) and succeeds.
    let holder = hold_write_lock(&app, Duration::from_millis(300));
    let started = Instant::now();
    let created = app.call(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(support::case_body(true)),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(started.elapsed() >= Duration::from_millis(250));
    holder.join().unwrap();
    assert_eq!(cases(), 2);

    // Held past the wait (5 s): 503 busy with Retry-After, and neither the case nor an entry.
    let seq = last_seq(&app);
    let holder = hold_write_lock(&app, Duration::from_millis(6_500));
    let refused = app.call(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(support::case_body(true)),
    );
    holder.join().unwrap();
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.json()["type"], "/problems/busy");
    assert_eq!(refused.header("retry-after"), "1");
    assert_eq!(cases(), 2);
    assert!(entries_after(&app, seq).is_empty());
}

#[test]
fn linked_cases_are_listed_a_page_at_a_time_and_each_logged() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut body = support::case_body(true);
        body["victim"]["name"] = json!(format!("Victim {i}"));
        body["suspects"] = json!([{ "name": "Sam Sample", "police_id": "12/345678A" }]);
        let created = app.call("POST", "/api/v1/cases", &officer, Some(body));
        assert_eq!(created.status, 201, "{}", created.body);
        ids.push(created.json()["id"].as_str().unwrap().to_string());
    }
    let unrelated = app.new_case(&officer, false, 1);
    let mut others: Vec<String> = ids[1..].to_vec();
    others.sort();

    let before = last_seq(&app);
    let path = format!("/api/v1/cases/{}/linked-cases?limit=3", ids[0]);
    let first = app.call_with("GET", &path, &officer, None, &[REASON]);
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    let shown: Vec<&str> = first["linked_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(shown, others[..3]);
    assert!(first["linked_cases"][0]["incident_reference"].is_string());
    // Each case shown is a consultation of that case, so "who accessed case X" finds it.
    let logged: Vec<String> = entries_after(&app, before)
        .into_iter()
        .map(|(_, kind, id, reason, _)| format!("{kind} {id} {reason}"))
        .collect();
    let expected: Vec<String> = shown
        .iter()
        .map(|id| format!("case {id} investigation"))
        .collect();
    assert_eq!(logged, expected);

    let next = first["next"].as_str().unwrap();
    let rest = app
        .call_with(
            "GET",
            &format!("{path}&after={next}"),
            &officer,
            None,
            &[REASON],
        )
        .json();
    let rest: Vec<&str> = rest["linked_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(rest, others[3..]);

    let none = app.call_with(
        "GET",
        &format!("/api/v1/cases/{unrelated}/linked-cases"),
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(none.json()["linked_cases"], json!([]));
    let missing = app.call_with(
        "GET",
        "/api/v1/cases/no-such-case/linked-cases",
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
}
