//! The storage port: the small SQL surface the domain needs, implemented by the Spin adapter
//! (`spin_sdk::sqlite3`) in the components and by `rusqlite` natively.

use std::fmt;
use std::time::Duration;

/// A SQLite value, as both backends carry it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

/// Text, or NULL.
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        v.map_or(Value::Null, Value::from)
    }
}

impl From<&crate::values::Timestamp> for Value {
    fn from(v: &crate::values::Timestamp) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<crate::values::Timestamp> for Value {
    fn from(v: crate::values::Timestamp) -> Value {
        Value::Text(v.into_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl Value {
    /// The text (an integer as its digits); `None` for NULL, reals and blobs.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(t) => Some(t.clone()),
            Value::Integer(i) => Some(i.to_string()),
            _ => None,
        }
    }

    pub fn integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// A value stored as JSON text.
    pub fn json<T: serde::Serialize>(value: &T) -> Value {
        Value::Text(serde_json::to_string(value).expect("serialises"))
    }

    /// A JSON text column, decoded; `None` for NULL or unreadable JSON.
    pub fn from_json<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        match self {
            Value::Text(t) => crate::decode::from_json(t.as_bytes()).ok(),
            _ => None,
        }
    }

    /// A 0/1 column as a bool.
    pub fn flag(&self) -> bool {
        self.integer() == Some(1)
    }
}

/// The rows of one statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    /// The first row's value in `column`, if there is one.
    pub fn first(&self, column: &str) -> Option<&Value> {
        let index = self.columns.iter().position(|c| c == column)?;
        self.rows.first()?.get(index)
    }

    /// The first row's integer in `column`; `None` for no row, NULL or another type.
    pub fn first_integer(&self, column: &str) -> Option<i64> {
        self.first(column)?.integer()
    }
}

impl Rows {
    /// The first row, read by column name, if there is one.
    pub fn first_row(&self) -> Option<Row<'_>> {
        self.iter().next()
    }

    /// The first row's integer in `column`; no row, NULL or another type is an error.
    pub fn required_integer(&self, column: &str) -> Result<i64, SqlError> {
        self.first_row()
            .ok_or_else(|| SqlError(format!("no row for column {column}")))?
            .integer(column)
    }

    /// The rows, each read by column name.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }
}

/// One row, read by column name. A missing column or a value of the wrong type is an error, never a
/// default: corrupt data must not pass as a plausible record.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    pub fn value(&self, column: &str) -> Result<&'a Value, SqlError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| SqlError(format!("no column {column}")))
    }

    fn corrupt(column: &str, wanted: &str, found: &Value) -> SqlError {
        let kind = match found {
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
            Value::Null => "NULL",
        };
        SqlError(format!("column {column}: expected {wanted}, found {kind}"))
    }

    pub fn text(&self, column: &str) -> Result<String, SqlError> {
        match self.value(column)? {
            Value::Text(t) => Ok(t.clone()),
            other => Err(Self::corrupt(column, "text", other)),
        }
    }

    /// Text or NULL.
    pub fn optional_text(&self, column: &str) -> Result<Option<String>, SqlError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t.clone())),
            other => Err(Self::corrupt(column, "text or NULL", other)),
        }
    }

    pub fn integer(&self, column: &str) -> Result<i64, SqlError> {
        match self.value(column)? {
            Value::Integer(i) => Ok(*i),
            other => Err(Self::corrupt(column, "an integer", other)),
        }
    }

    pub fn blob(&self, column: &str) -> Result<Vec<u8>, SqlError> {
        match self.value(column)? {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(Self::corrupt(column, "a blob", other)),
        }
    }

    /// An integer or NULL.
    pub fn optional_integer(&self, column: &str) -> Result<Option<i64>, SqlError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i)),
            other => Err(Self::corrupt(column, "an integer or NULL", other)),
        }
    }

    /// A 0/1 column as a bool; any other value is corrupt.
    pub fn flag(&self, column: &str) -> Result<bool, SqlError> {
        match self.value(column)? {
            Value::Integer(0) => Ok(false),
            Value::Integer(1) => Ok(true),
            other => Err(Self::corrupt(column, "0 or 1", other)),
        }
    }

    /// A JSON text column, decoded.
    pub fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, SqlError> {
        let text = self.text(column)?;
        crate::decode::from_json(text.as_bytes())
            .map_err(|e| SqlError(format!("column {column}: unreadable JSON ({e})")))
    }

    /// A JSON text column or NULL, decoded.
    pub fn optional_json<T: serde::de::DeserializeOwned>(
        &self,
        column: &str,
    ) -> Result<Option<T>, SqlError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.json(column).map(Some),
        }
    }

    /// A text column or NULL holding one of a vocabulary's words.
    pub fn optional_parse<T: std::str::FromStr>(
        &self,
        column: &str,
    ) -> Result<Option<T>, SqlError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            _ => self.parse(column).map(Some),
        }
    }

    /// A text column holding one of a vocabulary's words (an enum's `FromStr`).
    pub fn parse<T: std::str::FromStr>(&self, column: &str) -> Result<T, SqlError> {
        let text = self.text(column)?;
        text.parse()
            .map_err(|_| SqlError(format!("column {column}: {text:?} is not a known value")))
    }
}

