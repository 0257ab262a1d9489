//! The Spin interfaces a component may import: `fermyon:spin/key-value@2.0.0`,
//! `fermyon:spin/variables@2.0.0` and `spin:sqlite/sqlite@3.0.0`, each checked against the component's
//! grants in `spin.toml` (deny by default).

use crate::profile::{self, RequestProfile};
use crate::stores::{KeyValueStore, StoreMode, Stores};
use crate::variables::Variables;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wasmtime::component::{Resource, ResourceTable};

wasmtime::component::bindgen!({
    path: "wit/spin.wit",
    world: "spin-host:runtime/host",
    imports: {
        "fermyon:spin/variables": trappable,
        default: async | trappable,
    },
    with: {
        "fermyon:spin/key-value.store": KeyValueHandle,
        "spin:sqlite/sqlite.connection": SqliteHandle,
    },
});

use fermyon::spin::{key_value, variables};
use spin::sqlite::sqlite;

/// Spin's limit on open store and connection handles per instance.
const MAX_OPEN_HANDLES: usize = 256;

/// What one component may use, fixed at start-up.
#[derive(Debug)]
pub struct Grants {
    pub component: String,
    pub key_value_stores: BTreeSet<String>,
    pub sqlite_databases: BTreeSet<String>,
    /// `allowed_outbound_hosts`, rendered.
    pub outbound: crate::outbound::AllowedHosts,
}

/// Per-request state behind the Spin interfaces.
pub struct SpinState {
    grants: Arc<Grants>,
    stores: Arc<Stores>,
    variables: Arc<Variables>,
    table: ResourceTable,
    open_handles: usize,
    /// With `SPIN_HOST_PROFILE`: where this request's time goes (see `profile`).
    pub profile: Option<RequestProfile>,
}

impl SpinState {
    pub fn new(grants: Arc<Grants>, stores: Arc<Stores>, variables: Arc<Variables>) -> SpinState {
        SpinState {
            grants,
            stores,
            variables,
            table: ResourceTable::new(),
            open_handles: 0,
            profile: profile::enabled().then(RequestProfile::default),
        }
    }
}

pub struct KeyValueHandle {
    label: String,
    store: Arc<KeyValueStore>,
}

pub struct SqliteHandle {
    label: String,
    /// As Spin, `None` until the first statement opens the file.
    conn: Option<Arc<Mutex<rusqlite::Connection>>>,
    /// Held from this connection's `BEGIN` until it is back in autocommit.
    in_transaction: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// When profiling: the busy timeout the connection has (rusqlite's 5 s until a `PRAGMA busy_timeout`).
    busy_timeout_ms: i32,
}

/// How long a `BEGIN` waits at the write gate before going on to SQLite's own busy timeout.
const GATE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn is_begin(statement: &str) -> bool {
    statement
        .trim_start()
        .get(..5)
        .is_some_and(|word| word.eq_ignore_ascii_case("begin"))
}

/// Runs store work that may block (SQLite waiting on another writer's lock) without stalling the
/// executor: `block_in_place` hands this worker's other tasks to another thread and runs the work
/// here, which costs far less than a trip to the blocking pool for statements that take microseconds.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> wasmtime::Result<T> {
    Ok(tokio::task::block_in_place(f))
}

/// Runs one SQL statement's work the way the store mode says: as Spin's `spin-sqlite-inproc`, on
/// tokio's blocking pool (a hand-off to another thread and back per statement); pooled, in place.
async fn run_statement<T: Send + 'static>(
    mode: StoreMode,
    f: impl FnOnce() -> T + Send + 'static,
) -> wasmtime::Result<Result<T, sqlite::Error>> {
    match mode {
        StoreMode::Spin => Ok(tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| sqlite::Error::Io(format!("internal runtime error: {e}")))),
        StoreMode::Pooled => Ok(Ok(tokio::task::block_in_place(f))),
    }
}

impl key_value::Host for SpinState {}

