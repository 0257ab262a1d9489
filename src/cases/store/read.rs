//! Reading cases: one case or a page of them, each assembled with its suspects, occurrences, people
//! and the cases linked to its suspects, in a fixed number of statements whatever their size.

use super::optional;
use crate::cases::case::{Case, Occurrence, SuspectView, VictimView};
use crate::cases::classification::{self, Classification, Facts, Suggestion};
use crate::cases::decision::CaseStatus;
use crate::cases::intake::{Behaviour, Four};
use crate::ids::CaseId;
use crate::people::Category;
use crate::people::store as people;
use crate::sql::{Row, Rows, Sql, SqlError, Value};
use crate::values::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

const CASE_COLUMNS: &str = "id, version, incident_reference, reported_at, reported_by, relationship, domestic_abuse, victim_name, victim_date_of_birth,
    four_fixated, four_obsessive, four_unwanted, four_repeated, serious_alarm_or_distress, decision_due_at, status,
    crime_reference, principal_classification, included_classifications, decision_reason, decided_at, decided_by";

/// The case a body names by id (a search's or an assessment's `case_id`); `None` when there is none,
/// or when the text cannot be an id at all.
pub fn named(db: &impl Sql, text: &str) -> Result<Option<Case>, SqlError> {
    match CaseId::parse(text) {
        Some(id) => get(db, &id),
        None => Ok(None),
    }
}

