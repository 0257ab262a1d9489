//! Use cases: what a request does once it is authorised, as plain Rust over small ports — the SQL
//! store, the key-value store, the settings, the time and new ids as inputs — and a journal that takes the access-log
//! entries for the records touched. A component's handler parses its input, calls one of these, and
//! shapes the reply; native tests call them directly.

pub mod access;
pub mod care;
pub mod cases;
pub mod compliance;
pub mod orders;
pub mod people;
pub mod plan;
pub mod profile;
pub mod retention;
pub mod risk;
pub mod searches;

use crate::access::audit::{Access, Actor, Operation, RecordRef};
use crate::access::auth::AccessReason;
use crate::access::authentication::KeyValue;
use crate::settings::Settings;
use crate::sql::Sql;
use time::OffsetDateTime;

/// What a use case works with.
pub struct Env<'a, D: Sql> {
    pub db: &'a D,
    /// The key-value store (the access log's high-water mark).
    pub kv: &'a dyn KeyValue,
    pub settings: &'a Settings,
    pub now: OffsetDateTime,
    /// A new opaque, unguessable id.
    pub new_id: &'a dyn Fn() -> String,
}

impl<D: Sql> Env<'_, D> {
    /// Now, as the records' fixed-width RFC 3339 timestamp.
    pub fn now_text(&self) -> crate::values::Timestamp {
        crate::values::Timestamp::from_time(self.now)
    }
}

/// Four eyes: nobody authorises their own work (a supervisor reviewing their own assessment, a
/// superintendent deciding a PIN they asked for). `author` is the subject who made the record.
pub fn refuse_own(
    author: &str,
    who: &crate::access::auth::Principal,
    what: &str,
) -> Result<(), crate::problem::Problem> {
    if author == who.subject {
        return Err(
            crate::problem::Problem::new(403, "own-work", "Another person must do this")
                .with_detail(format!(
                    "Nobody may {what}: another {} must.",
                    who.role.as_str()
                )),
        );
    }
    Ok(())
}

/// A page of a list, and the cursor for the next (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Listed<T> {
    /// The page, with the next cursor taken from its last item when it is full.
    pub fn of(
        items: Vec<T>,
        page: &crate::paging::Page,
        cursor: impl Fn(&T) -> String,
    ) -> Listed<T> {
        let next = page.next(&items, cursor);
        Listed { items, next }
    }
}

/// Where a use case reports the records it touched, for the access log (written by the caller, in
/// the same transaction as the work).
pub trait Journal {
    /// Records an access; the entry is returned so that a digest or recipient can be added.
    fn logs(&mut self, operation: Operation, record: RecordRef) -> &mut Access;

    /// Records the consultation of each record shown (a page of a list: one entry per record).
    fn consulted(&mut self, records: impl IntoIterator<Item = RecordRef>)
    where
        Self: Sized,
    {
        for record in records {
            self.logs(Operation::Consultation, record);
        }
    }
}

/// A journal that keeps its entries, for one caller and reason.
#[derive(Debug, Clone)]
pub struct Entries {
    pub at: String,
    pub actor: Actor,
    pub reason: AccessReason,
    pub entries: Vec<Access>,
}

impl Journal for Entries {
    fn logs(&mut self, operation: Operation, record: RecordRef) -> &mut Access {
        let access = Access::allowed(&self.at, &self.actor, operation, &record, &self.reason);
        self.entries.push(access);
        self.entries.last_mut().expect("just pushed")
    }
}
