//! The force's risk policy, from its Spin variables, every value parsed: the count bands per
//! instrument, what makes a referral to each agency due, when it is overdue and who receives it, review
//! intervals, supervisor review, and the optional screening rule. A value that does not parse is an
//! error naming its variable, never a default.

use crate::risk::scoring::Level;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Count thresholds: at or above `high` is high, at or above `medium` is medium, else standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bands {
    pub medium: u32,
    pub high: u32,
}

impl Bands {
    pub fn level(self, score: u32) -> Level {
        if score >= self.high {
            Level::High
        } else if score >= self.medium {
            Level::Medium
        } else {
            Level::Standard
        }
    }

    pub(crate) fn describe(self, level: Level) -> String {
        match level {
            Level::High => format!("{} or more", self.high),
            Level::Medium => format!("{} to {}", self.medium, self.high - 1),
            Level::Standard => format!("below {}", self.medium),
        }
    }
}

/// What makes a referral to an agency due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    Level(Level),
    /// Potential escalation: enough incidents for the pair in the window (or a local screening rule).
    Escalation,
    /// An earlier MARAC referral for the same pair within the window (SafeLives' repeat definition).
    Repeat,
}

impl Trigger {
    fn parse(text: &str) -> Option<Trigger> {
        match text {
            "escalation" => Some(Trigger::Escalation),
            "repeat" => Some(Trigger::Repeat),
            other => Level::parse(other).map(Trigger::Level),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trigger::Level(level) => level.as_str(),
            Trigger::Escalation => "escalation",
            Trigger::Repeat => "repeat",
        }
    }
}

/// A force's local rule on the stalking screening: escalation when any of these items is "yes", or
/// when at least this many are. Off unless configured: there is no national cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningRule {
    pub any_of: Vec<String>,
    pub at_least: Option<u32>,
}

/// An agency referrals go to (`mash`, `marac`, `idva`…), as the force's policy names it: 1 to 32
/// lower-case letters, digits and hyphens. Built only by parsing, so a policy key or a stored referral
/// cannot name an agency that is not one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Agency(String);

