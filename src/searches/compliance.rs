//! The compliance rules, each by name: what the record shows and what it breaks, as of a day.

use super::*;
use RuleOutcome::*;
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
/// today goes through [`Review::past`], which notes the day it would turn, so no rule can depend on the
/// day without saying so: that is what lets the status be stored for lists (`store`).
pub fn compliance_until(
    record: &SearchRecord,
    facts: CaseFacts,
    return_days: i64,
    now: OffsetDateTime,
) -> (Compliance, Option<Date>) {
    let review = Review::new(record, facts, return_days, now.date());
    let return_due = review.return_due();
    let rules = vec![
        review.mandatory_fields(),
        review.authorised_by_inspector(),
        review.executed_within_validity(),
        review.s2b_needs_stalking(),
        review.returned_in_time(return_due),
        review.seizure_grounds(),
        review.force_reason(),
        review.notice_of_rights(),
        review.search_register(),
    ];
    let stage = review.stage();
    let status = if rules.iter().any(|r| r.outcome == RuleOutcome::Breached) {
        Status::NonCompliant
    } else if rules.iter().any(|r| r.outcome == RuleOutcome::Pending)
        || (stage != Stage::Closed && stage != Stage::Refused)
    {
        Status::InProgress
    } else {
        Status::Compliant
    };
    let compliance = Compliance {
        stage,
        status,
        warrant_expires_on: review.expires.map(|d| d.to_string()),
        return_due_on: return_due.map(|d| d.to_string()),
        rules,
    };
    (compliance, review.turns.get())
}

/// One record under review on one day: the dates every rule reads, derived once.
struct Review<'a> {
    record: &'a SearchRecord,
    facts: CaseFacts,
    return_days: i64,
    today: Date,
    /// The first day from which a comparison made so far would read differently.
    turns: Cell<Option<Date>>,
    granted: bool,
    issued: Option<Date>,
    expires: Option<Date>,
    executed: Option<Date>,
}

fn result(
    rule: &'static str,
    title: &'static str,
    outcome: RuleOutcome,
    detail: String,
) -> RuleResult {
    RuleResult {
        rule,
        title,
        outcome,
        detail,
    }
}

