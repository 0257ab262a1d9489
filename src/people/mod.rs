//! People as records of their own (nominals): the same person across cases is one record, and each
//! case names its people with a data-subject category (DPA 2018 s.38(3)). How a report's person was
//! matched to an existing record is kept and reviewable; a suspect with two or more victims is a serial
//! perpetrator. The rules are here, pure; `store` keeps the records.

pub mod store;

use crate::ids::{CaseId, PersonId};
use crate::values::{FieldErrors, Timestamp};
use serde::{Deserialize, Serialize};

/// A suspect with at least this many distinct victims is a serial perpetrator.
pub const SERIAL_VICTIMS: i64 = 2;

const MAX_REASON: usize = 2000;

crate::vocabulary! {
    /// The data-subject category of a person in a case (DPA 2018 s.38(3)).
    pub enum Category {
        Victim,
        Suspect,
        Witness,
        Other,
    }
}

crate::vocabulary! {
    /// Why a case's person is the record it is: a new record, or matched to an existing one on a
    /// police identifier, or on a normalised name with a date of birth.
    pub enum LinkBasis {
        New,
        PoliceId,
        NameAndDateOfBirth,
    }
}

crate::vocabulary! {
    /// Where a link stands: a match on a name and date of birth is a suggestion until a supervisor
    /// confirms it; any link may be split, which gives the case's person a record of their own.
    pub enum LinkReview {
        NotNeeded,
        Pending,
        Confirmed,
        Split,
    }
}

crate::vocabulary! {
    /// Whose link a supervisor reviews: the victim's, or a suspect's.
    pub enum Party {
        Victim,
        Suspect,
    }
}

impl Party {
    pub fn category(self) -> Category {
        match self {
            Party::Victim => Category::Victim,
            Party::Suspect => Category::Suspect,
        }
    }
}

crate::vocabulary! {
    /// A person added to a case after the report: a witness, or another person it concerns.
    pub enum Added {
        Witness,
        Other,
    }
}

impl Added {
    pub fn category(self) -> Category {
        match self {
            Added::Witness => Category::Witness,
            Added::Other => Category::Other,
        }
    }
}

/// A witness or another person added to a case, linked to a person record as a report's people are.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub category: Added,
    #[schemars(with = "crate::schema::Text<{ crate::cases::intake::MAX_NAME }>")]
    pub name: String,
    /// YYYY-MM-DD, from 1900; not in the future.
    #[schemars(with = "Option<crate::schema::DateOfBirth>")]
    pub date_of_birth: Option<String>,
    /// A police identifier (e.g. a PNC ID), when known.
    #[schemars(with = "Option<crate::schema::Text<{ crate::cases::intake::MAX_POLICE_ID }>>")]
    pub police_id: Option<String>,
}

pub fn validate_person(new: &NewPerson, today: time::Date) -> FieldErrors {
    use crate::cases::intake::{MAX_NAME, MAX_POLICE_ID, date_of_birth};
    let mut errors = Vec::new();
    crate::values::text(
        &mut errors,
        "/name",
        &new.name,
        "the person's name",
        MAX_NAME,
    );
    date_of_birth(
        &mut errors,
        "/date_of_birth",
        new.date_of_birth.as_deref(),
        today,
    );
    if let Some(id) = &new.police_id {
        crate::values::text(
            &mut errors,
            "/police_id",
            id,
            "the police identifier",
            MAX_POLICE_ID,
        );
    }
    errors
}

/// A witness or another person, as a case shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherPerson {
    pub category: Category,
    pub name: String,
    pub date_of_birth: Option<String>,
    pub police_id: Option<String>,
    pub person_id: PersonId,
    pub link: Link,
}

crate::vocabulary! {
    /// A supervisor's decision on a link.
    pub enum LinkDecisionKind: "lowercase" {
        Confirm,
        Split,
    }
}

/// How a person in a case was linked, and its review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub basis: LinkBasis,
    pub review: LinkReview,
}

/// The key that links the same person across cases: a police identifier, or else a normalised name
/// with a date of birth. A name alone is too weak to link on.
pub fn link_key(
    name: &str,
    date_of_birth: Option<&str>,
    police_id: Option<&str>,
) -> Option<String> {
    if let Some(id) = police_id.map(str::trim).filter(|id| !id.is_empty()) {
        return Some(format!(
            "id:{}",
            id.to_ascii_uppercase().replace([' ', '-', '/'], "")
        ));
    }
    let dob = date_of_birth?;
    let name: String = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty() && name != "unknown").then(|| format!("name:{name}|{dob}"))
}

/// A new appearance's link, from the key it matched an existing person on (`None`: a new person).
pub fn link_for(matched_key: Option<&str>) -> Link {
    match matched_key {
        None => Link {
            basis: LinkBasis::New,
            review: LinkReview::NotNeeded,
        },
        // A police identifier is the force's own: no review needed (a supervisor may still split).
        Some(key) if key.starts_with("id:") => Link {
            basis: LinkBasis::PoliceId,
            review: LinkReview::NotNeeded,
        },
        Some(_) => Link {
            basis: LinkBasis::NameAndDateOfBirth,
            review: LinkReview::Pending,
        },
    }
}

