//! Opt-in timing of where a request's time goes, for performance work only: off unless the
//! environment has `SPIN_HOST_PROFILE` set (to anything but `0`), and then it changes no behaviour.
//!
//! Per request it adds up, as wall time and count: creating the instance, the guest's run, each SQLite
//! `open` (the file opened at the first statement) and close, each statement (by its first 40
//! characters; the whole host call, and the part spent on the blocking pool: preparing, which on a new
//! connection includes reading the schema, and running), the busy handler's sleeps, how long a write
//! transaction holds the lock (`BEGIN` to `COMMIT`/`ROLLBACK`), key-value calls and the wait for the
//! store's one shared connection, and variables. [`report`] summarises it per route; the server prints
//! it at shutdown with `SPIN_HOST_PROFILE=1`, or writes it to the file `SPIN_HOST_PROFILE` names.
//!
//! The busy sleeps are counted by a busy handler that is SQLite's default one (`sqliteDefaultBusyCallback`
//! with `HAVE_USLEEP`: sleeps of 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms, up to the
//! timeout), with the connection's timeout (rusqlite's 5 s, or what a `PRAGMA busy_timeout = N` set), plus
//! counting; it is installed only while profiling, and again after such a pragma (none for 0).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Whether profiling is on (`SPIN_HOST_PROFILE` set and not `0`).
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED
        .get_or_init(|| std::env::var("SPIN_HOST_PROFILE").is_ok_and(|v| !v.is_empty() && v != "0"))
}

#[derive(Debug, Default, Clone, Copy)]
struct Stat {
    count: u64,
    total: Duration,
}

/// One request's figures.
#[derive(Debug, Default)]
pub struct RequestProfile {
    ops: BTreeMap<String, Stat>,
    /// When the open write transaction's `BEGIN` returned, and how many statements it has run.
    transaction: Option<(Instant, u32)>,
}

/// Keys whose time is spent in the host on the guest's behalf (subtracted from the guest's run).
const HOST_CALLS: &[&str] = &["sql open", "sql close", "sql stmt", "kv ", "variables get"];

impl RequestProfile {
    pub fn add(&mut self, key: &str, took: Duration) {
        let stat = self.ops.entry(key.to_string()).or_default();
        stat.count += 1;
        stat.total += took;
    }

    /// One statement: the whole host call (`outer`) and its part on the blocking pool (`inner`,
    /// of which `prepare`), the busy handler's sleeps, and whether the connection is now in autocommit.
    #[allow(clippy::too_many_arguments)]
    pub fn statement(
        &mut self,
        text: &str,
        outer: Duration,
        inner: Duration,
        prepare: Duration,
        busy: (u32, Duration),
        autocommit: bool,
    ) {
        let short: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let short: String = short.chars().take(40).collect();
        self.add(&format!("sql stmt: {short}"), outer);
        self.add("sql (all statements)", outer);
        self.add(
            "sql  of which hand-off to/from the blocking pool",
            outer.saturating_sub(inner),
        );
        self.add("sql  of which prepare (incl. schema read)", prepare);
        if busy.0 > 0 {
            let stat = self
                .ops
                .entry("sql  of which busy sleeps".into())
                .or_default();
            stat.count += u64::from(busy.0);
            stat.total += busy.1;
        }
        let now = Instant::now();
        match (&mut self.transaction, autocommit) {
            (None, false) => self.transaction = Some((now, 0)),
            (Some((_, statements)), false) => *statements += 1,
            (Some((began, statements)), true) => {
                let (held, statements) = (now - *began, *statements);
                self.transaction = None;
                self.add("sql txn: lock held BEGIN..COMMIT", held);
                let stat = self
                    .ops
                    .entry("sql txn: statements inside".into())
                    .or_default();
                stat.count += u64::from(statements);
            }
            (None, true) => {}
        }
    }
}

struct Recorded {
    wall: Duration,
    ops: BTreeMap<String, Stat>,
}

static RECORDS: Mutex<BTreeMap<String, Vec<Recorded>>> = Mutex::new(BTreeMap::new());

/// Files a finished request: instantiating took `instantiate`, its task waited `waited` to start (a
/// busy executor), the guest's run took `guest`.
pub fn record(
    route: &str,
    mut profile: RequestProfile,
    instantiate: Duration,
    waited: Duration,
    guest: Duration,
) {
    profile.add("instantiate", instantiate);
    profile.add("task start delay", waited);
    profile.add("guest run (whole handler)", guest);
    let host: Duration = profile
        .ops
        .iter()
        .filter(|(key, _)| {
            HOST_CALLS.iter().any(|prefix| key.starts_with(prefix))
                && !key.starts_with("sql stmt:")
                && !key.contains("of which")
        })
        .map(|(_, stat)| stat.total)
        .sum::<Duration>()
        + profile
            .ops
            .get("sql (all statements)")
            .map_or(Duration::ZERO, |s| s.total);
    profile.add(
        "guest own (run minus host calls)",
        guest.saturating_sub(host),
    );
    let recorded = Recorded {
        wall: instantiate + waited + guest,
        ops: profile.ops,
    };
    let mut records = RECORDS.lock().unwrap_or_else(|p| p.into_inner());
    let list = records.entry(route.to_string()).or_default();
    if list.len() < 500_000 {
        list.push(recorded);
    }
}

