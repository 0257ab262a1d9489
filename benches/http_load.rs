//! HTTP load on the local host: the app's endpoints against a hello-world component, same host, same
//! run, same machine. Prints, for each, requests/s and its ratio to hello-world, p50/p99/max latency
//! and how many requests took over a second.
//!
//! The host runs the stores as Spin 4 does (`--store-mode spin`, the default), so that the ratios
//! predict Spin; `--store-mode pooled` measures the host's faster mode for comparison.
//!
//! `benches/run` builds the app and runs this; or `cargo bench --profile host --bench http_load --
//! [--seconds N] [--connections N] [--rounds N] [--store-mode spin|pooled] [--only a,b]
//! [--manifest path/spin.toml] [--data] [--floor]`. `--manifest` serves another build (a copy of
//! `spin.toml` naming other `.wasm` files), to compare two builds side by side. `--data` measures instead
//! whether a read and a create cost more on a large force's data than on a small one's
//! (`data_size.rs`); `--floor`, what opening the app's database costs any request (`schema_floor.rs`).
//! Loopback only, bounded in time and in requests.

#[allow(dead_code)] // shared with the tests, which use all of it
#[path = "../tests/api/support/assessments.rs"]
mod assessments;
mod data_size;
#[path = "force_data.rs"]
mod force_data;
mod schema_floor;
#[allow(dead_code)] // shared with the tests, which use all of it
#[path = "../tests/api/support/searches.rs"]
mod searches;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use spin_host::{HostConfig, Running, StoreMode};
use std::path::Path;
use std::time::{Duration, Instant};

/// A hard cap per measurement, whatever the duration: the run always ends.
const MAX_REQUESTS: usize = 2_000_000;

struct Options {
    seconds: u64,
    connections: usize,
    rounds: usize,
    store_mode: StoreMode,
    /// `--only a,b`: measure only the targets whose names contain one of these (and hello-world).
    only: Vec<String>,
    /// `--data`: compare a small force's data with a large one's instead.
    data: bool,
    /// `--profile`: the problem profile over a force of 100,000 cases instead.
    profile: bool,
    /// `--compliance`: protocol compliance (the force list and the summary) over the same force.
    compliance: bool,
    /// `--floor`: one `SELECT 1` on databases with less and less of the app's schema instead.
    floor: bool,
    /// `--manifest`: the app to serve; the repository's `spin.toml` by default.
    manifest: Option<std::path::PathBuf>,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 10,
        connections: 16,
        rounds: 2,
        store_mode: StoreMode::Spin,
        only: Vec::new(),
        data: false,
        profile: false,
        compliance: false,
        floor: false,
        manifest: None,
    };
    let args: Vec<String> = std::env::args().collect();
    options.data = args.iter().any(|a| a == "--data");
    options.profile = args.iter().any(|a| a == "--profile");
    options.compliance = args.iter().any(|a| a == "--compliance");
    options.floor = args.iter().any(|a| a == "--floor");
    for pair in args.windows(2) {
        let value = || pair[1].parse().expect("a number");
        match pair[0].as_str() {
            "--seconds" => options.seconds = value() as u64,
            "--connections" => options.connections = value(),
            "--rounds" => options.rounds = value(),
            "--store-mode" => options.store_mode = pair[1].parse().expect("spin or pooled"),
            "--only" => options.only = pair[1].split(',').map(str::to_string).collect(),
            "--manifest" => options.manifest = Some(pair[1].clone().into()),
            _ => {}
        }
    }
    options.seconds = options.seconds.clamp(1, 120);
    options.connections = options.connections.clamp(1, 256);
    options.rounds = options.rounds.clamp(1, 10);
    options
}

