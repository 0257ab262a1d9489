//! Protocol compliance per case (issue #16 point 1): the national stalking protocol (NPCC/CPS 2018) and
//! *Living in fear*'s findings as named checks, each worked out from a case's records as `met`,
//! `not-met` (with the reason in words), `pending` or `not-applicable`.
//!
//! One pure function, [`checks`], from a case's [`Facts`] and the time now: the facts are what the
//! records say (kept per case by the database, `store`), never a status. A check that waits for
//! something has a due time (`due_at`) and is `pending` until then and `not-met` after it, decided here
//! at read time, so no stored status goes stale.
//!
//! The checks (the closed vocabulary [`Check`]):
//!
//! - `stalking-considered`: stalking considered first — a recorded crime classed as stalking (principal
//!   or included), or classed as harassment with the reason stalking was ruled out; pending until the
//!   crime decision; not applicable to no-crime or to other classifications.
//! - `risk-assessed`: DASH and the S-DASH screening for domestic abuse, the S-DASH alone otherwise,
//!   within [`RISK_ASSESSMENT_HOURS`] of the report.
//! - `risk-reviewed`: after an occurrence recorded since the first assessment, a new assessment or a
//!   supervisor's review within [`RISK_REVIEW_HOURS`] of it.
//! - `safety-plan`: a safety plan agreed with the victim within [`SAFETY_PLAN_HOURS`] of the report
//!   (recorded with a contact with the victim).
//! - `supervisor-review`: a supervisor has reviewed the risk assessment, by the first assessment's
//!   supervisor's review due time (high risk) or its review date.
//! - `no-pin`: no Police Information Notice authorised.
//! - `s2b-considered`: for a stalking crime, a warrant under PHA 1997 s.2B applied for, or the reason
//!   why not recorded (`considerations`).
//! - `orders-considered`: for a recorded crime, a Stalking Protection Order or restraining order
//!   recorded with the victim's views, or the reason for not applying recorded with them.
//! - `victim-informed`: every Victims' Code update given by its due time (victim care).
//! - `decision-on-time`: the crime decision within 24 hours of the report (NCRS).
//!
//! The due times for the risk assessment, its review after a new occurrence and the safety plan are this
//! app's proposal (the protocol sets none); a force changes them here.

pub mod considerations;
pub mod store;

use crate::cases::classification::Classification;
use crate::cases::decision::CaseStatus;
use crate::problem::Problem;
use crate::profile::{Period, YearMonth};
use crate::values::{parse_time, plus_hours};
use serde::Serialize;

crate::vocabulary! {
    /// A protocol compliance check (the national stalking protocol, NPCC/CPS 2018).
    pub enum Check {
        StalkingConsidered,
        RiskAssessed,
        RiskReviewed,
        SafetyPlan,
        SupervisorReview,
        NoPin,
        S2bConsidered,
        OrdersConsidered,
        VictimInformed,
        DecisionOnTime,
    }
}

crate::vocabulary! {
    /// Where a case stands on a check.
    pub enum Status {
        Met,
        NotMet,
        Pending,
        NotApplicable,
    }
}

impl Check {
    /// The check in words, for people (the chart, the case page).
    pub fn label(self) -> &'static str {
        match self {
            Check::StalkingConsidered => "Stalking considered first",
            Check::RiskAssessed => "Risk assessed (DASH, S-DASH)",
            Check::RiskReviewed => "Risk reviewed after new occurrences",
            Check::SafetyPlan => "Safety plan agreed",
            Check::SupervisorReview => "Supervisor review",
            Check::NoPin => "No PIN issued",
            Check::S2bConsidered => "s.2B power considered",
            Check::OrdersConsidered => "Orders considered with the victim's views",
            Check::VictimInformed => "Victim kept informed",
            Check::DecisionOnTime => "Crime decision within 24 hours",
        }
    }
}

