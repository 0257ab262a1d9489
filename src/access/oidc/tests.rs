//! Keys made here, tokens signed here, and each check refusing what it must.

use super::*;
use p256::ecdsa::signature::Signer;
use rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use serde_json::json;
use std::sync::OnceLock;

pub(super) const ISSUER: &str = "https://idp.example.test/tenant";
pub(super) const CLIENT: &str = "stalking-response";
pub(super) const NOW: i64 = 1_800_000_000;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One RSA key for the whole run (2048-bit key generation takes a moment).
pub(super) fn rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap())
}

pub(super) fn ec_key() -> &'static p256::ecdsa::SigningKey {
    static KEY: OnceLock<p256::ecdsa::SigningKey> = OnceLock::new();
    KEY.get_or_init(|| p256::ecdsa::SigningKey::random(&mut OsRng))
}

pub(super) fn rsa_jwk(kid: &str, key: &rsa::RsaPrivateKey) -> Value {
    json!({
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
        "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be()),
    })
}

pub(super) fn ec_jwk(kid: &str, key: &p256::ecdsa::SigningKey) -> Value {
    let point = key.verifying_key().to_encoded_point(false);
    json!({
        "kty": "EC", "kid": kid, "crv": "P-256",
        "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()),
    })
}

/// The provider's key set: the RSA key as `rsa-1`, the EC key as `ec-1`, and keys to be left out.
fn jwks() -> Jwks {
    let document = json!({ "keys": [
        rsa_jwk("rsa-1", rsa_key()),
        ec_jwk("ec-1", ec_key()),
        { "kty": "oct", "kid": "hmac", "k": b64(b"a shared secret") },
        { "kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA" },
        { "kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB" },
    ]});
    let keys = Jwks::parse(document.to_string().as_bytes()).unwrap();
    assert_eq!(keys.len(), 2, "only the two signing keys are usable");
    keys
}

pub(super) fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT, "sub": "0a1b2c3d-stable-subject",
        "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 3600,
        "nonce": "n-0S6_WzA2Mj", "roles": ["StalkingResponse.Officer"], "collar": "PC 1234",
    })
}

fn segment(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

/// A token signed as its header says: RS256 with the RSA key, ES256 with the EC key.
pub(super) fn sign(header: &Value, payload: &Value) -> String {
    let input = format!("{}.{}", segment(header), segment(payload));
    let signature = match header["alg"].as_str().unwrap() {
        "RS256" => {
            let key = rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa_key().clone());
            let signature: rsa::pkcs1v15::Signature = key.sign(input.as_bytes());
            rsa::signature::SignatureEncoding::to_vec(&signature)
        }
        "ES256" => {
            let signature: p256::ecdsa::Signature = ec_key().sign(input.as_bytes());
            signature.to_bytes().to_vec()
        }
        other => panic!("the tests sign RS256 and ES256, not {other}"),
    };
    format!("{input}.{}", b64(&signature))
}

pub(super) fn rs256(payload: &Value) -> String {
    sign(
        &json!({ "alg": "RS256", "typ": "JWT", "kid": "rsa-1" }),
        payload,
    )
}

fn es256(payload: &Value) -> String {
    sign(
        &json!({ "alg": "ES256", "typ": "JWT", "kid": "ec-1" }),
        payload,
    )
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISSUER,
        audience: CLIENT,
        nonce: Some("n-0S6_WzA2Mj"),
        now: NOW,
        role_claim: "roles",
        collar_number_claim: Some("collar"),
    }
}

fn check(token: &str) -> Result<Claims, VerifyError> {
    verify(token, &jwks(), &expected())
}

pub(super) fn with(changes: Value) -> Value {
    let mut payload = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            payload.as_object_mut().unwrap().remove(name);
        } else {
            payload[name] = value.clone();
        }
    }
    payload
}