impl<'a> Review<'a> {
    fn new(
        record: &'a SearchRecord,
        facts: CaseFacts,
        return_days: i64,
        today: Date,
    ) -> Review<'a> {
        let issued = record
            .warrant
            .as_ref()
            .and_then(|w| parse_date(&w.issued_on));
        Review {
            record,
            facts,
            return_days,
            today,
            turns: Cell::new(None),
            granted: record.decision.as_ref().map(|d| d.outcome) == Some(Outcome::Granted),
            issued,
            expires: issued.map(expiry),
            executed: record.execution.as_ref().and_then(|x| day(&x.started_at)),
        }
    }

    /// Whether `day` is past. Once past it stays past; until then, it will be from the next day,
    /// which is noted in `turns`.
    fn past(&self, day: Date) -> bool {
        if self.today > day {
            return true;
        }
        if let Some(next) = day.next_day() {
            let turns = self.turns.get();
            self.turns.set(Some(turns.map_or(next, |t| t.min(next))));
        }
        false
    }

    fn is_warrant(&self) -> bool {
        self.record.power.is_warrant()
    }

    /// 1. Every mandatory field for the power, as far as the search has gone.
    fn mandatory_fields(&self) -> RuleResult {
        let missing = missing_fields(self.record);
        result(
            "mandatory-fields",
            "Every field the power requires is recorded",
            if missing.is_empty() { Met } else { Breached },
            if missing.is_empty() {
                "All present.".into()
            } else {
                format!("Missing: {}.", missing.join(", "))
            },
        )
    }

    /// 2. The application authorised by an inspector or above (Code B 3.4).
    fn authorised_by_inspector(&self) -> RuleResult {
        let (rule, title) = (
            "authorised-by-inspector",
            "The warrant application was authorised by an inspector or above",
        );
        if !self.is_warrant() {
            return result(rule, title, NotApplicable, "No warrant.".into());
        }
        let application = self.record.application.as_ref();
        let rank = application
            .and_then(|a| a.authorised_by.as_ref())
            .map(|o| o.rank);
        let (outcome, detail) = match rank {
            Some(r) if r >= Rank::Inspector => (Met, "Authorised at inspector rank or above."),
            Some(_) => (Breached, "Authorised below inspector rank."),
            None if application.is_none() => (Pending, "No authorising officer is recorded."),
            None => (Breached, "No authorising officer is recorded."),
        };
        result(rule, title, outcome, detail.into())
    }

    /// 3. Executed within the warrant's life: not before issue, not after three months.
    fn executed_within_validity(&self) -> RuleResult {
        let (rule, title) = (
            "executed-within-validity",
            "Executed after issue and within three months",
        );
        if !self.is_warrant() {
            return result(rule, title, NotApplicable, "No warrant.".into());
        }
        let (outcome, detail) = match (self.executed, self.issued.zip(self.expires), self.granted) {
            (Some(_), _, false) => (Breached, "Executed without a granted warrant.".to_string()),
            (Some(_), None, true) => (
                Breached,
                "Executed, but the warrant's date of issue is not recorded.".into(),
            ),
            (Some(on), Some((issued, _)), true) if on < issued => (
                Breached,
                format!("Executed on {on}, before the warrant was issued on {issued}."),
            ),
            (Some(on), Some((_, expires)), true) if on > expires => (
                Breached,
                format!("Executed on {on}, after the warrant expired on {expires}."),
            ),
            (Some(on), Some((_, expires)), true) => (
                Met,
                format!("Executed on {on}, within the warrant's life (to {expires})."),
            ),
            (None, Some((_, expires)), true) if self.past(expires) => (
                Met,
                format!("Not executed; the warrant expired on {expires} and must be returned."),
            ),
            (None, _, true) => (Pending, "Granted, not yet executed.".into()),
            (None, _, false) => (NotApplicable, "No warrant granted.".into()),
        };
        result(rule, title, outcome, detail)
    }

    /// 4. A s.2B warrant only where a s.2A stalking offence is suspected.
    fn s2b_needs_stalking(&self) -> RuleResult {
        let (outcome, detail) = match (self.record.power, self.facts.stalking_suspected) {
            (Power::PhaS2bWarrant, true) => (Met, "The case indicates or records stalking."),
            (Power::PhaS2bWarrant, false) => (
                Breached,
                "The linked case neither indicates nor records stalking (s.2A or s.4A).",
            ),
            _ => (NotApplicable, "Not a s.2B warrant."),
        };
        result(
            "s2b-needs-stalking",
            "A s.2B warrant only where a s.2A stalking offence is suspected",
            outcome,
            detail.into(),
        )
    }

    /// When a granted warrant must be back at court: the force's limit after execution, or after
    /// expiry once it has expired unexecuted.
    fn return_due(&self) -> Option<Date> {
        if !(self.is_warrant() && self.granted) {
            return None;
        }
        let days = time::Duration::days(self.return_days);
        match (self.executed, self.expires) {
            (Some(on), _) => Some(on + days),
            (None, Some(expires)) if self.past(expires) => Some(expires + days),
            _ => None,
        }
    }

    /// 5. Endorsed and returned to court within the force's limit after execution (or expiry).
    fn returned_in_time(&self, due: Option<Date>) -> RuleResult {
        let (rule, title) = ("returned-in-time", "Endorsed and returned to court in time");
        let Some(due) = due else {
            return if self.is_warrant() && self.granted {
                result(rule, title, Pending, "Not yet due.".into())
            } else {
                result(rule, title, NotApplicable, "No warrant to return.".into())
            };
        };
        let record = self.record;
        let endorsed = record
            .endorsement
            .as_ref()
            .and_then(|x| day(&x.endorsed_at));
        let returned = record
            .returned_to_court
            .as_ref()
            .and_then(|r| day(&r.returned_at));
        let return_days = self.return_days;
        let (outcome, detail) = match returned {
            Some(on) if on > due => (
                Breached,
                format!("Returned on {on}, after {due} ({return_days} days)."),
            ),
            Some(on) if self.executed.is_some() && endorsed.is_none() => (
                Breached,
                format!("Returned on {on} without an endorsement."),
            ),
            Some(on) => (Met, format!("Returned on {on}, by {due}.")),
            None if self.past(due) => (
                Breached,
                format!("Not returned; it was due by {due} ({return_days} days)."),
            ),
            None => (Pending, format!("Due back at court by {due}.")),
        };
        result(rule, title, outcome, detail)
    }

    /// 6. Seizures outside the warrant (or power) have grounds.
    fn seizure_grounds(&self) -> RuleResult {
        let execution = self.record.execution.as_ref();
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
        result(
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
        )
    }

    /// 7. Force used has a reason.
    fn force_reason(&self) -> RuleResult {
        let execution = self.record.execution.as_ref();
        let unexplained = execution.is_some_and(|x| x.force_used && blank(&x.force_reason));
        result(
            "force-reason",
            "Force used has a reason",
            match execution {
                None => NotApplicable,
                Some(_) if unexplained => Breached,
                Some(_) => Met,
            },
            if unexplained {
                "Force was used and no reason is recorded.".into()
            } else if execution.is_some_and(|x| x.force_used) {
                "Force was used; the reason is recorded.".into()
            } else {
                "No force was used.".into()
            },
        )
    }

    /// 8. The Notice of Powers and Rights: given, or why not, or where left.
    fn notice_of_rights(&self) -> RuleResult {
        let notice = self
            .record
            .execution
            .as_ref()
            .map(|x| (x.occupier_present, x.notice.as_ref()));
        let (outcome, detail) = match notice {
            None => (NotApplicable, "Not executed."),
            Some((_, None)) => (
                Breached,
                "Nothing is recorded about the Notice of Powers and Rights.",
            ),
            Some((_, Some(n))) if n.given => (Met, "Given to the occupier."),
            Some((false, Some(n))) if !blank(&n.left_at) => (
                Met,
                "The occupier was absent; the Notice was left on the premises.",
            ),
            Some((_, Some(n))) if !blank(&n.not_given_reason) => {
                (Met, "Not given, with the reason recorded.")
            }
            Some(_) => (
                Breached,
                "Not given, and neither why nor where it was left is recorded.",
            ),
        };
        result(
            "notice-of-rights",
            "The Notice of Powers and Rights was given, or why not, or where left",
            outcome,
            detail.into(),
        )
    }

    /// 9. Entered in the search register (Code B 9.1) once executed.
    fn search_register(&self) -> RuleResult {
        let register = &self.record.register;
        result(
            "search-register",
            "Entered in the search register",
            match (&self.record.execution, register) {
                (None, _) => NotApplicable,
                (Some(_), Some(_)) => Met,
                (Some(_), None) => Breached,
            },
            match register {
                Some(_) => "The register entry is recorded.".into(),
                None => "No register entry is recorded.".into(),
            },
        )
    }

    fn stage(&self) -> Stage {
        let record = self.record;
        match (
            self.is_warrant(),
            &record.decision,
            self.executed,
            &record.returned_to_court,
        ) {
            (true, _, _, Some(_)) => Stage::Closed,
            (false, _, Some(_), _) if record.register.is_some() => Stage::Closed,
            (_, _, Some(_), _) => Stage::Executed,
            (true, Some(d), None, _) if d.outcome == Outcome::Refused => Stage::Refused,
            (true, Some(_), None, _) if self.expires.is_some_and(|e| self.past(e)) => {
                Stage::Expired
            }
            (true, Some(_), None, _) => Stage::Granted,
            _ => Stage::Applied,
        }
    }
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
