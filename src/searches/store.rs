//! Search records, stored: an original and its amendments, each a whole document with its SHA-256,
//! never changed or removed; the access-log entry that wrote each version carries the same digest, so
//! a record edited in the database no longer matches the hash-chained log. Also the compliance report.

use crate::cases::store::{self as cases, UpdateRefused};
use crate::ids::SearchId;
use crate::searches::{self, CaseFacts, Compliance, Power, SearchRecord, Status};
use crate::sql::{Row, Sql, SqlError, Value};
use crate::values::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A version's document as stored, and its digest.
pub fn encode(record: &SearchRecord) -> (String, String) {
    let text = serde_json::to_string(record).expect("serialises");
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    (text, digest)
}

/// The day a search is filed under: when it was carried out, or applied for, or recorded.
fn searched_on(record: &SearchRecord, now: &str) -> String {
    record
        .execution
        .as_ref()
        .map(|x| x.started_at.as_str())
        .or(record.application.as_ref().map(|a| a.applied_at.as_str()))
        .or(record.consent.as_ref().map(|c| c.given_at.as_str()))
        .and_then(crate::values::parse_time)
        .map_or_else(|| now[..10].to_string(), |t| t.date().to_string())
}

/// Stores a new record (version 1); returns its digest, for the access log.
pub fn create(
    db: &impl Sql,
    id: &SearchId,
    record: &SearchRecord,
    now: &str,
    by: &str,
) -> Result<String, SqlError> {
    let (text, digest) = encode(record);
    db.run(
        "INSERT INTO searches (id, case_id, power, searched_on, version, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
        &[
            id.into(),
            record.case_id.as_str().into(),
            record.power.as_str().into(),
            searched_on(record, now).into(),
            now.into(),
            by.into(),
        ],
    )?;
    let version = Version {
        id,
        version: 1,
        now,
        by,
        reason: None,
        changes: None,
        text: &text,
        digest: &digest,
    };
    insert_version(db, &version)?;
    Ok(digest)
}

/// One version of a record as it is written.
struct Version<'a> {
    id: &'a str,
    version: i64,
    now: &'a str,
    by: &'a str,
    reason: Option<&'a str>,
    changes: Option<&'a serde_json::Value>,
    text: &'a str,
    digest: &'a str,
}

fn insert_version(db: &impl Sql, v: &Version<'_>) -> Result<(), SqlError> {
    let Version {
        id,
        version,
        now,
        by,
        reason,
        changes,
        text,
        digest,
    } = *v;
    db.run(
        "INSERT INTO search_versions (search_id, version, at, by, reason, changes, document, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            id.into(),
            version.into(),
            now.into(),
            by.into(),
            reason.map_or(Value::Null, Value::from),
            changes.map_or(Value::Null, Value::json),
            text.into(),
            digest.into(),
        ],
    )
}

/// An amendment: the new whole document, the change (a JSON merge patch) and why.
#[derive(Debug, Clone, Copy)]
pub struct Amendment<'a> {
    pub record: &'a SearchRecord,
    pub changes: &'a serde_json::Value,
    pub reason: &'a str,
}

/// Adds an amendment made against `expected_version`. Returns the new version and its digest.
pub fn amend(
    db: &impl Sql,
    id: &SearchId,
    expected_version: i64,
    amendment: &Amendment<'_>,
    now: &str,
    by: &str,
) -> Result<Result<(i64, String), UpdateRefused>, SqlError> {
    let Amendment {
        record,
        changes,
        reason,
    } = *amendment;
    let bumped = db.query(
        "UPDATE searches SET version = version + 1, case_id = ?3, power = ?4, searched_on = ?5
         WHERE id = ?1 AND version = ?2 RETURNING version",
        &[
            id.into(),
            expected_version.into(),
            record.case_id.as_str().into(),
            record.power.as_str().into(),
            searched_on(record, now).into(),
        ],
    )?;
    let Some(version) = bumped.first_integer("version") else {
        let current = db.query("SELECT version FROM searches WHERE id = ?1", &[id.into()])?;
        return Ok(Err(match current.first_integer("version") {
            Some(v) => UpdateRefused::VersionMismatch(v),
            None => UpdateRefused::NotFound,
        }));
    };
    let (text, digest) = encode(record);
    let version_row = Version {
        id,
        version,
        now,
        by,
        reason: Some(reason.trim()),
        changes: Some(changes),
        text: &text,
        digest: &digest,
    };
    insert_version(db, &version_row)?;
    Ok(Ok((version, digest)))
}