impl Agency {
    pub fn parse(text: &str) -> Option<Agency> {
        let valid = (1..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Agency(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Agency {
    type Error = String;
    fn try_from(text: String) -> Result<Agency, String> {
        Agency::parse(&text).ok_or_else(|| format!("`{text}` is not an agency"))
    }
}

impl From<Agency> for String {
    fn from(agency: Agency) -> String {
        agency.0
    }
}

impl std::borrow::Borrow<str> for Agency {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Agency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for Agency {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The force's risk policy, from Spin variables. Every default is here, once (spin.toml repeats them
/// so that a deployment can see them; a test keeps the two the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub bands: BTreeMap<String, Bands>,
    pub escalation_incidents: u32,
    pub escalation_window_days: i64,
    pub referrals: Vec<(Agency, Vec<Trigger>)>,
    /// Hours from creation to due, by agency and level (`mash.high`), or agency alone (`mash`).
    pub referral_due_hours: BTreeMap<(Agency, Option<Level>), i64>,
    /// Partner system (token subject) that receives each agency's referrals.
    pub recipients: BTreeMap<Agency, String>,
    /// Days to the next review, by level name, and `screening` for the stalking screening.
    pub review_days: BTreeMap<String, i64>,
    pub supervisor_review_hours: BTreeMap<Level, i64>,
    pub screening_rule: Option<ScreeningRule>,
}

/// (variable, default): the policy's Spin variables.
pub const POLICY_VARIABLES: &[(&str, &str)] = &[
    ("risk_bands", "dash: medium=10, high=14"),
    ("risk_escalation_incidents", "3"),
    ("risk_escalation_window_days", "365"),
    (
        "risk_referrals",
        "mash=medium,high; marac=high,escalation,repeat",
    ),
    ("risk_referral_due_hours", "mash.high=4, mash=24, marac=48"),
    ("risk_referral_recipients", "mash=mash, marac=marac"),
    (
        "risk_review_days",
        "high=7, medium=28, standard=90, screening=28",
    ),
    ("risk_supervisor_review_hours", "high=24"),
    ("risk_screening_escalation", ""),
];

/// `key=value` pairs separated by `separator`; whitespace is ignored.
fn pairs(text: &str, separator: char) -> Result<Vec<(String, String)>, String> {
    text.split(separator)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| format!("`{pair}` is not key=value"))
        })
        .collect()
}

fn positive(name: &str, value: &str) -> Result<i64, String> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{name}: `{value}` is not a whole number above 0"))
}

impl Policy {
    /// The policy from the force's settings (`setting(name)` gives a variable's value, if set);
    /// an error names the variable and what is wrong with it.
    pub fn from_settings(setting: impl Fn(&str) -> Option<String>) -> Result<Policy, String> {
        let get = |name: &str| {
            setting(name).unwrap_or_else(|| {
                POLICY_VARIABLES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, d)| d.to_string())
                    .unwrap_or_default()
            })
        };
        let mut bands = BTreeMap::new();
        for entry in get("risk_bands")
            .split(';')
            .filter(|e| !e.trim().is_empty())
        {
            let (instrument, thresholds) = entry.split_once(':').ok_or_else(|| {
                format!("risk_bands: `{entry}` is not instrument: medium=N, high=N")
            })?;
            let mut levels = BTreeMap::new();
            for (level, value) in pairs(thresholds, ',').map_err(|e| format!("risk_bands: {e}"))? {
                levels.insert(level, value);
            }
            let threshold = |level: &str| {
                levels
                    .get(level)
                    .ok_or_else(|| format!("risk_bands: {} needs {level}=N", instrument.trim()))
                    .and_then(|v| positive("risk_bands", v))
                    .map(|n| n as u32)
            };
            let (medium, high) = (threshold("medium")?, threshold("high")?);
            if medium >= high {
                return Err(format!(
                    "risk_bands: {} has medium={medium} not below high={high}",
                    instrument.trim()
                ));
            }
            bands.insert(instrument.trim().to_string(), Bands { medium, high });
        }
        let mut referrals = Vec::new();
        for (agency, triggers) in
            pairs(&get("risk_referrals"), ';').map_err(|e| format!("risk_referrals: {e}"))?
        {
            let triggers = triggers
                .split(',')
                .map(str::trim)
                .map(|t| {
                    Trigger::parse(t).ok_or_else(|| {
                        format!("risk_referrals: `{t}` is not standard, medium, high, escalation or repeat")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let agency = Agency::parse(&agency).ok_or_else(|| {
                format!("risk_referrals: `{agency}` is not an agency (lower-case letters, digits, hyphens)")
            })?;
            referrals.push((agency, triggers));
        }
        // Maps are filled by `insert` rather than collected: collecting sorts, and each sort is its
        // own code (the last of a repeated key wins either way).
        let numbers = |name: &str| -> Result<BTreeMap<String, i64>, String> {
            let mut numbers = BTreeMap::new();
            for (k, v) in pairs(&get(name), ',').map_err(|e| format!("{name}: {e}"))? {
                numbers.insert(k, positive(name, &v)?);
            }
            Ok(numbers)
        };
        let review_days = numbers("risk_review_days")?;
        for key in ["high", "medium", "standard", "screening"] {
            if !review_days.contains_key(key) {
                return Err(format!("risk_review_days: needs {key}=N"));
            }
        }
        let mut supervisor_review_hours = BTreeMap::new();
        for (level, hours) in numbers("risk_supervisor_review_hours")? {
            let level = Level::parse(&level).ok_or_else(|| {
                format!("risk_supervisor_review_hours: `{level}` is not standard, medium or high")
            })?;
            supervisor_review_hours.insert(level, hours);
        }
        let mut referral_due_hours = BTreeMap::new();
        for (key, hours) in numbers("risk_referral_due_hours")? {
            let (agency, level) = match key.split_once('.') {
                Some((agency, level)) => (agency, Some(level)),
                None => (key.as_str(), None),
            };
            let agency = Agency::parse(agency);
            let level = level.map(|l| Level::parse(l).ok_or(()));
            let key = match (agency, level) {
                (Some(agency), None) => (agency, None),
                (Some(agency), Some(Ok(level))) => (agency, Some(level)),
                _ => {
                    return Err(format!(
                        "risk_referral_due_hours: `{key}` is not `agency` or `agency.level` (standard, medium or high)"
                    ));
                }
            };
            referral_due_hours.insert(key, hours);
        }
        let mut recipients = BTreeMap::new();
        for (agency, recipient) in pairs(&get("risk_referral_recipients"), ',')
            .map_err(|e| format!("risk_referral_recipients: {e}"))?
        {
            let agency = Agency::parse(&agency)
                .ok_or_else(|| format!("risk_referral_recipients: `{agency}` is not an agency"))?;
            recipients.insert(agency, recipient);
        }
        for (agency, _) in &referrals {
            if !referral_due_hours.contains_key(&(agency.clone(), None)) {
                return Err(format!("risk_referral_due_hours: needs {agency}=N"));
            }
            if !recipients.contains_key(agency) {
                return Err(format!(
                    "risk_referral_recipients: needs {agency}=<partner>"
                ));
            }
        }
        let screening_rule = {
            let rule = get("risk_screening_escalation");
            if rule.trim().is_empty() {
                None
            } else {
                let mut parsed = ScreeningRule {
                    any_of: Vec::new(),
                    at_least: None,
                };
                for (key, value) in
                    pairs(&rule, ';').map_err(|e| format!("risk_screening_escalation: {e}"))?
                {
                    match key.as_str() {
                        "any" => {
                            parsed.any_of = value.split(',').map(|v| v.trim().to_string()).collect()
                        }
                        "at_least" => {
                            parsed.at_least =
                                Some(positive("risk_screening_escalation", &value)? as u32)
                        }
                        other => {
                            return Err(format!(
                                "risk_screening_escalation: `{other}` is not any or at_least"
                            ));
                        }
                    }
                }
                Some(parsed)
            }
        };
        Ok(Policy {
            bands,
            escalation_incidents: positive(
                "risk_escalation_incidents",
                &get("risk_escalation_incidents"),
            )? as u32,
            escalation_window_days: positive(
                "risk_escalation_window_days",
                &get("risk_escalation_window_days"),
            )?,
            referrals,
            referral_due_hours,
            recipients,
            review_days,
            supervisor_review_hours,
            screening_rule,
        })
    }

    /// Hours until a referral to `agency` at `level` is overdue: the `agency.level` figure, else the
    /// agency's (which parsing made sure every agency in the policy has).
    pub fn referral_due_hours(&self, agency: &Agency, level: Option<Level>) -> i64 {
        let of = |level| self.referral_due_hours.get(&(agency.clone(), level));
        level
            .and_then(|l| of(Some(l)))
            .or_else(|| of(None))
            .copied()
            .unwrap_or(24)
    }
}
