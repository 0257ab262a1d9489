//! Intake and crime recording: reports become cases (courses of conduct), occurrences are added,
//! stalking is recognised first, and the crime decision is made against a 24-hour clock. Also the
//! Police Information Notice control, which depends on what a case shows.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{self, Ctx, Outcome};
use spin_adapter::input::{self, Page, etag, invalid_query};
use spin_adapter::{Call, created, json, json_with};
use spin_sdk::http::Response;
use stalking_response::access::auth::Role;
use stalking_response::cases::case::{self, Case, CaseView, DECISION_HOURS};
use stalking_response::cases::classification::Classification;
use stalking_response::cases::decision::CaseStatus;
use stalking_response::cases::decision::CrimeDecision;
use stalking_response::cases::intake::{NewCase, NewOccurrence};
use stalking_response::cases::store::{self as cases, Filter};
use stalking_response::ids::{CaseId, OrderId, PersonId, PinId};
use stalking_response::orders::{NewOrder, Order, OrderEvent};
use stalking_response::people::{LinkDecision, NewPerson};
use stalking_response::pins::{PinDecision, PinRequest, PinStatus};
use stalking_response::problem::Problem;
use stalking_response::services::cases::{self as service, no_pin};
use stalking_response::services::orders;
use stalking_response::services::people;

spin_adapter::routes! {
    POST "/api/v1/cases" => CaseCreate, Collection, create_case;
    GET "/api/v1/cases" => CaseList, Asked, list_cases;
    GET "/api/v1/cases/{id}" => CaseRead, Asked, read_case;
    POST "/api/v1/cases/{id}/occurrences" => CaseUpdate, Collection, add_occurrence;
    POST "/api/v1/cases/{id}/crime-decision" => CaseDecide, Collection, record_decision;
    GET "/api/v1/cases/{id}/classification" => CaseRead, Asked, classification;
    GET "/api/v1/cases/{id}/linked-cases" => CaseRead, Asked, linked_cases;
    POST "/api/v1/cases/{case}/links" => LinkReview, Collection, review_link;
    POST "/api/v1/cases/{case}/people" => CaseUpdate, Collection, add_person;
    GET "/api/v1/people/{id}" => PersonRead, Asked, person_profile;
    POST "/api/v1/cases/{case}/orders" => OrderCreate, Collection, create_order;
    GET "/api/v1/orders" => OrderRead, Asked, list_orders;
    GET "/api/v1/orders/{id}" => OrderRead, Asked, read_order;
    POST "/api/v1/orders/{id}/events" => OrderUpdate, Collection, order_event;
    POST "/api/v1/orders/{id}/breaches" => OrderUpdate, Collection, record_breach;
    POST "/api/v1/cases/{case}/pins" => PinRequest, Collection, request_pin;
    GET "/api/v1/pins" => PinRegister, Asked, pin_register;
    POST "/api/v1/pins/{id}/decision" => PinDecide, Collection, decide_pin;
    GET "/api/v1/stats/cases" => CaseStats, NotPersonal, case_stats;
}

fn case_response(status: u16, case: &Case) -> Response {
    let view = CaseView {
        case,
        clock: case::clock(case, time::OffsetDateTime::now_utc()),
    };
    json_with(status, &view, &[("etag", etag(case.version))])
}

fn create_case(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewCase = call.body()?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let case = service::create(&ctx.env(), &officer, &new, &mut call.journal)?;
        if officer.role == Role::Partner {
            let receipt = serde_json::to_vec(&service::Receipt::of(&case)).expect("serialises");
            return Ok((201, receipt));
        }
        Ok((201, case_response(201, &case).into_body()))
    })?;
    Ok(created(status, body, "/api/v1/cases"))
}

fn linked_cases(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: CaseId = call.id_as(service::no_case)?;
    let page: Page = call.query()?;
    let listed = service::linked_cases(&ctx.env(), &id, &page, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "case_id": id, "linked_cases": listed.items, "next": listed.next }),
    ))
}

fn person_profile(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: PersonId = call.id_as(people::no_person)?;
    let page: Page = call.query()?;
    let profile = people::profile(&ctx.env(), &id, &page, &mut call.journal)?;
    Ok(json(200, &profile))
}

fn add_person(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewPerson = call.body()?;
    let case: CaseId = call.param_as("case", service::no_case)?;
    let case = people::add_person(&ctx.env(), &case, &new, &mut call.journal)?;
    Ok(case_response(201, &case))
}

fn review_link(ctx: &Ctx, call: &mut Call) -> Outcome {
    let decision: LinkDecision = call.body()?;
    let case: CaseId = call.param_as("case", service::no_case)?;
    let reviewed = people::review_link(&ctx.env(), &call.who, &case, &decision, &mut call.journal)?;
    Ok(json(200, &reviewed))
}

fn order_response(status: u16, order: &Order) -> Response {
    json_with(status, order, &[("etag", etag(order.version))])
}

fn create_order(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewOrder = call.body()?;
    let case: CaseId = call.param_as("case", service::no_case)?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let order = orders::create(&ctx.env(), &officer, &case, &new, &mut call.journal)?;
        Ok((201, order_response(201, &order).into_body()))
    })?;
    Ok(created(status, body, "/api/v1/orders"))
}

