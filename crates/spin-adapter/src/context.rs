//! Everything a handler needs around its domain call: the stores, the force's configuration, the
//! caller (authenticated and authorised in one place), the reason for an access, strict JSON input,
//! and the access log.

use crate::SpinSql;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request};
use spin_sdk::{key_value, variables};
use stalking_response::audit::{self, Access, Checkpoints, Operation};
use stalking_response::auth::{self, AccessReason, Action, Principal, Role};
use stalking_response::idempotency::{self, Replay};
use stalking_response::problem::Problem;
use stalking_response::problem::capitalise;
use stalking_response::sql;
use stalking_response::{migrations, tokens};

/// Per-force settings, from Spin variables.
pub struct Config {
    pub force: String,
    bootstrap_admin_token: Option<String>,
    pub checkpoints: Checkpoints,
    max_auth_failures: i64,
    failure_window_seconds: i64,
    pub session_hours: i64,
}

fn variable(name: &str) -> Option<String> {
    variables::get(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &str, default: i64) -> i64 {
    variable(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl Config {
    pub fn load() -> Config {
        Config {
            force: variable("force_code").unwrap_or_else(|| "DEV".into()),
            // Shorter than a generated token's 256 bits is refused: a weak first admin token is no token.
            bootstrap_admin_token: variable("bootstrap_admin_token").filter(|t| t.len() >= 32),
            checkpoints: Checkpoints {
                key: variable("audit_checkpoint_key").map(String::into_bytes),
                every: number("audit_checkpoint_every", 100),
            },
            max_auth_failures: number("auth_max_failures", 10),
            failure_window_seconds: number("auth_failure_window_seconds", 300).max(1),
            session_hours: number("session_hours", 8).clamp(1, 24),
        }
    }
}

/// Now, as the fixed-width RFC 3339 UTC text the records use (so text order is time order).
pub fn now() -> String {
    stalking_response::intake::timestamp(time::OffsetDateTime::now_utc())
}

/// `now` plus some seconds, same format.
pub fn later(seconds: i64) -> String {
    stalking_response::intake::timestamp(
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

/// Turns an outcome into the response, logging (without personal data) what went wrong inside.
pub fn respond(outcome: Outcome) -> spin_sdk::http::Response {
    match outcome {
        Ok(response) => response,
        Err(problem) => crate::problem(&problem),
    }
}

/// A storage failure: logged with its (internal) text, answered without it.
pub fn internal(e: impl std::fmt::Display) -> Problem {
    eprintln!("storage error: {e}");
    Problem::internal()
}

/// One request's context: the database (migrated), the key-value store, the configuration.
pub struct Ctx {
    pub db: SpinSql,
    pub kv: key_value::Store,
    pub config: Config,
    client: String,
}

impl Ctx {
    pub fn open(req: &Request) -> Result<Ctx, Problem> {
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
            config: Config::load(),
            client,
        })
    }

    /// Runs `work` in one transaction: the record and its access-log entry are written together.
    pub fn transaction<T>(&self, work: impl FnOnce() -> Result<T, Problem>) -> Result<T, Problem> {
        sql::transaction(&self.db, work)
    }

    /// Runs a creation (`work` gives status and body) in one transaction, at most once per
    /// `Idempotency-Key` when the caller sends one: the response is stored with the record it created,
    /// and a retry gets it back byte for byte and writes nothing.
    pub fn create_once(
        &self,
        req: &Request,
        principal: &Principal,
        work: impl FnOnce() -> Result<(u16, Vec<u8>), Problem>,
    ) -> Result<(u16, Vec<u8>), Problem> {
        let key = match req.header("idempotency-key").and_then(|v| v.as_str()) {
            Some(key) if idempotency::valid_key(key) => Some(key.to_string()),
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
        self.transaction(|| {
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
        })
    }

    /// Logs the consultation of a list: the record ids on the page, with the reason.
    pub fn log_list<'a>(
        &self,
        who: &Principal,
        record_type: &str,
        ids: impl IntoIterator<Item = &'a str>,
        reason: &AccessReason,
    ) -> Result<(), Problem> {
        let ids: Vec<&str> = ids.into_iter().collect();
        self.log(self.access(
            who,
            Operation::Consultation,
            record_type,
            &ids.join(","),
            reason,
        ))
    }

    /// Appends to the access log (inside the caller's transaction, or its own).
    pub fn log(&self, access: Access) -> Result<(), Problem> {
        audit::append(&self.db, &access, &self.config.checkpoints)
            .map(drop)
            .map_err(internal)
    }

    /// The caller, from a bearer token or a session cookie; repeated failures from one address are
    /// throttled. Cookie-authenticated state changes must carry the session's CSRF token.
    pub fn authenticate(&self, req: &Request) -> Result<Principal, Problem> {
        let window =
            time::OffsetDateTime::now_utc().unix_timestamp() / self.config.failure_window_seconds;
        let counter = format!("auth-failures:{}:{window}", self.client);
        let failures = self
            .kv
            .get(&counter)
            .ok()
            .flatten()
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if failures >= self.config.max_auth_failures {
            let retry = self.config.failure_window_seconds
                - time::OffsetDateTime::now_utc().unix_timestamp()
                    % self.config.failure_window_seconds;
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
        if let Some(bootstrap) = &self.config.bootstrap_admin_token
            && auth::secrets_equal(token, bootstrap)
        {
            return Ok(Principal {
                subject: "bootstrap-admin".into(),
                role: Role::Admin,
                force: self.config.force.clone(),
                token_id: BOOTSTRAP.into(),
            });
        }
        let record = tokens::find_by_hash(&self.db, &auth::token_hash(token)).map_err(internal)?;
        let Some(record) = record else {
            return Err(Problem::unauthorized("The token is not valid."));
        };
        if let Some(why) = auth::token_refusal(&record, &self.config.force, &now()) {
            return Err(Problem::unauthorized(&format!("{}.", capitalise(why))));
        }
        Ok(Principal {
            subject: record.subject,
            role: record.role,
            force: record.force,
            token_id: record.id,
        })
    }

    /// The one place authorisation happens: the permission table, default deny. A refusal is logged.
    pub fn authorize(
        &self,
        principal: &Principal,
        action: Action,
        record_type: &str,
        record_id: &str,
    ) -> Result<(), Problem> {
        if auth::permits(principal.role, action) {
            return Ok(());
        }
        self.transaction(|| {
            self.log(Access {
                at: now(),
                subject: principal.subject.clone(),
                role: principal.role.as_str().into(),
                operation: Operation::Consultation,
                record_type: record_type.into(),
                record_id: record_id.into(),
                reason_code: "denied".into(),
                reason_text: Some(format!("{action:?}")),
                recipient: None,
                outcome: "denied".into(),
                digest: None,
            })
        })?;
        Err(Problem::forbidden(&format!(
            "The {} role may not do this.",
            principal.role.as_str()
        )))
    }

    /// Authenticates and authorises in one step: what almost every handler starts with.
    pub fn caller(
        &self,
        req: &Request,
        action: Action,
        record_type: &str,
        record_id: &str,
    ) -> Result<Principal, Problem> {
        let principal = self.authenticate(req)?;
        self.authorize(&principal, action, record_type, record_id)?;
        Ok(principal)
    }

    /// An access-log entry for this caller.
    pub fn access(
        &self,
        principal: &Principal,
        operation: Operation,
        record_type: &str,
        record_id: &str,
        reason: &AccessReason,
    ) -> Access {
        Access {
            at: now(),
            subject: principal.subject.clone(),
            role: principal.role.as_str().into(),
            operation,
            record_type: record_type.into(),
            record_id: record_id.into(),
            reason_code: reason.code.as_str().into(),
            reason_text: reason.text.clone(),
            recipient: None,
            outcome: "allowed".into(),
            digest: None,
        }
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
        if stored.expires_at <= now() {
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
                force: self.config.force.clone(),
                token_id: stored.token_id,
            }
        } else {
            let record = tokens::find(&self.db, &stored.token_id).map_err(internal)?;
            match record {
                Some(record)
                    if auth::token_refusal(&record, &self.config.force, &now()).is_none() =>
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
        let expires_at = later(self.config.session_hours * 3600);
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

fn cookie(req: &Request, name: &str) -> Option<String> {
    req.header("cookie")?.as_str()?.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then(|| value.to_string())
    })
}

/// The reason for reading personal records, required (DPA 2018 s.62).
pub fn access_reason(req: &Request) -> Result<AccessReason, Problem> {
    let Some(header) = req.header(auth::REASON_HEADER).and_then(|v| v.as_str()) else {
        return Err(Problem::new(400, "access-reason-required", "A reason for access is required")
            .with_detail(format!(
                "Reading personal records needs the X-Access-Reason header: {}. Every access is logged with its reason.",
                auth::REASON_CODES
            )));
    };
    AccessReason::parse(header).map_err(|detail| {
        Problem::new(
            400,
            "access-reason-invalid",
            "The reason for access is not valid",
        )
        .with_detail(detail)
    })
}

/// The most a JSON body may be (the host or Spin may allow more).
const MAX_JSON: usize = 64 * 1024;

/// Decodes a JSON body strictly: right content type, well-formed, no unknown fields, right types.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let content_type = req
        .header("content-type")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(Problem::new(415, "unsupported-media-type", "Send JSON")
            .with_detail("The body must be JSON with `Content-Type: application/json`."));
    }
    if req.body().len() > MAX_JSON {
        return Err(Problem::new(413, "body-too-large", "The body is too large")
            .with_detail(format!("Bodies are limited to {MAX_JSON} bytes.")));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(req.body());
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let pointer = pointer(e.path());
        let inner = e.into_inner();
        let detail = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                return Problem::bad_body(
                    "",
                    format!(
                        "The body is not well-formed JSON (line {}, column {}).",
                        inner.line(),
                        inner.column()
                    ),
                );
            }
            _ => describe(&inner.to_string()),
        };
        // A missing field is named by its own pointer, not its parent's.
        let message = inner.to_string();
        let pointer = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
        {
            Some((field, _)) => format!("{pointer}/{field}"),
            None => pointer,
        };
        Problem::validation(vec![(pointer, detail)])
    })?;
    deserializer
        .end()
        .map_err(|_| Problem::bad_body("", "The body has more after the JSON value."))?;
    Ok(value)
}

