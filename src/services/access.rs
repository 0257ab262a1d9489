//! Access control's own records: API tokens, issued (shown once, stored as a hash) and revoked, and the
//! verification of the access log with the records it vouches for.

use super::{Env, Journal};
use crate::access::audit::{self, Operation, RecordRef, RecordType};
use crate::access::auth::{self, Principal, TokenRecord};
use crate::access::tokens::{self, NewToken};
use crate::decode::check;
use crate::digests;
use crate::problem::Problem;
use crate::searches::store as search_records;
use crate::sql::Sql;
use serde::Serialize;

/// A token just issued: its text, shown this once, and its record.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub token: String,
    pub record: TokenRecord,
}

/// Issues a token for this force from 256 random bits; only its hash is kept.
pub fn issue_token(
    env: &Env<impl Sql>,
    admin: &Principal,
    new: &NewToken,
    random: [u8; 32],
    journal: &mut impl Journal,
) -> Result<Issued, Problem> {
    check(tokens::validate(new))?;
    let token = auth::format_token(&random);
    let record = TokenRecord {
        id: (env.new_id)(),
        subject: new.subject.trim().into(),
        role: new.role,
        force: env.settings.force.clone(),
        created_at: env.now_text().into_string(),
        expires_at: crate::values::timestamp(env.now + time::Duration::days(new.expires_in_days)),
        revoked_at: None,
        created_by: admin.subject.clone(),
    };
    tokens::insert(env.db, &record, &auth::token_hash(&token))?;
    journal.logs(
        Operation::Collection,
        RecordRef::new(RecordType::Token, &record.id),
    );
    Ok(Issued { token, record })
}

/// Revokes an active token (its sessions end with it).
pub fn revoke_token(
    env: &Env<impl Sql>,
    id: &str,
    journal: &mut impl Journal,
) -> Result<(), Problem> {
    if !tokens::revoke(env.db, id, &env.now_text())? {
        return Err(Problem::not_found().with_detail("No active token has this id."));
    }
    journal.logs(Operation::Alteration, RecordRef::new(RecordType::Token, id));
    Ok(())
}

/// The log's verification, with the check of the records it vouches for (each search-record version,
/// case with its suspects and occurrences, PIN, risk assessment and referral must still be what its
/// digest and its latest writing entry's say was written): `valid` only when both are.
///
/// `records` keeps the search records' `versions` and `problems` (every problem, as text) and adds
/// `kinds` (per kind: records, covered, not covered — written before record digests — and problems)
/// and `mismatches` (each record that does not verify: kind, id, problem).
pub fn verify(env: &Env<impl Sql>) -> Result<serde_json::Value, Problem> {
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
