//! The client's rules natively: configuration that fails closed naming its variable, the caches and
//! their refresh, the `state` taken once, roles mapped in order, and partners' tokens.

use super::*;
use crate::access::authentication::MemoryKeyValue;
use crate::access::oidc::tests::{
    CLIENT, ISSUER, NOW, claims, ec_jwk, ec_key, rs256, rsa_jwk, rsa_key, sign, with,
};
use serde_json::{Value, json};
use std::cell::RefCell;

fn variables(pairs: &[(&str, &str)]) -> Result<OidcConfig, SettingError> {
    let mut all = vec![
        ("oidc_issuer", ISSUER),
        ("oidc_issuer_origin", "https://idp.example.test"),
        ("oidc_client_id", CLIENT),
        ("oidc_client_secret", "a-client-secret"),
        (
            "oidc_redirect_url",
            "https://sr.example.police.uk/api/v1/session/oidc/callback",
        ),
        (
            "oidc_role_mapping",
            "StalkingResponse.Supervisor=supervisor, StalkingResponse.Officer=officer",
        ),
        ("oidc_collar_number_claim", "collar"),
        ("oidc_partners", "mash-client=mash"),
    ];
    for (name, value) in pairs {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    OidcConfig::from_variables(|name| {
        all.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

fn config() -> OidcConfig {
    variables(&[]).unwrap()
}

#[test]
fn configuration_fails_closed_naming_the_variable() {
    let config = config();
    assert_eq!(config.api_audience, CLIENT, "the client id unless set");
    assert_eq!(config.partner_claim, "azp");
    assert_eq!(config.post_logout_url(), "https://sr.example.police.uk/");
    for (pairs, named) in [
        (vec![("oidc_issuer", "")], "oidc_issuer"),
        (
            vec![("oidc_issuer", "http://idp.example.test/t")],
            "oidc_issuer",
        ),
        (
            vec![("oidc_issuer_origin", "https://other.example.test")],
            "oidc_issuer_origin",
        ),
        (
            vec![("oidc_issuer_origin", "https://idp.example.tes")],
            "oidc_issuer_origin",
        ),
        (vec![("oidc_client_id", " ")], "oidc_client_id"),
        (vec![("oidc_redirect_url", "")], "oidc_redirect_url"),
        (
            vec![("oidc_redirect_url", "http://sr.example/cb")],
            "oidc_redirect_url",
        ),
        (vec![("oidc_role_mapping", "")], "oidc_role_mapping"),
        (
            vec![("oidc_role_mapping", "X=constable")],
            "oidc_role_mapping",
        ),
        (vec![("oidc_role_mapping", "X=admin")], "oidc_role_mapping"),
        (
            vec![("oidc_role_mapping", "X=partner")],
            "oidc_role_mapping",
        ),
        (vec![("oidc_role_mapping", "officer")], "oidc_role_mapping"),
        (vec![("oidc_partners", "mash")], "oidc_partners"),
        (vec![("oidc_role_claim", "")], "oidc_role_claim"),
    ] {
        let error = variables(&pairs).unwrap_err();
        assert_eq!(error.variable, named, "{pairs:?}");
    }
    // Loopback may use http (tests against a provider on this machine); the secret is for sign-in only.
    let local = variables(&[
        ("oidc_issuer", "http://127.0.0.1:4000"),
        ("oidc_issuer_origin", "http://127.0.0.1:4000/"),
        (
            "oidc_redirect_url",
            "http://[::1]:3000/api/v1/session/oidc/callback",
        ),
        ("oidc_client_secret", ""),
    ])
    .unwrap();
    assert_eq!(local.client_secret, None);
    let missing = local.secret().unwrap_err().problem();
    assert_eq!((missing.status, missing.slug), (503, "oidc-not-configured"));
    assert!(missing.detail.unwrap().contains("`oidc_client_secret`"));
}

#[test]
fn roles_map_in_the_mappings_order_and_nothing_maps_to_no_role() {
    let config = config();
    let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        config.role_for(&roles(&[
            "StalkingResponse.Officer",
            "StalkingResponse.Supervisor"
        ])),
        Some(Role::Supervisor)
    );
    assert_eq!(config.role_for(&roles(&["Finance"])), None);
    assert_eq!(config.role_for(&[]), None);
    let claims = Claims {
        subject: "sub-1".into(),
        roles: roles(&["StalkingResponse.Officer"]),
        collar_number: Some("1234".into()),
        expires_at: NOW,
    };
    let person = person(&config, &claims, "TEST").unwrap();
    assert_eq!(
        (
            person.subject.as_str(),
            person.role,
            person.token_id.as_str()
        ),
        ("1234", Role::Officer, "oidc:sub-1")
    );
    let nobody = super::person(
        &config,
        &Claims {
            roles: vec![],
            collar_number: None,
            ..claims
        },
        "TEST",
    )
    .unwrap_err();
    assert_eq!(nobody.subject, "sub-1");
    assert_eq!(nobody.credential, "oidc:sub-1");
}

/// The provider's documents, served from memory; every request is counted.
struct FakeProvider {
    jwks: RefCell<Value>,
    requests: RefCell<Vec<String>>,
    token_response: RefCell<HttpReply>,
    forms: RefCell<Vec<String>>,
}

impl FakeProvider {
    fn new() -> FakeProvider {
        FakeProvider {
            jwks: RefCell::new(json!({ "keys": [rsa_jwk("rsa-1", rsa_key())] })),
            requests: RefCell::default(),
            token_response: RefCell::new(HttpReply {
                status: 500,
                body: vec![],
            }),
            forms: RefCell::default(),
        }
    }
    fn count(&self, url: &str) -> usize {
        self.requests.borrow().iter().filter(|u| *u == url).count()
    }
}

const JWKS_URI: &str = "https://idp.example.test/tenant/keys";

impl Http for FakeProvider {
    fn get(&self, url: &str) -> Result<HttpReply, String> {
        self.requests.borrow_mut().push(url.to_string());
        let body = match url {
            "https://idp.example.test/tenant/.well-known/openid-configuration" => json!({
                "issuer": ISSUER,
                "authorization_endpoint": "https://idp.example.test/tenant/authorize",
                "token_endpoint": "https://idp.example.test/tenant/token",
                "jwks_uri": JWKS_URI,
                "end_session_endpoint": "https://idp.example.test/tenant/logout",
            }),
            JWKS_URI => self.jwks.borrow().clone(),
            _ => {
                return Ok(HttpReply {
                    status: 404,
                    body: vec![],
                });
            }
        };
        Ok(HttpReply {
            status: 200,
            body: body.to_string().into_bytes(),
        })
    }
    fn post_form(&self, url: &str, form: &str) -> Result<HttpReply, String> {
        self.requests.borrow_mut().push(url.to_string());
        self.forms.borrow_mut().push(form.to_string());
        Ok(self.token_response.borrow().clone())
    }
}

fn client<'a>(
    config: &'a OidcConfig,
    kv: &'a MemoryKeyValue,
    http: &'a FakeProvider,
    now: i64,
) -> Client<'a, MemoryKeyValue, FakeProvider> {
    Client {
        config,
        kv,
        http,
        now,
    }
}

#[test]
fn documents_are_cached_for_an_hour_and_keys_refreshed_for_an_unknown_kid_once_a_minute() {
    let (config, kv, http) = (config(), MemoryKeyValue::default(), FakeProvider::new());
    let token = rs256(&claims());
    let at = |now| client(&config, &kv, &http, now);
    let verified = at(NOW).verify(&token, CLIENT, None, "roles").unwrap();
    assert_eq!(verified.subject, "0a1b2c3d-stable-subject");
    at(NOW + 30).verify(&token, CLIENT, None, "roles").unwrap();
    assert_eq!(http.count(JWKS_URI), 1, "cached");
    // The provider rotates to an EC key: a token under its kid is unknown to the cached set.
    *http.jwks.borrow_mut() = json!({ "keys": [ec_jwk("ec-1", ec_key())] });
    let rotated = sign(
        &json!({ "alg": "ES256", "kid": "ec-1" }),
        &with(json!({ "iat": NOW + 30 })),
    );
    let refused = at(NOW + 40).verify(&rotated, CLIENT, None, "roles");
    assert_eq!(refused, Err(OidcError::Token(VerifyError::UnknownKid)));
    assert_eq!(
        http.count(JWKS_URI),
        1,
        "not within a minute of the last fetch"
    );
    at(NOW + 61)
        .verify(&rotated, CLIENT, None, "roles")
        .unwrap();
    assert_eq!(http.count(JWKS_URI), 2, "fetched again once");
    // An unknown kid again within the minute: no fetch.
    let stranger = sign(
        &json!({ "alg": "ES256", "kid": "ec-2" }),
        &with(json!({ "iat": NOW + 30 })),
    );
    assert!(
        at(NOW + 70)
            .verify(&stranger, CLIENT, None, "roles")
            .is_err()
    );
    assert_eq!(http.count(JWKS_URI), 2);
    // After an hour everything is fetched again.
    let discovery = "https://idp.example.test/tenant/.well-known/openid-configuration";
    assert_eq!(http.count(discovery), 1);
    let _ = at(NOW + 61 + CACHE_SECONDS).discovery().unwrap();
    assert_eq!(http.count(discovery), 2);
}

#[test]
fn a_sign_in_keeps_its_state_once_and_sends_the_verifier_and_secret() {
    let (config, kv, http) = (config(), MemoryKeyValue::default(), FakeProvider::new());
    let mut n = 0u8;
    let random = || {
        n += 1;
        [n; 32]
    };
    let now = NOW;
    let url = client(&config, &kv, &http, now).begin(random).unwrap();
    assert!(url.starts_with("https://idp.example.test/tenant/authorize?response_type=code&"));
    let query: Vec<(String, String)> =
        form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).unwrap().1.clone();
    let (state, nonce) = (param("state"), param("nonce"));
    assert_eq!(state, URL_SAFE_NO_PAD.encode([1u8; 32]));
    assert_eq!(nonce, URL_SAFE_NO_PAD.encode([2u8; 32]));
    let verifier = URL_SAFE_NO_PAD.encode([3u8; 32]);
    assert_eq!(
        param("code_challenge"),
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    );
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(
        kv.keys()
            .iter()
            .filter(|k| k.starts_with("oidc:state:"))
            .count(),
        1
    );
    assert!(
        !kv.keys().iter().any(|k| k.contains(&state)),
        "the state is kept hashed"
    );

    // The provider answers with an ID token carrying the nonce.
    let id_token = rs256(&with(json!({ "nonce": nonce })));
    *http.token_response.borrow_mut() = HttpReply {
        status: 200,
        body: json!({ "id_token": id_token, "access_token": "opaque", "token_type": "Bearer" })
            .to_string()
            .into_bytes(),
    };
    let claims = client(&config, &kv, &http, now + 30)
        .complete(&state, Some("the-code"))
        .unwrap();
    assert_eq!(claims.roles, ["StalkingResponse.Officer"]);
    let form = http.forms.borrow()[0].clone();
    for part in [
        "grant_type=authorization_code",
        "code=the-code",
        &format!("code_verifier={verifier}"),
        "client_secret=a-client-secret",
        "client_id=stalking-response",
    ] {
        assert!(form.contains(part), "{part}: {form}");
    }
    // Taken once.
    let again = client(&config, &kv, &http, now + 31).complete(&state, Some("the-code"));
    assert_eq!(again, Err(OidcError::UnknownState));
    assert!(kv.keys().iter().all(|k| !k.starts_with("oidc:state:")));

    // An old state is refused (and gone); a wrong nonce fails the token.
    let url = client(&config, &kv, &http, now).begin(|| [9; 32]).unwrap();
    let _ = url;
    let old = URL_SAFE_NO_PAD.encode([9u8; 32]);
    let late = client(&config, &kv, &http, now + STATE_SECONDS).complete(&old, Some("c"));
    assert_eq!(late, Err(OidcError::UnknownState));
    client(&config, &kv, &http, now).begin(|| [7; 32]).unwrap();
    let wrong = client(&config, &kv, &http, now + 1)
        .complete(&URL_SAFE_NO_PAD.encode([7u8; 32]), Some("c"));
    assert_eq!(wrong, Err(OidcError::Token(VerifyError::WrongNonce)));
    // A provider that refuses the code.
    client(&config, &kv, &http, now).begin(|| [6; 32]).unwrap();
    *http.token_response.borrow_mut() = HttpReply {
        status: 400,
        body: vec![],
    };
    let refused = client(&config, &kv, &http, now + 1)
        .complete(&URL_SAFE_NO_PAD.encode([6u8; 32]), Some("c"));
    assert_eq!(refused, Err(OidcError::ExchangeRefused(400)));
    assert_eq!(refused.unwrap_err().problem().status, 401);
}

