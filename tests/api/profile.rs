//! The force's view (issue #16): the problem profile reconciles with a generated force's records (the
//! board paper's 1,190 and 2,061 offences, +73.2%), its charts and the action plan over HTTP, with
//! their roles, strict parameters and the access log.

use crate::force_data::{self, Spec};
use crate::support::{self, TestApp};
use stalking_response::access::audit::{Actor, Operation, RecordType};
use stalking_response::access::auth::{AccessReason, Principal, Role};
use stalking_response::access::authentication::MemoryKeyValue;
use stalking_response::profile::{Compare, Period, Request, YearMonth};
use stalking_response::services::{Entries, Env, profile as service};
use stalking_response::settings::Settings;

fn month(text: &str) -> YearMonth {
    YearMonth::parse(text).unwrap()
}

/// Hours from report to decision of the cases decided in `period`, worked out here from the rows.
fn decision_hours(db: &rusqlite::Connection, period: Period) -> Vec<f64> {
    let (start, end) = period.bounds();
    let parse = |t: String| {
        time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let mut hours: Vec<f64> = db
        .prepare("SELECT reported_at, decided_at FROM cases WHERE status != 'awaiting-decision' AND decided_at >= ?1 AND decided_at < ?2")
        .unwrap()
        .query_map([&start, &end], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (reported, decided) = r.unwrap();
            (parse(decided) - parse(reported)).as_seconds_f64() / 3600.0
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    hours
}

/// A report naming `victim` and `suspects` (each with one date of birth, so that a name recurs as one
/// person).
fn report(victim: &str, suspects: &[String]) -> stalking_response::cases::intake::NewCase {
    let suspects: Vec<_> = suspects
        .iter()
        .map(|name| serde_json::json!({ "name": name, "date_of_birth": "1980-01-01" }))
        .collect();
    serde_json::from_value(serde_json::json!({
        "victim": { "name": victim, "date_of_birth": "1990-01-01" },
        "suspects": suspects,
        "relationship": "stranger", "domestic_abuse": false,
        "four": { "fixated": true, "obsessive": true, "unwanted": true, "repeated": true },
        "serious_alarm_or_distress": false,
        "occurrence": { "from": "2020-01-01T10:00:00Z", "location": "Home", "channel": "phone",
                        "behaviours": ["contacting"], "description": "Calls.", "fear_of_violence": false }
    }))
    .unwrap()
}

/// Someone of `role` calling the use cases directly, and the journal of what they do at `at`.
fn caller(subject: &str, role: Role, at: &str) -> (Principal, Entries) {
    let who = Principal {
        subject: subject.into(),
        role,
        force: "DEV".into(),
        token_id: "t".into(),
    };
    let journal = Entries {
        at: at.into(),
        actor: Actor::of(&who),
        reason: AccessReason::collection(),
        entries: Vec::new(),
    };
    (who, journal)
}

fn count(db: &rusqlite::Connection, sql: &str, period: Period) -> i64 {
    let (start, end) = period.bounds();
    db.query_row(sql, [&start, &end], |r| r.get(0)).unwrap()
}

#[test]
fn the_profile_reconciles_with_the_board_papers_rise_of_73_point_2_percent() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    stalking_response::migrations::migrate(&db).unwrap();
    let spec = Spec {
        first_month: month("2015-07"),
        recorded: [1190, 2061],
        no_crime_every: 10,
        awaiting: 7,
        assess: true,
    };
    let made = force_data::generate(&db, spec, support::dash_body);
    assert_eq!(made.recorded, [1190, 2061]);

    let settings =
        Settings::from_variables(|name| (name == "force_population").then(|| "214688".into()))
            .unwrap();
    let kv = MemoryKeyValue::default();
    let new_id = || "unused".to_string();
    let env = Env {
        db: &db,
        kv: &kv,
        settings: &settings,
        now: time::macros::datetime!(2026-11-29 12:00 UTC),
        new_id: &new_id,
    };
    let (_analyst, mut journal) = caller("analyst-1", Role::Analyst, "2026-11-29T12:00:00.000000Z");
    // The 12 months to June 2017 against the 12 months to June 2016, as the board paper has them.
    let request = Request::parse(Some("2016-07"), Some("2017-06"), Some("previous-year")).unwrap();
    assert_eq!(request.compare, Compare::PreviousYear);
    let profile = service::profile(&env, request, &mut journal).unwrap();

    let change = profile.year_on_year.as_ref().unwrap();
    assert_eq!(
        (change.recorded_offences_before, change.recorded_offences),
        (1190, 2061)
    );
    assert_eq!(change.percent, Some(73.2));
    assert_eq!(
        profile.figures.rate_per_1000,
        Some(9.6),
        "2,061 per 214,688 people"
    );
    let before = profile.previous_year.as_ref().unwrap();
    for figures in [&profile.figures, before] {
        assert!(figures.reconciles(), "{:?}", figures.sums());
        let period = figures.period;
        // Each breakdown against the rows, counted independently.
        let recorded = |class: &str| {
            count(
                &db,
                &format!(
                    "SELECT COUNT(*) FROM cases WHERE status = 'recorded' AND decided_at >= ?1 AND decided_at < ?2 AND principal_classification = '{class}'"
                ),
                period,
            )
        };
        let by = |name: &str| {
            figures
                .by_classification
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .count
        };
        for class in [
            "harassment-s2",
            "stalking-s2a",
            "harassment-s4",
            "stalking-s4a",
        ] {
            assert_eq!(by(class), recorded(class), "{class}");
            assert!(by(class) > 0);
        }
        assert_eq!(by("other"), recorded("malicious-communications"));
        let domestic = count(
            &db,
            "SELECT COUNT(*) FROM cases WHERE status = 'recorded' AND decided_at >= ?1 AND decided_at < ?2 AND domestic_abuse = 1",
            period,
        );
        assert_eq!(figures.domestic_abuse.domestic, domestic);
        let assessed = count(
            &db,
            "SELECT COUNT(DISTINCT c.id) FROM cases c JOIN risk_assessments a ON a.case_id = c.id WHERE c.status = 'recorded' AND c.decided_at >= ?1 AND c.decided_at < ?2",
            period,
        );
        let level = |name: &str| {
            figures
                .risk_levels
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .count
        };
        assert_eq!(figures.recorded_offences - level("not-assessed"), assessed);
        assert!(level("high") > 0 && level("medium") > 0 && level("standard") > 0);
        // Time to decision: the median and the share within 24 hours, from the rows.
        let hours = decision_hours(&db, period);
        assert_eq!(figures.decisions.total, hours.len() as i64);
        let within = hours.iter().filter(|h| **h <= 24.0).count() as i64;
        assert_eq!(figures.decisions.within_24_hours, within);
        let n = hours.len();
        let median = if n % 2 == 1 {
            hours[n / 2]
        } else {
            (hours[n / 2 - 1] + hours[n / 2]) / 2.0
        };
        assert_eq!(
            figures.decisions.median_hours,
            Some((median * 10.0).round() / 10.0)
        );
        assert!(figures.decisions.no_crime > 0);
        // Repeat victims and serial perpetrators exist, and are counted once each.
        assert!(figures.victims.repeat > 0 && figures.victims.repeat < figures.victims.total);
        assert!(figures.perpetrators.repeat > 0);
        let pins = count(
            &db,
            "SELECT COUNT(*) FROM pins WHERE requested_at >= ?1 AND requested_at < ?2",
            period,
        );
        assert_eq!(figures.pins.requested, pins);
        assert!(pins > 0 && figures.pins.refused > 0);
    }
    // Logged as statistics, once: no case, no person.
    assert_eq!(journal.entries.len(), 1);
    assert_eq!(
        journal.entries[0].record_type,
        RecordType::Statistics.as_str()
    );
    assert_eq!(journal.entries[0].record_id, "problem-profile");
    assert_eq!(journal.entries[0].operation, Operation::Consultation);
}

/// Statistics entries in the access log (chained or still queued).
fn statistics_logged(app: &TestApp, id: &str) -> i64 {
    let db = app.database();
    let chained: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE record_type = 'statistics' AND record_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let queued: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM access_log_queue WHERE record_type = 'statistics' AND record_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    chained + queued
}

#[test]
fn analysts_read_the_profile_and_its_charts_with_strict_parameters() {
    let app = TestApp::start_with(&[("force_population", "1000")]);
    let officer = app.token("officer", "1234");
    let analyst = app.token("analyst", "an-1");
    let case = app.new_case(&officer, true, 2);
    let etag = app.etag(&officer, &case);
    let decided = app.call_with(
        "POST",
        &format!("/api/v1/cases/{case}/crime-decision"),
        &officer,
        Some(serde_json::json!({ "outcome": "recorded", "principal": "stalking-s2a" })),
        &[("if-match", &etag)],
    );
    assert_eq!(decided.status, 200, "{}", decided.body);
    let searched = app.call(
        "POST",
        "/api/v1/searches",
        &officer,
        Some(support::searches::s2b(&case)),
    );
    assert_eq!(searched.status, 201, "{}", searched.body);

    // From the search's month (six days ago) to this month.
    let from = &support::searches::date_ago(6)[..7];
    let month = support::this_month();
    let query = format!("from={from}&to={month}&compare=previous-year");
    let reply = app.call("GET", &format!("/api/v1/profile?{query}"), &analyst, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let profile = reply.json();
    let figures = &profile["figures"];
    assert_eq!(figures["recorded_offences"], 1);
    assert_eq!(figures["rate_per_1000"], 1.0);
    assert_eq!(profile["population"], 1000);
    assert_eq!(
        profile["year_on_year"]["percent"],
        serde_json::Value::Null,
        "nothing a year before"
    );
    let classes = figures["by_classification"].as_array().unwrap();
    assert!(
        classes
            .iter()
            .any(|c| c["name"] == "stalking-s2a" && c["count"] == 1)
    );
    let warrants = &figures["s2b_warrants"];
    assert_eq!(
        (
            warrants["applied"].as_i64(),
            warrants["granted"].as_i64(),
            warrants["executed"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(figures["decisions"]["within_24_hours"], 1);
    assert!(
        !reply.body.contains("Alex Example") && !reply.body.contains("Sam Sample"),
        "no personal data: {}",
        reply.body
    );
    assert_eq!(statistics_logged(&app, "problem-profile"), 1);

    for chart in ["monthly", "classification", "risk", "decision-time"] {
        let svg = app.call(
            "GET",
            &format!("/api/v1/profile/charts/{chart}?{query}"),
            &analyst,
            None,
        );
        assert_eq!(svg.status, 200, "{chart}: {}", svg.body);
        assert!(svg.header("content-type").starts_with("image/svg+xml"));
        assert!(
            svg.body.contains(r#"role="img""#) && svg.body.contains("<title id="),
            "{chart}"
        );
        let csv = app.call(
            "GET",
            &format!("/api/v1/profile/charts/{chart}?{query}&format=csv"),
            &analyst,
            None,
        );
        assert_eq!(csv.status, 200, "{chart}: {}", csv.body);
        assert!(csv.header("content-type").starts_with("text/csv"));
        assert!(csv.header("content-disposition").starts_with("attachment"));
        assert!(csv.body.starts_with("category,"));
    }
    assert_eq!(
        statistics_logged(&app, "problem-profile"),
        9,
        "each chart is a read of the profile"
    );

    for (bad, named) in [
        ("to=2026-01".to_string(), "`from`"),
        (format!("from={month}"), "`to`"),
        ("from=2026-13&to=2026-12".into(), "`from`"),
        ("from=2026-05&to=2026-04".into(), "`to`"),
        ("from=2020-01&to=2026-12".into(), "`to`"),
        (
            format!("from={month}&to={month}&compare=last-year"),
            "`compare`",
        ),
        (format!("from={month}&to={month}&region=north"), "region"),
    ] {
        let reply = app.call("GET", &format!("/api/v1/profile?{bad}"), &analyst, None);
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
        assert_eq!(reply.header("content-type"), "application/problem+json");
        let detail = reply.json()["detail"].as_str().unwrap().to_string();
        assert!(detail.contains(named), "{bad}: {detail}");
    }
    let format = app.call(
        "GET",
        &format!("/api/v1/profile/charts/risk?{query}&format=png"),
        &analyst,
        None,
    );
    assert_eq!(format.status, 400);
    assert!(format.body.contains("`format`"));
    let pie = app.call(
        "GET",
        &format!("/api/v1/profile/charts/pie?{query}"),
        &analyst,
        None,
    );
    assert_eq!(pie.status, 404);
}

#[test]
fn the_action_plan_is_read_exported_and_updated_with_a_dated_trail() {
    let app = TestApp::start();
    let supervisor = app.token("supervisor", "sup-1");
    let analyst = app.token("analyst", "an-1");
    let plan = app.call("GET", "/api/v1/plan", &analyst, None);
    assert_eq!(plan.status, 200, "{}", plan.body);
    let plan = plan.json();
    assert_eq!(plan["workstreams"].as_array().unwrap().len(), 6);
    let first = &plan["workstreams"][0]["actions"][0];
    assert_eq!(first["id"], "recording-1");
    assert_eq!(first["version"], 1);
    assert_eq!(first["evidence"]["key"], "stalking-share");
    assert!(
        first["evidence"]["link"]
            .as_str()
            .unwrap()
            .starts_with("/api/v1/profile?from=")
    );

    let path = "/api/v1/plan/actions/recording-1/updates";
    let body = serde_json::json!({ "status": "green", "note": "Every harassment crime now carries the reason stalking was ruled out." });
    let added = app.call_with(
        "POST",
        path,
        &supervisor,
        Some(body.clone()),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.header("etag"), "\"v2\"");
    assert_eq!(added.json()["by"], "sup-1");
    // The same update against the old version: someone else got there first.
    let stale = app.call_with(
        "POST",
        path,
        &supervisor,
        Some(body.clone()),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.header("etag"), "\"v2\"");
    let missing = app.call("POST", path, &supervisor, Some(body.clone()));
    assert_eq!(missing.status, 428, "{}", missing.body);
    let blank = app.call_with(
        "POST",
        path,
        &supervisor,
        Some(serde_json::json!({ "status": "red", "note": " " })),
        &[("if-match", "\"v2\"")],
    );
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert_eq!(blank.pointers(), ["/note"]);
    let unknown = app.call_with(
        "POST",
        path,
        &supervisor,
        Some(serde_json::json!({ "status": "purple", "note": "x" })),
        &[("if-match", "\"v2\"")],
    );
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let nowhere = app.call_with(
        "POST",
        "/api/v1/plan/actions/nothing-1/updates",
        &supervisor,
        Some(body.clone()),
        &[("if-match", "\"v1\"")],
    );
    assert_eq!(nowhere.status, 404, "{}", nowhere.body);

    let plan = app.call("GET", "/api/v1/plan", &analyst, None).json();
    let first = &plan["workstreams"][0]["actions"][0];
    assert_eq!(
        (first["status"].as_str(), first["version"].as_i64()),
        (Some("green"), Some(2))
    );
    assert_eq!(first["updates"][0]["note"], body["note"]);

    let csv = app.call("GET", "/api/v1/plan?format=csv", &analyst, None);
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.body.starts_with("workstream,action,"));
    assert!(csv.body.contains("recording-1,") && csv.body.contains(",green,"));
    let html = app.call("GET", "/api/v1/plan?format=html", &analyst, None);
    assert_eq!(html.status, 200);
    assert!(html.header("content-type").starts_with("text/html"));
    assert!(
        html.header("content-security-policy")
            .contains("default-src 'none'")
    );
    assert!(html.body.contains("<h2>Finance</h2>") && html.body.contains("GREEN"));
    let bad = app.call("GET", "/api/v1/plan?format=pdf", &analyst, None);
    assert_eq!(bad.status, 400);

    // The update is logged as an alteration of the action.
    let db = app.database();
    let altered: i64 = db
        .query_row(
            "SELECT (SELECT COUNT(*) FROM access_log WHERE record_type = 'action-plan' AND record_id = 'recording-1' AND operation = 'alteration' AND outcome = 'allowed')
                  + (SELECT COUNT(*) FROM access_log_queue WHERE record_type = 'action-plan' AND record_id = 'recording-1' AND operation = 'alteration' AND outcome = 'allowed')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(altered, 1);
}

#[test]
fn every_role_gets_exactly_the_force_view_endpoints_the_table_gives_it() {
    let app = TestApp::start();
    let tokens = app.role_tokens();
    let month = support::this_month();
    let rows: Vec<support::MatrixRow> = vec![
        (
            "GET",
            format!("/api/v1/profile?from={month}&to={month}"),
            None,
            &["supervisor", "superintendent", "analyst"],
        ),
        (
            "GET",
            format!("/api/v1/profile/charts/monthly?from={month}&to={month}"),
            None,
            &["supervisor", "superintendent", "analyst"],
        ),
        (
            "GET",
            "/api/v1/plan".into(),
            None,
            &["supervisor", "superintendent", "analyst"],
        ),
    ];
    app.assert_matrix(&tokens, &rows);
    // Updates, each against the version the last one left.
    for (role, token) in &tokens {
        let plan = app.call("GET", "/api/v1/plan", &tokens[1].1, None).json();
        let version = plan["workstreams"][5]["actions"][0]["version"]
            .as_i64()
            .unwrap();
        let reply = app.call_with(
            "POST",
            "/api/v1/plan/actions/finance-1/updates",
            token,
            Some(serde_json::json!({ "status": "amber", "note": "Costing under way." })),
            &[("if-match", &format!("\"v{version}\""))],
        );
        let allowed = ["supervisor", "superintendent"].contains(role);
        assert_eq!(
            reply.status,
            if allowed { 201 } else { 403 },
            "{role}: {}",
            reply.body
        );
    }
}

/// What the profile's summary rows (migration 0019) should say for `period`, counted here the slow way
/// from the records themselves: the risk mix, the distinct and repeat victims and suspects of the
/// recorded offences, and the decisions with their median hours.
type FromRecords = (Vec<(String, i64)>, (i64, i64), (i64, i64), (i64, i64), f64);

fn from_records(db: &rusqlite::Connection, period: Period) -> FromRecords {
    let (start, end) = period.bounds();
    let risk = db
        .prepare(
            "SELECT COALESCE((SELECT COALESCE((SELECT rv.level FROM risk_reviews rv
                                               WHERE rv.assessment_id = ra.id AND rv.outcome = 'raised'
                                               ORDER BY rv.reviewed_at DESC LIMIT 1), ra.level)
                              FROM risk_assessments ra WHERE ra.case_id = c.id AND ra.purpose = 'risk'
                              ORDER BY ra.assessed_at DESC, ra.id DESC LIMIT 1), 'not-assessed') AS level,
                    COUNT(*)
             FROM cases c WHERE c.status = 'recorded' AND c.decided_at >= ?1 AND c.decided_at < ?2
             GROUP BY 1 ORDER BY 1",
        )
        .unwrap()
        .query_map([&start, &end], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let people = |category: &str, repeat: &str| -> (i64, i64) {
        db.query_row(
            &format!(
                "SELECT COUNT(*), COALESCE(SUM({repeat}), 0)
                 FROM (SELECT DISTINCT a.person_id FROM cases c
                       JOIN appearances a ON a.case_id = c.id AND a.category = ?3
                       WHERE c.status = 'recorded' AND c.decided_at >= ?1 AND c.decided_at < ?2) p"
            ),
            [&start, &end, category],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let victims = people(
        "victim",
        "(SELECT COUNT(*) FROM appearances b WHERE b.person_id = p.person_id AND b.category = 'victim') >= 2",
    );
    let suspects = people(
        "suspect",
        "(SELECT COUNT(DISTINCT v.person_id) FROM appearances s
          JOIN appearances v ON v.case_id = s.case_id AND v.category = 'victim' AND v.person_id != s.person_id
          WHERE s.person_id = p.person_id AND s.category = 'suspect') >= 2",
    );
    let decided = db
        .query_row(
            "SELECT COALESCE(SUM(status = 'recorded'), 0), COALESCE(SUM(status = 'no-crime'), 0) FROM cases
             WHERE status != 'awaiting-decision' AND decided_at >= ?1 AND decided_at < ?2",
            [&start, &end],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let hours = decision_hours(db, period);
    let n = hours.len();
    let median = (hours[(n - 1) / 2] + hours[n / 2]) / 2.0;
    (risk, victims, suspects, decided, median)
}

/// The same figures as the profile's store counts them from its summary rows.
fn from_summary(db: &rusqlite::Connection, period: Period) -> FromRecords {
    // As the profile's service does first (`facts::settled`).
    stalking_response::facts::settled(db).unwrap();
    let tally = stalking_response::profile::store::tally(db, period).unwrap();
    let mut risk: Vec<(String, i64)> = Vec::new();
    for (level, n) in tally.risk {
        match risk.iter_mut().find(|(l, _)| *l == level) {
            Some((_, total)) => *total += n,
            None => risk.push((level, n)),
        }
    }
    risk.sort();
    (
        risk,
        tally.victims,
        tally.suspects,
        tally.decided,
        tally.median_hours.unwrap(),
    )
}

/// The profile's summary rows against the records they summarise, over `period`.
pub fn assert_agree(db: &rusqlite::Connection, period: Period, when: &str) {
    let (records, summary) = (from_records(db, period), from_summary(db, period));
    assert_eq!(summary.0, records.0, "risk mix {when}");
    assert_eq!(summary.1, records.1, "victims {when}");
    assert_eq!(summary.2, records.2, "suspects {when}");
    assert_eq!(summary.3, records.3, "decisions {when}");
    assert!(
        (summary.4 - records.4).abs() < 1e-6,
        "median {when}: {} against {}",
        summary.4,
        records.4
    );
}

#[test]
fn the_profiles_summary_rows_agree_with_the_records_after_reviews_splits_new_cases_and_a_backfill()
{
    use stalking_response::cases::store as cases;
    use stalking_response::ids::{AssessmentId, CaseId};
    use stalking_response::values::Timestamp;

    let spec = Spec {
        first_month: month("2024-01"),
        recorded: [240, 300],
        no_crime_every: 10,
        awaiting: 3,
        assess: true,
    };
    let year = |from: &str, to: &str| Period {
        from: month(from),
        to: month(to),
    };
    let periods = [
        year("2024-01", "2024-12"),
        year("2025-01", "2025-12"),
        year("2024-06", "2025-05"),
    ];

    // Generated before migration 0019, then migrated: the backfill writes the rows.
    let before = rusqlite::Connection::open_in_memory().unwrap();
    let migrations = stalking_response::migrations::MIGRATIONS;
    let latest = migrations.last().unwrap().version;
    let before_0019: Vec<_> = migrations
        .iter()
        .filter(|m| m.version < 19)
        .copied()
        .collect();
    stalking_response::migrations::migrate_with(&before, &before_0019).unwrap();
    force_data::generate(&before, spec, support::dash_body);
    assert_eq!(
        stalking_response::migrations::migrate(&before).unwrap(),
        latest
    );
    for period in periods {
        assert_agree(&before, period, "after the backfill");
    }

    // Generated after it: the triggers write the rows.
    let db = rusqlite::Connection::open_in_memory().unwrap();
    stalking_response::migrations::migrate(&db).unwrap();
    force_data::generate(&db, spec, support::dash_body);
    for period in periods {
        assert_agree(&db, period, "as generated");
    }
    let first = from_summary(&db, periods[0]);
    assert!(first.1.1 > 0 && first.2.1 > 0, "repeats exist: {first:?}");

    let settings = Settings::from_variables(|_| None).unwrap();
    let kv = MemoryKeyValue::default();
    let counter = std::cell::Cell::new(0u64);
    let new_id = move || {
        counter.set(counter.get() + 1);
        format!("{:032x}", (1u128 << 110) + u128::from(counter.get()))
    };
    let env = Env {
        db: &db,
        kv: &kv,
        settings: &settings,
        now: time::macros::datetime!(2026-01-15 12:00 UTC),
        new_id: &new_id,
    };
    let (supervisor, mut journal) =
        caller("super-1", Role::Supervisor, "2026-01-15T12:00:00.000000Z");
    let case = |i: usize| CaseId::parse(&format!("{i:032x}")).unwrap();

    // A supervisor raises a standard risk to high, long after the decision (case 1: two "yes").
    let assessment: String = db
        .query_row(
            "SELECT id FROM risk_assessments WHERE case_id = ?1 AND purpose = 'risk'",
            [case(1).as_str()],
            |r| r.get(0),
        )
        .unwrap();
    let raise: stalking_response::risk::requests::NewReview = serde_json::from_value(
        serde_json::json!({ "outcome": "raised", "level": "high", "rationale": "New threats." }),
    )
    .unwrap();
    stalking_response::services::risk::review(
        &env,
        &supervisor,
        &AssessmentId::parse(&assessment).unwrap(),
        &raise,
        &mut journal,
    )
    .unwrap();
    let high = |db: &rusqlite::Connection| from_summary(db, periods[0]).0;
    assert_ne!(high(&db), first.0, "the raised level is counted");
    assert_agree(&db, periods[0], "after a raised review");

    // Splits: case 2's suspect (also case 1's, with another victim: serial) and case 1's victim (also
    // case 0's: a repeat victim) become records of their own.
    for (i, category) in [(2, "suspect"), (1, "victim")] {
        let split: stalking_response::people::LinkDecision = serde_json::from_value(
            serde_json::json!({ "category": category, "position": 0, "decision": "split",
                                "reason": "Not the same person." }),
        )
        .unwrap();
        stalking_response::people::store::review(
            &db,
            &case(i),
            &split,
            "super-1",
            "2026-01-15T12:00:00.000000Z",
            &new_id,
        )
        .unwrap()
        .unwrap();
        for period in periods {
            assert_agree(
                &db,
                period,
                &format!("after splitting case {i}'s {category}"),
            );
        }
    }

    // A new report names case 5's victim again (a repeat victim now) and is recorded.
    let everything = year("2024-01", "2026-01");
    let (_, victims_before, suspects_before, ..) = from_summary(&db, everything);
    let new = report("Victim 5", &["Someone Else".into()]);
    let id = case(900_000);
    let reported = "2026-01-15T09:00:00.000000Z";
    cases::create(
        &db,
        &id,
        "INC/NEW",
        reported,
        &Timestamp::parse(reported).unwrap().plus_hours(24).unwrap(),
        "gen-1",
        &new,
        &new_id,
    )
    .unwrap();
    let decision: stalking_response::cases::decision::CrimeDecision = serde_json::from_value(
        serde_json::json!({ "outcome": "recorded", "principal": "stalking-s2a" }),
    )
    .unwrap();
    cases::record_decision(
        &db,
        &id,
        1,
        &decision,
        Some("NEW/1"),
        "2026-01-15T12:00:00.000000Z",
        "gen-1",
    )
    .unwrap()
    .unwrap();
    for period in periods.into_iter().chain([year("2026-01", "2026-01")]) {
        assert_agree(&db, period, "after a new case names an earlier victim");
    }
    let (_, victims_after, suspects_after, ..) = from_summary(&db, everything);
    assert_eq!(
        (victims_after, suspects_after),
        (
            (victims_before.0, victims_before.1 + 1),
            (suspects_before.0 + 1, suspects_before.1)
        ),
        "case 5's victim now repeats; the new suspect is one more"
    );
}

/// The same agreement over a random history: reports naming people from a small pool (so that people
/// recur across months, and a case may name one suspect twice), decisions in random months, and splits,
/// checked over random periods as it goes — the previous-month links of `profile_people` must hold
/// whatever the order in which months are added and removed.
#[test]
fn the_profiles_people_rows_agree_with_the_records_over_a_random_history() {
    use stalking_response::cases::store as cases;
    use stalking_response::ids::CaseId;
    use stalking_response::values::Timestamp;

    let db = rusqlite::Connection::open_in_memory().unwrap();
    stalking_response::migrations::migrate(&db).unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let counter = std::cell::Cell::new(0u64);
    let new_id = move || {
        counter.set(counter.get() + 1);
        format!("{:032x}", (1u128 << 112) + u128::from(counter.get()))
    };
    let base = month("2024-01");
    let mut decided: Vec<(CaseId, usize)> = Vec::new();
    for i in 0..240usize {
        let id = CaseId::parse(&format!("{i:032x}")).unwrap();
        let victim = next(12);
        let first = next(10);
        let second = if next(4) == 0 { first } else { next(10) };
        let new = report(
            &format!("Victim {victim}"),
            &[format!("Suspect {first}"), format!("Suspect {second}")],
        );
        let when = base.plus(next(24) as i32);
        let decided_at = format!("{when}-1{}T12:00:00.000000Z", next(9));
        let reported = Timestamp::parse(&decided_at)
            .unwrap()
            .plus_hours(-5)
            .unwrap();
        cases::create(
            &db,
            &id,
            &format!("INC/{i}"),
            reported.as_str(),
            &reported.plus_hours(24).unwrap(),
            "gen-1",
            &new,
            &new_id,
        )
        .unwrap();
        if next(5) != 0 {
            let outcome = if next(6) == 0 {
                serde_json::json!({ "outcome": "no-crime", "reasons": "Generated." })
            } else {
                serde_json::json!({ "outcome": "recorded", "principal": "stalking-s2a" })
            };
            let decision: stalking_response::cases::decision::CrimeDecision =
                serde_json::from_value(outcome).unwrap();
            cases::record_decision(
                &db,
                &id,
                1,
                &decision,
                Some(&format!("CR/{i}")),
                &decided_at,
                "gen-1",
            )
            .unwrap()
            .unwrap();
            decided.push((id.clone(), i));
        }
        // Now and then a supervisor splits someone off an earlier case.
        if !decided.is_empty() && next(6) == 0 {
            let (case, _) = &decided[next(decided.len() as u64) as usize];
            let (category, position) = match next(3) {
                0 => ("victim", 0),
                k => ("suspect", k as i64 - 1),
            };
            let split: stalking_response::people::LinkDecision = serde_json::from_value(
                serde_json::json!({ "category": category, "position": position, "decision": "split",
                                    "reason": "Not the same person." }),
            )
            .unwrap();
            // A split is final: splitting one again is refused, and that is fine here.
            let _ = stalking_response::people::store::review(
                &db,
                case,
                &split,
                "super-1",
                "2026-01-15T12:00:00.000000Z",
                &new_id,
            )
            .unwrap();
        }
        if i % 20 == 19 {
            for _ in 0..4 {
                let from = base.plus(next(24) as i32);
                let to = from.plus(next(12) as i32);
                assert_agree_on_people(&db, Period { from, to }, i);
            }
        }
    }
}

fn assert_agree_on_people(db: &rusqlite::Connection, period: Period, step: usize) {
    let (start, _) = period.bounds();
    let decided: i64 = count(
        db,
        "SELECT COUNT(*) FROM cases WHERE status != 'awaiting-decision' AND decided_at >= ?1 AND decided_at < ?2",
        period,
    );
    if decided == 0 {
        return;
    }
    let (records, summary) = (from_records(db, period), from_summary(db, period));
    assert_eq!(
        (summary.1, summary.2),
        (records.1, records.2),
        "victims and suspects at step {step}, {} to {} (from {start})",
        period.from,
        period.to
    );
}

/// A victim moved to another person record by a write made past the app (the appearance alone
/// changed: no split's rewrite of the people's counts) is marked all the same
/// (`facts_appearance_moved`, migration 0021), and the profile counts the case for the new person.
#[test]
fn an_appearance_moved_by_any_path_moves_the_profiles_count() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    stalking_response::migrations::migrate(&db).unwrap();
    let spec = Spec {
        first_month: month("2024-01"),
        recorded: [24, 24],
        no_crime_every: 10,
        awaiting: 1,
        assess: false,
    };
    force_data::generate(&db, spec, support::dash_body);
    let period = Period {
        from: month("2024-01"),
        to: month("2025-12"),
    };
    assert_agree(&db, period, "as generated");
    let (case, victim): (String, String) = db
        .query_row(
            "SELECT a.case_id, a.person_id FROM appearances a JOIN cases c ON c.id = a.case_id
             WHERE a.category = 'victim' AND c.status = 'recorded' ORDER BY a.case_id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let offences = |person: &str| -> i64 {
        stalking_response::facts::settled(&db).unwrap();
        db.query_row(
            "SELECT COALESCE(SUM(offences), 0) FROM profile_people WHERE person_id = ?1",
            [person],
            |r| r.get(0),
        )
        .unwrap()
    };
    let before = offences(&victim);
    assert!(before >= 1);
    db.execute_batch(&format!(
        "INSERT INTO people (id, created_at, name) VALUES ('moved-to', '2026-01-01T00:00:00.000000Z', 'V');
         UPDATE appearances SET person_id = 'moved-to' WHERE case_id = '{case}' AND category = 'victim';"
    ))
    .unwrap();
    assert_eq!(offences("moved-to"), 1, "the new person counts the case");
    assert_eq!(
        offences(&victim),
        before - 1,
        "the person moved off it no longer does"
    );
    assert_agree(&db, period, "after the appearance moved");
}
