//! OpenID Connect, the verification core: the provider's discovery document, its signing keys (JWKS), and
//! the check of a token it signed (an ID token at sign-in, or a partner system's client-credentials
//! access token). Plain Rust over bytes and the time: fetching and caching the documents is the caller's.
//!
//! A token is accepted only when every check passes, in this order: its form (a compact JWS, at most
//! [`MAX_TOKEN_BYTES`]); its algorithm, RS256 or ES256 only (`none`, HS*, everything else refused); its
//! key, by `kid` ([`VerifyError::UnknownKid`] on its own, so the caller can refresh the JWKS once); the
//! key's type and declared algorithm matching the token's; the signature; `iss` exactly the issuer;
//! `aud` naming the client (a string or an array); `exp`, `nbf` and `iat` within [`CLOCK_SKEW_SECONDS`];
//! the `nonce` when one is expected; then the claims the app uses: `sub`, the configured role claim and,
//! where configured, the collar-number claim. Each failure names the check, never a claim's value, so it
//! can be logged without personal data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use serde_json::{Map, Value};
use sha2::Sha256;

/// Tolerated difference between the provider's clock and ours.
pub const CLOCK_SKEW_SECONDS: i64 = 60;
/// The longest token read; anything longer is refused before any work is done on it.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The smallest RSA key accepted.
pub const MIN_RSA_BITS: usize = 2048;

/// What the app needs from the provider's `/.well-known/openid-configuration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RP-initiated logout, where the provider offers it.
    pub end_session_endpoint: Option<String>,
}

/// Why a discovery document or a JWKS cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is not a JSON object")]
    NotJson,
    #[error("the document has no usable `{0}`")]
    Missing(&'static str),
    #[error("`{0}` is not an http(s) URL")]
    NotAnUrl(&'static str),
    /// OIDC Discovery 1.0 §4.3: the document's `issuer` must be exactly the issuer it was fetched for.
    #[error("the document's issuer is not the configured issuer")]
    IssuerMismatch,
    #[error("the key set has no RS256 or ES256 signing key")]
    NoUsableKeys,
}

impl Discovery {
    /// Reads a discovery document fetched for `expected_issuer`.
    pub fn parse(document: &[u8], expected_issuer: &str) -> Result<Discovery, DocumentError> {
        let value: Value = serde_json::from_slice(document).map_err(|_| DocumentError::NotJson)?;
        let object = value.as_object().ok_or(DocumentError::NotJson)?;
        let url = |name: &'static str| -> Result<String, DocumentError> {
            let text = object
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or(DocumentError::Missing(name))?;
            if !(text.starts_with("https://") || text.starts_with("http://")) {
                return Err(DocumentError::NotAnUrl(name));
            }
            Ok(text.to_string())
        };
        let issuer = url("issuer")?;
        if issuer != expected_issuer {
            return Err(DocumentError::IssuerMismatch);
        }
        let end_session_endpoint = match object.get("end_session_endpoint") {
            None | Some(Value::Null) => None,
            Some(_) => Some(url("end_session_endpoint")?),
        };
        Ok(Discovery {
            issuer,
            authorization_endpoint: url("authorization_endpoint")?,
            token_endpoint: url("token_endpoint")?,
            jwks_uri: url("jwks_uri")?,
            end_session_endpoint,
        })
    }
}

/// The provider's signing keys: those this app can use (RSA of at least [`MIN_RSA_BITS`] bits, EC P-256),
/// by `kid`. Keys of other types, curves or uses are left out, not refused: a provider may publish them.
#[derive(Debug, Clone)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Clone)]
struct Jwk {
    kid: Option<String>,
    /// The algorithm the key declares (`alg`), if any: a token must then use that one.
    alg: Option<Algorithm>,
    key: PublicKey,
}

#[derive(Debug, Clone)]
enum PublicKey {
    Rsa(Box<rsa::pkcs1v15::VerifyingKey<Sha256>>),
    P256(p256::ecdsa::VerifyingKey),
}

/// The signature algorithms accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es256,
}

impl Algorithm {
    fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "RS256" => Some(Algorithm::Rs256),
            "ES256" => Some(Algorithm::Es256),
            _ => None,
        }
    }
}

