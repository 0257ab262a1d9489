//! The crime decision (NCRS): recorded with a principal and included classifications, or no crime
//! with reasons; checked against what the facts suggest; and the crime reference in the force's format.

use crate::cases::classification::{Classification, Suggestion};
use crate::values::{FieldErrors, text};
use serde::Deserialize;

crate::vocabulary! {
    /// Where a case stands on its crime decision.
    pub enum CaseStatus {
        AwaitingDecision,
        Recorded,
        NoCrime,
    }
}

impl CrimeDecision {
    /// The status a case takes with this decision.
    pub fn status(&self) -> CaseStatus {
        match self {
            CrimeDecision::Recorded { .. } => CaseStatus::Recorded,
            CrimeDecision::NoCrime { .. } => CaseStatus::NoCrime,
        }
    }
}

/// The longest reasons (for no crime, or for ruling stalking out), in characters.
pub const MAX_REASONS: usize = 2000;

/// One variant per outcome and principal classification, so the schema states that an included
/// classification is listed once and is not the principal one.
impl schemars::JsonSchema for CrimeDecision {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CrimeDecision".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        use serde_json::{Value, json};
        let mut reasons = generator
            .subschema_for::<crate::schema::Text<MAX_REASONS>>()
            .to_value();
        reasons["description"] = "Why this is not a crime (NCRS).".into();
        let mut variants: Vec<Value> = Classification::iter()
            .map(|principal| {
                let others: Vec<&str> = Classification::iter()
                    .filter(|c| *c != principal)
                    .map(Classification::as_str)
                    .collect();
                json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["outcome", "principal"],
                    "properties": {
                        "outcome": { "type": "string", "const": "recorded" },
                        "principal": { "type": "string", "const": principal.as_str() },
                        "included": {
                            "type": "array",
                            "uniqueItems": true,
                            "items": { "type": "string", "enum": others },
                        },
                        "stalking_ruled_out_reason": {
                            "type": ["string", "null"],
                            "description": format!(
                                "Required (not blank, up to {MAX_REASONS} characters) when the case \
                                 indicates stalking and no stalking classification is recorded."
                            ),
                        },
                    },
                    "description": format!("Recorded as {}.", principal.as_str()),
                })
            })
            .collect();
        variants.push(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["outcome", "reasons"],
            "properties": {
                "outcome": { "type": "string", "const": "no-crime" },
                "reasons": reasons,
            },
            "description": "No crime, with the reasons.",
        }));
        schemars::json_schema!({
            "description": "A recorded crime (`outcome: recorded`): the principal classification, \
                included ones (each once, not the principal one) that stay searchable, and, when the \
                case indicates stalking and none is recorded, why stalking is ruled out. The PHA \
                offences (harassment, stalking) need a course of conduct on the case. Or no crime \
                (`outcome: no-crime`), with the reasons.",
            "oneOf": variants,
        })
    }
}

/// The crime decision, as the API accepts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CrimeDecision {
    /// A recorded crime: the principal classification, and included ones that stay searchable.
    Recorded {
        principal: Classification,
        #[serde(default)]
        included: Vec<Classification>,
        /// Required when stalking is indicated but not recorded.
        stalking_ruled_out_reason: Option<String>,
    },
    /// Not a crime, with the reasons (NCRS: an audit must be able to see why).
    NoCrime { reasons: String },
}

/// Checks a decision against the case: field errors as (pointer, detail).
pub fn validate_decision(decision: &CrimeDecision, suggestion: &Suggestion) -> FieldErrors {
    let mut errors = Vec::new();
    match decision {
        CrimeDecision::Recorded {
            principal,
            included,
            stalking_ruled_out_reason,
        } => {
            let mut all = included.clone();
            all.sort();
            all.dedup();
            if all.len() != included.len() || included.contains(principal) {
                errors.push((
                    "/included".into(),
                    "List each included classification once, and not the principal one.".into(),
                ));
            }
            if !suggestion.course_of_conduct {
                for (pointer, c) in std::iter::once(("/principal".to_string(), principal)).chain(
                    included
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (format!("/included/{i}"), c)),
                ) {
                    if c.needs_course_of_conduct() {
                        errors.push((pointer, format!("{} needs a course of conduct (two or more occasions); this case has one. Add the other occasions first.", c.as_str())));
                    }
                }
            }
            let stalking_recorded =
                principal.is_stalking() || included.iter().any(|c| c.is_stalking());
            let reason = stalking_ruled_out_reason
                .as_deref()
                .map(str::trim)
                .unwrap_or("");
            if suggestion.stalking_indicated && !stalking_recorded {
                if reason.is_empty() {
                    errors.push((
                        "/stalking_ruled_out_reason".into(),
                        "Stalking indicators are present: give the reason stalking is ruled out, or record stalking.".into(),
                    ));
                } else if reason.chars().count() > MAX_REASONS {
                    errors.push((
                        "/stalking_ruled_out_reason".into(),
                        "The reason must be 2000 characters or fewer.".into(),
                    ));
                }
            }
        }
        CrimeDecision::NoCrime { reasons } => text(
            &mut errors,
            "/reasons",
            reasons,
            "the reasons this is not a crime",
            MAX_REASONS,
        ),
    }
    errors
}

