//! The problem profile's counts, aggregated in SQL over a period: no row leaves the database but the
//! counts. The recorded offences and decision times come from one covering index
//! (`cases_by_decision`, migration 0014), the rest through the cases' own indexes.

use super::{DECISION_BANDS, Period, Tally};
use crate::sql::{Sql, SqlError, Value};

/// Hours from report to decision, in SQL.
const HOURS: &str = "(julianday(decided_at) - julianday(reported_at)) * 24.0";

/// Everything the profile counts for one period.
pub fn tally(db: &impl Sql, period: Period) -> Result<Tally, SqlError> {
    let (start, end) = period.bounds();
    let range: [Value; 2] = [start.as_str().into(), end.as_str().into()];

    let mut tally = Tally::default();
    let rows = db.query(
        "SELECT substr(decided_at, 1, 7) AS month, principal_classification AS class, domestic_abuse AS domestic,
                COUNT(*) AS n
         FROM cases WHERE status = 'recorded' AND decided_at >= ?1 AND decided_at < ?2
         GROUP BY 1, 2, 3",
        &range,
    )?;
    for row in rows.iter() {
        tally.recorded.push((
            row.text("month")?,
            row.optional_text("class")?,
            row.integer("domestic")? != 0,
            row.integer("n")?,
        ));
    }

    // The latest risk assessment's level, or the level a review raised it to.
    let rows = db.query(
        "SELECT COALESCE((SELECT COALESCE((SELECT rv.level FROM risk_reviews rv
                                           WHERE rv.assessment_id = ra.id AND rv.outcome = 'raised'
                                           ORDER BY rv.reviewed_at DESC LIMIT 1), ra.level)
                          FROM risk_assessments ra WHERE ra.case_id = c.id AND ra.purpose = 'risk'
                          ORDER BY ra.assessed_at DESC, ra.id DESC LIMIT 1), 'not-assessed') AS level,
                COUNT(*) AS n
         FROM cases c WHERE c.status = 'recorded' AND c.decided_at >= ?1 AND c.decided_at < ?2
         GROUP BY 1",
        &range,
    )?;
    for row in rows.iter() {
        tally.risk.push((row.text("level")?, row.integer("n")?));
    }

    tally.victims = people(
        db,
        &range,
        "victim",
        "(SELECT COUNT(*) FROM appearances b WHERE b.person_id = p.person_id AND b.category = 'victim') >= 2",
    )?;
    tally.suspects = people(
        db,
        &range,
        "suspect",
        "(SELECT victims FROM people WHERE id = p.person_id) >= 2",
    )?;

    let band_columns: String = DECISION_BANDS
        .iter()
        .enumerate()
        .map(|(i, (_, upper))| {
            let lower = i.checked_sub(1).and_then(|j| DECISION_BANDS[j].1);
            let above = lower.map_or("1".to_string(), |l| format!("h > {l}"));
            let below = upper.map_or("1".to_string(), |u| format!("h <= {u}"));
            format!("COALESCE(SUM({above} AND {below}), 0) AS b{i}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let rows = db.query(
        &format!(
            "SELECT COALESCE(SUM(status = 'recorded'), 0) AS recorded, COALESCE(SUM(status = 'no-crime'), 0) AS no_crime,
                    {band_columns}
             FROM (SELECT status, {HOURS} AS h FROM cases
                   WHERE status IN ('recorded', 'no-crime') AND decided_at >= ?1 AND decided_at < ?2)"
        ),
        &range,
    )?;
    let row = rows
        .first_row()
        .ok_or_else(|| SqlError("no decision row".into()))?;
    tally.decided = (row.integer("recorded")?, row.integer("no_crime")?);
    tally.bands = (0..DECISION_BANDS.len())
        .map(|i| row.integer(&format!("b{i}")))
        .collect::<Result<_, _>>()?;
    let decided = tally.decided.0 + tally.decided.1;
    if decided > 0 {
        // The middle one or two of the sorted times.
        let rows = db.query(
            &format!(
                "SELECT {HOURS} AS h FROM cases
                 WHERE status IN ('recorded', 'no-crime') AND decided_at >= ?1 AND decided_at < ?2
                 ORDER BY 1 LIMIT ?3 OFFSET ?4"
            ),
            &[
                range[0].clone(),
                range[1].clone(),
                (2 - decided % 2).into(),
                ((decided - 1) / 2).into(),
            ],
        )?;
        let middle: Vec<f64> = rows
            .iter()
            .map(|r| match r.value("h")? {
                Value::Real(h) => Ok(*h),
                Value::Integer(h) => Ok(*h as f64),
                other => Err(SqlError(format!("hours to decision: {other:?}"))),
            })
            .collect::<Result<_, _>>()?;
        if !middle.is_empty() {
            tally.median_hours = Some(middle.iter().sum::<f64>() / middle.len() as f64);
        }
    }

    let rows = db.query(
        "SELECT status, COUNT(*) AS n FROM pins WHERE requested_at >= ?1 AND requested_at < ?2 GROUP BY status",
        &range,
    )?;
    for row in rows.iter() {
        tally.pins.push((row.text("status")?, row.integer("n")?));
    }

    let (first, after) = period.day_bounds();
    let rows = db.query(
        "SELECT COUNT(*) AS records,
                COALESCE(SUM(json_extract(v.document, '$.application') IS NOT NULL), 0) AS applied,
                COALESCE(SUM(json_extract(v.document, '$.decision.outcome') = 'granted'), 0) AS granted,
                COALESCE(SUM(json_extract(v.document, '$.execution') IS NOT NULL), 0) AS executed,
                COALESCE(SUM(s.compliance_status = 'compliant'), 0) AS compliant
         FROM searches s JOIN search_versions v ON v.search_id = s.id AND v.version = s.version
         WHERE s.power = 'pha-s2b-warrant' AND s.searched_on >= ?1 AND s.searched_on < ?2",
        &[first.into(), after.into()],
    )?;
    let row = rows
        .first_row()
        .ok_or_else(|| SqlError("no warrant row".into()))?;
    tally.warrants = [
        row.integer("records")?,
        row.integer("applied")?,
        row.integer("granted")?,
        row.integer("executed")?,
        row.integer("compliant")?,
    ];
    Ok(tally)
}

/// Distinct people of `category` in the period's recorded offences, and how many of them `repeat` holds for.
fn people(
    db: &impl Sql,
    range: &[Value; 2],
    category: &str,
    repeat: &str,
) -> Result<(i64, i64), SqlError> {
    let rows = db.query(
        &format!(
            "SELECT COUNT(*) AS total, COALESCE(SUM({repeat}), 0) AS repeat
             FROM (SELECT DISTINCT a.person_id FROM cases c
                   JOIN appearances a ON a.case_id = c.id AND a.category = ?3
                   WHERE c.status = 'recorded' AND c.decided_at >= ?1 AND c.decided_at < ?2) p"
        ),
        &[range[0].clone(), range[1].clone(), category.into()],
    )?;
    let row = rows
        .first_row()
        .ok_or_else(|| SqlError("no people row".into()))?;
    Ok((row.integer("total")?, row.integer("repeat")?))
}
