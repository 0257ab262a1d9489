//! Risk scoring, explained: the count of scored "yes" answers, banded by the force's thresholds;
//! potential escalation from the case history; professional judgement that may raise the level and
//! never lower it; when the stalking screening (S-DASH) is due; and the referrals, prompts and review
//! dates that follow, by force policy. Pure functions over an instrument (data) and a [`Policy`]
//! (configuration): nothing here knows a question id.

use crate::risk::instruments::{Instrument, Purpose};
use crate::values::FieldErrors;
use serde::{Deserialize, Serialize};

crate::vocabulary! {
    /// A risk level, lowest first.
    pub enum Level: "lowercase" {
        Standard,
        Medium,
        High,
    }
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Standard, Level::Medium, Level::High];
}

crate::vocabulary! {
    /// An answer to a question (or a part of one). Only a `yes` counts; `dont_know` is listed, never
    /// counted.
    pub enum Answer: "snake_case" {
        Yes,
        No,
        /// Not counted: only a "yes" counts.
        DontKnow,
        NotAsked,
    }
}

/// What is asked of the scoring lives in `risk::requests`; these are re-exported for its callers.
pub use crate::risk::requests::{
    Given, InstrumentRef, Judgement, NewAssessment, NewReview, ReviewOutcome, resolve, validate,
    validate_review,
};

/// The force's risk policy lives in `risk::policy`; these are re-exported for the scoring's callers.
pub use crate::risk::policy::{Agency, Bands, POLICY_VARIABLES, Policy, ScreeningRule, Trigger};

/// What the case data says, for escalation and the screening triggers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    /// Stalking indicated by the facts or recorded.
    pub stalking: bool,
    /// Occasions on this case.
    pub occasions: usize,
    /// Incidents (occasions) for the same victim–suspect pair within the escalation window.
    pub pair_incidents: u32,
    /// Agencies the pair was referred to within the window, with an incident since (a repeat).
    pub repeat_referrals: std::collections::BTreeSet<String>,
    /// The most victims any suspect of the case has across their cases (two or more: a serial
    /// perpetrator).
    pub suspect_victims: i64,
}

/// A referral the assessment makes due, and which of the policy's criteria it meets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralNeed {
    pub agency: Agency,
    pub criteria: Vec<String>,
}

/// A prompt for the officer that the assessment raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub code: String,
    pub text: String,
}

/// The result of an assessment, with every rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub score: u32,
    pub out_of: u32,
    /// The questions answered yes that count (`q8`, or `q3.being-killed` for a part).
    pub yes_items: Vec<String>,
    /// Answered "don't know": listed, never counted.
    pub dont_know_items: Vec<String>,
    /// From the bands; none for a screening.
    pub computed_level: Option<Level>,
    /// After professional judgement (never below `computed_level`).
    pub level: Option<Level>,
    pub escalation_incidents: u32,
    pub escalation: bool,
    pub rules: Vec<String>,
    pub referrals: Vec<ReferralNeed>,
    pub prompts: Vec<Prompt>,
    /// Why the stalking screening is due, from the answers (the case's own triggers are added when
    /// the case is read, as they change with it).
    pub screening_triggers: Vec<String>,
    pub review_days: i64,
    pub supervisor_review_hours: Option<i64>,
}

/// Scores a validated assessment. The only refusal left is judgement that would lower the level.
pub fn evaluate(
    instrument: &Instrument,
    new: &NewAssessment,
    history: &History,
    policy: &Policy,
) -> Result<Evaluation, FieldErrors> {
    let count = count(instrument, new);
    let out_of = instrument.scored_questions() as u32;
    let mut rules = vec![format!(
        "{} of {out_of} counted questions were answered yes{}.",
        count.score,
        match count.dont_know_items.len() {
            0 => String::new(),
            n => format!(" ({n} \"don't know\", which never count)"),
        }
    )];
    let mut standing = match instrument.purpose {
        Purpose::Risk => risk_level(instrument, new, history, policy, count.score, &mut rules)?,
        Purpose::StalkingScreening => screening(policy, &count, &mut rules),
    };
    if history.suspect_victims >= crate::people::SERIAL_VICTIMS {
        standing.escalation = true;
        rules.push(format!(
            "Serial perpetrator: a suspect in this case is a suspect in cases with {} different victims.",
            history.suspect_victims
        ));
    }
    let referrals = referrals_due(instrument, history, policy, &standing, &mut rules);
    let level = standing.level;
    let review_key = level.map_or("screening", Level::as_str);
    let review_days = policy.review_days.get(review_key).copied().unwrap_or(28);
    rules.push(format!("Review within {review_days} days."));
    let supervisor_review_hours =
        level.and_then(|l| policy.supervisor_review_hours.get(&l).copied());
    if let Some(hours) = supervisor_review_hours {
        rules.push(format!(
            "A supervisor must review this {} assessment within {hours} hours.",
            level.map_or("", Level::as_str)
        ));
    }
    Ok(Evaluation {
        score: count.score,
        out_of,
        yes_items: count.yes_items,
        dont_know_items: count.dont_know_items,
        computed_level: standing.computed_level,
        level,
        escalation_incidents: history.pair_incidents,
        escalation: standing.escalation,
        rules,
        referrals,
        prompts: prompts(history),
        screening_triggers: count.screening_triggers,
        review_days,
        supervisor_review_hours,
    })
}

