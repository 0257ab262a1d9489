//! Who may do what: roles, the one permission table, bearer tokens, and the reason an access is made.

use crate::ids::TokenId;
use crate::values::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::access::audit::RecordType;

crate::vocabulary! {
    /// A token holder's role, which decides what they may do.
    pub enum Role: "lowercase" {
        Officer,
        Supervisor,
        Superintendent,
        Analyst,
        Auditor,
        Partner,
        Admin,
    }
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Officer,
        Role::Supervisor,
        Role::Superintendent,
        Role::Analyst,
        Role::Auditor,
        Role::Partner,
        Role::Admin,
    ];
}

/// Everything the API lets a caller do. Each endpoint names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum Action {
    /// Start a web-form session with a bearer token.
    SessionStart,
    /// Who am I; end my session.
    SessionUse,
    TokenIssue,
    /// A second admin approves or declines a token request for a powerful role.
    TokenDecide,
    TokenList,
    TokenRevoke,
    CaseCreate,
    /// Add an occurrence.
    CaseUpdate,
    /// Record the crime decision.
    CaseDecide,
    CaseRead,
    CaseList,
    CaseStats,
    /// A person's profile: their cases, victims and risk (a perpetrator profile).
    PersonRead,
    /// A supervisor confirms or splits how a case's person is linked to a person record.
    LinkReview,
    /// Record an order (an SPO application, a restraining order, bail conditions).
    OrderCreate,
    /// Read and list orders.
    OrderRead,
    /// Record an order's events (decisions, service, notification, variation…) and breaches.
    OrderUpdate,
    PinRequest,
    PinDecide,
    PinRegister,
    AccessLogRead,
    AuditVerify,
    /// Read the risk instruments (questions, no personal data).
    InstrumentRead,
    AssessmentCreate,
    AssessmentRead,
    /// A supervisor's review of an assessment.
    AssessmentReview,
    /// What is overdue across the force: assessments, reviews, referrals.
    RiskOverdue,
    ReferralRead,
    /// Record the sharing decision and send the package.
    ReferralSend,
    /// A partner system lists and fetches the referrals addressed to it.
    PartnerReferralRead,
    PartnerReferralAcknowledge,
    SearchCreate,
    /// Correct or complete a search record (an amendment; the original stays).
    SearchAmend,
    SearchRead,
    /// The compliance report (no personal data).
    SearchReport,
    /// Export the access log for a period, to verify it independently.
    AuditExport,
    /// The problem profile and its charts (no personal data).
    ProfileRead,
    /// Read and export the action plan.
    PlanRead,
    /// Add a dated update (status and note) to an action of the plan.
    PlanUpdate,
    /// Read a case's victim care: preferences, safe contact details, contacts, updates owed.
    VictimCareRead,
    /// Record the victim's preferences, a contact with them, or a key decision they must be told of.
    VictimCareUpdate,
    /// What is due on a case, or on an officer's cases.
    ActionsRead,
    /// Everything overdue across the force.
    ActionsOverdue,
    /// A case's protocol compliance checks.
    ComplianceRead,
    /// The force's list of cases by compliance check and status.
    ComplianceList,
    /// The compliance summary by check for a period (no personal data).
    ComplianceSummary,
    /// Retention under MoPI: the reviews due, a case's or a person's group and next review, and the
    /// review decisions recorded.
    RetentionRead,
    /// Record a review decision: retain (with the reason) or dispose (erasing the personal data).
    RetentionDecide,
}

use Role::*;

