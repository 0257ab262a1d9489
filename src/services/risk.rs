//! Risk: assessments scored against the force's policy and the case's history, supervisors' reviews,
//! and referrals — sent with a sharing decision, then fetched and acknowledged by their partner.

use super::{Env, Journal, Listed};
use crate::access::audit::{Operation, RecordRef, RecordType};
use crate::access::auth::Principal;
use crate::cases::store as cases;
use crate::decode::check;
use crate::ids::{AssessmentId, CaseId, ReferralId};
use crate::paging::Page;
use crate::problem::Problem;
use crate::risk::referrals::{self, PartnerStatus, Referral, ReferralStatus, Sharing};
use crate::risk::scoring::{self as risk, NewAssessment, NewReview};
use crate::risk::store::assessments::{self, Assessment};
use crate::risk::store::referrals::{self as referral_store, Refused};
use crate::sql::{Sql, Writer};

pub fn assessment_record(a: &Assessment) -> RecordRef {
    RecordRef::of_case(RecordType::RiskAssessment, &a.id, &a.case_id)
}

pub fn referral_record(id: &str, case_id: &str) -> RecordRef {
    RecordRef::of_case(RecordType::Referral, id, case_id)
}

/// A case's assessments, newest first: the case and each assessment logged as consultations.
pub fn history(
    env: &Env<impl Sql>,
    case_id: &CaseId,
    journal: &mut impl Journal,
) -> Result<Vec<Assessment>, Problem> {
    if cases::get(env.db, case_id)?.is_none() {
        return Err(super::cases::no_case());
    }
    let list = assessments::for_case(env.db, case_id, env.now_text().as_str())?;
    journal.consulted(
        std::iter::once(RecordRef::case(case_id)).chain(list.iter().map(assessment_record)),
    );
    Ok(list)
}

/// A case's current risk, from its latest assessments and its history; the case logged as consulted.
pub fn case_risk(
    env: &Env<impl Sql>,
    case_id: &CaseId,
    journal: &mut impl Journal,
) -> Result<assessments::CaseRisk, Problem> {
    let case = cases::get(env.db, case_id)?.ok_or_else(super::cases::no_case)?;
    let summary = assessments::case_risk(env.db, &case, env.now_text().as_str())?;
    journal.logs(Operation::Consultation, RecordRef::case(&case.id));
    Ok(summary)
}

/// What is overdue across the force (at most `limit` of each kind), each item logged as consulted.
pub fn overdue(
    env: &Env<impl Sql>,
    limit: i64,
    journal: &mut impl Journal,
) -> Result<assessments::Overdue, Problem> {
    let list = assessments::overdue(env.db, env.now_text().as_str(), limit)?;
    let kinds = [
        (RecordType::RiskAssessment, &list.assessments),
        (RecordType::RiskAssessment, &list.reviews),
        (RecordType::Referral, &list.referrals),
    ];
    journal.consulted(kinds.into_iter().flat_map(|(kind, items)| {
        items
            .iter()
            .map(move |item| RecordRef::of_case(kind, &item.id, &item.case_id))
    }));
    Ok(list)
}

