//! Victim care (issue #15 point 3): how the victim wants to be contacted and how to do it safely, every
//! contact with them (what was said, by whom, when), and the Victims' Code updates owed at key
//! decisions, each due a number of working days after the decision (force policy: 1 for victims
//! entitled to the enhanced service — the persistently targeted, which stalking victims are by
//! default — and 5 otherwise). The victim personal statement offered and a safety plan agreed are
//! recorded with the contact in which they happened. Pure: `store` keeps them.

pub mod store;

use crate::ids::CaseId;
use crate::values::{FieldErrors, Timestamp, text};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Weekday};

const MAX_DETAIL: usize = 200;
const MAX_SUMMARY: usize = 4000;
const MAX_NOTE: usize = 2000;
/// The most updates one contact can give.
pub const MAX_UPDATES_GIVEN: usize = 20;

crate::vocabulary! {
    /// How the victim is (or was) contacted.
    pub enum ContactMethod {
        Phone,
        TextMessage,
        Email,
        Letter,
        InPerson,
        Video,
    }
}

crate::vocabulary! {
    /// The Victims' Code service the victim is entitled to: enhanced (victims of the most serious
    /// crime, the persistently targeted, the vulnerable or intimidated) or standard.
    pub enum Entitlement {
        Enhanced,
        Standard,
    }
}

crate::vocabulary! {
    /// Where the victim personal statement stands after a contact.
    pub enum PersonalStatement {
        Offered,
        Made,
        Declined,
    }
}

crate::vocabulary! {
    /// A key decision the victim must be told of. The app records the first eight itself, with the
    /// crime decision or the order's decision; an officer records the others as they happen.
    pub enum KeyDecision {
        CrimeRecorded,
        NoCrime,
        OrderApplied,
        InterimOrderMade,
        OrderMade,
        OrderRefused,
        OrderVaried,
        OrderRenewed,
        OrderDischarged,
        RestrainingOrderMade,
        BailConditions,
        Arrest,
        Interview,
        ReleasedUnderInvestigation,
        ReleasedOnBail,
        Charge,
        NoFurtherAction,
        OutOfCourtDisposal,
        CourtHearing,
        CourtOutcome,
    }
}

impl KeyDecision {
    /// Decisions the app records from the records themselves, never by hand (so never twice).
    pub fn recorded_by_the_app(self) -> bool {
        use KeyDecision::*;
        matches!(
            self,
            CrimeRecorded
                | NoCrime
                | OrderApplied
                | InterimOrderMade
                | OrderMade
                | OrderRefused
                | OrderVaried
                | OrderRenewed
                | OrderDischarged
                | RestrainingOrderMade
                | BailConditions
        )
    }

    /// The decision in words, for the victim's update and the list of actions.
    pub fn describe(self) -> &'static str {
        use KeyDecision::*;
        match self {
            CrimeRecorded => "the crime was recorded",
            NoCrime => "no crime was recorded",
            OrderApplied => "the force applied for a Stalking Protection Order",
            InterimOrderMade => "an interim Stalking Protection Order was made",
            OrderMade => "a Stalking Protection Order was made",
            OrderRefused => "the court refused the order",
            OrderVaried => "the order was varied",
            OrderRenewed => "the order was renewed",
            OrderDischarged => "the order was discharged",
            RestrainingOrderMade => "a restraining order was made",
            BailConditions => "bail conditions were set",
            Arrest => "the suspect was arrested",
            Interview => "the suspect was interviewed",
            ReleasedUnderInvestigation => "the suspect was released under investigation",
            ReleasedOnBail => "the suspect was released on bail",
            Charge => "the suspect was charged",
            NoFurtherAction => "no further action will be taken",
            OutOfCourtDisposal => "an out-of-court disposal was given",
            CourtHearing => "a court hearing was set",
            CourtOutcome => "the court gave its outcome",
        }
    }
}

