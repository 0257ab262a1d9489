//! What a request works with once routed: the stores, the force's settings (parsed once), the caller
//! (authenticated in one place), idempotent creation, and the access log.

use crate::SpinSql;
use spin_sdk::http::{Method, Request};
use spin_sdk::{key_value, variables};
use stalking_response::access::audit::{self, Access};
use stalking_response::access::auth::{self, Principal, Role};
use stalking_response::idempotency::{self, Replay};
use stalking_response::problem::Problem;
use stalking_response::problem::capitalise;
use stalking_response::settings::Settings;
use stalking_response::sql;
use stalking_response::{access::tokens, migrations};

/// The force's settings from its Spin variables. A variable that does not parse stops the request
/// with a 503 naming it: nothing runs on a guessed default.
fn settings() -> Result<Settings, Problem> {
    Settings::from_variables(|name| variables::get(name).ok()).map_err(|e| {
        eprintln!("misconfigured: {e}");
        Problem::new(503, "misconfigured", "The app is not configured correctly").with_detail(
            format!(
                "The deployment's variable `{}` is not valid. Tell the system administrator; nothing was recorded.",
                e.variable
            ),
        )
    })
}

/// Now, as the fixed-width RFC 3339 UTC text the records use (so text order is time order).
pub fn now() -> stalking_response::values::Timestamp {
    stalking_response::values::Timestamp::from_time(time::OffsetDateTime::now_utc())
}

/// `now` plus some seconds, same format.
pub fn later(seconds: i64) -> String {
    stalking_response::values::timestamp(
        time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds),
    )
}

/// 32 random bytes.
pub fn random() -> [u8; 32] {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).expect("the platform gives randomness");
    bytes
}

/// An opaque, unguessable id: 128 random bits, hex.
pub fn new_id() -> String {
    auth::format_id(&random())
}

/// What handlers return: a response, or a problem that becomes one.
pub type Outcome = Result<spin_sdk::http::Response, Problem>;

/// A storage failure: logged with its (internal) text, answered without it.
pub fn internal(e: impl std::fmt::Display) -> Problem {
    eprintln!("storage error: {e}");
    Problem::internal()
}

/// One request's context: the database (migrated), the key-value store, the settings.
pub struct Ctx {
    pub db: SpinSql,
    pub kv: key_value::Store,
    pub settings: Settings,
    client: String,
}

