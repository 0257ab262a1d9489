//! Search records: recorded, read, amended (never rewritten), each write vouched for by the digest in
//! its access-log entry; and each view carries its compliance as of now.

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::cases::store::{self as cases, UpdateRefused};
use crate::decode::{check, decode};
use crate::ids::SearchId;
use crate::paging::Page;
use crate::problem::Problem;
use crate::searches::report::{self, Report};
use crate::searches::store::{self as search_records, Search, VersionInfo};
use crate::searches::{self, CaseFacts, Compliance, SearchRecord};
use crate::sql::Sql;
use serde::{Deserialize, Serialize};

/// A search record as shown: the record with its compliance as of now.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    #[serde(flatten)]
    pub search: Search,
    pub compliance: Compliance,
}

/// A correction or completion: a JSON Merge Patch with a reason, made against the current version.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SearchAmendment")]
pub struct Amendment {
    #[schemars(with = "crate::schema::Text<{ searches::MAX_TEXT }>")]
    pub reason: String,
    #[schemars(with = "searches::SearchPatch")]
    pub changes: serde_json::Value,
}

pub fn record_of(id: &str, record: &SearchRecord) -> RecordRef {
    RecordRef::of_case(RecordType::Search, id, &record.case_id)
}

/// A page of search records (optionally of one compliance status), newest first, each with its
/// compliance as of now and logged as consulted.
pub fn list(
    env: &Env<impl Sql>,
    filter: &search_records::Filter,
    status: Option<searches::Status>,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<(Search, Compliance)>, Problem> {
    let found = search_records::list(
        env.db,
        filter,
        status,
        search_records::Page {
            after: page.after.as_deref(),
            limit: page.limit.0,
        },
        env.settings.search_return_days,
        env.now,
    )?;
    journal.consulted(found.iter().map(|(s, _)| record_of(&s.id, &s.record)));
    Ok(Listed::of(found, page, |(s, _)| s.id.to_string()))
}

/// The compliance report for a period (`from` to `to`, dates): counts, no personal data; each record
/// it was worked out from is logged as consulted.
pub fn report(
    env: &Env<impl Sql>,
    filter: &search_records::Filter,
    from: &str,
    to: &str,
    journal: &mut impl Journal,
) -> Result<Report, Problem> {
    let checked =
        search_records::select_checked(env.db, filter, env.settings.search_return_days, env.now)?;
    journal.consulted(checked.iter().map(|(s, _)| record_of(&s.id, &s.record)));
    Ok(report::for_period(from, to, &checked))
}

pub fn no_search() -> Problem {
    Problem::not_found().with_detail("There is no search record with this id.")
}

/// The search with its compliance today, from its record and its case.
fn view(env: &Env<impl Sql>, search: Search) -> Result<View, Problem> {
    let case = cases::named(env.db, &search.record.case_id)?;
    let facts = CaseFacts {
        stalking_suspected: case.is_some_and(|c| c.stalking),
    };
    let compliance = searches::compliance(
        &search.record,
        facts,
        env.settings.search_return_days,
        env.now,
    );
    Ok(View { search, compliance })
}

/// The case must exist: a search record is always linked to its case.
fn case_exists(env: &Env<impl Sql>, record: &SearchRecord, pointer: &str) -> Result<(), Problem> {
    match cases::named(env.db, &record.case_id)? {
        Some(_) => Ok(()),
        None => Err(Problem::validation(vec![(
            pointer.into(),
            "There is no case with this id.".into(),
        )])),
    }
}

/// Records a search; its entry carries the digest of what was written.
pub fn create(
    env: &Env<impl Sql>,
    who: &Principal,
    record: &SearchRecord,
    journal: &mut impl Journal,
) -> Result<View, Problem> {
    check(searches::validate(record, env.now))?;
    case_exists(env, record, "/case_id")?;
    let id = SearchId::new((env.new_id)());
    let digest = search_records::create(env.db, &id, record, &env.now_text(), &who.subject)?;
    journal
        .logs(Operation::Collection, record_of(&id, record))
        .digest = Some(digest);
    let search = search_records::get(env.db, &id)?.ok_or_else(Problem::internal)?;
    view(env, search)
}

/// Reads a search, logging the consultation.
pub fn consult(
    env: &Env<impl Sql>,
    id: &SearchId,
    journal: &mut impl Journal,
) -> Result<View, Problem> {
    let search = search_records::get(env.db, id)?.ok_or_else(no_search)?;
    journal.logs(Operation::Consultation, record_of(id, &search.record));
    view(env, search)
}

/// Reads one version of a search as it was written.
pub fn version(
    env: &Env<impl Sql>,
    id: &SearchId,
    number: i64,
    journal: &mut impl Journal,
) -> Result<(VersionInfo, SearchRecord), Problem> {
    let (info, record) = search_records::version(env.db, id, number)?.ok_or_else(|| {
        Problem::not_found().with_detail("There is no such search record or version.")
    })?;
    journal.logs(Operation::Consultation, record_of(id, &record));
    Ok((info, record))
}

/// Amends a search at `version`: the patched record must be valid and differ from the current one;
/// the original stays as a version, and the entry carries the new digest.
pub fn amend(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &SearchId,
    version: i64,
    amendment: &Amendment,
    journal: &mut impl Journal,
) -> Result<View, Problem> {
    let mut errors = Vec::new();
    crate::values::text(
        &mut errors,
        "/reason",
        &amendment.reason,
        "the reason for the amendment",
        searches::MAX_TEXT,
    );
    if !amendment.changes.is_object() {
        errors.push((
            "/changes".into(),
            "Give the changes as an object (JSON Merge Patch, RFC 7396).".into(),
        ));
    }
    check(errors)?;
    let current = search_records::get(env.db, id)?.ok_or_else(no_search)?;
    let mut document = serde_json::to_value(&current.record).expect("serialises");
    searches::merge_patch(&mut document, &amendment.changes);
    let record: SearchRecord = decode(document, "/changes")?;
    check(
        searches::validate(&record, env.now)
            .into_iter()
            .map(|(pointer, detail)| (format!("/changes{pointer}"), detail))
            .collect(),
    )?;
    if record == current.record {
        return Err(Problem::validation(vec![(
            "/changes".into(),
            "The amendment changes nothing.".into(),
        )]));
    }
    if record.case_id != current.record.case_id {
        case_exists(env, &record, "/changes/case_id")?;
    }
    let change = search_records::Amendment {
        record: &record,
        changes: &amendment.changes,
        reason: &amendment.reason,
    };
    let amended =
        search_records::amend(env.db, id, version, &change, &env.now_text(), &who.subject)?;
    let (_, digest) = match amended {
        Ok(done) => done,
        Err(UpdateRefused::VersionMismatch(current)) => {
            return Err(Problem::version_mismatch(
                "The record has changed",
                "record",
                current,
                "read it again, then amend it.",
            ));
        }
        Err(_) => return Err(no_search()),
    };
    journal
        .logs(Operation::Alteration, record_of(id, &record))
        .digest = Some(digest);
    let search = search_records::get(env.db, id)?.ok_or_else(Problem::internal)?;
    view(env, search)
}