/// The crime decision is due this many hours after the report (NCRS).
pub const DECISION_HOURS: i64 = 24;
/// The risk assessment (DASH and S-DASH, or S-DASH) is due this many hours after the report.
pub const RISK_ASSESSMENT_HOURS: i64 = 24;
/// After a new occurrence, a new assessment or a supervisor's review is due within this many hours.
pub const RISK_REVIEW_HOURS: i64 = 24;
/// A safety plan is due this many hours after the report.
pub const SAFETY_PLAN_HOURS: i64 = 72;

/// What the records say about one case, as the checks need it. Times are the records' fixed-width
/// RFC 3339 text (so text order is time order); dates `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub reported_at: String,
    pub decision_due_at: String,
    pub domestic_abuse: bool,
    pub status: Option<CaseStatus>,
    pub principal: Option<Classification>,
    pub included: Vec<Classification>,
    /// A reason was recorded with the decision (for a harassment crime: why stalking was ruled out).
    pub decision_reason_given: bool,
    pub decided_at: Option<String>,
    /// The latest occurrence's recording time (the first is recorded with the report).
    pub last_occurrence_at: Option<String>,
    /// The first risk assessment (DASH, or any instrument whose purpose is risk).
    pub first_risk_at: Option<String>,
    /// The first stalking screening (S-DASH).
    pub first_screening_at: Option<String>,
    /// The latest assessment of either kind, or supervisor's review.
    pub last_risk_activity_at: Option<String>,
    /// The earliest supervisor's review due time (high risk), or else review date, of the assessments.
    pub review_due_at: Option<String>,
    /// The first supervisor's review of any of the case's assessments.
    pub first_review_at: Option<String>,
    /// PIN requests waiting for a superintendent.
    pub pins_pending: i64,
    /// When a PIN was first authorised, if one was.
    pub pin_authorised_at: Option<String>,
    /// The date of the first search record under the s.2B power (its application).
    pub s2b_applied_on: Option<String>,
    /// Stalking Protection Orders and restraining orders recorded on the case.
    pub orders: i64,
    /// When the first of them recorded with the victim's views was recorded.
    pub order_with_views_at: Option<String>,
    /// When a reason for not applying for a s.2B warrant was first recorded.
    pub s2b_declined_at: Option<String>,
    /// When a reason for not applying for an order was first recorded, with the victim's views.
    pub orders_declined_at: Option<String>,
    /// Victim care: the safety plan, the Victims' Code updates with their due times.
    pub victim_care: VictimCare,
}

/// What victim care records for a case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VictimCare {
    pub safety_plan_agreed_at: Option<String>,
    /// Each Victims' Code update due: when, and when it was given.
    pub updates: Vec<VictimUpdate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VictimUpdate {
    pub due_at: String,
    pub given_at: Option<String>,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub check: Check,
    pub status: Status,
    /// Why, in words.
    pub reason: String,
    /// When a pending check becomes not met, or when a not-met one was due.
    pub due_at: Option<String>,
}

fn result(check: Check, status: Status, reason: impl Into<String>) -> CheckResult {
    CheckResult {
        check,
        status,
        reason: reason.into(),
        due_at: None,
    }
}

/// Waits for something due at `due`: pending until then, not met after, each with its reason.
fn by(
    check: Check,
    due: Option<String>,
    now: &str,
    pending: impl FnOnce(&str) -> String,
    overdue: impl FnOnce(&str) -> String,
) -> CheckResult {
    match due {
        None => result(check, Status::Pending, pending("(unknown)")),
        Some(due) => {
            let (status, reason) = if now < due.as_str() {
                (Status::Pending, pending(&due))
            } else {
                (Status::NotMet, overdue(&due))
            };
            CheckResult {
                check,
                status,
                reason,
                due_at: Some(due),
            }
        }
    }
}

/// The date and minute of a record's time, for reasons in words.
fn when(at: &str) -> String {
    let minute = at.get(..16).unwrap_or(at);
    format!("{} UTC", minute.replace('T', " "))
}

/// Whole hours from one time to another.
fn hours_between(from: &str, to: &str) -> Option<i64> {
    Some((parse_time(to)? - parse_time(from)?).whole_hours())
}