/// One case with everything about it: five statements (the case, its suspects, its occurrences, its
/// people, the cases linked to its suspects), however many suspects and linked cases it has.
pub fn get(db: &impl Sql, id: &CaseId) -> Result<Option<Case>, SqlError> {
    let rows = db.query(
        &format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(load(db, &rows)?.pop())
}

/// When the case (`cases.id`) was disposed of under the retention policy, if it was: a column for a
/// statement on `cases`.
const DISPOSED_AT: &str =
    "(SELECT r.disposed_at FROM retention r WHERE r.case_id = cases.id) AS disposed_at";

fn disposed_at(rows: &Rows) -> Result<Option<String>, SqlError> {
    Ok(rows
        .first_row()
        .map(|r| r.optional_text("disposed_at"))
        .transpose()?
        .flatten())
}

/// Whether the case exists (`None`: it does not) and when it was disposed of, if it was: one
/// statement, for the records added to a case after it was reported.
pub fn disposal(db: &impl Sql, id: &CaseId) -> Result<Option<Option<String>>, SqlError> {
    let rows = db.query(
        &format!("SELECT {DISPOSED_AT} FROM cases WHERE id = ?1"),
        &[id.into()],
    )?;
    if rows.rows.is_empty() {
        return Ok(None);
    }
    disposed_at(&rows).map(Some)
}

/// A case as [`get`] reads it, unless it was disposed of under the retention policy: then when
/// (`Err`), without reading the rest of it. The disposal is read in the case's own statement, so a
/// read of a case costs no statement more for it.
pub fn get_live(db: &impl Sql, id: &CaseId) -> Result<Option<Result<Case, String>>, SqlError> {
    let rows = db.query(
        &format!("SELECT {CASE_COLUMNS}, {DISPOSED_AT} FROM cases WHERE id = ?1"),
        &[id.into()],
    )?;
    match disposed_at(&rows)? {
        Some(at) => Ok(Some(Err(at))),
        None => Ok(load(db, &rows)?.pop().map(Ok)),
    }
}

/// At most this many linked cases are listed for a suspect (the first by id); `linked_case_count`
/// counts them all. A suspect shared by hundreds of cases costs each read of one of them no more.
pub const LINKED_CASES_LISTED: usize = 20;

/// The ids of `rows` (each starting with a case id) as one JSON array, for `IN (SELECT value FROM
/// json_each(?))`: one statement for any number of rows.
fn id_array(rows: &Rows) -> Result<Value, SqlError> {
    Ok(Value::json(
        &rows
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// Rows grouped by the case id in `column`, in the order the statement gave them.
fn by_case<'a>(rows: &'a Rows, column: &str) -> Result<BTreeMap<String, Vec<Row<'a>>>, SqlError> {
    let mut grouped: BTreeMap<String, Vec<Row<'a>>> = BTreeMap::new();
    for row in rows.iter() {
        grouped.entry(row.text(column)?).or_default().push(row);
    }
    Ok(grouped)
}

/// Assembles the cases of `rows` (`SELECT {CASE_COLUMNS}`), in their order, with a constant number of
/// statements: their suspects, the cases linked to those suspects, and their occurrences, each batched.
fn load(db: &impl Sql, rows: &Rows) -> Result<Vec<Case>, SqlError> {
    if rows.rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = id_array(rows)?;
    let suspect_rows = db.query(
        "SELECT case_id, position, name, date_of_birth, police_id FROM suspects
         WHERE case_id IN (SELECT value FROM json_each(?1)) ORDER BY case_id, position",
        std::slice::from_ref(&ids),
    )?;
    let occurrence_rows = db.query(
        "SELECT case_id, number, recorded_at, recorded_by, occurred_from, occurred_to, location, channel, behaviours,
                description, fear_of_violence, breach_of_order
         FROM occurrences WHERE case_id IN (SELECT value FROM json_each(?1)) ORDER BY case_id, number",
        std::slice::from_ref(&ids),
    )?;
    let people = people::of_cases(db, &ids)?;
    assemble_all(db, rows, &suspect_rows, &occurrence_rows, &people)
}

/// The cases of `rows` with their suspects', occurrences' and people's rows (each in order, by case),
/// and the cases linked to those suspects (one statement, if there are suspects).
pub(super) fn assemble_all(
    db: &impl Sql,
    rows: &Rows,
    suspect_rows: &Rows,
    occurrence_rows: &Rows,
    people_rows: &Rows,
) -> Result<Vec<Case>, SqlError> {
    let suspects = by_case(suspect_rows, "case_id")?;
    let mut people: BTreeMap<(String, String, i64), Row> = BTreeMap::new();
    for row in people_rows.iter() {
        let key = (
            row.text("case_id")?,
            row.text("category")?,
            row.integer("position")?,
        );
        people.insert(key, row);
    }
    let person = |case: &str, category: Category, position: i64| {
        people.get(&(case.to_string(), category.as_str().to_string(), position))
    };
    // For each suspect's person: how many cases name them as a suspect, and the first few by id (one
    // more than are listed, since one of them is the reading case itself).
    let suspect_people: Vec<String> = people_rows
        .iter()
        .filter(|r| {
            r.text("category")
                .is_ok_and(|c| c == Category::Suspect.as_str())
        })
        .map(|r| r.text("person_id"))
        .collect::<Result<_, _>>()?;
    let mut links: BTreeMap<String, (i64, Vec<CaseId>)> = BTreeMap::new();
    if !suspect_people.is_empty() {
        // The count kept on the person, and the first few cases by walking the
        // (person_id, category, case_id) index one step at a time: the same cost for a suspect in two
        // cases or in a thousand.
        let rows = db.query(
            "WITH RECURSIVE keys AS (SELECT DISTINCT value AS person_id FROM json_each(?1)),
             walk (person_id, case_id, n) AS (
                 SELECT person_id, (SELECT MIN(case_id) FROM appearances a
                                    WHERE a.person_id = keys.person_id AND a.category = 'suspect'), 1
                 FROM keys
                 UNION ALL
                 SELECT person_id,
                        (SELECT MIN(case_id) FROM appearances a
                         WHERE a.person_id = walk.person_id AND a.category = 'suspect'
                           AND a.case_id > walk.case_id),
                        n + 1
                 FROM walk WHERE case_id IS NOT NULL AND n < ?2)
             SELECT w.person_id AS person_id, w.case_id AS case_id, p.suspect_cases AS total
             FROM walk w JOIN people p ON p.id = w.person_id
             WHERE w.case_id IS NOT NULL ORDER BY w.person_id, w.case_id",
            &[
                Value::json(&suspect_people),
                (LINKED_CASES_LISTED as i64 + 1).into(),
            ],
        )?;
        for row in rows.iter() {
            let entry = links.entry(row.text("person_id")?).or_default();
            entry.0 = row.integer("total")?;
            entry.1.push(row.parse("case_id")?);
        }
    }
    let mut occurrences = by_case(occurrence_rows, "case_id")?;
    rows.iter()
        .map(|r| {
            let id = r.text("id")?;
            let suspects = suspects
                .get(&id)
                .into_iter()
                .flatten()
                .map(|s| {
                    let appearance = person(&id, Category::Suspect, s.integer("position")?);
                    let person_id = appearance.map(|a| a.text("person_id")).transpose()?;
                    let (count, linked_cases) = match person_id.as_ref().and_then(|p| links.get(p))
                    {
                        // Every case naming the person but this one (which does too).
                        Some((total, first)) => (
                            total - 1,
                            first
                                .iter()
                                .filter(|other| other.as_str() != id)
                                .take(LINKED_CASES_LISTED)
                                .cloned()
                                .collect(),
                        ),
                        None => (0, Vec::new()),
                    };
                    let victim_count = match appearance {
                        Some(a) => a.integer("victims")?,
                        None => 0,
                    };
                    Ok(SuspectView {
                        name: s.text("name")?,
                        date_of_birth: s.optional_text("date_of_birth")?,
                        police_id: s.optional_text("police_id")?,
                        linked_cases,
                        linked_case_count: count,
                        person_id: person_id
                            .map(|p| p.parse())
                            .transpose()
                            .map_err(|_| SqlError("appearances.person_id is not an id".into()))?,
                        link: appearance.map(|a| people::link_of(*a)).transpose()?,
                        victim_count,
                        serial_perpetrator: victim_count >= crate::people::SERIAL_VICTIMS,
                    })
                })
                .collect::<Result<_, SqlError>>()?;
            let occurrences = occurrences.remove(&id).unwrap_or_default();
            let victim = person(&id, Category::Victim, 0);
            let others = people_rows
                .iter()
                .filter(|p| {
                    p.text("case_id").is_ok_and(|c| c == id)
                        && p.text("category").is_ok_and(|c| {
                            c == Category::Witness.as_str() || c == Category::Other.as_str()
                        })
                })
                .map(|p| {
                    Ok(crate::people::OtherPerson {
                        category: p.parse("category")?,
                        name: p.text("name")?,
                        date_of_birth: p.optional_text("date_of_birth")?,
                        police_id: p.optional_text("police_id")?,
                        person_id: p.parse("person_id")?,
                        link: people::link_of(p)?,
                    })
                })
                .collect::<Result<Vec<_>, SqlError>>()?;
            let mut case = assemble(r, suspects, victim.copied(), to_occurrences(&occurrences)?)?;
            case.others = others;
            Ok(case)
        })
        .collect()
}

/// Another case naming one of a case's suspects: what a page of linked cases shows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedCase {
    pub id: CaseId,
    pub incident_reference: String,
    pub reported_at: Timestamp,
}

/// A page of the other cases that name one of `id`'s suspects, by id, after `after`: two statements,
/// each walking the `(person_id, category, case_id)` index from `after` for at most `limit` cases per suspect,
/// however many cases the suspects are in. `None` when there is no such case.
pub fn linked(
    db: &impl Sql,
    id: &CaseId,
    after: Option<&str>,
    limit: i64,
) -> Result<Option<Vec<LinkedCase>>, SqlError> {
    let suspects = db.query(
        "SELECT c.id AS id, a.person_id AS person_id FROM cases c
         LEFT JOIN appearances a ON a.case_id = c.id AND a.category = 'suspect' WHERE c.id = ?1",
        &[id.into()],
    )?;
    if suspects.rows.is_empty() {
        return Ok(None);
    }
    let mut people: Vec<String> = suspects
        .iter()
        .filter_map(|r| r.optional_text("person_id").transpose())
        .collect::<Result<_, _>>()?;
    people.sort_unstable();
    people.dedup();
    if people.is_empty() {
        return Ok(Some(Vec::new()));
    }
    // One bounded index walk per suspect (a case has at most `intake::MAX_SUSPECTS`), merged in order.
    let walks: Vec<String> = (0..people.len())
        .map(|k| {
            format!(
                "SELECT case_id FROM (SELECT case_id FROM appearances
                 WHERE person_id = ?{} AND category = 'suspect' AND case_id != ?1
                 AND (?2 IS NULL OR case_id > ?2) ORDER BY case_id LIMIT ?3)",
                k + 4
            )
        })
        .collect();
    let mut params = vec![
        id.into(),
        after.map_or(Value::Null, Value::from),
        limit.into(),
    ];
    params.extend(people.iter().map(|k| Value::from(k.as_str())));
    let rows = db.query(
        &format!(
            "SELECT c.id AS id, c.incident_reference AS incident_reference, c.reported_at AS reported_at
             FROM cases c WHERE c.id IN ({}) ORDER BY c.id LIMIT ?3",
            walks.join(" UNION ")
        ),
        &params,
    )?;
    rows.iter()
        .map(|r| {
            Ok(LinkedCase {
                id: r.parse("id")?,
                incident_reference: r.text("incident_reference")?,
                reported_at: r.parse("reported_at")?,
            })
        })
        .collect::<Result<_, SqlError>>()
        .map(Some)
}

