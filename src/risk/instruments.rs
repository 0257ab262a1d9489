//! Risk instruments as versioned data: the DASH, the S-DASH, and whatever a force adds. Each is a JSON
//! file under `instruments/`, embedded at build time; the scoring code reads only what the file says
//! (which questions count, which answers call for the stalking screening), never a question id.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

mod files {
    include!(concat!(env!("OUT_DIR"), "/instrument_files.rs"));
}

/// What an instrument is for, and so what its result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// A risk identification checklist: its count of "yes" answers is banded into a risk level.
    Risk,
    /// A stalking screening (S-DASH): the count and the items, with no national cut-off.
    StalkingScreening,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Risk => "risk",
            Purpose::StalkingScreening => "stalking-screening",
        }
    }
}

impl std::str::FromStr for Purpose {
    type Err = ();

    fn from_str(text: &str) -> Result<Purpose, ()> {
        [Purpose::Risk, Purpose::StalkingScreening]
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: String,
    pub version: String,
    pub title: String,
    pub purpose: Purpose,
    #[serde(default)]
    pub notes: String,
    pub sections: Vec<Section>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub number: u32,
    pub section: String,
    pub text: String,
    /// Whether a "yes" counts towards the score.
    pub scored: bool,
    /// A multi-part question is answered part by part; it counts as "yes" when any part is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    /// A "yes" here makes another instrument due (DASH Q8, the stalking trigger, calls for the S-DASH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yes_requires: Option<Purpose>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub id: String,
    pub text: String,
}

/// Every instrument this build knows, parsed once. The files are checked by the tests below, so a
/// malformed file cannot ship.
pub fn catalogue() -> &'static [Instrument] {
    static PARSED: OnceLock<Vec<Instrument>> = OnceLock::new();
    PARSED.get_or_init(|| {
        files::FILES
            .iter()
            .map(|(name, text)| {
                crate::decode::from_json(text.as_bytes())
                    .unwrap_or_else(|e| panic!("instrument file {name} is invalid: {e}"))
            })
            .collect()
    })
}

pub fn find(id: &str, version: &str) -> Option<&'static Instrument> {
    catalogue()
        .iter()
        .find(|i| i.id == id && i.version == version)
}

/// The versions of an instrument, in catalogue order.
pub fn versions(id: &str) -> Vec<&'static str> {
    catalogue()
        .iter()
        .filter(|i| i.id == id)
        .map(|i| i.version.as_str())
        .collect()
}

/// The instrument a force uses for a purpose: the first in the catalogue (files sort by name).
pub fn for_purpose(purpose: Purpose) -> Option<&'static Instrument> {
    catalogue().iter().find(|i| i.purpose == purpose)
}

impl Instrument {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// How many questions count towards the score: the highest score possible.
    pub fn scored_questions(&self) -> usize {
        self.questions.iter().filter(|q| q.scored).count()
    }

    /// Problems with the file itself: what the tests hold every instrument to.
    pub fn defects(&self) -> Vec<String> {
        let mut defects = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for (index, q) in self.questions.iter().enumerate() {
            if !ids.insert(q.id.as_str()) {
                defects.push(format!("question id {} repeats", q.id));
            }
            if q.number as usize != index + 1 {
                defects.push(format!("question {} is numbered {}", index + 1, q.number));
            }
            if !self.sections.iter().any(|s| s.id == q.section) {
                defects.push(format!("{} names an unknown section {}", q.id, q.section));
            }
            if q.text.trim().is_empty() {
                defects.push(format!("{} has no wording", q.id));
            }
            let mut parts = std::collections::BTreeSet::new();
            if q.parts.iter().any(|p| !parts.insert(p.id.as_str())) {
                defects.push(format!("{} repeats a part id", q.id));
            }
        }
        if self.questions.is_empty() {
            defects.push("no questions".into());
        }
        defects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instrument_file_is_well_formed_and_unique() {
        let all = catalogue();
        assert!(all.len() >= 2);
        for instrument in all {
            assert_eq!(
                instrument.defects(),
                Vec::<String>::new(),
                "{}",
                instrument.id
            );
            let same = all
                .iter()
                .filter(|i| i.id == instrument.id && i.version == instrument.version)
                .count();
            assert_eq!(same, 1, "{} {} repeats", instrument.id, instrument.version);
        }
    }

    #[test]
    fn the_police_dash_has_27_questions_in_four_sections_with_the_stalking_trigger_at_q8() {
        let dash = find("dash", "2009-police").unwrap();
        assert_eq!(dash.purpose, Purpose::Risk);
        assert_eq!(dash.questions.len(), 27);
        assert_eq!(dash.sections.len(), 4);
        let q8 = dash.question("q8").unwrap();
        assert_eq!(q8.yes_requires, Some(Purpose::StalkingScreening));
        assert_eq!(dash.question("q3").unwrap().parts.len(), 6);
        assert_eq!(dash.scored_questions(), 26);
    }

    #[test]
    fn the_s_dash_has_11_scored_questions() {
        let sdash = find("s-dash", "2009").unwrap();
        assert_eq!(sdash.purpose, Purpose::StalkingScreening);
        assert_eq!(sdash.questions.len(), 11);
        assert_eq!(sdash.scored_questions(), 11);
        assert_eq!(
            for_purpose(Purpose::StalkingScreening).unwrap().id,
            "s-dash"
        );
        assert_eq!(versions("s-dash"), ["2009"]);
    }

    #[test]
    fn defects_are_found() {
        let mut broken = find("s-dash", "2009").unwrap().clone();
        broken.questions[1].id = "s1".into();
        broken.questions[2].number = 9;
        broken.questions[3].section = "nowhere".into();
        assert_eq!(broken.defects().len(), 3, "{:?}", broken.defects());
    }
}
