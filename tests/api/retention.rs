//! Retention under MoPI end to end: a new case's group and next review; the reviews due; a decision to
//! retain (with its reason); disposal, after which the access log and the records still verify, the
//! case reads as 410 Gone, and none of its personal data is left in any table; who may do what; bad
//! input as problems.

use crate::support::{self, TestApp};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "supervision");

fn retention(app: &TestApp, token: &str, case: &str) -> support::Reply {
    app.call_with(
        "GET",
        &format!("/api/v1/retention/cases/{case}"),
        token,
        None,
        &[REASON],
    )
}

fn review(app: &TestApp, token: &str, case: &str, etag: &str, body: Value) -> support::Reply {
    app.call_with(
        "POST",
        &format!("/api/v1/retention/cases/{case}/reviews"),
        token,
        Some(body),
        &[("if-match", etag)],
    )
}

fn due(app: &TestApp, token: &str, query: &str) -> support::Reply {
    app.call_with(
        "GET",
        &format!("/api/v1/retention/due{query}"),
        token,
        None,
        &[REASON],
    )
}

/// Moves a case's last activity back `years` (and a day), as if that long had passed.
fn age(app: &TestApp, case: &str, years: i32) {
    let today = time::OffsetDateTime::now_utc().date();
    let back = stalking_response::retention::add_years(today, -years)
        .previous_day()
        .unwrap();
    app.set_clear_from(case, &back.to_string());
}

fn today_plus_years(years: i32) -> String {
    stalking_response::retention::add_years(time::OffsetDateTime::now_utc().date(), years)
        .to_string()
}

