//! Access control end to end: authentication (tokens, sessions, CSRF, throttling), the role × endpoint
//! matrix, the access log with its reasons, tamper evidence, and the PIN control.

use crate::support::{self, ADMIN_TOKEN, TestApp};
use serde_json::{Value, json};

const REASON: (&str, &str) = ("x-access-reason", "investigation");

/// How a test starts its app: `TestApp::start_with`, or `TestApp::start_with_redis`.
type Start = fn(&[(&str, &str)]) -> TestApp;

fn new_case(app: &TestApp, token: &str, stalking: bool, occasions: usize) -> String {
    app.new_case(token, stalking, occasions)
}

fn request_pin(app: &TestApp, token: &str, case: &str) -> support::Reply {
    app.call(
        "POST",
        &format!("/api/v1/cases/{case}/pins"),
        token,
        Some(json!({ "grounds": "Single incident; suspect unaware", "recipient_account": "Says it was a misunderstanding" })),
    )
}

fn log_count(app: &TestApp) -> i64 {
    app.database()
        .query_row("SELECT COUNT(*) FROM access_log", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_role_gets_exactly_the_endpoints_the_table_gives_it() {
    let app = TestApp::start();
    let tokens = app.role_tokens();
    let officer = &tokens[0].1;
    let case = new_case(&app, officer, false, 1);
    // A superintendent's token asked for by the bootstrap admin, for another admin to approve.
    let pending = app.call(
        "POST",
        "/api/v1/tokens",
        ADMIN_TOKEN,
        Some(json!({ "subject": "SUP-pending", "role": "superintendent" })),
    );
    assert_eq!(pending.status, 202, "{}", pending.body);
    let pending = pending.json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // (method, path, body, roles allowed): written out here, independently of the code's table.
    let rows: Vec<support::MatrixRow> = vec![
        (
            "POST",
            "/api/v1/tokens".into(),
            Some(json!({ "subject": "x", "role": "officer" })),
            &["admin"],
        ),
        ("GET", "/api/v1/tokens".into(), None, &["admin"]),
        ("GET", "/api/v1/token-requests".into(), None, &["admin"]),
        (
            "POST",
            format!("/api/v1/token-requests/{pending}/approval"),
            None,
            &["admin"],
        ),
        (
            "POST",
            "/api/v1/cases".into(),
            Some(support::case_body(false)),
            &["officer", "supervisor", "partner"],
        ),
        (
            "GET",
            "/api/v1/cases".into(),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            format!("/api/v1/cases/{case}"),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "GET",
            format!("/api/v1/cases/{case}/classification"),
            None,
            &["officer", "supervisor", "superintendent"],
        ),
        (
            "POST",
            format!("/api/v1/cases/{case}/pins"),
            Some(json!({ "grounds": "g", "recipient_account": "a" })),
            &["officer", "supervisor"],
        ),
        (
            "GET",
            "/api/v1/pins".into(),
            None,
            &["supervisor", "superintendent", "auditor"],
        ),
        (
            "GET",
            "/api/v1/stats/cases".into(),
            None,
            &["analyst", "supervisor", "superintendent"],
        ),
        (
            "GET",
            "/api/v1/audit/access-log?subject=officer-1".into(),
            None,
            &["auditor"],
        ),
        (
            "GET",
            "/api/v1/audit/verify".into(),
            None,
            &["auditor", "admin"],
        ),
    ];
    app.assert_matrix(&tokens, &rows);

    // Revoking and deciding change state, so each gets a fresh target per role.
    for (role, token) in &tokens {
        let victim = app.call(
            "POST",
            "/api/v1/tokens",
            ADMIN_TOKEN,
            Some(json!({ "subject": "tmp", "role": "analyst" })),
        );
        let id = victim.json()["record"]["id"].as_str().unwrap().to_string();
        let reply = app.call("DELETE", &format!("/api/v1/tokens/{id}"), token, None);
        assert_eq!(
            reply.status,
            if *role == "admin" { 204 } else { 403 },
            "{role} revoke: {}",
            reply.body
        );

        let target = new_case(&app, officer, false, 2);
        let etag = app.etag(officer, &target);
        let added = app.call_with(
            "POST",
            &format!("/api/v1/cases/{target}/occurrences"),
            token,
            Some(support::occurrence_body(false)),
            &[("if-match", &etag)],
        );
        let may_change = ["officer", "supervisor"].contains(role);
        assert_eq!(
            added.status,
            if may_change { 201 } else { 403 },
            "{role} add occurrence: {}",
            added.body
        );
        let etag = app.etag(officer, &target);
        let decided = app.call_with(
            "POST",
            &format!("/api/v1/cases/{target}/crime-decision"),
            token,
            Some(json!({ "outcome": "recorded", "principal": "harassment-s2" })),
            &[("if-match", &etag)],
        );
        assert_eq!(
            decided.status,
            if may_change { 200 } else { 403 },
            "{role} crime decision: {}",
            decided.body
        );

        let pin = request_pin(&app, officer, &new_case(&app, officer, false, 1)).json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let decision = json!({ "decision": "decline", "rationale": "Investigate instead" });
        let reply = app.call(
            "POST",
            &format!("/api/v1/pins/{pin}/decision"),
            token,
            Some(decision),
        );
        assert_eq!(
            reply.status,
            if *role == "superintendent" { 200 } else { 403 },
            "{role} decide: {}",
            reply.body
        );
    }

    // Refusals are in the access log too.
    let denied: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE outcome = 'denied'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(denied > 40, "{denied}");
}

#[test]
fn missing_malformed_unknown_tampered_expired_revoked_and_foreign_credentials_get_401() {
    let app = TestApp::start();
    let token = app.token("officer", "1234");
    let unauthorised = |reply: support::Reply, what: &str| {
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert!(
            reply.header("www-authenticate").starts_with("Bearer"),
            "{what}"
        );
        assert_eq!(
            reply.header("content-type"),
            "application/problem+json",
            "{what}"
        );
    };
    unauthorised(app.call("GET", "/api/v1/cases", "", None), "none");
    unauthorised(
        app.call_with(
            "GET",
            "/api/v1/cases",
            "",
            None,
            &[("authorization", "Token abc")],
        ),
        "malformed",
    );
    unauthorised(
        app.call("GET", "/api/v1/cases", "srt_not-a-real-token", None),
        "unknown",
    );
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    unauthorised(
        app.call(
            "GET",
            "/api/v1/cases",
            &String::from_utf8(tampered).unwrap(),
            None,
        ),
        "tampered",
    );

    // Expired and foreign tokens, as a database row would hold them.
    let db = app.database();
    for (id, force, expires) in [
        ("expired", "TEST", "2000-01-01T00:00:00.000000Z"),
        ("foreign", "ZZ", "2999-01-01T00:00:00.000000Z"),
    ] {
        let secret = format!("srt_{id}-token-for-testing-only-0000000000000");
        db.execute(
            "INSERT INTO api_tokens (id, token_hash, subject, role, force, created_at, expires_at, created_by)
             VALUES (?1, ?2, 'x', 'officer', ?3, '2000-01-01T00:00:00.000000Z', ?4, 'test')",
            rusqlite::params![id, stalking_response::access::auth::token_hash(&secret), force, expires],
        )
        .unwrap();
        unauthorised(app.call("GET", "/api/v1/cases", &secret, None), id);
    }

    let listing = app.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None).json();
    let mine = listing["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "1234")
        .unwrap();
    let id = mine["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call_with("GET", "/api/v1/cases", &token, None, &[REASON])
            .status,
        200
    );
    assert_eq!(
        app.call("DELETE", &format!("/api/v1/tokens/{id}"), ADMIN_TOKEN, None)
            .status,
        204
    );
    unauthorised(
        app.call_with("GET", "/api/v1/cases", &token, None, &[REASON]),
        "revoked",
    );
    assert_eq!(
        app.call("DELETE", &format!("/api/v1/tokens/{id}"), ADMIN_TOKEN, None)
            .status,
        404,
        "already revoked"
    );
    // Health needs no credentials.
    assert_eq!(app.call("GET", "/api/v1/health", "", None).status, 200);
}

#[test]
fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::start();
    let token = app.token("officer", "1234");
    let db = app.database();
    let stored: String = db
        .query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, stalking_response::access::auth::token_hash(&token));
    let listing = app.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None).body;
    assert!(!listing.contains(&token) && !listing.contains(&stored));
}

