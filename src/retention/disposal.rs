//! Disposal: what a case disposed of loses, in one place. Every table that holds personal data about a
//! case's people is listed in [`ERASURES`]; **a new table with personal data must be added here** (the end-to-end
//! test in `tests/api/retention.rs` looks for a disposed case's text in every column of every table).
//!
//! What stays, as a tombstone: every row and id (the case, its suspects and occurrences by position and
//! number, its PINs, assessments, reviews, referrals, orders and their histories, searches and their
//! versions, its people's appearances), the incident and crime references, dates and times, statuses,
//! classifications, the FOUR answers, behaviours, risk levels and scores, who recorded what (staff, not
//! the people the case is about), and every digest, recomputed over the tombstone and carried by the
//! disposal's erasure entries in the access log — so the chain and the records still verify, and the
//! problem profile still counts the case. Erased: names, dates of birth and police identifiers (of the
//! victim, suspects, witnesses, and the person records no case still retained names), what happened and
//! where (occurrences' locations and narratives), PINs' grounds and recipients, the answers and
//! rationales of risk assessments and their reviews, referrals' sharing reasons and packages, orders'
//! terms and the events as given, search records' addresses, the victim's contact preferences and
//! what was said in each contact with them, and stored responses to
//! `Idempotency-Key` that hold any of them.

use crate::access::audit::{RecordRef, RecordType};
use crate::digests::{self, Kind};
use crate::ids::CaseId;
use crate::sql::{Sql, SqlError, Value};
use sha2::{Digest, Sha256};

/// What erased text is replaced with.
pub const TOMBSTONE: &str = "[disposed]";

/// One table's erasure: `?1` is the case's id, `?2` (where it is used) the tombstone text.
#[derive(Debug, Clone, Copy)]
pub struct Erasure {
    pub table: &'static str,
    /// What it erases, in words.
    pub what: &'static str,
    pub sql: &'static str,
}

