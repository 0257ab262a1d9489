//! The compliance rules, each by name: what the record shows and what it breaks, as of a day.

use super::*;
use std::cell::Cell;
use time::{Date, OffsetDateTime};

/// What the case says, for the s.2B rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    /// A s.2A (or s.4A) stalking offence is indicated or recorded.
    pub stalking_suspected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleOutcome {
    Met,
    Breached,
    /// Not yet due: the stage it concerns has not happened and its time has not run out.
    Pending,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    pub rule: &'static str,
    pub title: &'static str,
    pub outcome: RuleOutcome,
    pub detail: String,
}

/// Where the search stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Applied,
    Refused,
    Granted,
    /// Granted, not executed, and past its three months.
    Expired,
    Executed,
    /// Returned to court (warrants) or entered in the register (other powers): nothing left to do.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Compliant,
    /// Nothing broken yet; something is still to be done in time.
    InProgress,
    NonCompliant,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::InProgress => "in-progress",
            Status::NonCompliant => "non-compliant",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Compliant, Status::InProgress, Status::NonCompliant]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub stage: Stage,
    pub status: Status,
    /// The last day the warrant may be executed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warrant_expires_on: Option<String>,
    /// When the warrant must be back at court.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_due_on: Option<String>,
    pub rules: Vec<RuleResult>,
}

impl Compliance {
    pub fn breaches(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules
            .iter()
            .filter(|r| r.outcome == RuleOutcome::Breached)
    }

    pub fn returned_late(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.rule == "returned-in-time" && r.outcome == RuleOutcome::Breached)
    }
}

/// The date part of a timestamp.
fn day(value: &str) -> Option<Date> {
    parse_time(value).map(|t| t.date())
}

/// Every compliance rule, by name, with what it found. A rule's detail is built from dates, counts and
/// fixed words only, never from what the record says in words (descriptions, grounds, reasons, names,
/// addresses): the compliance report shows breaches' details to analysts. `return_days`: the force's limit for endorsing
/// and returning a warrant after execution (or expiry).
pub fn compliance(
    record: &SearchRecord,
    facts: CaseFacts,
    return_days: i64,
    now: OffsetDateTime,
) -> Compliance {
    compliance_until(record, facts, return_days, now).0
}

