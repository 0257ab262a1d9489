//! Access control's own records: API tokens, issued (shown once, stored as a hash) and revoked, and the
//! verification of the access log with the records it vouches for.

use super::{Env, Journal};
use crate::access::audit::{self, Operation, RecordRef, RecordType};
use crate::access::auth::{self, Principal, Role, TokenRecord};
use crate::access::tokens::{self, NewToken, RequestStatus, TokenRequest};
use crate::decode::check;
use crate::digests;
use crate::ids::{TokenId, TokenRequestId};
use crate::problem::Problem;
use crate::searches::store as search_records;
use crate::sql::Sql;
use crate::values::Timestamp;
use serde::Serialize;

/// A token just issued: its text, shown this once, and its record.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub token: String,
    pub record: TokenRecord,
}

/// What asking for a token gives: the token, or a request waiting for a second admin.
#[derive(Debug, Clone)]
pub enum Issuance {
    Issued(Issued),
    AwaitingApproval(TokenRequest),
}

/// Issues a token for this force from 256 random bits (only its hash is kept) — or, for the roles
/// that need it, records a request that a second admin must approve (`approve_token`).
pub fn issue_token(
    env: &Env<impl Sql>,
    admin: &Principal,
    new: &NewToken,
    random: [u8; 32],
    journal: &mut impl Journal,
) -> Result<Issuance, Problem> {
    check(tokens::validate(new))?;
    let subject = new.subject.trim();
    let now = env.now_text();
    let held = tokens::active_roles(env.db, subject, &env.settings.force, now.as_str())?;
    tokens::check_request(admin, subject, new.role, &held)?;
    let admins_active = tokens::any_active_admin(env.db, &env.settings.force, now.as_str())?;
    if tokens::waits_for_approval(admin, new.role, admins_active) {
        let request = TokenRequest {
            id: TokenRequestId::new((env.new_id)()),
            subject: subject.into(),
            role: new.role,
            force: env.settings.force.clone(),
            expires_in_days: new.expires_in_days,
            requested_by: admin.subject.clone(),
            requested_at: now,
            status: RequestStatus::Pending,
            decided_by: None,
            decided_at: None,
            token_id: None,
        };
        tokens::insert_request(env.db, &request)?;
        journal.logs(
            Operation::Collection,
            RecordRef::new(RecordType::TokenRequest, &request.id),
        );
        return Ok(Issuance::AwaitingApproval(request));
    }
    let issued = mint(env, admin, subject, new.role, new.expires_in_days, random)?;
    journal.logs(
        Operation::Collection,
        RecordRef::new(RecordType::Token, &issued.record.id),
    );
    Ok(Issuance::Issued(issued))
}

fn mint(
    env: &Env<impl Sql>,
    admin: &Principal,
    subject: &str,
    role: Role,
    expires_in_days: i64,
    random: [u8; 32],
) -> Result<Issued, Problem> {
    let token = auth::format_token(&random);
    let record = TokenRecord {
        id: TokenId::new((env.new_id)()),
        subject: subject.into(),
        role,
        force: env.settings.force.clone(),
        created_at: env.now_text(),
        expires_at: Timestamp::from_time(env.now + time::Duration::days(expires_in_days)),
        revoked_at: None,
        created_by: admin.subject.clone(),
    };
    tokens::insert(env.db, &record, &auth::token_hash(&token))?;
    Ok(Issued { token, record })
}

pub fn no_pending_request() -> Problem {
    Problem::not_found().with_detail("No pending token request has this id.")
}

/// A second admin approves a request: the token is issued and shown to them, once. The admin who
/// asked cannot approve, nor can the subject themself; the one-role rule is checked again.
pub fn approve_token(
    env: &Env<impl Sql>,
    approver: &Principal,
    request_id: &TokenRequestId,
    random: [u8; 32],
    journal: &mut impl Journal,
) -> Result<Issued, Problem> {
    let request = tokens::find_request(env.db, request_id)?
        .filter(|r| r.status == RequestStatus::Pending && r.force == env.settings.force)
        .ok_or_else(no_pending_request)?;
    if approver.subject == request.requested_by {
        return Err(Problem::forbidden(
            "A second admin must approve: the admin who asked for the token cannot.",
        ));
    }
    let now = env.now_text();
    let held = tokens::active_roles(env.db, &request.subject, &env.settings.force, now.as_str())?;
    tokens::check_request(approver, &request.subject, request.role, &held)?;
    let issued = mint(
        env,
        approver,
        &request.subject,
        request.role,
        request.expires_in_days,
        random,
    )?;
    if !tokens::decide_request(
        env.db,
        request_id,
        RequestStatus::Approved,
        &approver.subject,
        now.as_str(),
        Some(&issued.record.id),
    )? {
        return Err(no_pending_request());
    }
    journal.logs(
        Operation::Alteration,
        RecordRef::new(RecordType::TokenRequest, request_id),
    );
    journal.logs(
        Operation::Collection,
        RecordRef::new(RecordType::Token, &issued.record.id),
    );
    Ok(issued)
}

