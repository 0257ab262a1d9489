//! Cases (the minimum the PIN control needs; intake extends it) and the Police Information Notice
//! control: requests refused for stalking or a course of conduct, else decided by a superintendent.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::context::{self, Ctx, Outcome, access_reason, check, json_body, now, respond};
use spin_adapter::json;
use spin_sdk::http::{IntoResponse, Method, Request};
use spin_sdk::http_component;
use stalking_response::audit::Operation;
use stalking_response::auth::{AccessReason, Action};
use stalking_response::cases::{self, NewCase};
use stalking_response::pins::{self, PinDecision, PinRequest};
use stalking_response::problem::Problem;

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    respond(route(&req))
}

fn route(req: &Request) -> Outcome {
    let ctx = Ctx::open(req)?;
    let path = req.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(3).collect(); // after /api/v1
    match (req.method(), segments.as_slice()) {
        (Method::Post, ["cases"]) => create_case(&ctx, req),
        (Method::Get, ["cases"]) => list_cases(&ctx, req),
        (Method::Get, ["cases", id]) => read_case(&ctx, req, id),
        (Method::Post, ["cases", id, "pins"]) => request_pin(&ctx, req, id),
        (Method::Get, ["pins"]) => pin_register(&ctx, req),
        (Method::Post, ["pins", id, "decision"]) => decide_pin(&ctx, req, id),
        (Method::Get, ["stats", "cases"]) => case_stats(&ctx, req),
        (_, ["cases"]) => Err(Problem::method_not_allowed(&["GET", "POST"])),
        (_, ["cases", _]) => Err(Problem::method_not_allowed(&["GET"])),
        (_, ["cases", _, "pins"] | ["pins", _, "decision"]) => {
            Err(Problem::method_not_allowed(&["POST"]))
        }
        (_, ["pins"] | ["stats", "cases"]) => Err(Problem::method_not_allowed(&["GET"])),
        _ => Err(Problem::not_found()),
    }
}

fn create_case(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::CaseCreate, "case", "new")?;
    let new: NewCase = json_body(req)?;
    check(cases::validate(&new))?;
    let id = context::new_id();
    let case = ctx.transaction(|| {
        let case = cases::insert(&ctx.db, &id, &now(), &officer.subject, &new)?;
        ctx.log(ctx.access(
            &officer,
            Operation::Collection,
            "case",
            &id,
            &AccessReason::collection(),
        ))?;
        Ok(case)
    })?;
    let mut response = json(201, &case);
    response.set_header("location", format!("/api/v1/cases/{id}"));
    Ok(response)
}

fn read_case(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::CaseRead, "case", id)?;
    let reason = access_reason(req)?;
    let case = ctx.transaction(|| {
        let case = cases::get(&ctx.db, id)?;
        if case.is_some() {
            ctx.log(ctx.access(&officer, Operation::Consultation, "case", id, &reason))?;
        }
        Ok(case)
    })?;
    match case {
        Some(case) => Ok(json(200, &case)),
        None => Err(Problem::not_found().with_detail("There is no case with this id.")),
    }
}

fn list_cases(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::CaseList, "case", "list")?;
    let reason = access_reason(req)?;
    let limit = context::limit(req)?;
    let after = context::query(req, "after");
    let page = ctx.transaction(|| {
        let page = cases::list(&ctx.db, after.as_deref(), limit)?;
        let ids: Vec<&str> = page.iter().map(|c| c.id.as_str()).collect();
        ctx.log(ctx.access(
            &officer,
            Operation::Consultation,
            "case-list",
            &ids.join(","),
            &reason,
        ))?;
        Ok(page)
    })?;
    let next = (page.len() as i64 == limit)
        .then(|| page.last().map(|c| c.id.clone()))
        .flatten();
    Ok(json(
        200,
        &serde_json::json!({ "cases": page, "next": next }),
    ))
}

fn case_stats(ctx: &Ctx, req: &Request) -> Outcome {
    ctx.caller(req, Action::CaseStats, "case-stats", "all")?;
    Ok(json(200, &cases::stats(&ctx.db)?))
}

fn request_pin(ctx: &Ctx, req: &Request, case_id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::PinRequest, "case", case_id)?;
    let request: PinRequest = json_body(req)?;
    check(pins::validate_request(&request))?;
    let id = context::new_id();
    let pin = ctx.transaction(|| {
        let Some(case) = cases::get(&ctx.db, case_id)? else {
            return Ok(None);
        };
        let pin = pins::record_request(&ctx.db, &id, &case, &request, &officer.subject, &now())?;
        ctx.log(ctx.access(
            &officer,
            Operation::Collection,
            "pin",
            &id,
            &AccessReason::collection(),
        ))?;
        Ok(Some(pin))
    })?;
    let Some(pin) = pin else {
        return Err(Problem::not_found().with_detail("There is no case with this id."));
    };
    if let Some(reason) = &pin.refusal_reason {
        // Refused, and on the register as refused.
        return Err(Problem::new(
            422,
            "pin-not-appropriate",
            "A Police Information Notice is not appropriate",
        )
        .with_detail(reason.clone()));
    }
    Ok(json(201, &pin))
}

fn decide_pin(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let superintendent = ctx.caller(req, Action::PinDecide, "pin", id)?;
    let decision: PinDecision = json_body(req)?;
    check(pins::validate_decision(&decision))?;
    let decided = ctx.transaction(|| {
        let decided = pins::decide(&ctx.db, id, &decision, &superintendent.subject, &now())?;
        if decided.is_some() {
            ctx.log(ctx.access(
                &superintendent,
                Operation::Alteration,
                "pin",
                id,
                &AccessReason::collection(),
            ))?;
        }
        Ok(decided)
    })?;
    match decided {
        Some(pin) => Ok(json(200, &pin)),
        None => match pins::get(&ctx.db, id)? {
            None => Err(Problem::not_found().with_detail("There is no PIN request with this id.")),
            Some(pin) => Err(Problem::new(
                409,
                "pin-not-pending",
                "This request is not awaiting a decision",
            )
            .with_detail(format!(
                "The request is {}; only a pending request can be decided.",
                pin.status
            ))),
        },
    }
}

fn pin_register(ctx: &Ctx, req: &Request) -> Outcome {
    let reader = ctx.caller(req, Action::PinRegister, "pin-register", "list")?;
    let reason = access_reason(req)?;
    let status = context::query(req, "status");
    if let Some(status) = &status
        && !["refused", "pending", "authorised", "declined"].contains(&status.as_str())
    {
        return Err(Problem::new(400, "invalid-query", "Invalid query")
            .with_detail("`status` is one of refused, pending, authorised, declined."));
    }
    let limit = context::limit(req)?;
    let after = context::query(req, "after");
    let page = ctx.transaction(|| {
        let page = pins::register(&ctx.db, status.as_deref(), after.as_deref(), limit)?;
        let ids: Vec<&str> = page.iter().map(|p| p.id.as_str()).collect();
        ctx.log(ctx.access(
            &reader,
            Operation::Consultation,
            "pin-register",
            &ids.join(","),
            &reason,
        ))?;
        Ok(page)
    })?;
    let next = (page.len() as i64 == limit)
        .then(|| page.last().map(|p| p.id.clone()))
        .flatten();
    Ok(json(
        200,
        &serde_json::json!({ "pins": page, "next": next }),
    ))
}
