//! Intake: what an officer (or a partner system) reports, checked field by field, and the stalking-first
//! classification suggestion derived from it as a pure, explained function.

use crate::problem::capitalise;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// Field errors: (JSON Pointer, what is wrong, in a sentence).
pub type FieldErrors = Vec<(String, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    InPerson,
    Phone,
    Text,
    SocialMedia,
    Email,
    Post,
    ThirdParty,
}

/// Behaviours: the first seven are the stalking examples of PHA 1997 s.2A(3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Victim {
    pub name: String,
    pub date_of_birth: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Suspect {
    pub name: String,
    pub date_of_birth: Option<String>,
    /// A police identifier (e.g. a PNC ID), when known.
    pub police_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOccurrence {
    /// When it happened (RFC 3339), or when it began.
    pub from: String,
    /// When it ended, for conduct over a period.
    pub to: Option<String>,
    pub location: String,
    pub channel: Channel,
    pub behaviours: Vec<Behaviour>,
    pub description: String,
    /// The victim feared violence would be used against them on this occasion.
    pub fear_of_violence: bool,
    /// This occasion breached an order (SPO, restraining order, non-molestation order).
    #[serde(default)]
    pub breach_of_order: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub victim: Victim,
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
/// Clocks on phones drift: a report a few minutes "in the future" is not refused.
const CLOCK_SKEW_SECONDS: i64 = 300;

pub fn text(errors: &mut FieldErrors, pointer: &str, value: &str, what: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push((pointer.into(), format!("Enter {what}.")));
    } else if value.chars().count() > max {
        errors.push((
            pointer.into(),
            format!("{} must be {max} characters or fewer.", capitalise(what)),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.push((
            pointer.into(),
            format!("{} contains control characters.", capitalise(what)),
        ));
    }
}

/// The fixed-width RFC 3339 UTC text the records use (microseconds), so text order is time order.
pub fn timestamp(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("a fixed format always formats")
}

/// Parses an RFC 3339 timestamp.
pub fn parse_time(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

/// Parses a calendar date, `YYYY-MM-DD`.
pub fn parse_date(value: &str) -> Option<Date> {
    Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn date_of_birth(errors: &mut FieldErrors, pointer: &str, value: Option<&str>, today: Date) {
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
                32,
            );
        }
    }
    validate_occurrence(&mut errors, "/occurrence", &case.occurrence, now);
    errors
}

/// What the classification suggestion works from.
#[derive(Debug, Clone)]
pub struct Facts {
    pub four: Four,
    pub serious_alarm_or_distress: bool,
    /// Each occasion's behaviours and whether the victim feared violence then.
    pub occasions: Vec<(Vec<Behaviour>, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suggested {
    /// PHA 1997 s.4A: stalking involving fear of violence or serious alarm or distress.
    StalkingS4a,
    /// s.2A: stalking.
    StalkingS2a,
    /// s.4: putting people in fear of violence.
    HarassmentS4,
    /// s.2: harassment.
    HarassmentS2,
    /// One occasion: not yet a course of conduct (record the incident; watch for a second occasion).
    NotYetCourseOfConduct,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub suggested: Suggested,
    pub occasions: usize,
    pub course_of_conduct: bool,
    pub four_present: Vec<&'static str>,
    /// s.2A(3) behaviours seen on any occasion.
    pub stalking_behaviours: Vec<Behaviour>,
    pub stalking_indicated: bool,
    pub fear_of_violence_occasions: usize,
    pub serious_alarm_or_distress: bool,
    /// Every rule that fired, in plain words.
    pub reasons: Vec<String>,
}

/// Stalking first: the suggested classification and why.
pub fn suggest(facts: &Facts) -> Suggestion {
    let occasions = facts.occasions.len();
    let course_of_conduct = occasions >= 2;
    let mut stalking_behaviours: Vec<Behaviour> = facts
        .occasions
        .iter()
        .flat_map(|(behaviours, _)| behaviours.iter().copied())
        .filter(|b| b.is_stalking_behaviour())
        .collect();
    stalking_behaviours.sort();
    stalking_behaviours.dedup();
    let four_present = facts.four.present();
    let all_four = four_present.len() == 4;
    let stalking_indicated = !stalking_behaviours.is_empty() || all_four;
    let fear_of_violence_occasions = facts.occasions.iter().filter(|(_, fear)| *fear).count();
    let fear_twice = fear_of_violence_occasions >= 2;

    let mut reasons = Vec::new();
    reasons.push(if course_of_conduct {
        format!("{occasions} occasions: a course of conduct (two or more occasions, PHA 1997 s.7).")
    } else {
        "One occasion so far: not yet a course of conduct, which needs two or more (PHA 1997 s.7)."
            .to_string()
    });
    if !stalking_behaviours.is_empty() {
        let named: Vec<&str> = stalking_behaviours.iter().map(|b| b.describe()).collect();
        reasons.push(format!(
            "Behaviours associated with stalking (s.2A(3)): {}.",
            named.join(", ")
        ));
    }
    if all_four {
        reasons.push(
            "All four FOUR indicators are present: fixated, obsessive, unwanted, repeated.".into(),
        );
    } else if !four_present.is_empty() {
        reasons.push(format!(
            "FOUR indicators present: {}.",
            four_present.join(", ")
        ));
    }
    if fear_twice {
        reasons.push(format!(
            "The victim feared violence on {fear_of_violence_occasions} occasions (two or more)."
        ));
    } else if fear_of_violence_occasions == 1 {
        reasons.push("The victim feared violence on one occasion (s.4 and s.4A need two).".into());
    }
    if facts.serious_alarm_or_distress {
        reasons.push(
            "Serious alarm or distress with a substantial adverse effect on day-to-day activities."
                .into(),
        );
    }

    let suggested = match (course_of_conduct, stalking_indicated) {
        (false, _) => Suggested::NotYetCourseOfConduct,
        (true, true) if fear_twice || facts.serious_alarm_or_distress => {
            reasons.push("Suggested: stalking involving fear of violence or serious alarm or distress (s.4A).".into());
            Suggested::StalkingS4a
        }
        (true, true) => {
            reasons.push("Suggested: stalking (s.2A).".into());
            Suggested::StalkingS2a
        }
        (true, false) if fear_twice => {
            reasons.push(
                "No stalking indicators; suggested: putting people in fear of violence (s.4)."
                    .into(),
            );
            Suggested::HarassmentS4
        }
        (true, false) => {
            reasons.push("No stalking indicators; suggested: harassment (s.2).".into());
            Suggested::HarassmentS2
        }
    };
    if !course_of_conduct && stalking_indicated {
        reasons.push(
            "Stalking indicators are present already: treat a second occasion as stalking first."
                .into(),
        );
    }
    Suggestion {
        suggested,
        occasions,
        course_of_conduct,
        four_present,
        stalking_behaviours,
        stalking_indicated,
        fear_of_violence_occasions,
        serious_alarm_or_distress: facts.serious_alarm_or_distress,
        reasons,
    }
}

/// Crime classifications a case may be recorded with: principal and included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    HarassmentS2,
    HarassmentS4,
    StalkingS2a,
    StalkingS4a,
    ControllingOrCoerciveBehaviour,
    MaliciousCommunications,
    CriminalDamage,
    Assault,
    ThreatsToKill,
    SexualOffence,
    OtherOffence,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::HarassmentS2 => "harassment-s2",
            Classification::HarassmentS4 => "harassment-s4",
            Classification::StalkingS2a => "stalking-s2a",
            Classification::StalkingS4a => "stalking-s4a",
            Classification::ControllingOrCoerciveBehaviour => "controlling-or-coercive-behaviour",
            Classification::MaliciousCommunications => "malicious-communications",
            Classification::CriminalDamage => "criminal-damage",
            Classification::Assault => "assault",
            Classification::ThreatsToKill => "threats-to-kill",
            Classification::SexualOffence => "sexual-offence",
            Classification::OtherOffence => "other-offence",
        }
    }

    pub fn parse(text: &str) -> Option<Classification> {
        serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
    }

    pub fn is_stalking(self) -> bool {
        matches!(
            self,
            Classification::StalkingS2a | Classification::StalkingS4a
        )
    }

    /// Offences under the Protection from Harassment Act, which need a course of conduct.
    pub fn needs_course_of_conduct(self) -> bool {
        matches!(
            self,
            Classification::HarassmentS2
                | Classification::HarassmentS4
                | Classification::StalkingS2a
                | Classification::StalkingS4a
        )
    }
}

/// The crime decision, as the API accepts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CrimeDecision {
    /// A recorded crime: the principal classification, and included ones that stay searchable.
    Recorded {
        principal: Classification,
        #[serde(default)]
        included: Vec<Classification>,
        /// Required when stalking is indicated but not recorded.
        stalking_ruled_out_reason: Option<String>,
    },
    /// Not a crime, with the reasons (NCRS: an audit must be able to see why).
    NoCrime { reasons: String },
}

