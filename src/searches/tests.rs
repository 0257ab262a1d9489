use super::*;
use time::macros::datetime;
use time::{Date, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);
const STALKING: CaseFacts = CaseFacts {
    stalking_suspected: true,
};

/// A complete, compliant s.2B search: applied, authorised, granted, executed, endorsed, returned,
/// registered.
fn s2b() -> SearchRecord {
    serde_json::from_value(serde_json::json!({
        "case_id": "c1",
        "power": "pha-s2b-warrant",
        "premises": { "address": "1 Example Street, Northtown" },
        "application": {
            "applicant": { "id": "1234", "rank": "constable" },
            "authorised_by": { "id": "77", "rank": "inspector" },
            "authorised_at": "2026-11-02T09:00:00Z",
            "grounds": "Suspected s.2A stalking; devices used to track the victim.",
            "articles_sought": ["Mobile phones", "Photographs of the victim"],
            "entries": "single",
            "court": "Northtown Magistrates' Court",
            "applied_at": "2026-11-02T10:00:00Z"
        },
        "decision": { "outcome": "granted", "decided_at": "2026-11-02T11:00:00Z" },
        "warrant": { "reference": "NT/W/123", "issued_on": "2026-11-02" },
        "execution": {
            "started_at": "2026-11-05T07:00:00Z",
            "ended_at": "2026-11-05T08:30:00Z",
            "officer_in_charge": { "id": "1234", "rank": "constable" },
            "officers": [{ "id": "5678", "rank": "constable" }],
            "people_on_premises": ["The suspect"],
            "occupier_present": true,
            "seized": [{ "description": "Phone", "exhibit_reference": "AB/1", "within_authority": true }],
            "sought_found": true,
            "force_used": false,
            "notice": { "given": true }
        },
        "endorsement": { "endorsed_at": "2026-11-05T09:00:00Z", "by": "1234" },
        "returned_to_court": { "returned_at": "2026-11-06T10:00:00Z", "by": "1234" },
        "register": { "station": "Northtown", "entry": "SR/2026/17" }
    }))
    .unwrap()
}

/// Takes the execution and everything after it off a record.
fn not_yet_executed(record: &mut SearchRecord) {
    record.execution = None;
    record.endorsement = None;
    record.returned_to_court = None;
    record.register = None;
}

fn outcome(c: &Compliance, rule: &str) -> RuleOutcome {
    c.rules.iter().find(|r| r.rule == rule).unwrap().outcome
}

fn check(record: &SearchRecord) -> Compliance {
    compliance(record, STALKING, 7, NOW)
}

#[test]
fn a_complete_s2b_search_is_compliant_and_closed() {
    let record = s2b();
    assert!(
        validate(&record, NOW).is_empty(),
        "{:?}",
        validate(&record, NOW)
    );
    let c = check(&record);
    assert_eq!(
        (c.stage, c.status),
        (Stage::Closed, Status::Compliant),
        "{c:#?}"
    );
    assert_eq!(c.warrant_expires_on.as_deref(), Some("2027-02-02"));
    assert_eq!(c.return_due_on.as_deref(), Some("2026-11-12"));
    assert_eq!(c.breaches().count(), 0);
}

#[test]
fn each_rule_fires_on_its_own_breach() {
    type Change = fn(&mut SearchRecord);
    let table: [(&str, Change); 11] = [
        ("mandatory-fields", |r| {
            r.execution.as_mut().unwrap().ended_at = None
        }),
        ("mandatory-fields", |r| {
            r.execution.as_mut().unwrap().seized[0].exhibit_reference = None
        }),
        ("authorised-by-inspector", |r| {
            r.application
                .as_mut()
                .unwrap()
                .authorised_by
                .as_mut()
                .unwrap()
                .rank = Rank::Sergeant
        }),
        ("executed-within-validity", |r| {
            r.execution.as_mut().unwrap().started_at = "2026-11-01T07:00:00Z".into()
        }),
        ("executed-within-validity", |r| {
            r.warrant.as_mut().unwrap().issued_on = "2026-07-01".into()
        }),
        ("returned-in-time", |r| {
            r.returned_to_court.as_mut().unwrap().returned_at = "2026-11-20T10:00:00Z".into()
        }),
        ("returned-in-time", |r| r.returned_to_court = None),
        ("seizure-grounds", |r| {
            r.execution.as_mut().unwrap().seized[0].within_authority = false
        }),
        ("force-reason", |r| {
            r.execution.as_mut().unwrap().force_used = true
        }),
        ("notice-of-rights", |r| {
            r.execution.as_mut().unwrap().notice = Some(Notice {
                given: false,
                not_given_reason: None,
                left_at: None,
            })
        }),
        ("search-register", |r| r.register = None),
    ];
    for (rule, change) in table {
        let mut record = s2b();
        change(&mut record);
        let c = check(&record);
        assert_eq!(outcome(&c, rule), RuleOutcome::Breached, "{rule}: {c:#?}");
        assert_eq!(c.status, Status::NonCompliant);
        let others: Vec<&str> = c
            .breaches()
            .map(|b| b.rule)
            .filter(|r| *r != rule)
            .collect();
        assert!(
            others.is_empty() || rule == "returned-in-time" || rule == "executed-within-validity",
            "{rule} also broke {others:?}"
        );
    }
}

