//! stalking-response: the domain library. Plain Rust with no runtime types: the Spin components adapt
//! `spin_sdk` to the traits here, and native tests use SQLite through `rusqlite`.
//!
//! One folder per aggregate — `access`, `cases`, `care`, `orders`, `people`, `pins`, `risk`, `searches` —, each with its pure
//! rules apart from its storage; shared infrastructure (the SQL port, migrations, problem details,
//! idempotency, health, settings, values) at the top.

pub mod access;
pub mod actions;
pub mod care;
pub mod cases;
pub mod compliance;
pub mod decode;
pub mod digests;
pub mod facts;
pub mod health;
pub mod idempotency;
pub mod ids;
pub mod migrations;
pub mod orders;
pub mod paging;
pub mod people;
pub mod pins;
pub mod plan;
pub mod problem;
pub mod profile;
pub mod retention;
pub mod risk;
pub mod schema;
pub mod searches;
pub mod services;
pub mod settings;
pub mod sql;
pub mod values;
pub mod vocabulary;
