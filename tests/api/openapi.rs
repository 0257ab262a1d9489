//! The OpenAPI document describes the app: every documented operation answers with a documented status,
//! content type and body shape, and every API route in spin.toml is documented.

use crate::support::{self, ADMIN_TOKEN, Reply, TestApp, repo};
use serde_json::Value;
use serde_json::json;

fn document() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("openapi.json")).unwrap()).unwrap()
}

/// Checks `value` against the subset of JSON Schema the document uses: `$ref`, `type` (one or a
/// list), `enum`, `required`, `properties`, `items`.
fn check(schema: &Value, value: &Value, doc: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let pointer = reference.trim_start_matches('#');
        return check(
            doc.pointer(pointer).expect("the $ref resolves"),
            value,
            doc,
            at,
            errors,
        );
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !ok {
            errors.push(format!("{at}: {actual} is not {allowed:?}"));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    for field in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if value.get(field).is_none() {
            errors.push(format!("{at}: missing required `{field}`"));
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, property) in properties {
            if let Some(field) = object.get(name) {
                check(property, field, doc, &format!("{at}/{name}"), errors);
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(items, item, doc, &format!("{at}/{i}"), errors);
        }
    }
}

/// How to call each documented operation against a prepared app: (method, path, token, body, headers).
/// An operation without a recipe fails the test, so a new endpoint must be added here.
struct Fixtures {
    admin: String,
    officer: String,
    auditor: String,
    superintendent: String,
    analyst: String,
    case: String,
    pin: String,
    etag: String,
    undecided: String,
    spare_token: String,
    to_approve: String,
    to_decline: String,
    second_admin: String,
    supervisor: String,
    mash: String,
    assessment: String,
    due_referral: String,
    sent_referral: String,
    search: String,
    search_body: Value,
    /// The suspect's person record (the same in `case` and `undecided`).
    person: String,
    /// An SPO application on `case`, and bail conditions in force on it.
    spo: String,
    bail: String,
    /// A case only the retention recipes touch (at version 1).
    retained: String,
}

fn fixtures(app: &TestApp) -> Fixtures {
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, false, 1);
    let pin = app
        .call(
            "POST",
            &format!("/api/v1/cases/{case}/pins"),
            &officer,
            Some(json!({ "grounds": "g", "recipient_account": "a" })),
        )
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let spare = app.call(
        "POST",
        "/api/v1/tokens",
        ADMIN_TOKEN,
        Some(json!({ "subject": "spare", "role": "analyst" })),
    );
    // Two requests for a superintendent's token, waiting for a second admin: one to approve, one to
    // decline.
    let request = |subject: &str| {
        let reply = app.call(
            "POST",
            "/api/v1/tokens",
            ADMIN_TOKEN,
            Some(json!({ "subject": subject, "role": "superintendent" })),
        );
        assert_eq!(reply.status, 202, "{}", reply.body);
        reply.json()["request"]["id"].as_str().unwrap().to_string()
    };
    let (to_approve, to_decline) = (request("SUP8"), request("SUP9"));
    let undecided = app.new_case(&officer, true, 2);
    let assessment = app
        .call(
            "POST",
            "/api/v1/risk-assessments",
            &officer,
            Some(support::dash_body(&case, 14)),
        )
        .json();
    let referral = |i: usize| {
        assessment["referrals"][i]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (sent_referral, due_referral) = (referral(0), referral(1));
    let sent = app.call(
        "POST",
        &format!("/api/v1/referrals/{sent_referral}/send"),
        &officer,
        Some(json!({ "basis": "consent", "victim_aware": true, "rationale": "r" })),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let search_body = json!({
        "case_id": case, "power": "pace-s17",
        "premises": { "address": "1 Example Street" },
        "authority": { "grounds": "To arrest the suspect." },
        "execution": {
            "started_at": "2026-11-01T07:00:00Z", "ended_at": "2026-11-01T07:30:00Z",
            "officer_in_charge": { "id": "1234", "rank": "constable" },
            "occupier_present": false, "force_used": false, "notice": { "given": true }
        }
    });
    let search = app
        .call(
            "POST",
            "/api/v1/searches",
            &officer,
            Some(search_body.clone()),
        )
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let person = app
        .call_with(
            "GET",
            &format!("/api/v1/cases/{undecided}"),
            &officer,
            None,
            &[("x-access-reason", "investigation")],
        )
        .json()["suspects"][0]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let order = |body: Value| -> String {
        let reply = app.call(
            "POST",
            &format!("/api/v1/cases/{case}/orders"),
            &officer,
            Some(body),
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.json()["id"].as_str().unwrap().to_string()
    };
    let spo = order(json!({
        "kind": "stalking-protection-order", "suspect": 0,
        "grounds": { "acts": "a", "risk": "r", "necessity": "n" },
        "victim_views": "v", "prohibitions": ["No contact"]
    }));
    let bail = order(json!({
        "kind": "bail-conditions", "suspect": 0, "prohibitions": ["Not to contact her"],
        "made": { "court": "Parkside custody", "made_at": "2026-11-01T10:00:00Z", "ends_at": null }
    }));
    let retained = app.new_case(&officer, false, 1);
    Fixtures {
        retained,
        spo,
        bail,
        person,
        search,
        search_body,
        supervisor: app.token("supervisor", "S1"),
        mash: app.token("partner", "mash"),
        assessment: assessment["id"].as_str().unwrap().to_string(),
        due_referral,
        sent_referral,
        etag: app.etag(&officer, &case),
        undecided,
        admin: ADMIN_TOKEN.to_string(),
        auditor: app.token("auditor", "A1"),
        superintendent: app.token("superintendent", "SUP1"),
        analyst: app.token("analyst", "AN1"),
        spare_token: spare.json()["record"]["id"].as_str().unwrap().to_string(),
        to_approve,
        to_decline,
        second_admin: app.second_admin(),
        officer,
        case,
        pin,
    }
}

type Recipe = (
    String,
    Option<Value>,
    Vec<(&'static str, &'static str)>,
    String,
);

fn recipe(operation_id: &str, f: &Fixtures) -> Recipe {
    let reason = vec![("x-access-reason", "audit")];
    match operation_id {
        "getHealth" => ("/api/v1/health".into(), None, vec![], String::new()),
        "getReadiness" => ("/api/v1/health/ready".into(), None, vec![], String::new()),
        // Not configured in the test app: the documented 503 naming the variable (tests/api/oidc.rs
        // signs in against a real provider).
        "startOidcSignIn" => ("/api/v1/session/oidc".into(), None, vec![], String::new()),
        "completeOidcSignIn" => (
            "/api/v1/session/oidc/callback?state=s&code=c".into(),
            None,
            vec![],
            String::new(),
        ),
        "issueToken" => (
            "/api/v1/tokens".into(),
            Some(json!({ "subject": "9", "role": "officer" })),
            vec![],
            f.admin.clone(),
        ),
        "listTokens" => (
            "/api/v1/tokens?limit=2".into(),
            None,
            vec![],
            f.admin.clone(),
        ),
        "listTokenRequests" => (
            "/api/v1/token-requests".into(),
            None,
            vec![],
            f.admin.clone(),
        ),
        "approveTokenRequest" => (
            format!("/api/v1/token-requests/{}/approval", f.to_approve),
            None,
            vec![],
            f.second_admin.clone(),
        ),
        "declineTokenRequest" => (
            format!("/api/v1/token-requests/{}", f.to_decline),
            None,
            vec![],
            f.second_admin.clone(),
        ),
        "revokeToken" => (
            format!("/api/v1/tokens/{}", f.spare_token),
            None,
            vec![],
            f.admin.clone(),
        ),
        "signIn" | "whoAmI" | "signOut" => {
            ("/api/v1/session".into(), None, vec![], f.officer.clone())
        }
        "readAccessLog" => (
            "/api/v1/audit/access-log?subject=1234&limit=5".into(),
            None,
            reason,
            f.auditor.clone(),
        ),
        "verifyAccessLog" => (
            "/api/v1/audit/verify".into(),
            None,
            vec![],
            f.auditor.clone(),
        ),
        "createCase" => (
            "/api/v1/cases".into(),
            Some(support::case_body(true)),
            vec![],
            f.officer.clone(),
        ),
        "listCases" => ("/api/v1/cases".into(), None, reason, f.officer.clone()),
        "addOccurrence" => (
            format!("/api/v1/cases/{}/occurrences", f.case),
            Some(support::occurrence_body(false)),
            vec![("if-match", leak(&f.etag))],
            f.officer.clone(),
        ),
        "recordCrimeDecision" => (
            format!("/api/v1/cases/{}/crime-decision", f.undecided),
            Some(json!({ "outcome": "recorded", "principal": "stalking-s2a" })),
            vec![("if-match", "\"v2\"")],
            f.officer.clone(),
        ),
        "classifyCase" => (
            format!("/api/v1/cases/{}/classification", f.case),
            None,
            reason.clone(),
            f.officer.clone(),
        ),
        "listLinkedCases" => (
            format!("/api/v1/cases/{}/linked-cases", f.case),
            None,
            reason.clone(),
            f.officer.clone(),
        ),
        "readCase" => (
            format!("/api/v1/cases/{}", f.case),
            None,
            reason,
            f.officer.clone(),
        ),
        "requestPin" => (
            format!("/api/v1/cases/{}/pins", f.case),
            Some(json!({ "grounds": "g", "recipient_account": "a" })),
            vec![],
            f.officer.clone(),
        ),
        "pinRegister" => (
            "/api/v1/pins".into(),
            None,
            reason,
            f.superintendent.clone(),
        ),
        // `undecided` names the victim of `case` again: a suggested link for a supervisor.
        "reviewLink" => (
            format!("/api/v1/cases/{}/links", f.undecided),
            Some(
                json!({ "category": "victim", "position": 0, "decision": "confirm", "reason": "The same victim." }),
            ),
            vec![],
            f.supervisor.clone(),
        ),
        "addPersonToCase" => (
            format!("/api/v1/cases/{}/people", f.case),
            Some(json!({ "category": "witness", "name": "Jo Neighbour" })),
            vec![],
            f.officer.clone(),
        ),
        "readPerson" => (
            format!("/api/v1/people/{}", f.person),
            None,
            reason.clone(),
            f.officer.clone(),
        ),
        "createOrder" => (
            format!("/api/v1/cases/{}/orders", f.case),
            Some(json!({
                "kind": "restraining-order", "suspect": 0, "victim_views": "Wants one.",
                "prohibitions": ["No contact"],
                "made": { "court": "Crown Court", "made_at": "2026-11-01T10:00:00Z", "ends_at": null }
            })),
            vec![],
            f.officer.clone(),
        ),
        "listOrders" => (
            format!("/api/v1/orders?case={}", f.case),
            None,
            reason.clone(),
            f.officer.clone(),
        ),
        "readOrder" => (
            format!("/api/v1/orders/{}", f.spo),
            None,
            reason.clone(),
            f.officer.clone(),
        ),
        "recordOrderEvent" => (
            format!("/api/v1/orders/{}/events", f.spo),
            Some(json!({
                "type": "interim-made", "court": "Cambridge Magistrates' Court",
                "made_at": "2026-11-02T10:00:00Z", "expires_at": "2026-12-02T10:00:00Z"
            })),
            vec![("if-match", "\"v1\"")],
            f.officer.clone(),
        ),
        "recordBreach" => (
            format!("/api/v1/orders/{}/breaches", f.bail),
            Some(json!({
                "from": "2026-11-03T21:30:00Z", "location": "Her street", "channel": "in-person",
                "behaviours": ["loitering"], "description": "Waited outside.", "fear_of_violence": false
            })),
            vec![("if-match", "\"v1\"")],
            f.officer.clone(),
        ),
        "decidePin" => (
            format!("/api/v1/pins/{}/decision", f.pin),
            Some(json!({ "decision": "decline", "rationale": "r" })),
            vec![],
            f.superintendent.clone(),
        ),
        "getProfile" => (
            "/api/v1/profile?from=2026-01&to=2026-12&compare=previous-year".into(),
            None,
            vec![],
            f.analyst.clone(),
        ),
        "getProfileChart" => (
            "/api/v1/profile/charts/monthly?from=2026-01&to=2026-12&format=csv".into(),
            None,
            vec![],
            f.analyst.clone(),
        ),
        "getActionPlan" => ("/api/v1/plan".into(), None, vec![], f.analyst.clone()),
        "getCaseCompliance" => (
            format!("/api/v1/cases/{}/compliance", f.case),
            None,
            reason.clone(),
            f.officer.clone(),
        ),
        "listCompliance" => (
            "/api/v1/compliance?check=decision-on-time&status=pending&limit=5".into(),
            None,
            reason.clone(),
            f.supervisor.clone(),
        ),
        "getComplianceSummary" => (
            "/api/v1/compliance/summary?from=2026-01&to=2030-12".into(),
            None,
            vec![],
            f.analyst.clone(),
        ),
        "updatePlanAction" => (
            "/api/v1/plan/actions/finance-1/updates".into(),
            Some(json!({ "status": "amber", "note": "Costing under way." })),
            vec![("if-match", "\"v1\"")],
            f.supervisor.clone(),
        ),
        "caseStats" => (
            "/api/v1/stats/cases".into(),
            None,
            vec![],
            f.analyst.clone(),
        ),
        "listInstruments" => (
            "/api/v1/instruments".into(),
            None,
            vec![],
            f.officer.clone(),
        ),
        "readInstrument" => (
            "/api/v1/instruments/dash/2009-police".into(),
            None,
            vec![],
            f.officer.clone(),
        ),
        "createAssessment" => (
            "/api/v1/risk-assessments".into(),
            Some(support::dash_body(&f.undecided, 10)),
            vec![],
            f.officer.clone(),
        ),
        "listCaseAssessments" => (
            format!("/api/v1/risk-assessments?case_id={}", f.case),
            None,
            reason,
            f.officer.clone(),
        ),
        "readAssessment" => (
            format!("/api/v1/risk-assessments/{}", f.assessment),
            None,
            reason,
            f.officer.clone(),
        ),
        "reviewAssessment" => (
            format!("/api/v1/risk-assessments/{}/reviews", f.assessment),
            Some(json!({ "outcome": "agreed", "rationale": "Agreed." })),
            vec![],
            f.supervisor.clone(),
        ),
        "caseRisk" => (
            format!("/api/v1/risk/cases/{}", f.case),
            None,
            reason,
            f.officer.clone(),
        ),
        "riskOverdue" => (
            "/api/v1/risk/overdue".into(),
            None,
            reason,
            f.supervisor.clone(),
        ),
        "listReferrals" => ("/api/v1/referrals".into(), None, reason, f.officer.clone()),
        "readReferral" => (
            format!("/api/v1/referrals/{}", f.sent_referral),
            None,
            reason,
            f.officer.clone(),
        ),
        "sendReferral" => (
            format!("/api/v1/referrals/{}/send", f.due_referral),
            Some(
                json!({ "basis": "public-interest", "victim_aware": true, "rationale": "High risk." }),
            ),
            vec![],
            f.officer.clone(),
        ),
        "partnerReferrals" => (
            "/api/v1/partner/referrals".into(),
            None,
            vec![],
            f.mash.clone(),
        ),
        "partnerReferral" => (
            format!("/api/v1/partner/referrals/{}", f.sent_referral),
            None,
            vec![],
            f.mash.clone(),
        ),
        "acknowledgeReferral" => (
            format!(
                "/api/v1/partner/referrals/{}/acknowledgement",
                f.sent_referral
            ),
            None,
            vec![],
            f.mash.clone(),
        ),
        "createSearch" => (
            "/api/v1/searches".into(),
            Some(f.search_body.clone()),
            vec![],
            f.officer.clone(),
        ),
        "listSearches" => ("/api/v1/searches".into(), None, reason, f.officer.clone()),
        "searchReport" => (
            "/api/v1/searches/report?from=2026-01-01&to=2026-12-31".into(),
            None,
            reason,
            f.auditor.clone(),
        ),
        "readSearch" => (
            format!("/api/v1/searches/{}", f.search),
            None,
            reason,
            f.officer.clone(),
        ),
        "readSearchVersion" => (
            format!("/api/v1/searches/{}/versions/1", f.search),
            None,
            reason,
            f.officer.clone(),
        ),
        "amendSearch" => (
            format!("/api/v1/searches/{}/amendments", f.search),
            Some(
                json!({ "reason": "Register entry made.", "changes": { "register": { "station": "N", "entry": "SR/1" } } }),
            ),
            vec![("if-match", "\"v1\"")],
            f.officer.clone(),
        ),
        "retentionDue" => (
            "/api/v1/retention/due?group=group3&limit=5".into(),
            None,
            reason,
            f.supervisor.clone(),
        ),
        "readCaseRetention" => (
            format!("/api/v1/retention/cases/{}", f.retained),
            None,
            reason,
            f.auditor.clone(),
        ),
        "decideRetention" => (
            format!("/api/v1/retention/cases/{}/reviews", f.retained),
            Some(json!({ "decision": "retain", "reason": "Further reports expected." })),
            vec![("if-match", "\"v1\"")],
            f.supervisor.clone(),
        ),
        "readPersonRetention" => (
            format!("/api/v1/retention/people/{}", f.person),
            None,
            reason,
            f.supervisor.clone(),
        ),
        "exportAccessLog" => (
            "/api/v1/audit/export?from=2026-01-01&to=2030-12-31".into(),
            None,
            reason,
            f.auditor.clone(),
        ),
        "recordConsideration" => (
            format!("/api/v1/cases/{}/considerations", f.case),
            Some(
                json!({ "power": "s2b-warrant", "reason": "Nothing at the suspect's address bears on the stalking." }),
            ),
            vec![],
            f.officer.clone(),
        ),
        "readVictimCare" => (
            format!("/api/v1/cases/{}/victim-care", f.case),
            None,
            reason,
            f.officer.clone(),
        ),
        "saveVictimPreferences" => (
            format!("/api/v1/cases/{}/victim-care", f.case),
            Some(
                json!({ "methods": ["letter"], "safe_address": "c/o 1 Example Street", "leave_messages": false, "entitlement": "enhanced" }),
            ),
            vec![("if-match", "\"v0\"")],
            f.officer.clone(),
        ),
        "listVictimContacts" => (
            format!("/api/v1/cases/{}/victim-contacts", f.case),
            None,
            reason,
            f.officer.clone(),
        ),
        "recordVictimContact" => (
            format!("/api/v1/cases/{}/victim-contacts", f.case),
            Some(
                json!({ "method": "phone", "summary": "Told her the case is with the investigator.", "personal_statement": "offered" }),
            ),
            vec![],
            f.officer.clone(),
        ),
        "recordKeyDecision" => (
            format!("/api/v1/cases/{}/key-decisions", f.case),
            Some(json!({ "decision": "interview", "decided_at": "2026-11-01T10:00:00Z" })),
            vec![],
            f.officer.clone(),
        ),
        "caseActions" => (
            format!("/api/v1/cases/{}/actions", f.case),
            None,
            reason,
            f.officer.clone(),
        ),
        "officerActions" => ("/api/v1/actions".into(), None, reason, f.officer.clone()),
        "overdueActions" => (
            "/api/v1/actions/overdue".into(),
            None,
            reason,
            f.supervisor.clone(),
        ),
        other => panic!("no recipe for operation {other}: add one to tests/api/openapi.rs"),
    }
}

/// Recipes hold `'static` header values; the few built at run time live for the test.
fn leak(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

/// Calls every documented operation once, as its recipe says, and gives `each` the operation and
/// the answer.
fn call_every_operation(app: &TestApp, doc: &Value, mut each: impl FnMut(&Value, Reply)) {
    let f = fixtures(app);
    for (_, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            let (path, body, headers, token) = recipe(id, &f);
            each(
                operation,
                app.call_with(&method.to_uppercase(), &path, &token, body, &headers),
            );
        }
    }
}

#[test]
fn every_documented_operation_answers_as_documented() {
    let doc = document();
    let app = TestApp::start();
    let mut checked = 0;
    call_every_operation(&app, &doc, |operation, reply| {
        let id = operation["operationId"].as_str().unwrap();
        let documented = &operation["responses"][reply.status.to_string()];
        assert!(
            documented.is_object(),
            "{id} answered {}, which is not documented: {}",
            reply.status,
            reply.body
        );
        if reply.status == 204 {
            checked += 1;
            return;
        }
        let content_type = reply
            .header("content-type")
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_string();
        let schema = &documented["content"][&content_type]["schema"];
        assert!(
            schema.is_object(),
            "{id} {}: content type {content_type} is not documented",
            reply.status
        );
        // A chart (SVG), a CSV or a printable page: documented as text.
        if !content_type.ends_with("json") {
            assert_eq!(schema["type"], "string", "{id}: {content_type}");
            assert!(!reply.body.is_empty(), "{id}: an empty {content_type}");
            checked += 1;
            return;
        }
        let mut errors = Vec::new();
        check(schema, &reply.json(), &doc, "", &mut errors);
        assert!(errors.is_empty(), "{id}: {errors:#?}");
        checked += 1;
    });
    assert!(checked >= 15, "{checked}");
}

/// Kept facts that disagree with the records they are kept from: `(what, case)` for each.
const STALE_FACTS: &str = "
    SELECT 'retention', r.case_id FROM retention r JOIN retention_rule v ON v.case_id = r.case_id
    WHERE r.disposed_at IS NULL
      AND (r.derived_group IS NOT v.derived_group OR r.clear_from IS NOT v.clear_from)
    UNION ALL
    SELECT 'no retention row', c.id FROM cases c
    WHERE NOT EXISTS (SELECT 1 FROM retention r WHERE r.case_id = c.id)
    UNION ALL
    SELECT 'compliance', c.id FROM cases c
    JOIN case_compliance k ON k.case_id = c.id
    JOIN retention r ON r.case_id = c.id AND r.disposed_at IS NULL
    WHERE k.status IS NOT c.status
       OR k.decided_at IS NOT c.decided_at
       OR k.principal_classification IS NOT c.principal_classification
       OR k.first_risk_at IS NOT (SELECT MIN(assessed_at) FROM risk_assessments
                                  WHERE case_id = c.id AND purpose = 'risk')
       OR k.first_screening_at IS NOT (SELECT MIN(assessed_at) FROM risk_assessments
                                       WHERE case_id = c.id AND purpose = 'stalking-screening')
       OR k.orders IS NOT (SELECT COUNT(*) FROM orders WHERE case_id = c.id
                           AND kind IN ('stalking-protection-order', 'restraining-order'))
       OR k.pins_pending IS NOT (SELECT COUNT(*) FROM pins WHERE case_id = c.id AND status = 'pending')
       OR k.pin_authorised_at IS NOT (SELECT MIN(decided_at) FROM pins
                                      WHERE case_id = c.id AND status = 'authorised')
       OR k.s2b_applied_on IS NOT (SELECT MIN(searched_on) FROM searches
                                   WHERE case_id = c.id AND power = 'pha-s2b-warrant')
       OR COALESCE(k.last_occurrence_at, '') IS NOT
          COALESCE((SELECT MAX(recorded_at) FROM occurrences WHERE case_id = c.id), '')
    UNION ALL
    SELECT 'no compliance row', c.id FROM cases c
    WHERE NOT EXISTS (SELECT 1 FROM case_compliance k WHERE k.case_id = c.id)";

/// Every documented operation (so every way the API writes), then the facts kept beside the records
/// — retention's groups and dates, compliance's, the profile's summary — worked out again from the
/// records: whichever path wrote, they agree.
#[test]
fn after_every_operation_the_kept_facts_agree_with_the_records() {
    let doc = document();
    let app = TestApp::start();
    call_every_operation(&app, &doc, |_, _| {});
    let db = app.database();
    let cases: i64 = db
        .query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert!(cases >= 2, "the operations made {cases} cases");
    // Settled as any reader of them settles them first (the force's view, retention).
    stalking_response::facts::settled(&db).unwrap();
    let mut statement = db.prepare(STALE_FACTS).unwrap();
    let stale: Vec<(String, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(stale.is_empty(), "facts out of step: {stale:?}");
    let this_month = stalking_response::profile::YearMonth::parse(&support::this_month()).unwrap();
    let period = stalking_response::profile::Period {
        from: this_month,
        to: this_month,
    };
    crate::profile::assert_agree(&db, period, "after every operation");
}

/// The most statements any request may hold a write transaction across (`BEGIN` to `COMMIT`, both
/// counted): on a libSQL database, the round trips for which every other writer waits.
const MOST_STATEMENTS_IN_A_TRANSACTION: u64 = 21;

/// Every operation, each as its request log line reports it: none holds a transaction across more
/// than a few statements. (A read's own work takes none; a read may chain the access-log queue, which
/// is one short transaction.)
#[test]
fn every_operation_holds_its_transactions_across_a_few_statements() {
    let doc = document();
    let app = TestApp::start();
    let mut ids = Vec::new();
    call_every_operation(&app, &doc, |operation, reply| {
        let id = reply.header("x-request-id").to_string();
        ids.push((operation["operationId"].as_str().unwrap().to_string(), id));
    });
    let lines = app.request_lines();
    let mut longest = (0, String::new());
    for (operation, id) in &ids {
        let line = lines
            .iter()
            .find(|l| l["request_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{operation}: no request line"));
        let held = line["longest_transaction"].as_u64().unwrap();
        // A session lives in key-value: its writes, and the provider's sign-out address, are never
        // fetched with the database's write lock held.
        if ["signIn", "signOut"].contains(&operation.as_str()) {
            assert_eq!(held, 0, "{operation} held a transaction: {line}");
        }
        assert!(
            held <= MOST_STATEMENTS_IN_A_TRANSACTION,
            "{operation} held a transaction across {held} statements: {line}"
        );
        if held > longest.0 {
            longest = (held, operation.clone());
        }
    }
    eprintln!(
        "the longest transaction: {} statements ({})",
        longest.0, longest.1
    );
    assert!(
        longest.0 >= 4,
        "the writes' transactions were not counted: {longest:?}"
    );
}

#[test]
fn every_protected_operation_documents_its_roles_and_errors() {
    let doc = document();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            // Health, and signing in with the identity provider, come before any credential.
            if path.starts_with("/api/v1/health") || path.starts_with("/api/v1/session/oidc") {
                continue;
            }
            assert!(
                operation["x-roles"].is_array(),
                "{method} {path} has no x-roles"
            );
            for status in ["401", "403"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{method} {path} does not document {status}"
                );
            }
        }
    }
}

#[test]
fn the_validator_catches_a_wrong_body() {
    let doc = document();
    let schema = serde_json::json!({ "$ref": "#/components/schemas/HealthReport" });
    let mut errors = Vec::new();
    check(
        &schema,
        &serde_json::json!({ "status": "fine", "stores": {} }),
        &doc,
        "",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("fine")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("missing required `app`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("missing required `key_value`")),
        "{errors:?}"
    );
}

#[test]
fn every_api_route_in_the_manifest_is_documented() {
    let doc = document();
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("spin.toml")).unwrap()).unwrap();
    for trigger in manifest["trigger"]["http"].as_array().unwrap() {
        let route = trigger["route"].as_str().unwrap_or_default();
        if let Some(api) = route.strip_prefix("/api/v1") {
            // `/...` covers the documented paths under it.
            let base = format!("/api/v1{}", api.trim_end_matches("/..."));
            // A `:name` segment is a documented `{parameter}`.
            let covers = |path: &str| {
                let (mut ours, mut theirs) = (base.split('/'), path.split('/'));
                ours.all(|segment| {
                    theirs.next().is_some_and(|documented| {
                        documented == segment
                            || (segment.starts_with(':') && documented.starts_with('{'))
                    })
                })
            };
            let documented = doc["paths"].as_object().unwrap().keys().any(|p| covers(p));
            assert!(documented, "route {route} is not in openapi.json");
        }
    }
}

