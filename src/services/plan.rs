//! The action plan: read with its evidence, and updated by supervisors and superintendents.

use super::{Env, Journal};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::plan::{self, NewActionUpdate, Plan, PlanView, Update, store};
use crate::problem::Problem;
use crate::profile::{Compare, Period, Request, YearMonth};
use crate::sql::Sql;

/// The twelve complete months before `now`: the period the plan's evidence covers.
pub fn evidence_period(now: time::OffsetDateTime) -> Period {
    let this = YearMonth {
        year: now.year(),
        month: u8::from(now.month()),
    };
    Period {
        from: this.plus(-12),
        to: this.plus(-1),
    }
}

/// The plan, each action's status and trail, and its evidence from the last twelve complete months'
/// profile: logged as a consultation of the plan (which names posts, not people) and of statistics.
pub fn read(env: &Env<impl Sql>, journal: &mut impl Journal) -> Result<PlanView, Problem> {
    let plan = Plan::shipped();
    let updates = store::updates(env.db)?;
    let request = Request {
        period: evidence_period(env.now),
        compare: Compare::PreviousYear,
    };
    let profile = super::profile::profile(env, request, journal)?;
    journal.logs(
        Operation::Consultation,
        RecordRef::new(RecordType::ActionPlan, "action-plan"),
    );
    let today = env.now_text();
    Ok(plan::view(&plan, &updates, &profile, &today.as_str()[..10]))
}

pub fn no_action() -> Problem {
    Problem::not_found().with_detail("There is no action with this id in the plan.")
}

/// Adds a dated update to an action, against its version (`If-Match`); logged as an alteration of it.
pub fn update(
    env: &Env<impl Sql>,
    who: &Principal,
    action_id: &str,
    expected: i64,
    update: &NewActionUpdate,
    journal: &mut impl Journal,
) -> Result<Update, Problem> {
    let plan = Plan::shipped();
    if plan.action(action_id).is_none() {
        return Err(no_action());
    }
    let errors = plan::validate(update);
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let at = env.now_text();
    match store::add(
        env.db,
        action_id,
        expected,
        at.as_str(),
        &who.subject,
        update.status,
        &update.note,
    )? {
        Ok(added) => {
            journal.logs(
                Operation::Alteration,
                RecordRef::new(RecordType::ActionPlan, action_id),
            );
            Ok(added)
        }
        Err(current) => Err(Problem::version_mismatch(
            "The action has changed",
            "action",
            current,
            "read the plan again, then retry your update.",
        )),
    }
}
