//! The problem profile (issue #16): the force's harassment and stalking figures over a period the caller
//! chooses, with the same period a year earlier to compare — aggregates only, no personal data.
//!
//! Definitions (also in the README, "The force's view"):
//! - a **recorded offence** is a case whose crime decision recorded a crime (status `recorded`),
//!   counted in the month of that decision (`decided_at`, UTC), under its principal classification
//!   (s.2, s.2A, s.4, s.4A; anything else is `other`);
//! - **time to decision** runs from the report (`reported_at`) to the decision (`decided_at`) of every
//!   case decided in the period, recorded or no crime;
//! - the **risk level** of a recorded offence is its latest risk assessment's (DASH or any instrument
//!   with purpose `risk`), raised by a supervisor's review where one raised it; none: `not-assessed`;
//! - **repeat victims** are the victims (person records) of the period's recorded offences who are the
//!   victim in two or more cases; **serial perpetrators** are the suspects (person records) of those
//!   offences with two or more victims;
//! - **PINs** are the requests made in the period (refused: refused at once, or declined by a
//!   superintendent); **s.2B warrants** are the search records under the stalking power dated in the
//!   period, counted at each stage they reached (stages, not a partition: a warrant executed was
//!   applied for and granted).
//!
//! Every breakdown of a total sums to that total; `Figures::reconciles` says so and the tests hold it.

pub mod charts;
pub mod store;

use crate::problem::Problem;
use serde::Serialize;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl YearMonth {
    /// `YYYY-MM`, years 2000 to 2999 (no earlier record exists; nothing later is meant).
    pub fn parse(text: &str) -> Option<YearMonth> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4
            || month.len() != 2
            || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month: u8 = month.parse().ok()?;
        ((2000..=2999).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }

    /// This month plus `n` months (negative: earlier).
    pub fn plus(self, n: i32) -> YearMonth {
        let index = self.year * 12 + i32::from(self.month) - 1 + n;
        YearMonth {
            year: index.div_euclid(12),
            month: (index.rem_euclid(12) + 1) as u8,
        }
    }

    /// Months from `self` to `other`, counting both (1 for the same month).
    pub fn months_to(self, other: YearMonth) -> i32 {
        (other.year * 12 + i32::from(other.month)) - (self.year * 12 + i32::from(self.month)) + 1
    }

    /// The month's first instant, in the records' timestamp form.
    pub fn start(self) -> String {
        format!("{:04}-{:02}-01T00:00:00.000000Z", self.year, self.month)
    }

    /// The month's first day, `YYYY-MM-DD` (search records are dated by day).
    pub fn first_day(self) -> String {
        format!("{:04}-{:02}-01", self.year, self.month)
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Months `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: YearMonth,
    pub to: YearMonth,
}

/// The longest period one profile covers: five years of months.
pub const MAX_MONTHS: i32 = 60;

impl Period {
    pub fn months(self) -> Vec<YearMonth> {
        (0..self.from.months_to(self.to))
            .map(|i| self.from.plus(i))
            .collect()
    }

    /// The same months a year earlier.
    pub fn year_before(self) -> Period {
        Period {
            from: self.from.plus(-12),
            to: self.to.plus(-12),
        }
    }

    /// `[start, end)` as timestamps: from the first month's start to the start of the month after the last.
    pub fn bounds(self) -> (String, String) {
        (self.from.start(), self.to.plus(1).start())
    }

    /// The same as dates, `[first day, first day after)`.
    pub fn day_bounds(self) -> (String, String) {
        (self.from.first_day(), self.to.plus(1).first_day())
    }
}

/// What to compare the period with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    /// Nothing.
    None,
    /// The same months a year earlier.
    PreviousYear,
}

/// A profile asked for: the period and the comparison, parsed from the query's `from`, `to` and `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub period: Period,
    pub compare: Compare,
}

fn invalid(detail: String) -> Problem {
    Problem::new(400, "invalid-query", "Invalid query parameter").with_detail(detail)
}

impl Request {
    /// Strictly: `from` and `to` are required months, `from` not after `to`, at most [`MAX_MONTHS`];
    /// `compare` is `previous-year` or `none` (the default). Each refusal names the parameter.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        compare: Option<&str>,
    ) -> Result<Request, Problem> {
        let month = |name: &str, value: Option<&str>| match value {
            None => Err(invalid(format!("`{name}` is required: a month, YYYY-MM."))),
            Some(v) => YearMonth::parse(v).ok_or_else(|| {
                invalid(format!(
                    "`{name}` must be a month, YYYY-MM (2000-01 to 2999-12)."
                ))
            }),
        };
        let from = month("from", from)?;
        let to = month("to", to)?;
        if from > to {
            return Err(invalid("`to` must not be before `from`.".into()));
        }
        if from.months_to(to) > MAX_MONTHS {
            return Err(invalid(format!(
                "`to` must be at most {MAX_MONTHS} months from `from`."
            )));
        }
        let compare = match compare {
            None | Some("none") => Compare::None,
            Some("previous-year") => Compare::PreviousYear,
            Some(_) => return Err(invalid("`compare` is `previous-year` or `none`.".into())),
        };
        Ok(Request {
            period: Period { from, to },
            compare,
        })
    }
}

