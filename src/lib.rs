//! stalking-response: the domain library. Plain Rust with no runtime types: the Spin components adapt
//! `spin_sdk` to the traits here, and native tests use SQLite through `rusqlite`.

pub mod assessments;
pub mod audit;
pub mod auth;
pub mod authentication;
pub mod cases;
pub mod decode;
pub mod health;
pub mod idempotency;
pub mod instruments;
pub mod intake;
pub mod migrations;
pub mod pins;
pub mod problem;
pub mod referrals;
pub mod risk;
pub mod search_records;
pub mod searches;
pub mod services;
pub mod settings;
pub mod sql;
pub mod tokens;