/// Whether each case indicates or records stalking (as [`Case::stalking`]), in one statement; a case
/// that does not exist is absent.
pub fn stalking(db: &impl Sql, ids: &[&str]) -> Result<BTreeMap<String, bool>, SqlError> {
    let rows = db.query(
        "SELECT c.id AS id, c.four_fixated AS four_fixated, c.four_obsessive AS four_obsessive,
                c.four_unwanted AS four_unwanted, c.four_repeated AS four_repeated,
                c.serious_alarm_or_distress AS serious_alarm_or_distress,
                c.principal_classification AS principal_classification,
                c.included_classifications AS included_classifications, o.number AS number,
                o.behaviours AS behaviours, o.fear_of_violence AS fear_of_violence
         FROM cases c LEFT JOIN occurrences o ON o.case_id = c.id
         WHERE c.id IN (SELECT value FROM json_each(?1)) ORDER BY c.id, o.number",
        &[Value::json(&ids)],
    )?;
    by_case(&rows, "id")?
        .into_iter()
        .map(|(id, rows)| {
            let r = rows[0];
            let occasions = rows
                .iter()
                .filter(|o| !matches!(o.value("number"), Ok(Value::Null)))
                .map(|o| Ok((o.json("behaviours")?, o.flag("fear_of_violence")?)))
                .collect::<Result<_, SqlError>>()?;
            let (suggestion, recorded) = derive(
                four(r)?,
                r.flag("serious_alarm_or_distress")?,
                occasions,
                r.optional_parse("principal_classification")?,
                &r.optional_json::<Vec<Classification>>("included_classifications")?
                    .unwrap_or_default(),
            );
            Ok((id, suggestion.stalking_indicated || recorded))
        })
        .collect()
}

