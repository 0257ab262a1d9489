//! The force's settings: read once per request from its variables (Spin variables in the app), every
//! one parsed. (A component sees only the variables `spin.toml` grants it; the rest take their
//! defaults here, and that component does not use them.) An invalid value is refused with the variable's name — the app then answers 503 and
//! records nothing — and never replaced by a default: a misconfigured force must not run on guesses.

use crate::access::audit::Checkpoints;
use crate::access::oidc::client::OidcConfig;
use crate::risk::scoring::{POLICY_VARIABLES, Policy};

/// Every variable the app reads, with the default it has when the deployment does not set it (the same
/// defaults as `spin.toml`'s `[variables]`, which a test keeps in step).
pub const VARIABLES: &[(&str, &str)] = &[
    ("environment", "production"),
    ("force_code", "DEV"),
    ("bootstrap_admin_token", ""),
    ("audit_checkpoint_key", ""),
    ("audit_checkpoint_every", "100"),
    ("audit_high_water_seconds", "1"),
    ("auth_max_failures", "10"),
    ("auth_failure_window_seconds", "300"),
    ("session_hours", "8"),
    ("session_idle_minutes", "30"),
    ("trusted_proxy_header", ""),
    ("idempotency_retention_hours", "24"),
    ("crime_reference_format", "{force}/{year}/{seq:6}"),
    ("incident_reference_format", "{force}/INC/{year}/{seq:6}"),
    ("search_return_days", "7"),
    ("force_population", ""),
    ("victim_update_days_enhanced", "1"),
    ("victim_update_days_standard", "5"),
    ("retention_review_years", crate::retention::DEFAULT_POLICY),
    // Sign-in with the force's OpenID Connect provider (`access::oidc::client`). `oidc_issuer_origin`'s
    // default names no real host: `allowed_outbound_hosts` takes it through a template, and an entry
    // must parse.
    ("oidc_issuer", ""),
    ("oidc_issuer_origin", "https://oidc-not-configured.invalid"),
    ("oidc_client_id", ""),
    ("oidc_client_secret", ""),
    ("oidc_redirect_url", ""),
    ("oidc_role_claim", "roles"),
    ("oidc_role_mapping", ""),
    ("oidc_collar_number_claim", ""),
    ("oidc_api_audience", ""),
    ("oidc_partner_claim", "azp"),
    ("oidc_partners", ""),
];

/// A bootstrap admin token shorter than a generated token's 256 bits (43 characters) is weak.
const MIN_BOOTSTRAP_TOKEN: usize = 32;

/// Where the app runs. Production (the default) insists on what a police system must have: a key for
/// the access log, `Secure` `__Host-` cookies. Development relaxes both, for `scripts/serve` on
/// plain-http loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Production,
    Development,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    /// The force this deployment serves; tokens for another force are refused.
    pub force: String,
    pub bootstrap_admin_token: Option<String>,
    pub checkpoints: Checkpoints,
    pub throttle: Throttle,
    /// A web-form session ends this long after sign-in, however active (at most 12 hours)…
    pub session_hours: i64,
    /// …or after this long without a request.
    pub session_idle_minutes: i64,
    /// The header a trusted reverse proxy puts the client's address in (its last value is the one the
    /// proxy added); `None`: Spin's own `spin-client-addr`. Never a header the client controls alone.
    pub trusted_proxy_header: Option<String>,
    /// How long a stored idempotent response (it holds the record it created) is kept for retries.
    pub idempotency_retention_hours: i64,
    pub crime_reference_format: String,
    pub incident_reference_format: String,
    /// Days after a warrant's execution (or expiry) by which it must be endorsed and returned.
    pub search_return_days: i64,
    /// The population the force serves, for the problem profile's rate per 1,000 (`None`: unknown,
    /// and the rate is not given).
    pub force_population: Option<u64>,
    /// Working days to tell the victim of a key decision (the Victims' Code).
    pub victim_updates: crate::care::UpdatePolicy,
    /// The MoPI review periods per group (`retention_review_years`).
    pub retention: crate::retention::Policy,
    /// The risk policy; `None` where it is not read (`from_variables_without_risk_policy`).
    pub risk: Option<Policy>,
    /// The force's OpenID Connect provider; an error naming the variable when it is not configured or
    /// not valid, which only the OIDC sign-in (and partners' JWTs) answer with: the rest of the app runs.
    pub oidc: Result<OidcConfig, SettingError>,
}

/// Failed sign-ins allowed in a window before further attempts are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub max_failures: i64,
    pub window_seconds: i64,
}

