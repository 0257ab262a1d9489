//! stalking-response: the domain library. Plain Rust with no runtime types: the Spin components adapt
//! `spin_sdk` to the traits here, and native tests use SQLite through `rusqlite`.

pub mod health;
pub mod migrations;
pub mod problem;
pub mod sql;
