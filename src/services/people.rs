//! People: a person's profile (their cases, victims and risk) and a supervisor's review of how a
//! case's person is linked to a person record.

use super::{Env, Journal};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::decode::check;
use crate::ids::{CaseId, PersonId};
use crate::paging::Page;
use crate::people::store::{self as people, ReviewRefused};
use crate::people::{self as rules, Appearance, LinkDecision, NewPerson, Profile};
use crate::problem::Problem;
use crate::sql::Sql;

pub fn no_person() -> Problem {
    Problem::not_found().with_detail("There is no person with this id.")
}

/// A person record as the log names it: of the case it was changed in, where there is one.
fn person_record(id: &str, case: Option<&CaseId>) -> RecordRef {
    match case {
        Some(case) => RecordRef::of_case(RecordType::Person, id, case),
        None => RecordRef::new(RecordType::Person, id),
    }
}

/// A person's profile with a page of their cases. The person and each order shown are logged as
/// consulted, and each case shown as combined (its data brought together with the person's other
/// cases: DPA 2018 s.62).
pub fn profile(
    env: &Env<impl Sql>,
    id: &PersonId,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Profile, Problem> {
    let profile =
        people::profile(env.db, id, page.after.as_deref(), page.limit.0)?.ok_or_else(no_person)?;
    journal.logs(Operation::Consultation, person_record(id, None));
    let mut cases: Vec<&str> = profile.cases.iter().map(|c| c.case_id.as_str()).collect();
    cases.dedup();
    for case in cases {
        journal.logs(Operation::Combination, RecordRef::case(case));
    }
    for order in &profile.orders {
        journal.logs(
            Operation::Consultation,
            RecordRef::of_case(RecordType::Order, &order.id, &order.case_id),
        );
    }
    Ok(profile)
}

/// Adds a witness or another person to a case, linked to the record of the same person (or a new
/// one) as a report's people are; logged as a collection of the person record. Returns the case.
pub fn add_person(
    env: &Env<impl Sql>,
    case_id: &CaseId,
    new: &NewPerson,
    journal: &mut impl Journal,
) -> Result<crate::cases::case::Case, Problem> {
    check(rules::validate_person(new, env.now.date()))?;
    let category = new.category.category();
    let position =
        people::next_position(env.db, case_id, category)?.ok_or_else(super::cases::no_case)?;
    let party = people::Party {
        category,
        position,
        name: &new.name,
        date_of_birth: new.date_of_birth.as_deref(),
        police_id: new.police_id.as_deref(),
    };
    people::link(
        env.db,
        case_id,
        env.now_text().as_str(),
        &[party],
        env.new_id,
    )?;
    let case = crate::cases::store::get(env.db, case_id)?.ok_or_else(Problem::internal)?;
    // The one just added comes last of its category (they are in the order they were added).
    if let Some(person) = case.others.iter().rev().find(|o| o.category == category) {
        journal.logs(
            Operation::Collection,
            person_record(person.person_id.as_str(), Some(case_id)),
        );
    }
    Ok(case)
}

/// A supervisor confirms a suggested link, or splits a link: logged as an alteration of the person
/// record (and of the one split from).
pub fn review_link(
    env: &Env<impl Sql>,
    who: &Principal,
    case: &CaseId,
    decision: &LinkDecision,
    journal: &mut impl Journal,
) -> Result<Appearance, Problem> {
    check(rules::validate_decision(decision))?;
    let reviewed = people::review(
        env.db,
        case,
        decision,
        &who.subject,
        &env.now_text(),
        env.new_id,
    )?;
    let appearance = match reviewed {
        Ok(done) => done,
        Err(ReviewRefused::NoCase) => return Err(super::cases::no_case()),
        Err(ReviewRefused::NotFound) => {
            return Err(Problem::not_found().with_detail(format!(
                "The case has no {} at position {}.",
                decision.category, decision.position
            )));
        }
        Err(ReviewRefused::NotReviewable(basis, review)) => {
            return Err(Problem::new(
                409,
                "link-not-reviewable",
                "This link cannot be reviewed that way",
            )
            .with_detail(format!(
                "The link is {basis} and its review {review}: only a pending suggestion is confirmed, \
                 and only a link to an existing record, not yet split, is split."
            )));
        }
    };
    journal.logs(
        Operation::Alteration,
        person_record(appearance.person_id.as_str(), Some(case)),
    );
    if let Some(from) = &appearance.split_from {
        journal.logs(Operation::Alteration, person_record(from, Some(case)));
    }
    Ok(appearance)
}
