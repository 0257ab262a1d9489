//! RFC 9457 problem details: the one shape of every error the API returns.

use serde::Serialize;

/// `application/problem+json`.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem description. `type` is a URI naming the kind of problem; here a relative reference into
/// the API's documentation (`/problems/<slug>`), stable across releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level errors for validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For 405: the methods allowed, sent as the `Allow` header rather than in the body.
    #[serde(skip)]
    pub allow: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// A JSON Pointer (RFC 6901) to the field, e.g. `/victim/name`.
    pub pointer: String,
    pub detail: String,
}

impl Problem {
    pub fn new(status: u16, slug: &str, title: &str) -> Problem {
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status,
            detail: None,
            errors: Vec::new(),
            allow: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn not_found() -> Problem {
        Problem::new(404, "not-found", "Not found")
    }

    pub fn method_not_allowed(allowed: &[&str]) -> Problem {
        let mut problem = Problem::new(405, "method-not-allowed", "Method not allowed")
            .with_detail(format!("This resource allows {}.", allowed.join(", ")));
        problem.allow = Some(allowed.join(", "));
        problem
    }

    /// For failures that are ours, not the caller's. The detail never carries internal text.
    pub fn internal() -> Problem {
        Problem::new(500, "internal", "Internal error").with_detail(
            "The request could not be completed. Nothing was changed; it is safe to retry.",
        )
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a problem always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
