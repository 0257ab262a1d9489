//! Key-value stores and SQLite databases, persisted as SQLite files like Spin's local backends, and the
//! Spin-style runtime config file that says where each labelled store lives.
//!
//! Two ways of handling them ([`StoreMode`]): as Spin 4 does (the default), so that what is measured
//! here predicts Spin, or pooled, which is faster and hides costs that production pays.

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a connection waits for another writer before reporting "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How the host handles the SQLite and key-value stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreMode {
    /// As Spin 4's local backends (`spin-sqlite-inproc`, `spin-key-value-spin`) do: a new SQLite
    /// connection for every `open`, opened at its first statement with nothing but rusqlite's defaults
    /// (its 5 s busy timeout; no pragmas, so the file keeps whatever journal mode it has), each
    /// statement run on tokio's blocking pool, closed when the guest drops it; no queueing of writers
    /// other than SQLite's own busy handler. Each key-value store is one connection with rusqlite's
    /// defaults (rollback journal, `synchronous=FULL`), shared by every request behind a mutex.
    #[default]
    Spin,
    /// Faster than Spin, and so misleading for measurements: SQLite connections are reused across
    /// requests (prepared statements and schema stay cached), a write gate queues `BEGIN`s in order
    /// instead of leaving them to SQLite's sleeping busy handler, and every file is switched to WAL.
    Pooled,
}

impl std::str::FromStr for StoreMode {
    type Err = String;

    fn from_str(text: &str) -> Result<StoreMode, String> {
        match text {
            "spin" => Ok(StoreMode::Spin),
            "pooled" => Ok(StoreMode::Pooled),
            _ => Err(format!("expected `spin` or `pooled`, not `{text}`")),
        }
    }
}

impl std::fmt::Display for StoreMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreMode::Spin => "spin",
            StoreMode::Pooled => "pooled",
        })
    }
}

/// `[key_value_store.<label>]` and `[sqlite_database.<label>]` tables of a Spin runtime config file.
#[derive(Debug, Default, Deserialize)]
pub struct RuntimeConfig {
    #[serde(default)]
    key_value_store: BTreeMap<String, StoreConfig>,
    #[serde(default)]
    sqlite_database: BTreeMap<String, StoreConfig>,
}

#[derive(Debug, Deserialize)]
struct StoreConfig {
    #[serde(rename = "type")]
    kind: String,
    path: Option<PathBuf>,
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<RuntimeConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the runtime config {}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}", e.message()))
            .with_context(|| format!("invalid runtime config {}", path.display()))
    }
}

/// Every store and database the app may open, by label.
pub struct Stores {
    mode: StoreMode,
    key_value: BTreeMap<String, Arc<KeyValueStore>>,
    sqlite: BTreeMap<String, Database>,
}

/// Idle connections kept per database.
const POOL_SIZE: usize = 32;

/// A SQLite database: its file and, in [`StoreMode::Pooled`], idle connections to reuse and the write gate.
struct Database {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Held by the connection that is inside an explicit transaction, so other requests' `BEGIN`s queue
    /// here, in order, instead of sleeping in SQLite's busy handler (whose back-off reaches 100 ms).
    gate: Arc<tokio::sync::Mutex<()>>,
}