/// Every table with personal data a case holds, and how it is erased.
pub const ERASURES: &[Erasure] = &[
    Erasure {
        table: "cases",
        what: "the victim's name and date of birth; the decision's reasons",
        sql: "UPDATE cases SET victim_name = ?2, victim_date_of_birth = NULL,
                  decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE ?2 END,
                  version = version + 1
              WHERE id = ?1",
    },
    Erasure {
        table: "suspects",
        what: "names, dates of birth, police identifiers and link keys",
        sql: "UPDATE suspects SET name = ?2, date_of_birth = NULL, police_id = NULL, link_key = NULL
              WHERE case_id = ?1",
    },
    Erasure {
        table: "occurrences",
        what: "where it happened and what happened",
        sql: "UPDATE occurrences SET location = ?2, description = ?2 WHERE case_id = ?1",
    },
    Erasure {
        table: "appearances",
        what: "a witness's or other person's name, date of birth, police identifier; review reasons",
        sql: "UPDATE appearances SET name = CASE WHEN name IS NULL THEN NULL ELSE ?2 END,
                  date_of_birth = NULL, police_id = NULL,
                  review_reason = CASE WHEN review_reason IS NULL THEN NULL ELSE ?2 END
              WHERE case_id = ?1",
    },
    Erasure {
        table: "people",
        what: "the person records no case still retained names: name, date of birth, police identifier, link key",
        sql: "UPDATE people SET name = ?2, date_of_birth = NULL, police_id = NULL, link_key = NULL
              WHERE id IN (SELECT person_id FROM appearances WHERE case_id = ?1)
                AND NOT EXISTS (SELECT 1 FROM appearances a JOIN retention r ON r.case_id = a.case_id
                                WHERE a.person_id = people.id AND r.disposed_at IS NULL)",
    },
    Erasure {
        table: "pins",
        what: "grounds, the recipient's account, reasons and rationale",
        sql: "UPDATE pins SET grounds = ?2, recipient_account = ?2,
                  refusal_reason = CASE WHEN refusal_reason IS NULL THEN NULL ELSE ?2 END,
                  rationale = CASE WHEN rationale IS NULL THEN NULL ELSE ?2 END
              WHERE case_id = ?1",
    },
    Erasure {
        table: "risk_assessments",
        what: "the answers and the judgement's rationale (the level and the result stay)",
        sql: "UPDATE risk_assessments SET answers = '{}',
                  judgement = CASE WHEN judgement IS NULL THEN NULL
                                   ELSE json_set(judgement, '$.rationale', ?2) END
              WHERE case_id = ?1",
    },
    Erasure {
        table: "risk_reviews",
        what: "supervisors' rationales",
        sql: "UPDATE risk_reviews SET rationale = ?2
              WHERE assessment_id IN (SELECT id FROM risk_assessments WHERE case_id = ?1)",
    },
    Erasure {
        table: "referrals",
        what: "the sharing decision's reasons and the package shared",
        sql: "UPDATE referrals SET
                  sharing = CASE WHEN sharing IS NULL THEN NULL
                                 ELSE json_remove(json_set(sharing, '$.rationale', ?2),
                                                  '$.victim_not_aware_reason', '$.safe_contact') END,
                  package = CASE WHEN package IS NULL THEN NULL ELSE json_object('disposed', json('true')) END
              WHERE case_id = ?1",
    },
    Erasure {
        table: "orders",
        what: "the terms: grounds, the person protected, the victim's views, prohibitions, requirements, reasons",
        sql: "UPDATE orders SET terms = json_set(terms, '$.grounds', NULL, '$.protected_person', NULL,
                                                '$.victim_views', NULL, '$.prohibitions', json('[]'),
                                                '$.requirements', json('[]'), '$.refusal_reason', NULL)
              WHERE case_id = ?1",
    },
    Erasure {
        table: "order_history",
        what: "each event as given (a breach's occurrence number and offence stay)",
        sql: "UPDATE order_history SET detail = '{}'
              WHERE type NOT IN ('breach', 'recorded')
                AND order_id IN (SELECT id FROM orders WHERE case_id = ?1)",
    },
    Erasure {
        table: "search_versions",
        what: "the premises' address and UPRN, and the free text that may name people (the grounds, the \
               court's reasons, who consented, the people on the premises, a refused request, what \
               was seized and why, damage, where the notice was left and why not), in every version",
        // `json_replace` changes only what is there, so each version keeps its shape and still reads.
        sql: "UPDATE search_versions SET document = json_replace(
                  json_remove(json_set(document, '$.premises.address', ?2), '$.premises.uprn'),
                  '$.application.grounds', ?2,
                  '$.decision.reasons', ?2,
                  '$.authority.grounds', ?2,
                  '$.consent.given_by', ?2,
                  '$.execution.people_on_premises', json('[]'),
                  '$.execution.occupier_request_refused', ?2,
                  '$.execution.seized', (SELECT json_group_array(json_replace(s.value, '$.description', ?2,
                                                                              '$.grounds', ?2))
                                         FROM json_each(document, '$.execution.seized') s),
                  '$.execution.damage.description', ?2,
                  '$.execution.damage.circumstances', ?2,
                  '$.execution.notice.not_given_reason', ?2,
                  '$.execution.notice.left_at', ?2)
              WHERE search_id IN (SELECT id FROM searches WHERE case_id = ?1)",
    },
    Erasure {
        table: "case_considerations",
        what: "why a power was not used, and the victim's views on an order",
        sql: "UPDATE case_considerations SET reason = ?2,
                  victim_views = CASE WHEN victim_views IS NULL THEN NULL ELSE ?2 END
              WHERE case_id = ?1",
    },
    Erasure {
        table: "victim_care",
        what: "the victim's contact preferences and safe contact details (the row goes)",
        sql: "DELETE FROM victim_care WHERE case_id = ?1",
    },
    Erasure {
        table: "victim_contacts",
        what: "what was said in each contact with the victim (how, when and by whom stay)",
        sql: "UPDATE victim_contacts SET summary = ?2 WHERE case_id = ?1",
    },
    Erasure {
        table: "idempotency_keys",
        what: "stored responses naming the case (they hold the records as created)",
        sql: "DELETE FROM idempotency_keys WHERE instr(CAST(response AS TEXT), ?1) > 0",
    },
];

/// A record the disposal rewrote, with the digest of its tombstone (for the erasure's log entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub record: RecordRef,
    pub digest: Option<String>,
}

