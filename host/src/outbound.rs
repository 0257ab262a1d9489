//! Outbound HTTP (`wasi:http/outgoing-handler`) as Spin allows it: deny by default; a component may send
//! a request only to a scheme, host and port its `allowed_outbound_hosts` grants in `spin.toml`. A request
//! to anything else fails with `error-code::http-request-denied`, which is what Spin answers
//! (`factor-outbound-http`, `prepare_request`), before any connection is made.
//!
//! The forms read are Spin's (`outbound-networking-config`, `allowed_hosts.rs`):
//! `<scheme>://<host>[:<port>]`, where the scheme is a word or `*`; the host a name or address, `*`, or
//! `*.<domain>` (any subdomain of it); the port a number, `*`, or a range `a..b` (`b` excluded), and when
//! left out the scheme's own (80 for `http`, 443 for `https`); no path. Each entry may be a template over
//! application variables (`"https://{{ oidc_issuer_host }}"`), as in Spin. What Spin accepts and this
//! host does not serve (`self` requests, service chaining, CIDR ranges, lists in braces) stops start-up
//! with a sentence saying so, rather than being denied silently.

use anyhow::{Result, bail};
use std::ops::Range;

/// What one component may reach: nothing unless granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

/// One `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// `None`: any scheme (`*`).
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, kept as `.example.com`: any name that ends with it.
    Subdomain(String),
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    One(u16),
    /// `a..b`, `b` excluded (as Spin).
    Range(Range<u16>),
}

const LEARN_MORE: &str = "the form is <scheme>://<host>[:<port>], with '*' allowed for each";

impl AllowedHosts {
    /// The grants from the manifest's entries, each already rendered (no `{{ }}` left).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts> {
        if entries.len() == 1 && entries[0].as_ref() == "insecure:allow-all" {
            bail!(
                "'insecure:allow-all' is not allowed: use '*://*:*' to allow all outbound traffic"
            );
        }
        let hosts = entries
            .iter()
            .map(|entry| AllowedHost::parse(entry.as_ref()))
            .collect::<Result<_>>()?;
        Ok(AllowedHosts { hosts })
    }

    /// Whether a request to `uri` may be sent. A URI without a host (a "self" request) is not allowed.
    pub fn allows_uri(&self, uri: &http::Uri) -> bool {
        let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else {
            return false;
        };
        if host.is_empty() {
            return false;
        }
        // As Spin, which compares the host the `url` crate parsed: names in lower case.
        self.allows(
            &scheme.to_ascii_lowercase(),
            &host.to_ascii_lowercase(),
            uri.port_u16(),
        )
    }

    /// Whether `scheme://host[:port]` is granted; without a port, the scheme's own.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        self.hosts.iter().any(|h| h.allows(scheme, host, port))
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

