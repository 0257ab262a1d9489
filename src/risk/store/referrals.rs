//! Referrals, stored: made due (by an assessment, whose id they keep), sent with the sharing decision
//! and a fixed package, and acknowledged by the partner system that receives them.

use crate::digests;
use crate::ids::ReferralId;
use crate::risk::referrals::{PartnerStatus, Referral, ReferralStatus, Sharing, Summary};
use crate::risk::scoring::{Agency, Level, Policy, ReferralNeed};
use crate::sql::{Row, Sql, SqlError, Value, Writer, hours_after};

const COLUMNS: &str =
    "id, case_id, assessment_id, agency, recipient, criteria, level, status, created_at, due_at,
    sent_at, sent_by, sharing, acknowledged_at, acknowledged_by";

fn assemble(r: Row<'_>) -> Result<Referral, SqlError> {
    Ok(Referral {
        id: r.parse("id")?,
        case_id: r.parse("case_id")?,
        assessment_id: r.parse("assessment_id")?,
        agency: {
            let agency = r.text("agency")?;
            Agency::parse(&agency)
                .ok_or_else(|| SqlError(format!("column agency: {agency:?} is not an agency")))?
        },
        recipient: r.text("recipient")?,
        criteria: r.json("criteria")?,
        level: r.optional_parse("level")?,
        status: r.parse("status")?,
        created_at: r.parse("created_at")?,
        due_at: r.parse("due_at")?,
        sent_at: r.optional_parse("sent_at")?,
        sent_by: r.optional_text("sent_by")?,
        sharing: r.optional_json("sharing")?,
        acknowledged_at: r.optional_parse("acknowledged_at")?,
        acknowledged_by: r.optional_text("acknowledged_by")?,
    })
}

fn select(db: &impl Sql, condition: &str, params: &[Value]) -> Result<Vec<Referral>, SqlError> {
    db.query(
        &format!("SELECT {COLUMNS} FROM referrals WHERE {condition}"),
        params,
    )?
    .iter()
    .map(assemble)
    .collect()
}

/// A referral an assessment (or a review that raised its level) makes due.
#[derive(Debug, Clone, Copy)]
pub struct Due<'a> {
    pub case_id: &'a str,
    pub assessment_id: &'a str,
    pub need: &'a ReferralNeed,
    pub level: Option<Level>,
}

/// A referral just made due: its id and digest, for the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub id: String,
    pub digest: String,
}

/// Makes a referral due, unless one to the same agency is already open (due or sent) on the case.
pub fn make_due(
    db: &impl Sql,
    due: &Due<'_>,
    policy: &Policy,
    writer: &mut Writer<'_>,
) -> Result<Option<Made>, SqlError> {
    let Due {
        case_id,
        assessment_id,
        need,
        level,
    } = *due;
    let now = writer.now;
    let new_id = &mut writer.new_id;
    let open = db.query(
        "SELECT 1 FROM referrals WHERE case_id = ?1 AND agency = ?2 AND status IN ('due', 'sent')",
        &[case_id.into(), need.agency.as_str().into()],
    )?;
    if !open.rows.is_empty() {
        return Ok(None);
    }
    let recipient = policy
        .recipients
        .get(&need.agency)
        .cloned()
        .unwrap_or_default();
    let id = new_id();
    // In the order of `digests::REFERRAL`.
    let values = vec![
        id.as_str().into(),
        case_id.into(),
        assessment_id.into(),
        need.agency.as_str().into(),
        recipient.into(),
        Value::json(&need.criteria),
        level.map_or(Value::Null, |l| l.as_str().into()),
        ReferralStatus::Due.as_str().into(),
        now.into(),
        hours_after(now, policy.referral_due_hours(&need.agency, level))?,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    let digest = digests::row_digest(&digests::REFERRAL, &values);
    digests::insert(db, &digests::REFERRAL, &values, &digest)?;
    Ok(Some(Made { id, digest }))
}

pub fn get(db: &impl Sql, id: &ReferralId) -> Result<Option<Referral>, SqlError> {
    Ok(select(db, "id = ?1", &[id.into()])?.into_iter().next())
}

pub fn for_assessment(db: &impl Sql, assessment_id: &str) -> Result<Vec<Referral>, SqlError> {
    select(
        db,
        "assessment_id = ?1 ORDER BY created_at, due_at, id",
        &[assessment_id.into()],
    )
}

pub fn open_for_case(db: &impl Sql, case_id: &str) -> Result<Vec<Referral>, SqlError> {
    select(
        db,
        "case_id = ?1 AND status IN ('due', 'sent') ORDER BY due_at, id",
        &[case_id.into()],
    )
}

/// Due and not sent by their time, longest overdue first.
pub fn overdue(db: &impl Sql, now: &str, limit: i64) -> Result<Vec<Referral>, SqlError> {
    select(
        db,
        "status = 'due' AND due_at < ?1 ORDER BY due_at, id LIMIT ?2",
        &[now.into(), limit.into()],
    )
}

/// Which referrals to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<ReferralStatus>,
    pub agency: Option<String>,
    pub case_id: Option<String>,
    /// Due and past their due time.
    pub overdue: bool,
}

