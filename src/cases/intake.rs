//! Intake: what an officer (or a partner system) reports about a case, checked field by field, and
//! the key that links a suspect across cases.

use crate::schema::{DateOfBirth, DateTime, Text};
use crate::values::{FieldErrors, parse_date, parse_time, text};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

crate::vocabulary! {
    /// The suspect's relationship to the victim.
    pub enum Relationship {
        CurrentPartner,
        ExPartner,
        Family,
        Acquaintance,
        Colleague,
        Neighbour,
        Stranger,
        OnlineOnly,
        Unknown,
    }
}

crate::vocabulary! {
    /// How the conduct reached the victim.
    pub enum Channel {
        InPerson,
        Phone,
        Text,
        SocialMedia,
        Email,
        Post,
        ThirdParty,
    }
}

crate::vocabulary! {
    /// Behaviours: the first seven are the stalking examples of PHA 1997 s.2A(3).
    pub enum Behaviour {
        Following,
        Contacting,
        PublishingMaterial,
        MonitoringOnlineUse,
        Loitering,
        InterferingWithProperty,
        WatchingOrSpying,
        Threats,
        Abuse,
        Other,
    }
}

impl Behaviour {
    /// Named in s.2A(3) as associated with stalking.
    pub fn is_stalking_behaviour(self) -> bool {
        !matches!(
            self,
            Behaviour::Threats | Behaviour::Abuse | Behaviour::Other
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Behaviour::Following => "following",
            Behaviour::Contacting => "contacting or trying to contact",
            Behaviour::PublishingMaterial => "publishing material relating to the victim",
            Behaviour::MonitoringOnlineUse => "monitoring online use",
            Behaviour::Loitering => "loitering",
            Behaviour::InterferingWithProperty => "interfering with property",
            Behaviour::WatchingOrSpying => "watching or spying",
            Behaviour::Threats => "threats",
            Behaviour::Abuse => "abuse",
            Behaviour::Other => "other behaviour",
        }
    }
}

/// The FOUR questions (fixated, obsessive, unwanted, repeated), as the officer answered them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Four {
    pub fixated: bool,
    pub obsessive: bool,
    pub unwanted: bool,
    pub repeated: bool,
}

impl Four {
    pub fn present(&self) -> Vec<&'static str> {
        [
            (self.fixated, "fixated"),
            (self.obsessive, "obsessive"),
            (self.unwanted, "unwanted"),
            (self.repeated, "repeated"),
        ]
        .into_iter()
        .filter_map(|(yes, name)| yes.then_some(name))
        .collect()
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Victim {
    #[schemars(with = "Text<MAX_NAME>")]
    pub name: String,
    /// YYYY-MM-DD, from 1900; not in the future.
    #[schemars(with = "Option<DateOfBirth>")]
    pub date_of_birth: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(inline)]
pub struct Suspect {
    /// "unknown" when the name is not known.
    #[schemars(with = "Text<MAX_NAME>")]
    pub name: String,
    /// YYYY-MM-DD, from 1900; not in the future.
    #[schemars(with = "Option<DateOfBirth>")]
    pub date_of_birth: Option<String>,
    /// A police identifier (e.g. a PNC ID), when known.
    #[schemars(with = "Option<Text<MAX_POLICE_ID>>")]
    pub police_id: Option<String>,
}

/// One occasion of the conduct.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOccurrence {
    /// When it happened, or when it began: RFC 3339; not in the future (five minutes' clock skew
    /// allowed).
    #[schemars(with = "DateTime")]
    pub from: String,
    /// When it ended, for conduct over a period: RFC 3339; not in the future, not before `from`.
    #[schemars(with = "Option<DateTime>")]
    pub to: Option<String>,
    #[schemars(with = "Text<MAX_LOCATION>")]
    pub location: String,
    pub channel: Channel,
    /// Each at most once; may be empty. The first seven are the stalking examples of PHA 1997
    /// s.2A(3).
    #[schemars(extend("uniqueItems" = true))]
    pub behaviours: Vec<Behaviour>,
    #[schemars(with = "Text<MAX_DESCRIPTION>")]
    pub description: String,
    /// The victim feared violence would be used against them on this occasion.
    pub fear_of_violence: bool,
    /// This occasion breached an order (SPO, restraining order, non-molestation order).
    #[serde(default)]
    pub breach_of_order: bool,
}

