//! The component's export, `wasi:http/incoming-handler`: the request read whole into a
//! [`Request`], the component's handler run, its [`Response`] written whole.
//!
//! `#[http_component]` does this itself for a handler that takes a `Request`, but through
//! conversions whose errors are `anyhow::Error`s, and an `anyhow::Error`'s `Debug` prints a
//! `std::backtrace::Backtrace`: that brings std's backtrace printer and rustc-demangle into every
//! component, 41-50 kB of code no request ever runs (issue #13 point 5; README, "Component size").
//! Given a handler of Spin's own types (`IncomingRequest`, `ResponseOutparam`), the macro converts
//! nothing, and this does the same work without them.

use spin_sdk::http::{
    Fields, IncomingRequest, OutgoingResponse, Request, Response, ResponseOutparam,
};
use stalking_response::problem::Problem;

/// Reads `incoming` whole, answers it with `handler`, and sends the answer on `out`.
pub async fn respond(
    incoming: IncomingRequest,
    out: ResponseOutparam,
    handler: impl FnOnce(&Request) -> Response,
) {
    let method = incoming.method();
    let uri = incoming.uri();
    let headers = incoming.headers();
    let response = match incoming.into_body().await {
        Ok(body) => handler(
            &Request::builder()
                .method(method)
                .uri(uri)
                .headers(headers)
                .body(body)
                .build(),
        ),
        // The client went away or sent a broken body: nothing of it was read, nothing done.
        Err(_) => crate::secured(crate::problem(
            &Problem::new(
                400,
                "body-unreadable",
                "The request's body could not be read",
            )
            .with_detail("Send the request again."),
        )),
    };
    send(out, response).await;
}

/// Sends `response` (status, headers, body) on `out`.
async fn send(out: ResponseOutparam, response: Response) {
    let status = *response.status();
    let headers: Vec<(String, Vec<u8>)> = response
        .headers()
        .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
        .collect();
    let (outgoing, body) = match Fields::from_list(&headers) {
        Ok(fields) => (OutgoingResponse::new(fields), response.into_body()),
        // A header the runtime refuses is the component's own fault: a bare 500, not a half response.
        Err(e) => {
            eprintln!("the response's headers were refused: {e:?}");
            let bare = OutgoingResponse::new(Fields::new());
            let _ = bare.set_status_code(500);
            out.set(bare);
            return;
        }
    };
    if outgoing.set_status_code(status).is_err() {
        eprintln!("the response's status {status} was refused");
        let _ = outgoing.set_status_code(500);
    }
    if let Err(e) = out.set_with_body(outgoing, body).await {
        // The client has gone: there is no one left to answer.
        eprintln!("the response could not be sent: {e:?}");
    }
}
