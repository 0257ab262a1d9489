//! The force's view (issue #16): the problem profile and its charts, aggregates with no personal data
//! for analysts and senior officers; the action plan, read by them and updated by supervisors and
//! superintendents; and protocol compliance — a case's checks, the force's list of cases by check and
//! the summary by check for the quarterly police–CPS review.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::{Deserialize, Serialize};
use spin_adapter::context::{Ctx, Outcome};
use spin_adapter::input::{Limit, Page, etag, invalid_query};
use spin_adapter::{Call, json, json_with};
use spin_sdk::http::Response;
use stalking_response::compliance::{Filter, summary_period};
use stalking_response::ids::CaseId;
use stalking_response::plan::{self, NewActionUpdate};
use stalking_response::profile::{Request, charts};
use stalking_response::services::{cases::no_case, compliance, plan as plans, profile as service};

spin_adapter::routes! {
    GET "/api/v1/profile" => ProfileRead, NotPersonal, profile;
    GET "/api/v1/profile/charts/{chart}" => ProfileRead, NotPersonal, chart;
    GET "/api/v1/plan" => PlanRead, NotPersonal, read_plan;
    POST "/api/v1/plan/actions/{id}/updates" => PlanUpdate, Collection, update_action;
    GET "/api/v1/cases/{id}/compliance" => ComplianceRead, Asked, case_compliance;
    GET "/api/v1/compliance" => ComplianceList, Asked, list_compliance;
    GET "/api/v1/compliance/summary" => ComplianceSummary, NotPersonal, compliance_summary;
    POST "/api/v1/cases/{id}/considerations" => CaseUpdate, Collection, record_consideration;
}

/// `POST /cases/{id}/considerations`: a decision not to apply for a power, with its reason.
fn record_consideration(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: stalking_response::compliance::considerations::NewConsideration = call.body()?;
    let case: stalking_response::ids::CaseId =
        call.id_as(stalking_response::services::cases::no_case)?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let recorded = stalking_response::services::compliance::consider(
            &ctx.env(),
            &officer,
            &case,
            &new,
            &mut call.journal,
        )?;
        Ok((201, json(201, &recorded).into_body()))
    })?;
    Ok(spin_adapter::stored(status, body))
}

/// `GET /profile`: the period and the comparison; anything else is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileQuery {
    from: Option<String>,
    to: Option<String>,
    compare: Option<String>,
}

/// `GET /profile/charts/{chart}`: the profile's query and the format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartQuery {
    from: Option<String>,
    to: Option<String>,
    compare: Option<String>,
    format: Option<String>,
}

fn request(
    from: &Option<String>,
    to: &Option<String>,
    compare: &Option<String>,
) -> Result<Request, stalking_response::problem::Problem> {
    Request::parse(from.as_deref(), to.as_deref(), compare.as_deref())
}

fn profile(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: ProfileQuery = call.query()?;
    let request = request(&query.from, &query.to, &query.compare)?;
    let profile = service::profile(&ctx.env(), request, &mut call.journal)?;
    Ok(json(200, &profile))
}

fn download(body: String, content_type: &str, filename: &str) -> Response {
    let mut response = Response::new(200, body);
    response.set_header("content-type", content_type);
    response.set_header(
        "content-disposition",
        format!("attachment; filename=\"{filename}\""),
    );
    response.set_header("cache-control", "no-store");
    response
}

fn no_chart() -> stalking_response::problem::Problem {
    stalking_response::problem::Problem::not_found().with_detail(format!(
        "There is no such chart: {}.",
        charts::NAMES.join(", ")
    ))
}

