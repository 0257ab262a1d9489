//! Request input into typed values: strict JSON bodies, typed query strings, `If-Match`, the access
//! reason. Every failure is a problem naming what is wrong and where.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use spin_sdk::http::Request;
use stalking_response::access::auth::{self, AccessReason};
use stalking_response::decode::{describe, field_error};
use stalking_response::problem::Problem;

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
    // `decode::from_json`'s deserializer (the one the app decodes JSON with), then its end.
    let mut deserializer = serde_json::Deserializer::from_slice(req.body());
    let value = T::deserialize(&mut deserializer).map_err(|e| {
        if matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ) {
            return Problem::bad_body(
                "",
                format!(
                    "The body is not well-formed JSON (line {}, column {}).",
                    e.line(),
                    e.column()
                ),
            );
        }
        field_error(req.body(), "", &e)
    })?;
    deserializer
        .end()
        .map_err(|_| Problem::bad_body("", "The body has more after the JSON value."))?;
    Ok(value)
}

pub use stalking_response::decode::{check, decode};

pub use stalking_response::values::etag;

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

/// A 400 for a query parameter.
pub fn invalid_query(detail: impl Into<String>) -> Problem {
    Problem::new(400, "invalid-query", "Invalid query parameter").with_detail(detail)
}

/// The query string as a typed struct (unknown parameters are ignored). The 400 names the parameter.
pub fn query<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let name = e.path().to_string();
        let message = e.into_inner().to_string();
        match message.strip_prefix("missing field `") {
            Some(rest) => {
                let field = rest.split('`').next().unwrap_or(rest);
                invalid_query(format!("`{field}` is required."))
            }
            None if name == "." || name.is_empty() => invalid_query(describe(&message)),
            // Our own parsers' messages already name the parameter.
            None if message.starts_with('`') => invalid_query(message),
            None if message.starts_with("is ") => invalid_query(format!("`{name}` {message}")),
            None => invalid_query(format!("`{name}`: {message}.")),
        }
    })
}

/// Paging is the domain's (`stalking_response::paging`): the use cases take a page and give the next
/// cursor; the query string deserialises straight into it.
pub use stalking_response::paging::{Limit, Page};

/// `true` or `false`, for flags in a query.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match String::deserialize(d)?.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(serde::de::Error::custom("is true or false.")),
    }
}

/// A date, `YYYY-MM-DD`, in a query.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    match stalking_response::values::parse_date(&text) {
        Some(_) => Ok(text),
        None => Err(serde::de::Error::custom("is a date, YYYY-MM-DD.")),
    }
}

/// An optional date in a query (with `#[serde(default)]`).
pub fn optional_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    date(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Q {
        #[serde(flatten)]
        page: Page,
        #[serde(default, deserialize_with = "flag")]
        overdue: bool,
        status: Option<String>,
    }

    #[test]
    fn typed_queries_name_what_is_wrong() {
        let q: Q = query("limit=5&after=x%20y&overdue=true&other=1").unwrap();
        assert_eq!(
            (q.page.limit, q.page.after.as_deref(), q.overdue),
            (Limit(5), Some("x y"), true)
        );
        assert_eq!(q.status, None);
        let q: Q = query("").unwrap();
        assert_eq!(q.page.limit, Limit(50));
        for (bad, says) in [
            ("limit=0", "`limit`"),
            ("limit=x", "`limit`"),
            ("overdue=yes", "`overdue`"),
        ] {
            let problem = query::<Q>(bad).unwrap_err();
            assert_eq!(problem.status, 400);
            assert!(
                problem.detail.as_deref().unwrap().contains(says),
                "{bad}: {problem:?}"
            );
        }
    }
}
