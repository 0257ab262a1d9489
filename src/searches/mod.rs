//! Records of searches of premises: under a PHA 1997 s.2B warrant (the stalking power of entry), a PACE
//! s.8 warrant, PACE ss.17, 18 or 32, or written consent. The record follows the search from the
//! application to the search register (PACE ss.15–16, Code B 8.1–8.3 and 9.1), and the compliance rules
//! say, each by name, what the record shows and what it breaks. Pure functions: the record here, its
//! structure in `validate`, the rules in `compliance`; storage is `store`.

mod compliance;
pub mod report;
pub mod store;
mod validate;

pub use compliance::*;
pub use validate::*;

use crate::schema::{CaseId, Date, DateTime, Text};
use crate::values::{parse_date, parse_time};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::borrow::Cow;

crate::vocabulary! {
    /// The power a search is made under.
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

    pub fn is_warrant(self) -> bool {
        matches!(self, Power::PhaS2bWarrant | Power::PaceS8Warrant)
    }
}

/// A search record as the officer gives it. Every stage is optional here: what a power requires, and
/// when, is a compliance rule, so a record can be made as the search happens and completed later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = stage_rules)]
pub struct SearchRecord {
    /// An existing case's id.
    #[schemars(with = "CaseId")]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Premises {
    #[schemars(with = "Text<MAX_ADDRESS>")]
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uprn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SearchOfficer")]
pub struct Officer {
    /// Collar or warrant number (Code B allows numbers instead of names where naming would endanger).
    #[schemars(with = "Text<MAX_SHORT>")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub rank: Rank,
}

crate::vocabulary! {
    /// A police rank, lowest first.
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
}

crate::vocabulary! {
    /// Whether a warrant authorises one entry or several.
    pub enum Entries: "lowercase" {
        Single,
        Multiple,
    }
}

/// The application for a warrant (PACE s.15; Code B 3.4: authorised by an inspector or above).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline, transform = entries_rule)]
pub struct Application {
    pub applicant: Officer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_by: Option<Officer>,
    /// RFC 3339; not in the future (five minutes' clock skew allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateTime>")]
    pub authorised_at: Option<String>,
    #[schemars(with = "Text<MAX_TEXT>")]
    pub grounds: String,
    #[schemars(with = "Vec<Text<MAX_SHORT>>")]
    pub articles_sought: Vec<String>,
    pub entries: Entries,
    /// For multiple entries: 2 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = u32::MAX))]
    pub entries_sought: Option<u32>,
    #[schemars(with = "Text<MAX_SHORT>")]
    pub court: String,
    /// RFC 3339; not in the future (five minutes' clock skew allowed).
    #[schemars(with = "DateTime")]
    pub applied_at: String,
}

crate::vocabulary! {
    /// The court's decision on a warrant application.
    pub enum Outcome: "lowercase" {
        Granted,
        Refused,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline, transform = reasons_rule)]
pub struct CourtDecision {
    pub outcome: Outcome,
    /// RFC 3339; not in the future (five minutes' clock skew allowed). Not before the application.
    #[schemars(with = "DateTime")]
    pub decided_at: String,
    /// Required when refused: not blank, up to 2000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Warrant {
    #[schemars(with = "Text<MAX_SHORT>")]
    pub reference: String,
    /// The date of issue (`YYYY-MM-DD`); the warrant expires three months later (PACE s.16(3)).
    #[schemars(with = "Date")]
    pub issued_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Authority {
    #[schemars(with = "Text<MAX_TEXT>")]
    pub grounds: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Consent {
    #[schemars(with = "Text<MAX_SHORT>")]
    pub given_by: String,
    /// RFC 3339; not in the future (five minutes' clock skew allowed).
    #[schemars(with = "DateTime")]
    pub given_at: String,
    pub in_writing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Execution {
    /// RFC 3339; not in the future (five minutes' clock skew allowed). Not before consent was
    /// given.
    #[schemars(with = "DateTime")]
    pub started_at: String,
    /// RFC 3339; not in the future (five minutes' clock skew allowed). Not before `started_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DateTime>")]
    pub ended_at: Option<String>,
    pub officer_in_charge: Officer,
    #[serde(default)]
    pub officers: Vec<Officer>,
    /// People authorised by the warrant to accompany the officers (s.16(2)).
    #[serde(default)]
    #[schemars(with = "Vec<Text<MAX_SHORT>>")]
    pub authorised_persons: Vec<String>,
    #[serde(default)]
    #[schemars(with = "Vec<Text<MAX_SHORT>>")]
    pub people_on_premises: Vec<String>,
    pub occupier_present: bool,
    /// The occupier asked for someone to be present and the request was refused: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Text<MAX_TEXT>>")]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Seizure {
    #[schemars(with = "Text<MAX_SHORT>")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhibit_reference: Option<String>,
    /// Covered by the warrant (or the power); if not, `grounds` says why it was seized.
    pub within_authority: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounds: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Damage {
    #[schemars(with = "Text<MAX_TEXT>")]
    pub description: String,
    #[schemars(with = "Text<MAX_TEXT>")]
    pub circumstances: String,
}

/// The Notice of Powers and Rights: given, or why not, or where it was left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Notice {
    pub given: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_given_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Endorsement {
    /// RFC 3339; not in the future (five minutes' clock skew allowed).
    #[schemars(with = "DateTime")]
    pub endorsed_at: String,
    #[schemars(with = "Text<MAX_SHORT>")]
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Returned {
    /// RFC 3339; not in the future (five minutes' clock skew allowed).
    #[schemars(with = "DateTime")]
    pub returned_at: String,
    #[schemars(with = "Text<MAX_SHORT>")]
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct RegisterEntry {
    #[schemars(with = "Text<MAX_SHORT>")]
    pub station: String,
    #[schemars(with = "Text<MAX_SHORT>")]
    pub entry: String,
}

/// The stages a record may have under its power (as `validate` checks them): no warrant stages
/// without a warrant, consent only for a search by consent, `authority` only for ss.17, 18 and 32.
fn stage_rules(schema: &mut Schema) {
    let warrants: Vec<&str> = Power::iter()
        .filter(|p| p.is_warrant())
        .map(Power::as_str)
        .collect();
    let without_authority: Vec<&str> = Power::iter()
        .filter(|p| p.is_warrant() || *p == Power::Consent)
        .map(Power::as_str)
        .collect();
    let absent = || json!({ "type": "null" });
    let power_is = |rule: Value| json!({ "required": ["power"], "properties": { "power": rule } });
    crate::schema::when(
        schema,
        power_is(json!({ "not": { "enum": warrants } })),
        json!({ "properties": {
            "application": absent(),
            "decision": absent(),
            "warrant": absent(),
            "endorsement": absent(),
            "returned_to_court": absent(),
        } }),
    );
    crate::schema::when(
        schema,
        power_is(json!({ "not": { "const": Power::Consent.as_str() } })),
        json!({ "properties": { "consent": absent() } }),
    );
    crate::schema::when(
        schema,
        power_is(json!({ "enum": without_authority })),
        json!({ "properties": { "authority": absent() } }),
    );
    schema.insert(
        "description".into(),
        "A search record. Only a warrant search has the warrant stages (application, decision, \
         warrant, endorsement, return); `consent` only a search by consent; `authority` only ss.17, \
         18 and 32."
            .into(),
    );
}

/// Multiple entries need the number sought, two or more.
fn entries_rule(schema: &mut Schema) {
    crate::schema::when(
        schema,
        json!({
            "required": ["entries"],
            "properties": { "entries": { "const": Entries::Multiple.as_str() } },
        }),
        json!({
            "required": ["entries_sought"],
            "properties": { "entries_sought": { "type": "integer", "minimum": 2 } },
        }),
    );
}

/// A refusal needs its reasons.
fn reasons_rule(schema: &mut Schema) {
    crate::schema::when(
        schema,
        json!({
            "required": ["outcome"],
            "properties": { "outcome": { "const": Outcome::Refused.as_str() } },
        }),
        json!({
            "required": ["reasons"],
            "properties": {
                "reasons": {
                    "$ref": format!("#/components/schemas/{}", Text::<MAX_TEXT>::schema_name()),
                },
            },
        }),
    );
}

/// An amendment's `changes`: a JSON Merge Patch of a [`SearchRecord`], so the record's schema with
/// nothing required and no rules between fields (the patched record is checked whole).
pub struct SearchPatch;

impl JsonSchema for SearchPatch {
    fn schema_name() -> Cow<'static, str> {
        "SearchPatch".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut patch = SearchRecord::json_schema(generator).to_value();
        let definitions = generator.definitions().clone();
        fn loosen(schema: &mut Value, definitions: &serde_json::Map<String, Value>) {
            if let Some(name) = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && let Some(definition) = definitions.get(name)
                && definition.get("properties").is_some()
            {
                let description = schema.get("description").cloned();
                *schema = definition.clone();
                if let Some(description) = description {
                    schema["description"] = description;
                }
            }
            let Some(object) = schema.as_object_mut() else {
                return;
            };
            let required = object.remove("required").unwrap_or_default();
            for rule in ["if", "then", "allOf", "default"] {
                object.remove(rule);
            }
            if let Some(Value::Array(options)) = object.get_mut("anyOf") {
                options.iter_mut().for_each(|o| loosen(o, definitions));
            }
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    loosen(property, definitions);
                    // `null` removes an optional field (a list, to its default: empty).
                    let optional = !required
                        .as_array()
                        .is_some_and(|r| r.iter().any(|f| f == name.as_str()));
                    if optional && let Some(Value::String(kind)) = property.get("type") {
                        property["type"] = json!([kind, "null"]);
                    }
                }
            }
        }
        loosen(&mut patch, &definitions);
        patch["description"] = "Changes to a search record, as a JSON Merge Patch (RFC 7396): \
            fields to set, `null` to remove an optional one. The patched record must be valid."
            .into();
        Schema::try_from(patch).expect("an object schema")
    }
}

/// Applies a JSON Merge Patch (RFC 7396): what an amendment's `changes` are.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    json_patch::merge(target, patch);
}

#[cfg(test)]
mod tests;
