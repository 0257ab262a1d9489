use super::*;
use crate::risk::instruments;
use crate::risk::requests::MAX_COMMENT;
use std::collections::BTreeMap;

fn policy() -> Policy {
    Policy::from_settings(|_| None).unwrap()
}

fn dash() -> &'static Instrument {
    instruments::find("dash", "2009-police").unwrap()
}

/// An assessment with `yes` scored questions answered yes, the next `dont_know` "don't know",
/// the rest no (q3's parts all no).
fn answered(instrument: &Instrument, yes: usize, dont_know: usize) -> NewAssessment {
    let mut answers = BTreeMap::new();
    let mut scored = 0;
    for q in &instrument.questions {
        let answer = if q.scored {
            scored += 1;
            if scored <= yes {
                Answer::Yes
            } else if scored <= yes + dont_know {
                Answer::DontKnow
            } else {
                Answer::No
            }
        } else {
            Answer::No
        };
        let given = if q.parts.is_empty() {
            Given {
                answer: Some(answer),
                parts: BTreeMap::new(),
                comment: None,
            }
        } else {
            Given {
                answer: None,
                parts: q.parts.iter().map(|p| (p.id.clone(), Answer::No)).collect(),
                comment: None,
            }
        };
        answers.insert(q.id.clone(), given);
    }
    NewAssessment {
        case_id: "case".into(),
        instrument: InstrumentRef {
            id: instrument.id.clone(),
            version: instrument.version.clone(),
        },
        answers,
        judgement: None,
    }
}

#[test]
fn bands_at_every_boundary() {
    use Level::*;
    let table = [
        (0, Standard),
        (9, Standard),
        (10, Medium),
        (13, Medium),
        (14, High),
        (26, High),
    ];
    for (yes, level) in table {
        let new = answered(dash(), yes, 0);
        assert!(validate(dash(), &new).is_empty());
        let e = evaluate(dash(), &new, &History::default(), &policy()).unwrap();
        assert_eq!(
            (e.score, e.level, e.computed_level),
            (yes as u32, Some(level), Some(level)),
            "{yes}"
        );
    }
}

#[test]
fn dont_know_is_listed_and_never_counted() {
    let e = evaluate(
        dash(),
        &answered(dash(), 9, 5),
        &History::default(),
        &policy(),
    )
    .unwrap();
    assert_eq!(e.score, 9);
    assert_eq!(e.level, Some(Level::Standard));
    assert_eq!(e.dont_know_items.len(), 5);
    assert!(e.rules[0].contains("5 \"don't know\""), "{:?}", e.rules);
}

#[test]
fn bands_follow_the_force_configuration() {
    let strict = Policy::from_settings(|name| {
        (name == "risk_bands").then(|| "dash: medium=5, high=8".to_string())
    })
    .unwrap();
    let e = evaluate(
        dash(),
        &answered(dash(), 8, 0),
        &History::default(),
        &strict,
    )
    .unwrap();
    assert_eq!(e.level, Some(Level::High));
    assert!(e.rules[1].contains("(8 or more)"), "{:?}", e.rules);
}

#[test]
fn judgement_raises_with_a_rationale_and_never_lowers() {
    let mut new = answered(dash(), 11, 0);
    new.judgement = Some(Judgement {
        level: Level::High,
        rationale: "Threats to kill and recent separation.".into(),
    });
    let e = evaluate(dash(), &new, &History::default(), &policy()).unwrap();
    assert_eq!(
        (e.computed_level, e.level),
        (Some(Level::Medium), Some(Level::High))
    );
    assert!(
        e.rules
            .iter()
            .any(|r| r.contains("raised the level from medium to high"))
    );
    let marac = e.referrals.iter().find(|r| r.agency == "marac").unwrap();
    assert_eq!(marac.criteria, ["high-risk", "professional-judgement"]);

    new.judgement = Some(Judgement {
        level: Level::Standard,
        rationale: "Victim seems calm.".into(),
    });
    let errors = evaluate(dash(), &new, &History::default(), &policy()).unwrap_err();
    assert_eq!(errors[0].0, "/judgement/level");
    assert!(errors[0].1.contains("never lower"));

    new.judgement = Some(Judgement {
        level: Level::High,
        rationale: "  ".into(),
    });
    assert_eq!(validate(dash(), &new)[0].0, "/judgement/rationale");
}

