//! The storage code natively, through `rusqlite` behind the same SQL trait the components use.

use stalking_response::migrations::{self, Migration, MigrationError};
use stalking_response::sql::{self, Sql, SqlError, Value};

/// A test's fixed time as the storage takes it.
fn ts(text: &str) -> stalking_response::values::Timestamp {
    stalking_response::values::Timestamp::parse(text).expect("a test time")
}

fn open(path: &std::path::Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(path).unwrap();
    sql::prepare_connection(&db).unwrap();
    db
}

/// Cases recorded before people were records get them from 0012: one person per suspect link key,
/// one per victim with a name and date of birth, the first appearance new and the others linked (a
/// match on a name pending review), and the counts that make a serial perpetrator.
#[test]
fn the_people_migration_gives_earlier_cases_their_people_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    let before: Vec<Migration> = migrations::MIGRATIONS
        .iter()
        .filter(|m| m.version < 12)
        .copied()
        .collect();
    migrations::migrate_with(&db, &before).unwrap();
    let case = |id: &str, at: &str, victim: &str, dob: Option<&str>| {
        db.run(
            "INSERT INTO cases (id, incident_reference, reported_at, reported_by, relationship,
                 domestic_abuse, victim_name, victim_date_of_birth, four_fixated, four_obsessive,
                 four_unwanted, four_repeated, serious_alarm_or_distress, decision_due_at, status)
             VALUES (?1, ?1, ?2, '1234', 'stranger', 0, ?3, ?4, 1, 1, 1, 1, 0, ?2, 'awaiting-decision')",
            &[id.into(), at.into(), victim.into(), dob.map_or(Value::Null, Value::from)],
        )
        .unwrap();
    };
    let suspect = |case: &str, position: i64, name: &str, key: Option<&str>| {
        db.run(
            "INSERT INTO suspects (case_id, position, name, link_key) VALUES (?1, ?2, ?3, ?4)",
            &[
                case.into(),
                position.into(),
                name.into(),
                key.map_or(Value::Null, Value::from),
            ],
        )
        .unwrap();
    };
    case(
        "a",
        "2026-01-01T00:00:00Z",
        "Alex Example",
        Some("1990-04-01"),
    );
    case(
        "b",
        "2026-02-01T00:00:00Z",
        "alex example",
        Some("1990-04-01"),
    );
    case("c", "2026-03-01T00:00:00Z", "Bo Other", None);
    suspect("a", 0, "Sam Sample", Some("id:12345678A"));
    suspect("b", 0, "S Sample", Some("id:12345678A"));
    suspect("b", 1, "Unknown", None);
    suspect("c", 0, "Sam Sample", Some("id:12345678A"));
    migrations::migrate(&db).unwrap();

    let appearances: Vec<(String, String, i64, String, String, String)> = db
        .query(
            "SELECT case_id, category, position, person_id, basis, review FROM appearances
             ORDER BY case_id, category DESC, position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.text("case_id").unwrap(),
                r.text("category").unwrap(),
                r.integer("position").unwrap(),
                r.text("person_id").unwrap(),
                r.text("basis").unwrap(),
                r.text("review").unwrap(),
            )
        })
        .collect();
    let shown: Vec<(&str, &str, i64, &str, &str)> = appearances
        .iter()
        .map(|a| (a.0.as_str(), a.1.as_str(), a.2, a.4.as_str(), a.5.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("a", "victim", 0, "new", "not-needed"),
            ("a", "suspect", 0, "new", "not-needed"),
            ("b", "victim", 0, "name-and-date-of-birth", "pending"),
            ("b", "suspect", 0, "police-id", "not-needed"),
            ("b", "suspect", 1, "new", "not-needed"),
            ("c", "victim", 0, "new", "not-needed"),
            ("c", "suspect", 0, "police-id", "not-needed"),
        ]
    );
    let person = |i: usize| appearances[i].3.as_str();
    assert_eq!(person(0), person(2), "the same victim");
    assert_eq!(person(1), person(3));
    assert_eq!(person(1), person(6), "the same suspect in three cases");
    let counts = db
        .query(
            "SELECT suspect_cases, victims, link_key FROM people WHERE id = ?1",
            &[person(1).into()],
        )
        .unwrap();
    let row = counts.first_row().unwrap();
    assert_eq!(row.integer("suspect_cases").unwrap(), 3);
    assert_eq!(row.integer("victims").unwrap(), 2, "Alex twice, Bo once");
    assert_eq!(
        db.query(
            "SELECT COUNT(*) AS n FROM people WHERE link_key LIKE 'unlinked:%'",
            &[]
        )
        .unwrap()
        .first_integer("n"),
        Some(0),
        "the temporary keys are gone"
    );
    assert_eq!(
        db.query("SELECT COUNT(*) AS n FROM people", &[])
            .unwrap()
            .first_integer("n"),
        Some(4),
        "Alex, Bo, Sam and the unknown suspect"
    );
}

/// Cases recorded before retention get their group and clear period from 0017's rule, which agrees
/// with `retention::derive_group`; the triggers keep them current; assessments stay unchangeable
/// except once their case is marked disposed.
#[test]
fn the_retention_migration_gives_earlier_cases_their_group_and_clear_period() {
    use stalking_response::cases::classification::Classification;
    use stalking_response::cases::decision::CaseStatus;
    use stalking_response::retention::{Facts, ReviewGroup, derive_group};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    let before: Vec<Migration> = migrations::MIGRATIONS
        .iter()
        .filter(|m| m.version < 17)
        .copied()
        .collect();
    migrations::migrate_with(&db, &before).unwrap();
    let case = |id: &str,
                at: &str,
                domestic: i64,
                status: &str,
                principal: Option<&str>,
                included: Option<&str>| {
        db.run(
            "INSERT INTO cases (id, incident_reference, reported_at, reported_by, relationship,
                 domestic_abuse, victim_name, victim_date_of_birth, four_fixated, four_obsessive,
                 four_unwanted, four_repeated, serious_alarm_or_distress, decision_due_at, status,
                 principal_classification, included_classifications, decided_at)
             VALUES (?1, ?1, ?2, '1234', 'stranger', ?3, 'V', NULL, 1, 1, 1, 1, 0, ?2, ?4, ?5, ?6,
                     CASE WHEN ?4 = 'awaiting-decision' THEN NULL ELSE ?2 END)",
            &[
                id.into(),
                at.into(),
                domestic.into(),
                status.into(),
                principal.map_or(Value::Null, Value::from),
                included.map_or(Value::Null, Value::from),
            ],
        )
        .unwrap();
    };
    case(
        "stalking",
        "2015-03-01T10:00:00Z",
        0,
        "recorded",
        Some("stalking-s2a"),
        Some("[]"),
    );
    case(
        "included",
        "2016-03-01T10:00:00Z",
        0,
        "recorded",
        Some("assault"),
        Some("[\"stalking-s4a\"]"),
    );
    case(
        "s2",
        "2017-03-01T10:00:00Z",
        0,
        "recorded",
        Some("harassment-s2"),
        Some("[]"),
    );
    case(
        "domestic-no-crime",
        "2018-03-01T10:00:00Z",
        1,
        "no-crime",
        None,
        None,
    );
    case(
        "high",
        "2019-03-01T10:00:00Z",
        0,
        "awaiting-decision",
        None,
        None,
    );
    db.run(
        "INSERT INTO occurrences (case_id, number, recorded_at, recorded_by, occurred_from, location,
             channel, behaviours, description, fear_of_violence, breach_of_order)
         VALUES ('stalking', 2, '2016-05-04T09:00:00Z', '1234', '2016-05-01T09:00:00Z', 'L', 'in-person',
                 '[]', 'D', 0, 0)",
        &[],
    )
    .unwrap();
    db.run(
        "INSERT INTO risk_assessments (id, case_id, instrument_id, instrument_version, purpose,
             assessed_at, assessed_by, answers, evaluation, level, review_by)
         VALUES ('a1', 'high', 'dash', '2009-police', 'risk', '2020-07-08T09:00:00Z', '1234', '{\"q1\":\"yes\"}',
                 '{}', 'high', '2020-07-15')",
        &[],
    )
    .unwrap();
    migrations::migrate(&db).unwrap();

    let stored = |id: &str| -> (i64, String) {
        stalking_response::facts::settled(&db).unwrap();
        let rows = db
            .query(
                "SELECT review_group, clear_from FROM retention WHERE case_id = ?1",
                &[id.into()],
            )
            .unwrap();
        let row = rows.first_row().expect("a retention row");
        (
            row.integer("review_group").unwrap(),
            row.text("clear_from").unwrap(),
        )
    };
    assert_eq!(
        stored("stalking"),
        (2, "2016-05-04".into()),
        "the last occurrence"
    );
    assert_eq!(stored("included"), (2, "2016-03-01".into()));
    assert_eq!(stored("s2"), (3, "2017-03-01".into()));
    assert_eq!(stored("domestic-no-crime"), (3, "2018-03-01".into()));
    assert_eq!(stored("high"), (1, "2020-07-08".into()), "the assessment");

    // The SQL rule agrees with the Rust one on each.
    let recorded = |principal, included: Vec<Classification>, domestic| Facts {
        status: Some(CaseStatus::Recorded),
        principal: Some(principal),
        included,
        domestic_abuse: domestic,
        ..Facts::default()
    };
    for (id, facts) in [
        (
            "stalking",
            recorded(Classification::StalkingS2a, vec![], false),
        ),
        (
            "included",
            recorded(
                Classification::Assault,
                vec![Classification::StalkingS4a],
                false,
            ),
        ),
        ("s2", recorded(Classification::HarassmentS2, vec![], false)),
        (
            "domestic-no-crime",
            Facts {
                status: Some(CaseStatus::NoCrime),
                domestic_abuse: true,
                ..Facts::default()
            },
        ),
        (
            "high",
            Facts {
                high_risk: true,
                ..Facts::default()
            },
        ),
    ] {
        assert_eq!(
            ReviewGroup::from_number(stored(id).0),
            Some(derive_group(&facts)),
            "{id}"
        );
    }

    // Kept as records are written: a new case gets its row; activity moves the clear period.
    case(
        "new",
        "2026-01-02T10:00:00Z",
        0,
        "awaiting-decision",
        None,
        None,
    );
    assert_eq!(stored("new"), (3, "2026-01-02".into()));
    db.run(
        "INSERT INTO occurrences (case_id, number, recorded_at, recorded_by, occurred_from, location,
             channel, behaviours, description, fear_of_violence, breach_of_order)
         VALUES ('new', 2, '2026-02-03T09:00:00Z', '1234', '2026-02-01T09:00:00Z', 'L', 'in-person',
                 '[]', 'D', 0, 0)",
        &[],
    )
    .unwrap();
    assert_eq!(stored("new"), (3, "2026-02-03".into()));
    db.run(
        "UPDATE cases SET status = 'recorded', principal_classification = 'threats-to-kill',
             decided_at = '2026-02-04T00:00:00Z' WHERE id = 'new'",
        &[],
    )
    .unwrap();
    assert_eq!(stored("new"), (2, "2026-02-04".into()));

    // Assessments are not changed, unless their case is marked disposed.
    let erase = || {
        db.run(
            "UPDATE risk_assessments SET answers = '{}' WHERE id = 'a1'",
            &[],
        )
    };
    assert!(erase().is_err());
    db.run(
        "UPDATE retention SET disposed_at = '2031-01-01T00:00:00Z' WHERE case_id = 'high'",
        &[],
    )
    .unwrap();
    erase().unwrap();
    assert!(
        db.run("DELETE FROM risk_assessments WHERE id = 'a1'", &[])
            .is_err(),
        "nor removed"
    );
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
    assert_eq!(
        rows.first_integer("n"),
        Some(migrations::MIGRATIONS.len() as i64)
    );
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