/// The assessment body's schema spells out each instrument (instruments/*.json): every question, answered
/// whole or part by part, and professional judgement only on a risk instrument. A new or changed
/// instrument file needs its variant of `NewAssessment` in openapi.json.
#[test]
fn the_assessment_schema_follows_the_instruments() {
    let doc = document();
    let variants = doc["components"]["schemas"]["NewAssessment"]["oneOf"]
        .as_array()
        .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(repo().join("instruments"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(variants.len(), files.len(), "one variant per instrument");
    let strings = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for file in files {
        let instrument: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let (id, version) = (&instrument["id"], &instrument["version"]);
        let variant = variants
            .iter()
            .find(|v| {
                let named = &v["properties"]["instrument"]["properties"];
                named["id"]["const"] == *id && named["version"]["const"] == *version
            })
            .unwrap_or_else(|| panic!("no NewAssessment variant for {id} {version}"));
        for list in ["id", "version"] {
            assert!(
                doc["components"]["schemas"]["InstrumentRef"]["properties"][list]["enum"]
                    .as_array()
                    .unwrap()
                    .contains(&instrument[list]),
                "InstrumentRef.{list} lacks {}",
                instrument[list]
            );
        }
        let answers = &variant["properties"]["answers"];
        assert_eq!(answers["additionalProperties"], false);
        let questions = instrument["questions"].as_array().unwrap();
        let ids: Vec<String> = questions
            .iter()
            .map(|q| q["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(strings(&answers["required"]), ids, "{id} {version}");
        for question in questions {
            let given = &answers["properties"][question["id"].as_str().unwrap()];
            match question["parts"].as_array() {
                Some(parts) => {
                    let part_ids: Vec<String> = parts
                        .iter()
                        .map(|p| p["id"].as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(strings(&given["required"]), ["parts"]);
                    assert_eq!(
                        strings(&given["properties"]["parts"]["required"]),
                        part_ids,
                        "{id} {}",
                        question["id"]
                    );
                }
                None => assert_eq!(strings(&given["required"]), ["answer"]),
            }
        }
        let judgement = &variant["properties"]["judgement"];
        if instrument["purpose"] == "risk" {
            assert_ne!(judgement["type"], "null", "{id}: judgement allowed");
        } else {
            assert_eq!(
                judgement["type"], "null",
                "{id}: a screening has no judgement"
            );
        }
    }
}

/// The request bodies' schemas, generated from the Rust types (`schemars`, from the constants the
/// validation uses): every schema they name, by component name, each with the example of the operation
/// that takes it.
fn generated_schemas(doc: &Value) -> serde_json::Map<String, Value> {
    use stalking_response::access::tokens::NewToken;
    use stalking_response::cases::decision::CrimeDecision;
    use stalking_response::cases::intake::{NewCase, NewOccurrence};
    use stalking_response::orders::{NewOrder, OrderEvent};
    use stalking_response::people::{LinkDecision, NewPerson};
    use stalking_response::pins::{PinDecision, PinRequest};
    use stalking_response::risk::referrals::Sharing;
    use stalking_response::risk::scoring::{NewAssessment, NewReview};
    use stalking_response::searches::SearchRecord;
    use stalking_response::services::searches::Amendment;

    let mut generator = stalking_response::schema::generator();
    generator.subschema_for::<NewToken>();
    generator.subschema_for::<NewCase>();
    generator.subschema_for::<NewOccurrence>();
    generator.subschema_for::<CrimeDecision>();
    generator.subschema_for::<PinRequest>();
    generator.subschema_for::<PinDecision>();
    generator.subschema_for::<LinkDecision>();
    generator.subschema_for::<NewPerson>();
    generator.subschema_for::<NewOrder>();
    generator.subschema_for::<OrderEvent>();
    generator.subschema_for::<NewAssessment>();
    generator.subschema_for::<NewReview>();
    generator.subschema_for::<Sharing>();
    generator.subschema_for::<SearchRecord>();
    generator.subschema_for::<Amendment>();
    generator.subschema_for::<stalking_response::plan::NewActionUpdate>();
    generator.subschema_for::<stalking_response::care::Preferences>();
    generator.subschema_for::<stalking_response::care::NewContact>();
    generator.subschema_for::<stalking_response::care::NewKeyDecision>();
    generator.subschema_for::<stalking_response::compliance::considerations::NewConsideration>();
    generator.subschema_for::<stalking_response::retention::NewRetentionReview>();
    let mut schemas = generator.take_definitions(true);
    for operations in doc["paths"].as_object().unwrap().values() {
        for operation in operations.as_object().unwrap().values() {
            let body = &operation["requestBody"]["content"]["application/json"];
            let Some(name) = body["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            else {
                continue;
            };
            let schema = schemas
                .get_mut(name)
                .unwrap_or_else(|| panic!("request body {name} is not generated"));
            if body["example"].is_object() {
                schema["example"] = body["example"].clone();
            }
        }
    }
    schemas
}

/// Replaces (or adds) these components in the document's text, leaving every other line as it is: the
/// document is written two spaces an indent, a component's lines at six.
fn rewrite_components(text: &str, schemas: &serde_json::Map<String, Value>) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let start = lines
        .iter()
        .position(|l| l == "    \"schemas\": {")
        .expect("components.schemas in openapi.json");
    let pretty = |name: &str, schema: &Value| -> Vec<String> {
        let body = serde_json::to_string_pretty(schema).unwrap();
        let mut out: Vec<String> = body.lines().map(|l| format!("      {l}")).collect();
        out[0] = format!(
            "      {}: {}",
            serde_json::to_string(name).unwrap(),
            body.lines().next().unwrap()
        );
        out
    };
    let mut added = Vec::new();
    for (name, schema) in schemas {
        let opening = format!("      {}: {{", serde_json::to_string(name).unwrap());
        let end = start
            + lines[start..]
                .iter()
                .position(|l| l == "    }" || l == "    },")
                .unwrap();
        match lines[start..end].iter().position(|l| *l == opening) {
            Some(at) => {
                let at = start + at;
                let close = at
                    + lines[at..]
                        .iter()
                        .position(|l| l == "      }" || l == "      },")
                        .unwrap();
                let comma = lines[close].ends_with(',');
                let mut new = pretty(name, schema);
                if comma {
                    new.last_mut().unwrap().push(',');
                }
                lines.splice(at..=close, new);
            }
            None => added.push(pretty(name, schema)),
        }
    }
    for new in added {
        let end = start
            + lines[start..]
                .iter()
                .position(|l| l == "    }" || l == "    },")
                .unwrap();
        lines[end - 1].push(',');
        lines.splice(end..end, new);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `openapi.json`'s request-body schemas are the ones the Rust types generate, so they say exactly what
/// the app enforces. After changing a request type, regenerate them with
/// `UPDATE_OPENAPI=1 cargo test --profile host --test api -- openapi::request_body_schemas`.
#[test]
fn request_body_schemas_are_generated_from_the_types() {
    let path = repo().join("openapi.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let schemas = generated_schemas(&doc);
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        let rewritten = rewrite_components(&text, &schemas);
        let check: Value = serde_json::from_str(&rewritten).expect("the rewritten document parses");
        for (name, schema) in &schemas {
            assert_eq!(&check["components"]["schemas"][name], schema);
        }
        std::fs::write(&path, rewritten).unwrap();
        return;
    }
    let mut stale = Vec::new();
    for (name, schema) in &schemas {
        if doc["components"]["schemas"].get(name) != Some(schema) {
            stale.push(name.as_str());
        }
    }
    assert!(
        stale.is_empty(),
        "openapi.json's schemas {stale:?} differ from the ones the Rust types generate: run \
         `UPDATE_OPENAPI=1 cargo test --profile host --test api -- openapi::request_body_schemas`"
    );
}

/// Every `$ref` in the document names a schema it has.
#[test]
fn every_reference_resolves() {
    fn walk(value: &Value, doc: &Value, missing: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(reference) = object.get("$ref").and_then(Value::as_str)
                    && doc.pointer(reference.trim_start_matches('#')).is_none()
                {
                    missing.push(reference.to_string());
                }
                object.values().for_each(|v| walk(v, doc, missing));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc, missing)),
            _ => {}
        }
    }
    let doc = document();
    let mut missing = Vec::new();
    walk(&doc, &doc, &mut missing);
    assert!(missing.is_empty(), "{missing:?}");
}

/// Each request body's example is one its Rust type takes: the generated schemas carry them, so an
/// example cannot go stale without this failing.
#[test]
fn every_request_example_decodes_into_its_type() {
    use stalking_response::access::tokens::NewToken;
    use stalking_response::cases::decision::CrimeDecision;
    use stalking_response::cases::intake::{NewCase, NewOccurrence};
    use stalking_response::orders::{NewOrder, OrderEvent};
    use stalking_response::people::{LinkDecision, NewPerson};
    use stalking_response::pins::{PinDecision, PinRequest};
    use stalking_response::risk::referrals::Sharing;
    use stalking_response::risk::scoring::{NewAssessment, NewReview};
    use stalking_response::searches::SearchRecord;
    use stalking_response::services::searches::Amendment;

    fn decodes<T: serde::de::DeserializeOwned>(example: &Value) -> Result<(), String> {
        serde_json::from_value::<T>(example.clone())
            .map(drop)
            .map_err(|e| e.to_string())
    }
    let doc = document();
    let mut checked = 0;
    for operations in doc["paths"].as_object().unwrap().values() {
        for operation in operations.as_object().unwrap().values() {
            let body = &operation["requestBody"]["content"]["application/json"];
            let Some(name) = body["schema"]["$ref"].as_str() else {
                continue;
            };
            let example = &body["example"];
            let decoded = match name.trim_start_matches("#/components/schemas/") {
                "NewToken" => decodes::<NewToken>(example),
                "NewCase" => decodes::<NewCase>(example),
                "NewOccurrence" => decodes::<NewOccurrence>(example),
                "CrimeDecision" => decodes::<CrimeDecision>(example),
                "PinRequest" => decodes::<PinRequest>(example),
                "PinDecision" => decodes::<PinDecision>(example),
                "NewActionUpdate" => decodes::<stalking_response::plan::NewActionUpdate>(example),
                "NewRetentionReview" => {
                    decodes::<stalking_response::retention::NewRetentionReview>(example)
                }
                "LinkDecision" => decodes::<LinkDecision>(example),
                "NewPerson" => decodes::<NewPerson>(example),
                "NewOrder" => decodes::<NewOrder>(example),
                "OrderEvent" => decodes::<OrderEvent>(example),
                "NewAssessment" => decodes::<NewAssessment>(example),
                "NewReview" => decodes::<NewReview>(example),
                "Sharing" => decodes::<Sharing>(example),
                "SearchRecord" => decodes::<SearchRecord>(example),
                "SearchAmendment" => decodes::<Amendment>(example),
                "Preferences" => decodes::<stalking_response::care::Preferences>(example),
                "NewContact" => decodes::<stalking_response::care::NewContact>(example),
                "NewKeyDecision" => decodes::<stalking_response::care::NewKeyDecision>(example),
                "NewConsideration" => decodes::<
                    stalking_response::compliance::considerations::NewConsideration,
                >(example),
                other => panic!("no type for request body {other}"),
            };
            assert!(decoded.is_ok(), "{name}'s example: {decoded:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 22);
}
