//! The app as the provider's client (the relying party): the force's configuration, the discovery
//! document and key set cached in the key-value store, the authorization-code flow with PKCE, and the
//! mapping of a verified token to the app's principal. Plain Rust over two ports — the key-value store
//! and outbound HTTP ([`Http`]) — and the time, so every rule is tested natively.
//!
//! Nothing of the provider's tokens is kept: the ID token is verified inside the callback and dropped;
//! the access token and refresh token the provider returns are never read.

use super::{Claims, Discovery, Expected, Jwks, VerifyError, verify};
use crate::access::auth::{self, Principal, Role};
use crate::access::authentication::{KeyValue, KeyValueError};
use crate::problem::Problem;
use crate::settings::SettingError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long the discovery document and the key set are used before they are fetched again.
pub const CACHE_SECONDS: i64 = 3600;
/// The key set is fetched again for an unknown `kid` at most this often.
pub const REFRESH_SECONDS: i64 = 60;
/// How long a sign-in may take at the provider: the `state` is forgotten after this.
pub const STATE_SECONDS: i64 = 600;
/// The prefix of the credential an OIDC session or partner token is logged with (`oidc:<sub>`,
/// `oidc-client:<client>`).
pub const SESSION_CREDENTIAL: &str = "oidc:";
pub const CLIENT_CREDENTIAL: &str = "oidc-client:";
/// The longest `sub` (or client id) accepted: it becomes part of the logged credential.
const MAX_SUBJECT: usize = 255;

/// The force's provider, from its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// Exactly the provider's `issuer`.
    pub issuer: String,
    pub client_id: String,
    /// Given only to the component that signs people in (`oidc`); the others verify partners' tokens
    /// and never need it.
    pub client_secret: Option<String>,
    /// The callback's full URL, as registered at the provider.
    pub redirect_url: String,
    /// The claim holding people's roles or groups (`roles`, `groups`).
    pub role_claim: String,
    /// Provider value → app role, in order of precedence (the first one a person holds is theirs).
    pub role_mapping: Vec<(String, Role)>,
    pub collar_number_claim: Option<String>,
    /// What a partner system's access token must name in `aud` (the client id unless set).
    pub api_audience: String,
    /// The claim naming the partner system's client (`azp` in Entra ID v2, `client_id` in RFC 9068).
    pub partner_claim: String,
    /// Partner client id → the recipient its referrals are addressed to (`risk_referral_recipients`).
    pub partners: Vec<(String, String)>,
}

