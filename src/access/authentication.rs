//! Who is calling: bearer tokens, the bootstrap admin token, web-form sessions with their CSRF token,
//! and throttling of repeated failures. Plain Rust over two ports — the SQL store (tokens) and a
//! key-value store (sessions, failure counters) — with the time and the client's address as inputs,
//! so every rule here is tested natively.

use crate::access::auth::{self, Principal, Role};
use crate::access::oidc::client::{self as oidc, Http};
use crate::access::throttle;
use crate::access::tokens;
use crate::problem::{Problem, storage};
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

/// A new web-form session: the cookie's value, its CSRF token, when it ends at the latest, and its outbox key.
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
pub const BOOTSTRAP: &str = "bootstrap";

#[derive(Serialize, Deserialize)]
struct StoredSession {
    token_id: String,
    subject: String,
    csrf: String,
    /// The absolute end: sign-in plus `session_hours`.
    expires_at: String,
    /// The idle end: the last request plus `session_idle_minutes` (a session stored before idle
    /// timeouts existed has none, and has ended).
    #[serde(default)]
    idle_until: String,
    /// What the session's credential was bound to when it started: for the bootstrap admin, a hash of
    /// the bootstrap token and the force, so changing or removing the variable ends its sessions.
    #[serde(default)]
    binding: String,
    /// Required: a session stored before outbox keys existed does not deserialise, so it is treated
    /// as ended (sign in again) rather than given a key its outbox was never encrypted under.
    outbox_key: String,
    /// The role of a session started through the force's identity provider (its credential is
    /// `oidc:<sub>`, not a stored token): read from the provider at sign-in, kept for the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
}

/// Sessions are keyed by a hash of their id, so the store never holds a usable cookie.
fn session_key(id: &str) -> String {
    format!("session:{}", auth::token_hash(id))
}

/// The refusal of a partner system's JWT where no route permits the partner role and the token is not
/// verified (without the `partner-tokens` feature): the words a verified partner gets there.
pub const PARTNER_TOKENS_NOT_TAKEN: &str = "The partner role may not do this.";

/// Every refused token gets the same answer: which check failed (unknown, revoked, expired, another
/// force) is not told to whoever holds it.
fn token_refused() -> Problem {
    Problem::unauthorized("The token is not valid.")
}

fn session_ended() -> Problem {
    Problem::unauthorized("The session has ended: sign in again.")
}

/// The part of a token that names it without revealing it (its prefix and first 8 random characters,
/// 48 bits): failures are counted against it, so guessing at one token locks only that token.
fn token_prefix(token: &str) -> &str {
    token.get(..auth::TOKEN_PREFIX.len() + 8).unwrap_or(token)
}

/// The throttle's counter keys, hashed: the store never holds an address or a token prefix.
fn counter(kind: &str, value: &str) -> String {
    auth::token_hash(&format!("{kind}\0{value}"))
}

fn too_many(retry_after: i64, detail: &str) -> Problem {
    Problem::new(429, "too-many-failures", "Too many failed sign-ins")
        .with_detail(detail)
        .with_header("retry-after", retry_after.max(1).to_string())
}

/// Authentication for one request.
pub struct Authenticator<'a, D: Sql, K: KeyValue> {
    pub db: &'a D,
    pub kv: &'a K,
    pub settings: &'a Settings,
    pub now: OffsetDateTime,
    /// The client's address, for throttling.
    pub client: &'a str,
    /// Outbound HTTP, to the force's identity provider only (its keys, for partners' JWTs).
    pub http: &'a dyn Http,
}

