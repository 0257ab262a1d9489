//! Risk assessments, stored: what was answered and judged, the result as computed then, the
//! supervisors' reviews, what is due on a case, and what is overdue across the force. An assessment
//! and its reviews are never changed; its status (current, due for review) is worked out when read.

use crate::cases::case::Case;
use crate::digests;
use crate::ids::{AssessmentId, CaseId};
use crate::risk::instruments::{Instrument, Purpose};
use crate::risk::referrals::{Assessed, Referral, ReferralStatus};
use crate::risk::scoring::{
    self as risk, Evaluation, Given, History, InstrumentRef, Judgement, Level, NewAssessment,
};
use crate::risk::store::referrals::{self, Due};
use crate::sql::{Row, Sql, SqlError, Value, Writer, hours_after};
use crate::values::{Timestamp, parse_time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub id: AssessmentId,
    pub case_id: CaseId,
    pub instrument: InstrumentRef,
    pub purpose: Purpose,
    pub assessed_at: Timestamp,
    pub assessed_by: String,
    pub answers: BTreeMap<String, Given>,
    pub judgement: Option<Judgement>,
    pub result: Evaluation,
    /// The level now: the assessment's, or higher where a supervisor's review raised it.
    pub level: Option<Level>,
    pub reviews: Vec<Review>,
    pub supervisor_review: Option<SupervisorReview>,
    pub review: ReviewStatus,
    pub referrals: Vec<Referral>,
}

impl Assessment {
    /// What a referral's package says of this assessment.
    pub fn assessed(&self) -> Assessed<'_> {
        Assessed {
            instrument: &self.instrument,
            assessed_at: &self.assessed_at,
            level: self.level,
            result: &self.result,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: String,
    pub reviewed_at: Timestamp,
    pub reviewed_by: String,
    pub outcome: risk::ReviewOutcome,
    pub level: Option<Level>,
    pub rationale: String,
    pub next_review_by: Timestamp,
}

/// A supervisor's review the level requires by a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisorReview {
    pub due_at: Timestamp,
    pub done: bool,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewStatus {
    /// The latest of its kind on the case; older ones are superseded and need nothing.
    pub current: bool,
    pub review_by: Timestamp,
    pub due: bool,
    pub reasons: Vec<String>,
}

/// The pair's history, for escalation and repeat referrals: occasions on cases with the same victim and
/// a suspect of this case (as person records), within the window; and whether a suspect is a serial
/// perpetrator. Three statements,
/// however many cases the pair has.
pub fn history(
    db: &impl Sql,
    case: &Case,
    now: &Timestamp,
    window_days: i64,
) -> Result<History, SqlError> {
    let since = now
        .minus_days(window_days)
        .ok_or_else(|| SqlError(format!("{now} minus {window_days} days is out of range")))?;
    let pair = Value::json(&pair_cases(db, case)?);
    let mut occasions: Vec<OffsetDateTime> = Vec::new();
    let mut recorded: Vec<String> = Vec::new();
    let rows = db.query(
        "SELECT occurred_from, recorded_at FROM occurrences WHERE case_id IN (SELECT value FROM json_each(?1))",
        std::slice::from_ref(&pair),
    )?;
    for row in rows.iter() {
        let from = row.text("occurred_from")?;
        let at = parse_time(&from)
            .ok_or_else(|| SqlError(format!("column occurred_from: {from:?} is not a time")))?;
        if at >= since.time() {
            occasions.push(at);
            recorded.push(row.text("recorded_at")?);
        }
    }
    let mut repeat_referrals = BTreeSet::new();
    let rows = db.query(
        "SELECT agency, MAX(created_at) AS last FROM referrals
         WHERE case_id IN (SELECT value FROM json_each(?1)) AND created_at >= ?2 GROUP BY case_id, agency",
        &[pair, (&since).into()],
    )?;
    for row in rows.iter() {
        let last = row.text("last")?;
        // SafeLives' repeat: any incident for the pair after the last referral.
        if recorded.iter().any(|r| *r > last) {
            repeat_referrals.insert(row.text("agency")?);
        }
    }
    Ok(History {
        stalking: case.stalking,
        occasions: case.occurrences.len(),
        pair_incidents: occasions.len() as u32,
        repeat_referrals,
        suspect_victims: case
            .suspects
            .iter()
            .map(|s| s.victim_count)
            .max()
            .unwrap_or(0),
    })
}

/// This case and every other case with the same victim and one of its suspects (as linked person
/// records: all of them, not only the linked cases a case lists), in one statement.
fn pair_cases(db: &impl Sql, case: &Case) -> Result<Vec<CaseId>, SqlError> {
    let mut cases = vec![case.id.clone()];
    let Some(victim) = &case.victim.person_id else {
        return Ok(cases);
    };
    let rows = db.query(
        "SELECT DISTINCT s.case_id AS id
         FROM appearances mine
         JOIN appearances s ON s.person_id = mine.person_id AND s.category = 'suspect'
                           AND s.case_id != mine.case_id
         JOIN appearances v ON v.case_id = s.case_id AND v.category = 'victim' AND v.person_id = ?2
         WHERE mine.case_id = ?1 AND mine.category = 'suspect' ORDER BY s.case_id",
        &[case.id.as_str().into(), victim.as_str().into()],
    )?;
    for row in rows.iter() {
        cases.push(row.parse("id")?);
    }
    Ok(cases)
}

/// What a write stored, for the access log: the assessment's digest, and each referral it made due
/// with its digest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub digest: String,
    pub referrals: Vec<referrals::Made>,
}

