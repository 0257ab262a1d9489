//! Victim care and actions end to end: the victim's preferences with If-Match; the updates the app
//! makes due at the crime decision and an order's decision, and those an officer records; contacts
//! that give them (once), offer the personal statement and agree a safety plan; the case's actions
//! across intake, risk, orders and victim care; an officer's own actions; the force's overdue list;
//! who may do what, and the access log.

use crate::support::{Reply, TestApp};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "investigation");

fn preferences() -> Value {
    json!({
        "methods": ["phone", "email"],
        "safe_phone": "07700 900123",
        "safe_email": "safe@example.org",
        "safe_times": "Weekdays after 6pm",
        "leave_messages": false,
        "entitlement": "enhanced"
    })
}

fn get(app: &TestApp, token: &str, path: &str) -> Reply {
    app.call_with("GET", path, token, None, &[REASON])
}

fn put_preferences(app: &TestApp, token: &str, case: &str, etag: &str, body: Value) -> Reply {
    app.call_with(
        "PUT",
        &format!("/api/v1/cases/{case}/victim-care"),
        token,
        Some(body),
        &[("if-match", etag)],
    )
}

fn decide(app: &TestApp, token: &str, case: &str) {
    let etag = app.etag(token, case);
    let decided = app.call_with(
        "POST",
        &format!("/api/v1/cases/{case}/crime-decision"),
        token,
        Some(json!({ "outcome": "recorded", "principal": "stalking-s2a" })),
        &[("if-match", &etag)],
    );
    assert_eq!(decided.status, 200, "{}", decided.body);
}

fn ago(days: i64) -> String {
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(days);
    stalking_response::values::timestamp(at)
}

fn hours_ago(hours: i64) -> String {
    let at = time::OffsetDateTime::now_utc() - time::Duration::hours(hours);
    stalking_response::values::timestamp(at)
}

fn codes(actions: &Value) -> Vec<String> {
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect()
}