/// Declines (or withdraws) a pending request.
pub fn decline_token(
    env: &Env<impl Sql>,
    admin: &Principal,
    request_id: &TokenRequestId,
    journal: &mut impl Journal,
) -> Result<(), Problem> {
    let decided = tokens::decide_request(
        env.db,
        request_id,
        RequestStatus::Declined,
        &admin.subject,
        env.now_text().as_str(),
        None,
    )?;
    if !decided {
        return Err(no_pending_request());
    }
    journal.logs(
        Operation::Alteration,
        RecordRef::new(RecordType::TokenRequest, request_id),
    );
    Ok(())
}

pub fn no_active_token() -> Problem {
    Problem::not_found().with_detail("No active token has this id.")
}

/// Revokes an active token (its sessions end with it).
pub fn revoke_token(
    env: &Env<impl Sql>,
    id: &TokenId,
    journal: &mut impl Journal,
) -> Result<(), Problem> {
    if !tokens::revoke(env.db, id, &env.now_text())? {
        return Err(no_active_token());
    }
    journal.logs(Operation::Alteration, RecordRef::new(RecordType::Token, id));
    Ok(())
}

/// The log's verification (the queue chained first), with the check of the records it vouches for (each search-record version,
/// case with its suspects and occurrences, PIN, risk assessment and referral must still be what its
/// digest and its latest writing entry's say was written): `valid` only when both are.
///
/// `records` keeps the search records' `versions` and `problems` (every problem, as text) and adds
/// `kinds` (per kind: records, covered, not covered — written before record digests — and problems)
/// and `mismatches` (each record that does not verify: kind, id, problem).
pub fn verify(env: &Env<impl Sql>) -> Result<serde_json::Value, Problem> {
    chain_queued(env)?;
    let log = audit::verify(env.db, env.kv, &env.settings.checkpoints)?;
    let searches = search_records::verify(env.db)?;
    let others = digests::verify(env.db)?;
    let records_valid = searches.valid && others.valid();
    let mut kinds = vec![digests::KindCheck {
        kind: "search",
        records: searches.versions,
        covered: searches.versions,
        not_covered: 0,
        problems: searches.problems.len() as i64,
    }];
    kinds.extend(others.kinds.iter().cloned());
    let mut mismatches: Vec<digests::Mismatch> = searches.mismatches.clone();
    mismatches.extend(others.mismatches.iter().cloned());
    let mut problems = searches.problems.clone();
    problems.extend(
        others
            .mismatches
            .iter()
            .map(|m| format!("{} {}: {}", m.kind, m.id, m.problem)),
    );
    let mut report = serde_json::to_value(&log).expect("serialises");
    report["valid"] = (log.valid && records_valid).into();
    report["records"] = serde_json::json!({
        "valid": records_valid,
        "versions": searches.versions,
        "problems": problems,
        "kinds": kinds,
        "mismatches": mismatches,
    });
    Ok(report)
}

/// A page of the access log (the queue chained first): who accessed a record, or what a person
/// accessed, after entry `after`.
/// The auditor's read is itself logged (as a consultation of the log, naming the query). Returns the
/// entries and the cursor for the next page, when the page is full.
pub fn read_log(
    env: &Env<impl Sql>,
    filter: &audit::Filter,
    after: i64,
    limit: i64,
    journal: &mut impl Journal,
) -> Result<(Vec<audit::Entry>, Option<i64>), Problem> {
    chain_queued(env)?;
    let entries = audit::list(env.db, filter, after, limit)?;
    let described = match filter {
        audit::Filter::Record {
            record_type,
            record_id,
        } => format!("record:{record_type}/{record_id}"),
        audit::Filter::Subject(subject) => format!("subject:{subject}"),
    };
    journal.logs(
        Operation::Consultation,
        RecordRef::new(RecordType::AccessLog, described),
    );
    let next = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok((entries, next))
}

/// The log for a period (dates, inclusive; the queue chained first), to verify independently;
/// logged as a disclosure.
pub fn export_log(
    env: &Env<impl Sql>,
    from: &str,
    to: &str,
    journal: &mut impl Journal,
) -> Result<audit::Export, Problem> {
    chain_queued(env)?;
    let Some(export) = audit::export(env.db, env.kv, &env.settings.checkpoints, from, to)? else {
        return Err(
            Problem::new(422, "export-too-large", "The period holds too many entries").with_detail(
                format!(
                    "One export holds at most {} entries: ask for a shorter period.",
                    audit::MAX_EXPORT
                ),
            ),
        );
    };
    journal.logs(
        Operation::Disclosure,
        RecordRef::new(RecordType::AccessLog, format!("{from}..{to}")),
    );
    Ok(export)
}

/// Chains what is queued for the access log (and raises its high-water mark), so that an auditor's
/// list, export or verification sees every access up to now.
fn chain_queued(env: &Env<impl Sql>) -> Result<(), Problem> {
    audit::seal(
        env.db,
        env.kv,
        &env.settings.checkpoints,
        env.now.unix_timestamp(),
    )?;
    Ok(())
}
