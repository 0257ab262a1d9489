//! Victim care and actions: the victim's preferences and contacts, the updates owed at key decisions,
//! and what is due on a case, on an officer's cases, and overdue across the force.

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::{Principal, Role};
use crate::actions::{self, Action};
use crate::care::store::{self as care, NotOpen};
use crate::care::{
    self as rules, Contact, NewContact, NewKeyDecision, Preferences, Update, VictimCare,
};
use crate::cases::store as cases;
use crate::decode::check;
use crate::ids::CaseId;
use crate::paging::Page;
use crate::problem::Problem;
use crate::sql::Sql;
use crate::values::Timestamp;
use std::collections::BTreeSet;

fn care_record(case_id: &CaseId) -> RecordRef {
    RecordRef::of_case(RecordType::VictimCare, case_id.as_str(), case_id.as_str())
}

fn contact_record(contact: &Contact, case_id: &CaseId) -> RecordRef {
    RecordRef::of_case(RecordType::VictimContact, &contact.id, case_id.as_str())
}

fn update_record(id: &str, case_id: &CaseId) -> RecordRef {
    RecordRef::of_case(RecordType::VictimUpdate, id, case_id.as_str())
}

fn read_care(env: &Env<impl Sql>, case_id: &CaseId) -> Result<VictimCare, Problem> {
    Ok(care::get(
        env.db,
        case_id,
        env.settings.victim_updates,
        env.now,
    )?)
}

/// A case's victim care, logged as a consultation of it (it holds the safe contact details).
pub fn read(
    env: &Env<impl Sql>,
    case_id: &CaseId,
    journal: &mut impl Journal,
) -> Result<VictimCare, Problem> {
    super::cases::live(env, case_id)?;
    let found = read_care(env, case_id)?;
    journal.logs(Operation::Consultation, care_record(case_id));
    Ok(found)
}

/// Records the victim's preferences against `expected` (`If-Match`; 0 before they are first
/// recorded): a collection the first time, an alteration after.
pub fn save_preferences(
    env: &Env<impl Sql>,
    who: &Principal,
    case_id: &CaseId,
    expected: i64,
    preferences: &Preferences,
    journal: &mut impl Journal,
) -> Result<VictimCare, Problem> {
    check(rules::validate_preferences(preferences))?;
    super::cases::live(env, case_id)?;
    let now = env.now_text();
    match care::save_preferences(
        env.db,
        case_id,
        expected,
        preferences,
        now.as_str(),
        &who.subject,
    )? {
        Ok(_) => {
            let operation = if expected == 0 {
                Operation::Collection
            } else {
                Operation::Alteration
            };
            journal.logs(operation, care_record(case_id));
            read_care(env, case_id)
        }
        Err(current) => Err(Problem::version_mismatch(
            "The victim care has changed",
            "victim care",
            current,
            "read it again, then retry your change.",
        )),
    }
}

/// Records a contact with the victim, and marks the updates it gave: logged as the contact's
/// collection and each update's alteration.
pub fn add_contact(
    env: &Env<impl Sql>,
    who: &Principal,
    case_id: &CaseId,
    new: &NewContact,
    journal: &mut impl Journal,
) -> Result<Contact, Problem> {
    let (errors, at) = rules::validate_contact(new, env.now);
    check(errors)?;
    super::cases::live(env, case_id)?;
    let contacted_at = Timestamp::from_time(at.ok_or_else(Problem::internal)?);
    let id = (env.new_id)();
    let recorded_at = env.now_text();
    let stored = care::add_contact(
        env.db,
        &id,
        case_id,
        contacted_at.as_str(),
        recorded_at.as_str(),
        &who.subject,
        new.method,
        new.summary.trim(),
        new.personal_statement,
        new.safety_plan_agreed,
        &new.updates_given,
    )?;
    if let Err(NotOpen(refused)) = stored {
        return Err(Problem::validation(
            refused
                .into_iter()
                .map(|(i, reason)| (format!("/updates_given/{i}"), reason))
                .collect(),
        ));
    }
    let contact = Contact {
        id,
        contacted_at,
        recorded_at,
        recorded_by: who.subject.clone(),
        method: new.method,
        summary: new.summary.trim().to_string(),
        personal_statement: new.personal_statement,
        safety_plan_agreed: new.safety_plan_agreed,
        updates_given: new.updates_given.clone(),
    };
    journal.logs(Operation::Collection, contact_record(&contact, case_id));
    for update in &contact.updates_given {
        journal.logs(Operation::Alteration, update_record(update, case_id));
    }
    Ok(contact)
}

