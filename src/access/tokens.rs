//! Stored bearer tokens: issued and revoked by an admin, looked up by hash; and the rules that stop an
//! admin from impersonating anyone — a subject holds one role, an admin never issues a token in their
//! own name, and the most powerful tokens need a second admin's approval.

use crate::access::auth::{Principal, Role, TokenRecord};
use crate::access::authentication::BOOTSTRAP;
use crate::ids::{TokenId, TokenRequestId};
use crate::problem::Problem;
use crate::sql::{Row, Rows, Sql, SqlError};
use crate::values::Timestamp;
use serde::{Deserialize, Serialize};

/// A token request, as the API accepts it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Collar or staff number, or a partner system's name: up to 64 characters once leading and
    /// trailing spaces are trimmed, not blank, no control characters.
    #[schemars(with = "crate::schema::Subject<MAX_SUBJECT>")]
    pub subject: String,
    pub role: Role,
    /// Days until it expires: 1 to 365; default 90.
    #[serde(default = "default_days")]
    #[schemars(range(min = 1, max = MAX_DAYS))]
    pub expires_in_days: i64,
}

/// The longest subject, once trimmed.
pub const MAX_SUBJECT: usize = 64;
/// The longest a token lasts, in days.
pub const MAX_DAYS: i64 = 365;

fn default_days() -> i64 {
    90
}

pub fn validate(token: &NewToken) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let subject = token.subject.trim();
    if subject.is_empty()
        || subject.chars().count() > MAX_SUBJECT
        || subject.chars().any(char::is_control)
    {
        errors.push(("/subject".into(), "Enter the holder's collar or staff number, or the partner system's name (up to 64 characters).".into()));
    }
    if !(1..=MAX_DAYS).contains(&token.expires_in_days) {
        errors.push((
            "/expires_in_days".into(),
            "Expiry must be from 1 to 365 days.".into(),
        ));
    }
    errors
}

pub fn insert(db: &impl Sql, record: &TokenRecord, hash: &str) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO api_tokens (id, token_hash, subject, role, force, created_at, expires_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            record.id.as_str().into(),
            hash.into(),
            record.subject.as_str().into(),
            record.role.as_str().into(),
            record.force.as_str().into(),
            record.created_at.as_str().into(),
            record.expires_at.as_str().into(),
            record.created_by.as_str().into(),
        ],
    )
}

const COLUMNS: &str = "id, subject, role, force, created_at, expires_at, revoked_at, created_by";

/// The token with this hash, and, in the same statement, when the throttle's lock on `counter` ends
/// if `max` failures have locked it (`throttle::locked`): a valid token costs one read.
pub fn find_by_hash(
    db: &impl Sql,
    hash: &str,
    counter: &str,
    max: i64,
    now: i64,
) -> Result<Option<(TokenRecord, Option<i64>)>, SqlError> {
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS}, {} AS locked_until FROM api_tokens WHERE token_hash = ?1",
            crate::access::throttle::locked_until(2)
        ),
        &[hash.into(), counter.into(), max.into(), now.into()],
    )?;
    let locked = match rows.first_row() {
        Some(row) => row.optional_integer("locked_until")?,
        None => None,
    };
    Ok(records(&rows)?.into_iter().next().map(|r| (r, locked)))
}

pub fn find(db: &impl Sql, id: &str) -> Result<Option<TokenRecord>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(records(&rows)?.into_iter().next())
}

/// A page of tokens in the order they were issued, after the token `after` (an id).
pub fn list(db: &impl Sql, after: Option<&str>, limit: i64) -> Result<Vec<TokenRecord>, SqlError> {
    let rows = match after {
        None => db.query(
            &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at, id LIMIT ?1"),
            &[limit.into()],
        )?,
        Some(after) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM api_tokens
                 WHERE (created_at, id) > (SELECT created_at, id FROM api_tokens WHERE id = ?1)
                 ORDER BY created_at, id LIMIT ?2"
            ),
            &[after.into(), limit.into()],
        )?,
    };
    records(&rows)
}

/// The roles `subject` holds through tokens still active at `now`.
pub fn active_roles(
    db: &impl Sql,
    subject: &str,
    force: &str,
    now: &str,
) -> Result<Vec<Role>, SqlError> {
    let rows = db.query(
        "SELECT DISTINCT role FROM api_tokens
         WHERE subject = ?1 AND force = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        &[subject.into(), force.into(), now.into()],
    )?;
    rows.iter().map(|r| role(&r)).collect()
}

/// Roles whose tokens a second admin must approve: an admin can do anything to access, a
/// superintendent decides what no officer may, and a partner system takes data out of the force.
pub fn needs_approval(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Superintendent | Role::Partner)
}

/// Whether `admin` may ask for a token for `subject` in `role`, given the roles the subject already
/// holds: never in the admin's own name, and one role per subject (a second token in someone's name
/// under another role would let its holder act as them).
pub fn check_request(
    admin: &Principal,
    subject: &str,
    role: Role,
    held: &[Role],
) -> Result<(), Problem> {
    if subject == admin.subject {
        return Err(Problem::forbidden(
            "An admin cannot issue a token in their own name: another admin must.",
        ));
    }
    if let Some(other) = held.iter().find(|r| **r != role) {
        return Err(Problem::new(409, "subject-has-another-role", "The subject holds another role")
            .with_detail(format!(
                "{subject} already holds an active {} token, and a subject holds one role: revoke it first.",
                other.as_str()
            )));
    }
    Ok(())
}

