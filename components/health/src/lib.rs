//! Health, for probes (no authentication, no personal data, so no route table), in two routes:
//! - `GET /api/v1/health`, liveness: the app answers. It touches no store, so it stays cheap however
//!   busy the database is, and a slow database never gets a live instance restarted.
//! - `GET /api/v1/health/ready`, readiness: opens the default key-value store and SQLite database,
//!   brings the schema up to date, and reports each (503 until all is well), so a deployment sends
//!   traffic only to an instance whose stores work.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::{json, problem, secured};
use spin_sdk::http::{IncomingRequest, Method, Request, Response, ResponseOutparam};
use spin_sdk::http_component;
use stalking_response::health::Liveness;
use stalking_response::problem::Problem;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    spin_adapter::export::respond(req, out, answer).await
}

fn answer(req: &Request) -> Response {
    spin_adapter::request_log::logged(req, |route| {
        if !matches!(req.method(), Method::Get | Method::Head) {
            return secured(problem(&Problem::method_not_allowed(&["GET", "HEAD"])));
        }
        secured(match req.path().trim_end_matches('/') {
            "/api/v1/health" => {
                *route = Some("/api/v1/health");
                json(200, &Liveness::now())
            }
            "/api/v1/health/ready" => {
                *route = Some("/api/v1/health/ready");
                let report = spin_adapter::health::report();
                json(report.http_status(), &report)
            }
            _ => problem(&Problem::not_found()),
        })
    })
}
