//! The use cases natively: `stalking_response::services` over rusqlite, with a fixed time, counted ids
//! and a journal that keeps its entries — no host, no HTTP.

use crate::cid;
use serde_json::json;
use stalking_response::access::audit::{Actor, Operation};
use stalking_response::access::auth::{AccessReason, Principal, Role};
use stalking_response::access::authentication::MemoryKeyValue;
use stalking_response::migrations;
use stalking_response::pins::{self, PinStatus};
use stalking_response::risk::referrals::ReferralStatus;
use stalking_response::services::{Entries, Env, cases as service};
use stalking_response::settings::Settings;
use std::cell::Cell;
use time::macros::datetime;

struct World {
    db: rusqlite::Connection,
    kv: MemoryKeyValue,
    settings: Settings,
    /// Ids `id1`, `id2`, … in order.
    new_id: Box<dyn Fn() -> String>,
}

impl World {
    fn new() -> World {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        migrations::migrate(&db).unwrap();
        World {
            db,
            kv: MemoryKeyValue::default(),
            settings: Settings::from_variables(|name| (name == "force_code").then(|| "CB".into()))
                .unwrap(),
            new_id: {
                let count = Cell::new(0);
                Box::new(move || {
                    count.set(count.get() + 1);
                    format!("id{}", count.get())
                })
            },
        }
    }

    fn env(&self) -> Env<'_, rusqlite::Connection> {
        Env {
            db: &self.db,
            kv: &self.kv,
            settings: &self.settings,
            now: datetime!(2026-11-29 12:00 UTC),
            new_id: &self.new_id,
        }
    }
}

/// A caller in `role`: the officer is 1234; each other role is someone else (nobody authorises their
/// own work).
fn who(role: Role) -> Principal {
    Principal {
        subject: match role {
            Role::Officer => "1234".into(),
            other => format!("{}-1", other.as_str()),
        },
        role,
        force: "CB".into(),
        token_id: "t".into(),
    }
}

fn journal() -> Entries {
    Entries {
        at: "2026-11-29T12:00:00.000000Z".into(),
        actor: Actor {
            subject: "1234".into(),
            role: "officer".into(),
            credential: Some("t".into()),
        },
        reason: AccessReason::collection(),
        entries: Vec::new(),
    }
}

/// What the journal holds, as (operation, record type, record id).
fn logged(journal: &Entries) -> Vec<(Operation, String, String)> {
    journal
        .entries
        .iter()
        .map(|e| (e.operation, e.record_type.clone(), e.record_id.clone()))
        .collect()
}

#[test]
fn a_case_is_recorded_added_to_and_decided_with_references_in_the_force_format() {
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut log = journal();
    let new = serde_json::from_value(crate::support::case_body(true)).unwrap();
    let case = service::create(&env, &officer, &new, &mut log).unwrap();
    assert_eq!(case.id, "id1");
    assert_eq!(case.incident_reference, "CB/INC/2026/000001");
    assert_eq!(
        logged(&log),
        [(Operation::Collection, "case".into(), "id1".into())]
    );

    let occurrence = serde_json::from_value(crate::support::occurrence_body(true)).unwrap();
    let stale = service::add_occurrence(&env, &officer, &cid("id1"), 7, &occurrence, &mut log);
    assert_eq!(
        stale.unwrap_err().status,
        412,
        "a change against an old version"
    );
    let case =
        service::add_occurrence(&env, &officer, &cid("id1"), 1, &occurrence, &mut log).unwrap();
    assert_eq!(case.version, 2);

    let harassment =
        serde_json::from_value(json!({ "outcome": "recorded", "principal": "harassment-s2" }))
            .unwrap();
    let refused =
        service::decide(&env, &officer, &cid("id1"), 2, &harassment, &mut log).unwrap_err();
    assert_eq!(
        refused.status, 422,
        "stalking is indicated: ruling it out needs a reason"
    );
    let stalking =
        serde_json::from_value(json!({ "outcome": "recorded", "principal": "stalking-s2a" }))
            .unwrap();
    let decided = service::decide(&env, &officer, &cid("id1"), 2, &stalking, &mut log).unwrap();
    assert_eq!(decided.crime_reference.as_deref(), Some("CB/2026/000001"));
    let again = service::decide(&env, &officer, &cid("id1"), 3, &stalking, &mut log).unwrap_err();
    assert_eq!(again.status, 409);
    assert_eq!(
        logged(&log)[1..],
        [
            (Operation::Alteration, "case".into(), "id1".into()),
            (Operation::Alteration, "case".into(), "id1".into()),
        ]
    );
    let missing = service::consult(&env, &cid("nothing"), &mut log).unwrap_err();
    assert_eq!(missing.status, 404);
}

