use super::*;
use time::macros::date;

#[test]
fn the_default_policy_is_the_domain_notes() {
    let policy = Policy::default();
    assert_eq!(
        ReviewGroup::ALL.map(|g| policy.years(g)),
        [10, 10, 6, 6],
        "MoPI: groups 1 and 2 ten years, group 3 six"
    );
}

#[test]
fn a_policy_names_every_group_once_with_whole_years() {
    let p = Policy::parse("group3=7,group1=12 , group2=9, group4=3").unwrap();
    assert_eq!(ReviewGroup::ALL.map(|g| p.years(g)), [12, 9, 7, 3]);
    for (text, says) in [
        ("group1=10, group2=10, group3=6", "give a period for group4"),
        (
            "group1=10, group1=9, group2=10, group3=6, group4=6",
            "group1 is given twice",
        ),
        ("group5=1", "not a review group"),
        ("group1=0, group2=10, group3=6, group4=6", "from 1 to 100"),
        ("group1=ten", "from 1 to 100"),
        ("group1", "is not `group=years`"),
        ("", "give a period for group1"),
    ] {
        let error = Policy::parse(text).unwrap_err();
        assert!(error.contains(says), "{text}: {error}");
    }
}

#[test]
fn years_are_added_by_the_calendar() {
    assert_eq!(add_years(date!(2026 - 03 - 01), 6), date!(2032 - 03 - 01));
    assert_eq!(add_years(date!(2028 - 02 - 29), 6), date!(2034 - 02 - 28));
    assert_eq!(add_years(date!(2028 - 02 - 29), 4), date!(2032 - 02 - 29));
}

#[test]
fn the_cutoff_is_exactly_the_last_clear_from_that_is_due() {
    // Every date over eight years, against every due date near a leap day: due ⟺ clear_from ≤ cutoff.
    for years in [1, 4, 6, 10] {
        for due_by in [
            date!(2036 - 02 - 28),
            date!(2036 - 02 - 29),
            date!(2035 - 02 - 28),
            date!(2035 - 03 - 01),
            date!(2034 - 12 - 31),
        ] {
            let cut = cutoff(due_by, years);
            let mut d = date!(2020 - 01 - 01);
            while d < date!(2036 - 12 - 31) {
                assert_eq!(
                    add_years(d, years) <= due_by,
                    d <= cut,
                    "{d} + {years} years against {due_by} (cutoff {cut})"
                );
                d = d.next_day().unwrap();
            }
        }
    }
}

#[test]
fn the_next_review_is_the_clear_period_or_the_retained_date_whichever_is_later() {
    let policy = Policy::default();
    let mut stored = Stored {
        derived: ReviewGroup::Group3,
        overridden: None,
        clear_from: date!(2026 - 05 - 10),
        retained_until: None,
    };
    assert_eq!(stored.next_review(&policy), date!(2032 - 05 - 10));
    stored.overridden = Some(ReviewGroup::Group2);
    assert_eq!(stored.group(), ReviewGroup::Group2);
    assert_eq!(stored.next_review(&policy), date!(2036 - 05 - 10));
    stored.retained_until = Some(date!(2040 - 01 - 01));
    assert_eq!(stored.next_review(&policy), date!(2040 - 01 - 01));
    stored.retained_until = Some(date!(2030 - 01 - 01));
    assert_eq!(stored.next_review(&policy), date!(2036 - 05 - 10));
}

#[test]
fn the_group_is_derived_from_the_records() {
    use Classification::*;
    let recorded = |principal| Facts {
        status: Some(CaseStatus::Recorded),
        principal: Some(principal),
        ..Facts::default()
    };
    assert_eq!(
        derive_group(&Facts::default()),
        ReviewGroup::Group3,
        "awaiting a decision"
    );
    assert_eq!(derive_group(&recorded(HarassmentS2)), ReviewGroup::Group3);
    assert_eq!(derive_group(&recorded(StalkingS4a)), ReviewGroup::Group2);
    assert_eq!(derive_group(&recorded(HarassmentS4)), ReviewGroup::Group2);
    let included = Facts {
        included: vec![StalkingS2a],
        ..recorded(Assault)
    };
    assert_eq!(derive_group(&included), ReviewGroup::Group2);
    let domestic = Facts {
        domestic_abuse: true,
        ..recorded(MaliciousCommunications)
    };
    assert_eq!(derive_group(&domestic), ReviewGroup::Group2);
    let no_crime = Facts {
        status: Some(CaseStatus::NoCrime),
        domestic_abuse: true,
        ..Facts::default()
    };
    assert_eq!(derive_group(&no_crime), ReviewGroup::Group3);
    let high = Facts {
        high_risk: true,
        ..Facts::default()
    };
    assert_eq!(derive_group(&high), ReviewGroup::Group1);
    let spo = Facts {
        spo_made: true,
        ..recorded(HarassmentS2)
    };
    assert_eq!(derive_group(&spo), ReviewGroup::Group1);
}