fn ids(reply: &support::Reply) -> Vec<String> {
    reply.json()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_case_has_its_group_and_next_review_from_its_records() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "5678");
    let case = app.new_case(&officer, true, 2);

    let read = retention(&app, &supervisor, &case);
    assert_eq!(read.status, 200, "{}", read.body);
    let r = read.json();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert_eq!(r["review_group"], "group3", "awaiting a decision: {r}");
    assert_eq!(r["derived_group"], "group3");
    assert_eq!(r["clear_from"], today.as_str());
    assert_eq!(r["next_review_on"], today_plus_years(6).as_str());
    assert_eq!(r["due"], false);
    assert_eq!(r["reviews"], json!([]));
    assert_eq!(read.header("etag"), format!("\"v{}\"", r["version"]));

    // Recorded as stalking: group 2, ten years.
    let etag = app.etag(&officer, &case);
    let decided = app.call_with(
        "POST",
        &format!("/api/v1/cases/{case}/crime-decision"),
        &officer,
        Some(json!({ "outcome": "recorded", "principal": "stalking-s2a" })),
        &[("if-match", &etag)],
    );
    assert_eq!(decided.status, 200, "{}", decided.body);
    let r = retention(&app, &supervisor, &case).json();
    assert_eq!(r["review_group"], "group2", "{r}");
    assert_eq!(r["next_review_on"], today_plus_years(10).as_str());

    // A high-risk assessment: group 1.
    let assessed = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(support::dash_body(&case, 14)),
    );
    assert_eq!(assessed.status, 201, "{}", assessed.body);
    assert_eq!(
        retention(&app, &supervisor, &case).json()["review_group"],
        "group1"
    );

    // The person's retention is the strictest of their cases'.
    let person = app
        .call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &officer,
            None,
            &[("x-access-reason", "investigation")],
        )
        .json()["suspects"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.new_case(&officer, false, 1);
    let p = app
        .call_with(
            "GET",
            &format!("/api/v1/retention/people/{person}"),
            &supervisor,
            None,
            &[REASON],
        )
        .json();
    assert_eq!(p["review_group"], "group1", "{p}");
    assert_eq!(p["cases_retained"], 2);
    assert!(
        p["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["case_id"] == other.as_str())
    );
}

#[test]
fn the_reviews_due_and_a_decision_to_retain_with_its_reason() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "5678");
    let auditor = app.token("auditor", "9012");
    let old = app.new_case(&officer, false, 1);
    let older = app.new_case(&officer, false, 1);
    let fresh = app.new_case(&officer, false, 1);
    age(&app, &old, 6);
    age(&app, &older, 7);

    let listed = due(&app, &supervisor, "");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        ids(&listed),
        [older.clone(), old.clone()],
        "oldest first; not the fresh case"
    );
    assert!(listed.json()["cases"][0]["due"].as_bool().unwrap());
    assert_eq!(
        ids(&due(&app, &supervisor, "?group=group2")),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&due(&app, &supervisor, "?group=group3&limit=1")),
        [older.as_str()]
    );
    let page = due(&app, &supervisor, "?limit=1").json();
    let next = page["next"].as_str().unwrap();
    assert_eq!(
        ids(&due(&app, &supervisor, &format!("?limit=1&after={next}"))),
        [old.as_str()]
    );
    // Due by a later date: the fresh case too, six years on.
    let later = due(&app, &auditor, &format!("?due_by={}", today_plus_years(6)));
    assert_eq!(ids(&later), [older.clone(), old.clone(), fresh.clone()]);

    // A decision to retain needs If-Match, the current version and a reason.
    let etag = retention(&app, &supervisor, &old)
        .header("etag")
        .to_string();
    let unconditional = app.call(
        "POST",
        &format!("/api/v1/retention/cases/{old}/reviews"),
        &supervisor,
        Some(json!({ "decision": "retain", "reason": "r" })),
    );
    assert_eq!(unconditional.status, 428, "{}", unconditional.body);
    let stale = review(
        &app,
        &supervisor,
        &old,
        "\"v99\"",
        json!({ "decision": "retain", "reason": "r" }),
    );
    assert_eq!(stale.status, 412, "{}", stale.body);
    let bare = review(
        &app,
        &supervisor,
        &old,
        &etag,
        json!({ "decision": "retain" }),
    );
    assert_eq!(bare.status, 422, "{}", bare.body);
    assert_eq!(bare.pointers(), ["/reason"]);
    assert_eq!(bare.header("content-type"), "application/problem+json");

    let retained = review(
        &app,
        &supervisor,
        &old,
        &etag,
        json!({ "decision": "retain", "reason": "NRAC: the suspect is named in a current investigation.",
                "review_group": "group2" }),
    );
    assert_eq!(retained.status, 201, "{}", retained.body);
    let r = retained.json();
    assert_eq!(r["review_group"], "group2");
    assert_eq!(r["override_group"], "group2");
    assert_eq!(r["derived_group"], "group3");
    assert_eq!(r["retained_until"], today_plus_years(10).as_str());
    assert_eq!(r["due"], false);
    assert_eq!(r["reviews"][0]["decision"], "retain");
    assert_eq!(r["reviews"][0]["decided_by"], "5678");
    assert_eq!(
        r["reviews"][0]["review_group"], "group2",
        "the group it is retained in"
    );
    assert_ne!(retained.header("etag"), etag, "the case's version moved on");
    assert_eq!(ids(&due(&app, &supervisor, "")), [older.as_str()]);

    // Logged as an alteration of the case; the auditor reads the decisions.
    let log = app
        .call_with(
            "GET",
            &format!("/api/v1/audit/access-log?record_type=case&record_id={old}"),
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        )
        .json();
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["operation"] == "alteration" && e["subject"] == "5678"),
        "{log}"
    );
    assert_eq!(
        retention(&app, &auditor, &old).json()["reviews"][0]["reason"],
        "NRAC: the suspect is named in a current investigation."
    );
}

/// Every text column of every table, for a value left behind.
fn tables_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let db = app.database();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<String> = db
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for column in columns {
            let n: i64 = db
                .query_row(
                    &format!("SELECT COUNT(*) FROM \"{table}\" WHERE instr(CAST(\"{column}\" AS TEXT), ?1) > 0"),
                    [needle],
                    |r| r.get(0),
                )
                .unwrap();
            if n > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
    }
    found
}

