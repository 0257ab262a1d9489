//! Access control's own endpoints: tokens (admin), sessions for the web form, and the access log
//! (auditors: who accessed a record, what a person accessed, and verification of the hash chain).
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{self, Ctx, Outcome};
use spin_adapter::input::{self, Page};
use spin_adapter::outbound::SpinHttp;
use spin_adapter::{Call, json};
use spin_sdk::http::Response;
use stalking_response::access::audit::Filter;
use stalking_response::access::auth::Principal;
use stalking_response::access::oidc::client as oidc;
use stalking_response::access::tokens::{self, NewToken};
use stalking_response::ids::{TokenId, TokenRequestId};
use stalking_response::problem::Problem;
use stalking_response::services::access::{self as service, Issuance};

spin_adapter::routes! {
    POST "/api/v1/tokens" => TokenIssue, Collection, issue_token;
    GET "/api/v1/tokens" => TokenList, NotPersonal, list_tokens;
    DELETE "/api/v1/tokens/{id}" => TokenRevoke, Collection, revoke_token;
    GET "/api/v1/token-requests" => TokenList, NotPersonal, list_token_requests;
    POST "/api/v1/token-requests/{id}/approval" => TokenDecide, Collection, approve_token;
    DELETE "/api/v1/token-requests/{id}" => TokenDecide, Collection, decline_token;
    POST "/api/v1/session" => SessionStart, NotPersonal, sign_in;
    GET "/api/v1/session" => SessionUse, NotPersonal, who_am_i;
    DELETE "/api/v1/session" => SessionUse, NotPersonal, sign_out;
    GET "/api/v1/audit/access-log" => AccessLogRead, Asked, access_log;
    GET "/api/v1/audit/verify" => AuditVerify, NotPersonal, verify;
    GET "/api/v1/audit/export" => AuditExport, Asked, export;
}

/// 201 with the token, or 202 with the request a second admin must approve.
fn issue_token(ctx: &Ctx, call: &mut Call) -> Outcome {
    let new: NewToken = call.body()?;
    let random = context::random();
    match service::issue_token(&ctx.env(), &call.who, &new, random, &mut call.journal)? {
        Issuance::Issued(issued) => Ok(json(201, &issued)),
        Issuance::AwaitingApproval(request) => {
            Ok(json(202, &serde_json::json!({ "request": request })))
        }
    }
}

fn list_tokens(ctx: &Ctx, call: &mut Call) -> Outcome {
    let page: Page = call.query()?;
    let tokens = tokens::list(&ctx.db, page.after.as_deref(), page.limit.0)?;
    let next = page.next(&tokens, |t| t.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "tokens": tokens, "next": next }),
    ))
}

fn list_token_requests(ctx: &Ctx, call: &mut Call) -> Outcome {
    let page: Page = call.query()?;
    let requests = tokens::pending_requests(&ctx.db, page.after.as_deref(), page.limit.0)?;
    let next = page.next(&requests, |r| r.id.clone());
    Ok(json(
        200,
        &serde_json::json!({ "requests": requests, "next": next }),
    ))
}

fn approve_token(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: TokenRequestId = call.id_as(service::no_pending_request)?;
    let random = context::random();
    let issued = service::approve_token(&ctx.env(), &call.who, &id, random, &mut call.journal)?;
    Ok(json(201, &issued))
}

fn decline_token(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: TokenRequestId = call.id_as(service::no_pending_request)?;
    service::decline_token(&ctx.env(), &call.who, &id, &mut call.journal)?;
    Ok(Response::new(204, ()))
}

fn revoke_token(ctx: &Ctx, call: &mut Call) -> Outcome {
    let id: TokenId = call.id_as(service::no_active_token)?;
    service::revoke_token(&ctx.env(), &id, &mut call.journal)?;
    Ok(Response::new(204, ()))
}

fn sign_in(ctx: &Ctx, call: &mut Call) -> Outcome {
    // Only a bearer token can start a session: a cookie cannot renew itself.
    if call.req.header("authorization").is_none() {
        return Err(Problem::unauthorized(
            "Sign in with `Authorization: Bearer <token>`.",
        ));
    }
    let principal = &call.who;
    let session = ctx.start_session(principal)?;
    let cookie = context::session_cookie(
        call.req,
        &ctx.settings,
        &session.id,
        ctx.settings.session_hours * 3600,
    );
    let body = serde_json::json!({
        "subject": principal.subject,
        "role": principal.role,
        "csrf_token": session.csrf,
        "expires_at": session.expires_at,
        "outbox_key": session.outbox_key,
    });
    let mut response = json(201, &body);
    response.set_header("set-cookie", cookie);
    Ok(response)
}

