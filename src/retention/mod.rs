//! Retention under MoPI (issue #15 point 5; domain notes §9.2): every case has a review group and a
//! next review date, worked out from its records and the force's policy; a review decides to retain (with
//! a reason and the next review) or to dispose of it; disposal erases the personal data and keeps a
//! tombstone ([`disposal`]). Plain Rust: the rules here, storage in [`store`].
//!
//! - **The groups** (MoPI's review groups): 1, certain public protection matters; 2, other sexual,
//!   violent or serious offences; 3, all other offences; 4, undetected crime.
//! - **A case's group** is derived from its records by [`derive_group`] (the same rule is the
//!   `retention_rule` view in `migrations/0017_retention.sql`, which keeps it stored as records are
//!   written; a storage test checks the two agree). A force may override it at a review.
//! - **The next review** is the end of the group's clear period after the case's last activity
//!   (`clear_from`: the latest report, decision, occurrence, assessment, review, order event, PIN or
//!   search), or the date a decision to retain set, whichever is later. The periods are the force's
//!   policy, `retention_review_years` ([`Policy`]).
//! - **A person's** group and date are the strictest of their cases': the lowest group, and the latest
//!   next review, since their record is kept while any case naming them is ([`strictest`]).

pub mod disposal;
pub mod store;

use crate::cases::classification::Classification;
use crate::cases::decision::CaseStatus;
use crate::values::FieldErrors;
use serde::Deserialize;
use time::{Date, Month};

crate::vocabulary! {
    /// A MoPI review group: group1, certain public protection matters (reviewed every period, kept
    /// while the risk lasts); group2, other sexual, violent or serious offences; group3, all other
    /// offences; group4, undetected crime.
    pub enum ReviewGroup: "lowercase" {
        Group1,
        Group2,
        Group3,
        Group4,
    }
}

impl ReviewGroup {
    /// 1 to 4, as stored: the lower, the stricter.
    pub fn number(self) -> i64 {
        match self {
            ReviewGroup::Group1 => 1,
            ReviewGroup::Group2 => 2,
            ReviewGroup::Group3 => 3,
            ReviewGroup::Group4 => 4,
        }
    }

    pub fn from_number(n: i64) -> Option<ReviewGroup> {
        match n {
            1 => Some(ReviewGroup::Group1),
            2 => Some(ReviewGroup::Group2),
            3 => Some(ReviewGroup::Group3),
            4 => Some(ReviewGroup::Group4),
            _ => None,
        }
    }

    pub const ALL: [ReviewGroup; 4] = [
        ReviewGroup::Group1,
        ReviewGroup::Group2,
        ReviewGroup::Group3,
        ReviewGroup::Group4,
    ];
}

/// The force's review periods, in years, per group: `retention_review_years`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    years: [i32; 4],
}

/// The default: the domain notes' MoPI periods (group 1 reviewed every 10 years, group 2 after a
/// 10-year clear period, group 3 after 6); group 4, undetected crime "handled by seriousness", as group 3.
pub const DEFAULT_POLICY: &str = "group1=10, group2=10, group3=6, group4=6";

/// The longest period a force may set, in years.
pub const MAX_YEARS: i32 = 100;

impl Default for Policy {
    fn default() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("the default policy parses")
    }
}

impl Policy {
    /// Parses `group1=10, group2=10, group3=6, group4=6`: every group once, each a whole number of
    /// years from 1 to 100. The error says what is wrong, in words.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let mut years: [Option<i32>; 4] = [None; 4];
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not `group=years`"))?;
            let group = ReviewGroup::parse(name.trim()).ok_or_else(|| {
                format!(
                    "`{}` is not a review group (group1, group2, group3, group4)",
                    name.trim()
                )
            })?;
            let n = value
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=MAX_YEARS).contains(n))
                .ok_or_else(|| {
                    format!(
                        "{}: give a whole number of years from 1 to {MAX_YEARS}",
                        group.as_str()
                    )
                })?;
            let slot = &mut years[group.number() as usize - 1];
            if slot.is_some() {
                return Err(format!("{} is given twice", group.as_str()));
            }
            *slot = Some(n);
        }
        let mut out = [0; 4];
        for (i, y) in years.iter().enumerate() {
            out[i] = y.ok_or_else(|| format!("give a period for group{}", i + 1))?;
        }
        Ok(Policy { years: out })
    }

    /// The group's review period, in years.
    pub fn years(&self, group: ReviewGroup) -> i32 {
        self.years[group.number() as usize - 1]
    }
}

