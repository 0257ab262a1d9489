//! PIN requests and decisions, stored: a request refused at once when the rules block it, else pending
//! until a superintendent decides; and the register.

use crate::cases::case::Case;
use crate::digests;
use crate::ids::PinId;
use crate::pins::{Decision, Pin, PinDecision, PinRequest, PinStatus, refusal};
use crate::sql::{Rows, Sql, SqlError, Value};
use crate::values::Timestamp;

/// Records a request: refused at once if the rules block it, else pending. Returns it with its
/// digest, for the access-log entry.
pub fn record_request(
    db: &impl Sql,
    id: &PinId,
    case: &Case,
    request: &PinRequest,
    by: &str,
    now: &Timestamp,
) -> Result<(Pin, String), SqlError> {
    let refused = refusal(case.stalking, case.course_of_conduct);
    let pin = Pin {
        id: id.clone(),
        case_id: case.id.clone(),
        requested_at: now.clone(),
        requested_by: by.into(),
        grounds: request.grounds.trim().into(),
        recipient_account: request.recipient_account.trim().into(),
        status: if refused.is_some() {
            PinStatus::Refused
        } else {
            PinStatus::Pending
        },
        refusal_reason: refused.map(str::to_string),
        decided_at: None,
        decided_by: None,
        rationale: None,
    };
    // In the order of `digests::PIN`.
    let values = vec![
        pin.id.as_str().into(),
        pin.case_id.as_str().into(),
        now.into(),
        by.into(),
        pin.grounds.as_str().into(),
        pin.recipient_account.as_str().into(),
        pin.status.as_str().into(),
        pin.refusal_reason
            .as_deref()
            .map_or(Value::Null, Value::from),
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    let digest = digests::row_digest(&digests::PIN, &values);
    digests::insert(db, &digests::PIN, &values, &digest)?;
    Ok((pin, digest))
}

/// Records a superintendent's decision on a pending request, with the request's new digest (returned
/// too, for the access-log entry). `Ok(None)` if it is not pending.
pub fn decide(
    db: &impl Sql,
    id: &PinId,
    decision: &PinDecision,
    by: &str,
    now: &str,
) -> Result<Option<(Pin, String)>, SqlError> {
    let status = match decision.decision {
        Decision::Authorise => PinStatus::Authorised,
        Decision::Decline => PinStatus::Declined,
    };
    let changed = db.query(
        &format!(
            "UPDATE pins SET status = ?1, decided_at = ?2, decided_by = ?3, rationale = ?4
             WHERE id = ?5 AND status = 'pending' RETURNING {}",
            digests::column_list(&digests::PIN)
        ),
        &[
            status.as_str().into(),
            now.into(),
            by.into(),
            decision.rationale.trim().into(),
            id.into(),
        ],
    )?;
    let Some(digest) = digests::restamp(db, &digests::PIN, &changed)? else {
        return Ok(None);
    };
    Ok(get(db, id)?.map(|pin| (pin, digest)))
}

const COLUMNS: &str = "id, case_id, requested_at, requested_by, grounds, recipient_account, status, refusal_reason, decided_at, decided_by, rationale";

pub fn get(db: &impl Sql, id: &PinId) -> Result<Option<Pin>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM pins WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(pins(&rows)?.into_iter().next())
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
    pins(&rows)
}

fn pins(rows: &Rows) -> Result<Vec<Pin>, SqlError> {
    rows.iter()
        .map(|r| {
            Ok(Pin {
                id: r.parse("id")?,
                case_id: r.parse("case_id")?,
                requested_at: r.parse("requested_at")?,
                requested_by: r.text("requested_by")?,
                grounds: r.text("grounds")?,
                recipient_account: r.text("recipient_account")?,
                status: r.parse("status")?,
                refusal_reason: r.optional_text("refusal_reason")?,
                decided_at: r.optional_parse("decided_at")?,
                decided_by: r.optional_text("decided_by")?,
                rationale: r.optional_text("rationale")?,
            })
        })
        .collect()
}
