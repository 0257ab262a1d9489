//! Intake and crime recording: reports become cases (courses of conduct), occurrences are added,
//! stalking is recognised first, and the crime decision is made against a 24-hour clock. Also the
//! Police Information Notice control, which depends on what a case shows.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::context::{
    self, Ctx, Outcome, access_reason, check, etag, if_match, json_body, now, respond,
};
use spin_adapter::json;
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::{http_component, variables};
use stalking_response::audit::Operation;
use stalking_response::auth::{AccessReason, Action, Principal};
use stalking_response::cases::{self, CaseView, DECISION_HOURS, Filter, UpdateRefused};
use stalking_response::intake::{self, CrimeDecision, NewCase, NewOccurrence};
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
        (Method::Post, ["cases", id, "occurrences"]) => add_occurrence(&ctx, req, id),
        (Method::Post, ["cases", id, "crime-decision"]) => record_decision(&ctx, req, id),
        (Method::Get, ["cases", id, "classification"]) => classification(&ctx, req, id),
        (Method::Post, ["cases", id, "pins"]) => request_pin(&ctx, req, id),
        (Method::Get, ["pins"]) => pin_register(&ctx, req),
        (Method::Post, ["pins", id, "decision"]) => decide_pin(&ctx, req, id),
        (Method::Get, ["stats", "cases"]) => case_stats(&ctx, req),
        (_, ["cases"]) => Err(Problem::method_not_allowed(&["GET", "POST"])),
        (_, ["cases", _] | ["cases", _, "classification"]) => {
            Err(Problem::method_not_allowed(&["GET"]))
        }
        (_, ["cases", _, "occurrences" | "crime-decision" | "pins"] | ["pins", _, "decision"]) => {
            Err(Problem::method_not_allowed(&["POST"]))
        }
        (_, ["pins"] | ["stats", "cases"]) => Err(Problem::method_not_allowed(&["GET"])),
        _ => Err(Problem::not_found()),
    }
}

fn refused(refusal: UpdateRefused) -> Problem {
    match refusal {
        UpdateRefused::NotFound => {
            Problem::not_found().with_detail("There is no case with this id.")
        }
        UpdateRefused::VersionMismatch(current) => {
            Problem::new(412, "version-mismatch", "The case has changed")
                .with_detail(format!(
                    "The case is now at version {current}: read it again, then retry your change."
                ))
                .with_header("etag", etag(current))
        }
        UpdateRefused::AlreadyDecided => Problem::new(
            409,
            "already-decided",
            "The crime decision is already recorded",
        )
        .with_detail("A recorded decision is not changed in place."),
    }
}

fn case_response(status: u16, case: &cases::Case) -> Response {
    let view = CaseView {
        case,
        clock: cases::clock(case, time::OffsetDateTime::now_utc()),
    };
    let mut response = json(status, &view);
    response.set_header("etag", etag(case.version));
    response
}

fn reference(variable: &str, default: &str, kind: &str, ctx: &Ctx) -> Result<String, Problem> {
    let format = variables::get(variable)
        .ok()
        .filter(|f| f.contains("{seq"))
        .unwrap_or_else(|| default.into());
    let year = time::OffsetDateTime::now_utc().year();
    let number = cases::next_reference_number(&ctx.db, kind, &ctx.config.force, year)?;
    Ok(intake::crime_reference(
        &format,
        &ctx.config.force,
        year,
        number,
    ))
}

fn create_case(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::CaseCreate, "case", "new")?;
    let new: NewCase = json_body(req)?;
    check(intake::validate_case(&new, time::OffsetDateTime::now_utc()))?;
    let (status, body) = ctx.create_once(req, &officer, || {
        let id = context::new_id();
        let incident = reference(
            "incident_reference_format",
            "{force}/INC/{year}/{seq:6}",
            "incident",
            ctx,
        )?;
        let now = now();
        let due = context::later(DECISION_HOURS * 3600);
        cases::create(&ctx.db, &id, &incident, &now, &due, &officer.subject, &new)?;
        ctx.log(ctx.access(
            &officer,
            Operation::Collection,
            "case",
            &id,
            &AccessReason::collection(),
        ))?;
        let case = cases::get(&ctx.db, &id)?.ok_or_else(Problem::internal)?;
        Ok((201, case_response(201, &case).into_body()))
    })?;
    let case: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut response = Response::new(status, body);
    response.set_header("content-type", "application/json");
    response.set_header("cache-control", "no-store");
    if let (Some(id), Some(version)) = (case["id"].as_str(), case["version"].as_i64()) {
        response.set_header("location", format!("/api/v1/cases/{id}"));
        response.set_header("etag", etag(version));
    }
    Ok(response)
}