impl Jwks {
    /// Reads a JWKS (`{"keys": [...]}`). Fails only when it is not one, or holds no key this app can use.
    pub fn parse(document: &[u8]) -> Result<Jwks, DocumentError> {
        let value: Value = serde_json::from_slice(document).map_err(|_| DocumentError::NotJson)?;
        let keys = value
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(DocumentError::Missing("keys"))?;
        let keys: Vec<Jwk> = keys
            .iter()
            .filter_map(Value::as_object)
            .filter_map(Jwk::parse)
            .collect();
        if keys.is_empty() {
            return Err(DocumentError::NoUsableKeys);
        }
        Ok(Jwks { keys })
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key a token names; without a `kid`, the set's only key.
    fn find(&self, kid: Option<&str>) -> Option<&Jwk> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
    }
}

impl Jwk {
    fn parse(key: &Map<String, Value>) -> Option<Jwk> {
        let text = |name: &str| key.get(name).and_then(Value::as_str);
        let bytes = |name: &str| text(name).and_then(|t| URL_SAFE_NO_PAD.decode(t).ok());
        if text("use").is_some_and(|u| u != "sig") {
            return None;
        }
        let alg = match text("alg") {
            None => None,
            Some(name) => Some(Algorithm::from_name(name)?),
        };
        let public = match text("kty")? {
            "RSA" => {
                let n = rsa::BigUint::from_bytes_be(&bytes("n")?);
                let e = rsa::BigUint::from_bytes_be(&bytes("e")?);
                let public = rsa::RsaPublicKey::new(n, e).ok()?;
                if rsa::traits::PublicKeyParts::n(&public).bits() < MIN_RSA_BITS {
                    return None;
                }
                PublicKey::Rsa(Box::new(rsa::pkcs1v15::VerifyingKey::new(public)))
            }
            "EC" if text("crv")? == "P-256" => {
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let point = p256::EncodedPoint::from_affine_coordinates(
                    x.as_slice().into(),
                    y.as_slice().into(),
                    false,
                );
                PublicKey::P256(p256::ecdsa::VerifyingKey::from_encoded_point(&point).ok()?)
            }
            _ => return None,
        };
        Some(Jwk {
            kid: text("kid").map(str::to_string),
            alg,
            key: public,
        })
    }
}

/// What a token must show to be accepted.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// Exactly the discovery document's `issuer`.
    pub issuer: &'a str,
    /// The app's client id, which `aud` must contain.
    pub audience: &'a str,
    /// The `nonce` sent with the authorization request (ID tokens); `None` for access tokens.
    pub nonce: Option<&'a str>,
    /// Now, in seconds since the Unix epoch.
    pub now: i64,
    /// The claim holding the caller's roles or groups (e.g. `roles`, `groups`): a string or an array.
    pub role_claim: &'a str,
    /// The claim holding the officer's collar number, where the force has one.
    pub collar_number_claim: Option<&'a str>,
}