#[test]
fn the_web_form_signs_in_with_a_cookie_and_its_changes_need_the_csrf_token() {
    the_web_form_signs_in_with_a_cookie_and_its_changes_need_the_csrf_token_on(TestApp::start_with);
}

/// The same against an app whose key-value store (sessions, CSRF, the throttle's state) is Redis.
#[test]
fn the_web_form_signs_in_with_a_cookie_and_its_changes_need_the_csrf_token_with_redis() {
    the_web_form_signs_in_with_a_cookie_and_its_changes_need_the_csrf_token_on(
        TestApp::start_with_redis,
    );
}

fn the_web_form_signs_in_with_a_cookie_and_its_changes_need_the_csrf_token_on(start: Start) {
    let app = start(&[]);
    let token = app.token("officer", "1234");
    let signed_in = app.call("POST", "/api/v1/session", &token, None);
    assert_eq!(signed_in.status, 201, "{}", signed_in.body);
    if let Some(redis) = app.redis() {
        assert!(!redis.keys().is_empty(), "the session is kept in Redis");
    }
    let cookie_header = signed_in.header("set-cookie").to_string();
    // Production (the default): `Secure` and `__Host-` even over plain http, because TLS ends at
    // the ingress and the app cannot tell.
    for attribute in [
        "__Host-sr_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Secure",
    ] {
        assert!(cookie_header.contains(attribute), "{cookie_header}");
    }
    assert!(!cookie_header.contains("Domain"), "{cookie_header}");
    let cookie = cookie_header.split(';').next().unwrap().to_string();
    let csrf = signed_in.json()["csrf_token"].as_str().unwrap().to_string();

    let with_cookie = |method: &str, path: &str, body: Option<Value>, extra: &[(&str, &str)]| {
        let mut headers = vec![("cookie", cookie.as_str()), REASON];
        headers.extend_from_slice(extra);
        app.call_with(method, path, "", body, &headers)
    };
    assert_eq!(
        with_cookie("GET", "/api/v1/session", None, &[]).json()["subject"],
        "1234"
    );
    assert_eq!(with_cookie("GET", "/api/v1/cases", None, &[]).status, 200);
    let body = support::case_body(false);
    let no_csrf = with_cookie("POST", "/api/v1/cases", Some(body.clone()), &[]);
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    assert_eq!(
        with_cookie(
            "POST",
            "/api/v1/cases",
            Some(body.clone()),
            &[("x-csrf-token", "srt_wrong")]
        )
        .status,
        403
    );
    assert_eq!(
        with_cookie(
            "POST",
            "/api/v1/cases",
            Some(body),
            &[("x-csrf-token", &csrf)]
        )
        .status,
        201
    );

    let signed_out = with_cookie(
        "DELETE",
        "/api/v1/session",
        None,
        &[("x-csrf-token", &csrf)],
    );
    assert_eq!(signed_out.status, 204);
    assert!(signed_out.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        with_cookie("GET", "/api/v1/cases", None, &[]).status,
        401,
        "the session is gone"
    );

    // Revoking the token ends its sessions too.
    let again = app.call("POST", "/api/v1/session", &token, None);
    let cookie = again
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let id = app.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None).json()["tokens"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call("DELETE", &format!("/api/v1/tokens/{id}"), ADMIN_TOKEN, None);
    assert_eq!(
        app.call_with(
            "GET",
            "/api/v1/cases",
            "",
            None,
            &[("cookie", &cookie), REASON]
        )
        .status,
        401
    );
}

#[test]
fn each_web_session_has_its_own_outbox_key_shown_only_on_its_cookie_and_gone_at_sign_out() {
    each_web_session_has_its_own_outbox_key_shown_only_on_its_cookie_and_gone_at_sign_out_on(
        TestApp::start_with,
    );
}

/// The same against an app whose key-value store (sessions, CSRF, the throttle's state) is Redis.
#[test]
fn each_web_session_has_its_own_outbox_key_shown_only_on_its_cookie_and_gone_at_sign_out_with_redis()
 {
    each_web_session_has_its_own_outbox_key_shown_only_on_its_cookie_and_gone_at_sign_out_on(
        TestApp::start_with_redis,
    );
}

