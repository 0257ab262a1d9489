//! `GET /api/v1/health`: opens the default key-value store and SQLite database, brings the schema up to
//! date, and reports the state of each. No personal data; no authentication (probes call it).
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::{SpinSql, json, problem};
use spin_sdk::http::{IntoResponse, Method, Request};
use spin_sdk::{http_component, key_value};
use stalking_response::health::{HealthReport, StoreState, Stores};
use stalking_response::migrations;
use stalking_response::problem::Problem;

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return problem(&Problem::method_not_allowed(&["GET", "HEAD"]));
    }
    let key_value = match key_value::Store::open_default().and_then(|store| store.exists("health"))
    {
        Ok(_) => StoreState::Ok,
        Err(e) => unavailable(&format!("{e:?}")),
    };
    let (schema_version, sqlite) = match SpinSql::open_default() {
        Ok(db) => match migrations::migrate(&db) {
            Ok(version) => (Some(version), StoreState::Ok),
            Err(e) => {
                eprintln!("health: migration failed: {e}");
                (
                    migrations::current_version(&db).ok(),
                    StoreState::Unavailable {
                        reason: "migration failed".into(),
                    },
                )
            }
        },
        Err(e) => (None, unavailable(&e.0)),
    };
    let report = HealthReport::new(schema_version, Stores { key_value, sqlite });
    json(report.http_status(), &report)
}

/// A short, fixed reason from a store error: which kind of failure, not its internal text.
fn unavailable(error: &str) -> StoreState {
    let reason = if error.contains("AccessDenied") {
        "access denied"
    } else if error.contains("NoSuch") {
        "not configured"
    } else {
        "error"
    };
    StoreState::Unavailable {
        reason: reason.to_string(),
    }
}
