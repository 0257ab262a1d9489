//! Access and audit: who may do what (`auth`, pure), who is calling (`authentication`, over the
//! SQL and key-value ports), stored bearer tokens (`tokens`), OpenID Connect token verification (`oidc`),
//! and the hash-chained access log (`audit`).

pub mod audit;
pub mod auth;
pub mod authentication;
pub mod oidc;
pub mod throttle;
pub mod tokens;