/// What a write records besides its record: when, by whom, and where the ids of the records it makes
/// come from.
pub struct Writer<'a> {
    pub now: &'a crate::values::Timestamp,
    pub by: &'a str,
    pub new_id: &'a mut dyn FnMut() -> String,
}

/// `now` plus some hours as a stored value; a time out of range is an error, never a guess.
pub fn hours_after(now: &crate::values::Timestamp, hours: i64) -> Result<Value, SqlError> {
    now.plus_hours(hours)
        .map(Value::from)
        .ok_or_else(|| SqlError(format!("{now} plus {hours} hours is out of range")))
}

/// A failed statement. The text is the database's own and may name tables or columns: it is for
/// logs, never for HTTP responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SqlError(pub String);

impl SqlError {
    /// Whether another connection held the lock the statement needed (`SQLITE_BUSY`).
    pub fn is_busy(&self) -> bool {
        is_busy(&self.0)
    }
}

/// Whether an error's text is SQLite's `SQLITE_BUSY` ("database is locked"), as both backends
/// report it (Spin: `Io("database is locked")`), also inside a wrapping error's text.
pub fn is_busy(message: &str) -> bool {
    message.contains("database is locked")
}

/// How a statement waits for a lock another connection holds. SQLite's busy handler alone (rusqlite's
/// and so Spin's 5 s) sleeps in growing steps, 5 ms to 100 ms after the first two: a waiter can sleep
/// on past several releases of a lock held 1–2 ms, which made the tail of seconds under load. So the
/// app's connections keep only its first steps (`busy_timeout = 2`: it checks again after 1 ms and
/// 2 ms, in the host's thread), and the port runs a statement that still fails with `SQLITE_BUSY` —
/// which changed nothing, as SQLite undoes the statement — again after a short jittered pause (jitter
/// keeps the waiters from waking together), for at most `limit` in all; then the error says busy,
/// which the API answers 503 with `Retry-After` (`problem::storage`).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first pause; each next one doubles, up to `longest`.
    pub first: Duration,
    pub longest: Duration,
    /// How long a statement keeps trying in all before failing busy.
    pub limit: Duration,
}

/// The app's: 0.1 ms doubling to 1 ms (a write holds the lock for about 1–2 ms), for at most 5 s
/// (the busy timeout Spin's connections have).
pub const BUSY_WAIT: Backoff = Backoff {
    first: Duration::from_micros(100),
    longest: Duration::from_millis(1),
    limit: Duration::from_secs(5),
};

impl Backoff {
    /// The pause before retry `n` (from 0): the step, less up to half of it at random.
    pub fn pause(&self, n: u32, random: u64) -> Duration {
        let step = self.first.saturating_mul(1 << n.min(16)).min(self.longest);
        let half = step.as_nanos() as u64 / 2;
        step - Duration::from_nanos(random % (half + 1))
    }

    /// Runs `attempt` until it succeeds or fails other than busy, pausing between tries; once
    /// `limit` has passed, its busy error is returned, saying so.
    pub fn run<T>(&self, mut attempt: impl FnMut() -> Result<T, SqlError>) -> Result<T, SqlError> {
        let started = std::time::Instant::now();
        let mut tries = 0;
        loop {
            match attempt() {
                Err(e) if e.is_busy() => {
                    if started.elapsed() >= self.limit {
                        return Err(SqlError(format!(
                            "{e} (still busy after {} tries in {:?})",
                            tries + 1,
                            started.elapsed()
                        )));
                    }
                    // Works in a wasm32-wasip2 guest too (a `wasi:clocks` subscription, which Spin
                    // and our host serve without blocking a thread).
                    std::thread::sleep(self.pause(tries, random()));
                    tries += 1;
                }
                done => return done,
            }
        }
    }
}

