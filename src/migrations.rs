//! Schema migrations: the versioned files in `migrations/`, applied in order, once, by the app itself.
//!
//! Each file is plain SQL, re-runnable where SQLite allows it (`CREATE … IF NOT EXISTS`; adding a column
//! cannot be, as in 0006), and applied once by the app, never by `spin up --sqlite`. The runner records what it applied in
//! `schema_version` and applies what is missing inside one `BEGIN IMMEDIATE` transaction, so two
//! requests racing at start-up cannot both apply a file.

use crate::sql::{Sql, SqlError, transaction};

#[cfg(test)]
mod minify;

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: Script,
}

/// A migration's SQL: as embedded, minified and deflated by `build.rs` (every component that migrates
/// carries them all: 64 kB of files, 38 kB minified, about 9 kB deflated; issue #13), inflated only
/// when the migration runs; or as text (tests).
#[derive(Debug, Clone, Copy)]
pub enum Script {
    Deflated(&'static [u8]),
    Text(&'static str),
}

impl Script {
    /// The SQL text; `None` if the embedded bytes do not inflate to UTF-8 (a broken build).
    pub fn text(&self) -> Option<std::borrow::Cow<'static, str>> {
        match self {
            Script::Text(text) => Some((*text).into()),
            Script::Deflated(bytes) => miniz_oxide::inflate::decompress_to_vec(bytes)
                .ok()
                .and_then(|text| String::from_utf8(text).ok())
                .map(Into::into),
        }
    }
}

/// A migration file's SQL as embedded: minified (`minify`, the same statements) and deflated by
/// `build.rs`.
macro_rules! sql {
    ($name:literal) => {
        Script::Deflated(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/migrations/",
            $name,
            ".sql.deflate"
        )))
    };
}

/// Every migration, in order. A new file gets the next version and a line here (`sql!`, not
/// `include_str!`: a test checks each is embedded minified).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_idempotency",
        sql: sql!("0001_idempotency"),
    },
    Migration {
        version: 2,
        name: "0002_access",
        sql: sql!("0002_access"),
    },
    Migration {
        version: 3,
        name: "0003_cases_and_pins",
        sql: sql!("0003_cases_and_pins"),
    },
    Migration {
        version: 4,
        name: "0004_risk",
        sql: sql!("0004_risk"),
    },
    Migration {
        version: 5,
        name: "0005_searches",
        sql: sql!("0005_searches"),
    },
    Migration {
        version: 6,
        name: "0006_bounded_lists",
        sql: sql!("0006_bounded_lists"),
    },
    Migration {
        version: 7,
        name: "0007_access_log_cases",
        sql: sql!("0007_access_log_cases"),
    },
    Migration {
        version: 8,
        name: "0008_trust",
        sql: sql!("0008_trust"),
    },
    Migration {
        version: 9,
        name: "0009_record_digests",
        sql: sql!("0009_record_digests"),
    },
    Migration {
        version: 10,
        name: "0010_suspect_links",
        sql: sql!("0010_suspect_links"),
    },
    Migration {
        version: 11,
        name: "0011_access_log_queue",
        sql: sql!("0011_access_log_queue"),
    },
    Migration {
        version: 12,
        name: "0012_people",
        sql: sql!("0012_people"),
    },
    Migration {
        version: 13,
        name: "0013_orders",
        sql: sql!("0013_orders"),
    },
    Migration {
        version: 14,
        name: "0014_force_view",
        sql: sql!("0014_force_view"),
    },
    Migration {
        version: 15,
        name: "0015_victim_care",
        sql: sql!("0015_victim_care"),
    },
    Migration {
        version: 16,
        name: "0016_compliance",
        sql: sql!("0016_compliance"),
    },
    Migration {
        version: 17,
        name: "0017_retention",
        sql: sql!("0017_retention"),
    },
    Migration {
        version: 18,
        name: "0018_considerations",
        sql: sql!("0018_considerations"),
    },
    Migration {
        version: 19,
        name: "0019_profile_facts",
        sql: sql!("0019_profile_facts"),
    },
    Migration {
        version: 20,
        name: "0020_compliance_victim_care",
        sql: sql!("0020_compliance_victim_care"),
    },
    Migration {
        version: 21,
        name: "0021_facts_settled_before_read",
        sql: sql!("0021_facts_settled_before_read"),
    },
];