/// Stores a scored assessment and the referrals it makes due.
pub fn insert(
    db: &impl Sql,
    id: &AssessmentId,
    instrument: &Instrument,
    new: &NewAssessment,
    evaluation: &Evaluation,
    policy: &risk::Policy,
    writer: &mut Writer<'_>,
) -> Result<Written, SqlError> {
    let (now, by) = (writer.now, writer.by);
    // In the order of `digests::ASSESSMENT`.
    let values = vec![
        id.into(),
        new.case_id.as_str().into(),
        instrument.id.as_str().into(),
        instrument.version.as_str().into(),
        instrument.purpose.as_str().into(),
        now.into(),
        by.into(),
        Value::json(&new.answers),
        new.judgement.as_ref().map_or(Value::Null, Value::json),
        Value::json(evaluation),
        evaluation.level.map_or(Value::Null, |l| l.as_str().into()),
        hours_after(now, evaluation.review_days * 24)?,
        evaluation
            .supervisor_review_hours
            .map_or(Ok(Value::Null), |h| hours_after(now, h))?,
    ];
    let digest = digests::row_digest(&digests::ASSESSMENT, &values);
    digests::insert(db, &digests::ASSESSMENT, &values, &digest)?;
    let mut made = Vec::new();
    for need in &evaluation.referrals {
        let due = Due {
            case_id: &new.case_id,
            assessment_id: id,
            need,
            level: evaluation.level,
        };
        made.extend(referrals::make_due(db, &due, policy, writer)?);
    }
    Ok(Written {
        digest,
        referrals: made,
    })
}

const COLUMNS: &str =
    "id, case_id, instrument_id, instrument_version, purpose, assessed_at, assessed_by, answers,
    judgement, evaluation, level, review_by, supervisor_review_due_at";

pub fn get(db: &impl Sql, id: &AssessmentId, now: &str) -> Result<Option<Assessment>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM risk_assessments WHERE id = ?1"),
        &[id.into()],
    )?;
    rows.first_row()
        .map(|row| assemble(db, row, now))
        .transpose()
}

/// Every assessment on a case, newest first.
pub fn for_case(db: &impl Sql, case_id: &str, now: &str) -> Result<Vec<Assessment>, SqlError> {
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM risk_assessments WHERE case_id = ?1 ORDER BY assessed_at DESC, id DESC"
        ),
        &[case_id.into()],
    )?;
    rows.iter().map(|row| assemble(db, row, now)).collect()
}