impl OidcConfig {
    /// Reads the OIDC variables. Not configured (`oidc_issuer` empty) or misconfigured: an error naming
    /// the variable, which the OIDC routes answer with (fail closed); the rest of the app is unaffected.
    pub fn from_variables(
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<OidcConfig, SettingError> {
        let text = |name: &str| -> String {
            variable(name)
                .unwrap_or_else(|| {
                    crate::settings::VARIABLES
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, d)| d.to_string())
                        .unwrap_or_default()
                })
                .trim()
                .to_string()
        };
        let invalid = |name: &str, problem: &str| SettingError {
            variable: name.into(),
            problem: problem.into(),
        };
        let required = |name: &'static str| -> Result<String, SettingError> {
            let value = text(name);
            if value.is_empty() {
                Err(invalid(
                    name,
                    "it is not set, so sign-in with the force's identity provider is not configured",
                ))
            } else {
                Ok(value)
            }
        };
        let issuer = required("oidc_issuer")?;
        if !secure_url(&issuer) {
            return Err(invalid(
                "oidc_issuer",
                "give the provider's https URL (http only on loopback, for tests)",
            ));
        }
        let origin = text("oidc_issuer_origin");
        let origin = origin.trim_end_matches('/');
        if !(issuer == origin || issuer.starts_with(&format!("{origin}/"))) {
            return Err(invalid(
                "oidc_issuer_origin",
                "give the issuer's scheme, host and port (e.g. https://login.microsoftonline.com): spin.toml grants outbound HTTP to it alone",
            ));
        }
        let client_id = required("oidc_client_id")?;
        let client_secret = Some(text("oidc_client_secret")).filter(|s| !s.is_empty());
        let redirect_url = required("oidc_redirect_url")?;
        if !secure_url(&redirect_url) {
            return Err(invalid(
                "oidc_redirect_url",
                "give the app's https callback URL, ending /api/v1/session/oidc/callback",
            ));
        }
        let role_claim = required("oidc_role_claim")?;
        let role_mapping = pairs(&text("oidc_role_mapping"))
            .map_err(|p| invalid("oidc_role_mapping", &p))?
            .into_iter()
            .map(|(value, role)| match role.parse::<Role>() {
                Ok(Role::Admin | Role::Partner) => Err(invalid(
                    "oidc_role_mapping",
                    "admin and partner are not given at sign-in (admins use tokens a second admin approves; partners are systems)",
                )),
                Ok(role) => Ok((value, role)),
                Err(_) => Err(invalid(
                    "oidc_role_mapping",
                    "a role is officer, supervisor, superintendent, analyst or auditor",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if role_mapping.is_empty() {
            return Err(invalid(
                "oidc_role_mapping",
                "it is not set: give `<provider role>=<app role>, …`, or nobody could sign in",
            ));
        }
        let collar_number_claim = Some(text("oidc_collar_number_claim")).filter(|c| !c.is_empty());
        let api_audience = Some(text("oidc_api_audience"))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| client_id.clone());
        let partner_claim = required("oidc_partner_claim")?;
        let partners = pairs(&text("oidc_partners")).map_err(|p| invalid("oidc_partners", &p))?;
        Ok(OidcConfig {
            issuer,
            client_id,
            client_secret,
            redirect_url,
            role_claim,
            role_mapping,
            collar_number_claim,
            api_audience,
            partner_claim,
            partners,
        })
    }

    /// The client secret, which signing in needs.
    pub fn secret(&self) -> Result<&str, OidcError> {
        self.client_secret.as_deref().ok_or_else(|| {
            OidcError::NotConfigured(SettingError {
                variable: "oidc_client_secret".into(),
                problem: "it is not set (a secret variable), so the app cannot redeem a sign-in"
                    .into(),
            })
        })
    }

    /// Where the provider's discovery document is (OIDC Discovery 1.0 §4).
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        )
    }

    /// Where the browser goes back to after signing out at the provider: the app's own root.
    pub fn post_logout_url(&self) -> String {
        let after_scheme = self.redirect_url.find("://").map_or(0, |i| i + 3);
        let end = self.redirect_url[after_scheme..]
            .find('/')
            .map_or(self.redirect_url.len(), |i| after_scheme + i);
        format!("{}/", &self.redirect_url[..end])
    }

    /// The first app role, in the mapping's order, that the provider's values give; none: no access.
    pub fn role_for(&self, provider_roles: &[String]) -> Option<Role> {
        self.role_mapping
            .iter()
            .find(|(value, _)| provider_roles.iter().any(|r| r == value))
            .map(|(_, role)| *role)
    }

    /// What sessions started under this configuration are bound to: changing the issuer or the client
    /// (or the force) ends them.
    pub fn binding(&self, force: &str) -> String {
        auth::token_hash(&format!("{}\0{}\0{force}", self.issuer, self.client_id))
    }
}

