//! Serves the real app (`spin.toml` and the built `.wasm` components) on the local host, with its own
//! state folder, for end-to-end tests over HTTP.
#![allow(dead_code)] // each test file uses a different part

use serde_json::Value;
use spin_host::{HostConfig, Running};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestApp {
    pub host: Running,
    pub state: tempfile::TempDir,
}

impl TestApp {
    /// The app with a fresh, empty state folder.
    pub fn start() -> TestApp {
        let state = tempfile::tempdir().unwrap();
        let host = Self::serve(state.path());
        TestApp { host, state }
    }

    /// Stops the host and starts it again on the same state: what a restart does in production.
    pub fn restart(self) -> TestApp {
        let TestApp { host, state } = self;
        drop(host);
        let host = Self::serve(state.path());
        TestApp { host, state }
    }

    fn serve(state_dir: &Path) -> Running {
        for wasm in ["health", "web"] {
            let path = repo().join(format!("target/wasm32-wasip2/release/{wasm}.wasm"));
            assert!(
                path.exists(),
                "{} is missing: run the tests with scripts/test, which builds the app first",
                path.display()
            );
        }
        let mut config = HostConfig::new(repo().join("spin.toml"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.state_dir = PathBuf::from(state_dir);
        Running::start(config).expect("the app starts")
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
