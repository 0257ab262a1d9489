//! The floor under every request that touches the app's database on Spin (issue #13): Spin opens the
//! database afresh for each request, and SQLite parses the whole schema at its first statement. So no
//! request that opens the database can be faster than one that opens it and runs `SELECT 1`.
//!
//! This prepares databases with less and less of the app's schema — none, all of it (the migrations,
//! natively, as the app runs them), all but its triggers, and its tables alone — and serves each to the
//! host's probe fixture, whose `POST /sql/default` opens the database and runs the statement it is
//! sent. Measured beside hello-world, the ratios say how much schema a target leaves room for.

use rusqlite::Connection;
use stalking_response::migrations;
use std::path::{Path, PathBuf};

/// How much of the app's schema a database holds.
#[derive(Debug, Clone, Copy)]
pub enum Schema {
    /// One empty table.
    Empty,
    /// Every migration applied.
    Whole,
    /// Every migration applied, then its triggers deleted.
    WithoutTriggers,
    /// Every migration applied, then its triggers, views and declared indexes deleted (the
    /// indexes that key constraints make stay: they belong to their tables).
    TablesOnly,
}

impl Schema {
    pub const ALL: [Schema; 4] = [
        Schema::Empty,
        Schema::Whole,
        Schema::WithoutTriggers,
        Schema::TablesOnly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Schema::Empty => "SELECT 1: one empty table",
            Schema::Whole => "SELECT 1: the app's schema",
            Schema::WithoutTriggers => "SELECT 1: without triggers",
            Schema::TablesOnly => "SELECT 1: tables only",
        }
    }

    /// The `sqlite_schema` rows deleted from the migrated schema (none: `None`).
    fn deleted(self) -> Option<&'static str> {
        match self {
            Schema::Empty | Schema::Whole => None,
            Schema::WithoutTriggers => Some("type = 'trigger'"),
            Schema::TablesOnly => {
                Some("type IN ('trigger', 'view') OR (type = 'index' AND sql IS NOT NULL)")
            }
        }
    }
}

/// A state folder in `into` whose default database holds `schema`, in WAL mode as the app leaves it.
pub fn state(schema: Schema, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).unwrap();
    let db = Connection::open(into.join("sqlite_db.db")).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    match schema {
        Schema::Empty => db.execute_batch("CREATE TABLE empty (x)").unwrap(),
        _ => {
            migrations::migrate(&db).unwrap();
        }
    }
    if let Some(rows) = schema.deleted() {
        db.execute_batch(&format!(
            "PRAGMA writable_schema = ON; DELETE FROM sqlite_schema WHERE {rows}; PRAGMA writable_schema = OFF;"
        ))
        .unwrap();
    }
    into.to_path_buf()
}

/// A manifest serving the probe fixture at `/...` with the default database, written into `dir`.
pub fn probe_manifest(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let manifest = dir.join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"probe\"\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"probe\"\n[component.probe]\nsource = {:?}\nsqlite_databases = [\"default\"]\n",
            fixtures::PROBE_COMPONENT
        ),
    )
    .unwrap();
    manifest
}
