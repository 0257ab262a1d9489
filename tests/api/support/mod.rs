//! Serves the real app (`spin.toml` and the built `.wasm` components) on the local host, with its own
//! state folder, for end-to-end tests over HTTP. Every test app shares one cache of compiled components.

mod assessments;
pub mod redis;
pub mod searches;
pub use assessments::{assessment_body, dash_body};
use serde_json::Value;
use spin_host::{HostConfig, Running};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestApp {
    pub host: Running,
    /// Shared by every instance serving the same state (`another_instance`).
    pub state: Arc<tempfile::TempDir>,
    variables: Vec<(String, String)>,
    second_admin: std::sync::OnceLock<String>,
    /// The Redis server the key-value store is on (`start_with_redis`); none: Spin's local file.
    redis: Option<Arc<redis::RedisServer>>,
}

/// The first admin token the test app is configured with (a Spin secret variable in production).
pub const ADMIN_TOKEN: &str = "test-bootstrap-admin-token-0123456789abcdef";

/// Variables every test app gets: a bootstrap admin, a checkpoint key, frequent checkpoints.
fn test_variables() -> Vec<(&'static str, &'static str)> {
    vec![
        ("bootstrap_admin_token", ADMIN_TOKEN),
        ("audit_checkpoint_key", "test-checkpoint-key"),
        ("audit_checkpoint_every", "5"),
        // The mark after every request, so tests that cut the log's end see exactly where it was.
        ("audit_high_water_seconds", "0"),
        ("force_code", "TEST"),
    ]
}

impl TestApp {
    /// The app with a fresh, empty state folder.
    pub fn start() -> TestApp {
        Self::start_with(&[])
    }

    /// The app with some variables set (on top of the test defaults).
    pub fn start_with(variables: &[(&str, &str)]) -> TestApp {
        Self::start_on(0, variables)
    }

    /// The app on a chosen loopback port (0: any free one), for a test that must know its URL before
    /// it starts (an identity provider's registered callback).
    pub fn start_on(port: u16, variables: &[(&str, &str)]) -> TestApp {
        Self::start_from(port, variables, None)
    }

    /// The app with its key-value store on a Redis server of its own (`type = "redis"` in the
    /// runtime config file, as a deployment has it), and some variables set.
    pub fn start_with_redis(variables: &[(&str, &str)]) -> TestApp {
        Self::start_from(0, variables, Some(Arc::new(redis::RedisServer::start())))
    }

    /// The app on a state folder made beforehand (a restored backup).
    pub fn start_on_state(state: tempfile::TempDir) -> TestApp {
        let state = Arc::new(state);
        TestApp {
            host: Self::serve(state.path(), 0, &[], None),
            state,
            variables: Vec::new(),
            second_admin: Default::default(),
            redis: None,
        }
    }

    fn start_from(
        port: u16,
        variables: &[(&str, &str)],
        redis: Option<Arc<redis::RedisServer>>,
    ) -> TestApp {
        let state = Arc::new(tempfile::tempdir().unwrap());
        let host = Self::serve(state.path(), port, variables, redis.as_deref());
        TestApp {
            host,
            state,
            variables: variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            second_admin: Default::default(),
            redis,
        }
    }

    /// A second instance of the app, on its own port, serving the same state (database and
    /// key-value store) with the same settings: as replicas of one deployment do.
    pub fn another_instance(&self) -> TestApp {
        let borrowed: Vec<(&str, &str)> = self
            .variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let host = Self::serve(self.state.path(), 0, &borrowed, self.redis.as_deref());
        TestApp {
            host,
            state: self.state.clone(),
            variables: self.variables.clone(),
            second_admin: self.second_admin.clone(),
            redis: self.redis.clone(),
        }
    }

    /// Stops the host and starts it again on the same state: what a restart does in production.
    pub fn restart(self) -> TestApp {
        self.restart_with(&[])
    }

    /// Restarts with some variables changed, as a redeployment with new settings does.
    pub fn restart_with(self, changed: &[(&str, &str)]) -> TestApp {
        let TestApp {
            host,
            state,
            mut variables,
            second_admin,
            redis,
        } = self;
        for (name, value) in changed {
            variables.retain(|(n, _)| n != name);
            variables.push((name.to_string(), value.to_string()));
        }
        drop(host);
        let borrowed: Vec<(&str, &str)> = variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let host = Self::serve(state.path(), 0, &borrowed, redis.as_deref());
        TestApp {
            host,
            state,
            variables,
            second_admin,
            redis,
        }
    }

