//! People, stored: linking a report's victim and suspects to the records of the same people, the
//! counts that make a serial perpetrator visible in one lookup, supervisors' reviews of links, and
//! profiles. Each statement handles every person of a case at once (`json_each`), so a report costs
//! the same few statements however many people it names and however many cases they are in.

use super::{
    Appearance, Category, Link, LinkBasis, LinkDecision, LinkDecisionKind, LinkReview, Profile,
    ProfileCase, SERIAL_VICTIMS, VictimRef,
};
use crate::ids::{CaseId, PersonId};
use crate::sql::{Row, Rows, Sql, SqlError, Value};
use std::collections::BTreeMap;

/// A profile lists at most this many of the person's victims (it counts them all).
pub const VICTIMS_LISTED: i64 = 50;

/// A person a report names, in the order of the case: the victim, then each suspect.
#[derive(Debug, Clone)]
pub struct Party<'a> {
    pub category: Category,
    pub position: i64,
    pub name: &'a str,
    pub date_of_birth: Option<&'a str>,
    pub police_id: Option<&'a str>,
}

/// Links each party of a new case to the record of the same person (matched on [`super::link_key`]),
/// or to a new record. At most three statements; the case is counted for its suspects and their victims
/// by the database as the appearances are written (`0012_people.sql`), the victim first.
pub fn link(
    db: &impl Sql,
    case_id: &CaseId,
    now: &str,
    parties: &[Party],
    new_id: &dyn Fn() -> String,
) -> Result<(), SqlError> {
    let keys: Vec<Option<String>> = parties
        .iter()
        .map(|p| super::link_key(p.name, p.date_of_birth, p.police_id))
        .collect();
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    let wanted: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
    if !wanted.is_empty() {
        let rows = db.query(
            "SELECT id, link_key FROM people WHERE link_key IN (SELECT value FROM json_each(?1))",
            &[Value::json(&wanted)],
        )?;
        for row in rows.iter() {
            known.insert(row.text("link_key")?, row.text("id")?);
        }
    }
    let mut new_people = Vec::new();
    let mut appearances = Vec::new();
    debug_assert!(
        parties
            .first()
            .is_none_or(|p| p.category == Category::Victim)
    );
    for (party, key) in parties.iter().zip(&keys) {
        let (person, link) = match key.as_ref().and_then(|k| known.get(k).map(|id| (k, id))) {
            Some((key, id)) => (id.clone(), super::link_for(Some(key))),
            None => {
                let id = new_id();
                if let Some(key) = key {
                    known.insert(key.clone(), id.clone());
                }
                new_people.push(serde_json::json!([
                    id,
                    party.name.trim(),
                    party.date_of_birth,
                    party.police_id.map(str::trim).filter(|p| !p.is_empty()),
                    key
                ]));
                (id, super::link_for(None))
            }
        };
        // A witness's or another person's details are kept with the appearance; a victim's and the
        // suspects' are in the case's own rows.
        let own = matches!(party.category, Category::Witness | Category::Other);
        appearances.push(serde_json::json!([
            party.category.as_str(),
            party.position,
            person,
            link.basis.as_str(),
            link.review.as_str(),
            own.then(|| party.name.trim()),
            party.date_of_birth.filter(|_| own),
            party
                .police_id
                .map(str::trim)
                .filter(|p| own && !p.is_empty())
        ]));
    }
    if !new_people.is_empty() {
        db.run(
            "INSERT INTO people (id, created_at, name, date_of_birth, police_id, link_key)
             SELECT json_extract(value, '$[0]'), ?2, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(?1)",
            &[Value::json(&new_people), now.into()],
        )?;
    }
    db.run(
        "INSERT INTO appearances (case_id, category, position, person_id, basis, review, name,
                                  date_of_birth, police_id)
         SELECT ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
                json_extract(value, '$[6]'), json_extract(value, '$[7]')
         FROM json_each(?1)",
        &[Value::json(&appearances), case_id.into()],
    )?;
    Ok(())
}

