//! People as records of their own, end to end: a report's victim and suspects linked to person
//! records (on a police identifier, or on a name with a date of birth, pending review), a supervisor's
//! confirm or split (logged, and moving the counts), the serial perpetrator on every case of theirs and
//! in the risk assessment, and the perpetrator profile.

use crate::support::{TestApp, case_body, dash_body};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "investigation");

fn report(app: &TestApp, token: &str, victim: (&str, &str), suspect: Value) -> String {
    let mut body = case_body(true);
    body["victim"] = json!({ "name": victim.0, "date_of_birth": victim.1 });
    body["suspects"] = json!([suspect]);
    let created = app.call("POST", "/api/v1/cases", token, Some(body));
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["id"].as_str().unwrap().to_string()
}

fn read(app: &TestApp, token: &str, path: &str) -> Value {
    let reply = app.call_with("GET", path, token, None, &[REASON]);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}

fn case(app: &TestApp, token: &str, id: &str) -> Value {
    read(app, token, &format!("/api/v1/cases/{id}"))
}

fn review(app: &TestApp, token: &str, case: &str, body: Value) -> crate::support::Reply {
    app.call(
        "POST",
        &format!("/api/v1/cases/{case}/links"),
        token,
        Some(body),
    )
}

fn logged(app: &TestApp, operation: &str, record_type: &str, id: &str) -> i64 {
    app.database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE operation = ?1 AND record_type = ?2 AND record_id = ?3",
            [operation, record_type, id],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_report_links_its_people_on_a_police_id_or_a_name_with_a_date_of_birth() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let a = report(
        &app,
        &officer,
        ("Alex Example", "1990-04-01"),
        json!({ "name": "Sam Sample", "police_id": "12/345678A" }),
    );
    let b = report(
        &app,
        &officer,
        ("alex  EXAMPLE", "1990-04-01"),
        json!({ "name": "S. Sample", "police_id": "12345678a" }),
    );
    let other = report(
        &app,
        &officer,
        ("Alex Example", "1991-04-01"),
        json!({ "name": "Sam Sample" }),
    );
    let (a, b, other) = (
        case(&app, &officer, &a),
        case(&app, &officer, &b),
        case(&app, &officer, &other),
    );
    let new = json!({ "basis": "new", "review": "not-needed" });
    assert_eq!(a["victim"]["link"], new);
    assert_eq!(a["suspects"][0]["link"], new);
    // The same victim by name and date of birth: a suggestion for a supervisor to review.
    assert_eq!(b["victim"]["person_id"], a["victim"]["person_id"]);
    assert_eq!(
        b["victim"]["link"],
        json!({ "basis": "name-and-date-of-birth", "review": "pending" })
    );
    // The same suspect by police identifier: the force's own, no review needed.
    assert_eq!(b["suspects"][0]["person_id"], a["suspects"][0]["person_id"]);
    assert_eq!(
        b["suspects"][0]["link"],
        json!({ "basis": "police-id", "review": "not-needed" })
    );
    assert_eq!(b["suspects"][0]["linked_cases"], json!([a["id"]]));
    // Another date of birth, and a suspect named without one: new people.
    assert_ne!(other["victim"]["person_id"], a["victim"]["person_id"]);
    assert_ne!(
        other["suspects"][0]["person_id"],
        a["suspects"][0]["person_id"]
    );
    assert_eq!(other["suspects"][0]["link"], new);
}

