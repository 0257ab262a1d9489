//! Risk: the instruments, assessments with their explained results, supervisors' reviews, what is due
//! and overdue, and the referrals to MASH and MARAC, including the partner systems' side.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::context::{self, Ctx, Outcome, access_reason, check, json_body, now};
use spin_adapter::json;
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::{http_component, variables};
use stalking_response::assessments::{self, Assessment};
use stalking_response::audit::Operation;
use stalking_response::auth::{AccessReason, Action, Principal};
use stalking_response::cases;
use stalking_response::instruments;
use stalking_response::problem::Problem;
use stalking_response::referrals::{self, Refused, Sharing};
use stalking_response::risk::{self, NewAssessment, NewReview, POLICY_VARIABLES, Policy};

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    context::respond(route(&req))
}

fn route(req: &Request) -> Outcome {
    let ctx = Ctx::open(req)?;
    let path = req.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(3).collect(); // after /api/v1
    match (req.method(), segments.as_slice()) {
        (Method::Get, ["instruments"]) => list_instruments(&ctx, req),
        (Method::Get, ["instruments", id, version]) => read_instrument(&ctx, req, id, version),
        (Method::Post, ["risk-assessments"]) => create_assessment(&ctx, req),
        (Method::Get, ["risk-assessments"]) => case_history(&ctx, req),
        (Method::Get, ["risk-assessments", id]) => read_assessment(&ctx, req, id),
        (Method::Post, ["risk-assessments", id, "reviews"]) => review(&ctx, req, id),
        (Method::Get, ["risk", "cases", id]) => case_risk(&ctx, req, id),
        (Method::Get, ["risk", "overdue"]) => overdue(&ctx, req),
        (Method::Get, ["referrals"]) => list_referrals(&ctx, req),
        (Method::Get, ["referrals", id]) => read_referral(&ctx, req, id),
        (Method::Post, ["referrals", id, "send"]) => send_referral(&ctx, req, id),
        (Method::Get, ["partner", "referrals"]) => partner_list(&ctx, req),
        (Method::Get, ["partner", "referrals", id]) => partner_fetch(&ctx, req, id),
        (Method::Post, ["partner", "referrals", id, "acknowledgement"]) => {
            partner_acknowledge(&ctx, req, id)
        }
        (_, ["risk-assessments"]) => Err(Problem::method_not_allowed(&["GET", "POST"])),
        (
            _,
            ["instruments"]
            | ["instruments", _, _]
            | ["risk-assessments", _]
            | ["risk", "cases", _]
            | ["risk", "overdue"]
            | ["referrals"]
            | ["referrals", _]
            | ["partner", "referrals"]
            | ["partner", "referrals", _],
        ) => Err(Problem::method_not_allowed(&["GET"])),
        (
            _,
            ["risk-assessments", _, "reviews"]
            | ["referrals", _, "send"]
            | ["partner", "referrals", _, "acknowledgement"],
        ) => Err(Problem::method_not_allowed(&["POST"])),
        _ => Err(Problem::not_found()),
    }
}

/// The force's risk policy. A mistake in it is the deployment's, not the caller's: 503, logged.
fn policy() -> Result<Policy, Problem> {
    Policy::from_settings(|name| {
        debug_assert!(POLICY_VARIABLES.iter().any(|(n, _)| *n == name));
        variables::get(name).ok()
    })
    .map_err(|e| {
        eprintln!("risk policy misconfigured: {e}");
        Problem::new(
            503,
            "risk-policy-misconfigured",
            "The force's risk policy is not configured correctly",
        )
        .with_detail("Tell the system administrator; nothing was recorded.")
    })
}

fn list_instruments(ctx: &Ctx, req: &Request) -> Outcome {
    ctx.caller(req, Action::InstrumentRead, "instrument", "list")?;
    let list: Vec<serde_json::Value> = instruments::catalogue()
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i.id, "version": i.version, "title": i.title, "purpose": i.purpose,
                "questions": i.questions.len(), "scored_questions": i.scored_questions(),
                "href": format!("/api/v1/instruments/{}/{}", i.id, i.version),
            })
        })
        .collect();
    Ok(json(200, &serde_json::json!({ "instruments": list })))
}

