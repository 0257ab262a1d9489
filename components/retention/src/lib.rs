//! Retention under MoPI (issue #15 point 5): the reviews due, a case's and a person's review group and
//! next review, and the review decisions — retain with the reason, or dispose of the case (its personal
//! data erased, its tombstone and the access log still verifiable).
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{Ctx, Outcome};
use spin_adapter::input::{Page, etag, invalid_query};
use spin_adapter::{Call, json, json_with};
use stalking_response::ids::{CaseId, PersonId};
use stalking_response::retention::store::{CaseRetentionView, DueFilter};
use stalking_response::retention::{NewRetentionReview, ReviewGroup};
use stalking_response::services::cases::no_case;
use stalking_response::services::people::no_person;
use stalking_response::services::retention as service;

spin_adapter::routes! {
    GET "/api/v1/retention/due" => RetentionRead, Asked, due;
    GET "/api/v1/retention/cases/{id}" => RetentionRead, Asked, read_case;
    POST "/api/v1/retention/cases/{id}/reviews" => RetentionDecide, Collection, decide;
    GET "/api/v1/retention/people/{id}" => RetentionRead, Asked, read_person;
}

fn case_response(status: u16, view: &CaseRetentionView) -> spin_sdk::http::Response {
    json_with(status, view, &[("etag", etag(view.retention.version))])
}

/// `GET /retention/due` filters.
#[derive(Deserialize)]
struct DueQuery {
    group: Option<String>,
    due_by: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn due(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: DueQuery = call.query()?;
    let env = ctx.env();
    let group = match query.group.as_deref() {
        None => None,
        Some(text) => Some(
            ReviewGroup::parse(text)
                .ok_or_else(|| invalid_query("`group` is group1, group2, group3 or group4."))?,
        ),
    };
    let due_by = match query.due_by.as_deref() {
        None => env.now.date(),
        Some(text) => stalking_response::values::parse_date(text)
            .ok_or_else(|| invalid_query("`due_by` is a date, YYYY-MM-DD."))?,
    };
    let filter = DueFilter { due_by, group };
    let listed = service::due(&env, &filter, &query.page, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "due_by": due_by.to_string(), "cases": listed.items, "next": listed.next }),
    ))
}

fn read_case(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: CaseId = call.id_as(no_case)?;
    let view = service::case_retention(&ctx.env(), &id, &mut call.journal)?;
    Ok(case_response(200, &view))
}

fn decide(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let review: NewRetentionReview = call.body()?;
    let id: CaseId = call.id_as(no_case)?;
    let view = service::decide(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &review,
        &mut call.journal,
    )?;
    Ok(case_response(201, &view))
}

fn read_person(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: PersonId = call.id_as(no_person)?;
    let person = service::person_retention(&ctx.env(), &id, &mut call.journal)?;
    Ok(json(200, &person))
}
