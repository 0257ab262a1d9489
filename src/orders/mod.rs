//! Orders against a suspect, and their breaches: Stalking Protection Orders (Stalking Protection Act
//! 2019: the force's application with the three conditions of s.1, an interim order under s.5, the
//! full order for at least two years or until further order under s.3, variation, renewal, discharge,
//! refusal; the subject's notification under s.9 within 3 days of service), and restraining orders and
//! bail conditions recorded the same way. A breach is recorded as a new occurrence on the order's case,
//! linked to the order, with the offence it is. The rules are here, pure; `store` keeps the orders.

pub mod store;

use crate::ids::{CaseId, OrderId, PersonId};
use crate::values::{FieldErrors, Timestamp, parse_time};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

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

/// Whether an order has effect at `now`.
pub fn in_effect(status: OrderStatus, terms: &Terms, now: OffsetDateTime) -> bool {
    let before = |end: &Option<String>| {
        end.as_deref()
            .and_then(parse_time)
            .is_none_or(|end| now < end)
    };
    match status {
        OrderStatus::Interim => before(&terms.interim_expires_at),
        OrderStatus::InForce => before(&terms.ends_at),
        _ => false,
    }
}

/// The subject's notification, for an SPO that has been served.
pub fn notification(kind: OrderKind, terms: &Terms, now: OffsetDateTime) -> Option<Notification> {
    if kind != OrderKind::StalkingProtectionOrder {
        return None;
    }
    let due_at = terms.notification_due_at.clone()?;
    let overdue = terms.notified_at.is_none() && parse_time(&due_at).is_some_and(|due| now > due);
    Some(Notification {
        due_at,
        notified_at: terms.notified_at.clone(),
        overdue,
    })
}

/// The offence a breach of this kind of order is, if it is one.
pub fn breach_offence(kind: OrderKind) -> Option<&'static str> {
    match kind {
        OrderKind::StalkingProtectionOrder => {
            Some("Breach of a stalking protection order (Stalking Protection Act 2019 s.8)")
        }
        OrderKind::RestrainingOrder => {
            Some("Breach of a restraining order (Protection from Harassment Act 1997 s.5(5))")
        }
        // Not an offence in itself: a power of arrest (Bail Act 1976 s.7(3)).
        OrderKind::BailConditions => None,
    }
}

fn text(errors: &mut FieldErrors, pointer: &str, value: &str, what: &str, max: usize) {
    crate::values::text(errors, pointer, value, what, max);
}

fn required(errors: &mut FieldErrors, pointer: &str, value: &Option<String>, what: &str) {
    match value {
        Some(v) => text(errors, pointer, v, what, MAX_TEXT),
        None => errors.push((pointer.into(), format!("Enter {what}."))),
    }
}

fn terms(errors: &mut FieldErrors, base: &str, prohibitions: &[String], requirements: &[String]) {
    if prohibitions.is_empty() && requirements.is_empty() {
        errors.push((
            format!("{base}/prohibitions"),
            "Give at least one prohibition or requirement.".into(),
        ));
    }
    for (name, list) in [
        ("prohibitions", prohibitions),
        ("requirements", requirements),
    ] {
        if list.len() > MAX_TERMS {
            errors.push((
                format!("{base}/{name}"),
                format!("Give at most {MAX_TERMS} {name}."),
            ));
        }
        for (i, term) in list.iter().enumerate() {
            text(
                errors,
                &format!("{base}/{name}/{i}"),
                term,
                "the term",
                MAX_TERM,
            );
        }
    }
}

/// A time that must parse and not be in the future (five minutes' clock skew).
fn past_time(
    errors: &mut FieldErrors,
    pointer: &str,
    value: &str,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match parse_time(value) {
        None => {
            errors.push((
                pointer.into(),
                "Enter an RFC 3339 time, e.g. 2026-11-28T10:00:00Z.".into(),
            ));
            None
        }
        Some(at) if at > now + Duration::minutes(5) => {
            errors.push((pointer.into(), "This cannot be in the future.".into()));
            None
        }
        Some(at) => Some(at),
    }
}

/// An end that must parse and come after `start`.
fn end_after(errors: &mut FieldErrors, pointer: &str, end: &str, start: Option<OffsetDateTime>) {
    match (parse_time(end), start) {
        (None, _) => errors.push((pointer.into(), "Enter an RFC 3339 time.".into())),
        (Some(end), Some(start)) if end <= start => {
            errors.push((pointer.into(), "The end must come after the start.".into()))
        }
        _ => {}
    }
}

