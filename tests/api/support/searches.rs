//! A search record body, shared by the tests and the benchmark.

use serde_json::{Value, json};
use time::OffsetDateTime;

/// A time `days` ago, RFC 3339.
pub fn ago(days: i64) -> String {
    stalking_response::values::timestamp(OffsetDateTime::now_utc() - time::Duration::days(days))
}

pub fn date_ago(days: i64) -> String {
    (OffsetDateTime::now_utc() - time::Duration::days(days))
        .date()
        .to_string()
}

/// A s.2B search applied for 6 days ago, executed 3 days ago, not yet endorsed or returned.
pub fn s2b(case_id: &str) -> Value {
    json!({
        "case_id": case_id,
        "power": "pha-s2b-warrant",
        "premises": { "address": "1 Example Street, Northtown" },
        "application": {
            "applicant": { "id": "1234", "rank": "constable" },
            "authorised_by": { "id": "77", "rank": "inspector" },
            "authorised_at": ago(6),
            "grounds": "Suspected s.2A stalking; devices used to track the victim.",
            "articles_sought": ["Mobile phones"],
            "entries": "single",
            "court": "Northtown Magistrates' Court",
            "applied_at": ago(6)
        },
        "decision": { "outcome": "granted", "decided_at": ago(6) },
        "warrant": { "reference": "NT/W/123", "issued_on": date_ago(6) },
        "execution": {
            "started_at": ago(3),
            "ended_at": ago(3),
            "officer_in_charge": { "id": "1234", "rank": "constable" },
            "officers": [{ "id": "5678", "rank": "constable" }],
            "people_on_premises": ["The suspect"],
            "occupier_present": true,
            "seized": [{ "description": "Phone", "exhibit_reference": "AB/1", "within_authority": true }],
            "sought_found": true,
            "force_used": false,
            "notice": { "given": true }
        },
        "register": { "station": "Northtown", "entry": "SR/2026/17" }
    })
}