impl<D: Sql, K: KeyValue> Authenticator<'_, D, K> {
    fn now_text(&self) -> String {
        crate::values::timestamp(self.now)
    }

    /// The caller. Failed bearer tokens are counted per address and per token prefix, atomically, in
    /// windows that expire: once an address is over the limit its failures are answered 429, and once
    /// a token's prefix is, that token too is refused until the window ends. Valid credentials are
    /// never refused because of the address they come from (a proxy, NAT or ingress shares one among
    /// everybody behind it). Sessions are not counted: their 256-bit ids cannot be guessed, and an
    /// ended session is not an attack.
    pub fn authenticate(&self, credentials: Credentials) -> Result<Principal, Problem> {
        let throttle = self.settings.throttle;
        let now = self.now.unix_timestamp();
        let result = match credentials {
            // A valid token whose prefix is locked is refused too (and not counted again).
            Credentials::Bearer(token) => match self.principal_for_token(token) {
                Ok((_, Some(ends))) => {
                    return Err(too_many(
                        ends - now,
                        "Too many failed attempts with this token. Wait, then try again.",
                    ));
                }
                other => other.map(|(principal, _)| principal),
            },
            _ => self.identify(credentials),
        };
        match (&result, credentials) {
            (Err(problem), Credentials::Bearer(_) | Credentials::MalformedAuthorization)
                if problem.status == 401 =>
            {
                let mut keys = vec![counter("address", self.client)];
                // A JWT's first characters are its header's, the same for every token of the
                // provider: it is counted against the address only.
                if let Credentials::Bearer(token) = credentials
                    && !oidc::looks_like_jwt(token)
                {
                    keys.push(counter("token", token_prefix(token)));
                }
                let worst = throttle::record_failure(self.db, &keys, now, throttle.window_seconds)
                    .map_err(storage)?;
                if let Some((failures, ends)) = worst
                    && failures > throttle.max_failures
                {
                    return Err(too_many(
                        ends - now,
                        "Too many failed attempts. Wait, then try again.",
                    ));
                }
            }
            _ => {}
        }
        result
    }

    /// The credentials' principal; for a token, `authenticate` also checks its throttle lock.
    fn identify(&self, credentials: Credentials) -> Result<Principal, Problem> {
        match credentials {
            Credentials::Bearer(token) => self.principal_for_token(token).map(|(p, _)| p),
            Credentials::MalformedAuthorization => Err(Problem::unauthorized(
                "Use `Authorization: Bearer <token>`.",
            )),
            Credentials::Session {
                id,
                csrf_sent,
                is_change,
            } => {
                let (principal, StoredSession { csrf, .. }) = self.session(id)?;
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

    /// The token's principal, and when its prefix's throttle lock ends if it is locked.
    fn principal_for_token(&self, token: &str) -> Result<(Principal, Option<i64>), Problem> {
        let key = counter("token", token_prefix(token));
        let (max, now) = (
            self.settings.throttle.max_failures,
            self.now.unix_timestamp(),
        );
        if let Some(bootstrap) = &self.settings.bootstrap_admin_token
            && auth::secrets_equal(token, bootstrap)
        {
            let locked = throttle::locked(self.db, &key, max, now).map_err(storage)?;
            return Ok((self.bootstrap_admin("bootstrap-admin".into()), locked));
        }
        if oidc::looks_like_jwt(token) {
            return self.principal_for_jwt(token).map(|p| (p, None));
        }
        let found = tokens::find_by_hash(self.db, &auth::token_hash(token), &key, max, now)
            .map_err(storage)?;
        let Some((record, locked)) = found else {
            return Err(token_refused());
        };
        if auth::token_refusal(&record, &self.settings.force, &self.now_text()).is_some() {
            return Err(token_refused());
        }
        let principal = Principal {
            subject: record.subject,
            role: record.role,
            force: record.force,
            token_id: record.id.into(),
        };
        Ok((principal, locked))
    }

    /// A partner system's bearer JWT from the force's identity provider (client credentials). Refused
    /// as any other token when OIDC is not configured, and whatever check failed (which goes to the
    /// component's log, naming the check only).
    #[cfg(feature = "partner-tokens")]
    fn principal_for_jwt(&self, token: &str) -> Result<Principal, Problem> {
        let Ok(config) = &self.settings.oidc else {
            return Err(token_refused());
        };
        let client = oidc::Client {
            config,
            kv: self.kv,
            http: self.http,
            now: self.now.unix_timestamp(),
        };
        client
            .partner(token, &self.settings.force)
            .map_err(|e| match e {
                oidc::OidcError::Storage(e) => storage(e),
                oidc::OidcError::Provider(_) => {
                    eprintln!("partner token: {e}");
                    e.problem()
                }
                e => {
                    eprintln!("partner token refused: {e}");
                    token_refused()
                }
            })
    }

    /// Without the `partner-tokens` feature (a component whose routes no partner may use, issue #13:
    /// the verifier, its RSA and P-256 code and outbound HTTP are about 150 kB), a JWT is not verified:
    /// refused as any other token when OIDC is not configured, as before; else answered as a verified
    /// partner's token is on these routes, 403 ([`PARTNER_TOKENS_NOT_TAKEN`]), since none of them
    /// permits the partner role (a test checks that against each component's routes and features).
    #[cfg(not(feature = "partner-tokens"))]
    fn principal_for_jwt(&self, _token: &str) -> Result<Principal, Problem> {
        match &self.settings.oidc {
            Err(_) => Err(token_refused()),
            Ok(_) => Err(Problem::forbidden(PARTNER_TOKENS_NOT_TAKEN)),
        }
    }

    /// What a session's credential is bound to: for the bootstrap admin, the current bootstrap token
    /// and force (changing either ends its sessions); a stored token is checked afresh on every use.
    fn binding(&self, token_id: &str) -> String {
        match (&self.settings.bootstrap_admin_token, token_id) {
            (Some(bootstrap), BOOTSTRAP) => {
                auth::token_hash(&format!("{bootstrap}\0{}", self.settings.force))
            }
            (_, id) if id.starts_with(oidc::SESSION_CREDENTIAL) => match &self.settings.oidc {
                Ok(config) => config.binding(&self.settings.force),
                Err(_) => String::new(),
            },
            _ => String::new(),
        }
    }

    fn idle_until(&self) -> String {
        crate::values::timestamp(
            self.now + time::Duration::minutes(self.settings.session_idle_minutes),
        )
    }

    /// The session's principal and what it stores (its CSRF token, its outbox key). A session ends at its absolute end, after
    /// `session_idle_minutes` without a request, when its token is revoked or expires, and (for the
    /// bootstrap admin) when the bootstrap variable or the force changes.
    fn session(&self, id: &str) -> Result<(Principal, StoredSession), Problem> {
        let key = session_key(id);
        let stored = self.kv.get(&key).map_err(storage)?;
        let Some(mut stored) =
            stored.and_then(|v| serde_json::from_slice::<StoredSession>(&v).ok())
        else {
            return Err(session_ended());
        };
        let now = self.now_text();
        let bootstrap_changed = stored.token_id == BOOTSTRAP
            && (self.settings.bootstrap_admin_token.is_none()
                || !auth::secrets_equal(&stored.binding, &self.binding(BOOTSTRAP)));
        // A provider's session ends when OIDC is no longer configured, or its issuer, client or the
        // force changed.
        let provider_changed = stored.token_id.starts_with(oidc::SESSION_CREDENTIAL)
            && (self.settings.oidc.is_err()
                || !auth::secrets_equal(&stored.binding, &self.binding(&stored.token_id)));
        if stored.expires_at <= now
            || stored.idle_until <= now
            || bootstrap_changed
            || provider_changed
        {
            let _ = self.kv.delete(&key);
            return Err(session_ended());
        }
        let principal = if stored.token_id == BOOTSTRAP {
            self.bootstrap_admin(stored.subject.clone())
        } else if let (true, Some(role)) = (
            stored.token_id.starts_with(oidc::SESSION_CREDENTIAL),
            stored.role,
        ) {
            Principal {
                subject: stored.subject.clone(),
                role,
                force: self.settings.force.clone(),
                token_id: stored.token_id.clone(),
            }
        } else {
            match tokens::find(self.db, &stored.token_id).map_err(storage)? {
                Some(record)
                    if auth::token_refusal(&record, &self.settings.force, &now).is_none() =>
                {
                    Principal {
                        subject: record.subject,
                        role: record.role,
                        force: record.force,
                        token_id: record.id.into(),
                    }
                }
                _ => {
                    let _ = self.kv.delete(&key);
                    return Err(session_ended());
                }
            }
        };
        // Extend the idle end, writing at most once a minute rather than on every request.
        let idle = time::Duration::minutes(self.settings.session_idle_minutes);
        let idle_end = crate::values::parse_time(&stored.idle_until).unwrap_or(self.now);
        if self.now + idle - idle_end >= time::Duration::seconds(60) {
            stored.idle_until = self.idle_until();
            self.kv
                .set(&key, &serde_json::to_vec(&stored).expect("serialises"))
                .map_err(storage)?;
        }
        Ok((principal, stored))
    }

    /// Starts a session for `principal`, with fresh random ids.
    pub fn start_session(
        &self,
        principal: &Principal,
        mut random: impl FnMut() -> [u8; 32],
    ) -> Result<NewSession, Problem> {
        // A session through the force's identity provider lasts at most the idle timeout: the
        // person's roles are read from the provider again at least that often (signing in again
        // there is usually silent), so whoever is removed from a role there loses access at their
        // next request after it at the latest.
        let provider = principal.token_id.starts_with(oidc::SESSION_CREDENTIAL);
        let lifetime = if provider {
            time::Duration::minutes(self.settings.session_idle_minutes)
        } else {
            time::Duration::hours(self.settings.session_hours)
        };
        let session = NewSession {
            id: auth::format_token(&random()),
            csrf: auth::format_token(&random()),
            expires_at: crate::values::timestamp(self.now + lifetime),
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
            idle_until: self.idle_until(),
            binding: self.binding(&principal.token_id),
            outbox_key: session.outbox_key.clone(),
            role: provider.then_some(principal.role),
        };
        self.kv
            .set(
                &session_key(&session.id),
                &serde_json::to_vec(&stored).expect("serialises"),
            )
            .map_err(storage)?;
        Ok(session)
    }

    /// The outbox key of a live session (401, as for any use of it, once it has ended).
    pub fn outbox_key(&self, id: &str) -> Result<String, Problem> {
        self.session(id).map(|(_, stored)| stored.outbox_key)
    }

    /// The CSRF token of a live session: the web form reads it back after a sign-in through the
    /// identity provider, which ends in a redirect rather than a JSON answer.
    pub fn csrf_token(&self, id: &str) -> Result<String, Problem> {
        self.session(id).map(|(_, stored)| stored.csrf)
    }

    /// Ends a session (signing out).
    pub fn end_session(&self, id: &str) {
        let _ = self.kv.delete(&session_key(id));
    }
}
