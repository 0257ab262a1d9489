//! The problem profile's counts, aggregated in SQL over a period: no row leaves the database but the
//! counts. Decisions, classifications, risk levels and decision times come from `profile_decisions`,
//! the victims and suspects of recorded offences from `profile_people` (migration 0019: a row per
//! decided case, settled before it is read (`crate::facts`), and per person and month with a recorded
//! offence, kept by triggers in the same transaction as each write), each read from one covering index over the period's months; PINs and
//! warrants through their own indexes.

use super::{DECISION_BANDS, Period, Tally};
use crate::sql::{Sql, SqlError, Value};

/// Everything the profile counts for one period.
pub fn tally(db: &impl Sql, period: Period) -> Result<Tally, SqlError> {
    let months: [Value; 2] = [period.from.to_string().into(), period.to.to_string().into()];

    let mut tally = Tally {
        bands: vec![0; DECISION_BANDS.len()],
        ..Tally::default()
    };
    // Every decision of the period, grouped by all the profile tells apart: a few hundred groups.
    let band = DECISION_BANDS
        .iter()
        .enumerate()
        .map(|(i, (_, upper))| match upper {
            Some(u) => format!("WHEN hours <= {u:?} THEN {i} "),
            None => format!("ELSE {i} "),
        })
        .collect::<String>();
    let rows = db.query(
        &format!(
            "SELECT month, recorded, classification, domestic_abuse, risk_level,
                    CASE {band}END AS band, COUNT(*) AS n
             FROM profile_decisions WHERE month >= ?1 AND month <= ?2
             GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        &months,
    )?;
    for row in rows.iter() {
        let n = row.integer("n")?;
        let band = usize::try_from(row.integer("band")?)
            .ok()
            .filter(|b| *b < DECISION_BANDS.len())
            .ok_or_else(|| SqlError("a decision band out of range".into()))?;
        tally.bands[band] += n;
        if row.flag("recorded")? {
            tally.decided.0 += n;
            tally.recorded.push((
                row.text("month")?,
                row.optional_text("classification")?,
                row.flag("domestic_abuse")?,
                n,
            ));
            tally.risk.push((row.text("risk_level")?, n));
        } else {
            tally.decided.1 += n;
        }
    }

    let decided = tally.decided.0 + tally.decided.1;
    if decided > 0 {
        // The middle one or two of the sorted times.
        let rows = db.query(
            "SELECT hours FROM profile_decisions WHERE month >= ?1 AND month <= ?2
             ORDER BY hours LIMIT ?3 OFFSET ?4",
            &[
                months[0].clone(),
                months[1].clone(),
                (2 - decided % 2).into(),
                ((decided - 1) / 2).into(),
            ],
        )?;
        let middle: Vec<f64> = rows
            .iter()
            .map(|r| match r.value("hours")? {
                Value::Real(h) => Ok(*h),
                Value::Integer(h) => Ok(*h as f64),
                other => Err(SqlError(format!("hours to decision: {other:?}"))),
            })
            .collect::<Result<_, _>>()?;
        if !middle.is_empty() {
            tally.median_hours = Some(middle.iter().sum::<f64>() / middle.len() as f64);
        }
    }

    // Distinct victims and suspects of the period's recorded offences, and how many of each repeat: a
    // person's rows in the period whose previous month is before it, one per person.
    let rows = db.query(
        "SELECT category, COUNT(*) AS total, COALESCE(SUM(repeat), 0) AS repeat FROM profile_people
         WHERE category IN ('victim', 'suspect') AND month >= ?1 AND month <= ?2
             AND (since IS NULL OR since < ?1)
         GROUP BY category",
        &months,
    )?;
    for row in rows.iter() {
        let counts = (row.integer("total")?, row.integer("repeat")?);
        match row.text("category")?.as_str() {
            "victim" => tally.victims = counts,
            _ => tally.suspects = counts,
        }
    }

    let range: [Value; 2] = {
        let (start, end) = period.bounds();
        [start.into(), end.into()]
    };
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