impl AllowedHost {
    pub fn parse(entry: &str) -> Result<AllowedHost> {
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!(
                "{url:?} is not an allowed outbound host: it has no scheme (e.g. 'https://' or '*://'); {LEARN_MORE}"
            );
        };
        let scheme = match scheme {
            "*" => None,
            s if s.starts_with('{') => bail!("{url:?}: scheme lists are not supported"),
            s if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphabetic()) => {
                bail!("{url:?}: the scheme {s:?} is not a word")
            }
            // Kept as written: Spin compares it with the request's scheme, which is in lower case.
            s => Some(s.to_string()),
        };
        // A trailing '/' is allowed; any other path is not.
        let authority = match rest.split_once('/') {
            Some((authority, "")) => authority,
            Some(_) => bail!("{url:?} has a path, which an allowed outbound host may not have"),
            None => rest,
        };
        let (host, port) = authority.rsplit_once(':').unwrap_or((authority, ""));
        let host = host.trim();
        let host = match host {
            "" => bail!("{url:?} has no host; {LEARN_MORE}"),
            "*" => HostPattern::Any,
            "self" | "self.alt" => bail!(
                "{url:?}: requests to the app itself ('self') are not supported by this host (run under Spin)"
            ),
            h if h.starts_with('{') => bail!("{url:?}: host lists are not supported"),
            h if h.ends_with(".spin.internal") => bail!(
                "{url:?}: service chaining (*.spin.internal) is not supported by this host (run under Spin)"
            ),
            h if h.starts_with("*.") => {
                let domain = &h[1..];
                if domain.contains('*') {
                    bail!("{url:?}: a '*' is allowed only as the whole host or its first label");
                }
                HostPattern::Subdomain(domain.to_string())
            }
            h if h.contains('*') => {
                bail!("{url:?}: a '*' is allowed only as the whole host or its first label")
            }
            // As written, as Spin keeps it: an entry with capitals never matches a request (whose host is
            // in lower case) there, so it does not here either.
            h => HostPattern::Exact(h.to_string()),
        };
        let port = match port {
            "" => match scheme.as_deref().and_then(default_port) {
                Some(p) => PortPattern::One(p),
                None => bail!(
                    "{url:?} has no port, and its scheme has no port of its own: add one (':443', or ':*')"
                ),
            },
            "*" => PortPattern::Any,
            p if p.starts_with('{') => bail!("{url:?}: port lists are not supported"),
            p => match p.split_once("..") {
                Some((start, end)) => match (start.parse(), end.parse()) {
                    (Ok(start), Ok(end)) => PortPattern::Range(start..end),
                    _ => bail!("{url:?}: the port range {p:?} is not two numbers"),
                },
                None => match p.parse() {
                    Ok(port) => PortPattern::One(port),
                    Err(_) => bail!("{url:?}: the port {p:?} is not a number"),
                },
            },
        };
        Ok(AllowedHost { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Exact(h) => h == host,
        };
        let port_ok = match &self.port {
            PortPattern::Any => true,
            pattern => match port.or_else(|| default_port(scheme)) {
                Some(port) => match pattern {
                    PortPattern::One(p) => *p == port,
                    PortPattern::Range(range) => range.contains(&port),
                    PortPattern::Any => true,
                },
                None => false,
            },
        };
        scheme_ok && host_ok && port_ok
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(entries).unwrap()
    }

    fn allows(grants: &AllowedHosts, url: &str) -> bool {
        grants.allows_uri(&url.parse().unwrap())
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let none = AllowedHosts::default();
        assert!(!allows(&none, "https://example.com/"));
        assert!(!allows(&none, "http://127.0.0.1:8080/"));
    }

    #[test]
    fn scheme_host_and_port_must_all_match() {
        let g = grants(&["https://login.example.com", "http://127.0.0.1:*"]);
        assert!(allows(
            &g,
            "https://login.example.com/.well-known/openid-configuration"
        ));
        assert!(allows(&g, "https://LOGIN.example.com:443/"));
        assert!(!allows(&g, "http://login.example.com/"), "another scheme");
        assert!(
            !allows(&g, "https://login.example.com:8443/"),
            "another port"
        );
        assert!(
            !allows(&g, "https://evil.login.example.com/"),
            "a subdomain"
        );
        assert!(!allows(&g, "https://login.example.com.evil.test/"));
        // Requests' names are in lower case; grants are compared as written, as on Spin, where one
        // with capitals never matches.
        let capitals = grants(&["https://Login.example.com", "HTTPS://login.example.com:443"]);
        assert!(!allows(&capitals, "https://login.example.com/"));
        assert!(!allows(&capitals, "https://Login.example.com/"));
        assert!(allows(&g, "http://127.0.0.1:1/"));
        assert!(allows(&g, "http://127.0.0.1:65535/x"));
        assert!(
            allows(&g, "http://127.0.0.1/"),
            "the scheme's own port is a port"
        );
        assert!(!allows(&g, "https://127.0.0.1:8443/"));
        assert!(
            !allows(&g, "http://localhost:8080/"),
            "a name is not its address"
        );
    }

    #[test]
    fn any_scheme_subdomains_and_port_ranges() {
        let g = grants(&[
            "*://idp.test:8443",
            "https://*.example.com",
            "http://a.test:8000..8002",
        ]);
        assert!(allows(&g, "http://idp.test:8443/"));
        assert!(allows(&g, "https://idp.test:8443/"));
        assert!(!allows(&g, "https://idp.test/"));
        assert!(allows(&g, "https://a.example.com/"));
        assert!(allows(&g, "https://a.b.example.com/"));
        assert!(!allows(&g, "https://example.com/"));
        assert!(!allows(&g, "https://myexample.com/"));
        assert!(allows(&g, "http://a.test:8001/"));
        assert!(
            !allows(&g, "http://a.test:8002/"),
            "the end of a range is excluded"
        );
        let all = grants(&["*://*:*"]);
        assert!(allows(&all, "https://anything.test:1234/"));
    }

    #[test]
    fn a_relative_uri_is_never_allowed() {
        let all = grants(&["*://*:*"]);
        assert!(!allows(&all, "/path"));
    }

    #[test]
    fn what_spin_refuses_and_what_this_host_does_not_serve() {
        for (entry, expected) in [
            ("example.com", "no scheme"),
            ("example.com:443", "no scheme"),
            ("*", "no scheme"),
            ("https://example.com/path", "has a path"),
            ("*://example.com", "no port"),
            ("https://ex*mple.com", "'*'"),
            ("https://*.a*.com", "'*'"),
            ("https://example.com:https", "not a number"),
            ("https://example.com:1..x", "not two numbers"),
            ("http://self", "not supported by this host"),
            ("http://*.spin.internal", "not supported by this host"),
            ("h2c+tls://example.com:1", "not a word"),
        ] {
            let error = AllowedHost::parse(entry).unwrap_err().to_string();
            assert!(error.contains(expected), "{entry}: {error}");
        }
        assert!(AllowedHosts::parse(&["insecure:allow-all"]).is_err());
        // A trailing slash is allowed, as in Spin.
        assert!(allows(
            &grants(&["https://example.com/"]),
            "https://example.com/a"
        ));
    }
}