#[test]
fn a_good_token_gives_its_claims_with_either_algorithm() {
    let wanted = Claims {
        subject: "0a1b2c3d-stable-subject".into(),
        roles: vec!["StalkingResponse.Officer".into()],
        collar_number: Some("PC 1234".into()),
        expires_at: NOW + 3600,
    };
    assert_eq!(check(&rs256(&claims())), Ok(wanted.clone()));
    assert_eq!(check(&es256(&claims())), Ok(wanted));
}

#[test]
fn the_audience_may_be_an_array_and_the_role_a_string_or_absent() {
    let token = rs256(&with(
        json!({ "aud": ["other-api", CLIENT], "roles": "officer" }),
    ));
    assert_eq!(check(&token).unwrap().roles, ["officer"]);
    let token = rs256(&with(json!({ "roles": null, "collar": null })));
    let claims = check(&token).unwrap();
    assert!(claims.roles.is_empty());
    assert_eq!(claims.collar_number, None);
    let groups = Expected {
        role_claim: "groups",
        collar_number_claim: None,
        nonce: None,
        ..expected()
    };
    let token = es256(&with(json!({ "groups": ["g-1", "g-2"], "nonce": null })));
    let claims = verify(&token, &jwks(), &groups).unwrap();
    assert_eq!(claims.roles, ["g-1", "g-2"]);
    assert_eq!(claims.collar_number, None, "not configured, so not read");
}

#[test]
fn a_tampered_token_is_refused() {
    let token = rs256(&claims());
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = segment(&with(json!({ "roles": ["admin"] })));
    parts[1] = &forged;
    assert_eq!(check(&parts.join(".")), Err(VerifyError::BadSignature));

    let token = es256(&claims());
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[1] = &forged;
    assert_eq!(check(&parts.join(".")), Err(VerifyError::BadSignature));

    // The RSA key's signature under the EC key's kid.
    let header = segment(&json!({ "alg": "ES256", "kid": "ec-1" }));
    let rsa_signed = rs256(&claims());
    let signature = rsa_signed.rsplit('.').next().unwrap();
    let token = format!("{header}.{}.{signature}", segment(&claims()));
    assert_eq!(check(&token), Err(VerifyError::BadSignature));
}

#[test]
fn times_are_checked_with_a_minute_of_skew() {
    let at = |now| Expected { now, ..expected() };
    let token = rs256(&claims());
    let exp = NOW + 3600;
    assert!(verify(&token, &jwks(), &at(exp + CLOCK_SKEW_SECONDS - 1)).is_ok());
    assert_eq!(
        verify(&token, &jwks(), &at(exp + CLOCK_SKEW_SECONDS)),
        Err(VerifyError::Expired)
    );
    let expired = rs256(&with(json!({ "exp": NOW - 61 })));
    assert_eq!(check(&expired), Err(VerifyError::Expired));

    let early = rs256(&with(json!({ "nbf": NOW + 61 })));
    assert_eq!(check(&early), Err(VerifyError::NotYetValid));
    let just_early = rs256(&with(json!({ "nbf": NOW + 59 })));
    assert!(check(&just_early).is_ok(), "within the skew");
    let issued_later = rs256(&with(json!({ "iat": NOW + 120, "nbf": null })));
    assert_eq!(check(&issued_later), Err(VerifyError::NotYetValid));
    let fractional = rs256(&with(json!({ "exp": (NOW + 10) as f64 + 0.5 })));
    assert_eq!(check(&fractional).unwrap().expires_at, NOW + 10);

    for claim in ["exp", "iat"] {
        let token = rs256(&with(json!({ claim: null })));
        assert_eq!(check(&token), Err(VerifyError::MissingClaim(claim)));
        let token = rs256(&with(json!({ claim: "tomorrow" })));
        assert_eq!(check(&token), Err(VerifyError::MissingClaim(claim)));
    }
}

#[test]
fn issuer_and_audience_must_match_exactly() {
    for iss in [
        json!("https://idp.example.test/tenant/"),
        json!("https://evil.test"),
        json!(null),
    ] {
        let token = rs256(&with(json!({ "iss": iss })));
        assert_eq!(check(&token), Err(VerifyError::WrongIssuer), "{iss}");
    }
    for aud in [
        json!("other-app"),
        json!(["a", "b"]),
        json!([]),
        json!(null),
        json!(7),
    ] {
        let token = rs256(&with(json!({ "aud": aud })));
        assert_eq!(check(&token), Err(VerifyError::WrongAudience), "{aud}");
    }
}

