//! The HTTP side: routes each request to its component with Spin's `spin-*` headers, enforces the body
//! limit and the deadline, logs one line per request, and shuts down cleanly. Its own errors (no route,
//! a body too large or unreadable, a component that failed) are RFC 9457 problems like the app's.

use crate::runtime::Runtime;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

type Body = UnsyncBoxBody<Bytes, anyhow::Error>;

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN_TIME: Duration = Duration::from_secs(10);

pub struct Server {
    runtime: Arc<Runtime>,
    max_body_bytes: usize,
    permits: Arc<Semaphore>,
}

impl Server {
    pub fn new(runtime: Runtime, max_body_bytes: usize) -> Server {
        let permits = Arc::new(Semaphore::new(runtime.limits.max_instances as usize));
        Server {
            runtime: Arc::new(runtime),
            max_body_bytes,
            permits,
        }
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (up to [`DRAIN_TIME`]).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let server = Arc::new(self);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, client) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        eprintln!("accept failed: {e}");
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let server = server.clone();
            let service = hyper::service::service_fn(move |req| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(server.handle(req, client).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
        drop(listener);
        let drained = tokio::time::timeout(DRAIN_TIME, graceful.shutdown()).await;
        crate::profile::dump();
        if drained.is_err() {
            eprintln!("shutdown: some requests did not finish within {DRAIN_TIME:?}");
        }
        Ok(())
    }

    async fn handle(&self, req: Request<Incoming>, client: SocketAddr) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let (route, response) = self.dispatch(req, client).await;
        // No path, query, headers or body: they can carry personal data. The route pattern cannot.
        eprintln!(
            "{method} {} {} {:.1}ms",
            route.as_deref().unwrap_or("(no route)"),
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        response
    }

    /// Returns the matched route (for the log) and the response.
    async fn dispatch(
        &self,
        req: Request<Incoming>,
        client: SocketAddr,
    ) -> (Option<String>, Response<Body>) {
        let path = req.uri().path().to_string();
        let Some(matched) = self.runtime.router.route(&path) else {
            return (None, problem(StatusCode::NOT_FOUND, &NOT_FOUND));
        };
        let route = matched.route.raw.clone();
        let component = matched.route.component.clone();

        let (mut parts, body) = req.into_parts();
        let method = parts.method.clone();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = || {
            let detail = format!("Bodies are limited to {} bytes.", self.max_body_bytes);
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &("body-too-large", "The body is too large", detail.as_str()),
            )
        };
        if declared.is_some_and(|n| n > self.max_body_bytes as u64) {
            return (Some(route), too_large());
        }
        // Buffered up to the limit: the SDK buffers the whole body anyway, and an oversize one never
        // reaches the component.
        let body = match Limited::new(body, self.max_body_bytes).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return (Some(route), too_large());
            }
            Err(_) => return (Some(route), problem(StatusCode::BAD_REQUEST, &UNREADABLE)),
        };

        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| "localhost".to_string());
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string();
        let mut spin_headers = vec![
            ("spin-full-url", format!("http://{host}{path_and_query}")),
            ("spin-path-info", matched.path_info(&path)),
            ("spin-matched-route", route.clone()),
            ("spin-base-path", "/".to_string()),
            ("spin-raw-component-route", route.clone()),
            ("spin-component-route", matched.route.prefix().to_string()),
            ("spin-client-addr", client.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect::<Vec<_>>();
        for (name, value) in &matched.params {
            spin_headers.push((
                format!("spin-path-match-{}", name.to_ascii_lowercase()),
                value.clone(),
            ));
        }
        for (name, value) in spin_headers {
            match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                (Ok(name), Ok(value)) => {
                    parts.headers.insert(name, value);
                }
                _ => return (Some(route), problem(StatusCode::BAD_REQUEST, &UNPASSABLE)),
            }
        }
        if !parts.headers.contains_key(http::header::HOST) {
            parts
                .headers
                .insert(http::header::HOST, HeaderValue::from_static("localhost"));
        }
        parts.headers.remove(http::header::CONNECTION);
        let req = Request::from_parts(
            parts,
            Full::new(body)
                .map_err(|never: Infallible| -> wasmtime_wasi_http::Error { match never {} })
                .boxed_unsync(),
        );

        let response = match self
            .call(&component, &format!("{method} {route}"), req)
            .await
        {
            Ok(response) => response,
            Err(e) => {
                eprintln!(
                    "component '{component}' failed on {route}: {}",
                    first_line(&e)
                );
                problem(StatusCode::INTERNAL_SERVER_ERROR, &FAILED)
            }
        };
        (Some(route), response)
    }

    async fn call(
        &self,
        component: &str,
        // For the profile: the method and route pattern.
        route: &str,
        req: Request<UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>>,
    ) -> anyhow::Result<Response<Body>> {
        let permit = self.permits.clone().acquire_owned().await?;
        let creating = Instant::now();
        let route = route.to_string();
        let (mut store, pre) = self.runtime.new_request(component)?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)
            .map_err(anyhow::Error::from)?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(anyhow::Error::from)?;

        // The guest runs in its own task so it can go on streaming the body after the headers are sent.
        let spawned = Instant::now();
        let task = tokio::spawn(async move {
            let _permit = permit;
            let started = Instant::now();
            let proxy = pre.instantiate_async(&mut store).await?;
            let running = Instant::now();
            let done = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await;
            if let Some(profile) = store.data_mut().spin.profile.take() {
                let instantiate = (spawned - creating) + (running - started);
                let waited = started - spawned;
                crate::profile::record(&route, profile, instantiate, waited, running.elapsed());
            }
            done
        });

        let timeout = self.runtime.limits.request_timeout + Duration::from_secs(1);
        match tokio::time::timeout(timeout, receiver).await {
            Ok(Ok(Ok(response))) => {
                Ok(response.map(|body| body.map_err(anyhow::Error::from).boxed_unsync()))
            }
            Ok(Ok(Err(code))) => anyhow::bail!("the component answered with an error: {code:?}"),
            Ok(Err(_)) => match task.await {
                Ok(Ok(())) => anyhow::bail!("the component returned without setting a response"),
                Ok(Err(e)) => Err(anyhow::anyhow!("{e}")),
                Err(e) => Err(anyhow::anyhow!("the component's task failed: {e}")),
            },
            Err(_) => {
                task.abort();
                anyhow::bail!("the component did not answer within {timeout:?}")
            }
        }
    }
}

fn first_line(e: &anyhow::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// A problem the host itself answers with: (slug, title, detail).
type Problem<'a> = (&'a str, &'a str, &'a str);

const NOT_FOUND: Problem = ("not-found", "Not found", "Nothing is served at this path.");
const UNREADABLE: Problem = (
    "bad-request",
    "The request could not be read",
    "The request's body could not be read.",
);
const UNPASSABLE: Problem = (
    "bad-request",
    "The request could not be read",
    "The request's path or host cannot be passed on.",
);
/// A component that trapped, failed or ran out of time: its own text goes to the host's log only.
const FAILED: Problem = (
    "internal",
    "Internal error",
    "The request could not be completed.",
);

/// An RFC 9457 problem+json response, shaped like the app's (`type` `/problems/<slug>`, `title`,
/// `status`, `detail`), so a client sees one kind of error whoever answers. Never internal text.
fn problem(status: StatusCode, (slug, title, detail): &Problem) -> Response<Body> {
    let body = serde_json::json!({
        "type": format!("/problems/{slug}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut response = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