/// Randomness for jitter, from std's per-process random hash keys (the OS's, or WASI's
/// `random`): not for secrets.
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// One open connection to a SQLite database.
pub trait Sql {
    /// Runs one statement with positional parameters (`?1`, `?2`, … or `?`) once and returns all its
    /// rows; a busy error if another connection holds the lock it needs.
    fn query_once(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError>;

    /// Runs one statement and returns all its rows, waiting ([`BUSY_WAIT`]) while another connection
    /// holds the lock it needs.
    fn query(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        BUSY_WAIT.run(|| self.query_once(statement, params))
    }

    /// Runs a statement for its effect only.
    fn run(&self, statement: &str, params: &[Value]) -> Result<(), SqlError> {
        self.query(statement, params).map(drop)
    }
}

/// A [`Sql`] that records every statement run through it, for tests that bound what an operation
/// costs (a page of a list: a constant number of statements, never one per row).
///
/// ```ignore
/// let db = Counting::new(connection);
/// cases::list(&db, &Filter::default(), now, None, 50)?;
/// assert!(db.take().len() <= 6);
/// ```
#[derive(Debug, Default)]
pub struct Counting<S> {
    inner: S,
    statements: std::cell::RefCell<Vec<String>>,
}

impl<S> Counting<S> {
    pub fn new(inner: S) -> Counting<S> {
        Counting {
            inner,
            statements: Default::default(),
        }
    }

    /// How many statements have run since the start or the last [`Counting::take`].
    pub fn count(&self) -> usize {
        self.statements.borrow().len()
    }

    /// The statements run since the start or the last `take`, in order; starts counting again.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.statements.borrow_mut())
    }

    /// The connection underneath, to run statements that are not counted.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Sql> Sql for Counting<S> {
    fn query_once(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
        self.statements.borrow_mut().push(statement.to_string());
        self.inner.query_once(statement, params)
    }
}

/// Settings the app applies to a connection before it writes, whichever runtime opened it: Spin sets
/// none. SQLite's busy handler only for its first, short steps; the port waits longer itself
/// ([`Backoff`]). (Measured against `busy_timeout = 0`: the same latencies, with 40% fewer tries of
/// `BEGIN`, each a trip to the host.) In WAL mode, `NORMAL` syncs at checkpoints, not every commit.
pub const CONNECTION_PRAGMAS: &[&str] = &["PRAGMA busy_timeout = 2", "PRAGMA synchronous = NORMAL"];

/// And before a transaction that writes records (outside it: inside one SQLite ignores it): foreign
/// keys are checked only when a connection asks. Queueing access-log entries, all that a read writes,
/// needs none, so a read saves the trip.
pub const RECORD_PRAGMAS: &[&str] = &["PRAGMA foreign_keys = ON"];

/// Applies [`CONNECTION_PRAGMAS`] and [`RECORD_PRAGMAS`], and switches the file to WAL if it is not yet. WAL persists in the
/// file, so this is a read on every connection but the first; and the switch is best effort, because
/// SQLite refuses it at once (no busy wait; tried once here) while another connection holds a lock — as when the first
/// requests race on a new database. One of them succeeds; the others run in rollback mode meanwhile.
///
/// Every pragma is best effort: a database that refuses one (a remote libSQL server takes no file
/// pragmas, nor `journal_mode`) is used as it is, not failed (README, "libSQL").
pub fn prepare_connection(db: &impl Sql) -> Result<(), SqlError> {
    for pragma in CONNECTION_PRAGMAS.iter().chain(RECORD_PRAGMAS) {
        let _ = db.run(pragma, &[]);
    }
    let Ok(mode) = db.query("PRAGMA journal_mode", &[]) else {
        return Ok(());
    };
    if !matches!(mode.first("journal_mode"), Some(Value::Text(m)) if m.eq_ignore_ascii_case("wal"))
    {
        let _ = db.query_once("PRAGMA journal_mode = WAL", &[]);
    }
    Ok(())
}

/// Runs `work` in one transaction (`BEGIN IMMEDIATE`, so a writer waits for the lock before it starts
/// instead of failing part-way; see [`BUSY_WAIT`]): committed if it returns `Ok`, rolled back otherwise.
pub fn transaction<T, E: From<SqlError>>(
    db: &impl Sql,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    db.run("BEGIN IMMEDIATE", &[])?;
    match work() {
        Ok(value) => {
            if let Err(e) = db.run("COMMIT", &[]) {
                let _ = db.run("ROLLBACK", &[]);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            let _ = db.run("ROLLBACK", &[]);
            Err(e)
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r}"),
            Value::Text(t) => write!(f, "{t:?}"),
            Value::Blob(b) => write!(f, "<{} bytes>", b.len()),
            Value::Null => write!(f, "NULL"),
        }
    }
}