/// The answers, counted: the score, the items answered yes and "don't know", and the answers that
/// call for the stalking screening.
struct Count {
    score: u32,
    yes_items: Vec<String>,
    dont_know_items: Vec<String>,
    screening_triggers: Vec<String>,
}

fn count(instrument: &Instrument, new: &NewAssessment) -> Count {
    let mut count = Count {
        score: 0,
        yes_items: Vec::new(),
        dont_know_items: Vec::new(),
        screening_triggers: Vec::new(),
    };
    for question in &instrument.questions {
        let Some(given) = new.answers.get(&question.id) else {
            continue;
        };
        let items = |wanted: Answer| -> Vec<String> {
            if question.parts.is_empty() {
                (given.answer == Some(wanted))
                    .then(|| question.id.clone())
                    .into_iter()
                    .collect()
            } else {
                given
                    .parts
                    .iter()
                    .filter(|(_, a)| **a == wanted)
                    .map(|(part, _)| format!("{}.{part}", question.id))
                    .collect()
            }
        };
        if question.scored && given.is(Answer::Yes) {
            count.score += 1;
            count.yes_items.push(question.id.clone());
        } else if !question.scored {
            count.yes_items.extend(items(Answer::Yes));
        }
        count.dont_know_items.extend(items(Answer::DontKnow));
        if question.yes_requires == Some(Purpose::StalkingScreening) && given.is(Answer::Yes) {
            count.screening_triggers.push(format!(
                "Question {} was answered yes: {}",
                question.number, question.text
            ));
        }
    }
    count
}

/// Where an assessment leaves the case: the level the score gives, the level after judgement, and
/// whether there is potential escalation.
struct Standing {
    computed_level: Option<Level>,
    level: Option<Level>,
    escalation: bool,
}

/// A risk instrument: the score banded by the force's thresholds, professional judgement (which may
/// raise the level, never lower it), and escalation and repeats from the pair's history.
fn risk_level(
    instrument: &Instrument,
    new: &NewAssessment,
    history: &History,
    policy: &Policy,
    score: u32,
    rules: &mut Vec<String>,
) -> Result<Standing, FieldErrors> {
    let Some(bands) = policy.bands.get(&instrument.id) else {
        // A configuration gap, not the caller's mistake: the handler answers 503.
        return Err(vec![(
            "/instrument/id".into(),
            format!("no risk bands are configured for {}", instrument.id),
        )]);
    };
    let computed = bands.level(score);
    rules.push(format!(
        "A score of {score} is in the {} band ({}), by this force's thresholds.",
        computed.as_str(),
        bands.describe(computed)
    ));
    let level = match &new.judgement {
        Some(j) if j.level < computed => {
            return Err(vec![(
                "/judgement/level".into(),
                format!(
                    "Professional judgement may raise the level but never lower it: the score gives {}, so judge {} or higher.",
                    computed.as_str(),
                    computed.as_str()
                ),
            )]);
        }
        Some(j) if j.level > computed => {
            rules.push(format!(
                "Professional judgement raised the level from {} to {}: {}",
                computed.as_str(),
                j.level.as_str(),
                j.rationale.trim()
            ));
            j.level
        }
        Some(j) => {
            rules.push(format!(
                "Professional judgement agreed with the {} level: {}",
                computed.as_str(),
                j.rationale.trim()
            ));
            computed
        }
        None => computed,
    };
    let escalation = history.pair_incidents >= policy.escalation_incidents;
    if escalation {
        rules.push(format!(
            "Potential escalation: {} incidents for this victim and suspect in the last {} days (the threshold is {}).",
            history.pair_incidents, policy.escalation_window_days, policy.escalation_incidents
        ));
    }
    for agency in &history.repeat_referrals {
        rules.push(format!(
            "Repeat: this victim and suspect were referred to {} in the last {} days, and there has been an incident since.",
            agency.to_ascii_uppercase(),
            policy.escalation_window_days
        ));
    }
    Ok(Standing {
        computed_level: Some(computed),
        level: Some(level),
        escalation,
    })
}

