//! Access control's own endpoints: tokens (admin), sessions for the web form, and the access log
//! (auditors: who accessed a record, what a person accessed, and verification of the hash chain).
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use spin_adapter::context::{self, Ctx, Outcome, access_reason, check, json_body, now, respond};
use spin_adapter::json;
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use stalking_response::audit::{self, Filter, Operation};
use stalking_response::auth::{self, AccessReason, Action, TokenRecord};
use stalking_response::problem::Problem;
use stalking_response::search_records;
use stalking_response::tokens::{self, NewToken};

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    respond(route(&req))
}

fn route(req: &Request) -> Outcome {
    let ctx = Ctx::open(req)?;
    let path = req.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(3).collect(); // after /api/v1
    match (req.method(), segments.as_slice()) {
        (Method::Post, ["tokens"]) => issue_token(&ctx, req),
        (Method::Get, ["tokens"]) => list_tokens(&ctx, req),
        (Method::Delete, ["tokens", id]) => revoke_token(&ctx, req, id),
        (Method::Post, ["session"]) => sign_in(&ctx, req),
        (Method::Get, ["session"]) => who_am_i(&ctx, req),
        (Method::Delete, ["session"]) => sign_out(&ctx, req),
        (Method::Get, ["audit", "access-log"]) => access_log(&ctx, req),
        (Method::Get, ["audit", "verify"]) => verify(&ctx, req),
        (Method::Get, ["audit", "export"]) => export(&ctx, req),
        (_, ["tokens"]) => Err(Problem::method_not_allowed(&["GET", "POST"])),
        (_, ["tokens", _]) => Err(Problem::method_not_allowed(&["DELETE"])),
        (_, ["session"]) => Err(Problem::method_not_allowed(&["GET", "POST", "DELETE"])),
        (_, ["audit", "access-log" | "verify" | "export"]) => {
            Err(Problem::method_not_allowed(&["GET"]))
        }
        _ => Err(Problem::not_found()),
    }
}

fn issue_token(ctx: &Ctx, req: &Request) -> Outcome {
    let admin = ctx.caller(req, Action::TokenIssue, "token", "new")?;
    let new: NewToken = json_body(req)?;
    check(tokens::validate(&new))?;
    let token = auth::format_token(&context::random());
    let record = TokenRecord {
        id: context::new_id(),
        subject: new.subject.trim().into(),
        role: new.role,
        force: ctx.config.force.clone(),
        created_at: now(),
        expires_at: context::later(new.expires_in_days * 86_400),
        revoked_at: None,
        created_by: admin.subject.clone(),
    };
    ctx.transaction(|| {
        tokens::insert(&ctx.db, &record, &auth::token_hash(&token))?;
        ctx.log(ctx.access(
            &admin,
            Operation::Collection,
            "token",
            &record.id,
            &AccessReason::collection(),
        ))
    })?;
    // The token is shown once, here; only its hash is kept.
    let body = serde_json::json!({ "token": token, "record": record });
    Ok(json(201, &body))
}

fn list_tokens(ctx: &Ctx, req: &Request) -> Outcome {
    ctx.caller(req, Action::TokenList, "token", "list")?;
    Ok(json(
        200,
        &serde_json::json!({ "tokens": tokens::list(&ctx.db)? }),
    ))
}

fn revoke_token(ctx: &Ctx, req: &Request, id: &str) -> Outcome {
    let admin = ctx.caller(req, Action::TokenRevoke, "token", id)?;
    let revoked = ctx.transaction(|| {
        let revoked = tokens::revoke(&ctx.db, id, &now())?;
        if revoked {
            ctx.log(ctx.access(
                &admin,
                Operation::Alteration,
                "token",
                id,
                &AccessReason::collection(),
            ))?;
        }
        Ok(revoked)
    })?;
    if !revoked {
        return Err(Problem::not_found().with_detail("No active token has this id."));
    }
    Ok(Response::new(204, ()))
}

fn sign_in(ctx: &Ctx, req: &Request) -> Outcome {
    // Only a bearer token can start a session: a cookie cannot renew itself.
    if req.header("authorization").is_none() {
        return Err(Problem::unauthorized(
            "Sign in with `Authorization: Bearer <token>`.",
        ));
    }
    let principal = ctx.authenticate(req)?;
    let (session, csrf, expires_at) = ctx.start_session(&principal)?;
    let secure = req
        .header("spin-full-url")
        .and_then(|v| v.as_str())
        .is_some_and(|url| url.starts_with("https://"));
    let cookie = format!(
        "{}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        context::SESSION_COOKIE,
        ctx.config.session_hours * 3600,
        if secure { "; Secure" } else { "" }
    );
    let body = serde_json::json!({
        "subject": principal.subject,
        "role": principal.role,
        "csrf_token": csrf,
        "expires_at": expires_at,
    });
    let mut response = json(201, &body);
    response.set_header("set-cookie", cookie);
    Ok(response)
}

