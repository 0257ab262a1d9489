//! Several instances of the app on one database and one key-value store, as every real deployment
//! runs (SpinKube replicas, a serverless platform's instances): two hosts serve the same state under
//! concurrent load, and the access log stays one valid chain, references are never repeated, and a
//! retried `Idempotency-Key` sent to the other instance gets the first response.

use crate::support::{TestApp, case_body};
use serde_json::{Value, json};

/// How a test starts its app: `TestApp::start_with`, or `TestApp::start_with_redis`.
type Start = fn(&[(&str, &str)]) -> TestApp;

/// Creates per thread, and threads: 2 × 50 creates, alternating between the two instances.
const THREADS: usize = 4;
const PER_THREAD: usize = 25;

#[test]
fn two_instances_on_one_database_stay_correct_under_load() {
    two_instances_on(TestApp::start_with);
}

/// The same with the key-value store (sessions, throttle state, the access log's high-water mark)
/// on Redis, as replicas on SpinKube have it.
#[test]
fn two_instances_on_one_database_and_redis_stay_correct_under_load() {
    two_instances_on(TestApp::start_with_redis);
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn two_instances_on(start: Start) {
    let a = start(&[]);
    let b = a.another_instance();
    let instances = [&a, &b];
    let officer = a.token("officer", "1234");

    // Reports of two occasions each, alternating between the instances, from several threads at once.
    let ids: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let officer = &officer;
                scope.spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| instances[(t + i) % 2].new_case(officer, true, 2))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let total = (THREADS * PER_THREAD) as i64;
    assert_eq!(count(&a, "SELECT COUNT(*) FROM cases"), total);
    assert_eq!(
        count(&a, "SELECT COUNT(DISTINCT incident_reference) FROM cases"),
        total,
        "no incident reference repeated"
    );

    // Each recorded as a crime on the instance that did not take the report, again concurrently,
    // with reads between them on both.
    std::thread::scope(|scope| {
        for (n, chunk) in ids.chunks(PER_THREAD).enumerate() {
            let officer = &officer;
            scope.spawn(move || {
                for (i, id) in chunk.iter().enumerate() {
                    let app = instances[(n + i + 1) % 2];
                    let etag = instances[(n + i) % 2].etag(officer, id);
                    let decided = app.call_with(
                        "POST",
                        &format!("/api/v1/cases/{id}/crime-decision"),
                        officer,
                        Some(json!({ "outcome": "recorded", "principal": "stalking-s2a" })),
                        &[("if-match", &etag)],
                    );
                    assert_eq!(decided.status, 200, "{}", decided.body);
                }
            });
        }
    });
    assert_eq!(
        count(
            &a,
            "SELECT COUNT(DISTINCT crime_reference) FROM cases WHERE crime_reference IS NOT NULL"
        ),
        total,
        "no crime reference repeated"
    );

    // A retried Idempotency-Key sent to the other instance gets the first response.
    let key = ("idempotency-key", "replica-retry-0001");
    let first = a.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(case_body(false)),
        &[key],
    );
    assert_eq!(first.status, 201, "{}", first.body);
    let retried = b.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(case_body(false)),
        &[key],
    );
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert_eq!(
        retried.body, first.body,
        "the first response, byte for byte"
    );
    // And the same key sent to both at once: one case, one response.
    let raced: Vec<(u16, String)> = std::thread::scope(|scope| {
        let sent: Vec<_> = (1..=5)
            .flat_map(|k| instances.map(|app| (k, app)))
            .map(|(k, app)| {
                let officer = &officer;
                scope.spawn(move || {
                    let key = format!("replica-race-{k:04}");
                    let reply = app.call_with(
                        "POST",
                        "/api/v1/cases",
                        officer,
                        Some(case_body(false)),
                        &[("idempotency-key", &key)],
                    );
                    (reply.status, reply.body)
                })
            })
            .collect();
        sent.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for pair in raced.chunks(2) {
        assert_eq!(pair[0].0, 201, "{}", pair[0].1);
        assert_eq!(
            pair[0], pair[1],
            "both instances answered the first response"
        );
    }
    assert_eq!(count(&a, "SELECT COUNT(*) FROM cases"), total + 1 + 5);

    // One chain, every entry in it, valid as either instance verifies it.
    let entries = count(&a, "SELECT COUNT(*) FROM access_log");
    for app in instances {
        let report = app.verify();
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["entries"], Value::from(entries), "{report}");
    }
}
