//! Authentication natively: the rules of `stalking_response::authentication` over rusqlite and an
//! in-memory key-value store, with the time as an input.

use stalking_response::access::auth::{Role, TokenRecord, format_token, token_hash};
use stalking_response::access::authentication::{
    Authenticator, Credentials, KeyValue, MemoryKeyValue,
};
use stalking_response::access::tokens;
use stalking_response::migrations;
use stalking_response::settings::Settings;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);
const BOOTSTRAP: &str = "bootstrap-admin-token-0123456789abcdef";

struct World {
    db: rusqlite::Connection,
    kv: MemoryKeyValue,
    settings: Settings,
}

impl World {
    fn new() -> World {
        World::with_max_failures("10")
    }

    fn with_max_failures(max: &'static str) -> World {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        migrations::migrate(&db).unwrap();
        let settings = Settings::from_variables(|name| match name {
            "force_code" => Some("CB".into()),
            "bootstrap_admin_token" => Some(BOOTSTRAP.into()),
            "auth_max_failures" => Some(max.into()),
            "session_hours" => Some("8".into()),
            _ => None,
        })
        .unwrap();
        World {
            db,
            kv: MemoryKeyValue::default(),
            settings,
        }
    }

    fn at(&self, now: OffsetDateTime) -> Authenticator<'_, rusqlite::Connection, MemoryKeyValue> {
        Authenticator {
            db: &self.db,
            kv: &self.kv,
            settings: &self.settings,
            now,
            client: "192.0.2.1",
            http: &stalking_response::access::oidc::client::NoHttp,
        }
    }

    /// Issues a token for `role` and returns its text.
    fn token(&self, id: &str, role: Role, force: &str) -> String {
        let token = format_token(&[id.as_bytes()[0]; 32]);
        let record = TokenRecord {
            id: crate::parsed(id),
            subject: format!("subject-{id}"),
            role,
            force: force.into(),
            created_at: crate::parsed("2026-11-01T00:00:00Z"),
            expires_at: crate::parsed("2026-12-31T00:00:00Z"),
            revoked_at: None,
            created_by: "admin".into(),
        };
        tokens::insert(&self.db, &record, &token_hash(&token)).unwrap();
        token
    }
}

fn status<T: std::fmt::Debug>(result: Result<T, stalking_response::problem::Problem>) -> u16 {
    result.map_or_else(|p| p.status, |_| 200)
}

#[test]
fn tokens_authenticate_until_revoked_expired_or_for_another_force() {
    let world = World::new();
    let officer = world.token("a", Role::Officer, "CB");
    let elsewhere = world.token("b", Role::Officer, "XX");
    let auth = world.at(NOW);
    let principal = auth.authenticate(Credentials::Bearer(&officer)).unwrap();
    assert_eq!(
        (principal.role, principal.subject.as_str()),
        (Role::Officer, "subject-a")
    );
    assert_eq!(
        status(auth.authenticate(Credentials::Bearer(&elsewhere))),
        401
    );
    assert_eq!(
        status(auth.authenticate(Credentials::Bearer("srt_nothing"))),
        401
    );
    assert_eq!(
        status(auth.authenticate(Credentials::MalformedAuthorization)),
        401
    );
    assert_eq!(status(auth.authenticate(Credentials::None)), 401);
    let after_expiry = world.at(datetime!(2027-01-01 00:00 UTC));
    assert_eq!(
        status(after_expiry.authenticate(Credentials::Bearer(&officer))),
        401
    );
    tokens::revoke(&world.db, &crate::parsed("a"), "2026-11-29T12:00:00Z").unwrap();
    assert_eq!(
        status(world.at(NOW).authenticate(Credentials::Bearer(&officer))),
        401
    );
    let admin = auth.authenticate(Credentials::Bearer(BOOTSTRAP)).unwrap();
    assert_eq!(admin.role, Role::Admin);
}

