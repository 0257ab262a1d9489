//! The storage code natively, through `rusqlite` behind the same SQL trait the components use.

use stalking_response::migrations::{self, Migration, MigrationError};
use stalking_response::sql::{self, Sql, SqlError, Value};

fn open(path: &std::path::Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(path).unwrap();
    sql::prepare_connection(&db).unwrap();
    db
}

#[test]
fn migrations_apply_once_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    assert_eq!(migrations::current_version(&db).unwrap(), 0);
    let latest = migrations::latest_version();
    assert_eq!(migrations::migrate(&db).unwrap(), latest);
    assert_eq!(
        migrations::migrate(&db).unwrap(),
        latest,
        "a second run is a no-op"
    );
    let rows = db
        .query("SELECT COUNT(*) AS n FROM schema_version", &[])
        .unwrap();
    assert_eq!(rows.first_integer("n"), Some(latest));
    // The tables are really there.
    db.run(
        "SELECT principal, key, request_hash, status, response, created_at FROM idempotency_keys",
        &[],
    )
    .unwrap();
}

#[test]
fn a_new_database_is_switched_to_wal_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    let mode = db.query("PRAGMA journal_mode", &[]).unwrap();
    assert_eq!(mode.first("journal_mode"), Some(&Value::Text("wal".into())));
    sql::prepare_connection(&db).unwrap();
}

#[test]
fn racing_connections_migrate_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                assert_eq!(
                    migrations::migrate(&open(&path)).unwrap(),
                    migrations::latest_version()
                )
            });
        }
    });
    let rows = open(&path)
        .query("SELECT COUNT(*) AS n FROM schema_version", &[])
        .unwrap();
    assert_eq!(rows.first_integer("n"), Some(migrations::latest_version()));
}

#[test]
fn a_failing_migration_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    let broken = [
        Migration {
            version: 1,
            name: "0001_ok",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            name: "0002_broken",
            sql: "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
        },
    ];
    match migrations::migrate_with(&db, &broken) {
        Err(MigrationError::Failed { name, .. }) => assert_eq!(name, "0002_broken"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(migrations::current_version(&db).unwrap(), 0);
    assert!(
        db.run("SELECT * FROM a", &[]).is_err(),
        "the whole run rolled back"
    );
}

#[test]
fn a_database_newer_than_the_app_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    migrations::migrate(&db).unwrap();
    db.run(
        "INSERT INTO schema_version (version, name) VALUES (999, 'future')",
        &[],
    )
    .unwrap();
    assert!(matches!(
        migrations::migrate(&db),
        Err(MigrationError::DatabaseIsNewer { found: 999, .. })
    ));
}

#[test]
fn transactions_commit_or_roll_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    db.run("CREATE TABLE t (x INTEGER NOT NULL)", &[]).unwrap();
    sql::transaction(&db, || {
        db.run("INSERT INTO t VALUES (?1)", &[Value::Integer(1)])
    })
    .unwrap();
    let failed: Result<(), SqlError> = sql::transaction(&db, || {
        db.run("INSERT INTO t VALUES (2)", &[])?;
        db.run("INSERT INTO t VALUES (NULL)", &[])
    });
    assert!(failed.is_err());
    let rows = db.query("SELECT x FROM t", &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(1)]]);
}

mod cases_storage {
    use super::open;
    use stalking_response::cases::{self, Filter, UpdateRefused};
    use stalking_response::intake::{Classification, CrimeDecision, NewCase, NewOccurrence};
    use stalking_response::migrations;

    fn report(police_id: &str) -> NewCase {
        serde_json::from_value(serde_json::json!({
            "victim": { "name": "Alex Example" },
            "suspects": [{ "name": "Sam Sample", "police_id": police_id }],
            "relationship": "ex-partner",
            "domestic_abuse": true,
            "four": { "fixated": true, "obsessive": true, "unwanted": true, "repeated": true },
            "serious_alarm_or_distress": false,
            "occurrence": occurrence()
        }))
        .unwrap()
    }

    fn occurrence() -> serde_json::Value {
        serde_json::json!({
            "from": "2026-11-01T21:30:00Z", "location": "Home", "channel": "phone",
            "behaviours": ["contacting"], "description": "Forty calls in an hour.", "fear_of_violence": true
        })
    }

    fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir.path().join("app.db"));
        migrations::migrate(&db).unwrap();
        (dir, db)
    }

    const NOW: &str = "2026-11-29T10:00:00.000000Z";
    const DUE: &str = "2026-11-30T10:00:00.000000Z";

    #[test]
    fn a_case_round_trips_and_derives_its_suggestion() {
        let (_dir, db) = db();
        cases::create(&db, "c1", "INC/1", NOW, DUE, "1234", &report("P1")).unwrap();
        let case = cases::get(&db, "c1").unwrap().unwrap();
        assert_eq!(
            (case.version, case.status.as_str(), case.occurrences.len()),
            (1, "awaiting-decision", 1)
        );
        assert_eq!(case.suggestion.occasions, 1);
        assert!(case.stalking, "all four FOUR and contacting");
        assert!(cases::get(&db, "nope").unwrap().is_none());
    }

    #[test]
    fn updates_need_the_current_version_and_decisions_are_final() {
        let (_dir, db) = db();
        cases::create(&db, "c1", "INC/1", NOW, DUE, "1234", &report("P1")).unwrap();
        let occurrence: NewOccurrence = serde_json::from_value(occurrence()).unwrap();
        assert_eq!(
            cases::add_occurrence(&db, "c1", 5, NOW, "1234", &occurrence).unwrap(),
            Err(UpdateRefused::VersionMismatch(1))
        );
        assert_eq!(
            cases::add_occurrence(&db, "nope", 1, NOW, "1234", &occurrence).unwrap(),
            Err(UpdateRefused::NotFound)
        );
        cases::add_occurrence(&db, "c1", 1, NOW, "1234", &occurrence)
            .unwrap()
            .unwrap();
        let case = cases::get(&db, "c1").unwrap().unwrap();
        assert_eq!((case.version, case.occurrences[1].number), (2, 2));
        assert!(case.course_of_conduct);

        let decision = CrimeDecision::Recorded {
            principal: Classification::StalkingS4a,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        cases::record_decision(&db, "c1", 2, &decision, Some("F/2026/000001"), NOW, "1234")
            .unwrap()
            .unwrap();
        assert_eq!(
            cases::record_decision(&db, "c1", 3, &decision, Some("F/2026/000002"), NOW, "1234")
                .unwrap(),
            Err(UpdateRefused::AlreadyDecided)
        );
        let case = cases::get(&db, "c1").unwrap().unwrap();
        assert_eq!(case.crime_reference.as_deref(), Some("F/2026/000001"));
        assert_eq!(
            case.principal_classification.as_deref(),
            Some("stalking-s4a")
        );
    }

    #[test]
    fn reference_numbers_never_repeat() {
        let (_dir, db) = db();
        let numbers: Vec<i64> = (0..5)
            .map(|_| cases::next_reference_number(&db, "crime", "F", 2026).unwrap())
            .collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(
            cases::next_reference_number(&db, "crime", "F", 2027).unwrap(),
            1,
            "a new year starts again"
        );
        assert_eq!(
            cases::next_reference_number(&db, "incident", "F", 2026).unwrap(),
            1,
            "kinds are separate"
        );
    }

    #[test]
    fn lists_filter_and_suspects_link() {
        let (_dir, db) = db();
        cases::create(
            &db,
            "a",
            "INC/1",
            "2026-11-29T09:00:00.000000Z",
            "2026-11-30T09:00:00.000000Z",
            "1234",
            &report("P1"),
        )
        .unwrap();
        cases::create(
            &db,
            "b",
            "INC/2",
            "2026-11-29T10:00:00.000000Z",
            "2026-11-29T11:00:00.000000Z",
            "5678",
            &report("p-1"),
        )
        .unwrap();
        let ids = |filter: &Filter| -> Vec<String> {
            cases::list(&db, filter, "2026-11-29T12:00:00.000000Z", None, 10)
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(ids(&Filter::default()), ["b", "a"], "newest first");
        assert_eq!(
            ids(&Filter {
                overdue: true,
                ..Filter::default()
            }),
            ["b"]
        );
        assert_eq!(
            ids(&Filter {
                officer: Some("1234".into()),
                ..Filter::default()
            }),
            ["a"]
        );
        let page = cases::list(&db, &Filter::default(), NOW, Some("b"), 10).unwrap();
        assert_eq!(
            page.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        let a = cases::get(&db, "a").unwrap().unwrap();
        assert_eq!(a.suspects[0].linked_cases, ["b"]);
        assert!(a.linked_suspect);
    }
}

mod risk_storage {
    use super::open;
    use stalking_response::assessments::{self, plus_hours};
    use stalking_response::cases::{self, Case};
    use stalking_response::intake::NewCase;
    use stalking_response::migrations;
    use stalking_response::referrals::{self, Refused, Sharing};
    use stalking_response::risk::{self, Level, NewAssessment, NewReview, Policy};
    use stalking_response::sql::Sql;

    const NOW: &str = "2026-11-29T10:00:00.000000Z";

    fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir.path().join("app.db"));
        migrations::migrate(&db).unwrap();
        (dir, db)
    }

    /// A case for victim `dob` and suspect `police_id`, whose one occurrence was `from`.
    fn case(db: &rusqlite::Connection, id: &str, dob: &str, police_id: &str, from: &str) -> Case {
        let new: NewCase = serde_json::from_value(serde_json::json!({
            "victim": { "name": "Alex  Example", "date_of_birth": dob },
            "suspects": [{ "name": "Sam Sample", "police_id": police_id }],
            "relationship": "ex-partner", "domestic_abuse": true,
            "four": { "fixated": false, "obsessive": false, "unwanted": true, "repeated": false },
            "serious_alarm_or_distress": false,
            "occurrence": { "from": from, "location": "Home", "channel": "phone",
                "behaviours": ["contacting"], "description": "Calls.", "fear_of_violence": false }
        }))
        .unwrap();
        cases::create(db, id, &format!("INC/{id}"), NOW, NOW, "1234", &new).unwrap();
        cases::get(db, id).unwrap().unwrap()
    }

    fn dash(case_id: &str, yes: usize) -> NewAssessment {
        serde_json::from_value(crate::support::dash_body(case_id, yes)).unwrap()
    }

    fn assess(db: &rusqlite::Connection, id: &str, case: &Case, yes: usize, now: &str) {
        let policy = Policy::from_settings(|_| None).unwrap();
        let history = assessments::history(db, case, now, policy.escalation_window_days).unwrap();
        let new = dash(&case.id, yes);
        let instrument = risk::resolve(&new.instrument).unwrap();
        let evaluation = risk::evaluate(instrument, &new, &history, &policy).unwrap();
        let mut n = 0;
        let mut ids = || {
            n += 1;
            format!("{id}-r{n}")
        };
        assessments::insert(
            db,
            id,
            instrument,
            &new,
            &evaluation,
            &policy,
            now,
            "1234",
            &mut ids,
        )
        .unwrap();
    }

    #[test]
    fn escalation_counts_the_same_victim_and_suspect_within_the_window() {
        let (_dir, db) = db();
        case(&db, "a", "1990-01-01", "P1", "2026-03-01T10:00:00Z");
        case(&db, "b", "1990-01-01", "P1", "2026-06-01T10:00:00Z");
        case(&db, "old", "1990-01-01", "P1", "2025-06-01T10:00:00Z");
        case(
            &db,
            "other-victim",
            "1991-01-01",
            "P1",
            "2026-07-01T10:00:00Z",
        );
        case(
            &db,
            "other-suspect",
            "1990-01-01",
            "P2",
            "2026-07-01T10:00:00Z",
        );
        let c = case(&db, "c", "1990-01-01", "P1", "2026-11-20T10:00:00Z");
        let history = assessments::history(&db, &c, NOW, 365).unwrap();
        assert_eq!(
            history.pair_incidents, 3,
            "a, b and c; not old, not other pairs"
        );
        assert_eq!(history.occasions, 1);
        let short = assessments::history(&db, &c, NOW, 30).unwrap();
        assert_eq!(short.pair_incidents, 1);

        assess(&db, "x", &c, 0, NOW);
        let x = assessments::get(&db, "x", NOW).unwrap().unwrap();
        assert!(x.result.escalation, "{:?}", x.result.rules);
        assert_eq!(x.referrals.len(), 1);
        assert_eq!(
            (
                x.referrals[0].agency.as_str(),
                x.referrals[0].criteria.as_slice()
            ),
            ("marac", ["escalation".to_string()].as_slice())
        );
    }

    #[test]
    fn referrals_reviews_and_what_is_overdue() {
        let (_dir, db) = db();
        let c = case(&db, "c", "1990-01-01", "P1", "2026-11-20T10:00:00Z");
        assess(&db, "a1", &c, 14, NOW);
        let a1 = assessments::get(&db, "a1", NOW).unwrap().unwrap();
        assert_eq!(a1.level, Some(Level::High));
        let agencies: Vec<(&str, &str)> = a1
            .referrals
            .iter()
            .map(|r| (r.agency.as_str(), r.due_at.as_str()))
            .collect();
        assert_eq!(
            agencies,
            [
                ("mash", "2026-11-29T14:00:00.000000Z"),
                ("marac", "2026-12-01T10:00:00.000000Z")
            ]
        );
        assert_eq!(a1.review.review_by, "2026-12-06T10:00:00.000000Z");
        let sup = a1.supervisor_review.clone().unwrap();
        assert_eq!(
            (sup.due_at.as_str(), sup.done),
            ("2026-11-30T10:00:00.000000Z", false)
        );

        // A second assessment does not repeat open referrals, and supersedes the first.
        let later = "2026-11-29T11:00:00.000000Z";
        assess(&db, "a2", &c, 14, later);
        let a2 = assessments::get(&db, "a2", later).unwrap().unwrap();
        assert!(a2.referrals.is_empty());
        assert!(
            !assessments::get(&db, "a1", later)
                .unwrap()
                .unwrap()
                .review
                .current
        );

        // Next day: the MASH referral and the supervisor's review are overdue.
        let next_day = "2026-11-30T12:00:00.000000Z";
        let overdue = assessments::overdue(&db, next_day, 50).unwrap();
        assert_eq!(overdue.referrals.len(), 1, "{overdue:?}");
        assert_eq!(overdue.referrals[0].what, "MASH referral");
        assert_eq!(overdue.reviews.len(), 1);
        assert_eq!(overdue.reviews[0].id, "a2", "only the current assessment");
        assert!(overdue.assessments.is_empty());

        // A new occurrence marks the current assessment due for review.
        let occurrence = serde_json::from_value(serde_json::json!({
            "from": "2026-11-30T09:00:00Z", "location": "Work", "channel": "in-person",
            "behaviours": ["following"], "description": "Waited outside.", "fear_of_violence": true
        }))
        .unwrap();
        cases::add_occurrence(&db, "c", 1, next_day, "1234", &occurrence)
            .unwrap()
            .unwrap();
        let after = "2026-11-30T13:00:00.000000Z";
        let a2 = assessments::get(&db, "a2", after).unwrap().unwrap();
        assert!(a2.review.due);
        assert!(
            a2.review.reasons[0].starts_with("Occurrence 2 was recorded"),
            "{:?}",
            a2.review.reasons
        );
        assert_eq!(
            assessments::overdue(&db, after, 50)
                .unwrap()
                .assessments
                .len(),
            1
        );

        // A supervisor's review clears both and sets the next review date.
        let policy = Policy::from_settings(|_| None).unwrap();
        let review: NewReview = serde_json::from_value(serde_json::json!({
            "outcome": "agreed", "rationale": "Agreed with the officer; MARAC referral to go today."
        }))
        .unwrap();
        let mut ids = || "rv1".to_string();
        assessments::add_review(&db, "rv1", &a2, &review, &policy, after, "5678", &mut ids)
            .unwrap();
        let a2 = assessments::get(&db, "a2", after).unwrap().unwrap();
        assert!(!a2.review.due && a2.supervisor_review.as_ref().unwrap().done);
        assert_eq!(a2.review.review_by, plus_hours(after, 7 * 24));
        let overdue = assessments::overdue(&db, after, 50).unwrap();
        assert!(overdue.assessments.is_empty() && overdue.reviews.is_empty());

        // Assessments and reviews are never changed in place.
        assert!(
            db.run("UPDATE risk_assessments SET level = 'standard'", &[])
                .is_err()
        );
        assert!(db.run("DELETE FROM risk_reviews", &[]).is_err());
    }

    #[test]
    fn a_referral_is_sent_once_read_only_by_its_recipient_and_acknowledged_once() {
        let (_dir, db) = db();
        let c = case(&db, "c", "1990-01-01", "P1", "2026-11-20T10:00:00Z");
        assess(&db, "a1", &c, 10, NOW);
        let a1 = assessments::get(&db, "a1", NOW).unwrap().unwrap();
        let mash = a1.referrals[0].clone();
        assert_eq!(
            (mash.agency.as_str(), mash.recipient.as_str()),
            ("mash", "mash")
        );
        assert!(
            referrals::package_for(&db, &mash.id, "mash")
                .unwrap()
                .is_none(),
            "not sent yet"
        );
        let sharing: Sharing = serde_json::from_value(serde_json::json!({
            "basis": "public-interest", "victim_aware": false, "rationale": "Children at risk.",
        }))
        .unwrap();
        assert_eq!(
            referrals::validate_sharing(&sharing)[0].0,
            "/victim_not_aware_reason"
        );
        let package = referrals::package(&mash, &c, &a1, &sharing, "F", "1234", NOW);
        assert_eq!(package["risk"]["score"], 10);
        assert!(package.to_string().contains("Alex  Example"));
        assert!(
            !package.to_string().contains("Calls."),
            "no occurrence narrative"
        );
        referrals::send(&db, &mash.id, &sharing, &package, NOW, "1234")
            .unwrap()
            .unwrap();
        assert_eq!(
            referrals::send(&db, &mash.id, &sharing, &package, NOW, "1234").unwrap(),
            Err(Refused::WrongStatus("sent".into()))
        );
        assert!(
            referrals::package_for(&db, &mash.id, "marac")
                .unwrap()
                .is_none()
        );
        let got = referrals::package_for(&db, &mash.id, "mash")
            .unwrap()
            .unwrap();
        assert_eq!(got["status"], "sent");
        let listed = referrals::for_recipient(&db, "mash", None, None, 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            referrals::acknowledge(&db, &mash.id, "marac", NOW, "marac").unwrap(),
            Err(Refused::NotFound)
        );
        referrals::acknowledge(&db, &mash.id, "mash", NOW, "mash")
            .unwrap()
            .unwrap();
        assert_eq!(
            referrals::acknowledge(&db, &mash.id, "mash", NOW, "mash").unwrap(),
            Err(Refused::WrongStatus("acknowledged".into()))
        );
    }

    #[test]
    fn a_new_incident_after_a_marac_referral_is_a_repeat() {
        let (_dir, db) = db();
        let c = case(&db, "c", "1990-01-01", "P1", "2026-11-20T10:00:00Z");
        assess(&db, "a1", &c, 14, NOW);
        // The referral is sent and acknowledged; later a new incident is reported on another case.
        let marac = assessments::get(&db, "a1", NOW).unwrap().unwrap().referrals[1].clone();
        db.run(
            "UPDATE referrals SET status = 'acknowledged' WHERE id = ?1",
            &[marac.id.as_str().into()],
        )
        .unwrap();
        let later = "2026-12-10T10:00:00.000000Z";
        let d = {
            let new: NewCase = serde_json::from_value(serde_json::json!({
                "victim": { "name": "alex example", "date_of_birth": "1990-01-01" },
                "suspects": [{ "name": "Sam Sample", "police_id": "P1" }],
                "relationship": "ex-partner", "domestic_abuse": true,
                "four": { "fixated": false, "obsessive": false, "unwanted": true, "repeated": false },
                "serious_alarm_or_distress": false,
                "occurrence": { "from": "2026-12-09T10:00:00Z", "location": "Home", "channel": "phone",
                    "behaviours": ["contacting"], "description": "Calls.", "fear_of_violence": false }
            }))
            .unwrap();
            cases::create(&db, "d", "INC/d", later, later, "1234", &new).unwrap();
            cases::get(&db, "d").unwrap().unwrap()
        };
        assess(&db, "a2", &d, 2, later);
        let a2 = assessments::get(&db, "a2", later).unwrap().unwrap();
        assert_eq!(a2.level, Some(Level::Standard));
        assert_eq!(a2.referrals.len(), 1, "{:?}", a2.result.rules);
        assert_eq!(a2.referrals[0].criteria, ["repeat"]);
    }
}
