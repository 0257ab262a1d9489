//! The profile's charts, drawn by the app as SVG (no chart library): horizontal bars, one group per
//! category, one bar per series, each labelled with its figure, with a `<title>` and `<desc>`,
//! `role="img"` and `aria-labelledby`; and the same data as CSV. The web form shows the data as a table
//! beside each chart.

use super::{Count, Figures, Profile};
use serde::Serialize;

/// The charts there are, by name.
pub const NAMES: [&str; 4] = ["monthly", "classification", "risk", "decision-time"];

/// A chart's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub name: &'static str,
    pub title: String,
    pub description: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

fn series(name: String, counts: &[Count]) -> Series {
    Series {
        name,
        values: counts.iter().map(|c| c.count).collect(),
    }
}

fn label(f: &Figures) -> String {
    format!("{} to {}", f.period.from, f.period.to)
}

/// The named chart of a profile; `None` for a name there is no chart of.
pub fn chart(profile: &Profile, name: &str) -> Option<Chart> {
    let now = &profile.figures;
    let before = profile.previous_year.as_ref();
    let both = |pick: &dyn Fn(&Figures) -> Vec<Count>| -> Vec<Series> {
        let mut s = vec![series(label(now), &pick(now))];
        if let Some(b) = before {
            s.push(series(label(b), &pick(b)));
        }
        s
    };
    let names = |counts: &[Count]| counts.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let compared = if before.is_some() {
        ", with the same months a year earlier"
    } else {
        ""
    };
    let chart = match name {
        "monthly" => {
            let mut s = vec![Series {
                name: label(now),
                values: now.by_month.iter().map(|m| m.count).collect(),
            }];
            if let Some(b) = before {
                s.push(Series {
                    name: label(b),
                    values: b.by_month.iter().map(|m| m.count).collect(),
                });
            }
            Chart {
                name: "monthly",
                title: "Recorded offences by month".into(),
                description: format!(
                    "Harassment and stalking offences recorded each month from {} to {} (by the month of the crime decision){compared}. {} in all.",
                    now.period.from, now.period.to, now.recorded_offences
                ),
                categories: now.by_month.iter().map(|m| m.month.to_string()).collect(),
                series: s,
            }
        }
        "classification" => Chart {
            name: "classification",
            title: "Recorded offences by classification".into(),
            description: format!(
                "Recorded offences by principal classification: Protection from Harassment Act s.2, s.2A, s.4, s.4A, and other{compared}."
            ),
            categories: names(&now.by_classification),
            series: both(&|f| f.by_classification.clone()),
        },
        "risk" => Chart {
            name: "risk",
            title: "Recorded offences by risk level".into(),
            description: format!(
                "Recorded offences by the level of their latest risk assessment (as raised by a supervisor's review), or not assessed{compared}."
            ),
            categories: names(&now.risk_levels),
            series: both(&|f| f.risk_levels.clone()),
        },
        "decision-time" => Chart {
            name: "decision-time",
            title: "Time from report to crime decision".into(),
            description: format!(
                "Cases decided in the period by the time from report to crime decision; the standard is 24 hours. Median {}, {} within 24 hours{compared}.",
                now.decisions
                    .median_hours
                    .map_or("none".into(), |h| format!("{h} hours")),
                now.decisions
                    .percent_within_24_hours
                    .map_or("none".into(), |p| format!("{p}%")),
            ),
            categories: names(&now.decisions.bands),
            series: both(&|f| f.decisions.bands.clone()),
        },
        _ => return None,
    };
    Some(chart)
}

/// Text for XML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Series colours: GOV.UK blue and dark grey, then green and orange for charts of four series, with a
/// pattern-free difference in tone (each bar carries its figure as text, so colour is never the only
/// cue).
const COLOURS: [&str; 4] = ["#1d70b8", "#505a5f", "#00703c", "#f47738"];

/// Protocol compliance by check over a period (issue #16 points 1 and 3): per check, the cases met,
/// not met, pending and not applicable.
pub fn compliance(summary: &crate::compliance::Summary) -> Chart {
    let pick = |f: fn(&crate::compliance::CheckCounts) -> i64| -> Vec<i64> {
        summary.checks.iter().map(f).collect()
    };
    let rates = summary
        .checks
        .iter()
        .filter_map(|c| {
            c.rate
                .map(|r| format!("{} {}%", c.check.as_str(), (r * 1000.0).round() / 10.0))
        })
        .collect::<Vec<_>>();
    Chart {
        name: "compliance",
        title: "Protocol compliance by check".into(),
        description: format!(
            "The {} cases reported from {} to {}, by check of the national stalking protocol: met, not met, pending and not applicable, as of {}. Met as a share of met and not met: {}.",
            summary.cases,
            summary.period.from,
            summary.period.to,
            &summary.as_of[..10.min(summary.as_of.len())],
            if rates.is_empty() {
                "none".into()
            } else {
                rates.join(", ")
            }
        ),
        categories: summary
            .checks
            .iter()
            .map(|c| c.check.as_str().to_string())
            .collect(),
        series: vec![
            Series {
                name: "Met".into(),
                values: pick(|c| c.met),
            },
            Series {
                name: "Not met".into(),
                values: pick(|c| c.not_met),
            },
            Series {
                name: "Pending".into(),
                values: pick(|c| c.pending),
            },
            Series {
                name: "Not applicable".into(),
                values: pick(|c| c.not_applicable),
            },
        ],
    }
}

