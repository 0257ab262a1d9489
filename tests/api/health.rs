//! `GET /api/v1/health` (liveness), `GET /api/v1/health/ready` (readiness) and the static files, over
//! real HTTP against the built app.

use crate::support::{self, TestApp, agent, read};

#[test]
fn liveness_touches_no_store_and_readiness_reports_stores_and_schema_and_migrates_once() {
    let app = TestApp::start();
    let live = read(agent().get(app.url("/api/v1/health")).call());
    assert_eq!(live.status, 200, "{}", live.body);
    assert_eq!(live.json()["status"], "ok");
    assert!(
        !app.sqlite_path().exists(),
        "liveness opened no database (nothing has created it yet)"
    );
    let reply = read(agent().get(app.url("/api/v1/health/ready")).call());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/json");
    let health = reply.json();
    let latest = stalking_response::migrations::latest_version();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["schema_version"], latest);
    assert_eq!(health["stores"]["key_value"]["state"], "ok");
    assert_eq!(health["stores"]["sqlite"]["state"], "ok");

    // The migrations really ran, once, and survive a restart.
    let app = app.restart();
    assert_eq!(
        read(agent().get(app.url("/api/v1/health/ready")).call()).json()["schema_version"],
        latest
    );
    let db = rusqlite::Connection::open(app.sqlite_path()).unwrap();
    let applied: i64 = db
        .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    // One row per migration.
    assert_eq!(
        applied,
        stalking_response::migrations::MIGRATIONS.len() as i64
    );
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "the app switches its database to WAL");
}

#[test]
fn health_answers_head_and_refuses_other_methods_with_a_problem() {
    let app = TestApp::start();
    assert_eq!(
        read(agent().head(app.url("/api/v1/health")).call()).status,
        200
    );
    let reply = read(agent().post(app.url("/api/v1/health")).send("x"));
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert_eq!(reply.header("allow"), "GET, HEAD");
    assert_eq!(reply.json()["type"], "/problems/method-not-allowed");
}

#[test]
fn static_files_are_served_with_security_headers_and_etags() {
    let app = TestApp::start();
    let page = read(agent().get(app.url("/")).call());
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert!(page.body.contains("<title>"));
    assert!(
        page.header("content-security-policy")
            .contains("script-src 'self'")
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");

    let on_disk = std::fs::read_to_string(support::repo().join("static/app.js")).unwrap();
    let script = read(agent().get(app.url("/app.js")).call());
    assert_eq!(
        script.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        script.body, on_disk,
        "the embedded file is the file in static/"
    );

    let etag = script.header("etag").to_string();
    let again = read(
        agent()
            .get(app.url("/app.js"))
            .header("if-none-match", &etag)
            .call(),
    );
    assert_eq!(again.status, 304);

    // GOV.UK Frontend, built from npm by scripts/build-web, is served from the same origin.
    for (path, kind) in [
        ("/app.css", "text/css; charset=utf-8"),
        ("/govuk-frontend.min.js", "text/javascript; charset=utf-8"),
    ] {
        let asset = read(agent().get(app.url(path)).call());
        assert_eq!(
            (asset.status, asset.header("content-type")),
            (200, kind),
            "{path}"
        );
    }
    let css = read(agent().get(app.url("/app.css")).call());
    assert!(css.body.contains(".govuk-button"));
    assert!(
        !css.body.contains("GDS Transport"),
        "Arial, not the GOV.UK-only typeface"
    );
    // Gzipped for clients that accept it (a phone on a poor signal).
    let mut zipped = agent()
        .get(app.url("/app.css"))
        .header("accept-encoding", "gzip, deflate")
        .call()
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "accept-encoding");
    let bytes = zipped.body_mut().read_to_vec().unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    assert!(
        bytes.len() * 4 < css.body.len(),
        "{} of {}",
        bytes.len(),
        css.body.len()
    );
    // Its errors are problems like the API's.
    let missing = read(agent().get(app.url("/no/such/file.txt")).call());
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "application/problem+json");
    assert_eq!(missing.json()["type"], "/problems/not-found");
    let wrong = read(agent().delete(app.url("/")).call());
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.json()["status"], 405);
    assert_eq!(wrong.header("allow"), "GET, HEAD");
}