impl key_value::HostStore for SpinState {
    async fn open(
        &mut self,
        label: String,
    ) -> wasmtime::Result<Result<Resource<KeyValueHandle>, key_value::Error>> {
        let Some(store) = self.stores.key_value(&label) else {
            return Ok(Err(key_value::Error::NoSuchStore));
        };
        if !self.grants.key_value_stores.contains(&label) {
            return Ok(Err(key_value::Error::AccessDenied));
        }
        if self.open_handles >= MAX_OPEN_HANDLES {
            return Ok(Err(key_value::Error::StoreTableFull));
        }
        self.open_handles += 1;
        Ok(Ok(self.table.push(KeyValueHandle { label, store })?))
    }

    async fn get(
        &mut self,
        this: Resource<KeyValueHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, key_value::Error>> {
        let (store, label) = self.kv(&this)?;
        self.kv_call("kv get", move || {
            store.get(&label, &key).map_err(key_value::Error::Other)
        })
        .await
    }

    async fn set(
        &mut self,
        this: Resource<KeyValueHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let (store, label) = self.kv(&this)?;
        self.kv_call("kv set", move || {
            store
                .set(&label, &key, &value)
                .map_err(key_value::Error::Other)
        })
        .await
    }

    async fn delete(
        &mut self,
        this: Resource<KeyValueHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), key_value::Error>> {
        let (store, label) = self.kv(&this)?;
        self.kv_call("kv delete", move || {
            store.delete(&label, &key).map_err(key_value::Error::Other)
        })
        .await
    }

    async fn exists(
        &mut self,
        this: Resource<KeyValueHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, key_value::Error>> {
        let (store, label) = self.kv(&this)?;
        self.kv_call("kv exists", move || {
            store.exists(&label, &key).map_err(key_value::Error::Other)
        })
        .await
    }

    async fn get_keys(
        &mut self,
        this: Resource<KeyValueHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, key_value::Error>> {
        let (store, label) = self.kv(&this)?;
        self.kv_call("kv get-keys", move || {
            store.keys(&label).map_err(key_value::Error::Other)
        })
        .await
    }

    async fn drop(&mut self, this: Resource<KeyValueHandle>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        self.open_handles -= 1;
        Ok(())
    }
}

impl SpinState {
    fn kv(
        &self,
        handle: &Resource<KeyValueHandle>,
    ) -> wasmtime::Result<(Arc<KeyValueStore>, String)> {
        let handle = self.table.get(handle)?;
        Ok((handle.store.clone(), handle.label.clone()))
    }

    /// A key-value operation in place (as `blocking`), timed when profiling.
    async fn kv_call<T: Send + 'static>(
        &mut self,
        op: &'static str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> wasmtime::Result<T> {
        if self.profile.is_none() {
            return blocking(f).await;
        }
        let started = Instant::now();
        let (value, waited) = blocking(move || (f(), profile::take_kv_lock_wait())).await?;
        if let Some(p) = &mut self.profile {
            p.add(op, started.elapsed());
            p.add("kv  of which shared-connection lock wait", waited);
        }
        Ok(value)
    }
}

impl variables::Host for SpinState {
    fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        let started = Instant::now();
        let value = self.get_variable(name);
        if let Some(p) = &mut self.profile {
            p.add("variables get", started.elapsed());
        }
        value
    }
}

impl SpinState {
    fn get_variable(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if crate::manifest::check_variable_name(&name).is_err() {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(match self.variables.get(&self.grants.component, &name) {
            Some(value) => Ok(value.to_string()),
            None => Err(variables::Error::Undefined(format!(
                "no variable for '{name}'"
            ))),
        })
    }
}

impl sqlite::Host for SpinState {}

impl sqlite::HostConnection for SpinState {
    async fn open(
        &mut self,
        database: String,
    ) -> wasmtime::Result<Result<Resource<SqliteHandle>, sqlite::Error>> {
        if !self.stores.has_sqlite(&database) {
            return Ok(Err(sqlite::Error::NoSuchDatabase));
        }
        if !self.grants.sqlite_databases.contains(&database) {
            return Ok(Err(sqlite::Error::AccessDenied));
        }
        if self.open_handles >= MAX_OPEN_HANDLES {
            return Ok(Err(sqlite::Error::Io("too many open connections".into())));
        }
        let conn = match self.stores.mode() {
            // Spin's `open` makes a connection object that opens the file at its first statement.
            StoreMode::Spin => None,
            StoreMode::Pooled => {
                let stores = self.stores.clone();
                let label = database.clone();
                match blocking(move || stores.connect(&label).expect("checked above")).await? {
                    Ok(conn) => Some(Arc::new(Mutex::new(conn))),
                    Err(e) => return Ok(Err(sqlite::Error::Io(format!("{e:#}")))),
                }
            }
        };
        self.open_handles += 1;
        let handle = SqliteHandle {
            label: database,
            conn,
            in_transaction: None,
            busy_timeout_ms: 5000,
        };
        Ok(Ok(self.table.push(handle)?))
    }