/// The chart as a standalone SVG document.
pub fn svg(chart: &Chart) -> String {
    // Room for the longest category label (about 7 px a character at 13 px Arial).
    let longest = chart
        .categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = (7.0 * longest as f64 + 16.0).max(130.0);
    let width = label_width + 510.0;
    let bar = 16.0;
    let gap = 10.0;
    let top = 40.0;
    let group = bar * chart.series.len() as f64 + gap;
    let legend = 24.0;
    let height = top + group * chart.categories.len() as f64 + legend + 10.0;
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot = width - label_width - 60.0;
    let id = format!("chart-{}", chart.name);
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="Arial, sans-serif" font-size="13">
<title id="{id}-title">{}</title>
<desc id="{id}-desc">{}</desc>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="0" y="20" font-size="16" font-weight="bold" fill="#0b0c0c">{}</text>
"##,
        escape(&chart.title),
        escape(&chart.description),
        escape(&chart.title)
    );
    for (i, category) in chart.categories.iter().enumerate() {
        let y0 = top + group * i as f64;
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#0b0c0c">{}</text>
"##,
            label_width - 8.0,
            y0 + bar * chart.series.len() as f64 / 2.0 + 4.0,
            escape(category)
        ));
        for (j, s) in chart.series.iter().enumerate() {
            let value = s.values.get(i).copied().unwrap_or(0);
            let w = plot * value as f64 / max;
            let y = y0 + bar * j as f64;
            out.push_str(&format!(
                r##"<rect x="{label_width}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{}: {value}</title></rect>
<text x="{:.1}" y="{:.1}" fill="#0b0c0c">{value}</text>
"##,
                bar - 2.0,
                COLOURS[j % COLOURS.len()],
                escape(&format!("{category}, {}", s.name)),
                label_width + w + 4.0,
                y + bar - 5.0
            ));
        }
    }
    let ly = height - legend;
    for (j, s) in chart.series.iter().enumerate() {
        let x = label_width + (480.0 / chart.series.len().max(1) as f64).min(220.0) * j as f64;
        out.push_str(&format!(
            r##"<rect x="{x}" y="{ly:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" fill="#0b0c0c">{}</text>
"##,
            COLOURS[j % COLOURS.len()],
            x + 16.0,
            ly + 11.0,
            escape(&s.name)
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// A CSV field, quoted where it must be (and never read as a formula by a spreadsheet).
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The chart's data as CSV: a header of the categories' name and each series, then a row per category.
pub fn csv(chart: &Chart) -> String {
    let mut out = String::from("category");
    for s in &chart.series {
        out.push(',');
        out.push_str(&csv_field(&s.name));
    }
    out.push_str("\r\n");
    for (i, category) in chart.categories.iter().enumerate() {
        out.push_str(&csv_field(category));
        for s in &chart.series {
            out.push_str(&format!(",{}", s.values.get(i).copied().unwrap_or(0)));
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, Request, Tally};

    fn profile() -> Profile {
        let request =
            Request::parse(Some("2025-01"), Some("2025-03"), Some("previous-year")).unwrap();
        let now = Tally {
            recorded: vec![("2025-02".into(), Some("stalking-s4a".into()), true, 5)],
            bands: vec![1, 0, 0, 0, 0, 4],
            decided: (5, 0),
            ..Tally::default()
        };
        let before = Tally {
            recorded: vec![("2024-03".into(), Some("harassment-s2".into()), false, 2)],
            ..Tally::default()
        };
        Profile::of(request, None, &now, Some(&before))
    }

    #[test]
    fn every_chart_is_accessible_svg_with_its_data() {
        let profile = profile();
        for name in NAMES {
            let chart = chart(&profile, name).unwrap();
            assert_eq!(chart.series.len(), 2, "{name}: the previous year too");
            for s in &chart.series {
                assert_eq!(s.values.len(), chart.categories.len(), "{name}");
            }
            let svg = svg(&chart);
            assert!(
                svg.contains(r#"role="img""#)
                    && svg.contains(&format!(
                        "aria-labelledby=\"chart-{name}-title chart-{name}-desc\""
                    ))
            );
            assert!(svg.contains(&format!(
                "<title id=\"chart-{name}-title\">{}</title>",
                escape(&chart.title)
            )));
            assert!(
                !svg.contains("style="),
                "no inline style: the CSP allows none"
            );
        }
        assert!(chart(&profile, "pie").is_none());
    }

    #[test]
    fn the_monthly_csv_has_both_years() {
        let csv = csv(&chart(&profile(), "monthly").unwrap());
        assert_eq!(
            csv,
            "category,2025-01 to 2025-03,2024-01 to 2024-03\r\n2025-01,0,0\r\n2025-02,5,0\r\n2025-03,0,2\r\n"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
