//! The health report: schema version and the state of each store, as the health endpoint answers it.

use serde::Serialize;

/// Whether a store could be opened and used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum StoreState {
    Ok,
    /// `reason` is a short, fixed description (never a raw error text, which could leak internals).
    Unavailable {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stores {
    pub key_value: StoreState,
    pub sqlite: StoreState,
}

/// The liveness answer: the app is up, and which build it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Liveness {
    pub status: &'static str,
    pub app: &'static str,
    pub version: &'static str,
}

impl Liveness {
    pub fn now() -> Liveness {
        Liveness {
            status: "ok",
            app: "stalking-response",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// `ok` when every store is usable and the schema is current, else `degraded`.
    pub status: &'static str,
    pub app: &'static str,
    pub version: &'static str,
    /// The schema version the database is at, if it could be read.
    pub schema_version: Option<i64>,
    pub expected_schema_version: i64,
    pub stores: Stores,
}

impl HealthReport {
    pub fn new(schema_version: Option<i64>, stores: Stores) -> HealthReport {
        let expected = crate::migrations::latest_version();
        let healthy = stores.key_value == StoreState::Ok
            && stores.sqlite == StoreState::Ok
            && schema_version == Some(expected);
        HealthReport {
            status: if healthy { "ok" } else { "degraded" },
            app: "stalking-response",
            version: env!("CARGO_PKG_VERSION"),
            schema_version,
            expected_schema_version: expected,
            stores,
        }
    }

    /// 200 when healthy, 503 otherwise, so load balancers and probes can act on it.
    pub fn http_status(&self) -> u16 {
        if self.status == "ok" { 200 } else { 503 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_only_when_every_store_is_ok_and_schema_current() {
        let ok = Stores {
            key_value: StoreState::Ok,
            sqlite: StoreState::Ok,
        };
        let latest = crate::migrations::latest_version();
        assert_eq!(
            HealthReport::new(Some(latest), ok.clone()).http_status(),
            200
        );
        assert_eq!(HealthReport::new(None, ok.clone()).http_status(), 503);
        let kv_down = Stores {
            key_value: StoreState::Unavailable {
                reason: "access denied".into(),
            },
            sqlite: StoreState::Ok,
        };
        let report = HealthReport::new(Some(latest), kv_down);
        assert_eq!((report.status, report.http_status()), ("degraded", 503));
    }
}