impl Stores {
    /// Opens the stores named in the runtime config, plus the `default` ones under `state_dir`
    /// (`sqlite_key_value.db` and `sqlite_db.db`, Spin's file names). Relative paths in the
    /// runtime config are relative to the config file's folder, as in Spin.
    pub fn open(
        state_dir: &Path,
        config: &RuntimeConfig,
        config_dir: &Path,
        mode: StoreMode,
    ) -> Result<Stores> {
        std::fs::create_dir_all(state_dir).with_context(|| {
            format!("cannot create the state directory {}", state_dir.display())
        })?;
        let resolve = |label: &str, kind: &str, store: &StoreConfig| -> Result<PathBuf> {
            if store.kind != "spin" {
                bail!(
                    "{kind} '{label}': type '{}' is not supported by this host (only \"spin\")",
                    store.kind
                );
            }
            let Some(path) = &store.path else {
                bail!("{kind} '{label}' needs a `path` on this host");
            };
            Ok(config_dir.join(path))
        };

        let mut kv_paths =
            BTreeMap::from([("default".to_string(), state_dir.join("sqlite_key_value.db"))]);
        for (label, store) in &config.key_value_store {
            kv_paths.insert(label.clone(), resolve(label, "key_value_store", store)?);
        }
        let mut sqlite = BTreeMap::from([("default".to_string(), state_dir.join("sqlite_db.db"))]);
        for (label, store) in &config.sqlite_database {
            sqlite.insert(label.clone(), resolve(label, "sqlite_database", store)?);
        }

        let mut key_value = BTreeMap::new();
        for (label, path) in kv_paths {
            let store = KeyValueStore::open(&path, mode).with_context(|| {
                format!(
                    "cannot open key-value store '{label}' at {}",
                    path.display()
                )
            })?;
            key_value.insert(label, Arc::new(store));
        }
        let mut databases = BTreeMap::new();
        for (label, path) in sqlite {
            let opened = match mode {
                // Spin only makes sure the folder exists; the file is created by the first statement.
                StoreMode::Spin => create_parent(&path).map(|()| Vec::new()),
                StoreMode::Pooled => open_database(&path).map(|first| vec![first]),
            };
            let idle = opened.with_context(|| {
                format!(
                    "cannot open SQLite database '{label}' at {}",
                    path.display()
                )
            })?;
            let database = Database {
                path,
                idle: Mutex::new(idle),
                gate: Arc::new(tokio::sync::Mutex::new(())),
            };
            databases.insert(label, database);
        }
        Ok(Stores {
            mode,
            key_value,
            sqlite: databases,
        })
    }

    pub fn mode(&self) -> StoreMode {
        self.mode
    }

    pub fn has_key_value(&self, label: &str) -> bool {
        self.key_value.contains_key(label)
    }

    pub fn has_sqlite(&self, label: &str) -> bool {
        self.sqlite.contains_key(label)
    }

    pub fn key_value(&self, label: &str) -> Option<Arc<KeyValueStore>> {
        self.key_value.get(label).cloned()
    }

    /// A connection of its own for one `open`. As Spin: a new one, with rusqlite's defaults only.
    /// Pooled: reused from the idle ones when it can be (opening a file and reading its schema is most
    /// of the cost of a short request).
    pub fn connect(&self, label: &str) -> Option<Result<Connection>> {
        let database = self.sqlite.get(label)?;
        if self.mode == StoreMode::Spin {
            return Some(Connection::open(&database.path).map_err(anyhow::Error::from));
        }
        let idle = database
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        Some(match idle {
            Some(conn) => Ok(conn),
            None => open_database(&database.path),
        })
    }

    /// Takes a connection back when its guest handle is dropped. One left inside a transaction (the
    /// guest trapped or forgot) is rolled back first, so nothing leaks into the next request.
    /// As Spin, the connection is closed (SQLite rolls back what it left open).
    pub fn release(&self, label: &str, conn: Connection) {
        let Some(database) = self.sqlite.get(label) else {
            return;
        };
        if self.mode == StoreMode::Spin {
            drop(conn);
            return;
        }
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return;
        }
        let mut idle = database.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < POOL_SIZE {
            idle.push(conn);
        }
    }

    /// The database's write gate (see [`Database::gate`]); none as Spin, which has none.
    pub fn write_gate(&self, label: &str) -> Option<Arc<tokio::sync::Mutex<()>>> {
        if self.mode == StoreMode::Spin {
            return None;
        }
        self.sqlite.get(label).map(|d| d.gate.clone())
    }
}