#[test]
fn a_pin_on_a_stalking_case_is_refused_and_registered_and_others_wait_for_a_superintendent() {
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut log = journal();
    let request: pins::PinRequest =
        serde_json::from_value(json!({ "grounds": "Texts", "recipient_account": "Denies it" }))
            .unwrap();

    let stalking = serde_json::from_value(crate::support::case_body(true)).unwrap();
    let case = service::create(&env, &officer, &stalking, &mut log).unwrap();
    let refused = service::request_pin(&env, &officer, &case.id, &request, &mut log).unwrap();
    assert_eq!(refused.status, PinStatus::Refused);
    assert!(refused.refusal_reason.is_some());

    let other = serde_json::from_value(crate::support::case_body(false)).unwrap();
    let case = service::create(&env, &officer, &other, &mut log).unwrap();
    let pending = service::request_pin(&env, &officer, &case.id, &request, &mut log).unwrap();
    assert_eq!(pending.status, PinStatus::Pending);
    let entry = log.entries.last().unwrap();
    assert_eq!(
        (entry.record_type.as_str(), entry.case_id.as_deref()),
        ("pin", Some(case.id.as_str())),
        "a PIN is logged as a record of its case"
    );

    let decision: pins::PinDecision =
        serde_json::from_value(json!({ "decision": "authorise", "rationale": "Proportionate." }))
            .unwrap();
    let superintendent = who(Role::Superintendent);
    let decided =
        service::decide_pin(&env, &superintendent, &pending.id, &decision, &mut log).unwrap();
    assert_eq!(decided.status, PinStatus::Authorised);
    let twice = service::decide_pin(&env, &superintendent, &pending.id, &decision, &mut log);
    assert_eq!(twice.unwrap_err().status, 409);
    let nowhere = service::request_pin(&env, &officer, &cid("nothing"), &request, &mut log);
    assert_eq!(nowhere.unwrap_err().status, 404);
}

/// A s.2B search applied for on 23 November, executed on the 26th, not yet endorsed or returned.
fn s2b(case_id: &str) -> serde_json::Value {
    json!({
        "case_id": case_id,
        "power": "pha-s2b-warrant",
        "premises": { "address": "1 Example Street, Northtown" },
        "application": {
            "applicant": { "id": "1234", "rank": "constable" },
            "authorised_by": { "id": "77", "rank": "inspector" },
            "authorised_at": "2026-11-23T09:00:00Z",
            "grounds": "Suspected s.2A stalking; devices used to track the victim.",
            "articles_sought": ["Mobile phones"],
            "entries": "single",
            "court": "Northtown Magistrates' Court",
            "applied_at": "2026-11-23T10:00:00Z"
        },
        "decision": { "outcome": "granted", "decided_at": "2026-11-23T11:00:00Z" },
        "warrant": { "reference": "NT/W/123", "issued_on": "2026-11-23" },
        "execution": {
            "started_at": "2026-11-26T07:00:00Z",
            "ended_at": "2026-11-26T08:00:00Z",
            "officer_in_charge": { "id": "1234", "rank": "constable" },
            "officers": [{ "id": "5678", "rank": "constable" }],
            "people_on_premises": ["The suspect"],
            "occupier_present": true,
            "seized": [{ "description": "Phone", "exhibit_reference": "AB/1", "within_authority": true }],
            "sought_found": true,
            "force_used": false,
            "notice": { "given": true }
        },
        "register": { "station": "Northtown", "entry": "SR/2026/17" }
    })
}