fn assemble(db: &impl Sql, r: Row<'_>, now: &str) -> Result<Assessment, SqlError> {
    let id: AssessmentId = r.parse("id")?;
    let case_id: CaseId = r.parse("case_id")?;
    let purpose: Purpose = r.parse("purpose")?;
    let assessed_at: Timestamp = r.parse("assessed_at")?;
    let result: Evaluation = r.json("evaluation")?;
    let reviews: Vec<Review> = db
        .query(
            "SELECT id, reviewed_at, reviewed_by, outcome, level, rationale, next_review_by FROM risk_reviews
             WHERE assessment_id = ?1 ORDER BY reviewed_at, id",
            &[id.as_str().into()],
        )?
        .iter()
        .map(|v| {
            Ok(Review {
                id: v.text("id")?,
                reviewed_at: v.parse("reviewed_at")?,
                reviewed_by: v.text("reviewed_by")?,
                outcome: v.parse("outcome")?,
                level: v.optional_parse("level")?,
                rationale: v.text("rationale")?,
                next_review_by: v.parse("next_review_by")?,
            })
        })
        .collect::<Result<_, SqlError>>()?;
    let level = r
        .optional_parse::<Level>("level")?
        .into_iter()
        .chain(reviews.iter().filter_map(|r| r.level))
        .max();
    let supervisor_review = r
        .optional_parse::<Timestamp>("supervisor_review_due_at")?
        .map(|due_at| {
            let done = !reviews.is_empty();
            SupervisorReview {
                overdue: !done && now > due_at.as_str(),
                done,
                due_at,
            }
        });
    let review_by: Timestamp = r.parse("review_by")?;
    let subject = Reviewed {
        id: &id,
        case_id: &case_id,
        purpose,
        assessed_at: &assessed_at,
        review_by: &review_by,
    };
    let review = review_status(db, &subject, &reviews, now)?;
    Ok(Assessment {
        referrals: referrals::for_assessment(db, &id)?,
        instrument: InstrumentRef {
            id: r.text("instrument_id")?,
            version: r.text("instrument_version")?,
        },
        purpose,
        assessed_by: r.text("assessed_by")?,
        answers: r.json("answers")?,
        judgement: r.optional_json("judgement")?,
        result,
        level,
        reviews,
        supervisor_review,
        review,
        id,
        case_id,
        assessed_at,
    })
}

/// What the review status of an assessment is worked out from.
#[derive(Clone, Copy)]
struct Reviewed<'a> {
    id: &'a str,
    case_id: &'a str,
    purpose: Purpose,
    assessed_at: &'a str,
    review_by: &'a Timestamp,
}

/// Whether an assessment is current and due for review: its review date has passed, or the case has
/// an occurrence recorded since it (or since its last review).
fn review_status(
    db: &impl Sql,
    subject: &Reviewed<'_>,
    reviews: &[Review],
    now: &str,
) -> Result<ReviewStatus, SqlError> {
    let Reviewed {
        id,
        case_id,
        purpose,
        assessed_at,
        review_by,
    } = *subject;
    let newer = db.query(
        "SELECT COUNT(*) AS n FROM risk_assessments WHERE case_id = ?1 AND purpose = ?2 AND id != ?3
           AND (assessed_at > ?4 OR (assessed_at = ?4 AND id > ?3))",
        &[case_id.into(), purpose.as_str().into(), id.into(), assessed_at.into()],
    )?;
    let current = newer.required_integer("n")? == 0;
    let (since, review_by) = reviews.last().map_or((assessed_at, review_by), |r| {
        (r.reviewed_at.as_str(), &r.next_review_by)
    });
    let mut reasons = Vec::new();
    if current {
        if now > review_by.as_str() {
            reasons.push(format!("The review date ({review_by}) has passed."));
        }
        let later = db.query(
            "SELECT number, recorded_at FROM occurrences WHERE case_id = ?1 AND recorded_at > ?2 ORDER BY number",
            &[case_id.into(), since.into()],
        )?;
        for row in later.iter() {
            reasons.push(format!(
                "Occurrence {} was recorded at {}, after this assessment was made or last reviewed.",
                row.integer("number")?,
                row.text("recorded_at")?
            ));
        }
    }
    Ok(ReviewStatus {
        current,
        review_by: review_by.clone(),
        due: !reasons.is_empty(),
        reasons,
    })
}

