//! Reads what is due: for one case (each capability's own rules, gathered), and what is overdue
//! across the force (each capability's overdue list, at most `limit` of each kind, by index).

use super::{Action, Area, Concerns, sort};
use crate::care::{self, UpdatePolicy};
use crate::cases::case::Case;
use crate::cases::decision::CaseStatus;
use crate::ids::CaseId;
use crate::orders::store::{self as orders, Filter};
use crate::orders::{Order, OrderKind, OrderStatus};
use crate::risk::store::assessments;
use crate::sql::{Sql, SqlError};
use crate::values::Timestamp;
use time::OffsetDateTime;

/// The most orders on one case the list looks at.
const ORDERS_PER_CASE: i64 = 100;

fn decision_due(case_id: CaseId, due_at: Timestamp, now: OffsetDateTime) -> Action {
    Action {
        record: Some(Concerns {
            kind: "case",
            id: case_id.to_string(),
        }),
        case_id,
        area: Area::Intake,
        code: "crime-decision-due",
        text: "Record the crime decision: within 24 hours of the report (NCRS).".into(),
        overdue: now > due_at.time(),
        due_at: Some(due_at),
    }
}

fn risk_action(case_id: &CaseId, a: assessments::Action) -> Action {
    let kind = match a.code {
        "referral-due" | "referral-awaiting-acknowledgement" => Some("referral"),
        "review-due" | "supervisor-review-due" => Some("risk-assessment"),
        _ => None,
    };
    Action {
        case_id: case_id.clone(),
        area: Area::Risk,
        code: a.code,
        text: a.text,
        record: kind.zip(a.record).map(|(kind, id)| Concerns { kind, id }),
        due_at: a.due_at,
        overdue: a.overdue,
    }
}

fn order_record(order: &Order) -> Option<Concerns> {
    Some(Concerns {
        kind: "order",
        id: order.id.to_string(),
    })
}

fn order_actions(order: &Order) -> Vec<Action> {
    let mut actions = Vec::new();
    if let Some(n) = order
        .notification
        .as_ref()
        .filter(|n| n.notified_at.is_none())
    {
        actions.push(Action {
            case_id: order.case_id.clone(),
            area: Area::Orders,
            code: "notification-due",
            text: "The order's subject must notify their name and home address within 3 days of service (SPA 2019 s.9): record it when received, or act on the failure.".into(),
            record: order_record(order),
            due_at: Timestamp::parse(&n.due_at),
            overdue: n.overdue,
        });
    }
    let made = matches!(order.status, OrderStatus::Interim | OrderStatus::InForce);
    if order.kind == OrderKind::StalkingProtectionOrder && made && order.terms.served_at.is_none() {
        actions.push(Action {
            case_id: order.case_id.clone(),
            area: Area::Orders,
            code: "serve-order",
            text: "Serve the order on its subject: the 3 days for notification start then.".into(),
            record: order_record(order),
            due_at: None,
            overdue: false,
        });
    }
    actions
}

fn update_action(update: care::Update) -> Action {
    Action {
        case_id: update.case_id,
        area: Area::Victim,
        code: "victim-update-due",
        text: format!("Tell the victim that {}.", update.description),
        record: Some(Concerns {
            kind: "victim-update",
            id: update.id,
        }),
        due_at: Some(update.due_at),
        overdue: update.overdue,
    }
}

/// Everything due on a case, the overdue first.
pub fn for_case(
    db: &impl Sql,
    case: &Case,
    policy: UpdatePolicy,
    now: OffsetDateTime,
) -> Result<Vec<Action>, SqlError> {
    let now_text = Timestamp::from_time(now);
    let mut actions = Vec::new();
    if case.status == CaseStatus::AwaitingDecision {
        actions.push(decision_due(
            case.id.clone(),
            case.decision_due_at.clone(),
            now,
        ));
    }
    let care = care::store::get(db, &case.id, policy, now)?;
    let risk = assessments::case_risk(db, case, now_text.as_str())?;
    actions.extend(
        risk.actions
            .into_iter()
            // A safety plan agreed with the victim is recorded with the contact.
            .filter(|a| !(a.code == "safety-plan" && care.safety_plan_agreed_at.is_some()))
            .map(|a| risk_action(&case.id, a)),
    );
    let filter = Filter {
        case: Some(case.id.clone()),
        notification_overdue: false,
    };
    for order in orders::list(db, &filter, None, ORDERS_PER_CASE, now)? {
        actions.extend(order_actions(&order));
    }
    if care.preferences.is_none() {
        actions.push(Action {
            case_id: case.id.clone(),
            area: Area::Victim,
            code: "victim-preferences",
            text: "Record how the victim wants to be contacted, and contact details that are safe to use.".into(),
            record: None,
            due_at: None,
            overdue: false,
        });
    }
    if case.status == CaseStatus::Recorded && care.personal_statement.is_none() {
        actions.push(Action {
            case_id: case.id.clone(),
            area: Area::Victim,
            code: "offer-personal-statement",
            text: "Offer the victim the chance to make a victim personal statement.".into(),
            record: None,
            due_at: None,
            overdue: false,
        });
    }
    actions.extend(
        care.updates
            .into_iter()
            .filter(|u| u.given_at.is_none())
            .map(update_action),
    );
    sort(&mut actions);
    Ok(actions)
}

/// What is overdue across the force: at most `limit` of each kind (crime decisions, risk reviews,
/// supervisors' reviews and referrals, subjects' notifications, victims' updates), each kind read by
/// its own index, the overdue longest first.
pub fn overdue(
    db: &impl Sql,
    policy: UpdatePolicy,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Action>, SqlError> {
    let now_text = Timestamp::from_time(now);
    let mut actions = Vec::new();
    for row in db
        .query(
            "SELECT id, decision_due_at FROM cases
             WHERE status = 'awaiting-decision' AND decision_due_at < ?1
             ORDER BY decision_due_at, id LIMIT ?2",
            &[now_text.as_str().into(), limit.into()],
        )?
        .iter()
    {
        actions.push(decision_due(
            row.parse("id")?,
            row.parse("decision_due_at")?,
            now,
        ));
    }
    let risk = assessments::overdue(db, now_text.as_str(), limit)?;
    let kinds = [
        ("review-due", "risk-assessment", risk.assessments),
        ("supervisor-review-due", "risk-assessment", risk.reviews),
        ("referral-due", "referral", risk.referrals),
    ];
    for (code, kind, items) in kinds {
        actions.extend(items.into_iter().map(|item| {
            Action {
                case_id: item.case_id,
                area: Area::Risk,
                code,
                text: std::iter::once(format!("{}.", crate::problem::capitalise(&item.what)))
                    .chain(item.reasons)
                    .collect::<Vec<_>>()
                    .join(" "),
                record: Some(Concerns { kind, id: item.id }),
                due_at: Some(item.due_at),
                overdue: true,
            }
        }));
    }
    let filter = Filter {
        case: None,
        notification_overdue: true,
    };
    for order in orders::list(db, &filter, None, limit, now)? {
        actions.extend(order_actions(&order).into_iter().filter(|a| a.overdue));
    }
    actions.extend(
        care::store::overdue(db, policy, now, limit)?
            .into_iter()
            .map(update_action),
    );
    sort(&mut actions);
    Ok(actions)
}
