//! Search records under the stalking power of entry and PACE: recorded, amended (never rewritten),
//! checked for compliance, listed and reported on.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{self, Ctx, Outcome, now};
use spin_adapter::input::{self, Page, check, decode, etag, invalid_query};
use spin_adapter::{Call, json, json_with};
use spin_sdk::http::Response;
use stalking_response::access::audit::{Operation, RecordRef, RecordType};
use stalking_response::cases::store::{self as cases, UpdateRefused};
use stalking_response::problem::Problem;
use stalking_response::searches::store::{self as search_records, Filter, Search};
use stalking_response::searches::{self, CaseFacts, Compliance, Power, SearchRecord, Status};

spin_adapter::routes! {
    POST "/api/v1/searches" => SearchCreate, Collection, create;
    GET "/api/v1/searches" => SearchRead, Asked, list;
    GET "/api/v1/searches/report" => SearchReport, Asked, report;
    GET "/api/v1/searches/{id}" => SearchRead, Asked, read;
    GET "/api/v1/searches/{id}/versions/{n}" => SearchRead, Asked, read_version;
    POST "/api/v1/searches/{id}/amendments" => SearchAmend, Collection, amend;
}

fn search_ref(id: &str, record: &SearchRecord) -> RecordRef {
    RecordRef::of_case(RecordType::Search, id, &record.case_id)
}

/// A search's compliance today, from its record and its case.
fn compliance(ctx: &Ctx, record: &SearchRecord) -> Result<Compliance, Problem> {
    let case = cases::get(&ctx.db, &record.case_id)?;
    let facts = CaseFacts {
        stalking_suspected: case.is_some_and(|c| c.stalking),
    };
    Ok(searches::compliance(
        record,
        facts,
        ctx.settings.search_return_days,
        time::OffsetDateTime::now_utc(),
    ))
}

fn view(ctx: &Ctx, search: &Search) -> Result<serde_json::Value, Problem> {
    let compliance = compliance(ctx, &search.record)?;
    let mut value = serde_json::to_value(search).expect("serialises");
    value["compliance"] = serde_json::to_value(&compliance).expect("serialises");
    Ok(value)
}

fn respond_with(status: u16, ctx: &Ctx, search: &Search) -> Outcome {
    Ok(json_with(
        status,
        &view(ctx, search)?,
        &[("etag", etag(search.version))],
    ))
}

fn no_search() -> Problem {
    Problem::not_found().with_detail("There is no search record with this id.")
}

/// The case must exist: a search record is always linked to its case.
fn check_case(ctx: &Ctx, record: &SearchRecord) -> Result<(), Problem> {
    match cases::get(&ctx.db, &record.case_id)? {
        Some(_) => Ok(()),
        None => Err(Problem::validation(vec![(
            "/case_id".into(),
            "There is no case with this id.".into(),
        )])),
    }
}

/// The access-log entry for a write: it carries the digest of what was written.
fn log_write(
    call: &mut Call,
    operation: Operation,
    id: &str,
    record: &SearchRecord,
    digest: String,
) {
    call.logs(operation, search_ref(id, record)).digest = Some(digest);
}

fn create(ctx: &Ctx, call: &mut Call) -> Outcome {
    let record: SearchRecord = call.body()?;
    check(searches::validate(&record, time::OffsetDateTime::now_utc()))?;
    let officer = call.who.clone();
    let (status, body) = ctx.create_once(call.req, &officer, || {
        check_case(ctx, &record)?;
        let id = context::new_id();
        let digest = search_records::create(&ctx.db, &id, &record, &now(), &officer.subject)?;
        log_write(call, Operation::Collection, &id, &record, digest);
        let search = search_records::get(&ctx.db, &id)?.ok_or_else(Problem::internal)?;
        let body = serde_json::to_vec(&view(ctx, &search)?).expect("serialises");
        Ok((201, body))
    })?;
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut response = Response::new(status, body);
    response.set_header("content-type", "application/json");
    response.set_header("cache-control", "no-store");
    if let (Some(id), Some(version)) = (value["id"].as_str(), value["version"].as_i64()) {
        response.set_header("location", format!("/api/v1/searches/{id}"));
        response.set_header("etag", etag(version));
    }
    Ok(response)
}

fn read(ctx: &Ctx, call: &mut Call) -> Outcome {
    let search = search_records::get(&ctx.db, call.id())?.ok_or_else(no_search)?;
    call.consulted([search_ref(&search.id, &search.record)]);
    respond_with(200, ctx, &search)
}

