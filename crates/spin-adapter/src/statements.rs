//! How many statements a request runs, and across how many its longest transaction holds the write
//! lock (`BEGIN` to `COMMIT` or `ROLLBACK`, both counted). On a libSQL database every statement is a
//! network round trip, so the second figure is how many round trips a writer keeps every other
//! writer waiting. `SpinSql` counts; the request's log line reports both.

use std::cell::Cell;

/// What one request has run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub statements: u32,
    /// Statements in the longest transaction, its `BEGIN` and its end included; 0 if none.
    pub longest_transaction: u32,
}

/// The counts so far, and the statements so far in the transaction that is open, if one is.
#[derive(Clone, Copy, Default)]
struct Tally {
    counts: Counts,
    open: Option<u32>,
}

impl Tally {
    fn after(mut self, statement: &str) -> Tally {
        self.counts.statements += 1;
        let keyword = statement.split_whitespace().next().unwrap_or_default();
        let is = |word: &str| keyword.eq_ignore_ascii_case(word);
        let ends = is("COMMIT") || is("END") || is("ROLLBACK");
        self.open = match self.open {
            Some(n) => Some(n + 1),
            None if is("BEGIN") => Some(1),
            None => None,
        };
        if ends {
            self.close();
        }
        self
    }

    /// The counts, a transaction still open counted as if it ended here.
    fn closed(mut self) -> Counts {
        self.close();
        self.counts
    }

    fn close(&mut self) {
        if let Some(n) = self.open.take() {
            self.counts.longest_transaction = self.counts.longest_transaction.max(n);
        }
    }
}

// A component instance serves one request on one thread: the counts are that request's.
thread_local! {
    static TALLY: Cell<Tally> = Cell::new(Tally::default());
}

/// Starts counting for a new request.
pub fn start() {
    TALLY.set(Tally::default());
}

/// Counts a statement about to run.
pub fn count(statement: &str) {
    TALLY.set(TALLY.get().after(statement));
}

/// The request's counts (a transaction still open counted as if it ended here).
pub fn taken() -> Counts {
    TALLY.get().closed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(statements: &[&str]) -> Counts {
        statements
            .iter()
            .fold(Tally::default(), |tally, s| tally.after(s))
            .closed()
    }

    #[test]
    fn a_transaction_counts_from_its_begin_to_its_end() {
        let counts = counted(&[
            "PRAGMA busy_timeout = 2",
            "SELECT 1",
            "BEGIN IMMEDIATE",
            "INSERT INTO t VALUES (1)",
            "insert into t values (2)",
            "COMMIT",
            "  begin",
            "SELECT 2",
            "ROLLBACK",
        ]);
        assert_eq!(counts.statements, 9);
        assert_eq!(counts.longest_transaction, 4);
    }

    #[test]
    fn no_transaction_is_zero_and_an_unfinished_one_still_counts() {
        assert_eq!(
            counted(&["SELECT 1", "INSERT INTO t VALUES (1)"]).longest_transaction,
            0
        );
        let unfinished = counted(&["BEGIN", "SELECT 1", "SELECT 2"]);
        assert_eq!(
            (unfinished.statements, unfinished.longest_transaction),
            (3, 3)
        );
    }
}
