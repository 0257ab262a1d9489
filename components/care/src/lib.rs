//! Victim care and actions (issue #15): the victim's contact preferences and safe contact details,
//! every contact with them, the Victims' Code updates owed at key decisions; and what is due on a
//! case, on an officer's cases, and overdue across the force. Its routes under `/api/v1/cases/:case/`
//! are more specific than the cases component's wildcard, so Spin sends them here.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{Ctx, Outcome};
use spin_adapter::input::{Page, etag, invalid_query};
use spin_adapter::{Call, json, json_with};
use stalking_response::care::{NewContact, NewKeyDecision, Preferences, VictimCare};
use stalking_response::ids::CaseId;
use stalking_response::services::care as service;
use stalking_response::services::cases::no_case;

spin_adapter::routes! {
    GET "/api/v1/cases/{case}/victim-care" => VictimCareRead, Asked, read_care;
    PUT "/api/v1/cases/{case}/victim-care" => VictimCareUpdate, Collection, save_preferences;
    GET "/api/v1/cases/{case}/victim-contacts" => VictimCareRead, Asked, list_contacts;
    POST "/api/v1/cases/{case}/victim-contacts" => VictimCareUpdate, Collection, add_contact;
    POST "/api/v1/cases/{case}/key-decisions" => VictimCareUpdate, Collection, add_decision;
    GET "/api/v1/cases/{case}/actions" => ActionsRead, Asked, case_actions;
    GET "/api/v1/actions" => ActionsRead, Asked, officer_actions;
    GET "/api/v1/actions/overdue" => ActionsOverdue, Asked, overdue_actions;
}

fn care_response(status: u16, care: &VictimCare) -> spin_sdk::http::Response {
    json_with(status, care, &[("etag", etag(care.version))])
}

fn case(call: &Call) -> Result<CaseId, stalking_response::problem::Problem> {
    call.param_as("case", no_case)
}

fn read_care(ctx: &Ctx, call: &mut Call) -> Outcome {
    let case = case(call)?;
    let care = service::read(&ctx.env(), &case, &mut call.journal)?;
    Ok(care_response(200, &care))
}

fn save_preferences(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let preferences: Preferences = call.body()?;
    let case = case(call)?;
    let care = service::save_preferences(
        &ctx.env(),
        &call.who,
        &case,
        version,
        &preferences,
        &mut call.journal,
    )?;
    Ok(care_response(200, &care))
}

fn list_contacts(ctx: &Ctx, call: &mut Call) -> Outcome {
    let page: Page = call.query()?;
    let case = case(call)?;
    let listed = service::contacts(&ctx.env(), &case, &page, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "contacts": listed.items, "next": listed.next }),
    ))
}

fn add_contact(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewContact = call.body()?;
    let case = case(call)?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let contact = service::add_contact(&ctx.env(), &officer, &case, &new, &mut call.journal)?;
        Ok((201, json(201, &contact).into_body()))
    })?;
    Ok(spin_adapter::stored(status, body))
}

fn add_decision(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewKeyDecision = call.body()?;
    let case = case(call)?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let update = service::add_decision(&ctx.env(), &officer, &case, &new, &mut call.journal)?;
        Ok((201, json(201, &update).into_body()))
    })?;
    Ok(spin_adapter::stored(status, body))
}

fn case_actions(ctx: &Ctx, call: &mut Call) -> Outcome {
    let case = case(call)?;
    let actions = service::case_actions(&ctx.env(), &case, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "case_id": case, "actions": actions }),
    ))
}

/// `GET /actions`: an officer's cases with what is due on each.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficerQuery {
    officer: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn officer_actions(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: OfficerQuery = call.query()?;
    if let Some(officer) = &query.officer
        && (officer.is_empty() || officer.len() > 128)
    {
        return Err(invalid_query(
            "`officer` is an officer's subject (collar number).",
        ));
    }
    let listed = service::officer_actions(
        &ctx.env(),
        &call.who,
        query.officer.as_deref(),
        &query.page,
        &mut call.journal,
    )?;
    let cases: Vec<serde_json::Value> = listed
        .items
        .iter()
        .map(|actions| {
            serde_json::json!({
                "case_id": actions.first().map(|a| a.case_id.to_string()),
                "actions": actions,
            })
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "cases": cases, "next": listed.next }),
    ))
}

/// `GET /actions/overdue`: at most `limit` of each kind (1 to 100, 50 when absent).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverdueQuery {
    #[serde(default)]
    limit: stalking_response::paging::Limit,
}

fn overdue_actions(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: OverdueQuery = call.query()?;
    let actions = service::overdue_actions(&ctx.env(), query.limit.0, &mut call.journal)?;
    Ok(json(200, &serde_json::json!({ "actions": actions })))
}
