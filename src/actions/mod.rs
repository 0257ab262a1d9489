//! Actions in one place (issue #15 point 4): what is due on a case across intake (the crime
//! decision), risk (assessments, screenings, reviews, referrals), orders (the subject's notification)
//! and victim care (the preferences, the updates owed) — each with the record it concerns, its due
//! time and whether it is overdue. The rules stay where they are (each capability's store says what
//! is due); this module only gathers them, in one shape. `store` reads them.

pub mod store;

use crate::ids::CaseId;
use crate::values::Timestamp;
use serde::Serialize;

crate::vocabulary! {
    /// Where an action comes from.
    pub enum Area {
        Intake,
        Risk,
        Orders,
        Victim,
    }
}

/// The record an action concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Concerns {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
}

/// One thing to do on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub case_id: CaseId,
    pub area: Area,
    pub code: &'static str,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Concerns>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    pub overdue: bool,
}

/// Overdue first, then by due time (those without one last), so the list reads as a worklist.
pub fn sort(actions: &mut [Action]) {
    actions.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| a.due_at.is_none().cmp(&b.due_at.is_none()))
            .then_with(|| a.due_at.cmp(&b.due_at))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(code: &'static str, due: Option<&str>, overdue: bool) -> Action {
        Action {
            case_id: CaseId::parse("c").unwrap(),
            area: Area::Intake,
            code,
            text: String::new(),
            record: None,
            due_at: due.and_then(Timestamp::parse),
            overdue,
        }
    }

    #[test]
    fn a_worklist_puts_the_overdue_first_then_the_soonest_due() {
        let mut list = vec![
            action("none", None, false),
            action("later", Some("2026-12-02T00:00:00Z"), false),
            action("sooner", Some("2026-12-01T00:00:00Z"), false),
            action("overdue", Some("2026-11-01T00:00:00Z"), true),
        ];
        sort(&mut list);
        let codes: Vec<&str> = list.iter().map(|a| a.code).collect();
        assert_eq!(codes, ["overdue", "sooner", "later", "none"]);
    }
}