/// Checks a decision against the case: field errors as (pointer, detail).
pub fn validate_decision(decision: &CrimeDecision, suggestion: &Suggestion) -> FieldErrors {
    let mut errors = Vec::new();
    match decision {
        CrimeDecision::Recorded {
            principal,
            included,
            stalking_ruled_out_reason,
        } => {
            let mut all = included.clone();
            all.sort();
            all.dedup();
            if all.len() != included.len() || included.contains(principal) {
                errors.push((
                    "/included".into(),
                    "List each included classification once, and not the principal one.".into(),
                ));
            }
            if !suggestion.course_of_conduct {
                for (pointer, c) in std::iter::once(("/principal".to_string(), principal)).chain(
                    included
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (format!("/included/{i}"), c)),
                ) {
                    if c.needs_course_of_conduct() {
                        errors.push((pointer, format!("{} needs a course of conduct (two or more occasions); this case has one. Add the other occasions first.", c.as_str())));
                    }
                }
            }
            let stalking_recorded =
                principal.is_stalking() || included.iter().any(|c| c.is_stalking());
            let reason = stalking_ruled_out_reason
                .as_deref()
                .map(str::trim)
                .unwrap_or("");
            if suggestion.stalking_indicated && !stalking_recorded {
                if reason.is_empty() {
                    errors.push((
                        "/stalking_ruled_out_reason".into(),
                        "Stalking indicators are present: give the reason stalking is ruled out, or record stalking.".into(),
                    ));
                } else if reason.chars().count() > 2000 {
                    errors.push((
                        "/stalking_ruled_out_reason".into(),
                        "The reason must be 2000 characters or fewer.".into(),
                    ));
                }
            }
        }
        CrimeDecision::NoCrime { reasons } => text(
            &mut errors,
            "/reasons",
            reasons,
            "the reasons this is not a crime",
            2000,
        ),
    }
    errors
}