/// Decodes a JSON value strictly (as [`json_body`] does), naming a failed field by its pointer under
/// `prefix`: for documents assembled from a request, such as a record with an amendment applied.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = format!("{prefix}{}", pointer(e.path()));
        let message = e.into_inner().to_string();
        let pointer = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
        {
            Some((field, _)) => format!("{pointer}/{field}"),
            None => pointer,
        };
        Problem::validation(vec![(pointer, describe(&message))])
    })
}

/// The JSON Pointer (RFC 6901) to where decoding failed.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// serde's message without its " at line N column M" suffix.
fn describe(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str() + ".")
        .unwrap_or_default()
}

/// Rejects field errors with a 422.
pub fn check(errors: Vec<(String, String)>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

/// A record's version as an ETag.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The version an update is made against: `If-Match` is required, so no change is lost silently.
pub fn if_match(req: &Request) -> Result<i64, Problem> {
    let Some(value) = req.header("if-match").and_then(|v| v.as_str()) else {
        return Err(Problem::new(428, "if-match-required", "If-Match is required")
            .with_detail("Send the record's ETag in If-Match, so that a change made meanwhile is not overwritten."));
    };
    value
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            Problem::new(400, "if-match-invalid", "If-Match is not valid")
                .with_detail("Send the ETag exactly as received.")
        })
}

/// A page size from `?limit=` (1–100, default 50).
pub fn limit(req: &Request) -> Result<i64, Problem> {
    match query(req, "limit") {
        None => Ok(50),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                Problem::new(400, "invalid-query", "Invalid query parameter")
                    .with_detail("`limit` must be a whole number from 1 to 100.")
            }),
    }
}

/// The cursor for the next page: the last item's, when the page is full (there may be more).
pub fn next_cursor<T, C>(page: &[T], limit: i64, cursor: impl Fn(&T) -> C) -> Option<C> {
    (page.len() as i64 == limit)
        .then(|| page.last().map(cursor))
        .flatten()
}

/// A query parameter's value (percent-decoded), if present.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.query().split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