    async fn execute(
        &mut self,
        this: Resource<SqliteHandle>,
        statement: String,
        parameters: Vec<sqlite::Value>,
    ) -> wasmtime::Result<Result<sqlite::QueryResult, sqlite::Error>> {
        let handle = self.table.get(&this)?;
        let (conn, label, gated, busy_timeout_ms) = (
            handle.conn.clone(),
            handle.label.clone(),
            handle.in_transaction.is_some(),
            handle.busy_timeout_ms,
        );
        let conn = match conn {
            Some(conn) => conn,
            // As Spin: opened on the calling thread, at the first statement.
            None => match self.connect_timed(&label) {
                Ok(conn) => {
                    let conn = Arc::new(Mutex::new(conn));
                    self.table.get_mut(&this)?.conn = Some(conn.clone());
                    conn
                }
                Err(e) => return Ok(Err(sqlite::Error::Io(format!("{e:#}")))),
            },
        };
        if is_begin(&statement)
            && !gated
            && let Some(gate) = self.stores.write_gate(&label)
            && let Ok(guard) = tokio::time::timeout(GATE_WAIT, gate.lock_owned()).await
        {
            self.table.get_mut(&this)?.in_transaction = Some(guard);
        }
        let profiling = self.profile.is_some();
        let text = profiling.then(|| statement.clone());
        let started = Instant::now();
        let done = run_statement(self.stores.mode(), move || {
            let began = Instant::now();
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            if profiling {
                profile::set_busy_timeout(busy_timeout_ms);
            }
            let result = execute(&conn, &statement, parameters)
                .map_err(|e| sqlite::Error::Io(e.to_string()));
            let mut figures = None;
            if profiling {
                // The app's `PRAGMA busy_timeout = N` put SQLite's own handler back (or none, for 0):
                // the counting copy again, with that timeout.
                let timeout = busy_timeout_pragma(&statement).filter(|_| result.is_ok());
                if let Some(ms) = timeout.filter(|ms| *ms > 0) {
                    let _ = conn.busy_handler(Some(profile::busy_handler));
                    profile::set_busy_timeout(ms);
                }
                let busy = (
                    began.elapsed(),
                    profile::take_prepare(),
                    profile::take_busy(),
                );
                figures = Some((busy, timeout));
            }
            (result, conn.is_autocommit(), figures)
        })
        .await?;
        let done = done.map(|(result, autocommit, figures)| {
            if let (Some(p), Some(text), Some(((inner, prepare, busy), timeout))) =
                (&mut self.profile, &text, figures)
            {
                p.statement(text, started.elapsed(), inner, prepare, busy, autocommit);
                if let (Some(ms), Ok(handle)) = (timeout, self.table.get_mut(&this)) {
                    handle.busy_timeout_ms = ms;
                }
            }
            (result, autocommit)
        });
        let (result, autocommit) = match done {
            Ok(done) => done,
            Err(e) => return Ok(Err(e)),
        };
        if autocommit {
            self.table.get_mut(&this)?.in_transaction = None;
        }
        Ok(result)
    }

    async fn last_insert_rowid(&mut self, this: Resource<SqliteHandle>) -> wasmtime::Result<i64> {
        let Some(conn) = self.table.get(&this)?.conn.clone() else {
            return Ok(0);
        };
        let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(conn.last_insert_rowid())
    }