/// Opens (creating if needed) a SQLite file with WAL and a busy timeout, so that concurrent requests wait
/// for each other instead of failing.
pub fn open_database(path: &Path) -> Result<Connection> {
    create_parent(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!(
            "could not switch {} to WAL (journal_mode is {mode})",
            path.display()
        );
    }
    Ok(conn)
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(())
}

/// A key-value store: one table `spin_key_value(store, key, value)` as Spin's local backend has, behind
/// one connection shared by every request (as Spin's). As Spin, that connection has rusqlite's defaults:
/// each write is its own rollback-journal transaction with a full sync. Pooled, it is WAL.
pub struct KeyValueStore {
    conn: Mutex<Connection>,
}

impl KeyValueStore {
    fn open(path: &Path, mode: StoreMode) -> Result<KeyValueStore> {
        let conn = match mode {
            StoreMode::Spin => {
                create_parent(path)?;
                Connection::open(path)?
            }
            StoreMode::Pooled => open_database(path)?,
        };
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key));",
        )?;
        Ok(KeyValueStore {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, String> {
        let waiting = std::time::Instant::now();
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if crate::profile::enabled() {
            crate::profile::add_kv_lock_wait(waiting.elapsed());
        }
        f(&conn).map_err(|e| e.to_string())
    }

    pub fn get(&self, label: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![label, key], |row| row.get(0))
                .optional()
        })
    }

    pub fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), String> {
        self.with(|c| {
            c.prepare_cached(
                "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![label, key, value])
            .map(drop)
        })
    }

    pub fn delete(&self, label: &str, key: &str) -> Result<(), String> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute(params![label, key])
                .map(drop)
        })
    }

    pub fn exists(&self, label: &str, key: &str) -> Result<bool, String> {
        self.with(|c| {
            c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2 LIMIT 1")?
                .exists(params![label, key])
        })
    }

    pub fn keys(&self, label: &str) -> Result<Vec<String>, String> {
        self.with(|c| {
            c.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")?
                .query_map(params![label], |row| row.get(0))?
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_round_trip_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let stores = Stores::open(
            dir.path(),
            &RuntimeConfig::default(),
            dir.path(),
            StoreMode::Spin,
        )
        .unwrap();
        let kv = stores.key_value("default").unwrap();
        kv.set("default", "a", b"1").unwrap();
        kv.set("default", "a", b"2").unwrap();
        assert_eq!(kv.get("default", "a").unwrap(), Some(b"2".to_vec()));
        assert_eq!(kv.keys("default").unwrap(), ["a"]);
        drop((kv, stores));

        let stores = Stores::open(
            dir.path(),
            &RuntimeConfig::default(),
            dir.path(),
            StoreMode::Spin,
        )
        .unwrap();
        let kv = stores.key_value("default").unwrap();
        assert!(kv.exists("default", "a").unwrap());
        kv.delete("default", "a").unwrap();
        assert_eq!(kv.get("default", "a").unwrap(), None);
    }

    #[test]
    fn runtime_config_adds_labels_and_rejects_other_backends() {
        let dir = tempfile::tempdir().unwrap();
        let config: RuntimeConfig = toml::from_str(
            "[key_value_store.cache]\ntype = \"spin\"\npath = \"c.db\"\n[sqlite_database.audit]\ntype = \"spin\"\npath = \"a.db\"\n",
        )
        .unwrap();
        let stores = Stores::open(dir.path(), &config, dir.path(), StoreMode::Pooled).unwrap();
        assert!(
            stores.has_key_value("cache")
                && stores.has_sqlite("audit")
                && stores.has_sqlite("default")
        );
        assert!(dir.path().join("a.db").exists());

        let redis: RuntimeConfig =
            toml::from_str("[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\n")
                .unwrap();
        let error = Stores::open(dir.path(), &redis, dir.path(), StoreMode::Spin)
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("not supported"));
    }
}
