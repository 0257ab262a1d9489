//! Record digests (issue #12): every write of a case (with its suspects and occurrences), a PIN, a
//! risk assessment or a referral stores the SHA-256 of what it wrote in the record's `digest` column,
//! and the access-log entry that wrote it carries the same digest (inside the entry's hash and MAC).
//! A record edited in the database file no longer matches its digest; one edited with its digest
//! recomputed no longer matches the log; and the log cannot be edited to match without the key.
//! (Search records do the same with their versions: `searches::store`.)
//!
//! A digest covers the columns a [`Kind`] names, exactly as stored, in that order: the canonical
//! encoding is a domain line, the kind, then each value as `t<len>:<text>,` (text), `i<len>:<digits>,`
//! (integer), `r<len>:<digits>,` (real), `b<len>:<hex>,` (blob) or `n,` (NULL) — so no two different
//! rows encode the same. JSON columns are covered as the text stored. A case's digest also covers its
//! suspects' and occurrences' digests (see [`case_digest`]): they are written with the case, and the
//! case's entry is the one that vouches for them.

use crate::access::audit::RecordType;
use crate::sql::{Row, Rows, Sql, SqlError, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const DOMAIN: &[u8] = b"stalking-response/record/v1\n";

/// A kind of record with a digest: its table and the columns its digest covers, in order.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The kind as verify names it (and, for a kind with its own log entries, its `record_type`).
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

/// A case row: the victim, the report, the FOUR answers and the crime decision. Not `version`: it is
/// the ETag, bumped by every change (an occurrence added changes the digest through the occurrences).
pub const CASE: Kind = Kind {
    name: "case",
    table: "cases",
    columns: &[
        "id",
        "incident_reference",
        "reported_at",
        "reported_by",
        "relationship",
        "domestic_abuse",
        "victim_name",
        "victim_date_of_birth",
        "four_fixated",
        "four_obsessive",
        "four_unwanted",
        "four_repeated",
        "serious_alarm_or_distress",
        "decision_due_at",
        "status",
        "crime_reference",
        "principal_classification",
        "included_classifications",
        "decision_reason",
        "decided_at",
        "decided_by",
    ],
};

/// A suspect: every column (the link key too, since it links cases).
pub const SUSPECT: Kind = Kind {
    name: "suspect",
    table: "suspects",
    columns: &[
        "case_id",
        "position",
        "name",
        "date_of_birth",
        "police_id",
        "link_key",
    ],
};

/// An occurrence: every column, the narrative (`description`) included.
pub const OCCURRENCE: Kind = Kind {
    name: "occurrence",
    table: "occurrences",
    columns: &[
        "case_id",
        "number",
        "recorded_at",
        "recorded_by",
        "occurred_from",
        "occurred_to",
        "location",
        "channel",
        "behaviours",
        "description",
        "fear_of_violence",
        "breach_of_order",
    ],
};

/// A PIN request and its decision: every column.
pub const PIN: Kind = Kind {
    name: "pin",
    table: "pins",
    columns: &[
        "id",
        "case_id",
        "requested_at",
        "requested_by",
        "grounds",
        "recipient_account",
        "status",
        "refusal_reason",
        "decided_at",
        "decided_by",
        "rationale",
    ],
};

/// A risk assessment: every column — the answers, the judgement and the result as computed then.
pub const ASSESSMENT: Kind = Kind {
    name: "risk-assessment",
    table: "risk_assessments",
    columns: &[
        "id",
        "case_id",
        "instrument_id",
        "instrument_version",
        "purpose",
        "assessed_at",
        "assessed_by",
        "answers",
        "judgement",
        "evaluation",
        "level",
        "review_by",
        "supervisor_review_due_at",
    ],
};

/// A referral: every column — the sharing decision and the package as sent, and its status.
pub const REFERRAL: Kind = Kind {
    name: "referral",
    table: "referrals",
    columns: &[
        "id",
        "case_id",
        "assessment_id",
        "agency",
        "recipient",
        "criteria",
        "level",
        "status",
        "created_at",
        "due_at",
        "sent_at",
        "sent_by",
        "sharing",
        "package",
        "acknowledged_at",
        "acknowledged_by",
    ],
};

fn encode(out: &mut Vec<u8>, value: &Value) {
    let mut field = |tag: u8, text: &str| {
        out.push(tag);
        out.extend_from_slice(format!("{}:", text.len()).as_bytes());
        out.extend_from_slice(text.as_bytes());
        out.push(b',');
    };
    match value {
        Value::Text(t) => field(b't', t),
        Value::Integer(i) => field(b'i', &i.to_string()),
        Value::Real(r) => field(b'r', &r.to_string()),
        Value::Blob(b) => field(b'b', &hex::encode(b)),
        Value::Null => out.extend_from_slice(b"n,"),
    }
}

fn hash(kind: &Kind, values: &[Value], children: &[(&str, &[String])]) -> String {
    let mut out = DOMAIN.to_vec();
    encode(&mut out, &Value::from(kind.name));
    for value in values {
        encode(&mut out, value);
    }
    for (name, digests) in children {
        encode(&mut out, &Value::from(*name));
        encode(&mut out, &Value::Integer(digests.len() as i64));
        for digest in *digests {
            encode(&mut out, &Value::from(digest.as_str()));
        }
    }
    hex::encode(Sha256::digest(&out))
}

/// The digest of a row of `kind`, from its values in the kind's column order.
pub fn row_digest(kind: &Kind, values: &[Value]) -> String {
    assert_eq!(
        values.len(),
        kind.columns.len(),
        "{}: one value per column",
        kind.name
    );
    hash(kind, values, &[])
}

/// A case's digest: its row, then its suspects' digests (by position) and its occurrences' (by
/// number). Every write of the case, of a suspect or of an occurrence changes it.
pub fn case_digest(case: &[Value], suspects: &[String], occurrences: &[String]) -> String {
    assert_eq!(case.len(), CASE.columns.len(), "case: one value per column");
    hash(
        &CASE,
        case,
        &[("suspects", suspects), ("occurrences", occurrences)],
    )
}

/// The values of `kind`'s columns in a row that selected them.
pub fn values(kind: &Kind, row: Row<'_>) -> Result<Vec<Value>, SqlError> {
    kind.columns.iter().map(|c| row.value(c).cloned()).collect()
}

/// `kind`'s columns, comma-separated, for a `SELECT` or `RETURNING`.
pub fn column_list(kind: &Kind) -> String {
    kind.columns.join(", ")
}

/// Inserts a row of `kind` (its values in column order) with its digest.
pub fn insert(db: &impl Sql, kind: &Kind, values: &[Value], digest: &str) -> Result<(), SqlError> {
    assert_eq!(
        values.len(),
        kind.columns.len(),
        "{}: one value per column",
        kind.name
    );
    let placeholders: Vec<String> = (1..=values.len() + 1).map(|i| format!("?{i}")).collect();
    let mut params = values.to_vec();
    params.push(digest.into());
    db.run(
        &format!(
            "INSERT INTO {} ({}, digest) VALUES ({})",
            kind.table,
            column_list(kind),
            placeholders.join(", ")
        ),
        &params,
    )
}

/// After an update `… RETURNING {column_list}` of one row with an `id`, stores its new digest and
/// returns it (one statement); `None` when the update changed no row.
pub fn restamp(db: &impl Sql, kind: &Kind, updated: &Rows) -> Result<Option<String>, SqlError> {
    let Some(row) = updated.first_row() else {
        return Ok(None);
    };
    let digest = row_digest(kind, &values(kind, row)?);
    db.run(
        &format!("UPDATE {} SET digest = ?1 WHERE id = ?2", kind.table),
        &[digest.as_str().into(), row.value("id")?.clone()],
    )?;
    Ok(Some(digest))
}

/// What verify found for one kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindCheck {
    pub kind: &'static str,
    /// Records stored.
    pub records: i64,
    /// Records with a digest, checked against it and against the log.
    pub covered: i64,
    /// Records written before record digests (no digest, and none in the log): not checked.
    pub not_covered: i64,
    /// Problems found with records of this kind.
    pub problems: i64,
}