fn each_web_session_has_its_own_outbox_key_shown_only_on_its_cookie_and_gone_at_sign_out_on(
    start: Start,
) {
    let app = start(&[]);
    let token = app.token("officer", "1234");
    let sign_in = || {
        let reply = app.call("POST", "/api/v1/session", &token, None);
        assert_eq!(reply.status, 201, "{}", reply.body);
        let cookie = reply
            .header("set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let json = reply.json();
        let key = json["outbox_key"].as_str().unwrap().to_string();
        (
            cookie,
            json["csrf_token"].as_str().unwrap().to_string(),
            key,
        )
    };
    let (cookie, csrf, key) = sign_in();
    assert_eq!(key.len(), 43, "256 bits, base64url: {key}");
    let (other_cookie, _, other_key) = sign_in();
    assert_ne!(key, other_key, "a key per session");

    let who =
        |cookie: &str| app.call_with("GET", "/api/v1/session", "", None, &[("cookie", cookie)]);
    assert_eq!(who(&cookie).json()["outbox_key"], key.as_str());
    assert_eq!(who(&other_cookie).json()["outbox_key"], other_key.as_str());
    let bearer = app.call("GET", "/api/v1/session", &token, None);
    assert_eq!(bearer.status, 200);
    assert!(bearer.json().get("outbox_key").is_none(), "{}", bearer.body);

    let signed_out = app.call_with(
        "DELETE",
        "/api/v1/session",
        "",
        None,
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
    );
    assert_eq!(signed_out.status, 204);
    let after = who(&cookie);
    assert_eq!(after.status, 401);
    assert!(!after.body.contains(&key));
    assert_eq!(who(&other_cookie).json()["outbox_key"], other_key.as_str());
}

#[test]
fn garbage_tokens_from_one_address_never_lock_out_the_force() {
    garbage_tokens_from_one_address_never_lock_out_the_force_on(TestApp::start_with);
}

/// The same against an app whose key-value store (sessions, CSRF, the throttle's state) is Redis.
#[test]
fn garbage_tokens_from_one_address_never_lock_out_the_force_with_redis() {
    garbage_tokens_from_one_address_never_lock_out_the_force_on(TestApp::start_with_redis);
}

fn garbage_tokens_from_one_address_never_lock_out_the_force_on(start: Start) {
    let app = start(&[("auth_max_failures", "3")]);
    let token = app.token("officer", "1234");
    let answers: Vec<u16> = (0..11)
        .map(|_| app.call("GET", "/api/v1/cases", "srt_wrong", None).status)
        .collect();
    assert_eq!(answers[..3], [401, 401, 401]);
    assert!(answers[3..].iter().all(|s| *s == 429), "{answers:?}");
    let throttled = app.call("GET", "/api/v1/cases", "srt_wrong", None);
    assert!(throttled.header("retry-after").parse::<u64>().unwrap() > 0);
    let good = app.call_with("GET", "/api/v1/cases", &token, None, &[REASON]);
    assert_eq!(
        good.status, 200,
        "a valid token is never refused for its address"
    );
    let admin = app.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None);
    assert_eq!(admin.status, 200, "nor the admin's");
}

#[test]
fn concurrent_failures_are_counted_atomically() {
    concurrent_failures_are_counted_atomically_on(TestApp::start_with);
}

/// The same against an app whose key-value store (sessions, CSRF, the throttle's state) is Redis.
#[test]
fn concurrent_failures_are_counted_atomically_with_redis() {
    concurrent_failures_are_counted_atomically_on(TestApp::start_with_redis);
}

fn concurrent_failures_are_counted_atomically_on(start: Start) {
    let app = start(&[("auth_max_failures", "10")]);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    (0..20)
                        .map(|_| app.call("GET", "/api/v1/cases", "srt_wrong", None).status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let unauthorised = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (unauthorised, throttled),
        (10, 150),
        "exactly the limit answered 401"
    );
}

#[test]
fn the_client_address_comes_from_the_trusted_proxy_header_only_when_configured() {
    the_client_address_comes_from_the_trusted_proxy_header_only_when_configured_on(
        TestApp::start_with,
    );
}

/// The same against an app whose key-value store (sessions, CSRF, the throttle's state) is Redis.
#[test]
fn the_client_address_comes_from_the_trusted_proxy_header_only_when_configured_with_redis() {
    the_client_address_comes_from_the_trusted_proxy_header_only_when_configured_on(
        TestApp::start_with_redis,
    );
}

fn the_client_address_comes_from_the_trusted_proxy_header_only_when_configured_on(start: Start) {
    // A different wrong token each time, so only the address is counted.
    let guesses = std::sync::atomic::AtomicUsize::new(0);
    let wrong = |app: &TestApp, forwarded: &str| {
        let n = guesses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        app.call_with(
            "GET",
            "/api/v1/cases",
            &format!("srt_{n:04}guess"),
            None,
            &[("x-forwarded-for", forwarded)],
        )
        .status
    };
    // Not configured: a client's own X-Forwarded-For changes nothing (it could otherwise dodge the
    // limit by inventing addresses).
    let direct = start(&[("auth_max_failures", "2")]);
    let answers: Vec<u16> = (0..3)
        .map(|i| wrong(&direct, &format!("203.0.113.{i}")))
        .collect();
    assert_eq!(answers, [401, 401, 429]);
    // Behind an ingress that appends the client's address: the last value is the client.
    let proxied = start(&[
        ("auth_max_failures", "2"),
        ("trusted_proxy_header", "X-Forwarded-For"),
    ]);
    let answers: Vec<u16> = (0..3)
        .map(|_| wrong(&proxied, "198.51.100.7, 203.0.113.1"))
        .collect();
    assert_eq!(answers, [401, 401, 429]);
    assert_eq!(
        wrong(&proxied, "203.0.113.1, 203.0.113.2"),
        401,
        "another client behind the same ingress is not throttled"
    );
}

