//! A force's data over two years, for the problem profile's reconciliation test and its benchmark:
//! cases reported and decided month by month, through the domain's own storage code natively
//! (`cases::create`, `cases::record_decision`, `pins::store`) and risk assessments through the risk use
//! case (`services::risk::assess`, which scores them as the app does), so every row is what the app
//! writes.
//!
//! Each year's recorded offences are spread over its twelve months; each case has a known
//! classification, domestic flag, time to decision and risk, so a test can work out every figure the
//! profile should give.

use rusqlite::Connection;
use stalking_response::access::audit::Actor;
use stalking_response::access::auth::{AccessReason, Principal, Role};
use stalking_response::access::authentication::MemoryKeyValue;
use stalking_response::cases::decision::CrimeDecision;
use stalking_response::cases::intake::NewCase;
use stalking_response::cases::store as cases;
use stalking_response::ids::{CaseId, PinId};
use stalking_response::pins::store as pins;
use stalking_response::pins::{Decision, PinDecision, PinRequest};
use stalking_response::profile::YearMonth;
use stalking_response::services::{Entries, Env};
use stalking_response::settings::Settings;
use stalking_response::values::Timestamp;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The first month of year 1 (year 2 follows it).
    pub first_month: YearMonth,
    /// Recorded offences in year 1 and in year 2.
    pub recorded: [usize; 2],
    /// One case decided as no crime after every this many recorded.
    pub no_crime_every: usize,
    /// Cases left awaiting a decision, reported in the last month.
    pub awaiting: usize,
    /// Whether to assess risk (three cases in four) — slower.
    pub assess: bool,
}

/// Principal classifications, in turn.
pub const CLASSES: [&str; 6] = [
    "harassment-s2",
    "stalking-s2a",
    "harassment-s4",
    "stalking-s4a",
    "malicious-communications",
    "harassment-s2",
];
/// Hours from report to decision, in turn: three within 24 hours, three after.
pub const HOURS: [i64; 6] = [2, 9, 20, 30, 72, 200];
/// DASH "yes" answers, in turn (none: not assessed): standard, medium, high.
pub const YES: [Option<usize>; 4] = [None, Some(2), Some(11), Some(15)];

fn report(i: usize, victim: usize, suspect: usize, domestic: bool) -> NewCase {
    serde_json::from_value(serde_json::json!({
        "victim": { "name": format!("Victim {victim}"), "date_of_birth": "1990-01-01" },
        "suspects": [{ "name": format!("Suspect {suspect}"), "date_of_birth": "1985-05-05" }],
        "relationship": if domestic { "ex-partner" } else { "stranger" },
        "domestic_abuse": domestic,
        "four": { "fixated": true, "obsessive": true, "unwanted": true, "repeated": i.is_multiple_of(2) },
        "serious_alarm_or_distress": false,
        "occurrence": {
            "from": "2020-01-01T10:00:00Z", "location": "Home", "channel": "phone",
            "behaviours": ["contacting"], "description": "Repeated calls.", "fear_of_violence": false
        }
    }))
    .expect("a valid report")
}

fn time(t: time::OffsetDateTime) -> String {
    stalking_response::values::timestamp(t)
}

/// The n-th case of a month: decided on day 10 + n % 18 at 12:00, so inside the month, and reported
/// `hours` before (offences are counted in the month of their decision).
fn reported_for(month: YearMonth, n: usize, hours: i64) -> (String, String) {
    let start =
        time::Date::from_calendar_date(month.year, time::Month::try_from(month.month).unwrap(), 1)
            .unwrap()
            .with_hms(0, 0, 0)
            .unwrap()
            .assume_utc();
    let decided = start + time::Duration::days(9 + (n % 18) as i64) + time::Duration::hours(12);
    let reported = decided - time::Duration::hours(hours);
    (time(reported), time(decided))
}

/// The generated force, and what it holds.
#[derive(Debug, Default, Clone)]
pub struct Generated {
    pub cases: usize,
    pub recorded: [usize; 2],
    pub no_crime: [usize; 2],
    pub pins: usize,
}

