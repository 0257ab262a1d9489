//! Risk scoring end to end: instruments served from data, assessments scored and explained, S-DASH
//! when due, reviews, referrals and the partner's side, what is overdue, every error path, and who may
//! do what.

use crate::support::{self, ADMIN_TOKEN, TestApp, dash_body, repo};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "safeguarding");

fn count(app: &TestApp, table: &str) -> i64 {
    app.database()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn assess(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.call("POST", "/api/v1/risk-assessments", token, Some(body));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(
        reply
            .header("location")
            .starts_with("/api/v1/risk-assessments/")
    );
    reply.json()
}

fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let reply = app.call_with("GET", path, token, None, &[REASON]);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}

fn codes(case_risk: &Value) -> Vec<String> {
    case_risk["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn instruments_are_served_from_data() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let list = get(&app, &officer, "/api/v1/instruments");
    let ids: Vec<(&str, i64)> = list["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["questions"].as_i64().unwrap()))
        .collect();
    assert_eq!(ids, [("dash", 27), ("s-dash", 11)]);
    let dash = get(&app, &officer, "/api/v1/instruments/dash/2009-police");
    assert_eq!(dash["questions"][7]["id"], "q8");
    assert_eq!(dash["questions"][7]["yes_requires"], "stalking-screening");
    assert_eq!(dash["questions"][2]["parts"].as_array().unwrap().len(), 6);
    assert_eq!(dash["sections"].as_array().unwrap().len(), 4);
    let missing = app.call("GET", "/api/v1/instruments/dash/1999", &officer, None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "application/problem+json");
    assert_eq!(app.call("GET", "/api/v1/instruments", "", None).status, 401);
    assert_eq!(
        app.call("GET", "/api/v1/instruments", ADMIN_TOKEN, None)
            .status,
        403
    );
    assert_eq!(
        app.call("DELETE", "/api/v1/instruments", &officer, None)
            .status,
        405
    );
}

#[test]
fn an_assessment_is_scored_explained_and_turned_into_actions() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);
    let before = get(&app, &officer, &format!("/api/v1/risk/cases/{case}"));
    assert_eq!(
        codes(&before),
        ["risk-assessment-required", "stalking-screening-required"]
    );
    assert_eq!(before["screening_reasons"].as_array().unwrap().len(), 2);

    let dash = assess(&app, &officer, dash_body(&case, 14));
    assert_eq!(
        (dash["level"].as_str(), dash["result"]["score"].as_i64()),
        (Some("high"), Some(14))
    );
    assert_eq!(dash["result"]["out_of"], 26);
    let rules: Vec<&str> = dash["result"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        rules.contains(
            &"A score of 14 is in the high band (14 or more), by this force's thresholds."
        ),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|r| r.starts_with("A MARAC referral is due")),
        "{rules:?}"
    );
    let agencies: Vec<&str> = dash["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agency"].as_str().unwrap())
        .collect();
    assert_eq!(agencies, ["mash", "marac"], "{:#}", dash["referrals"]);
    assert_eq!(dash["supervisor_review"]["done"], false);
    let id = dash["id"].as_str().unwrap();

    // Read back (with a reason, logged), and in the case's history.
    let read = get(&app, &officer, &format!("/api/v1/risk-assessments/{id}"));
    assert_eq!(read["answers"]["q1"]["answer"], "yes");
    let unreasoned = app.call(
        "GET",
        &format!("/api/v1/risk-assessments/{id}"),
        &officer,
        None,
    );
    assert_eq!(unreasoned.status, 400);
    let logged: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE record_type = 'risk-assessment' AND record_id = ?1 AND operation = 'consultation' AND reason_code = 'safeguarding'",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 1);
    let history = get(
        &app,
        &officer,
        &format!("/api/v1/risk-assessments?case_id={case}"),
    );
    assert_eq!(history["assessments"].as_array().unwrap().len(), 1);

    // The case's actions: screening (two occasions, stalking), referrals, supervisor review, SPO.
    let after = get(&app, &officer, &format!("/api/v1/risk/cases/{case}"));
    assert_eq!(
        codes(&after),
        [
            "supervisor-review-due",
            "stalking-screening-required",
            "referral-due",
            "referral-due",
            "consider-spo",
            "safety-plan"
        ]
    );

    // The S-DASH: its count and items, no level, and the screening action goes.
    let sdash = assess(
        &app,
        &officer,
        support::assessment_body(&case, "s-dash", "2009", 3),
    );
    assert_eq!(sdash["result"]["score"], 3);
    assert_eq!(sdash["result"]["yes_items"], json!(["s1", "s2", "s3"]));
    assert_eq!(sdash["level"], Value::Null);
    let last = get(&app, &officer, &format!("/api/v1/risk/cases/{case}"));
    assert!(!codes(&last).contains(&"stalking-screening-required".to_string()));
    assert_eq!(last["screening"]["id"], sdash["id"]);
}

