//! Every check in every status it can take.

use super::*;
use Status::*;

const REPORTED: &str = "2026-03-01T10:00:00.000000Z";
const DUE: &str = "2026-03-02T10:00:00.000000Z";
/// Within a day of the report.
const SOON: &str = "2026-03-01T20:00:00.000000Z";
/// Well after every due time.
const LATER: &str = "2026-06-01T10:00:00.000000Z";

fn t(day: u8, hour: u8) -> String {
    format!("2026-03-{day:02}T{hour:02}:00:00.000000Z")
}

/// A case just reported, not domestic abuse, nothing else recorded.
fn reported() -> Facts {
    Facts {
        reported_at: REPORTED.into(),
        decision_due_at: DUE.into(),
        status: Some(CaseStatus::AwaitingDecision),
        last_occurrence_at: Some(REPORTED.into()),
        ..Facts::default()
    }
}

fn recorded(principal: Classification) -> Facts {
    Facts {
        status: Some(CaseStatus::Recorded),
        principal: Some(principal),
        decided_at: Some(t(1, 15)),
        ..reported()
    }
}

fn status(facts: &Facts, c: Check, now: &str) -> (Status, String) {
    let r = check(facts, c, now);
    (r.status, r.reason)
}

#[test]
fn the_vocabularies_are_the_api_words() {
    assert_eq!(
        Check::iter().map(Check::as_str).collect::<Vec<_>>(),
        [
            "stalking-considered",
            "risk-assessed",
            "risk-reviewed",
            "safety-plan",
            "supervisor-review",
            "no-pin",
            "s2b-considered",
            "orders-considered",
            "victim-informed",
            "decision-on-time",
        ]
    );
    assert_eq!(
        Status::iter().map(Status::as_str).collect::<Vec<_>>(),
        ["met", "not-met", "pending", "not-applicable"]
    );
    let all = checks(&reported(), SOON);
    assert_eq!(all.len(), Check::iter().count());
    assert!(all.iter().all(|r| !r.reason.is_empty()));
}

#[test]
fn stalking_considered() {
    let c = Check::StalkingConsidered;
    assert_eq!(status(&reported(), c, SOON).0, Pending);
    let no_crime = Facts {
        status: Some(CaseStatus::NoCrime),
        ..reported()
    };
    assert_eq!(status(&no_crime, c, SOON).0, NotApplicable);
    assert_eq!(
        status(&recorded(Classification::StalkingS2a), c, SOON).0,
        Met
    );
    let included = Facts {
        included: vec![Classification::StalkingS4a],
        ..recorded(Classification::Assault)
    };
    assert_eq!(status(&included, c, SOON).0, Met, "an included stalking");
    let harassment = recorded(Classification::HarassmentS2);
    let (s, reason) = status(&harassment, c, SOON);
    assert_eq!(s, NotMet);
    assert!(reason.contains("without a recorded reason"), "{reason}");
    let reasoned = Facts {
        decision_reason_given: true,
        ..harassment
    };
    assert_eq!(status(&reasoned, c, SOON).0, Met);
    assert_eq!(
        status(&recorded(Classification::CriminalDamage), c, SOON).0,
        NotApplicable
    );
}

#[test]
fn risk_assessed_needs_the_dash_and_s_dash_for_domestic_abuse_and_the_s_dash_alone_otherwise() {
    let c = Check::RiskAssessed;
    let r = check(&reported(), c, SOON);
    assert_eq!(r.status, Pending);
    assert_eq!(r.due_at.as_deref(), Some(DUE), "24 hours after the report");
    assert_eq!(status(&reported(), c, LATER).0, NotMet);
    let screened = Facts {
        first_screening_at: Some(t(1, 12)),
        ..reported()
    };
    let (s, reason) = status(&screened, c, LATER);
    assert_eq!(s, Met);
    assert!(reason.contains("S-DASH alone"), "{reason}");
    let domestic = Facts {
        domestic_abuse: true,
        ..screened.clone()
    };
    let (s, reason) = status(&domestic, c, LATER);
    assert_eq!(s, NotMet, "domestic abuse needs the DASH too");
    assert!(reason.contains("the DASH"), "{reason}");
    let both = Facts {
        first_risk_at: Some(t(1, 11)),
        ..domestic
    };
    assert_eq!(status(&both, c, LATER).0, Met);
    let dash_only = Facts {
        first_screening_at: None,
        ..both
    };
    let (s, reason) = status(&dash_only, c, SOON);
    assert_eq!(s, Pending);
    assert!(reason.contains("S-DASH"), "{reason}");
}