/// A record that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub kind: &'static str,
    pub id: String,
    pub problem: String,
}

/// What checking the stored records against their digests and the access log found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Check {
    pub kinds: Vec<KindCheck>,
    /// The records that do not verify: at most [`MOST_LISTED`].
    pub mismatches: Vec<Mismatch>,
}

/// At most this many mismatches are listed (every one is counted in its kind's `problems`).
pub const MOST_LISTED: usize = 1000;

/// Records checked a page at a time, so verify holds one page in memory, never a table.
const PAGE: i64 = 500;

impl Check {
    pub fn valid(&self) -> bool {
        self.kinds.iter().all(|k| k.problems == 0)
    }

    fn kind(&mut self, kind: &Kind) -> usize {
        match self.kinds.iter().position(|k| k.kind == kind.name) {
            Some(i) => i,
            None => {
                self.kinds.push(KindCheck {
                    kind: kind.name,
                    ..KindCheck::default()
                });
                self.kinds.len() - 1
            }
        }
    }

    fn problem(&mut self, kind: &Kind, id: &str, problem: impl Into<String>) {
        let i = self.kind(kind);
        self.kinds[i].problems += 1;
        if self.mismatches.len() < MOST_LISTED {
            self.mismatches.push(Mismatch {
                kind: kind.name,
                id: id.into(),
                problem: problem.into(),
            });
        }
    }