#[test]
fn escalation_from_the_pair_history_and_repeat_marac() {
    let new = answered(dash(), 3, 0);
    let below = History {
        pair_incidents: 2,
        ..History::default()
    };
    let e = evaluate(dash(), &new, &below, &policy()).unwrap();
    assert!(!e.escalation && e.referrals.is_empty(), "{e:?}");
    let at = History {
        pair_incidents: 3,
        ..History::default()
    };
    let e = evaluate(dash(), &new, &at, &policy()).unwrap();
    assert!(e.escalation);
    assert_eq!(e.level, Some(Level::Standard), "escalation is not a level");
    assert_eq!(
        e.referrals,
        [ReferralNeed {
            agency: Agency::parse("marac").unwrap(),
            criteria: vec!["escalation".into()]
        }]
    );
    let repeat = History {
        repeat_referrals: ["marac".to_string()].into(),
        ..History::default()
    };
    let e = evaluate(dash(), &new, &repeat, &policy()).unwrap();
    assert_eq!(e.referrals[0].criteria, ["repeat"]);
}

#[test]
fn referrals_follow_the_policy() {
    let table: [(usize, &[&str]); 3] = [(5, &[]), (10, &["mash"]), (14, &["mash", "marac"])];
    for (yes, agencies) in table {
        let e = evaluate(
            dash(),
            &answered(dash(), yes, 0),
            &History::default(),
            &policy(),
        )
        .unwrap();
        let got: Vec<&str> = e.referrals.iter().map(|r| r.agency.as_str()).collect();
        assert_eq!(got, agencies, "{yes}");
    }
    let only_high =
        Policy::from_settings(|name| (name == "risk_referrals").then(|| "idva=high".to_string()))
            .unwrap_err();
    assert!(only_high.contains("risk_referral_due_hours"), "{only_high}");
    let custom = Policy::from_settings(|name| match name {
        "risk_referrals" => Some("idva=medium".into()),
        "risk_referral_due_hours" => Some("idva=12".into()),
        "risk_referral_recipients" => Some("idva=idva-service".into()),
        _ => None,
    })
    .unwrap();
    let e = evaluate(
        dash(),
        &answered(dash(), 10, 0),
        &History::default(),
        &custom,
    )
    .unwrap();
    assert_eq!(e.referrals[0].agency, "idva");
    assert_eq!(
        custom.referral_due_hours(&Agency::parse("idva").unwrap(), Some(Level::Medium)),
        12
    );
    assert_eq!(
        policy().referral_due_hours(&Agency::parse("mash").unwrap(), Some(Level::High)),
        4
    );
    assert_eq!(
        policy().referral_due_hours(&Agency::parse("mash").unwrap(), Some(Level::Medium)),
        24
    );
}

#[test]
fn screening_triggers() {
    let mut new = answered(dash(), 0, 0);
    new.answers.get_mut("q8").unwrap().answer = Some(Answer::Yes);
    new.answers.get_mut("q2").unwrap().answer = Some(Answer::Yes);
    let e = evaluate(dash(), &new, &History::default(), &policy()).unwrap();
    assert_eq!(e.screening_triggers.len(), 2, "{:?}", e.screening_triggers);
    assert!(
        e.screening_triggers
            .iter()
            .any(|t| t.starts_with("Question 8 "))
    );

    let none = History::default();
    assert!(screening_reasons(&none, &[]).is_empty());
    let two = History {
        occasions: 2,
        ..History::default()
    };
    assert_eq!(screening_reasons(&two, &[]).len(), 1);
    let stalking = History {
        stalking: true,
        occasions: 1,
        ..History::default()
    };
    assert!(screening_reasons(&stalking, &[])[0].contains("domestic abuse or not"));
    assert_eq!(screening_reasons(&two, &e.screening_triggers).len(), 3);
}

#[test]
fn the_screening_records_count_and_items_and_escalates_only_by_local_policy() {
    let sdash = instruments::find("s-dash", "2009").unwrap();
    let new = answered(sdash, 4, 1);
    let e = evaluate(sdash, &new, &History::default(), &policy()).unwrap();
    assert_eq!((e.score, e.out_of, e.level), (4, 11, None));
    assert_eq!(e.yes_items, ["s1", "s2", "s3", "s4"]);
    assert!(!e.escalation && e.referrals.is_empty());
    let local = Policy::from_settings(|name| {
        (name == "risk_screening_escalation").then(|| "any=s6,s8; at_least=4".to_string())
    })
    .unwrap();
    let e = evaluate(sdash, &new, &History::default(), &local).unwrap();
    assert!(e.escalation);
    assert!(
        e.rules.iter().any(|r| r.starts_with("Local policy")),
        "{:?}",
        e.rules
    );
    assert_eq!(e.referrals[0].agency, "marac");
    let e = evaluate(sdash, &answered(sdash, 3, 0), &History::default(), &local).unwrap();
    assert!(!e.escalation);
}