/// A page, newest first, after a cursor (the last id of the previous page).
pub fn list(
    db: &impl Sql,
    filter: &Filter,
    now: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Referral>, SqlError> {
    select(
        db,
        "(?1 IS NULL OR status = ?1) AND (?2 IS NULL OR agency = ?2) AND (?3 IS NULL OR case_id = ?3)
         AND (?4 = 0 OR (status = 'due' AND due_at < ?5))
         AND (?6 IS NULL OR (created_at, id) < (SELECT created_at, id FROM referrals WHERE id = ?6))
         ORDER BY created_at DESC, id DESC LIMIT ?7",
        &[
            filter.status.map_or(Value::Null, |s| s.as_str().into()),
            optional(&filter.agency),
            optional(&filter.case_id),
            i64::from(filter.overdue).into(),
            now.into(),
            after.map_or(Value::Null, Value::from),
            limit.into(),
        ],
    )
}

fn optional(text: &Option<String>) -> Value {
    text.as_deref().map_or(Value::Null, Value::from)
}

/// Why a change to a referral did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// Its status does not allow it: the current status.
    WrongStatus(ReferralStatus),
}

/// Sends a due referral: records the sharing decision and fixes the package. Returns the referral's
/// new digest.
pub fn send(
    db: &impl Sql,
    id: &ReferralId,
    sharing: &Sharing,
    package: &serde_json::Value,
    now: &str,
    by: &str,
) -> Result<Result<String, Refused>, SqlError> {
    let updated = db.query(
        &format!(
            "UPDATE referrals SET status = 'sent', sent_at = ?2, sent_by = ?3, sharing = ?4, package = ?5
             WHERE id = ?1 AND status = 'due' RETURNING {}",
            digests::column_list(&digests::REFERRAL)
        ),
        &[id.into(), now.into(), by.into(), Value::json(sharing), Value::json(package)],
    )?;
    if let Some(digest) = digests::restamp(db, &digests::REFERRAL, &updated)? {
        return Ok(Ok(digest));
    }
    Ok(Err(match get(db, id)? {
        Some(r) => Refused::WrongStatus(r.status),
        None => Refused::NotFound,
    }))
}

/// The sent referrals addressed to a partner, newest first.
pub fn for_recipient(
    db: &impl Sql,
    recipient: &str,
    status: Option<PartnerStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Summary>, SqlError> {
    Ok(select(
        db,
        "recipient = ?1 AND status IN ('sent', 'acknowledged') AND (?2 IS NULL OR status = ?2)
         AND (?3 IS NULL OR (sent_at, id) < (SELECT sent_at, id FROM referrals WHERE id = ?3))
         ORDER BY sent_at DESC, id DESC LIMIT ?4",
        &[
            recipient.into(),
            status.map_or(Value::Null, |s| ReferralStatus::from(s).as_str().into()),
            after.map_or(Value::Null, Value::from),
            limit.into(),
        ],
    )?
    .into_iter()
    .map(|r| Summary {
        id: r.id,
        case_id: r.case_id,
        agency: r.agency,
        criteria: r.criteria,
        level: r.level,
        status: r.status,
        sent_at: r.sent_at,
        acknowledged_at: r.acknowledged_at,
    })
    .collect())
}

/// A sent referral's package, for the partner it is addressed to (`None` for anyone else: a partner
/// cannot tell another's referral from one that does not exist).
pub fn package_for(
    db: &impl Sql,
    id: &ReferralId,
    recipient: &str,
) -> Result<Option<serde_json::Value>, SqlError> {
    let rows = db.query(
        "SELECT status, package, acknowledged_at FROM referrals
         WHERE id = ?1 AND recipient = ?2 AND status IN ('sent', 'acknowledged')",
        &[id.into(), recipient.into()],
    )?;
    let Some(r) = rows.first_row() else {
        return Ok(None);
    };
    let mut package: serde_json::Value = r.json("package")?;
    package["status"] = r.parse::<ReferralStatus>("status")?.as_str().into();
    package["acknowledged_at"] = r.optional_text("acknowledged_at")?.into();
    Ok(Some(package))
}

/// The receiving partner acknowledges a sent referral (once). Returns the referral's new digest.
pub fn acknowledge(
    db: &impl Sql,
    id: &ReferralId,
    recipient: &str,
    now: &str,
    by: &str,
) -> Result<Result<String, Refused>, SqlError> {
    let updated = db.query(
        &format!(
            "UPDATE referrals SET status = 'acknowledged', acknowledged_at = ?3, acknowledged_by = ?4
             WHERE id = ?1 AND recipient = ?2 AND status = 'sent' RETURNING {}",
            digests::column_list(&digests::REFERRAL)
        ),
        &[id.into(), recipient.into(), now.into(), by.into()],
    )?;
    if let Some(digest) = digests::restamp(db, &digests::REFERRAL, &updated)? {
        return Ok(Ok(digest));
    }
    Ok(Err(match get(db, id)? {
        Some(r) if r.recipient == recipient && r.status != ReferralStatus::Due => {
            Refused::WrongStatus(r.status)
        }
        _ => Refused::NotFound,
    }))
}
