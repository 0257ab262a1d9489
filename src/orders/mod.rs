//! Orders against a suspect, and their breaches: Stalking Protection Orders (Stalking Protection Act
//! 2019: the force's application with the three conditions of s.1, an interim order under s.5, the
//! full order for at least two years or until further order under s.3, variation, renewal, discharge,
//! refusal; the subject's notification under s.9 within 3 days of service), and restraining orders and
//! bail conditions recorded the same way. A breach is recorded as a new occurrence on the order's case,
//! linked to the order, with the offence it is. The types are here, the rules in `rules` (pure), and
//! `store` keeps the orders.

mod rules;
pub mod store;

pub use rules::{Refusal, apply, breach_offence, in_effect, initial, notification, validate_new};

use crate::ids::{CaseId, OrderId, PersonId};
use crate::values::Timestamp;
use serde::{Deserialize, Serialize};

const MAX_TEXT: usize = 2000;
const MAX_TERM: usize = 500;
const MAX_TERMS: usize = 20;
/// SPA 2019 s.9: the subject notifies their name and home address within 3 days of service.
pub const NOTIFICATION_DAYS: i64 = 3;
/// SPA 2019 s.3: a full order lasts at least two years (or until further order).
pub const MINIMUM_YEARS: i64 = 2;

crate::vocabulary! {
    /// The kind of order.
    pub enum OrderKind {
        StalkingProtectionOrder,
        RestrainingOrder,
        BailConditions,
    }
}

crate::vocabulary! {
    /// Where an order stands: applied for (an SPO), an interim SPO, in force, refused, discharged.
    pub enum OrderStatus {
        Applied,
        Interim,
        InForce,
        Refused,
        Discharged,
    }
}

/// The three conditions of SPA 2019 s.1(1), each with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Grounds {
    /// (a) The acts associated with stalking the subject has carried out, and the evidence.
    #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
    pub acts: String,
    /// (b) The risk associated with stalking the subject poses to another person.
    #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
    pub risk: String,
    /// (c) Why the order is necessary to protect that person from that risk.
    #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
    pub necessity: String,
}

/// An order the court (or, for bail, the custody officer) has already made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Made {
    #[schemars(with = "crate::schema::Text<200>")]
    pub court: String,
    /// RFC 3339; not in the future.
    #[schemars(with = "crate::schema::DateTime")]
    pub made_at: String,
    /// RFC 3339, after `made_at`; null for until further order.
    #[schemars(with = "Option<crate::schema::DateTime>")]
    pub ends_at: Option<String>,
}

/// An order recorded on a case against one of its suspects: an SPO application, or a restraining
/// order or bail conditions already made.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = kind_rules)]
pub struct NewOrder {
    pub kind: OrderKind,
    /// The subject: the suspect's position in the case's `suspects` (from 0).
    #[schemars(range(min = 0, max = 9))]
    pub suspect: i64,
    /// For an SPO: the three conditions of s.1(1), each with its evidence. Absent for the others.
    pub grounds: Option<Grounds>,
    /// For an SPO: the person to be protected is not the victim of the original acts.
    #[serde(default)]
    pub stalking_by_proxy: bool,
    /// With `stalking_by_proxy`: who the order protects (not named elsewhere in the case).
    #[schemars(with = "Option<crate::schema::Text<MAX_TEXT>>")]
    pub protected_person: Option<String>,
    /// The victim's views on the order (the national protocol: victims are consulted). Required for
    /// an SPO and a restraining order.
    #[schemars(with = "Option<crate::schema::Text<MAX_TEXT>>")]
    pub victim_views: Option<String>,
    /// Prohibitions (e.g. no contact by any means; not to enter an exclusion zone).
    #[serde(default)]
    #[schemars(length(max = 20), with = "Vec<crate::schema::Text<MAX_TERM>>")]
    pub prohibitions: Vec<String>,
    /// Requirements (e.g. attend a perpetrator programme).
    #[serde(default)]
    #[schemars(length(max = 20), with = "Vec<crate::schema::Text<MAX_TERM>>")]
    pub requirements: Vec<String>,
    /// For a restraining order or bail conditions: when and by whom it was made. Absent for an SPO,
    /// which starts as the force's application.
    pub made: Option<Made>,
}

/// The rules `validate_new` checks between the fields, as far as a schema can say them: an SPO has
/// grounds and the victim's views and is not yet made; the others are made, without grounds or stalking
/// by proxy; a restraining order has the victim's views; stalking by proxy names who is protected; at
/// least one term.
fn kind_rules(schema: &mut schemars::Schema) {
    use serde_json::json;
    let kind_is = |kind: OrderKind| json!({ "required": ["kind"], "properties": { "kind": { "const": kind.as_str() } } });
    let spo = OrderKind::StalkingProtectionOrder;
    crate::schema::when(
        schema,
        kind_is(spo),
        json!({ "required": ["grounds", "victim_views"],
                "properties": { "grounds": { "type": "object" }, "victim_views": { "type": "string" },
                                "made": { "type": "null" } } }),
    );
    crate::schema::when(
        schema,
        json!({ "required": ["kind"], "properties": { "kind": { "not": { "const": spo.as_str() } } } }),
        json!({ "required": ["made"],
                "properties": { "made": { "type": "object" }, "grounds": { "type": "null" },
                                "stalking_by_proxy": { "const": false } } }),
    );
    crate::schema::when(
        schema,
        kind_is(OrderKind::RestrainingOrder),
        json!({ "required": ["victim_views"], "properties": { "victim_views": { "type": "string" } } }),
    );
    crate::schema::when(
        schema,
        json!({ "required": ["stalking_by_proxy"], "properties": { "stalking_by_proxy": { "const": true } } }),
        json!({ "required": ["protected_person"], "properties": { "protected_person": { "type": "string" } } }),
    );
    crate::schema::when(
        schema,
        json!({ "not": { "required": ["stalking_by_proxy"],
                         "properties": { "stalking_by_proxy": { "const": true } } } }),
        json!({ "properties": { "protected_person": { "type": "null" } } }),
    );
    schema.insert(
        "anyOf".into(),
        json!([
            { "required": ["prohibitions"], "properties": { "prohibitions": { "minItems": 1 } } },
            { "required": ["requirements"], "properties": { "requirements": { "minItems": 1 } } }
        ]),
    );
}