/// A variable whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the variable {variable} is not valid: {problem}")]
pub struct SettingError {
    pub variable: String,
    pub problem: String,
}

/// Reads the risk policy's variables into it.
type PolicyReader = fn(&dyn Fn(&str) -> Option<String>) -> Result<Policy, SettingError>;

impl Settings {
    /// Reads and parses every variable; `variable` gives a deployment's value, `None` when unset.
    pub fn from_variables(
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingError> {
        Settings::read(&variable, Some(risk_policy))
    }

    /// Every variable but the risk policy's, for a component that does not score risk: the policy's
    /// parser (about 50 kB of code) is then not in that component, and it is not given those variables.
    pub fn from_variables_without_risk_policy(
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingError> {
        Settings::read(&variable, None)
    }

    fn read(
        variable: &dyn Fn(&str) -> Option<String>,
        risk: Option<PolicyReader>,
    ) -> Result<Settings, SettingError> {
        let text = |name: &'static str| -> String {
            variable(name).unwrap_or_else(|| {
                VARIABLES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, default)| default.to_string())
                    .unwrap_or_default()
            })
        };
        let invalid = |variable: &str, problem: &str| SettingError {
            variable: variable.into(),
            problem: problem.into(),
        };
        let number = |name: &'static str, range: std::ops::RangeInclusive<i64>| {
            text(name)
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    invalid(
                        name,
                        &format!(
                            "give a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                })
        };
        let secret = |name: &'static str| Some(text(name)).filter(|v| !v.trim().is_empty());
        let reference_format = |name: &'static str| {
            let format = text(name);
            if format.contains("{seq") {
                Ok(format)
            } else {
                Err(invalid(
                    name,
                    "the format needs a {seq} or {seq:N} placeholder",
                ))
            }
        };

        let environment = match text("environment").trim() {
            "production" => Environment::Production,
            "development" => Environment::Development,
            _ => return Err(invalid("environment", "give `production` or `development`")),
        };
        let trusted_proxy_header = match text("trusted_proxy_header").trim().to_ascii_lowercase() {
            header if header.is_empty() => None,
            header
                if header
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !header.starts_with("spin-") =>
            {
                Some(header)
            }
            _ => {
                return Err(invalid(
                    "trusted_proxy_header",
                    "give a header name such as `x-forwarded-for`, or nothing",
                ));
            }
        };
        let force = text("force_code").trim().to_string();
        if force.is_empty() || force.len() > 16 || !force.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(invalid("force_code", "give 1 to 16 letters or digits"));
        }
        let bootstrap_admin_token = secret("bootstrap_admin_token");
        if bootstrap_admin_token
            .as_ref()
            .is_some_and(|t| t.len() < MIN_BOOTSTRAP_TOKEN)
        {
            return Err(invalid(
                "bootstrap_admin_token",
                "a bootstrap token must be at least 32 characters (or empty for none)",
            ));
        }
        let force_population = match text("force_population").trim() {
            "" => None,
            digits => match digits.replace(',', "").parse::<u64>() {
                Ok(n) if (1..=100_000_000).contains(&n) => Some(n),
                _ => {
                    return Err(invalid(
                        "force_population",
                        "give the number of people the force serves (1 to 100,000,000), or nothing when unknown",
                    ));
                }
            },
        };
        let retention = crate::retention::Policy::parse(&text("retention_review_years"))
            .map_err(|problem| invalid("retention_review_years", &problem))?;
        let risk = risk.map(|read| read(variable)).transpose()?;
        Ok(Settings {
            environment,
            force,
            bootstrap_admin_token,
            checkpoints: Checkpoints {
                key: secret("audit_checkpoint_key").map(String::into_bytes),
                every: number("audit_checkpoint_every", 1..=1_000_000)?,
                high_water_seconds: number("audit_high_water_seconds", 0..=60)?,
            },
            throttle: Throttle {
                max_failures: number("auth_max_failures", 1..=1_000_000)?,
                window_seconds: number("auth_failure_window_seconds", 1..=86_400)?,
            },
            session_hours: number("session_hours", 1..=12)?,
            session_idle_minutes: number("session_idle_minutes", 1..=720)?,
            trusted_proxy_header,
            idempotency_retention_hours: number("idempotency_retention_hours", 1..=8_760)?,
            crime_reference_format: reference_format("crime_reference_format")?,
            incident_reference_format: reference_format("incident_reference_format")?,
            search_return_days: number("search_return_days", 1..=365)?,
            force_population,
            victim_updates: crate::care::UpdatePolicy {
                enhanced_days: number("victim_update_days_enhanced", 1..=20)?,
                standard_days: number("victim_update_days_standard", 1..=20)?,
            },
            retention,
            risk,
            oidc: OidcConfig::from_variables(variable),
        })
    }
}