#[test]
fn each_read_of_a_personal_record_writes_one_entry_with_its_reason() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let auditor = app.token("auditor", "A1");
    let case = new_case(&app, &officer, false, 1);

    let before = log_count(&app);
    let refused = app.call("GET", &format!("/api/v1/cases/{case}"), &officer, None);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["type"], "/problems/access-reason-required");
    assert_eq!(
        app.call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &officer,
            None,
            &[("x-access-reason", "nosiness")]
        )
        .status,
        400
    );
    assert_eq!(
        app.call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &officer,
            None,
            &[("x-access-reason", "other")]
        )
        .status,
        400
    );
    // Each refused read is itself logged, as a refusal, and returns nothing.
    assert_eq!(log_count(&app), before + 3, "each refusal is logged");
    let refusals: Vec<(String, String, String, String)> = app
        .database()
        .prepare("SELECT record_type, record_id, reason_code, outcome FROM access_log WHERE seq > ?1 ORDER BY seq")
        .unwrap()
        .query_map([before], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for refusal in &refusals {
        assert_eq!(
            refusal,
            &(
                "case".into(),
                case.clone(),
                "reason-missing".into(),
                "denied".into()
            )
        );
    }
    let before = log_count(&app);

    let read = app.call_with(
        "GET",
        &format!("/api/v1/cases/{case}"),
        &officer,
        None,
        &[("x-access-reason", "other: victim called")],
    );
    assert_eq!(read.status, 200);
    assert_eq!(log_count(&app), before + 1);
    app.call_with(
        "GET",
        &format!("/api/v1/cases/{case}"),
        &officer,
        None,
        &[REASON],
    );
    assert_eq!(log_count(&app), before + 2);

    // Who accessed the record, paged: the collection, the three refused reads, then the two reads.
    let path = format!("/api/v1/audit/access-log?record_type=case&record_id={case}&limit=5");
    let page = app
        .call_with(
            "GET",
            &path,
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        )
        .json();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["operation"], "collection");
    for refused in &entries[1..4] {
        assert_eq!(
            (&refused["outcome"], &refused["reason_code"]),
            (&"denied".into(), &"reason-missing".into())
        );
    }
    assert_eq!(entries[4]["reason_code"], "other");
    assert_eq!(entries[4]["reason_text"], "victim called");
    assert_eq!(entries[4]["subject"], "1234");
    let next = page["next"].as_i64().unwrap();
    let page2 = app
        .call_with(
            "GET",
            &format!("{path}&after={next}"),
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        )
        .json();
    assert_eq!(page2["entries"][0]["reason_code"], "investigation");
    assert_eq!(page2["entries"].as_array().unwrap().len(), 1);

    // What a person accessed.
    let by_subject = app
        .call_with(
            "GET",
            "/api/v1/audit/access-log?subject=1234",
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        )
        .json();
    assert_eq!(
        by_subject["entries"].as_array().unwrap().len(),
        6,
        "the collection, three refusals, two reads"
    );
    // The auditor's own consultations are logged as well.
    let of_auditor = app
        .call_with(
            "GET",
            "/api/v1/audit/access-log?subject=A1",
            &auditor,
            None,
            &[("x-access-reason", "audit")],
        )
        .json();
    assert_eq!(of_auditor["entries"][0]["record_type"], "access-log");
}

/// Removes the append-only triggers, as someone with write access to the file could.
fn drop_triggers(db: &rusqlite::Connection) {
    db.execute_batch(
        "DROP TRIGGER access_log_append_only_update; DROP TRIGGER access_log_append_only_delete;
         DROP TRIGGER checkpoints_append_only_update; DROP TRIGGER checkpoints_append_only_delete;
         DROP TRIGGER access_log_cases_append_only_update; DROP TRIGGER access_log_cases_append_only_delete;",
    )
    .unwrap();
}

fn app_with_entries(n: usize) -> (TestApp, String) {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let case = new_case(&app, &officer, false, 1);
    while log_count(&app) < n as i64 {
        app.call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &officer,
            None,
            &[REASON],
        );
    }
    assert_eq!(app.verify()["valid"], true);
    (app, case)
}

#[test]
fn the_app_itself_cannot_alter_the_log() {
    let (app, _) = app_with_entries(3);
    let error = app
        .database()
        .execute("UPDATE access_log SET subject = 'x' WHERE seq = 2", [])
        .unwrap_err();
    assert!(error.to_string().contains("append-only"));
}

#[test]
fn altering_deleting_or_reordering_a_log_row_is_caught() {
    let tamperings: [(&str, &str, i64); 4] = [
        (
            "altered",
            "UPDATE access_log SET reason_code = 'audit' WHERE seq = 7",
            7,
        ),
        ("deleted", "DELETE FROM access_log WHERE seq = 6", 6),
        (
            "reordered",
            "UPDATE access_log SET seq = -8 WHERE seq = 8; UPDATE access_log SET seq = 8 WHERE seq = 9;
             UPDATE access_log SET seq = 9 WHERE seq = -8;",
            8,
        ),
        (
            "forged checkpoint",
            "UPDATE access_log_checkpoints SET mac = '00' WHERE seq = 5",
            5,
        ),
    ];
    for (what, sql, first_broken) in tamperings {
        let (app, _) = app_with_entries(12);
        let db = app.database();
        drop_triggers(&db);
        db.execute_batch(sql).unwrap();
        let report = app.verify();
        assert_eq!(report["valid"], false, "{what}: {report}");
        assert_eq!(
            report["first_broken"]["seq"], first_broken,
            "{what}: {report}"
        );
    }
}