/// The claims of an accepted token, as the app uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The provider's stable subject.
    pub subject: String,
    /// The role claim's values, as the provider gave them (to be mapped to the app's roles); empty when
    /// the claim is absent.
    pub roles: Vec<String>,
    pub collar_number: Option<String>,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Which check refused a token. The text names the check only, never a value from the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a well-formed compact JWS")]
    Malformed,
    #[error("the token's algorithm is not RS256 or ES256")]
    UnsupportedAlgorithm,
    #[error("the token's header has a critical extension this app does not understand")]
    UnsupportedCritical,
    /// The key set has no key with the token's `kid`: the provider may have rotated its keys, so the
    /// caller may refresh the JWKS once and try again.
    #[error("no key in the provider's key set has the token's kid")]
    UnknownKid,
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token's payload is not a JSON object")]
    MalformedPayload,
    #[error("the token's issuer is not the configured issuer")]
    WrongIssuer,
    #[error("the token's audience does not include this app's client id")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf or iat in the future)")]
    NotYetValid,
    #[error("the token has no nonce, and one was expected")]
    MissingNonce,
    #[error("the token's nonce is not the one sent")]
    WrongNonce,
    #[error("the token has no valid `{0}` claim")]
    MissingClaim(&'static str),
    /// A partner sent a person's ID token (it carries a `nonce`) where an access token belongs.
    #[error("the token is an ID token (it has a nonce), not an access token")]
    NotAnAccessToken,
    /// The configured role or collar-number claim is there but neither a string nor an array of strings.
    #[error("the token's {0} claim is not a string or an array of strings")]
    InvalidClaim(&'static str),
}

/// Verifies a compact JWS against the provider's keys and what is expected of it.
pub fn verify(token: &str, keys: &Jwks, expected: &Expected) -> Result<Claims, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| VerifyError::Malformed)
    };
    let header: Value =
        serde_json::from_slice(&decode(header_b64)?).map_err(|_| VerifyError::Malformed)?;
    let header = header.as_object().ok_or(VerifyError::Malformed)?;
    let algorithm = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Algorithm::from_name)
        .ok_or(VerifyError::UnsupportedAlgorithm)?;
    if header.contains_key("crit") {
        return Err(VerifyError::UnsupportedCritical);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.as_str()),
        Some(_) => return Err(VerifyError::Malformed),
    };
    let key = keys.find(kid).ok_or(VerifyError::UnknownKid)?;
    if key.alg.is_some_and(|alg| alg != algorithm) {
        return Err(VerifyError::AlgorithmMismatch);
    }
    let signature = decode(signature_b64)?;
    let signing_input = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
    let verified = match (&key.key, algorithm) {
        (PublicKey::Rsa(key), Algorithm::Rs256) => {
            rsa::pkcs1v15::Signature::try_from(signature.as_slice())
                .is_ok_and(|signature| key.verify(signing_input, &signature).is_ok())
        }
        (PublicKey::P256(key), Algorithm::Es256) => {
            // JWS (RFC 7518 §3.4): R and S, 32 bytes each, not DER.
            signature.len() == 64
                && p256::ecdsa::Signature::from_slice(&signature)
                    .is_ok_and(|signature| key.verify(signing_input, &signature).is_ok())
        }
        _ => return Err(VerifyError::AlgorithmMismatch),
    };
    if !verified {
        return Err(VerifyError::BadSignature);
    }

    let payload: Value =
        serde_json::from_slice(&decode(payload_b64)?).map_err(|_| VerifyError::MalformedPayload)?;
    let claims = payload.as_object().ok_or(VerifyError::MalformedPayload)?;
    check_claims(claims, expected)
}

fn check_claims(claims: &Map<String, Value>, expected: &Expected) -> Result<Claims, VerifyError> {
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(VerifyError::WrongIssuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected.audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(VerifyError::WrongAudience);
    }
    let now = expected.now;
    let expires_at = numeric_date(claims, "exp")?.ok_or(VerifyError::MissingClaim("exp"))?;
    if now >= expires_at.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(VerifyError::Expired);
    }
    let issued_at = numeric_date(claims, "iat")?.ok_or(VerifyError::MissingClaim("iat"))?;
    let not_before = numeric_date(claims, "nbf")?;
    let earliest = not_before.map_or(issued_at, |nbf| nbf.max(issued_at));
    if earliest > now.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(VerifyError::NotYetValid);
    }
    if let Some(nonce) = expected.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            None => return Err(VerifyError::MissingNonce),
            Some(sent) if !constant_time_eq(sent.as_bytes(), nonce.as_bytes()) => {
                return Err(VerifyError::WrongNonce);
            }
            Some(_) => {}
        }
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::MissingClaim("sub"))?
        .to_string();
    let roles = match claims.get(expected.role_claim) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(role)) => vec![role.clone()],
        Some(Value::Array(roles)) => roles
            .iter()
            .map(|r| r.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or(VerifyError::InvalidClaim("role"))?,
        Some(_) => return Err(VerifyError::InvalidClaim("role")),
    };
    let collar_number = match expected.collar_number_claim.map(|name| claims.get(name)) {
        None | Some(None) | Some(Some(Value::Null)) => None,
        Some(Some(Value::String(number))) if !number.is_empty() => Some(number.clone()),
        Some(Some(Value::Number(number))) => Some(number.to_string()),
        Some(Some(_)) => return Err(VerifyError::InvalidClaim("collar number")),
    };
    Ok(Claims {
        subject,
        roles,
        collar_number,
        expires_at,
    })
}

/// A NumericDate claim (seconds, possibly with a fraction, which is dropped).
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(seconds), _) => Ok(Some(seconds)),
            (None, Some(seconds)) if seconds.is_finite() && seconds.abs() < 1e15 => {
                Ok(Some(seconds.floor() as i64))
            }
            _ => Err(VerifyError::MissingClaim(name)),
        },
        Some(_) => Err(VerifyError::MissingClaim(name)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub mod client;

#[cfg(test)]
mod tests;