#[test]
fn judgement_raises_never_lowers_and_escalation_comes_from_the_case_history() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let mut raised = dash_body(&case, 11);
    raised["judgement"] =
        json!({ "level": "high", "rationale": "Threats to kill; recent separation." });
    let result = assess(&app, &officer, raised);
    assert_eq!(
        (
            result["result"]["computed_level"].as_str(),
            result["level"].as_str()
        ),
        (Some("medium"), Some("high"))
    );
    let marac = &result["referrals"][1];
    assert_eq!(
        marac["criteria"],
        json!(["high-risk", "professional-judgement"])
    );

    let mut lowered = dash_body(&case, 11);
    lowered["judgement"] = json!({ "level": "standard", "rationale": "Seems calm." });
    let refused = app.call("POST", "/api/v1/risk-assessments", &officer, Some(lowered));
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.json()["errors"][0]["pointer"], "/judgement/level");
    assert!(refused.body.contains("never lower"));

    // Every test case has the same victim and suspect: three cases are three incidents in 12 months.
    let first = assess(&app, &officer, dash_body(&case, 2));
    assert_eq!(first["result"]["escalation"], false);
    app.new_case(&officer, false, 1);
    let third = app.new_case(&officer, false, 1);
    let escalated = assess(&app, &officer, dash_body(&third, 2));
    assert_eq!(escalated["result"]["escalation_incidents"], 3);
    assert_eq!(escalated["result"]["escalation"], true);
    assert_eq!(escalated["level"], "standard");
    assert_eq!(escalated["referrals"][0]["agency"], "marac");
    // …and a repeat: the pair was referred to MARAC (the judged-high assessment) and has had an
    // incident since.
    assert_eq!(
        escalated["referrals"][0]["criteria"],
        json!(["escalation", "repeat"])
    );
}

#[test]
fn bad_assessments_get_precise_problems_and_change_nothing() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let log_before = count(&app, "access_log");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = dash_body(&case, 3);
        change(&mut body);
        body
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with(&|b| b["answers"]["q99"] = json!({ "answer": "yes" })),
            422,
            "/answers/q99",
        ),
        (
            with(&|b| {
                b["answers"].as_object_mut().unwrap().remove("q12");
            }),
            422,
            "/answers/q12",
        ),
        (
            with(&|b| b["answers"]["q1"] = json!({ "comment": "no answer" })),
            422,
            "/answers/q1/answer",
        ),
        (
            with(&|b| b["answers"]["q1"] = json!({ "answer": "maybe" })),
            422,
            "/answers/q1/answer",
        ),
        (
            with(&|b| b["answers"]["q3"]["parts"]["being-killed"] = json!("sometimes")),
            422,
            "/answers/q3/parts/being-killed",
        ),
        (
            with(&|b| {
                b["answers"]["q3"]["parts"]
                    .as_object_mut()
                    .unwrap()
                    .remove("for-self");
            }),
            422,
            "/answers/q3/parts/for-self",
        ),
        (
            with(&|b| b["instrument"]["version"] = json!("2030")),
            422,
            "/instrument/version",
        ),
        (
            with(&|b| b["instrument"]["id"] = json!("dara")),
            422,
            "/instrument/id",
        ),
        (
            with(&|b| b["case_id"] = json!("no-such-case")),
            422,
            "/case_id",
        ),
        (
            with(&|b| b["judgement"] = json!({ "level": "high", "rationale": " " })),
            422,
            "/judgement/rationale",
        ),
        (
            with(&|b| b["judgement"] = json!({ "level": "extreme", "rationale": "r" })),
            422,
            "/judgement/level",
        ),
        (with(&|b| b["colour"] = json!("red")), 422, ""),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("answers");
            }),
            422,
            "/answers",
        ),
    ];
    for (body, status, pointer) in &cases {
        let reply = app.call(
            "POST",
            "/api/v1/risk-assessments",
            &officer,
            Some(body.clone()),
        );
        assert_eq!(reply.status, *status, "{pointer}: {}", reply.body);
        assert_eq!(reply.header("content-type"), "application/problem+json");
        if !pointer.is_empty() {
            assert!(
                reply.pointers().iter().any(|p| p == pointer),
                "{pointer}: {}",
                reply.body
            );
        }
    }
    let mut screening = support::assessment_body(&case, "s-dash", "2009", 1);
    screening["judgement"] = json!({ "level": "high", "rationale": "r" });
    let reply = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(screening),
    );
    assert_eq!(
        (reply.status, reply.json()["errors"][0]["pointer"].as_str()),
        (422, Some("/judgement"))
    );
    // Not JSON, wrong media type.
    let raw = support::read(
        support::agent().run(
            ureq::http::Request::post(app.url("/api/v1/risk-assessments"))
                .header("authorization", format!("Bearer {officer}"))
                .header("content-type", "application/json")
                .body("{\"case_id\": ")
                .unwrap(),
        ),
    );
    assert_eq!(raw.status, 400);
    let text = support::read(
        support::agent().run(
            ureq::http::Request::post(app.url("/api/v1/risk-assessments"))
                .header("authorization", format!("Bearer {officer}"))
                .header("content-type", "text/plain")
                .body("hello")
                .unwrap(),
        ),
    );
    assert_eq!(text.status, 415);
    assert_eq!(count(&app, "risk_assessments"), 0);
    assert_eq!(count(&app, "referrals"), 0);
    assert_eq!(
        count(&app, "access_log"),
        log_before,
        "nothing logged for refused input"
    );
    // Unknown ids.
    for path in [
        "/api/v1/risk-assessments/nope",
        "/api/v1/risk/cases/nope",
        "/api/v1/referrals/nope",
        "/api/v1/risk-assessments?case_id=nope",
    ] {
        let reply = app.call_with("GET", path, &officer, None, &[REASON]);
        assert_eq!(reply.status, 404, "{path}");
    }
    let no_case = app.call_with("GET", "/api/v1/risk-assessments", &officer, None, &[REASON]);
    assert_eq!(no_case.status, 400);
}

