//! Police Information Notices (harassment warnings). The 2018 national stalking protocol says they are
//! not appropriate in stalking cases, and a PIN is not appropriate once there is a course of conduct;
//! otherwise only a superintendent may authorise one, with a rationale (the force's own rule).
//! The rules are here, pure; `store` keeps the requests and decisions.

pub mod store;

use crate::ids::{CaseId, PinId};
use crate::values::Timestamp;
use serde::{Deserialize, Serialize};

const MAX_TEXT: usize = 2000;

/// A request for a Police Information Notice.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    /// Why a notice is sought.
    #[schemars(with = "crate::schema::FreeText<MAX_TEXT>")]
    pub grounds: String,
    /// The recipient's account of events.
    #[schemars(with = "crate::schema::FreeText<MAX_TEXT>")]
    pub recipient_account: String,
}

crate::vocabulary! {
    /// A superintendent's decision on a PIN request.
    pub enum Decision: "lowercase" {
        Authorise,
        Decline,
    }
}

/// A superintendent's decision on a PIN request, with the rationale.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinDecision {
    pub decision: Decision,
    #[schemars(with = "crate::schema::FreeText<MAX_TEXT>")]
    pub rationale: String,
}

/// Field errors as (JSON pointer, detail).
pub fn validate_request(request: &PinRequest) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    text_error(
        &mut errors,
        "/grounds",
        &request.grounds,
        "the grounds for the notice",
    );
    text_error(
        &mut errors,
        "/recipient_account",
        &request.recipient_account,
        "the recipient's account",
    );
    errors
}

pub fn validate_decision(decision: &PinDecision) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    text_error(
        &mut errors,
        "/rationale",
        &decision.rationale,
        "the rationale for the decision",
    );
    errors
}

fn text_error(errors: &mut Vec<(String, String)>, pointer: &str, text: &str, what: &str) {
    if text.trim().is_empty() {
        errors.push((pointer.into(), format!("Enter {what}.")));
    } else if text.chars().count() > MAX_TEXT {
        errors.push((
            pointer.into(),
            format!("Keep {what} to {MAX_TEXT} characters or fewer."),
        ));
    }
}

/// Why a PIN may not even be considered on a case, if it may not: the case is flagged as stalking, or
/// shows a course of conduct.
pub fn refusal(stalking: bool, course_of_conduct: bool) -> Option<&'static str> {
    if stalking {
        Some(
            "The case is flagged as stalking: the national stalking protocol says Police Information Notices are not appropriate in stalking cases. Investigate the offence instead.",
        )
    } else if course_of_conduct {
        Some(
            "The case already shows a course of conduct (two or more occasions): a Police Information Notice is not appropriate. Investigate the offence instead.",
        )
    } else {
        None
    }
}

crate::vocabulary! {
    /// Where a PIN request stands.
    pub enum PinStatus {
        /// Blocked by the rules.
        Refused,
        /// Awaiting a superintendent.
        Pending,
        Authorised,
        Declined,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    pub id: PinId,
    pub case_id: CaseId,
    pub requested_at: Timestamp,
    pub requested_by: String,
    pub grounds: String,
    pub recipient_account: String,
    pub status: PinStatus,
    pub refusal_reason: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decided_by: Option<String>,
    pub rationale: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_blocked_for_stalking_and_courses_of_conduct() {
        assert!(refusal(true, false).unwrap().contains("stalking"));
        assert!(refusal(false, true).unwrap().contains("course of conduct"));
        assert!(refusal(true, true).is_some());
        assert_eq!(refusal(false, false), None);
    }

    #[test]
    fn pin_status_words_are_the_json_words() {
        let words: Vec<&str> = PinStatus::iter().map(PinStatus::as_str).collect();
        assert_eq!(words, ["refused", "pending", "authorised", "declined"]);
        for s in PinStatus::iter() {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.to_string(), s.as_str());
        }
    }

    #[test]
    fn requests_and_decisions_need_their_texts() {
        let empty = PinRequest {
            grounds: " ".into(),
            recipient_account: String::new(),
        };
        assert_eq!(validate_request(&empty).len(), 2);
        let decision = PinDecision {
            decision: Decision::Authorise,
            rationale: "".into(),
        };
        assert_eq!(validate_decision(&decision)[0].0, "/rationale");
    }
}