#[test]
fn disposal_erases_the_personal_data_and_the_log_still_verifies() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "5678");
    let mut body = support::case_body(true);
    body["victim"] = json!({ "name": "Vivian Disposable", "date_of_birth": "1991-05-06" });
    body["suspects"] = json!([{ "name": "Simon Disposable", "date_of_birth": "1987-07-08", "police_id": "99/123456X" }]);
    body["occurrence"]["location"] = json!("14 Disposable Road");
    body["occurrence"]["description"] = json!("Followed Vivian Disposable home from the station.");
    let created = app.call("POST", "/api/v1/cases", &officer, Some(body));
    assert_eq!(created.status, 201, "{}", created.body);
    let case = created.json()["id"].as_str().unwrap().to_string();
    // Its records: a witness, a PIN request, a risk assessment, bail conditions, a search.
    let witness = app.call(
        "POST",
        &format!("/api/v1/cases/{case}/people"),
        &officer,
        Some(json!({ "category": "witness", "name": "Wendy Disposable" })),
    );
    assert_eq!(witness.status, 201, "{}", witness.body);
    let pin = app.call(
        "POST",
        &format!("/api/v1/cases/{case}/pins"),
        &officer,
        Some(json!({ "grounds": "Grounds naming Simon Disposable", "recipient_account": "Simon Disposable says he did nothing" })),
    );
    // Refused at once on a stalking case, and kept in the register all the same.
    assert!(
        pin.status == 201 || pin.status == 422,
        "{} {}",
        pin.status,
        pin.body
    );
    let assessed = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(support::dash_body(&case, 3)),
    );
    assert_eq!(assessed.status, 201, "{}", assessed.body);
    let order = app.call(
        "POST",
        &format!("/api/v1/cases/{case}/orders"),
        &officer,
        Some(json!({
            "kind": "bail-conditions", "suspect": 0, "victim_views": "Vivian Disposable wants no contact.",
            "prohibitions": ["Not to enter Disposable Road"],
            "made": { "court": "Custody sergeant", "made_at": support::searches::ago(2), "ends_at": support::searches::ago(1) }
        })),
    );
    assert_eq!(order.status, 201, "{}", order.body);
    let mut search = support::searches::s2b(&case);
    search["premises"]["address"] = json!("14 Disposable Road, Northtown");
    search["application"]["grounds"] = json!("Simon Disposable tracks her with a phone.");
    search["execution"]["people_on_premises"] = json!(["Sally Disposable, his sister"]);
    search["execution"]["seized"][0]["description"] = json!("Simon Disposable's phone");
    let searched = app.call("POST", "/api/v1/searches", &officer, Some(search));
    assert_eq!(searched.status, 201, "{}", searched.body);
    // Victim care: safe contact details, and a contact with what was said.
    let care = app.call_with(
        "PUT",
        &format!("/api/v1/cases/{case}/victim-care"),
        &officer,
        Some(json!({
            "methods": ["letter"], "safe_address": "c/o 3 Disposable Close",
            "leave_messages": false, "entitlement": "enhanced"
        })),
        &[("if-match", "\"v0\"")],
    );
    assert_eq!(care.status, 200, "{}", care.body);
    let contact = app.call(
        "POST",
        &format!("/api/v1/cases/{case}/victim-contacts"),
        &officer,
        Some(json!({ "method": "phone", "summary": "Vivian Disposable moved to her sister's." })),
    );
    assert_eq!(contact.status, 201, "{}", contact.body);
    for needle in [
        "Vivian Disposable",
        "Simon Disposable",
        "Disposable Road",
        "Wendy Disposable",
        "99/123456X",
        "Disposable Close",
        "Sally Disposable",
    ] {
        assert!(
            !tables_holding(&app, needle).is_empty(),
            "{needle} is stored to begin with"
        );
    }

    // Not due yet: refused, and nothing erased.
    let etag = retention(&app, &supervisor, &case)
        .header("etag")
        .to_string();
    let early = review(
        &app,
        &supervisor,
        &case,
        &etag,
        json!({ "decision": "dispose" }),
    );
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.json()["type"], "/problems/not-due");
    // An officer may not decide.
    age(&app, &case, 7);
    let officer_tries = review(
        &app,
        &officer,
        &case,
        &etag,
        json!({ "decision": "dispose" }),
    );
    assert_eq!(officer_tries.status, 403, "{}", officer_tries.body);

    let disposed = review(
        &app,
        &supervisor,
        &case,
        &etag,
        json!({ "decision": "dispose", "reason": "No policing purpose remains (NRAC)." }),
    );
    assert_eq!(
        disposed.status,
        201,
        "{} {}",
        disposed.body,
        app.guest_log("retention")
    );
    let d = disposed.json();
    assert!(d["disposed_at"].is_string(), "{d}");
    assert_eq!(d["reviews"][0]["decision"], "dispose");
    assert_eq!(d["due"], false);

    // No personal data left anywhere in the database.
    for needle in [
        "Vivian Disposable",
        "Simon Disposable",
        "Disposable Road",
        "Wendy Disposable",
        "99/123456X",
        "1987-07-08",
        "Disposable Close",
        "Sally Disposable",
    ] {
        assert_eq!(
            tables_holding(&app, needle),
            Vec::<String>::new(),
            "{needle} is left"
        );
    }
    // The log and the records still verify: the tombstones are vouched for by the erasure entries.
    let verified = app.verify();
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(verified["records"]["valid"], true, "{verified}");

    // The case is gone: 410, as a problem; a second decision too.
    let read = app.call_with(
        "GET",
        &format!("/api/v1/cases/{case}"),
        &officer,
        None,
        &[("x-access-reason", "investigation")],
    );
    assert_eq!(read.status, 410, "{}", read.body);
    assert_eq!(read.header("content-type"), "application/problem+json");
    assert_eq!(read.json()["type"], "/problems/disposed");
    let care = app.call_with(
        "GET",
        &format!("/api/v1/cases/{case}/victim-care"),
        &officer,
        None,
        &[("x-access-reason", "investigation")],
    );
    assert_eq!(care.status, 410, "{}", care.body);
    let again = review(
        &app,
        &supervisor,
        &case,
        disposed.header("etag"),
        json!({ "decision": "dispose" }),
    );
    assert_eq!(again.status, 410, "{}", again.body);
    // Its tombstone keeps the references and the review for the statistics and the audit.
    let tombstone = retention(&app, &supervisor, &case).json();
    assert_eq!(tombstone["disposed_at"], d["disposed_at"]);
    assert!(
        tombstone["incident_reference"]
            .as_str()
            .unwrap()
            .starts_with("TEST/INC/")
    );
    // The disposal is logged: an erasure of the case with its tombstone's digest, by the supervisor.
    let erasures: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE operation = 'erasure' AND subject = '5678' AND record_id = ?1 AND digest IS NOT NULL",
            [&case],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(erasures, 1);
}