/// The risk policy from its variables; an error names the variable.
fn risk_policy(variable: &dyn Fn(&str) -> Option<String>) -> Result<Policy, SettingError> {
    Policy::from_settings(variable).map_err(|message| {
        // The policy's messages start with the variable they are about.
        let name = POLICY_VARIABLES
            .iter()
            .map(|(n, _)| *n)
            .find(|n| message.starts_with(n))
            .unwrap_or("risk policy");
        let problem = message
            .strip_prefix(name)
            .map(|m| m.trim_start_matches(':').trim())
            .unwrap_or(&message);
        SettingError {
            variable: name.into(),
            problem: problem.into(),
        }
    })
}

impl Settings {
    /// Whether personal data may be served: in production only with a key for the access log, since
    /// without one the log could be forged and truncated unnoticed.
    pub fn check_personal_data_allowed(&self) -> Result<(), SettingError> {
        if self.environment == Environment::Production && self.checkpoints.key.is_none() {
            return Err(SettingError {
                variable: "audit_checkpoint_key".into(),
                problem: "it must be set in production: without it the access log cannot be protected, so no personal data is served".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        Settings::from_variables(|name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn unset_variables_take_their_defaults() {
        let settings = with(&[]).unwrap();
        assert_eq!(settings.force, "DEV");
        assert_eq!(settings.session_hours, 8);
        assert_eq!(settings.session_idle_minutes, 30);
        assert_eq!(settings.environment, Environment::Production);
        assert_eq!(settings.trusted_proxy_header, None);
        assert_eq!(settings.idempotency_retention_hours, 24);
        assert_eq!(settings.checkpoints.every, 100);
        assert!(settings.checkpoints.key.is_none() && settings.bootstrap_admin_token.is_none());
        assert_eq!(settings.search_return_days, 7);
        assert_eq!(settings.force_population, None);
    }

    #[test]
    fn the_retention_policy_is_read_and_a_mistake_named() {
        let policy = with(&[(
            "retention_review_years",
            "group1=12, group2=10, group3=7, group4=5",
        )])
        .unwrap()
        .retention;
        assert_eq!(policy.years(crate::retention::ReviewGroup::Group3), 7);
        assert_eq!(
            with(&[]).unwrap().retention,
            crate::retention::Policy::default()
        );
        let error = with(&[("retention_review_years", "group1=10")]).unwrap_err();
        assert_eq!(error.variable, "retention_review_years");
        assert!(error.problem.contains("group2"), "{}", error.problem);
    }

    #[test]
    fn the_force_population_is_a_count_or_unknown() {
        let population = |v: &str| with(&[("force_population", v)]).map(|s| s.force_population);
        assert_eq!(population("").unwrap(), None);
        assert_eq!(population("859,800").unwrap(), Some(859_800));
        assert_eq!(population(" 214688 ").unwrap(), Some(214_688));
    }

    #[test]
    fn an_invalid_value_is_named_never_replaced_by_a_default() {
        for (name, value) in [
            ("session_hours", "48"),
            ("session_hours", "13"),
            ("session_idle_minutes", "0"),
            ("environment", "staging"),
            ("trusted_proxy_header", "x forwarded"),
            ("trusted_proxy_header", "spin-client-addr"),
            ("idempotency_retention_hours", "0"),
            ("session_hours", "eight"),
            ("auth_max_failures", "0"),
            ("audit_checkpoint_every", "-1"),
            ("force_code", "C B"),
            ("crime_reference_format", "{force}/{year}"),
            ("search_return_days", ""),
            ("force_population", "0"),
            ("force_population", "lots"),
            ("force_population", "-5"),
            ("bootstrap_admin_token", "short"),
            ("risk_bands", "dash: medium=14, high=10"),
            ("risk_referral_due_hours", "mash=soon"),
            (
                "risk_referral_due_hours",
                "mash.urgent=4, mash=24, marac=48",
            ),
            ("risk_referrals", "MASH=high"),
            (
                "risk_referral_recipients",
                "mash=mash, marac=marac, Idva=idva",
            ),
        ] {
            let error = with(&[(name, value)]).unwrap_err();
            assert_eq!(error.variable, name, "{value}: {error}");
        }
    }
}