impl Ctx {
    pub fn open(req: &Request) -> Result<Ctx, Problem> {
        let settings = settings()?;
        let db = SpinSql::open_default().map_err(internal)?;
        migrations::migrate(&db).map_err(internal)?;
        let kv = key_value::Store::open_default().map_err(|e| internal(format!("{e:?}")))?;
        let client = req
            .header("spin-client-addr")
            .and_then(|v| v.as_str())
            .map(|addr| addr.rsplit_once(':').map_or(addr, |(ip, _)| ip).to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(Ctx {
            db,
            kv,
            settings,
            client,
        })
    }

    /// Runs `work` in one transaction: the record and its access-log entries are written together.
    pub fn transaction<T>(&self, work: impl FnOnce() -> Result<T, Problem>) -> Result<T, Problem> {
        sql::transaction(&self.db, work)
    }

    /// Runs a creation (`work` gives status and body), inside the call's transaction, at most once per
    /// `Idempotency-Key` when the caller sends one: the response is stored with the record it created,
    /// and a retry gets it back byte for byte and writes nothing.
    pub fn create_once(
        &self,
        req: &Request,
        principal: &Principal,
        work: impl FnOnce() -> Result<(u16, Vec<u8>), Problem>,
    ) -> Result<(u16, Vec<u8>), Problem> {
        // A key that is present but not text is as invalid as a malformed one: never "no key".
        let key = match req.header("idempotency-key").map(|v| v.as_str()) {
            Some(Some(key)) if idempotency::valid_key(key) => Some(key.to_string()),
            Some(_) => {
                return Err(Problem::new(
                    400,
                    "idempotency-key-invalid",
                    "The Idempotency-Key is not valid",
                )
                .with_detail("Use 1 to 255 printable ASCII characters, e.g. a UUID."));
            }
            None => None,
        };
        let hash = idempotency::request_hash("POST", req.path(), req.body());
        if let Some(key) = &key {
            match idempotency::lookup(&self.db, &principal.subject, key, &hash)? {
                Replay::New => {}
                Replay::Same { status, body } => return Ok((status, body)),
                Replay::Mismatch => {
                    return Err(Problem::new(
                        422,
                        "idempotency-key-reused",
                        "The Idempotency-Key was used for another request",
                    )
                    .with_detail("Use a new key for a new record."));
                }
            }
        }
        let (status, body) = work()?;
        if let Some(key) = &key {
            idempotency::store(
                &self.db,
                &principal.subject,
                key,
                &hash,
                status,
                &body,
                &now(),
            )?;
        }
        Ok((status, body))
    }

    /// Appends entries to the access log, in one statement (inside the caller's transaction).
    pub fn log_all(&self, accesses: &[Access]) -> Result<(), Problem> {
        audit::append_all(&self.db, accesses, &self.settings.checkpoints)
            .map(drop)
            .map_err(internal)
    }

    /// The caller, from a bearer token or a session cookie; repeated failures from one address are
    /// throttled. Cookie-authenticated state changes must carry the session's CSRF token.
    pub fn authenticate(&self, req: &Request) -> Result<Principal, Problem> {
        let throttle = self.settings.throttle;
        let window = time::OffsetDateTime::now_utc().unix_timestamp() / throttle.window_seconds;
        let counter = format!("auth-failures:{}:{window}", self.client);
        let failures = self
            .kv
            .get(&counter)
            .ok()
            .flatten()
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if failures >= throttle.max_failures {
            let retry = throttle.window_seconds
                - time::OffsetDateTime::now_utc().unix_timestamp() % throttle.window_seconds;
            return Err(
                Problem::new(429, "too-many-failures", "Too many failed sign-ins")
                    .with_detail(
                        "Too many failed attempts from this address. Wait, then try again.",
                    )
                    .with_header("retry-after", retry.to_string()),
            );
        }
        let result = self.identify(req);
        if let Err(problem) = &result
            && problem.status == 401
        {
            let _ = self.kv.set(&counter, (failures + 1).to_string().as_bytes());
        }
        result
    }

    fn identify(&self, req: &Request) -> Result<Principal, Problem> {
        if let Some(header) = req.header("authorization").and_then(|v| v.as_str()) {
            let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
                return Err(Problem::unauthorized(
                    "Use `Authorization: Bearer <token>`.",
                ));
            };
            return self.principal_for_token(token);
        }
        if let Some(session_id) = cookie(req, SESSION_COOKIE) {
            let session = self.session(&session_id)?;
            if !matches!(req.method(), Method::Get | Method::Head | Method::Options) {
                let sent = req
                    .header(CSRF_HEADER)
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                if !auth::secrets_equal(sent, &session.csrf) {
                    return Err(Problem::forbidden(
                        "This change needs the X-CSRF-Token header from your sign-in.",
                    ));
                }
            }
            return Ok(session.principal);
        }
        Err(Problem::unauthorized(
            "Sign in, or send `Authorization: Bearer <token>`.",
        ))
    }