/// The permission table: who may do what. Anything not listed is denied. Partners may report and
/// receive the referral packages addressed to them, and read nothing else back; analysts see only aggregates; auditors read
/// logs and registers and change nothing.
pub const PERMISSIONS: &[(Action, &[Role])] = &[
    (Action::SessionStart, &Role::ALL),
    (Action::SessionUse, &Role::ALL),
    (Action::TokenIssue, &[Admin]),
    (Action::TokenDecide, &[Admin]),
    (Action::TokenList, &[Admin]),
    (Action::TokenRevoke, &[Admin]),
    // Partner systems may report (collection); they cannot read cases back.
    (Action::CaseCreate, &[Officer, Supervisor, Partner]),
    (Action::CaseUpdate, &[Officer, Supervisor]),
    (Action::CaseDecide, &[Officer, Supervisor]),
    (Action::CaseRead, &[Officer, Supervisor, Superintendent]),
    (Action::CaseList, &[Officer, Supervisor, Superintendent]),
    (Action::CaseStats, &[Analyst, Supervisor, Superintendent]),
    (Action::PersonRead, &[Officer, Supervisor, Superintendent]),
    (Action::LinkReview, &[Supervisor, Superintendent]),
    (Action::OrderCreate, &[Officer, Supervisor]),
    (Action::OrderRead, &[Officer, Supervisor, Superintendent]),
    (Action::OrderUpdate, &[Officer, Supervisor]),
    (Action::PinRequest, &[Officer, Supervisor]),
    (Action::PinDecide, &[Superintendent]),
    (Action::PinRegister, &[Supervisor, Superintendent, Auditor]),
    (Action::AccessLogRead, &[Auditor]),
    (Action::AuditVerify, &[Auditor, Admin]),
    (
        Action::InstrumentRead,
        &[Officer, Supervisor, Superintendent, Analyst, Partner],
    ),
    (Action::AssessmentCreate, &[Officer, Supervisor]),
    (
        Action::AssessmentRead,
        &[Officer, Supervisor, Superintendent],
    ),
    (Action::AssessmentReview, &[Supervisor, Superintendent]),
    (Action::RiskOverdue, &[Supervisor, Superintendent]),
    (Action::ReferralRead, &[Officer, Supervisor, Superintendent]),
    (Action::ReferralSend, &[Officer, Supervisor]),
    // Partners read only the packages addressed to them, never cases or assessments.
    (Action::PartnerReferralRead, &[Partner]),
    (Action::PartnerReferralAcknowledge, &[Partner]),
    (Action::SearchCreate, &[Officer, Supervisor]),
    (Action::SearchAmend, &[Officer, Supervisor]),
    // Auditors read search records: compliance audit is what they are for.
    (
        Action::SearchRead,
        &[Officer, Supervisor, Superintendent, Auditor],
    ),
    (
        Action::SearchReport,
        &[Supervisor, Superintendent, Analyst, Auditor],
    ),
    (Action::AuditExport, &[Auditor]),
    // The force's view (issue #16): aggregates for analysts and senior officers; the plan is
    // updated by those who run it.
    (Action::ProfileRead, &[Analyst, Supervisor, Superintendent]),
    (Action::PlanRead, &[Analyst, Supervisor, Superintendent]),
    (Action::PlanUpdate, &[Supervisor, Superintendent]),
    // Victim care (issue #15): the victim's safe contact details are read by those who work the
    // case, never by analysts, auditors or partners.
    (
        Action::VictimCareRead,
        &[Officer, Supervisor, Superintendent],
    ),
    (Action::VictimCareUpdate, &[Officer, Supervisor]),
    // An officer sees their own actions (`?officer=` is themselves); supervisors anyone's, and the
    // force's overdue list.
    (Action::ActionsRead, &[Officer, Supervisor, Superintendent]),
    (Action::ActionsOverdue, &[Supervisor, Superintendent]),
    // Protocol compliance: a case's checks for whoever may read the case; the force's list of cases
    // for those who supervise; the summary (no personal data) for analysts too.
    (
        Action::ComplianceRead,
        &[Officer, Supervisor, Superintendent],
    ),
    (Action::ComplianceList, &[Supervisor, Superintendent]),
    (
        Action::ComplianceSummary,
        &[Analyst, Supervisor, Superintendent],
    ),
    // Retention (MoPI): reviews are decided by supervisors and superintendents, who are accountable
    // for keeping or disposing of a record (officers would review their own cases; analysts see only
    // aggregates; disposal cannot be undone). Auditors read the decisions and what is due, to audit
    // compliance with the review schedule, and decide nothing.
    (
        Action::RetentionRead,
        &[Supervisor, Superintendent, Auditor],
    ),
    (Action::RetentionDecide, &[Supervisor, Superintendent]),
];