#[test]
fn an_unknown_kid_is_its_own_error_so_the_keys_can_be_refreshed() {
    let token = sign(&json!({ "alg": "RS256", "kid": "rotated-2" }), &claims());
    assert_eq!(check(&token), Err(VerifyError::UnknownKid));
    // Without a kid, only a set of exactly one key will do.
    let token = sign(&json!({ "alg": "RS256" }), &claims());
    assert_eq!(check(&token), Err(VerifyError::UnknownKid));
    let one = json!({ "keys": [rsa_jwk("only", rsa_key())] }).to_string();
    let one = Jwks::parse(one.as_bytes()).unwrap();
    assert!(verify(&token, &one, &expected()).is_ok());
}

#[test]
fn only_rs256_and_es256_are_accepted() {
    let unsigned = format!(
        "{}.{}.",
        segment(&json!({ "alg": "none", "kid": "rsa-1" })),
        segment(&claims())
    );
    assert_eq!(check(&unsigned), Err(VerifyError::UnsupportedAlgorithm));
    for alg in ["HS256", "RS384", "PS256", "ES384", "EdDSA", "rs256"] {
        let token = format!(
            "{}.{}.c2ln",
            segment(&json!({ "alg": alg, "kid": "rsa-1" })),
            segment(&claims())
        );
        assert_eq!(
            check(&token),
            Err(VerifyError::UnsupportedAlgorithm),
            "{alg}"
        );
    }
    let no_alg = format!(
        "{}.{}.c2ln",
        segment(&json!({ "kid": "rsa-1" })),
        segment(&claims())
    );
    assert_eq!(check(&no_alg), Err(VerifyError::UnsupportedAlgorithm));
}

#[test]
fn the_algorithm_must_match_the_key() {
    // An RS256 token naming the EC key, and an ES256 one naming the RSA key.
    let token = sign(&json!({ "alg": "RS256", "kid": "ec-1" }), &claims());
    assert_eq!(check(&token), Err(VerifyError::AlgorithmMismatch));
    let token = sign(&json!({ "alg": "ES256", "kid": "rsa-1" }), &claims());
    assert_eq!(check(&token), Err(VerifyError::AlgorithmMismatch));
    // An HS256 token "signed" with the EC key's public coordinates as the secret is never tried.
    let token = format!(
        "{}.{}.c2ln",
        segment(&json!({ "alg": "HS256", "kid": "ec-1" })),
        segment(&claims())
    );
    assert_eq!(check(&token), Err(VerifyError::UnsupportedAlgorithm));
}

#[test]
fn the_nonce_is_checked_when_one_was_sent() {
    let token = rs256(&with(json!({ "nonce": null })));
    assert_eq!(check(&token), Err(VerifyError::MissingNonce));
    let token = rs256(&with(json!({ "nonce": "another" })));
    assert_eq!(check(&token), Err(VerifyError::WrongNonce));
    let no_nonce_expected = Expected {
        nonce: None,
        ..expected()
    };
    assert!(verify(&token, &jwks(), &no_nonce_expected).is_ok());
}