#[test]
fn a_supervisor_confirms_or_splits_a_link_and_each_review_is_logged() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let a = report(
        &app,
        &officer,
        ("Alex Example", "1990-04-01"),
        json!({ "name": "Sam Sample", "date_of_birth": "1988-02-03" }),
    );
    let b = report(
        &app,
        &officer,
        ("Alex Example", "1990-04-01"),
        json!({ "name": "Sam Sample", "date_of_birth": "1988-02-03" }),
    );
    let before = case(&app, &officer, &b);
    let suspect = before["suspects"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(before["suspects"][0]["linked_case_count"], 1);

    let confirm = json!({ "category": "victim", "position": 0, "decision": "confirm",
                          "reason": "The victim confirmed the earlier report is theirs." });
    let refused = review(&app, &officer, &b, confirm.clone());
    assert_eq!(
        refused.status, 403,
        "officers do not review links: {}",
        refused.body
    );
    let confirmed = review(&app, &supervisor, &b, confirm.clone());
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let confirmed = confirmed.json();
    assert_eq!(confirmed["link"]["review"], "confirmed");
    assert_eq!(confirmed["reviewed_by"], "S1");
    assert_eq!(confirmed["person_id"], before["victim"]["person_id"]);
    let again = review(&app, &supervisor, &b, confirm);
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["type"], "/problems/link-not-reviewable");

    let split = json!({ "category": "suspect", "position": 0, "decision": "split",
                        "reason": "A different Sam Sample: another address and description." });
    let done = review(&app, &supervisor, &b, split.clone());
    assert_eq!(done.status, 200, "{}", done.body);
    let done = done.json();
    assert_eq!(done["split_from"], suspect.as_str());
    assert_eq!(
        done["link"],
        json!({ "basis": "name-and-date-of-birth", "review": "split" })
    );
    let own = done["person_id"].as_str().unwrap().to_string();
    assert_ne!(own, suspect);
    // The cases are no longer linked, either way.
    let after = case(&app, &officer, &b);
    assert_eq!(after["suspects"][0]["person_id"], own.as_str());
    assert_eq!(after["suspects"][0]["linked_case_count"], 0);
    assert_eq!(
        case(&app, &officer, &a)["suspects"][0]["linked_case_count"],
        0
    );
    let profile = read(&app, &officer, &format!("/api/v1/people/{own}"));
    assert_eq!(profile["split_from"], suspect.as_str());
    assert_eq!(profile["suspect_case_count"], 1);
    assert_eq!(
        review(&app, &supervisor, &b, split).status,
        409,
        "a split is final"
    );

    // Each review is an alteration of the person records it changed.
    let victim = before["victim"]["person_id"].as_str().unwrap();
    assert_eq!(logged(&app, "alteration", "person", victim), 1);
    assert_eq!(logged(&app, "alteration", "person", &own), 1);
    assert_eq!(logged(&app, "alteration", "person", &suspect), 1);

    let nobody =
        json!({ "category": "suspect", "position": 3, "decision": "confirm", "reason": "x" });
    assert_eq!(review(&app, &supervisor, &b, nobody).status, 404);
    let no_case =
        json!({ "category": "victim", "position": 0, "decision": "confirm", "reason": "x" });
    assert_eq!(
        review(
            &app,
            &supervisor,
            "0123456789abcdef0123456789abcdef",
            no_case
        )
        .status,
        404
    );
    let witness = review(
        &app,
        &supervisor,
        &b,
        json!({ "category": "witness", "position": 0, "decision": "confirm", "reason": "x" }),
    );
    assert_eq!(witness.status, 422, "{}", witness.body);
    let blank = review(
        &app,
        &supervisor,
        &b,
        json!({ "category": "victim", "position": 1, "decision": "confirm", "reason": " " }),
    );
    assert_eq!(blank.status, 422);
    let pointers: Vec<String> = blank.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pointers, ["/position", "/reason"]);
}