#[test]
fn sessions_need_their_csrf_token_for_changes_and_end_with_their_token_or_time() {
    let world = World::new();
    let officer = world.token("a", Role::Officer, "CB");
    let auth = world.at(NOW);
    let principal = auth.authenticate(Credentials::Bearer(&officer)).unwrap();
    let mut n = 0u8;
    let session = auth
        .start_session(&principal, || {
            n += 1;
            [n; 32]
        })
        .unwrap();
    assert_ne!(session.id, session.csrf);
    assert_eq!(session.expires_at, "2026-11-29T20:00:00.000000Z");
    let with = |csrf_sent, is_change| cookie(&session.id, csrf_sent, is_change);
    let csrf = session.csrf.as_str();
    assert_eq!(auth.authenticate(with("", false)).unwrap(), principal);
    assert_eq!(status(auth.authenticate(with("", true))), 403);
    assert_eq!(status(auth.authenticate(with("srt_wrong", true))), 403);
    assert_eq!(auth.authenticate(with(csrf, true)).unwrap(), principal);
    // The store holds a hash of the session id, never the cookie itself.
    assert!(world.kv.keys().iter().all(|k| !k.contains(&session.id)));

    let later = world.at(datetime!(2026-11-29 20:00 UTC));
    assert_eq!(
        status(later.authenticate(with(csrf, false))),
        401,
        "expired"
    );
    assert_eq!(
        status(auth.authenticate(with(csrf, false))),
        401,
        "an expired session is deleted"
    );

    let again = auth.start_session(&principal, || [9; 32]).unwrap();
    assert!(auth.authenticate(cookie(&again.id, "", false)).is_ok());
    auth.end_session(&again.id);
    assert_eq!(
        status(auth.authenticate(cookie(&again.id, "", false))),
        401,
        "signed out"
    );

    let third = auth.start_session(&principal, || [7; 32]).unwrap();
    tokens::revoke(&world.db, &crate::parsed("a"), "2026-11-29T12:00:00Z").unwrap();
    assert_eq!(
        status(auth.authenticate(cookie(&third.id, "", false))),
        401,
        "revoking the token ends its sessions"
    );
}

fn cookie<'a>(id: &'a str, csrf_sent: &'a str, is_change: bool) -> Credentials<'a> {
    Credentials::Session {
        id,
        csrf_sent,
        is_change,
    }
}

#[test]
fn failures_from_an_address_never_lock_out_valid_credentials_from_it() {
    // The attack: garbage tokens from one address (everybody behind one ingress) to lock out the force.
    let world = World::with_max_failures("3");
    let officer = world.token("a", Role::Officer, "CB");
    let auth = world.at(NOW);
    let answers: Vec<u16> = (0..6)
        .map(|i| status(auth.authenticate(Credentials::Bearer(&format!("srt_garbage{i}")))))
        .collect();
    assert_eq!(answers, [401, 401, 401, 429, 429, 429]);
    let refused = auth
        .authenticate(Credentials::Bearer("srt_more-garbage"))
        .unwrap_err();
    let retry: i64 = refused
        .headers
        .iter()
        .find(|(name, _)| *name == "retry-after")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(auth.authenticate(Credentials::Bearer(&officer)).is_ok());
    assert!(auth.authenticate(Credentials::Bearer(BOOTSTRAP)).is_ok());
}

#[test]
fn guessing_at_one_token_locks_that_token_only_until_the_window_ends() {
    let world = World::with_max_failures("3");
    let officer = world.token("a", Role::Officer, "CB");
    let colleague = world.token("b", Role::Officer, "CB");
    let auth = world.at(NOW);
    // The same prefix as the officer's token, wrong secret: someone guessing at that token.
    for i in 0..3 {
        let guess = format!("{}guess{i}", &officer[..12]);
        assert_eq!(status(auth.authenticate(Credentials::Bearer(&guess))), 401);
    }
    let locked = auth
        .authenticate(Credentials::Bearer(&officer))
        .unwrap_err();
    assert_eq!(locked.status, 429);
    assert!(auth.authenticate(Credentials::Bearer(&colleague)).is_ok());
    let next_window = world.at(NOW + time::Duration::seconds(300));
    assert!(
        next_window
            .authenticate(Credentials::Bearer(&officer))
            .is_ok()
    );
    // Counts expire and are purged: the table holds only the latest window's.
    assert_eq!(
        status(next_window.authenticate(Credentials::Bearer("srt_x"))),
        401
    );
    let rows: i64 = world
        .db
        .query_row("SELECT COUNT(*) FROM auth_failures", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2, "one address and one prefix from the new window");
}