impl Action {
    /// The kind of record the action is about, for the access log (refusals included).
    pub fn record_type(self) -> RecordType {
        use Action::*;
        match self {
            SessionStart | SessionUse => RecordType::Session,
            TokenIssue | TokenList | TokenRevoke => RecordType::Token,
            TokenDecide => RecordType::TokenRequest,
            CaseCreate | CaseUpdate | CaseDecide | CaseRead | CaseList | ComplianceRead
            | ComplianceList | RetentionRead | RetentionDecide => RecordType::Case,
            CaseStats | SearchReport | ProfileRead | ComplianceSummary => RecordType::Statistics,
            PlanRead | PlanUpdate => RecordType::ActionPlan,
            VictimCareRead | VictimCareUpdate => RecordType::VictimCare,
            ActionsRead | ActionsOverdue => RecordType::Case,
            PersonRead | LinkReview => RecordType::Person,
            OrderCreate | OrderRead | OrderUpdate => RecordType::Order,
            PinRequest | PinDecide | PinRegister => RecordType::Pin,
            AccessLogRead | AuditVerify | AuditExport => RecordType::AccessLog,
            InstrumentRead => RecordType::Instrument,
            AssessmentCreate | AssessmentRead | AssessmentReview | RiskOverdue => {
                RecordType::RiskAssessment
            }
            ReferralRead | ReferralSend | PartnerReferralRead | PartnerReferralAcknowledge => {
                RecordType::Referral
            }
            SearchCreate | SearchAmend | SearchRead => RecordType::Search,
        }
    }
}

/// Default deny: true only where the table says so.
pub fn permits(role: Role, action: Action) -> bool {
    PERMISSIONS
        .iter()
        .any(|(a, roles)| *a == action && roles.contains(&role))
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Collar or staff number, or a partner system's name.
    pub subject: String,
    pub role: Role,
    pub force: String,
    /// The token it authenticated with (`bootstrap` for the configured first admin token).
    pub token_id: String,
}

/// Token text: a prefix that secret scanners can spot, then 256 random bits, base64url.
pub const TOKEN_PREFIX: &str = "srt_";

pub fn format_token(random: &[u8; 32]) -> String {
    use base64::Engine;
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
    )
}

/// An opaque, unguessable record id: 128 random bits, hex.
pub fn format_id(random: &[u8; 32]) -> String {
    hex::encode(&random[..16])
}

/// What is stored instead of a token: its SHA-256, hex. A 256-bit random secret needs no slow hash.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality for secrets.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: TokenId,
    pub subject: String,
    pub role: Role,
    pub force: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub created_by: String,
}

/// Why a stored token does not authenticate, if it does not.
pub fn token_refusal(record: &TokenRecord, force: &str, now: &str) -> Option<&'static str> {
    if record.revoked_at.is_some() {
        Some("the token has been revoked")
    } else if record.expires_at.as_str() <= now {
        Some("the token has expired")
    } else if record.force != force {
        Some("the token is for another force")
    } else {
        None
    }
}

/// Why personal data is being read (DPA 2018 s.62: each consultation's justification is logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessReason {
    pub code: ReasonCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonCode {
    Investigation,
    Safeguarding,
    Supervision,
    Audit,
    Referral,
    Other,
    /// Recorded for writes: the reason is the act of recording itself.
    Collection,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Investigation => "investigation",
            ReasonCode::Safeguarding => "safeguarding",
            ReasonCode::Supervision => "supervision",
            ReasonCode::Audit => "audit",
            ReasonCode::Referral => "referral",
            ReasonCode::Other => "other",
            ReasonCode::Collection => "collection",
        }
    }
}

/// The header carrying the reason: `X-Access-Reason: investigation`, or `other: <text>`.
pub const REASON_HEADER: &str = "x-access-reason";
pub const REASON_CODES: &str =
    "investigation, safeguarding, supervision, audit, referral, or other: <text>";
const MAX_REASON_TEXT: usize = 200;

impl AccessReason {
    pub fn collection() -> AccessReason {
        AccessReason {
            code: ReasonCode::Collection,
            text: None,
        }
    }

    /// For referrals: sending one, and the receiving partner's reads and acknowledgement.
    pub fn referral() -> AccessReason {
        AccessReason {
            code: ReasonCode::Referral,
            text: None,
        }
    }

