//! One page of a list: `?limit=` (1 to 100, 50 when absent) and `?after=` (the cursor the previous
//! page gave as `next`). Lists are keyset-paged in SQL: a page costs a LIMIT, never a pass over
//! everything before it.

use serde::{Deserialize, Deserializer};

/// A page size, `?limit=` from 1 to 100 (50 when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub i64);

impl Default for Limit {
    fn default() -> Limit {
        Limit(50)
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Limit, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .map(Limit)
            .ok_or_else(|| {
                serde::de::Error::custom("`limit` must be a whole number from 1 to 100.")
            })
    }
}

/// `?limit=` and `?after=`: one page of a list, after the cursor the previous page gave as `next`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub limit: Limit,
    pub after: Option<String>,
}

impl Page {
    /// The cursor for the next page: the last item's, when the page is full (there may be more).
    pub fn next<T, C>(&self, page: &[T], cursor: impl Fn(&T) -> C) -> Option<C> {
        (page.len() as i64 == self.limit.0)
            .then(|| page.last().map(cursor))
            .flatten()
    }
}