/// A supervisor's review of how one person in a case is linked.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = victim_at_0)]
pub struct LinkDecision {
    /// Whose link: the victim, or a suspect.
    pub category: Party,
    /// The suspect's position in the case's `suspects` (from 0); 0 for the victim.
    #[schemars(range(min = 0, max = 9))]
    pub position: i64,
    /// Confirm the suggested link, or split it: the case's person becomes a record of their own.
    pub decision: LinkDecisionKind,
    /// Why (kept with the link and shown to whoever reads it).
    #[schemars(with = "crate::schema::Text<MAX_REASON>")]
    pub reason: String,
}

/// The rule `validate_decision` checks between the fields: the victim is at position 0.
fn victim_at_0(schema: &mut schemars::Schema) {
    crate::schema::when(
        schema,
        serde_json::json!({ "required": ["category"], "properties": { "category": { "const": "victim" } } }),
        serde_json::json!({ "properties": { "position": { "const": 0 } } }),
    );
}

pub fn validate_decision(decision: &LinkDecision) -> FieldErrors {
    let mut errors = Vec::new();
    match decision.category {
        Party::Victim if decision.position != 0 => {
            errors.push(("/position".into(), "The victim's position is 0.".into()))
        }
        Party::Suspect
            if !(0..crate::cases::intake::MAX_SUSPECTS as i64).contains(&decision.position) =>
        {
            errors.push((
                "/position".into(),
                format!(
                    "A suspect's position is from 0 to {}.",
                    crate::cases::intake::MAX_SUSPECTS - 1
                ),
            ))
        }
        _ => {}
    }
    crate::values::text(
        &mut errors,
        "/reason",
        &decision.reason,
        "the reason for the decision",
        MAX_REASON,
    );
    errors
}

/// One person in one case, as a case or a profile shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appearance {
    pub case_id: CaseId,
    pub category: Category,
    pub position: i64,
    pub person_id: PersonId,
    pub link: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    /// After a split: the record the case's person was linked to before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_from: Option<PersonId>,
}

/// A case in a person's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileCase {
    pub case_id: CaseId,
    pub incident_reference: String,
    pub reported_at: Timestamp,
    pub category: Category,
    pub link: Link,
    pub status: crate::cases::decision::CaseStatus,
    pub crime_reference: Option<String>,
    /// The level of the case's latest risk assessment, as raised by any review.
    pub risk_level: Option<crate::risk::scoring::Level>,
}

/// A victim of the person, by reference (the victim's own record, which those allowed may read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictimRef {
    pub person_id: PersonId,
    /// Cases in which this person is a suspect and that person the victim.
    pub cases: i64,
}

/// A person's profile: who they are, every case naming them (paged), their victims and the orders
/// against them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub id: PersonId,
    pub name: String,
    pub date_of_birth: Option<String>,
    pub police_id: Option<String>,
    /// The record this one was split from by a supervisor.
    pub split_from: Option<PersonId>,
    pub created_at: Timestamp,
    pub suspect_case_count: i64,
    pub victim_count: i64,
    pub serial_perpetrator: bool,
    /// A page of the cases naming the person, in any category, by case id.
    pub cases: Vec<ProfileCase>,
    /// Victims of the cases naming the person as a suspect (at most [`store::VICTIMS_LISTED`]).
    pub victims: Vec<VictimRef>,
    /// Orders against the person (the first 50 by id), each with its breaches counted.
    pub orders: Vec<crate::orders::store::OrderSummary>,
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_link_on_police_id_or_name_with_date_of_birth() {
        assert_eq!(
            link_key("A", None, Some("12/3456-a")),
            link_key("B", None, Some("123456A"))
        );
        assert_eq!(
            link_key("John  SMITH", Some("1980-01-02"), None),
            link_key("john smith", Some("1980-01-02"), None)
        );
        assert_eq!(link_key("John Smith", None, None), None, "a name alone");
        assert_eq!(link_key("Unknown", Some("1980-01-02"), None), None);
    }

    #[test]
    fn a_match_on_a_name_is_a_suggestion_and_on_a_police_id_is_not() {
        assert_eq!(link_for(None).basis, LinkBasis::New);
        assert_eq!(link_for(Some("id:123")).review, LinkReview::NotNeeded);
        assert_eq!(link_for(Some("id:123")).basis, LinkBasis::PoliceId);
        assert_eq!(
            link_for(Some("name:a b|1980-01-02")).review,
            LinkReview::Pending
        );
    }

    #[test]
    fn a_victim_is_at_0_and_a_suspect_within_the_case() {
        let decision = |category, position| LinkDecision {
            category,
            position,
            decision: LinkDecisionKind::Confirm,
            reason: "Same PNC photograph".into(),
        };
        assert!(validate_decision(&decision(Party::Victim, 0)).is_empty());
        assert!(validate_decision(&decision(Party::Suspect, 9)).is_empty());
        assert_eq!(
            validate_decision(&decision(Party::Victim, 1))[0].0,
            "/position"
        );
        assert_eq!(
            validate_decision(&decision(Party::Suspect, 10))[0].0,
            "/position"
        );
    }
}