/// A crime reference from the force's format: `{force}`, `{year}`, `{seq}` or `{seq:N}` (zero-padded).
pub fn crime_reference(format: &str, force: &str, year: i32, seq: i64) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let field = &rest[start + 1..start + end];
        match field.split_once(':') {
            _ if field == "force" => out.push_str(force),
            _ if field == "year" => out.push_str(&year.to_string()),
            _ if field == "seq" => out.push_str(&seq.to_string()),
            Some(("seq", width)) => out.push_str(&format!(
                "{seq:0width$}",
                width = width.parse().unwrap_or(0)
            )),
            _ => out.push_str(&rest[start..=start + end]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::classification::{Facts, suggest};
    use crate::cases::intake::{Behaviour, Behaviour::*, Four};

    fn facts(occasions: &[(&[Behaviour], bool)], four: [bool; 4], alarm: bool) -> Facts {
        Facts {
            four: Four {
                fixated: four[0],
                obsessive: four[1],
                unwanted: four[2],
                repeated: four[3],
            },
            serious_alarm_or_distress: alarm,
            occasions: occasions.iter().map(|(b, f)| (b.to_vec(), *f)).collect(),
        }
    }

    fn suggestion(course: bool, stalking: bool) -> Suggestion {
        let behaviours: &[Behaviour] = if stalking { &[Following] } else { &[Abuse] };
        let occasions: Vec<(&[Behaviour], bool)> = if course {
            vec![(behaviours, false); 2]
        } else {
            vec![(behaviours, false)]
        };
        suggest(&facts(&occasions, [false; 4], false))
    }

    #[test]
    fn recording_harassment_when_stalking_is_indicated_needs_a_reason() {
        let harassment = CrimeDecision::Recorded {
            principal: Classification::HarassmentS2,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        assert_eq!(
            validate_decision(&harassment, &suggestion(true, true))[0].0,
            "/stalking_ruled_out_reason"
        );
        assert!(validate_decision(&harassment, &suggestion(true, false)).is_empty());
        let with_reason = CrimeDecision::Recorded {
            principal: Classification::HarassmentS2,
            included: vec![],
            stalking_ruled_out_reason: Some(
                "Contact was a single mutual friend passing on messages".into(),
            ),
        };
        assert!(validate_decision(&with_reason, &suggestion(true, true)).is_empty());
        // Stalking kept as an included classification under a more serious principal needs no reason.
        let included = CrimeDecision::Recorded {
            principal: Classification::SexualOffence,
            included: vec![Classification::StalkingS4a],
            stalking_ruled_out_reason: None,
        };
        assert!(validate_decision(&included, &suggestion(true, true)).is_empty());
    }

    #[test]
    fn harassment_offences_need_a_course_of_conduct() {
        let decision = CrimeDecision::Recorded {
            principal: Classification::StalkingS2a,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        assert_eq!(
            validate_decision(&decision, &suggestion(false, true))[0].0,
            "/principal"
        );
        let damage = CrimeDecision::Recorded {
            principal: Classification::CriminalDamage,
            included: vec![Classification::CriminalDamage],
            stalking_ruled_out_reason: None,
        };
        assert_eq!(
            validate_decision(&damage, &suggestion(false, false))[0].0,
            "/included"
        );
        let no_crime = CrimeDecision::NoCrime {
            reasons: " ".into(),
        };
        assert_eq!(
            validate_decision(&no_crime, &suggestion(false, false))[0].0,
            "/reasons"
        );
    }

    #[test]
    fn case_status_words_are_the_json_words() {
        let words: Vec<&str> = CaseStatus::iter().map(CaseStatus::as_str).collect();
        assert_eq!(words, ["awaiting-decision", "recorded", "no-crime"]);
        for s in CaseStatus::iter() {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.as_str().parse::<CaseStatus>(), Ok(s));
        }
    }

    #[test]
    fn crime_references_follow_the_force_format() {
        assert_eq!(
            crime_reference("{force}/{year}/{seq:6}", "CB", 2026, 42),
            "CB/2026/000042"
        );
        assert_eq!(crime_reference("{force}-{seq}", "CB", 2026, 7), "CB-7");
        assert_eq!(crime_reference("X{unknown}Y", "CB", 2026, 7), "X{unknown}Y");
    }
}