#[cfg(feature = "rusqlite")]
mod native {
    use super::{Rows, Sql, SqlError, Value};
    use rusqlite::types::{Value as Native, ValueRef};

    /// The SQL port over a native `rusqlite` connection, for storage tests and tools.
    impl Sql for rusqlite::Connection {
        fn query_once(&self, statement: &str, params: &[Value]) -> Result<Rows, SqlError> {
            let err = |e: rusqlite::Error| SqlError(e.to_string());
            let mut stmt = self.prepare_cached(statement).map_err(err)?;
            let columns: Vec<String> = stmt
                .column_names()
                .into_iter()
                .map(str::to_string)
                .collect();
            let params = params.iter().map(|v| match v {
                Value::Integer(i) => Native::Integer(*i),
                Value::Real(r) => Native::Real(*r),
                Value::Text(t) => Native::Text(t.clone()),
                Value::Blob(b) => Native::Blob(b.clone()),
                Value::Null => Native::Null,
            });
            let mut rows = stmt
                .query(rusqlite::params_from_iter(params))
                .map_err(err)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(err)? {
                let values = (0..columns.len())
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Integer(i) => Value::Integer(i),
                            ValueRef::Real(r) => Value::Real(r),
                            ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                            ValueRef::Null => Value::Null,
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(err)?;
                out.push(values);
            }
            Ok(Rows { columns, rows: out })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_the_longest_and_jitter_takes_off_at_most_half() {
        let b = BUSY_WAIT;
        assert_eq!(b.pause(0, 0), Duration::from_micros(100));
        assert_eq!(b.pause(1, 0), Duration::from_micros(200));
        assert_eq!(b.pause(30, 0), b.longest);
        for random in [1, 7, 49_999, 50_000, u64::MAX] {
            let p = b.pause(0, random);
            assert!(p >= Duration::from_micros(50) && p <= Duration::from_micros(100));
        }
    }

    /// Two connections to one file; the first holds the write lock until `release` passes.
    fn held_lock(release: Duration) -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        prepare_connection(&holder).unwrap();
        holder.run("BEGIN IMMEDIATE", &[]).unwrap();
        std::thread::spawn(move || {
            std::thread::sleep(release);
            holder.run("COMMIT", &[]).unwrap();
        });
        let waiter = rusqlite::Connection::open(&path).unwrap();
        for pragma in CONNECTION_PRAGMAS {
            waiter.run(pragma, &[]).unwrap();
        }
        (dir, waiter)
    }

    #[test]
    fn a_writer_waits_for_the_lock_and_gets_it_once_released() {
        let (_dir, waiter) = held_lock(Duration::from_millis(60));
        assert!(
            waiter
                .query_once("BEGIN IMMEDIATE", &[])
                .unwrap_err()
                .is_busy()
        );
        let started = std::time::Instant::now();
        waiter.run("BEGIN IMMEDIATE", &[]).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(30));
        waiter.run("COMMIT", &[]).unwrap();
    }

    #[test]
    fn a_writer_gives_up_busy_after_the_limit() {
        let (_dir, waiter) = held_lock(Duration::from_secs(2));
        let backoff = Backoff {
            limit: Duration::from_millis(50),
            ..BUSY_WAIT
        };
        let started = std::time::Instant::now();
        let e = backoff
            .run(|| waiter.query_once("BEGIN IMMEDIATE", &[]))
            .unwrap_err();
        assert!(e.is_busy() && e.0.contains("still busy"), "{e}");
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_corrupt_value_is_an_error_never_a_default() {
        let rows = Rows {
            columns: vec!["flag".into(), "json".into(), "level".into(), "none".into()],
            rows: vec![vec![
                Value::Integer(2),
                Value::Text("{".into()),
                Value::Text("severe".into()),
                Value::Null,
            ]],
        };
        let row = rows.first_row().unwrap();
        assert!(row.flag("flag").is_err());
        assert!(row.json::<serde_json::Value>("json").is_err());
        assert!(row.parse::<crate::risk::scoring::Level>("level").is_err());
        assert!(row.text("none").is_err());
        assert!(row.integer("missing").is_err());
        assert_eq!(row.optional_text("none"), Ok(None));
        assert_eq!(row.optional_json::<i64>("none"), Ok(None));
        assert!(Rows::default().required_integer("n").is_err());
    }
}