/// A report of harassment or stalking: the victim, the suspects, the first occasion, and the answers
/// to the FOUR questions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub victim: Victim,
    /// 1 to 10.
    #[schemars(length(min = 1, max = MAX_SUSPECTS))]
    pub suspects: Vec<Suspect>,
    pub relationship: Relationship,
    pub domestic_abuse: bool,
    pub four: Four,
    /// Serious alarm or distress with a substantial adverse effect on the victim's day-to-day activities.
    pub serious_alarm_or_distress: bool,
    pub occurrence: NewOccurrence,
}

pub const MAX_NAME: usize = 200;
pub const MAX_LOCATION: usize = 500;
pub const MAX_DESCRIPTION: usize = 5000;
pub const MAX_SUSPECTS: usize = 10;
pub const MAX_POLICE_ID: usize = 32;
/// Clocks on phones drift: a report a few minutes "in the future" is not refused.
const CLOCK_SKEW_SECONDS: i64 = 300;

pub fn date_of_birth(errors: &mut FieldErrors, pointer: &str, value: Option<&str>, today: Date) {
    let Some(value) = value else { return };
    match parse_date(value) {
        Some(date) if date > today => errors.push((
            pointer.into(),
            "A date of birth cannot be in the future.".into(),
        )),
        Some(date) if date.year() < 1900 => {
            errors.push((pointer.into(), "Enter a date of birth after 1900.".into()))
        }
        Some(_) => {}
        None => errors.push((
            pointer.into(),
            "Enter a date of birth as YYYY-MM-DD.".into(),
        )),
    }
}

pub fn validate_occurrence(
    errors: &mut FieldErrors,
    base: &str,
    occurrence: &NewOccurrence,
    now: OffsetDateTime,
) {
    let latest = now + time::Duration::seconds(CLOCK_SKEW_SECONDS);
    let from = parse_time(&occurrence.from);
    match from {
        None => errors.push((
            format!("{base}/from"),
            "Enter when it happened as an RFC 3339 time, e.g. 2026-11-28T21:30:00Z.".into(),
        )),
        Some(from) if from > latest => errors.push((
            format!("{base}/from"),
            "When it happened cannot be in the future.".into(),
        )),
        Some(_) => {}
    }
    if let Some(to) = &occurrence.to {
        match (parse_time(to), from) {
            (None, _) => errors.push((
                format!("{base}/to"),
                "Enter when it ended as an RFC 3339 time.".into(),
            )),
            (Some(to), _) if to > latest => errors.push((
                format!("{base}/to"),
                "When it ended cannot be in the future.".into(),
            )),
            (Some(to), Some(from)) if to < from => errors.push((
                format!("{base}/to"),
                "When it ended must be after when it began.".into(),
            )),
            _ => {}
        }
    }
    text(
        errors,
        &format!("{base}/location"),
        &occurrence.location,
        "where it happened",
        MAX_LOCATION,
    );
    text(
        errors,
        &format!("{base}/description"),
        &occurrence.description,
        "what happened",
        MAX_DESCRIPTION,
    );
    let mut behaviours = occurrence.behaviours.clone();
    behaviours.sort();
    behaviours.dedup();
    if behaviours.len() != occurrence.behaviours.len() {
        errors.push((
            format!("{base}/behaviours"),
            "List each behaviour once.".into(),
        ));
    }
}

