//! Reads a Spin manifest (`spin.toml`, manifest version 2): the parts this host serves.
//!
//! Fields Spin accepts but this host does not act on (`files`, `environment`, `targets`, …) are accepted
//! and ignored, so one manifest serves both runtimes. `allowed_outbound_hosts` is enforced (`outbound`).

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An application as the host serves it: validated, with paths resolved against the manifest's folder.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Variable>,
    pub routes: Vec<HttpRoute>,
    pub components: BTreeMap<String, Component>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HttpRoute {
    /// The route as written in the manifest, e.g. `/api/v1/cases/:id` or `/...`.
    pub route: String,
    pub component: String,
}

#[derive(Debug, Clone)]
pub struct Component {
    pub id: String,
    pub source: PathBuf,
    pub key_value_stores: Vec<String>,
    pub sqlite_databases: Vec<String>,
    /// Component variables: name to template (`"{{ app_var }}"` or literal text).
    pub variables: BTreeMap<String, String>,
    /// Where the component may send requests: entries as written, each a template over application
    /// variables (rendered at start-up, then read by `outbound::AllowedHosts`).
    pub allowed_outbound_hosts: Vec<String>,
    pub build: Option<Build>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Build {
    pub command: Command,
    pub workdir: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Command {
    One(String),
    Many(Vec<String>),
}

impl Command {
    pub fn lines(&self) -> Vec<&str> {
        match self {
            Command::One(c) => vec![c.as_str()],
            Command::Many(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: i64,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, Variable>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: RawRoute,
    component: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

#[derive(Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    build: Option<Build>,
}

impl App {
    /// Loads and validates the manifest at `path`.
    pub fn load(path: &Path) -> Result<App> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the manifest {}", path.display()))?;
        let dir = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, &dir).with_context(|| format!("invalid manifest {}", path.display()))
    }

    pub fn parse(text: &str, dir: &Path) -> Result<App> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
        if raw.spin_manifest_version != 2 {
            bail!(
                "spin_manifest_version is {}, this host reads version 2",
                raw.spin_manifest_version
            );
        }
        for (name, var) in &raw.variables {
            check_variable_name(name)?;
            match (&var.default, var.required) {
                (Some(_), true) => {
                    bail!("variable '{name}' cannot be both required and have a default")
                }
                (None, false) => bail!("variable '{name}' needs a default or `required = true`"),
                _ => {}
            }
        }

        let mut components = BTreeMap::new();
        for (id, raw_component) in raw.component {
            check_component_id(&id)?;
            let source = match &raw_component.source {
                toml::Value::String(path) => dir.join(path),
                _ => bail!(
                    "component '{id}': only a local file `source` is supported by this host (a URL source needs the Spin CLI)"
                ),
            };
            for (name, template) in &raw_component.variables {
                check_variable_name(name)?;
                for reference in template_references(template)? {
                    if !raw.variables.contains_key(&reference) {
                        bail!(
                            "component '{id}': variable '{name}' refers to undefined application variable '{reference}'"
                        );
                    }
                }
            }
            // As Spin: literal entries must be valid now; templates once their variables have values.
            for entry in &raw_component.allowed_outbound_hosts {
                let references = template_references(entry)?;
                if references.is_empty() {
                    crate::outbound::AllowedHosts::parse(std::slice::from_ref(entry))
                        .with_context(|| format!("component '{id}': allowed_outbound_hosts"))?;
                }
                for reference in references {
                    if !raw.variables.contains_key(&reference) {
                        bail!(
                            "component '{id}': allowed_outbound_hosts entry {entry:?} refers to undefined application variable '{reference}'"
                        );
                    }
                }
            }
            components.insert(
                id.clone(),
                Component {
                    id,
                    source,
                    key_value_stores: raw_component.key_value_stores,
                    sqlite_databases: raw_component.sqlite_databases,
                    variables: raw_component.variables,
                    allowed_outbound_hosts: raw_component.allowed_outbound_hosts,
                    build: raw_component.build,
                },
            );
        }

        let mut routes = Vec::new();
        for trigger in raw.trigger.http {
            let Some(component) = trigger.component else {
                bail!(
                    "an HTTP trigger has no `component` (inline components and static responses are not supported by this host)"
                );
            };
            if !components.contains_key(&component) {
                bail!("an HTTP trigger names component '{component}', which is not defined");
            }
            match trigger.route {
                RawRoute::Path(route) => routes.push(HttpRoute { route, component }),
                RawRoute::Private { private: true } => {}
                RawRoute::Private { private: false } => {
                    bail!("component '{component}': route must be a path or `{{ private = true }}`")
                }
            }
        }

        Ok(App {
            name: raw.application.name,
            dir: dir.to_path_buf(),
            variables: raw.variables,
            routes,
            components,
        })
    }
}

/// Spin's rule: lowercase ASCII letters, digits and `_`, starting with a letter.
pub fn check_variable_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !starts_with_letter
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        bail!(
            "invalid variable name '{name}': use lowercase letters, digits and '_', starting with a letter"
        );
    }
    Ok(())
}

