//! The health report's probes of Spin's stores: the default key-value store and SQLite database (brought
//! to the current schema), each named by a short, fixed reason when it fails, never its internal text.

use crate::SpinSql;
use spin_sdk::key_value;
use stalking_response::health::{HealthReport, StoreState, Stores};
use stalking_response::migrations;

/// Probes both stores and reports them with the schema version.
pub fn report() -> HealthReport {
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
    HealthReport::new(schema_version, Stores { key_value, sqlite })
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
