//! What an officer or a supervisor sends to be scored: an assessment's answers (against a named
//! instrument) with any professional judgement, and a supervisor's review; each checked field by field,
//! and each described by a JSON Schema built from the same instruments and rules.

use super::scoring::{Answer, Level};
use crate::risk::instruments::{self, Instrument, Purpose};
use crate::values::{FieldErrors, text};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

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
    pub(crate) fn is(&self, wanted: Answer) -> bool {
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