/// How the victim wants to be contacted, and the details that are safe to use (never the suspect's
/// known ones): the officer records them with the victim and replaces them as they change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// Ways to contact the victim, the preferred first (1 to 6, each once).
    #[schemars(length(min = 1, max = 6))]
    pub methods: Vec<ContactMethod>,
    /// A safe phone number (needed for `phone` and `text-message`).
    #[schemars(with = "Option<crate::schema::Text<MAX_DETAIL>>")]
    pub safe_phone: Option<String>,
    /// A safe email address (needed for `email`).
    #[schemars(with = "Option<crate::schema::Text<MAX_DETAIL>>")]
    pub safe_email: Option<String>,
    /// A safe postal address (needed for `letter`).
    #[schemars(with = "Option<crate::schema::Text<MAX_DETAIL>>")]
    pub safe_address: Option<String>,
    /// When contact is safe, in words (e.g. "weekdays after 6pm; not at work").
    #[schemars(with = "Option<crate::schema::Text<MAX_DETAIL>>")]
    pub safe_times: Option<String>,
    /// Whether a message may be left.
    pub leave_messages: bool,
    /// The language to use, when not English.
    #[schemars(with = "Option<crate::schema::Text<MAX_DETAIL>>")]
    pub language: Option<String>,
    #[serde(default)]
    pub interpreter: bool,
    /// The Victims' Code service: enhanced unless the officer records why not.
    pub entitlement: Entitlement,
    /// Why the victim is not entitled to the enhanced service (needed for `standard`).
    #[schemars(with = "Option<crate::schema::Text<MAX_NOTE>>")]
    pub entitlement_reason: Option<String>,
    /// Anything else the officer should know before contacting the victim.
    #[schemars(with = "Option<crate::schema::Text<MAX_NOTE>>")]
    pub notes: Option<String>,
}

/// A contact with the victim, as the officer records it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub method: ContactMethod,
    /// When the contact took place (RFC 3339, not in the future); absent: now.
    #[schemars(with = "Option<crate::schema::DateTime>")]
    pub contacted_at: Option<String>,
    /// What was said, both ways.
    #[schemars(with = "crate::schema::Text<MAX_SUMMARY>")]
    pub summary: String,
    /// The due updates (their ids) this contact gave the victim.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub updates_given: Vec<String>,
    /// The victim personal statement: offered, made or declined in this contact.
    pub personal_statement: Option<PersonalStatement>,
    /// A safety plan was agreed (or reviewed) with the victim in this contact.
    #[serde(default)]
    pub safety_plan_agreed: bool,
}

/// A key decision an officer records, so that the victim's update about it is due.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyDecision {
    /// One of the decisions the app does not record itself (arrest, interview, release, charge…).
    pub decision: KeyDecision,
    /// When it was made (RFC 3339, not in the future).
    #[schemars(with = "crate::schema::DateTime")]
    pub decided_at: String,
}

/// The force's policy: working days to tell the victim of a key decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdatePolicy {
    pub enhanced_days: i64,
    pub standard_days: i64,
}

impl UpdatePolicy {
    pub fn days(self, entitlement: Entitlement) -> i64 {
        match entitlement {
            Entitlement::Enhanced => self.enhanced_days,
            Entitlement::Standard => self.standard_days,
        }
    }
}

/// `at` plus `days` working days (Monday to Friday; bank holidays are not known to the app), at the
/// same time of day.
pub fn plus_working_days(at: OffsetDateTime, days: i64) -> OffsetDateTime {
    let mut due = at;
    let mut left = days;
    while left > 0 {
        due += Duration::days(1);
        if !matches!(due.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    due
}

/// When the victim must be told of a decision made at `decided_at`, `days` working days later.
pub fn due_at(decided_at: &Timestamp, days: i64) -> Timestamp {
    Timestamp::from_time(plus_working_days(decided_at.time(), days))
}

/// A contact as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: String,
    pub contacted_at: Timestamp,
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    pub method: ContactMethod,
    pub summary: String,
    pub personal_statement: Option<PersonalStatement>,
    pub safety_plan_agreed: bool,
    pub updates_given: Vec<String>,
}

/// The record a key decision is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// An update owed to the victim about a key decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    pub id: String,
    pub case_id: CaseId,
    pub decision: KeyDecision,
    pub description: &'static str,
    pub source: Source,
    pub decided_at: Timestamp,
    pub recorded_by: String,
    pub due_at: Timestamp,
    pub given_at: Option<Timestamp>,
    pub contact_id: Option<String>,
    /// Not given, and past due.
    pub overdue: bool,
    /// Given after it was due.
    pub late: bool,
}