#[test]
fn a_suspect_with_two_victims_is_a_serial_perpetrator_on_each_case_in_risk_and_in_the_profile() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let suspect = json!({ "name": "Sam Sample", "police_id": "12/345678A" });
    let first = report(
        &app,
        &officer,
        ("Alex Example", "1990-04-01"),
        suspect.clone(),
    );
    assert_eq!(case(&app, &officer, &first)["serial_perpetrator"], false);
    let second = report(&app, &officer, ("Bo Other", "1985-01-01"), suspect.clone());
    let third = report(&app, &officer, ("Alex Example", "1990-04-01"), suspect);
    for id in [&first, &second, &third] {
        let read = case(&app, &officer, id);
        assert_eq!(read["serial_perpetrator"], true, "{id}");
        assert_eq!(read["suspects"][0]["victim_count"], 2);
        assert_eq!(read["suspects"][0]["serial_perpetrator"], true);
    }

    // The DASH assessment's escalation says so, whatever the answers.
    let assessed = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(dash_body(&first, 14)),
    );
    assert_eq!(assessed.status, 201, "{}", assessed.body);
    let result = &assessed.json()["result"];
    assert_eq!(result["escalation"], true, "{result}");
    assert!(
        result["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("Serial perpetrator")),
        "{result}"
    );

    let person = case(&app, &officer, &first)["suspects"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let profile = read(&app, &officer, &format!("/api/v1/people/{person}"));
    assert_eq!(profile["serial_perpetrator"], true);
    assert_eq!(profile["suspect_case_count"], 3);
    assert_eq!(profile["victim_count"], 2);
    assert_eq!(profile["police_id"], "12/345678A");
    let victims = profile["victims"].as_array().unwrap();
    assert_eq!(victims.len(), 2);
    assert_eq!(victims[0]["cases"], 2, "the victim of two cases first");
    let cases = profile["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    assert!(cases.iter().all(|c| c["category"] == "suspect"));
    let of_first = cases
        .iter()
        .find(|c| c["case_id"] == first.as_str())
        .unwrap();
    assert_eq!(of_first["risk_level"], result["level"]);
    assert!(
        cases
            .iter()
            .filter(|c| c["case_id"] != first.as_str())
            .all(|c| c["risk_level"].is_null())
    );
    assert_eq!(profile["next"], Value::Null);

    // Paged, each case shown logged as combined, the person as consulted.
    let page = read(&app, &officer, &format!("/api/v1/people/{person}?limit=2"));
    assert_eq!(page["cases"].as_array().unwrap().len(), 2);
    let next = page["next"].as_str().unwrap();
    let rest = read(
        &app,
        &officer,
        &format!("/api/v1/people/{person}?limit=2&after={next}"),
    );
    assert_eq!(rest["cases"].as_array().unwrap().len(), 1);
    assert_eq!(logged(&app, "consultation", "person", &person), 3);
    assert_eq!(logged(&app, "combination", "case", &third), 2);

    // A reason is needed; partners and analysts may not read people; an unknown person is 404.
    let unreasoned = app.call("GET", &format!("/api/v1/people/{person}"), &officer, None);
    assert_eq!(unreasoned.status, 400);
    for role in ["partner", "analyst", "auditor"] {
        let token = app.token(role, &format!("{role}-1"));
        let reply = app.call_with(
            "GET",
            &format!("/api/v1/people/{person}"),
            &token,
            None,
            &[REASON],
        );
        assert_eq!(reply.status, 403, "{role}");
    }
    let missing = app.call_with(
        "GET",
        "/api/v1/people/0123456789abcdef0123456789abcdef",
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(missing.status, 404);
}

#[test]
fn a_witness_added_to_a_case_is_linked_to_their_person_record_in_that_category() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    // Sam is a suspect in one case and a witness in another: one person, two categories.
    let first = report(
        &app,
        &officer,
        ("Alex Example", "1990-04-01"),
        json!({ "name": "Sam Sample", "police_id": "12/345678A" }),
    );
    let second = report(
        &app,
        &officer,
        ("Bo Other", "1985-01-01"),
        json!({ "name": "Someone Else" }),
    );
    let add = |case: &str, body: Value| {
        app.call(
            "POST",
            &format!("/api/v1/cases/{case}/people"),
            &officer,
            Some(body),
        )
    };
    let added = add(
        &second,
        json!({ "category": "witness", "name": "S. Sample", "police_id": "12345678a" }),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let added = added.json();
    let witness = &added["others"][0];
    assert_eq!(witness["category"], "witness");
    assert_eq!(witness["name"], "S. Sample", "as this case names them");
    assert_eq!(witness["link"]["basis"], "police-id");
    let suspect = case(&app, &officer, &first)["suspects"][0]["person_id"].clone();
    assert_eq!(witness["person_id"], suspect);
    let other = add(
        &second,
        json!({ "category": "other", "name": "Jo Neighbour" }),
    )
    .json();
    let others = other["others"].as_array().unwrap();
    assert_eq!(others.len(), 2);
    let jo = others.iter().find(|o| o["category"] == "other").unwrap();
    assert_eq!(jo["link"]["basis"], "new");

    let person = suspect.as_str().unwrap();
    let profile = read(&app, &officer, &format!("/api/v1/people/{person}"));
    let categories: Vec<(&str, &str)> = profile["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["case_id"].as_str().unwrap(),
                c["category"].as_str().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![(first.as_str(), "suspect"), (second.as_str(), "witness")];
    expected.sort();
    assert_eq!(categories, expected);
    assert_eq!(
        profile["suspect_case_count"], 1,
        "a witness is not counted as a suspect"
    );
    assert_eq!(logged(&app, "collection", "person", person), 1);

    let bad = add(&second, json!({ "category": "victim", "name": "X" }));
    assert_eq!(bad.status, 422, "a victim is the report's, not added");
    let blank = add(
        &second,
        json!({ "category": "witness", "name": " ", "date_of_birth": "2999-01-01" }),
    );
    assert_eq!(blank.status, 422);
    let missing = add(
        "0123456789abcdef0123456789abcdef",
        json!({ "category": "witness", "name": "X" }),
    );
    assert_eq!(missing.status, 404);
    let partner = app.token("partner", "mash");
    let refused = app.call(
        "POST",
        &format!("/api/v1/cases/{second}/people"),
        &partner,
        Some(json!({ "category": "witness", "name": "X" })),
    );
    assert_eq!(refused.status, 403);
}