#[test]
fn retrying_with_the_same_idempotency_key_creates_one_assessment() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let send = |body: Value| {
        app.call_with(
            "POST",
            "/api/v1/risk-assessments",
            &officer,
            Some(body),
            &[("idempotency-key", "dash-7f3a")],
        )
    };
    let first = send(dash_body(&case, 10));
    let second = send(dash_body(&case, 10));
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    assert_eq!(count(&app, "risk_assessments"), 1);
    assert_eq!(count(&app, "referrals"), 1);
    assert_eq!(
        send(dash_body(&case, 11)).status,
        422,
        "same key, other body"
    );
}

#[test]
fn supervisors_review_and_new_occurrences_make_reviews_due() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let case = app.new_case(&officer, false, 1);
    let dash = assess(&app, &officer, dash_body(&case, 10));
    let id = dash["id"].as_str().unwrap();
    let path = format!("/api/v1/risk-assessments/{id}/reviews");
    let agreed = json!({ "outcome": "agreed", "rationale": "Checked with the officer." });
    assert_eq!(
        app.call("POST", &path, &officer, Some(agreed.clone()))
            .status,
        403
    );
    let lower = json!({ "outcome": "raised", "level": "standard", "rationale": "r" });
    let refused = app.call("POST", &path, &supervisor, Some(lower));
    assert_eq!(refused.status, 422);
    assert_eq!(refused.json()["errors"][0]["pointer"], "/level");
    let empty = app.call(
        "POST",
        &path,
        &supervisor,
        Some(json!({ "outcome": "agreed", "rationale": "" })),
    );
    assert_eq!(empty.status, 422);

    // A raise makes the MARAC referral due that medium did not.
    let raise = json!({ "outcome": "raised", "level": "high", "rationale": "Strangulation disclosed since." });
    let reviewed = app.call("POST", &path, &supervisor, Some(raise));
    assert_eq!(reviewed.status, 201, "{}", reviewed.body);
    let reviewed = reviewed.json();
    assert_eq!(reviewed["level"], "high");
    assert_eq!(reviewed["reviews"].as_array().unwrap().len(), 1);
    let agencies: Vec<&str> = reviewed["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agency"].as_str().unwrap())
        .collect();
    assert_eq!(agencies, ["mash", "marac"]);
    assert_eq!(
        reviewed["result"]["level"], "medium",
        "the original result is kept"
    );

    // A new occurrence marks it due for review, and it is on the supervisor's overdue list.
    let etag = app.etag(&officer, &case);
    let added = app.call_with(
        "POST",
        &format!("/api/v1/cases/{case}/occurrences"),
        &officer,
        Some(support::occurrence_body(true)),
        &[("if-match", &etag)],
    );
    assert_eq!(added.status, 201);
    let now = get(&app, &officer, &format!("/api/v1/risk-assessments/{id}"));
    assert_eq!(now["review"]["due"], true);
    assert!(
        now["review"]["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("Occurrence 2 ")
    );
    let overdue = get(&app, &supervisor, "/api/v1/risk/overdue");
    assert_eq!(overdue["assessments"][0]["id"], id);
    assert!(overdue["reviews"].as_array().unwrap().is_empty());
    assert!(
        overdue["referrals"].as_array().unwrap().is_empty(),
        "not yet due"
    );
    assert_eq!(
        app.call_with("GET", "/api/v1/risk/overdue", &officer, None, &[REASON])
            .status,
        403
    );

    // A superseded assessment is not reviewed.
    assess(&app, &officer, dash_body(&case, 2));
    let stale = app.call("POST", &path, &supervisor, Some(agreed));
    assert_eq!(stale.status, 409);
}