/// The schema version this build of the app expects.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database is at schema version {found}, newer than this app's {expected}: deploy the newer app"
    )]
    DatabaseIsNewer { found: i64, expected: i64 },
    #[error("migration {name} failed: {source}")]
    Failed {
        name: &'static str,
        source: SqlError,
    },
    #[error("migration {name} is not readable in this build")]
    Unreadable { name: &'static str },
    #[error(transparent)]
    Sql(#[from] SqlError),
}

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))";

/// The version the database is at (0 for a new database). One read when the table exists, which is on
/// every request but the first: it runs on the hot path.
pub fn current_version(db: &impl Sql) -> Result<i64, SqlError> {
    const READ: &str = "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version";
    let rows = match db.query(READ, &[]) {
        Ok(rows) => rows,
        Err(_) => {
            db.run(CREATE_VERSION_TABLE, &[])?;
            db.query(READ, &[])?
        }
    };
    Ok(rows.first_integer("version").unwrap_or(0))
}

/// Brings the database to [`latest_version`] and returns the version it is at. Cheap when there is
/// nothing to do: one read.
pub fn migrate(db: &impl Sql) -> Result<i64, MigrationError> {
    migrate_with(db, MIGRATIONS)
}

/// [`migrate`] with a given list: for tests of the runner itself.
pub fn migrate_with(db: &impl Sql, migrations: &[Migration]) -> Result<i64, MigrationError> {
    let expected = migrations.last().map_or(0, |m| m.version);
    // The common case in one statement: the schema is current and the file is in WAL mode. (Every
    // request opens its own connection on Spin, and each statement is a trip to the host.)
    match db.query(
        "SELECT COALESCE(MAX(version), 0) AS version,
                (SELECT journal_mode FROM pragma_journal_mode) AS mode FROM schema_version",
        &[],
    ) {
        Ok(rows)
            if rows.first_integer("version") == Some(expected)
                && matches!(rows.first("mode"), Some(crate::sql::Value::Text(m)) if m.eq_ignore_ascii_case("wal")) =>
        {
            return Ok(expected);
        }
        Ok(_) => {}
        // A database that will not tell its journal mode (a remote libSQL server refuses pragmas):
        // nothing to switch, so the version alone, in one more statement.
        Err(_) => {
            if let Ok(rows) = db.query(
                "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version",
                &[],
            ) && rows.first_integer("version") == Some(expected)
            {
                return Ok(expected);
            }
        }
    }
    crate::sql::prepare_connection(db)?;
    let found = current_version(db)?;
    if found > expected {
        return Err(MigrationError::DatabaseIsNewer { found, expected });
    }
    if found == expected {
        return Ok(found);
    }
    transaction(db, || {
        // Read again inside the transaction: another request may have migrated meanwhile.
        let found = current_version(db)?;
        for migration in migrations.iter().filter(|m| m.version > found) {
            let sql = migration.sql.text().ok_or(MigrationError::Unreadable {
                name: migration.name,
            })?;
            for statement in split_statements(&sql) {
                db.run(statement, &[])
                    .map_err(|source| MigrationError::Failed {
                        name: migration.name,
                        source,
                    })?;
            }
            db.run(
                "INSERT INTO schema_version (version, name) VALUES (?1, ?2)",
                &[migration.version.into(), migration.name.into()],
            )?;
        }
        Ok(expected)
    })
}

