//! Does a request's cost grow with the data? Seeds two databases — a small force's (100 cases) and a
//! large one's (100,000 cases, 1,000,000 access-log entries, one suspect linked to 1,000 cases) — and
//! measures reading the linked suspect's case and reporting a new case naming that suspect on each,
//! beside hello-world, in one run.
//!
//! Seeding goes through the domain's own storage code natively (`rusqlite`), so the rows, digests,
//! link counts and the access log's hash chain and MACs are exactly what the app writes. A seeded
//! database is kept under `target/bench-data/` and copied for each run (seeding the large one takes
//! a minute or two).

use rusqlite::Connection;
use stalking_response::access::audit::{self, Access, Actor, Checkpoints, Operation, RecordRef};
use stalking_response::access::auth::{AccessReason, ReasonCode};
use stalking_response::cases::intake::NewCase;
use stalking_response::cases::store as cases;
use stalking_response::ids::CaseId;
use stalking_response::migrations;
use std::path::{Path, PathBuf};

/// How much a force holds.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub name: &'static str,
    pub cases: usize,
    pub log_entries: usize,
    /// Cases naming the one shared suspect.
    pub linked: usize,
}

pub const SMALL: Sizes = Sizes {
    name: "small",
    cases: 100,
    log_entries: 100,
    linked: 2,
};

pub const LARGE: Sizes = Sizes {
    name: "large",
    cases: 100_000,
    log_entries: 1_000_000,
    linked: 1_000,
};

/// The suspect every linked case names (and the benchmark's reports name again).
pub const SHARED_SUSPECT: (&str, &str) = ("Shared Suspect", "1980-01-01");

/// The id of the seeded case that the read measures: one of the linked cases.
pub fn linked_case_id() -> String {
    format!("{:032x}", 0)
}

/// A suspect by name and date of birth (so linked across cases), as a report names them.
pub fn suspect((name, date_of_birth): (&str, &str)) -> serde_json::Value {
    serde_json::json!({ "name": name, "date_of_birth": date_of_birth })
}

/// A report naming a victim and a suspect, as an officer would send it.
pub fn report(victim: &str, suspect: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "victim": { "name": victim },
        "suspects": [suspect],
        "relationship": "ex-partner",
        "domestic_abuse": true,
        "four": { "fixated": true, "obsessive": true, "unwanted": true, "repeated": true },
        "serious_alarm_or_distress": false,
        "occurrence": {
            "from": "2026-01-01T10:00:00Z", "location": "Home", "channel": "phone",
            "behaviours": ["contacting"], "description": "Repeated calls.", "fear_of_violence": false
        }
    })
}

/// A state directory holding a database seeded to `sizes` (built once, then copied from the cache).
pub fn seeded_state(sizes: Sizes, key: &str, into: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The schema's version is part of the name: a cache from an older schema is never reused.
    let cache = repo.join("target/bench-data").join(format!(
        "{}-{}-{}-{}-v{}",
        sizes.name,
        sizes.cases,
        sizes.log_entries,
        sizes.linked,
        migrations::MIGRATIONS.len()
    ));
    let database = cache.join("sqlite_db.db");
    if !database.exists() {
        std::fs::create_dir_all(&cache).unwrap();
        let partial = cache.join("seeding.db");
        let _ = std::fs::remove_file(&partial);
        let started = std::time::Instant::now();
        seed(&partial, sizes, key);
        std::fs::rename(&partial, &database).unwrap();
        println!(
            "seeded the {} database in {:.0} s",
            sizes.name,
            started.elapsed().as_secs_f64()
        );
    }
    std::fs::create_dir_all(into).unwrap();
    std::fs::copy(&database, into.join("sqlite_db.db")).unwrap();
    into.to_path_buf()
}

fn seed(path: &Path, sizes: Sizes, key: &str) {
    let db = Connection::open(path).unwrap();
    // A one-off bulk load: no journal to keep, since a failed seed is deleted and redone.
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .unwrap();
    migrations::migrate(&db).unwrap();
    let now = "2026-11-01T09:00:00.000000Z";
    let due = "2026-11-02T09:00:00.000000Z";
    db.execute_batch("BEGIN").unwrap();
    for i in 0..sizes.cases {
        let victim = format!("Victim {i}");
        let own_suspect = format!("Suspect {i}");
        let suspect = if i < sizes.linked {
            SHARED_SUSPECT
        } else {
            (own_suspect.as_str(), "1985-05-05")
        };
        let new: NewCase = serde_json::from_value(report(&victim, self::suspect(suspect))).unwrap();
        let id = CaseId::parse(&format!("{i:032x}")).unwrap();
        cases::create(
            &db,
            &id,
            &format!("INC/{i}"),
            now,
            due,
            "seed",
            &new,
            &new_person_id,
        )
        .unwrap();
    }
    // The facts kept beside the cases, settled now rather than by the first reader.
    stalking_response::facts::settle(&db).unwrap();
    db.execute_batch("COMMIT").unwrap();
    let checkpoints = Checkpoints {
        key: Some(key.as_bytes().to_vec()),
        every: 100,
        high_water_seconds: 1,
    };
    let actor = Actor {
        subject: "seed".into(),
        role: "officer".into(),
        credential: Some("seed".into()),
    };
    let reason = AccessReason {
        code: ReasonCode::Investigation,
        text: None,
    };
    let batch = 10_000;
    let mut written = 0;
    while written < sizes.log_entries {
        let n = batch.min(sizes.log_entries - written);
        let accesses: Vec<Access> = (written..written + n)
            .map(|i| {
                let case = format!("{:032x}", i % sizes.cases);
                Access::allowed(
                    now,
                    &actor,
                    Operation::Consultation,
                    &RecordRef::case(case),
                    &reason,
                )
            })
            .collect();
        db.execute_batch("BEGIN").unwrap();
        audit::append_all(&db, &accesses, &checkpoints).unwrap();
        db.execute_batch("COMMIT").unwrap();
        written += n;
    }
    // As the app leaves it: write-ahead logging (and no planner statistics, which the app never
    // gathers either).
    db.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
}

/// A new id for each person record a store makes: unique in the process, as the app's are.
fn new_person_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!(
        "{:032x}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}