/// [`compliance`], and the first day from which it may read differently as days pass (the record, the
/// case facts and the return limit staying the same); `None` if it never will. Every comparison with
/// today goes through `past`, which notes the day it would turn, so no rule can depend on the day
/// without saying so: that is what lets the status be stored for lists (`store`).
pub fn compliance_until(
    record: &SearchRecord,
    facts: CaseFacts,
    return_days: i64,
    now: OffsetDateTime,
) -> (Compliance, Option<Date>) {
    use RuleOutcome::*;
    let today = now.date();
    let turns: Cell<Option<Date>> = Cell::new(None);
    // Whether `day` is past. Once past it stays past; until then, it will be from the next day.
    let past = |day: Date| {
        if today > day {
            return true;
        }
        if let Some(next) = day.next_day() {
            turns.set(Some(turns.get().map_or(next, |t| t.min(next))));
        }
        false
    };
    let granted = record.decision.as_ref().map(|d| d.outcome) == Some(Outcome::Granted);
    let issued = record
        .warrant
        .as_ref()
        .and_then(|w| parse_date(&w.issued_on));
    let expires = issued.map(expiry);
    let executed = record.execution.as_ref().and_then(|x| day(&x.started_at));
    let mut rules = Vec::new();
    let mut rule = |rule, title, outcome, detail: String| {
        rules.push(RuleResult {
            rule,
            title,
            outcome,
            detail,
        })
    };

    // 1. Every mandatory field for the power, as far as the search has gone.
    let missing = missing_fields(record);
    rule(
        "mandatory-fields",
        "Every field the power requires is recorded",
        if missing.is_empty() { Met } else { Breached },
        if missing.is_empty() {
            "All present.".into()
        } else {
            format!("Missing: {}.", missing.join(", "))
        },
    );

    // 2. The application authorised by an inspector or above (Code B 3.4).
    if record.power.is_warrant() {
        let rank = record
            .application
            .as_ref()
            .and_then(|a| a.authorised_by.as_ref())
            .map(|o| o.rank);
        rule(
            "authorised-by-inspector",
            "The warrant application was authorised by an inspector or above",
            match rank {
                Some(r) if r >= Rank::Inspector => Met,
                Some(_) => Breached,
                None if record.application.is_none() => Pending,
                None => Breached,
            },
            match rank {
                Some(r) if r >= Rank::Inspector => "Authorised at inspector rank or above.".into(),
                Some(_) => "Authorised below inspector rank.".into(),
                None => "No authorising officer is recorded.".into(),
            },
        );
    } else {
        rule(
            "authorised-by-inspector",
            "The warrant application was authorised by an inspector or above",
            NotApplicable,
            "No warrant.".into(),
        );
    }

    // 3. Executed within the warrant's life: not before issue, not after three months.
    if record.power.is_warrant() {
        let (outcome, detail) = match (executed, issued, granted) {
            (Some(_), _, false) => (Breached, "Executed without a granted warrant.".to_string()),
            (Some(_), None, true) => (
                Breached,
                "Executed, but the warrant's date of issue is not recorded.".into(),
            ),
            (Some(on), Some(issued), true) if on < issued => (
                Breached,
                format!("Executed on {on}, before the warrant was issued on {issued}."),
            ),
            (Some(on), Some(_), true) if Some(on) > expires => (
                Breached,
                format!(
                    "Executed on {on}, after the warrant expired on {}.",
                    expires.expect("issued")
                ),
            ),
            (Some(on), Some(_), true) => (
                Met,
                format!(
                    "Executed on {on}, within the warrant's life (to {}).",
                    expires.expect("issued")
                ),
            ),
            (None, Some(_), true) if past(expires.expect("issued")) => (
                Met,
                format!(
                    "Not executed; the warrant expired on {} and must be returned.",
                    expires.expect("issued")
                ),
            ),
            (None, _, true) => (Pending, "Granted, not yet executed.".into()),
            (None, _, false) => (NotApplicable, "No warrant granted.".into()),
        };
        rule(
            "executed-within-validity",
            "Executed after issue and within three months",
            outcome,
            detail,
        );
    } else {
        rule(
            "executed-within-validity",
            "Executed after issue and within three months",
            NotApplicable,
            "No warrant.".into(),
        );
    }

    // 4. A s.2B warrant only where a s.2A stalking offence is suspected.
    rule(
        "s2b-needs-stalking",
        "A s.2B warrant only where a s.2A stalking offence is suspected",
        match (record.power, facts.stalking_suspected) {
            (Power::PhaS2bWarrant, true) => Met,
            (Power::PhaS2bWarrant, false) => Breached,
            _ => NotApplicable,
        },
        match (record.power, facts.stalking_suspected) {
            (Power::PhaS2bWarrant, true) => "The case indicates or records stalking.".into(),
            (Power::PhaS2bWarrant, false) => {
                "The linked case neither indicates nor records stalking (s.2A or s.4A).".into()
            }
            _ => "Not a s.2B warrant.".into(),
        },
    );

    // 5. Endorsed and returned to court within the force's limit after execution (or expiry).
    let return_due = if record.power.is_warrant() && granted {
        match (executed, expires) {
            (Some(on), _) => Some(on + time::Duration::days(return_days)),
            (None, Some(expires)) if past(expires) => {
                Some(expires + time::Duration::days(return_days))
            }
            _ => None,
        }
    } else {
        None
    };
    match return_due {
        None => rule(
            "returned-in-time",
            "Endorsed and returned to court in time",
            if record.power.is_warrant() && granted {
                Pending
            } else {
                NotApplicable
            },
            if record.power.is_warrant() && granted {
                "Not yet due.".into()
            } else {
                "No warrant to return.".into()
            },
        ),
        Some(due) => {
            let endorsed = record
                .endorsement
                .as_ref()
                .and_then(|x| day(&x.endorsed_at));
            let returned = record
                .returned_to_court
                .as_ref()
                .and_then(|r| day(&r.returned_at));
            let (outcome, detail) = match returned {
                Some(on) if on > due => (
                    Breached,
                    format!("Returned on {on}, after {due} ({return_days} days)."),
                ),
                Some(on) if executed.is_some() && endorsed.is_none() => (
                    Breached,
                    format!("Returned on {on} without an endorsement."),
                ),
                Some(on) => (Met, format!("Returned on {on}, by {due}.")),
                None if past(due) => (
                    Breached,
                    format!("Not returned; it was due by {due} ({return_days} days)."),
                ),
                None => (Pending, format!("Due back at court by {due}.")),
            };
            rule(
                "returned-in-time",
                "Endorsed and returned to court in time",
                outcome,
                detail,
            );
        }
    }

    // 6. Seizures outside the warrant (or power) have grounds; 7. force used has a reason.
    let execution = record.execution.as_ref();
    let ungrounded: Vec<String> = execution
        .map(|x| {
            x.seized
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.within_authority && blank(&s.grounds))
                .map(|(i, _)| (i + 1).to_string())
                .collect()
        })
        .unwrap_or_default();
    rule(
        "seizure-grounds",
        "Anything seized outside the warrant or power has grounds",
        match execution {
            None => NotApplicable,
            Some(_) if ungrounded.is_empty() => Met,
            Some(_) => Breached,
        },
        if ungrounded.is_empty() {
            "No seizure without grounds.".into()
        } else {
            format!(
                "No grounds for seized item{} {} (numbered as recorded).",
                if ungrounded.len() == 1 { "" } else { "s" },
                ungrounded.join(", ")
            )
        },
    );
    let force_unexplained = execution.is_some_and(|x| x.force_used && blank(&x.force_reason));
    rule(
        "force-reason",
        "Force used has a reason",
        match execution {
            None => NotApplicable,
            Some(_) if force_unexplained => Breached,
            Some(_) => Met,
        },
        if force_unexplained {
            "Force was used and no reason is recorded.".into()
        } else if execution.is_some_and(|x| x.force_used) {
            "Force was used; the reason is recorded.".into()
        } else {
            "No force was used.".into()
        },
    );

    // 8. The Notice of Powers and Rights: given, or why not, or where left.
    let notice = execution.map(|x| (x.occupier_present, x.notice.as_ref()));
    let (outcome, detail) = match notice {
        None => (NotApplicable, "Not executed.".to_string()),
        Some((_, None)) => (
            Breached,
            "Nothing is recorded about the Notice of Powers and Rights.".into(),
        ),
        Some((_, Some(n))) if n.given => (Met, "Given to the occupier.".into()),
        Some((false, Some(n))) if !blank(&n.left_at) => (
            Met,
            "The occupier was absent; the Notice was left on the premises.".into(),
        ),
        Some((_, Some(n))) if !blank(&n.not_given_reason) => {
            (Met, "Not given, with the reason recorded.".into())
        }
        Some(_) => (
            Breached,
            "Not given, and neither why nor where it was left is recorded.".into(),
        ),
    };
    rule(
        "notice-of-rights",
        "The Notice of Powers and Rights was given, or why not, or where left",
        outcome,
        detail,
    );

    // 9. Entered in the search register (Code B 9.1) once executed.
    rule(
        "search-register",
        "Entered in the search register",
        match (execution, &record.register) {
            (None, _) => NotApplicable,
            (Some(_), Some(_)) => Met,
            (Some(_), None) => Breached,
        },
        match &record.register {
            Some(_) => "The register entry is recorded.".into(),
            None => "No register entry is recorded.".into(),
        },
    );

    let stage = match (
        record.power.is_warrant(),
        &record.decision,
        executed,
        &record.returned_to_court,
    ) {
        (true, _, _, Some(_)) => Stage::Closed,
        (false, _, Some(_), _) if record.register.is_some() => Stage::Closed,
        (_, _, Some(_), _) => Stage::Executed,
        (true, Some(d), None, _) if d.outcome == Outcome::Refused => Stage::Refused,
        (true, Some(_), None, _) if expires.is_some_and(past) => Stage::Expired,
        (true, Some(_), None, _) => Stage::Granted,
        _ => Stage::Applied,
    };
    let status = if rules.iter().any(|r| r.outcome == Breached) {
        Status::NonCompliant
    } else if rules.iter().any(|r| r.outcome == Pending)
        || (stage != Stage::Closed && stage != Stage::Refused)
    {
        Status::InProgress
    } else {
        Status::Compliant
    };
    let compliance = Compliance {
        stage,
        status,
        warrant_expires_on: expires.map(|d| d.to_string()),
        return_due_on: return_due.map(|d| d.to_string()),
        rules,
    };
    (compliance, turns.get())
}

