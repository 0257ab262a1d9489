//! What a request works with once routed: the stores, the force's settings (parsed once), the caller
//! (authenticated in one place), idempotent creation, and the access log.

use crate::SpinSql;
use spin_sdk::http::{Method, Request};
use spin_sdk::{key_value, variables};
use stalking_response::access::audit::{self, Access};
use stalking_response::access::auth::{self, Principal};
use stalking_response::access::authentication::{
    Authenticator, Credentials, KeyValue, KeyValueError, NewSession,
};
use stalking_response::idempotency::{self, Replay};
use stalking_response::migrations;
use stalking_response::problem::Problem;
use stalking_response::services::Env;
use stalking_response::settings::{Environment, Settings};
use stalking_response::sql::{self, Sql};

/// The force's settings from its Spin variables. A variable that does not parse stops the request
/// with a 503 naming it: nothing runs on a guessed default.
fn settings() -> Result<Settings, Problem> {
    let variable = |name: &str| variables::get(name).ok();
    // Only the component that scores risk reads (and has the code to parse) the risk policy.
    #[cfg(feature = "risk-policy")]
    let settings = Settings::from_variables(variable);
    #[cfg(not(feature = "risk-policy"))]
    let settings = Settings::from_variables_without_risk_policy(variable);
    settings.map_err(|e| misconfigured(&e))
}