/// Generates the force into `db` (migrated), in one transaction per thousand cases; `dash_body` makes a
/// DASH's answers (tests/api/support/assessments.rs).
pub fn generate(
    db: &Connection,
    spec: Spec,
    dash_body: fn(&str, usize) -> serde_json::Value,
) -> Generated {
    let settings = Settings::from_variables(|_| None).unwrap();
    let kv = MemoryKeyValue::default();
    let counter = std::cell::Cell::new(0u64);
    let new_id = move || {
        counter.set(counter.get() + 1);
        format!("{:032x}", (1u128 << 100) + u128::from(counter.get()))
    };
    let officer = Principal {
        subject: "gen-1".into(),
        role: Role::Officer,
        force: "DEV".into(),
        token_id: "gen".into(),
    };
    let mut journal = Entries {
        at: "2026-11-01T00:00:00.000000Z".into(),
        actor: Actor::of(&officer),
        reason: AccessReason::collection(),
        entries: Vec::new(),
    };
    let mut made = Generated::default();
    let mut n = 0usize;
    let mut batch = 0usize;
    // Each batch settles the facts kept beside its cases before it commits, as a reader would, so the
    // seeded force is read as it will be served (on a schema that marks them: 0021; some tests
    // generate at an earlier one).
    let keeps_facts = db
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'facts_pending'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1;
    let commit = |then: &str| {
        if keeps_facts {
            stalking_response::facts::settle(db).unwrap();
        }
        db.execute_batch(&format!("COMMIT; {then}")).unwrap();
    };
    db.execute_batch("BEGIN").unwrap();
    for (year, &recorded) in spec.recorded.iter().enumerate() {
        let per_month = recorded / 12;
        let extra = recorded % 12;
        for m in 0..12 {
            let month = spec.first_month.plus((year * 12 + m) as i32);
            let in_month = per_month + usize::from(m < extra);
            let no_crime = in_month / spec.no_crime_every.max(1);
            for k in 0..in_month + no_crime {
                let i = n;
                n += 1;
                // Every tenth case's victim is the previous case's; every twentieth case's suspect
                // also had the case before (with another victim): serial.
                let victim = if i % 10 == 1 { i - 1 } else { i };
                let suspect = if i % 20 == 2 { i - 1 } else { i };
                let domestic = !i.is_multiple_of(3);
                let hours = HOURS[i % HOURS.len()];
                let (reported, decided) = reported_for(month, k, hours);
                let id = CaseId::parse(&format!("{i:032x}")).unwrap();
                let new = report(i, victim, suspect, domestic);
                let due = Timestamp::parse(&reported).unwrap().plus_hours(24).unwrap();
                cases::create(
                    db,
                    &id,
                    &format!("INC/{i}"),
                    &reported,
                    &due,
                    "gen-1",
                    &new,
                    &new_id,
                )
                .unwrap();
                let decision: CrimeDecision = if k < in_month {
                    serde_json::from_value(serde_json::json!({
                        "outcome": "recorded", "principal": CLASSES[i % CLASSES.len()],
                        "stalking_ruled_out_reason": "Generated."
                    }))
                    .unwrap()
                } else {
                    serde_json::from_value(
                        serde_json::json!({ "outcome": "no-crime", "reasons": "Generated." }),
                    )
                    .unwrap()
                };
                let reference = format!("GEN/{i}");
                cases::record_decision(db, &id, 1, &decision, Some(&reference), &decided, "gen-1")
                    .unwrap()
                    .unwrap();
                if k < in_month {
                    made.recorded[year] += 1;
                    if spec.assess
                        && let Some(yes) = YES[i % YES.len()]
                    {
                        let env = Env {
                            db,
                            kv: &kv,
                            settings: &settings,
                            now: time::OffsetDateTime::parse(
                                &decided,
                                &time::format_description::well_known::Rfc3339,
                            )
                            .unwrap(),
                            new_id: &new_id,
                        };
                        let body: stalking_response::risk::scoring::NewAssessment =
                            serde_json::from_value(dash_body(id.as_str(), yes)).unwrap();
                        stalking_response::services::risk::assess(
                            &env,
                            &officer,
                            &body,
                            &mut journal,
                        )
                        .unwrap();
                    }
                } else {
                    made.no_crime[year] += 1;
                }
                // A PIN request on every fiftieth case, refused (stalking) or decided.
                if i.is_multiple_of(50) {
                    let case = cases::get(db, &id).unwrap().unwrap();
                    let request = PinRequest {
                        grounds: "Generated.".into(),
                        recipient_account: "Generated.".into(),
                    };
                    let pin =
                        PinId::parse(&format!("{:032x}", (1u128 << 120) + i as u128)).unwrap();
                    let at = Timestamp::parse(&reported).unwrap();
                    pins::record_request(db, &pin, &case, &request, "gen-1", &at).unwrap();
                    if i.is_multiple_of(100) {
                        let decision = PinDecision {
                            decision: if i.is_multiple_of(200) {
                                Decision::Decline
                            } else {
                                Decision::Authorise
                            },
                            rationale: "Generated.".into(),
                        };
                        let _ = pins::decide(db, &pin, &decision, "super-1", &decided).unwrap();
                    }
                    made.pins += 1;
                }
                journal.entries.clear();
                batch += 1;
                if batch == 1000 {
                    commit("BEGIN");
                    batch = 0;
                }
            }
        }
    }
    let last = spec.first_month.plus(23);
    for k in 0..spec.awaiting {
        let i = n;
        n += 1;
        let (reported, _) = reported_for(last, k, 1);
        let id = CaseId::parse(&format!("{i:032x}")).unwrap();
        let due = Timestamp::parse(&reported).unwrap().plus_hours(24).unwrap();
        cases::create(
            db,
            &id,
            &format!("INC/{i}"),
            &reported,
            &due,
            "gen-1",
            &report(i, i, i, true),
            &new_id,
        )
        .unwrap();
    }
    commit("");
    made.cases = n;
    made
}