fn blank(text: &Option<String>) -> bool {
    text.as_deref().is_none_or(|t| t.trim().is_empty())
}

/// The fields a power requires that the record lacks, as far as the search has gone.
fn missing_fields(r: &SearchRecord) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut need = |present: bool, name: &'static str| {
        if !present {
            missing.push(name);
        }
    };
    if r.power.is_warrant() {
        need(r.application.is_some(), "the application");
        if let Some(a) = &r.application {
            need(a.authorised_by.is_some(), "the authorising officer");
            need(
                a.authorised_at.is_some(),
                "when the application was authorised",
            );
            need(!a.articles_sought.is_empty(), "the articles sought");
        }
        let granted = r.decision.as_ref().map(|d| d.outcome) == Some(Outcome::Granted);
        if r.execution.is_some() || granted {
            need(r.decision.is_some(), "the court's decision");
            need(
                r.warrant.is_some(),
                "the warrant (reference and date of issue)",
            );
        }
        if r.execution.is_some() {
            need(r.endorsement.is_some(), "the endorsement of the warrant");
        }
    }
    match r.power {
        Power::PaceS17 | Power::PaceS18 | Power::PaceS32 => {
            need(r.authority.is_some(), "the grounds for using the power")
        }
        Power::Consent => {
            need(r.consent.is_some(), "the consent (who, when)");
            need(
                r.consent.as_ref().is_some_and(|c| c.in_writing),
                "consent in writing",
            );
        }
        _ => {}
    }
    if let Some(x) = &r.execution {
        need(x.ended_at.is_some(), "when the search ended (its duration)");
        if r.power.is_warrant() {
            need(
                x.sought_found.is_some(),
                "whether the articles sought were found",
            );
        }
        need(
            x.seized.iter().all(|s| !blank(&s.exhibit_reference)),
            "an exhibit reference for every item seized",
        );
        if x.occupier_present {
            need(
                !x.people_on_premises.is_empty(),
                "the people on the premises",
            );
        }
    } else if !r.power.is_warrant() {
        need(false, "the execution record");
    }
    missing
}
