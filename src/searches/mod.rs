//! Records of searches of premises: under a PHA 1997 s.2B warrant (the stalking power of entry), a PACE
//! s.8 warrant, PACE ss.17, 18 or 32, or written consent. The record follows the search from the
//! application to the search register (PACE ss.15–16, Code B 8.1–8.3 and 9.1), and the compliance rules
//! say, each by name, what the record shows and what it breaks. Pure functions: the record here, its
//! structure in `validate`, the rules in `compliance`; storage is `store`.

mod compliance;
pub mod store;
mod validate;

pub use compliance::*;
pub use validate::*;

use crate::values::{parse_date, parse_time};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Power {
    /// Protection from Harassment Act 1997 s.2B: the stalking power of entry, by warrant.
    PhaS2bWarrant,
    /// PACE 1984 s.8: a search warrant for evidence of an indictable offence.
    PaceS8Warrant,
    /// PACE s.17: entry to arrest, save life or prevent damage.
    PaceS17,
    /// PACE s.18: entry and search after arrest.
    PaceS18,
    /// PACE s.32: search of premises where a person was arrested.
    PaceS32,
    /// With the occupier's written consent (Code B section 5).
    Consent,
}

impl Power {
    pub const ALL: [Power; 6] = [
        Power::PhaS2bWarrant,
        Power::PaceS8Warrant,
        Power::PaceS17,
        Power::PaceS18,
        Power::PaceS32,
        Power::Consent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Power::PhaS2bWarrant => "pha-s2b-warrant",
            Power::PaceS8Warrant => "pace-s8-warrant",
            Power::PaceS17 => "pace-s17",
            Power::PaceS18 => "pace-s18",
            Power::PaceS32 => "pace-s32",
            Power::Consent => "consent",
        }
    }

    pub fn parse(text: &str) -> Option<Power> {
        Power::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn is_warrant(self) -> bool {
        matches!(self, Power::PhaS2bWarrant | Power::PaceS8Warrant)
    }
}

/// A search record as the officer gives it. Every stage is optional here: what a power requires, and
/// when, is a compliance rule, so a record can be made as the search happens and completed later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchRecord {
    pub case_id: String,
    pub power: Power,
    pub premises: Premises,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<CourtDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warrant: Option<Warrant>,
    /// For searches without a warrant (ss.17, 18, 32): the grounds for using the power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<Authority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<Execution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<Endorsement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_to_court: Option<Returned>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Premises {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uprn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Collar or warrant number (Code B allows numbers instead of names where naming would endanger).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub rank: Rank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rank {
    Constable,
    Sergeant,
    Inspector,
    ChiefInspector,
    Superintendent,
    ChiefSuperintendent,
    AssistantChiefConstable,
    DeputyChiefConstable,
    ChiefConstable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entries {
    Single,
    Multiple,
}

/// The application for a warrant (PACE s.15; Code B 3.4: authorised by an inspector or above).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub applicant: Officer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_by: Option<Officer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_at: Option<String>,
    pub grounds: String,
    pub articles_sought: Vec<String>,
    pub entries: Entries,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries_sought: Option<u32>,
    pub court: String,
    pub applied_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Granted,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourtDecision {
    pub outcome: Outcome,
    pub decided_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warrant {
    pub reference: String,
    /// The date of issue (`YYYY-MM-DD`); the warrant expires three months later (PACE s.16(3)).
    pub issued_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    pub grounds: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub given_by: String,
    pub given_at: String,
    pub in_writing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    pub officer_in_charge: Officer,
    #[serde(default)]
    pub officers: Vec<Officer>,
    /// People authorised by the warrant to accompany the officers (s.16(2)).
    #[serde(default)]
    pub authorised_persons: Vec<String>,
    #[serde(default)]
    pub people_on_premises: Vec<String>,
    pub occupier_present: bool,
    /// The occupier asked for someone to be present and the request was refused: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupier_request_refused: Option<String>,
    #[serde(default)]
    pub seized: Vec<Seizure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sought_found: Option<bool>,
    pub force_used: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage: Option<Damage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seizure {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhibit_reference: Option<String>,
    /// Covered by the warrant (or the power); if not, `grounds` says why it was seized.
    pub within_authority: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounds: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Damage {
    pub description: String,
    pub circumstances: String,
}

/// The Notice of Powers and Rights: given, or why not, or where it was left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub given: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_given_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endorsement {
    pub endorsed_at: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Returned {
    pub returned_at: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterEntry {
    pub station: String,
    pub entry: String,
}

/// Applies a JSON Merge Patch (RFC 7396): what an amendment's `changes` are.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    json_patch::merge(target, patch);
}

#[cfg(test)]
mod tests;
