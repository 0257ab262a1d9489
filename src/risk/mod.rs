//! Risk: instruments as data (`instruments`), the force's policy (`policy`), explained scoring
//! (`scoring`) of what is sent to it (`requests`), and referral rules (`referrals`) — pure — and the storage of assessments, reviews and referrals (`store`).

pub mod instruments;
pub mod policy;
pub mod referrals;
pub mod requests;
pub mod scoring;
pub mod store;
