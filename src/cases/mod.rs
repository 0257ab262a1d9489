//! Cases as courses of conduct: the case as recorded (`case`), intake and its checks (`intake`), the stalking-first classification
//! (`classification`), the crime decision and reference (`decision`) — pure rules — and their storage
//! (`store`).

pub mod case;
pub mod classification;
pub mod decision;
pub mod intake;
pub mod store;
