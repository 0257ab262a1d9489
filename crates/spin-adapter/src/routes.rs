//! The route tables and the one runner every request goes through:
//! match → authenticate → authorise → reason → handler → access log, in that order, before and around
//! any handler. A handler cannot forget a check, because it never performs one; and every refusal
//! (401, 403, 429, a missing reason) is logged here, once.

use crate::context::{Ctx, Outcome, internal, now};
use crate::input;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};
use stalking_response::access::audit::{Access, Actor, Operation, RecordRef};
use stalking_response::access::auth::{self, AccessReason, Action, Principal};
#[cfg(not(feature = "partner-tokens"))]
use stalking_response::access::authentication;
use stalking_response::problem::Problem;
use stalking_response::services::{Entries, Journal};

/// Why a route's accesses happen, for the access log (DPA 2018 s.62).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// It shows personal data: the caller must say why (`X-Access-Reason`), or is refused.
    Asked,
    /// It records or changes data: the reason is the recording itself.
    Collection,
    /// A referral to a partner agency: sending it, and the partner's receipt.
    Referral,
    /// It shows no personal data (aggregates, the instruments, one's own session).
    NotPersonal,
}

/// What a route does with its input once every check has passed.
pub type Handler = fn(&Ctx, &mut Call) -> Outcome;

/// One row of a component's route table.
pub struct Route {
    pub method: Method,
    /// A path with `{name}` segments, e.g. `/api/v1/cases/{id}`. `{id}` names the record of the
    /// action's type and `{case}` a case: refusals are logged against them.
    pub path: &'static str,
    pub action: Action,
    pub reason: Reason,
    pub handler: Handler,
}

impl Route {
    pub const fn new(
        method: Method,
        path: &'static str,
        action: Action,
        reason: Reason,
        handler: Handler,
    ) -> Route {
        Route {
            method,
            path,
            action,
            reason,
            handler,
        }
    }
}

