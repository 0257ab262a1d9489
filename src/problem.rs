//! RFC 9457 problem details: the one shape of every error the API returns.

use serde::Serialize;

/// `application/problem+json`.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem description. `type` is a URI naming the kind of problem; here a relative reference into
/// the API's documentation (`/problems/<slug>`), stable across releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Serialised as `type`: `/problems/<slug>`.
    #[serde(rename = "type", serialize_with = "problem_type")]
    pub slug: &'static str,
    pub title: &'static str,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level errors for validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Response headers that go with it (`Allow`, `WWW-Authenticate`, `Retry-After`), not in the body.
    #[serde(skip)]
    pub headers: Vec<(&'static str, String)>,
}

fn problem_type<S: serde::Serializer>(
    slug: &&'static str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("/problems/{slug}"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// A JSON Pointer (RFC 6901) to the field, e.g. `/victim/name`.
    pub pointer: String,
    pub detail: String,
}

impl Problem {
    pub fn new(status: u16, slug: &'static str, title: &'static str) -> Problem {
        Problem {
            slug,
            title,
            status,
            detail: None,
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    /// 412: the record changed since the ETag the client sent (`If-Match`); the reply carries the
    /// current ETag. `record` names it in the detail ("case", "order"…), `then` says what to do next.
    pub fn version_mismatch(
        title: &'static str,
        record: &str,
        current: i64,
        then: &str,
    ) -> Problem {
        Problem::new(412, "version-mismatch", title)
            .with_detail(format!("The {record} is now at version {current}: {then}"))
            .with_header("etag", crate::values::etag(current))
    }

    pub fn not_found() -> Problem {
        Problem::new(404, "not-found", "Not found")
    }

    pub fn method_not_allowed(allowed: &[&str]) -> Problem {
        let problem = Problem::new(405, "method-not-allowed", "Method not allowed")
            .with_detail(format!("This resource allows {}.", allowed.join(", ")));
        problem.with_header("allow", allowed.join(", "))
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.headers.push((name, value.into()));
        self
    }

    /// 422 with a field-level list: `(JSON pointer, detail)`.
    pub fn validation(errors: Vec<(String, String)>) -> Problem {
        let mut problem = Problem::new(422, "validation", "The request has invalid fields")
            .with_detail("Correct the fields listed in `errors`; nothing was saved.");
        problem.errors = errors
            .into_iter()
            .map(|(pointer, detail)| FieldError { pointer, detail })
            .collect();
        problem
    }

    /// 400 for a body that is not the JSON the endpoint takes.
    pub fn bad_body(pointer: &str, detail: impl Into<String>) -> Problem {
        let mut problem = Problem::new(400, "invalid-body", "The request body is not valid")
            .with_detail("Nothing was saved.");
        problem.errors = vec![FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }];
        problem
    }

    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(401, "unauthenticated", "Authentication required")
            .with_detail(detail)
            .with_header("www-authenticate", "Bearer realm=\"stalking-response\"")
    }

    pub fn forbidden(detail: &str) -> Problem {
        Problem::new(403, "forbidden", "Not allowed").with_detail(detail)
    }

    /// For failures that are ours, not the caller's. The detail never carries internal text.
    pub fn internal() -> Problem {
        Problem::new(500, "internal", "Internal error").with_detail(
            "The request could not be completed. Nothing was changed; it is safe to retry.",
        )
    }

    /// 503 when the database stayed locked by other requests past the wait (`sql::BUSY_WAIT`):
    /// nothing was done, and the caller may retry shortly.
    pub fn busy() -> Problem {
        Problem::new(503, "busy", "The service is busy")
            .with_detail("Nothing was changed; try again in a moment.")
            .with_header("retry-after", "1")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a problem always serialises")
    }
}

/// The text with its first letter in capitals, for messages built from fragments.
///
/// An ASCII first letter only: the texts given are the app's own (field names, what is due), and
/// Unicode's case tables (`char::to_uppercase`, 12 kB) would be in every component for it (issue #13).
pub fn capitalise(text: &str) -> String {
    let mut text = text.to_string();
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

/// A storage failure inside a handler is ours, never the caller's: logged (the database's own text names
/// tables and constraints, not values), answered as a plain 500, or 503 when the database was busy.
impl From<crate::sql::SqlError> for Problem {
    fn from(e: crate::sql::SqlError) -> Problem {
        storage(e)
    }
}

/// A store's failure (a `SqlError`, or an error wrapping one): logged with its internal text, answered
/// without it as a 500, or as [`Problem::busy`] when the database stayed locked.
pub fn storage(e: impl std::fmt::Display) -> Problem {
    let text = e.to_string();
    eprintln!("storage error: {text}");
    if crate::sql::is_busy(&text) {
        Problem::busy()
    } else {
        Problem::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitalises_an_ascii_first_letter_and_leaves_anything_else() {
        assert_eq!(capitalise("mASH referral"), "MASH referral");
        assert_eq!(capitalise("review due"), "Review due");
        assert_eq!(capitalise("émile"), "émile");
        assert_eq!(capitalise(""), "");
        assert_eq!(
            crate::decode::describe("unknown field `x` at line 1 column 5"),
            "Unknown field `x`."
        );
    }

    #[test]
    fn serialises_as_rfc_9457() {
        let json: serde_json::Value =
            serde_json::from_str(&Problem::method_not_allowed(&["GET", "HEAD"]).to_json()).unwrap();
        assert_eq!(json["type"], "/problems/method-not-allowed");
        assert_eq!(json["status"], 405);
        assert_eq!(json["detail"], "This resource allows GET, HEAD.");
        assert!(json.get("errors").is_none());
    }
}
