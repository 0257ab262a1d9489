//! Key-value stores and SQLite databases, persisted as SQLite files like Spin's local backends, and the
//! Spin-style runtime config file that says where each labelled store lives.
//!
//! Two ways of handling them ([`StoreMode`]): as Spin 4 does (the default), so that what is measured
//! here predicts Spin, or pooled, which is faster and hides costs that production pays.

use anyhow::{Context, Result, bail};
use redis::Commands as _;
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
    /// `type = "redis"`: `redis://host[:port][/db]` (or `rediss://`), as Spin takes it.
    url: Option<String>,
}

/// Where one labelled key-value store lives.
enum KeyValueBackend {
    /// Spin's local backend: a SQLite file.
    File(PathBuf),
    /// Spin's `key-value-redis`: a Redis server.
    Redis(String),
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
        let file_path = |label: &str, kind: &str, store: &StoreConfig| -> Result<PathBuf> {
            let Some(path) = &store.path else {
                bail!("{kind} '{label}' needs a `path` on this host");
            };
            Ok(config_dir.join(path))
        };

        let mut kv_backends = BTreeMap::from([(
            "default".to_string(),
            KeyValueBackend::File(state_dir.join("sqlite_key_value.db")),
        )]);
        for (label, store) in &config.key_value_store {
            let backend = match store.kind.as_str() {
                "spin" => KeyValueBackend::File(file_path(label, "key_value_store", store)?),
                "redis" => match &store.url {
                    Some(url) => KeyValueBackend::Redis(url.clone()),
                    None => bail!("key_value_store '{label}': type \"redis\" needs a `url`"),
                },
                other => bail!(
                    "key_value_store '{label}': type '{other}' is not supported by this host (only \"spin\" and \"redis\")"
                ),
            };
            kv_backends.insert(label.clone(), backend);
        }
        let mut sqlite = BTreeMap::from([("default".to_string(), state_dir.join("sqlite_db.db"))]);
        for (label, store) in &config.sqlite_database {
            let path = match store.kind.as_str() {
                "spin" => file_path(label, "sqlite_database", store)?,
                "libsql" => bail!(
                    "sqlite_database '{label}': type \"libsql\" (a remote libSQL server) is not served by this host; \
                     serve it with Spin (`spin up --runtime-config-file`) or SpinKube, or use type = \"spin\" here"
                ),
                other => bail!(
                    "sqlite_database '{label}': type '{other}' is not supported by this host (only \"spin\")"
                ),
            };
            sqlite.insert(label.clone(), path);
        }