/// A database that refuses every pragma, as a remote libSQL server refuses file pragmas and
/// `journal_mode`: the rest of the SQL goes to a real SQLite file.
struct NoPragmas(rusqlite::Connection);

impl Sql for NoPragmas {
    fn query_once(&self, statement: &str, params: &[Value]) -> Result<sql::Rows, SqlError> {
        if statement.to_ascii_lowercase().contains("pragma") {
            return Err(SqlError("not authorized to use PRAGMA".into()));
        }
        self.0.query_once(statement, params)
    }
}

#[test]
fn a_database_that_refuses_pragmas_is_used_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = NoPragmas(rusqlite::Connection::open(dir.path().join("app.db")).unwrap());
    sql::prepare_connection(&db).expect("a refused pragma is not an error");
    let latest = migrations::latest_version();
    assert_eq!(migrations::migrate(&db).unwrap(), latest);
    let counted = sql::Counting::new(db);
    assert_eq!(migrations::migrate(&counted).unwrap(), latest, "and again");
    assert_eq!(
        counted.take().len(),
        2,
        "once migrated: the refused read of the version and journal mode, then the version alone"
    );
    let db = NoPragmas(rusqlite::Connection::open(dir.path().join("app.db")).unwrap());
    sql::transaction(&db, || {
        db.run(
            "INSERT INTO idempotency_keys (principal, key, request_hash, status, response, created_at)
             VALUES ('p', 'k', 'h', 201, '{}', '2026-01-01T00:00:00Z')",
            &[],
        )
    })
    .unwrap();
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
    assert_eq!(
        rows.first_integer("n"),
        Some(migrations::MIGRATIONS.len() as i64)
    );
}