/// Forgets everything recorded so far.
pub fn reset() {
    RECORDS.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// Per route: requests, their wall time (instantiation and guest run) and, per kind of work, calls per
/// request, mean, p99 and max per request, share of the wall time, and the mean in the slowest 1%.
pub fn report() -> String {
    let records = RECORDS.lock().unwrap_or_else(|p| p.into_inner());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut out = String::new();
    for (route, list) in records.iter() {
        let n = list.len();
        if n == 0 {
            continue;
        }
        let mut walls: Vec<Duration> = list.iter().map(|r| r.wall).collect();
        walls.sort();
        let pick = |v: &[Duration], q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        let total: Duration = walls.iter().sum();
        let p99 = pick(&walls, 0.99);
        let slow: Vec<&Recorded> = list.iter().filter(|r| r.wall >= p99).collect();
        let _ = writeln!(
            out,
            "route {route}: {n} requests; wall (instantiate + start delay + guest) mean {:.2} ms, p50 {:.2}, p99 {:.2}, max {:.2}; slowest 1%: {} requests",
            ms(total) / n as f64,
            ms(pick(&walls, 0.5)),
            ms(p99),
            ms(*walls.last().unwrap()),
            slow.len()
        );
        let _ = writeln!(
            out,
            "  {:<52} {:>8} {:>9} {:>9} {:>9} {:>6} {:>11}",
            "what", "calls/rq", "ms/rq", "p99 ms", "max ms", "%wall", "slow1% ms"
        );
        let mut keys: Vec<&String> = list.iter().flat_map(|r| r.ops.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let mut per: Vec<Duration> = list
                .iter()
                .map(|r| r.ops.get(key).map_or(Duration::ZERO, |s| s.total))
                .collect();
            let calls: u64 = list
                .iter()
                .filter_map(|r| r.ops.get(key))
                .map(|s| s.count)
                .sum();
            let sum: Duration = per.iter().sum();
            per.sort();
            let slow_sum: Duration = slow
                .iter()
                .map(|r| r.ops.get(key).map_or(Duration::ZERO, |s| s.total))
                .sum();
            let _ = writeln!(
                out,
                "  {:<52} {:>8.2} {:>9.3} {:>9.3} {:>9.3} {:>5.1}% {:>11.3}",
                key,
                calls as f64 / n as f64,
                ms(sum) / n as f64,
                ms(pick(&per, 0.99)),
                ms(*per.last().unwrap()),
                100.0 * sum.as_secs_f64() / total.as_secs_f64(),
                ms(slow_sum) / slow.len() as f64,
            );
        }
    }
    out
}

/// Prints or writes the report at shutdown (`SPIN_HOST_PROFILE=1`: stderr; otherwise the file named).
pub fn dump() {
    if !enabled() {
        return;
    }
    let text = report();
    match std::env::var("SPIN_HOST_PROFILE").as_deref() {
        Ok("1") | Err(_) => eprintln!("{text}"),
        Ok(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("profile: cannot write {path}: {e}");
            }
        }
    }
}

thread_local! {
    static BUSY: Cell<(u32, Duration)> = const { Cell::new((0, Duration::ZERO)) };
    static PREPARE: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    static KV_LOCK_WAIT: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    static BUSY_TIMEOUT_MS: Cell<i32> = const { Cell::new(5000) };
}

/// The busy timeout of the connection about to run a statement on this thread.
pub fn set_busy_timeout(ms: i32) {
    BUSY_TIMEOUT_MS.with(|t| t.set(ms));
}

/// SQLite's default busy handler (see the module's comment), counting its sleeps on this thread.
pub fn busy_handler(count: i32) -> bool {
    const DELAYS: [i32; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
    const TOTALS: [i32; 12] = [0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228];
    let timeout_ms = BUSY_TIMEOUT_MS.with(Cell::get);
    let (mut delay, prior) = match usize::try_from(count) {
        Ok(i) if i < DELAYS.len() => (DELAYS[i], TOTALS[i]),
        _ => (100, 228 + 100 * (count - 11)),
    };
    if prior + delay > timeout_ms {
        delay = timeout_ms - prior;
        if delay <= 0 {
            return false;
        }
    }
    let slept = Instant::now();
    std::thread::sleep(Duration::from_millis(delay as u64));
    let slept = slept.elapsed();
    BUSY.with(|b| {
        let (n, total) = b.get();
        b.set((n + 1, total + slept));
    });
    true
}

/// The busy sleeps on this thread since the last call.
pub fn take_busy() -> (u32, Duration) {
    BUSY.with(|b| b.replace((0, Duration::ZERO)))
}

pub fn add_prepare(took: Duration) {
    PREPARE.with(|p| p.set(p.get() + took));
}

pub fn take_prepare() -> Duration {
    PREPARE.with(|p| p.replace(Duration::ZERO))
}

pub fn add_kv_lock_wait(took: Duration) {
    KV_LOCK_WAIT.with(|p| p.set(p.get() + took));
}

pub fn take_kv_lock_wait() -> Duration {
    KV_LOCK_WAIT.with(|p| p.replace(Duration::ZERO))
}
