//! The host against Spin's behaviour, with the fixture components: routing and `spin-*` headers, stores
//! and their grants, persistence across restarts, variables, isolation of failing guests, limits, and
//! start-up errors of the binary.

use serde_json::Value;
use spin_host::{HostConfig, Limits, Running, StoreMode};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// An app folder with a spin.toml whose components are the probe (any number of ids) and hello.
struct AppDir {
    dir: tempfile::TempDir,
}

impl AppDir {
    fn new(manifest_body: &str) -> AppDir {
        let dir = tempfile::tempdir().unwrap();
        let manifest = format!(
            "spin_manifest_version = 2\n[application]\nname = \"host-test\"\n{}",
            manifest_body
                .replace("PROBE", &toml_path(fixtures::PROBE_COMPONENT))
                .replace("HELLO", &toml_path(fixtures::HELLO_COMPONENT))
        );
        std::fs::write(dir.path().join("spin.toml"), manifest).unwrap();
        AppDir { dir }
    }

    fn manifest(&self) -> PathBuf {
        self.dir.path().join("spin.toml")
    }

    fn config(&self) -> HostConfig {
        let mut config = HostConfig::new(self.manifest());
        config.listen = "127.0.0.1:0".parse().unwrap();
        config
    }

    fn start(&self) -> Running {
        Running::start(self.config()).expect("host starts")
    }

    fn start_in(&self, store_mode: StoreMode) -> Running {
        let mut config = self.config();
        config.store_mode = store_mode;
        Running::start(config).expect("host starts")
    }
}