impl Update {
    /// Works out when the update is due and where it stands, under the policy and the victim's
    /// entitlement.
    #[allow(clippy::too_many_arguments)] // the stored row's columns
    pub fn due(
        id: String,
        case_id: CaseId,
        decision: KeyDecision,
        source: Source,
        decided_at: Timestamp,
        recorded_by: String,
        given_at: Option<Timestamp>,
        contact_id: Option<String>,
        days: i64,
        now: OffsetDateTime,
    ) -> Update {
        let due_at = due_at(&decided_at, days);
        let overdue = given_at.is_none() && now > due_at.time();
        let late = given_at
            .as_ref()
            .is_some_and(|g| g.as_str() > due_at.as_str());
        Update {
            id,
            case_id,
            decision,
            description: decision.describe(),
            source,
            decided_at,
            recorded_by,
            due_at,
            given_at,
            contact_id,
            overdue,
            late,
        }
    }
}

/// A case's victim care: the preferences (if recorded yet), the updates owed and given, the personal
/// statement's and the safety plan's latest state, and how many contacts there have been.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VictimCare {
    pub case_id: CaseId,
    /// 0 until the preferences are first recorded (send `If-Match: "0"` to record them).
    pub version: i64,
    pub preferences: Option<Preferences>,
    pub entitlement: Entitlement,
    /// Working days the victim is told of a key decision within, under the force's policy.
    pub update_days: i64,
    pub updated_at: Option<Timestamp>,
    pub updated_by: Option<String>,
    pub updates: Vec<Update>,
    pub contacts: i64,
    pub last_contact_at: Option<Timestamp>,
    pub personal_statement: Option<PersonalStatement>,
    pub safety_plan_agreed_at: Option<Timestamp>,
}

fn optional(
    errors: &mut FieldErrors,
    pointer: &str,
    value: &Option<String>,
    what: &str,
    max: usize,
) {
    if let Some(value) = value {
        text(errors, pointer, value, what, max);
    }
}

/// Checks what the schema cannot: each method once, a safe detail for each method that needs one,
/// a reason for the standard service.
pub fn validate_preferences(p: &Preferences) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if p.methods.is_empty() || p.methods.len() > 6 {
        errors.push((
            "/methods".into(),
            "Give 1 to 6 ways to contact the victim.".into(),
        ));
    }
    for (i, method) in p.methods.iter().enumerate() {
        if p.methods[..i].contains(method) {
            errors.push((
                format!("/methods/{i}"),
                format!("`{method}` is given twice."),
            ));
        }
    }
    optional(
        &mut errors,
        "/safe_phone",
        &p.safe_phone,
        "The safe phone number",
        MAX_DETAIL,
    );
    optional(
        &mut errors,
        "/safe_email",
        &p.safe_email,
        "The safe email address",
        MAX_DETAIL,
    );
    optional(
        &mut errors,
        "/safe_address",
        &p.safe_address,
        "The safe address",
        MAX_DETAIL,
    );
    optional(
        &mut errors,
        "/safe_times",
        &p.safe_times,
        "The safe times",
        MAX_DETAIL,
    );
    optional(
        &mut errors,
        "/language",
        &p.language,
        "The language",
        MAX_DETAIL,
    );
    optional(
        &mut errors,
        "/entitlement_reason",
        &p.entitlement_reason,
        "The reason",
        MAX_NOTE,
    );
    optional(&mut errors, "/notes", &p.notes, "The notes", MAX_NOTE);
    let needs = |method: ContactMethod, detail: &Option<String>, field: &str, what: &str| {
        (p.methods.contains(&method) && detail.as_deref().is_none_or(|d| d.trim().is_empty())).then(
            || {
                (
                    format!("/{field}"),
                    format!("Give {what} to contact the victim by {method}."),
                )
            },
        )
    };
    errors.extend(
        [
            needs(
                ContactMethod::Phone,
                &p.safe_phone,
                "safe_phone",
                "a safe phone number",
            ),
            needs(
                ContactMethod::TextMessage,
                &p.safe_phone,
                "safe_phone",
                "a safe phone number",
            ),
            needs(
                ContactMethod::Email,
                &p.safe_email,
                "safe_email",
                "a safe email address",
            ),
            needs(
                ContactMethod::Letter,
                &p.safe_address,
                "safe_address",
                "a safe address",
            ),
        ]
        .into_iter()
        .flatten(),
    );
    errors.dedup_by(|a, b| a.0 == b.0);
    if p.entitlement == Entitlement::Standard
        && p.entitlement_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        errors.push((
            "/entitlement_reason".into(),
            "Stalking victims are persistently targeted and entitled to the enhanced service: give the reason this victim is not."
                .into(),
        ));
    }
    errors
}

