//! Orders end to end: an SPO from the force's application through an interim order to the full order,
//! with strict input, If-Match and a dated history; service starting the 3 days for notification and
//! the overdue list; breaches as new occurrences on the case linked to the order; who may do what.

use crate::support::{Reply, TestApp};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "investigation");

fn spo_application() -> Value {
    json!({
        "kind": "stalking-protection-order", "suspect": 0,
        "grounds": {
            "acts": "Followed her to work daily for six weeks (her statement, CCTV).",
            "risk": "Escalating: he found her new address.",
            "necessity": "Bail conditions have not stopped him."
        },
        "victim_views": "She wants an order.",
        "prohibitions": ["No contact by any means"],
        "requirements": ["Attend a perpetrator programme"]
    })
}

fn record(app: &TestApp, token: &str, case: &str, body: Value) -> Reply {
    app.call(
        "POST",
        &format!("/api/v1/cases/{case}/orders"),
        token,
        Some(body),
    )
}

fn event(app: &TestApp, token: &str, order: &Value, body: Value) -> Reply {
    let id = order["id"].as_str().unwrap();
    let etag = format!("\"v{}\"", order["version"]);
    app.call_with(
        "POST",
        &format!("/api/v1/orders/{id}/events"),
        token,
        Some(body),
        &[("if-match", &etag)],
    )
}

fn ago(days: i64) -> String {
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(days);
    stalking_response::values::timestamp(at)
}