fn toml_path(path: &str) -> String {
    format!("{path:?}")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn get(host: &Running, path: &str) -> (u16, Value) {
    let mut response = agent().get(format!("{}{path}", host.url())).call().unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn post(host: &Running, path: &str, body: &str) -> (u16, Value) {
    let mut response = agent()
        .post(format!("{}{path}", host.url()))
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

/// Asserts that a response is an RFC 9457 problem shaped like the app's: `application/problem+json`,
/// `type` `/problems/<slug>`, a title, the status and a detail; and returns its body.
fn assert_problem(
    response: &mut ureq::http::Response<ureq::Body>,
    status: u16,
    slug: &str,
) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["type"], format!("/problems/{slug}"), "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    body
}

const ROUTES: &str = r#"
[[trigger.http]]
route = "/..."
component = "all"
[[trigger.http]]
route = "/users/:userid/cart/..."
component = "cart"
[[trigger.http]]
route = "/users/:userid"
component = "user"
[[trigger.http]]
route = "/users/me"
component = "me"
[[trigger.http]]
route = "/static/..."
component = "files"
[component.all]
source = PROBE
[component.cart]
source = PROBE
[component.user]
source = PROBE
[component.me]
source = PROBE
[component.files]
source = PROBE
"#;

#[test]
fn routes_by_precedence_and_sets_every_spin_header() {
    let app = AppDir::new(ROUTES);
    let host = app.start();
    let matched = |path: &str| {
        get(&host, path).1["headers"]["spin-matched-route"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(matched("/users/me"), "/users/me", "exact beats :param");
    assert_eq!(
        matched("/users/42"),
        "/users/:userid",
        ":param beats wildcard"
    );
    assert_eq!(
        matched("/users/42/cart/items/3"),
        "/users/:userid/cart/...",
        "longest prefix wins"
    );
    assert_eq!(
        matched("/static"),
        "/static/...",
        "a wildcard route matches its own prefix"
    );
    assert_eq!(matched("/anything/else"), "/...");

    let (status, body) = get(&host, "/users/1/cart/items/3/edit?x=1");
    assert_eq!(status, 200);
    let headers = &body["headers"];
    let port = host.addr().port();
    assert_eq!(
        headers["spin-full-url"],
        format!("http://127.0.0.1:{port}/users/1/cart/items/3/edit?x=1")
    );
    assert_eq!(headers["spin-path-info"], "/items/3/edit");
    assert_eq!(headers["spin-matched-route"], "/users/:userid/cart/...");
    assert_eq!(
        headers["spin-raw-component-route"],
        "/users/:userid/cart/..."
    );
    assert_eq!(headers["spin-component-route"], "/users/:userid/cart");
    assert_eq!(headers["spin-base-path"], "/");
    assert_eq!(headers["spin-path-match-userid"], "1");
    assert!(
        headers["spin-client-addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    assert_eq!(get(&host, "/static/").1["headers"]["spin-path-info"], "/");
    assert_eq!(get(&host, "/users/me").1["headers"]["spin-path-info"], "");
}

#[test]
fn no_route_is_a_404() {
    let app = AppDir::new(
        "[[trigger.http]]\nroute = \"/only\"\ncomponent = \"p\"\n[component.p]\nsource = PROBE\n",
    );
    let host = app.start();
    assert_eq!(get(&host, "/only").0, 200);
    let mut response = agent().get(format!("{}/other", host.url())).call().unwrap();
    assert_problem(&mut response, 404, "not-found");
}

const STORES: &str = r#"
[[trigger.http]]
route = "/granted/..."
component = "granted"
[[trigger.http]]
route = "/denied/..."
component = "denied"
[component.granted]
source = PROBE
key_value_stores = ["default"]
sqlite_databases = ["default"]
[component.denied]
source = PROBE
"#;

#[test]
fn key_value_and_sqlite_survive_a_restart() {
    let app = AppDir::new(STORES);
    {
        let host = app.start();
        assert_eq!(
            post(&host, "/granted/kv/default/set/greeting", "hello").1["value"],
            Value::Null
        );
        let create = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)";
        assert!(
            post(&host, "/granted/sql/default", create)
                .1
                .get("error")
                .is_none()
        );
        assert_eq!(
            post(
                &host,
                "/granted/sql/default",
                "INSERT INTO notes (text) VALUES ('kept')"
            )
            .1["changes"],
            1
        );
    }
    let host = app.start();
    assert_eq!(
        get(&host, "/granted/kv/default/get/greeting").1["value"],
        "hello"
    );
    assert_eq!(
        get(&host, "/granted/kv/default/keys/x").1["value"],
        serde_json::json!(["greeting"])
    );
    let (_, rows) = post(&host, "/granted/sql/default", "SELECT text FROM notes");
    assert_eq!(rows["rows"], serde_json::json!([["kept"]]));
    assert_eq!(rows["columns"], serde_json::json!(["text"]));
    assert!(app.dir.path().join(".spin/sqlite_db.db").exists());
    assert!(app.dir.path().join(".spin/sqlite_key_value.db").exists());
}

#[test]
fn grants_are_enforced_and_unknown_labels_reported() {
    let app = AppDir::new(STORES);
    let host = app.start();
    assert_eq!(
        get(&host, "/denied/kv/default/get/x").1["error"],
        "AccessDenied"
    );
    assert_eq!(
        post(&host, "/denied/sql/default", "SELECT 1").1["error"],
        "AccessDenied"
    );
    assert_eq!(
        get(&host, "/granted/kv/other/get/x").1["error"],
        "NoSuchStore"
    );
    assert_eq!(
        post(&host, "/granted/sql/other", "SELECT 1").1["error"],
        "NoSuchDatabase"
    );
    // A bad statement is the guest's error, not the host's.
    let error = post(&host, "/granted/sql/default", "SELEC nonsense").1["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.starts_with("Io("), "{error}");
}

#[test]
fn runtime_config_names_extra_stores() {
    let app = AppDir::new(&STORES.replace(
        "key_value_stores = [\"default\"]",
        "key_value_stores = [\"default\", \"cache\"]",
    ));
    std::fs::write(
        app.dir.path().join("rt.toml"),
        "[key_value_store.cache]\ntype = \"spin\"\npath = \"data/cache.db\"\n",
    )
    .unwrap();
    let mut config = app.config();
    config.runtime_config = Some(app.dir.path().join("rt.toml"));
    let host = Running::start(config).unwrap();
    post(&host, "/granted/kv/cache/set/k", "v");
    assert_eq!(get(&host, "/granted/kv/cache/get/k").1["value"], "v");
    assert_eq!(
        get(&host, "/granted/kv/default/get/k").1["value"],
        Value::Null,
        "stores are separate"
    );
    assert!(app.dir.path().join("data/cache.db").exists());

    // Without the runtime config, a component granted `cache` cannot start.
    let error = Running::start(app.config()).err().unwrap();
    assert!(format!("{error:#}").contains("'cache'"), "{error:#}");
}

#[test]
fn concurrent_writers_do_not_fail() {
    for mode in [StoreMode::Spin, StoreMode::Pooled] {
        concurrent_writers_do_not_fail_in(mode);
    }
}

fn concurrent_writers_do_not_fail_in(mode: StoreMode) {
    let app = AppDir::new(STORES);
    let host = app.start_in(mode);
    post(
        &host,
        "/granted/sql/default",
        "CREATE TABLE hits (n INTEGER)",
    );
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..5 {
                    let (status, body) =
                        post(&host, "/granted/sql/default", "INSERT INTO hits VALUES (1)");
                    assert_eq!((status, body.get("error")), (200, None), "{body}");
                }
            });
        }
    });
    let (_, rows) = post(&host, "/granted/sql/default", "SELECT COUNT(*) FROM hits");
    assert_eq!(rows["rows"], serde_json::json!([[80]]));
}

#[test]
fn a_transaction_left_open_is_rolled_back_and_does_not_block_others() {
    for mode in [StoreMode::Spin, StoreMode::Pooled] {
        a_transaction_left_open_is_rolled_back_in(mode);
    }
}

fn a_transaction_left_open_is_rolled_back_in(mode: StoreMode) {
    let app = AppDir::new(STORES);
    let host = app.start_in(mode);
    post(&host, "/granted/sql/default", "CREATE TABLE t (n INTEGER)");
    // The probe's connection ends with the request, inside a transaction it never committed.
    assert!(
        post(&host, "/granted/sql/default", "BEGIN IMMEDIATE")
            .1
            .get("error")
            .is_none()
    );
    let started = Instant::now();
    let (status, body) = post(&host, "/granted/sql/default", "INSERT INTO t VALUES (1)");
    assert_eq!((status, body.get("error")), (200, None), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no wait on a lock: {:?}",
        started.elapsed()
    );
    for _ in 0..3 {
        assert!(
            post(&host, "/granted/sql/default", "BEGIN")
                .1
                .get("error")
                .is_none()
        );
    }
    let (_, rows) = post(&host, "/granted/sql/default", "SELECT COUNT(*) FROM t");
    assert_eq!(rows["rows"], serde_json::json!([[1]]));
}

/// As Spin: every `open` is a connection of its own, so nothing a request leaves on its connection (a
/// temporary table, a pragma) reaches the next. The pooled mode reuses connections, and it shows.
#[test]
fn as_spin_no_connection_is_reused_across_opens() {
    let app = AppDir::new(STORES);
    let marker = "CREATE TEMP TABLE marker (x INTEGER)";
    let probe = "SELECT COUNT(*) FROM temp.marker";
    {
        let host = app.start_in(StoreMode::Spin);
        for _ in 0..5 {
            assert!(
                post(&host, "/granted/sql/default", marker)
                    .1
                    .get("error")
                    .is_none()
            );
            let error = post(&host, "/granted/sql/default", probe).1["error"].to_string();
            assert!(error.contains("no such table"), "{error}");
        }
    }
    let host = app.start_in(StoreMode::Pooled);
    assert!(
        post(&host, "/granted/sql/default", marker)
            .1
            .get("error")
            .is_none()
    );
    assert_eq!(
        post(&host, "/granted/sql/default", probe).1["rows"],
        serde_json::json!([[0]]),
        "pooled, the next request got the same connection"
    );
}

/// As Spin: no write gate. Writers that find the database locked (here by a transaction held outside
/// the host) wait in SQLite's own busy handler, each on its own connection, and all succeed once the
/// lock is released.
#[test]
fn as_spin_concurrent_writers_wait_in_sqlites_busy_handler() {
    let app = AppDir::new(STORES);
    let host = app.start_in(StoreMode::Spin);
    post(&host, "/granted/sql/default", "CREATE TABLE t (n INTEGER)");
    let holder = rusqlite::Connection::open(app.dir.path().join(".spin/sqlite_db.db")).unwrap();
    holder
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (0)")
        .unwrap();
    let held = Duration::from_millis(400);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (1..=2)
            .map(|n| {
                let host = &host;
                scope.spawn(move || {
                    let started = Instant::now();
                    let statement = format!("INSERT INTO t VALUES ({n})");
                    let (status, body) = post(host, "/granted/sql/default", &statement);
                    (status, body, started.elapsed())
                })
            })
            .collect();
        std::thread::sleep(held);
        holder.execute_batch("COMMIT").unwrap();
        for writer in writers {
            let (status, body, waited) = writer.join().unwrap();
            assert_eq!((status, body.get("error")), (200, None), "{body}");
            assert!(waited >= held / 2, "it waited for the lock: {waited:?}");
        }
    });
    let (_, rows) = post(&host, "/granted/sql/default", "SELECT n FROM t ORDER BY n");
    assert_eq!(rows["rows"], serde_json::json!([[0], [1], [2]]));
}