fn check_component_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !valid {
        bail!("invalid component id '{id}': use kebab-case (lowercase words joined by '-')");
    }
    Ok(())
}

/// Renders a template such as `"prefix-{{ name }}"`, asking `lookup` for each name it refers to.
pub fn render_template(
    template: &str,
    mut lookup: impl FnMut(&str) -> Result<String>,
) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unclosed '{{{{' in variable template '{template}'");
        };
        out.push_str(&rest[..start]);
        out.push_str(&lookup(after[..end].trim())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The application variables that a template refers to.
pub fn template_references(template: &str) -> Result<Vec<String>> {
    let mut names = Vec::new();
    render_template(template, |name| {
        names.push(name.to_string());
        Ok(String::new())
    })?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2
[application]
name = "demo"
[variables]
greeting = { default = "hi" }
token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "web"
[[trigger.http]]
route = { private = true }
component = "web"
[component.web]
source = "web.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = []
files = [{ source = "static", destination = "/" }]
[component.web.variables]
message = "{{ greeting }}, world"
[component.web.build]
command = "cargo build"
"#;

    #[test]
    fn parses_a_manifest_and_ignores_spin_only_fields() {
        let app = App::parse(GOOD, Path::new("/app")).unwrap();
        assert_eq!(app.name, "demo");
        assert_eq!(app.routes.len(), 1);
        let web = &app.components["web"];
        assert_eq!(web.source, Path::new("/app/web.wasm"));
        assert_eq!(web.key_value_stores, ["default"]);
        assert!(app.variables["token"].required);
    }

    #[test]
    fn rejects_what_spin_rejects() {
        let cases = [
            (
                GOOD.replace("spin_manifest_version = 2", "spin_manifest_version = 1"),
                "version 2",
            ),
            (
                GOOD.replace(
                    "greeting = { default = \"hi\" }",
                    "Greeting = { default = \"hi\" }",
                ),
                "invalid variable name",
            ),
            (
                GOOD.replace("token = { required = true, secret = true }", "token = { }"),
                "needs a default",
            ),
            (
                GOOD.replace("{{ greeting }}", "{{ nope }}"),
                "undefined application variable",
            ),
            (
                GOOD.replace("component = \"web\"\n[[", "component = \"nope\"\n[["),
                "not defined",
            ),
            (
                format!("{GOOD}[component.Bad_Id]\nsource = \"x.wasm\"\n"),
                "kebab-case",
            ),
            (
                GOOD.replace(
                    "allowed_outbound_hosts = []",
                    "allowed_outbound_hosts = [\"example.com\"]",
                ),
                "no scheme",
            ),
            (
                GOOD.replace(
                    "allowed_outbound_hosts = []",
                    "allowed_outbound_hosts = [\"https://{{ nope }}\"]",
                ),
                "undefined application variable 'nope'",
            ),
        ];
        for (text, expected) in cases {
            let error = format!("{:#}", App::parse(&text, Path::new(".")).unwrap_err());
            assert!(
                error.contains(expected),
                "{error} should mention {expected}"
            );
        }
    }

    #[test]
    fn finds_template_references() {
        assert_eq!(
            template_references("a {{ x }} b {{y}}").unwrap(),
            ["x", "y"]
        );
        assert!(template_references("{{ open").is_err());
    }
}