/// Every check of a case, in the vocabulary's order, as of `now` (the records' timestamp text).
pub fn checks(facts: &Facts, now: &str) -> Vec<CheckResult> {
    Check::iter().map(|c| check(facts, c, now)).collect()
}

/// One check of a case, as of `now`.
pub fn check(facts: &Facts, check: Check, now: &str) -> CheckResult {
    match check {
        Check::StalkingConsidered => stalking_considered(facts),
        Check::RiskAssessed => risk_assessed(facts, now),
        Check::RiskReviewed => risk_reviewed(facts, now),
        Check::SafetyPlan => safety_plan(facts, now),
        Check::SupervisorReview => supervisor_review(facts, now),
        Check::NoPin => no_pin(facts),
        Check::S2bConsidered => s2b_considered(facts),
        Check::OrdersConsidered => orders_considered(facts),
        Check::VictimInformed => victim_informed(facts, now),
        Check::DecisionOnTime => decision_on_time(facts, now),
    }
}

fn classed(facts: &Facts) -> impl Iterator<Item = Classification> + '_ {
    facts
        .principal
        .into_iter()
        .chain(facts.included.iter().copied())
}

fn recorded_as_stalking(facts: &Facts) -> bool {
    facts.status == Some(CaseStatus::Recorded) && classed(facts).any(Classification::is_stalking)
}

/// A decision not yet made, or no crime: what the checks about a recorded crime say then.
fn before_or_without_crime(check: Check, facts: &Facts) -> Option<CheckResult> {
    match facts.status {
        Some(CaseStatus::Recorded) => None,
        Some(CaseStatus::NoCrime) => Some(result(
            check,
            Status::NotApplicable,
            "No crime was recorded.",
        )),
        _ => Some(result(
            check,
            Status::Pending,
            "Waiting for the crime decision.",
        )),
    }
}

fn stalking_considered(facts: &Facts) -> CheckResult {
    let c = Check::StalkingConsidered;
    if let Some(r) = before_or_without_crime(c, facts) {
        return r;
    }
    if recorded_as_stalking(facts) {
        return result(c, Status::Met, "Recorded as stalking.");
    }
    let harassment = classed(facts).any(|k| {
        matches!(
            k,
            Classification::HarassmentS2 | Classification::HarassmentS4
        )
    });
    match (harassment, facts.decision_reason_given) {
        (true, true) => result(
            c,
            Status::Met,
            "Classed as harassment, with the reason stalking was ruled out.",
        ),
        (true, false) => result(
            c,
            Status::NotMet,
            "Classed as harassment without a recorded reason why it is not stalking.",
        ),
        (false, _) => result(
            c,
            Status::NotApplicable,
            "Not classed as harassment or stalking.",
        ),
    }
}

fn risk_assessed(facts: &Facts, now: &str) -> CheckResult {
    let c = Check::RiskAssessed;
    let mut missing = Vec::new();
    if facts.domestic_abuse && facts.first_risk_at.is_none() {
        missing.push("the DASH");
    }
    if facts.first_screening_at.is_none() {
        missing.push("the S-DASH stalking screening");
    }
    if missing.is_empty() {
        let screening = when(facts.first_screening_at.as_deref().unwrap_or_default());
        return result(
            c,
            Status::Met,
            match &facts.first_risk_at {
                Some(dash) if facts.domestic_abuse => {
                    format!("DASH on {}, S-DASH on {screening}.", when(dash))
                }
                _ => format!("S-DASH on {screening} (not domestic abuse: the S-DASH alone)."),
            },
        );
    }
    let missing = missing.join(" and ");
    by(
        c,
        plus_hours(&facts.reported_at, RISK_ASSESSMENT_HOURS),
        now,
        |due| format!("Due by {}: {missing}.", when(due)),
        |due| format!("Not recorded by {}: {missing}.", when(due)),
    )
}