#[test]
fn risk_reviewed_after_a_new_occurrence() {
    let c = Check::RiskReviewed;
    assert_eq!(
        status(&reported(), c, SOON).0,
        NotApplicable,
        "no assessment"
    );
    let assessed = Facts {
        first_screening_at: Some(t(1, 12)),
        last_risk_activity_at: Some(t(1, 12)),
        ..reported()
    };
    assert_eq!(
        status(&assessed, c, SOON).0,
        NotApplicable,
        "no occurrence since"
    );
    let occurred = Facts {
        last_occurrence_at: Some(t(3, 9)),
        ..assessed
    };
    let r = check(&occurred, c, &t(3, 10));
    assert_eq!(r.status, Pending);
    assert_eq!(r.due_at, Some(t(4, 9)));
    assert_eq!(status(&occurred, c, &t(4, 9)).0, NotMet, "due now");
    let reviewed = Facts {
        last_risk_activity_at: Some(t(3, 15)),
        ..occurred
    };
    assert_eq!(status(&reviewed, c, LATER).0, Met);
}

#[test]
fn safety_plan_and_victim_updates_come_from_victim_care() {
    let care = |care: VictimCare| Facts {
        victim_care: care,
        ..reported()
    };
    let c = Check::SafetyPlan;
    let none = care(VictimCare::default());
    let r = check(&none, c, SOON);
    assert_eq!(r.status, Pending);
    assert_eq!(r.due_at, Some(t(4, 10)), "72 hours after the report");
    assert_eq!(status(&none, c, LATER).0, NotMet);
    let agreed = care(VictimCare {
        safety_plan_agreed_at: Some(t(2, 9)),
        updates: vec![],
    });
    assert_eq!(status(&agreed, c, LATER).0, Met);

    let c = Check::VictimInformed;
    assert_eq!(status(&agreed, c, LATER).0, NotApplicable, "none due");
    let update = |due: String, given: Option<String>| VictimUpdate {
        due_at: due,
        given_at: given,
    };
    let on_time = care(VictimCare {
        safety_plan_agreed_at: None,
        updates: vec![update(t(5, 10), Some(t(5, 9)))],
    });
    assert_eq!(status(&on_time, c, LATER).0, Met);
    let waiting = care(VictimCare {
        safety_plan_agreed_at: None,
        updates: vec![update(t(5, 10), Some(t(5, 9))), update(t(9, 10), None)],
    });
    let r = check(&waiting, c, &t(6, 0));
    assert_eq!((r.status, r.due_at), (Pending, Some(t(9, 10))));
    assert_eq!(status(&waiting, c, &t(9, 10)).0, NotMet, "missed");
    let late = care(VictimCare {
        safety_plan_agreed_at: None,
        updates: vec![update(t(5, 10), Some(t(6, 9)))],
    });
    let (s, reason) = status(&late, c, &t(6, 10));
    assert_eq!(s, NotMet, "given late");
    assert!(reason.starts_with("1 of 1"), "{reason}");
}

#[test]
fn supervisor_review() {
    let c = Check::SupervisorReview;
    let (s, reason) = status(&reported(), c, LATER);
    assert_eq!(s, Pending);
    assert!(reason.contains("No risk assessment"), "{reason}");
    let assessed = Facts {
        first_risk_at: Some(t(1, 12)),
        review_due_at: Some(t(2, 12)),
        ..reported()
    };
    let r = check(&assessed, c, SOON);
    assert_eq!((r.status, r.due_at), (Pending, Some(t(2, 12))));
    assert_eq!(status(&assessed, c, &t(2, 12)).0, NotMet);
    let reviewed = Facts {
        first_review_at: Some(t(2, 11)),
        ..assessed
    };
    assert_eq!(status(&reviewed, c, LATER).0, Met);
}

#[test]
fn no_pin() {
    let c = Check::NoPin;
    assert_eq!(status(&reported(), c, SOON).0, Met);
    let pending = Facts {
        pins_pending: 1,
        ..reported()
    };
    assert_eq!(status(&pending, c, SOON).0, Pending);
    let authorised = Facts {
        pin_authorised_at: Some(t(2, 9)),
        ..pending
    };
    assert_eq!(status(&authorised, c, SOON).0, NotMet);
}