/// `date` plus `years` calendar years; 29 February becomes 28 February in a year that has none.
pub fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .expect("a valid date")
}

/// The latest `clear_from` whose period of `years` ends on or before `due_by`: a case is due by
/// `due_by` exactly when its `clear_from` is on or before this (for every date: a test walks them).
pub fn cutoff(due_by: Date, years: i32) -> Date {
    let back = add_years(due_by, -years);
    // 28 February of a leap year, `years` before a 28 February: the 29th ends on the 28th too.
    let next = back.next_day().expect("a valid date");
    if add_years(next, years) <= due_by {
        next
    } else {
        back
    }
}

/// A case's retention as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub derived: ReviewGroup,
    pub overridden: Option<ReviewGroup>,
    pub clear_from: Date,
    pub retained_until: Option<Date>,
}

impl Stored {
    /// The group in force: the override, or the derived group.
    pub fn group(&self) -> ReviewGroup {
        self.overridden.unwrap_or(self.derived)
    }

    /// The next review: the end of the group's clear period, or the date a decision to retain set,
    /// whichever is later.
    pub fn next_review(&self, policy: &Policy) -> Date {
        let end = add_years(self.clear_from, policy.years(self.group()));
        match self.retained_until {
            Some(until) if until > end => until,
            _ => end,
        }
    }
}

/// What a case's group is derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub status: Option<CaseStatus>,
    pub domestic_abuse: bool,
    pub principal: Option<Classification>,
    pub included: Vec<Classification>,
    /// An SPO or interim SPO made (in force, or since discharged).
    pub spo_made: bool,
    /// A high risk level: an assessment's, or raised to high by a review.
    pub high_risk: bool,
}

/// The group a case's records put it in (the module's rule; `migrations/0017_retention.sql` holds the
/// same as SQL).
pub fn derive_group(facts: &Facts) -> ReviewGroup {
    use Classification::*;
    if facts.spo_made || facts.high_risk {
        return ReviewGroup::Group1;
    }
    let serious = |c: &Classification| {
        matches!(
            c,
            StalkingS2a
                | StalkingS4a
                | HarassmentS4
                | ThreatsToKill
                | SexualOffence
                | Assault
                | ControllingOrCoerciveBehaviour
        )
    };
    if facts.status == Some(CaseStatus::Recorded)
        && (facts.domestic_abuse
            || facts.principal.as_ref().is_some_and(serious)
            || facts.included.iter().any(|c| c.is_stalking()))
    {
        return ReviewGroup::Group2;
    }
    ReviewGroup::Group3
}

/// A person's group and next review from their cases' (group, next review): the lowest group and the
/// latest date. `None` for a person with no case still retained.
pub fn strictest(
    cases: impl IntoIterator<Item = (ReviewGroup, Date)>,
) -> Option<(ReviewGroup, Date)> {
    cases.into_iter().fold(None, |acc, (g, d)| match acc {
        None => Some((g, d)),
        Some((ag, ad)) => Some((ag.min(g), ad.max(d))),
    })
}

crate::vocabulary! {
    /// A review's decision: retain the case (with the reason, NRAC), or dispose of it.
    pub enum RetentionDecision {
        Retain,
        Dispose,
    }
}

/// The longest reason, in characters.
pub const MAX_REASON: usize = 2000;

/// A review decision as a supervisor gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRetentionReview {
    pub decision: RetentionDecision,
    /// Why (the National Retention Assessment Criteria): required to retain. Name no one: the reason
    /// outlives a disposal.
    #[serde(default)]
    pub reason: Option<String>,
    /// To retain: the next review, after today and at most the group's period ahead (default: the
    /// group's period from today).
    #[serde(default)]
    pub next_review_on: Option<String>,
    /// To retain: the force's group for the case, overriding the derived one.
    #[serde(default)]
    pub review_group: Option<ReviewGroup>,
}

