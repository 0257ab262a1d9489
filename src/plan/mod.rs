//! The action plan (issue #16 point 4): the board paper's six workstreams and their actions, as a data
//! file the force edits (`plan/workstreams.json`, embedded at build time), and what happens to each
//! action as a dated trail of updates (`store`): status (RAG, or complete) and a note, by whom and when.
//! An action may point at evidence in the app: a figure of the problem profile.

pub mod store;

use crate::profile::{Figures, Profile};
use serde::{Deserialize, Serialize};

/// The plan as shipped: `plan/workstreams.json`.
pub const PLAN_FILE: &str = include_str!("../../plan/workstreams.json");

/// An update's note, at most.
pub const MAX_NOTE: usize = 2000;

crate::vocabulary! {
    /// An action's status: red, amber, green (RAG), or complete.
    pub enum ActionStatus: "lowercase" {
        Red,
        Amber,
        Green,
        Complete,
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub title: String,
    pub source: String,
    pub monitored_by: String,
    pub note: String,
    pub workstreams: Vec<Workstream>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workstream {
    pub id: String,
    pub name: String,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub title: String,
    /// A post, not a person.
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due: String,
    /// The status before any update.
    pub status: ActionStatus,
    /// The evidence key (`EVIDENCE`), if the app holds evidence for the action.
    #[serde(default)]
    pub evidence: Option<String>,
}

/// The evidence an action may point at: key, what it shows.
pub const EVIDENCE: &[(&str, &str)] = &[
    (
        "recorded-offences",
        "Recorded offences in the last 12 months, and the change on the year before",
    ),
    (
        "stalking-share",
        "Share of recorded offences classed as stalking (s.2A or s.4A)",
    ),
    (
        "decisions-within-24-hours",
        "Share of crime decisions made within 24 hours of the report",
    ),
    (
        "risk-assessed",
        "Share of recorded offences with a risk assessment",
    ),
    ("pins-requested", "Police Information Notices requested"),
    ("s2b-warrants", "s.2B warrants applied for"),
    ("serial-perpetrators", "Suspects with two or more victims"),
    (
        "protocol-compliance",
        "Compliance with the national stalking protocol",
    ),
];

fn date_ok(text: &str) -> bool {
    crate::values::parse_date(text).is_some()
}

impl Plan {
    /// The plan a force ships, checked: every id unique, every date a date, every evidence key known.
    pub fn parse(text: &str) -> Result<Plan, String> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| format!("the plan file: {e}"))?;
        let mut seen = std::collections::BTreeSet::new();
        for w in &plan.workstreams {
            if !seen.insert(w.id.clone()) {
                return Err(format!("the plan file: the id {} is used twice", w.id));
            }
            for a in &w.actions {
                if !seen.insert(a.id.clone()) {
                    return Err(format!("the plan file: the id {} is used twice", a.id));
                }
                if !date_ok(&a.due) {
                    return Err(format!(
                        "the plan file: {}'s due date is not YYYY-MM-DD",
                        a.id
                    ));
                }
                if let Some(key) = &a.evidence
                    && !EVIDENCE.iter().any(|(k, _)| k == key)
                {
                    return Err(format!(
                        "the plan file: {}'s evidence {key} is not one the app has",
                        a.id
                    ));
                }
            }
        }
        Ok(plan)
    }

    /// The shipped plan.
    pub fn shipped() -> Plan {
        Plan::parse(PLAN_FILE).expect("plan/workstreams.json is checked by a unit test")
    }

    pub fn action(&self, id: &str) -> Option<(&Workstream, &Action)> {
        self.workstreams
            .iter()
            .find_map(|w| w.actions.iter().find(|a| a.id == id).map(|a| (w, a)))
    }
}

/// A dated update of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    pub action_id: String,
    /// 1 for the first; the action's version after it is `seq + 1`.
    pub seq: i64,
    pub at: String,
    pub by: String,
    pub status: ActionStatus,
    pub note: String,
}