/// A page of referrals, each logged as consulted.
pub fn list_referrals(
    env: &Env<impl Sql>,
    filter: &referral_store::Filter,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<Referral>, Problem> {
    let list = referral_store::list(
        env.db,
        filter,
        env.now_text().as_str(),
        page.after.as_deref(),
        page.limit.0,
    )?;
    journal.consulted(list.iter().map(|r| referral_record(&r.id, &r.case_id)));
    Ok(Listed::of(list, page, |r| r.id.to_string()))
}

/// A page of the referrals addressed to the partner `who`, each logged as consulted.
pub fn partner_referrals(
    env: &Env<impl Sql>,
    who: &Principal,
    status: Option<PartnerStatus>,
    page: &Page,
    journal: &mut impl Journal,
) -> Result<Listed<referrals::Summary>, Problem> {
    let list = referral_store::for_recipient(
        env.db,
        &who.subject,
        status,
        page.after.as_deref(),
        page.limit.0,
    )?;
    journal.consulted(list.iter().map(|r| referral_record(&r.id, &r.case_id)));
    Ok(Listed::of(list, page, |r| r.id.to_string()))
}

pub fn no_assessment() -> Problem {
    Problem::not_found().with_detail("There is no risk assessment with this id.")
}

pub fn no_referral() -> Problem {
    Problem::not_found().with_detail("There is no referral with this id.")
}

/// An instrument with no bands in the force's policy: the deployment's mistake, not the caller's.
fn policy_gap(errors: &[(String, String)]) -> Problem {
    eprintln!(
        "risk policy misconfigured: {}",
        errors.first().map_or("", |(_, e)| e.as_str())
    );
    Problem::new(
        503,
        "risk-policy-misconfigured",
        "The force's risk policy is not configured correctly",
    )
    .with_detail("This instrument has no risk bands configured. Tell the system administrator; nothing was recorded.")
}

/// Scores and records an assessment of a case; the referrals its result makes due are created with it.
pub fn assess(
    env: &Env<impl Sql>,
    who: &Principal,
    new: &NewAssessment,
    journal: &mut impl Journal,
) -> Result<Assessment, Problem> {
    let instrument = risk::resolve(&new.instrument).map_err(Problem::validation)?;
    check(risk::validate(instrument, new))?;
    let policy = risk_policy(env)?;
    let Some(case) = cases::named(env.db, &new.case_id)? else {
        return Err(Problem::validation(vec![(
            "/case_id".into(),
            "There is no case with this id.".into(),
        )]));
    };
    let now = env.now_text();
    let history = assessments::history(env.db, &case, &now, policy.escalation_window_days)?;
    let evaluation = risk::evaluate(instrument, new, &history, policy).map_err(|errors| {
        if errors.iter().any(|(p, _)| p == "/instrument/id") {
            policy_gap(&errors)
        } else {
            Problem::validation(errors)
        }
    })?;
    let id = AssessmentId::new((env.new_id)());
    let mut new_id = || (env.new_id)();
    let mut writer = Writer {
        now: &now,
        by: &who.subject,
        new_id: &mut new_id,
    };
    let written = assessments::insert(
        env.db,
        &id,
        instrument,
        new,
        &evaluation,
        policy,
        &mut writer,
    )?;
    let assessment = assessments::get(env.db, &id, &now)?.ok_or_else(Problem::internal)?;
    journal
        .logs(Operation::Collection, assessment_record(&assessment))
        .digest = Some(written.digest);
    referrals_made(&assessment.case_id, written.referrals, journal);
    Ok(assessment)
}

/// Reads an assessment, logging the consultation.
pub fn consult(
    env: &Env<impl Sql>,
    id: &AssessmentId,
    journal: &mut impl Journal,
) -> Result<Assessment, Problem> {
    let assessment = assessments::get(env.db, id, &env.now_text())?.ok_or_else(no_assessment)?;
    journal.logs(Operation::Consultation, assessment_record(&assessment));
    Ok(assessment)
}

/// A supervisor's review of a case's current assessment.
pub fn review(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &AssessmentId,
    new: &NewReview,
    journal: &mut impl Journal,
) -> Result<Assessment, Problem> {
    let now = env.now_text();
    let assessment = assessments::get(env.db, id, &now)?.ok_or_else(no_assessment)?;
    if !assessment.review.current {
        return Err(Problem::new(
            409,
            "assessment-superseded",
            "A newer assessment replaces this one",
        )
        .with_detail("Review the case's current assessment."));
    }
    super::refuse_own(
        &assessment.assessed_by,
        who,
        "review an assessment they made",
    )?;
    check(risk::validate_review(new, assessment.level))?;
    let mut new_id = || (env.new_id)();
    let mut writer = Writer {
        now: &now,
        by: &who.subject,
        new_id: &mut new_id,
    };
    let review_id = (env.new_id)();
    let made = assessments::add_review(
        env.db,
        &review_id,
        &assessment,
        new,
        risk_policy(env)?,
        &mut writer,
    )?;
    // The review is its own row; the assessment itself is unchanged (and keeps its digest).
    journal.logs(Operation::Alteration, assessment_record(&assessment));
    referrals_made(&assessment.case_id, made, journal);
    assessments::get(env.db, id, &now)?.ok_or_else(Problem::internal)
}

/// Logs the collection of each referral a write made due, with its digest.
fn referrals_made(case_id: &str, made: Vec<referral_store::Made>, journal: &mut impl Journal) {
    for referral in made {
        journal
            .logs(
                Operation::Collection,
                referral_record(&referral.id, case_id),
            )
            .digest = Some(referral.digest);
    }
}

fn wrong_status(status: ReferralStatus, wanted: ReferralStatus, action: &str) -> Problem {
    Problem::new(
        409,
        "referral-status",
        "The referral's status does not allow this",
    )
    .with_detail(format!(
        "The referral is {status}; only a {wanted} referral can be {action}."
    ))
}

/// Reads a referral, logging the consultation.
pub fn consult_referral(
    env: &Env<impl Sql>,
    id: &ReferralId,
    journal: &mut impl Journal,
) -> Result<Referral, Problem> {
    let referral = referral_store::get(env.db, id)?.ok_or_else(no_referral)?;
    journal.logs(
        Operation::Consultation,
        referral_record(&referral.id, &referral.case_id),
    );
    Ok(referral)
}

/// Sends a due referral with the sharing decision: its package is built from the case and the
/// assessment as they are now, and kept as sent.
pub fn send_referral(
    env: &Env<impl Sql>,
    who: &Principal,
    id: &ReferralId,
    sharing: &Sharing,
    journal: &mut impl Journal,
) -> Result<Referral, Problem> {
    check(referrals::validate_sharing(sharing))?;
    let referral = referral_store::get(env.db, id)?.ok_or_else(no_referral)?;
    if referral.status != ReferralStatus::Due {
        return Err(wrong_status(referral.status, ReferralStatus::Due, "sent"));
    }
    let now = env.now_text();
    let case = cases::get(env.db, &referral.case_id)?.ok_or_else(Problem::internal)?;
    let assessment =
        assessments::get(env.db, &referral.assessment_id, &now)?.ok_or_else(Problem::internal)?;
    let package = referrals::package(
        &referral,
        &case,
        assessment.assessed(),
        sharing,
        &env.settings.force,
        &who.subject,
        &now,
    );
    let digest = match referral_store::send(env.db, id, sharing, &package, &now, &who.subject)? {
        Ok(digest) => digest,
        Err(Refused::WrongStatus(status)) => {
            return Err(wrong_status(status, ReferralStatus::Due, "sent"));
        }
        Err(Refused::NotFound) => return Err(no_referral()),
    };
    journal
        .logs(
            Operation::Alteration,
            referral_record(id, &referral.case_id),
        )
        .digest = Some(digest);
    referral_store::get(env.db, id)?.ok_or_else(Problem::internal)
}

/// The partner's own referral package and its case, or 404 (a partner cannot tell another's from
/// one that does not exist).
fn own_package(
    env: &Env<impl Sql>,
    partner: &Principal,
    id: &ReferralId,
) -> Result<(serde_json::Value, CaseId), Problem> {
    let package =
        referral_store::package_for(env.db, id, &partner.subject)?.ok_or_else(no_referral)?;
    let case_id = referral_store::get(env.db, id)?
        .ok_or_else(Problem::internal)?
        .case_id;
    Ok((package, case_id))
}

/// A partner fetches a package addressed to it: a disclosure to that partner.
pub fn fetch_package(
    env: &Env<impl Sql>,
    partner: &Principal,
    id: &ReferralId,
    journal: &mut impl Journal,
) -> Result<serde_json::Value, Problem> {
    let (package, case_id) = own_package(env, partner, id)?;
    journal
        .logs(Operation::Disclosure, referral_record(id, &case_id))
        .recipient = Some(partner.subject.clone());
    Ok(package)
}

/// A partner acknowledges a package it received.
pub fn acknowledge(
    env: &Env<impl Sql>,
    partner: &Principal,
    id: &ReferralId,
    journal: &mut impl Journal,
) -> Result<serde_json::Value, Problem> {
    let by = &partner.subject;
    let digest = match referral_store::acknowledge(env.db, id, by, &env.now_text(), by)? {
        Ok(digest) => digest,
        Err(Refused::NotFound) => return Err(no_referral()),
        Err(Refused::WrongStatus(status)) => {
            return Err(wrong_status(status, ReferralStatus::Sent, "acknowledged"));
        }
    };
    let (package, case_id) = own_package(env, partner, id)?;
    journal
        .logs(Operation::Alteration, referral_record(id, &case_id))
        .digest = Some(digest);
    Ok(package)
}

/// The force's risk policy: read by every component that scores risk (`Settings::from_variables`).
fn risk_policy<'e>(env: &'e Env<'_, impl Sql>) -> Result<&'e risk::Policy, Problem> {
    env.settings.risk.as_ref().ok_or_else(|| {
        eprintln!("the risk policy was not read: Settings::from_variables_without_risk_policy");
        Problem::internal()
    })
}