/// Field errors for a new order (the suspect's position is checked against the case by the caller).
pub fn validate_new(new: &NewOrder, now: OffsetDateTime) -> FieldErrors {
    let mut errors = Vec::new();
    let spo = new.kind == OrderKind::StalkingProtectionOrder;
    match (&new.grounds, spo) {
        (Some(g), true) => {
            text(
                &mut errors,
                "/grounds/acts",
                &g.acts,
                "the acts associated with stalking",
                MAX_TEXT,
            );
            text(
                &mut errors,
                "/grounds/risk",
                &g.risk,
                "the risk the subject poses",
                MAX_TEXT,
            );
            text(
                &mut errors,
                "/grounds/necessity",
                &g.necessity,
                "why the order is necessary",
                MAX_TEXT,
            );
        }
        (None, true) => errors.push((
            "/grounds".into(),
            "An SPO application needs the three conditions of s.1(1), each with its evidence."
                .into(),
        )),
        (Some(_), false) => errors.push((
            "/grounds".into(),
            "Only an SPO application has grounds.".into(),
        )),
        (None, false) => {}
    }
    if new.stalking_by_proxy && !spo {
        errors.push((
            "/stalking_by_proxy".into(),
            "Stalking by proxy is for an SPO.".into(),
        ));
    }
    match (&new.protected_person, new.stalking_by_proxy) {
        (None, true) => errors.push((
            "/protected_person".into(),
            "Say who the order protects when it is stalking by proxy.".into(),
        )),
        (Some(p), true) => text(
            &mut errors,
            "/protected_person",
            p,
            "who the order protects",
            MAX_TEXT,
        ),
        (Some(_), false) => errors.push((
            "/protected_person".into(),
            "A protected person other than the victim is for stalking by proxy.".into(),
        )),
        (None, false) => {}
    }
    if new.kind != OrderKind::BailConditions {
        required(
            &mut errors,
            "/victim_views",
            &new.victim_views,
            "the victim's views on the order",
        );
    } else if let Some(views) = &new.victim_views {
        text(
            &mut errors,
            "/victim_views",
            views,
            "the victim's views",
            MAX_TEXT,
        );
    }
    terms(&mut errors, "", &new.prohibitions, &new.requirements);
    match (&new.made, spo) {
        (Some(_), true) => errors.push((
            "/made".into(),
            "An SPO starts as the force's application: record the court's decision as an event."
                .into(),
        )),
        (None, false) => errors.push((
            "/made".into(),
            "Give when and by whom the order was made.".into(),
        )),
        (Some(made), false) => {
            text(&mut errors, "/made/court", &made.court, "the court", 200);
            let at = past_time(&mut errors, "/made/made_at", &made.made_at, now);
            if let Some(end) = &made.ends_at {
                end_after(&mut errors, "/made/ends_at", end, at);
            }
        }
        (None, true) => {}
    }
    errors
}

/// Why an event was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Invalid(FieldErrors),
    /// Not allowed where the order stands (409), in words.
    Conflict(String),
}

fn conflict(event: &OrderEvent, kind: OrderKind, status: OrderStatus) -> Refusal {
    Refusal::Conflict(format!(
        "A {kind} that is {status} cannot be {}.",
        match event.name() {
            "interim-made" => "given an interim order",
            "made" => "made",
            "refused" => "refused",
            "served" => "served",
            "notified" => "notified",
            "varied" => "varied",
            "renewed" => "renewed",
            _ => "discharged",
        }
    ))
}

fn invalid(errors: FieldErrors) -> Result<(), Refusal> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Invalid(errors))
    }
}

