//! Protocol compliance (issue #16 point 1): a case's checks, the force's list of cases by check and
//! status, and the summary for the quarterly police–CPS review. Statuses are worked out at read time
//! from the stored facts (`compliance::store`) and the time now.

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::compliance::considerations::{self, Consideration, NewConsideration};
use crate::compliance::store::{self, Stored};
use crate::compliance::{CaseCompliance, Filter, Summary, checks};
use crate::ids::CaseId;
use crate::paging::Page;
use crate::problem::Problem;
use crate::profile::Period;
use crate::sql::Sql;

/// Rows read at a time while a filtered list or the summary walks a period.
pub const CHUNK: i64 = 2000;

fn shown(row: Stored, now: &str) -> CaseCompliance {
    CaseCompliance {
        checks: checks(&row.facts, now),
        case_id: row.case_id,
        incident_reference: row.incident_reference,
        reported_at: row.facts.reported_at,
    }
}

/// One case's checks, logged as a consultation of the case.
pub fn case(
    env: &Env<impl Sql>,
    id: &CaseId,
    journal: &mut impl Journal,
) -> Result<CaseCompliance, Problem> {
    crate::facts::settled(env.db)?;
    let row = store::facts(env.db, id.as_str(), env.settings.victim_updates)?
        .ok_or_else(super::cases::no_case)?;
    let now = env.now_text();
    journal.logs(Operation::Consultation, RecordRef::case(id.as_str()));
    Ok(shown(row, now.as_str()))
}

/// The force's list: the cases reported in the period (any, when none is given) whose named check —
/// or any check — is in the status asked for, in report order, a page at a time. Each case listed is
/// logged as consulted.
pub fn list(
    env: &Env<impl Sql>,
    filter: &Filter,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<CaseCompliance>, Problem> {
    crate::facts::settled(env.db)?;
    let now = env.now_text();
    let (start, end) = filter.bounds();
    let mut after = match &page.after {
        None => None,
        Some(cursor) => Some(store::position(env.db, cursor)?.ok_or_else(|| {
            Problem::new(400, "invalid-query", "Invalid query parameter")
                .with_detail("`after` is not a cursor this list gave.")
        })?),
    };
    let limit = page.limit.0;
    let unfiltered = filter.check.is_none() && filter.status.is_none();
    // A check and a status: SQL skips the cases whose facts rule it out, the rules decide the rest.
    let condition = filter
        .check
        .zip(filter.status)
        .and_then(|(c, s)| store::prefilter(c, s));
    let mut items = Vec::new();
    loop {
        // Unfiltered, a page is the next `limit` rows; filtered, rows are read a chunk at a time
        // until the page is full or the period ends.
        let want = if unfiltered { limit } else { CHUNK };
        let rows = store::scan_where(
            env.db,
            (&start, &end),
            after.as_ref(),
            want,
            condition,
            env.settings.victim_updates,
        )?;
        let read = rows.len() as i64;
        if let Some(last) = rows.last() {
            after = Some((last.facts.reported_at.clone(), last.case_id.clone()));
        }
        for row in rows {
            let case = shown(row, now.as_str());
            if filter.keeps(&case.checks) {
                items.push(case);
                if items.len() as i64 == limit {
                    break;
                }
            }
        }
        if items.len() as i64 == limit || read < want {
            break;
        }
    }
    journal.consulted(items.iter().map(|c| RecordRef::case(c.case_id.clone())));
    Ok(Listed::of(items, page, |c| c.case_id.clone()))
}

/// Per check, how the cases reported in the period stand: no person and no case, logged as one
/// consultation of statistics.
pub fn summary(
    env: &Env<impl Sql>,
    period: Period,
    journal: &mut impl Journal,
) -> Result<Summary, Problem> {
    crate::facts::settled(env.db)?;
    let now = env.now_text();
    let (start, end) = period.bounds();
    let mut summary = Summary::new(period, now.as_str());
    let mut after = None;
    loop {
        let rows = store::scan(
            env.db,
            (&start, &end),
            after.as_ref(),
            CHUNK,
            env.settings.victim_updates,
        )?;
        let read = rows.len() as i64;
        if let Some(last) = rows.last() {
            after = Some((last.facts.reported_at.clone(), last.case_id.clone()));
        }
        for row in &rows {
            summary.add(&checks(&row.facts, now.as_str()));
        }
        if read < CHUNK {
            break;
        }
    }
    journal.logs(
        Operation::Consultation,
        RecordRef::new(RecordType::Statistics, "protocol-compliance"),
    );
    Ok(summary.finish())
}

/// Records a decision not to apply for a power (a s.2B warrant, an order) with its reason: logged as a
/// collection in the case; the case's compliance facts follow when next read (`facts`).
pub fn consider(
    env: &Env<impl Sql>,
    who: &crate::access::auth::Principal,
    case_id: &CaseId,
    new: &NewConsideration,
    journal: &mut impl Journal,
) -> Result<Consideration, Problem> {
    crate::decode::check(considerations::validate(new))?;
    super::cases::live(env, case_id)?;
    let consideration = Consideration {
        id: (env.new_id)(),
        case_id: case_id.clone(),
        power: new.power,
        reason: new.reason.trim().to_string(),
        victim_views: new
            .victim_views
            .as_deref()
            .map(str::trim)
            .map(str::to_string),
        recorded_at: env.now_text(),
        recorded_by: who.subject.clone(),
    };
    store::add_consideration(env.db, &consideration)?;
    journal.logs(
        Operation::Collection,
        RecordRef::of_case(
            RecordType::Consideration,
            &consideration.id,
            case_id.as_str(),
        ),
    );
    Ok(consideration)
}