#[test]
fn an_spo_goes_from_application_through_an_interim_order_to_the_full_order() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 2);

    // Strict input: the three conditions, the victim's views and a term are needed; the subject is
    // one of the case's suspects; the case exists.
    let mut bare = spo_application();
    bare.as_object_mut().unwrap().remove("grounds");
    bare.as_object_mut().unwrap().remove("victim_views");
    let refused = record(&app, &officer, &case, bare);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(app_pointers(&refused), ["/grounds", "/victim_views"]);
    let mut nobody = spo_application();
    nobody["suspect"] = json!(3);
    assert_eq!(
        app_pointers(&record(&app, &officer, &case, nobody)),
        ["/suspect"]
    );
    assert_eq!(
        record(
            &app,
            &officer,
            "0123456789abcdef0123456789abcdef",
            spo_application()
        )
        .status,
        404
    );
    let mut made = spo_application();
    made["made"] = json!({ "court": "c", "made_at": ago(1), "ends_at": null });
    assert_eq!(
        app_pointers(&record(&app, &officer, &case, made)),
        ["/made"]
    );

    let created = record(&app, &officer, &case, spo_application());
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("etag"), "\"v1\"");
    let order = created.json();
    assert_eq!(order["status"], "applied");
    assert_eq!(order["in_effect"], false);
    assert_eq!(
        order["terms"]["grounds"]["risk"],
        "Escalating: he found her new address."
    );

    let interim = json!({ "type": "interim-made", "court": "Cambridge Magistrates' Court",
                          "made_at": ago(10), "expires_at": ago(-20) });
    let stale = json!({ "version": 9, "id": order["id"] });
    assert_eq!(event(&app, &officer, &stale, interim.clone()).status, 412);
    let order = event(&app, &officer, &order, interim);
    assert_eq!(order.status, 200, "{}", order.body);
    let order = order.json();
    assert_eq!(order["status"], "interim");
    assert_eq!(order["in_effect"], true);

    // s.3: at least two years, or until further order.
    let short = json!({ "type": "made", "court": "Cambridge Magistrates' Court", "made_at": ago(1),
                        "ends_at": ago(-365) });
    let refused = event(&app, &officer, &order, short);
    assert_eq!(refused.status, 422);
    assert_eq!(app_pointers(&refused), ["/ends_at"]);
    let full = json!({ "type": "made", "court": "Cambridge Magistrates' Court", "made_at": ago(1),
                       "ends_at": null, "prohibitions": ["No contact by any means", "Not to enter Mill Road"] });
    let order = event(&app, &officer, &order, full);
    assert_eq!(order.status, 200, "{}", order.body);
    let order = order.json();
    assert_eq!(order["status"], "in-force");
    assert_eq!(order["terms"]["ends_at"], Value::Null);
    assert_eq!(order["terms"]["prohibitions"].as_array().unwrap().len(), 2);
    assert_eq!(
        order["terms"]["interim_expires_at"], order["terms"]["made_at"],
        "the interim order ends when the application is decided (s.5)"
    );
    let types: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["recorded", "interim-made", "made"]);
    let again = event(
        &app,
        &officer,
        &order,
        json!({ "type": "refused", "decided_at": ago(0), "reason": "r" }),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["type"], "/problems/order-event-not-allowed");

    // The subject's profile lists the order; the read is logged.
    let person = order["person_id"].as_str().unwrap();
    let profile = app.call_with(
        "GET",
        &format!("/api/v1/people/{person}"),
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(profile.json()["orders"][0]["id"], order["id"]);
    let id = order["id"].as_str().unwrap();
    let read = app.call_with(
        "GET",
        &format!("/api/v1/orders/{id}"),
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(read.status, 200);
    let logged: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log l JOIN access_log_cases c ON c.seq = l.seq
             WHERE l.record_type = 'order' AND l.record_id = ?1 AND c.case_id = ?2",
            [id, case.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        logged, 5,
        "collection, two alterations, consultations in the profile and on its own"
    );
    for role in ["partner", "analyst", "auditor"] {
        let token = app.token(role, &format!("{role}-1"));
        let reply = app.call_with(
            "GET",
            &format!("/api/v1/orders/{id}"),
            &token,
            None,
            &[REASON],
        );
        assert_eq!(reply.status, 403, "{role}");
    }
}

fn app_pointers(reply: &Reply) -> Vec<String> {
    reply.json()["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn service_starts_three_days_for_notification_and_the_overdue_list_shows_it_until_given() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let case = app.new_case(&officer, true, 2);
    let order = record(&app, &officer, &case, spo_application()).json();
    let early = event(
        &app,
        &officer,
        &order,
        json!({ "type": "notified", "notified_at": ago(0) }),
    );
    assert_eq!(
        early.status, 409,
        "no notification before an order is served"
    );
    let order = event(
        &app,
        &officer,
        &order,
        json!({ "type": "made", "court": "c", "made_at": ago(6), "ends_at": null }),
    )
    .json();
    let order = event(
        &app,
        &officer,
        &order,
        json!({ "type": "served", "served_at": ago(5) }),
    );
    assert_eq!(order.status, 200, "{}", order.body);
    let order = order.json();
    assert_eq!(order["notification"]["overdue"], true);

    let overdue = |token: &str| -> Vec<Value> {
        let reply = app.call_with(
            "GET",
            "/api/v1/orders?notification_overdue=true",
            token,
            None,
            &[REASON],
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["orders"].as_array().unwrap().clone()
    };
    let listed = overdue(&supervisor);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], order["id"]);

    let order = event(
        &app,
        &officer,
        &order,
        json!({ "type": "notified", "notified_at": ago(1) }),
    );
    assert_eq!(order.status, 200, "{}", order.body);
    assert_eq!(order.json()["notification"]["overdue"], false);
    assert!(overdue(&supervisor).is_empty());
    let bad = app.call_with(
        "GET",
        "/api/v1/orders?case=not%20an%20id",
        &supervisor,
        None,
        &[REASON],
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn a_breach_is_a_new_occurrence_on_the_case_linked_to_the_order_with_its_offence() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 1);
    let bail = record(
        &app,
        &officer,
        &case,
        json!({ "kind": "bail-conditions", "suspect": 0, "prohibitions": ["Not to contact her"],
                "made": { "court": "Parkside custody", "made_at": ago(3), "ends_at": ago(-25) } }),
    )
    .json();
    assert_eq!(bail["status"], "in-force");
    let breach = json!({ "from": ago(1), "location": "Her street", "channel": "in-person",
                         "behaviours": ["loitering"], "description": "Waited outside her flat.",
                         "fear_of_violence": true });
    let id = bail["id"].as_str().unwrap();
    let recorded = app.call_with(
        "POST",
        &format!("/api/v1/orders/{id}/breaches"),
        &officer,
        Some(breach.clone()),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(recorded.status, 201, "{}", recorded.body);
    let order = recorded.json();
    assert_eq!(order["breaches"][0]["occurrence"], 2);
    assert_eq!(
        order["breaches"][0]["offence"],
        Value::Null,
        "bail: a power of arrest"
    );
    let read = app.call_with(
        "GET",
        &format!("/api/v1/cases/{case}"),
        &officer,
        None,
        &[REASON],
    );
    let occurrences = read.json()["occurrences"].as_array().unwrap().clone();
    assert_eq!(occurrences.len(), 2);
    assert_eq!(occurrences[1]["breach_of_order"], true);
    assert_eq!(occurrences[1]["description"], "Waited outside her flat.");

    // An SPO only once made; its breach is the s.8 offence.
    let spo = record(&app, &officer, &case, spo_application()).json();
    let spo_id = spo["id"].as_str().unwrap();
    let early = app.call_with(
        "POST",
        &format!("/api/v1/orders/{spo_id}/breaches"),
        &officer,
        Some(breach.clone()),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(early.status, 409, "{}", early.body);
    let spo = event(
        &app,
        &officer,
        &spo,
        json!({ "type": "made", "court": "c", "made_at": ago(2), "ends_at": null }),
    )
    .json();
    let breached = app.call_with(
        "POST",
        &format!("/api/v1/orders/{spo_id}/breaches"),
        &officer,
        Some(breach),
        &[("if-match", &format!("\"v{}\"", spo["version"]))],
    );
    assert_eq!(breached.status, 201, "{}", breached.body);
    assert!(
        breached.json()["breaches"][0]["offence"]
            .as_str()
            .unwrap()
            .contains("s.8")
    );
    let missing_if_match = app.call(
        "POST",
        &format!("/api/v1/orders/{spo_id}/breaches"),
        &officer,
        Some(json!({})),
    );
    assert_eq!(missing_if_match.status, 428);
}
