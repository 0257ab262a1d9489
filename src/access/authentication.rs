//! Who is calling: bearer tokens, the bootstrap admin token, web-form sessions with their CSRF token,
//! and throttling of repeated failures. Plain Rust over two ports — the SQL store (tokens) and a
//! key-value store (sessions, failure counters) — with the time and the client's address as inputs,
//! so every rule here is tested natively.

use crate::access::auth::{self, Principal, Role};
use crate::access::tokens;
use crate::problem::{Problem, capitalise};
use crate::settings::Settings;
use crate::sql::Sql;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use time::OffsetDateTime;

/// A failed key-value operation; its text is for logs, never for responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyValueError(pub String);

/// The key-value port: what the app needs of Spin's key-value store.
pub trait KeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KeyValueError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KeyValueError>;
    fn delete(&self, key: &str) -> Result<(), KeyValueError>;
}

/// A key-value store in memory, for native tests and tools.
#[derive(Debug, Default)]
pub struct MemoryKeyValue(RefCell<HashMap<String, Vec<u8>>>);

impl MemoryKeyValue {
    /// Every key stored, to check what the store holds.
    pub fn keys(&self) -> Vec<String> {
        self.0.borrow().keys().cloned().collect()
    }
}

impl KeyValue for MemoryKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KeyValueError> {
        Ok(self.0.borrow().get(key).cloned())
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KeyValueError> {
        self.0.borrow_mut().insert(key.into(), value.to_vec());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), KeyValueError> {
        self.0.borrow_mut().remove(key);
        Ok(())
    }
}

/// What a request presents, as the adapter finds it in the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// An `Authorization` header of another kind.
    MalformedAuthorization,
    /// The session cookie; a change (not GET or HEAD) must carry the session's CSRF token.
    Session {
        id: &'a str,
        csrf_sent: &'a str,
        is_change: bool,
    },
    None,
}

/// A new web-form session: the cookie's value, its CSRF token, when it ends, and its outbox key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: String,
    pub csrf: String,
    pub expires_at: String,
    /// 256 random bits (base64url) the web form encrypts its offline outbox under: it exists only in
    /// the stored session, so it dies with the session (sign-out, expiry, the token revoked).
    pub outbox_key: String,
}

/// The token id a session started with the bootstrap admin token records.
const BOOTSTRAP: &str = "bootstrap";

#[derive(Serialize, Deserialize)]
struct StoredSession {
    token_id: String,
    subject: String,
    csrf: String,
    expires_at: String,
    /// Required: a session stored before outbox keys existed does not deserialise, so it is treated
    /// as ended (sign in again) rather than given a key its outbox was never encrypted under.
    outbox_key: String,
}

/// Sessions are keyed by a hash of their id, so the store never holds a usable cookie.
fn session_key(id: &str) -> String {
    format!("session:{}", auth::token_hash(id))
}

fn storage(e: impl std::fmt::Display) -> Problem {
    eprintln!("storage error: {e}");
    Problem::internal()
}

/// Authentication for one request.
pub struct Authenticator<'a, D: Sql, K: KeyValue> {
    pub db: &'a D,
    pub kv: &'a K,
    pub settings: &'a Settings,
    pub now: OffsetDateTime,
    /// The client's address, for throttling.
    pub client: &'a str,
}