        let mut key_value = BTreeMap::new();
        for (label, backend) in kv_backends {
            let store = match backend {
                KeyValueBackend::File(path) => {
                    KeyValueStore::open(&path, mode).with_context(|| {
                        format!(
                            "cannot open key-value store '{label}' at {}",
                            path.display()
                        )
                    })?
                }
                KeyValueBackend::Redis(url) => KeyValueStore::redis(&url)
                    .with_context(|| format!("key_value_store '{label}': invalid Redis url"))?,
            };
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

/// A key-value store, as one of Spin's backends.
///
/// The local one (`type = "spin"`): one table `spin_key_value(store, key, value)` as Spin's local
/// backend has, behind one connection shared by every request (as Spin's). As Spin, that connection
/// has rusqlite's defaults: each write is its own rollback-journal transaction with a full sync.
/// Pooled, it is WAL.
///
/// Redis (`type = "redis"`), as Spin's `key-value-redis` (`crates/key-value-redis/src/store.rs`):
/// `GET`, `SET`, `DEL`, `EXISTS` on the key itself (the store's label is not part of it: two labels on
/// one Redis database share their keys, as on Spin), and `get-keys` is `KEYS *`, every key in that
/// Redis database. The client is made at start-up (a malformed url stops it) and connects at the
/// first use, as Spin's does, so a Redis that is down fails each operation (`other`), not the start.
pub struct KeyValueStore {
    backend: Backend,
}

enum Backend {
    File(Mutex<Connection>),
    Redis {
        client: redis::Client,
        /// Idle connections: each operation takes one (or connects) and puts it back, so requests
        /// do not queue behind one another (Spin's multiplexed connection does not serialise them).
        idle: Mutex<Vec<redis::Connection>>,
    },
}

/// How long a Redis connection or command may take before the operation fails.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);

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
            backend: Backend::File(Mutex::new(conn)),
        })
    }

    fn redis(url: &str) -> Result<KeyValueStore> {
        // redis-rs names what is wrong with the url, never the url itself (it may carry a password).
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(KeyValueStore {
            backend: Backend::Redis {
                client,
                idle: Mutex::new(Vec::new()),
            },
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, String> {
        let Backend::File(conn) = &self.backend else {
            unreachable!("with() is only called for the file backend");
        };
        let waiting = std::time::Instant::now();
        let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if crate::profile::enabled() {
            crate::profile::add_kv_lock_wait(waiting.elapsed());
        }
        f(&conn).map_err(|e| e.to_string())
    }

    /// Runs one Redis command on an idle connection (or a new one), which is kept only if it worked.
    fn redis_do<T>(
        client: &redis::Client,
        idle: &Mutex<Vec<redis::Connection>>,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let reused = idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match reused {
            Some(conn) => conn,
            None => {
                let conn = client
                    .get_connection_with_timeout(REDIS_TIMEOUT)
                    .map_err(|e| format!("cannot connect to Redis: {e}"))?;
                conn.set_read_timeout(Some(REDIS_TIMEOUT))
                    .and_then(|()| conn.set_write_timeout(Some(REDIS_TIMEOUT)))
                    .map_err(|e| format!("Redis: {e}"))?;
                conn
            }
        };
        let result = f(&mut conn).map_err(|e| e.to_string());
        if result.is_ok() {
            let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < POOL_SIZE {
                idle.push(conn);
            }
        }
        result
    }

    pub fn get(&self, label: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        if let Backend::Redis { client, idle } = &self.backend {
            return Self::redis_do(client, idle, |c| c.get::<_, Option<Vec<u8>>>(key));
        }
        self.with(|c| {
            c.prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .query_row(params![label, key], |row| row.get(0))
                .optional()
        })
    }

    pub fn set(&self, label: &str, key: &str, value: &[u8]) -> Result<(), String> {
        if let Backend::Redis { client, idle } = &self.backend {
            return Self::redis_do(client, idle, |c| c.set::<_, _, ()>(key, value));
        }
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
        if let Backend::Redis { client, idle } = &self.backend {
            return Self::redis_do(client, idle, |c| c.del::<_, ()>(key));
        }
        self.with(|c| {
            c.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")?
                .execute(params![label, key])
                .map(drop)
        })
    }

    pub fn exists(&self, label: &str, key: &str) -> Result<bool, String> {
        if let Backend::Redis { client, idle } = &self.backend {
            return Self::redis_do(client, idle, |c| c.exists::<_, bool>(key));
        }
        self.with(|c| {
            c.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2 LIMIT 1")?
                .exists(params![label, key])
        })
    }

    pub fn keys(&self, label: &str) -> Result<Vec<String>, String> {
        if let Backend::Redis { client, idle } = &self.backend {
            return Self::redis_do(client, idle, |c| c.keys::<_, Vec<String>>("*"));
        }
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

        let libsql: RuntimeConfig = toml::from_str(
            "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"https://db.example\"\ntoken = \"t\"\n",
        )
        .unwrap();
        let error = Stores::open(dir.path(), &libsql, dir.path(), StoreMode::Spin)
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("\"libsql\" (a remote libSQL server) is not served"));

        let cosmos: RuntimeConfig =
            toml::from_str("[key_value_store.default]\ntype = \"azure_cosmos\"\n").unwrap();
        let error = Stores::open(dir.path(), &cosmos, dir.path(), StoreMode::Spin)
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("not supported"));

        let no_url: RuntimeConfig =
            toml::from_str("[key_value_store.default]\ntype = \"redis\"\n").unwrap();
        let error = Stores::open(dir.path(), &no_url, dir.path(), StoreMode::Spin)
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("needs a `url`"));

        // A malformed url stops start-up, and the message does not repeat it (it may hold a password).
        let bad: RuntimeConfig = toml::from_str(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"nonsense://:hunter2@x\"\n",
        )
        .unwrap();
        let error = Stores::open(dir.path(), &bad, dir.path(), StoreMode::Spin)
            .err()
            .unwrap();
        let message = format!("{error:#}");
        assert!(
            message.contains("invalid Redis url") && !message.contains("hunter2"),
            "{message}"
        );
    }

    /// A Redis store behaves as Spin's `key-value-redis`: the same answers as the file store, keys not
    /// namespaced by label, `get-keys` every key; a Redis that is down fails the operation, not start-up.
    #[test]
    fn redis_key_value_as_spin() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = match std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
        {
            Ok(server) => server,
            Err(e) => panic!("redis-server could not start ({e}): scripts/test installs it"),
        };
        let dir = tempfile::tempdir().unwrap();
        let config: RuntimeConfig = toml::from_str(&format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{port}\"\n\
             [key_value_store.other]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{port}\"\n"
        ))
        .unwrap();
        let stores = Stores::open(dir.path(), &config, dir.path(), StoreMode::Spin).unwrap();
        let kv = stores.key_value("default").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while kv.get("default", "a").is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(kv.get("default", "a").unwrap(), None);
        kv.set("default", "a", b"1").unwrap();
        kv.set("default", "a", &[0, 255, 2]).unwrap();
        assert_eq!(kv.get("default", "a").unwrap(), Some(vec![0, 255, 2]));
        assert!(kv.exists("default", "a").unwrap());
        kv.set("default", "b", b"").unwrap();
        assert_eq!(kv.get("default", "b").unwrap(), Some(Vec::new()));
        let other = stores.key_value("other").unwrap();
        assert_eq!(other.get("other", "a").unwrap(), Some(vec![0, 255, 2]));
        let mut keys = other.keys("other").unwrap();
        keys.sort();
        assert_eq!(keys, ["a", "b"]);
        kv.delete("default", "a").unwrap();
        kv.delete("default", "missing").unwrap();
        assert!(!kv.exists("default", "a").unwrap());

        server.kill().unwrap();
        server.wait().unwrap();
        // An idle connection may see the close only at its next use; a new one is refused.
        let failed = (0..2).any(|_| kv.get("default", "b").is_err());
        assert!(failed, "an operation on a stopped Redis fails");
    }
}