/// As Spin: the host sets no pragmas, so both files keep SQLite's defaults (a rollback journal) unless
/// the app changes them; pooled, the host switches them to WAL itself.
#[test]
fn as_spin_the_stores_keep_sqlites_defaults() {
    for (mode, expected) in [(StoreMode::Spin, "delete"), (StoreMode::Pooled, "wal")] {
        let app = AppDir::new(STORES);
        let host = app.start_in(mode);
        post(&host, "/granted/kv/default/set/k", "v");
        post(&host, "/granted/sql/default", "CREATE TABLE t (n INTEGER)");
        drop(host);
        for file in ["sqlite_db.db", "sqlite_key_value.db"] {
            let conn = rusqlite::Connection::open(app.dir.path().join(".spin").join(file)).unwrap();
            let mode_now: String = conn
                .query_row("PRAGMA journal_mode", [], |row| row.get(0))
                .unwrap();
            assert_eq!(mode_now, expected, "{mode}: {file}");
        }
    }
}

const VARIABLES: &str = r#"
[variables]
greeting = { default = "hello" }
who = { default = "world" }
[[trigger.http]]
route = "/..."
component = "p"
[component.p]
source = PROBE
[component.p.variables]
message = "{{ greeting }}, {{ who }}"
"#;

#[test]
fn variables_come_from_defaults_and_templates() {
    let app = AppDir::new(VARIABLES);
    let host = app.start();
    assert_eq!(get(&host, "/var/message").1["value"], "hello, world");
    let (_, undefined) = get(&host, "/var/greeting");
    assert!(
        undefined["error"]
            .as_str()
            .unwrap()
            .starts_with("Undefined"),
        "app variables are not component variables: {undefined}"
    );
    assert!(
        get(&host, "/var/Bad-Name").1["error"]
            .as_str()
            .unwrap()
            .starts_with("InvalidName")
    );
}

