//! Search records under the stalking power of entry and PACE: recorded, amended (never rewritten),
//! checked for compliance, listed and reported on.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::context::{
    self, Ctx, Outcome, access_reason, check, decode, etag, if_match, json_body, now, respond,
};
use spin_adapter::json;
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::{http_component, variables};
use stalking_response::audit::Operation;
use stalking_response::auth::{AccessReason, Action, Principal};
use stalking_response::cases::{self, UpdateRefused};
use stalking_response::problem::Problem;
use stalking_response::search_records::{self, Filter, Search};
use stalking_response::searches::{self, CaseFacts, Compliance, Power, SearchRecord, Status};

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    respond(route(&req))
}

fn route(req: &Request) -> Outcome {
    let ctx = Ctx::open(req)?;
    let path = req.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(3).collect(); // after /api/v1
    match (req.method(), segments.as_slice()) {
        (Method::Post, ["searches"]) => create(&ctx, req),
        (Method::Get, ["searches"]) => list(&ctx, req),
        (Method::Get, ["searches", "report"]) => report(&ctx, req),
        (Method::Get, ["searches", id]) => read(&ctx, req, id),
        (Method::Get, ["searches", id, "versions", n]) => read_version(&ctx, req, id, n),
        (Method::Post, ["searches", id, "amendments"]) => amend(&ctx, req, id),
        (_, ["searches"]) => Err(Problem::method_not_allowed(&["GET", "POST"])),
        (_, ["searches", _] | ["searches", _, "versions", _]) => {
            Err(Problem::method_not_allowed(&["GET"]))
        }
        (_, ["searches", _, "amendments"]) => Err(Problem::method_not_allowed(&["POST"])),
        _ => Err(Problem::not_found()),
    }
}

/// Days after execution (or expiry) within which a warrant must be endorsed and back at court: force
/// policy (Code B 8.3 sets no number).
fn return_days() -> i64 {
    variables::get("search_return_days")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|d| *d > 0)
        .unwrap_or(7)
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
        return_days(),
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
    let mut response = json(status, &view(ctx, search)?);
    response.set_header("etag", etag(search.version));
    Ok(response)
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
    ctx: &Ctx,
    who: &Principal,
    operation: Operation,
    id: &str,
    digest: String,
) -> Result<(), Problem> {
    let mut access = ctx.access(who, operation, "search", id, &AccessReason::collection());
    access.digest = Some(digest);
    ctx.log(access)
}