/// A crime reference from the force's format: `{force}`, `{year}`, `{seq}` or `{seq:N}` (zero-padded).
pub fn crime_reference(format: &str, force: &str, year: i32, seq: i64) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let field = &rest[start + 1..start + end];
        match field.split_once(':') {
            _ if field == "force" => out.push_str(force),
            _ if field == "year" => out.push_str(&year.to_string()),
            _ if field == "seq" => out.push_str(&seq.to_string()),
            Some(("seq", width)) => out.push_str(&format!(
                "{seq:0width$}",
                width = width.parse().unwrap_or(0)
            )),
            _ => out.push_str(&rest[start..=start + end]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The key that links the same suspect across cases: a police identifier, or else a normalised name
/// with a date of birth. A name alone is too weak to link on.
pub fn suspect_link_key(suspect: &Suspect) -> Option<String> {
    if let Some(id) = suspect
        .police_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        return Some(format!(
            "id:{}",
            id.to_ascii_uppercase().replace([' ', '-', '/'], "")
        ));
    }
    let dob = suspect.date_of_birth.as_deref()?;
    let name: String = suspect
        .name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty() && name != "unknown").then(|| format!("name:{name}|{dob}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Behaviour::*;
    use Suggested::*;

    fn facts(occasions: &[(&[Behaviour], bool)], four: [bool; 4], alarm: bool) -> Facts {
        Facts {
            four: Four {
                fixated: four[0],
                obsessive: four[1],
                unwanted: four[2],
                repeated: four[3],
            },
            serious_alarm_or_distress: alarm,
            occasions: occasions.iter().map(|(b, f)| (b.to_vec(), *f)).collect(),
        }
    }

    #[test]
    fn classification_rules() {
        const NO: [bool; 4] = [false; 4];
        const ALL: [bool; 4] = [true; 4];
        let cases: Vec<(&str, Facts, Suggested)> = vec![
            (
                "one occasion, even with stalking behaviour",
                facts(&[(&[Following], true)], ALL, true),
                NotYetCourseOfConduct,
            ),
            (
                "two occasions, no indicators",
                facts(&[(&[Abuse], false), (&[Threats], false)], NO, false),
                HarassmentS2,
            ),
            (
                "two occasions, fear once",
                facts(&[(&[Abuse], true), (&[Abuse], false)], NO, false),
                HarassmentS2,
            ),
            (
                "two occasions, fear twice",
                facts(&[(&[Threats], true), (&[Threats], true)], NO, false),
                HarassmentS4,
            ),
            (
                "serious alarm without stalking stays harassment",
                facts(&[(&[Abuse], false), (&[Abuse], false)], NO, true),
                HarassmentS2,
            ),
            (
                "a stalking behaviour",
                facts(&[(&[Contacting], false), (&[Abuse], false)], NO, false),
                StalkingS2a,
            ),
            (
                "all four FOUR, no listed behaviour",
                facts(&[(&[Other], false), (&[Other], false)], ALL, false),
                StalkingS2a,
            ),
            (
                "three of FOUR is not enough alone",
                facts(
                    &[(&[Other], false), (&[Other], false)],
                    [true, true, true, false],
                    false,
                ),
                HarassmentS2,
            ),
            (
                "stalking with fear twice",
                facts(
                    &[(&[Loitering], true), (&[WatchingOrSpying], true)],
                    NO,
                    false,
                ),
                StalkingS4a,
            ),
            (
                "stalking with serious alarm",
                facts(&[(&[MonitoringOnlineUse], false), (&[], false)], NO, true),
                StalkingS4a,
            ),
            (
                "stalking, fear once",
                facts(&[(&[Following], true), (&[Following], false)], NO, false),
                StalkingS2a,
            ),
        ];
        for (name, facts, expected) in cases {
            let suggestion = suggest(&facts);
            assert_eq!(
                suggestion.suggested, expected,
                "{name}: {:#?}",
                suggestion.reasons
            );
            assert!(!suggestion.reasons.is_empty());
        }
    }

    #[test]
    fn reasons_name_what_fired() {
        let s = suggest(&facts(
            &[(&[Following, Contacting], true), (&[Following], true)],
            [true; 4],
            false,
        ));
        let all = s.reasons.join(" ");
        for expected in [
            "2 occasions",
            "following",
            "contacting",
            "All four FOUR",
            "2 occasions (two or more)",
            "s.4A",
        ] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
        assert_eq!(s.stalking_behaviours, vec![Following, Contacting]);
    }

    fn suggestion(course: bool, stalking: bool) -> Suggestion {
        let behaviours: &[Behaviour] = if stalking { &[Following] } else { &[Abuse] };
        let occasions: Vec<(&[Behaviour], bool)> = if course {
            vec![(behaviours, false); 2]
        } else {
            vec![(behaviours, false)]
        };
        suggest(&facts(&occasions, [false; 4], false))
    }

    #[test]
    fn recording_harassment_when_stalking_is_indicated_needs_a_reason() {
        let harassment = CrimeDecision::Recorded {
            principal: Classification::HarassmentS2,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        assert_eq!(
            validate_decision(&harassment, &suggestion(true, true))[0].0,
            "/stalking_ruled_out_reason"
        );
        assert!(validate_decision(&harassment, &suggestion(true, false)).is_empty());
        let with_reason = CrimeDecision::Recorded {
            principal: Classification::HarassmentS2,
            included: vec![],
            stalking_ruled_out_reason: Some(
                "Contact was a single mutual friend passing on messages".into(),
            ),
        };
        assert!(validate_decision(&with_reason, &suggestion(true, true)).is_empty());
        // Stalking kept as an included classification under a more serious principal needs no reason.
        let included = CrimeDecision::Recorded {
            principal: Classification::SexualOffence,
            included: vec![Classification::StalkingS4a],
            stalking_ruled_out_reason: None,
        };
        assert!(validate_decision(&included, &suggestion(true, true)).is_empty());
    }

    #[test]
    fn harassment_offences_need_a_course_of_conduct() {
        let decision = CrimeDecision::Recorded {
            principal: Classification::StalkingS2a,
            included: vec![],
            stalking_ruled_out_reason: None,
        };
        assert_eq!(
            validate_decision(&decision, &suggestion(false, true))[0].0,
            "/principal"
        );
        let damage = CrimeDecision::Recorded {
            principal: Classification::CriminalDamage,
            included: vec![Classification::CriminalDamage],
            stalking_ruled_out_reason: None,
        };
        assert_eq!(
            validate_decision(&damage, &suggestion(false, false))[0].0,
            "/included"
        );
        let no_crime = CrimeDecision::NoCrime {
            reasons: " ".into(),
        };
        assert_eq!(
            validate_decision(&no_crime, &suggestion(false, false))[0].0,
            "/reasons"
        );
    }

    #[test]
    fn crime_references_follow_the_force_format() {
        assert_eq!(
            crime_reference("{force}/{year}/{seq:6}", "CB", 2026, 42),
            "CB/2026/000042"
        );
        assert_eq!(crime_reference("{force}-{seq}", "CB", 2026, 7), "CB-7");
        assert_eq!(crime_reference("X{unknown}Y", "CB", 2026, 7), "X{unknown}Y");
    }

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