/// Records a supervisor's review (validated against the assessment's level by the caller).
pub fn add_review(
    db: &impl Sql,
    id: &str,
    assessment: &Assessment,
    review: &risk::NewReview,
    policy: &risk::Policy,
    writer: &mut Writer<'_>,
) -> Result<Vec<referrals::Made>, SqlError> {
    let (now, by) = (writer.now, writer.by);
    let level = review.level.or(assessment.level);
    let days = policy
        .review_days
        .get(level.map_or("screening", Level::as_str))
        .copied()
        .unwrap_or(28);
    db.run(
        "INSERT INTO risk_reviews (id, assessment_id, reviewed_at, reviewed_by, outcome, level, rationale, next_review_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            id.into(),
            assessment.id.as_str().into(),
            now.into(),
            by.into(),
            review.outcome.as_str().into(),
            review.level.map_or(Value::Null, |l| l.as_str().into()),
            review.rationale.trim().into(),
            hours_after(now, days * 24)?,
        ],
    )?;
    // A raised level may make referrals due that the assessment's level did not.
    let mut made = Vec::new();
    if let Some(raised) = review.level {
        for (agency, triggers) in &policy.referrals {
            if triggers.contains(&risk::Trigger::Level(raised)) {
                let need = risk::ReferralNeed {
                    agency: agency.clone(),
                    criteria: vec![
                        format!("{}-risk", raised.as_str()),
                        "professional-judgement".into(),
                    ],
                };
                let due = Due {
                    case_id: &assessment.case_id,
                    assessment_id: &assessment.id,
                    need: &need,
                    level: Some(raised),
                };
                made.extend(referrals::make_due(db, &due, policy, writer)?);
            }
        }
    }
    Ok(made)
}

/// Something to do on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub code: &'static str,
    pub text: String,
    /// The record it concerns (an assessment or a referral), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    pub overdue: bool,
}

/// A case's risk picture: the current assessment and screening, whether the screening is due, and
/// every outstanding action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRisk {
    pub case_id: CaseId,
    pub assessment: Option<Assessment>,
    pub screening: Option<Assessment>,
    pub screening_required: bool,
    pub screening_reasons: Vec<String>,
    pub actions: Vec<Action>,
}