/// A 503 naming the variable; the reason goes to the component's log.
pub fn misconfigured(e: &stalking_response::settings::SettingError) -> Problem {
    eprintln!("misconfigured: {e}");
    Problem::new(503, "misconfigured", "The app is not configured correctly").with_detail(format!(
        "The deployment's variable `{}` is not valid. Tell the system administrator; nothing was recorded.",
        e.variable
    ))
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

/// A storage failure: logged with its (internal) text, answered without it; 503 with `Retry-After`
/// when the database stayed locked past the wait (`sql::BUSY_WAIT`).
pub fn internal(e: impl std::fmt::Display) -> Problem {
    stalking_response::problem::storage(e)
}

/// One request's context: the database (migrated), the key-value store, the settings.
pub struct Ctx {
    pub db: SpinSql,
    pub kv: SpinKeyValue,
    pub settings: Settings,
    client: String,
    /// The access-log entries queued in the open transaction: once it commits, they may be due to
    /// be chained ([`Ctx::seal_if_due`]).
    queued: std::cell::RefCell<Vec<audit::Queued>>,
    /// Whether the connection's settings for writing (`sql::CONNECTION_PRAGMAS`) and for writing
    /// records (`sql::RECORD_PRAGMAS`) are applied: only a request that writes pays for them.
    prepared: std::cell::Cell<bool>,
    prepared_for_records: std::cell::Cell<bool>,
}

impl Ctx {
    pub fn open(req: &Request) -> Result<Ctx, Problem> {
        let settings = settings()?;
        let db = SpinSql::open_default().map_err(internal)?;
        migrations::migrate(&db).map_err(internal)?;
        let kv = key_value::Store::open_default()
            .map(SpinKeyValue)
            .map_err(|e| internal(format!("{e:?}")))?;
        let client = client_address(req, &settings);
        Ok(Ctx {
            db,
            kv,
            settings,
            client,
            queued: Default::default(),
            prepared: Default::default(),
            prepared_for_records: Default::default(),
        })
    }

    /// Runs `work` in one transaction: the record and its access-log entries are written together.
    /// Once it commits, the queued entries are chained if they are due.
    pub fn transaction<T>(&self, work: impl FnOnce() -> Result<T, Problem>) -> Result<T, Problem> {
        self.prepare_for_writing()?;
        apply_once(&self.db, &self.prepared_for_records, sql::RECORD_PRAGMAS)?;
        let done = sql::transaction(&self.db, work);
        let queued = self.queued.take();
        if done.is_ok() {
            self.seal_if_due(&queued);
        }
        done
    }

    /// Logs accesses on their own, committed when this returns (one statement, no transaction to
    /// hold the lock open): for a read, whose response goes out only once they are logged.
    pub fn log_now(&self, accesses: &[Access]) -> Result<(), Problem> {
        if accesses.is_empty() {
            return Ok(());
        }
        self.prepare_for_writing()?;
        self.log_all(accesses)?;
        let queued = self.queued.take();
        self.seal_if_due(&queued);
        Ok(())
    }

    /// Applies `sql::CONNECTION_PRAGMAS` once: only a request that writes pays for them.
    fn prepare_for_writing(&self) -> Result<(), Problem> {
        apply_once(&self.db, &self.prepared, sql::CONNECTION_PRAGMAS)
    }

    /// After entries are committed to the queue: chains the queue (and raises the high-water mark)
    /// when they reach the cadence or the oldest entry waiting has waited long enough. The request's
    /// work is done, so a failure here is reported, not turned into a failed request (the next pass
    /// chains what is left).
    fn seal_if_due(&self, queued: &[audit::Queued]) {
        let now = time::OffsetDateTime::now_utc();
        let checkpoints = &self.settings.checkpoints;
        if !queued.iter().any(|q| q.seal_due(checkpoints, now)) {
            return;
        }
        if let Err(e) = audit::seal(&self.db, &self.kv, checkpoints, now.unix_timestamp()) {
            eprintln!("access log: queued entries not chained yet: {e}");
        }
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
        // Keys are the credential's own: another token in the same name never gets this one's
        // responses (they hold the records created).
        let scope = principal.token_id.as_str();
        if let Some(key) = &key {
            let retention = time::Duration::hours(self.settings.idempotency_retention_hours);
            let oldest =
                stalking_response::values::timestamp(time::OffsetDateTime::now_utc() - retention);
            idempotency::purge(&self.db, &oldest)?;
            match idempotency::lookup(&self.db, scope, key, &hash)? {
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
            idempotency::store(&self.db, scope, key, &hash, status, &body, &now())?;
        }
        Ok((status, body))
    }

    /// Queues entries for the access log, in one statement (inside the caller's transaction).
    pub fn log_all(&self, accesses: &[Access]) -> Result<(), Problem> {
        let key = self.settings.checkpoints.key.as_deref();
        let queued = audit::enqueue(&self.db, accesses, key, &new_id).map_err(internal)?;
        self.queued.borrow_mut().push(queued);
        Ok(())
    }

    /// What a use case works with, now.
    pub fn env(&self) -> Env<'_, SpinSql> {
        Env {
            db: &self.db,
            kv: &self.kv,
            settings: &self.settings,
            now: time::OffsetDateTime::now_utc(),
            new_id: &new_id,
        }
    }

    fn authenticator(&self) -> Authenticator<'_, SpinSql, SpinKeyValue> {
        Authenticator {
            db: &self.db,
            kv: &self.kv,
            settings: &self.settings,
            now: time::OffsetDateTime::now_utc(),
            client: &self.client,
            #[cfg(feature = "partner-tokens")]
            http: &crate::outbound::SpinHttp,
            // Nothing here fetches the provider's keys: no outbound HTTP code (issue #13).
            #[cfg(not(feature = "partner-tokens"))]
            http: &crate::outbound::Nowhere,
        }
    }

    /// The caller, from a bearer token or the session cookie (see `authentication`).
    pub fn authenticate(&self, req: &Request) -> Result<Principal, Problem> {
        let header = |name: &str| req.header(name).map(|v| v.as_str().unwrap_or(""));
        let session = cookie(req, session_cookie_name(&self.settings));
        let credentials = match (header("authorization"), &session) {
            (Some(value), _) => match value.strip_prefix("Bearer ") {
                Some(token) => Credentials::Bearer(token.trim()),
                None => Credentials::MalformedAuthorization,
            },
            (None, Some(id)) => Credentials::Session {
                id,
                csrf_sent: header(CSRF_HEADER).unwrap_or(""),
                is_change: !matches!(req.method(), Method::Get | Method::Head | Method::Options),
            },
            (None, None) => Credentials::None,
        };
        self.authenticator().authenticate(credentials)
    }

    /// Starts a web-form session for a principal.
    pub fn start_session(&self, principal: &Principal) -> Result<NewSession, Problem> {
        self.authenticator().start_session(principal, random)
    }

    /// The outbox key of the session the request's cookie names; `None` for a bearer token (only
    /// the web form's session has one).
    pub fn outbox_key(&self, req: &Request) -> Result<Option<String>, Problem> {
        if req.header("authorization").is_some() {
            return Ok(None);
        }
        match cookie(req, session_cookie_name(&self.settings)) {
            Some(id) => self.authenticator().outbox_key(&id).map(Some),
            None => Ok(None),
        }
    }

    /// The CSRF token of the session the request's cookie names (never to a bearer token).
    pub fn csrf_token(&self, req: &Request) -> Result<Option<String>, Problem> {
        if req.header("authorization").is_some() {
            return Ok(None);
        }
        match cookie(req, session_cookie_name(&self.settings)) {
            Some(id) => self.authenticator().csrf_token(&id).map(Some),
            None => Ok(None),
        }
    }

    pub fn end_session(&self, req: &Request) {
        if let Some(id) = cookie(req, session_cookie_name(&self.settings)) {
            self.authenticator().end_session(&id);
        }
    }
}

