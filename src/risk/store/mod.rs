//! Risk storage: assessments and their reviews, and referrals. Assessments make referrals due; the
//! referral storage knows nothing of assessments.

pub mod assessments;
pub mod referrals;
