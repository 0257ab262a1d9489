//! Orders: recording one against a case's suspect, its events, its breaches (each a new occurrence on
//! the case), and the lists supervisors work from.

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::cases::intake::{self, NewOccurrence};
use crate::cases::store as cases;
use crate::decode::check;
use crate::ids::{CaseId, OrderId};
use crate::orders::store::{self as orders, Filter, UpdateRefused};
use crate::orders::{self as rules, NewOrder, Order, OrderEvent, OrderStatus, Refusal};
use crate::paging::Page;
use crate::problem::Problem;
use crate::sql::Sql;

pub fn no_order() -> Problem {
    Problem::not_found().with_detail("There is no order with this id.")
}

/// An order as the log names it: a record of its case.
pub fn order_record(order: &Order) -> RecordRef {
    RecordRef::of_case(RecordType::Order, &order.id, &order.case_id)
}

fn refused(refusal: UpdateRefused) -> Problem {
    match refusal {
        UpdateRefused::NotFound => no_order(),
        UpdateRefused::VersionMismatch(current) => Problem::version_mismatch(
            "The order has changed",
            "order",
            current,
            "read it again, then retry your change.",
        ),
    }
}

/// Records an order against one of a case's suspects: an SPO application, or a restraining order or
/// bail conditions already made.
pub fn create(
    env: &Env<impl Sql>,
    who: &Principal,
    case_id: &CaseId,
    new: &NewOrder,
    journal: &mut impl Journal,
) -> Result<Order, Problem> {
    let mut errors = rules::validate_new(new, env.now);
    let case = cases::get(env.db, case_id)?.ok_or_else(super::cases::no_case)?;
    let subject = usize::try_from(new.suspect)
        .ok()
        .and_then(|i| case.suspects.get(i));
    let person = match subject.and_then(|s| s.person_id.clone()) {
        Some(person) => Some(person),
        None => {
            errors.push((
                "/suspect".into(),
                format!(
                    "The case has {} suspect(s): give a position from 0 to {}.",
                    case.suspects.len(),
                    case.suspects.len().saturating_sub(1)
                ),
            ));
            None
        }
    };
    check(errors)?;
    let person = person.ok_or_else(Problem::internal)?;
    let id = OrderId::new((env.new_id)());
    let (status, terms) = rules::initial(new);
    orders::create(
        env.db,
        &id,
        case_id,
        &person,
        new.suspect,
        new.kind,
        status,
        &terms,
        env.now_text().as_str(),
        &who.subject,
    )?;
    let order = orders::get(env.db, &id, env.now)?.ok_or_else(Problem::internal)?;
    journal.logs(Operation::Collection, order_record(&order));
    Ok(order)
}

/// Reads an order, logging the consultation.
pub fn consult(
    env: &Env<impl Sql>,
    id: &OrderId,
    journal: &mut impl Journal,
) -> Result<Order, Problem> {
    let order = orders::get(env.db, id, env.now)?.ok_or_else(no_order)?;
    journal.logs(Operation::Consultation, order_record(&order));
    Ok(order)
}

/// A page of orders, each logged as a consultation.
pub fn list(
    env: &Env<impl Sql>,
    filter: &Filter,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<Order>, Problem> {
    let found = orders::list(env.db, filter, page.after.as_deref(), page.limit.0, env.now)?;
    journal.consulted(found.iter().map(order_record));
    Ok(Listed::of(found, page, |o| o.id.to_string()))
}

/// Applies an event (a court's decision, service, notification, variation, renewal, discharge) to an
/// order at `version`.
pub fn record_event(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &OrderId,
    version: i64,
    event: &OrderEvent,
    journal: &mut impl Journal,
) -> Result<Order, Problem> {
    let order = orders::get(env.db, id, env.now)?.ok_or_else(no_order)?;
    let (mut status, mut terms) = (order.status, order.terms.clone());
    match rules::apply(order.kind, &mut status, &mut terms, event, env.now) {
        Ok(()) => {}
        Err(Refusal::Invalid(errors)) => return Err(Problem::validation(errors)),
        Err(Refusal::Conflict(why)) => {
            return Err(Problem::new(
                409,
                "order-event-not-allowed",
                "Not possible for this order now",
            )
            .with_detail(why));
        }
    }
    let detail = serde_json::to_value(event).map_err(|_| Problem::internal())?;
    orders::update(
        env.db,
        id,
        version,
        status,
        &terms,
        false,
        (event.name(), &detail),
        env.now_text().as_str(),
        &who.subject,
    )?
    .map_err(refused)?;
    let order = orders::get(env.db, id, env.now)?.ok_or_else(Problem::internal)?;
    journal.logs(Operation::Alteration, order_record(&order));
    Ok(order)
}

/// Records a breach of an order at `version`: a new occurrence on the order's case (a breach of an
/// order, and for an SPO or a restraining order an offence), linked to the order.
pub fn record_breach(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &OrderId,
    version: i64,
    occurrence: &NewOccurrence,
    journal: &mut impl Journal,
) -> Result<Order, Problem> {
    let mut errors = Vec::new();
    intake::validate_occurrence(&mut errors, "", occurrence, env.now);
    check(errors)?;
    let order = orders::get(env.db, id, env.now)?.ok_or_else(no_order)?;
    if !matches!(order.status, OrderStatus::Interim | OrderStatus::InForce) {
        return Err(
            Problem::new(409, "order-not-in-force", "The order is not in force").with_detail(
                format!(
                    "This {} is {}: a breach is of an order in force.",
                    order.kind, order.status
                ),
            ),
        );
    }
    let case = cases::get(env.db, &order.case_id)?.ok_or_else(Problem::internal)?;
    let mut occurrence = occurrence.clone();
    occurrence.breach_of_order = true;
    let now = env.now_text();
    let digest = cases::add_occurrence(
        env.db,
        &case.id,
        case.version,
        now.as_str(),
        &who.subject,
        &occurrence,
    )?
    .map_err(super::cases::refused)?;
    journal
        .logs(Operation::Alteration, RecordRef::case(&case.id))
        .digest = Some(digest);
    let number = case.occurrences.len() as i64 + 1;
    let detail =
        serde_json::json!({ "occurrence": number, "offence": rules::breach_offence(order.kind) });
    orders::update(
        env.db,
        id,
        version,
        order.status,
        &order.terms,
        true,
        ("breach", &detail),
        now.as_str(),
        &who.subject,
    )?
    .map_err(refused)?;
    let order = orders::get(env.db, id, env.now)?.ok_or_else(Problem::internal)?;
    journal.logs(Operation::Alteration, order_record(&order));
    Ok(order)
}