/// An HTTP server on loopback that answers every request `200 from loopback <path>` and counts them.
fn loopback_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("").to_string();
            counter.fetch_add(1, Ordering::SeqCst);
            let body = format!("from loopback {path}");
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, served)
}

const OUTBOUND: &str = r#"
[variables]
issuer_host = { default = "idp.invalid" }
[[trigger.http]]
route = "/templated/..."
component = "templated"
[[trigger.http]]
route = "/any-port/..."
component = "any-port"
[[trigger.http]]
route = "/any-scheme/..."
component = "any-scheme"
[[trigger.http]]
route = "/none/..."
component = "none"
[component.templated]
source = PROBE
allowed_outbound_hosts = ["http://{{ issuer_host }}:PORT"]
[component.any-port]
source = PROBE
allowed_outbound_hosts = ["http://127.0.0.1:*"]
[component.any-scheme]
source = PROBE
allowed_outbound_hosts = ["*://127.0.0.1:PORT"]
[component.none]
source = PROBE
"#;

#[test]
fn outbound_http_reaches_only_the_hosts_a_component_is_granted() {
    let (port, served) = loopback_server();
    // A port nothing listens on: a request there that were let through would fail to connect instead.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = AppDir::new(&OUTBOUND.replace("PORT", &port.to_string()));
    let mut config = app.config();
    // The granted host comes from a variable, as a force's issuer will.
    config
        .variables
        .insert("issuer_host".into(), "127.0.0.1".into());
    let host = Running::start(config).expect("host starts");
    let fetch =
        |component: &str, url: String| post(&host, &format!("/{component}/outbound"), &url).1;
    let denied = serde_json::json!({ "error": "http", "code": "HttpRequestDenied" });

    for component in ["templated", "any-port", "any-scheme"] {
        let answer = fetch(
            component,
            format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
        );
        assert_eq!(answer["status"], 200, "{component}: {answer}");
        assert_eq!(
            answer["body"], "from loopback /.well-known/jwks.json",
            "{component}"
        );
    }
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 3);

    let refused = [
        ("none", format!("http://127.0.0.1:{port}/")),
        ("templated", format!("http://127.0.0.1:{closed}/")),
        ("templated", format!("https://127.0.0.1:{port}/")),
        ("templated", format!("http://localhost:{port}/")),
        ("templated", "http://127.0.0.1/".to_string()),
        ("any-scheme", format!("http://127.0.0.1:{closed}/")),
        ("any-port", format!("https://127.0.0.1:{port}/")),
    ];
    for (component, url) in refused {
        assert_eq!(fetch(component, url.clone()), denied, "{component} → {url}");
    }
    // Refused before any connection is made.
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 3);
    // A granted port with nothing behind it is a connection error, not a denial.
    let unreachable = fetch("any-port", format!("http://127.0.0.1:{closed}/"));
    assert_eq!(unreachable["error"], "http", "{unreachable}");
    assert_ne!(unreachable["code"], "HttpRequestDenied", "{unreachable}");
}