/// One version's metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub at: Timestamp,
    pub by: String,
    /// Why it was amended; none for the original.
    pub reason: Option<String>,
    /// The amendment, as a JSON Merge Patch.
    pub changes: Option<serde_json::Value>,
    pub digest: String,
}

/// A search as it now stands, with its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Search {
    pub id: SearchId,
    pub version: i64,
    pub searched_on: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub record: SearchRecord,
    pub versions: Vec<VersionInfo>,
}

pub fn get(db: &impl Sql, id: &SearchId) -> Result<Option<Search>, SqlError> {
    Ok(load(db, "s.id = ?1", &[id.into()])?.pop())
}

/// The columns of a search row and its latest version's document.
const SEARCH_COLUMNS: &str =
    "s.id AS id, s.version AS version, s.searched_on AS searched_on, s.created_at AS created_at,
     s.created_by AS created_by, v.document AS document
    FROM searches s LEFT JOIN search_versions v ON v.search_id = s.id
     AND v.version = (SELECT MAX(version) FROM search_versions WHERE search_id = s.id)";

/// The searches `condition` selects (on `s`, with its ordering and limit), each with its history: two
/// statements, however many there are.
fn load(db: &impl Sql, condition: &str, params: &[Value]) -> Result<Vec<Search>, SqlError> {
    let rows = db.query(
        &format!("SELECT {SEARCH_COLUMNS} WHERE {condition}"),
        params,
    )?;
    if rows.rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<SearchId> = rows
        .iter()
        .map(|r| r.parse("id"))
        .collect::<Result<_, _>>()?;
    let mut versions: BTreeMap<String, Vec<VersionInfo>> = BTreeMap::new();
    let version_rows = db.query(
        "SELECT version, at, by, reason, changes, digest, search_id FROM search_versions
         WHERE search_id IN (SELECT value FROM json_each(?1)) ORDER BY search_id, version",
        &[Value::json(&ids)],
    )?;
    for v in version_rows.iter() {
        versions
            .entry(v.text("search_id")?)
            .or_default()
            .push(version_info(v)?);
    }
    rows.iter()
        .zip(ids)
        .map(|(row, id)| {
            Ok(Search {
                version: row.integer("version")?,
                searched_on: row.text("searched_on")?,
                created_at: row.parse("created_at")?,
                created_by: row.text("created_by")?,
                record: row.json("document")?,
                versions: versions.remove(id.as_str()).unwrap_or_default(),
                id,
            })
        })
        .collect()
}

/// A row of `SELECT version, at, by, reason, changes, digest, …` as version metadata.
fn version_info(v: Row<'_>) -> Result<VersionInfo, SqlError> {
    Ok(VersionInfo {
        version: v.integer("version")?,
        at: v.parse("at")?,
        by: v.text("by")?,
        reason: v.optional_text("reason")?,
        changes: v.optional_json("changes")?,
        digest: v.text("digest")?,
    })
}

/// One version as it was written: the original stays readable after any amendment.
pub fn version(
    db: &impl Sql,
    id: &SearchId,
    number: i64,
) -> Result<Option<(VersionInfo, SearchRecord)>, SqlError> {
    let rows = db.query(
        "SELECT version, at, by, reason, changes, digest, document FROM search_versions
         WHERE search_id = ?1 AND version = ?2",
        &[id.into(), number.into()],
    )?;
    rows.first_row()
        .map(|v| Ok((version_info(v)?, v.json("document")?)))
        .transpose()
}

/// Which searches to list or report on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Inclusive dates, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    pub power: Option<Power>,
    pub case_id: Option<String>,
}

/// The filter as SQL on the searches aliased `alias`, with parameters ?1 to ?4 ([`Filter::params`]).
fn filter_sql(alias: &str) -> String {
    format!(
        "(?1 IS NULL OR {alias}.searched_on >= ?1) AND (?2 IS NULL OR {alias}.searched_on <= ?2)
         AND (?3 IS NULL OR {alias}.power = ?3) AND (?4 IS NULL OR {alias}.case_id = ?4)"
    )
}

impl Filter {
    fn params(&self) -> Vec<Value> {
        vec![
            self.from.as_deref().map_or(Value::Null, Value::from),
            self.to.as_deref().map_or(Value::Null, Value::from),
            self.power.map_or(Value::Null, |p| p.as_str().into()),
            self.case_id.as_deref().map_or(Value::Null, Value::from),
        ]
    }
}

/// Every search the filter selects, newest first: two statements.
pub fn select(db: &impl Sql, filter: &Filter) -> Result<Vec<Search>, SqlError> {
    load(
        db,
        &format!("{} ORDER BY s.searched_on DESC, s.id DESC", filter_sql("s")),
        &filter.params(),
    )
}