#[test]
fn a_search_is_recorded_then_completed_by_amendment_each_write_vouched_for_by_its_digest() {
    use stalking_response::searches::SearchRecord;
    use stalking_response::services::searches;
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut log = journal();

    let orphan: SearchRecord = serde_json::from_value(s2b("nothing")).unwrap();
    let refused = searches::create(&env, &officer, &orphan, &mut log).unwrap_err();
    assert_eq!(refused.errors[0].pointer, "/case_id");

    let new = serde_json::from_value(crate::support::case_body(true)).unwrap();
    let case = service::create(&env, &officer, &new, &mut log).unwrap();
    let record: SearchRecord = serde_json::from_value(s2b(&case.id)).unwrap();
    let created = searches::create(&env, &officer, &record, &mut log).unwrap();
    let id = created.search.id.clone();
    assert_eq!(
        created.compliance.status.as_str(),
        "non-compliant",
        "not yet endorsed"
    );
    let entry = log.entries.last().unwrap();
    assert_eq!(
        (entry.record_type.as_str(), entry.case_id.as_deref()),
        ("search", Some(case.id.as_str()))
    );
    assert!(entry.digest.is_some(), "a write carries its digest");

    let amendment = |changes: serde_json::Value| -> searches::Amendment {
        serde_json::from_value(
            json!({ "reason": "Warrant endorsed and returned.", "changes": changes }),
        )
        .unwrap()
    };
    let closing = amendment(json!({
        "endorsement": { "endorsed_at": "2026-11-26T09:00:00Z", "by": "1234" },
        "returned_to_court": { "returned_at": "2026-11-27T09:00:00Z", "by": "1234" }
    }));
    let stale = searches::amend(&env, &officer, &id, 9, &closing, &mut log).unwrap_err();
    assert_eq!(stale.status, 412);
    let nothing = searches::amend(&env, &officer, &id, 1, &amendment(json!({})), &mut log);
    assert_eq!(
        nothing.unwrap_err().errors[0].detail,
        "The amendment changes nothing."
    );
    let broken = amendment(json!({ "power": "no-such-power" }));
    let broken = searches::amend(&env, &officer, &id, 1, &broken, &mut log).unwrap_err();
    assert_eq!(broken.errors[0].pointer, "/changes/power");

    let done = searches::amend(&env, &officer, &id, 1, &closing, &mut log).unwrap();
    assert_eq!(done.search.version, 2);
    assert_eq!(done.compliance.status.as_str(), "compliant");
    let (first, original) = searches::version(&env, &id, 1, &mut log).unwrap();
    assert_eq!((first.version, original), (1, record));
    let digests: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.record_type == "search")
        .filter_map(|e| e.digest.clone())
        .collect();
    assert_eq!(digests.len(), 2, "the creation and the amendment");
    assert_ne!(digests[0], digests[1]);
}

#[test]
fn a_high_risk_assessment_makes_referrals_due_which_are_sent_fetched_and_acknowledged_once() {
    use stalking_response::services::risk;
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut log = journal();
    let new = serde_json::from_value(crate::support::case_body(false)).unwrap();
    let case = service::create(&env, &officer, &new, &mut log).unwrap();

    let nowhere = serde_json::from_value(crate::support::dash_body("nothing", 14)).unwrap();
    let refused = risk::assess(&env, &officer, &nowhere, &mut log).unwrap_err();
    assert_eq!(refused.errors[0].pointer, "/case_id");
    let high = serde_json::from_value(crate::support::dash_body(&case.id, 14)).unwrap();
    let assessment = risk::assess(&env, &officer, &high, &mut log).unwrap();
    assert_eq!(
        serde_json::to_value(assessment.level).unwrap(),
        "high",
        "14 ticks is high on the default bands"
    );
    let agencies: Vec<&str> = assessment
        .referrals
        .iter()
        .map(|r| r.agency.as_str())
        .collect();
    assert_eq!(agencies, ["mash", "marac"], "the default policy for high");
    let mash = assessment.referrals[0].id.clone();

    let supervisor = who(Role::Supervisor);
    let review =
        serde_json::from_value(json!({ "outcome": "agreed", "rationale": "Checked." })).unwrap();
    let reviewed = risk::review(&env, &supervisor, &assessment.id, &review, &mut log).unwrap();
    assert_eq!(reviewed.id, assessment.id);

    let sharing = serde_json::from_value(json!({
        "basis": "consent", "victim_aware": true, "rationale": "Victim agrees."
    }))
    .unwrap();
    let sent = risk::send_referral(&env, &officer, &mash, &sharing, &mut log).unwrap();
    assert_eq!(sent.status, ReferralStatus::Sent);
    let twice = risk::send_referral(&env, &officer, &mash, &sharing, &mut log).unwrap_err();
    assert_eq!(twice.status, 409);

    let partner = |subject: &str| Principal {
        subject: subject.into(),
        ..who(Role::Partner)
    };
    let stranger = risk::fetch_package(&env, &partner("marac"), &mash, &mut log).unwrap_err();
    assert_eq!(
        stranger.status, 404,
        "another partner cannot tell it exists"
    );
    let package = risk::fetch_package(&env, &partner("mash"), &mash, &mut log).unwrap();
    assert_eq!(package["victim"]["name"], "Alex Example");
    let disclosure = log.entries.last().unwrap();
    assert_eq!(
        (
            disclosure.operation,
            disclosure.recipient.as_deref(),
            disclosure.case_id.as_deref()
        ),
        (Operation::Disclosure, Some("mash"), Some(case.id.as_str()))
    );
    risk::acknowledge(&env, &partner("mash"), &mash, &mut log).unwrap();
    let again = risk::acknowledge(&env, &partner("mash"), &mash, &mut log).unwrap_err();
    assert_eq!(again.status, 409);
}

