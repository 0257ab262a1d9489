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