/// What happens to an order after it is recorded.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OrderEvent {
    /// An interim SPO (s.5): for a fixed period, ending at the latest when the application is decided.
    InterimMade {
        #[schemars(with = "crate::schema::Text<200>")]
        court: String,
        #[schemars(with = "crate::schema::DateTime")]
        made_at: String,
        #[schemars(with = "crate::schema::DateTime")]
        expires_at: String,
    },
    /// The full SPO (s.2): for at least two years, or until further order (`ends_at` null); the terms
    /// as made, when they differ from those applied for.
    Made {
        #[schemars(with = "crate::schema::Text<200>")]
        court: String,
        #[schemars(with = "crate::schema::DateTime")]
        made_at: String,
        #[schemars(with = "Option<crate::schema::DateTime>")]
        ends_at: Option<String>,
        #[schemars(with = "Option<Vec<crate::schema::Text<MAX_TERM>>>")]
        prohibitions: Option<Vec<String>>,
        #[schemars(with = "Option<Vec<crate::schema::Text<MAX_TERM>>>")]
        requirements: Option<Vec<String>>,
    },
    /// The court refused the application, with its reasons.
    Refused {
        #[schemars(with = "crate::schema::DateTime")]
        decided_at: String,
        #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
        reason: String,
    },
    /// The order was served on the subject: for an SPO, the 3 days for notification start.
    Served {
        #[schemars(with = "crate::schema::DateTime")]
        served_at: String,
    },
    /// The subject notified their name and home address (s.9), or a change to them.
    Notified {
        #[schemars(with = "crate::schema::DateTime")]
        notified_at: String,
        #[serde(default)]
        change: bool,
    },
    /// The terms were varied.
    Varied {
        #[schemars(with = "crate::schema::DateTime")]
        at: String,
        #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
        reason: String,
        #[schemars(with = "Vec<crate::schema::Text<MAX_TERM>>")]
        prohibitions: Vec<String>,
        #[schemars(with = "Vec<crate::schema::Text<MAX_TERM>>")]
        requirements: Vec<String>,
    },
    /// The order was renewed to a new end (null: until further order).
    Renewed {
        #[schemars(with = "crate::schema::DateTime")]
        at: String,
        #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
        reason: String,
        #[schemars(with = "Option<crate::schema::DateTime>")]
        ends_at: Option<String>,
    },
    /// The order was discharged.
    Discharged {
        #[schemars(with = "crate::schema::DateTime")]
        at: String,
        #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
        reason: String,
    },
}

impl OrderEvent {
    pub fn name(&self) -> &'static str {
        match self {
            OrderEvent::InterimMade { .. } => "interim-made",
            OrderEvent::Made { .. } => "made",
            OrderEvent::Refused { .. } => "refused",
            OrderEvent::Served { .. } => "served",
            OrderEvent::Notified { .. } => "notified",
            OrderEvent::Varied { .. } => "varied",
            OrderEvent::Renewed { .. } => "renewed",
            OrderEvent::Discharged { .. } => "discharged",
        }
    }
}

/// An order's state as stored (and shown): everything but its identity, history and breaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub grounds: Option<Grounds>,
    pub stalking_by_proxy: bool,
    pub protected_person: Option<String>,
    pub victim_views: Option<String>,
    pub prohibitions: Vec<String>,
    pub requirements: Vec<String>,
    pub court: Option<String>,
    pub made_at: Option<String>,
    pub ends_at: Option<String>,
    pub interim_expires_at: Option<String>,
    pub served_at: Option<String>,
    pub notification_due_at: Option<String>,
    pub notified_at: Option<String>,
    pub refusal_reason: Option<String>,
}

/// One entry of an order's dated history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub number: i64,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub detail: serde_json::Value,
}

/// A breach: the occurrence on the order's case that records it, and the offence it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    pub occurrence: i64,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    pub offence: Option<String>,
}

/// What is due for the subject's notification (SPA 2019 s.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub due_at: String,
    pub notified_at: Option<String>,
    pub overdue: bool,
}

/// An order as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    pub id: OrderId,
    pub version: i64,
    pub case_id: CaseId,
    pub person_id: PersonId,
    pub suspect: i64,
    pub kind: OrderKind,
    pub status: OrderStatus,
    /// An interim order before it expires, or an order in force before it ends.
    pub in_effect: bool,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    pub terms: Terms,
    pub notification: Option<Notification>,
    pub history: Vec<HistoryEntry>,
    pub breaches: Vec<Breach>,
}