#[test]
fn rules_are_met_where_the_record_explains_itself() {
    let mut record = s2b();
    let x = record.execution.as_mut().unwrap();
    x.seized[0].within_authority = false;
    x.seized[0].grounds = Some("Evidence of another offence (PACE s.19).".into());
    x.force_used = true;
    x.force_reason = Some("No answer at the door; the suspect was seen inside.".into());
    x.occupier_present = false;
    x.people_on_premises.clear();
    x.notice = Some(Notice {
        given: false,
        not_given_reason: None,
        left_at: Some("Kitchen table".into()),
    });
    let c = check(&record);
    for rule in [
        "seizure-grounds",
        "force-reason",
        "notice-of-rights",
        "mandatory-fields",
    ] {
        assert_eq!(outcome(&c, rule), RuleOutcome::Met, "{rule}: {c:#?}");
    }
    assert_eq!(c.status, Status::Compliant);
}

#[test]
fn s2b_needs_a_stalking_case_and_other_powers_do_not() {
    let c = compliance(
        &s2b(),
        CaseFacts {
            stalking_suspected: false,
        },
        7,
        NOW,
    );
    assert_eq!(outcome(&c, "s2b-needs-stalking"), RuleOutcome::Breached);
    let mut s8 = s2b();
    s8.power = Power::PaceS8Warrant;
    let c = compliance(
        &s8,
        CaseFacts {
            stalking_suspected: false,
        },
        7,
        NOW,
    );
    assert_eq!(
        outcome(&c, "s2b-needs-stalking"),
        RuleOutcome::NotApplicable
    );
    assert_eq!(c.status, Status::Compliant);
}

#[test]
fn a_warrant_in_progress_is_pending_until_its_time_runs_out() {
    let mut record = s2b();
    not_yet_executed(&mut record);
    let c = check(&record);
    assert_eq!(
        (c.stage, c.status),
        (Stage::Granted, Status::InProgress),
        "{c:#?}"
    );
    assert_eq!(
        outcome(&c, "executed-within-validity"),
        RuleOutcome::Pending
    );
    assert_eq!(outcome(&c, "returned-in-time"), RuleOutcome::Pending);
    // Three months on, it has expired unexecuted and must go back to court within 7 days.
    let later = datetime!(2027-02-10 12:00 UTC);
    let c = compliance(&record, STALKING, 7, later);
    assert_eq!(c.stage, Stage::Expired);
    assert_eq!(
        outcome(&c, "returned-in-time"),
        RuleOutcome::Breached,
        "{c:#?}"
    );
    let c = compliance(&record, STALKING, 30, later);
    assert_eq!(
        outcome(&c, "returned-in-time"),
        RuleOutcome::Pending,
        "the force's limit"
    );
}

#[test]
fn a_refused_application_is_closed_without_breach_unless_executed() {
    let mut record = s2b();
    record.decision = Some(CourtDecision {
        outcome: Outcome::Refused,
        decided_at: "2026-11-02T11:00:00Z".into(),
        reasons: Some("Insufficient grounds.".into()),
    });
    record.warrant = None;
    let executed = check(&record);
    assert_eq!(
        outcome(&executed, "executed-within-validity"),
        RuleOutcome::Breached
    );
    not_yet_executed(&mut record);
    let c = check(&record);
    assert_eq!(
        (c.stage, c.status),
        (Stage::Refused, Status::Compliant),
        "{c:#?}"
    );
}

