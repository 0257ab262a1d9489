//! Intake and crime recording: reports become cases (courses of conduct), occurrences are added,
//! stalking is recognised first, and the crime decision is made against a 24-hour clock. Also the
//! Police Information Notice control, which depends on what a case shows.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{self, Ctx, Outcome, now};
use spin_adapter::input::{self, Page, check, etag, invalid_query};
use spin_adapter::{Call, json, json_with};
use spin_sdk::http::Response;
use stalking_response::access::audit::{Operation, RecordRef, RecordType};
use stalking_response::cases::classification::Classification;
use stalking_response::cases::decision::{self, CrimeDecision};
use stalking_response::cases::intake::{self, NewCase, NewOccurrence};
use stalking_response::cases::store::{
    self as cases, CaseView, DECISION_HOURS, Filter, UpdateRefused,
};
use stalking_response::pins::{self, PinDecision, PinRequest};
use stalking_response::problem::Problem;

spin_adapter::routes! {
    POST "/api/v1/cases" => CaseCreate, Collection, create_case;
    GET "/api/v1/cases" => CaseList, Asked, list_cases;
    GET "/api/v1/cases/{id}" => CaseRead, Asked, read_case;
    POST "/api/v1/cases/{id}/occurrences" => CaseUpdate, Collection, add_occurrence;
    POST "/api/v1/cases/{id}/crime-decision" => CaseDecide, Collection, record_decision;
    GET "/api/v1/cases/{id}/classification" => CaseRead, Asked, classification;
    POST "/api/v1/cases/{case}/pins" => PinRequest, Collection, request_pin;
    GET "/api/v1/pins" => PinRegister, Asked, pin_register;
    POST "/api/v1/pins/{id}/decision" => PinDecide, Collection, decide_pin;
    GET "/api/v1/stats/cases" => CaseStats, NotPersonal, case_stats;
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
    json_with(status, &view, &[("etag", etag(case.version))])
}

/// The next reference of a kind (`crime`, `incident`) in the force's format.
fn reference(ctx: &Ctx, format: &str, kind: &str) -> Result<String, Problem> {
    let force = &ctx.settings.force;
    let year = time::OffsetDateTime::now_utc().year();
    let number = cases::next_reference_number(&ctx.db, kind, force, year)?;
    Ok(decision::crime_reference(format, force, year, number))
}

fn no_case() -> Problem {
    Problem::not_found().with_detail("There is no case with this id.")
}