#[test]
fn a_failing_migration_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    let broken = [
        Migration {
            version: 1,
            name: "0001_ok",
            sql: migrations::Script::Text("CREATE TABLE a (x INTEGER);"),
        },
        Migration {
            version: 2,
            name: "0002_broken",
            sql: migrations::Script::Text(
                "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
            ),
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
    use crate::cid;
    use stalking_response::cases::classification::Classification;
    use stalking_response::cases::decision::CrimeDecision;
    use stalking_response::cases::intake::{NewCase, NewOccurrence};
    use stalking_response::cases::store::{self as cases, Filter, UpdateRefused};
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

    /// A write only marks its case (migration 0021); the facts kept beside it are worked out when next
    /// read, by the reader (`facts::settled`), and the mark is cleared.
    #[test]
    fn a_write_marks_its_case_and_a_reader_settles_its_facts() {
        let (_dir, db) = db();
        let id = cid("c1");
        cases::create(
            &db,
            &id,
            "INC/1",
            NOW,
            DUE,
            "1234",
            &report("P1"),
            &crate::storage::new_person_id,
        )
        .unwrap();
        let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT COUNT(*) FROM facts_pending"), 1);
        assert_eq!(
            count("SELECT COUNT(*) FROM case_compliance"),
            0,
            "nothing worked out by the write"
        );
        stalking_response::facts::settled(&db).unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM facts_pending"), 0);
        let facts: (String, String) = db
            .query_row("SELECT decision_due_at, clear_from FROM case_compliance JOIN retention USING (case_id)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(facts, (DUE.to_string(), NOW[..10].to_string()));

        // An edit made past the app marks the case too, and the next reader follows it.
        db.execute(
            "UPDATE cases SET decision_due_at = '2026-12-01T10:00:00.000000Z' WHERE id = ?1",
            [id.as_str()],
        )
        .unwrap();
        stalking_response::facts::settled(&db).unwrap();
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM case_compliance WHERE decision_due_at = '2026-12-01T10:00:00.000000Z'"
            ),
            1
        );
    }

    #[test]
    fn a_case_round_trips_and_derives_its_suggestion() {
        let (_dir, db) = db();
        let (_, created) = cases::create(
            &db,
            &cid("c1"),
            "INC/1",
            NOW,
            DUE,
            "1234",
            &report("P1"),
            &crate::storage::new_person_id,
        )
        .unwrap();
        let case = cases::get(&db, &cid("c1")).unwrap().unwrap();
        assert_eq!(created, case, "the case returned is the case stored");
        assert_eq!(
            (case.version, case.status.as_str(), case.occurrences.len()),
            (1, "awaiting-decision", 1)
        );
        assert_eq!(case.suggestion.occasions, 1);
        assert!(case.stalking, "all four FOUR and contacting");
        assert!(cases::get(&db, &cid("nope")).unwrap().is_none());
    }

    #[test]
    fn updates_need_the_current_version_and_decisions_are_final() {
        let (_dir, db) = db();
        cases::create(
            &db,
            &cid("c1"),
            "INC/1",
            NOW,
            DUE,
            "1234",
            &report("P1"),
            &crate::storage::new_person_id,
        )
        .unwrap();
        let occurrence: NewOccurrence = serde_json::from_value(occurrence()).unwrap();
        assert_eq!(
            cases::add_occurrence(&db, &cid("c1"), 5, NOW, "1234", &occurrence).unwrap(),
            Err(UpdateRefused::VersionMismatch(1))
        );
        assert_eq!(
            cases::add_occurrence(&db, &cid("nope"), 1, NOW, "1234", &occurrence).unwrap(),
            Err(UpdateRefused::NotFound)
        );
        cases::add_occurrence(&db, &cid("c1"), 1, NOW, "1234", &occurrence)
            .unwrap()
            .unwrap();
        let case = cases::get(&db, &cid("c1")).unwrap().unwrap();
        assert_eq!((case.version, case.occurrences[1].number), (2, 2));
        assert!(case.course_of_conduct);

        let decision = CrimeDecision::Recorded {
            principal: Classification::StalkingS4a,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        cases::record_decision(
            &db,
            &cid("c1"),
            2,
            &decision,
            Some("F/2026/000001"),
            NOW,
            "1234",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            cases::record_decision(
                &db,
                &cid("c1"),
                3,
                &decision,
                Some("F/2026/000002"),
                NOW,
                "1234"
            )
            .unwrap(),
            Err(UpdateRefused::AlreadyDecided)
        );
        let case = cases::get(&db, &cid("c1")).unwrap().unwrap();
        assert_eq!(case.crime_reference.as_deref(), Some("F/2026/000001"));
        assert_eq!(
            case.principal_classification.map(Classification::as_str),
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
            &cid("a"),
            "INC/1",
            "2026-11-29T09:00:00.000000Z",
            "2026-11-30T09:00:00.000000Z",
            "1234",
            &report("P1"),
            &crate::storage::new_person_id,
        )
        .unwrap();
        let (_, b) = cases::create(
            &db,
            &cid("b"),
            "INC/2",
            "2026-11-29T10:00:00.000000Z",
            "2026-11-29T11:00:00.000000Z",
            "5678",
            &report("p-1"),
            &crate::storage::new_person_id,
        )
        .unwrap();
        // Built from what was written, links included, yet the same as read back.
        assert!(b.linked_suspect && b.suspects[0].linked_cases == ["a"]);
        assert_eq!(Some(b), cases::get(&db, &cid("b")).unwrap());
        let ids = |filter: &Filter| -> Vec<String> {
            cases::list(&db, filter, "2026-11-29T12:00:00.000000Z", None, 10)
                .unwrap()
                .into_iter()
                .map(|c| c.id.into())
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
        let a = cases::get(&db, &cid("a")).unwrap().unwrap();
        assert_eq!(a.suspects[0].linked_cases, ["b"]);
        assert!(a.linked_suspect);
    }
}

mod risk_storage {
    use super::{open, ts};
    use crate::{cid, parsed};
    use stalking_response::cases::case::Case;
    use stalking_response::cases::intake::NewCase;
    use stalking_response::cases::store as cases;
    use stalking_response::migrations;
    use stalking_response::risk::referrals::{self, ReferralStatus, Sharing};
    use stalking_response::risk::scoring::{self as risk, Level, NewAssessment, NewReview, Policy};
    use stalking_response::risk::store::assessments;
    use stalking_response::risk::store::referrals::{self as referral_store, Refused};
    use stalking_response::sql::{Sql, Writer};
    use stalking_response::values::plus_hours;

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
        cases::create(
            db,
            &cid(id),
            &format!("INC/{id}"),
            NOW,
            NOW,
            "1234",
            &new,
            &crate::storage::new_person_id,
        )
        .unwrap();
        cases::get(db, &cid(id)).unwrap().unwrap()
    }

    fn dash(case_id: &str, yes: usize) -> NewAssessment {
        serde_json::from_value(crate::support::dash_body(case_id, yes)).unwrap()
    }

    fn assess(db: &rusqlite::Connection, id: &str, case: &Case, yes: usize, now: &str) {
        let policy = Policy::from_settings(|_| None).unwrap();
        let history =
            assessments::history(db, case, &ts(now), policy.escalation_window_days).unwrap();
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
            &parsed(id),
            instrument,
            &new,
            &evaluation,
            &policy,
            &mut Writer {
                now: &ts(now),
                by: "1234",
                new_id: &mut ids,
            },
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
        let history = assessments::history(&db, &c, &ts(NOW), 365).unwrap();
        assert_eq!(
            history.pair_incidents, 3,
            "a, b and c; not old, not other pairs"
        );
        assert_eq!(history.occasions, 1);
        let short = assessments::history(&db, &c, &ts(NOW), 30).unwrap();
        assert_eq!(short.pair_incidents, 1);

        assess(&db, "x", &c, 0, NOW);
        let x = assessments::get(&db, &parsed("x"), NOW).unwrap().unwrap();
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
        let a1 = assessments::get(&db, &parsed("a1"), NOW).unwrap().unwrap();
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
        let a2 = assessments::get(&db, &parsed("a2"), later)
            .unwrap()
            .unwrap();
        assert!(a2.referrals.is_empty());
        assert!(
            !assessments::get(&db, &parsed("a1"), later)
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
        cases::add_occurrence(&db, &cid("c"), 1, next_day, "1234", &occurrence)
            .unwrap()
            .unwrap();
        let after = "2026-11-30T13:00:00.000000Z";
        let a2 = assessments::get(&db, &parsed("a2"), after)
            .unwrap()
            .unwrap();
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
        assessments::add_review(
            &db,
            "rv1",
            &a2,
            &review,
            &policy,
            &mut Writer {
                now: &ts(after),
                by: "5678",
                new_id: &mut ids,
            },
        )
        .unwrap();
        let a2 = assessments::get(&db, &parsed("a2"), after)
            .unwrap()
            .unwrap();
        assert!(!a2.review.due && a2.supervisor_review.as_ref().unwrap().done);
        assert_eq!(
            a2.review.review_by.as_str(),
            plus_hours(after, 7 * 24).unwrap()
        );
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
        let a1 = assessments::get(&db, &parsed("a1"), NOW).unwrap().unwrap();
        let mash = a1.referrals[0].clone();
        assert_eq!(
            (mash.agency.as_str(), mash.recipient.as_str()),
            ("mash", "mash")
        );
        assert!(
            referral_store::package_for(&db, &mash.id, "mash")
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
        let package = referrals::package(&mash, &c, a1.assessed(), &sharing, "F", "1234", NOW);
        assert_eq!(package["risk"]["score"], 10);
        assert!(package.to_string().contains("Alex  Example"));
        assert!(
            !package.to_string().contains("Calls."),
            "no occurrence narrative"
        );
        referral_store::send(&db, &mash.id, &sharing, &package, NOW, "1234")
            .unwrap()
            .unwrap();
        assert_eq!(
            referral_store::send(&db, &mash.id, &sharing, &package, NOW, "1234").unwrap(),
            Err(Refused::WrongStatus(ReferralStatus::Sent))
        );
        assert!(
            referral_store::package_for(&db, &mash.id, "marac")
                .unwrap()
                .is_none()
        );
        let got = referral_store::package_for(&db, &mash.id, "mash")
            .unwrap()
            .unwrap();
        assert_eq!(got["status"], "sent");
        let listed = referral_store::for_recipient(&db, "mash", None, None, 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            referral_store::acknowledge(&db, &mash.id, "marac", NOW, "marac").unwrap(),
            Err(Refused::NotFound)
        );
        referral_store::acknowledge(&db, &mash.id, "mash", NOW, "mash")
            .unwrap()
            .unwrap();
        assert_eq!(
            referral_store::acknowledge(&db, &mash.id, "mash", NOW, "mash").unwrap(),
            Err(Refused::WrongStatus(ReferralStatus::Acknowledged))
        );
    }

    #[test]
    fn a_new_incident_after_a_marac_referral_is_a_repeat() {
        let (_dir, db) = db();
        let c = case(&db, "c", "1990-01-01", "P1", "2026-11-20T10:00:00Z");
        assess(&db, "a1", &c, 14, NOW);
        // The referral is sent and acknowledged; later a new incident is reported on another case.
        let marac = assessments::get(&db, &parsed("a1"), NOW)
            .unwrap()
            .unwrap()
            .referrals[1]
            .clone();
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
            cases::create(
                &db,
                &cid("d"),
                "INC/d",
                later,
                later,
                "1234",
                &new,
                &crate::storage::new_person_id,
            )
            .unwrap();
            cases::get(&db, &cid("d")).unwrap().unwrap()
        };
        assess(&db, "a2", &d, 2, later);
        let a2 = assessments::get(&db, &parsed("a2"), later)
            .unwrap()
            .unwrap();
        assert_eq!(a2.level, Some(Level::Standard));
        assert_eq!(a2.referrals.len(), 1, "{:?}", a2.result.rules);
        assert_eq!(a2.referrals[0].criteria, ["repeat"]);
    }
}

/// What a page of 50 costs: a constant number of statements, whatever the page holds (cases with
/// shared suspects and several occurrences, searches, assessments), and the same results as working
/// each row out on its own.
mod pages {
    use super::{open, ts};
    use crate::{cid, parsed};
    use stalking_response::cases::classification::Classification;
    use stalking_response::cases::decision::CrimeDecision;
    use stalking_response::cases::intake::{NewCase, NewOccurrence};
    use stalking_response::cases::store::{self as cases, LINKED_CASES_LISTED};
    use stalking_response::ids::CaseId;
    use stalking_response::migrations;
    use stalking_response::risk::scoring::{self as risk, Level, NewAssessment, NewReview, Policy};
    use stalking_response::risk::store::assessments::{self, Assessment, Overdue, OverdueItem};
    use stalking_response::searches::store::{self as search_records, Filter, Search};
    use stalking_response::searches::{self, CaseFacts, Compliance, Power, SearchRecord, Status};
    use stalking_response::sql::{Counting, Sql, Writer};
    use stalking_response::values::timestamp;
    use time::OffsetDateTime;
    use time::macros::datetime;

    const N: usize = 60;
    const PAGE: i64 = 50;
    /// The most statements a page of any list or report may cost.
    const MOST: usize = 6;
    const START: OffsetDateTime = datetime!(2026-09-01 09:00 UTC);

    type Db = Counting<rusqlite::Connection>;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Counting::new(open(&dir.path().join("app.db")));
        migrations::migrate(&db).unwrap();
        db.take();
        (dir, db)
    }

    fn at(t: OffsetDateTime) -> String {
        timestamp(t)
    }

    fn minutes(n: usize) -> OffsetDateTime {
        START + time::Duration::minutes(n as i64)
    }

    /// Runs `work` and returns what it gave and how many statements it ran.
    fn counted<T>(db: &Db, what: &str, work: impl FnOnce() -> T) -> T {
        db.take();
        let value = work();
        let statements = db.take();
        println!("{what}: {} statements", statements.len());
        assert!(
            statements.len() <= MOST,
            "{what}: {} statements: {statements:#?}",
            statements.len()
        );
        value
    }

    fn case_id(i: usize) -> stalking_response::ids::CaseId {
        cid(&format!("case-{i:02}"))
    }

    /// 60 cases, all sharing one suspect (and each with one of its own); every other one with a second
    /// occurrence; every third one showing stalking; every fourth decided (not as stalking).
    fn seed_cases(db: &Db) {
        for i in 0..N {
            let all_four = i.is_multiple_of(3);
            let new: NewCase = serde_json::from_value(serde_json::json!({
                "victim": { "name": "Alex Example", "date_of_birth": "1990-01-01" },
                "suspects": [
                    { "name": "Sam Sample", "police_id": "P1" },
                    { "name": format!("Other {i}"), "police_id": format!("Q{i}") }
                ],
                "relationship": "ex-partner", "domestic_abuse": true,
                "four": { "fixated": all_four, "obsessive": all_four, "unwanted": true, "repeated": all_four },
                "serious_alarm_or_distress": false,
                "occurrence": { "from": at(minutes(i) - time::Duration::days(1)), "location": "Home",
                    "channel": "phone", "behaviours": [if all_four { "contacting" } else { "threats" }],
                    "description": "Calls.",
                    "fear_of_violence": false }
            }))
            .unwrap();
            let now = at(minutes(i));
            let due = at(minutes(i) + time::Duration::hours(24));
            let officer = if i.is_multiple_of(2) { "1234" } else { "5678" };
            let id = case_id(i);
            cases::create(
                db,
                &id,
                &format!("INC/{i}"),
                &now,
                &due,
                officer,
                &new,
                &crate::storage::new_person_id,
            )
            .unwrap();
            if i.is_multiple_of(2) {
                cases::add_occurrence(db, &id, 1, &now, officer, &occurrence(&now, "abuse"))
                    .unwrap()
                    .unwrap();
            }
            if i.is_multiple_of(4) {
                let decision = CrimeDecision::Recorded {
                    principal: Classification::HarassmentS2,
                    included: vec![Classification::MaliciousCommunications],
                    stalking_ruled_out_reason: Some("Not yet a course of conduct.".into()),
                };
                cases::record_decision(
                    db,
                    &id,
                    2,
                    &decision,
                    Some(&format!("CR/{i}")),
                    &now,
                    "1234",
                )
                .unwrap()
                .unwrap();
            }
        }
    }

    fn occurrence(from: &str, behaviour: &str) -> NewOccurrence {
        serde_json::from_value(serde_json::json!({
            "from": from, "location": "Work", "channel": "in-person",
            "behaviours": [behaviour], "description": "Waited outside.", "fear_of_violence": false
        }))
        .unwrap()
    }

    #[test]
    fn a_suspect_linked_to_many_cases_is_counted_and_the_first_few_listed() {
        let (_dir, db) = db();
        seed_cases(&db);
        let case = counted(&db, "one case", || {
            cases::get(&db, &case_id(30)).unwrap().unwrap()
        });
        let shared = &case.suspects[0];
        assert_eq!(shared.linked_case_count, (N - 1) as i64);
        let first: Vec<CaseId> = (0..=cases::LINKED_CASES_LISTED)
            .map(case_id)
            .filter(|id| *id != case_id(30))
            .take(cases::LINKED_CASES_LISTED)
            .collect();
        assert_eq!(shared.linked_cases, first);
        assert_eq!(case.suspects[1].linked_case_count, 0);
        // The first case, itself among the first by id, lists the next twenty.
        let zero = cases::get(&db, &case_id(0)).unwrap().unwrap();
        assert_eq!(
            zero.suspects[0].linked_cases,
            (1..=cases::LINKED_CASES_LISTED)
                .map(case_id)
                .collect::<Vec<_>>()
        );
        // The counts are kept as suspects are written, and a case counts once.
        let stored: i64 = db
            .query(
                "SELECT suspect_cases AS cases FROM people ORDER BY suspect_cases DESC LIMIT 1",
                &[],
            )
            .unwrap()
            .first_integer("cases")
            .unwrap();
        assert_eq!(stored, N as i64);
    }

    #[test]
    fn linked_cases_are_paged_by_id_each_page_a_few_statements() {
        let (_dir, db) = db();
        seed_cases(&db);
        let mut shown = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = counted(&db, "linked cases, a page", || {
                cases::linked(db.inner(), &case_id(30), after.as_deref(), 25)
                    .unwrap()
                    .unwrap()
            });
            assert!(page.len() <= 25);
            shown.extend(page.iter().map(|c| c.id.clone()));
            if page.len() < 25 {
                break;
            }
            after = page.last().map(|c| c.id.to_string());
        }
        let others: Vec<CaseId> = (0..N).filter(|i| *i != 30).map(case_id).collect();
        assert_eq!(shown, others, "every other case, once each, in id order");
        assert_eq!(
            cases::linked(db.inner(), &cid("nothing"), None, 25).unwrap(),
            None
        );
    }

    #[test]
    fn a_page_of_cases_costs_four_statements() {
        let (_dir, db) = db();
        seed_cases(&db);
        let now = at(minutes(N) + time::Duration::hours(25));
        let page = counted(&db, "cases, page 1", || {
            cases::list(&db, &cases::Filter::default(), &now, None, PAGE).unwrap()
        });
        let ids: Vec<CaseId> = page.iter().map(|c| c.id.clone()).collect();
        let newest_first: Vec<CaseId> = (10..N).rev().map(case_id).collect();
        assert_eq!(ids, newest_first);
        let rest = counted(&db, "cases, page 2", || {
            cases::list(
                &db,
                &cases::Filter::default(),
                &now,
                ids.last().map(|id| id.as_str()),
                PAGE,
            )
            .unwrap()
        });
        assert_eq!(
            rest.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            (0..10).rev().map(case_id).collect::<Vec<_>>()
        );
        let all: Vec<CaseId> = (0..N).map(case_id).collect();
        let stalking = counted(&db, "stalking of 60 cases", || {
            cases::stalking(&db, &all.iter().map(|id| id.as_str()).collect::<Vec<_>>()).unwrap()
        });
        assert_eq!(stalking.len(), N);
        assert!(stalking.values().any(|s| *s) && stalking.values().any(|s| !*s));
        for case in page.iter().chain(&rest) {
            let i: usize = case.id[5..].parse().unwrap();
            assert_eq!(
                Some(case),
                cases::get(db.inner(), &case.id).unwrap().as_ref()
            );
            // The shared suspect: the first linked cases by id, and how many there are in all.
            let others: Vec<CaseId> = (0..N).filter(|j| *j != i).map(case_id).collect();
            let shared = &case.suspects[0];
            assert_eq!(shared.name, "Sam Sample");
            assert_eq!(shared.linked_cases, others[..LINKED_CASES_LISTED]);
            assert_eq!(shared.linked_case_count, N as i64 - 1);
            let own = &case.suspects[1];
            assert_eq!(
                (own.name.clone(), own.linked_case_count),
                (format!("Other {i}"), 0)
            );
            assert!(own.linked_cases.is_empty() && case.linked_suspect);
            let numbers: Vec<i64> = case.occurrences.iter().map(|o| o.number).collect();
            assert_eq!(
                numbers,
                if i.is_multiple_of(2) {
                    vec![1, 2]
                } else {
                    vec![1]
                }
            );
            assert_eq!(
                Some(&case.stalking),
                stalking.get(case.id.as_str()),
                "{}",
                case.id
            );
            assert_eq!(case.stalking, i.is_multiple_of(3), "{}", case.id);
            assert_eq!(
                case.status.as_str(),
                if i.is_multiple_of(4) {
                    "recorded"
                } else {
                    "awaiting-decision"
                }
            );
        }
        // Filters stay in SQL.
        let count = |filter: cases::Filter| {
            counted(&db, "cases, filtered", || {
                cases::list(&db, &filter, &now, None, 100).unwrap().len()
            })
        };
        assert_eq!(
            count(cases::Filter {
                classification: Some("malicious-communications".into()),
                ..Default::default()
            }),
            N / 4
        );
        assert_eq!(
            count(cases::Filter {
                officer: Some("5678".into()),
                ..Default::default()
            }),
            N / 2
        );
        assert_eq!(
            count(cases::Filter {
                overdue: true,
                ..Default::default()
            }),
            N - N / 4
        );
        // Reading one case costs the same however many cases share its suspect.
        counted(&db, "one case", || {
            cases::get(&db, &cid("case-07")).unwrap()
        });
        // The same victim and suspect across every case: the escalation history sees all 60.
        let case = cases::get(db.inner(), &cid("case-07")).unwrap().unwrap();
        let history = counted(&db, "history", || {
            assessments::history(&db, &case, &ts(&at(minutes(N))), 3650).unwrap()
        });
        assert_eq!(history.pair_incidents as usize, N + N / 2);
    }

    /// A s.2B search on case `i`, applied for `i / 2` days after the start (so pairs share a day):
    /// complete; granted and not executed; executed and not returned; or refused.
    fn search(i: usize) -> SearchRecord {
        let day = START + time::Duration::days((i / 2) as i64);
        let t = |hours: i64| at(day + time::Duration::hours(hours));
        let mut record = serde_json::json!({
            "case_id": case_id(i),
            "power": "pha-s2b-warrant",
            "premises": { "address": "1 Example Street, Northtown" },
            "application": {
                "applicant": { "id": "1234", "rank": "constable" },
                "authorised_by": { "id": "77", "rank": "inspector" },
                "authorised_at": t(0),
                "grounds": "Suspected s.2A stalking.",
                "articles_sought": ["Mobile phones"],
                "entries": "single",
                "court": "Northtown Magistrates' Court",
                "applied_at": t(0)
            },
            "decision": { "outcome": "granted", "decided_at": t(1) },
            "warrant": { "reference": format!("NT/W/{i}"), "issued_on": day.date().to_string() },
            "execution": {
                "started_at": t(48), "ended_at": t(49),
                "officer_in_charge": { "id": "1234", "rank": "constable" },
                "officers": [{ "id": "5678", "rank": "constable" }],
                "people_on_premises": ["The suspect"],
                "occupier_present": true,
                "seized": [{ "description": "Phone", "exhibit_reference": "AB/1", "within_authority": true }],
                "sought_found": true, "force_used": false, "notice": { "given": true }
            },
            "endorsement": { "endorsed_at": t(50), "by": "1234" },
            "returned_to_court": { "returned_at": t(72), "by": "1234" },
            "register": { "station": "Northtown", "entry": format!("SR/{i}") }
        });
        let fields = record.as_object_mut().unwrap();
        match i % 4 {
            0 => {}
            1 => {
                for stage in ["execution", "endorsement", "returned_to_court", "register"] {
                    fields.remove(stage);
                }
            }
            2 => {
                fields.remove("returned_to_court");
            }
            _ => {
                for stage in [
                    "warrant",
                    "execution",
                    "endorsement",
                    "returned_to_court",
                    "register",
                ] {
                    fields.remove(stage);
                }
                fields["decision"] = serde_json::json!({ "outcome": "refused", "decided_at": t(1), "reasons": "No." });
            }
        }
        serde_json::from_value(record).unwrap()
    }

    /// The list as it was worked out before it was paged in SQL: every search the filter selects,
    /// each checked against its case one by one, skipped to the cursor, filtered, cut to the page.
    fn one_by_one(
        db: &Db,
        filter: &Filter,
        status: Option<Status>,
        after: Option<&str>,
        limit: usize,
        now: OffsetDateTime,
    ) -> Vec<(Search, Compliance)> {
        let db = db.inner();
        let mut page = Vec::new();
        let mut past_cursor = after.is_none();
        for search in search_records::select(db, filter).unwrap() {
            if !past_cursor {
                past_cursor = after == Some(search.id.as_str());
                continue;
            }
            let case = cases::named(db, &search.record.case_id).unwrap();
            let facts = CaseFacts {
                stalking_suspected: case.is_some_and(|c| c.stalking),
            };
            let compliance = searches::compliance(&search.record, facts, 7, now);
            if status.is_none_or(|s| s == compliance.status) {
                page.push((search, compliance));
                if page.len() == limit {
                    break;
                }
            }
        }
        page
    }

    #[test]
    fn a_page_of_searches_and_the_report_cost_a_constant_number_of_statements() {
        let (_dir, db) = db();
        seed_cases(&db);
        for i in 0..N {
            let now = at(minutes(N + i));
            search_records::create(&db, &parsed(&format!("s-{i:02}")), &search(i), &now, "1234")
                .unwrap();
        }
        // One amended: two versions.
        let mut amended = search(5);
        amended.premises.address = "2 Example Street, Northtown".into();
        search_records::amend(
            &db,
            &parsed("s-05"),
            1,
            &search_records::Amendment {
                record: &amended,
                changes: &serde_json::json!({ "premises": { "address": "2 Example Street, Northtown" } }),
                reason: "The right address.",
            },
            &at(minutes(3 * N)),
            "1234",
        )
        .unwrap()
        .unwrap();

        let all = Filter::default();
        let mut now = START + time::Duration::days(40);
        let check = |now: OffsetDateTime, label: &str| {
            // How many of all the searches each status lists.
            let mut listed = Vec::new();
            for status in [
                None,
                Some(Status::Compliant),
                Some(Status::InProgress),
                Some(Status::NonCompliant),
            ] {
                for (n, filter) in [
                    all.clone(),
                    Filter {
                        from: Some((START + time::Duration::days(5)).date().to_string()),
                        to: Some((START + time::Duration::days(25)).date().to_string()),
                        ..Filter::default()
                    },
                    Filter {
                        case_id: Some(case_id(8).into()),
                        ..Filter::default()
                    },
                    Filter {
                        power: Some(Power::PaceS17),
                        ..Filter::default()
                    },
                ]
                .into_iter()
                .enumerate()
                {
                    let mut after: Option<String> = None;
                    loop {
                        let what = format!("searches {label}, {status:?}, after {after:?}");
                        let page = counted(&db, &what, || {
                            search_records::list(
                                &db,
                                &filter,
                                status,
                                search_records::Page {
                                    after: after.as_deref(),
                                    limit: PAGE,
                                },
                                7,
                                now,
                            )
                            .unwrap()
                        });
                        let expected =
                            one_by_one(&db, &filter, status, after.as_deref(), PAGE as usize, now);
                        assert_eq!(page, expected, "{what}");
                        if n == 0 {
                            listed.push((status, page.len()));
                        }
                        if page.len() < PAGE as usize {
                            break;
                        }
                        after = page.last().map(|(s, _)| s.id.to_string());
                    }
                }
            }
            let total = |status: Option<Status>| -> usize {
                listed
                    .iter()
                    .filter(|(s, _)| *s == status)
                    .map(|(_, n)| n)
                    .sum()
            };
            println!("{label}: {listed:?}");
            assert_eq!(total(None), N);
            let by_status = [Status::Compliant, Status::InProgress, Status::NonCompliant]
                .map(|s| total(Some(s)));
            assert_eq!(by_status.iter().sum::<usize>(), N, "{label}: {by_status:?}");
            assert!(
                by_status.iter().filter(|n| **n > 0).count() >= 2,
                "{label}: {by_status:?}"
            );
            // A cursor the filter does not select gives an empty page, as before.
            let other_case = Filter {
                case_id: Some(case_id(9).into()),
                ..Filter::default()
            };
            assert!(
                search_records::list(
                    &db,
                    &other_case,
                    None,
                    search_records::Page {
                        after: Some("s-08"),
                        limit: PAGE,
                    },
                    7,
                    now,
                )
                .unwrap()
                .is_empty()
            );
            // The report: the period's searches, each checked.
            let period = Filter {
                from: Some(START.date().to_string()),
                to: Some((START + time::Duration::days(90)).date().to_string()),
                ..Filter::default()
            };
            let checked = counted(&db, &format!("search report {label}"), || {
                search_records::select_checked(&db, &period, 7, now).unwrap()
            });
            let expected = one_by_one(&db, &period, None, None, usize::MAX, now);
            assert_eq!(checked.len(), N);
            assert_eq!(checked, expected);
            let from = period.from.as_deref().unwrap();
            let to = period.to.as_deref().unwrap();
            assert_eq!(
                stalking_response::searches::report::for_period(from, to, &checked),
                stalking_response::searches::report::for_period(from, to, &expected)
            );
        };
        check(now, "first");
        // The stored statuses are up to date now: a page filtered by status costs no more than one
        // that is not.
        check(now, "again");
        let versions = &search_records::get(&db, &parsed("s-05"))
            .unwrap()
            .unwrap()
            .versions;
        assert_eq!(versions.len(), 2);
        // Days pass: warrants expire, returns fall due.
        for days in [41, 95, 100, 200] {
            now = START + time::Duration::days(days);
            check(now, &format!("day {days}"));
        }
        // A case comes to show stalking, one records it, a search is amended: what they change is
        // worked out again.
        for i in [1, 2, 5, 10] {
            let case = cases::get(db.inner(), &case_id(i)).unwrap().unwrap();
            cases::add_occurrence(
                &db,
                &case.id,
                case.version,
                &at(now),
                "1234",
                &occurrence(&at(now), "following"),
            )
            .unwrap()
            .unwrap();
        }
        let decision = CrimeDecision::Recorded {
            principal: Classification::StalkingS2a,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        let case = cases::get(db.inner(), &case_id(7)).unwrap().unwrap();
        cases::record_decision(
            &db,
            &case.id,
            case.version,
            &decision,
            Some("CR/7"),
            &at(now),
            "1234",
        )
        .unwrap()
        .unwrap();
        let mut refused = search(3);
        refused.power = Power::PaceS8Warrant;
        search_records::amend(
            &db,
            &parsed("s-03"),
            1,
            &search_records::Amendment {
                record: &refused,
                changes: &serde_json::json!({ "power": "pace-s8-warrant" }),
                reason: "Wrong power.",
            },
            &at(now),
            "1234",
        )
        .unwrap()
        .unwrap();
        check(now, "after changes");
        // Another return limit: every status is worked out again.
        let page = counted(&db, "searches, another return limit", || {
            search_records::list(
                &db,
                &all,
                Some(Status::NonCompliant),
                search_records::Page {
                    after: None,
                    limit: PAGE,
                },
                3,
                now,
            )
            .unwrap()
        });
        assert!(page.iter().all(|(_, c)| c.status == Status::NonCompliant));
    }

    fn assess(db: &Db, id: &str, case: &str, yes: usize, now: &str) {
        let policy = Policy::from_settings(|_| None).unwrap();
        let db = db.inner();
        let case = cases::named(db, case).unwrap().unwrap();
        let history =
            assessments::history(db, &case, &ts(now), policy.escalation_window_days).unwrap();
        let new: NewAssessment =
            serde_json::from_value(crate::support::dash_body(&case.id, yes)).unwrap();
        let instrument = risk::resolve(&new.instrument).unwrap();
        let evaluation = risk::evaluate(instrument, &new, &history, &policy).unwrap();
        let mut n = 0;
        let mut ids = || {
            n += 1;
            format!("{id}-r{n}")
        };
        assessments::insert(
            db,
            &parsed(id),
            instrument,
            &new,
            &evaluation,
            &policy,
            &mut Writer {
                now: &ts(now),
                by: "1234",
                new_id: &mut ids,
            },
        )
        .unwrap();
    }

    /// The overdue list as it was worked out before it was done in SQL: every current assessment, in
    /// review-date order, checked one by one.
    fn overdue_one_by_one(db: &Db, now: &str, limit: usize) -> Overdue {
        let db = db.inner();
        let ids = db
            .query(
                "SELECT id FROM risk_assessments ORDER BY review_by, rowid",
                &[],
            )
            .unwrap();
        let current: Vec<Assessment> = ids
            .rows
            .iter()
            .map(|r| {
                assessments::get(db, &parsed(&r[0].text().unwrap()), now)
                    .unwrap()
                    .unwrap()
            })
            .filter(|a| a.review.current)
            .collect();
        let assessments = current
            .iter()
            .filter(|a| a.review.due)
            .take(limit)
            .map(|a| OverdueItem {
                id: a.id.to_string(),
                case_id: a.case_id.clone(),
                what: format!("{} review", a.instrument.id),
                due_at: a.review.review_by.clone(),
                reasons: a.review.reasons.clone(),
            })
            .collect();
        let reviews = current
            .iter()
            .filter_map(|a| Some((a, a.supervisor_review.as_ref().filter(|s| s.overdue)?)))
            .take(limit)
            .map(|(a, s)| OverdueItem {
                id: a.id.to_string(),
                case_id: a.case_id.clone(),
                what: format!(
                    "supervisor's review of a {} assessment",
                    a.level.map_or("", Level::as_str)
                ),
                due_at: s.due_at.clone(),
                reasons: vec![format!("Required by {} and not yet done.", s.due_at)],
            })
            .collect();
        let referrals = stalking_response::risk::store::referrals::overdue(db, now, limit as i64)
            .unwrap()
            .into_iter()
            .map(|r| OverdueItem {
                what: format!("{} referral", r.agency.as_str().to_uppercase()),
                reasons: vec![format!("Due by {} and not yet sent.", r.due_at)],
                due_at: r.due_at,
                id: r.id.into(),
                case_id: r.case_id,
            })
            .collect();
        Overdue {
            assessments,
            reviews,
            referrals,
        }
    }

    #[test]
    fn the_overdue_list_costs_four_statements() {
        let (_dir, db) = db();
        seed_cases(&db);
        let policy = Policy::from_settings(|_| None).unwrap();
        // One assessment per case (high, medium or standard risk), some superseded by a second, some
        // reviewed by a supervisor; later, occurrences on some cases.
        for i in 0..N {
            let now = at(minutes(2 * N + i));
            let yes = [14, 10, 2][i % 3];
            assess(&db, &format!("a-{i:02}"), &case_id(i), yes, &now);
            if i.is_multiple_of(5) {
                assess(
                    &db,
                    &format!("b-{i:02}"),
                    &case_id(i),
                    yes,
                    &at(minutes(3 * N + i)),
                );
            }
            if i.is_multiple_of(7) {
                let a = assessments::get(db.inner(), &parsed(&format!("a-{i:02}")), &now)
                    .unwrap()
                    .unwrap();
                let review: NewReview = serde_json::from_value(serde_json::json!({
                    "outcome": "agreed", "rationale": "Agreed."
                }))
                .unwrap();
                let mut ids = || format!("rv-{i:02}");
                assessments::add_review(
                    db.inner(),
                    &format!("rv-{i:02}"),
                    &a,
                    &review,
                    &policy,
                    &mut Writer {
                        now: &ts(&now),
                        by: "5678",
                        new_id: &mut ids,
                    },
                )
                .unwrap();
            }
        }
        let mut compared = 0;
        for (label, now, occurrences) in [
            ("the next day", START + time::Duration::days(1), false),
            (
                "after new occurrences",
                START + time::Duration::days(2),
                true,
            ),
            ("a month on", START + time::Duration::days(30), false),
            ("a year on", START + time::Duration::days(365), false),
        ] {
            let now = at(now);
            if occurrences {
                for i in (0..N).step_by(4) {
                    let case = cases::get(db.inner(), &case_id(i)).unwrap().unwrap();
                    cases::add_occurrence(
                        db.inner(),
                        &case.id,
                        case.version,
                        &now,
                        "1234",
                        &occurrence(&now, "following"),
                    )
                    .unwrap()
                    .unwrap();
                }
            }
            for limit in [PAGE, 5] {
                let overdue = counted(&db, &format!("overdue, {label}, limit {limit}"), || {
                    assessments::overdue(&db, &now, limit).unwrap()
                });
                assert_eq!(
                    overdue,
                    overdue_one_by_one(&db, &now, limit as usize),
                    "{label}"
                );
                compared +=
                    overdue.assessments.len() + overdue.reviews.len() + overdue.referrals.len();
            }
        }
        let a_year_on =
            assessments::overdue(db.inner(), &at(START + time::Duration::days(365)), PAGE).unwrap();
        assert_eq!(
            a_year_on.assessments.len(),
            PAGE as usize,
            "every current assessment is past review"
        );
        assert!(compared > 200, "{compared}");
    }

    /// The overdue notifications of a force's SPOs: a page is two statements (the orders, their
    /// history), oldest due first, whatever the number of orders; an order notified leaves the list.
    #[test]
    fn the_overdue_notifications_cost_two_statements_and_come_oldest_first() {
        use stalking_response::ids::{OrderId, PersonId};
        use stalking_response::orders::store::{self as orders, Filter};
        use stalking_response::orders::{self as rules, OrderEvent, OrderKind, OrderStatus};
        let (_dir, db) = db();
        seed_cases(&db);
        let person: PersonId = db
            .query("SELECT id FROM people LIMIT 1", &[])
            .unwrap()
            .first_row()
            .unwrap()
            .parse("id")
            .unwrap();
        let now = minutes(N) + time::Duration::days(30);
        for i in 0..N {
            let id = OrderId::parse(&format!("order-{i:02}")).unwrap();
            let new: rules::NewOrder = serde_json::from_value(serde_json::json!({
                "kind": "stalking-protection-order", "suspect": 0,
                "grounds": { "acts": "a", "risk": "r", "necessity": "n" },
                "victim_views": "v", "prohibitions": ["No contact"]
            }))
            .unwrap();
            let (mut status, mut terms) = rules::initial(&new);
            let kind = OrderKind::StalkingProtectionOrder;
            orders::create(
                &db,
                &id,
                &case_id(i),
                &person,
                0,
                kind,
                status,
                &terms,
                &at(minutes(i)),
                "1234",
            )
            .unwrap();
            let made = OrderEvent::Made {
                court: "c".into(),
                made_at: at(minutes(i)),
                ends_at: None,
                prohibitions: None,
                requirements: None,
            };
            // Served in reverse order, so that the last orders are the longest overdue.
            let served = OrderEvent::Served {
                served_at: at(minutes(N - i)),
            };
            for (version, event) in [(1, &made), (2, &served)] {
                rules::apply(kind, &mut status, &mut terms, event, now).unwrap();
                let detail = serde_json::json!({});
                orders::update(
                    &db,
                    &id,
                    version,
                    status,
                    &terms,
                    false,
                    (event.name(), &detail),
                    &at(now),
                    "1234",
                )
                .unwrap()
                .unwrap();
            }
            assert_eq!(status, OrderStatus::InForce);
            if i == 0 {
                let notified = OrderEvent::Notified {
                    notified_at: at(minutes(N)),
                    change: false,
                };
                rules::apply(kind, &mut status, &mut terms, &notified, now).unwrap();
                orders::update(
                    &db,
                    &id,
                    3,
                    status,
                    &terms,
                    false,
                    ("notified", &serde_json::json!({})),
                    &at(now),
                    "1234",
                )
                .unwrap()
                .unwrap();
            }
        }
        let filter = Filter {
            case: None,
            notification_overdue: true,
        };
        db.take();
        let page = orders::list(&db, &filter, None, 25, now).unwrap();
        assert_eq!(db.take().len(), 2);
        let ids: Vec<String> = page.iter().map(|o| o.id.to_string()).collect();
        assert_eq!(
            ids.first().map(String::as_str),
            Some("order-59"),
            "the longest overdue first"
        );
        let rest = orders::list(&db, &filter, Some(&ids[24]), 100, now).unwrap();
        assert_eq!(
            page.len() + rest.len(),
            N - 1,
            "every overdue one once; the notified one not at all"
        );
        assert!(rest.iter().all(|o| o.id.as_str() != "order-00"));
        assert!(
            page.iter()
                .chain(&rest)
                .all(|o| o.notification.as_ref().is_some_and(|n| n.overdue))
        );
    }
}

#[test]
fn a_batch_longer_than_one_statement_can_bind_is_logged_whole_and_verifies() {
    use stalking_response::access::audit::{self, Checkpoints};
    use stalking_response::access::authentication::MemoryKeyValue;
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("app.db"));
    migrations::migrate(&db).unwrap();
    let checkpoints = Checkpoints {
        key: Some(b"test-key".to_vec()),
        every: 100,
        high_water_seconds: 0,
    };
    // SQLite binds at most 32,766 parameters (1,927 entries of 17): 5,000 takes three statements.
    let accesses = access_log_queue::reads(0, 5_000);
    db.execute_batch("BEGIN").unwrap();
    let entries = audit::append_all(&db, &accesses, &checkpoints).unwrap();
    db.execute_batch("COMMIT").unwrap();
    assert_eq!(
        (entries.first().unwrap().seq, entries.last().unwrap().seq),
        (1, 5_000)
    );
    let count = |table: &str| {
        db.query(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .unwrap()
            .required_integer("n")
            .unwrap()
    };
    assert_eq!(
        (count("access_log"), count("access_log_cases")),
        (5_000, 5_000)
    );
    let kv = MemoryKeyValue::default();
    let last = entries.last().unwrap();
    audit::HighWater::raise(&db, &kv, &checkpoints, last.seq, &last.hash, 1_800_000_000).unwrap();
    let verification = audit::verify(&db, &kv, &checkpoints).unwrap();
    assert!(verification.valid, "{verification:?}");
    assert_eq!(
        (verification.entries, verification.checkpoints),
        (5_000, 50)
    );
}

/// The access log's queue (migration 0011): requests queue their entries in one statement, and
/// sealing passes chain them.
mod access_log_queue {
    use super::{migrations, open};
    use stalking_response::access::audit::{
        self, Access, Actor, Checkpoints, Operation, RecordRef, RecordType,
    };
    use stalking_response::access::auth::{AccessReason, ReasonCode};
    use stalking_response::access::authentication::MemoryKeyValue;
    use stalking_response::sql::{Counting, Sql};
    use std::cell::Cell;

    const KEY: &[u8] = b"test-key";

    /// When the tests seal (Unix seconds).
    const NOW: i64 = 1_800_000_000;

    fn checkpoints() -> Checkpoints {
        Checkpoints {
            key: Some(KEY.to_vec()),
            every: 10,
            high_water_seconds: 1,
        }
    }

    fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir.path().join("app.db"));
        migrations::migrate(&db).unwrap();
        (dir, db)
    }

    /// `n` reads of PINs by officer 1234, the first numbered `from`.
    pub(super) fn reads(from: usize, n: usize) -> Vec<Access> {
        let actor = Actor {
            subject: "1234".into(),
            role: "officer".into(),
            credential: Some("t1".into()),
        };
        let reason = AccessReason {
            code: ReasonCode::Investigation,
            text: None,
        };
        (from..from + n)
            .map(|i| {
                let record = RecordRef::of_case(RecordType::Pin, format!("p{i}"), format!("c{i}"));
                Access::allowed(
                    "2026-11-29T10:00:00Z",
                    &actor,
                    Operation::Consultation,
                    &record,
                    &reason,
                )
            })
            .collect()
    }

    /// Distinct nonces, as the app's random ids are.
    fn nonces() -> impl Fn() -> String {
        let n = Cell::new(0u64);
        move || {
            n.set(n.get() + 1);
            format!("{:032x}", n.get())
        }
    }

    fn count(db: &rusqlite::Connection, table: &str) -> i64 {
        db.query(&format!("SELECT COUNT(*) AS n FROM {table}"), &[])
            .unwrap()
            .required_integer("n")
            .unwrap()
    }

    #[test]
    fn queueing_is_one_insert_and_never_reads_the_chain() {
        let (_dir, db) = db();
        let counted = Counting::new(db);
        let queued = audit::enqueue(&counted, &reads(0, 50), Some(KEY), &nonces()).unwrap();
        assert_eq!(queued.ids, (1..=50).collect::<Vec<_>>());
        let statements = counted.take();
        assert_eq!(statements.len(), 1, "{statements:?}");
        assert!(
            statements[0]
                .trim_start()
                .starts_with("INSERT INTO access_log_queue")
        );
        assert_eq!(
            count(counted.inner(), "access_log"),
            0,
            "nothing chained yet"
        );
        assert_eq!(
            queued.oldest_waiting.as_deref(),
            Some("2026-11-29T10:00:00Z"),
            "read in the same statement"
        );
    }

    #[test]
    fn a_pass_is_due_at_the_cadence_or_once_the_oldest_entry_has_waited() {
        let at = |text: &str| stalking_response::values::parse_time(text).unwrap();
        let queued = |ids: Vec<i64>, oldest: &str| audit::Queued {
            ids,
            oldest_waiting: Some(oldest.into()),
        };
        let logged = "2026-11-29T10:00:00Z";
        let now = at("2026-11-29T10:00:00.500Z");
        let later = at("2026-11-29T10:00:01Z");
        let keyed = checkpoints();
        assert!(!queued(vec![1, 2], logged).seal_due(&keyed, now));
        assert!(
            queued(vec![1, 2], logged).seal_due(&keyed, later),
            "waited a second"
        );
        assert!(queued(vec![audit::SEAL_EVERY], logged).seal_due(&keyed, now));
        assert!(
            !queued(vec![], logged).seal_due(&keyed, later),
            "nothing queued"
        );
        let keyless = Checkpoints { key: None, ..keyed };
        assert!(
            queued(vec![1], logged).seal_due(&keyless, now),
            "development"
        );
    }

    #[test]
    fn a_pass_chains_what_is_queued_in_order_and_the_log_verifies() {
        let (_dir, db) = db();
        let kv = MemoryKeyValue::default();
        let nonce = nonces();
        for (from, n) in [(0, 1), (1, 50), (51, 2)] {
            audit::enqueue(&db, &reads(from, n), Some(KEY), &nonce).unwrap();
        }
        let sealed = audit::seal(&db, &kv, &checkpoints(), NOW).unwrap();
        assert_eq!((sealed.chained, sealed.refused), (53, 0));
        let (seq, hash) = sealed.last.clone().unwrap();
        assert_eq!(seq, 53);
        let mark = audit::HighWater::read(&kv).unwrap().unwrap();
        assert_eq!(
            (mark.seq, mark.hash, mark.at),
            (seq, hash, NOW),
            "raised to it"
        );
        assert_eq!(
            (count(&db, "access_log"), count(&db, "access_log_queue")),
            (53, 0)
        );
        let listed = audit::list(&db, &audit::Filter::Subject("1234".into()), 0, 100).unwrap();
        let ids: Vec<String> = listed.iter().map(|e| e.access.record_id.clone()).collect();
        let expected: Vec<String> = (0..53).map(|i| format!("p{i}")).collect();
        assert_eq!(ids, expected, "chained in the order queued");
        assert!(
            listed
                .iter()
                .all(|e| e.access.nonce.is_some() && e.mac.is_some())
        );
        // A second pass has nothing to do.
        assert_eq!(
            audit::seal(&db, &kv, &checkpoints(), NOW).unwrap(),
            audit::Sealed::default()
        );

        let verification = audit::verify(&db, &kv, &checkpoints()).unwrap();
        assert!(verification.valid, "{verification:?}");
        assert_eq!((verification.entries, verification.checkpoints), (53, 5));
        assert_eq!(verification.queue, audit::QueueState::default());
    }

    #[test]
    fn a_backlog_longer_than_a_pass_is_chained_whole() {
        let (_dir, db) = db();
        let kv = MemoryKeyValue::default();
        audit::enqueue(&db, &reads(0, 2_500), Some(KEY), &nonces()).unwrap();
        let sealed = audit::seal(&db, &kv, &checkpoints(), NOW).unwrap();
        assert_eq!((sealed.chained, sealed.last.unwrap().0), (2_500, 2_500));
        assert_eq!(count(&db, "access_log_queue"), 0);
        assert_eq!(count(&db, "access_log_checkpoints"), 250);
    }

    #[test]
    fn a_queued_entry_forged_or_replayed_is_refused_kept_and_reported() {
        let (_dir, db) = db();
        let kv = MemoryKeyValue::default();
        let nonce = nonces();
        audit::enqueue(&db, &reads(0, 2), Some(KEY), &nonce).unwrap();
        // Someone with the file copies a queued entry before it is chained…
        let copy = "INSERT INTO access_log_queue (nonce, at, subject, role, operation, record_type,
                record_id, reason_code, reason_text, recipient, outcome, digest, case_id, credential, mac)
            SELECT nonce, at, subject, role, operation, record_type, record_id, reason_code,
                reason_text, recipient, outcome, digest, case_id, credential, mac
            FROM saved";
        db.execute_batch("CREATE TABLE saved AS SELECT * FROM access_log_queue WHERE id = 1")
            .unwrap();
        audit::seal(&db, &kv, &checkpoints(), NOW).unwrap();
        // …and queues it again (a replay), with an entry of their own (no valid MAC), one with
        // its MAC taken from another entry, and then the app queues a real one.
        db.execute_batch(copy).unwrap();
        db.execute_batch(
            "INSERT INTO access_log_queue (nonce, at, subject, role, operation, record_type, record_id,
                 reason_code, outcome)
             VALUES ('f1', '2026-11-29T10:00:00Z', '1234', 'officer', 'consultation', 'case', 'x',
                 'investigation', 'allowed');
             INSERT INTO access_log_queue (nonce, at, subject, role, operation, record_type, record_id,
                 reason_code, outcome, mac)
             SELECT 'f2', at, subject, role, operation, record_type, 'y', reason_code, outcome, mac
             FROM saved;",
        )
        .unwrap();
        audit::enqueue(&db, &reads(2, 1), Some(KEY), &nonce).unwrap();
        let sealed = audit::seal(&db, &kv, &checkpoints(), NOW).unwrap();
        assert_eq!(
            (sealed.chained, sealed.refused),
            (1, 3),
            "the real one only"
        );
        assert_eq!(count(&db, "access_log"), 3);

        let rejected: Vec<String> = db
            .prepare("SELECT rejected FROM access_log_queue ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rejected.len(), 3, "kept as evidence");
        assert!(rejected[0].contains("replayed"), "{rejected:?}");
        assert!(rejected[1].contains("no MAC"), "{rejected:?}");
        assert!(rejected[2].contains("does not verify"), "{rejected:?}");
        // Refused entries are not tried again, and the log is not valid while they are there.
        assert_eq!(
            audit::seal(&db, &kv, &checkpoints(), NOW).unwrap().refused,
            0
        );
        let verification = audit::verify(&db, &kv, &checkpoints()).unwrap();
        assert!(!verification.valid);
        assert_eq!(verification.queue.refused, 3);
        assert!(
            verification
                .queue
                .first_refused
                .as_deref()
                .is_some_and(|f| f.contains("replayed")),
            "{verification:?}"
        );
    }
}