/// Applies an event to an order's status and terms, or says why it cannot be.
pub fn apply(
    kind: OrderKind,
    status: &mut OrderStatus,
    t: &mut Terms,
    event: &OrderEvent,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    use OrderStatus::*;
    let spo = kind == OrderKind::StalkingProtectionOrder;
    let mut errors = Vec::new();
    let allowed = match event {
        OrderEvent::InterimMade { .. } | OrderEvent::Made { .. } | OrderEvent::Refused { .. } => {
            spo && matches!(status, Applied | Interim)
        }
        OrderEvent::Served { .. } | OrderEvent::Varied { .. } | OrderEvent::Discharged { .. } => {
            matches!(status, Interim | InForce)
        }
        OrderEvent::Notified { .. } => {
            spo && matches!(status, Interim | InForce) && t.served_at.is_some()
        }
        OrderEvent::Renewed { .. } => matches!(status, Interim | InForce),
    };
    if !allowed {
        return Err(conflict(event, kind, *status));
    }
    match event {
        OrderEvent::InterimMade {
            court,
            made_at,
            expires_at,
        } => {
            text(&mut errors, "/court", court, "the court", 200);
            let at = past_time(&mut errors, "/made_at", made_at, now);
            end_after(&mut errors, "/expires_at", expires_at, at);
            invalid(errors)?;
            *status = Interim;
            t.court = Some(court.trim().into());
            t.made_at = Some(made_at.clone());
            t.interim_expires_at = Some(expires_at.clone());
        }
        OrderEvent::Made {
            court,
            made_at,
            ends_at,
            prohibitions,
            requirements,
        } => {
            text(&mut errors, "/court", court, "the court", 200);
            let at = past_time(&mut errors, "/made_at", made_at, now);
            if let (Some(end), Some(at)) = (ends_at, at) {
                match parse_time(end) {
                    Some(end) if end < at + Duration::days(365 * MINIMUM_YEARS) => errors.push((
                        "/ends_at".into(),
                        format!(
                            "An SPO lasts at least {MINIMUM_YEARS} years (s.3), or until further order (null)."
                        ),
                    )),
                    None => errors.push(("/ends_at".into(), "Enter an RFC 3339 time.".into())),
                    _ => {}
                }
            }
            let p = prohibitions
                .clone()
                .unwrap_or_else(|| t.prohibitions.clone());
            let r = requirements
                .clone()
                .unwrap_or_else(|| t.requirements.clone());
            terms(&mut errors, "", &p, &r);
            invalid(errors)?;
            // The interim order ends, at the latest, when the application is decided (s.5).
            if *status == Interim {
                t.interim_expires_at = Some(made_at.clone());
            }
            *status = InForce;
            t.court = Some(court.trim().into());
            t.made_at = Some(made_at.clone());
            t.ends_at = ends_at.clone();
            t.prohibitions = p;
            t.requirements = r;
        }
        OrderEvent::Refused { decided_at, reason } => {
            past_time(&mut errors, "/decided_at", decided_at, now);
            text(
                &mut errors,
                "/reason",
                reason,
                "the court's reasons",
                MAX_TEXT,
            );
            invalid(errors)?;
            if *status == Interim {
                t.interim_expires_at = Some(decided_at.clone());
            }
            *status = Refused;
            t.refusal_reason = Some(reason.trim().into());
        }
        OrderEvent::Served { served_at } => {
            let at = past_time(&mut errors, "/served_at", served_at, now);
            invalid(errors)?;
            t.served_at = Some(served_at.clone());
            if spo && let Some(at) = at {
                t.notification_due_at = Some(crate::values::timestamp(
                    at + Duration::days(NOTIFICATION_DAYS),
                ));
                t.notified_at = None;
            }
        }
        OrderEvent::Notified {
            notified_at,
            change,
        } => {
            past_time(&mut errors, "/notified_at", notified_at, now);
            invalid(errors)?;
            if !change {
                t.notified_at = Some(notified_at.clone());
            }
        }
        OrderEvent::Varied {
            at,
            reason,
            prohibitions,
            requirements,
        } => {
            past_time(&mut errors, "/at", at, now);
            text(&mut errors, "/reason", reason, "the reason", MAX_TEXT);
            terms(&mut errors, "", prohibitions, requirements);
            invalid(errors)?;
            t.prohibitions = prohibitions.clone();
            t.requirements = requirements.clone();
        }
        OrderEvent::Renewed {
            at,
            reason,
            ends_at,
        } => {
            past_time(&mut errors, "/at", at, now);
            text(&mut errors, "/reason", reason, "the reason", MAX_TEXT);
            let current = if *status == Interim {
                &t.interim_expires_at
            } else {
                &t.ends_at
            };
            match (ends_at, current.as_deref().and_then(parse_time)) {
                (None, _) if *status == Interim => errors.push((
                    "/ends_at".into(),
                    "An interim order is for a fixed period: give its new end.".into(),
                )),
                (Some(end), current) => end_after(&mut errors, "/ends_at", end, current),
                (None, _) => {}
            }
            invalid(errors)?;
            if *status == Interim {
                t.interim_expires_at = ends_at.clone();
            } else {
                t.ends_at = ends_at.clone();
            }
        }
        OrderEvent::Discharged { at, reason } => {
            past_time(&mut errors, "/at", at, now);
            text(&mut errors, "/reason", reason, "the reason", MAX_TEXT);
            invalid(errors)?;
            *status = Discharged;
        }
    }
    Ok(())
}