/// One thing to measure: a request sent again and again.
#[derive(Clone)]
struct Target {
    name: &'static str,
    addr: std::net::SocketAddr,
    method: hyper::Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Target {
    fn get(name: &'static str, addr: std::net::SocketAddr, path: &str) -> Target {
        Target {
            name,
            addr,
            method: hyper::Method::GET,
            path: path.to_string(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    fn request(&self) -> hyper::Request<Full<Bytes>> {
        let mut request = hyper::Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header("host", "127.0.0.1");
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        request.body(Full::new(self.body.clone())).unwrap()
    }
}

/// Sends one request and returns the status and body (for setting up, not measured).
async fn once(target: &Target) -> (u16, String) {
    let stream = tokio::net::TcpStream::connect(target.addr)
        .await
        .expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(target.request()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

struct Result {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Result {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// One line of figures: requests/s, the ratio to hello-world, p50/p95/p99/max and requests over a second.
fn line(rps: f64, baseline: f64, latencies: &[Duration], errors: usize) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        ms(latencies.get(index).copied().unwrap_or_default())
    };
    let over_1s = latencies
        .iter()
        .filter(|l| **l > Duration::from_secs(1))
        .count();
    format!(
        "{rps:>8.0} req/s  {:>5.3}× hello  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  >1 s {over_1s:>4}  errors {errors}",
        rps / baseline,
        p(0.50),
        p(0.95),
        p(0.99),
        ms(latencies.last().copied().unwrap_or_default()),
    )
}

/// `connections` keep-alive connections, each sending GETs back to back for `duration`.
async fn load(target: &Target, connections: usize, duration: Duration) -> Result {
    let started = Instant::now();
    let deadline = started + duration;
    let per_connection = MAX_REQUESTS / connections;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(target.addr)
                .await
                .expect("connect");
            stream.set_nodelay(true).unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            let (mut latencies, mut errors) = (Vec::new(), 0);
            while Instant::now() < deadline && latencies.len() + errors < per_connection {
                let request = target.request();
                let sent = Instant::now();
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let _ = response.into_body().collect().await;
                        if ok {
                            latencies.push(sent.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut result = Result {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (latencies, errors) = task.await.unwrap();
        result.requests += latencies.len();
        result.errors += errors;
        result.latencies.extend(latencies);
    }
    result.elapsed = started.elapsed();
    result.latencies.sort();
    result
}

/// The benchmark's own first admin token (a throwaway, for this run's fresh database only).
const ADMIN: &str = "benchmark-bootstrap-admin-token-0123456789";
/// The benchmark's access-log key (a throwaway too).
const AUDIT_KEY: &str = "benchmark-access-log-key-0123456789";

fn serve(manifest: &Path, state: &Path, store_mode: StoreMode) -> Running {
    let mut config = HostConfig::new(manifest);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.state_dir = state.to_path_buf();
    config.store_mode = store_mode;
    config
        .variables
        .insert("bootstrap_admin_token".into(), ADMIN.into());
    // Production, as deployed: the access log is keyed (a MAC on every entry).
    config
        .variables
        .insert("audit_checkpoint_key".into(), AUDIT_KEY.into());
    Running::start(config).expect("the host starts")
}

/// The hello-world component on the same host, in `state`: the baseline.
fn hello(state: &Path, store_mode: StoreMode) -> Running {
    std::fs::create_dir_all(state).unwrap();
    std::fs::write(
        state.join("spin.toml"),
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"hello\"\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"hello\"\n[component.hello]\nsource = {:?}\n",
            fixtures::HELLO_COMPONENT
        ),
    )
    .unwrap();
    serve(&state.join("spin.toml"), &state.join("state"), store_mode)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// An officer's `Authorization` value, from a token issued through the API.
fn officer(runtime: &tokio::runtime::Runtime, app: &Running) -> String {
    let mut issue = Target::get("issue", app.addr(), "/api/v1/tokens");
    issue.method = hyper::Method::POST;
    issue.headers = vec![
        ("authorization", format!("Bearer {ADMIN}")),
        ("content-type", "application/json".into()),
    ];
    issue.body = Bytes::from_static(br#"{"subject":"bench-1","role":"officer"}"#);
    let (status, body) = runtime.block_on(once(&issue));
    assert_eq!(status, 201, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    format!("Bearer {}", token["token"].as_str().unwrap())
}

fn main() {
    let options = options();
    if options.data {
        return compare_sizes(&options);
    }
    if options.profile {
        return force_profile(&options);
    }
    if options.compliance {
        return force_compliance(&options);
    }
    if options.floor {
        return floor(&options);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let state = tempfile::tempdir().unwrap();
    let manifest = options
        .manifest
        .clone()
        .unwrap_or_else(|| repo.join("spin.toml"));
    let app = serve(&manifest, &state.path().join("app"), options.store_mode);
    let hello = hello(&state.path().join("hello"), options.store_mode);
    let runtime = runtime();
    let duration = Duration::from_secs(options.seconds);
    let officer = officer(&runtime, &app);
    let report = data_size::report(
        "Benchmark Victim",
        serde_json::json!({ "name": "Benchmark Suspect" }),
    );
    let intake = Target {
        name: "POST /api/v1/cases",
        addr: app.addr(),
        method: hyper::Method::POST,
        path: "/api/v1/cases".into(),
        headers: vec![
            ("authorization", officer.clone()),
            ("content-type", "application/json".into()),
        ],
        body: Bytes::from(report.to_string()),
    };
    // One case, then a full DASH (14 "yes": high, so referrals are due) scored against it per request.
    let (status, body) = runtime.block_on(once(&intake));
    assert_eq!(status, 201, "{body}");
    let case: serde_json::Value = serde_json::from_str(&body).unwrap();
    let case_id = case["id"].as_str().unwrap().to_string();
    let assess = Target {
        name: "POST /api/v1/risk-assessments",
        path: "/api/v1/risk-assessments".into(),
        body: Bytes::from(assessments::dash_body(&case_id, 14).to_string()),
        ..intake.clone()
    };
    let search = Target {
        name: "POST /api/v1/searches",
        path: "/api/v1/searches".into(),
        body: Bytes::from(searches::s2b(&case_id).to_string()),
        ..intake.clone()
    };
    let (status, body) = runtime.block_on(once(&search));
    assert_eq!(status, 201, "{body}");
    // Reading shows personal data: the caller says why, and each read is logged.
    let reading = |name, path: String| Target {
        headers: vec![
            ("authorization", officer.clone()),
            ("x-access-reason", "investigation".into()),
        ],
        ..Target::get(name, app.addr(), &path)
    };
    let read = reading("GET /api/v1/cases/{id}", format!("/api/v1/cases/{case_id}"));
    let (status, body) = runtime.block_on(once(&read));
    assert_eq!(status, 200, "{body}");
    let list = reading("GET /api/v1/cases (a page)", "/api/v1/cases".into());
    let (status, body) = runtime.block_on(once(&list));
    assert_eq!(status, 200, "{body}");
    let targets = [
        Target::get("hello (baseline)", hello.addr(), "/"),
        Target::get("GET /api/v1/health", app.addr(), "/api/v1/health"),
        Target::get(
            "GET /api/v1/health/ready",
            app.addr(),
            "/api/v1/health/ready",
        ),
        Target::get("GET / (static)", app.addr(), "/"),
        read,
        list,
        intake,
        assess,
        search,
    ];
    let targets: Vec<Target> = targets
        .into_iter()
        .enumerate()
        .filter(|(i, t)| {
            *i == 0 || options.only.is_empty() || options.only.iter().any(|o| t.name.contains(o))
        })
        .map(|(_, t)| t)
        .collect();
    measure(&runtime, &targets, &options, duration);
}

/// Measures each target in turn, for a number of rounds, the first (hello-world) as the baseline;
/// prints each round and a summary.
fn measure(
    runtime: &tokio::runtime::Runtime,
    targets: &[Target],
    options: &Options,
    duration: Duration,
) {
    println!(
        "store mode {}; {} connections, {} s per measurement, {} rounds; host and load generator share this machine's {} cores",
        options.store_mode,
        options.connections,
        options.seconds,
        options.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // Warm up every target (first instantiations, SQLite pages, migrations).
    for target in targets {
        runtime.block_on(load(target, 2, Duration::from_millis(500)));
    }
    let mut totals = vec![(0usize, Duration::ZERO, Vec::new(), 0usize); targets.len()];
    for round in 1..=options.rounds {
        let mut baseline = 0.0;
        for (i, target) in targets.iter().enumerate() {
            let name = target.name;
            // With SPIN_HOST_PROFILE set: where this target's requests spent their time.
            spin_host::profile::reset();
            let r = runtime.block_on(load(target, options.connections, duration));
            if spin_host::profile::enabled() {
                println!("{}", spin_host::profile::report());
            }
            if i == 0 {
                baseline = r.rps();
            }
            println!(
                "round {round}  {name:<30} {}",
                line(r.rps(), baseline, &r.latencies, r.errors)
            );
            totals[i].0 += r.requests;
            totals[i].1 += r.elapsed;
            totals[i].2.extend(r.latencies);
            totals[i].3 += r.errors;
        }
    }
    println!(
        "\nsummary over {} rounds (store mode {}):",
        options.rounds, options.store_mode
    );
    let baseline = totals[0].0 as f64 / totals[0].1.as_secs_f64();
    for (target, (requests, elapsed, latencies, errors)) in targets.iter().zip(totals.iter_mut()) {
        latencies.sort();
        let rps = *requests as f64 / elapsed.as_secs_f64();
        println!(
            "  {:<30} {}",
            target.name,
            line(rps, baseline, latencies, *errors)
        );
    }
}

/// `--data`: a read of the linked suspect's case and a new report naming that suspect, on a small
/// force's data and on a large one's (`data_size`), interleaved round by round beside hello-world.
fn compare_sizes(options: &Options) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let duration = Duration::from_secs(options.seconds);
    let hello = hello(&state.path().join("hello"), options.store_mode);
    let mut targets = vec![Target::get("hello (baseline)", hello.addr(), "/")];
    let mut apps = Vec::new();
    for sizes in [data_size::SMALL, data_size::LARGE] {
        let dir = data_size::seeded_state(sizes, AUDIT_KEY, &state.path().join(sizes.name));
        let app = serve(&repo.join("spin.toml"), &dir, options.store_mode);
        let officer = officer(&runtime, &app);
        let (read_name, create_name) = match sizes.name {
            "small" => ("small: GET /api/v1/cases/{id}", "small: POST /api/v1/cases"),
            _ => ("large: GET /api/v1/cases/{id}", "large: POST /api/v1/cases"),
        };
        let read = Target {
            headers: vec![
                ("authorization", officer.clone()),
                ("x-access-reason", "investigation".into()),
            ],
            ..Target::get(
                read_name,
                app.addr(),
                &format!("/api/v1/cases/{}", data_size::linked_case_id()),
            )
        };
        let (status, body) = runtime.block_on(once(&read));
        assert_eq!(status, 200, "{body}");
        let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
        println!(
            "{}: {} cases, {} access-log entries; the read case's suspect is linked to {} other cases ({} listed)",
            sizes.name,
            sizes.cases,
            sizes.log_entries,
            shown["suspects"][0]["linked_case_count"],
            shown["suspects"][0]["linked_cases"]
                .as_array()
                .map_or(0, Vec::len),
        );
        let create = Target {
            name: create_name,
            addr: app.addr(),
            method: hyper::Method::POST,
            path: "/api/v1/cases".into(),
            headers: vec![
                ("authorization", officer),
                ("content-type", "application/json".into()),
            ],
            body: Bytes::from(
                data_size::report("New Victim", data_size::suspect(data_size::SHARED_SUSPECT))
                    .to_string(),
            ),
        };
        targets.push(read);
        targets.push(create);
        apps.push(app);
    }
    // Reads side by side, then creates side by side.
    targets[1..].sort_by_key(|t| (t.method != hyper::Method::GET, t.name));
    measure(&runtime, &targets, options, duration);
}

/// `--floor`: `SELECT 1` through the probe fixture on an empty database, the app's whole schema, the
/// schema without its triggers and its tables alone (`schema_floor`), beside hello-world: the most
/// any request that opens the app's database could reach on Spin's per-request connection.
fn floor(options: &Options) {
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let duration = Duration::from_secs(options.seconds);
    let hello = hello(&state.path().join("hello"), options.store_mode);
    let mut targets = vec![Target::get("hello (baseline)", hello.addr(), "/")];
    let mut probes = Vec::new();
    for (i, schema) in schema_floor::Schema::ALL.into_iter().enumerate() {
        let dir = state.path().join(format!("probe-{i}"));
        let states = schema_floor::state(schema, &dir.join("state"));
        let probe = serve(
            &schema_floor::probe_manifest(&dir),
            &states,
            options.store_mode,
        );
        let select = Target {
            method: hyper::Method::POST,
            body: Bytes::from_static(b"SELECT 1"),
            ..Target::get(schema.name(), probe.addr(), "/sql/default")
        };
        let (status, body) = runtime.block_on(once(&select));
        assert!(
            status == 200 && body.contains("\"rows\":[[1]]"),
            "{status} {body}"
        );
        targets.push(select);
        probes.push(probe);
    }
    measure(&runtime, &targets, options, duration);
}

/// The force `--profile` measures: two years, 40,000 and 50,000 recorded offences, one no-crime decision
/// in ten (8,988) and 1,012 cases awaiting a decision: 100,000 cases; three in four recorded offences risk
/// assessed, a PIN request in fifty (`force_data`).
const PROFILE_FORCE: force_data::Spec = force_data::Spec {
    first_month: stalking_response::profile::YearMonth {
        year: 2024,
        month: 11,
    },
    recorded: [40_000, 50_000],
    no_crime_every: 10,
    awaiting: 1_012,
    assess: true,
};

/// A state directory with the profile's force seeded (built once under `target/bench-data/`, then copied).
fn profile_state(into: &Path) -> std::path::PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = repo.join("target/bench-data").join(format!(
        "force-profile-{}-{}-v{}",
        PROFILE_FORCE.recorded[0],
        PROFILE_FORCE.recorded[1],
        stalking_response::migrations::MIGRATIONS.len()
    ));
    let database = cache.join("sqlite_db.db");
    if !database.exists() {
        std::fs::create_dir_all(&cache).unwrap();
        let partial = cache.join("seeding.db");
        let _ = std::fs::remove_file(&partial);
        let started = Instant::now();
        let db = rusqlite::Connection::open(&partial).unwrap();
        db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            .unwrap();
        stalking_response::migrations::migrate(&db).unwrap();
        let made = force_data::generate(&db, PROFILE_FORCE, assessments::dash_body);
        db.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
        drop(db);
        std::fs::rename(&partial, &database).unwrap();
        println!(
            "seeded {} cases ({:?} recorded, {:?} no crime, {} PIN requests) in {:.0} s",
            made.cases,
            made.recorded,
            made.no_crime,
            made.pins,
            started.elapsed().as_secs_f64()
        );
    }
    std::fs::create_dir_all(into).unwrap();
    std::fs::copy(&database, into.join("sqlite_db.db")).unwrap();
    into.to_path_buf()
}

/// `--profile`: `GET /api/v1/profile` (a year, with and without the year before) and a chart, as an
/// analyst, over 100,000 cases, beside hello-world.
fn force_profile(options: &Options) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let duration = Duration::from_secs(options.seconds);
    let hello = hello(&state.path().join("hello"), options.store_mode);
    let dir = profile_state(&state.path().join("force"));
    let app = serve(&repo.join("spin.toml"), &dir, options.store_mode);
    let mut issue = Target::get("issue", app.addr(), "/api/v1/tokens");
    issue.method = hyper::Method::POST;
    issue.headers = vec![
        ("authorization", format!("Bearer {ADMIN}")),
        ("content-type", "application/json".into()),
    ];
    issue.body = Bytes::from_static(br#"{"subject":"bench-analyst","role":"analyst"}"#);
    let (status, body) = runtime.block_on(once(&issue));
    assert_eq!(status, 201, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let analyst = format!("Bearer {}", token["token"].as_str().unwrap());
    let get = |name: &'static str, path: &str| Target {
        headers: vec![("authorization", analyst.clone())],
        ..Target::get(name, app.addr(), path)
    };
    let year = "from=2025-11&to=2026-10";
    let targets = vec![
        Target::get("hello (baseline)", hello.addr(), "/"),
        get(
            "GET /api/v1/profile (a year, and the year before)",
            &format!("/api/v1/profile?{year}&compare=previous-year"),
        ),
        get(
            "GET /api/v1/profile (a year)",
            &format!("/api/v1/profile?{year}"),
        ),
        get(
            "GET /api/v1/profile/charts/monthly (SVG, with the year before)",
            &format!("/api/v1/profile/charts/monthly?{year}&compare=previous-year"),
        ),
    ];
    let (status, body) = runtime.block_on(once(&targets[1]));
    assert_eq!(status, 200, "{body}");
    let profile: serde_json::Value = serde_json::from_str(&body).unwrap();
    let cases: i64 = rusqlite::Connection::open(dir.join("sqlite_db.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    println!(
        "profile over {cases} cases: {} recorded offences against {} the year before ({}%)",
        profile["figures"]["recorded_offences"],
        profile["previous_year"]["recorded_offences"],
        profile["year_on_year"]["percent"],
    );
    measure(&runtime, &targets, options, duration);
}

/// `--compliance`: protocol compliance over the profile's force of 100,000 cases, beside hello-world —
/// the force list (its first page, a filtered page over a quarter, and a filter so rare that it walks
/// every case) as a supervisor with a reason, and the summary for a quarter and for a year.
fn force_compliance(options: &Options) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let duration = Duration::from_secs(options.seconds);
    let hello = hello(&state.path().join("hello"), options.store_mode);
    let dir = profile_state(&state.path().join("force"));
    let app = serve(&repo.join("spin.toml"), &dir, options.store_mode);
    let mut issue = Target::get("issue", app.addr(), "/api/v1/tokens");
    issue.method = hyper::Method::POST;
    issue.headers = vec![
        ("authorization", format!("Bearer {ADMIN}")),
        ("content-type", "application/json".into()),
    ];
    issue.body = Bytes::from_static(br#"{"subject":"bench-supervisor","role":"supervisor"}"#);
    let (status, body) = runtime.block_on(once(&issue));
    assert_eq!(status, 201, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let supervisor = format!("Bearer {}", token["token"].as_str().unwrap());
    let get = |name: &'static str, path: &str| Target {
        headers: vec![
            ("authorization", supervisor.clone()),
            ("x-access-reason", "supervision".into()),
        ],
        ..Target::get(name, app.addr(), path)
    };
    let targets = vec![
        Target::get("hello (baseline)", hello.addr(), "/"),
        get(
            "GET /api/v1/compliance (first page of 50)",
            "/api/v1/compliance",
        ),
        get(
            "GET /api/v1/compliance?check=s2b-considered&status=not-met (a quarter, 50)",
            "/api/v1/compliance?check=s2b-considered&status=not-met&from=2026-08&to=2026-10",
        ),
        get(
            "GET /api/v1/compliance?check=no-pin&status=not-met (none: every case looked at)",
            "/api/v1/compliance?check=no-pin&status=not-met",
        ),
        get(
            "GET /api/v1/compliance/summary (a quarter)",
            "/api/v1/compliance/summary?from=2026-08&to=2026-10",
        ),
        get(
            "GET /api/v1/compliance/summary (a year)",
            "/api/v1/compliance/summary?from=2025-11&to=2026-10",
        ),
    ];
    for target in &targets[1..] {
        let (status, body) = runtime.block_on(once(target));
        assert_eq!(status, 200, "{}: {body}", target.name);
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        match reply.get("cases") {
            Some(serde_json::Value::Array(page)) => {
                println!("{}: {} cases", target.name, page.len())
            }
            Some(count) => println!("{}: over {count} cases", target.name),
            None => {}
        }
    }
    measure(&runtime, &targets, options, duration);
}