/// A new id for each person record a store makes: unique in the process, as the app's are.
pub(crate) fn new_person_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!(
        "{:032x}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// The migrations as embedded (minified by `build.rs`: no comments, no spaces no token needs) make
/// the same schema as the files themselves: the same tables, columns, types, defaults, keys,
/// indexes, foreign keys, views and triggers.
#[test]
fn the_embedded_migrations_make_the_same_schema_as_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<Migration> = migrations::MIGRATIONS
        .iter()
        .map(|m| {
            let path = format!("{}/migrations/{}.sql", env!("CARGO_MANIFEST_DIR"), m.name);
            let sql: &'static str = std::fs::read_to_string(path).unwrap().leak();
            let embedded = m.sql.text().unwrap();
            assert!(
                sql.len() > embedded.len(),
                "{} is embedded minified",
                m.name
            );
            Migration {
                sql: migrations::Script::Text(sql),
                ..*m
            }
        })
        .collect();
    let from_files = open(&dir.path().join("files.db"));
    migrations::migrate_with(&from_files, &files).unwrap();
    let embedded = open(&dir.path().join("embedded.db"));
    migrations::migrate(&embedded).unwrap();
    let describe = |db: &rusqlite::Connection| -> Vec<String> {
        let rows = |sql: &str| -> Vec<String> {
            let mut statement = db.prepare(sql).unwrap();
            let columns = statement.column_count();
            statement
                .query_map([], |row| {
                    Ok((0..columns)
                        .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let mut described = rows(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        );
        let objects: Vec<(String, String)> = db
            .prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (kind, name) in &objects {
            match kind.as_str() {
                "table" | "view" => {
                    described.extend(rows(&format!("PRAGMA table_xinfo('{name}')")));
                    described.extend(rows(&format!("PRAGMA foreign_key_list('{name}')")));
                    described.extend(rows(&format!("PRAGMA index_list('{name}')")));
                }
                "index" => described.extend(rows(&format!("PRAGMA index_xinfo('{name}')"))),
                _ => {}
            }
        }
        described
    };
    let (files, minified) = (describe(&from_files), describe(&embedded));
    assert!(files.len() > 200, "{}", files.len());
    assert_eq!(minified, files);
}
