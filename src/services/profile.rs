//! The force's view: the problem profile and its charts (aggregates, no personal data), and the
//! action plan (`services::plan`).

use super::{Env, Journal};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::problem::Problem;
use crate::profile::{Compare, Profile, Request, store};
use crate::sql::Sql;

/// The profile for a period (and the same months a year earlier, when asked), logged as one
/// consultation of statistics: it names no person and no case.
pub fn profile(
    env: &Env<impl Sql>,
    request: Request,
    journal: &mut impl Journal,
) -> Result<Profile, Problem> {
    crate::facts::settled(env.db)?;
    let now = store::tally(env.db, request.period)?;
    let before = match request.compare {
        Compare::PreviousYear => Some(store::tally(env.db, request.period.year_before())?),
        Compare::None => None,
    };
    journal.logs(
        Operation::Consultation,
        RecordRef::new(RecordType::Statistics, "problem-profile"),
    );
    Ok(Profile::of(
        request,
        env.settings.force_population,
        &now,
        before.as_ref(),
    ))
}
