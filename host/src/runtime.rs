//! The wasmtime side: one engine, each component compiled once and pre-instantiated, and a fresh
//! instance per request (as Spin does), with a memory cap and a deadline.

use crate::capabilities::{self, Grants, SpinState};
use crate::manifest::App;
use crate::outbound::AllowedHosts;
use crate::routes::{Route, Router};
use crate::stores::Stores;
use crate::variables::Variables;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// How often the epoch advances; a running guest yields to other requests at each tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits on what one request may use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests served at once; more wait for a free instance slot.
    pub max_instances: u32,
    /// Linear memory per instance.
    pub max_memory_bytes: usize,
    /// Wall-clock time a request's guest may run.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_instances: 100,
            max_memory_bytes: 128 << 20,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A loaded application, ready to serve.
pub struct Runtime {
    pub app_name: String,
    pub router: Router,
    pub limits: Limits,
    engine: Engine,
    components: BTreeMap<String, LoadedComponent>,
    stores: Arc<Stores>,
    variables: Arc<Variables>,
}

struct LoadedComponent {
    pre: ProxyPre<RequestState>,
    grants: Arc<Grants>,
    /// Where the guest's stderr goes (`<log dir>/<component>_stderr.txt`, appended to); none: the
    /// host's own stderr.
    stderr: Option<Arc<std::fs::File>>,
}

/// Everything one request's instance can reach.
pub struct RequestState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    outbound: Outbound,
    pub(crate) spin: SpinState,
    limits: StoreLimits,
    deadline: Instant,
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

/// Outbound HTTP for one request's instance: only to what the component's `allowed_outbound_hosts` grants
/// (see `outbound`); anything else fails as on Spin, with `error-code::http-request-denied`.
struct Outbound {
    grants: Arc<Grants>,
}

type Sent = Result<
    (
        http::Response<wasmtime_wasi_http::WasiBody>,
        Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ),
    wasmtime_wasi_http::Error,
>;

impl wasmtime_wasi_http::WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        if !self.grants.outbound.allows_uri(request.uri()) {
            // As Spin, a line for the operator; only the scheme and authority (a path may hold data).
            let uri = request.uri();
            eprintln!(
                "component '{}' tried to send a request to {}://{}, which its allowed_outbound_hosts in spin.toml does not grant: denied",
                self.grants.component,
                uri.scheme_str().unwrap_or(""),
                uri.authority().map(|a| a.as_str()).unwrap_or(""),
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

impl Runtime {
    /// Compiles and links every component. Fails with one clear sentence per problem: a missing `.wasm`,
    /// a component importing something this host does not provide, a grant of an unknown store.
    pub fn new(
        app: &App,
        stores: Stores,
        variables: Variables,
        limits: Limits,
        cache_dir: Option<&Path>,
    ) -> Result<Runtime> {
        let engine = engine(&limits, cache_dir)?;
        let mut linker: Linker<RequestState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)?;
        capabilities::add_to_linker(&mut linker, |state| &mut state.spin)
            .map_err(anyhow::Error::from)?;

        let mut components = BTreeMap::new();
        for (id, component) in &app.components {
            for label in &component.key_value_stores {
                if !stores.has_key_value(label) {
                    bail!(
                        "component '{id}' is granted key-value store '{label}', which is not defined (add it to the runtime config)"
                    );
                }
            }
            for label in &component.sqlite_databases {
                if !stores.has_sqlite(label) {
                    bail!(
                        "component '{id}' is granted SQLite database '{label}', which is not defined (add it to the runtime config)"
                    );
                }
            }
            if !component.source.exists() {
                bail!(
                    "component '{id}': its source {} does not exist (build the app first, e.g. `spin-host build`)",
                    component.source.display()
                );
            }
            let compiled = Component::from_file(&engine, &component.source).map_err(|e| {
                anyhow::anyhow!(
                    "component '{id}': {} is not a valid component: {e}",
                    component.source.display()
                )
            })?;
            let pre = linker
                .instantiate_pre(&compiled)
                .map_err(|e| anyhow::anyhow!("component '{id}' cannot be linked: {e}"))?;
            let pre = ProxyPre::new(pre)
                .map_err(|e| anyhow::anyhow!("component '{id}' is not an HTTP component: {e}"))?;
            let rendered = component
                .allowed_outbound_hosts
                .iter()
                .map(|entry| variables.render(entry))
                .collect::<Result<Vec<_>>>()
                .and_then(|entries| AllowedHosts::parse(&entries))
                .with_context(|| format!("component '{id}': allowed_outbound_hosts"))?;
            let grants = Grants {
                component: id.clone(),
                key_value_stores: component.key_value_stores.iter().cloned().collect(),
                sqlite_databases: component.sqlite_databases.iter().cloned().collect(),
                outbound: rendered,
            };
            components.insert(
                id.clone(),
                LoadedComponent {
                    pre,
                    grants: Arc::new(grants),
                    stderr: None,
                },
            );
        }

        let routes = app
            .routes
            .iter()
            .map(|r| Route::parse(&r.route, &r.component))
            .collect::<Result<Vec<_>>>()?;
        Ok(Runtime {
            app_name: app.name.clone(),
            router: Router::new(routes),
            limits,
            engine,
            components,
            stores: Arc::new(stores),
            variables: Arc::new(variables),
        })
    }

    /// Sends each component's stderr to `<dir>/<component id>_stderr.txt` (appended to; the folder is
    /// made if missing), the file name `spin up --log-dir` uses, instead of the host's stderr.
    pub fn log_guest_stderr_to(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the log directory {}", dir.display()))?;
        for (id, loaded) in &mut self.components {
            let path = dir.join(format!("{id}_stderr.txt"));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("cannot open the log file {}", path.display()))?;
            loaded.stderr = Some(Arc::new(file));
        }
        Ok(())
    }