fn first_assessment(facts: &Facts) -> Option<&str> {
    [&facts.first_risk_at, &facts.first_screening_at]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .min()
}

fn risk_reviewed(facts: &Facts, now: &str) -> CheckResult {
    let c = Check::RiskReviewed;
    let Some(first) = first_assessment(facts) else {
        return result(c, Status::NotApplicable, "No risk assessment yet.");
    };
    let occurrence = match facts.last_occurrence_at.as_deref() {
        Some(o) if o > first => o,
        _ => {
            return result(
                c,
                Status::NotApplicable,
                "No occurrence recorded since the first assessment.",
            );
        }
    };
    match facts.last_risk_activity_at.as_deref() {
        Some(latest) if latest >= occurrence => result(
            c,
            Status::Met,
            format!(
                "Reassessed or reviewed on {}, after the occurrence recorded on {}.",
                when(latest),
                when(occurrence)
            ),
        ),
        _ => by(
            c,
            plus_hours(occurrence, RISK_REVIEW_HOURS),
            now,
            |due| {
                format!(
                    "An occurrence recorded on {}: a new assessment or a review is due by {}.",
                    when(occurrence),
                    when(due)
                )
            },
            |due| {
                format!(
                    "No new assessment or review since the occurrence recorded on {} (due by {}).",
                    when(occurrence),
                    when(due)
                )
            },
        ),
    }
}

fn safety_plan(facts: &Facts, now: &str) -> CheckResult {
    let c = Check::SafetyPlan;
    let care = &facts.victim_care;
    match &care.safety_plan_agreed_at {
        Some(at) => result(c, Status::Met, format!("Agreed on {}.", when(at))),
        None => by(
            c,
            plus_hours(&facts.reported_at, SAFETY_PLAN_HOURS),
            now,
            |due| format!("No safety plan agreed yet; due by {}.", when(due)),
            |due| format!("No safety plan agreed by {}.", when(due)),
        ),
    }
}

fn supervisor_review(facts: &Facts, now: &str) -> CheckResult {
    let c = Check::SupervisorReview;
    if let Some(at) = &facts.first_review_at {
        return result(
            c,
            Status::Met,
            format!("A supervisor reviewed the risk assessment on {}.", when(at)),
        );
    }
    if first_assessment(facts).is_none() {
        return result(c, Status::Pending, "No risk assessment to review yet.");
    }
    by(
        c,
        facts.review_due_at.clone(),
        now,
        |due| format!("A supervisor's review is due by {}.", when(due)),
        |due| format!("No supervisor's review by {}.", when(due)),
    )
}

fn no_pin(facts: &Facts) -> CheckResult {
    let c = Check::NoPin;
    if let Some(at) = &facts.pin_authorised_at {
        return result(
            c,
            Status::NotMet,
            format!(
                "A PIN was authorised on {}: PINs are not appropriate in stalking cases.",
                when(at)
            ),
        );
    }
    if facts.pins_pending > 0 {
        return result(
            c,
            Status::Pending,
            "A PIN request is waiting for a superintendent's decision.",
        );
    }
    result(c, Status::Met, "No PIN issued.")
}

fn s2b_considered(facts: &Facts) -> CheckResult {
    let c = Check::S2bConsidered;
    if let Some(on) = &facts.s2b_applied_on {
        return result(
            c,
            Status::Met,
            format!("A warrant under s.2B was applied for (search record dated {on})."),
        );
    }
    if let Some(at) = &facts.s2b_declined_at {
        return result(
            c,
            Status::Met,
            format!(
                "Considered: the reason for not applying for a warrant under s.2B was recorded on {}.",
                when(at)
            ),
        );
    }
    if let Some(r) = before_or_without_crime(c, facts) {
        return r;
    }
    if !recorded_as_stalking(facts) {
        return result(
            c,
            Status::NotApplicable,
            "Not recorded as stalking: the s.2B power is for stalking.",
        );
    }
    result(
        c,
        Status::NotMet,
        "Recorded as stalking, and no warrant under s.2B applied for, nor the reason why not recorded.",
    )
}

