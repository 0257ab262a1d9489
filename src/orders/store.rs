//! Orders, stored: the order with its terms as one JSON document, its dated history (append-only), and
//! the lists a supervisor works from. A page of orders costs two statements however long it is.

use super::{Breach, HistoryEntry, Notification, Order, OrderKind, OrderStatus, Terms};
use crate::ids::{CaseId, OrderId, PersonId};
use crate::sql::{Row, Rows, Sql, SqlError, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

const COLUMNS: &str =
    "id, version, case_id, person_id, suspect, kind, status, recorded_at, recorded_by, terms";

fn terms_json(terms: &Terms) -> Value {
    Value::json(terms)
}

/// Stores a new order and the first entry of its history.
#[allow(clippy::too_many_arguments)] // each is one column of the new row
pub fn create(
    db: &impl Sql,
    id: &OrderId,
    case_id: &CaseId,
    person_id: &PersonId,
    suspect: i64,
    kind: OrderKind,
    status: OrderStatus,
    terms: &Terms,
    now: &str,
    by: &str,
) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO orders (id, case_id, person_id, suspect, kind, status, recorded_at, recorded_by,
                             terms, notification_due_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)",
        &[
            id.into(),
            case_id.into(),
            person_id.into(),
            suspect.into(),
            kind.as_str().into(),
            status.as_str().into(),
            now.into(),
            by.into(),
            terms_json(terms),
        ],
    )?;
    history(
        db,
        id,
        now,
        by,
        "recorded",
        &serde_json::json!({ "kind": kind }),
    )
}

fn history(
    db: &impl Sql,
    id: &OrderId,
    now: &str,
    by: &str,
    kind: &str,
    detail: &serde_json::Value,
) -> Result<(), SqlError> {
    db.run(
        "INSERT INTO order_history (order_id, number, recorded_at, recorded_by, type, detail)
         VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM order_history WHERE order_id = ?1),
                 ?2, ?3, ?4, ?5)",
        &[
            id.into(),
            now.into(),
            by.into(),
            kind.into(),
            Value::json(detail),
        ],
    )
}

/// Why a change was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateRefused {
    NotFound,
    VersionMismatch(i64),
}

/// Stores an order's new status and terms at `expected_version`, with the history entry that says why.
#[allow(clippy::too_many_arguments)] // the change, its version check and its history entry
pub fn update(
    db: &impl Sql,
    id: &OrderId,
    expected_version: i64,
    status: OrderStatus,
    terms: &Terms,
    breach: bool,
    entry: (&str, &serde_json::Value),
    now: &str,
    by: &str,
) -> Result<Result<(), UpdateRefused>, SqlError> {
    let changed = db.query(
        "UPDATE orders SET version = version + 1, status = ?3, terms = ?4, breaches = breaches + ?5,
                notification_due_at = ?6
         WHERE id = ?1 AND version = ?2 RETURNING version",
        &[
            id.into(),
            expected_version.into(),
            status.as_str().into(),
            terms_json(terms),
            i64::from(breach).into(),
            // Listed as due only while the notification is not yet given.
            match (&terms.notification_due_at, &terms.notified_at) {
                (Some(due), None) => due.as_str().into(),
                _ => Value::Null,
            },
        ],
    )?;
    if changed.rows.is_empty() {
        let current = db.query("SELECT version FROM orders WHERE id = ?1", &[id.into()])?;
        return Ok(Err(match current.first_integer("version") {
            Some(v) => UpdateRefused::VersionMismatch(v),
            None => UpdateRefused::NotFound,
        }));
    }
    history(db, id, now, by, entry.0, entry.1)?;
    Ok(Ok(()))
}

pub fn get(db: &impl Sql, id: &OrderId, now: OffsetDateTime) -> Result<Option<Order>, SqlError> {
    let rows = db.query(
        &format!("SELECT {COLUMNS} FROM orders WHERE id = ?1"),
        &[id.into()],
    )?;
    Ok(load(db, &rows, now)?.pop())
}

/// Which orders a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub case: Option<CaseId>,
    /// SPOs whose subject's notification is due and not given, oldest due first.
    pub notification_overdue: bool,
}