/// Each search's compliance as of `now`, from its record and its case: one statement for the cases.
fn checked(
    db: &impl Sql,
    searches: Vec<Search>,
    return_days: i64,
    now: OffsetDateTime,
) -> Result<Vec<(Search, Compliance)>, SqlError> {
    if searches.is_empty() {
        return Ok(Vec::new());
    }
    let case_ids: Vec<&str> = searches.iter().map(|s| s.record.case_id.as_str()).collect();
    let stalking = cases::stalking(db, &case_ids)?;
    Ok(searches
        .into_iter()
        .map(|search| {
            let facts = CaseFacts {
                stalking_suspected: stalking
                    .get(&search.record.case_id)
                    .copied()
                    .unwrap_or(false),
            };
            let compliance = searches::compliance(&search.record, facts, return_days, now);
            (search, compliance)
        })
        .collect())
}

/// Every search the filter selects, newest first, with its compliance as of `now`: what the report
/// counts. Three statements, however many searches the period holds.
pub fn select_checked(
    db: &impl Sql,
    filter: &Filter,
    return_days: i64,
    now: OffsetDateTime,
) -> Result<Vec<(Search, Compliance)>, SqlError> {
    checked(db, select(db, filter)?, return_days, now)
}

/// A page of the searches the filter selects, newest first, after a cursor (the last id of the previous
/// page, which must be one the filter selects), each with its compliance as of `now`; with `status`,
/// only those at that status. Paged in SQL: three statements, and one more with `status` (which first
/// brings the stored statuses of the filter's searches up to date: two more when any has to be worked
/// out again).
/// A page of a list: after a cursor (the last id of the previous page), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub after: Option<&'a str>,
    pub limit: i64,
}

pub fn list(
    db: &impl Sql,
    filter: &Filter,
    status: Option<Status>,
    page: Page<'_>,
    return_days: i64,
    now: OffsetDateTime,
) -> Result<Vec<(Search, Compliance)>, SqlError> {
    let Page { after, limit } = page;
    if status.is_some() {
        refresh_compliance(db, filter, return_days, now)?;
    }
    let mut params = filter.params();
    params.extend([
        status.map_or(Value::Null, |s| s.as_str().into()),
        after.map_or(Value::Null, Value::from),
        limit.into(),
    ]);
    let page = load(
        db,
        &format!(
            "{} AND (?5 IS NULL OR s.compliance_status = ?5)
             AND (?6 IS NULL OR (s.searched_on, s.id) < (SELECT c.searched_on, c.id FROM searches c WHERE c.id = ?6 AND {}))
             ORDER BY s.searched_on DESC, s.id DESC LIMIT ?7",
            filter_sql("s"),
            filter_sql("c"),
        ),
        &params,
    )?;
    checked(db, page, return_days, now)
}

/// Works out again the stored compliance of the filter's searches that may no longer hold: never worked
/// out, worked out with another return limit, changed since (see migration 0006), or past the day it
/// could turn. One statement when there is none; three otherwise.
fn refresh_compliance(
    db: &impl Sql,
    filter: &Filter,
    return_days: i64,
    now: OffsetDateTime,
) -> Result<(), SqlError> {
    let mut params = filter.params();
    params.extend([return_days.into(), now.date().to_string().into()]);
    let stale = load_latest(
        db,
        &format!(
            "(s.compliance_return_days < ?5 OR s.compliance_return_days > ?5
              OR (s.compliance_return_days = ?5 AND s.compliance_stale_on <= ?6)) AND {}",
            filter_sql("s")
        ),
        &params,
    )?;
    if stale.is_empty() {
        return Ok(());
    }
    let case_ids: Vec<&str> = stale.iter().map(|(_, r)| r.case_id.as_str()).collect();
    let stalking = cases::stalking(db, &case_ids)?;
    let updates: Vec<(String, &str, String)> = stale
        .iter()
        .map(|(id, record)| {
            let facts = CaseFacts {
                stalking_suspected: stalking.get(&record.case_id).copied().unwrap_or(false),
            };
            let (compliance, turns) = searches::compliance_until(record, facts, return_days, now);
            let stale_on = turns.map_or_else(|| NEVER_STALE.to_string(), |d| d.to_string());
            (id.clone(), compliance.status.as_str(), stale_on)
        })
        .collect();
    db.run(
        "UPDATE searches SET compliance_status = json_extract(u.value, '$[1]'),
             compliance_stale_on = json_extract(u.value, '$[2]'), compliance_return_days = ?2
         FROM json_each(?1) AS u WHERE searches.id = json_extract(u.value, '$[0]')",
        &[Value::json(&updates), return_days.into()],
    )
}