#[test]
fn an_outbound_grant_that_renders_invalid_stops_start_up() {
    let app = AppDir::new(&OUTBOUND.replace("PORT", "8080"));
    let mut config = app.config();
    config
        .variables
        .insert("issuer_host".into(), "idp.test/tenant".into());
    let error = format!("{:#}", Running::start(config).err().expect("refused"));
    assert!(
        error.contains("component 'templated': allowed_outbound_hosts") && error.contains("path"),
        "{error}"
    );
}

const GUARDED: &str = r#"
[[trigger.http]]
route = "/..."
component = "p"
[component.p]
source = PROBE
"#;

#[test]
fn a_trapping_guest_gets_a_500_and_the_host_keeps_serving() {
    let app = AppDir::new(GUARDED);
    let host = app.start();
    let mut response = agent().get(format!("{}/trap", host.url())).call().unwrap();
    let body = assert_problem(&mut response, 500, "internal");
    assert_eq!(
        body,
        serde_json::json!({
            "type": "/problems/internal",
            "title": "Internal error",
            "status": 500,
            "detail": "The request could not be completed."
        }),
        "no internal text in the response"
    );
    assert_eq!(get(&host, "/fine").0, 200);
}

#[test]
fn a_guest_that_loops_forever_is_stopped_at_the_deadline() {
    let app = AppDir::new(GUARDED);
    let mut config = app.config();
    config.limits = Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let host = Running::start(config).unwrap();
    let started = Instant::now();
    let looping = std::thread::scope(|scope| {
        let looping = scope.spawn(|| get(&host, "/loop"));
        // Other requests are served while it loops.
        assert_eq!(get(&host, "/meanwhile").0, 200);
        looping.join().unwrap()
    });
    assert_eq!(looping.0, 500);
    assert_eq!(looping.1["type"], "/problems/internal", "{}", looping.1);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(get(&host, "/after").0, 200);
}

#[test]
fn bodies_over_the_limit_get_413() {
    let app = AppDir::new(GUARDED);
    let mut config = app.config();
    config.max_body_bytes = 1024;
    let host = Running::start(config).unwrap();
    assert_eq!(post(&host, "/body", &"x".repeat(1024)).1["length"], 1024);
    let mut response = agent()
        .post(format!("{}/body", host.url()))
        .send(&"x".repeat(1025))
        .unwrap();
    let body = assert_problem(&mut response, 413, "body-too-large");
    assert_eq!(body["detail"], "Bodies are limited to 1024 bytes.");

    // Without a Content-Length (chunked), the limit still holds.
    let mut reader = std::io::Cursor::new(vec![b'x'; 5000]);
    let chunked = ureq::SendBody::from_reader(&mut reader);
    let mut response = agent()
        .post(format!("{}/body", host.url()))
        .send(chunked)
        .unwrap();
    assert_problem(&mut response, 413, "body-too-large");
}

