//! Risk: the instruments, assessments with their explained results, supervisors' reviews, what is due
//! and overdue, and the referrals to MASH and MARAC, including the partner systems' side.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{self, Ctx, Outcome, now};
use spin_adapter::input::{Page, check, invalid_query};
use spin_adapter::{Call, json};
use spin_sdk::http::Response;
use stalking_response::access::audit::{Operation, RecordRef, RecordType};
use stalking_response::cases::store as cases;
use stalking_response::problem::Problem;
use stalking_response::risk::instruments;
use stalking_response::risk::referrals::{self, Referral, ReferralStatus, Sharing};
use stalking_response::risk::scoring::{self as risk, NewAssessment, NewReview};
use stalking_response::risk::store::assessments::{self, Assessment};
use stalking_response::risk::store::referrals::{self as referral_store, Refused};
use stalking_response::sql::Writer;

spin_adapter::routes! {
    GET "/api/v1/instruments" => InstrumentRead, NotPersonal, list_instruments;
    GET "/api/v1/instruments/{id}/{version}" => InstrumentRead, NotPersonal, read_instrument;
    POST "/api/v1/risk-assessments" => AssessmentCreate, Collection, create_assessment;
    GET "/api/v1/risk-assessments" => AssessmentRead, Asked, case_history;
    GET "/api/v1/risk-assessments/{id}" => AssessmentRead, Asked, read_assessment;
    POST "/api/v1/risk-assessments/{id}/reviews" => AssessmentReview, Collection, review;
    GET "/api/v1/risk/cases/{case}" => AssessmentRead, Asked, case_risk;
    GET "/api/v1/risk/overdue" => RiskOverdue, Asked, overdue;
    GET "/api/v1/referrals" => ReferralRead, Asked, list_referrals;
    GET "/api/v1/referrals/{id}" => ReferralRead, Asked, read_referral;
    POST "/api/v1/referrals/{id}/send" => ReferralSend, Referral, send_referral;
    GET "/api/v1/partner/referrals" => PartnerReferralRead, Referral, partner_list;
    GET "/api/v1/partner/referrals/{id}" => PartnerReferralRead, Referral, partner_fetch;
    POST "/api/v1/partner/referrals/{id}/acknowledgement" => PartnerReferralAcknowledge, Referral, partner_acknowledge;
}

fn assessment_ref(a: &Assessment) -> RecordRef {
    RecordRef::of_case(RecordType::RiskAssessment, &a.id, &a.case_id)
}

fn referral_ref(id: &str, case_id: &str) -> RecordRef {
    RecordRef::of_case(RecordType::Referral, id, case_id)
}