#[test]
fn a_token_is_shown_once_stored_as_a_hash_and_revoked_once() {
    use stalking_response::access::tokens::NewToken;
    use stalking_response::services::access;
    let world = World::new();
    let env = world.env();
    let admin = Principal {
        subject: "A1".into(),
        ..who(Role::Admin)
    };
    let mut log = journal();
    let new: NewToken =
        serde_json::from_value(json!({ "subject": " 1234 ", "role": "officer" })).unwrap();
    let access::Issuance::Issued(issued) =
        access::issue_token(&env, &admin, &new, [5; 32], &mut log).unwrap()
    else {
        panic!("an officer's token needs no approval")
    };
    assert!(issued.token.starts_with("srt_"));
    assert_eq!(issued.record.subject, "1234");
    assert_eq!(issued.record.force, "CB");
    assert_eq!(
        issued.record.expires_at, "2027-02-27T12:00:00.000000Z",
        "90 days"
    );
    let stored: String = world
        .db
        .query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        stored,
        stalking_response::access::auth::token_hash(&issued.token)
    );
    let blank: NewToken =
        serde_json::from_value(json!({ "subject": " ", "role": "officer" })).unwrap();
    assert_eq!(
        access::issue_token(&env, &admin, &blank, [6; 32], &mut log)
            .unwrap_err()
            .status,
        422
    );

    access::revoke_token(&env, &issued.record.id, &mut log).unwrap();
    let again = access::revoke_token(&env, &issued.record.id, &mut log).unwrap_err();
    assert_eq!(again.status, 404);
    assert_eq!(
        logged(&log),
        [
            (
                Operation::Collection,
                "token".into(),
                issued.record.id.to_string()
            ),
            (
                Operation::Alteration,
                "token".into(),
                issued.record.id.to_string()
            ),
        ]
    );
    assert_eq!(access::verify(&env).unwrap()["valid"], true);
}

