//! `GET /api/v1/health`: opens the default key-value store and SQLite database, brings the schema up to
//! date, and reports the state of each. No personal data; no authentication (probes call it), so no
//! route table: one path, GET and HEAD.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::{json, problem, secured};
use spin_sdk::http::{IntoResponse, Method, Request};
use spin_sdk::http_component;
use stalking_response::problem::Problem;

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    secured(if matches!(req.method(), Method::Get | Method::Head) {
        let report = spin_adapter::health::report();
        json(report.http_status(), &report)
    } else {
        problem(&Problem::method_not_allowed(&["GET", "HEAD"]))
    })
}