    fn principal_for_token(&self, token: &str) -> Result<Principal, Problem> {
        if let Some(bootstrap) = &self.settings.bootstrap_admin_token
            && auth::secrets_equal(token, bootstrap)
        {
            return Ok(Principal {
                subject: "bootstrap-admin".into(),
                role: Role::Admin,
                force: self.settings.force.clone(),
                token_id: BOOTSTRAP.into(),
            });
        }
        let record = tokens::find_by_hash(&self.db, &auth::token_hash(token)).map_err(internal)?;
        let Some(record) = record else {
            return Err(Problem::unauthorized("The token is not valid."));
        };
        if let Some(why) = auth::token_refusal(&record, &self.settings.force, &now()) {
            return Err(Problem::unauthorized(&format!("{}.", capitalise(why))));
        }
        Ok(Principal {
            subject: record.subject,
            role: record.role,
            force: record.force,
            token_id: record.id,
        })
    }

    fn session(&self, id: &str) -> Result<Session, Problem> {
        let key = session_key(id);
        let stored = self.kv.get(&key).map_err(|e| internal(format!("{e:?}")))?;
        let Some(stored) = stored.and_then(|v| serde_json::from_slice::<StoredSession>(&v).ok())
        else {
            return Err(Problem::unauthorized(
                "The session has ended: sign in again.",
            ));
        };
        if stored.expires_at.as_str() <= now().as_str() {
            let _ = self.kv.delete(&key);
            return Err(Problem::unauthorized(
                "The session has expired: sign in again.",
            ));
        }
        // The session lives only as long as its token: revoking the token ends it.
        let principal = if stored.token_id == BOOTSTRAP {
            Principal {
                subject: stored.subject,
                role: Role::Admin,
                force: self.settings.force.clone(),
                token_id: stored.token_id,
            }
        } else {
            let record = tokens::find(&self.db, &stored.token_id).map_err(internal)?;
            match record {
                Some(record)
                    if auth::token_refusal(&record, &self.settings.force, &now()).is_none() =>
                {
                    Principal {
                        subject: record.subject,
                        role: record.role,
                        force: record.force,
                        token_id: record.id,
                    }
                }
                _ => {
                    let _ = self.kv.delete(&key);
                    return Err(Problem::unauthorized(
                        "The sign-in behind this session is no longer valid.",
                    ));
                }
            }
        };
        Ok(Session {
            principal,
            csrf: stored.csrf,
        })
    }

    /// Starts a session for a principal: returns (session id for the cookie, CSRF token, expiry).
    pub fn start_session(
        &self,
        principal: &Principal,
    ) -> Result<(String, String, String), Problem> {
        let id = auth::format_token(&random());
        let csrf = auth::format_token(&random());
        let expires_at = later(self.settings.session_hours * 3600);
        let stored = StoredSession {
            token_id: principal.token_id.clone(),
            subject: principal.subject.clone(),
            csrf: csrf.clone(),
            expires_at: expires_at.clone(),
        };
        self.kv
            .set(
                &session_key(&id),
                &serde_json::to_vec(&stored).expect("serialises"),
            )
            .map_err(|e| internal(format!("{e:?}")))?;
        Ok((id, csrf, expires_at))
    }

    pub fn end_session(&self, req: &Request) {
        if let Some(id) = cookie(req, SESSION_COOKIE) {
            let _ = self.kv.delete(&session_key(&id));
        }
    }
}

const BOOTSTRAP: &str = "bootstrap";
pub const SESSION_COOKIE: &str = "sr_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

struct Session {
    principal: Principal,
    csrf: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSession {
    token_id: String,
    subject: String,
    csrf: String,
    expires_at: String,
}

/// Sessions are keyed by a hash of their id, so the store never holds a usable cookie.
fn session_key(id: &str) -> String {
    format!("session:{}", auth::token_hash(id))
}

/// The session cookie: `HttpOnly`, `SameSite=Strict`, for the whole app, `Secure` over https. An empty
/// value with no lifetime clears it.
pub fn session_cookie(value: &str, max_age_seconds: i64, secure: bool) -> String {
    cookie::Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(time::Duration::seconds(max_age_seconds))
        .secure(secure)
        .build()
        .to_string()
}

/// A cookie's value from the request's `Cookie` header.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.header("cookie")?.as_str()?;
    cookie::Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_string())
}