/// The next position for a person of `category` in a case (witnesses and others are numbered in the
/// order they are added); `None` when there is no such case. One statement.
pub fn next_position(
    db: &impl Sql,
    case_id: &CaseId,
    category: Category,
) -> Result<Option<i64>, SqlError> {
    let rows = db.query(
        "SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1) AS found,
                (SELECT COALESCE(MAX(position) + 1, 0) FROM appearances
                 WHERE case_id = ?1 AND category = ?2) AS next",
        &[case_id.into(), category.as_str().into()],
    )?;
    let row = rows
        .first_row()
        .ok_or_else(|| SqlError("no row for the next position".into()))?;
    Ok(row.flag("found")?.then_some(row.integer("next")?))
}

/// The people of the cases in `ids` (a JSON array), with each person's counts: one statement.
pub fn of_cases(db: &impl Sql, ids: &Value) -> Result<Rows, SqlError> {
    db.query(
        "SELECT a.case_id AS case_id, a.category AS category, a.position AS position,
                a.person_id AS person_id, a.basis AS basis, a.review AS review,
                a.reviewed_at AS reviewed_at, a.reviewed_by AS reviewed_by,
                a.review_reason AS review_reason, a.name AS name, a.date_of_birth AS date_of_birth,
                a.police_id AS police_id, p.suspect_cases AS suspect_cases, p.victims AS victims
         FROM appearances a JOIN people p ON p.id = a.person_id
         WHERE a.case_id IN (SELECT value FROM json_each(?1))
         ORDER BY a.case_id, a.category, a.position",
        std::slice::from_ref(ids),
    )
}

pub fn link_of(row: Row<'_>) -> Result<Link, SqlError> {
    Ok(Link {
        basis: row.parse("basis")?,
        review: row.parse("review")?,
    })
}

pub fn appearance(row: Row<'_>) -> Result<Appearance, SqlError> {
    Ok(Appearance {
        case_id: row.parse("case_id")?,
        category: row.parse("category")?,
        position: row.integer("position")?,
        person_id: row.parse("person_id")?,
        link: link_of(row)?,
        reviewed_at: row.optional_parse("reviewed_at")?,
        reviewed_by: row.optional_text("reviewed_by")?,
        review_reason: row.optional_text("review_reason")?,
        split_from: None,
    })
}

/// Why a link review was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewRefused {
    NoCase,
    /// The case names nobody in that category and position.
    NotFound,
    /// Only a pending suggestion is confirmed; a new record has no link to split; a split is final.
    NotReviewable(LinkBasis, LinkReview),
}