pub fn case_risk(db: &impl Sql, case: &Case, now: &str) -> Result<CaseRisk, SqlError> {
    let all = for_case(db, &case.id, now)?;
    let latest = |purpose| all.iter().find(|a| a.purpose == purpose).cloned();
    let assessment = latest(Purpose::Risk);
    let screening = latest(Purpose::StalkingScreening);
    let facts = History {
        stalking: case.stalking,
        occasions: case.occurrences.len(),
        ..History::default()
    };
    let triggers = assessment
        .as_ref()
        .map(|a| a.result.screening_triggers.clone())
        .unwrap_or_default();
    let screening_reasons = risk::screening_reasons(&facts, &triggers);
    let mut actions = Vec::new();
    match &assessment {
        None => actions.push(Action {
            code: "risk-assessment-required",
            text: "Assess the risk (DASH) with the victim.".into(),
            record: None,
            due_at: None,
            overdue: false,
        }),
        Some(a) => actions.extend(assessment_actions(a)),
    }
    if !screening_reasons.is_empty() && screening.is_none() {
        actions.push(Action {
            code: "stalking-screening-required",
            text: format!(
                "Complete the stalking screening (S-DASH): {}",
                screening_reasons.join(" ")
            ),
            record: None,
            due_at: None,
            overdue: false,
        });
    }
    if let Some(s) = &screening {
        actions.extend(assessment_actions(s));
    }
    for referral in referrals::open_for_case(db, &case.id)? {
        actions.push(Action {
            code: if referral.status == ReferralStatus::Due {
                "referral-due"
            } else {
                "referral-awaiting-acknowledgement"
            },
            text: format!(
                "{} referral {} ({}).",
                referral.agency.as_str().to_ascii_uppercase(),
                if referral.status == ReferralStatus::Due {
                    "to send"
                } else {
                    "sent, not yet acknowledged"
                },
                referral.criteria.join(", ")
            ),
            overdue: referral.status == ReferralStatus::Due && now > referral.due_at.as_str(),
            due_at: Some(referral.due_at.clone()),
            record: Some(referral.id.into()),
        });
    }
    let prompts = assessment
        .iter()
        .chain(screening.iter())
        .flat_map(|a| &a.result.prompts);
    let mut seen = BTreeSet::new();
    for prompt in prompts {
        if seen.insert(prompt.code.clone()) {
            actions.push(Action {
                code: if prompt.code == "consider-spo" {
                    "consider-spo"
                } else {
                    "safety-plan"
                },
                text: prompt.text.clone(),
                record: None,
                due_at: None,
                overdue: false,
            });
        }
    }
    Ok(CaseRisk {
        case_id: case.id.clone(),
        screening_required: !screening_reasons.is_empty(),
        assessment,
        screening,
        screening_reasons,
        actions,
    })
}

fn assessment_actions(a: &Assessment) -> Vec<Action> {
    let mut actions = Vec::new();
    if a.review.due {
        actions.push(Action {
            code: "review-due",
            text: format!(
                "Review the {} assessment: {}",
                a.instrument.id,
                a.review.reasons.join(" ")
            ),
            record: Some(a.id.to_string()),
            due_at: Some(a.review.review_by.clone()),
            overdue: true,
        });
    }
    if let Some(s) = a.supervisor_review.as_ref().filter(|s| !s.done) {
        actions.push(Action {
            code: "supervisor-review-due",
            text: format!(
                "A supervisor must review this {} assessment.",
                a.level.map_or("", Level::as_str)
            ),
            record: Some(a.id.to_string()),
            due_at: Some(s.due_at.clone()),
            overdue: s.overdue,
        });
    }
    actions
}

/// What is overdue across the force: assessments past review, supervisors' reviews past due,
/// referrals not sent in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overdue {
    pub assessments: Vec<OverdueItem>,
    pub reviews: Vec<OverdueItem>,
    pub referrals: Vec<OverdueItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueItem {
    pub id: String,
    pub case_id: CaseId,
    pub what: String,
    pub due_at: Timestamp,
    pub reasons: Vec<String>,
}

/// An assessment is current when no later one of its purpose is on its case (`a` in the statement).
const CURRENT: &str = "NOT EXISTS (SELECT 1 FROM risk_assessments b WHERE b.case_id = a.case_id AND b.purpose = a.purpose
    AND (b.assessed_at > a.assessed_at OR (b.assessed_at = a.assessed_at AND b.id > a.id)))";

