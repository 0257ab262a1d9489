//! Spin's HTTP route rules: exact segments, `:name` segments and a trailing `/...`;
//! the most specific route wins (segment by segment: exact, then `:name`, then the wildcard).

use anyhow::{Result, bail};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Wildcard,
    Param(String),
    Exact(String),
}

impl Segment {
    /// Higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Wildcard => 0,
            Segment::Param(_) => 1,
            Segment::Exact(_) => 2,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    /// The route as written in the manifest.
    pub raw: String,
    segments: Vec<Segment>,
    pub component: String,
}

impl Route {
    pub fn parse(raw: &str, component: &str) -> Result<Route> {
        let absolute = if raw.starts_with('/') {
            raw.to_string()
        } else {
            format!("/{raw}")
        };
        // Spin strips one trailing slash: `/foo/` is the route `/foo`.
        let trimmed = absolute.strip_suffix('/').unwrap_or(&absolute);
        let mut segments = Vec::new();
        let parts: Vec<&str> = trimmed.split('/').skip(1).collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let segment = match *part {
                "..." | "*" if last => Segment::Wildcard,
                "..." | "*" => bail!("route '{raw}': '{part}' may only end a route"),
                p if p.starts_with(':') => {
                    let name = &p[1..];
                    if name.is_empty() {
                        bail!("route '{raw}': a ':' segment needs a name");
                    }
                    Segment::Param(name.to_string())
                }
                p => Segment::Exact(p.to_string()),
            };
            segments.push(segment);
        }
        Ok(Route {
            raw: raw.to_string(),
            segments,
            component: component.to_string(),
        })
    }

    /// The route without its trailing wildcard (Spin's `spin-component-route`).
    pub fn prefix(&self) -> &str {
        self.raw.strip_suffix("/...").unwrap_or(&self.raw)
    }

    fn has_wildcard(&self) -> bool {
        matches!(self.segments.last(), Some(Segment::Wildcard))
    }

    fn matches(&self, path: &str) -> Option<RouteMatch<'_>> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let parts: Vec<&str> = if path == "/" || path.is_empty() {
            Vec::new()
        } else {
            path.split('/').skip(1).collect()
        };
        let fixed = if self.has_wildcard() {
            self.segments.len() - 1
        } else {
            self.segments.len()
        };
        if parts.len() < fixed || (!self.has_wildcard() && parts.len() != fixed) {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments[..fixed].iter().zip(&parts) {
            match segment {
                Segment::Exact(text) if text == part => {}
                Segment::Param(name) if !part.is_empty() => {
                    params.push((name.clone(), (*part).to_string()))
                }
                _ => return None,
            }
        }
        Some(RouteMatch {
            route: self,
            params,
            consumed: fixed,
        })
    }
}

#[derive(Debug)]
pub struct RouteMatch<'a> {
    pub route: &'a Route,
    /// Values of `:name` segments, in route order.
    pub params: Vec<(String, String)>,
    consumed: usize,
}

impl RouteMatch<'_> {
    /// What the trailing wildcard matched (`spin-path-info`), with Spin's handling of trailing slashes.
    pub fn path_info(&self, path: &str) -> String {
        if !self.route.has_wildcard() {
            return String::new();
        }
        let rest: Vec<&str> = path.split('/').skip(1 + self.consumed).collect();
        let rest = rest.join("/");
        match (rest.is_empty(), path.ends_with('/')) {
            (true, false) => String::new(),
            (true, true) => "/".to_string(),
            (false, _) => format!("/{rest}"),
        }
    }
}

/// All the application's routes. Later duplicates replace earlier ones, as in Spin.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub fn new(routes: impl IntoIterator<Item = Route>) -> Router {
        let mut kept: Vec<Route> = Vec::new();
        for route in routes {
            match kept.iter_mut().find(|r| r.segments == route.segments) {
                Some(existing) => {
                    eprintln!(
                        "warning: route '{}' is defined twice; component '{}' replaces '{}'",
                        route.raw, route.component, existing.component
                    );
                    *existing = route;
                }
                None => kept.push(route),
            }
        }
        Router { routes: kept }
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        self.routes
            .iter()
            .filter_map(|r| r.matches(path))
            .max_by(|a, b| specificity(a.route).cmp(&specificity(b.route)))
    }
}

/// Routes without a wildcard first (Spin: "exact beats wildcard"), then segment ranks compared in
/// order, then the longer route (Spin: "the longest matching prefix wins").
fn specificity(route: &Route) -> (bool, Vec<u8>, usize) {
    (
        !route.has_wildcard(),
        route.segments.iter().map(Segment::rank).collect(),
        route.segments.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::new(routes.iter().map(|(r, c)| Route::parse(r, c).unwrap()))
    }

    fn component<'a>(router: &'a Router, path: &str) -> Option<&'a str> {
        router.route(path).map(|m| m.route.component.as_str())
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[
            ("/...", "all"),
            ("/one", "one"),
            ("/one/...", "one-any"),
            ("/one/two/...", "two-any"),
            ("/users/:id", "user"),
            ("/users/me", "me"),
            ("/users/:id/...", "user-any"),
        ]);
        assert_eq!(component(&r, "/"), Some("all"));
        assert_eq!(component(&r, "/one"), Some("one"));
        assert_eq!(component(&r, "/one/x"), Some("one-any"));
        assert_eq!(component(&r, "/one/two/three/four"), Some("two-any"));
        assert_eq!(component(&r, "/users/me"), Some("me"));
        assert_eq!(component(&r, "/users/42"), Some("user"));
        assert_eq!(component(&r, "/users/42/cart"), Some("user-any"));
        assert_eq!(component(&r, "/other"), Some("all"));
    }

    #[test]
    fn no_route_no_match() {
        let r = router(&[("/a", "a"), ("/b/:x", "b")]);
        assert_eq!(component(&r, "/c"), None);
        assert_eq!(component(&r, "/b"), None);
        assert_eq!(component(&r, "/a/b"), None);
    }

    #[test]
    fn captures_params_and_path_info() {
        let r = router(&[("/users/:userid/cart/...", "cart")]);
        let path = "/users/1/cart/items/3/edit";
        let m = r.route(path).unwrap();
        assert_eq!(m.params, [("userid".to_string(), "1".to_string())]);
        assert_eq!(m.path_info(path), "/items/3/edit");
        assert_eq!(
            r.route("/users/1/cart").unwrap().path_info("/users/1/cart"),
            ""
        );
        assert_eq!(
            r.route("/users/1/cart/")
                .unwrap()
                .path_info("/users/1/cart/"),
            "/"
        );
    }

    #[test]
    fn later_duplicates_replace_earlier_ones() {
        let r = router(&[("/x", "first"), ("/x/", "second")]);
        assert_eq!(component(&r, "/x"), Some("second"));
    }

    #[test]
    fn rejects_a_wildcard_in_the_middle() {
        assert!(Route::parse("/a/.../b", "c").is_err());
        assert!(Route::parse("/a/:/b", "c").is_err());
    }
}
