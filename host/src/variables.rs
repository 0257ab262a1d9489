//! Application variables (`[variables]`): a default, or a value from `SPIN_VARIABLE_<NAME>`; and each
//! component's variables, templates over them (`"{{ name }}"`), resolved at start-up.

use crate::manifest::{App, render_template};
use anyhow::{Result, bail};
use std::collections::BTreeMap;

/// The values a component may read, by component id then variable name.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    by_component: BTreeMap<String, BTreeMap<String, String>>,
    /// The application variables' values, for templates read by the host itself (`allowed_outbound_hosts`).
    app: BTreeMap<String, String>,
}

impl Variables {
    /// Resolves every component variable. `env` gives the provider's values (normally `std::env::var`).
    /// A required application variable without a value stops start-up.
    pub fn resolve(app: &App, env: impl Fn(&str) -> Option<String>) -> Result<Variables> {
        let mut values = BTreeMap::new();
        for (name, variable) in &app.variables {
            let from_env = env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()));
            match from_env.or_else(|| variable.default.clone()) {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None => bail!(
                    "the required variable '{name}' has no value: set SPIN_VARIABLE_{}",
                    name.to_ascii_uppercase()
                ),
            }
        }

        let mut by_component = BTreeMap::new();
        for (id, component) in &app.components {
            let mut resolved = BTreeMap::new();
            for (name, template) in &component.variables {
                let value = render_template(template, |reference| {
                    values.get(reference).cloned().ok_or_else(|| {
                        anyhow::anyhow!("undefined application variable '{reference}'")
                    })
                })?;
                resolved.insert(name.clone(), value);
            }
            by_component.insert(id.clone(), resolved);
        }
        Ok(Variables {
            by_component,
            app: values,
        })
    }

    /// Renders a template over the application variables, e.g. `"https://{{ issuer_host }}"`.
    pub fn render(&self, template: &str) -> Result<String> {
        render_template(template, |reference| {
            self.app
                .get(reference)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("undefined application variable '{reference}'"))
        })
    }

    pub fn get(&self, component: &str, name: &str) -> Option<&str> {
        self.by_component
            .get(component)?
            .get(name)
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const MANIFEST: &str = r#"
spin_manifest_version = 2
[application]
name = "v"
[variables]
greeting = { default = "hello" }
who = { default = "world" }
token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "c.wasm"
[component.c.variables]
message = "{{ greeting }}, {{who}}!"
token = "{{ token }}"
plain = "text"
"#;

    #[test]
    fn defaults_templates_and_environment_overrides() {
        let app = App::parse(MANIFEST, Path::new(".")).unwrap();
        let vars = Variables::resolve(&app, |name| {
            (name == "SPIN_VARIABLE_TOKEN" || name == "SPIN_VARIABLE_WHO")
                .then(|| format!("from {name}"))
        })
        .unwrap();
        assert_eq!(
            vars.get("c", "message"),
            Some("hello, from SPIN_VARIABLE_WHO!")
        );
        assert_eq!(vars.get("c", "token"), Some("from SPIN_VARIABLE_TOKEN"));
        assert_eq!(vars.get("c", "plain"), Some("text"));
        assert_eq!(vars.get("c", "nope"), None);
        assert_eq!(
            vars.render("https://{{ who }}:443").unwrap(),
            "https://from SPIN_VARIABLE_WHO:443"
        );
        assert!(vars.render("{{ nope }}").is_err());
    }

    #[test]
    fn a_missing_required_variable_stops_start_up() {
        let app = App::parse(MANIFEST, Path::new(".")).unwrap();
        let error = Variables::resolve(&app, |_| None).unwrap_err().to_string();
        assert!(error.contains("SPIN_VARIABLE_TOKEN"), "{error}");
    }
}