    /// A fresh store and instance-to-be for one request to `component`.
    pub fn new_request(
        &self,
        component: &str,
    ) -> Result<(Store<RequestState>, ProxyPre<RequestState>)> {
        let Some(loaded) = self.components.get(component) else {
            bail!("no component '{component}'");
        };
        let mut wasi = WasiCtx::builder();
        // Each write a guest makes is one `write` to a file opened for appending: lines from
        // concurrent requests do not interleave.
        match loaded.stderr.as_deref().map(std::fs::File::try_clone) {
            Some(file) => wasi.stderr(wasmtime_wasi::cli::OutputFile::new(file?)),
            None => wasi.inherit_stderr(),
        };
        let state = RequestState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: Outbound {
                grants: loaded.grants.clone(),
            },
            spin: SpinState::new(
                loaded.grants.clone(),
                self.stores.clone(),
                self.variables.clone(),
            ),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.max_memory_bytes)
                .build(),
            deadline: Instant::now() + self.limits.request_timeout,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        // Yield at every tick so one busy guest cannot starve the others; trap once the deadline passes.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Err(wasmtime::format_err!("the request ran past its deadline"))
            } else {
                Ok(wasmtime::UpdateDeadline::Yield(1))
            }
        });
        Ok((store, loaded.pre.clone()))
    }
}

fn engine(limits: &Limits, cache_dir: Option<&Path>) -> Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let mut pool = PoolingAllocationConfig::default();
    // A Rust component is one core module plus a few small shims: room for that per instance.
    pool.total_component_instances(limits.max_instances);
    pool.total_core_instances(limits.max_instances * 4);
    pool.total_memories(limits.max_instances * 2);
    pool.total_tables(limits.max_instances * 4);
    pool.total_stacks(limits.max_instances);
    pool.max_memory_size(limits.max_memory_bytes);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if let Some(dir) = cache_dir {
        let mut cache = wasmtime::CacheConfig::new();
        cache.with_directory(dir);
        config.cache(Some(
            wasmtime::Cache::new(cache).map_err(anyhow::Error::from)?,
        ));
    }
    let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("cannot start wasmtime: {e}"))?;

    // The clock behind request deadlines and yields; it stops with the engine.
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("cannot start the epoch thread")?;
    Ok(engine)
}