/// The client's address, for throttling: the last value of the trusted proxy's header when one is
/// configured (the value that proxy added; earlier ones came from the client), else Spin's own
/// `spin-client-addr` (which Spin sets, overwriting any the client sent). Never a header the client
/// alone controls.
/// Runs `pragmas` on the connection unless `applied` says they were. Best effort: a database that
/// refuses one (a remote libSQL server) is used without it (`sql::prepare_connection`).
fn apply_once(
    db: &SpinSql,
    applied: &std::cell::Cell<bool>,
    pragmas: &[&str],
) -> Result<(), Problem> {
    if !applied.replace(true) {
        for pragma in pragmas {
            let _ = db.run(pragma, &[]);
        }
    }
    Ok(())
}

fn client_address(req: &Request, settings: &Settings) -> String {
    let header = settings
        .trusted_proxy_header
        .as_deref()
        .unwrap_or("spin-client-addr");
    let value = req.header(header).and_then(|v| v.as_str()).unwrap_or("");
    let last = value.rsplit(',').next().unwrap_or("").trim();
    let address = match last.parse::<std::net::SocketAddr>() {
        Ok(socket) => socket.ip().to_string(),
        Err(_) => last.to_string(),
    };
    if address.is_empty() {
        "unknown".into()
    } else {
        address
    }
}

/// The session cookie's name: in production `__Host-`, which browsers accept only with `Secure`,
/// `Path=/` and no `Domain`, so no other site or subdomain can set or overwrite it.
pub fn session_cookie_name(settings: &Settings) -> &'static str {
    match settings.environment {
        Environment::Production => "__Host-sr_session",
        Environment::Development => "sr_session",
    }
}
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The key-value port over Spin's store.
pub struct SpinKeyValue(key_value::Store);

impl KeyValue for SpinKeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KeyValueError> {
        self.0.get(key).map_err(|e| KeyValueError(format!("{e:?}")))
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KeyValueError> {
        self.0
            .set(key, value)
            .map_err(|e| KeyValueError(format!("{e:?}")))
    }
    fn delete(&self, key: &str) -> Result<(), KeyValueError> {
        self.0
            .delete(key)
            .map_err(|e| KeyValueError(format!("{e:?}")))
    }
}

/// The session cookie: `HttpOnly`, `SameSite=Strict`, for the whole app; `Secure` always in
/// production (TLS usually ends at an ingress, so the app cannot tell from the URL), and in
/// development over https only. An empty value with no lifetime clears it.
pub fn session_cookie(
    req: &Request,
    settings: &Settings,
    value: &str,
    max_age_seconds: i64,
) -> String {
    let secure = match settings.environment {
        Environment::Production => true,
        Environment::Development => req
            .header("spin-full-url")
            .and_then(|v| v.as_str())
            .is_some_and(|url| url.starts_with("https://")),
    };
    // As the `cookie` crate wrote it (which also brought a date parser and formatter for `Expires`).
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={value}; HttpOnly; SameSite=Strict{secure}; Path=/; Max-Age={max_age_seconds}",
        session_cookie_name(settings)
    )
}

/// A cookie's value from the request's `Cookie` header.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.header("cookie")?.as_str()?;
    // `name=value` pairs separated by `;`, each trimmed (as `cookie::Cookie::split_parse` reads them).
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.trim(), v.trim()))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}