    fn serve(
        state_dir: &Path,
        port: u16,
        variables: &[(&str, &str)],
        redis: Option<&redis::RedisServer>,
    ) -> Running {
        for wasm in [
            "health", "web", "access", "cases", "risk", "searches", "oidc",
        ] {
            let path = repo().join(format!("target/components/{wasm}.wasm"));
            assert!(
                path.exists(),
                "{} is missing: run the tests with scripts/test, which builds the app first",
                path.display()
            );
        }
        let mut config = HostConfig::new(repo().join("spin.toml"));
        config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        config.state_dir = PathBuf::from(state_dir);
        // The components' stderr (their JSON request lines, and any error they log) into the state
        // folder, where a test can read it: `guest_log`.
        config.log_dir = Some(state_dir.join("logs"));
        if let Some(redis) = redis {
            let file = state_dir.join("runtime-config.toml");
            let text = format!(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                redis.url()
            );
            std::fs::write(&file, text).unwrap();
            config.runtime_config = Some(file);
        }
        // Compiling the six components takes seconds and every test starts its own app (some restart
        // it): one cache for all of them, kept in target/ for the next run too, compiles each once.
        // Entries are keyed by the components' bytes, so a rebuilt component is compiled again.
        config.cache_dir = Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("spin-host-cache"));
        for (name, value) in test_variables()
            .into_iter()
            .chain(variables.iter().copied())
        {
            config.variables.insert(name.to_string(), value.to_string());
        }
        Running::start(config).expect("the app starts")
    }

    /// What a component has written to its stderr so far (its JSON request lines, one per request).
    pub fn guest_log(&self, component: &str) -> String {
        std::fs::read_to_string(
            self.state
                .path()
                .join(format!("logs/{component}_stderr.txt")),
        )
        .unwrap_or_default()
    }

    /// Every component's request lines so far (`request_log`), parsed.
    pub fn request_lines(&self) -> Vec<Value> {
        let logs = std::fs::read_dir(self.state.path().join("logs")).expect("the log folder");
        let mut lines = Vec::new();
        for file in logs {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            lines.extend(
                text.lines()
                    .filter(|l| l.starts_with('{'))
                    .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line")),
            );
        }
        lines
    }

    /// The Redis server the app's key-value store is on, if it is on one.
    pub fn redis(&self) -> Option<&redis::RedisServer> {
        self.redis.as_deref()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.host.url())
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.state.path().join("sqlite_db.db")
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response read whole: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("the request completes");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

impl TestApp {
    /// A request with a bearer token.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Reply {
        self.call_with(method, path, token, body, &[])
    }

    /// A request with a bearer token and extra headers (e.g. `x-access-reason`).
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        if !token.is_empty() {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = match body {
            Some(body) => agent().run(
                request
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .unwrap(),
            ),
            None => agent().run(request.body(()).unwrap()),
        };
        read(response)
    }

    /// A new token for `role`, issued by the bootstrap admin — and, for the roles that need a second
    /// admin's approval (admin, superintendent, partner), approved by the test's second admin.
    pub fn token(&self, role: &str, subject: &str) -> String {
        let reply = self.call(
            "POST",
            "/api/v1/tokens",
            ADMIN_TOKEN,
            Some(serde_json::json!({ "subject": subject, "role": role })),
        );
        let issued = match reply.status {
            201 => reply,
            202 => {
                let id = reply.json()["request"]["id"].as_str().unwrap().to_string();
                let approver = self.second_admin();
                self.call(
                    "POST",
                    &format!("/api/v1/token-requests/{id}/approval"),
                    &approver,
                    None,
                )
            }
            _ => reply,
        };
        assert_eq!(issued.status, 201, "{}", issued.body);
        issued.json()["token"].as_str().unwrap().to_string()
    }

    /// An admin token besides the bootstrap one, to approve what the bootstrap admin asks for: the
    /// first admin token, which the bootstrap admin may issue alone.
    pub fn second_admin(&self) -> String {
        self.second_admin
            .get_or_init(|| {
                let reply = self.call(
                    "POST",
                    "/api/v1/tokens",
                    ADMIN_TOKEN,
                    Some(serde_json::json!({ "subject": "second-admin", "role": "admin" })),
                );
                assert_eq!(reply.status, 201, "the first admin token: {}", reply.body);
                reply.json()["token"].as_str().unwrap().to_string()
            })
            .clone()
    }

    /// Moves the start of a case's clear period (`YYYY-MM-DD`) in the file, as if time had passed. Its
    /// kept facts are settled first, as the app's next read would: settling works the date out again.
    pub fn set_clear_from(&self, case: &str, date: &str) {
        let db = self.database();
        stalking_response::facts::settled(&db).unwrap();
        db.execute(
            "UPDATE retention SET clear_from = ?1 WHERE case_id = ?2",
            [date, case],
        )
        .unwrap();
    }

    /// A direct connection to the app's database, as someone with file access would have.
    pub fn database(&self) -> rusqlite::Connection {
        let db = rusqlite::Connection::open(self.sqlite_path()).unwrap();
        db.busy_timeout(Duration::from_secs(5)).unwrap();
        db
    }
}