fn orders_considered(facts: &Facts) -> CheckResult {
    let c = Check::OrdersConsidered;
    if let Some(at) = &facts.order_with_views_at {
        return result(
            c,
            Status::Met,
            format!(
                "An order was recorded on {} with the victim's views.",
                when(at)
            ),
        );
    }
    if let Some(at) = &facts.orders_declined_at {
        return result(
            c,
            Status::Met,
            format!(
                "Considered: the reason for not applying for an order was recorded on {} with the victim's views.",
                when(at)
            ),
        );
    }
    if let Some(r) = before_or_without_crime(c, facts) {
        return r;
    }
    result(
        c,
        Status::NotMet,
        if facts.orders > 0 {
            "An order is recorded, but without the victim's views."
        } else {
            "No Stalking Protection Order or restraining order considered with the victim's views."
        },
    )
}

fn victim_informed(facts: &Facts, now: &str) -> CheckResult {
    let c = Check::VictimInformed;
    let care = &facts.victim_care;
    if care.updates.is_empty() {
        return result(
            c,
            Status::NotApplicable,
            "No Victims' Code update has fallen due.",
        );
    }
    let missed: Vec<&VictimUpdate> = care
        .updates
        .iter()
        .filter(|u| match &u.given_at {
            Some(given) => given > &u.due_at,
            None => u.due_at.as_str() <= now,
        })
        .collect();
    if let Some(first) = missed.iter().map(|u| &u.due_at).min() {
        return CheckResult {
            check: c,
            status: Status::NotMet,
            reason: format!(
                "{} of {} updates not given by their due time (the first due by {}).",
                missed.len(),
                care.updates.len(),
                when(first)
            ),
            due_at: Some(first.clone()),
        };
    }
    let next = care
        .updates
        .iter()
        .filter(|u| u.given_at.is_none())
        .map(|u| &u.due_at)
        .min();
    match next {
        Some(due) => CheckResult {
            check: c,
            status: Status::Pending,
            reason: format!("The next update is due by {}.", when(due)),
            due_at: Some(due.clone()),
        },
        None => result(
            c,
            Status::Met,
            format!("All {} updates given on time.", care.updates.len()),
        ),
    }
}

fn decision_on_time(facts: &Facts, now: &str) -> CheckResult {
    let c = Check::DecisionOnTime;
    let due = &facts.decision_due_at;
    match &facts.decided_at {
        Some(decided) => {
            let hours = hours_between(&facts.reported_at, decided)
                .map(|h| format!("{h} hours"))
                .unwrap_or_else(|| "some time".into());
            CheckResult {
                check: c,
                status: if decided <= due {
                    Status::Met
                } else {
                    Status::NotMet
                },
                reason: if decided <= due {
                    format!("Decided {hours} after the report, within {DECISION_HOURS} hours.")
                } else {
                    format!("Decided {hours} after the report: more than {DECISION_HOURS} hours.")
                },
                due_at: Some(due.clone()),
            }
        }
        None => by(
            c,
            Some(due.clone()),
            now,
            |due| format!("Awaiting the crime decision, due by {}.", when(due)),
            |due| format!("No crime decision; it was due by {}.", when(due)),
        ),
    }
}

/// A case's checks, as `GET /cases/{id}/compliance` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseCompliance {
    pub case_id: String,
    pub incident_reference: String,
    pub reported_at: String,
    pub checks: Vec<CheckResult>,
}

/// The force list's filter: a check (or any), a status (or any), the months reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Filter {
    pub check: Option<Check>,
    pub status: Option<Status>,
    pub from: Option<YearMonth>,
    pub to: Option<YearMonth>,
}

impl Filter {
    /// Whether a case's checks pass the filter: the named check in the status, or (no check) any
    /// check in it.
    pub fn keeps(&self, checks: &[CheckResult]) -> bool {
        checks.iter().any(|r| {
            self.check.is_none_or(|c| c == r.check) && self.status.is_none_or(|s| s == r.status)
        })
    }