/// A page of the case's contacts, the latest first, each logged as consulted.
pub fn contacts(
    env: &Env<impl Sql>,
    case_id: &CaseId,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<Contact>, Problem> {
    super::cases::live(env, case_id)?;
    let found = care::contacts(env.db, case_id, page.after.as_deref(), page.limit.0)?;
    journal.consulted(found.iter().map(|c| contact_record(c, case_id)));
    Ok(Listed::of(found, page, |c| c.id.clone()))
}

/// Records a key decision an officer knows of (an arrest, a charge…): the victim's update about it
/// is due from then.
pub fn add_decision(
    env: &Env<impl Sql>,
    who: &Principal,
    case_id: &CaseId,
    new: &NewKeyDecision,
    journal: &mut impl Journal,
) -> Result<Update, Problem> {
    let (errors, at) = rules::validate_decision(new, env.now);
    check(errors)?;
    super::cases::live(env, case_id)?;
    let decided_at = Timestamp::from_time(at.ok_or_else(Problem::internal)?);
    let id = (env.new_id)();
    care::add_decision(
        env.db,
        &id,
        case_id,
        new.decision,
        decided_at.as_str(),
        &who.subject,
    )?;
    journal.logs(Operation::Collection, update_record(&id, case_id));
    read_care(env, case_id)?
        .updates
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(Problem::internal)
}

/// What is due on a case, the case logged as consulted.
pub fn case_actions(
    env: &Env<impl Sql>,
    case_id: &CaseId,
    journal: &mut impl Journal,
) -> Result<Vec<Action>, Problem> {
    super::cases::live(env, case_id)?;
    let case = cases::get(env.db, case_id)?.ok_or_else(super::cases::no_case)?;
    let found = actions::store::for_case(env.db, &case, env.settings.victim_updates, env.now)?;
    journal.logs(Operation::Consultation, RecordRef::case(&case.id));
    Ok(found)
}

/// The cases an officer reported, a page at a time (newest first), with what is due on each: only
/// cases with something due are shown, and each is logged as consulted. An officer sees only their
/// own.
pub fn officer_actions(
    env: &Env<impl Sql>,
    who: &Principal,
    officer: Option<&str>,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<Vec<Action>>, Problem> {
    let officer = officer.unwrap_or(&who.subject);
    if who.role == Role::Officer && officer != who.subject {
        return Err(Problem::forbidden(
            "An officer sees their own actions: leave out `officer`, or give your own.",
        ));
    }
    let filter = cases::Filter {
        officer: Some(officer.to_string()),
        ..cases::Filter::default()
    };
    let now = env.now_text();
    let page_of_cases = cases::list(
        env.db,
        &filter,
        now.as_str(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    let next = page.next(&page_of_cases, |c| c.id.to_string());
    let mut due = Vec::new();
    for case in &page_of_cases {
        let found = actions::store::for_case(env.db, case, env.settings.victim_updates, env.now)?;
        if !found.is_empty() {
            journal.logs(Operation::Consultation, RecordRef::case(&case.id));
            due.push(found);
        }
    }
    Ok(Listed { items: due, next })
}

/// Everything overdue across the force (at most `limit` of each kind); each case shown logged once as
/// consulted.
pub fn overdue_actions(
    env: &Env<impl Sql>,
    limit: i64,
    journal: &mut impl Journal,
) -> Result<Vec<Action>, Problem> {
    let found = actions::store::overdue(env.db, env.settings.victim_updates, env.now, limit)?;
    let cases: BTreeSet<&CaseId> = found.iter().map(|a| &a.case_id).collect();
    journal.consulted(cases.into_iter().map(RecordRef::case));
    Ok(found)
}