#[test]
fn expiry_is_three_calendar_months_clamped_to_the_month_end() {
    let d = |s: &str| parse_date(s).unwrap();
    assert_eq!(expiry(d("2026-11-02")), d("2027-02-02"));
    assert_eq!(expiry(d("2026-11-30")), d("2027-02-28"));
    assert_eq!(expiry(d("2027-11-30")), d("2028-02-29"));
    assert_eq!(expiry(d("2026-01-31")), d("2026-04-30"));
}

#[test]
fn searches_without_a_warrant_follow_their_power() {
    let consent: SearchRecord = serde_json::from_value(serde_json::json!({
        "case_id": "c1", "power": "consent",
        "premises": { "address": "2 Example Street" },
        "consent": { "given_by": "The occupier", "given_at": "2026-11-05T06:50:00Z", "in_writing": false },
        "execution": {
            "started_at": "2026-11-05T07:00:00Z", "ended_at": "2026-11-05T07:30:00Z",
            "officer_in_charge": { "id": "1234", "rank": "constable" },
            "occupier_present": false, "force_used": false, "notice": { "given": true }
        },
        "register": { "station": "Northtown", "entry": "SR/2026/18" }
    }))
    .unwrap();
    assert!(validate(&consent, NOW).is_empty());
    let c = check(&consent);
    assert_eq!(outcome(&c, "mandatory-fields"), RuleOutcome::Breached);
    assert!(c.rules[0].detail.contains("consent in writing"));
    let mut written = consent.clone();
    written.consent.as_mut().unwrap().in_writing = true;
    assert_eq!(
        check(&written).status,
        Status::Compliant,
        "{:#?}",
        check(&written)
    );
}

#[test]
fn validation_catches_structure_not_compliance() {
    let mut r = s2b();
    r.power = Power::PaceS17;
    r.execution.as_mut().unwrap().ended_at = Some("2026-11-05T06:00:00Z".into());
    r.application.as_mut().unwrap().applied_at = "yesterday".into();
    r.consent = Some(Consent {
        given_by: "x".into(),
        given_at: "2026-11-05T06:00:00Z".into(),
        in_writing: true,
    });
    r.execution.as_mut().unwrap().started_at = "2027-01-01T00:00:00Z".into();
    let pointers: Vec<String> = validate(&r, NOW).into_iter().map(|(p, _)| p).collect();
    for expected in [
        "/application",
        "/decision",
        "/warrant",
        "/endorsement",
        "/returned_to_court",
        "/consent",
        "/application/applied_at",
        "/execution/started_at",
    ] {
        assert!(
            pointers.iter().any(|p| p == expected),
            "{expected} in {pointers:?}"
        );
    }
}

#[test]
fn merge_patch_follows_rfc_7396() {
    let mut doc = serde_json::json!({ "a": "b", "c": { "d": "e", "f": "g" } });
    merge_patch(
        &mut doc,
        &serde_json::json!({ "a": "z", "c": { "f": null } }),
    );
    assert_eq!(doc, serde_json::json!({ "a": "z", "c": { "d": "e" } }));
    merge_patch(&mut doc, &serde_json::json!({ "c": ["x"] }));
    assert_eq!(doc["c"], serde_json::json!(["x"]));
}

#[test]
fn compliance_until_says_from_when_it_may_read_differently() {
    let complete = s2b();
    let mut granted = s2b();
    not_yet_executed(&mut granted);
    let mut unreturned = s2b();
    unreturned.endorsement = None;
    unreturned.returned_to_court = None;
    let mut returned_unexecuted = granted.clone();
    returned_unexecuted.returned_to_court = complete.returned_to_court.clone();
    let mut applied = granted.clone();
    applied.decision = None;
    applied.warrant = None;
    let mut s17 = s2b();
    s17.power = Power::PaceS17;
    let records = [
        complete,
        granted,
        unreturned,
        returned_unexecuted,
        applied,
        s17,
    ];
    let first = datetime!(2026-10-01 12:00 UTC);
    let days: Vec<OffsetDateTime> = (0..300).map(|d| first + time::Duration::days(d)).collect();
    let mut turns = 0;
    for (n, record) in records.iter().enumerate() {
        for facts in [
            STALKING,
            CaseFacts {
                stalking_suspected: false,
            },
        ] {
            let all: Vec<(Compliance, Option<Date>)> = days
                .iter()
                .map(|&now| compliance_until(record, facts, 7, now))
                .collect();
            let mut turned = 0;
            for (d, (found, until)) in all.iter().enumerate() {
                assert_eq!(*found, compliance(record, facts, 7, days[d]));
                assert!(
                    until.is_none_or(|u| u > days[d].date()),
                    "record {n} day {d}"
                );
                for (e, (later, _)) in all.iter().enumerate().skip(d + 1) {
                    if until.is_some_and(|u| days[e].date() >= u) {
                        break;
                    }
                    assert_eq!(
                        later, found,
                        "record {n}: day {e} differs from day {d}, before {until:?}"
                    );
                }
                turned += usize::from(d > 0 && all[d - 1].0 != *found);
            }
            assert!(turned <= 3, "record {n} turned {turned} times");
            turns += turned;
        }
    }
    assert!(turns >= 4, "the records do turn as days pass: {turns}");
}