/// The current month, `YYYY-MM` (UTC).
pub fn this_month() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:04}-{:02}", now.year(), u8::from(now.month()))
}

/// One occasion of conduct: stalking behaviour (following) or not (abuse).
pub fn occurrence_body(stalking: bool) -> serde_json::Value {
    serde_json::json!({
        // Four weeks ago at 21:30: always in the past, always inside a 12-month escalation window, and
        // the same all day (so a retried body is the same body).
        "from": format!(
            "{}T21:30:00Z",
            (time::OffsetDateTime::now_utc() - time::Duration::days(28)).date()
        ),
        "location": "Outside the victim's home",
        "channel": "in-person",
        "behaviours": if stalking { ["following"] } else { ["abuse"] },
        "description": "Waited outside and shouted at the victim.",
        "fear_of_violence": false
    })
}

/// A report with one occurrence; `stalking` sets the FOUR answers and a stalking behaviour.
pub fn case_body(stalking: bool) -> serde_json::Value {
    serde_json::json!({
        "victim": { "name": "Alex Example", "date_of_birth": "1990-04-01" },
        "suspects": [{ "name": "Sam Sample", "date_of_birth": "1988-02-03" }],
        "relationship": "ex-partner",
        "domestic_abuse": true,
        "four": { "fixated": stalking, "obsessive": stalking, "unwanted": true, "repeated": stalking },
        "serious_alarm_or_distress": false,
        "occurrence": occurrence_body(stalking)
    })
}

impl TestApp {
    /// Creates a case with `occasions` occurrences and returns its id.
    pub fn new_case(&self, token: &str, stalking: bool, occasions: usize) -> String {
        let created = self.call("POST", "/api/v1/cases", token, Some(case_body(stalking)));
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.json()["id"].as_str().unwrap().to_string();
        let mut etag = created.header("etag").to_string();
        for _ in 1..occasions {
            let added = self.call_with(
                "POST",
                &format!("/api/v1/cases/{id}/occurrences"),
                token,
                Some(occurrence_body(stalking)),
                &[("if-match", &etag)],
            );
            assert_eq!(added.status, 201, "{}", added.body);
            etag = added.header("etag").to_string();
        }
        id
    }

    /// The case's current ETag.
    pub fn etag(&self, token: &str, id: &str) -> String {
        let read = self.call_with(
            "GET",
            &format!("/api/v1/cases/{id}"),
            token,
            None,
            &[("x-access-reason", "investigation")],
        );
        assert_eq!(read.status, 200, "{}", read.body);
        read.header("etag").to_string()
    }
}

/// Every role, in the permission table's order.
pub const ROLES: [&str; 7] = [
    "officer",
    "supervisor",
    "superintendent",
    "analyst",
    "auditor",
    "partner",
    "admin",
];

/// One row of a role × endpoint matrix: method, path, body, and the roles allowed.
pub type MatrixRow = (&'static str, String, Option<Value>, &'static [&'static str]);

impl TestApp {
    /// A token per role (subjects `<role>-1`).
    pub fn role_tokens(&self) -> Vec<(&'static str, String)> {
        ROLES
            .iter()
            .map(|r| (*r, self.token(r, &format!("{r}-1"))))
            .collect()
    }

    /// Every allowed role gets a 2xx and every other role a 403 `forbidden` problem, for each row.
    pub fn assert_matrix(&self, tokens: &[(&'static str, String)], rows: &[MatrixRow]) {
        for (method, path, body, allowed) in rows {
            for (role, token) in tokens {
                let reply = self.call_with(
                    method,
                    path,
                    token,
                    body.clone(),
                    &[("x-access-reason", "audit")],
                );
                if allowed.contains(role) {
                    assert!(
                        (200..300).contains(&reply.status),
                        "{role} {method} {path}: {} {}",
                        reply.status,
                        reply.body
                    );
                } else {
                    assert_eq!(reply.status, 403, "{role} {method} {path}: {}", reply.body);
                    assert_eq!(reply.json()["type"], "/problems/forbidden");
                }
            }
        }
    }

    /// The access log's verification report (as the bootstrap admin).
    pub fn verify(&self) -> Value {
        let reply = self.call("GET", "/api/v1/audit/verify", ADMIN_TOKEN, None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
}

impl Reply {
    /// The JSON Pointers a problem's field errors name.
    pub fn pointers(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["pointer"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}
