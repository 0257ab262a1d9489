//! The app's tests, one binary with a module per feature: one link step, and one process, so the
//! compiled components are shared by every test app (see `support::TestApp`).
//!
//! `storage` runs the storage code natively through `rusqlite`; the others drive the built `.wasm` app
//! over HTTP on the local host, and `browser` drives the web form in headless Chromium. Run one feature
//! with e.g. `cargo test --profile host --test api -- risk::`.

mod support;

/// Text parsed into a typed value for a native test (an id of any kind, a `Timestamp`); it must parse.
pub fn parsed<T: std::str::FromStr>(text: &str) -> T {
    text.parse().ok().expect("text that parses")
}

/// A case id for a native test; the text must be a valid id.
pub fn cid(text: &str) -> stalking_response::ids::CaseId {
    stalking_response::ids::CaseId::parse(text).expect("a valid case id")
}

mod access;
mod authentication;
mod backup;
mod browser;
mod care;
mod compliance;
mod deploy;
#[path = "../../benches/force_data.rs"]
mod force_data;
mod guarantees;
mod health;
mod intake;
mod oidc;
mod openapi;
mod orders;
mod people;
mod profile;
mod replicas;
mod request_log;
mod retention;
mod risk;
mod searches;
mod services;
mod size;
mod storage;