impl<D: Sql, K: KeyValue> Authenticator<'_, D, K> {
    fn now_text(&self) -> String {
        crate::values::timestamp(self.now)
    }

    /// The caller; repeated failures from one address are throttled (429 with `Retry-After`).
    pub fn authenticate(&self, credentials: Credentials) -> Result<Principal, Problem> {
        let throttle = self.settings.throttle;
        let now = self.now.unix_timestamp();
        let counter = format!(
            "auth-failures:{}:{}",
            self.client,
            now / throttle.window_seconds
        );
        let failures = self
            .kv
            .get(&counter)
            .ok()
            .flatten()
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if failures >= throttle.max_failures {
            let retry = throttle.window_seconds - now % throttle.window_seconds;
            return Err(
                Problem::new(429, "too-many-failures", "Too many failed sign-ins")
                    .with_detail(
                        "Too many failed attempts from this address. Wait, then try again.",
                    )
                    .with_header("retry-after", retry.to_string()),
            );
        }
        let result = self.identify(credentials);
        if let Err(problem) = &result
            && problem.status == 401
        {
            let _ = self.kv.set(&counter, (failures + 1).to_string().as_bytes());
        }
        result
    }

    fn identify(&self, credentials: Credentials) -> Result<Principal, Problem> {
        match credentials {
            Credentials::Bearer(token) => self.principal_for_token(token),
            Credentials::MalformedAuthorization => Err(Problem::unauthorized(
                "Use `Authorization: Bearer <token>`.",
            )),
            Credentials::Session {
                id,
                csrf_sent,
                is_change,
            } => {
                let (principal, csrf) = self.session(id)?;
                if is_change && !auth::secrets_equal(csrf_sent, &csrf) {
                    return Err(Problem::forbidden(
                        "This change needs the X-CSRF-Token header from your sign-in.",
                    ));
                }
                Ok(principal)
            }
            Credentials::None => Err(Problem::unauthorized(
                "Sign in, or send `Authorization: Bearer <token>`.",
            )),
        }
    }

    fn bootstrap_admin(&self, subject: String) -> Principal {
        Principal {
            subject,
            role: Role::Admin,
            force: self.settings.force.clone(),
            token_id: BOOTSTRAP.into(),
        }
    }

    fn principal_for_token(&self, token: &str) -> Result<Principal, Problem> {
        if let Some(bootstrap) = &self.settings.bootstrap_admin_token
            && auth::secrets_equal(token, bootstrap)
        {
            return Ok(self.bootstrap_admin("bootstrap-admin".into()));
        }
        let record = tokens::find_by_hash(self.db, &auth::token_hash(token)).map_err(storage)?;
        let Some(record) = record else {
            return Err(Problem::unauthorized("The token is not valid."));
        };
        if let Some(why) = auth::token_refusal(&record, &self.settings.force, &self.now_text()) {
            return Err(Problem::unauthorized(&format!("{}.", capitalise(why))));
        }
        Ok(Principal {
            subject: record.subject,
            role: record.role,
            force: record.force,
            token_id: record.id,
        })
    }

    /// The session's principal and CSRF token. A session lives only as long as its token: revoking
    /// the token ends it.
    fn session(&self, id: &str) -> Result<(Principal, String), Problem> {
        let key = session_key(id);
        let stored = self.kv.get(&key).map_err(storage)?;
        let Some(stored) = stored.and_then(|v| serde_json::from_slice::<StoredSession>(&v).ok())
        else {
            return Err(Problem::unauthorized(
                "The session has ended: sign in again.",
            ));
        };
        if stored.expires_at <= self.now_text() {
            let _ = self.kv.delete(&key);
            return Err(Problem::unauthorized(
                "The session has expired: sign in again.",
            ));
        }
        if stored.token_id == BOOTSTRAP {
            return Ok((self.bootstrap_admin(stored.subject), stored.csrf));
        }
        match tokens::find(self.db, &stored.token_id).map_err(storage)? {
            Some(record)
                if auth::token_refusal(&record, &self.settings.force, &self.now_text())
                    .is_none() =>
            {
                let principal = Principal {
                    subject: record.subject,
                    role: record.role,
                    force: record.force,
                    token_id: record.id,
                };
                Ok((principal, stored.csrf))
            }
            _ => {
                let _ = self.kv.delete(&key);
                Err(Problem::unauthorized(
                    "The sign-in behind this session is no longer valid.",
                ))
            }
        }
    }

    /// Starts a session for `principal`, with fresh random ids.
    pub fn start_session(
        &self,
        principal: &Principal,
        mut random: impl FnMut() -> [u8; 32],
    ) -> Result<NewSession, Problem> {
        let session = NewSession {
            id: auth::format_token(&random()),
            csrf: auth::format_token(&random()),
            expires_at: crate::values::timestamp(
                self.now + time::Duration::hours(self.settings.session_hours),
            ),
            outbox_key: base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                random(),
            ),
        };
        let stored = StoredSession {
            token_id: principal.token_id.clone(),
            subject: principal.subject.clone(),
            csrf: session.csrf.clone(),
            expires_at: session.expires_at.clone(),
            outbox_key: session.outbox_key.clone(),
        };
        self.kv
            .set(
                &session_key(&session.id),
                &serde_json::to_vec(&stored).expect("serialises"),
            )
            .map_err(storage)?;
        Ok(session)
    }

    /// The outbox key of a live session (`None` if it has ended); the caller has authenticated with
    /// the session's cookie.
    pub fn outbox_key(&self, id: &str) -> Result<Option<String>, Problem> {
        self.session(id)?;
        let stored = self.kv.get(&session_key(id)).map_err(storage)?;
        Ok(stored
            .and_then(|v| serde_json::from_slice::<StoredSession>(&v).ok())
            .map(|s| s.outbox_key))
    }

    /// Ends a session (signing out).
    pub fn end_session(&self, id: &str) {
        let _ = self.kv.delete(&session_key(id));
    }
}