/// One variant per decision, so the schema states that retaining needs its reason and that a disposal
/// sets no date or group.
impl schemars::JsonSchema for NewRetentionReview {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NewRetentionReview".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut reason = generator
            .subschema_for::<crate::schema::Text<MAX_REASON>>()
            .to_value();
        reason["description"] =
            "Why (the National Retention Assessment Criteria). Name no one: the \
            reason is kept after a disposal."
                .into();
        let date = generator.subschema_for::<crate::schema::Date>().to_value();
        let group = generator.subschema_for::<ReviewGroup>().to_value();
        schemars::json_schema!({
            "description": "A review decision: retain the case (`decision: retain`) with the reason, and \
                optionally the next review (after today, and at most the group's period ahead; by \
                default the group's period from today) and the force's group overriding the derived \
                one; or dispose of it (`decision: dispose`), optionally with the reason.",
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["decision", "reason"],
                    "properties": {
                        "decision": { "type": "string", "const": "retain" },
                        "reason": reason.clone(),
                        "next_review_on": { "oneOf": [date, { "type": "null" }] },
                        "review_group": { "oneOf": [group, { "type": "null" }] },
                    },
                    "description": "Retain the case.",
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["decision"],
                    "properties": {
                        "decision": { "type": "string", "const": "dispose" },
                        "reason": { "oneOf": [reason, { "type": "null" }] },
                    },
                    "description": "Dispose of the case: its personal data is erased.",
                },
            ],
        })
    }
}

/// A checked decision to retain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retain {
    pub reason: String,
    pub group: ReviewGroup,
    pub overridden: Option<ReviewGroup>,
    pub next_review_on: Date,
}

/// A checked review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Retain(Retain),
    Dispose { reason: Option<String> },
}

/// Checks a review against the case's retention, the policy and today; the field errors otherwise.
pub fn check(
    review: &NewRetentionReview,
    stored: &Stored,
    policy: &Policy,
    today: Date,
) -> Result<Checked, FieldErrors> {
    let mut errors: FieldErrors = Vec::new();
    if let Some(reason) = &review.reason {
        crate::values::text(&mut errors, "/reason", reason, "the reason", MAX_REASON);
    }
    match review.decision {
        RetentionDecision::Retain => {
            if review.reason.is_none() {
                errors.push((
                    "/reason".into(),
                    "Give the reason for retaining the case (the National Retention Assessment Criteria): every decision to retain is recorded with its reason.".into(),
                ));
            }
            let group = review.review_group.unwrap_or(stored.group());
            let latest = add_years(today, policy.years(group));
            let next = match &review.next_review_on {
                None => Some(latest),
                Some(text) => match crate::values::parse_date(text) {
                    None => {
                        errors.push((
                            "/next_review_on".into(),
                            "Give the next review as a date, YYYY-MM-DD.".into(),
                        ));
                        None
                    }
                    Some(d) if d <= today || d > latest => {
                        errors.push((
                            "/next_review_on".into(),
                            format!(
                                "The next review must be after today and no later than {latest} (the {} period of {} years).",
                                group.as_str(),
                                policy.years(group)
                            ),
                        ));
                        None
                    }
                    Some(d) => Some(d),
                },
            };
            match (errors.is_empty(), next) {
                (true, Some(next_review_on)) => Ok(Checked::Retain(Retain {
                    reason: review.reason.clone().unwrap_or_default(),
                    group,
                    overridden: review.review_group.or(stored.overridden),
                    next_review_on,
                })),
                _ => Err(errors),
            }
        }
        RetentionDecision::Dispose => {
            if review.next_review_on.is_some() {
                errors.push((
                    "/next_review_on".into(),
                    "A case disposed of has no next review: leave this out.".into(),
                ));
            }
            if review.review_group.is_some() {
                errors.push((
                    "/review_group".into(),
                    "A case disposed of has no group to set: leave this out.".into(),
                ));
            }
            if errors.is_empty() {
                Ok(Checked::Dispose {
                    reason: review.reason.clone(),
                })
            } else {
                Err(errors)
            }
        }
    }
}

#[cfg(test)]
mod tests;
