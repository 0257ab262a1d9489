//! A small Spin-compatible host on wasmtime. It serves a `spin.toml` application (HTTP trigger,
//! key-value, SQLite, variables and outbound HTTP) the way `spin up` does, for development and end-to-end tests where the
//! Spin CLI is not available. The app itself depends on nothing here: production runs on Spin.

pub mod build;
pub mod capabilities;
pub mod manifest;
pub mod outbound;
pub mod profile;
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
pub use stores::StoreMode;

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
    /// Application variable values that take precedence over the environment (`spin up --variable`).
    pub variables: std::collections::BTreeMap<String, String>,
    /// Where compiled components are cached, relative to the manifest's folder if relative; `None`
    /// keeps them in the state directory's `cache/`. Tests start many hosts, each on a fresh state
    /// directory, and compiling the app's components takes seconds: pointing them all at one cache
    /// compiles each component once. Sharing is safe because wasmtime keys an entry by the component's
    /// bytes, its own version and the compiler settings, so a rebuilt component is compiled afresh.
    pub cache_dir: Option<PathBuf>,
    /// How the SQLite and key-value stores are handled: as Spin 4 does (the default, so that what is
    /// measured here predicts Spin), or pooled (faster, for nothing that is to predict production).
    pub store_mode: StoreMode,
    /// Where the components' stderr goes: `<log_dir>/<component>_stderr.txt` (as `spin up --log-dir`
    /// names them), relative to the manifest's folder if relative; `None`: the host's own stderr.
    pub log_dir: Option<PathBuf>,
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
            variables: Default::default(),
            cache_dir: None,
            store_mode: StoreMode::default(),
            log_dir: None,
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
        let variables = variables::Variables::resolve(&app, |name| {
            let given = name
                .strip_prefix("SPIN_VARIABLE_")
                .map(str::to_ascii_lowercase);
            given
                .and_then(|n| config.variables.get(&n).cloned())
                .or_else(|| std::env::var(name).ok())
        })?;
        let stores =
            stores::Stores::open(&state_dir, &runtime_config, &config_dir, config.store_mode)?;
        let cache_dir = match &config.cache_dir {
            Some(dir) => std::path::absolute(app.dir.join(dir))
                .context("cannot resolve the cache directory")?,
            None => state_dir.join("cache"),
        };
        let mut runtime = runtime::Runtime::new(
            &app,
            stores,
            variables,
            config.limits.clone(),
            Some(&cache_dir),
        )?;
        if let Some(dir) = &config.log_dir {
            runtime.log_guest_stderr_to(&app.dir.join(dir))?;
        }
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

/// A host serving on a background thread, for tests and embedding. Dropping it shuts it down and waits.
pub struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Running {
    /// Loads the app and starts serving; returns once the port is bound (or start-up failed).
    pub fn start(config: HostConfig) -> Result<Running> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("spin-host".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let prepared = match Prepared::new(&config).await {
                        Ok(prepared) => prepared,
                        Err(e) => {
                            let message = format!("{e:#}");
                            let _ = ready_tx.send(Err(e));
                            anyhow::bail!(message);
                        }
                    };
                    let _ = ready_tx.send(prepared.local_addr());
                    prepared.serve(async { drop(stopped.await) }).await
                })
            })?;
        match ready_rx.recv() {
            Ok(Ok(addr)) => Ok(Running {
                addr,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => anyhow::bail!("the host thread stopped during start-up"),
            },
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
