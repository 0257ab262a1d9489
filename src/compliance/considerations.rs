//! Why a power was not used: the protocol asks that the s.2B power of entry be considered (applied for,
//! or why not) and that orders be considered with the victim's views. A decision not to apply is
//! recorded with its reason — for an order, with what the victim said — and meets the check as an
//! application would. Kept as recorded; `store::add_consideration` writes it.

use crate::ids::CaseId;
use crate::values::{FieldErrors, Timestamp, text};
use serde::{Deserialize, Serialize};

const MAX_TEXT: usize = 2000;

crate::vocabulary! {
    /// The power considered: a warrant under PHA 1997 s.2B, or a protective order (a Stalking
    /// Protection Order or restraining order).
    pub enum ConsideredPower {
        S2bWarrant,
        ProtectiveOrder,
    }
}

/// A decision not to apply, as an officer records it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = views_rule)]
pub struct NewConsideration {
    pub power: ConsideredPower,
    /// Why it was not applied for.
    #[schemars(with = "crate::schema::Text<MAX_TEXT>")]
    pub reason: String,
    /// For a protective order: the victim's views (required); absent for a warrant.
    #[schemars(with = "Option<crate::schema::Text<MAX_TEXT>>")]
    pub victim_views: Option<String>,
}

/// What `validate` checks between the fields, as the schema says it: an order's reason comes with the
/// victim's views, a warrant's without.
fn views_rule(schema: &mut schemars::Schema) {
    use serde_json::json;
    let power_is = |power: ConsideredPower| json!({ "required": ["power"], "properties": { "power": { "const": power.as_str() } } });
    crate::schema::when(
        schema,
        power_is(ConsideredPower::ProtectiveOrder),
        json!({ "required": ["victim_views"], "properties": { "victim_views": { "type": "string" } } }),
    );
    crate::schema::when(
        schema,
        power_is(ConsideredPower::S2bWarrant),
        json!({ "properties": { "victim_views": { "type": "null" } } }),
    );
}

/// A decision not to apply, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consideration {
    pub id: String,
    pub case_id: CaseId,
    pub power: ConsideredPower,
    pub reason: String,
    pub victim_views: Option<String>,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
}

/// The reason is given; an order's needs the victim's views, a warrant's has none.
pub fn validate(new: &NewConsideration) -> FieldErrors {
    let mut errors = FieldErrors::new();
    text(&mut errors, "/reason", &new.reason, "the reason", MAX_TEXT);
    match (new.power, &new.victim_views) {
        (ConsideredPower::ProtectiveOrder, None) => errors.push((
            "/victim_views".into(),
            "Give the victim's views: orders are considered with them (the national protocol)."
                .into(),
        )),
        (ConsideredPower::ProtectiveOrder, Some(views)) => text(
            &mut errors,
            "/victim_views",
            views,
            "the victim's views",
            MAX_TEXT,
        ),
        (ConsideredPower::S2bWarrant, Some(_)) => errors.push((
            "/victim_views".into(),
            "The victim's views are recorded for an order, not for a warrant.".into(),
        )),
        (ConsideredPower::S2bWarrant, None) => {}
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_needs_the_victims_views_and_a_warrant_has_none() {
        let new = |power, views: Option<&str>| NewConsideration {
            power,
            reason: "The suspect lives abroad; nothing to search here.".into(),
            victim_views: views.map(str::to_string),
        };
        assert!(validate(&new(ConsideredPower::S2bWarrant, None)).is_empty());
        assert!(
            validate(&new(
                ConsideredPower::ProtectiveOrder,
                Some("She does not want one.")
            ))
            .is_empty()
        );
        assert_eq!(
            validate(&new(ConsideredPower::ProtectiveOrder, None))[0].0,
            "/victim_views"
        );
        assert_eq!(
            validate(&new(ConsideredPower::S2bWarrant, Some("x")))[0].0,
            "/victim_views"
        );
        let blank = NewConsideration {
            reason: " ".into(),
            ..new(ConsideredPower::S2bWarrant, None)
        };
        assert_eq!(validate(&blank)[0].0, "/reason");
    }
}