#[test]
fn s2b_considered() {
    let c = Check::S2bConsidered;
    assert_eq!(status(&reported(), c, SOON).0, Pending);
    let no_crime = Facts {
        status: Some(CaseStatus::NoCrime),
        ..reported()
    };
    assert_eq!(status(&no_crime, c, SOON).0, NotApplicable);
    assert_eq!(
        status(&recorded(Classification::HarassmentS2), c, SOON).0,
        NotApplicable
    );
    let stalking = recorded(Classification::StalkingS2a);
    assert_eq!(status(&stalking, c, SOON).0, NotMet);
    let declined = Facts {
        s2b_declined_at: Some(t(2, 9)),
        ..stalking.clone()
    };
    let (s, reason) = status(&declined, c, SOON);
    assert_eq!(s, Met, "the reason why not is consideration");
    assert!(reason.starts_with("Considered"), "{reason}");
    let applied = Facts {
        s2b_applied_on: Some("2026-03-02".into()),
        ..stalking
    };
    assert_eq!(status(&applied, c, SOON).0, Met);
}

#[test]
fn orders_considered() {
    let c = Check::OrdersConsidered;
    assert_eq!(status(&reported(), c, SOON).0, Pending);
    let no_crime = Facts {
        status: Some(CaseStatus::NoCrime),
        ..reported()
    };
    assert_eq!(status(&no_crime, c, SOON).0, NotApplicable);
    let stalking = recorded(Classification::StalkingS2a);
    assert_eq!(status(&stalking, c, SOON).0, NotMet);
    let without_views = Facts {
        orders: 1,
        ..stalking.clone()
    };
    let (s, reason) = status(&without_views, c, SOON);
    assert_eq!(s, NotMet);
    assert!(reason.contains("without the victim's views"), "{reason}");
    let declined = Facts {
        orders_declined_at: Some(t(3, 9)),
        ..without_views.clone()
    };
    assert_eq!(status(&declined, c, SOON).0, Met);
    let with_views = Facts {
        order_with_views_at: Some(t(3, 9)),
        ..without_views
    };
    assert_eq!(status(&with_views, c, SOON).0, Met);
}

#[test]
fn decision_on_time() {
    let c = Check::DecisionOnTime;
    let r = check(&reported(), c, SOON);
    assert_eq!((r.status, r.due_at.as_deref()), (Pending, Some(DUE)));
    assert_eq!(status(&reported(), c, DUE).0, NotMet, "due now");
    let (s, reason) = status(&recorded(Classification::HarassmentS2), c, LATER);
    assert_eq!(s, Met);
    assert!(reason.contains("5 hours"), "{reason}");
    let late = Facts {
        decided_at: Some(t(3, 10)),
        ..recorded(Classification::HarassmentS2)
    };
    let (s, reason) = status(&late, c, LATER);
    assert_eq!(s, NotMet);
    assert!(reason.contains("48 hours"), "{reason}");
}

#[test]
fn the_filter_and_the_summary() {
    let all = checks(&reported(), SOON);
    let filter = |check: Option<Check>, status: Option<Status>| Filter {
        check,
        status,
        ..Filter::default()
    };
    assert!(filter(None, None).keeps(&all));
    assert!(filter(Some(Check::DecisionOnTime), Some(Pending)).keeps(&all));
    assert!(!filter(Some(Check::DecisionOnTime), Some(Met)).keeps(&all));
    assert!(filter(None, Some(Met)).keeps(&all), "no PIN is met");
    assert!(
        Filter::parse(
            Some("no-pin"),
            Some("met"),
            Some("2026-01"),
            Some("2026-03")
        )
        .is_ok()
    );
    for (check, status, from, to) in [
        (Some("nope"), None, None, None),
        (None, Some("done"), None, None),
        (None, None, Some("2026-13"), None),
        (None, None, Some("2026-03"), Some("2026-01")),
    ] {
        assert_eq!(
            Filter::parse(check, status, from, to).unwrap_err().status,
            400
        );
    }
    let period = summary_period(Some("2026-01"), Some("2026-03")).unwrap();
    let mut summary = Summary::new(period, SOON);
    summary.add(&all);
    summary.add(&checks(&recorded(Classification::StalkingS2a), LATER));
    let summary = summary.finish();
    assert_eq!(summary.cases, 2);
    assert!(summary.sums());
    let decision = &summary.checks[Check::iter()
        .position(|c| c == Check::DecisionOnTime)
        .unwrap()];
    assert_eq!((decision.met, decision.pending), (1, 1));
    assert_eq!(decision.rate, Some(1.0));
    assert!(summary_period(None, Some("2026-01")).is_err());
}