fn chart(ctx: &Ctx, call: &mut Call) -> Outcome {
    let name = call.param("chart").to_string();
    if !charts::NAMES.contains(&name.as_str()) {
        return Err(no_chart());
    }
    let query: ChartQuery = call.query()?;
    let request = request(&query.from, &query.to, &query.compare)?;
    let format = match query.format.as_deref() {
        None | Some("svg") => "svg",
        Some("csv") => "csv",
        Some(_) => return Err(invalid_query("`format` is svg or csv.")),
    };
    let profile = service::profile(&ctx.env(), request, &mut call.journal)?;
    let chart = charts::chart(&profile, &name).ok_or_else(no_chart)?;
    let stem = format!("{name}-{}-{}", request.period.from, request.period.to);
    Ok(match format {
        "csv" => download(
            charts::csv(&chart),
            "text/csv; charset=utf-8",
            &format!("{stem}.csv"),
        ),
        _ => svg_response(&chart),
    })
}

fn svg_response(chart: &charts::Chart) -> Response {
    let mut response = Response::new(200, charts::svg(chart));
    response.set_header("content-type", "image/svg+xml; charset=utf-8");
    response.set_header("cache-control", "no-store");
    // Drawn for <img>: nothing in it runs, and it may not load anything.
    response.set_header("content-security-policy", "default-src 'none'; sandbox");
    response
}

/// `GET /plan`: `format` json (default), csv or html (a printable page).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanQuery {
    format: Option<String>,
}

fn read_plan(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: PlanQuery = call.query()?;
    let format = match query.format.as_deref() {
        None | Some("json") => "json",
        Some("csv") => "csv",
        Some("html") => "html",
        Some(_) => return Err(invalid_query("`format` is json, csv or html.")),
    };
    let env = ctx.env();
    let view = plans::read(&env, &mut call.journal)?;
    let now = env.now_text();
    let today = &now.as_str()[..10];
    Ok(match format {
        "csv" => download(
            plan::csv(&view),
            "text/csv; charset=utf-8",
            &format!("action-plan-{today}.csv"),
        ),
        "html" => {
            let mut response = Response::new(200, plan::html(&view, today));
            response.set_header("content-type", "text/html; charset=utf-8");
            response.set_header("cache-control", "no-store");
            response.set_header(
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'",
            );
            response
        }
        _ => json(200, &view),
    })
}

fn update_action(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let update: NewActionUpdate = call.body()?;
    let id = call.id().to_string();
    let added = plans::update(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &update,
        &mut call.journal,
    )?;
    let next = added.seq + 1;
    Ok(json_with(201, &added, &[("etag", etag(next))]))
}

fn case_compliance(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: CaseId = call.id_as(no_case)?;
    let checks = compliance::case(&ctx.env(), &id, &mut call.journal)?;
    Ok(json(200, &checks))
}

/// `GET /compliance`: the check, the status, the months reported in, and the page; nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    check: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    limit: Limit,
    after: Option<String>,
}

fn list_compliance(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: ListQuery = call.query()?;
    let filter = Filter::parse(
        query.check.as_deref(),
        query.status.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let page = Page {
        limit: query.limit,
        after: query.after,
    };
    let listed = compliance::list(&ctx.env(), &filter, &page, &mut call.journal)?;
    Ok(json(
        200,
        &Listing {
            cases: listed.items,
            next: listed.next,
        },
    ))
}

/// A page of the force list.
#[derive(Serialize)]
struct Listing {
    cases: Vec<stalking_response::compliance::CaseCompliance>,
    next: Option<String>,
}

/// `GET /compliance/summary`: the period, and the format (json, or the chart as svg or csv).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn compliance_summary(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: SummaryQuery = call.query()?;
    let period = summary_period(query.from.as_deref(), query.to.as_deref())?;
    let format = match query.format.as_deref() {
        None | Some("json") => "json",
        Some("svg") => "svg",
        Some("csv") => "csv",
        Some(_) => return Err(invalid_query("`format` is json, svg or csv.")),
    };
    let summary = compliance::summary(&ctx.env(), period, &mut call.journal)?;
    if format == "json" {
        return Ok(json(200, &summary));
    }
    let chart = charts::compliance(&summary);
    let stem = format!("compliance-{}-{}", period.from, period.to);
    Ok(match format {
        "csv" => download(
            charts::csv(&chart),
            "text/csv; charset=utf-8",
            &format!("{stem}.csv"),
        ),
        _ => svg_response(&chart),
    })
}
