//! The web form in headless Chromium: runs `tests/browser/run.mjs` (playwright-core, axe-core) against
//! the real app on the host, then checks in the database that the offline and lost-response reports
//! each made exactly one case. Screenshots at phone width go to `target/screenshots/`.

use crate::support::{ADMIN_TOKEN, TestApp, repo};

#[test]
fn the_web_form_works_offline_accessibly_and_never_loses_or_repeats_a_report() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    // A shared phone: officer A (whose token is revoked mid-test), A again on a second token, and B.
    let officer_a = app.token("officer", "A1");
    let officer_a2 = app.token("officer", "A2");
    let officer_b = app.token("officer", "B1");
    let analyst = app.token("analyst", "AN1");
    let supervisor = app.token("supervisor", "S1");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: scripts/test installs Debian's chromium"
    );
    assert!(
        repo().join("node_modules/playwright-core").exists(),
        "node_modules is missing: scripts/test runs npm ci"
    );
    // A case due for its retention review: reported, then its last activity moved back seven years.
    let retention_officer = app.token("officer", "RET1");
    let due = app.new_case(&retention_officer, false, 1);
    let due_reference = app
        .call_with(
            "GET",
            &format!("/api/v1/cases/{due}"),
            &retention_officer,
            None,
            &[("x-access-reason", "investigation")],
        )
        .json()["incident_reference"]
        .as_str()
        .unwrap()
        .to_string();
    app.set_clear_from(&due, "2019-01-01");
    let screenshots = repo().join("target/screenshots");
    let run = std::process::Command::new("node")
        .arg(repo().join("tests/browser/run.mjs"))
        .env("APP_URL", app.url(""))
        .env("OFFICER_TOKEN", &officer)
        .env("OFFICER_A_TOKEN", &officer_a)
        .env("OFFICER_A2_TOKEN", &officer_a2)
        .env("OFFICER_B_TOKEN", &officer_b)
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("ANALYST_TOKEN", &analyst)
        .env("SUPERVISOR_TOKEN", &supervisor)
        .env("DUE_CASE_REFERENCE", &due_reference)
        .env("SCREENSHOTS", &screenshots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "browser tests failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let db = app.database();
    for victim in ["Alex Browser", "Olive Offline", "Rita Retry"] {
        let cases: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM cases WHERE victim_name = ?1",
                [victim],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cases, 1, "{victim}: exactly one case");
    }
    // The shared phone: officer A's reports were never sent, by A or by B.
    for victim in ["Nadia Shared", "Otto Orphan"] {
        let cases: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM cases WHERE victim_name = ?1",
                [victim],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cases, 0, "{victim}: never sent");
    }
    assert!(screenshots.join("12-risk-result.png").exists());
    // The officer's reason at sign-in went with every read (DPA 2018 s.62).
    let reads: Vec<String> = db
        .prepare("SELECT DISTINCT reason_code FROM access_log WHERE subject = '1234' AND operation = 'consultation' AND outcome = 'allowed'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(reads.contains(&"safeguarding".to_string()), "{reads:?}");
}
