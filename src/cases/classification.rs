//! Stalking first: the classification suggested by a case's facts, as a pure, explained function, and
//! the crime classifications a case may be recorded with.

use crate::cases::intake::{Behaviour, Four};
use serde::Serialize;

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

crate::vocabulary! {
    /// Crime classifications a case may be recorded with: principal and included.
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
}

impl Classification {
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
    fn classification_words_are_the_json_words() {
        for c in Classification::iter() {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json, c.as_str(), "{c:?}");
            assert_eq!(Classification::parse(c.as_str()), Some(c));
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
}