/// At most `limit` of each kind, by the assessments' review dates (referrals: the longest overdue
/// first). Worked out and limited in SQL: four statements, however many assessments there are.
pub fn overdue(db: &impl Sql, now: &str, limit: i64) -> Result<Overdue, SqlError> {
    let limit = limit.max(0);
    // Current assessments due for review: the review date (the latest review's next date, or the
    // assessment's) has passed, or an occurrence was recorded on the case since the assessment or its
    // latest review. As `review_status` says for one assessment.
    let due = db.query(
        &format!(
            "WITH current AS (
                 SELECT a.rowid AS seq, a.id, a.case_id, a.instrument_id, a.review_by,
                        COALESCE((SELECT r.next_review_by FROM risk_reviews r WHERE r.assessment_id = a.id
                                  ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1), a.review_by) AS due_by,
                        COALESCE((SELECT r.reviewed_at FROM risk_reviews r WHERE r.assessment_id = a.id
                                  ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1), a.assessed_at) AS since
                 FROM risk_assessments a WHERE {CURRENT})
             SELECT id, case_id, instrument_id, due_by, since FROM current
             WHERE ?1 > due_by
                OR EXISTS (SELECT 1 FROM occurrences o WHERE o.case_id = current.case_id AND o.recorded_at > current.since)
             ORDER BY review_by, seq LIMIT ?2"
        ),
        &[now.into(), limit.into()],
    )?;
    // The occurrences recorded since, for the reasons: one statement for the page.
    let since: Vec<(String, String)> = due
        .iter()
        .map(|r| Ok((r.text("case_id")?, r.text("since")?)))
        .collect::<Result<_, SqlError>>()?;
    let mut later: Vec<Vec<String>> = vec![Vec::new(); since.len()];
    if !since.is_empty() {
        let rows = db.query(
            "SELECT p.key AS key, o.number AS number, o.recorded_at AS recorded_at FROM json_each(?1) p
             JOIN occurrences o ON o.case_id = json_extract(p.value, '$[0]') AND o.recorded_at > json_extract(p.value, '$[1]')
             ORDER BY p.key, o.number",
            &[Value::json(&since)],
        )?;
        for row in rows.iter() {
            let key = row.integer("key")?;
            let reasons = usize::try_from(key)
                .ok()
                .and_then(|i| later.get_mut(i))
                .ok_or_else(|| SqlError(format!("column key: {key} is out of range")))?;
            reasons.push(format!(
                "Occurrence {} was recorded at {}, after this assessment was made or last reviewed.",
                row.integer("number")?,
                row.text("recorded_at")?
            ));
        }
    }
    let assessments = due
        .iter()
        .zip(later)
        .map(|(r, later)| {
            let due_by: Timestamp = r.parse("due_by")?;
            let mut reasons = Vec::new();
            if now > due_by.as_str() {
                reasons.push(format!("The review date ({due_by}) has passed."));
            }
            reasons.extend(later);
            Ok(OverdueItem {
                id: r.text("id")?,
                case_id: r.parse("case_id")?,
                what: format!("{} review", r.text("instrument_id")?),
                due_at: due_by,
                reasons,
            })
        })
        .collect::<Result<_, SqlError>>()?;
    // Current assessments whose supervisor's review is past due and not done (no review yet).
    let reviews = db
        .query(
            &format!(
                "SELECT a.id AS id, a.case_id AS case_id, a.level AS level,
                        a.supervisor_review_due_at AS supervisor_review_due_at FROM risk_assessments a
                 WHERE a.supervisor_review_due_at IS NOT NULL AND ?1 > a.supervisor_review_due_at
                   AND NOT EXISTS (SELECT 1 FROM risk_reviews r WHERE r.assessment_id = a.id) AND {CURRENT}
                 ORDER BY a.review_by, a.rowid LIMIT ?2"
            ),
            &[now.into(), limit.into()],
        )?
        .iter()
        .map(|r| {
            let due_at: Timestamp = r.parse("supervisor_review_due_at")?;
            Ok(OverdueItem {
                id: r.text("id")?,
                case_id: r.parse("case_id")?,
                what: format!(
                    "supervisor's review of a {} assessment",
                    r.optional_parse::<Level>("level")?
                        .map_or("", Level::as_str)
                ),
                reasons: vec![format!("Required by {due_at} and not yet done.")],
                due_at,
            })
        })
        .collect::<Result<_, SqlError>>()?;
    let referrals = referrals::overdue(db, now, limit)?
        .into_iter()
        .map(|r| OverdueItem {
            what: format!("{} referral", r.agency.as_str().to_ascii_uppercase()),
            reasons: vec![format!("Due by {} and not yet sent.", r.due_at)],
            due_at: r.due_at,
            id: r.id.into(),
            case_id: r.case_id,
        })
        .collect();
    Ok(Overdue {
        assessments,
        reviews,
        referrals,
    })
}