    /// Counts a record, and checks its stored digest against the digest recomputed from its content
    /// and (for a kind with its own entries) against the one its latest writing entry recorded.
    fn record(
        &mut self,
        kind: &Kind,
        id: &str,
        stored: Option<&str>,
        actual: &str,
        logged: Option<Option<&str>>,
    ) {
        let i = self.kind(kind);
        self.kinds[i].records += 1;
        let Some(stored) = stored else {
            if let Some(Some(_)) = logged {
                self.problem(
                    kind,
                    id,
                    "it has no digest, but the access log recorded one for it (digest removed)",
                );
            } else {
                self.kinds[i].not_covered += 1;
            }
            return;
        };
        self.kinds[i].covered += 1;
        if stored != actual {
            self.problem(kind, id, "its content does not match its digest (altered)");
            return;
        }
        match logged {
            None => {}
            Some(None) => self.problem(
                kind,
                id,
                "no access-log entry wrote it (inserted or altered outside the app)",
            ),
            Some(Some(logged)) if logged != stored => self.problem(
                kind,
                id,
                "it does not match the digest in the access-log entry that last wrote it (altered)",
            ),
            Some(Some(_)) => {}
        }
    }
}

/// The digest recorded by the latest entry that wrote each record (collection, alteration or — for a
/// case disposed of, whose tombstone it vouches for — erasure, with a digest), for one page of ids: one statement, along the log's index by record.
fn logged(
    db: &impl Sql,
    record_type: RecordType,
    ids: &[String],
) -> Result<BTreeMap<String, String>, SqlError> {
    let rows = db.query(
        "SELECT r.value AS id,
                (SELECT l.digest FROM access_log l
                 WHERE l.record_type = ?1 AND l.record_id = r.value AND l.digest IS NOT NULL
                   AND l.operation IN ('collection', 'alteration', 'erasure')
                 ORDER BY l.seq DESC LIMIT 1) AS digest
         FROM json_each(?2) r",
        &[record_type.as_str().into(), Value::json(&ids)],
    )?;
    let mut out = BTreeMap::new();
    for row in rows.iter() {
        if let Some(digest) = row.optional_text("digest")? {
            out.insert(row.text("id")?, digest);
        }
    }
    Ok(out)
}

/// Records of a kind the log vouches for (an entry wrote them with a digest) that are no longer
/// stored: one statement, at most [`MOST_LISTED`].
fn removed(
    db: &impl Sql,
    check: &mut Check,
    kind: &Kind,
    record_type: RecordType,
) -> Result<(), SqlError> {
    let rows = db.query(
        &format!(
            "SELECT DISTINCT record_id FROM access_log
             WHERE record_type = ?1 AND digest IS NOT NULL AND operation IN ('collection', 'alteration', 'erasure')
               AND record_id NOT IN (SELECT id FROM {}) LIMIT {MOST_LISTED}",
            kind.table
        ),
        &[record_type.as_str().into()],
    )?;
    for row in rows.iter() {
        check.problem(
            kind,
            &row.text("record_id")?,
            "the access log records writing it, but it is no longer stored (removed)",
        );
    }
    Ok(())
}

/// A page of rows of `table` after `rowid`, in rowid order.
fn page(db: &impl Sql, kind: &Kind, after: i64) -> Result<Rows, SqlError> {
    db.query(
        &format!(
            "SELECT rowid AS row_number, {}, digest FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT {PAGE}",
            column_list(kind),
            kind.table
        ),
        &[after.into()],
    )
}