fn read_order(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: OrderId = call.id_as(orders::no_order)?;
    let order = orders::consult(&ctx.env(), &id, &mut call.journal)?;
    Ok(order_response(200, &order))
}

/// `GET /orders` filters.
#[derive(Deserialize)]
struct OrderQuery {
    case: Option<String>,
    #[serde(default, deserialize_with = "input::flag")]
    notification_overdue: bool,
    #[serde(flatten)]
    page: Page,
}

fn list_orders(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: OrderQuery = call.query()?;
    let case = match &query.case {
        None => None,
        Some(text) => {
            Some(CaseId::parse(text).ok_or_else(|| invalid_query("`case` is not a case id."))?)
        }
    };
    let filter = stalking_response::orders::store::Filter {
        case,
        notification_overdue: query.notification_overdue,
    };
    let listed = orders::list(&ctx.env(), &filter, &query.page, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "orders": listed.items, "next": listed.next }),
    ))
}

fn order_event(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let event: OrderEvent = call.body()?;
    let id: OrderId = call.id_as(orders::no_order)?;
    let order = orders::record_event(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &event,
        &mut call.journal,
    )?;
    Ok(order_response(200, &order))
}

fn record_breach(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let occurrence: NewOccurrence = call.body()?;
    let id: OrderId = call.id_as(orders::no_order)?;
    let order = orders::record_breach(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &occurrence,
        &mut call.journal,
    )?;
    Ok(order_response(201, &order))
}

fn read_case(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: CaseId = call.id_as(service::no_case)?;
    let case = service::consult(&ctx.env(), &id, &mut call.journal)?;
    Ok(case_response(200, &case))
}

fn classification(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: CaseId = call.id_as(service::no_case)?;
    let case = service::consult(&ctx.env(), &id, &mut call.journal)?;
    Ok(json(200, &case.suggestion))
}

fn add_occurrence(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let occurrence: NewOccurrence = call.body()?;
    let id: CaseId = call.id_as(service::no_case)?;
    let case = service::add_occurrence(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &occurrence,
        &mut call.journal,
    )?;
    Ok(case_response(201, &case))
}

fn record_decision(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let decision: CrimeDecision = call.body()?;
    let id: CaseId = call.id_as(service::no_case)?;
    let case = service::decide(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &decision,
        &mut call.journal,
    )?;
    Ok(case_response(200, &case))
}

/// `GET /cases` filters.
#[derive(Deserialize)]
struct CaseQuery {
    status: Option<CaseStatus>,
    #[serde(default, deserialize_with = "input::flag")]
    overdue: bool,
    due_within_hours: Option<String>,
    classification: Option<String>,
    officer: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn list_cases(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: CaseQuery = call.query()?;
    let due_before = match query.due_within_hours {
        None => None,
        Some(h) => match h.parse::<i64>() {
            Ok(hours) if (1..=DECISION_HOURS).contains(&hours) => {
                Some(context::later(hours * 3600))
            }
            _ => {
                return Err(invalid_query(
                    "`due_within_hours` is a whole number from 1 to 24.",
                ));
            }
        },
    };
    if let Some(c) = &query.classification
        && Classification::parse(c).is_none()
    {
        return Err(invalid_query(
            "`classification` is not a known classification.",
        ));
    }
    let filter = Filter {
        status: query.status,
        overdue: query.overdue,
        due_before,
        classification: query.classification,
        officer: query.officer,
    };
    let listed = service::list(&ctx.env(), &filter, &query.page, &mut call.journal)?;
    let now = time::OffsetDateTime::now_utc();
    let views: Vec<CaseView> = listed
        .items
        .iter()
        .map(|case| CaseView {
            case,
            clock: case::clock(case, now),
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "cases": views, "next": listed.next }),
    ))
}

fn case_stats(ctx: &Ctx, _: &mut Call) -> Outcome {
    Ok(json(200, &cases::stats(&ctx.db)?))
}

fn request_pin(ctx: &Ctx, call: &mut Call) -> Outcome {
    let request: PinRequest = call.body()?;
    let case_id: CaseId = call.param_as("case", service::no_case)?;
    let pin = service::request_pin(&ctx.env(), &call.who, &case_id, &request, &mut call.journal)?;
    match &pin.refusal_reason {
        // Refused, and on the register as refused: the request is kept, so this answer commits.
        Some(reason) => Ok(spin_adapter::problem(
            &Problem::new(
                422,
                "pin-not-appropriate",
                "A Police Information Notice is not appropriate",
            )
            .with_detail(reason.clone()),
        )),
        None => Ok(json(201, &pin)),
    }
}

fn decide_pin(ctx: &Ctx, call: &mut Call) -> Outcome {
    let decision: PinDecision = call.body()?;
    let id: PinId = call.id_as(no_pin)?;
    let pin = service::decide_pin(&ctx.env(), &call.who, &id, &decision, &mut call.journal)?;
    Ok(json(200, &pin))
}

#[derive(Deserialize)]
struct RegisterQuery {
    status: Option<PinStatus>,
    #[serde(flatten)]
    page: Page,
}

fn pin_register(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: RegisterQuery = call.query()?;
    let listed = service::pin_register(&ctx.env(), query.status, &query.page, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "pins": listed.items, "next": listed.next }),
    ))
}