/// A person record another retained case still names is kept when one of their cases is disposed of;
/// their retention then counts one case of each.
#[test]
fn a_person_another_retained_case_names_is_kept() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "5678");
    let report = |victim: &str| {
        let mut body = support::case_body(false);
        body["victim"] = json!({ "name": victim, "date_of_birth": "1991-05-06" });
        body["suspects"] = json!([{ "name": "Kept Suspect", "date_of_birth": "1987-07-08", "police_id": "01/999999K" }]);
        let created = app.call("POST", "/api/v1/cases", &officer, Some(body));
        assert_eq!(created.status, 201, "{}", created.body);
        let case = created.json();
        (
            case["id"].as_str().unwrap().to_string(),
            case["suspects"][0]["person_id"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let (first, person) = report("First Victim");
    let (second, same) = report("Second Victim");
    assert_eq!(person, same, "linked on the police identifier");
    age(&app, &first, 7);
    let etag = retention(&app, &supervisor, &first)
        .header("etag")
        .to_string();
    let disposed = review(
        &app,
        &supervisor,
        &first,
        &etag,
        json!({ "decision": "dispose" }),
    );
    assert_eq!(disposed.status, 201, "{}", disposed.body);
    assert_eq!(tables_holding(&app, "First Victim"), Vec::<String>::new());
    assert!(
        tables_holding(&app, "01/999999K").contains(&"people.police_id".to_string()),
        "the person record stays for the case still retained"
    );
    let p = app
        .call_with(
            "GET",
            &format!("/api/v1/retention/people/{person}"),
            &supervisor,
            None,
            &[REASON],
        )
        .json();
    assert_eq!(
        (&p["cases_retained"], &p["cases_disposed"]),
        (&json!(1), &json!(1)),
        "{p}"
    );
    assert_eq!(p["review_group"], "group3");
    let read = app.call_with(
        "GET",
        &format!("/api/v1/cases/{second}"),
        &officer,
        None,
        &[("x-access-reason", "investigation")],
    );
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(app.verify()["valid"], true);
}

#[test]
fn who_may_do_what_and_bad_input() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let tokens = app.role_tokens();
    app.assert_matrix(
        &tokens,
        &[
            (
                "GET",
                "/api/v1/retention/due".into(),
                None,
                &["supervisor", "superintendent", "auditor"],
            ),
            (
                "GET",
                format!("/api/v1/retention/cases/{case}"),
                None,
                &["supervisor", "superintendent", "auditor"],
            ),
        ],
    );
    for (role, token) in &tokens {
        let reply = review(
            &app,
            token,
            &case,
            "\"v1\"",
            json!({ "decision": "retain", "reason": "r" }),
        );
        match *role {
            "supervisor" => assert_eq!(reply.status, 201, "{}", reply.body),
            "superintendent" => assert_eq!(reply.status, 412, "{}", reply.body),
            _ => assert_eq!(reply.status, 403, "{role}: {}", reply.body),
        }
    }
    let supervisor = &tokens[1].1;
    let etag = retention(&app, supervisor, &case)
        .header("etag")
        .to_string();
    for (body, pointer) in [
        (
            json!({ "decision": "retain", "reason": "r", "extra": 1 }),
            "/extra",
        ),
        (json!({ "decision": "keep", "reason": "r" }), "/decision"),
        (
            json!({ "decision": "retain", "reason": "r", "next_review_on": "tomorrow" }),
            "/next_review_on",
        ),
        (
            json!({ "decision": "retain", "reason": "r", "review_group": "group5" }),
            "/review_group",
        ),
        (
            json!({ "decision": "dispose", "next_review_on": "2040-01-01" }),
            "/next_review_on",
        ),
    ] {
        let reply = review(&app, supervisor, &case, &etag, body.clone());
        assert!(
            (400..500).contains(&reply.status),
            "{body}: {} {}",
            reply.status,
            reply.body
        );
        assert_eq!(reply.header("content-type"), "application/problem+json");
        assert_eq!(reply.pointers(), [pointer], "{body}: {}", reply.body);
    }
    for query in ["?group=group5", "?due_by=2026-13-01", "?limit=0"] {
        let reply = due(&app, supervisor, query);
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.header("content-type"), "application/problem+json");
    }
    let missing = retention(&app, supervisor, "0123456789abcdef0123456789abcdef");
    assert_eq!(missing.status, 404);
    let no_reason = app.call("GET", "/api/v1/retention/due", supervisor, None);
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    let no_person = app.call_with(
        "GET",
        "/api/v1/retention/people/nobody",
        supervisor,
        None,
        &[REASON],
    );
    assert_eq!(no_person.status, 404);
}