fn read_instrument(ctx: &Ctx, req: &Request, id: &str, version: &str) -> Outcome {
    ctx.caller(req, Action::InstrumentRead, "instrument", id)?;
    match instruments::find(id, version) {
        Some(instrument) => Ok(json(200, instrument)),
        None => Err(Problem::not_found().with_detail(format!(
            "There is no instrument {id} version {version}. GET /api/v1/instruments lists them."
        ))),
    }
}

fn no_assessment() -> Problem {
    Problem::not_found().with_detail("There is no risk assessment with this id.")
}

fn create_assessment(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::AssessmentCreate, "risk-assessment", "new")?;
    let new: NewAssessment = json_body(req)?;
    let instrument = risk::resolve(&new.instrument).map_err(Problem::validation)?;
    check(risk::validate(instrument, &new))?;
    let policy = policy()?;
    let (status, body) = ctx.create_once(req, &officer, || {
        let Some(case) = cases::get(&ctx.db, &new.case_id)? else {
            return Err(Problem::validation(vec![(
                "/case_id".into(),
                "There is no case with this id.".into(),
            )]));
        };
        let now = now();
        let history = assessments::history(&ctx.db, &case, &now, policy.escalation_window_days)?;
        let evaluation = risk::evaluate(instrument, &new, &history, &policy).map_err(|errors| {
            if errors.iter().any(|(p, _)| p == "/instrument/id") {
                policy_gap(&errors)
            } else {
                Problem::validation(errors)
            }
        })?;
        let id = context::new_id();
        let mut new_id = context::new_id;
        assessments::insert(
            &ctx.db,
            &id,
            instrument,
            &new,
            &evaluation,
            &policy,
            &now,
            &officer.subject,
            &mut new_id,
        )?;
        ctx.log(ctx.access(
            &officer,
            Operation::Collection,
            "risk-assessment",
            &id,
            &AccessReason::collection(),
        ))?;
        let assessment = assessments::get(&ctx.db, &id, &now)?.ok_or_else(Problem::internal)?;
        Ok((201, serde_json::to_vec(&assessment).expect("serialises")))
    })?;
    let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default()["id"]
        .as_str()
        .map(str::to_string);
    let mut response = Response::new(status, body);
    response.set_header("content-type", "application/json");
    response.set_header("cache-control", "no-store");
    if let Some(id) = id {
        response.set_header("location", format!("/api/v1/risk-assessments/{id}"));
    }
    Ok(response)
}

fn policy_gap(errors: &[(String, String)]) -> Problem {
    eprintln!(
        "risk policy misconfigured: {}",
        errors.first().map_or("", |(_, e)| e.as_str())
    );
    Problem::new(
        503,
        "risk-policy-misconfigured",
        "The force's risk policy is not configured correctly",
    )
    .with_detail("This instrument has no risk bands configured. Tell the system administrator; nothing was recorded.")
}

/// Reads an assessment, logging the consultation with its reason.
fn consult(
    ctx: &Ctx,
    who: &Principal,
    id: &str,
    reason: &AccessReason,
) -> Result<Assessment, Problem> {
    let found = ctx.transaction(|| {
        let found = assessments::get(&ctx.db, id, &now())?;
        if found.is_some() {
            ctx.log(ctx.access(who, Operation::Consultation, "risk-assessment", id, reason))?;
        }
        Ok(found)
    })?;
    found.ok_or_else(no_assessment)
}

fn read_assessment(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::AssessmentRead, "risk-assessment", id)?;
    let reason = access_reason(req)?;
    Ok(json(200, &consult(ctx, &officer, id, &reason)?))
}

fn required_case_id(req: &Request) -> Result<String, Problem> {
    context::query(req, "case_id")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            Problem::new(400, "invalid-query", "Invalid query parameter")
                .with_detail("`case_id` is required: the case whose assessments to list.")
        })
}

fn no_case() -> Problem {
    Problem::not_found().with_detail("There is no case with this id.")
}

fn case_history(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::AssessmentRead, "risk-assessment-list", "case")?;
    let reason = access_reason(req)?;
    let case_id = required_case_id(req)?;
    let list = ctx.transaction(|| {
        if cases::get(&ctx.db, &case_id)?.is_none() {
            return Err(no_case());
        }
        let list = assessments::for_case(&ctx.db, &case_id, &now())?;
        ctx.log(ctx.access(
            &officer,
            Operation::Consultation,
            "risk-assessment-list",
            &case_id,
            &reason,
        ))?;
        Ok(list)
    })?;
    Ok(json(
        200,
        &serde_json::json!({ "case_id": case_id, "assessments": list }),
    ))
}

