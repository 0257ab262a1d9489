//! Retention under MoPI: a case's or a person's review group and next review, the reviews due, and
//! the review decisions — retain (with the reason) or dispose (erasing the personal data, each record
//! rewritten logged as an erasure with the digest of its tombstone).

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::ids::{CaseId, PersonId};
use crate::paging::Page;
use crate::problem::Problem;
use crate::retention::store::{self, CaseRetention, CaseRetentionView, DueFilter};
use crate::retention::{self as rules, Checked, NewRetentionReview, ReviewGroup, disposal};
use crate::sql::Sql;
use serde::Serialize;
use time::Date;

fn today(env: &Env<impl Sql>) -> Date {
    env.now.date()
}

/// 410 for a case disposed of: its tombstone stays, its personal data is gone.
pub fn disposed(at: &str) -> Problem {
    Problem::new(410, "disposed", "The case was disposed of").with_detail(format!(
        "This case was reviewed and disposed of on {} under the force's retention policy (MoPI): its \
         personal data was erased. Its references and dates remain for the statistics; the access log \
         records the disposal.",
        &at[..at.len().min(10)]
    ))
}

fn view(env: &Env<impl Sql>, id: &CaseId) -> Result<CaseRetentionView, Problem> {
    let (retention, _) = store::get(env.db, id, &env.settings.retention, today(env))?
        .ok_or_else(super::cases::no_case)?;
    Ok(CaseRetentionView {
        retention,
        reviews: store::reviews(env.db, id)?,
    })
}

/// A case's retention and its review decisions, logged as a consultation of the case.
pub fn case_retention(
    env: &Env<impl Sql>,
    id: &CaseId,
    journal: &mut impl Journal,
) -> Result<CaseRetentionView, Problem> {
    crate::facts::settled(env.db)?;
    let view = view(env, id)?;
    journal.logs(Operation::Consultation, RecordRef::case(id.as_str()));
    Ok(view)
}

/// A page of the cases due for review, each logged as a consultation.
pub fn due(
    env: &Env<impl Sql>,
    filter: &DueFilter,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<CaseRetention>, Problem> {
    crate::facts::settled(env.db)?;
    let after = match page.after.as_deref() {
        None => None,
        Some(cursor) => Some(
            // `clear_from/case_id`; compared as text, so any cursor is a place in the order.
            cursor.split_once('/').unwrap_or((cursor, "")),
        ),
    };
    let found = store::due(
        env.db,
        filter,
        &env.settings.retention,
        today(env),
        after,
        page.limit.0,
    )?;
    journal.consulted(found.iter().map(|c| RecordRef::case(c.case_id.as_str())));
    Ok(Listed::of(found, page, |c| {
        format!("{}/{}", c.clear_from, c.case_id)
    }))
}

/// Records a review decision on a case at `version`. To retain: the reason, the next review (and the
/// force's group, if it overrides the derived one). To dispose: the case must be due for review with no
/// order in effect; its personal data is then erased ([`disposal`]).
pub fn decide(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &CaseId,
    version: i64,
    review: &NewRetentionReview,
    journal: &mut impl Journal,
) -> Result<CaseRetentionView, Problem> {
    // Inside the decision's transaction: the group and clear period it decides on are current.
    crate::facts::settle(env.db)?;
    let policy = &env.settings.retention;
    let (current, stored) =
        store::get(env.db, id, policy, today(env))?.ok_or_else(super::cases::no_case)?;
    if let Some(at) = &current.disposed_at {
        return Err(disposed(at));
    }
    let checked = rules::check(review, &stored, policy, today(env)).map_err(Problem::validation)?;
    if matches!(checked, Checked::Dispose { .. }) {
        if current.order_in_effect {
            return Err(Problem::new(409, "order-in-effect", "An order on the case is in effect")
                .with_detail("A case with an order in effect (interim or in force) is retained: review it once the order ends."));
        }
        if !current.due {
            return Err(Problem::new(409, "not-due", "The case is not due for review")
                .with_detail(format!(
                    "Its next review is on {} ({}, {} years' clear period from {}): a case is disposed of at a review that is due.",
                    current.next_review_on,
                    current.review_group.as_str(),
                    policy.years(current.review_group),
                    current.clear_from
                )));
        }
    }
    let review_id = (env.new_id)();
    store::record(
        env.db,
        &review_id,
        id,
        version,
        env.now_text().as_str(),
        &who.subject,
        &checked,
        current.review_group,
    )?
    .map_err(|now_at| {
        Problem::version_mismatch(
            "The case has changed",
            "case",
            now_at,
            "read it again, then retry your decision.",
        )
    })?;
    match checked {
        Checked::Retain(_) => {
            journal.logs(Operation::Alteration, RecordRef::case(id.as_str()));
        }
        Checked::Dispose { .. } => {
            for erased in disposal::erase(env.db, id)? {
                journal.logs(Operation::Erasure, erased.record).digest = erased.digest;
            }
        }
    }
    view(env, id)
}

/// A person's retention: the strictest of their cases' (the lowest group, the latest next review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRetention {
    pub person_id: String,
    /// `None` when every case naming the person was disposed of.
    pub review_group: Option<ReviewGroup>,
    pub next_review_on: Option<String>,
    pub cases_retained: usize,
    pub cases_disposed: usize,
    /// Each case naming the person, by id.
    pub cases: Vec<CaseRetention>,
}

/// A person's retention, logged as a consultation of the person.
pub fn person_retention(
    env: &Env<impl Sql>,
    id: &PersonId,
    journal: &mut impl Journal,
) -> Result<PersonRetention, Problem> {
    crate::facts::settled(env.db)?;
    if !store::person_exists(env.db, id)? {
        return Err(super::people::no_person());
    }
    let policy = &env.settings.retention;
    let cases = store::person_cases(env.db, id, policy, today(env))?;
    let retained: Vec<&CaseRetention> = cases.iter().filter(|c| c.disposed_at.is_none()).collect();
    let strictest = rules::strictest(retained.iter().filter_map(|c| {
        Some((
            c.review_group,
            crate::values::parse_date(&c.next_review_on)?,
        ))
    }));
    journal.logs(
        Operation::Consultation,
        RecordRef::new(RecordType::Person, id.as_str()),
    );
    Ok(PersonRetention {
        person_id: id.to_string(),
        review_group: strictest.map(|(g, _)| g),
        next_review_on: strictest.map(|(_, d)| d.to_string()),
        cases_retained: retained.len(),
        cases_disposed: cases.len() - retained.len(),
        cases,
    })
}
