//! Sign-in with the force's OpenID Connect provider, against a real one: `oidc-provider` (npm, OpenID
//! Certified) run by `tests/oidc/provider.mjs` on loopback, with test people (an officer, a supervisor,
//! someone with no role in the app), the app as its client, and a partner system with client
//! credentials. The app reaches it only through `allowed_outbound_hosts` (`oidc_issuer_origin`).

use crate::support::{self, Reply, TestApp, repo};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

const CLIENT_ID: &str = "stalking-response";
const PARTNER_ID: &str = "mash-system";
const API_AUDIENCE: &str = "urn:stalking-response:api";
const CALLBACK: &str = "/api/v1/session/oidc/callback";
const SESSION_COOKIE: &str = "__Host-sr_session";

/// A secret made for this run (never in the repo).
fn secret() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The provider, running until dropped.
struct Provider {
    child: Child,
    /// Kept open: the script stops when it closes.
    _stdin: ChildStdin,
    issuer: String,
    partner_secret: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn start(app_port: u16, client_secret: &str) -> Provider {
        assert!(
            repo().join("node_modules/oidc-provider").exists(),
            "node_modules is missing: scripts/test runs npm ci"
        );
        let partner_secret = secret();
        let app = format!("http://127.0.0.1:{app_port}");
        let mut child = Command::new("node")
            .arg(repo().join("tests/oidc/provider.mjs"))
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", client_secret)
            .env("PARTNER_ID", PARTNER_ID)
            .env("PARTNER_SECRET", &partner_secret)
            .env("API_AUDIENCE", API_AUDIENCE)
            .env("REDIRECT_URI", format!("{app}{CALLBACK}"))
            .env("POST_LOGOUT_URI", format!("{app}/"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        // Whatever else it prints is read and dropped, so that it never writes to a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the provider did not start ({e}): {line}"));
        Provider {
            child,
            _stdin: stdin,
            issuer: started["issuer"].as_str().unwrap().to_string(),
            partner_secret,
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let reply = support::read(
            support::agent()
                .post(format!("{}{path}", self.issuer))
                .send_json(body),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    /// A token signed by the provider's current key (or one it does not publish), with these claims.
    fn sign(&self, claims: Value, header: Value, stranger: bool) -> String {
        let key = if stranger { "stranger" } else { "current" };
        let signed = self.post(
            "/test/sign",
            json!({ "claims": claims, "header": header, "key": key }),
        );
        signed["token"].as_str().unwrap().to_string()
    }

    /// The provider replaces its signing key.
    fn rotate(&self) {
        self.post("/test/rotate", json!({}));
    }

    /// A partner system's access token, by the client-credentials grant at the token endpoint.
    fn client_credentials(&self) -> String {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{PARTNER_ID}:{}", self.partner_secret));
        let reply = support::read(
            support::agent()
                .post(format!("{}/token", self.issuer))
                .header("authorization", format!("Basic {basic}"))
                .content_type("application/x-www-form-urlencoded")
                .send("grant_type=client_credentials"),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["access_token"].as_str().unwrap().to_string()
    }

    /// Claims a partner system's token from this provider would carry.
    fn partner_claims(&self) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        json!({
            "iss": self.issuer, "aud": API_AUDIENCE, "sub": PARTNER_ID, "client_id": PARTNER_ID,
            "iat": now, "exp": now + 600,
        })
    }
}

/// A free loopback port for the app (its callback URL is registered at the provider before it starts).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The provider and the app configured for it.
fn start() -> (Provider, TestApp) {
    start_with(&[])
}

fn start_with(extra: &[(&str, &str)]) -> (Provider, TestApp) {
    let port = free_port();
    let client_secret = secret();
    let provider = Provider::start(port, &client_secret);
    let redirect = format!("http://127.0.0.1:{port}{CALLBACK}");
    let mut variables = vec![
        ("oidc_issuer", provider.issuer.as_str()),
        ("oidc_issuer_origin", provider.issuer.as_str()),
        ("oidc_client_id", CLIENT_ID),
        ("oidc_client_secret", client_secret.as_str()),
        ("oidc_redirect_url", redirect.as_str()),
        (
            "oidc_role_mapping",
            "SR.Supervisor=supervisor, SR.Officer=officer",
        ),
        ("oidc_collar_number_claim", "collar_number"),
        ("oidc_api_audience", API_AUDIENCE),
        ("oidc_partner_claim", "client_id"),
        ("oidc_partners", "mash-system=mash"),
    ];
    variables.extend_from_slice(extra);
    let app = TestApp::start_on(port, &variables);
    (provider, app)
}

/// An agent that does not follow redirects: each step of the sign-in is looked at.
fn browser() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// The cookies a response sets: name → value (an emptied one is removed).
fn take_cookies(reply: &Reply, jar: &mut HashMap<String, String>) {
    for header in reply.headers.get_all("set-cookie") {
        let text = header.to_str().unwrap();
        let pair = text.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        if value.is_empty() {
            jar.remove(name);
        } else {
            jar.insert(name.to_string(), value.to_string());
        }
    }
}

fn cookie_header(jar: &HashMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn get(url: &str, jar: &HashMap<String, String>, accept: &str) -> Reply {
    let mut request = browser().get(url).header("accept", accept);
    if !jar.is_empty() {
        request = request.header("cookie", cookie_header(jar));
    }
    support::read(request.call())
}

/// Signs `login` in at the provider, as a browser would, from the app's start: the callback URL the
/// provider sends the browser back to (with the code and the state), not yet visited.
fn through_provider(app: &TestApp, provider: &Provider, login: &str) -> String {
    let start = get(&app.url("/api/v1/session/oidc"), &HashMap::new(), "*/*");
    assert_eq!(start.status, 303, "{}", start.body);
    let mut location = start.header("location").to_string();
    assert!(location.starts_with(&format!("{}/auth?", provider.issuer)));
    for needed in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "response_type=code",
    ] {
        assert!(location.contains(needed), "{needed}: {location}");
    }
    let mut jar = HashMap::new();
    for _ in 0..10 {
        if location.starts_with(&app.url(CALLBACK)) {
            return location;
        }
        let reply = get(&location, &jar, "text/html");
        take_cookies(&reply, &mut jar);
        let next = match reply.status {
            302 | 303 => reply.header("location").to_string(),
            // The provider's login page: its form posts back to the page's own address.
            200 => {
                assert!(reply.body.contains("name=\"login\""), "{}", reply.body);
                let form = format!("prompt=login&login={login}&password=any");
                let mut request = browser()
                    .post(&location)
                    .header("cookie", cookie_header(&jar))
                    .content_type("application/x-www-form-urlencoded");
                request = request.header("accept", "text/html");
                let posted = support::read(request.send(form));
                take_cookies(&posted, &mut jar);
                assert!(
                    matches!(posted.status, 302 | 303),
                    "{} {}",
                    posted.status,
                    posted.body
                );
                posted.header("location").to_string()
            }
            other => panic!("the provider answered {other}: {}", reply.body),
        };
        location = if next.starts_with('/') {
            format!("{}{next}", provider.issuer)
        } else {
            next
        };
    }
    panic!("the provider never sent the browser back: {location}");
}

/// The session cookie's value from the callback's answer.
fn session_cookie(reply: &Reply) -> String {
    let mut jar = HashMap::new();
    take_cookies(reply, &mut jar);
    jar.remove(SESSION_COOKIE)
        .unwrap_or_else(|| panic!("no session cookie: {:?}", reply.headers))
}

/// A request with the session cookie (and the CSRF token for a change).
fn with_session(
    app: &TestApp,
    method: &str,
    path: &str,
    session: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(app.url(path))
        .header("cookie", format!("{SESSION_COOKIE}={session}"))
        .header("x-access-reason", "investigation");
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    let response = match body {
        Some(body) => support::agent().run(
            request
                .header("content-type", "application/json")
                .body(body.to_string())
                .unwrap(),
        ),
        None => support::agent().run(request.body(()).unwrap()),
    };
    support::read(response)
}

#[test]
fn an_officer_signs_in_at_the_provider_and_gets_the_apps_own_session() {
    let (provider, app) = start();
    let callback = through_provider(&app, &provider, "officer-1");
    let signed_in = get(&callback, &HashMap::new(), "text/html");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), "/#/signed-in");
    let set_cookie = signed_in.header("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{attribute}: {set_cookie}");
    }
    // Nothing of the provider's tokens reaches the browser.
    let everything = format!("{:?}{}", signed_in.headers, signed_in.body);
    assert!(!everything.contains("eyJ"), "{everything}");
    let session = session_cookie(&signed_in);

    // The session is the app's own: who, with which credential, and its CSRF token.
    let me = with_session(&app, "GET", "/api/v1/session", &session, None, None);
    assert_eq!(me.status, 200, "{}", me.body);
    let me = me.json();
    assert_eq!(me["subject"], "1234", "the collar number");
    assert_eq!(me["role"], "officer");
    assert_eq!(me["token_id"], "oidc:officer-1", "the provider's subject");
    let csrf = me["csrf_token"].as_str().unwrap().to_string();
    assert!(me["outbox_key"].is_string());

    // It works as any session: a change needs the CSRF token; reads are logged under the officer.
    let case = support::case_body(true);
    let refused = with_session(
        &app,
        "POST",
        "/api/v1/cases",
        &session,
        None,
        Some(case.clone()),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let created = with_session(
        &app,
        "POST",
        "/api/v1/cases",
        &session,
        Some(&csrf),
        Some(case),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let (subject, credential): (String, String) = app
        .database()
        .query_row(
            "SELECT subject, credential FROM access_log WHERE outcome = 'allowed' AND record_type = 'case' ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (subject.as_str(), credential.as_str()),
        ("1234", "oidc:officer-1")
    );
    // An officer may not issue tokens, however signed in.
    let tokens = with_session(&app, "GET", "/api/v1/tokens", &session, None, None);
    assert_eq!(tokens.status, 403);

    // The state is taken once: the same callback again is refused, and makes no session.
    let replayed = get(&callback, &HashMap::new(), "application/json");
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert_eq!(replayed.json()["type"], "/problems/sign-in-expired");
    assert!(replayed.header("set-cookie").is_empty());
    let unknown = get(
        &app.url(&format!("{CALLBACK}?state=made-up&code=abc")),
        &HashMap::new(),
        "application/json",
    );
    assert_eq!(unknown.status, 400);

    // Sign-out ends the app's session and offers the provider's end-session endpoint.
    let out = with_session(
        &app,
        "DELETE",
        "/api/v1/session",
        &session,
        Some(&csrf),
        None,
    );
    assert_eq!(out.status, 200, "{}", out.body);
    // Asking the provider for that address holds no write lock: no transaction waits on HTTP.
    let line = app
        .request_lines()
        .into_iter()
        .find(|l| l["request_id"] == out.header("x-request-id"))
        .expect("the sign-out's request line");
    assert_eq!(line["longest_transaction"], 0, "{line}");
    let end = out.json()["end_session_url"].as_str().unwrap().to_string();
    assert!(
        end.starts_with(&format!(
            "{}/session/end?client_id={CLIENT_ID}",
            provider.issuer
        )),
        "{end}"
    );
    assert!(end.contains("post_logout_redirect_uri="), "{end}");
    let after = with_session(&app, "GET", "/api/v1/session", &session, None, None);
    assert_eq!(after.status, 401);
    let offered = get(&end, &HashMap::new(), "text/html");
    assert_eq!(offered.status, 200, "the provider offers to sign out");
}

#[test]
fn roles_come_from_the_provider_and_a_person_without_one_is_refused_and_logged() {
    let (provider, app) = start();
    // Several roles: the first in the mapping's order.
    let callback = through_provider(&app, &provider, "supervisor-1");
    let signed_in = get(&callback, &HashMap::new(), "text/html");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let session = session_cookie(&signed_in);
    let me = with_session(&app, "GET", "/api/v1/session", &session, None, None).json();
    assert_eq!(
        (me["subject"].as_str(), me["role"].as_str()),
        (Some("5678"), Some("supervisor"))
    );

    // No mapped role: 403, a page for the browser, problem+json for anything else; no session.
    let callback = through_provider(&app, &provider, "no-role");
    let page = get(
        &callback,
        &HashMap::new(),
        "text/html,application/xhtml+xml",
    );
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.body.contains("You have no role in this app"),
        "{}",
        page.body
    );
    assert!(page.header("set-cookie").is_empty());
    let callback = through_provider(&app, &provider, "no-role");
    let problem = get(&callback, &HashMap::new(), "application/json");
    assert_eq!(problem.status, 403);
    assert_eq!(problem.header("content-type"), "application/problem+json");
    assert_eq!(problem.json()["type"], "/problems/no-role");
    let refusals: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE subject = '9999' AND credential = 'oidc:no-role' AND reason_code = 'no-role' AND outcome = 'denied' AND record_type = 'session'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refusals, 2, "each refusal is in the access log");
    assert_eq!(app.verify()["valid"], true, "the log verifies");
}

/// A case with a high-risk assessment whose MASH referral is sent: the partner's to fetch.
fn sent_referral(app: &TestApp) -> String {
    let officer = app.token("officer", "1234");
    let case = app.new_case(&officer, true, 1);
    let dash = app.call(
        "POST",
        "/api/v1/risk-assessments",
        &officer,
        Some(support::dash_body(&case, 14)),
    );
    assert_eq!(dash.status, 201, "{}", dash.body);
    let referral = dash.json()["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency"] == "mash")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sharing = json!({
        "basis": "consent", "victim_aware": true, "rationale": "Victim agrees; safeguarding plan needed.",
        "safe_contact": { "phone": "07700 900123", "safe_to_call": true, "safe_times": "Weekdays 9-12" }
    });
    let sent = app.call(
        "POST",
        &format!("/api/v1/referrals/{referral}/send"),
        &officer,
        Some(sharing),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    referral
}

#[test]
fn a_partner_system_reads_its_referrals_with_a_client_credentials_token() {
    let (provider, app) = start();
    let referral = sent_referral(&app);
    let token = provider.client_credentials();
    let listed = app.call("GET", "/api/v1/partner/referrals", &token, None);
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.json()["referrals"][0]["id"], referral.as_str());
    let fetched = app.call(
        "GET",
        &format!("/api/v1/partner/referrals/{referral}"),
        &token,
        None,
    );
    assert_eq!(fetched.status, 200, "{}", fetched.body);
    // The partner role only: no cases.
    let cases = app.call_with(
        "GET",
        "/api/v1/cases",
        &token,
        None,
        &[("x-access-reason", "referral")],
    );
    assert_eq!(cases.status, 403, "{}", cases.body);
    // The disclosure is logged to the recipient, with the client as the credential.
    let (recipient, credential): (String, String) = app
        .database()
        .query_row(
            "SELECT recipient, credential FROM access_log WHERE operation = 'disclosure' ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (recipient.as_str(), credential.as_str()),
        ("mash", "oidc-client:mash-system")
    );
    // API tokens keep working beside it.
    let mash = app.token("partner", "mash");
    let listed = app.call("GET", "/api/v1/partner/referrals", &mash, None);
    assert_eq!(listed.status, 200);
}

/// The components whose routes permit no partner (searches, force, care, retention) do not verify
/// partners' JWTs (spin-adapter's `partner-tokens` feature; issue #13, about 150 kB each): a partner's
/// token is refused there as a verified one is on any route it may not use, 403 with the same words,
/// and logged as a denial; a token that would not verify gets the same answer, unverified.
#[test]
fn components_no_partner_may_use_refuse_a_partner_token_as_before() {
    let (provider, app) = start();
    let token = provider.client_credentials();
    let mut tampered: Vec<String> = token.split('.').map(str::to_string).collect();
    tampered[2] = "c2ln".into();
    let tampered = tampered.join(".");
    // Served by cases, which verifies: the role is refused.
    let verified = app.call_with(
        "GET",
        "/api/v1/cases",
        &token,
        None,
        &[("x-access-reason", "referral")],
    );
    assert_eq!(verified.status, 403, "{}", verified.body);
    for (component, path) in [
        ("searches", "/api/v1/searches"),
        ("force", "/api/v1/plan"),
        ("care", "/api/v1/actions/overdue"),
        ("retention", "/api/v1/retention/due"),
    ] {
        for token in [&token, &tampered] {
            let reply = app.call("GET", path, token, None);
            assert_eq!(reply.status, 403, "{component}: {}", reply.body);
            assert_eq!(
                reply.json()["detail"],
                verified.json()["detail"],
                "{component}"
            );
        }
    }
    let denied: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE outcome = 'denied' AND reason_code = 'denied' AND subject = 'anonymous'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(denied, 8, "each refusal is logged");
    // Not configured, a JWT is refused there as any unknown token, as before.
    let plain = TestApp::start();
    let reply = plain.call("GET", "/api/v1/searches", &token, None);
    assert_eq!(reply.status, 401, "{}", reply.body);
}

/// Each component that serves a route the permission table opens to partners verifies their JWTs
/// (`partner-tokens`); the others may leave the verifier out only while none of theirs does.
#[test]
fn the_components_that_verify_partner_tokens_are_those_partners_may_use() {
    use stalking_response::access::auth::{PERMISSIONS, Role};
    let partner_actions: Vec<String> = PERMISSIONS
        .iter()
        .filter(|(_, roles)| roles.contains(&Role::Partner))
        .map(|(action, _)| format!("{action:?}"))
        .collect();
    let mut verifying = Vec::new();
    for entry in std::fs::read_dir(repo().join("components")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let source = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        let serves_partners = partner_actions
            .iter()
            .any(|action| source.contains(&format!("=> {action},")));
        if manifest.contains("\"partner-tokens\"") {
            verifying.push(name.clone());
        }
        assert_eq!(
            manifest.contains("\"partner-tokens\""),
            serves_partners,
            "{name}: serves a route partners may use ({partner_actions:?}) exactly when it has \
             spin-adapter's `partner-tokens` feature"
        );
    }
    verifying.sort();
    assert_eq!(verifying, ["access", "cases", "risk"]);
}

#[test]
fn tampered_expired_and_mismatched_tokens_are_refused() {
    let (provider, app) = start();
    let path = "/api/v1/partner/referrals";
    let good = provider.sign(provider.partner_claims(), json!({}), false);
    assert_eq!(app.call("GET", path, &good, None).status, 200);

    let with = |changes: Value| {
        let mut claims = provider.partner_claims();
        for (k, v) in changes.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value =
            serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
        payload["client_id"] = "marac-system".into();
        parts[1] = engine.encode(payload.to_string());
    }
    let tampered = parts.join(".");
    let refused = [
        ("tampered", tampered),
        (
            "expired",
            provider.sign(
                with(json!({ "exp": now - 600, "iat": now - 1200 })),
                json!({}),
                false,
            ),
        ),
        (
            "wrong audience",
            provider.sign(with(json!({ "aud": "someone-else" })), json!({}), false),
        ),
        (
            "wrong issuer",
            provider.sign(
                with(json!({ "iss": "http://127.0.0.1:1" })),
                json!({}),
                false,
            ),
        ),
        (
            "not yet valid",
            provider.sign(with(json!({ "iat": now + 3600 })), json!({}), false),
        ),
        (
            "a partner not configured",
            provider.sign(
                with(json!({ "client_id": "unknown-system" })),
                json!({}),
                false,
            ),
        ),
        (
            "unknown kid",
            provider.sign(provider.partner_claims(), json!({ "kid": "unknown" }), true),
        ),
        (
            "a key the provider does not publish, under its kid",
            provider.sign(provider.partner_claims(), json!({}), true),
        ),
        (
            "a person's ID token (it has a nonce)",
            provider.sign(with(json!({ "nonce": "n-1" })), json!({}), false),
        ),
        (
            "HS256",
            provider.sign(provider.partner_claims(), json!({ "alg": "HS256" }), false),
        ),
    ];
    for (what, token) in refused {
        let reply = app.call("GET", path, &token, None);
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(reply.json()["detail"], "The token is not valid.", "{what}");
    }
    let anonymous: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM access_log WHERE subject = 'anonymous' AND reason_code = 'unauthenticated'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(anonymous >= 9, "each refusal is logged: {anonymous}");
}

#[test]
fn a_key_rotation_at_the_provider_is_followed_at_most_once_a_minute() {
    let (provider, app) = start();
    let path = "/api/v1/partner/referrals";
    let before = provider.sign(provider.partner_claims(), json!({}), false);
    let started = std::time::Instant::now();
    assert_eq!(
        app.call("GET", path, &before, None).status,
        200,
        "keys fetched and cached"
    );
    provider.rotate();
    let after = provider.sign(provider.partner_claims(), json!({}), false);
    // Within a minute of the last fetch, an unknown kid does not fetch the keys again.
    assert_eq!(app.call("GET", path, &after, None).status, 401);
    std::thread::sleep(Duration::from_secs(61).saturating_sub(started.elapsed()));
    // Then it does, once, and the new key verifies.
    assert_eq!(app.call("GET", path, &after, None).status, 200);
    // The old key is gone from the refreshed set.
    assert_eq!(app.call("GET", path, &before, None).status, 401);
    // A real token from the provider after the rotation.
    let real = provider.client_credentials();
    assert_eq!(app.call("GET", path, &real, None).status, 200);
}

#[test]
fn sign_in_fails_closed_naming_the_variable_when_not_configured() {
    let app = TestApp::start();
    let reply = get(&app.url("/api/v1/session/oidc"), &HashMap::new(), "*/*");
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let problem = reply.json();
    assert_eq!(problem["type"], "/problems/oidc-not-configured");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("`oidc_issuer`"),
        "{problem}"
    );
    // The rest of the app works as before, and a JWT is refused as any unknown token.
    let officer = app.token("officer", "1234");
    assert_eq!(
        app.call("GET", "/api/v1/session", &officer, None).status,
        200
    );
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    assert_eq!(
        app.call("GET", "/api/v1/partner/referrals", jwt, None)
            .status,
        401
    );