fn last_rowid(rows: &Rows) -> Result<Option<i64>, SqlError> {
    rows.iter()
        .last()
        .map(|r| r.integer("row_number"))
        .transpose()
}

/// Checks every record of a kind with its own log entries (PINs, assessments, referrals).
fn verify_kind(
    db: &impl Sql,
    check: &mut Check,
    kind: &Kind,
    record_type: RecordType,
) -> Result<(), SqlError> {
    check.kind(kind);
    let mut after = 0;
    loop {
        let rows = page(db, kind, after)?;
        let Some(last) = last_rowid(&rows)? else {
            break;
        };
        after = last;
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<_, _>>()?;
        let log = logged(db, record_type, &ids)?;
        for (row, id) in rows.iter().zip(&ids) {
            let actual = row_digest(kind, &values(kind, row)?);
            let stored = row.optional_text("digest")?;
            let logged = Some(log.get(id).map(String::as_str));
            check.record(kind, id, stored.as_deref(), &actual, logged);
        }
    }
    removed(db, check, kind, record_type)
}

/// Checks every case with its suspects and occurrences: each suspect and occurrence against its own
/// digest (which names the one edited), and each case — its row and every suspect's and occurrence's
/// content — against its digest and its latest writing entry's.
fn verify_cases(db: &impl Sql, check: &mut Check) -> Result<(), SqlError> {
    for kind in [&CASE, &SUSPECT, &OCCURRENCE] {
        check.kind(kind);
    }
    let mut after = 0;
    loop {
        let rows = page(db, &CASE, after)?;
        let Some(last) = last_rowid(&rows)? else {
            break;
        };
        after = last;
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<_, _>>()?;
        let children = |kind: &Kind, order: &str| {
            db.query(
                &format!(
                    "SELECT {}, digest FROM {} WHERE case_id IN (SELECT value FROM json_each(?1))
                     ORDER BY case_id, {order}",
                    column_list(kind),
                    kind.table
                ),
                &[Value::json(&ids)],
            )
        };
        let suspect_rows = children(&SUSPECT, "position")?;
        let occurrence_rows = children(&OCCURRENCE, "number")?;
        let suspects = child_digests(check, &SUSPECT, &suspect_rows, "position")?;
        let occurrences = child_digests(check, &OCCURRENCE, &occurrence_rows, "number")?;
        let log = logged(db, RecordType::Case, &ids)?;
        let none = Vec::new();
        for (row, id) in rows.iter().zip(&ids) {
            let actual = case_digest(
                &values(&CASE, row)?,
                suspects.get(id).unwrap_or(&none),
                occurrences.get(id).unwrap_or(&none),
            );
            let stored = row.optional_text("digest")?;
            let logged = Some(log.get(id).map(String::as_str));
            check.record(&CASE, id, stored.as_deref(), &actual, logged);
        }
    }
    removed(db, check, &CASE, RecordType::Case)
}

/// Checks each suspect or occurrence against its own digest; returns each case's digests of them,
/// recomputed from their content, in order.
fn child_digests(
    check: &mut Check,
    kind: &Kind,
    rows: &Rows,
    number: &str,
) -> Result<BTreeMap<String, Vec<String>>, SqlError> {
    let mut by_case: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows.iter() {
        let case_id = row.text("case_id")?;
        let id = format!("{case_id}/{}", row.integer(number)?);
        let actual = row_digest(kind, &values(kind, row)?);
        let stored = row.optional_text("digest")?;
        // Vouched for by the case's entry, through the case's digest: not looked up on its own.
        check.record(kind, &id, stored.as_deref(), &actual, None);
        by_case.entry(case_id).or_default().push(actual);
    }
    Ok(by_case)
}

