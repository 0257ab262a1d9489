//! Access and audit: who may do what (`auth`, pure), stored bearer tokens (`tokens`), and the
//! hash-chained access log (`audit`).

pub mod audit;
pub mod auth;
pub mod tokens;
