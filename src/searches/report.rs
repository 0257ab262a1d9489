//! The search-records compliance report for a period (the performance meeting's figures and its
//! breaches), and the same as CSV: worked out from the searches and their compliance, no storage.

use super::store::Search;
use super::{Compliance, Power, RuleOutcome, Status};
use crate::ids::SearchId;
use serde::Serialize;
use std::collections::BTreeMap;

/// A breach, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    pub search_id: SearchId,
    pub case_id: String,
    pub power: Power,
    pub searched_on: String,
    pub rule: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applications {
    pub made: usize,
    pub granted: usize,
    pub refused: usize,
    pub awaiting_decision: usize,
}

/// The compliance report for a period, for the performance meeting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub searches: usize,
    pub by_power: BTreeMap<Power, usize>,
    pub warrant_applications: Applications,
    pub executed: usize,
    pub returned_late: usize,
    pub fully_compliant: usize,
    /// `fully_compliant / searches`; none when there were no searches.
    pub share_fully_compliant: Option<f64>,
    pub breaches: Vec<Breach>,
}

/// Builds the report from the period's searches and their compliance.
pub fn for_period(from: &str, to: &str, searches: &[(Search, Compliance)]) -> Report {
    let mut by_power = BTreeMap::new();
    let mut applications = Applications::default();
    let mut report = Report {
        from: from.into(),
        to: to.into(),
        searches: searches.len(),
        by_power: BTreeMap::new(),
        warrant_applications: Applications::default(),
        executed: 0,
        returned_late: 0,
        fully_compliant: 0,
        share_fully_compliant: None,
        breaches: Vec::new(),
    };
    for (search, compliance) in searches {
        let record = &search.record;
        *by_power.entry(record.power).or_insert(0) += 1;
        if record.application.is_some() {
            applications.made += 1;
            match record.decision.as_ref().map(|d| d.outcome) {
                Some(super::Outcome::Granted) => applications.granted += 1,
                Some(super::Outcome::Refused) => applications.refused += 1,
                None => applications.awaiting_decision += 1,
            }
        }
        report.executed += usize::from(record.execution.is_some());
        report.returned_late += usize::from(compliance.returned_late());
        report.fully_compliant += usize::from(compliance.status == Status::Compliant);
        for rule in compliance
            .rules
            .iter()
            .filter(|r| r.outcome == RuleOutcome::Breached)
        {
            report.breaches.push(Breach {
                search_id: search.id.clone(),
                case_id: record.case_id.clone(),
                power: record.power,
                searched_on: search.searched_on.clone(),
                rule: rule.rule.into(),
                detail: rule.detail.clone(),
            });
        }
    }
    report.by_power = by_power;
    report.warrant_applications = applications;
    report.share_fully_compliant =
        (!searches.is_empty()).then(|| report.fully_compliant as f64 / searches.len() as f64);
    report
}

/// RFC 4180 with every field quoted (a `"` in it doubled) and CRLF line ends, each field
/// [`defused`]: as the `csv` crate wrote it with `QuoteStyle::Always` (whose writer, with the number
/// parser its other quote styles need, was about 20 kB of the searches component).
fn csv(rows: Vec<Vec<String>>) -> String {
    let mut text = String::new();
    for row in rows {
        if row.is_empty() {
            // An empty record is one empty field, so that it reads back as a record.
            text.push_str("\"\"");
        }
        for (i, field) in row.into_iter().map(defused).enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push('"');
            text.push_str(&field.replace('"', "\"\""));
            text.push('"');
        }
        text.push_str("\r\n");
    }
    text
}

/// The characters a spreadsheet may take a cell's formula to start with (OWASP, CSV injection):
/// `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The field, prefixed with `'` when it starts like a formula, so that a spreadsheet shows it as text
/// and never runs it.
fn defused(field: String) -> String {
    if field.starts_with(FORMULA_STARTS) {
        format!("'{field}")
    } else {
        field
    }
}

/// The report's figures as CSV (RFC 4180): `measure,value`.
pub fn summary_csv(report: &Report) -> String {
    let mut rows = vec![
        vec!["measure".to_string(), "value".to_string()],
        vec!["period from".into(), report.from.clone()],
        vec!["period to".into(), report.to.clone()],
        vec!["searches".into(), report.searches.to_string()],
    ];
    for (power, n) in &report.by_power {
        rows.push(vec![
            format!("searches under {}", power.as_str()),
            n.to_string(),
        ]);
    }
    let a = &report.warrant_applications;
    rows.extend([
        vec!["warrant applications".into(), a.made.to_string()],
        vec!["warrant applications granted".into(), a.granted.to_string()],
        vec!["warrant applications refused".into(), a.refused.to_string()],
        vec![
            "warrant applications awaiting decision".into(),
            a.awaiting_decision.to_string(),
        ],
        vec!["executed".into(), report.executed.to_string()],
        vec!["returned late".into(), report.returned_late.to_string()],
        vec!["fully compliant".into(), report.fully_compliant.to_string()],
        vec![
            "share fully compliant".into(),
            report
                .share_fully_compliant
                .map_or(String::new(), |s| format!("{s:.3}")),
        ],
        vec!["breaches".into(), report.breaches.len().to_string()],
    ]);
    csv(rows)
}

/// The report's breaches as CSV, one row per breach.
pub fn breaches_csv(report: &Report) -> String {
    let mut rows = vec![
        [
            "search_id",
            "case_id",
            "power",
            "searched_on",
            "rule",
            "detail",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for b in &report.breaches {
        rows.push(vec![
            b.search_id.to_string(),
            b.case_id.clone(),
            b.power.as_str().into(),
            b.searched_on.clone(),
            b.rule.clone(),
            b.detail.clone(),
        ]);
    }
    csv(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_that_start_like_a_formula_are_defused() {
        for field in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"] {
            assert_eq!(defused(field.into()), format!("'{field}"), "{field:?}");
        }
        for field in ["1", "a=b", "", " =1", "2026-01-01", "pace-s18"] {
            assert_eq!(defused(field.into()), field, "{field:?}");
        }
        let out = csv(vec![vec!["\tx".into(), "\ry".into(), "z".into()]]);
        assert_eq!(out, "\"'\tx\",\"'\ry\",\"z\"\r\n");
    }

    /// The CSV is what the `csv` crate (a dev-dependency now) wrote with every field quoted.
    #[test]
    fn csv_is_what_the_csv_crate_wrote() {
        let fields = [
            "",
            "a",
            "say \"hi\"",
            "\"",
            "a,b",
            "line\nbreak",
            "cr\r\nlf",
            "é ü 😀",
            "-1",
            "1.5",
            "=1+1",
            " lead",
            "trail ",
            "''",
            ";",
            "\\",
        ];
        let rows: Vec<Vec<String>> = (0..fields.len())
            .map(|i| {
                (0..=i % 4)
                    .map(|j| fields[(i + j) % fields.len()].to_string())
                    .collect()
            })
            .chain([vec![String::new()], vec![]])
            .collect();
        let mut writer = ::csv::WriterBuilder::new()
            .quote_style(::csv::QuoteStyle::Always)
            .terminator(::csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::new());
        for row in &rows {
            writer
                .write_record(row.iter().cloned().map(defused))
                .unwrap();
        }
        let expected = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(csv(rows), expected);
    }
}