#[test]
fn ended_sessions_and_missing_credentials_are_not_counted_as_attacks() {
    let world = World::with_max_failures("2");
    let officer = world.token("a", Role::Officer, "CB");
    let auth = world.at(NOW);
    for _ in 0..5 {
        assert_eq!(
            status(auth.authenticate(cookie("srt_ended", "", false))),
            401
        );
        assert_eq!(status(auth.authenticate(Credentials::None)), 401);
    }
    assert_eq!(
        status(auth.authenticate(Credentials::Bearer("srt_bad"))),
        401,
        "the first real failure is still the first"
    );
    assert!(auth.authenticate(Credentials::Bearer(&officer)).is_ok());
}

#[test]
fn every_refused_token_gets_the_same_answer() {
    let world = World::new();
    let revoked = world.token("a", Role::Officer, "CB");
    let elsewhere = world.token("b", Role::Officer, "XX");
    tokens::revoke(&world.db, &crate::parsed("a"), "2026-11-29T12:00:00Z").unwrap();
    let expired = world.token("c", Role::Officer, "CB");
    let now = world.at(NOW);
    let later = world.at(datetime!(2027-01-01 00:00 UTC));
    let answers: Vec<String> = [
        now.authenticate(Credentials::Bearer(&revoked)),
        now.authenticate(Credentials::Bearer(&elsewhere)),
        later.authenticate(Credentials::Bearer(&expired)),
        now.authenticate(Credentials::Bearer("srt_unknown")),
    ]
    .into_iter()
    .map(|r| {
        let p = r.unwrap_err();
        format!("{} {:?}", p.status, p.detail)
    })
    .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
}

#[test]
fn sessions_end_after_thirty_idle_minutes_and_at_their_absolute_end() {
    let world = World::new();
    let officer = world.token("a", Role::Officer, "CB");
    let principal = world
        .at(NOW)
        .authenticate(Credentials::Bearer(&officer))
        .unwrap();
    let session = world.at(NOW).start_session(&principal, || [3; 32]).unwrap();
    let use_at = |minutes: i64| {
        status(
            world
                .at(NOW + time::Duration::minutes(minutes))
                .authenticate(cookie(&session.id, "", false)),
        )
    };
    // Active every 20 minutes: alive until the absolute end (8 hours).
    for minutes in (20..480).step_by(20) {
        assert_eq!(use_at(minutes), 200, "at {minutes} minutes");
    }
    assert_eq!(use_at(480), 401, "the absolute end");

    let idle = world.at(NOW).start_session(&principal, || [4; 32]).unwrap();
    let use_idle = |minutes: i64| {
        status(
            world
                .at(NOW + time::Duration::minutes(minutes))
                .authenticate(cookie(&idle.id, "", false)),
        )
    };
    assert_eq!(use_idle(29), 200);
    assert_eq!(use_idle(58), 200, "each request extends the idle end");
    assert_eq!(use_idle(89), 401, "31 minutes without a request");
}