#[test]
fn no_admin_can_impersonate_or_empower_alone() {
    use stalking_response::access::tokens::NewToken;
    use stalking_response::services::access::{self, Issuance};
    let world = World::new();
    let env = world.env();
    let mut log = journal();
    let admin = |subject: &str, token_id: &str| Principal {
        subject: subject.into(),
        role: Role::Admin,
        force: "CB".into(),
        token_id: token_id.into(),
    };
    let new = |subject: &str, role: &str| -> NewToken {
        serde_json::from_value(json!({ "subject": subject, "role": role })).unwrap()
    };
    // Fresh random bytes for every token (the hashes are unique).
    let bytes = Cell::new(0u8);
    let random = || {
        bytes.set(bytes.get() + 1);
        [bytes.get(); 32]
    };
    let issue = |by: &Principal, subject: &str, role: &str, log: &mut Entries| {
        access::issue_token(&env, by, &new(subject, role), random(), log)
    };

    // The bootstrap admin's first admin token is issued at once: nobody else could approve it.
    let bootstrap = admin("bootstrap-admin", "bootstrap");
    let Issuance::Issued(first) = issue(&bootstrap, "A1", "admin", &mut log).unwrap() else {
        panic!("the first admin token needs no second admin")
    };
    let a1 = admin("A1", &first.record.id);
    // From then on, admin, superintendent and partner tokens wait for a second admin.
    for (subject, role) in [
        ("A2", "admin"),
        ("S1", "superintendent"),
        ("mash", "partner"),
    ] {
        let Issuance::AwaitingApproval(request) = issue(&a1, subject, role, &mut log).unwrap()
        else {
            panic!("{role} needs approval")
        };
        let own = access::approve_token(&env, &a1, &request.id, [8; 32], &mut log).unwrap_err();
        assert_eq!(own.status, 403, "the asker cannot approve: {own:?}");
        let approved =
            access::approve_token(&env, &bootstrap, &request.id, random(), &mut log).unwrap();
        assert_eq!(
            (
                approved.record.subject.as_str(),
                approved.record.role.as_str()
            ),
            (subject, role)
        );
        let twice =
            access::approve_token(&env, &bootstrap, &request.id, random(), &mut log).unwrap_err();
        assert_eq!(twice.status, 404, "approved once");
    }
    assert!(matches!(
        issue(&bootstrap, "A3", "admin", &mut log),
        Ok(Issuance::AwaitingApproval(_))
    ));

    // Never in one's own name; never a second role for a subject.
    assert_eq!(
        issue(&a1, "A1", "superintendent", &mut log)
            .unwrap_err()
            .status,
        403
    );
    assert!(matches!(
        issue(&a1, "1234", "officer", &mut log),
        Ok(Issuance::Issued(_))
    ));
    let second_role = issue(&a1, "1234", "supervisor", &mut log).unwrap_err();
    assert_eq!(second_role.status, 409, "{second_role:?}");
    assert!(
        matches!(
            issue(&a1, "1234", "officer", &mut log),
            Ok(Issuance::Issued(_))
        ),
        "the same role again is fine"
    );
    let Issuance::AwaitingApproval(request) = issue(&a1, "S2", "superintendent", &mut log).unwrap()
    else {
        panic!()
    };
    access::decline_token(&env, &bootstrap, &request.id, &mut log).unwrap();
    assert_eq!(
        access::approve_token(&env, &bootstrap, &request.id, [9; 32], &mut log)
            .unwrap_err()
            .status,
        404,
        "declined"
    );
}

#[test]
fn an_auditor_reads_the_log_a_page_at_a_time_and_each_read_is_itself_logged() {
    use stalking_response::access::audit::{self, Access, Filter, RecordRef};
    use stalking_response::services::access;
    let world = World::new();
    let env = world.env();
    let reads: Vec<Access> = (0..5)
        .map(|i| {
            let record = RecordRef::case(if i % 2 == 0 { "c1" } else { "c2" });
            Access::allowed(
                "2026-11-29T11:00:00.000000Z",
                &journal().actor,
                Operation::Consultation,
                &record,
                &AccessReason::collection(),
            )
        })
        .collect();
    audit::append_all(&world.db, &reads, &world.settings.checkpoints).unwrap();
    let mut log = journal();
    let filter = Filter::Record {
        record_type: "case".into(),
        record_id: "c1".into(),
    };
    let (page, next) = access::read_log(&env, &filter, 0, 2, &mut log).unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(next, Some(3), "a full page has a next");
    let (rest, next) = access::read_log(&env, &filter, 3, 2, &mut log).unwrap();
    assert_eq!((rest.len(), next), (1, None));
    assert_eq!(
        logged(&log),
        [
            (
                Operation::Consultation,
                "access-log".into(),
                "record:case/c1".into()
            ),
            (
                Operation::Consultation,
                "access-log".into(),
                "record:case/c1".into()
            ),
        ]
    );
    let export = access::export_log(&env, "2026-11-29", "2026-11-29", &mut log).unwrap();
    assert_eq!(export.entries.len(), 5);
    assert_eq!(
        logged(&log)[2],
        (
            Operation::Disclosure,
            "access-log".into(),
            "2026-11-29..2026-11-29".into()
        )
    );
}