fn four(r: Row<'_>) -> Result<Four, SqlError> {
    Ok(Four {
        fixated: r.flag("four_fixated")?,
        obsessive: r.flag("four_obsessive")?,
        unwanted: r.flag("four_unwanted")?,
        repeated: r.flag("four_repeated")?,
    })
}

/// What the facts suggest, and whether a stalking classification is recorded.
fn derive(
    four: Four,
    serious_alarm_or_distress: bool,
    occasions: Vec<(Vec<Behaviour>, bool)>,
    principal: Option<Classification>,
    included: &[Classification],
) -> (Suggestion, bool) {
    let suggestion = classification::suggest(&Facts {
        four,
        serious_alarm_or_distress,
        occasions,
    });
    let recorded = principal
        .into_iter()
        .chain(included.iter().copied())
        .any(Classification::is_stalking);
    (suggestion, recorded)
}

fn assemble(
    r: Row<'_>,
    suspects: Vec<SuspectView>,
    victim: Option<Row<'_>>,
    occurrences: Vec<Occurrence>,
) -> Result<Case, SqlError> {
    let four = four(r)?;
    let serious_alarm_or_distress = r.flag("serious_alarm_or_distress")?;
    let principal = r.optional_parse("principal_classification")?;
    let included: Vec<Classification> = r
        .optional_json("included_classifications")?
        .unwrap_or_default();
    let (suggestion, stalking_recorded) = derive(
        four,
        serious_alarm_or_distress,
        occurrences
            .iter()
            .map(|o| (o.behaviours.clone(), o.fear_of_violence))
            .collect(),
        principal,
        &included,
    );
    Ok(Case {
        id: r.parse("id")?,
        version: r.integer("version")?,
        incident_reference: r.text("incident_reference")?,
        reported_at: r.parse("reported_at")?,
        reported_by: r.text("reported_by")?,
        relationship: r.parse("relationship")?,
        domestic_abuse: r.flag("domestic_abuse")?,
        victim: VictimView {
            name: r.text("victim_name")?,
            date_of_birth: r.optional_text("victim_date_of_birth")?,
            person_id: victim.map(|v| v.parse("person_id")).transpose()?,
            link: victim.map(people::link_of).transpose()?,
        },
        others: Vec::new(),
        linked_suspect: suspects.iter().any(|s| s.linked_case_count > 0),
        serial_perpetrator: suspects.iter().any(|s| s.serial_perpetrator),
        suspects,
        four,
        serious_alarm_or_distress,
        stalking: suggestion.stalking_indicated || stalking_recorded,
        course_of_conduct: suggestion.course_of_conduct,
        occurrences,
        suggestion,
        decision_due_at: r.parse("decision_due_at")?,
        status: r.parse("status")?,
        crime_reference: r.optional_text("crime_reference")?,
        principal_classification: principal,
        included_classifications: included,
        decision_reason: r.optional_text("decision_reason")?,
        decided_at: r.optional_parse("decided_at")?,
        decided_by: r.optional_text("decided_by")?,
    })
}

