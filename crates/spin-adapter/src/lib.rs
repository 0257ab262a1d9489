//! The one place the app touches `spin_sdk`: the domain's SQL port over `spin_sdk::sqlite3`, the
//! key-value store and variables, the route tables and their runner (authentication, authorisation,
//! the access reason and the access log, before and around every handler), request input, and
//! problem+json / JSON responses.

pub mod context;
pub mod export;
pub mod health;
pub mod input;
pub mod outbound;
pub mod request_log;
pub mod routes;
pub mod statements;

pub use context::{Ctx, Outcome};
pub use routes::{Call, Reason, Route};

use spin_sdk::http::Response;
use spin_sdk::sqlite3;
use stalking_response::problem::{self, Problem};
use stalking_response::sql::{self, Rows, Sql, SqlError};

/// A connection to a Spin SQLite database, with the app's pragmas applied.
pub struct SpinSql {
    conn: sqlite3::Connection,
}

impl SpinSql {
    /// Opens the `default` database. Its connection settings are applied before the first write
    /// transaction (`Ctx::transaction`); migrating checks the schema and WAL in one statement.
    pub fn open_default() -> Result<SpinSql, SqlError> {
        Self::open("default")
    }

    pub fn open(label: &str) -> Result<SpinSql, SqlError> {
        let conn = sqlite3::Connection::open(label)
            .map_err(|e| SqlError(format!("cannot open database '{label}': {e:?}")))?;
        Ok(SpinSql { conn })
    }
}

impl Sql for SpinSql {
    fn query_once(&self, statement: &str, params: &[sql::Value]) -> Result<Rows, SqlError> {
        statements::count(statement);
        let params: Vec<sqlite3::Value> = params
            .iter()
            .map(|v| match v {
                sql::Value::Integer(i) => sqlite3::Value::Integer(*i),
                sql::Value::Real(r) => sqlite3::Value::Real(*r),
                sql::Value::Text(t) => sqlite3::Value::Text(t.clone()),
                sql::Value::Blob(b) => sqlite3::Value::Blob(b.clone()),
                sql::Value::Null => sqlite3::Value::Null,
            })
            .collect();
        let result = self
            .conn
            .execute(statement, params.as_slice())
            .map_err(|e| SqlError(format!("{e:?}")))?;
        let rows = result
            .rows
            .into_iter()
            .map(|row| {
                row.values
                    .into_iter()
                    .map(|v| match v {
                        sqlite3::Value::Integer(i) => sql::Value::Integer(i),
                        sqlite3::Value::Real(r) => sql::Value::Real(r),
                        sqlite3::Value::Text(t) => sql::Value::Text(t),
                        sqlite3::Value::Blob(b) => sql::Value::Blob(b),
                        sqlite3::Value::Null => sql::Value::Null,
                    })
                    .collect()
            })
            .collect();
        Ok(Rows {
            columns: result.columns,
            rows,
        })
    }
}

/// The headers every response of the app carries, whatever its status: browsers are to use HTTPS only
/// (for a year, subdomains too: TLS ends at the force's ingress, so the app cannot see the scheme) and
/// never to sniff a content type. The web component sets the same two itself.
pub const SECURITY_HEADERS: [(&str, &str); 2] = [
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
];

/// The response with [`SECURITY_HEADERS`] set (replacing any the handler set).
pub fn secured(mut response: Response) -> Response {
    for (name, value) in SECURITY_HEADERS {
        response.set_header(name, value);
    }
    response
}

/// A JSON response with the given status, and its headers (e.g. `etag`, `location`).
pub fn json_with(
    status: u16,
    body: &impl serde::Serialize,
    headers: &[(&str, String)],
) -> Response {
    let mut response = json(status, body);
    for (name, value) in headers {
        response.set_header(*name, value.as_str());
    }
    response
}

/// The JSON `Ctx::create_once` gives (the first time or replayed), as it is: for a record that has no
/// address of its own to put in `Location`.
pub fn stored(status: u16, body: Vec<u8>) -> Response {
    let mut response = Response::new(status, body);
    response.set_header("content-type", "application/json");
    response.set_header("cache-control", "no-store");
    response
}

/// The response to a creation, from the status and body `Ctx::create_once` gives (the first time or
/// replayed): JSON, with `Location` under `collection` and the `ETag` when the record has a version.
pub fn created(status: u16, body: Vec<u8>, collection: &str) -> Response {
    let record: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut response = stored(status, body);
    if let Some(id) = record["id"].as_str() {
        response.set_header("location", format!("{collection}/{id}"));
    }
    if let Some(version) = record["version"].as_i64() {
        response.set_header("etag", input::etag(version));
    }
    response
}

/// A JSON response with the given status.
pub fn json(status: u16, body: &impl serde::Serialize) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .build()
}

/// An RFC 9457 problem response.
pub fn problem(problem: &Problem) -> Response {
    let mut builder = Response::builder();
    builder
        .status(problem.status)
        .header("content-type", problem::CONTENT_TYPE)
        .header("cache-control", "no-store");
    for (name, value) in &problem.headers {
        builder.header(*name, value.as_str());
    }
    builder.body(problem.to_json()).build()
}