#[test]
fn lists_page_and_log_each_record_shown() {
    use stalking_response::cases::store::Filter;
    use stalking_response::paging::{Limit, Page};
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut setup = journal();
    let new = serde_json::from_value(crate::support::case_body(false)).unwrap();
    for _ in 0..3 {
        service::create(&env, &officer, &new, &mut setup).unwrap();
    }
    let mut log = journal();
    let first = Page {
        limit: Limit(2),
        after: None,
    };
    let page = service::list(&env, &Filter::default(), &first, &mut log).unwrap();
    assert_eq!(page.items.len(), 2);
    let next = page.next.clone().expect("a full page has a next");
    let rest = service::list(
        &env,
        &Filter::default(),
        &Page {
            limit: Limit(2),
            after: Some(next),
        },
        &mut log,
    )
    .unwrap();
    assert_eq!((rest.items.len(), rest.next), (1, None));
    let shown: Vec<stalking_response::ids::CaseId> = page
        .items
        .iter()
        .chain(&rest.items)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(
        logged(&log),
        shown
            .iter()
            .map(|id| (Operation::Consultation, "case".to_string(), id.to_string()))
            .collect::<Vec<_>>()
    );

    let pin = serde_json::from_value(json!({ "grounds": "g", "recipient_account": "a" })).unwrap();
    service::request_pin(&env, &officer, &shown[0], &pin, &mut setup).unwrap();
    let mut log = journal();
    let register =
        service::pin_register(&env, Some(PinStatus::Pending), &Page::default(), &mut log).unwrap();
    assert_eq!(register.items.len(), 1);
    assert_eq!(logged(&log)[0].1, "pin");
    assert_eq!(log.entries[0].case_id.as_deref(), Some(shown[0].as_str()));
}

#[test]
fn risk_views_and_referral_lists_log_the_case_and_each_record_shown() {
    use stalking_response::paging::Page;
    use stalking_response::risk::store::referrals::Filter;
    use stalking_response::services::risk;
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut setup = journal();
    let new = serde_json::from_value(crate::support::case_body(false)).unwrap();
    let case = service::create(&env, &officer, &new, &mut setup).unwrap();
    let high = serde_json::from_value(crate::support::dash_body(&case.id, 14)).unwrap();
    let assessment = risk::assess(&env, &officer, &high, &mut setup).unwrap();

    let mut log = journal();
    let history = risk::history(&env, &case.id, &mut log).unwrap();
    assert_eq!(history.len(), 1);
    risk::case_risk(&env, &case.id, &mut log).unwrap();
    assert_eq!(
        logged(&log),
        [
            (Operation::Consultation, "case".into(), case.id.to_string()),
            (
                Operation::Consultation,
                "risk-assessment".into(),
                assessment.id.to_string()
            ),
            (Operation::Consultation, "case".into(), case.id.to_string()),
        ]
    );
    assert_eq!(
        risk::history(&env, &cid("nothing"), &mut log)
            .unwrap_err()
            .status,
        404
    );

    let mut log = journal();
    let filter = Filter {
        case_id: Some(case.id.to_string()),
        ..Filter::default()
    };
    let listed = risk::list_referrals(&env, &filter, &Page::default(), &mut log).unwrap();
    assert_eq!(listed.items.len(), 2);
    assert!(
        log.entries
            .iter()
            .all(|e| e.record_type == "referral" && e.case_id.as_deref() == Some(case.id.as_str()))
    );
    let mash = who(Role::Partner);
    let none = risk::partner_referrals(&env, &mash, None, &Page::default(), &mut log).unwrap();
    assert!(none.items.is_empty(), "nothing sent to this partner yet");
}

#[test]
fn the_search_list_and_report_log_each_record_they_show_or_count() {
    use stalking_response::paging::Page;
    use stalking_response::searches::SearchRecord;
    use stalking_response::searches::store::Filter;
    use stalking_response::services::searches;
    let world = World::new();
    let env = world.env();
    let officer = who(Role::Officer);
    let mut setup = journal();
    let new = serde_json::from_value(crate::support::case_body(true)).unwrap();
    let case = service::create(&env, &officer, &new, &mut setup).unwrap();
    let record: SearchRecord = serde_json::from_value(s2b(&case.id)).unwrap();
    let created = searches::create(&env, &officer, &record, &mut setup).unwrap();

    let mut log = journal();
    let listed =
        searches::list(&env, &Filter::default(), None, &Page::default(), &mut log).unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.next, None);
    let searched_on = listed.items[0].0.searched_on.clone();
    let report = searches::report(
        &env,
        &Filter::default(),
        &searched_on,
        &searched_on,
        &mut log,
    )
    .unwrap();
    assert_eq!(report.searches, 1);
    assert_eq!(
        logged(&log),
        [
            (
                Operation::Consultation,
                "search".into(),
                created.search.id.to_string()
            ),
            (
                Operation::Consultation,
                "search".into(),
                created.search.id.to_string()
            ),
        ]
    );
}