/// Appends `n` correctly chained entries straight into the file, as someone with write access to it
/// but not the key would: "officer 1234 read case C, reason: personal interest".
fn forge_entries(db: &rusqlite::Connection, case: &str, n: i64) -> i64 {
    use stalking_response::access::audit::{Access, Operation, entry_hash};
    let (mut seq, mut prev): (i64, String) = db
        .query_row(
            "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let first = seq + 1;
    for _ in 0..n {
        seq += 1;
        let access = Access {
            at: "2026-11-29T12:00:00.000000Z".into(),
            subject: "1234".into(),
            role: "officer".into(),
            operation: Operation::Consultation,
            record_type: "case".into(),
            record_id: case.into(),
            reason_code: "other".into(),
            reason_text: Some("personal interest".into()),
            recipient: None,
            outcome: "allowed".into(),
            digest: None,
            case_id: None,
            credential: None,
            nonce: None,
        };
        let hash = entry_hash(&prev, seq, &access);
        db.execute(
            "INSERT INTO access_log (seq, at, subject, role, operation, record_type, record_id, reason_code, reason_text, outcome, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, 'consultation', 'case', ?5, ?6, ?7, 'allowed', ?8, ?9)",
            rusqlite::params![seq, access.at, access.subject, access.role, case, access.reason_code, access.reason_text, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
    first
}

#[test]
fn entries_forged_between_checkpoints_are_caught_and_never_sealed() {
    let (app, case) = app_with_entries(6);
    let officer = app.token("officer", "5678");
    let db = app.database();
    drop_triggers(&db);
    let first_fake = forge_entries(&db, &case, 3);
    // The app goes on writing, past the next checkpoint (every 5 entries in the tests).
    let next_checkpoint = (first_fake + 3 + 4) / 5 * 5;
    while log_count(&app) < next_checkpoint + 2 {
        app.call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &officer,
            None,
            &[REASON],
        );
    }
    let sealed: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM access_log_checkpoints WHERE seq >= ?1",
            [first_fake],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sealed, 0, "no checkpoint vouches for the forged entries");
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["first_broken"]["seq"], first_fake, "{report}");
    assert!(
        report["first_broken"]["reason"]
            .as_str()
            .unwrap()
            .contains("no MAC"),
        "{report}"
    );

    // The auditor's export and the independent verifier say so too.
    let auditor = app.token("auditor", "A1");
    let today = time::OffsetDateTime::now_utc().date();
    let reply = app.call_with(
        "GET",
        &format!(
            "/api/v1/audit/export?from={}&to={today}",
            today.previous_day().unwrap()
        ),
        &auditor,
        None,
        &[REASON],
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("export.json"), &reply.body).unwrap();
    std::fs::write(dir.path().join("key"), "test-checkpoint-key").unwrap();
    let run = std::process::Command::new("python3")
        .arg(support::repo().join("scripts/verify-access-log-export.py"))
        .arg(dir.path().join("export.json"))
        .arg("--key-file")
        .arg(dir.path().join("key"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        format!("entry {first_fake}: it has no MAC (written without the key)")
    );
}

#[test]
fn cutting_entries_and_their_checkpoints_from_the_end_is_caught() {
    let (app, _) = app_with_entries(12);
    let last = log_count(&app);
    let db = app.database();
    drop_triggers(&db);
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DELETE FROM access_log WHERE seq >= 9; DELETE FROM access_log_checkpoints WHERE seq >= 9;
         DELETE FROM access_log_cases WHERE seq >= 9;",
    )
    .unwrap();
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["high_water_mark"], last, "{report}");
    assert!(
        report["first_broken"]["reason"]
            .as_str()
            .unwrap()
            .contains("high-water mark"),
        "{report}"
    );
}