fn review(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let supervisor = ctx.caller(req, Action::AssessmentReview, "risk-assessment", id)?;
    let new: NewReview = json_body(req)?;
    let policy = policy()?;
    let assessment = ctx.transaction(|| {
        let assessment = assessments::get(&ctx.db, id, &now())?.ok_or_else(no_assessment)?;
        if !assessment.review.current {
            return Err(Problem::new(
                409,
                "assessment-superseded",
                "A newer assessment replaces this one",
            )
            .with_detail("Review the case's current assessment."));
        }
        check(risk::validate_review(&new, assessment.level))?;
        let mut new_id = context::new_id;
        assessments::add_review(
            &ctx.db,
            &context::new_id(),
            &assessment,
            &new,
            &policy,
            &now(),
            &supervisor.subject,
            &mut new_id,
        )?;
        ctx.log(ctx.access(
            &supervisor,
            Operation::Alteration,
            "risk-assessment",
            id,
            &AccessReason::collection(),
        ))?;
        assessments::get(&ctx.db, id, &now())?.ok_or_else(Problem::internal)
    })?;
    Ok(json(201, &assessment))
}

fn case_risk(ctx: &Ctx, req: &Request, case_id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::AssessmentRead, "case-risk", case_id)?;
    let reason = access_reason(req)?;
    let summary = ctx.transaction(|| {
        let case = cases::get(&ctx.db, case_id)?.ok_or_else(no_case)?;
        let summary = assessments::case_risk(&ctx.db, &case, &now())?;
        ctx.log(ctx.access(
            &officer,
            Operation::Consultation,
            "case-risk",
            case_id,
            &reason,
        ))?;
        Ok(summary)
    })?;
    Ok(json(200, &summary))
}

fn overdue(ctx: &Ctx, req: &Request) -> Outcome {
    let supervisor = ctx.caller(req, Action::RiskOverdue, "risk-overdue", "list")?;
    let reason = access_reason(req)?;
    let limit = context::limit(req)?;
    let list = ctx.transaction(|| {
        let list = assessments::overdue(&ctx.db, &now(), limit)?;
        ctx.log(ctx.access(
            &supervisor,
            Operation::Consultation,
            "risk-overdue",
            "list",
            &reason,
        ))?;
        Ok(list)
    })?;
    Ok(json(200, &list))
}

fn invalid_query(detail: &str) -> Problem {
    Problem::new(400, "invalid-query", "Invalid query parameter").with_detail(detail.to_string())
}

fn list_referrals(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::ReferralRead, "referral-list", "list")?;
    let reason = access_reason(req)?;
    let status = context::query(req, "status");
    if let Some(s) = &status
        && !["due", "sent", "acknowledged"].contains(&s.as_str())
    {
        return Err(invalid_query("`status` is one of due, sent, acknowledged."));
    }
    let overdue = match context::query(req, "overdue").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid_query("`overdue` is true or false.")),
    };
    let filter = referrals::Filter {
        status,
        agency: context::query(req, "agency"),
        case_id: context::query(req, "case_id"),
        overdue,
    };
    let limit = context::limit(req)?;
    let after = context::query(req, "after");
    let page = ctx.transaction(|| {
        let page = referrals::list(&ctx.db, &filter, &now(), after.as_deref(), limit)?;
        ctx.log_list(
            &officer,
            "referral-list",
            page.iter().map(|r| r.id.as_str()),
            &reason,
        )?;
        Ok(page)
    })?;
    let next = context::next_cursor(&page, limit, |r| r.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "referrals": page, "next": next }),
    ))
}

fn no_referral() -> Problem {
    Problem::not_found().with_detail("There is no referral with this id.")
}

fn read_referral(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::ReferralRead, "referral", id)?;
    let reason = access_reason(req)?;
    let referral = ctx.transaction(|| {
        let referral = referrals::get(&ctx.db, id)?.ok_or_else(no_referral)?;
        ctx.log(ctx.access(&officer, Operation::Consultation, "referral", id, &reason))?;
        Ok(referral)
    })?;
    Ok(json(200, &referral))
}