fn create_case(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewCase = call.body()?;
    check(intake::validate_case(&new, time::OffsetDateTime::now_utc()))?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let id = context::new_id();
        let incident = reference(ctx, &ctx.settings.incident_reference_format, "incident")?;
        let due = context::later(DECISION_HOURS * 3600);
        cases::create(
            &ctx.db,
            &id,
            &incident,
            &now(),
            &due,
            &officer.subject,
            &new,
        )?;
        call.logs(Operation::Collection, RecordRef::case(&id));
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

/// Reads the call's case, logging the consultation.
fn consult(ctx: &Ctx, call: &mut Call) -> Result<cases::Case, Problem> {
    let case = cases::get(&ctx.db, call.id())?.ok_or_else(no_case)?;
    call.consulted([RecordRef::case(&case.id)]);
    Ok(case)
}

fn read_case(ctx: &Ctx, call: &mut Call) -> Outcome {
    Ok(case_response(200, &consult(ctx, call)?))
}

fn classification(ctx: &Ctx, call: &mut Call) -> Outcome {
    Ok(json(200, &consult(ctx, call)?.suggestion))
}

fn add_occurrence(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let occurrence: NewOccurrence = call.body()?;
    let mut errors = Vec::new();
    intake::validate_occurrence(
        &mut errors,
        "",
        &occurrence,
        time::OffsetDateTime::now_utc(),
    );
    check(errors)?;
    let id = call.id().to_string();
    cases::add_occurrence(
        &ctx.db,
        &id,
        version,
        &now(),
        &call.who.subject,
        &occurrence,
    )?
    .map_err(refused)?;
    Ok(case_response(201, &altered(ctx, call, &id)?))
}

/// Logs an alteration of the case and reads the case as it now is.
fn altered(ctx: &Ctx, call: &mut Call, id: &str) -> Result<cases::Case, Problem> {
    call.logs(Operation::Alteration, RecordRef::case(id));
    cases::get(&ctx.db, id)?.ok_or_else(Problem::internal)
}

fn record_decision(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let decision: CrimeDecision = call.body()?;
    let id = call.id().to_string();
    let case = cases::get(&ctx.db, &id)?.ok_or_else(|| refused(UpdateRefused::NotFound))?;
    check(decision::validate_decision(&decision, &case.suggestion))?;
    let reference = match decision {
        CrimeDecision::Recorded { .. } => Some(reference(
            ctx,
            &ctx.settings.crime_reference_format,
            "crime",
        )?),
        CrimeDecision::NoCrime { .. } => None,
    };
    cases::record_decision(
        &ctx.db,
        &id,
        version,
        &decision,
        reference.as_deref(),
        &now(),
        &call.who.subject,
    )?
    .map_err(refused)?;
    Ok(case_response(200, &altered(ctx, call, &id)?))
}

/// `GET /cases` filters.
#[derive(Deserialize)]
struct CaseQuery {
    status: Option<String>,
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
    if let Some(s) = &query.status
        && !["awaiting-decision", "recorded", "no-crime"].contains(&s.as_str())
    {
        return Err(invalid_query(
            "`status` is one of awaiting-decision, recorded, no-crime.",
        ));
    }
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
    let page = query.page;
    let cases = cases::list(
        &ctx.db,
        &filter,
        &now(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    call.consulted(cases.iter().map(|c| RecordRef::case(&c.id)));
    let now = time::OffsetDateTime::now_utc();
    let views: Vec<CaseView> = cases
        .iter()
        .map(|case| CaseView {
            case,
            clock: cases::clock(case, now),
        })
        .collect();
    let next = page.next(&cases, |c| c.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "cases": views, "next": next }),
    ))
}

fn case_stats(ctx: &Ctx, _: &mut Call) -> Outcome {
    Ok(json(200, &cases::stats(&ctx.db)?))
}

fn pin_ref(pin: &pins::Pin) -> RecordRef {
    RecordRef::of_case(RecordType::Pin, &pin.id, &pin.case_id)
}

fn request_pin(ctx: &Ctx, call: &mut Call) -> Outcome {
    let request: PinRequest = call.body()?;
    check(pins::validate_request(&request))?;
    let case = cases::get(&ctx.db, call.param("case"))?.ok_or_else(no_case)?;
    let pin = pins::store::record_request(
        &ctx.db,
        &context::new_id(),
        &case,
        &request,
        &call.who.subject,
        &now(),
    )?;
    call.logs(Operation::Collection, pin_ref(&pin));
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
    check(pins::validate_decision(&decision))?;
    let id = call.id().to_string();
    match pins::store::decide(&ctx.db, &id, &decision, &call.who.subject, &now())? {
        Some(pin) => {
            call.logs(Operation::Alteration, pin_ref(&pin));
            Ok(json(200, &pin))
        }
        None => match pins::store::get(&ctx.db, &id)? {
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

#[derive(Deserialize)]
struct RegisterQuery {
    status: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn pin_register(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: RegisterQuery = call.query()?;
    if let Some(status) = &query.status
        && !["refused", "pending", "authorised", "declined"].contains(&status.as_str())
    {
        return Err(Problem::new(400, "invalid-query", "Invalid query")
            .with_detail("`status` is one of refused, pending, authorised, declined."));
    }
    let page = query.page;
    let pins = pins::store::register(
        &ctx.db,
        query.status.as_deref(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    call.consulted(pins.iter().map(pin_ref));
    let next = page.next(&pins, |p| p.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "pins": pins, "next": next }),
    ))
}