/// Rows of `SELECT case_id, number, recorded_at, …` as occurrences.
fn to_occurrences(rows: &[Row<'_>]) -> Result<Vec<Occurrence>, SqlError> {
    rows.iter()
        .map(|o| {
            Ok(Occurrence {
                number: o.integer("number")?,
                recorded_at: o.parse("recorded_at")?,
                recorded_by: o.text("recorded_by")?,
                from: o.text("occurred_from")?,
                to: o.optional_text("occurred_to")?,
                location: o.text("location")?,
                channel: o.parse("channel")?,
                behaviours: o.json("behaviours")?,
                description: o.text("description")?,
                fear_of_violence: o.flag("fear_of_violence")?,
                breach_of_order: o.flag("breach_of_order")?,
            })
        })
        .collect()
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<CaseStatus>,
    /// Awaiting a decision past the 24-hour deadline.
    pub overdue: bool,
    /// Awaiting a decision due before this time (for "due soon").
    pub due_before: Option<String>,
    /// Recorded with this classification, principal or included.
    pub classification: Option<String>,
    /// Reported by this officer.
    pub officer: Option<String>,
}

/// A page of cases, newest report first, after a cursor (the last id of the previous page): four
/// statements at most, whatever the page size (see [`get`]).
pub fn list(
    db: &impl Sql,
    filter: &Filter,
    now: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Case>, SqlError> {
    let due_before = if filter.overdue {
        Some(now.to_string())
    } else {
        filter.due_before.clone()
    };
    let classification = filter.classification.as_ref().map(|c| format!("%\"{c}\"%"));
    let rows = db.query(
        &format!(
            "SELECT {CASE_COLUMNS} FROM cases
             WHERE (?1 IS NULL OR status = ?1)
               AND (?2 IS NULL OR (status = 'awaiting-decision' AND decision_due_at < ?2))
               AND (?3 IS NULL OR principal_classification = ?4 OR included_classifications LIKE ?3)
               AND (?5 IS NULL OR reported_by = ?5)
               AND (?6 IS NULL OR (reported_at, id) < (SELECT reported_at, id FROM cases WHERE id = ?6))
             ORDER BY reported_at DESC, id DESC LIMIT ?7"
        ),
        &[
            optional(filter.status.map(CaseStatus::as_str)),
            optional(due_before.as_deref()),
            optional(classification.as_deref()),
            optional(filter.classification.as_deref()),
            optional(filter.officer.as_deref()),
            optional(after),
            limit.into(),
        ],
    )?;
    load(db, &rows)
}

/// Counts only: what an analyst may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub cases: i64,
    pub awaiting_decision: i64,
    pub recorded: i64,
    pub no_crime: i64,
    pub recorded_as_stalking: i64,
}

pub fn stats(db: &impl Sql) -> Result<Stats, SqlError> {
    let rows = db.query(
        "SELECT COUNT(*) AS cases,
                COALESCE(SUM(status = 'awaiting-decision'), 0) AS awaiting,
                COALESCE(SUM(status = 'recorded'), 0) AS recorded,
                COALESCE(SUM(status = 'no-crime'), 0) AS no_crime,
                COALESCE(SUM(principal_classification LIKE 'stalking-%' OR included_classifications LIKE '%\"stalking-%'), 0) AS stalking
         FROM cases",
        &[],
    )?;
    let n = |c: &str| rows.required_integer(c);
    Ok(Stats {
        cases: n("cases")?,
        awaiting_decision: n("awaiting")?,
        recorded: n("recorded")?,
        no_crime: n("no_crime")?,
        recorded_as_stalking: n("stalking")?,
    })
}
