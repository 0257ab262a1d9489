//! A small Spin-compatible host on wasmtime. It serves a `spin.toml` application (HTTP trigger,
//! key-value, SQLite and variables) the way `spin up` does, for development and end-to-end tests where the
//! Spin CLI is not available. The app itself depends on nothing here: production runs on Spin.

pub mod build;
pub mod capabilities;
pub mod manifest;
pub mod routes;
pub mod runtime;
pub mod server;
pub mod stores;
pub mod variables;

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;

pub use manifest::App;
pub use runtime::Limits;

/// How to serve an application.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The `spin.toml` to serve.
    pub manifest: PathBuf,
    pub listen: SocketAddr,
    /// Where the default stores live (Spin's `.spin/`), relative to the manifest's folder if relative.
    pub state_dir: PathBuf,
    pub runtime_config: Option<PathBuf>,
    pub max_body_bytes: usize,
    pub limits: Limits,
}

impl HostConfig {
    pub fn new(manifest: impl Into<PathBuf>) -> HostConfig {
        HostConfig {
            manifest: manifest.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            state_dir: PathBuf::from(".spin"),
            runtime_config: None,
            max_body_bytes: 1 << 20,
            limits: Limits::default(),
        }
    }
}

/// A host that is ready to serve: the app loaded and the port bound.
pub struct Prepared {
    server: server::Server,
    listener: tokio::net::TcpListener,
    pub app_name: String,
}

impl Prepared {
    /// Loads everything and binds the port. Each failure is one sentence naming the cause.
    pub async fn new(config: &HostConfig) -> Result<Prepared> {
        let app = App::load(&config.manifest)?;
        let state_dir = std::path::absolute(app.dir.join(&config.state_dir))
            .context("cannot resolve the state directory")?;
        let (runtime_config, config_dir) = match &config.runtime_config {
            Some(path) => (
                stores::RuntimeConfig::load(path)?,
                path.parent().map(PathBuf::from).unwrap_or_default(),
            ),
            None => (stores::RuntimeConfig::default(), app.dir.clone()),
        };
        let variables = variables::Variables::resolve(&app, |name| std::env::var(name).ok())?;
        let stores = stores::Stores::open(&state_dir, &runtime_config, &config_dir)?;
        let runtime = runtime::Runtime::new(
            &app,
            stores,
            variables,
            config.limits.clone(),
            Some(&state_dir.join("cache")),
        )?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                let reason = match e.kind() {
                    std::io::ErrorKind::AddrInUse => "the address is already in use".to_string(),
                    _ => e.to_string(),
                };
                anyhow::anyhow!("cannot listen on {}: {reason}", config.listen)
            })?;
        Ok(Prepared {
            server: server::Server::new(runtime, config.max_body_bytes),
            listener,
            app_name: app.name,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().context("no local address")
    }

    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        self.server.serve(self.listener, shutdown).await
    }
}