/// The terms of a new order, as first stored.
pub fn initial(new: &NewOrder) -> (OrderStatus, Terms) {
    let trimmed = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_string());
    let status = match new.kind {
        OrderKind::StalkingProtectionOrder => OrderStatus::Applied,
        _ => OrderStatus::InForce,
    };
    let made = new.made.as_ref();
    (
        status,
        Terms {
            grounds: new.grounds.clone(),
            stalking_by_proxy: new.stalking_by_proxy,
            protected_person: trimmed(&new.protected_person),
            victim_views: trimmed(&new.victim_views),
            prohibitions: new.prohibitions.iter().map(|p| p.trim().into()).collect(),
            requirements: new.requirements.iter().map(|r| r.trim().into()).collect(),
            court: made.map(|m| m.court.trim().into()),
            made_at: made.map(|m| m.made_at.clone()),
            ends_at: made.and_then(|m| m.ends_at.clone()),
            interim_expires_at: None,
            served_at: None,
            notification_due_at: None,
            notified_at: None,
            refusal_reason: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        parse_time("2026-11-30T12:00:00Z").unwrap()
    }

    fn spo() -> NewOrder {
        NewOrder {
            kind: OrderKind::StalkingProtectionOrder,
            suspect: 0,
            grounds: Some(Grounds {
                acts: "Followed her daily for six weeks (statements, CCTV).".into(),
                risk: "Escalating: turned up at her new address.".into(),
                necessity: "Warnings and bail conditions have not stopped him.".into(),
            }),
            stalking_by_proxy: false,
            protected_person: None,
            victim_views: Some("Wants the order; fears contact through friends.".into()),
            prohibitions: vec!["No contact by any means".into()],
            requirements: vec!["Attend a perpetrator programme".into()],
            made: None,
        }
    }

    #[test]
    fn an_spo_application_needs_its_three_conditions_and_the_victims_views() {
        assert!(validate_new(&spo(), now()).is_empty());
        let mut bad = spo();
        bad.grounds = None;
        bad.victim_views = None;
        bad.prohibitions.clear();
        bad.requirements.clear();
        let pointers: Vec<String> = validate_new(&bad, now()).into_iter().map(|e| e.0).collect();
        assert_eq!(pointers, ["/grounds", "/victim_views", "/prohibitions"]);
        let mut proxy = spo();
        proxy.stalking_by_proxy = true;
        assert_eq!(validate_new(&proxy, now())[0].0, "/protected_person");
    }

    #[test]
    fn an_spo_goes_from_application_to_interim_to_full_for_at_least_two_years() {
        let (mut status, mut t) = initial(&spo());
        assert_eq!(status, OrderStatus::Applied);
        let interim = OrderEvent::InterimMade {
            court: "Cambridge Magistrates".into(),
            made_at: "2026-11-01T10:00:00Z".into(),
            expires_at: "2026-12-01T10:00:00Z".into(),
        };
        apply(
            OrderKind::StalkingProtectionOrder,
            &mut status,
            &mut t,
            &interim,
            now(),
        )
        .unwrap();
        assert!(in_effect(status, &t, now()));
        let short = OrderEvent::Made {
            court: "Cambridge Magistrates".into(),
            made_at: "2026-11-20T10:00:00Z".into(),
            ends_at: Some("2027-11-20T10:00:00Z".into()),
            prohibitions: None,
            requirements: None,
        };
        let refused = apply(
            OrderKind::StalkingProtectionOrder,
            &mut status,
            &mut t,
            &short,
            now(),
        );
        assert!(matches!(refused, Err(Refusal::Invalid(e)) if e[0].0 == "/ends_at"));
        let made = OrderEvent::Made {
            court: "Cambridge Magistrates".into(),
            made_at: "2026-11-20T10:00:00Z".into(),
            ends_at: None,
            prohibitions: None,
            requirements: None,
        };
        apply(
            OrderKind::StalkingProtectionOrder,
            &mut status,
            &mut t,
            &made,
            now(),
        )
        .unwrap();
        assert_eq!(status, OrderStatus::InForce);
        assert_eq!(
            t.interim_expires_at.as_deref(),
            Some("2026-11-20T10:00:00Z"),
            "s.5: the interim ends"
        );
        assert!(matches!(
            apply(
                OrderKind::StalkingProtectionOrder,
                &mut status,
                &mut t,
                &made,
                now()
            ),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn notification_is_due_three_days_after_service_and_overdue_until_given() {
        let (mut status, mut t) = initial(&spo());
        let kind = OrderKind::StalkingProtectionOrder;
        let notified = OrderEvent::Notified {
            notified_at: "2026-11-25T10:00:00Z".into(),
            change: false,
        };
        assert!(matches!(
            apply(kind, &mut status, &mut t, &notified, now()),
            Err(Refusal::Conflict(_))
        ));
        status = OrderStatus::InForce;
        let served = OrderEvent::Served {
            served_at: "2026-11-24T09:00:00Z".into(),
        };
        apply(kind, &mut status, &mut t, &served, now()).unwrap();
        let due = notification(kind, &t, now()).unwrap();
        assert_eq!(due.due_at, "2026-11-27T09:00:00.000000Z");
        assert!(due.overdue);
        apply(kind, &mut status, &mut t, &notified, now()).unwrap();
        assert!(!notification(kind, &t, now()).unwrap().overdue);
        assert_eq!(notification(OrderKind::RestrainingOrder, &t, now()), None);
    }
}
