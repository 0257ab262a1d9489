//! Referrals to MASH and MARAC (or whatever agencies the force's policy names): the referral record,
//! the information-sharing decision and its checks, and the package that holds only what the referral
//! needs. Pure: `store::referrals` keeps them.

use crate::cases::case::Case;
use crate::ids::{AssessmentId, CaseId, ReferralId};
use crate::risk::instruments;
use crate::risk::scoring::{Agency, Evaluation, InstrumentRef, Level};
use crate::schema::Text;
use crate::values::Timestamp;
use crate::values::{FieldErrors, text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Referral {
    pub id: ReferralId,
    pub case_id: CaseId,
    pub assessment_id: AssessmentId,
    pub agency: Agency,
    /// The partner system that receives it.
    pub recipient: String,
    pub criteria: Vec<String>,
    pub level: Option<Level>,
    pub status: ReferralStatus,
    pub created_at: Timestamp,
    pub due_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub sent_by: Option<String>,
    pub sharing: Option<Sharing>,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
}

crate::vocabulary! {
    /// Where a referral stands: due, sent (with its package), acknowledged by the partner.
    pub enum ReferralStatus {
        Due,
        Sent,
        Acknowledged,
    }
}

crate::vocabulary! {
    /// The statuses a partner sees its referrals in: only what has been sent to it.
    pub enum PartnerStatus {
        Sent,
        Acknowledged,
    }
}

impl From<PartnerStatus> for ReferralStatus {
    fn from(status: PartnerStatus) -> ReferralStatus {
        match status {
            PartnerStatus::Sent => ReferralStatus::Sent,
            PartnerStatus::Acknowledged => ReferralStatus::Acknowledged,
        }
    }
}

/// The decision to share, recorded with its reasons (necessary, proportionate; consent or why not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = sharing_rules)]
pub struct Sharing {
    pub basis: SharingBasis,
    pub victim_aware: bool,
    /// Why the victim is not told: required when `victim_aware` is false (not blank, up to 2000
    /// characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim_not_aware_reason: Option<String>,
    /// Why sharing is necessary and proportionate.
    #[schemars(with = "Text<MAX_REASON>")]
    pub rationale: String,
    /// How to reach the victim safely, if it is safe at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_contact: Option<SafeContact>,
}

/// The longest rationale or reason, in characters.
pub const MAX_REASON: usize = 2000;
/// The longest phone number, and safe times.
pub const MAX_PHONE: usize = 40;
pub const MAX_SAFE_TIMES: usize = 200;

/// A reason is required when the victim is not aware.
fn sharing_rules(schema: &mut schemars::Schema) {
    let reason = Text::<MAX_REASON>::schema_name();
    crate::schema::when(
        schema,
        serde_json::json!({
            "required": ["victim_aware"],
            "properties": { "victim_aware": { "const": false } },
        }),
        serde_json::json!({
            "required": ["victim_not_aware_reason"],
            "properties": {
                "victim_not_aware_reason": { "$ref": format!("#/components/schemas/{reason}") },
            },
        }),
    );
}

crate::vocabulary! {
    /// The lawful basis for sharing.
    pub enum SharingBasis {
        /// The victim consented.
        Consent,
        /// Without consent, in the public interest (safeguarding, preventing crime).
        PublicInterest,
    }
}

/// How to reach the victim safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SafeContact {
    #[schemars(with = "Text<MAX_PHONE>")]
    pub phone: String,
    pub safe_to_call: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Text<MAX_SAFE_TIMES>>")]
    pub safe_times: Option<String>,
}

pub fn validate_sharing(sharing: &Sharing) -> FieldErrors {
    let mut errors = FieldErrors::new();
    text(
        &mut errors,
        "/rationale",
        &sharing.rationale,
        "why sharing is necessary and proportionate",
        MAX_REASON,
    );
    if !sharing.victim_aware {
        text(
            &mut errors,
            "/victim_not_aware_reason",
            sharing.victim_not_aware_reason.as_deref().unwrap_or(""),
            "why the victim is not aware of the referral",
            MAX_REASON,
        );
    }
    if let Some(contact) = &sharing.safe_contact {
        text(
            &mut errors,
            "/safe_contact/phone",
            &contact.phone,
            "the phone number",
            MAX_PHONE,
        );
        if let Some(times) = &contact.safe_times {
            text(
                &mut errors,
                "/safe_contact/safe_times",
                times,
                "the safe times",
                MAX_SAFE_TIMES,
            );
        }
    }
    errors
}

/// What a referral's package says of the assessment that made it due.
#[derive(Debug, Clone, Copy)]
pub struct Assessed<'a> {
    pub instrument: &'a InstrumentRef,
    pub assessed_at: &'a str,
    pub level: Option<Level>,
    pub result: &'a Evaluation,
}

/// The package for a referral: who and what the receiving agency needs, no more — no occurrence
/// narratives, no answer comments, no other cases.
pub fn package(
    referral: &Referral,
    case: &Case,
    assessment: Assessed<'_>,
    sharing: &Sharing,
    force: &str,
    officer: &str,
    now: &str,
) -> serde_json::Value {
    let instrument = instruments::find(&assessment.instrument.id, &assessment.instrument.version);
    let yes: Vec<serde_json::Value> = assessment
        .result
        .yes_items
        .iter()
        .map(|item| {
            let question = item.split('.').next().unwrap_or(item);
            let text = instrument
                .and_then(|i| i.question(question))
                .map(|q| q.text.clone())
                .unwrap_or_default();
            serde_json::json!({ "item": item, "question": text })
        })
        .collect();
    serde_json::json!({
        "referral_id": referral.id,
        "agency": referral.agency,
        "criteria": referral.criteria,
        "sent_at": now,
        "from": { "force": force, "officer": officer },
        "case": {
            "incident_reference": case.incident_reference,
            "crime_reference": case.crime_reference,
            "relationship": case.relationship,
            "domestic_abuse": case.domestic_abuse,
            "stalking": case.stalking,
            "occasions": case.occurrences.len(),
        },
        "victim": {
            "name": case.victim.name,
            "date_of_birth": case.victim.date_of_birth,
            "aware_of_referral": sharing.victim_aware,
            "safe_contact": sharing.safe_contact,
        },
        "suspects": case.suspects.iter().map(|s| serde_json::json!({
            "name": s.name, "date_of_birth": s.date_of_birth,
        })).collect::<Vec<_>>(),
        "risk": {
            "instrument": assessment.instrument,
            "assessed_at": assessment.assessed_at,
            "level": assessment.level,
            "score": assessment.result.score,
            "out_of": assessment.result.out_of,
            "escalation_incidents": assessment.result.escalation_incidents,
            "escalation": assessment.result.escalation,
            "yes": yes,
        },
        "sharing": { "basis": sharing.basis, "rationale": sharing.rationale },
    })
}

/// What a partner system sees in its list: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub id: ReferralId,
    /// For the access log only: the partner is not shown the case.
    #[serde(skip)]
    pub case_id: CaseId,
    pub agency: Agency,
    pub criteria: Vec<String>,
    pub level: Option<Level>,
    pub status: ReferralStatus,
    pub sent_at: Option<Timestamp>,
    pub acknowledged_at: Option<Timestamp>,
}