pub fn validate_case(case: &NewCase, now: OffsetDateTime) -> FieldErrors {
    let mut errors = Vec::new();
    text(
        &mut errors,
        "/victim/name",
        &case.victim.name,
        "the victim's name",
        MAX_NAME,
    );
    date_of_birth(
        &mut errors,
        "/victim/date_of_birth",
        case.victim.date_of_birth.as_deref(),
        now.date(),
    );
    if case.suspects.is_empty() {
        errors.push((
            "/suspects".into(),
            "Add the suspect (a name, or \"unknown\").".into(),
        ));
    } else if case.suspects.len() > MAX_SUSPECTS {
        errors.push((
            "/suspects".into(),
            format!("A case has at most {MAX_SUSPECTS} suspects."),
        ));
    }
    for (i, suspect) in case.suspects.iter().enumerate() {
        text(
            &mut errors,
            &format!("/suspects/{i}/name"),
            &suspect.name,
            "the suspect's name",
            MAX_NAME,
        );
        date_of_birth(
            &mut errors,
            &format!("/suspects/{i}/date_of_birth"),
            suspect.date_of_birth.as_deref(),
            now.date(),
        );
        if let Some(id) = &suspect.police_id {
            text(
                &mut errors,
                &format!("/suspects/{i}/police_id"),
                id,
                "the police identifier",
                MAX_POLICE_ID,
            );
        }
    }
    validate_occurrence(&mut errors, "/occurrence", &case.occurrence, now);
    errors
}
/// The key that links the same suspect across cases ([`crate::people::link_key`]).
pub fn suspect_link_key(suspect: &Suspect) -> Option<String> {
    crate::people::link_key(
        &suspect.name,
        suspect.date_of_birth.as_deref(),
        suspect.police_id.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Behaviour::*;

    #[test]
    fn suspects_link_on_police_id_or_name_with_date_of_birth() {
        let suspect = |name: &str, dob: Option<&str>, id: Option<&str>| Suspect {
            name: name.into(),
            date_of_birth: dob.map(Into::into),
            police_id: id.map(Into::into),
        };
        assert_eq!(
            suspect_link_key(&suspect("A", None, Some("12/3456-a"))),
            suspect_link_key(&suspect("B", None, Some("123456A")))
        );
        assert_eq!(
            suspect_link_key(&suspect("John  SMITH", Some("1980-01-02"), None)),
            suspect_link_key(&suspect("john smith", Some("1980-01-02"), None))
        );
        assert_eq!(
            suspect_link_key(&suspect("John Smith", None, None)),
            None,
            "a name alone does not link"
        );
        assert_eq!(
            suspect_link_key(&suspect("Unknown", Some("1980-01-02"), None)),
            None
        );
    }

    #[test]
    fn relationship_and_channel_words_are_the_json_words() {
        for r in Relationship::iter() {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(r.as_str().parse::<Relationship>(), Ok(r));
        }
        for c in Channel::iter() {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
    }

    #[test]
    fn occurrences_cannot_be_in_the_future_or_inverted() {
        let now = parse_time("2026-11-29T12:00:00Z").unwrap();
        let occurrence = |from: &str, to: Option<&str>| NewOccurrence {
            from: from.into(),
            to: to.map(Into::into),
            location: "Home".into(),
            channel: Channel::Phone,
            behaviours: vec![Contacting],
            description: "Calls".into(),
            fear_of_violence: false,
            breach_of_order: false,
        };
        let check = |o: NewOccurrence| {
            let mut errors = Vec::new();
            validate_occurrence(&mut errors, "/occurrence", &o, now);
            errors.into_iter().map(|(p, _)| p).collect::<Vec<_>>()
        };
        assert!(check(occurrence("2026-11-29T11:00:00Z", None)).is_empty());
        assert_eq!(
            check(occurrence("2026-11-30T11:00:00Z", None)),
            ["/occurrence/from"]
        );
        assert_eq!(
            check(occurrence(
                "2026-11-29T11:00:00Z",
                Some("2026-11-29T10:00:00Z")
            )),
            ["/occurrence/to"]
        );
        assert_eq!(check(occurrence("yesterday", None)), ["/occurrence/from"]);
    }
}