    // Misconfigured: each names its variable.
    for (variables, named) in [
        (
            vec![("oidc_issuer", "http://idp.example.com/tenant")],
            "oidc_issuer",
        ),
        (
            vec![
                ("oidc_issuer", "https://idp.example.com/tenant"),
                ("oidc_issuer_origin", "https://elsewhere.example.com"),
            ],
            "oidc_issuer_origin",
        ),
        (
            vec![
                ("oidc_issuer", "https://idp.example.com/tenant"),
                ("oidc_issuer_origin", "https://idp.example.com"),
            ],
            "oidc_client_id",
        ),
    ] {
        let app = app_with(&variables);
        let reply = get(&app.url("/api/v1/session/oidc"), &HashMap::new(), "*/*");
        assert_eq!(reply.status, 503, "{named}: {}", reply.body);
        assert!(
            reply.json()["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{named}`")),
            "{named}: {}",
            reply.body
        );
    }
}

fn app_with(variables: &[(&str, &str)]) -> TestApp {
    TestApp::start_with(variables)
}

/// The web form in Chromium: its button, the provider's own login page, back to "My cases" with the
/// app's session, and sign-out offering the provider's end-session page (`tests/browser/oidc.mjs`).
#[test]
fn the_web_form_signs_in_through_the_providers_login_page_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: scripts/test installs Debian's chromium"
    );
    let (provider, app) = start_with(&[("environment", "development")]);
    let run = Command::new("node")
        .arg(repo().join("tests/browser/oidc.mjs"))
        .env("APP_URL", app.url(""))
        .env("ISSUER", &provider.issuer)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// A session started at the provider lasts across a restart, and ends when the deployment's provider
/// changes (here, another client id; the same binding ends it when OIDC is switched off).
#[test]
fn provider_sessions_end_when_the_provider_configuration_changes() {
    let (provider, app) = start();
    let callback = through_provider(&app, &provider, "officer-1");
    let session = session_cookie(&get(&callback, &HashMap::new(), "text/html"));
    let app = app.restart();
    let me = with_session(&app, "GET", "/api/v1/session", &session, None, None);
    assert_eq!(me.status, 200, "kept across a restart: {}", me.body);
    let app = app.restart_with(&[("oidc_client_id", "another-client")]);
    let me = with_session(&app, "GET", "/api/v1/session", &session, None, None);
    assert_eq!(me.status, 401, "another client: {}", me.body);
}