#[test]
fn rewriting_the_whole_chain_or_removing_its_end_is_caught() {
    use stalking_response::access::audit::{Access, GENESIS, Operation, entry_hash};
    let (app, _) = app_with_entries(12);
    let db = app.database();
    drop_triggers(&db);
    // Change entry 3's reason, then recompute every hash after it so the chain itself is consistent.
    db.execute(
        "UPDATE access_log SET reason_code = 'audit' WHERE seq = 3",
        [],
    )
    .unwrap();
    let mut prev = GENESIS.to_string();
    let rows: Vec<(i64, Access)> = db
        .prepare("SELECT l.seq, at, subject, role, record_type, record_id, reason_code, reason_text, recipient, outcome, operation, digest, c.case_id, credential, nonce FROM access_log l LEFT JOIN access_log_cases c ON c.seq = l.seq ORDER BY l.seq")
        .unwrap()
        .query_map([], |r| {
            let operation: String = r.get(10)?;
            Ok((
                r.get(0)?,
                Access {
                    at: r.get(1)?,
                    subject: r.get(2)?,
                    role: r.get(3)?,
                    operation: if operation == "collection" { Operation::Collection } else { Operation::Consultation },
                    record_type: r.get(4)?,
                    record_id: r.get(5)?,
                    reason_code: r.get(6)?,
                    reason_text: r.get(7)?,
                    recipient: r.get(8)?,
                    outcome: r.get(9)?,
                    digest: r.get(11)?,
                    case_id: r.get(12)?,
                    credential: r.get(13)?,
                    nonce: r.get(14)?,
                },
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (seq, access) in rows {
        let hash = entry_hash(&prev, seq, &access);
        db.execute(
            "UPDATE access_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![prev, hash, seq],
        )
        .unwrap();
        prev = hash;
    }
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(
        report["first_broken"]["seq"], 3,
        "the changed entry's MAC no longer verifies: {report}"
    );
    assert!(
        report["first_broken"]["reason"]
            .as_str()
            .unwrap()
            .contains("MAC")
    );

    // Cutting entries off the end, past a checkpoint.
    let (app, _) = app_with_entries(12);
    let db = app.database();
    drop_triggers(&db);
    db.execute("DELETE FROM access_log WHERE seq >= 9", [])
        .unwrap();
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["first_broken"]["seq"], 10, "{report}");
}

#[test]
fn fifty_concurrent_writers_leave_one_valid_chain() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let before = log_count(&app);
    std::thread::scope(|scope| {
        for _ in 0..50 {
            scope.spawn(|| new_case(&app, &officer, false, 1));
        }
    });
    // One collection per case, and a combination for each earlier case its suspect is linked to.
    let collections: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE seq > ?1 AND operation = 'collection'",
            [before],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(collections, 50);
    let after = log_count(&app);
    let report = app.verify();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["entries"], after);
    assert_eq!(report["checkpoints"], after / 5);
}

#[test]
fn pins_are_refused_for_stalking_and_courses_of_conduct_and_otherwise_wait_for_a_superintendent() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let supervisor = app.token("supervisor", "S1");
    let superintendent = app.token("superintendent", "SUP1");

    let stalking = request_pin(&app, &officer, &new_case(&app, &officer, true, 1));
    assert_eq!(stalking.status, 422);
    assert_eq!(stalking.json()["type"], "/problems/pin-not-appropriate");
    assert!(
        stalking.json()["detail"]
            .as_str()
            .unwrap()
            .contains("national stalking protocol")
    );
    let course = request_pin(&app, &officer, &new_case(&app, &officer, false, 2));
    assert_eq!(course.status, 422);
    assert!(
        course.json()["detail"]
            .as_str()
            .unwrap()
            .contains("course of conduct")
    );

    let pending = request_pin(&app, &officer, &new_case(&app, &officer, false, 1));
    assert_eq!(pending.status, 201, "{}", pending.body);
    assert_eq!(pending.json()["status"], "pending");
    let id = pending.json()["id"].as_str().unwrap().to_string();
    let decide = |token: &str, body: Value| {
        app.call(
            "POST",
            &format!("/api/v1/pins/{id}/decision"),
            token,
            Some(body),
        )
    };

    assert_eq!(
        decide(
            &supervisor,
            json!({ "decision": "authorise", "rationale": "r" })
        )
        .status,
        403
    );
    let no_rationale = decide(
        &superintendent,
        json!({ "decision": "authorise", "rationale": " " }),
    );
    assert_eq!(no_rationale.status, 422);
    assert_eq!(no_rationale.json()["errors"][0]["pointer"], "/rationale");
    assert_eq!(
        decide(
            &superintendent,
            json!({ "decision": "maybe", "rationale": "r" })
        )
        .status,
        422
    );
    let authorised = decide(
        &superintendent,
        json!({ "decision": "authorise", "rationale": "First contact; no course of conduct" }),
    );
    assert_eq!(authorised.status, 200, "{}", authorised.body);
    assert_eq!(authorised.json()["status"], "authorised");
    assert_eq!(authorised.json()["decided_by"], "SUP1");
    assert_eq!(
        decide(
            &superintendent,
            json!({ "decision": "decline", "rationale": "r" })
        )
        .status,
        409
    );

    // Every request and decision is on the register.
    let register = app
        .call_with(
            "GET",
            "/api/v1/pins",
            &supervisor,
            None,
            &[("x-access-reason", "supervision")],
        )
        .json();
    let statuses: Vec<&str> = register["pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["refused", "refused", "authorised"]);
    let refused = app
        .call_with(
            "GET",
            "/api/v1/pins?status=refused",
            &supervisor,
            None,
            &[("x-access-reason", "supervision")],
        )
        .json();
    assert_eq!(refused["pins"].as_array().unwrap().len(), 2);
    assert!(
        refused["pins"][0]["refusal_reason"]
            .as_str()
            .unwrap()
            .contains("stalking")
    );
    assert_eq!(request_pin(&app, &officer, "no-such-case").status, 404);
}

#[test]
fn an_admin_cannot_impersonate_an_officer_unnoticed_nor_empower_themself() {
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    let admin = app.token("admin", "admin-1");
    let key = ("idempotency-key", "officer-1234-report-1");
    let created = app.call_with(
        "POST",
        "/api/v1/cases",
        &officer,
        Some(support::case_body(true)),
        &[key],
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let case = created.json()["id"].as_str().unwrap().to_string();

    // The admin mints a token in the officer's name and uses it.
    let minted = app.call(
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(json!({ "subject": "1234", "role": "officer" })),
    );
    assert_eq!(minted.status, 201, "{}", minted.body);
    let impostor = minted.json()["token"].as_str().unwrap().to_string();
    let impostor_id = minted.json()["record"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &impostor,
            None,
            &[REASON]
        )
        .status,
        200
    );
    // The log tells the two holders apart: every entry names the credential used.
    let credentials: Vec<Option<String>> = app
        .database()
        .prepare(
            "SELECT DISTINCT credential FROM access_log WHERE subject = '1234' AND record_id = ?1",
        )
        .unwrap()
        .query_map([&case], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(credentials.len(), 2, "{credentials:?}");
    assert!(credentials.contains(&Some(impostor_id)));
    // Replaying the officer's Idempotency-Key gets the impostor nothing of the officer's.
    let replayed = app.call_with(
        "POST",
        "/api/v1/cases",
        &impostor,
        Some(support::case_body(true)),
        &[key],
    );
    assert_eq!(replayed.status, 201);
    assert_ne!(
        replayed.json()["id"],
        created.json()["id"],
        "a new case, not the officer's response"
    );

    // No second role for a subject, no token in one's own name, no powerful token alone.
    let other_role = app.call(
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(json!({ "subject": "1234", "role": "supervisor" })),
    );
    assert_eq!(other_role.status, 409, "{}", other_role.body);
    let own = app.call(
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(json!({ "subject": "admin-1", "role": "superintendent" })),
    );
    assert_eq!(own.status, 403, "{}", own.body);
    let asked = app.call(
        "POST",
        "/api/v1/tokens",
        &admin,
        Some(json!({ "subject": "friend", "role": "superintendent" })),
    );
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert!(asked.json().get("token").is_none());
    let id = asked.json()["request"]["id"].as_str().unwrap().to_string();
    let self_approved = app.call(
        "POST",
        &format!("/api/v1/token-requests/{id}/approval"),
        &admin,
        None,
    );
    assert_eq!(self_approved.status, 403, "{}", self_approved.body);
    let approved = app.call(
        "POST",
        &format!("/api/v1/token-requests/{id}/approval"),
        ADMIN_TOKEN,
        None,
    );
    assert_eq!(
        approved.status, 201,
        "a second admin approves: {}",
        approved.body
    );
}

#[test]
fn a_bootstrap_session_dies_when_the_bootstrap_token_changes() {
    a_bootstrap_session_dies_when_the_bootstrap_token_changes_on(TestApp::start_with);
}

/// The same against an app whose key-value store (sessions, CSRF, the throttle's state) is Redis.
#[test]
fn a_bootstrap_session_dies_when_the_bootstrap_token_changes_with_redis() {
    a_bootstrap_session_dies_when_the_bootstrap_token_changes_on(TestApp::start_with_redis);
}

fn a_bootstrap_session_dies_when_the_bootstrap_token_changes_on(start: Start) {
    let app = start(&[]);
    let signed_in = app.call("POST", "/api/v1/session", ADMIN_TOKEN, None);
    assert_eq!(signed_in.status, 201, "{}", signed_in.body);
    let cookie = signed_in
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let who = |app: &TestApp| {
        app.call_with("GET", "/api/v1/session", "", None, &[("cookie", &cookie)])
            .status
    };
    assert_eq!(who(&app), 200);
    let app = app.restart_with(&[(
        "bootstrap_admin_token",
        "a-new-bootstrap-token-0123456789abcdef",
    )]);
    assert_eq!(
        who(&app),
        401,
        "the old bootstrap token's session ended with it"
    );
}

#[test]
fn nobody_decides_a_pin_they_asked_for() {
    let app = TestApp::start();
    // S5 asked for a PIN as a supervisor, then was promoted: the old token revoked, a new one issued.
    let supervisor = app.token("supervisor", "S5");
    let case = new_case(&app, &supervisor, false, 1);
    let pin = request_pin(&app, &supervisor, &case).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tokens = app.call("GET", "/api/v1/tokens", ADMIN_TOKEN, None).json();
    let old = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "S5")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/v1/tokens/{old}"),
            ADMIN_TOKEN,
            None
        )
        .status,
        204
    );
    let promoted = app.token("superintendent", "S5");
    let decision = json!({ "decision": "decline", "rationale": "Investigate instead" });
    let path = format!("/api/v1/pins/{pin}/decision");
    let own = app.call("POST", &path, &promoted, Some(decision.clone()));
    assert_eq!(own.status, 403, "{}", own.body);
    assert_eq!(own.json()["type"], "/problems/own-work");
    let other = app.token("superintendent", "SUP2");
    assert_eq!(app.call("POST", &path, &other, Some(decision)).status, 200);
}

