//! Risk scoring, explained: the count of scored "yes" answers, banded by the force's thresholds;
//! potential escalation from the case history; professional judgement that may raise the level and
//! never lower it; when the stalking screening (S-DASH) is due; and the referrals, prompts and review
//! dates that follow, by force policy. Pure functions over an instrument (data) and a [`Policy`]
//! (configuration): nothing here knows a question id.

use crate::risk::instruments::{self, Instrument, Purpose};
use crate::values::{FieldErrors, text};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

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

/// One question's answer: a single answer, or one per part for a multi-part question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Given {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, Answer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Given {
    fn is(&self, wanted: Answer) -> bool {
        self.answer == Some(wanted) || self.parts.values().any(|a| *a == wanted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRef {
    pub id: String,
    pub version: String,
}

/// One variant per instrument in the catalogue, each naming every question (answered whole or part by
/// part), and professional judgement only on a risk instrument.
impl JsonSchema for NewAssessment {
    fn schema_name() -> Cow<'static, str> {
        "NewAssessment".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let answer = generator.subschema_for::<Answer>().to_value();
        let comment = generator
            .subschema_for::<crate::schema::Comment<MAX_COMMENT>>()
            .to_value();
        let judgement = generator.subschema_for::<Option<Judgement>>().to_value();
        let mut case_id = generator
            .subschema_for::<crate::schema::CaseId>()
            .to_value();
        case_id["description"] = "An existing case's id.".into();
        let variants: Vec<Value> = instruments::catalogue()
            .iter()
            .map(|instrument| {
                let questions: serde_json::Map<String, Value> = instrument
                    .questions
                    .iter()
                    .map(|q| {
                        let schema = if q.parts.is_empty() {
                            json!({
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["answer"],
                                "properties": {
                                    "answer": answer,
                                    "parts": { "type": "object", "maxProperties": 0 },
                                    "comment": comment,
                                },
                                "description": format!("Question {}.", q.number),
                            })
                        } else {
                            let parts: serde_json::Map<String, Value> = q
                                .parts
                                .iter()
                                .map(|p| (p.id.clone(), answer.clone()))
                                .collect();
                            json!({
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["parts"],
                                "properties": {
                                    "answer": { "type": "null" },
                                    "parts": {
                                        "type": "object",
                                        "additionalProperties": false,
                                        "required": q.parts.iter().map(|p| &p.id).collect::<Vec<_>>(),
                                        "properties": parts,
                                    },
                                    "comment": comment,
                                },
                                "description": format!("Question {}, answered part by part.", q.number),
                            })
                        };
                        (q.id.clone(), schema)
                    })
                    .collect();
                let judgement = match instrument.purpose {
                    Purpose::Risk => judgement.clone(),
                    Purpose::StalkingScreening => {
                        json!({ "type": "null", "description": "A screening has no level to judge." })
                    }
                };
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["case_id", "instrument", "answers"],
                    "properties": {
                        "case_id": case_id,
                        "instrument": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["id", "version"],
                            "properties": {
                                "id": { "type": "string", "const": instrument.id },
                                "version": { "type": "string", "const": instrument.version },
                            },
                        },
                        "answers": {
                            "type": "object",
                            "description": "Every question of the instrument, and no other.",
                            "additionalProperties": false,
                            "required": instrument.questions.iter().map(|q| &q.id).collect::<Vec<_>>(),
                            "properties": questions,
                        },
                        "judgement": judgement,
                    },
                    "description": format!(
                        "{} ({} {}).",
                        instrument.title, instrument.id, instrument.version
                    ),
                })
            })
            .collect();
        json_schema!({
            "description": "An assessment on one instrument: every question answered `yes`, `no`, \
                `dont_know` or `not_asked` (multi-part questions part by part, in `parts`), each with \
                an optional comment. Professional judgement, on a risk instrument only, may raise the \
                level and never lower it.",
            "oneOf": variants,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    pub case_id: String,
    pub instrument: InstrumentRef,
    pub answers: BTreeMap<String, Given>,
    #[serde(default)]
    pub judgement: Option<Judgement>,
}

/// The assessing officer's professional judgement: a level at or above the computed one, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Judgement {
    /// At or above the level the score gives (never lower).
    pub level: Level,
    #[schemars(with = "crate::schema::Text<MAX_RATIONALE>")]
    pub rationale: String,
}

pub const MAX_COMMENT: usize = 2000;
pub const MAX_RATIONALE: usize = 2000;

/// The instrument a request names, or the field errors saying which exist.
pub fn resolve(reference: &InstrumentRef) -> Result<&'static Instrument, FieldErrors> {
    if let Some(instrument) = instruments::find(&reference.id, &reference.version) {
        return Ok(instrument);
    }
    let versions = instruments::versions(&reference.id);
    Err(vec![if versions.is_empty() {
        let mut ids: Vec<&str> = instruments::catalogue()
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        ids.dedup();
        (
            "/instrument/id".into(),
            format!(
                "There is no instrument `{}`: use one of {}.",
                reference.id,
                ids.join(", ")
            ),
        )
    } else {
        (
            "/instrument/version".into(),
            format!(
                "The {} instrument has version {}, not `{}`.",
                reference.id,
                versions.join(", "),
                reference.version
            ),
        )
    }])
}

