//! The rules of an order's life: what a new order needs, which events may follow where it stands and
//! what each changes, when it has effect, what notification is due, and what offence a breach is.

use super::{
    MAX_TERM, MAX_TERMS, MAX_TEXT, MINIMUM_YEARS, NOTIFICATION_DAYS, NewOrder, Notification,
    OrderEvent, OrderKind, OrderStatus, Terms,
};
use crate::values::{FieldErrors, parse_time};
use time::{Duration, OffsetDateTime};

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
    use crate::orders::Grounds;

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