/// An update as a supervisor or superintendent gives it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActionUpdate {
    pub status: ActionStatus,
    /// What was done, or why the status changed.
    #[schemars(with = "crate::schema::FreeText<MAX_NOTE>")]
    pub note: String,
}

/// Field errors as (JSON pointer, detail).
pub fn validate(update: &NewActionUpdate) -> Vec<(String, String)> {
    if update.note.trim().is_empty() {
        vec![(
            "/note".into(),
            "Enter a note: what was done, or why the status changed.".into(),
        )]
    } else if update.note.chars().count() > MAX_NOTE {
        vec![(
            "/note".into(),
            format!("Keep the note to {MAX_NOTE} characters or fewer."),
        )]
    } else {
        Vec::new()
    }
}

/// The evidence for an action, from the profile of the months it covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub key: String,
    pub label: String,
    /// The figure; `None` when the app cannot show it yet (or there was nothing to count).
    pub figure: Option<f64>,
    /// `count` or `percent`.
    pub unit: &'static str,
    /// Why there is no figure, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Where it comes from in the app.
    pub link: String,
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The evidence `key` shows in `profile`.
pub fn evidence(key: &str, profile: &Profile) -> Evidence {
    let f: &Figures = &profile.figures;
    let label = EVIDENCE
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, l)| l)
        .to_string();
    let link = format!(
        "/api/v1/profile?from={}&to={}&compare=previous-year",
        profile.period.from, profile.period.to
    );
    let count = |n: i64| (Some(n as f64), "count");
    let count_of = |name: &str, counts: &[crate::profile::Count]| {
        counts
            .iter()
            .filter(|c| c.name == name)
            .map(|c| c.count)
            .sum::<i64>()
    };
    let (figure, unit) = match key {
        "recorded-offences" => count(f.recorded_offences),
        "stalking-share" => (
            percent(
                count_of("stalking-s2a", &f.by_classification)
                    + count_of("stalking-s4a", &f.by_classification),
                f.recorded_offences,
            ),
            "percent",
        ),
        "decisions-within-24-hours" => (f.decisions.percent_within_24_hours, "percent"),
        "risk-assessed" => (
            percent(
                f.recorded_offences - count_of("not-assessed", &f.risk_levels),
                f.recorded_offences,
            ),
            "percent",
        ),
        "pins-requested" => count(f.pins.requested),
        "s2b-warrants" => count(f.s2b_warrants.applied),
        "serial-perpetrators" => count(f.perpetrators.repeat),
        _ => {
            return Evidence {
                key: key.into(),
                label,
                figure: None,
                unit: "percent",
                missing: Some(
                    "Not one figure: each check's rate is in the protocol compliance summary."
                        .into(),
                ),
                link: format!(
                    "/api/v1/compliance/summary?from={}&to={}",
                    profile.period.from, profile.period.to
                ),
            };
        }
    };
    Evidence {
        key: key.into(),
        label,
        missing: figure
            .is_none()
            .then(|| "Nothing to count in the period.".into()),
        figure,
        unit,
        link,
    }
}

/// An action as the plan shows it: the file's action, its current status and its trail.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub id: String,
    pub workstream: String,
    pub title: String,
    pub owner: String,
    pub due: String,
    pub status: ActionStatus,
    /// For `If-Match` on the next update.
    pub version: i64,
    /// Due before today and not complete.
    pub overdue: bool,
    pub evidence: Option<Evidence>,
    /// Newest first.
    pub updates: Vec<Update>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkstreamView {
    pub id: String,
    pub name: String,
    pub actions: Vec<ActionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub title: String,
    pub source: String,
    pub monitored_by: String,
    /// The months the evidence covers.
    pub evidence_period: crate::profile::Period,
    pub workstreams: Vec<WorkstreamView>,
}