fn create(ctx: &Ctx, req: &Request) -> Outcome {
    let officer = ctx.caller(req, Action::SearchCreate, "search", "new")?;
    let record: SearchRecord = json_body(req)?;
    check(searches::validate(&record, time::OffsetDateTime::now_utc()))?;
    let (status, body) = ctx.create_once(req, &officer, || {
        check_case(ctx, &record)?;
        let id = context::new_id();
        let digest = search_records::create(&ctx.db, &id, &record, &now(), &officer.subject)?;
        log_write(ctx, &officer, Operation::Collection, &id, digest)?;
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

fn read(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let reader = ctx.caller(req, Action::SearchRead, "search", id)?;
    let reason = access_reason(req)?;
    let search = ctx.transaction(|| {
        let search = search_records::get(&ctx.db, id)?.ok_or_else(no_search)?;
        ctx.log(ctx.access(&reader, Operation::Consultation, "search", id, &reason))?;
        Ok(search)
    })?;
    respond_with(200, ctx, &search)
}

fn read_version(ctx: &Ctx, req: &Request, id: &str, number: &str) -> Outcome {
    let reader = ctx.caller(req, Action::SearchRead, "search", id)?;
    let reason = access_reason(req)?;
    let number: i64 = number
        .parse()
        .map_err(|_| Problem::not_found().with_detail("Versions are numbered from 1."))?;
    let found = ctx.transaction(|| {
        let found = search_records::version(&ctx.db, id, number)?.ok_or_else(|| {
            Problem::not_found().with_detail("There is no such search record or version.")
        })?;
        ctx.log(ctx.access(&reader, Operation::Consultation, "search", id, &reason))?;
        Ok(found)
    })?;
    let (info, record) = found;
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

fn amend(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let officer = ctx.caller(req, Action::SearchAmend, "search", id)?;
    let version = if_match(req)?;
    let amendment: Amendment = json_body(req)?;
    let mut errors = Vec::new();
    stalking_response::intake::text(
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
    let search = ctx.transaction(|| {
        let current = search_records::get(&ctx.db, id)?.ok_or_else(no_search)?;
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
        let (_, digest) =
            match search_records::amend(
                &ctx.db,
                id,
                version,
                &record,
                &amendment.changes,
                &amendment.reason,
                &now(),
                &officer.subject,
            )? {
                Ok(done) => done,
                Err(UpdateRefused::VersionMismatch(current)) => {
                    return Err(Problem::new(412, "version-mismatch", "The record has changed")
                    .with_detail(format!(
                        "The record is now at version {current}: read it again, then amend it."
                    ))
                    .with_header("etag", etag(current)));
                }
                Err(_) => return Err(no_search()),
            };
        log_write(ctx, &officer, Operation::Alteration, id, digest)?;
        search_records::get(&ctx.db, id)?.ok_or_else(Problem::internal)
    })?;
    respond_with(201, ctx, &search)
}

fn invalid(detail: &str) -> Problem {
    Problem::new(400, "invalid-query", "Invalid query parameter").with_detail(detail.to_string())
}

/// `from` and `to` (inclusive dates), `power` and `case_id` from the query.
fn filter(req: &Request) -> Result<Filter, Problem> {
    let date = |name: &str| -> Result<Option<String>, Problem> {
        match context::query(req, name) {
            None => Ok(None),
            Some(d) if stalking_response::intake::parse_date(&d).is_some() => Ok(Some(d)),
            Some(_) => Err(invalid(&format!("`{name}` is a date, YYYY-MM-DD."))),
        }
    };
    let power = match context::query(req, "power") {
        None => None,
        Some(p) => Some(Power::parse(&p).ok_or_else(|| {
            invalid("`power` is one of pha-s2b-warrant, pace-s8-warrant, pace-s17, pace-s18, pace-s32, consent.")
        })?),
    };
    let filter = Filter {
        from: date("from")?,
        to: date("to")?,
        power,
        case_id: context::query(req, "case_id"),
    };
    if let (Some(from), Some(to)) = (&filter.from, &filter.to)
        && from > to
    {
        return Err(invalid("`from` is after `to`."));
    }
    Ok(filter)
}

fn list(ctx: &Ctx, req: &Request) -> Outcome {
    let reader = ctx.caller(req, Action::SearchRead, "search-list", "list")?;
    let reason = access_reason(req)?;
    let filter = filter(req)?;
    let status =
        match context::query(req, "status") {
            None => None,
            Some(s) => Some(Status::parse(&s).ok_or_else(|| {
                invalid("`status` is one of compliant, in-progress, non-compliant.")
            })?),
        };
    let limit = context::limit(req)? as usize;
    let after = context::query(req, "after");
    let page = ctx.transaction(|| {
        let page = search_records::list(
            &ctx.db,
            &filter,
            status,
            after.as_deref(),
            limit as i64,
            return_days(),
            time::OffsetDateTime::now_utc(),
        )?;
        ctx.log_list(
            &reader,
            "search-list",
            page.iter().map(|(s, _)| s.id.as_str()),
            &reason,
        )?;
        Ok(page)
    })?;
    let items: Vec<serde_json::Value> = page
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
    let next = context::next_cursor(&page, limit as i64, |(s, _)| s.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "searches": items, "next": next }),
    ))
}

fn report(ctx: &Ctx, req: &Request) -> Outcome {
    let reader = ctx.caller(req, Action::SearchReport, "search-report", "report")?;
    let reason = access_reason(req)?;
    let filter = filter(req)?;
    let (Some(from), Some(to)) = (filter.from.clone(), filter.to.clone()) else {
        return Err(invalid(
            "The report needs a period: `from` and `to`, YYYY-MM-DD.",
        ));
    };
    let searches: Vec<(Search, Compliance)> = ctx.transaction(|| {
        let searches = search_records::select_checked(
            &ctx.db,
            &filter,
            return_days(),
            time::OffsetDateTime::now_utc(),
        )?;
        ctx.log(ctx.access(
            &reader,
            Operation::Consultation,
            "search-report",
            &format!("{from}..{to}"),
            &reason,
        ))?;
        Ok(searches)
    })?;
    let report = search_records::report(&from, &to, &searches);
    match context::query(req, "format").as_deref() {
        None | Some("json") => Ok(json(200, &report)),
        Some("csv") => {
            let (body, name) = match context::query(req, "table").as_deref() {
                None | Some("summary") => (search_records::summary_csv(&report), "summary"),
                Some("breaches") => (search_records::breaches_csv(&report), "breaches"),
                Some(_) => return Err(invalid("`table` is summary or breaches.")),
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
        Some(_) => Err(invalid("`format` is json or csv.")),
    }
}