/// A stalking screening: no level (there is no national cut-off), escalation only by the force's own
/// rule.
fn screening(policy: &Policy, count: &Count, rules: &mut Vec<String>) -> Standing {
    rules.push(
        "There is no national cut-off for this screening: more \"yes\" answers mean more risk, weighed by professional judgement."
            .into(),
    );
    let mut escalation = false;
    if let Some(rule) = &policy.screening_rule {
        let score = count.score;
        let hits: Vec<&String> = rule
            .any_of
            .iter()
            .filter(|i| count.yes_items.contains(i))
            .collect();
        let by_count = rule.at_least.is_some_and(|n| score >= n);
        if !hits.is_empty() || by_count {
            escalation = true;
            let why = if hits.is_empty() {
                format!(
                    "{score} \"yes\" answers (at least {})",
                    rule.at_least.unwrap_or(0)
                )
            } else {
                format!(
                    "\"yes\" to {}",
                    hits.iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            rules.push(format!(
                "Local policy (this force's rule, not a national threshold): escalation on {why}."
            ));
        }
    }
    Standing {
        computed_level: None,
        level: None,
        escalation,
    }
}

/// The referrals the force's policy makes due, each with the criteria it met.
fn referrals_due(
    instrument: &Instrument,
    history: &History,
    policy: &Policy,
    standing: &Standing,
    rules: &mut Vec<String>,
) -> Vec<ReferralNeed> {
    let Standing {
        computed_level,
        level,
        escalation,
    } = *standing;
    let mut referrals = Vec::new();
    for (agency, triggers) in &policy.referrals {
        let met: Vec<Trigger> = triggers
            .iter()
            .copied()
            .filter(|t| match t {
                Trigger::Level(l) => level == Some(*l),
                Trigger::Escalation => escalation,
                Trigger::Repeat => {
                    instrument.purpose == Purpose::Risk
                        && history.repeat_referrals.contains(agency.as_str())
                }
            })
            .collect();
        if met.is_empty() {
            continue;
        }
        let mut criteria: Vec<String> = met
            .iter()
            .map(|t| match t {
                Trigger::Level(l) => format!("{}-risk", l.as_str()),
                other => other.as_str().to_string(),
            })
            .collect();
        if level != computed_level && met.iter().any(|t| matches!(t, Trigger::Level(_))) {
            criteria.push("professional-judgement".into());
        }
        rules.push(format!(
            "A {} referral is due: {} (force policy: {} on {}).",
            agency.as_str().to_ascii_uppercase(),
            criteria.join(", "),
            agency,
            triggers
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        referrals.push(ReferralNeed {
            agency: agency.clone(),
            criteria,
        });
    }
    referrals
}

/// What a stalking case prompts the officer to consider.
fn prompts(history: &History) -> Vec<Prompt> {
    if !history.stalking {
        return Vec::new();
    }
    vec![
        Prompt {
            code: "consider-spo".into(),
            text:
                "Consider applying for a Stalking Protection Order (Stalking Protection Act 2019)."
                    .into(),
        },
        Prompt {
            code: "safety-plan".into(),
            text: "Agree a safety plan with the victim, informed by these answers.".into(),
        },
    ]
}

/// Why the stalking screening is due on a case: the case's own triggers plus those from the latest
/// risk assessment's answers. Empty: not due.
pub fn screening_reasons(history: &History, answer_triggers: &[String]) -> Vec<String> {
    let mut reasons = answer_triggers.to_vec();
    if history.occasions >= 2 {
        reasons.push(format!(
            "The case shows {} occasions (two or more).",
            history.occasions
        ));
    }
    if history.stalking {
        reasons.push(
            "Stalking is indicated or recorded: every stalking case is screened, domestic abuse or not."
                .into(),
        );
    }
    reasons
}

#[cfg(test)]
mod tests;