/// Every question answered, nothing answered that is not asked, parts where there are parts.
pub fn validate(instrument: &Instrument, new: &NewAssessment) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if new.case_id.trim().is_empty() {
        errors.push(("/case_id".into(), "Enter the case id.".into()));
    }
    for id in new.answers.keys() {
        if instrument.question(id).is_none() {
            errors.push((
                format!("/answers/{id}"),
                format!(
                    "There is no question `{id}` in {} {}.",
                    instrument.id, instrument.version
                ),
            ));
        }
    }
    for question in &instrument.questions {
        let pointer = format!("/answers/{}", question.id);
        let Some(given) = new.answers.get(&question.id) else {
            errors.push((
                pointer,
                format!(
                    "Answer question {} (yes, no, dont_know or not_asked).",
                    question.number
                ),
            ));
            continue;
        };
        if question.parts.is_empty() {
            if given.answer.is_none() {
                errors.push((
                    format!("{pointer}/answer"),
                    format!(
                        "Answer question {} (yes, no, dont_know or not_asked).",
                        question.number
                    ),
                ));
            }
            if !given.parts.is_empty() {
                errors.push((
                    format!("{pointer}/parts"),
                    format!("Question {} has no parts.", question.number),
                ));
            }
        } else {
            if given.answer.is_some() {
                errors.push((
                    format!("{pointer}/answer"),
                    format!(
                        "Question {} is answered part by part, in `parts`.",
                        question.number
                    ),
                ));
            }
            for part in given.parts.keys() {
                if !question.parts.iter().any(|p| &p.id == part) {
                    errors.push((
                        format!("{pointer}/parts/{part}"),
                        format!("Question {} has no part `{part}`.", question.number),
                    ));
                }
            }
            for part in &question.parts {
                if !given.parts.contains_key(&part.id) {
                    errors.push((
                        format!("{pointer}/parts/{}", part.id),
                        format!("Answer this part of question {}.", question.number),
                    ));
                }
            }
        }
        if let Some(comment) = &given.comment
            && !comment.trim().is_empty()
        {
            text(
                &mut errors,
                &format!("{pointer}/comment"),
                comment,
                "the comment",
                MAX_COMMENT,
            );
        }
    }
    if let Some(judgement) = &new.judgement {
        if instrument.purpose != Purpose::Risk {
            errors.push((
                "/judgement".into(),
                format!(
                    "The {} screening has no risk level to judge; record professional judgement on the risk assessment.",
                    instrument.id
                ),
            ));
        } else {
            text(
                &mut errors,
                "/judgement/rationale",
                &judgement.rationale,
                "the rationale for your professional judgement",
                MAX_RATIONALE,
            );
        }
    }
    errors
}

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
    let standing = match instrument.purpose {
        Purpose::Risk => risk_level(instrument, new, history, policy, count.score, &mut rules)?,
        Purpose::StalkingScreening => screening(policy, &count, &mut rules),
    };
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
            agency.to_uppercase(),
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
            agency.as_str().to_uppercase(),
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

/// A variant per outcome: an agreed review has no level, a raise has one.
impl JsonSchema for NewReview {
    fn schema_name() -> Cow<'static, str> {
        "NewReview".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let rationale = generator
            .subschema_for::<crate::schema::Text<MAX_RATIONALE>>()
            .to_value();
        let mut level = generator.subschema_for::<Level>().to_value();
        level["description"] =
            "Above the assessment's current level; a screening has no level to raise.".into();
        json_schema!({
            "description": "A supervisor's review of an assessment: agreed, or the level raised \
                (never lowered), with reasons.",
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["outcome", "rationale"],
                    "properties": {
                        "outcome": { "type": "string", "const": ReviewOutcome::Agreed.as_str() },
                        "level": { "type": "null", "description": "An agreed review keeps the level." },
                        "rationale": rationale,
                    },
                    "description": "The supervisor agrees with the assessment.",
                },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["outcome", "level", "rationale"],
                    "properties": {
                        "outcome": { "type": "string", "const": ReviewOutcome::Raised.as_str() },
                        "level": level,
                        "rationale": rationale,
                    },
                    "description": "The supervisor raises the level.",
                },
            ],
        })
    }
}

/// A supervisor's review of an assessment: agreed, or the level raised (never lowered), with reasons.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    pub outcome: ReviewOutcome,
    #[serde(default)]
    pub level: Option<Level>,
    pub rationale: String,
}

crate::vocabulary! {
    /// What a review does to the level.
    pub enum ReviewOutcome: "lowercase" {
        Agreed,
        Raised,
    }
}

/// Checks a review against the assessment's current level (none for a screening).
pub fn validate_review(review: &NewReview, current: Option<Level>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    text(
        &mut errors,
        "/rationale",
        &review.rationale,
        "the rationale for your review",
        MAX_RATIONALE,
    );
    match (review.outcome, review.level, current) {
        (ReviewOutcome::Agreed, Some(_), _) => errors.push((
            "/level".into(),
            "An agreed review keeps the level: leave `level` out, or use outcome `raised`.".into(),
        )),
        (ReviewOutcome::Raised, _, None) => errors.push((
            "/outcome".into(),
            "A screening has no level to raise.".into(),
        )),
        (ReviewOutcome::Raised, None, Some(_)) => {
            errors.push(("/level".into(), "Give the level you raise it to.".into()))
        }
        (ReviewOutcome::Raised, Some(level), Some(current)) if level <= current => errors.push((
            "/level".into(),
            format!(
                "A review may raise the level but never lower it or leave it: the level is {}, so raise it above that.",
                current.as_str()
            ),
        )),
        _ => {}
    }
    errors
}

#[cfg(test)]
mod tests;