/// Records a supervisor's decision on how one person of a case is linked. A split gives the case's
/// person a new record (named as in this case) and moves the counts with it. Returns the appearance as
/// it now is, with the record it was split from.
pub fn review(
    db: &impl Sql,
    case_id: &CaseId,
    decision: &LinkDecision,
    by: &str,
    now: &str,
    new_id: &dyn Fn() -> String,
) -> Result<Result<Appearance, ReviewRefused>, SqlError> {
    let key = [
        Value::from(case_id),
        decision.category.category().as_str().into(),
        decision.position.into(),
    ];
    let rows = db.query(
        "SELECT person_id, basis, review FROM appearances
         WHERE case_id = ?1 AND category = ?2 AND position = ?3",
        &key,
    )?;
    let Some(row) = rows.first_row() else {
        let case = db.query("SELECT 1 AS found FROM cases WHERE id = ?1", &key[..1])?;
        return Ok(Err(if case.rows.is_empty() {
            ReviewRefused::NoCase
        } else {
            ReviewRefused::NotFound
        }));
    };
    let (person, link) = (row.text("person_id")?, link_of(row)?);
    let allowed = match decision.decision {
        LinkDecisionKind::Confirm => link.review == LinkReview::Pending,
        LinkDecisionKind::Split => link.basis != LinkBasis::New && link.review != LinkReview::Split,
    };
    if !allowed {
        return Ok(Err(ReviewRefused::NotReviewable(link.basis, link.review)));
    }
    let mut split_from = None;
    let (person_now, review) = match decision.decision {
        LinkDecisionKind::Confirm => (person.clone(), LinkReview::Confirmed),
        LinkDecisionKind::Split => {
            let id = new_id();
            // Named as this case names them; matched by no key, so new reports still go to the
            // record it was split from (which a supervisor reviews in turn).
            let (statement, params) = match decision.category {
                super::Party::Victim => (
                    "SELECT victim_name AS name, victim_date_of_birth AS date_of_birth, NULL AS police_id
                     FROM cases WHERE id = ?1",
                    vec![Value::from(case_id)],
                ),
                _ => (
                    "SELECT name, date_of_birth, police_id FROM suspects WHERE case_id = ?1 AND position = ?2",
                    vec![Value::from(case_id), decision.position.into()],
                ),
            };
            let rows = db.query(statement, &params)?;
            let row = rows
                .first_row()
                .ok_or_else(|| SqlError("the person's row is missing".into()))?;
            let (name, dob, police_id) = (
                row.text("name")?,
                row.optional_text("date_of_birth")?,
                row.optional_text("police_id")?,
            );
            db.run(
                "INSERT INTO people (id, created_at, name, date_of_birth, police_id, split_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[
                    id.as_str().into(),
                    now.into(),
                    name.into(),
                    dob.map_or(Value::Null, Value::from),
                    police_id.map_or(Value::Null, Value::from),
                    person.as_str().into(),
                ],
            )?;
            split_from = Some(
                PersonId::parse(&person)
                    .ok_or_else(|| SqlError(format!("people.id {person:?} is not an id")))?,
            );
            (id, LinkReview::Split)
        }
    };
    db.run(
        "UPDATE appearances SET person_id = ?4, review = ?5, reviewed_at = ?6, reviewed_by = ?7,
                review_reason = ?8
         WHERE case_id = ?1 AND category = ?2 AND position = ?3",
        &[
            key[0].clone(),
            key[1].clone(),
            key[2].clone(),
            person_now.as_str().into(),
            review.as_str().into(),
            now.into(),
            by.into(),
            decision.reason.trim().into(),
        ],
    )?;
    if split_from.is_some() {
        recount(db, case_id, &[person.as_str(), person_now.as_str()])?;
    }
    let rows = db.query(
        "SELECT case_id, category, position, person_id, basis, review, reviewed_at, reviewed_by,
                review_reason FROM appearances WHERE case_id = ?1 AND category = ?2 AND position = ?3",
        &key,
    )?;
    let row = rows
        .first_row()
        .ok_or_else(|| SqlError("the reviewed appearance is missing".into()))?;
    let mut appearance = appearance(row)?;
    appearance.split_from = split_from;
    Ok(Ok(appearance))
}

/// After a split in `case_id`: the pair counts of the case's suspects and victim, and the counts of
/// `people` and of every suspect of the case, worked out again from the appearances. A review is rare,
/// so this counts rather than adjusts.
fn recount(db: &impl Sql, case_id: &CaseId, people: &[&str]) -> Result<(), SqlError> {
    let suspects = db.query(
        "SELECT DISTINCT person_id FROM appearances WHERE case_id = ?1 AND category = 'suspect'",
        &[case_id.into()],
    )?;
    let mut affected: Vec<String> = people.iter().map(|p| p.to_string()).collect();
    for row in suspects.iter() {
        affected.push(row.text("person_id")?);
    }
    affected.sort_unstable();
    affected.dedup();
    let affected = Value::json(&affected);
    db.run(
        "DELETE FROM perpetrator_victims WHERE suspect_id IN (SELECT value FROM json_each(?1))",
        std::slice::from_ref(&affected),
    )?;
    db.run(
        "INSERT INTO perpetrator_victims (suspect_id, victim_id, cases)
         SELECT s.person_id, v.person_id, COUNT(DISTINCT s.case_id)
         FROM appearances s JOIN appearances v ON v.case_id = s.case_id AND v.category = 'victim'
         WHERE s.category = 'suspect' AND s.person_id != v.person_id
           AND s.person_id IN (SELECT value FROM json_each(?1))
         GROUP BY s.person_id, v.person_id",
        std::slice::from_ref(&affected),
    )?;
    // A victim split off: their pairs with suspects of other cases are rebuilt above only for this
    // case's suspects, which are the only suspects the victim's record changed for.
    db.run(
        "UPDATE people SET
             suspect_cases = (SELECT COUNT(DISTINCT case_id) FROM appearances
                              WHERE person_id = people.id AND category = 'suspect'),
             victims = (SELECT COUNT(*) FROM perpetrator_victims WHERE suspect_id = people.id)
         WHERE id IN (SELECT value FROM json_each(?1))",
        &[affected],
    )?;
    Ok(())
}