/// A page of orders: of a case (by id), or overdue notifications (by due time), after `after` (an
/// order id). Two statements.
pub fn list(
    db: &impl Sql,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
    now: OffsetDateTime,
) -> Result<Vec<Order>, SqlError> {
    let now_text = crate::values::timestamp(now);
    let rows = match (&filter.case, filter.notification_overdue) {
        (Some(case), overdue) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM orders WHERE case_id = ?1 AND (?2 IS NULL OR id > ?2)
                   AND (?4 = 0 OR notification_due_at < ?5)
                 ORDER BY id LIMIT ?3"
            ),
            &[
                case.into(),
                after.map_or(Value::Null, Value::from),
                limit.into(),
                i64::from(overdue).into(),
                now_text.as_str().into(),
            ],
        )?,
        (None, true) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM orders WHERE notification_due_at < ?3
                   AND (?1 IS NULL OR (notification_due_at, id) >
                        ((SELECT notification_due_at FROM orders WHERE id = ?1), ?1))
                 ORDER BY notification_due_at, id LIMIT ?2"
            ),
            &[
                after.map_or(Value::Null, Value::from),
                limit.into(),
                now_text.as_str().into(),
            ],
        )?,
        (None, false) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM orders WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2"
            ),
            &[after.map_or(Value::Null, Value::from), limit.into()],
        )?,
    };
    load(db, &rows, now)
}

/// The orders of `rows` with their history: one more statement.
fn load(db: &impl Sql, rows: &Rows, now: OffsetDateTime) -> Result<Vec<Order>, SqlError> {
    if rows.rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<_, _>>()?;
    let entries = db.query(
        "SELECT order_id, number, recorded_at, recorded_by, type, detail FROM order_history
         WHERE order_id IN (SELECT value FROM json_each(?1)) ORDER BY order_id, number",
        &[Value::json(&ids)],
    )?;
    let mut histories: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for entry in entries.iter() {
        histories
            .entry(entry.text("order_id")?)
            .or_default()
            .push(entry);
    }
    rows.iter()
        .map(|r| {
            let id = r.text("id")?;
            let kind: OrderKind = r.parse("kind")?;
            let status: OrderStatus = r.parse("status")?;
            let terms: Terms = r.json("terms")?;
            let mut history = Vec::new();
            let mut breaches = Vec::new();
            for e in histories.remove(&id).unwrap_or_default() {
                let detail: serde_json::Value = e.json("detail")?;
                let entry = HistoryEntry {
                    number: e.integer("number")?,
                    recorded_at: e.parse("recorded_at")?,
                    recorded_by: e.text("recorded_by")?,
                    kind: e.text("type")?,
                    detail,
                };
                if entry.kind == "breach" {
                    breaches.push(Breach {
                        occurrence: entry.detail["occurrence"].as_i64().unwrap_or_default(),
                        recorded_at: entry.recorded_at.clone(),
                        recorded_by: entry.recorded_by.clone(),
                        offence: entry.detail["offence"].as_str().map(str::to_string),
                    });
                }
                history.push(entry);
            }
            let notification: Option<Notification> = super::notification(kind, &terms, now);
            Ok(Order {
                id: r.parse("id")?,
                version: r.integer("version")?,
                case_id: r.parse("case_id")?,
                person_id: r.parse("person_id")?,
                suspect: r.integer("suspect")?,
                kind,
                status,
                in_effect: super::in_effect(status, &terms, now),
                recorded_at: r.parse("recorded_at")?,
                recorded_by: r.text("recorded_by")?,
                terms,
                notification,
                history,
                breaches,
            })
        })
        .collect()
}

/// An order in a person's profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderSummary {
    pub id: OrderId,
    pub case_id: CaseId,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub breaches: i64,
}

/// The orders against a person (the first 50 by id): one statement.
pub fn of_person(db: &impl Sql, person: &PersonId) -> Result<Vec<OrderSummary>, SqlError> {
    let rows = db.query(
        "SELECT id, case_id, kind, status, breaches FROM orders WHERE person_id = ?1 ORDER BY id LIMIT 50",
        &[person.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(OrderSummary {
                id: r.parse("id")?,
                case_id: r.parse("case_id")?,
                kind: r.parse("kind")?,
                status: r.parse("status")?,
                breaches: r.integer("breaches")?,
            })
        })
        .collect()
}