/// Declares a component's route table and its HTTP export:
/// `routes! { GET "/api/v1/cases/{id}" => CaseRead, Asked, read; … }`.
#[macro_export]
macro_rules! routes {
    ($($method:ident $path:literal => $action:ident, $reason:ident, $handler:path;)+) => {
        /// This component's routes: method, path, the action it needs, why it is accessed, handler.
        pub const ROUTES: &[$crate::routes::Route] = &[$(
            $crate::routes::Route::new(
                $crate::routes::method!($method),
                $path,
                ::stalking_response::access::auth::Action::$action,
                $crate::routes::Reason::$reason,
                $handler,
            ),
        )+];

        #[::spin_sdk::http_component]
        async fn handle(
            req: ::spin_sdk::http::IncomingRequest,
            out: ::spin_sdk::http::ResponseOutparam,
        ) {
            $crate::export::respond(req, out, |req| $crate::routes::serve(ROUTES, req)).await
        }

        #[cfg(test)]
        mod route_table {
            /// The build fails when a route's action, roles or reason disagree with the permission
            /// table or the OpenAPI document partner integrators read.
            #[test]
            fn agrees_with_the_permission_table_and_the_openapi_document() {
                let document = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json"));
                let disagreements = $crate::routes::check(super::ROUTES, document);
                assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __method {
    (GET) => {
        ::spin_sdk::http::Method::Get
    };
    (POST) => {
        ::spin_sdk::http::Method::Post
    };
    (DELETE) => {
        ::spin_sdk::http::Method::Delete
    };
    (PUT) => {
        ::spin_sdk::http::Method::Put
    };
    (PATCH) => {
        ::spin_sdk::http::Method::Patch
    };
}
#[doc(hidden)]
pub use __method as method;

/// Where a route table and the OpenAPI document disagree: an operation missing from the document,
/// `x-roles` other than the roles the permission table gives the route's action, or an
/// `X-Access-Reason` parameter where the route does not ask for a reason (or none where it does).
pub fn check(routes: &[Route], document: &str) -> Vec<String> {
    let document: serde_json::Value = match serde_json::from_str(document) {
        Ok(document) => document,
        Err(e) => return vec![format!("the OpenAPI document does not parse: {e}")],
    };
    // `{anything}` → `{}`, so that parameter names may differ.
    let shape = |path: &str| -> String {
        path.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut disagreements = Vec::new();
    for route in routes {
        let method = method_name(&route.method);
        let name = format!("{method} {}", route.path);
        let found = document["paths"].as_object().and_then(|paths| {
            paths
                .iter()
                .find(|(path, _)| shape(path) == shape(route.path))
                .and_then(|(_, item)| Some((item, item.get(method.to_ascii_lowercase())?)))
        });
        let Some((item, operation)) = found else {
            disagreements.push(format!("{name}: not in the OpenAPI document"));
            continue;
        };
        let mut permitted: Vec<&str> = auth::PERMISSIONS
            .iter()
            .filter(|(action, _)| *action == route.action)
            .flat_map(|(_, roles)| roles.iter().map(|r| r.as_str()))
            .collect();
        if permitted.is_empty() {
            disagreements.push(format!(
                "{name}: {:?} is not in the permission table",
                route.action
            ));
        }
        let mut documented: Vec<&str> = operation["x-roles"]
            .as_array()
            .map(|roles| roles.iter().filter_map(|r| r.as_str()).collect())
            .unwrap_or_default();
        if documented == ["any"] {
            documented = auth::Role::ALL.iter().map(|r| r.as_str()).collect();
        }
        permitted.sort_unstable();
        documented.sort_unstable();
        if permitted != documented {
            disagreements.push(format!(
                "{name}: x-roles {documented:?}, but {:?} is permitted to {permitted:?}",
                route.action
            ));
        }
        let resolve = |p: &serde_json::Value| -> serde_json::Value {
            match p["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
                Some(pointer) => document
                    .pointer(&format!("/{pointer}"))
                    .cloned()
                    .unwrap_or_default(),
                None => p.clone(),
            }
        };
        let asks_reason = [&operation["parameters"], &item["parameters"]]
            .into_iter()
            .filter_map(|ps| ps.as_array())
            .flatten()
            .map(resolve)
            .any(|p| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(auth::REASON_HEADER))
                    && p["required"] == true
            });
        if asks_reason != (route.reason == Reason::Asked) {
            disagreements.push(format!(
                "{name}: the document {} a required X-Access-Reason, the route's reason is {:?}",
                if asks_reason { "has" } else { "has no" },
                route.reason
            ));
        }
    }
    disagreements
}

/// Serves one request with a route table; every answer, a handler's or a problem, gets the
/// [`crate::SECURITY_HEADERS`] here.
/// Each request's log line names the route's pattern (`crate::request_log`).
pub fn serve(routes: &[Route], req: &Request) -> Response {
    crate::request_log::logged(req, |matched| {
        crate::secured(match run(routes, req, matched) {
            Ok(response) => response,
            Err(problem) => crate::problem(&problem),
        })
    })
}

fn method_name(method: &Method) -> String {
    method.to_string().to_ascii_uppercase()
}

fn run(routes: &[Route], req: &Request, matched: &mut Option<&'static str>) -> Outcome {
    let (route, params) = find(routes, req)?;
    *matched = Some(route.path);
    let ctx = Ctx::open(req)?;
    if route.reason != Reason::NotPersonal {
        ctx.settings
            .check_personal_data_allowed()
            .map_err(|e| crate::context::misconfigured(&e))?;
    }
    let record = refusal_record(route, &params);
    let refuse = |actor: &Actor, why: &str, problem: Problem| -> Problem {
        let detail = format!("{:?} ({})", route.action, problem.status);
        let access = Access::refused(&now(), actor, &record, why, detail);
        match ctx.log_now(&[access]) {
            Ok(()) => problem,
            Err(failed) => failed,
        }
    };

    let who = match ctx.authenticate(req) {
        Ok(who) => who,
        // The database failed or stayed busy: no refusal to log (and no lock to log it with).
        Err(problem) if problem.status >= 500 => return Err(problem),
        Err(problem) => {
            let why = match problem.status {
                429 => "throttled",
                // A partner system's JWT where no route permits partners, not verified here.
                #[cfg(not(feature = "partner-tokens"))]
                403 if problem.detail.as_deref()
                    == Some(authentication::PARTNER_TOKENS_NOT_TAKEN) =>
                {
                    "denied"
                }
                403 => "csrf",
                _ => "unauthenticated",
            };
            return Err(refuse(&Actor::anonymous(), why, problem));
        }
    };
    let actor = Actor::of(&who);
    if !auth::permits(who.role, route.action) {
        let problem =
            Problem::forbidden(&format!("The {} role may not do this.", who.role.as_str()));
        return Err(refuse(&actor, "denied", problem));
    }
    let reason = match route.reason {
        Reason::Asked => match input::access_reason(req) {
            Ok(reason) => reason,
            Err(problem) => return Err(refuse(&actor, "reason-missing", problem)),
        },
        Reason::Collection | Reason::NotPersonal => AccessReason::collection(),
        Reason::Referral => AccessReason::referral(),
    };

    let mut call = Call {
        req,
        who,
        params,
        journal: Entries {
            at: now().into_string(),
            actor,
            reason,
            entries: Vec::new(),
        },
    };
    // Signing in and out write no record (a session is kept in key-value), and signing out may ask
    // the identity provider for its end-session address: neither a key-value write nor an HTTP call
    // may hold the database's write lock.
    if route.method == Method::Get
        || matches!(route.action, Action::SessionStart | Action::SessionUse)
    {
        // A read takes no write lock while it reads: on Spin every request opens its own connection
        // and waits for the lock (`sql::Backoff`), so holding it for the whole read queues every
        // other request behind it. The accesses are then logged in one statement, and the response
        // goes out only once that has committed: nothing is shown unlogged. (A GET's own writes,
        // such as refreshing stored compliance, are single statements.)
        let response = (route.handler)(&ctx, &mut call)?;
        ctx.log_now(&call.journal.entries)?;
        return Ok(response);
    }
    ctx.transaction(|| {
        let response = (route.handler)(&ctx, &mut call)?;
        ctx.log_all(&call.journal.entries)?;
        Ok(response)
    })
}

/// Path parameters, by name.
type Params = Vec<(String, String)>;

/// The longest path parameter a route takes, in bytes. Record ids are 32 hex characters; a longer
/// parameter names no record and is answered 404 before authentication, so it never reaches the
/// access log (where a refusal would otherwise be recorded against it).
pub const MAX_PARAM_BYTES: usize = 64;

/// The route for the request, and its path parameters; 404, or 405 with `Allow`, as problems.
fn find<'r>(routes: &'r [Route], req: &Request) -> Result<(&'r Route, Params), Problem> {
    let mut paths = matchit::Router::new();
    let mut seen: Vec<&str> = Vec::new();
    for route in routes {
        if !seen.contains(&route.path) {
            seen.push(route.path);
            paths
                .insert(route.path, route.path)
                .map_err(|e| internal(format!("route table: {e}")))?;
        }
    }
    let path = req.path();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let matched = paths.at(path).map_err(|_| Problem::not_found())?;
    let pattern = *matched.value;
    // No record has an id this long: nothing so long is authenticated, handled or logged.
    if matched
        .params
        .iter()
        .any(|(_, v)| v.len() > MAX_PARAM_BYTES)
    {
        return Err(Problem::not_found());
    }
    let params: Params = matched
        .params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let method = req.method();
    match routes
        .iter()
        .find(|r| r.path == pattern && r.method == *method)
    {
        Some(route) => Ok((route, params)),
        None => {
            let allowed: Vec<String> = routes
                .iter()
                .filter(|r| r.path == pattern)
                .map(|r| method_name(&r.method))
                .collect();
            let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
            Err(Problem::method_not_allowed(&allowed))
        }
    }
}

/// The record a refused attempt is logged against: the path's `{id}` (of the action's record type) or
/// `{case}`, else the collection itself.
fn refusal_record(route: &Route, params: &Params) -> RecordRef {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match (param("id"), param("case")) {
        (Some(id), _) => RecordRef::new(route.action.record_type(), id),
        (None, Some(case)) => RecordRef::case(case),
        (None, None) => RecordRef::new(
            route.action.record_type(),
            if route.method == Method::Post {
                "new"
            } else {
                "list"
            },
        ),
    }
}

/// One authorised call: who, why, the request's parts, and the accesses the handler reports, which the
/// runner writes to the access log in the handler's own transaction (one statement for all of them).
pub struct Call<'a> {
    pub req: &'a Request,
    pub who: Principal,
    params: Params,
    /// The accesses to log, with the caller and this call's reason.
    pub journal: Entries,
}

impl Call<'_> {
    /// A path parameter named in the route's path.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The `{id}` path parameter.
    pub fn id(&self) -> &str {
        self.param("id")
    }

    /// The `{id}` path parameter as a kind of record's id; `missing` (that kind's 404) when it
    /// cannot be one, since no record has it.
    pub fn id_as<T: std::str::FromStr>(&self, missing: fn() -> Problem) -> Result<T, Problem> {
        self.param_as("id", missing)
    }

    /// A named path parameter (e.g. `{case}`) as a kind of record's id, as [`Call::id_as`].
    pub fn param_as<T: std::str::FromStr>(
        &self,
        name: &str,
        missing: fn() -> Problem,
    ) -> Result<T, Problem> {
        self.param(name).parse().map_err(|_| missing())
    }

    /// The query string as a typed struct; a 400 naming the parameter when it does not parse.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        input::query(self.req.query())
    }

    /// The JSON body, strictly decoded.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        input::json_body(self.req)
    }

    /// The version an update is made against (`If-Match`, required).
    pub fn if_match(&self) -> Result<i64, Problem> {
        input::if_match(self.req)
    }

    /// Records an access to `record` for the access log, with this call's reason.
    pub fn logs(&mut self, operation: Operation, record: RecordRef) -> &mut Access {
        self.journal.logs(operation, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &Ctx, _: &mut Call) -> Outcome {
        Ok(Response::new(204, ()))
    }

    #[test]
    fn the_check_finds_each_kind_of_disagreement() {
        let routes = [
            Route::new(
                Method::Get,
                "/api/v1/cases/{id}",
                Action::CaseRead,
                Reason::Asked,
                nothing,
            ),
            Route::new(
                Method::Get,
                "/api/v1/pins",
                Action::PinRegister,
                Reason::NotPersonal,
                nothing,
            ),
            Route::new(
                Method::Post,
                "/api/v1/nowhere",
                Action::CaseCreate,
                Reason::Collection,
                nothing,
            ),
        ];
        let document = serde_json::json!({
            "components": { "parameters": { "Reason": { "name": "X-Access-Reason", "in": "header", "required": true } } },
            "paths": {
                "/api/v1/cases/{caseId}": { "get": {
                    "x-roles": ["officer", "supervisor", "superintendent"],
                    "parameters": [{ "$ref": "#/components/parameters/Reason" }]
                } },
                "/api/v1/pins": { "get": {
                    "x-roles": ["supervisor", "auditor"],
                    "parameters": [{ "$ref": "#/components/parameters/Reason" }]
                } }
            }
        });
        let found = check(&routes, &document.to_string());
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].contains("x-roles") && found[0].starts_with("GET /api/v1/pins"));
        assert!(found[1].contains("X-Access-Reason"));
        assert!(found[2].contains("not in the OpenAPI document"));
    }
}