/// The principal classifications the profile names; every other is `other`.
pub const CLASSIFICATIONS: [&str; 5] = [
    "harassment-s2",
    "stalking-s2a",
    "harassment-s4",
    "stalking-s4a",
    "other",
];
/// Risk levels, highest first, and `not-assessed`.
pub const RISK_LEVELS: [&str; 4] = ["high", "medium", "standard", "not-assessed"];
/// The time-to-decision bands: upper bounds in hours (the last has none).
pub const DECISION_BANDS: [(&str, Option<f64>); 6] = [
    ("up to 6 hours", Some(6.0)),
    ("6 to 12 hours", Some(12.0)),
    ("12 to 24 hours", Some(24.0)),
    ("24 to 48 hours", Some(48.0)),
    ("2 to 7 days", Some(168.0)),
    ("over 7 days", None),
];

/// A count under a name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub name: String,
    pub count: i64,
}

fn counts(names: &[&str], of: impl Fn(&str) -> i64) -> Vec<Count> {
    names
        .iter()
        .map(|n| Count {
            name: (*n).to_string(),
            count: of(n),
        })
        .collect()
}

/// What the store counts for one period: the raw material of [`Figures`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// (month `YYYY-MM`, principal classification or `None`, domestic abuse) → recorded offences.
    pub recorded: Vec<(String, Option<String>, bool, i64)>,
    /// Risk level (or `not-assessed`) → recorded offences.
    pub risk: Vec<(String, i64)>,
    /// Distinct victims of the period's recorded offences, and of those the repeat victims.
    pub victims: (i64, i64),
    /// Distinct suspects of the period's recorded offences, and of those the serial perpetrators.
    pub suspects: (i64, i64),
    /// Cases decided in the period: recorded, no crime; per band (in [`DECISION_BANDS`] order).
    pub decided: (i64, i64),
    pub bands: Vec<i64>,
    /// The median hours from report to decision, when any case was decided.
    pub median_hours: Option<f64>,
    /// PIN requests by status.
    pub pins: Vec<(String, i64)>,
    /// s.2B warrant search records: records, applied, granted, executed, compliant.
    pub warrants: [i64; 5],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Domestic {
    pub domestic: i64,
    pub non_domestic: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct People {
    pub total: i64,
    /// Repeat victims, or serial perpetrators.
    pub repeat: i64,
    pub other: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decisions {
    pub total: i64,
    pub recorded: i64,
    pub no_crime: i64,
    pub median_hours: Option<f64>,
    pub within_24_hours: i64,
    /// Percent of decisions within 24 hours, one decimal.
    pub percent_within_24_hours: Option<f64>,
    pub bands: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pins {
    pub requested: i64,
    /// Refused at once, or declined by a superintendent.
    pub refused: i64,
    pub authorised: i64,
    pub pending: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warrants {
    /// Search records under s.2B dated in the period.
    pub records: i64,
    pub applied: i64,
    pub granted: i64,
    pub executed: i64,
    /// Compliant as last worked out (a record's compliance is worked out when it is listed or read).
    pub compliant: i64,
}

/// One period's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub period: Period,
    pub recorded_offences: i64,
    /// Per 1,000 people the force serves (`force_population`), two decimals; `None` when unknown.
    pub rate_per_1000: Option<f64>,
    /// Recorded offences per month, every month of the period.
    pub by_month: Vec<MonthCount>,
    /// Recorded offences per calendar year the period touches.
    pub by_year: Vec<YearCount>,
    pub by_classification: Vec<Count>,
    pub domestic_abuse: Domestic,
    pub risk_levels: Vec<Count>,
    pub victims: People,
    pub perpetrators: People,
    pub decisions: Decisions,
    pub pins: Pins,
    pub s2b_warrants: Warrants,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthCount {
    pub month: YearMonth,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearCount {
    pub year: i32,
    pub count: i64,
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

/// The change from `before` to `now` in percent, one decimal; none from nothing.
pub fn change_percent(before: i64, now: i64) -> Option<f64> {
    (before > 0).then(|| round((now - before) as f64 * 100.0 / before as f64, 1))
}

impl Figures {
    /// The figures from what the store counted.
    pub fn of(period: Period, tally: &Tally, population: Option<u64>) -> Figures {
        let recorded_offences: i64 = tally.recorded.iter().map(|r| r.3).sum();
        let by_month = period
            .months()
            .into_iter()
            .map(|m| {
                let key = m.to_string();
                MonthCount {
                    month: m,
                    count: tally
                        .recorded
                        .iter()
                        .filter(|r| r.0 == key)
                        .map(|r| r.3)
                        .sum(),
                }
            })
            .collect::<Vec<_>>();
        let mut by_year: Vec<YearCount> = Vec::new();
        for m in &by_month {
            match by_year.last_mut() {
                Some(y) if y.year == m.month.year => y.count += m.count,
                _ => by_year.push(YearCount {
                    year: m.month.year,
                    count: m.count,
                }),
            }
        }
        let class_of = |c: &Option<String>| match c.as_deref() {
            Some(c) if CLASSIFICATIONS[..4].contains(&c) => c.to_string(),
            _ => "other".to_string(),
        };
        let by_classification = counts(&CLASSIFICATIONS, |name| {
            tally
                .recorded
                .iter()
                .filter(|r| class_of(&r.1) == name)
                .map(|r| r.3)
                .sum()
        });
        let domestic: i64 = tally.recorded.iter().filter(|r| r.2).map(|r| r.3).sum();
        let risk_levels = counts(&RISK_LEVELS, |name| {
            tally
                .risk
                .iter()
                .filter(|(l, _)| l == name)
                .map(|(_, n)| n)
                .sum()
        });
        let (decided_recorded, no_crime) = tally.decided;
        let total_decided = decided_recorded + no_crime;
        let within = tally.bands.iter().take(3).sum::<i64>();
        let bands = DECISION_BANDS
            .iter()
            .enumerate()
            .map(|(i, (name, _))| Count {
                name: (*name).to_string(),
                count: tally.bands.get(i).copied().unwrap_or(0),
            })
            .collect();
        let pin = |status: &str| -> i64 {
            tally
                .pins
                .iter()
                .filter(|(s, _)| s == status)
                .map(|(_, n)| n)
                .sum()
        };
        let [records, applied, granted, executed, compliant] = tally.warrants;
        Figures {
            period,
            recorded_offences,
            rate_per_1000: population
                .map(|p| round(recorded_offences as f64 * 1000.0 / p as f64, 2)),
            by_month,
            by_year,
            by_classification,
            domestic_abuse: Domestic {
                domestic,
                non_domestic: recorded_offences - domestic,
            },
            risk_levels,
            victims: People {
                total: tally.victims.0,
                repeat: tally.victims.1,
                other: tally.victims.0 - tally.victims.1,
            },
            perpetrators: People {
                total: tally.suspects.0,
                repeat: tally.suspects.1,
                other: tally.suspects.0 - tally.suspects.1,
            },
            decisions: Decisions {
                total: total_decided,
                recorded: decided_recorded,
                no_crime,
                median_hours: tally.median_hours.map(|h| round(h, 1)),
                within_24_hours: within,
                percent_within_24_hours: (total_decided > 0)
                    .then(|| round(within as f64 * 100.0 / total_decided as f64, 1)),
                bands,
            },
            pins: Pins {
                requested: tally.pins.iter().map(|(_, n)| n).sum(),
                refused: pin("refused") + pin("declined"),
                authorised: pin("authorised"),
                pending: pin("pending"),
            },
            s2b_warrants: Warrants {
                records,
                applied,
                granted,
                executed,
                compliant,
            },
        }
    }

    /// Every breakdown that sums to a total, as (what, sum, total): the test of a profile's figures.
    pub fn sums(&self) -> Vec<(&'static str, i64, i64)> {
        let total = self.recorded_offences;
        let sum = |c: &[Count]| c.iter().map(|c| c.count).sum::<i64>();
        vec![
            (
                "by_month",
                self.by_month.iter().map(|m| m.count).sum(),
                total,
            ),
            ("by_year", self.by_year.iter().map(|y| y.count).sum(), total),
            ("by_classification", sum(&self.by_classification), total),
            (
                "domestic_abuse",
                self.domestic_abuse.domestic + self.domestic_abuse.non_domestic,
                total,
            ),
            ("risk_levels", sum(&self.risk_levels), total),
            (
                "victims",
                self.victims.repeat + self.victims.other,
                self.victims.total,
            ),
            (
                "perpetrators",
                self.perpetrators.repeat + self.perpetrators.other,
                self.perpetrators.total,
            ),
            (
                "decisions",
                self.decisions.recorded + self.decisions.no_crime,
                self.decisions.total,
            ),
            (
                "decisions.bands",
                sum(&self.decisions.bands),
                self.decisions.total,
            ),
            (
                "pins",
                self.pins.refused + self.pins.authorised + self.pins.pending,
                self.pins.requested,
            ),
        ]
    }

    /// Whether every breakdown sums to its total.
    pub fn reconciles(&self) -> bool {
        self.sums().iter().all(|(_, sum, total)| sum == total)
    }
}

/// The change in recorded offences from the earlier period to this one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub recorded_offences_before: i64,
    pub recorded_offences: i64,
    /// Percent, one decimal; `None` when the earlier period had none.
    pub percent: Option<f64>,
}

/// The problem profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub period: Period,
    pub compare: Compare,
    /// The population the rate is per 1,000 of (`force_population`); `None`: unknown.
    pub population: Option<u64>,
    pub figures: Figures,
    /// The same months a year earlier, when asked for.
    pub previous_year: Option<Figures>,
    pub year_on_year: Option<Change>,
}

impl Profile {
    pub fn of(
        request: Request,
        population: Option<u64>,
        now: &Tally,
        before: Option<&Tally>,
    ) -> Profile {
        let figures = Figures::of(request.period, now, population);
        let previous_year =
            before.map(|t| Figures::of(request.period.year_before(), t, population));
        let year_on_year = previous_year.as_ref().map(|p| Change {
            recorded_offences_before: p.recorded_offences,
            recorded_offences: figures.recorded_offences,
            percent: change_percent(p.recorded_offences, figures.recorded_offences),
        });
        Profile {
            period: request.period,
            compare: request.compare,
            population,
            figures,
            previous_year,
            year_on_year,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> YearMonth {
        YearMonth::parse(text).unwrap()
    }

    #[test]
    fn months_parse_strictly_and_count() {
        for bad in [
            "2025-1",
            "2025-13",
            "2025-00",
            "25-01",
            "2025-01-01",
            "1999-12",
            "２０２５-01",
            "",
        ] {
            assert_eq!(YearMonth::parse(bad), None, "{bad}");
        }
        assert_eq!(month("2025-12").plus(1), month("2026-01"));
        assert_eq!(month("2026-01").plus(-12), month("2025-01"));
        assert_eq!(month("2025-01").months_to(month("2025-12")), 12);
        assert_eq!(month("2025-03").start(), "2025-03-01T00:00:00.000000Z");
        let period = Period {
            from: month("2025-11"),
            to: month("2026-02"),
        };
        assert_eq!(period.bounds().1, "2026-03-01T00:00:00.000000Z");
        assert_eq!(period.months().len(), 4);
    }

    #[test]
    fn a_request_names_the_parameter_it_refuses() {
        let detail = |f: Option<&str>, t: Option<&str>, c: Option<&str>| {
            Request::parse(f, t, c).unwrap_err().detail.unwrap()
        };
        assert!(detail(None, Some("2025-01"), None).starts_with("`from`"));
        assert!(detail(Some("2025-01"), Some("2025-1"), None).starts_with("`to`"));
        assert!(detail(Some("2025-02"), Some("2025-01"), None).starts_with("`to`"));
        assert!(detail(Some("2020-01"), Some("2025-01"), None).starts_with("`to`"));
        assert!(
            detail(Some("2025-01"), Some("2025-01"), Some("last-year")).starts_with("`compare`")
        );
        let ok = Request::parse(Some("2024-07"), Some("2025-06"), Some("previous-year")).unwrap();
        assert_eq!(ok.compare, Compare::PreviousYear);
        assert_eq!(ok.period.year_before().from, month("2023-07"));
    }

    #[test]
    fn the_change_is_in_percent_to_one_decimal() {
        assert_eq!(change_percent(1190, 2061), Some(73.2));
        assert_eq!(change_percent(100, 50), Some(-50.0));
        assert_eq!(change_percent(0, 5), None);
    }

    #[test]
    fn figures_sum_to_their_totals() {
        let tally = Tally {
            recorded: vec![
                ("2025-01".into(), Some("stalking-s2a".into()), true, 3),
                ("2025-02".into(), Some("harassment-s2".into()), false, 2),
                ("2025-02".into(), Some("assault".into()), false, 1),
                ("2025-02".into(), None, true, 1),
            ],
            risk: vec![("high".into(), 2), ("not-assessed".into(), 5)],
            victims: (6, 1),
            suspects: (7, 2),
            decided: (7, 3),
            bands: vec![4, 2, 1, 1, 1, 1],
            median_hours: Some(7.25),
            pins: vec![
                ("refused".into(), 2),
                ("declined".into(), 1),
                ("authorised".into(), 1),
            ],
            warrants: [3, 3, 2, 1, 1],
        };
        let period = Period {
            from: month("2024-12"),
            to: month("2025-02"),
        };
        let figures = Figures::of(period, &tally, Some(10_000));
        assert_eq!(figures.recorded_offences, 7);
        assert_eq!(figures.rate_per_1000, Some(0.7));
        assert_eq!(
            figures.by_month.iter().map(|m| m.count).collect::<Vec<_>>(),
            [0, 3, 4]
        );
        assert_eq!(figures.by_year.len(), 2);
        assert_eq!(
            figures.by_classification[4].count, 2,
            "assault and none are other"
        );
        assert_eq!(figures.domestic_abuse.domestic, 4);
        assert_eq!(figures.decisions.within_24_hours, 7);
        assert_eq!(figures.decisions.percent_within_24_hours, Some(70.0));
        assert_eq!(figures.decisions.median_hours, Some(7.3));
        assert_eq!(figures.pins.refused, 3);
        assert!(figures.reconciles(), "{:?}", figures.sums());
        let mut broken = figures.clone();
        broken.risk_levels[0].count += 1;
        assert!(!broken.reconciles());
    }
}