/// The caller; on the web form's session cookie, also the session's outbox key (so the form can
/// unlock its outbox again after a reload).
fn who_am_i(ctx: &Ctx, call: &mut Call) -> Outcome {
    let mut body = serde_json::to_value(&call.who).map_err(context::internal)?;
    if let Some(key) = ctx.outbox_key(call.req)? {
        body["outbox_key"] = key.into();
    }
    // After a sign-in through the identity provider (which ends in a redirect, not this JSON), the
    // web form learns its CSRF token here: on the cookie only, same-origin (SameSite=Strict).
    if let Some(csrf) = ctx.csrf_token(call.req)? {
        body["csrf_token"] = csrf.into();
    }
    Ok(json(200, &body))
}

/// Ends the session: 204; for a session started through the force's identity provider, 200 with the
/// provider's end-session URL (where it offers one), to sign out there too.
fn sign_out(ctx: &Ctx, call: &mut Call) -> Outcome {
    ctx.end_session(call.req);
    let mut response = match provider_sign_out(ctx, &call.who) {
        Some(url) => json(200, &serde_json::json!({ "end_session_url": url })),
        None => Response::new(204, ()),
    };
    response.set_header(
        "set-cookie",
        context::session_cookie(call.req, &ctx.settings, "", 0),
    );
    response.set_header("clear-site-data", "\"cache\", \"storage\"");
    Ok(response)
}

/// The provider's end-session URL, for a session the provider started (a failure to reach it is
/// logged: the app's session has ended anyway).
fn provider_sign_out(ctx: &Ctx, who: &Principal) -> Option<String> {
    if !who.token_id.starts_with(oidc::SESSION_CREDENTIAL) {
        return None;
    }
    let config = ctx.settings.oidc.as_ref().ok()?;
    let client = oidc::Client {
        config,
        kv: &ctx.kv,
        http: &SpinHttp,
        now: time_now(),
    };
    client
        .end_session_url()
        .inspect_err(|e| eprintln!("sign-out: {e}"))
        .ok()
        .flatten()
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Who accessed a record (`record_type` and `record_id`), or what a person accessed (`subject`).
#[derive(Deserialize)]
struct LogQuery {
    record_type: Option<String>,
    record_id: Option<String>,
    subject: Option<String>,
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: input::Limit,
}

fn access_log(ctx: &Ctx, call: &mut Call) -> Outcome {
    let query: LogQuery = call.query().map_err(|p| {
        if p.detail.as_deref().is_some_and(|d| d.contains("`after`")) {
            input::invalid_query("`after` is the `next` value of the previous page.")
        } else {
            p
        }
    })?;
    // The query is written into the log (the auditor's own read is logged): bounded like path ids.
    for (name, value) in [
        ("record_type", &query.record_type),
        ("record_id", &query.record_id),
        ("subject", &query.subject),
    ] {
        if value.as_ref().is_some_and(|v| v.len() > 64) {
            return Err(input::invalid_query(format!(
                "`{name}` is at most 64 characters."
            )));
        }
    }
    let filter = match (query.record_type, query.record_id, query.subject) {
        (Some(record_type), Some(record_id), None) => Filter::Record {
            record_type,
            record_id,
        },
        (None, None, Some(subject)) => Filter::Subject(subject),
        _ => {
            return Err(input::invalid_query(
                "Ask either `record_type` and `record_id` (who accessed a record) or `subject` (what a person accessed).",
            ));
        }
    };
    let (entries, next) = service::read_log(
        &ctx.env(),
        &filter,
        query.after.unwrap_or(0),
        query.limit.0,
        &mut call.journal,
    )?;
    Ok(json(
        200,
        &serde_json::json!({ "entries": entries, "next": next }),
    ))
}

fn verify(ctx: &Ctx, _: &mut Call) -> Outcome {
    Ok(json(200, &service::verify(&ctx.env())?))
}

/// A period of the log, `from` and `to` (dates, inclusive).
#[derive(Deserialize)]
struct Period {
    #[serde(deserialize_with = "input::date")]
    from: String,
    #[serde(deserialize_with = "input::date")]
    to: String,
}

/// The log for a period, to verify independently (`scripts/verify-access-log-export.py`).
fn export(ctx: &Ctx, call: &mut Call) -> Outcome {
    let Period { from, to } = call.query()?;
    let export = service::export_log(&ctx.env(), &from, &to, &mut call.journal)?;
    Ok(json(200, &export))
}
