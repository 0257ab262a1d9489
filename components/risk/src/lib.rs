//! Risk: the instruments, assessments with their explained results, supervisors' reviews, what is due
//! and overdue, and the referrals to MASH and MARAC, including the partner systems' side.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{Ctx, Outcome};
use spin_adapter::input::{Page, invalid_query};
use spin_adapter::{Call, json};
use stalking_response::ids::{AssessmentId, CaseId, ReferralId};
use stalking_response::problem::Problem;
use stalking_response::risk::instruments;
use stalking_response::risk::referrals::{PartnerStatus, ReferralStatus, Sharing};
use stalking_response::risk::scoring::{NewAssessment, NewReview};
use stalking_response::risk::store::referrals as referral_store;
use stalking_response::services::cases::no_case;
use stalking_response::services::risk as service;

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

fn create_assessment(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewAssessment = call.body()?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let assessment = service::assess(&ctx.env(), &officer, &new, &mut call.journal)?;
        Ok((201, serde_json::to_vec(&assessment).expect("serialises")))
    })?;
    Ok(spin_adapter::created(
        status,
        body,
        "/api/v1/risk-assessments",
    ))
}

fn read_assessment(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: AssessmentId = call.id_as(service::no_assessment)?;
    Ok(json(
        200,
        &service::consult(&ctx.env(), &id, &mut call.journal)?,
    ))
}

#[derive(Deserialize)]
struct HistoryQuery {
    case_id: Option<String>,
}

fn case_history(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: HistoryQuery = call.query()?;
    let case_id = query
        .case_id
        .and_then(|c| CaseId::parse(&c))
        .ok_or_else(|| {
            invalid_query("`case_id` is required: the id of the case whose assessments to list.")
        })?;
    let list = service::history(&ctx.env(), &case_id, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "case_id": case_id, "assessments": list }),
    ))
}

fn review(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewReview = call.body()?;
    let id: AssessmentId = call.id_as(service::no_assessment)?;
    let assessment = service::review(&ctx.env(), &call.who, &id, &new, &mut call.journal)?;
    Ok(json(201, &assessment))
}

fn case_risk(ctx: &Ctx, call: &mut Call) -> Outcome {
    let case_id: CaseId = call.param_as("case", no_case)?;
    let summary = service::case_risk(&ctx.env(), &case_id, &mut call.journal)?;
    Ok(json(200, &summary))
}

fn overdue(ctx: &Ctx, call: &mut Call) -> Outcome {
    let page: Page = call.query()?;
    let list = service::overdue(&ctx.env(), page.limit.0, &mut call.journal)?;
    Ok(json(200, &list))
}

#[derive(Deserialize)]
struct ReferralQuery {
    status: Option<ReferralStatus>,
    #[serde(default, deserialize_with = "spin_adapter::input::flag")]
    overdue: bool,
    agency: Option<String>,
    case_id: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn list_referrals(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: ReferralQuery = call.query()?;
    let filter = referral_store::Filter {
        status: query.status,
        agency: query.agency,
        case_id: query.case_id,
        overdue: query.overdue,
    };
    let listed = service::list_referrals(&ctx.env(), &filter, &query.page, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "referrals": listed.items, "next": listed.next }),
    ))
}

fn read_referral(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: ReferralId = call.id_as(service::no_referral)?;
    let referral = service::consult_referral(&ctx.env(), &id, &mut call.journal)?;
    Ok(json(200, &referral))
}

fn send_referral(ctx: &Ctx, call: &mut Call) -> Outcome {
    let sharing: Sharing = call.body()?;
    let id: ReferralId = call.id_as(service::no_referral)?;
    let referral = service::send_referral(&ctx.env(), &call.who, &id, &sharing, &mut call.journal)?;
    Ok(json(200, &referral))
}

#[derive(Deserialize)]
struct PartnerQuery {
    status: Option<PartnerStatus>,
    #[serde(flatten)]
    page: Page,
}

fn partner_list(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: PartnerQuery = call.query()?;
    let listed = service::partner_referrals(
        &ctx.env(),
        &call.who,
        query.status,
        &query.page,
        &mut call.journal,
    )?;
    Ok(json(
        200,
        &serde_json::json!({ "referrals": listed.items, "next": listed.next }),
    ))
}

/// A partner fetches a package: a disclosure to that partner, in the access log.
fn partner_fetch(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: ReferralId = call.id_as(service::no_referral)?;
    let package = service::fetch_package(&ctx.env(), &call.who, &id, &mut call.journal)?;
    Ok(json(200, &package))
}

fn partner_acknowledge(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: ReferralId = call.id_as(service::no_referral)?;
    let package = service::acknowledge(&ctx.env(), &call.who, &id, &mut call.journal)?;
    Ok(json(200, &package))
}