#[test]
fn a_bootstrap_session_dies_when_the_bootstrap_variable_or_the_force_changes() {
    let world = World::new();
    let admin = world
        .at(NOW)
        .authenticate(Credentials::Bearer(BOOTSTRAP))
        .unwrap();
    let session = world.at(NOW).start_session(&admin, || [5; 32]).unwrap();
    assert!(
        world
            .at(NOW)
            .authenticate(cookie(&session.id, "", false))
            .is_ok()
    );
    for changed in [
        vec![(
            "bootstrap_admin_token",
            "another-bootstrap-token-0123456789abcdef",
        )],
        vec![],
        vec![("bootstrap_admin_token", BOOTSTRAP), ("force_code", "XX")],
    ] {
        let settings = Settings::from_variables(|name| {
            changed
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
                .or_else(|| (name == "force_code").then(|| "CB".into()))
        })
        .unwrap();
        let auth = Authenticator {
            settings: &settings,
            ..world.at(NOW)
        };
        assert_eq!(
            status(auth.authenticate(cookie(&session.id, "", false))),
            401,
            "{changed:?}"
        );
        // Ended for good: recreate it for the next change.
        let _ = world.at(NOW).start_session(&admin, || [5; 32]).unwrap();
    }
}

#[test]
fn each_session_has_its_own_outbox_key_which_ends_with_the_session() {
    let world = World::new();
    let officer = world.token("a", Role::Officer, "CB");
    let auth = world.at(NOW);
    let principal = auth.authenticate(Credentials::Bearer(&officer)).unwrap();
    let mut n = 0u8;
    let mut random = || {
        n += 1;
        [n; 32]
    };
    let first = auth.start_session(&principal, &mut random).unwrap();
    let second = auth.start_session(&principal, &mut random).unwrap();
    // 256 bits, base64url without padding; its own random bytes, unlike the id and the CSRF token.
    assert_eq!(first.outbox_key.len(), 43);
    assert_ne!(first.outbox_key, second.outbox_key);
    assert!(
        ![&first.id, &first.csrf]
            .iter()
            .any(|v| v.contains(&first.outbox_key))
    );
    assert_eq!(auth.outbox_key(&first.id).unwrap(), first.outbox_key);

    auth.end_session(&first.id);
    assert_eq!(status(auth.outbox_key(&first.id)), 401, "signed out");
    assert_eq!(
        status(
            world
                .at(datetime!(2026-11-29 20:00 UTC))
                .outbox_key(&second.id)
        ),
        401,
        "expired"
    );
    let third = auth.start_session(&principal, || [7; 32]).unwrap();
    tokens::revoke(&world.db, &crate::parsed("a"), "2026-11-29T12:00:00Z").unwrap();
    assert_eq!(status(auth.outbox_key(&third.id)), 401, "the token revoked");
}

#[test]
fn a_session_stored_before_outbox_keys_is_treated_as_ended() {
    let world = World::new();
    let officer = world.token("a", Role::Officer, "CB");
    let auth = world.at(NOW);
    auth.authenticate(Credentials::Bearer(&officer)).unwrap();
    let id = format_token(&[5; 32]);
    let old = serde_json::json!({
        "token_id": "a", "subject": "subject-a", "csrf": "srt_csrf",
        "expires_at": "2026-11-29T20:00:00.000000Z",
    });
    world
        .kv
        .set(
            &format!("session:{}", token_hash(&id)),
            old.to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(status(auth.authenticate(cookie(&id, "", false))), 401);
    assert_eq!(status(auth.outbox_key(&id)), 401);
}

#[test]
fn a_session_through_the_identity_provider_lasts_at_most_the_idle_timeout() {
    let world = World::new();
    let person = |token_id: &str| stalking_response::access::auth::Principal {
        subject: "1234".into(),
        role: Role::Officer,
        force: "CB".into(),
        token_id: token_id.into(),
    };
    let provider = world
        .at(NOW)
        .start_session(&person("oidc:officer-1"), || [3; 32])
        .unwrap();
    let token = world
        .at(NOW)
        .start_session(&person("t1"), || [4; 32])
        .unwrap();
    assert_eq!(
        provider.expires_at, "2026-11-29T12:30:00.000000Z",
        "roles read again within 30 minutes"
    );
    assert_eq!(
        token.expires_at, "2026-11-29T20:00:00.000000Z",
        "session_hours"
    );
}