/// Whether a token in `role`, asked for by `admin`, waits for a second admin. The one exception: the
/// bootstrap admin's first admin token, while no admin token is active (there is nobody to approve
/// it; the bootstrap token is the deployment's own secret).
pub fn waits_for_approval(admin: &Principal, role: Role, admins_active: bool) -> bool {
    needs_approval(role) && !(role == Role::Admin && admin.token_id == BOOTSTRAP && !admins_active)
}

/// Whether any admin token is active.
pub fn any_active_admin(db: &impl Sql, force: &str, now: &str) -> Result<bool, SqlError> {
    let rows = db.query(
        "SELECT 1 AS found FROM api_tokens
         WHERE role = 'admin' AND force = ?1 AND revoked_at IS NULL AND expires_at > ?2 LIMIT 1",
        &[force.into(), now.into()],
    )?;
    Ok(!rows.rows.is_empty())
}

/// A request for a token that needs a second admin's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRequest {
    pub id: TokenRequestId,
    pub subject: String,
    pub role: Role,
    pub force: String,
    pub expires_in_days: i64,
    pub requested_by: String,
    pub requested_at: Timestamp,
    pub status: RequestStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// The token issued on approval.
    pub token_id: Option<TokenId>,
}

crate::vocabulary! {
    /// Where a token request stands: it waits for a second admin, who approves or declines it.
    pub enum RequestStatus {
        Pending,
        Approved,
        Declined,
    }
}

const REQUEST_COLUMNS: &str = "id, subject, role, force, expires_in_days, requested_by, requested_at, status, decided_by, decided_at, token_id";

pub fn insert_request(db: &impl Sql, request: &TokenRequest) -> Result<(), SqlError> {
    db.run(
        &format!("INSERT INTO token_requests ({REQUEST_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', NULL, NULL, NULL)"),
        &[
            request.id.as_str().into(),
            request.subject.as_str().into(),
            request.role.as_str().into(),
            request.force.as_str().into(),
            request.expires_in_days.into(),
            request.requested_by.as_str().into(),
            request.requested_at.as_str().into(),
        ],
    )
}

pub fn find_request(db: &impl Sql, id: &TokenRequestId) -> Result<Option<TokenRequest>, SqlError> {
    let rows = db.query(
        &format!("SELECT {REQUEST_COLUMNS} FROM token_requests WHERE id = ?1"),
        &[id.into()],
    )?;
    requests(&rows).map(|r| r.into_iter().next())
}

/// A page of pending requests, oldest first, after the request `after` (an id).
pub fn pending_requests(
    db: &impl Sql,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<TokenRequest>, SqlError> {
    let rows = db.query(
        &format!(
            "SELECT {REQUEST_COLUMNS} FROM token_requests WHERE status = 'pending'
             AND (?1 IS NULL OR (requested_at, id) > (SELECT requested_at, id FROM token_requests WHERE id = ?1))
             ORDER BY requested_at, id LIMIT ?2"
        ),
        &[after.map_or(crate::sql::Value::Null, Into::into), limit.into()],
    )?;
    requests(&rows)
}

/// Decides a pending request; false if it is not pending (decided already, or no such request).
pub fn decide_request(
    db: &impl Sql,
    id: &TokenRequestId,
    status: RequestStatus,
    by: &str,
    at: &str,
    token_id: Option<&TokenId>,
) -> Result<bool, SqlError> {
    let rows = db.query(
        "UPDATE token_requests SET status = ?1, decided_by = ?2, decided_at = ?3, token_id = ?4
         WHERE id = ?5 AND status = 'pending' RETURNING id",
        &[
            status.as_str().into(),
            by.into(),
            at.into(),
            token_id.map_or(crate::sql::Value::Null, Into::into),
            id.into(),
        ],
    )?;
    Ok(!rows.rows.is_empty())
}

fn requests(rows: &Rows) -> Result<Vec<TokenRequest>, SqlError> {
    rows.iter()
        .map(|r| {
            Ok(TokenRequest {
                id: r.parse("id")?,
                subject: r.text("subject")?,
                role: role(&r)?,
                force: r.text("force")?,
                expires_in_days: r.integer("expires_in_days")?,
                requested_by: r.text("requested_by")?,
                requested_at: r.parse("requested_at")?,
                status: r.parse("status")?,
                decided_by: r.optional_text("decided_by")?,
                decided_at: r.optional_parse("decided_at")?,
                token_id: r.optional_parse("token_id")?,
            })
        })
        .collect()
}

fn role(r: &Row) -> Result<Role, SqlError> {
    let role = r.text("role")?;
    Role::parse(&role)
        .ok_or_else(|| SqlError(format!("column role: {role:?} is not a known value")))
}

/// Revokes a token; false if there is no such token or it was already revoked.
pub fn revoke(db: &impl Sql, id: &TokenId, now: &str) -> Result<bool, SqlError> {
    let rows = db.query(
        "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL RETURNING id",
        &[now.into(), id.into()],
    )?;
    Ok(!rows.rows.is_empty())
}

fn records(rows: &Rows) -> Result<Vec<TokenRecord>, SqlError> {
    rows.iter()
        .map(|r| {
            Ok(TokenRecord {
                id: r.parse("id")?,
                subject: r.text("subject")?,
                role: role(&r)?,
                force: r.text("force")?,
                created_at: r.parse("created_at")?,
                expires_at: r.parse("expires_at")?,
                revoked_at: r.optional_parse("revoked_at")?,
                created_by: r.text("created_by")?,
            })
        })
        .collect()
}
