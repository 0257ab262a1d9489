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