fn read_version(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id = call.id().to_string();
    let number: i64 = call
        .param("n")
        .parse()
        .map_err(|_| Problem::not_found().with_detail("Versions are numbered from 1."))?;
    let (info, record) = search_records::version(&ctx.db, &id, number)?.ok_or_else(|| {
        Problem::not_found().with_detail("There is no such search record or version.")
    })?;
    call.consulted([search_ref(&id, &record)]);
    Ok(json(
        200,
        &serde_json::json!({ "search_id": id, "version": info, "record": record }),
    ))
}

/// A correction or completion: a JSON Merge Patch with a reason, made against the current version.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Amendment {
    reason: String,
    changes: serde_json::Value,
}

fn amend(ctx: &Ctx, call: &mut Call) -> Outcome {
    let version = call.if_match()?;
    let amendment: Amendment = call.body()?;
    let mut errors = Vec::new();
    stalking_response::values::text(
        &mut errors,
        "/reason",
        &amendment.reason,
        "the reason for the amendment",
        2000,
    );
    if !amendment.changes.is_object() {
        errors.push((
            "/changes".into(),
            "Give the changes as an object (JSON Merge Patch, RFC 7396).".into(),
        ));
    }
    check(errors)?;
    let id = call.id().to_string();
    let current = search_records::get(&ctx.db, &id)?.ok_or_else(no_search)?;
    let mut document = serde_json::to_value(&current.record).expect("serialises");
    searches::merge_patch(&mut document, &amendment.changes);
    let record: SearchRecord = decode(document, "/changes")?;
    let errors: Vec<(String, String)> =
        searches::validate(&record, time::OffsetDateTime::now_utc())
            .into_iter()
            .map(|(pointer, detail)| (format!("/changes{pointer}"), detail))
            .collect();
    check(errors)?;
    if record == current.record {
        return Err(Problem::validation(vec![(
            "/changes".into(),
            "The amendment changes nothing.".into(),
        )]));
    }
    if record.case_id != current.record.case_id {
        check_case(ctx, &record).map_err(|_| {
            Problem::validation(vec![(
                "/changes/case_id".into(),
                "There is no case with this id.".into(),
            )])
        })?;
    }
    let change = search_records::Amendment {
        record: &record,
        changes: &amendment.changes,
        reason: &amendment.reason,
    };
    let amended = search_records::amend(&ctx.db, &id, version, &change, &now(), &call.who.subject)?;
    let (_, digest) = match amended {
        Ok(done) => done,
        Err(UpdateRefused::VersionMismatch(current)) => {
            return Err(
                Problem::new(412, "version-mismatch", "The record has changed")
                    .with_detail(format!(
                        "The record is now at version {current}: read it again, then amend it."
                    ))
                    .with_header("etag", etag(current)),
            );
        }
        Err(_) => return Err(no_search()),
    };
    log_write(call, Operation::Alteration, &id, &record, digest);
    let search = search_records::get(&ctx.db, &id)?.ok_or_else(Problem::internal)?;
    respond_with(201, ctx, &search)
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
    status: Option<String>,
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
    let status = match &query.status {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            invalid_query("`status` is one of compliant, in-progress, non-compliant.")
        })?),
    };
    let page = &query.page;
    let found = search_records::list(
        &ctx.db,
        &filter,
        status,
        search_records::Page {
            after: page.after.as_deref(),
            limit: page.limit.0,
        },
        ctx.settings.search_return_days,
        time::OffsetDateTime::now_utc(),
    )?;
    call.consulted(found.iter().map(|(s, _)| search_ref(&s.id, &s.record)));
    let items: Vec<serde_json::Value> = found
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
    let next = page.next(&found, |(s, _)| s.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "searches": items, "next": next }),
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
    let searches: Vec<(Search, Compliance)> = search_records::select_checked(
        &ctx.db,
        &filter,
        ctx.settings.search_return_days,
        time::OffsetDateTime::now_utc(),
    )?;
    call.consulted(searches.iter().map(|(s, _)| search_ref(&s.id, &s.record)));
    let breaches_table = match query.table.as_deref() {
        None | Some("summary") => false,
        Some("breaches") => true,
        Some(_) => return Err(invalid_query("`table` is summary or breaches.")),
    };
    let report = search_records::report(&from, &to, &searches);
    match query.format.as_deref() {
        None | Some("json") => Ok(json(200, &report)),
        Some("csv") => {
            let (body, name) = if breaches_table {
                (search_records::breaches_csv(&report), "breaches")
            } else {
                (search_records::summary_csv(&report), "summary")
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