/// The compliance report shows breaches' details to analysts, so no rule's detail may quote what the
/// record says in words: whatever a search's free text, the rules and the report carry none of it.
#[test]
fn rule_details_and_the_report_never_quote_the_records_words() {
    let mut base = serde_json::to_value(s2b()).unwrap();
    let free_text = [
        "/premises/address",
        "/application/grounds",
        "/application/articles_sought/0",
        "/application/court",
        "/warrant/reference",
        "/execution/people_on_premises/0",
        "/register/station",
        "/register/entry",
    ];
    for pointer in free_text {
        *base.pointer_mut(pointer).unwrap() = format!("PLANTED {pointer}").into();
    }
    base["application"]["applicant"]["name"] = "PLANTED applicant name".into();
    base["decision"]["reasons"] = "PLANTED reasons".into();
    base["execution"]["authorised_persons"] = serde_json::json!(["PLANTED person"]);
    base["execution"]["occupier_request_refused"] = "PLANTED refused".into();
    base["execution"]["damage"] = serde_json::json!({
        "description": "PLANTED damage", "circumstances": "PLANTED circumstances"
    });
    base["execution"]["seized"] = serde_json::json!([
        { "description": "PLANTED seized 1", "exhibit_reference": "PLANTED ref", "within_authority": false },
        { "description": "PLANTED seized 2", "within_authority": false, "grounds": "PLANTED grounds" }
    ]);
    base["execution"]["force_used"] = true.into();
    let variants: [(&str, serde_json::Value); 5] = [
        ("/execution/force_reason", serde_json::Value::Null),
        ("/execution/force_reason", "PLANTED force".into()),
        (
            "/execution/notice",
            serde_json::json!({ "given": false, "not_given_reason": "PLANTED why" }),
        ),
        (
            "/execution/notice",
            serde_json::json!({ "given": false, "left_at": "PLANTED where" }),
        ),
        ("/execution/notice", serde_json::Value::Null),
    ];
    let mut searches = Vec::new();
    for (pointer, value) in variants {
        let mut record = base.clone();
        let (parent, field) = pointer.rsplit_once('/').unwrap();
        record.pointer_mut(parent).unwrap()[field] = value;
        let record: SearchRecord = serde_json::from_value(record).unwrap();
        for facts in [true, false] {
            let c = compliance(
                &record,
                CaseFacts {
                    stalking_suspected: facts,
                },
                7,
                NOW,
            );
            let shown = serde_json::to_string(&c).unwrap();
            assert!(!shown.contains("PLANTED"), "{shown}");
            searches.push((
                store::Search {
                    id: "s1".parse().unwrap(),
                    version: 1,
                    searched_on: "2026-11-05".into(),
                    created_at: "2026-11-05T09:00:00Z".parse().unwrap(),
                    created_by: "1234".into(),
                    record: record.clone(),
                    versions: Vec::new(),
                },
                c,
            ));
        }
    }
    let report = report::for_period("2026-11-01", "2026-11-30", &searches);
    assert!(
        report
            .breaches
            .iter()
            .any(|b| b.rule == "seizure-grounds" && b.detail.contains("item 1")),
        "{report:#?}"
    );
    for shown in [
        serde_json::to_string(&report).unwrap(),
        report::summary_csv(&report),
        report::breaches_csv(&report),
    ] {
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
}