/// A case, a PIN, an assessment and a referral, each written (and amended) through the API.
struct Written {
    stalking_case: String,
    pin_case: String,
    pin: String,
    assessment: String,
    referral: String,
}

fn write_one_of_each(app: &TestApp) -> Written {
    let officer = app.token("officer", "1234");
    let superintendent = app.token("superintendent", "S1");
    let mash = app.token("partner", "mash");
    let stalking_case = new_case(app, &officer, true, 2);
    let decided = app.call_with(
        "POST",
        &format!("/api/v1/cases/{stalking_case}/crime-decision"),
        &officer,
        Some(json!({ "outcome": "recorded", "principal": "stalking-s2a" })),
        &[("if-match", &app.etag(&officer, &stalking_case))],
    );
    assert_eq!(decided.status, 200, "{}", decided.body);
    let pin_case = new_case(app, &officer, false, 1);
    let pin = request_pin(app, &officer, &pin_case).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = app.call(
        "POST",
        &format!("/api/v1/pins/{pin}/decision"),
        &superintendent,
        Some(json!({ "decision": "decline", "rationale": "Investigate instead" })),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let dash = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(support::dash_body(&stalking_case, 10)),
    );
    assert_eq!(dash.status, 201, "{}", dash.body);
    let dash = dash.json();
    let referral = dash["referrals"][0]["id"].as_str().unwrap().to_string();
    let sent = app.call(
        "POST",
        &format!("/api/v1/referrals/{referral}/send"),
        &officer,
        Some(json!({ "basis": "consent", "victim_aware": true, "rationale": "Victim agrees." })),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let acked = app.call(
        "POST",
        &format!("/api/v1/partner/referrals/{referral}/acknowledgement"),
        &mash,
        None,
    );
    assert_eq!(acked.status, 200, "{}", acked.body);
    Written {
        stalking_case,
        pin_case,
        pin,
        assessment: dash["id"].as_str().unwrap().to_string(),
        referral,
    }
}

/// The (kind, id) of each record verify says does not verify, with its problem.
fn mismatches(report: &Value) -> Vec<(String, String, String)> {
    report["records"]["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["id"].as_str().unwrap().to_string(),
                m["problem"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn kind<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["records"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == name)
        .unwrap_or_else(|| panic!("no kind {name}: {report}"))
}

/// Stores a digest worked out again from the row as it now is, as someone who knows the scheme would.
fn recompute_digests(db: &rusqlite::Connection) {
    use stalking_response::digests::{self, Kind};
    use stalking_response::sql::Sql;
    let rows = |kind: &Kind, key: &str| {
        db.query(
            &format!(
                "SELECT {key} AS k, {} FROM {}",
                digests::column_list(kind),
                kind.table
            ),
            &[],
        )
        .unwrap()
    };
    for (kind, key, where_key) in [
        (&digests::SUSPECT, "rowid", "rowid"),
        (&digests::OCCURRENCE, "rowid", "rowid"),
        (&digests::PIN, "id", "id"),
        (&digests::ASSESSMENT, "id", "id"),
        (&digests::REFERRAL, "id", "id"),
    ] {
        for row in rows(kind, key).iter() {
            let digest = digests::row_digest(kind, &digests::values(kind, row).unwrap());
            db.run(
                &format!(
                    "UPDATE {} SET digest = ?1 WHERE {where_key} = ?2",
                    kind.table
                ),
                &[digest.into(), row.value("k").unwrap().clone()],
            )
            .unwrap();
        }
    }
    for row in rows(&digests::CASE, "id").iter() {
        let id = row.text("k").unwrap();
        let children = |kind: &Kind, order: &str| -> Vec<String> {
            db.query(
                &format!(
                    "SELECT {} FROM {} WHERE case_id = ?1 ORDER BY {order}",
                    digests::column_list(kind),
                    kind.table
                ),
                &[id.as_str().into()],
            )
            .unwrap()
            .iter()
            .map(|r| digests::row_digest(kind, &digests::values(kind, r).unwrap()))
            .collect()
        };
        let digest = digests::case_digest(
            &digests::values(&digests::CASE, row).unwrap(),
            &children(&digests::SUSPECT, "position"),
            &children(&digests::OCCURRENCE, "number"),
        );
        db.run(
            "UPDATE cases SET digest = ?1 WHERE id = ?2",
            &[digest.into(), id.into()],
        )
        .unwrap();
    }
}

#[test]
fn editing_cases_pins_assessments_or_referrals_in_the_file_is_caught() {
    let app = TestApp::start();
    let w = write_one_of_each(&app);
    let report = app.verify();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["records"]["valid"], true, "{report}");
    for (name, records) in [
        ("case", 2),
        ("suspect", 2),
        ("occurrence", 3),
        ("pin", 1),
        ("risk-assessment", 1),
    ] {
        let k = kind(&report, name);
        assert_eq!(
            (
                &k["records"],
                &k["covered"],
                &k["not_covered"],
                &k["problems"]
            ),
            (&json!(records), &json!(records), &json!(0), &json!(0)),
            "{name}: {report}"
        );
    }
    assert!(kind(&report, "referral")["covered"].as_i64().unwrap() >= 1);
    assert_eq!(kind(&report, "search")["records"], 0);

    // Someone with the file edits a victim's name, a narrative, a suspect's name, a PIN's grounds, an
    // assessment's answer and a referral's package.
    let db = app.database();
    db.execute_batch("DROP TRIGGER risk_assessments_unchanged;")
        .unwrap();
    let (case, pin_case) = (&w.stalking_case, &w.pin_case);
    for (sql, id) in [
        (
            "UPDATE cases SET victim_name = 'Someone Else' WHERE id = ?1",
            case,
        ),
        (
            "UPDATE occurrences SET description = 'Nothing happened.' WHERE case_id = ?1 AND number = 2",
            case,
        ),
        (
            "UPDATE suspects SET name = 'Nobody' WHERE case_id = ?1",
            pin_case,
        ),
        (
            "UPDATE pins SET grounds = 'Other grounds' WHERE id = ?1",
            &w.pin,
        ),
        (
            "UPDATE risk_assessments SET answers = replace(answers, '\"yes\"', '\"no\"') WHERE id = ?1",
            &w.assessment,
        ),
        (
            "UPDATE referrals SET package = replace(package, 'Alex Example', 'Someone Else') WHERE id = ?1",
            &w.referral,
        ),
    ] {
        assert_eq!(db.execute(sql, [id]).unwrap(), 1, "{sql}");
    }
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["records"]["valid"], false, "{report}");
    let found = mismatches(&report);
    let named = |kind: &str, id: &str| {
        found
            .iter()
            .find(|(k, i, _)| k == kind && i == id)
            .map(|(_, _, problem)| problem.as_str())
    };
    for (kind, id) in [
        ("case", case.clone()),
        ("occurrence", format!("{case}/2")),
        ("suspect", format!("{pin_case}/0")),
        ("pin", w.pin.clone()),
        ("risk-assessment", w.assessment.clone()),
        ("referral", w.referral.clone()),
    ] {
        let problem = named(kind, &id).unwrap_or_else(|| panic!("{kind} {id} not named: {report}"));
        assert!(
            problem.contains("does not match its digest"),
            "{kind}: {problem}"
        );
    }
    // The suspect's case covers it too; nothing untouched is named.
    assert!(named("case", pin_case).is_some(), "{report}");
    assert_eq!(found.len(), 7, "{found:#?}");
    assert!(
        report["records"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with(&format!("pin {}: ", w.pin))),
        "{report}"
    );

    // …and recomputes every stored digest: the access log still holds the digests of what was written.
    recompute_digests(&db);
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    let found = mismatches(&report);
    let mut named: Vec<(&str, &str)> = found
        .iter()
        .map(|(k, i, problem)| {
            assert!(
                problem.contains("access-log entry that last wrote it"),
                "{k} {i}: {problem}"
            );
            (k.as_str(), i.as_str())
        })
        .collect();
    named.sort();
    let mut expected = vec![
        ("case", case.as_str()),
        ("case", pin_case.as_str()),
        ("pin", w.pin.as_str()),
        ("referral", w.referral.as_str()),
        ("risk-assessment", w.assessment.as_str()),
    ];
    expected.sort();
    assert_eq!(named, expected, "{report}");
}

#[test]
fn removing_a_record_or_its_digest_is_caught_and_old_rows_are_not_covered() {
    let app = TestApp::start();
    let w = write_one_of_each(&app);
    let db = app.database();
    // A PIN removed, and a referral's digest removed after its package was edited.
    db.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    db.execute("DELETE FROM pins WHERE id = ?1", [&w.pin])
        .unwrap();
    db.execute(
        "UPDATE referrals SET digest = NULL, package = replace(package, 'Alex', 'Sam') WHERE id = ?1",
        [&w.referral],
    )
    .unwrap();
    let report = app.verify();
    assert_eq!(report["valid"], false, "{report}");
    let found = mismatches(&report);
    assert!(
        found
            .iter()
            .any(|(k, i, p)| k == "pin" && *i == w.pin && p.contains("no longer stored")),
        "{report}"
    );
    assert!(
        found
            .iter()
            .any(|(k, i, p)| k == "referral" && *i == w.referral && p.contains("digest removed")),
        "{report}"
    );

    // Rows written before record digests (none in the row, none in the log) are counted, not failed.
    let app = TestApp::start();
    let officer = app.token("officer", "1234");
    new_case(&app, &officer, false, 1);
    let db = app.database();
    db.execute_batch("DROP TRIGGER access_log_append_only_update;")
        .unwrap();
    // A database upgraded from before: the case written, and logged, without digests. (The log's
    // entry is rewritten here, so the chain no longer verifies; the records check is what is shown.)
    db.execute_batch(
        "UPDATE cases SET digest = NULL; UPDATE suspects SET digest = NULL;
         UPDATE occurrences SET digest = NULL; UPDATE access_log SET digest = NULL WHERE record_type = 'case';",
    )
    .unwrap();
    let report = app.verify();
    assert_eq!(report["records"]["valid"], true, "{report}");
    for name in ["case", "suspect", "occurrence"] {
        assert_eq!(kind(&report, name)["not_covered"], 1, "{name}: {report}");
        assert_eq!(kind(&report, name)["covered"], 0, "{name}: {report}");
    }
}

#[test]
fn a_read_is_queued_in_one_statement_and_chained_before_an_auditor_reads_the_log() {
    // The mark at most once a minute: after the first request, entries wait in the queue until the
    // cadence or an auditor's read chains them.
    let app = TestApp::start_with(&[("audit_high_water_seconds", "60")]);
    let officer = app.token("officer", "1234");
    let auditor = app.token("auditor", "A1");
    let case = new_case(&app, &officer, true, 2);
    let queued = |app: &TestApp| -> i64 {
        app.database()
            .query_row(
                "SELECT COUNT(*) FROM access_log_queue WHERE rejected IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let before = (log_count(&app), queued(&app));
    for _ in 0..3 {
        let read = app.call_with(
            "GET",
            &format!("/api/v1/cases/{case}"),
            &officer,
            None,
            &[REASON],
        );
        assert_eq!(read.status, 200, "{}", read.body);
    }
    assert_eq!(
        (log_count(&app), queued(&app)),
        (before.0, before.1 + 3),
        "logged (queued) at once, not yet chained"
    );

    let listed = app.call_with(
        "GET",
        &format!("/api/v1/audit/access-log?record_type=case&record_id={case}"),
        &auditor,
        None,
        &[REASON],
    );
    assert_eq!(listed.status, 200, "{}", listed.body);
    let reads = listed.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"] == "1234" && e["operation"] == "consultation")
        .count();
    assert_eq!(reads, 3, "{}", listed.body);
    // Only the auditor's own read waits now.
    assert_eq!(queued(&app), 1);
    let report = app.verify();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["queue"]["refused"], 0, "{report}");
}