/// The plan with its updates (any order) and the evidence from `profile`, as of `today` (`YYYY-MM-DD`).
pub fn view(plan: &Plan, updates: &[Update], profile: &Profile, today: &str) -> PlanView {
    let workstreams = plan
        .workstreams
        .iter()
        .map(|w| WorkstreamView {
            id: w.id.clone(),
            name: w.name.clone(),
            actions: w
                .actions
                .iter()
                .map(|a| {
                    let mut trail: Vec<Update> = updates
                        .iter()
                        .filter(|u| u.action_id == a.id)
                        .cloned()
                        .collect();
                    trail.sort_by_key(|u| std::cmp::Reverse(u.seq));
                    let status = trail.first().map_or(a.status, |u| u.status);
                    ActionView {
                        id: a.id.clone(),
                        workstream: w.id.clone(),
                        title: a.title.clone(),
                        owner: a.owner.clone(),
                        due: a.due.clone(),
                        status,
                        version: trail.len() as i64 + 1,
                        overdue: status != ActionStatus::Complete && a.due.as_str() < today,
                        evidence: a.evidence.as_deref().map(|k| evidence(k, profile)),
                        updates: trail,
                    }
                })
                .collect(),
        })
        .collect();
    PlanView {
        title: plan.title.clone(),
        source: plan.source.clone(),
        monitored_by: plan.monitored_by.clone(),
        evidence_period: profile.period,
        workstreams,
    }
}

fn figure_text(e: &Evidence) -> String {
    match (e.figure, e.unit) {
        (None, _) => e.missing.clone().unwrap_or_default(),
        (Some(x), "percent") => format!("{x}%"),
        (Some(x), _) => format!("{x}"),
    }
}