    async fn changes(&mut self, this: Resource<SqliteHandle>) -> wasmtime::Result<u64> {
        let Some(conn) = self.table.get(&this)?.conn.clone() else {
            return Ok(0);
        };
        let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(conn.changes())
    }

    async fn drop(&mut self, this: Resource<SqliteHandle>) -> wasmtime::Result<()> {
        let handle = self.table.delete(this)?;
        self.open_handles -= 1;
        if let Some(Ok(conn)) = handle.conn.map(Arc::try_unwrap) {
            let conn = conn.into_inner().unwrap_or_else(|p| p.into_inner());
            match self.stores.mode() {
                // As Spin: closed where the guest dropped it, on the calling thread.
                StoreMode::Spin => {
                    let started = Instant::now();
                    drop(conn);
                    if let Some(p) = &mut self.profile {
                        p.add("sql close", started.elapsed());
                    }
                }
                StoreMode::Pooled => {
                    let stores = self.stores.clone();
                    blocking(move || stores.release(&handle.label, conn)).await?;
                }
            }
        }
        // `in_transaction` drops with the handle, after the connection is back (and rolled back).
        Ok(())
    }
}

impl SpinState {
    /// `Stores::connect`, timed when profiling; the connection then gets the counting busy handler.
    fn connect_timed(&mut self, label: &str) -> anyhow::Result<rusqlite::Connection> {
        let started = Instant::now();
        let conn = self
            .stores
            .connect(label)
            .expect("opened handles are known")?;
        if let Some(p) = &mut self.profile {
            p.add("sql open (file, at the first statement)", started.elapsed());
            conn.busy_handler(Some(profile::busy_handler))?;
        }
        Ok(conn)
    }
}

/// The timeout a `PRAGMA busy_timeout = N` sets, in ms.
fn busy_timeout_pragma(statement: &str) -> Option<i32> {
    let words: String = statement
        .split_whitespace()
        .collect::<String>()
        .to_ascii_lowercase();
    words
        .strip_prefix("pragmabusy_timeout=")?
        .trim_end_matches(';')
        .parse()
        .ok()
}

/// One statement, all its rows (Spin returns the whole result set at once).
fn execute(
    conn: &rusqlite::Connection,
    statement: &str,
    parameters: Vec<sqlite::Value>,
) -> rusqlite::Result<sqlite::QueryResult> {
    use rusqlite::types::{Value as Sql, ValueRef};
    let prepared = Instant::now();
    let mut stmt = conn.prepare_cached(statement)?;
    if profile::enabled() {
        profile::add_prepare(prepared.elapsed());
    }
    let columns: Vec<String> = stmt
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let params: Vec<Sql> = parameters
        .into_iter()
        .map(|v| match v {
            sqlite::Value::Integer(i) => Sql::Integer(i),
            sqlite::Value::Real(f) => Sql::Real(f),
            sqlite::Value::Text(t) => Sql::Text(t),
            sqlite::Value::Blob(b) => Sql::Blob(b),
            sqlite::Value::Null => Sql::Null,
        })
        .collect();
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut result = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns.len())
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    ValueRef::Integer(i) => sqlite::Value::Integer(i),
                    ValueRef::Real(f) => sqlite::Value::Real(f),
                    ValueRef::Text(t) => {
                        sqlite::Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    ValueRef::Blob(b) => sqlite::Value::Blob(b.to_vec()),
                    ValueRef::Null => sqlite::Value::Null,
                })
            })
            .collect::<rusqlite::Result<_>>()?;
        result.push(sqlite::RowResult { values });
    }
    Ok(sqlite::QueryResult {
        columns,
        rows: result,
    })
}

/// Adds the Spin interfaces to a linker whose store data exposes a [`SpinState`].
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> &mut SpinState,
) -> wasmtime::Result<()> {
    Host_::add_to_linker::<T, wasmtime::component::HasSelf<SpinState>>(linker, get)
}