    /// `[start, end)` of the report times, as timestamps (open ends as the widest text bounds).
    pub fn bounds(&self) -> (String, String) {
        (
            self.from.map_or_else(String::new, YearMonth::start),
            self.to.map_or_else(|| "~".into(), |to| to.plus(1).start()),
        )
    }
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::new(400, "invalid-query", "Invalid query parameter").with_detail(detail.into())
}

fn month(name: &str, value: Option<&str>) -> Result<Option<YearMonth>, Problem> {
    value
        .map(|v| {
            YearMonth::parse(v).ok_or_else(|| {
                invalid(format!(
                    "`{name}` must be a month, YYYY-MM (2000-01 to 2999-12)."
                ))
            })
        })
        .transpose()
}

impl Filter {
    /// Strictly, from the query's words; each refusal names the parameter.
    pub fn parse(
        check: Option<&str>,
        status: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Filter, Problem> {
        let check = check
            .map(|c| {
                Check::parse(c).ok_or_else(|| {
                    invalid(format!(
                        "`check` is one of: {}.",
                        Check::iter()
                            .map(Check::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .transpose()?;
        let status = status
            .map(|s| {
                Status::parse(s)
                    .ok_or_else(|| invalid("`status` is met, not-met, pending or not-applicable."))
            })
            .transpose()?;
        let from = month("from", from)?;
        let to = month("to", to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(invalid("`to` must not be before `from`."));
        }
        Ok(Filter {
            check,
            status,
            from,
            to,
        })
    }
}

/// The summary's period: `from` and `to` required, as the problem profile's.
pub fn summary_period(from: Option<&str>, to: Option<&str>) -> Result<Period, Problem> {
    crate::profile::Request::parse(from, to, None).map(|r| r.period)
}

/// One check's counts over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckCounts {
    pub check: Check,
    pub label: &'static str,
    pub met: i64,
    pub not_met: i64,
    pub pending: i64,
    pub not_applicable: i64,
    /// Met as a share of met and not met (pending and not applicable left out); `None` when neither.
    pub rate: Option<f64>,
}

/// The summary for the quarterly police–CPS review: per check, how many cases reported in the period
/// stand where. No person, no case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub period: Period,
    /// When it was worked out (time-dependent checks are as of then).
    pub as_of: String,
    pub cases: i64,
    pub checks: Vec<CheckCounts>,
}

impl Summary {
    /// An empty summary: every check, no cases.
    pub fn new(period: Period, as_of: &str) -> Summary {
        Summary {
            period,
            as_of: as_of.into(),
            cases: 0,
            checks: Check::iter()
                .map(|check| CheckCounts {
                    check,
                    label: check.label(),
                    met: 0,
                    not_met: 0,
                    pending: 0,
                    not_applicable: 0,
                    rate: None,
                })
                .collect(),
        }
    }

    /// Counts one case's checks.
    pub fn add(&mut self, results: &[CheckResult]) {
        self.cases += 1;
        for r in results {
            if let Some(counts) = self.checks.iter_mut().find(|c| c.check == r.check) {
                match r.status {
                    Status::Met => counts.met += 1,
                    Status::NotMet => counts.not_met += 1,
                    Status::Pending => counts.pending += 1,
                    Status::NotApplicable => counts.not_applicable += 1,
                }
            }
        }
    }

    /// Works out the rates once every case is added.
    pub fn finish(mut self) -> Summary {
        for c in &mut self.checks {
            let decided = c.met + c.not_met;
            c.rate = (decided > 0).then(|| {
                let rate = c.met as f64 / decided as f64;
                (rate * 1000.0).round() / 1000.0
            });
        }
        self
    }

    /// Every check's four counts add up to the cases.
    pub fn sums(&self) -> bool {
        self.checks
            .iter()
            .all(|c| c.met + c.not_met + c.pending + c.not_applicable == self.cases)
    }
}

#[cfg(test)]
mod tests;