/// Reads a case for `principal`, logging the consultation with its reason.
fn consult(
    ctx: &Ctx,
    principal: &Principal,
    id: &str,
    reason: &AccessReason,
) -> Result<cases::Case, Problem> {
    let case = ctx.transaction(|| {
        let case = cases::get(&ctx.db, id)?;
        if case.is_some() {
            ctx.log(ctx.access(principal, Operation::Consultation, "case", id, reason))?;
        }
        Ok(case)
    })?;
    case.ok_or_else(|| Problem::not_found().with_detail("There is no case with this id."))
}

fn read_case(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::CaseRead, "case", id)?;
    let reason = access_reason(req)?;
    Ok(case_response(200, &consult(ctx, &officer, id, &reason)?))
}

fn classification(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::CaseRead, "case", id)?;
    let reason = access_reason(req)?;
    let case = consult(ctx, &officer, id, &reason)?;
    Ok(json(200, &case.suggestion))
}

fn add_occurrence(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::CaseUpdate, "case", id)?;
    let version = if_match(req)?;
    let occurrence: NewOccurrence = json_body(req)?;
    let mut errors = Vec::new();
    intake::validate_occurrence(
        &mut errors,
        "",
        &occurrence,
        time::OffsetDateTime::now_utc(),
    );
    check(errors)?;
    let case = ctx.transaction(|| {
        cases::add_occurrence(&ctx.db, id, version, &now(), &officer.subject, &occurrence)?
            .map_err(refused)?;
        altered(ctx, &officer, id)
    })?;
    Ok(case_response(201, &case))
}

/// Logs an alteration of the case (inside the caller's transaction) and reads the case as it now is.
fn altered(ctx: &Ctx, officer: &Principal, id: &str) -> Result<cases::Case, Problem> {
    ctx.log(ctx.access(
        officer,
        Operation::Alteration,
        "case",
        id,
        &AccessReason::collection(),
    ))?;
    cases::get(&ctx.db, id)?.ok_or_else(Problem::internal)
}

fn record_decision(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::CaseDecide, "case", id)?;
    let version = if_match(req)?;
    let decision: CrimeDecision = json_body(req)?;
    let case = ctx.transaction(|| {
        let case = cases::get(&ctx.db, id)?.ok_or_else(|| refused(UpdateRefused::NotFound))?;
        check(intake::validate_decision(&decision, &case.suggestion))?;
        let reference = match decision {
            CrimeDecision::Recorded { .. } => Some(reference(
                "crime_reference_format",
                "{force}/{year}/{seq:6}",
                "crime",
                ctx,
            )?),
            CrimeDecision::NoCrime { .. } => None,
        };
        cases::record_decision(
            &ctx.db,
            id,
            version,
            &decision,
            reference.as_deref(),
            &now(),
            &officer.subject,
        )?
        .map_err(refused)?;
        altered(ctx, &officer, id)
    })?;
    Ok(case_response(200, &case))
}

fn list_cases(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::CaseList, "case", "list")?;
    let reason = access_reason(req)?;
    let invalid = |detail: &str| {
        Problem::new(400, "invalid-query", "Invalid query parameter")
            .with_detail(detail.to_string())
    };
    let status = context::query(req, "status");
    if let Some(s) = &status
        && !["awaiting-decision", "recorded", "no-crime"].contains(&s.as_str())
    {
        return Err(invalid(
            "`status` is one of awaiting-decision, recorded, no-crime.",
        ));
    }
    let overdue = match context::query(req, "overdue").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid("`overdue` is true or false.")),
    };
    let due_before = match context::query(req, "due_within_hours") {
        None => None,
        Some(h) => match h.parse::<i64>() {
            Ok(hours) if (1..=DECISION_HOURS).contains(&hours) => {
                Some(context::later(hours * 3600))
            }
            _ => {
                return Err(invalid(
                    "`due_within_hours` is a whole number from 1 to 24.",
                ));
            }
        },
    };
    let classification = context::query(req, "classification");
    if let Some(c) = &classification
        && intake::Classification::parse(c).is_none()
    {
        return Err(invalid("`classification` is not a known classification."));
    }
    let filter = Filter {
        status,
        overdue,
        due_before,
        classification,
        officer: context::query(req, "officer"),
    };
    let limit = context::limit(req)?;
    let after = context::query(req, "after");
    let page = ctx.transaction(|| {
        let page = cases::list(&ctx.db, &filter, &now(), after.as_deref(), limit)?;
        ctx.log_list(
            &officer,
            "case-list",
            page.iter().map(|c| c.id.as_str()),
            &reason,
        )?;
        Ok(page)
    })?;
    let now = time::OffsetDateTime::now_utc();
    let views: Vec<CaseView> = page
        .iter()
        .map(|case| CaseView {
            case,
            clock: cases::clock(case, now),
        })
        .collect();
    let next = context::next_cursor(&page, limit, |c| c.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "cases": views, "next": next }),
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
        ctx.log_list(
            &reader,
            "pin-register",
            page.iter().map(|p| p.id.as_str()),
            &reason,
        )?;
        Ok(page)
    })?;
    let next = context::next_cursor(&page, limit, |p| p.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "pins": page, "next": next }),
    ))
}