#[test]
fn referrals_are_sent_with_a_sharing_decision_and_reach_only_their_partner() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let mash = app.token("partner", "mash");
    let marac = app.token("partner", "marac");
    let case = app.new_case(&officer, true, 1);
    let dash = assess(&app, &officer, dash_body(&case, 10));
    let referral = dash["referrals"][0]["id"].as_str().unwrap().to_string();
    let send_path = format!("/api/v1/referrals/{referral}/send");
    // Not visible to the partner until sent.
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/v1/partner/referrals/{referral}"),
            &mash,
            None
        )
        .status,
        404
    );
    let no_reason = json!({ "basis": "public-interest", "victim_aware": false, "rationale": "Children at risk." });
    let refused = app.call("POST", &send_path, &officer, Some(no_reason));
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.json()["errors"][0]["pointer"],
        "/victim_not_aware_reason"
    );
    let sharing = json!({
        "basis": "consent", "victim_aware": true, "rationale": "Victim agrees; safeguarding plan needed.",
        "safe_contact": { "phone": "07700 900123", "safe_to_call": true, "safe_times": "Weekdays 9-12" }
    });
    let sent = app.call("POST", &send_path, &officer, Some(sharing.clone()));
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.json()["status"], "sent");
    assert_eq!(
        app.call("POST", &send_path, &officer, Some(sharing)).status,
        409
    );

    // The partner lists (no personal data), fetches (a disclosure) and acknowledges (once).
    let listed = app.call("GET", "/api/v1/partner/referrals", &mash, None);
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["referrals"][0]["id"], referral.as_str());
    assert!(!listed.body.contains("Alex"), "the list holds no names");
    let package = app.call(
        "GET",
        &format!("/api/v1/partner/referrals/{referral}"),
        &mash,
        None,
    );
    assert_eq!(package.status, 200);
    let package = package.json();
    assert_eq!(package["victim"]["name"], "Alex Example");
    assert_eq!(package["victim"]["safe_contact"]["phone"], "07700 900123");
    assert_eq!(package["risk"]["score"], 10);
    assert!(
        !package.to_string().contains("shouted"),
        "no occurrence narrative"
    );
    let disclosures: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE operation = 'disclosure' AND record_id = ?1 AND recipient = 'mash'",
            [&referral],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(disclosures, 1);
    // Another partner cannot see or acknowledge it.
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/v1/partner/referrals/{referral}"),
            &marac,
            None
        )
        .status,
        404
    );
    assert!(
        app.call("GET", "/api/v1/partner/referrals", &marac, None)
            .json()["referrals"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let ack_path = format!("/api/v1/partner/referrals/{referral}/acknowledgement");
    assert_eq!(app.call("POST", &ack_path, &marac, None).status, 404);
    let acked = app.call("POST", &ack_path, &mash, None);
    assert_eq!(acked.status, 200, "{}", acked.body);
    assert_eq!(acked.json()["status"], "acknowledged");
    assert_eq!(app.call("POST", &ack_path, &mash, None).status, 409);
    // Partners read nothing else; officers cannot act as partners.
    assert_eq!(
        app.call_with(
            "GET",
            &format!("/api/v1/risk/cases/{case}"),
            &mash,
            None,
            &[REASON]
        )
        .status,
        403
    );
    assert_eq!(
        app.call("GET", "/api/v1/partner/referrals", &officer, None)
            .status,
        403
    );
    let internal = get(
        &app,
        &officer,
        &format!("/api/v1/referrals?case_id={case}&status=acknowledged"),
    );
    assert_eq!(internal["referrals"][0]["acknowledged_by"], "mash");
    let bad = app.call_with(
        "GET",
        "/api/v1/referrals?status=lost",
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(bad.status, 400);
    // The chain is still whole.
    let auditor = app.token("auditor", "A1");
    let verified = app
        .call("GET", "/api/v1/audit/verify", &auditor, None)
        .json();
    assert_eq!(verified["valid"], true, "{verified}");
}

#[test]
fn every_role_gets_exactly_the_risk_endpoints_the_table_gives_it() {
    let app = TestApp::start();
    let tokens = app.role_tokens();
    let officer = &tokens[0].1;
    let case = app.new_case(officer, false, 1);
    let dash = assess(&app, officer, dash_body(&case, 10));
    let id = dash["id"].as_str().unwrap();
    let referral = dash["referrals"][0]["id"].as_str().unwrap();
    let rows: Vec<support::MatrixRow> = vec![
        (
            "GET",
            "/api/v1/instruments".into(),
            None,
            &[
                "officer",
                "supervisor",
                "superintendent",
                "analyst",
                "partner",
            ],
        ),
        (
            "POST",
            "/api/v1/risk-assessments".into(),
            Some(dash_body(&case, 1)),
            &["officer", "supervisor"],
        ),
        (
            "GET",
            format!("/api/v1/risk-assessments/{id}"),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            format!("/api/v1/risk-assessments?case_id={case}"),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            format!("/api/v1/risk/cases/{case}"),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            "/api/v1/risk/overdue".into(),
            None,
            &["supervisor", "superintendent"],
        ),
        (
            "GET",
            "/api/v1/referrals".into(),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            format!("/api/v1/referrals/{referral}"),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            "/api/v1/partner/referrals".into(),
            None,
            &["partner"],
        ),
    ];
    app.assert_matrix(&tokens, &rows);
    // Writes whose success changes state: one allowed role each, every other role refused first.
    let writes: Vec<support::MatrixRow> = vec![
        (
            "POST",
            format!("/api/v1/risk-assessments/{id}/reviews"),
            Some(json!({ "outcome": "agreed", "rationale": "ok" })),
            &["supervisor", "superintendent"],
        ),
        (
            "POST",
            format!("/api/v1/referrals/{referral}/send"),
            Some(json!({ "basis": "consent", "victim_aware": true, "rationale": "ok" })),
            &["officer", "supervisor"],
        ),
        (
            "POST",
            format!("/api/v1/partner/referrals/{referral}/acknowledgement"),
            None,
            &["partner"],
        ),
    ];
    for (method, path, body, allowed) in &writes {
        for (role, token) in tokens.iter().filter(|(r, _)| !allowed.contains(r)) {
            let reply = app.call(method, path, token, body.clone());
            assert_eq!(reply.status, 403, "{role} {method} {path}: {}", reply.body);
        }
    }
}

#[test]
fn the_manifest_repeats_the_policy_defaults_and_a_broken_policy_is_refused_clearly() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("spin.toml")).unwrap()).unwrap();
    for (name, default) in stalking_response::risk::scoring::POLICY_VARIABLES {
        assert_eq!(
            manifest["variables"][name]["default"].as_str(),
            Some(*default),
            "spin.toml's default for {name}"
        );
        assert_eq!(
            manifest["component"]["risk"]["variables"][name].as_str(),
            Some(format!("{{{{ {name} }}}}").as_str()),
            "the risk component reads {name}"
        );
    }
    let app = TestApp::start_with(&[("risk_bands", "dash: medium=20, high=10")]);
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let reply = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(dash_body(&case, 3)),
    );
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["type"], "/problems/misconfigured");
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("`risk_bands`"),
        "names the variable: {}",
        reply.body
    );
    assert!(
        !reply.body.contains("medium=20"),
        "no configuration text in the response"
    );
    assert_eq!(count(&app, "risk_assessments"), 0);
}

#[test]
fn assessments_survive_a_restart() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let dash = assess(&app, &officer, dash_body(&case, 14));
    let app = app.restart();
    let read = get(
        &app,
        &officer,
        &format!("/api/v1/risk-assessments/{}", dash["id"].as_str().unwrap()),
    );
    assert_eq!(read["result"], dash["result"]);
}

#[test]
fn nobody_reviews_their_own_assessment() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let colleague = app.token("supervisor", "S2");
    let case = app.new_case(&officer, false, 1);
    let own = assess(&app, &supervisor, dash_body(&case, 14));
    let path = format!(
        "/api/v1/risk-assessments/{}/reviews",
        own["id"].as_str().unwrap()
    );
    let agreed = json!({ "outcome": "agreed", "rationale": "Checked." });
    let refused = app.call("POST", &path, &supervisor, Some(agreed.clone()));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.json()["type"], "/problems/own-work");
    let reviewed = app.call("POST", &path, &colleague, Some(agreed));
    assert_eq!(
        reviewed.status, 201,
        "another supervisor may: {}",
        reviewed.body
    );
}
