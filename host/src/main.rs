//! `spin-host`: serve a Spin app on loopback (`up`), or build it (`build`), like the Spin CLI.

use clap::{Parser, Subcommand};
use spin_host::{App, HostConfig, Limits, Prepared, StoreMode};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(version, about = "A small Spin-compatible host on wasmtime")]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Serve the application (as `spin up`).
    Up {
        /// The application manifest.
        #[arg(short = 'f', long = "from", default_value = "spin.toml")]
        manifest: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Folder for the default key-value store and SQLite database, relative to the manifest.
        #[arg(long, default_value = ".spin")]
        state_dir: PathBuf,
        /// A Spin runtime config file (`[key_value_store.<label>]`, `[sqlite_database.<label>]`).
        #[arg(long)]
        runtime_config_file: Option<PathBuf>,
        /// Largest request body accepted; larger ones get 413.
        #[arg(long, default_value_t = 1 << 20)]
        max_body_bytes: usize,
        /// Seconds a request may run before it is stopped with a 500.
        #[arg(long, default_value_t = 30)]
        request_timeout: u64,
        /// Requests served at once (instance pool size).
        #[arg(long, default_value_t = 100)]
        max_instances: u32,
        /// Set an application variable, `name=value` (as `spin up --variable`); repeatable.
        #[arg(long = "variable", value_parser = parse_variable)]
        variables: Vec<(String, String)>,
        /// How SQLite and key-value are handled: `spin` as Spin 4 does (a connection per open, SQLite's
        /// own busy handling, one shared key-value connection with SQLite's defaults), or `pooled`
        /// (connections reused, writers queued, WAL everywhere: faster than Spin, so misleading).
        #[arg(long, default_value_t = StoreMode::Spin)]
        store_mode: StoreMode,
        /// Write each component's stderr to `<dir>/<component>_stderr.txt` (as `spin up --log-dir`)
        /// instead of this host's stderr.
        #[arg(long)]
        log_dir: Option<PathBuf>,
        /// Run the components' build commands first (as `spin up --build`).
        #[arg(long)]
        build: bool,
    },
    /// Run each component's build command (as `spin build`).
    Build {
        #[arg(short = 'f', long = "from", default_value = "spin.toml")]
        manifest: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spin-host: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Commands::Build { manifest } => spin_host::build::build(&App::load(&manifest)?),
        Commands::Up {
            manifest,
            listen,
            state_dir,
            runtime_config_file,
            max_body_bytes,
            request_timeout,
            max_instances,
            variables,
            store_mode,
            log_dir,
            build,
        } => {
            if build {
                spin_host::build::build(&App::load(&manifest)?)?;
            }
            let config = HostConfig {
                manifest,
                listen,
                state_dir,
                runtime_config: runtime_config_file,
                max_body_bytes,
                limits: Limits {
                    max_instances,
                    request_timeout: Duration::from_secs(request_timeout),
                    ..Limits::default()
                },
                variables: variables.into_iter().collect(),
                cache_dir: None,
                store_mode,
                log_dir,
            };
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let prepared = Prepared::new(&config).await?;
                eprintln!(
                    "Serving {} on http://{}",
                    prepared.app_name,
                    prepared.local_addr()?
                );
                prepared.serve(shutdown_signal()).await?;
                eprintln!("Stopped.");
                Ok(())
            })
        }
    }
}

fn parse_variable(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once('=').ok_or("expected name=value")?;
    Ok((name.trim().to_string(), value.to_string()))
}

/// SIGINT (Ctrl-C) or SIGTERM (what SpinKube and systemd send).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