fn list_instruments(_: &Ctx, _: &mut Call) -> Outcome {
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

fn read_instrument(_: &Ctx, call: &mut Call) -> Outcome {
    let (id, version) = (call.id(), call.param("version"));
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

fn no_case() -> Problem {
    Problem::not_found().with_detail("There is no case with this id.")
}

fn create_assessment(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewAssessment = call.body()?;
    let instrument = risk::resolve(&new.instrument).map_err(Problem::validation)?;
    check(risk::validate(instrument, &new))?;
    let policy = &ctx.settings.risk;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let Some(case) = cases::get(&ctx.db, &new.case_id)? else {
            return Err(Problem::validation(vec![(
                "/case_id".into(),
                "There is no case with this id.".into(),
            )]));
        };
        let now = now();
        let history = assessments::history(&ctx.db, &case, &now, policy.escalation_window_days)?;
        let evaluation = risk::evaluate(instrument, &new, &history, policy).map_err(|errors| {
            if errors.iter().any(|(p, _)| p == "/instrument/id") {
                policy_gap(&errors)
            } else {
                Problem::validation(errors)
            }
        })?;
        let id = context::new_id();
        let mut new_id = context::new_id;
        let mut writer = Writer {
            now: &now,
            by: &officer.subject,
            new_id: &mut new_id,
        };
        assessments::insert(
            &ctx.db,
            &id,
            instrument,
            &new,
            &evaluation,
            policy,
            &mut writer,
        )?;
        let assessment = assessments::get(&ctx.db, &id, &now)?.ok_or_else(Problem::internal)?;
        call.logs(Operation::Collection, assessment_ref(&assessment));
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

fn read_assessment(ctx: &Ctx, call: &mut Call) -> Outcome {
    let assessment = assessments::get(&ctx.db, call.id(), &now())?.ok_or_else(no_assessment)?;
    call.consulted([assessment_ref(&assessment)]);
    Ok(json(200, &assessment))
}

#[derive(Deserialize)]
struct HistoryQuery {
    case_id: Option<String>,
}

fn case_history(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: HistoryQuery = call.query()?;
    let case_id = query.case_id.filter(|c| !c.is_empty()).ok_or_else(|| {
        invalid_query("`case_id` is required: the case whose assessments to list.")
    })?;
    if cases::get(&ctx.db, &case_id)?.is_none() {
        return Err(no_case());
    }
    let list = assessments::for_case(&ctx.db, &case_id, &now())?;
    call.consulted(
        std::iter::once(RecordRef::case(&case_id)).chain(list.iter().map(assessment_ref)),
    );
    Ok(json(
        200,
        &serde_json::json!({ "case_id": case_id, "assessments": list }),
    ))
}

fn review(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewReview = call.body()?;
    let id = call.id().to_string();
    let assessment = assessments::get(&ctx.db, &id, &now())?.ok_or_else(no_assessment)?;
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
    let now = now();
    let mut writer = Writer {
        now: &now,
        by: &call.who.subject,
        new_id: &mut new_id,
    };
    assessments::add_review(
        &ctx.db,
        &context::new_id(),
        &assessment,
        &new,
        &ctx.settings.risk,
        &mut writer,
    )?;
    call.logs(Operation::Alteration, assessment_ref(&assessment));
    let assessment = assessments::get(&ctx.db, &id, &now)?.ok_or_else(Problem::internal)?;
    Ok(json(201, &assessment))
}

fn case_risk(ctx: &Ctx, call: &mut Call) -> Outcome {
    let case = cases::get(&ctx.db, call.param("case"))?.ok_or_else(no_case)?;
    let summary = assessments::case_risk(&ctx.db, &case, &now())?;
    call.consulted([RecordRef::case(&case.id)]);
    Ok(json(200, &summary))
}

fn overdue(ctx: &Ctx, call: &mut Call) -> Outcome {
    let page: Page = call.query()?;
    let list = assessments::overdue(&ctx.db, &now(), page.limit.0)?;
    let of_kind = |kind: RecordType, items: &[assessments::OverdueItem]| -> Vec<RecordRef> {
        items
            .iter()
            .map(|i| RecordRef::of_case(kind, &i.id, &i.case_id))
            .collect()
    };
    call.consulted(of_kind(RecordType::RiskAssessment, &list.assessments));
    call.consulted(of_kind(RecordType::RiskAssessment, &list.reviews));
    call.consulted(of_kind(RecordType::Referral, &list.referrals));
    Ok(json(200, &list))
}

#[derive(Deserialize)]
struct ReferralQuery {
    status: Option<String>,
    #[serde(default, deserialize_with = "spin_adapter::input::flag")]
    overdue: bool,
    agency: Option<String>,
    case_id: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn list_referrals(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: ReferralQuery = call.query()?;
    if let Some(s) = &query.status
        && !["due", "sent", "acknowledged"].contains(&s.as_str())
    {
        return Err(invalid_query("`status` is one of due, sent, acknowledged."));
    }
    let filter = referral_store::Filter {
        status: query.status,
        agency: query.agency,
        case_id: query.case_id,
        overdue: query.overdue,
    };
    let page = query.page;
    let list = referral_store::list(
        &ctx.db,
        &filter,
        &now(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    call.consulted(list.iter().map(|r| referral_ref(&r.id, &r.case_id)));
    let next = page.next(&list, |r| r.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "referrals": list, "next": next }),
    ))
}

fn no_referral() -> Problem {
    Problem::not_found().with_detail("There is no referral with this id.")
}

fn read_referral(ctx: &Ctx, call: &mut Call) -> Outcome {
    let referral = referral_store::get(&ctx.db, call.id())?.ok_or_else(no_referral)?;
    call.consulted([referral_ref(&referral.id, &referral.case_id)]);
    Ok(json(200, &referral))
}

fn wrong_status(status: ReferralStatus, wanted: ReferralStatus, action: &str) -> Problem {
    Problem::new(
        409,
        "referral-status",
        "The referral's status does not allow this",
    )
    .with_detail(format!(
        "The referral is {status}; only a {wanted} referral can be {action}."
    ))
}

fn send_referral(ctx: &Ctx, call: &mut Call) -> Outcome {
    let sharing: Sharing = call.body()?;
    check(referrals::validate_sharing(&sharing))?;
    let id = call.id().to_string();
    let referral = referral_store::get(&ctx.db, &id)?.ok_or_else(no_referral)?;
    if referral.status != ReferralStatus::Due {
        return Err(wrong_status(referral.status, ReferralStatus::Due, "sent"));
    }
    let now = now();
    let case = cases::get(&ctx.db, &referral.case_id)?.ok_or_else(Problem::internal)?;
    let assessment =
        assessments::get(&ctx.db, &referral.assessment_id, &now)?.ok_or_else(Problem::internal)?;
    let package = referrals::package(
        &referral,
        &case,
        assessment.assessed(),
        &sharing,
        &ctx.settings.force,
        &call.who.subject,
        &now,
    );
    if let Err(Refused::WrongStatus(status)) =
        referral_store::send(&ctx.db, &id, &sharing, &package, &now, &call.who.subject)?
    {
        return Err(wrong_status(status, ReferralStatus::Due, "sent"));
    }
    call.logs(Operation::Alteration, referral_ref(&id, &referral.case_id));
    let referral: Referral = referral_store::get(&ctx.db, &id)?.ok_or_else(Problem::internal)?;
    Ok(json(200, &referral))
}

#[derive(Deserialize)]
struct PartnerQuery {
    status: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn partner_list(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: PartnerQuery = call.query()?;
    if let Some(s) = &query.status
        && !["sent", "acknowledged"].contains(&s.as_str())
    {
        return Err(invalid_query("`status` is sent or acknowledged."));
    }
    let page = query.page;
    let list = referral_store::for_recipient(
        &ctx.db,
        &call.who.subject,
        query.status.as_deref(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    call.consulted(list.iter().map(|r| referral_ref(&r.id, &r.case_id)));
    let next = page.next(&list, |r| r.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "referrals": list, "next": next }),
    ))
}

/// The partner's own referral, or 404 (a partner cannot tell another's from one that does not exist).
fn own_package(ctx: &Ctx, call: &Call) -> Result<(serde_json::Value, String), Problem> {
    let package = referral_store::package_for(&ctx.db, call.id(), &call.who.subject)?
        .ok_or_else(no_referral)?;
    let case_id = referral_store::get(&ctx.db, call.id())?
        .ok_or_else(Problem::internal)?
        .case_id;
    Ok((package, case_id))
}

/// A partner fetches a package: a disclosure to that partner, in the access log.
fn partner_fetch(ctx: &Ctx, call: &mut Call) -> Outcome {
    let (package, case_id) = own_package(ctx, call)?;
    let recipient = call.who.subject.clone();
    let id = call.id().to_string();
    call.logs(Operation::Disclosure, referral_ref(&id, &case_id))
        .recipient = Some(recipient);
    Ok(json(200, &package))
}

fn partner_acknowledge(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id = call.id().to_string();
    let partner = call.who.subject.clone();
    match referral_store::acknowledge(&ctx.db, &id, &partner, &now(), &partner)? {
        Ok(()) => {}
        Err(Refused::NotFound) => return Err(no_referral()),
        Err(Refused::WrongStatus(status)) => {
            return Err(wrong_status(status, ReferralStatus::Sent, "acknowledged"));
        }
    }
    let (package, case_id) = own_package(ctx, call)?;
    call.logs(Operation::Alteration, referral_ref(&id, &case_id));
    Ok(json(200, &package))
}