    /// Parses the header's value; the error says what is wrong in a sentence.
    pub fn parse(header: &str) -> Result<AccessReason, String> {
        let (code, text) = match header.split_once(':') {
            Some((code, text)) => (code.trim(), Some(text.trim())),
            None => (header.trim(), None),
        };
        let code = match code.to_ascii_lowercase().as_str() {
            "investigation" => ReasonCode::Investigation,
            "safeguarding" => ReasonCode::Safeguarding,
            "supervision" => ReasonCode::Supervision,
            "audit" => ReasonCode::Audit,
            "referral" => ReasonCode::Referral,
            "other" => ReasonCode::Other,
            "" => {
                return Err(format!(
                    "X-Access-Reason is empty: give one of {REASON_CODES}"
                ));
            }
            other => {
                return Err(format!(
                    "X-Access-Reason '{other}' is not a reason code: use one of {REASON_CODES}"
                ));
            }
        };
        let text = text.filter(|t| !t.is_empty()).map(str::to_string);
        if code == ReasonCode::Other && text.is_none() {
            return Err("X-Access-Reason 'other' needs a text: `other: <why>`".into());
        }
        if text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_REASON_TEXT)
        {
            return Err(format!(
                "X-Access-Reason text is longer than {MAX_REASON_TEXT} characters"
            ));
        }
        Ok(AccessReason { code, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_denies_by_default_and_keeps_roles_to_their_work() {
        assert!(permits(Role::Superintendent, Action::PinDecide));
        assert!(!permits(Role::Supervisor, Action::PinDecide));
        assert!(
            !permits(Role::Admin, Action::CaseRead),
            "admins run the system, not cases"
        );
        assert!(
            !permits(Role::Analyst, Action::CaseRead),
            "analysts see aggregates only"
        );
        for action in [
            Action::CaseCreate,
            Action::PinRequest,
            Action::PinDecide,
            Action::TokenIssue,
        ] {
            assert!(!permits(Role::Auditor, action), "auditors change nothing");
        }
        assert!(
            Role::ALL
                .iter()
                .all(|r| !permits(*r, Action::CaseRead) || *r != Role::Partner)
        );
    }

    #[test]
    fn every_action_is_in_the_table_once() {
        use strum::IntoEnumIterator;
        for action in Action::iter() {
            let rows = PERMISSIONS.iter().filter(|(a, _)| *a == action).count();
            assert_eq!(rows, 1, "{action:?} has {rows} rows in PERMISSIONS");
        }
    }

    #[test]
    fn tokens_are_256_bit_and_stored_as_hashes() {
        let token = format_token(&[7; 32]);
        assert!(token.starts_with("srt_") && token.len() == 4 + 43);
        assert_eq!(token_hash(&token).len(), 64);
        assert_ne!(token_hash(&token), token_hash(&format_token(&[8; 32])));
        assert!(secrets_equal(&token, &token.clone()) && !secrets_equal(&token, "srt_x"));
    }

    #[test]
    fn token_refusals() {
        let record = TokenRecord {
            id: "t".parse().unwrap(),
            subject: "1234".into(),
            role: Role::Officer,
            force: "CB".into(),
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            expires_at: "2026-06-01T00:00:00Z".parse().unwrap(),
            revoked_at: None,
            created_by: "admin".into(),
        };
        assert_eq!(token_refusal(&record, "CB", "2026-02-01T00:00:00Z"), None);
        assert!(token_refusal(&record, "CB", "2026-07-01T00:00:00Z").is_some());
        assert!(token_refusal(&record, "XX", "2026-02-01T00:00:00Z").is_some());
        let revoked = TokenRecord {
            revoked_at: Some("2026-01-02T00:00:00Z".parse().unwrap()),
            ..record
        };
        assert!(token_refusal(&revoked, "CB", "2026-02-01T00:00:00Z").is_some());
    }

    #[test]
    fn access_reasons() {
        assert_eq!(
            AccessReason::parse("Investigation").unwrap().code,
            ReasonCode::Investigation
        );
        let other = AccessReason::parse("other: court order 12").unwrap();
        assert_eq!(
            (other.code, other.text.as_deref()),
            (ReasonCode::Other, Some("court order 12"))
        );
        assert!(AccessReason::parse("other").is_err());
        assert!(AccessReason::parse("curiosity").is_err());
        assert!(AccessReason::parse("").is_err());
        assert!(AccessReason::parse(&format!("other: {}", "x".repeat(201))).is_err());
    }
}
