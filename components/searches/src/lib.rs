//! Search records under the stalking power of entry and PACE: recorded, amended (never rewritten),
//! checked for compliance, listed and reported on.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{Ctx, Outcome};
use spin_adapter::input::{self, Page, etag, invalid_query};
use spin_adapter::{Call, json, json_with};
use spin_sdk::http::Response;
use stalking_response::ids::SearchId;
use stalking_response::problem::Problem;
use stalking_response::searches::report::{breaches_csv, summary_csv};
use stalking_response::searches::store::Filter;
use stalking_response::searches::{Power, SearchRecord, Status};
use stalking_response::services::searches as service;

spin_adapter::routes! {
    POST "/api/v1/searches" => SearchCreate, Collection, create;
    GET "/api/v1/searches" => SearchRead, Asked, list;
    GET "/api/v1/searches/report" => SearchReport, Asked, report;
    GET "/api/v1/searches/{id}" => SearchRead, Asked, read;
    GET "/api/v1/searches/{id}/versions/{n}" => SearchRead, Asked, read_version;
    POST "/api/v1/searches/{id}/amendments" => SearchAmend, Collection, amend;
}

fn reply(status: u16, view: &service::View) -> Response {
    json_with(status, view, &[("etag", etag(view.search.version))])
}

fn create(ctx: &Ctx, call: &mut Call) -> Outcome {
    let record: SearchRecord = call.body()?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        let view = service::create(&ctx.env(), &officer, &record, &mut call.journal)?;
        Ok((201, serde_json::to_vec(&view).expect("serialises")))
    })?;
    Ok(spin_adapter::created(status, body, "/api/v1/searches"))
}

fn read(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: SearchId = call.id_as(service::no_search)?;
    Ok(reply(
        200,
        &service::consult(&ctx.env(), &id, &mut call.journal)?,
    ))
}

fn read_version(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: SearchId = call.id_as(service::no_search)?;
    let number: i64 = call
        .param("n")
        .parse()
        .map_err(|_| Problem::not_found().with_detail("Versions are numbered from 1."))?;
    let (info, record) = service::version(&ctx.env(), &id, number, &mut call.journal)?;
    Ok(json(
        200,
        &serde_json::json!({ "search_id": id, "version": info, "record": record }),
    ))
}

fn amend(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let amendment: service::Amendment = call.body()?;
    let id: SearchId = call.id_as(service::no_search)?;
    let view = service::amend(
        &ctx.env(),
        &call.who,
        &id,
        version,
        &amendment,
        &mut call.journal,
    )?;
    Ok(reply(201, &view))
}

/// `from` and `to` (inclusive dates), `power` and `case_id`; for lists, `status` and a page; for the
/// report, `format` and `table`.
#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default, deserialize_with = "input::optional_date")]
    from: Option<String>,
    #[serde(default, deserialize_with = "input::optional_date")]
    to: Option<String>,
    power: Option<String>,
    case_id: Option<String>,
    status: Option<Status>,
    format: Option<String>,
    table: Option<String>,
    #[serde(flatten)]
    page: Page,
}

fn filter(query: &SearchQuery) -> Result<Filter, Problem> {
    let power = match &query.power {
        None => None,
        Some(p) => Some(Power::parse(p).ok_or_else(|| {
            invalid_query("`power` is one of pha-s2b-warrant, pace-s8-warrant, pace-s17, pace-s18, pace-s32, consent.")
        })?),
    };
    let filter = Filter {
        from: query.from.clone(),
        to: query.to.clone(),
        power,
        case_id: query.case_id.clone(),
    };
    if let (Some(from), Some(to)) = (&filter.from, &filter.to)
        && from > to
    {
        return Err(invalid_query("`from` is after `to`."));
    }
    Ok(filter)
}

fn list(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: SearchQuery = call.query()?;
    let filter = filter(&query)?;
    let status = query.status;
    let listed = service::list(&ctx.env(), &filter, status, &query.page, &mut call.journal)?;
    let items: Vec<serde_json::Value> = listed
        .items
        .iter()
        .map(|(s, c)| {
            serde_json::json!({
                "id": s.id, "case_id": s.record.case_id, "power": s.record.power,
                "searched_on": s.searched_on, "address": s.record.premises.address,
                "version": s.version, "stage": c.stage, "status": c.status,
                "breaches": c.breaches().map(|b| b.rule).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "searches": items, "next": listed.next }),
    ))
}

fn report(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: SearchQuery = call.query()?;
    let filter = filter(&query)?;
    let (Some(from), Some(to)) = (filter.from.clone(), filter.to.clone()) else {
        return Err(invalid_query(
            "The report needs a period: `from` and `to`, YYYY-MM-DD.",
        ));
    };
    let breaches_table = match query.table.as_deref() {
        None | Some("summary") => false,
        Some("breaches") => true,
        Some(_) => return Err(invalid_query("`table` is summary or breaches.")),
    };
    let report = service::report(&ctx.env(), &filter, &from, &to, &mut call.journal)?;
    match query.format.as_deref() {
        None | Some("json") => Ok(json(200, &report)),
        Some("csv") => {
            let (body, name) = if breaches_table {
                (breaches_csv(&report), "breaches")
            } else {
                (summary_csv(&report), "summary")
            };
            let mut response = Response::new(200, body);
            response.set_header("content-type", "text/csv; charset=utf-8");
            response.set_header(
                "content-disposition",
                format!("attachment; filename=\"searches-{from}-{to}-{name}.csv\""),
            );
            response.set_header("cache-control", "no-store");
            Ok(response)
        }
        Some(_) => Err(invalid_query("`format` is json or csv.")),
    }
}