#[test]
fn review_dates_and_supervisor_reviews_by_level() {
    let e = evaluate(
        dash(),
        &answered(dash(), 14, 0),
        &History::default(),
        &policy(),
    )
    .unwrap();
    assert_eq!((e.review_days, e.supervisor_review_hours), (7, Some(24)));
    let e = evaluate(
        dash(),
        &answered(dash(), 10, 0),
        &History::default(),
        &policy(),
    )
    .unwrap();
    assert_eq!((e.review_days, e.supervisor_review_hours), (28, None));
    let stalking = History {
        stalking: true,
        ..History::default()
    };
    let e = evaluate(dash(), &answered(dash(), 1, 0), &stalking, &policy()).unwrap();
    assert_eq!(e.review_days, 90);
    let codes: Vec<&str> = e.prompts.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["consider-spo", "safety-plan"]);
}

#[test]
fn validation_names_every_missing_or_unknown_answer() {
    let mut new = answered(dash(), 0, 0);
    new.answers.remove("q12");
    new.answers.insert(
        "q99".into(),
        Given {
            answer: Some(Answer::Yes),
            parts: BTreeMap::new(),
            comment: None,
        },
    );
    let q3 = new.answers.get_mut("q3").unwrap();
    q3.parts.remove("being-killed");
    q3.parts.insert("nonsense".into(), Answer::Yes);
    new.answers
        .get_mut("q1")
        .unwrap()
        .parts
        .insert("x".into(), Answer::No);
    new.answers.get_mut("q2").unwrap().comment = Some("x".repeat(MAX_COMMENT + 1));
    let pointers: Vec<String> = validate(dash(), &new).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        pointers,
        [
            "/answers/q99",
            "/answers/q1/parts",
            "/answers/q2/comment",
            "/answers/q3/parts/nonsense",
            "/answers/q3/parts/being-killed",
            "/answers/q12"
        ]
    );
}

#[test]
fn unknown_instrument_or_version() {
    let wrong = InstrumentRef {
        id: "dash".into(),
        version: "2030".into(),
    };
    assert_eq!(resolve(&wrong).unwrap_err()[0].0, "/instrument/version");
    let unknown = InstrumentRef {
        id: "nope".into(),
        version: "1".into(),
    };
    let errors = resolve(&unknown).unwrap_err();
    assert!(errors[0].1.contains("dash, s-dash"), "{errors:?}");
}

#[test]
fn policy_errors_name_the_variable() {
    for (name, value, expect) in [
        ("risk_bands", "dash: medium=14, high=10", "risk_bands"),
        ("risk_bands", "dash medium=1", "risk_bands"),
        ("risk_referrals", "mash=purple", "risk_referrals"),
        ("risk_review_days", "high=7", "needs medium"),
        (
            "risk_escalation_incidents",
            "0",
            "risk_escalation_incidents",
        ),
        (
            "risk_screening_escalation",
            "most=3",
            "risk_screening_escalation",
        ),
    ] {
        let error = Policy::from_settings(|n| (n == name).then(|| value.to_string())).unwrap_err();
        assert!(error.contains(expect), "{name}={value}: {error}");
    }
}

#[test]
fn reviews_raise_never_lower() {
    let review = |outcome, level| NewReview {
        outcome,
        level,
        rationale: "Checked the answers with the officer.".into(),
    };
    use ReviewOutcome::*;
    assert!(validate_review(&review(Agreed, None), Some(Level::Medium)).is_empty());
    assert!(validate_review(&review(Raised, Some(Level::High)), Some(Level::Medium)).is_empty());
    assert_eq!(
        validate_review(&review(Raised, Some(Level::Standard)), Some(Level::Medium))[0].0,
        "/level"
    );
    assert_eq!(
        validate_review(&review(Raised, Some(Level::Medium)), Some(Level::Medium)).len(),
        1
    );
    assert_eq!(
        validate_review(&review(Raised, Some(Level::High)), None)[0].0,
        "/outcome"
    );
    assert_eq!(
        validate_review(&review(Agreed, Some(Level::High)), Some(Level::High))[0].0,
        "/level"
    );
}