fn who_am_i(ctx: &Ctx, req: &Request) -> Outcome {
    let principal = ctx.authenticate(req)?;
    Ok(json(200, &principal))
}

fn sign_out(ctx: &Ctx, req: &Request) -> Outcome {
    ctx.authenticate(req)?;
    ctx.end_session(req);
    let mut response = Response::new(204, ());
    response.set_header(
        "set-cookie",
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
            context::SESSION_COOKIE
        ),
    );
    response.set_header("clear-site-data", "\"cache\", \"storage\"");
    Ok(response)
}

fn access_log(ctx: &Ctx, req: &Request) -> Outcome {
    let record_type = context::query(req, "record_type");
    let record_id = context::query(req, "record_id");
    let subject = context::query(req, "subject");
    let filter = match (record_type, record_id, subject) {
        (Some(record_type), Some(record_id), None) => Filter::Record {
            record_type,
            record_id,
        },
        (None, None, Some(subject)) => Filter::Subject(subject),
        _ => {
            return Err(Problem::new(400, "invalid-query", "Invalid query")
                .with_detail("Ask either `record_type` and `record_id` (who accessed a record) or `subject` (what a person accessed)."));
        }
    };
    let described = match &filter {
        Filter::Record {
            record_type,
            record_id,
        } => format!("record:{record_type}/{record_id}"),
        Filter::Subject(subject) => format!("subject:{subject}"),
    };
    let auditor = ctx.caller(req, Action::AccessLogRead, "access-log", &described)?;
    let reason = access_reason(req)?;
    let after = match context::query(req, "after") {
        None => 0,
        Some(v) => v.parse::<i64>().map_err(|_| {
            Problem::new(400, "invalid-query", "Invalid query")
                .with_detail("`after` is the `next` value of the previous page.")
        })?,
    };
    let limit = context::limit(req)?;
    let entries = ctx.transaction(|| {
        let entries = audit::list(&ctx.db, &filter, after, limit)?;
        ctx.log(ctx.access(
            &auditor,
            Operation::Consultation,
            "access-log",
            &described,
            &reason,
        ))?;
        Ok(entries)
    })?;
    let next = context::next_cursor(&entries, limit, |e| e.seq);
    Ok(json(
        200,
        &serde_json::json!({ "entries": entries, "next": next }),
    ))
}

fn verify(ctx: &Ctx, req: &Request) -> Outcome {
    ctx.caller(req, Action::AuditVerify, "access-log", "verify")?;
    let verification = audit::verify(&ctx.db, &ctx.config.checkpoints)?;
    // The records the log vouches for (search records) must still be what it says was written.
    let records = search_records::verify(&ctx.db)?;
    let mut report = serde_json::to_value(&verification).expect("serialises");
    report["valid"] = (verification.valid && records.valid).into();
    report["records"] = serde_json::to_value(&records).expect("serialises");
    Ok(json(200, &report))
}

/// The log for a period, to verify independently (`scripts/verify-access-log-export.py`).
fn export(ctx: &Ctx, req: &Request) -> Outcome {
    let auditor = ctx.caller(req, Action::AuditExport, "access-log", "export")?;
    let reason = access_reason(req)?;
    let date = |name: &str| {
        context::query(req, name)
            .filter(|d| stalking_response::intake::parse_date(d).is_some())
            .ok_or_else(|| {
                Problem::new(400, "invalid-query", "Invalid query parameter")
                    .with_detail(format!("`{name}` is required: a date, YYYY-MM-DD."))
            })
    };
    let (from, to) = (date("from")?, date("to")?);
    let exported = ctx.transaction(|| {
        let exported = audit::export(&ctx.db, &from, &to)?;
        ctx.log(ctx.access(
            &auditor,
            Operation::Disclosure,
            "access-log",
            &format!("{from}..{to}"),
            &reason,
        ))?;
        Ok(exported)
    })?;
    match exported {
        Some(export) => Ok(json(200, &export)),
        None => Err(
            Problem::new(422, "export-too-large", "The period holds too many entries").with_detail(
                format!(
                    "One export holds at most {} entries: ask for a shorter period.",
                    audit::MAX_EXPORT
                ),
            ),
        ),
    }
}