/// Splits a SQL script into statements at top-level semicolons: not inside quotes or comments, nor
/// inside a trigger body (`BEGIN … END`). Comments and blank statements are dropped.
pub fn split_statements(script: &str) -> Vec<&str> {
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut block_depth = 0usize;
    let mut word_start: Option<usize> = None;
    let mut has_code = false;

    let finish_word = |end: usize, word_start: &mut Option<usize>, depth: &mut usize| {
        if let Some(ws) = word_start.take() {
            let word = &script[ws..end];
            if word.eq_ignore_ascii_case("BEGIN")
                && statement_is_trigger(&script[start_of(ws, script)..ws])
            {
                *depth += 1;
            } else if word.eq_ignore_ascii_case("CASE") && *depth > 0 {
                // A CASE expression in a trigger body ends with END too.
                *depth += 1;
            } else if word.eq_ignore_ascii_case("END") && *depth > 0 {
                *depth -= 1;
            }
        }
    };

    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            word_start.get_or_insert(i);
            has_code = true;
            i += 1;
            continue;
        }
        finish_word(i, &mut word_start, &mut block_depth);
        match c {
            b'\'' | b'"' | b'`' => {
                has_code = true;
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b';' if block_depth == 0 => {
                if has_code {
                    statements.push(script[start..i].trim());
                }
                start = i + 1;
                has_code = false;
                i += 1;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    has_code = true;
                }
                i += 1;
            }
        }
    }
    finish_word(bytes.len(), &mut word_start, &mut block_depth);
    if has_code {
        statements.push(script[start..].trim());
    }
    statements
}

/// The start of the statement that contains byte `at`: just after the previous top-level `;`.
fn start_of(at: usize, script: &str) -> usize {
    script[..at].rfind(';').map_or(0, |i| i + 1)
}

fn statement_is_trigger(before: &str) -> bool {
    let upper = before.to_ascii_uppercase();
    upper.contains("CREATE") && upper.contains("TRIGGER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let script = "-- a comment; not a statement\nCREATE TABLE a (x TEXT DEFAULT ';');\n\
            /* block; comment */ INSERT INTO a VALUES ('it''s; fine');\n\
            CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); UPDATE b SET y = 2; END;\n\
            SELECT 1";
        let statements = split_statements(script);
        assert_eq!(statements.len(), 4, "{statements:#?}");
        assert!(statements[0].ends_with("DEFAULT ';')"));
        assert!(statements[1].contains("it''s; fine"));
        assert!(statements[2].starts_with("CREATE TRIGGER") && statements[2].ends_with("END"));
        assert_eq!(statements[3], "SELECT 1");
    }

    #[test]
    fn begin_outside_a_trigger_is_a_plain_word() {
        assert_eq!(
            split_statements("BEGIN; SELECT 1; COMMIT;"),
            ["BEGIN", "SELECT 1", "COMMIT"]
        );
        assert!(split_statements("-- only a comment\n  ").is_empty());
        let with_case = "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (CASE NEW.x WHEN 1 THEN CASE NEW.y WHEN 2 THEN 'a' END ELSE 'b' END); END; SELECT 1;";
        let statements = split_statements(with_case);
        assert_eq!(statements.len(), 2, "{statements:?}");
        assert!(statements[0].ends_with("END"));
    }

    /// Each file as embedded (`build.rs`, `minify`) splits into the same statements as the file
    /// itself, each only without its comments and spaces; and each is embedded minified.
    #[test]
    fn every_migration_is_embedded_minified_with_the_same_statements() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        for migration in MIGRATIONS {
            let file = std::fs::read_to_string(format!("{dir}/{}.sql", migration.name)).unwrap();
            assert!(matches!(migration.sql, Script::Deflated(_)));
            let sql = migration.sql.text().unwrap();
            assert_eq!(sql, minify::minify(&file), "{}", migration.name);
            let from_file: Vec<String> = split_statements(&file)
                .into_iter()
                .map(minify::minify)
                .collect();
            let embedded = split_statements(&sql);
            assert_eq!(embedded, from_file, "{}", migration.name);
            assert!(!embedded.is_empty());
        }
    }

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(files, listed);
        // Versions go up one at a time.
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
        }
    }
}
