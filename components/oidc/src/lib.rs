//! Sign-in with the force's OpenID Connect provider (README, "Sign-in with the force's OpenID Connect
//! provider"): two routes that come before any credential, so no route table:
//! - `GET /api/v1/session/oidc` starts the authorization-code flow with PKCE and sends the browser to
//!   the provider;
//! - `GET /api/v1/session/oidc/callback` is where the provider sends it back: the code is exchanged
//!   and the ID token verified on the server side, the person's roles mapped, and the app's own session
//!   cookie set (as `POST /api/v1/session` does); nothing of the provider's tokens reaches the browser.
//!
//! Errors are problem+json, or the same text as a small HTML page for a browser (`Accept: text/html`).
//! A person whose roles map to none of the app's is refused (403) and the refusal logged.
#![allow(unsafe_code)] // `#[http_component]` generates the component's export glue.

use serde::Deserialize;
use spin_adapter::context::{self, Ctx, Outcome, SpinKeyValue};
use spin_adapter::outbound::SpinHttp;
use spin_adapter::{input, problem, secured};
use spin_sdk::http::{Method, Request, Response};
use stalking_response::access::audit::{Access, Actor, RecordRef, RecordType};
use stalking_response::access::oidc::client::{self, Client, OidcConfig, OidcError};
use stalking_response::problem::Problem;

const START: &str = "/api/v1/session/oidc";
const CALLBACK: &str = "/api/v1/session/oidc/callback";

#[spin_sdk::http_component]
async fn handle(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    spin_adapter::export::respond(req, out, answer).await
}

fn answer(req: &Request) -> Response {
    spin_adapter::request_log::logged(req, |route| {
        let path = req.path().trim_end_matches('/');
        *route = [START, CALLBACK].into_iter().find(|r| *r == path);
        secured(match run(req) {
            Ok(response) => response,
            Err(failure) if wants_html(req) => page(&failure),
            Err(failure) => problem(&failure),
        })
    })
}

fn run(req: &Request) -> Outcome {
    let path = req.path();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    if path != START && path != CALLBACK {
        return Err(Problem::not_found());
    }
    if !matches!(req.method(), Method::Get) {
        return Err(Problem::method_not_allowed(&["GET"]));
    }
    let ctx = Ctx::open(req)?;
    let config = ctx
        .settings
        .oidc
        .as_ref()
        .map_err(|e| not_configured(e.clone()))?;
    let http = SpinHttp;
    let client = Client {
        config,
        kv: &ctx.kv,
        http: &http,
        now: now(),
    };
    if path == START {
        start(&client)
    } else {
        callback(&ctx, config, &client, req)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn not_configured(e: stalking_response::settings::SettingError) -> Problem {
    let error = OidcError::NotConfigured(e);
    eprintln!("{error}");
    error.problem()
}

/// A failure, logged by what it is (never a value from a token) and answered as its problem.
fn failed(e: OidcError) -> Problem {
    eprintln!("oidc sign-in: {e}");
    e.problem()
}

/// 303 to the provider's authorization endpoint.
fn start(client: &Client<'_, SpinKeyValue, SpinHttp>) -> Outcome {
    let url = client.begin(context::random).map_err(failed)?;
    Ok(redirect(&url))
}

/// What the provider sends back.
#[derive(Deserialize)]
struct Callback {
    state: Option<String>,
    code: Option<String>,
}

fn callback(
    ctx: &Ctx,
    config: &OidcConfig,
    client: &Client<'_, SpinKeyValue, SpinHttp>,
    req: &Request,
) -> Outcome {
    let query: Callback = input::query(req.query())?;
    let Some(state) = query.state.filter(|s| !s.is_empty() && s.len() <= 128) else {
        return Err(OidcError::UnknownState.problem());
    };
    let claims = match client.complete(&state, query.code.as_deref()) {
        Ok(claims) => claims,
        Err(e @ (OidcError::Token(_) | OidcError::ExchangeRefused(_))) => {
            let problem = failed(e);
            return Err(refuse(ctx, &Actor::anonymous(), "unauthenticated", problem));
        }
        Err(e) => return Err(failed(e)),
    };
    let principal = match client::person(config, &claims, &ctx.settings.force) {
        Ok(principal) => principal,
        Err(refusal) => {
            let actor = Actor {
                subject: refusal.subject,
                role: "none".into(),
                credential: Some(refusal.credential),
            };
            let problem = Problem::new(403, "no-role", "You have no role in this app")
                .with_detail("The force's identity provider signed you in, but none of your roles there gives access to this app. Ask your supervisor or the service desk to be given one.");
            return Err(refuse(ctx, &actor, "no-role", problem));
        }
    };
    let session = ctx.start_session(&principal)?;
    // The web form picks the session up there (its CSRF token from `GET /api/v1/session`).
    let mut response = redirect("/#/signed-in");
    response.set_header(
        "set-cookie",
        context::session_cookie(
            req,
            &ctx.settings,
            &session.id,
            ctx.settings.session_hours * 3600,
        ),
    );
    Ok(response)
}

/// Logs a refused sign-in (as the route runner logs refusals) and gives back the problem.
fn refuse(ctx: &Ctx, actor: &Actor, why: &str, problem: Problem) -> Problem {
    let record = RecordRef::new(RecordType::Session, "new");
    let detail = format!("SessionStart ({})", problem.status);
    let access = Access::refused(&context::now(), actor, &record, why, detail);
    match ctx.transaction(|| ctx.log_all(&[access])) {
        Ok(()) => problem,
        Err(failed) => failed,
    }
}

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(303)
        .header("location", location)
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .body(())
        .build()
}

/// Whether the caller is a browser that asked for a page (it followed a redirect here).
fn wants_html(req: &Request) -> bool {
    req.header("accept")
        .and_then(|v| v.as_str())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The problem as a small page, for a person in a browser: same status, same words.
fn page(problem: &Problem) -> Response {
    let detail = problem.detail.as_deref().unwrap_or("");
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} – Stalking response</title></head>\n<body>\n<main>\n<h1>{title}</h1>\n<p>{detail}</p>\n<p><a href=\"/\">Back to the app</a></p>\n</main>\n</body>\n</html>\n",
        title = escape(problem.title),
        detail = escape(detail),
    );
    let mut builder = Response::builder();
    builder
        .status(problem.status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("content-security-policy", "default-src 'none'");
    for (name, value) in &problem.headers {
        builder.header(*name, value.as_str());
    }
    builder.body(body).build()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