#[test]
fn pending_sign_ins_share_a_bounded_number_of_slots_and_leave_each_others_alone() {
    let (config, kv, http) = (config(), MemoryKeyValue::default(), FakeProvider::new());
    // Two states whose hashes share a slot: found by trying (65,536 slots, a few hundred tries).
    let mut seen = std::collections::HashMap::new();
    let (first, second) = (0u32..)
        .find_map(|i| {
            let mut bytes = [0u8; 32];
            bytes[..4].copy_from_slice(&i.to_be_bytes());
            let state = URL_SAFE_NO_PAD.encode(bytes);
            let (_, slot) = state_key(&state);
            seen.insert(slot, bytes).map(|earlier| (earlier, bytes))
        })
        .unwrap();
    let c = client(&config, &kv, &http, NOW);
    c.begin({
        let mut n = 0;
        move || {
            n += 1;
            if n == 1 { first } else { [n as u8; 32] }
        }
    })
    .unwrap();
    // The second sign-in's state is not the first's: the first is left where it is.
    let other = c.complete(&URL_SAFE_NO_PAD.encode(second), Some("c"));
    assert_eq!(other, Err(OidcError::UnknownState));
    assert_eq!(
        kv.keys().len(),
        2,
        "the discovery document and the one slot"
    );
    // A new sign-in in the same slot takes it: the first then fails as expired.
    c.begin({
        let mut n = 0;
        move || {
            n += 1;
            if n == 1 { second } else { [n as u8; 32] }
        }
    })
    .unwrap();
    let first_again = c.complete(&URL_SAFE_NO_PAD.encode(first), Some("c"));
    assert_eq!(first_again, Err(OidcError::UnknownState));
    assert_eq!(STATE_SLOTS, 16 * 16 * 16 * 16);
}

#[test]
fn a_partners_token_names_its_recipient_by_its_client() {
    let (config, kv, http) = (config(), MemoryKeyValue::default(), FakeProvider::new());
    let c = client(&config, &kv, &http, NOW);
    let token = rs256(&with(json!({ "azp": "mash-client", "nonce": null })));
    let partner = c.partner(&token, "TEST").unwrap();
    assert_eq!(
        (
            partner.subject.as_str(),
            partner.role,
            partner.token_id.as_str()
        ),
        ("mash", Role::Partner, "oidc-client:mash-client")
    );
    let id_token = rs256(&with(json!({ "azp": "mash-client" })));
    assert_eq!(
        c.partner(&id_token, "TEST").unwrap_err(),
        OidcError::Token(VerifyError::NotAnAccessToken),
        "a person's ID token is not a partner's access token"
    );
    let unknown = rs256(&with(json!({ "azp": "other-client" })));
    assert!(c.partner(&unknown, "TEST").is_err());
    let none = rs256(&claims());
    assert!(c.partner(&none, "TEST").is_err());
    assert!(looks_like_jwt(&token));
    assert!(!looks_like_jwt("srt_abc.def.ghi"));
}
