//! Police Information Notices (harassment warnings). The 2018 national stalking protocol says they are
//! not appropriate in stalking cases, and a PIN is not appropriate once there is a course of conduct;
//! otherwise only a superintendent may authorise one, with a rationale (the force's own rule).

use crate::cases::Case;
use crate::sql::{Rows, Sql, SqlError, Value};
use serde::{Deserialize, Serialize};

const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    /// Why a notice is sought.
    pub grounds: String,
    /// The recipient's account of events.
    pub recipient_account: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Authorise,
    Decline,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinDecision {
    pub decision: Decision,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    pub id: String,
    pub case_id: String,
    pub requested_at: String,
    pub requested_by: String,
    pub grounds: String,
    pub recipient_account: String,
    /// `refused` (blocked by the rules), `pending` (awaiting a superintendent), `authorised`, `declined`.
    pub status: String,
    pub refusal_reason: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub rationale: Option<String>,
}

/// Records a request: refused at once if the rules block it, else pending.
pub fn record_request(
    db: &impl Sql,
    id: &str,
    case: &Case,
    request: &PinRequest,
    by: &str,
    now: &str,
) -> Result<Pin, SqlError> {
    let refused = refusal(case.stalking, case.course_of_conduct);
    let pin = Pin {
        id: id.into(),
        case_id: case.id.clone(),
        requested_at: now.into(),
        requested_by: by.into(),
        grounds: request.grounds.trim().into(),
        recipient_account: request.recipient_account.trim().into(),
        status: if refused.is_some() {
            "refused"
        } else {
            "pending"
        }
        .into(),
        refusal_reason: refused.map(str::to_string),
        decided_at: None,
        decided_by: None,
        rationale: None,
    };
    db.run(
        "INSERT INTO pins (id, case_id, requested_at, requested_by, grounds, recipient_account, status, refusal_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            pin.id.as_str().into(),
            pin.case_id.as_str().into(),
            now.into(),
            by.into(),
            pin.grounds.as_str().into(),
            pin.recipient_account.as_str().into(),
            pin.status.as_str().into(),
            pin.refusal_reason.as_deref().map_or(Value::Null, Value::from),
        ],
    )?;
    Ok(pin)
}

/// Records a superintendent's decision on a pending request. `Ok(None)` if it is not pending.
pub fn decide(
    db: &impl Sql,
    id: &str,
    decision: &PinDecision,
    by: &str,
    now: &str,
) -> Result<Option<Pin>, SqlError> {
    let status = match decision.decision {
        Decision::Authorise => "authorised",
        Decision::Decline => "declined",
    };
    let changed = db.query(
        "UPDATE pins SET status = ?1, decided_at = ?2, decided_by = ?3, rationale = ?4
         WHERE id = ?5 AND status = 'pending' RETURNING id",
        &[
            status.into(),
            now.into(),
            by.into(),
            decision.rationale.trim().into(),
            id.into(),
        ],
    )?;
    if changed.rows.is_empty() {
        return Ok(None);
    }
    get(db, id)
}

const COLUMNS: &str = "id, case_id, requested_at, requested_by, grounds, recipient_account, status, refusal_reason, decided_at, decided_by, rationale";

pub fn get(db: &impl Sql, id: &str) -> Result<Option<Pin>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM pins WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(pins(&rows).into_iter().next())
}

/// The register, oldest first, after a cursor (the last id's request time and id).
pub fn register(
    db: &impl Sql,
    status: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Pin>, SqlError> {
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM pins
             WHERE (?1 IS NULL OR status = ?1)
               AND (?2 IS NULL OR (requested_at, id) > (SELECT requested_at, id FROM pins WHERE id = ?2))
             ORDER BY requested_at, id LIMIT ?3"
        ),
        &[
            status.map_or(Value::Null, Value::from),
            after.map_or(Value::Null, Value::from),
            limit.into(),
        ],
    )?;
    Ok(pins(&rows))
}

fn pins(rows: &Rows) -> Vec<Pin> {
    rows.rows
        .iter()
        .map(|r| Pin {
            id: r[0].text().unwrap_or_default(),
            case_id: r[1].text().unwrap_or_default(),
            requested_at: r[2].text().unwrap_or_default(),
            requested_by: r[3].text().unwrap_or_default(),
            grounds: r[4].text().unwrap_or_default(),
            recipient_account: r[5].text().unwrap_or_default(),
            status: r[6].text().unwrap_or_default(),
            refusal_reason: r[7].text(),
            decided_at: r[8].text(),
            decided_by: r[9].text(),
            rationale: r[10].text(),
        })
        .collect()
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