/// `https://…`, or `http://` on a loopback address (tests against a provider on this machine).
fn secure_url(url: &str) -> bool {
    if url.starts_with("https://") && url.len() > "https://".len() {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `a=b, c=d` into pairs; empty gives none.
fn pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.rsplit_once('=') {
            Some((key, value)) if !key.trim().is_empty() && !value.trim().is_empty() => {
                Ok((key.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(format!(
                "`{pair}` is not `<value>=<name>` (pairs separated by commas)"
            )),
        })
        .collect()
}

/// A response to an outbound request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The outbound HTTP port: GET a document, POST a form. Errors are for logs only.
pub trait Http {
    fn get(&self, url: &str) -> Result<HttpReply, String>;
    fn post_form(&self, url: &str, form: &str) -> Result<HttpReply, String>;
}

/// No outbound HTTP (tools and tests that never use OIDC).
pub struct NoHttp;

impl Http for NoHttp {
    fn get(&self, _: &str) -> Result<HttpReply, String> {
        Err("no outbound HTTP here".into())
    }
    fn post_form(&self, _: &str, _: &str) -> Result<HttpReply, String> {
        Err("no outbound HTTP here".into())
    }
}

/// Why a sign-in or a partner's token failed. Each maps to one problem; the text is for the log and
/// holds no value from a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("OIDC is not configured: {0}")]
    NotConfigured(SettingError),
    /// The provider could not be reached, or answered with something unusable.
    #[error("identity provider: {0}")]
    Provider(String),
    /// The provider refused the code exchange (e.g. a code used twice).
    #[error("identity provider refused the code exchange ({0})")]
    ExchangeRefused(u16),
    #[error("token refused: {0}")]
    Token(VerifyError),
    /// The `state` is unknown, used already, or too old.
    #[error("the sign-in's state is unknown, used or expired")]
    UnknownState,
    /// The callback came without a code (the provider reported an error, or the user cancelled).
    #[error("the provider sent no code")]
    NoCode,
    #[error("key-value store: {0}")]
    Storage(KeyValueError),
}

impl From<KeyValueError> for OidcError {
    fn from(e: KeyValueError) -> OidcError {
        OidcError::Storage(e)
    }
}

impl OidcError {
    /// The problem the caller sees: never the provider's text or anything from a token.
    pub fn problem(&self) -> Problem {
        match self {
            OidcError::NotConfigured(e) => Problem::new(
                503,
                "oidc-not-configured",
                "Sign-in with the force's identity provider is not configured",
            )
            .with_detail(format!(
                "The deployment's variable `{}` is not valid: {}. Tell the system administrator; sign in with a token meanwhile.",
                e.variable, e.problem
            )),
            OidcError::Provider(_) => Problem::new(
                502,
                "identity-provider-unavailable",
                "The force's identity provider did not answer as expected",
            )
            .with_detail("Try again in a minute. If it persists, tell the service desk.")
            .with_header("retry-after", "60"),
            OidcError::ExchangeRefused(_) | OidcError::Token(_) => Problem::new(
                401,
                "sign-in-failed",
                "The sign-in could not be completed",
            )
            .with_detail("The identity provider's answer was not accepted. Start the sign-in again."),
            OidcError::UnknownState => Problem::new(
                400,
                "sign-in-expired",
                "This sign-in has expired or was already used",
            )
            .with_detail("Start the sign-in again from the app."),
            OidcError::NoCode => Problem::new(
                401,
                "sign-in-cancelled",
                "The identity provider did not sign you in",
            )
            .with_detail("Start the sign-in again from the app."),
            OidcError::Storage(e) => crate::problem::storage(e),
        }
    }
}

/// A cached document: for which issuer, when it was fetched, and its bytes.
#[derive(Serialize, Deserialize)]
struct Cached {
    issuer: String,
    fetched_at: i64,
    body: String,
}

/// What is kept under a `state` while the person signs in at the provider.
#[derive(Serialize, Deserialize)]
struct Pending {
    /// The state's hash: the slot it is kept in is shared (see [`STATE_SLOTS`]).
    state: String,
    nonce: String,
    verifier: String,
    expires_at: i64,
}

const DISCOVERY_KEY: &str = "oidc:discovery";
const JWKS_KEY: &str = "oidc:jwks";

/// How many sign-ins may be under way at once. Pending sign-ins are kept in this many slots, by the
/// state's hash, so that sign-ins started and never finished cannot fill the store (it cannot be listed
/// to purge them): a new one may take the slot of an unfinished one (1 in 65,536 for each under way),
/// which then fails as expired and is started again.
pub const STATE_SLOTS: usize = 1 << 16;

/// The state's hash, and the key of the slot it is kept in.
fn state_key(state: &str) -> (String, String) {
    let hash = auth::token_hash(state);
    let slot = format!("oidc:state:{}", &hash[..4]);
    (hash, slot)
}

/// The app's client of the provider, for one request.
pub struct Client<'a, K: KeyValue, H: Http + ?Sized> {
    pub config: &'a OidcConfig,
    pub kv: &'a K,
    pub http: &'a H,
    /// Now, seconds since the Unix epoch.
    pub now: i64,
}

impl<K: KeyValue, H: Http + ?Sized> Client<'_, K, H> {
    /// The cached document under `key` if it is for this issuer and younger than `max_age`.
    fn cached(&self, key: &str, max_age: i64) -> Result<Option<Cached>, OidcError> {
        let Some(bytes) = self.kv.get(key)? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice::<Cached>(&bytes).ok().filter(|c| {
            c.issuer == self.config.issuer && (0..max_age).contains(&(self.now - c.fetched_at))
        }))
    }

    fn fetch(&self, url: &str) -> Result<String, OidcError> {
        let reply = self.http.get(url).map_err(OidcError::Provider)?;
        if reply.status != 200 {
            return Err(OidcError::Provider(format!(
                "GET answered {}",
                reply.status
            )));
        }
        String::from_utf8(reply.body).map_err(|_| OidcError::Provider("not UTF-8".into()))
    }

    fn store(&self, key: &str, body: String) -> Result<(), OidcError> {
        let cached = Cached {
            issuer: self.config.issuer.clone(),
            fetched_at: self.now,
            body,
        };
        self.kv
            .set(key, &serde_json::to_vec(&cached).expect("serialises"))?;
        Ok(())
    }

    /// The provider's discovery document, from the cache while it is under an hour old.
    pub fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(cached) = self.cached(DISCOVERY_KEY, CACHE_SECONDS)?
            && let Ok(discovery) = Discovery::parse(cached.body.as_bytes(), &self.config.issuer)
        {
            return Ok(discovery);
        }
        let body = self.fetch(&self.config.discovery_url())?;
        let discovery = Discovery::parse(body.as_bytes(), &self.config.issuer)
            .map_err(|e| OidcError::Provider(format!("discovery document: {e}")))?;
        self.store(DISCOVERY_KEY, body)?;
        Ok(discovery)
    }

    /// The provider's keys: cached for an hour, or fetched now; with `refresh`, fetched again unless
    /// they were fetched within the last minute (then `None`: nothing newer to try).
    fn keys(&self, refresh: bool) -> Result<Option<Jwks>, OidcError> {
        if refresh {
            if self.cached(JWKS_KEY, REFRESH_SECONDS)?.is_some() {
                return Ok(None);
            }
        } else if let Some(cached) = self.cached(JWKS_KEY, CACHE_SECONDS)?
            && let Ok(keys) = Jwks::parse(cached.body.as_bytes())
        {
            return Ok(Some(keys));
        }
        let discovery = self.discovery()?;
        let body = self.fetch(&discovery.jwks_uri)?;
        let keys = Jwks::parse(body.as_bytes())
            .map_err(|e| OidcError::Provider(format!("key set: {e}")))?;
        self.store(JWKS_KEY, body)?;
        Ok(Some(keys))
    }

    /// Verifies a token the provider signed; on an unknown `kid`, fetches the keys once more (at most
    /// once a minute) and tries again: the provider may have rotated its keys.
    pub fn verify(
        &self,
        token: &str,
        audience: &str,
        nonce: Option<&str>,
        role_claim: &str,
    ) -> Result<Claims, OidcError> {
        let expected = Expected {
            issuer: &self.config.issuer,
            audience,
            nonce,
            now: self.now,
            role_claim,
            collar_number_claim: self.config.collar_number_claim.as_deref(),
        };
        let keys = self
            .keys(false)?
            .ok_or_else(|| OidcError::Provider("no keys".into()))?;
        let claims = match verify(token, &keys, &expected) {
            Err(VerifyError::UnknownKid) => match self.keys(true)? {
                Some(keys) => verify(token, &keys, &expected),
                None => Err(VerifyError::UnknownKid),
            },
            other => other,
        }
        .map_err(OidcError::Token)?;
        if claims.subject.len() > MAX_SUBJECT {
            return Err(OidcError::Token(VerifyError::MissingClaim("sub")));
        }
        Ok(claims)
    }

    /// Starts a sign-in: a `state`, a `nonce` and a PKCE verifier (256 random bits each), kept under
    /// the `state` for [`STATE_SECONDS`]; the provider's authorization URL to send the browser to.
    pub fn begin(&self, mut random: impl FnMut() -> [u8; 32]) -> Result<String, OidcError> {
        self.config.secret()?;
        let discovery = self.discovery()?;
        let state = URL_SAFE_NO_PAD.encode(random());
        let (state_hash, slot) = state_key(&state);
        let pending = Pending {
            state: state_hash,
            nonce: URL_SAFE_NO_PAD.encode(random()),
            verifier: URL_SAFE_NO_PAD.encode(random()),
            expires_at: self.now + STATE_SECONDS,
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", "openid profile")
            .append_pair("state", &state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        self.kv
            .set(&slot, &serde_json::to_vec(&pending).expect("serialises"))?;
        let separator = if discovery.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!(
            "{}{separator}{query}",
            discovery.authorization_endpoint
        ))
    }

    /// Completes a sign-in: takes the `state` (once: it is deleted as it is read), exchanges the code
    /// and the verifier at the token endpoint with the client secret, and verifies the ID token with
    /// the stored `nonce`. Its claims, with the person's provider roles.
    pub fn complete(&self, state: &str, code: Option<&str>) -> Result<Claims, OidcError> {
        let (state_hash, slot) = state_key(state);
        // Another sign-in's state in the same slot is left alone.
        let pending = self
            .kv
            .get(&slot)?
            .and_then(|bytes| serde_json::from_slice::<Pending>(&bytes).ok())
            .filter(|p| auth::secrets_equal(&p.state, &state_hash))
            .ok_or(OidcError::UnknownState)?;
        self.kv.delete(&slot)?;
        if pending.expires_at <= self.now {
            return Err(OidcError::UnknownState);
        }
        let code = code.filter(|c| !c.is_empty()).ok_or(OidcError::NoCode)?;
        let secret = self.config.secret()?;
        let discovery = self.discovery()?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("code_verifier", &pending.verifier)
            .append_pair("client_id", &self.config.client_id)
            .append_pair("client_secret", secret)
            .finish();
        let reply = self
            .http
            .post_form(&discovery.token_endpoint, &form)
            .map_err(OidcError::Provider)?;
        match reply.status {
            200 => {}
            400 | 401 => return Err(OidcError::ExchangeRefused(reply.status)),
            other => {
                return Err(OidcError::Provider(format!(
                    "token endpoint answered {other}"
                )));
            }
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: String,
        }
        let tokens: TokenResponse = serde_json::from_slice(&reply.body)
            .map_err(|_| OidcError::Provider("token response without an id_token".into()))?;
        self.verify(
            &tokens.id_token,
            &self.config.client_id,
            Some(&pending.nonce),
            &self.config.role_claim,
        )
    }

    /// The provider's end-session URL for this app (RP-initiated logout), where it offers one.
    pub fn end_session_url(&self) -> Result<Option<String>, OidcError> {
        let discovery = self.discovery()?;
        Ok(discovery.end_session_endpoint.map(|endpoint| {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &self.config.client_id)
                .append_pair("post_logout_redirect_uri", &self.config.post_logout_url())
                .finish();
            let separator = if endpoint.contains('?') { '&' } else { '?' };
            format!("{endpoint}{separator}{query}")
        }))
    }

    /// A partner system's bearer token (client credentials): verified as any token of the provider,
    /// without a nonce, for the API's audience; its client (the partner claim) must be one of
    /// `oidc_partners`, whose recipient it becomes.
    pub fn partner(&self, token: &str, force: &str) -> Result<Principal, OidcError> {
        let claims = self.verify(
            token,
            &self.config.api_audience,
            None,
            &self.config.partner_claim,
        )?;
        // A person's ID token has the same issuer and, by default, the same audience: it is refused by its
        // `nonce`, which access tokens never carry (the signature is verified, so the payload is sound).
        let carries_nonce = token
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|claims| claims.get("nonce").is_some());
        if carries_nonce {
            return Err(OidcError::Token(VerifyError::NotAnAccessToken));
        }
        // `roles` holds the partner claim's values here (see `verify`'s `role_claim`).
        let client = claims
            .roles
            .first()
            .filter(|c| c.len() <= MAX_SUBJECT)
            .ok_or(OidcError::Token(VerifyError::MissingClaim("partner")))?;
        let (_, recipient) = self
            .config
            .partners
            .iter()
            .find(|(id, _)| id == client)
            .ok_or(OidcError::Token(VerifyError::MissingClaim("partner")))?;
        Ok(Principal {
            subject: recipient.clone(),
            role: Role::Partner,
            force: force.into(),
            token_id: format!("{CLIENT_CREDENTIAL}{client}"),
        })
    }
}

/// A person signed in through the provider, as the app knows them: the subject in the access log is
/// the collar number where the claim is configured and present, else the provider's `sub`; the
/// credential is always `oidc:<sub>`, the provider's stable subject.
pub fn person(config: &OidcConfig, claims: &Claims, force: &str) -> Result<Principal, Refusal> {
    let subject = claims
        .collar_number
        .clone()
        .unwrap_or_else(|| claims.subject.clone());
    let token_id = format!("{SESSION_CREDENTIAL}{}", claims.subject);
    match config.role_for(&claims.roles) {
        Some(role) => Ok(Principal {
            subject,
            role,
            force: force.into(),
            token_id,
        }),
        None => Err(Refusal {
            subject,
            credential: token_id,
        }),
    }
}

/// A person the provider signed in whose roles map to none of the app's: who, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub subject: String,
    pub credential: String,
}

/// Whether a bearer token is a JWT (three base64url parts) rather than one of the app's own tokens.
pub fn looks_like_jwt(token: &str) -> bool {
    !token.starts_with(auth::TOKEN_PREFIX)
        && token.starts_with("eyJ")
        && token.matches('.').count() == 2
}

#[cfg(test)]
mod tests;