/// The compiled-component cache entries under `dir`, with their modification times.
fn cache_entries(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            entries.extend(cache_entries(&path));
        } else if path.extension().is_none() {
            // Not the cache's own `.stats` and temporary files.
            let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
            entries.push((path, modified));
        }
    }
    entries.sort();
    entries
}

#[test]
fn compiled_components_are_cached_in_the_state_dir_or_a_shared_cache_dir() {
    let app = AppDir::new(GUARDED);
    drop(app.start());
    assert!(!cache_entries(&app.dir.path().join(".spin/cache")).is_empty());

    // Two apps on one cache directory: the second reuses the first's compilation and writes nothing.
    let shared = tempfile::tempdir().unwrap();
    let (first, second) = (AppDir::new(GUARDED), AppDir::new(GUARDED));
    let start = |app: &AppDir| {
        let mut config = app.config();
        config.cache_dir = Some(shared.path().to_path_buf());
        Running::start(config).unwrap()
    };
    drop(start(&first));
    let compiled = cache_entries(shared.path());
    assert!(!compiled.is_empty());
    assert!(!first.dir.path().join(".spin/cache").exists());
    let host = start(&second);
    assert_eq!(get(&host, "/anything").0, 200);
    assert_eq!(cache_entries(shared.path()), compiled);
}

/// Runs the `spin-host` binary and returns its exit status and standard error.
fn run_binary(args: &[&str], envs: &[(&str, &str)], wait: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spin-host"))
        .args(args)
        .envs(envs.iter().copied())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = child.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
    if code.is_none() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    let output = child.wait_with_output().unwrap();
    (
        code.or(output.status.code()),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn up(manifest: &Path, listen: &str) -> Vec<String> {
    vec![
        "up".into(),
        "--from".into(),
        manifest.display().to_string(),
        "--listen".into(),
        listen.into(),
    ]
}

fn one_clear_sentence(stderr: &str, expected: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not a backtrace: {stderr}");
    assert!(
        lines[0].starts_with("spin-host: ") && lines[0].contains(expected),
        "{stderr}"
    );
}

#[test]
fn start_up_errors_are_one_clear_sentence() {
    let required = AppDir::new(
        &VARIABLES.replace("who = { default = \"world\" }", "who = { required = true }"),
    );
    let args = up(&required.manifest(), "127.0.0.1:0");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stderr) = run_binary(&args, &[], Duration::from_secs(20));
    assert_eq!(code, Some(1));
    one_clear_sentence(&stderr, "SPIN_VARIABLE_WHO");

    let bad = AppDir::new("[[trigger.http]]\nroute = \"/\"\n");
    let args = up(&bad.manifest(), "127.0.0.1:0");
    let (code, stderr) = run_binary(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(1));
    one_clear_sentence(&stderr, "invalid manifest");

    let missing = AppDir::new(
        "[[trigger.http]]\nroute = \"/\"\ncomponent = \"p\"\n[component.p]\nsource = \"nope.wasm\"\n",
    );
    let args = up(&missing.manifest(), "127.0.0.1:0");
    let (code, stderr) = run_binary(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(1));
    one_clear_sentence(&stderr, "does not exist");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = AppDir::new(GUARDED);
    let args = up(&app.manifest(), &taken.local_addr().unwrap().to_string());
    let (code, stderr) = run_binary(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
        Duration::from_secs(20),
    );
    assert_eq!(code, Some(1));
    one_clear_sentence(&stderr, "already in use");
}

#[test]
fn environment_overrides_variables_and_sigterm_stops_cleanly() {
    let app = AppDir::new(VARIABLES);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spin-host"))
        .args(up(&app.manifest(), &listen))
        .env("SPIN_VARIABLE_WHO", "officers")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://{listen}/var/message");
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        match agent().get(&url).call() {
            Ok(mut response) => break response.body_mut().read_to_string().unwrap(),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("host did not come up: {e}"),
        }
    };
    assert!(body.contains("hello, officers"), "{body}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    // One line per request: method, route, status, duration; never the path, which can hold data.
    let request_line = stderr.lines().find(|l| l.starts_with("GET ")).unwrap();
    assert!(
        request_line.starts_with("GET /... 200 ") && request_line.ends_with("ms"),
        "{request_line}"
    );
    assert!(!stderr.contains("/var/message"));
}