/// The `compliance_stale_on` of a status no passing day can change.
const NEVER_STALE: &str = "9999-12-31";

/// The id and latest record of each search `condition` selects: one statement.
fn load_latest(
    db: &impl Sql,
    condition: &str,
    params: &[Value],
) -> Result<Vec<(String, SearchRecord)>, SqlError> {
    db.query(
        &format!("SELECT {SEARCH_COLUMNS} WHERE {condition}"),
        params,
    )?
    .iter()
    .map(|row| Ok((row.text("id")?, row.json("document")?)))
    .collect()
}

/// What checking the stored records against the access log found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordCheck {
    pub versions: i64,
    pub valid: bool,
    /// Every mismatch: `search <id> version <n>: <why>`.
    pub problems: Vec<String>,
    /// The same, by record (id `<search id>/<version>`, or the search's id for one removed).
    #[serde(skip)]
    pub mismatches: Vec<crate::digests::Mismatch>,
}

impl RecordCheck {
    fn problem(&mut self, id: String, at: &str, why: String) {
        self.problems.push(format!("{at}: {why}"));
        self.mismatches.push(crate::digests::Mismatch {
            kind: "search",
            id,
            problem: why,
        });
    }
}

/// Every stored version must hash to its digest, and that digest must be in the access log as written
/// by an entry for this search; every digest the log vouches for must still be stored; the index row
/// must agree with the latest version. (The log itself is checked by `audit::verify`.)
pub fn verify(db: &impl Sql) -> Result<RecordCheck, SqlError> {
    let mut check = RecordCheck::default();
    let logged = db.query(
        "SELECT record_id, digest FROM access_log WHERE record_type = 'search' AND digest IS NOT NULL",
        &[],
    )?;
    let mut vouched: BTreeMap<(String, String), bool> = logged
        .iter()
        .map(|r| Ok(((r.text("record_id")?, r.text("digest")?), false)))
        .collect::<Result<_, SqlError>>()?;
    let versions = db.query(
        "SELECT v.search_id AS search_id, v.version AS number, v.document AS document, v.digest AS digest,
                s.version AS latest, s.case_id AS case_id, s.power AS power
         FROM search_versions v LEFT JOIN searches s ON s.id = v.search_id ORDER BY v.search_id, v.version",
        &[],
    )?;
    for row in versions.iter() {
        check.versions += 1;
        let id = row.text("search_id")?;
        let number = row.integer("number")?;
        let text = row.text("document")?;
        let stored = row.text("digest")?;
        let actual = hex::encode(Sha256::digest(text.as_bytes()));
        let at = format!("search {id} version {number}");
        let version_id = format!("{id}/{number}");
        if actual != stored {
            check.problem(
                version_id.clone(),
                &at,
                "its content does not match its digest (altered)".into(),
            );
        }
        match vouched.get_mut(&(id.clone(), actual.clone())) {
            Some(seen) => *seen = true,
            None => check.problem(
                version_id.clone(),
                &at,
                "no access-log entry wrote this content (altered or inserted outside the app)"
                    .into(),
            ),
        }
        if row.optional_integer("latest")? == Some(number) {
            // A document that no longer parses is reported as disagreeing, not an error: finding
            // such records is what this check is for.
            let record: Option<SearchRecord> = crate::decode::from_json(text.as_bytes()).ok();
            let case_id = row.optional_text("case_id")?;
            let power = row.optional_text("power")?;
            let agrees = record.is_some_and(|r| {
                Some(r.case_id) == case_id && Some(r.power.as_str().to_string()) == power
            });
            if !agrees {
                check.problem(
                    version_id,
                    &at,
                    "the search's index row disagrees with it".into(),
                );
            }
        }
    }
    // Searches of a case disposed of: the log's erasure entries vouch for the versions as erased, and
    // the content the earlier entries vouched for is gone by design.
    let erased: std::collections::BTreeSet<String> = db
        .query(
            "SELECT DISTINCT record_id FROM access_log WHERE record_type = 'search' AND operation = 'erasure'",
            &[],
        )?
        .iter()
        .map(|r| r.text("record_id"))
        .collect::<Result<_, _>>()?;
    for ((id, digest), seen) in vouched {
        if !seen && !erased.contains(&id) {
            check.problem(
                id.clone(),
                &format!("search {id}"),
                format!(
                    "the access log records content {digest} that is no longer stored (removed or altered)"
                ),
            );
        }
    }
    check.valid = check.problems.is_empty();
    Ok(check)
}