/// Erases a case's personal data (its retention already marked disposed, in this transaction), and
/// stores the digests of what is left. Returns every record rewritten, for the access log.
pub fn erase(db: &impl Sql, case_id: &CaseId) -> Result<Vec<Erased>, SqlError> {
    let id = case_id.as_str();
    let people = db.query(
        "SELECT DISTINCT person_id FROM appearances a WHERE case_id = ?1
           AND NOT EXISTS (SELECT 1 FROM appearances b JOIN retention r ON r.case_id = b.case_id
                           WHERE b.person_id = a.person_id AND r.disposed_at IS NULL)",
        &[id.into()],
    )?;
    for erasure in ERASURES {
        // Spin's SQLite takes exactly the parameters a statement names.
        let params: &[Value] = &[id.into(), TOMBSTONE.into()];
        let used = if erasure.sql.contains("?2") { 2 } else { 1 };
        db.run(erasure.sql, &params[..used])?;
    }
    // A suspect's and an occurrence's own digests (the case's covers them, and its entry vouches).
    for (kind, number) in [
        (&digests::SUSPECT, "position"),
        (&digests::OCCURRENCE, "number"),
    ] {
        let rows = db.query(
            &format!(
                "SELECT {} FROM {} WHERE case_id = ?1",
                digests::column_list(kind),
                kind.table
            ),
            &[id.into()],
        )?;
        for row in rows.iter() {
            let digest = digests::row_digest(kind, &digests::values(kind, row)?);
            db.run(
                &format!(
                    "UPDATE {} SET digest = ?1 WHERE case_id = ?2 AND {number} = ?3",
                    kind.table
                ),
                &[
                    digest.as_str().into(),
                    id.into(),
                    row.integer(number)?.into(),
                ],
            )?;
        }
    }
    let mut erased = vec![Erased {
        record: RecordRef::case(id),
        digest: Some(crate::cases::store::restamp(db, case_id)?),
    }];
    for row in people.iter() {
        erased.push(Erased {
            record: RecordRef::of_case(RecordType::Person, row.text("person_id")?, id),
            digest: None,
        });
    }
    for (kind, record_type) in [
        (&digests::PIN, RecordType::Pin),
        (&digests::ASSESSMENT, RecordType::RiskAssessment),
        (&digests::REFERRAL, RecordType::Referral),
    ] {
        erased.extend(restamp_all(db, kind, record_type, id)?);
    }
    let versions = db.query(
        "SELECT v.search_id AS search_id, v.version AS version, v.document AS document
         FROM search_versions v JOIN searches s ON s.id = v.search_id
         WHERE s.case_id = ?1 ORDER BY v.search_id, v.version",
        &[id.into()],
    )?;
    for row in versions.iter() {
        let search = row.text("search_id")?;
        let digest = hex::encode(Sha256::digest(row.text("document")?.as_bytes()));
        db.run(
            "UPDATE search_versions SET digest = ?1 WHERE search_id = ?2 AND version = ?3",
            &[
                digest.as_str().into(),
                search.as_str().into(),
                row.integer("version")?.into(),
            ],
        )?;
        erased.push(Erased {
            record: RecordRef::of_case(RecordType::Search, search, id),
            digest: Some(digest),
        });
    }
    Ok(erased)
}

/// Stores the digest of every row of `kind` on the case, as it now is.
fn restamp_all(
    db: &impl Sql,
    kind: &Kind,
    record_type: RecordType,
    case_id: &str,
) -> Result<Vec<Erased>, SqlError> {
    let rows = db.query(
        &format!(
            "SELECT {} FROM {} WHERE case_id = ?1 ORDER BY id",
            digests::column_list(kind),
            kind.table
        ),
        &[case_id.into()],
    )?;
    let mut out = Vec::new();
    for row in rows.iter() {
        let digest = digests::row_digest(kind, &digests::values(kind, row)?);
        let id = row.text("id")?;
        db.run(
            &format!("UPDATE {} SET digest = ?1 WHERE id = ?2", kind.table),
            &[digest.as_str().into(), Value::from(id.as_str())],
        )?;
        out.push(Erased {
            record: RecordRef::of_case(record_type, id, case_id),
            digest: Some(digest),
        });
    }
    Ok(out)
}