fn logged(app: &TestApp, record_type: &str, case: &str) -> Vec<String> {
    let db = app.database();
    let mut statement = db
        .prepare(
            "SELECT l.operation FROM access_log l JOIN access_log_cases c ON c.seq = l.seq
             WHERE l.record_type = ?1 AND c.case_id = ?2 ORDER BY l.seq",
        )
        .unwrap();
    statement
        .query_map([record_type, case], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn victim_care_records_preferences_contacts_and_the_updates_owed_at_key_decisions() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);
    let path = format!("/api/v1/cases/{case}/victim-care");

    // Nothing recorded yet: version 0, the enhanced service, and the preferences are an action.
    let care = get(&app, &officer, &path);
    assert_eq!(care.status, 200, "{}", care.body);
    assert_eq!(care.header("etag"), "\"v0\"");
    assert_eq!(care.json()["entitlement"], "enhanced");
    assert_eq!(care.json()["update_days"], 1);
    let actions = get(&app, &officer, &format!("/api/v1/cases/{case}/actions"));
    assert_eq!(actions.status, 200, "{}", actions.body);
    let list = codes(&actions.json()["actions"]);
    assert!(list.contains(&"crime-decision-due".to_string()), "{list:?}");
    assert!(
        list.contains(&"risk-assessment-required".to_string()),
        "{list:?}"
    );
    assert!(list.contains(&"victim-preferences".to_string()), "{list:?}");

    // Strict input: a safe detail for each method, a reason for the standard service, If-Match.
    let mut bad = preferences();
    bad["methods"] = json!(["phone", "letter", "phone"]);
    bad["entitlement"] = json!("standard");
    bad.as_object_mut().unwrap().remove("safe_phone");
    let refused = put_preferences(&app, &officer, &case, "\"v0\"", bad);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.pointers(),
        [
            "/methods/2",
            "/safe_phone",
            "/safe_address",
            "/entitlement_reason"
        ]
    );
    let unknown = put_preferences(
        &app,
        &officer,
        &case,
        "\"v0\"",
        json!({ "methods": ["pigeon"] }),
    );
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let no_match = app.call(
        "PUT",
        &format!("/api/v1/cases/{case}/victim-care"),
        &officer,
        Some(preferences()),
    );
    assert_eq!(no_match.status, 428);
    let saved = put_preferences(&app, &officer, &case, "\"v0\"", preferences());
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.header("etag"), "\"v1\"");
    assert_eq!(saved.json()["preferences"]["safe_phone"], "07700 900123");
    let stale = put_preferences(&app, &officer, &case, "\"v0\"", preferences());
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.header("etag"), "\"v1\"");

    // The crime decision makes an update due (a trigger, in the decision's transaction).
    decide(&app, &officer, &case);
    let care = get(&app, &officer, &path).json();
    let updates = care["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 1, "{care}");
    assert_eq!(updates[0]["decision"], "crime-recorded");
    assert_eq!(updates[0]["source"]["type"], "case");
    assert_eq!(updates[0]["overdue"], false);
    let crime_update = updates[0]["id"].as_str().unwrap().to_string();

    // An officer records an arrest (an hour ago): another update due. The app's own decisions cannot
    // be recorded by hand, nor a decision in the future.
    let decisions = format!("/api/v1/cases/{case}/key-decisions");
    let arrest = app.call(
        "POST",
        &decisions,
        &officer,
        Some(json!({ "decision": "arrest", "decided_at": hours_ago(1) })),
    );
    assert_eq!(arrest.status, 201, "{}", arrest.body);
    assert_eq!(arrest.json()["source"]["type"], "key-decision");
    let arrest_update = arrest.json()["id"].as_str().unwrap().to_string();
    let by_hand = app.call(
        "POST",
        &decisions,
        &officer,
        Some(json!({ "decision": "crime-recorded", "decided_at": ago(0) })),
    );
    assert_eq!(by_hand.pointers(), ["/decision"]);
    let future = app.call(
        "POST",
        &decisions,
        &officer,
        Some(json!({ "decision": "charge", "decided_at": "2099-01-01T00:00:00Z" })),
    );
    assert_eq!(future.pointers(), ["/decided_at"]);

    let actions = get(&app, &officer, &format!("/api/v1/cases/{case}/actions")).json();
    let victim: Vec<&Value> = actions["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["code"] == "victim-update-due")
        .collect();
    assert_eq!(victim.len(), 2, "{actions}");
    assert!(codes(&actions["actions"]).contains(&"offer-personal-statement".to_string()));

    // A contact gives both updates, offers the personal statement and agrees a safety plan. An
    // update of another case, or one already given, is refused with its pointer.
    let contacts = format!("/api/v1/cases/{case}/victim-contacts");
    let contact = json!({
        "method": "phone",
        "summary": "Told her the crime is recorded as stalking and that he was arrested this morning. Offered a VPS.",
        "updates_given": [crime_update, arrest_update],
        "personal_statement": "offered",
        "safety_plan_agreed": true
    });
    let given = app.call_with(
        "POST",
        &contacts,
        &officer,
        Some(contact.clone()),
        &[("idempotency-key", "contact-1-abcdefgh")],
    );
    assert_eq!(given.status, 201, "{}", given.body);
    assert_eq!(given.json()["recorded_by"], "1234");
    let retried = app.call_with(
        "POST",
        &contacts,
        &officer,
        Some(contact.clone()),
        &[("idempotency-key", "contact-1-abcdefgh")],
    );
    assert_eq!(
        retried.json()["id"],
        given.json()["id"],
        "the first reply, not a second contact"
    );
    let again = app.call("POST", &contacts, &officer, Some(contact));
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(again.pointers(), ["/updates_given/0", "/updates_given/1"]);
    let other_case = app.new_case(&officer, true, 2);
    let elsewhere = app.call(
        "POST",
        &format!("/api/v1/cases/{other_case}/victim-contacts"),
        &officer,
        Some(json!({ "method": "phone", "summary": "Hello", "updates_given": [crime_update] })),
    );
    assert_eq!(elsewhere.pointers(), ["/updates_given/0"]);

    let care = get(&app, &officer, &path).json();
    assert_eq!(care["contacts"], 1);
    assert_eq!(care["personal_statement"], "offered");
    assert!(care["safety_plan_agreed_at"].is_string());
    assert!(
        care["updates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["given_at"].is_string() && u["late"] == false),
        "{care}"
    );
    let listed = get(&app, &officer, &contacts).json();
    assert_eq!(listed["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(listed["contacts"][0]["method"], "phone");
    let actions = get(&app, &officer, &format!("/api/v1/cases/{case}/actions")).json();
    let list = codes(&actions["actions"]);
    for gone in [
        "victim-update-due",
        "offer-personal-statement",
        "victim-preferences",
        "crime-decision-due",
    ] {
        assert!(!list.contains(&gone.to_string()), "{gone}: {list:?}");
    }

    // Once given, an update stays given, even to a direct write.
    let db = app.database();
    assert!(
        db.execute("UPDATE victim_updates SET given_at = NULL", [])
            .is_err()
    );
    assert!(db.execute("DELETE FROM victim_contacts", []).is_err());

    // Logged per record, in the case: the care consulted, then collected; the contact collected and
    // read; the officer's update collected, and both updates altered when given.
    assert_eq!(
        logged(&app, "victim-care", &case)[..2],
        ["consultation", "collection"]
    );
    assert_eq!(
        logged(&app, "victim-contact", &case),
        ["collection", "consultation"]
    );
    assert_eq!(
        logged(&app, "victim-update", &case),
        ["collection", "alteration", "alteration"]
    );
}

#[test]
fn an_order_made_makes_an_update_due_and_an_overdue_update_reaches_the_force_list() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "sup-1");
    let case = app.new_case(&officer, true, 2);
    let order = app.call(
        "POST",
        &format!("/api/v1/cases/{case}/orders"),
        &officer,
        Some(json!({
            "kind": "restraining-order", "suspect": 0,
            "victim_views": "She wants it.",
            "prohibitions": ["No contact"],
            "made": { "court": "Leeds Magistrates", "made_at": ago(10), "ends_at": null }
        })),
    );
    assert_eq!(order.status, 201, "{}", order.body);
    // The order, recorded now, makes its update due from now; an officer's decision from ten days
    // ago is overdue at once.
    let old = app.call(
        "POST",
        &format!("/api/v1/cases/{case}/key-decisions"),
        &officer,
        Some(json!({ "decision": "charge", "decided_at": ago(10) })),
    );
    assert_eq!(old.status, 201, "{}", old.body);
    assert_eq!(old.json()["overdue"], true);
    let care = get(&app, &officer, &format!("/api/v1/cases/{case}/victim-care")).json();
    let decisions: Vec<&str> = care["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["charge", "restraining-order-made"], "{care}");

    // The force's overdue list: the supervisor sees the charge update (every item in it is
    // overdue); officers may not read it.
    let overdue = get(&app, &supervisor, "/api/v1/actions/overdue");
    assert_eq!(overdue.status, 200, "{}", overdue.body);
    let items = overdue.json()["actions"].as_array().unwrap().clone();
    assert!(
        items
            .iter()
            .any(|a| a["code"] == "victim-update-due" && a["record"]["id"] == old.json()["id"]),
        "{items:?}"
    );
    assert!(items.iter().all(|a| a["overdue"] == true));
    assert_eq!(get(&app, &officer, "/api/v1/actions/overdue").status, 403);
    let bad_limit = get(&app, &supervisor, "/api/v1/actions/overdue?limit=0");
    assert_eq!(bad_limit.status, 400, "{}", bad_limit.body);

    // An officer's own actions: their cases with something due; another officer's only for a
    // supervisor.
    let mine = get(&app, &officer, "/api/v1/actions");
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json()["cases"][0]["case_id"], case.as_str());
    let theirs = get(&app, &officer, "/api/v1/actions?officer=5678");
    assert_eq!(theirs.status, 403, "{}", theirs.body);
    let by_supervisor = get(&app, &supervisor, "/api/v1/actions?officer=1234");
    assert_eq!(by_supervisor.status, 200);
    assert_eq!(by_supervisor.json()["cases"].as_array().unwrap().len(), 1);
    let unknown = get(&app, &supervisor, "/api/v1/actions?everyone=1");
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[test]
fn only_those_who_work_the_case_read_or_record_victim_care() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);
    let tokens = app.role_tokens();
    app.assert_matrix(
        &tokens,
        &[
            (
                "GET",
                format!("/api/v1/cases/{case}/victim-care"),
                None,
                &["officer", "supervisor", "superintendent"],
            ),
            (
                "GET",
                format!("/api/v1/cases/{case}/victim-contacts"),
                None,
                &["officer", "supervisor", "superintendent"],
            ),
            (
                "POST",
                format!("/api/v1/cases/{case}/victim-contacts"),
                Some(json!({ "method": "letter", "summary": "Wrote with the officer's details." })),
                &["officer", "supervisor"],
            ),
            (
                "GET",
                format!("/api/v1/cases/{case}/actions"),
                None,
                &["officer", "supervisor", "superintendent"],
            ),
            (
                "GET",
                "/api/v1/actions/overdue".into(),
                None,
                &["supervisor", "superintendent"],
            ),
        ],
    );
    let missing = get(
        &app,
        &officer,
        "/api/v1/cases/0123456789abcdef0123456789abcdef/victim-care",
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(missing.header("content-type"), "application/problem+json");
}

/// Referrals to specialist stalking advocacy (an ISAC) or an IDVA are the force's policy: named in
/// `risk_referrals` like MASH and MARAC, they are made due by the assessment, sent with the sharing
/// decision, acknowledged by the service's system, and listed with the case's actions meanwhile.
#[test]
fn an_advocacy_referral_is_tracked_like_mash_and_marac() {
    let app = TestApp::start_with(&[
        (
            "risk_referrals",
            "mash=medium,high; marac=high; isac=standard,medium,high",
        ),
        (
            "risk_referral_recipients",
            "mash=mash, marac=marac, isac=isac-service",
        ),
        ("risk_referral_due_hours", "mash=24, marac=48, isac=72"),
    ]);
    let officer = app.token("officer", "1234");
    let isac = app.token("partner", "isac-service");
    let case = app.new_case(&officer, true, 2);
    let assessed = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(crate::support::dash_body(&case, 3)),
    );
    assert_eq!(assessed.status, 201, "{}", assessed.body);
    let referrals = assessed.json()["referrals"].as_array().unwrap().clone();
    let referral = referrals
        .iter()
        .find(|r| r["agency"] == "isac")
        .unwrap_or_else(|| panic!("an ISAC referral: {referrals:?}"));
    let id = referral["id"].as_str().unwrap();
    let actions = get(&app, &officer, &format!("/api/v1/cases/{case}/actions")).json();
    assert!(
        actions["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "referral-due" && a["record"]["id"] == id),
        "{actions}"
    );
    let sent = app.call(
        "POST",
        &format!("/api/v1/referrals/{id}/send"),
        &officer,
        Some(json!({ "basis": "consent", "victim_aware": true, "rationale": "She agreed to an ISAC." })),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let acknowledged = app.call(
        "POST",
        &format!("/api/v1/partner/referrals/{id}/acknowledgement"),
        &isac,
        None,
    );
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.body);
    let actions = get(&app, &officer, &format!("/api/v1/cases/{case}/actions")).json();
    assert!(
        !actions["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["record"]["id"] == id),
        "{actions}"
    );
}