#[test]
fn a_persons_retention_is_the_strictest_of_their_cases() {
    assert_eq!(strictest([]), None);
    assert_eq!(
        strictest([
            (ReviewGroup::Group3, date!(2040 - 01 - 01)),
            (ReviewGroup::Group1, date!(2036 - 01 - 01)),
            (ReviewGroup::Group2, date!(2038 - 01 - 01)),
        ]),
        Some((ReviewGroup::Group1, date!(2040 - 01 - 01)))
    );
}

fn review(decision: RetentionDecision) -> NewRetentionReview {
    NewRetentionReview {
        decision,
        reason: None,
        next_review_on: None,
        review_group: None,
    }
}

#[test]
fn a_decision_to_retain_needs_a_reason_and_a_next_review_within_the_period() {
    let policy = Policy::default();
    let stored = Stored {
        derived: ReviewGroup::Group3,
        overridden: None,
        clear_from: date!(2020 - 01 - 01),
        retained_until: None,
    };
    let today = date!(2026 - 11 - 30);
    let pointers = |r: &NewRetentionReview| -> Vec<String> {
        check(r, &stored, &policy, today)
            .unwrap_err()
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    };
    let bare = review(RetentionDecision::Retain);
    assert_eq!(pointers(&bare), ["/reason"]);
    let mut ok = bare.clone();
    ok.reason = Some("Suspect still active: further reports in 2026.".into());
    let Checked::Retain(retain) = check(&ok, &stored, &policy, today).unwrap() else {
        panic!("retained")
    };
    assert_eq!(
        retain.next_review_on,
        date!(2032 - 11 - 30),
        "group 3: six years"
    );
    assert_eq!(retain.group, ReviewGroup::Group3);
    let mut far = ok.clone();
    far.next_review_on = Some("2033-01-01".into());
    assert_eq!(pointers(&far), ["/next_review_on"]);
    far.review_group = Some(ReviewGroup::Group1);
    let Checked::Retain(retain) = check(&far, &stored, &policy, today).unwrap() else {
        panic!("retained")
    };
    assert_eq!(
        (retain.group, retain.overridden, retain.next_review_on),
        (
            ReviewGroup::Group1,
            Some(ReviewGroup::Group1),
            date!(2033 - 01 - 01)
        )
    );
    let mut past = ok.clone();
    past.next_review_on = Some("2026-11-30".into());
    assert_eq!(pointers(&past), ["/next_review_on"]);
    past.next_review_on = Some("30/11/2027".into());
    assert_eq!(pointers(&past), ["/next_review_on"]);
    let mut blank = ok.clone();
    blank.reason = Some("  ".into());
    assert_eq!(pointers(&blank), ["/reason"]);
}

#[test]
fn a_decision_to_dispose_sets_no_date_or_group() {
    let policy = Policy::default();
    let stored = Stored {
        derived: ReviewGroup::Group3,
        overridden: None,
        clear_from: date!(2020 - 01 - 01),
        retained_until: None,
    };
    let today = date!(2026 - 11 - 30);
    assert_eq!(
        check(&review(RetentionDecision::Dispose), &stored, &policy, today).unwrap(),
        Checked::Dispose { reason: None }
    );
    let mut wrong = review(RetentionDecision::Dispose);
    wrong.next_review_on = Some("2030-01-01".into());
    wrong.review_group = Some(ReviewGroup::Group2);
    let errors = check(&wrong, &stored, &policy, today).unwrap_err();
    assert_eq!(errors.len(), 2);
}

#[test]
fn groups_are_words_and_numbers() {
    for g in ReviewGroup::ALL {
        assert_eq!(ReviewGroup::from_number(g.number()), Some(g));
        assert_eq!(ReviewGroup::parse(g.as_str()), Some(g));
    }
    assert_eq!(ReviewGroup::Group1.as_str(), "group1");
    assert_eq!(ReviewGroup::from_number(5), None);
}
