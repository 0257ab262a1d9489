//! Backups of a single-node deployment (the app's stores as Spin's local SQLite files), taken while it
//! serves, as README "Backups and restore" says: the key-value file first, then the database, each with
//! `VACUUM INTO` (a consistent copy, online). Restored, the app serves the records and its access log
//! verifies; restored the wrong way round, the log's verification says entries are missing.

use crate::support::{ADMIN_TOKEN, TestApp};

/// `VACUUM INTO`: a consistent copy of a live SQLite file, as `sqlite3 <file> "VACUUM INTO '<copy>'"`.
fn copy(from: &std::path::Path, to: &std::path::Path) {
    let db = rusqlite::Connection::open(from).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute("VACUUM INTO ?1", [to.to_str().unwrap()])
        .unwrap();
}

#[test]
fn a_backup_taken_while_serving_restores_with_a_valid_access_log() {
    let app = TestApp::start_with(&[]);
    let officer = app.token("officer", "1234");
    let kept = app.new_case(&officer, true, 2);
    let backup = tempfile::tempdir().unwrap();
    // While others write: the key-value store (the log's high-water mark) first, then the database.
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for _ in 0..10 {
                app.new_case(&officer, false, 1);
            }
        });
        copy(
            &app.state.path().join("sqlite_key_value.db"),
            &backup.path().join("sqlite_key_value.db"),
        );
        copy(&app.sqlite_path(), &backup.path().join("sqlite_db.db"));
        writer.join().unwrap();
    });
    let live_verified = app.verify();
    assert_eq!(live_verified["valid"], true, "{live_verified}");

    let restored = TestApp::start_on_state(backup);
    let report = restored.verify();
    assert_eq!(report["valid"], true, "{report}");
    let read = restored.call_with(
        "GET",
        &format!("/api/v1/cases/{kept}"),
        &officer,
        None,
        &[("x-access-reason", "investigation")],
    );
    assert_eq!(read.status, 200, "{}", read.body);
    let after = restored.verify();
    assert_eq!(after["valid"], true, "and it goes on: {after}");

    // The database copied before the key-value store's newer mark: the restored log is shorter
    // than the mark says, and the auditor is told.
    let wrong = tempfile::tempdir().unwrap();
    copy(&app.sqlite_path(), &wrong.path().join("sqlite_db.db"));
    for _ in 0..3 {
        app.new_case(&officer, false, 1);
    }
    copy(
        &app.state.path().join("sqlite_key_value.db"),
        &wrong.path().join("sqlite_key_value.db"),
    );
    let restored = TestApp::start_on_state(wrong);
    let reply = restored.call("GET", "/api/v1/audit/verify", ADMIN_TOKEN, None);
    let report = reply.json();
    assert_eq!(report["valid"], false, "{report}");
    assert!(
        report["first_broken"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("high-water mark"),
        "{report}"
    );
}