/// The plan for the meeting, as CSV: one row per action.
pub fn csv(view: &PlanView) -> String {
    use crate::profile::charts::csv_field as f;
    let mut out = String::from(
        "workstream,action,title,owner,due,status,overdue,last update,last note,evidence,figure\r\n",
    );
    for w in &view.workstreams {
        for a in &w.actions {
            let last = a.updates.first();
            let fields = [
                f(&w.name),
                f(&a.id),
                f(&a.title),
                f(&a.owner),
                f(&a.due),
                a.status.as_str().to_string(),
                if a.overdue { "yes" } else { "no" }.to_string(),
                f(last.map_or("", |u| u.at.as_str())),
                f(last.map_or("", |u| u.note.as_str())),
                f(a.evidence.as_ref().map_or("", |e| e.label.as_str())),
                f(&a.evidence.as_ref().map(figure_text).unwrap_or_default()),
            ];
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The plan for the meeting, as a printable HTML page (no script, no style from elsewhere).
pub fn html(view: &PlanView, printed_at: &str) -> String {
    let e = html_escape;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n<h1>{}</h1>\n<p>Monitored by {}. Evidence for {} to {}. Printed {}.</p>\n",
        e(&view.title),
        e(&view.title),
        e(&view.monitored_by),
        view.evidence_period.from,
        view.evidence_period.to,
        e(printed_at)
    );
    for w in &view.workstreams {
        out.push_str(&format!(
            "<h2>{}</h2>\n<table>\n<caption>{} actions</caption>\n<thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Owner</th><th scope=\"col\">Due</th><th scope=\"col\">ActionStatus</th><th scope=\"col\">Evidence</th><th scope=\"col\">Latest update</th></tr></thead>\n<tbody>\n",
            e(&w.name),
            e(&w.name)
        ));
        for a in &w.actions {
            let last = a.updates.first().map_or(String::from("None yet"), |u| {
                format!(
                    "{} ({}, {}): {}",
                    u.at.get(..10).unwrap_or(&u.at),
                    e(&u.by),
                    u.status.as_str(),
                    e(&u.note)
                )
            });
            let evidence = a.evidence.as_ref().map_or(String::new(), |ev| {
                format!("{}: {}", e(&ev.label), e(&figure_text(ev)))
            });
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                e(&a.title),
                e(&a.owner),
                e(&a.due),
                if a.overdue { " (overdue)" } else { "" },
                a.status.as_str().to_ascii_uppercase(),
                evidence,
                last
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Request, Tally};

    #[test]
    fn the_shipped_plan_has_the_board_papers_six_workstreams() {
        let plan = Plan::parse(PLAN_FILE).unwrap();
        let names: Vec<&str> = plan.workstreams.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Crime recording and investigation journey",
                "Victim engagement and support",
                "Perpetrator management",
                "External partnerships",
                "Education and training",
                "Finance"
            ]
        );
        assert!(plan.workstreams.iter().all(|w| !w.actions.is_empty()));
    }

    #[test]
    fn a_plan_file_with_a_mistake_is_refused_with_what_is_wrong() {
        let twice = PLAN_FILE.replace("\"recording-2\"", "\"recording-1\"");
        assert!(Plan::parse(&twice).unwrap_err().contains("recording-1"));
        let unknown = PLAN_FILE.replace("\"stalking-share\"", "\"nonsense\"");
        assert!(Plan::parse(&unknown).unwrap_err().contains("nonsense"));
        let date = PLAN_FILE.replacen("2027-03-31", "31/03/2027", 1);
        assert!(Plan::parse(&date).unwrap_err().contains("due date"));
    }

    #[test]
    fn an_actions_status_is_its_latest_updates_and_evidence_comes_from_the_profile() {
        let plan = Plan::shipped();
        let request = Request::parse(Some("2026-01"), Some("2026-12"), None).unwrap();
        let tally = Tally {
            recorded: vec![
                ("2026-03".into(), Some("stalking-s2a".into()), false, 3),
                ("2026-03".into(), Some("harassment-s2".into()), false, 1),
            ],
            ..Tally::default()
        };
        let profile = Profile::of(request, None, &tally, None);
        let update = |seq, status| Update {
            action_id: "recording-1".into(),
            seq,
            at: format!("2026-11-0{seq}T10:00:00.000000Z"),
            by: "sup-1".into(),
            status,
            note: "Reviewed".into(),
        };
        let view = view(
            &plan,
            &[
                update(1, ActionStatus::Red),
                update(2, ActionStatus::Complete),
            ],
            &profile,
            "2027-04-01",
        );
        let action = &view.workstreams[0].actions[0];
        assert_eq!(
            (action.status, action.version, action.overdue),
            (ActionStatus::Complete, 3, false)
        );
        assert_eq!(action.updates[0].seq, 2, "newest first");
        assert_eq!(action.evidence.as_ref().unwrap().figure, Some(75.0));
        let second = &view.workstreams[0].actions[1];
        assert!(second.overdue, "due 2027-03-31, amber");
        let compliance = &view.workstreams[0].actions[3];
        assert!(
            compliance
                .evidence
                .as_ref()
                .unwrap()
                .missing
                .as_ref()
                .unwrap()
                .contains("compliance summary")
        );
        let csv = csv(&view);
        assert_eq!(
            csv.lines().count(),
            1 + plan
                .workstreams
                .iter()
                .map(|w| w.actions.len())
                .sum::<usize>()
        );
        assert!(csv.contains("recording-1,") && csv.contains(",complete,no,"));
        let html = html(&view, "2027-04-01");
        assert!(html.contains("<h2>Finance</h2>") && !html.contains("<script"));
    }

    #[test]
    fn a_note_is_required_and_bounded() {
        let update = |note: &str| NewActionUpdate {
            status: ActionStatus::Green,
            note: note.into(),
        };
        assert_eq!(validate(&update(" "))[0].0, "/note");
        assert_eq!(validate(&update(&"x".repeat(MAX_NOTE + 1))).len(), 1);
        assert!(validate(&update("Training delivered to 120 officers.")).is_empty());
    }
}