/// Checks a contact against the clock: the summary is given, the time is not in the future, at most
/// 20 updates, each named once.
pub fn validate_contact(
    c: &NewContact,
    now: OffsetDateTime,
) -> (FieldErrors, Option<OffsetDateTime>) {
    let mut errors = FieldErrors::new();
    text(
        &mut errors,
        "/summary",
        &c.summary,
        "What was said",
        MAX_SUMMARY,
    );
    let at = past_time(
        &mut errors,
        "/contacted_at",
        c.contacted_at.as_deref(),
        now,
        "The contact",
    );
    if c.updates_given.len() > MAX_UPDATES_GIVEN {
        errors.push((
            "/updates_given".into(),
            format!("A contact gives at most {MAX_UPDATES_GIVEN} updates."),
        ));
    }
    for (i, id) in c.updates_given.iter().enumerate() {
        if c.updates_given[..i].contains(id) {
            errors.push((
                format!("/updates_given/{i}"),
                "This update is named twice.".into(),
            ));
        }
    }
    (errors, at)
}

/// Checks an officer's key decision: one the app does not record itself, not in the future.
pub fn validate_decision(
    d: &NewKeyDecision,
    now: OffsetDateTime,
) -> (FieldErrors, Option<OffsetDateTime>) {
    let mut errors = FieldErrors::new();
    if d.decision.recorded_by_the_app() {
        errors.push((
            "/decision".into(),
            format!(
                "`{}` is recorded by the app with the crime decision or the order: the update is already due.",
                d.decision
            ),
        ));
    }
    let at = past_time(
        &mut errors,
        "/decided_at",
        Some(&d.decided_at),
        now,
        "The decision",
    );
    (errors, at)
}