fn wrong_status(status: &str, wanted: &str, action: &str) -> Problem {
    Problem::new(
        409,
        "referral-status",
        "The referral's status does not allow this",
    )
    .with_detail(format!(
        "The referral is {status}; only a {wanted} referral can be {action}."
    ))
}

/// A referral sent or acknowledged: an alteration, for the purpose of the referral.
fn log_referral_change(ctx: &Ctx, who: &Principal, id: &str) -> Result<(), Problem> {
    ctx.log(ctx.access(
        who,
        Operation::Alteration,
        "referral",
        id,
        &AccessReason::referral(),
    ))
}

fn send_referral(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::ReferralSend, "referral", id)?;
    let sharing: Sharing = json_body(req)?;
    check(referrals::validate_sharing(&sharing))?;
    let referral = ctx.transaction(|| {
        let referral = referrals::get(&ctx.db, id)?.ok_or_else(no_referral)?;
        if referral.status != "due" {
            return Err(wrong_status(&referral.status, "due", "sent"));
        }
        let now = now();
        let case = cases::get(&ctx.db, &referral.case_id)?.ok_or_else(Problem::internal)?;
        let assessment = assessments::get(&ctx.db, &referral.assessment_id, &now)?
            .ok_or_else(Problem::internal)?;
        let package = referrals::package(
            &referral,
            &case,
            &assessment,
            &sharing,
            &ctx.config.force,
            &officer.subject,
            &now,
        );
        if let Err(Refused::WrongStatus(status)) =
            referrals::send(&ctx.db, id, &sharing, &package, &now, &officer.subject)?
        {
            return Err(wrong_status(&status, "due", "sent"));
        }
        log_referral_change(ctx, &officer, id)?;
        referrals::get(&ctx.db, id)?.ok_or_else(Problem::internal)
    })?;
    Ok(json(200, &referral))
}

fn partner_list(ctx: &Ctx, req: &Request) -> Outcome {
    let partner = ctx.caller(req, Action::PartnerReferralRead, "referral-list", "partner")?;
    let status = context::query(req, "status");
    if let Some(s) = &status
        && !["sent", "acknowledged"].contains(&s.as_str())
    {
        return Err(invalid_query("`status` is sent or acknowledged."));
    }
    let limit = context::limit(req)?;
    let after = context::query(req, "after");
    let page = ctx.transaction(|| {
        let page = referrals::for_recipient(
            &ctx.db,
            &partner.subject,
            status.as_deref(),
            after.as_deref(),
            limit,
        )?;
        ctx.log_list(
            &partner,
            "referral-list",
            page.iter().map(|r| r.id.as_str()),
            &AccessReason::referral(),
        )?;
        Ok(page)
    })?;
    let next = context::next_cursor(&page, limit, |r| r.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "referrals": page, "next": next }),
    ))
}

/// A partner fetches a package: a disclosure to that partner, in the access log.
fn partner_fetch(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let partner = ctx.caller(req, Action::PartnerReferralRead, "referral", id)?;
    let package = ctx.transaction(|| {
        let package =
            referrals::package_for(&ctx.db, id, &partner.subject)?.ok_or_else(no_referral)?;
        let mut access = ctx.access(
            &partner,
            Operation::Disclosure,
            "referral",
            id,
            &AccessReason::referral(),
        );
        access.recipient = Some(partner.subject.clone());
        ctx.log(access)?;
        Ok(package)
    })?;
    Ok(json(200, &package))
}

fn partner_acknowledge(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let partner = ctx.caller(req, Action::PartnerReferralAcknowledge, "referral", id)?;
    let package = ctx.transaction(|| {
        match referrals::acknowledge(&ctx.db, id, &partner.subject, &now(), &partner.subject)? {
            Ok(()) => {}
            Err(Refused::NotFound) => return Err(no_referral()),
            Err(Refused::WrongStatus(status)) => {
                return Err(wrong_status(&status, "sent", "acknowledged"));
            }
        }
        log_referral_change(ctx, &partner, id)?;
        referrals::package_for(&ctx.db, id, &partner.subject)?.ok_or_else(Problem::internal)
    })?;
    Ok(json(200, &package))
}