/// Checks every case (with its suspects and occurrences), PIN, risk assessment and referral.
pub fn verify(db: &impl Sql) -> Result<Check, SqlError> {
    let mut check = Check::default();
    verify_cases(db, &mut check)?;
    verify_kind(db, &mut check, &PIN, RecordType::Pin)?;
    verify_kind(db, &mut check, &ASSESSMENT, RecordType::RiskAssessment)?;
    verify_kind(db, &mut check, &REFERRAL, RecordType::Referral)?;
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(grounds: &str) -> Vec<Value> {
        let mut values: Vec<Value> = PIN.columns.iter().map(|c| Value::from(*c)).collect();
        values[4] = grounds.into();
        values[7] = Value::Null;
        values
    }

    #[test]
    fn a_digest_is_sha256_hex_and_stable() {
        let d = row_digest(&PIN, &pin("Single incident"));
        assert_eq!(d.len(), 64);
        assert!(d.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(d, row_digest(&PIN, &pin("Single incident")));
    }

    #[test]
    fn any_change_to_a_value_changes_the_digest() {
        let base = row_digest(&PIN, &pin("Single incident"));
        assert_ne!(base, row_digest(&PIN, &pin("Single incident.")));
        let mut null_to_empty = pin("Single incident");
        null_to_empty[7] = "".into();
        assert_ne!(base, row_digest(&PIN, &null_to_empty), "NULL is not ''");
        let mut text_one = pin("Single incident");
        let mut integer_one = text_one.clone();
        text_one[7] = "1".into();
        integer_one[7] = Value::Integer(1);
        assert_ne!(
            row_digest(&PIN, &text_one),
            row_digest(&PIN, &integer_one),
            "the type counts"
        );
    }

    #[test]
    fn values_cannot_be_shifted_between_columns() {
        // Length prefixes: "ab","c" and "a","bc" encode differently.
        let mut a = pin("x");
        let mut b = pin("x");
        a[4] = "ab".into();
        a[5] = "c".into();
        b[4] = "a".into();
        b[5] = "bc".into();
        assert_ne!(row_digest(&PIN, &a), row_digest(&PIN, &b));
    }

    #[test]
    fn the_kind_is_part_of_the_digest() {
        let values: Vec<Value> = (0..SUSPECT.columns.len() as i64)
            .map(Value::Integer)
            .collect();
        let as_suspect = row_digest(&SUSPECT, &values);
        let other = Kind {
            name: "other",
            ..SUSPECT
        };
        assert_ne!(as_suspect, row_digest(&other, &values));
    }

    #[test]
    fn a_case_digest_covers_its_suspects_and_occurrences() {
        let case: Vec<Value> = CASE.columns.iter().map(|c| Value::from(*c)).collect();
        let s = vec!["s0".to_string()];
        let o = vec!["o1".to_string(), "o2".to_string()];
        let base = case_digest(&case, &s, &o);
        assert_ne!(
            base,
            case_digest(&case, &s, &o[..1]),
            "an occurrence removed"
        );
        assert_ne!(base, case_digest(&case, &[], &o), "a suspect removed");
        assert_ne!(
            base,
            case_digest(&case, &[], &["s0".into(), "o1".into(), "o2".into()]),
            "a suspect moved to the occurrences"
        );
        assert_ne!(
            base,
            case_digest(&case, &s, &["o1".into(), "o3".into()]),
            "an occurrence changed"
        );
        let mut renamed = case.clone();
        renamed[6] = "Someone else".into();
        assert_ne!(base, case_digest(&renamed, &s, &o), "the victim renamed");
    }

    #[test]
    fn a_check_names_what_does_not_match() {
        let mut check = Check::default();
        check.record(&PIN, "p1", Some("a"), "a", Some(Some("a")));
        check.record(&PIN, "p2", None, "b", Some(None));
        assert!(check.valid());
        assert_eq!(
            (
                check.kinds[0].records,
                check.kinds[0].covered,
                check.kinds[0].not_covered
            ),
            (2, 1, 1)
        );
        check.record(&PIN, "p3", Some("c"), "x", Some(Some("c")));
        check.record(&PIN, "p4", Some("x"), "x", Some(Some("c")));
        check.record(&PIN, "p5", Some("x"), "x", Some(None));
        check.record(&PIN, "p6", None, "x", Some(Some("c")));
        assert!(!check.valid());
        let named: Vec<(&str, &str)> = check
            .mismatches
            .iter()
            .map(|m| (m.kind, m.id.as_str()))
            .collect();
        assert_eq!(
            named,
            [("pin", "p3"), ("pin", "p4"), ("pin", "p5"), ("pin", "p6")]
        );
        assert!(
            check.mismatches[0]
                .problem
                .contains("does not match its digest")
        );
        assert!(
            check.mismatches[1]
                .problem
                .contains("access-log entry that last wrote it")
        );
        assert!(check.mismatches[3].problem.contains("digest removed"));
    }
}