/// A person's profile with a page of their cases (by case id, after `after`) and their victims; `None`
/// when there is no such person. Four statements, whatever the number of cases.
pub fn profile(
    db: &impl Sql,
    id: &PersonId,
    after: Option<&str>,
    limit: i64,
) -> Result<Option<Profile>, SqlError> {
    let rows = db.query(
        "SELECT id, name, date_of_birth, police_id, split_from, created_at, suspect_cases, victims
         FROM people WHERE id = ?1",
        &[id.into()],
    )?;
    let Some(person) = rows.first_row() else {
        return Ok(None);
    };
    // The person's cases in case order across categories: one bounded index walk per category.
    let walks: Vec<String> = Category::iter()
        .map(|c| {
            format!(
                "SELECT * FROM (SELECT * FROM appearances WHERE person_id = ?1 AND category = '{}'
                 AND (?2 IS NULL OR case_id > ?2) ORDER BY case_id LIMIT ?3)",
                c.as_str()
            )
        })
        .collect();
    let cases = db.query(
        &format!(
            "SELECT a.case_id AS case_id, a.category AS category, a.basis AS basis, a.review AS review,
                    c.incident_reference AS incident_reference, c.reported_at AS reported_at,
                    c.status AS status, c.crime_reference AS crime_reference,
                    (SELECT COALESCE((SELECT r.level FROM risk_reviews r
                                      WHERE r.assessment_id = ra.id AND r.level IS NOT NULL
                                      ORDER BY r.reviewed_at DESC LIMIT 1), ra.level)
                     FROM risk_assessments ra WHERE ra.case_id = a.case_id AND ra.purpose = 'risk'
                     ORDER BY ra.assessed_at DESC, ra.id DESC LIMIT 1) AS risk_level
             FROM ({}) a JOIN cases c ON c.id = a.case_id
             ORDER BY a.case_id, a.category LIMIT ?3",
            walks.join(" UNION ALL ")
        ),
        &[id.into(), after.map_or(Value::Null, Value::from), limit.into()],
    )?;
    let victims = db.query(
        "SELECT victim_id, cases FROM perpetrator_victims WHERE suspect_id = ?1
         ORDER BY cases DESC, victim_id LIMIT ?2",
        &[id.into(), VICTIMS_LISTED.into()],
    )?;
    let cases: Vec<ProfileCase> = cases
        .iter()
        .map(|r| {
            Ok(ProfileCase {
                case_id: r.parse("case_id")?,
                incident_reference: r.text("incident_reference")?,
                reported_at: r.parse("reported_at")?,
                category: r.parse("category")?,
                link: link_of(r)?,
                status: r.parse("status")?,
                crime_reference: r.optional_text("crime_reference")?,
                risk_level: r.optional_parse("risk_level")?,
            })
        })
        .collect::<Result<_, SqlError>>()?;
    let next = (cases.len() as i64 == limit)
        .then(|| cases.last().map(|c| c.case_id.to_string()))
        .flatten();
    let victim_count = person.integer("victims")?;
    Ok(Some(Profile {
        id: person.parse("id")?,
        name: person.text("name")?,
        date_of_birth: person.optional_text("date_of_birth")?,
        police_id: person.optional_text("police_id")?,
        split_from: person.optional_parse("split_from")?,
        created_at: person.parse("created_at")?,
        suspect_case_count: person.integer("suspect_cases")?,
        victim_count,
        serial_perpetrator: victim_count >= SERIAL_VICTIMS,
        cases,
        victims: victims
            .iter()
            .map(|r| {
                Ok(VictimRef {
                    person_id: r.parse("victim_id")?,
                    cases: r.integer("cases")?,
                })
            })
            .collect::<Result<_, SqlError>>()?,
        orders: crate::orders::store::of_person(db, id)?,
        next,
    }))
}