/// A time that is given as RFC 3339 and not in the future (absent: now).
fn past_time(
    errors: &mut FieldErrors,
    pointer: &str,
    value: Option<&str>,
    now: OffsetDateTime,
    what: &str,
) -> Option<OffsetDateTime> {
    let Some(value) = value else { return Some(now) };
    match crate::values::parse_time(value) {
        Some(at) if at <= now + Duration::minutes(5) => Some(at.min(now)),
        Some(_) => {
            errors.push((pointer.into(), format!("{what} cannot be in the future.")));
            None
        }
        None => {
            errors.push((
                pointer.into(),
                "Give a time in RFC 3339, e.g. 2026-11-30T09:30:00Z.".into(),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn preferences() -> Preferences {
        Preferences {
            methods: vec![ContactMethod::Phone, ContactMethod::Email],
            safe_phone: Some("07700 900123".into()),
            safe_email: Some("safe@example.org".into()),
            safe_address: None,
            safe_times: Some("after 6pm".into()),
            leave_messages: false,
            language: None,
            interpreter: false,
            entitlement: Entitlement::Enhanced,
            entitlement_reason: None,
            notes: None,
        }
    }

    #[test]
    fn working_days_skip_the_weekend_and_keep_the_time() {
        // 2026-11-27 is a Friday.
        let friday = datetime!(2026-11-27 15:00 UTC);
        assert_eq!(
            plus_working_days(friday, 1),
            datetime!(2026-11-30 15:00 UTC)
        );
        assert_eq!(
            plus_working_days(friday, 5),
            datetime!(2026-12-04 15:00 UTC)
        );
        let saturday = datetime!(2026-11-28 10:00 UTC);
        assert_eq!(
            plus_working_days(saturday, 1),
            datetime!(2026-11-30 10:00 UTC)
        );
        let monday = datetime!(2026-11-30 09:00 UTC);
        assert_eq!(
            plus_working_days(monday, 1),
            datetime!(2026-12-01 09:00 UTC)
        );
        assert_eq!(plus_working_days(monday, 0), monday);
    }

    #[test]
    fn an_update_is_overdue_until_given_and_late_if_given_after_its_due_time() {
        let decided = Timestamp::from_time(datetime!(2026-11-27 15:00 UTC));
        let update = |given: Option<OffsetDateTime>, now| {
            Update::due(
                "u".into(),
                CaseId::parse("c").unwrap(),
                KeyDecision::Arrest,
                Source {
                    kind: "key-decision".into(),
                    id: "u".into(),
                },
                decided.clone(),
                "pc-1".into(),
                given.map(Timestamp::from_time),
                None,
                1,
                now,
            )
        };
        let open = update(None, datetime!(2026-11-30 14:00 UTC));
        assert_eq!(open.due_at.as_str(), "2026-11-30T15:00:00.000000Z");
        assert!(!open.overdue);
        assert!(update(None, datetime!(2026-11-30 16:00 UTC)).overdue);
        let late = update(
            Some(datetime!(2026-12-01 09:00 UTC)),
            datetime!(2026-12-02 09:00 UTC),
        );
        assert!(!late.overdue && late.late);
        let on_time = update(
            Some(datetime!(2026-11-28 09:00 UTC)),
            datetime!(2026-12-02 09:00 UTC),
        );
        assert!(!on_time.overdue && !on_time.late);
        assert_eq!(on_time.description, "the suspect was arrested");
    }

    #[test]
    fn preferences_need_a_safe_detail_for_each_method_and_a_reason_for_the_standard_service() {
        assert!(validate_preferences(&preferences()).is_empty());
        let mut p = preferences();
        p.safe_phone = None;
        p.methods.push(ContactMethod::TextMessage);
        p.methods.push(ContactMethod::Letter);
        p.methods.push(ContactMethod::Phone);
        p.entitlement = Entitlement::Standard;
        let pointers: Vec<String> = validate_preferences(&p)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            pointers,
            [
                "/methods/4",
                "/safe_phone",
                "/safe_address",
                "/entitlement_reason"
            ]
        );
    }

    #[test]
    fn a_contact_is_not_in_the_future_and_names_each_update_once() {
        let now = datetime!(2026-11-30 12:00 UTC);
        let contact = NewContact {
            method: ContactMethod::Phone,
            contacted_at: Some("2026-11-30T13:00:00Z".into()),
            summary: " ".into(),
            updates_given: vec!["a".into(), "a".into()],
            personal_statement: None,
            safety_plan_agreed: false,
        };
        let (errors, at) = validate_contact(&contact, now);
        let pointers: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pointers, ["/summary", "/contacted_at", "/updates_given/1"]);
        assert_eq!(at, None);
    }

    #[test]
    fn officers_record_only_the_decisions_the_app_does_not() {
        let now = datetime!(2026-11-30 12:00 UTC);
        let decision = |d| NewKeyDecision {
            decision: d,
            decided_at: "2026-11-30T09:00:00Z".into(),
        };
        let (errors, at) = validate_decision(&decision(KeyDecision::Charge), now);
        assert!(errors.is_empty());
        assert_eq!(at, Some(datetime!(2026-11-30 09:00 UTC)));
        let (errors, _) = validate_decision(&decision(KeyDecision::CrimeRecorded), now);
        assert_eq!(errors[0].0, "/decision");
    }
}