#[test]
fn malformed_tokens_and_claims_are_refused() {
    let good = rs256(&claims());
    for token in [
        String::new(),
        "a.b".into(),
        format!("{good}.extra"),
        format!("={good}"),
        format!("{good}="),
        "x".repeat(MAX_TOKEN_BYTES + 1),
    ] {
        assert_eq!(check(&token), Err(VerifyError::Malformed), "{token:.40}");
    }
    // A changed payload, however odd, fails at the signature, before it is read.
    assert_eq!(
        check(&good.replacen('.', ".=", 1)),
        Err(VerifyError::BadSignature)
    );
    let critical = sign(
        &json!({ "alg": "RS256", "kid": "rsa-1", "crit": ["exp"] }),
        &claims(),
    );
    assert_eq!(check(&critical), Err(VerifyError::UnsupportedCritical));
    assert_eq!(
        check(&rs256(&json!([1, 2]))),
        Err(VerifyError::MalformedPayload)
    );
    assert_eq!(
        check(&rs256(&with(json!({ "sub": "" })))),
        Err(VerifyError::MissingClaim("sub"))
    );
    assert_eq!(
        check(&rs256(&with(json!({ "roles": [1] })))),
        Err(VerifyError::InvalidClaim("role"))
    );
    assert_eq!(
        check(&rs256(&with(json!({ "collar": ["a"] })))),
        Err(VerifyError::InvalidClaim("collar number"))
    );
    assert_eq!(
        check(&rs256(&with(json!({ "collar": 1234 }))))
            .unwrap()
            .collar_number
            .as_deref(),
        Some("1234")
    );
}

#[test]
fn errors_name_the_check_not_the_values() {
    let text = VerifyError::WrongIssuer.to_string();
    assert!(!text.contains("idp.example.test"), "{text}");
    assert_eq!(
        VerifyError::UnknownKid.to_string(),
        "no key in the provider's key set has the token's kid"
    );
}

#[test]
fn discovery_documents_are_read_and_their_issuer_checked() {
    let document = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://idp.example.test/tenant/authorize",
        "token_endpoint": "https://idp.example.test/tenant/token",
        "jwks_uri": "https://idp.example.test/tenant/keys",
        "end_session_endpoint": "https://idp.example.test/tenant/logout",
        "response_types_supported": ["code"],
    });
    let discovery = Discovery::parse(document.to_string().as_bytes(), ISSUER).unwrap();
    assert_eq!(discovery.jwks_uri, "https://idp.example.test/tenant/keys");
    assert_eq!(
        discovery.end_session_endpoint.as_deref(),
        Some("https://idp.example.test/tenant/logout")
    );

    let mut without_logout = document.clone();
    without_logout
        .as_object_mut()
        .unwrap()
        .remove("end_session_endpoint");
    let discovery = Discovery::parse(without_logout.to_string().as_bytes(), ISSUER).unwrap();
    assert_eq!(discovery.end_session_endpoint, None);

    assert_eq!(
        Discovery::parse(document.to_string().as_bytes(), "https://other.test"),
        Err(DocumentError::IssuerMismatch)
    );
    let mut no_keys = document.clone();
    no_keys.as_object_mut().unwrap().remove("jwks_uri");
    assert_eq!(
        Discovery::parse(no_keys.to_string().as_bytes(), ISSUER),
        Err(DocumentError::Missing("jwks_uri"))
    );
    let mut not_url = document.clone();
    not_url["token_endpoint"] = json!("javascript:alert(1)");
    assert_eq!(
        Discovery::parse(not_url.to_string().as_bytes(), ISSUER),
        Err(DocumentError::NotAnUrl("token_endpoint"))
    );
    assert_eq!(
        Discovery::parse(b"<html>", ISSUER),
        Err(DocumentError::NotJson)
    );
}

#[test]
fn a_key_set_without_usable_keys_is_refused() {
    assert_eq!(
        Jwks::parse(b"{}").unwrap_err(),
        DocumentError::Missing("keys")
    );
    let small = rsa::RsaPrivateKey::new(&mut OsRng, 1024).unwrap();
    let only_small = json!({ "keys": [rsa_jwk("small", &small)] }).to_string();
    assert_eq!(
        Jwks::parse(only_small.as_bytes()).unwrap_err(),
        DocumentError::NoUsableKeys,
        "an RSA key under 2048 bits is left out"
    );
    let bad_point = json!({ "keys": [{ "kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32]) }] });
    assert_eq!(
        Jwks::parse(bad_point.to_string().as_bytes()).unwrap_err(),
        DocumentError::NoUsableKeys,
        "a point not on the curve is left out"
    );
}
