//! The SpinKube manifests in `deploy/`: every force's overlay, rendered as `kubectl apply -k` renders it
//! (the few kustomize features the manifests use, applied here), is a SpinApp that SpinKube accepts,
//! with every variable the app declares set or defaulted, secrets only from Secrets, and settings the
//! app itself parses.

use crate::support::repo;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Reads a YAML file's documents as JSON values.
fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| {
            serde::Deserialize::deserialize(document)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
        })
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn yaml(path: &Path) -> Value {
    let mut documents = yaml_documents(path);
    assert_eq!(documents.len(), 1, "{}: one document", path.display());
    documents.remove(0)
}

/// The resources a kustomization renders: its resources (files, or folders with their own
/// kustomization), then its namespace, labels, annotations and patches. Anything else in a
/// kustomization fails the test rather than being ignored.
fn render(dir: &Path) -> Vec<Value> {
    let kustomization = yaml(&dir.join("kustomization.yaml"));
    let fields = kustomization.as_object().expect("a kustomization is a map");
    for key in fields.keys() {
        assert!(
            [
                "apiVersion",
                "kind",
                "resources",
                "namespace",
                "labels",
                "commonAnnotations",
                "patches"
            ]
            .contains(&key.as_str()),
            "{}: `{key}` is not applied by this test's renderer; extend it",
            dir.display()
        );
    }
    let mut resources = Vec::new();
    for resource in fields["resources"].as_array().expect("resources") {
        let path = dir.join(resource.as_str().unwrap());
        if path.is_dir() {
            resources.extend(render(&path));
        } else {
            resources.extend(yaml_documents(&path));
        }
    }
    for resource in &mut resources {
        let metadata = resource["metadata"].as_object_mut().expect("metadata");
        if let Some(namespace) = fields.get("namespace") {
            metadata.insert("namespace".into(), namespace.clone());
        }
        for label in fields
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            merge_into(metadata, "labels", &label["pairs"]);
        }
        if let Some(annotations) = fields.get("commonAnnotations") {
            merge_into(metadata, "annotations", annotations);
        }
    }
    for patch in fields
        .get("patches")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let body = yaml(&dir.join(patch["path"].as_str().expect("a patch's path")));
        match &body {
            // JSON 6902: applied to the resources its target selects.
            Value::Array(operations) => {
                let target = &patch["target"];
                let selected: Vec<&mut Value> = resources
                    .iter_mut()
                    .filter(|r| {
                        let kind = r["kind"] == target["kind"];
                        let name = r["metadata"]["name"] == target["name"];
                        let api = format!(
                            "{}/{}",
                            target["group"].as_str().unwrap_or(""),
                            target["version"].as_str().unwrap_or("")
                        );
                        kind && name && r["apiVersion"] == api.as_str()
                    })
                    .collect();
                assert_eq!(
                    selected.len(),
                    1,
                    "{patch}: its target selects one resource"
                );
                for resource in selected {
                    for operation in operations {
                        json_patch(resource, operation);
                    }
                }
            }
            // A merge patch: to the resource of its kind and name (maps merged, lists replaced, as
            // kustomize does for a custom resource, which has no merge keys).
            Value::Object(_) => {
                let resource = resources
                    .iter_mut()
                    .find(|r| {
                        r["apiVersion"] == body["apiVersion"]
                            && r["kind"] == body["kind"]
                            && r["metadata"]["name"] == body["metadata"]["name"]
                    })
                    .unwrap_or_else(|| panic!("{patch}: no resource of its kind and name"));
                merge_patch(resource, &body);
            }
            other => panic!("{patch}: neither a merge patch nor a JSON patch: {other}"),
        }
    }
    resources
}

fn merge_into(metadata: &mut Map<String, Value>, field: &str, pairs: &Value) {
    let entry = metadata
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    merge_patch(entry, pairs);
}

/// RFC 7386.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// RFC 6902's `add`, `replace` and `remove` (the only operations the overlays use).
fn json_patch(target: &mut Value, operation: &Value) {
    let path = operation["path"].as_str().expect("an operation's path");
    let (parent, last) = path.rsplit_once('/').expect("a JSON pointer");
    let parent = target
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{path}: no such parent"));
    let value = operation["value"].clone();
    match (operation["op"].as_str(), parent) {
        (Some("add"), Value::Array(items)) if last == "-" => items.push(value),
        (Some("add"), Value::Array(items)) => items.insert(last.parse().unwrap(), value),
        (Some("add" | "replace"), Value::Object(map)) => {
            map.insert(last.into(), value);
        }
        (Some("replace"), Value::Array(items)) => items[last.parse::<usize>().unwrap()] = value,
        (Some("remove"), Value::Array(items)) => {
            items.remove(last.parse().unwrap());
        }
        (Some("remove"), Value::Object(map)) => {
            map.remove(last);
        }
        (op, _) => panic!("{path}: operation {op:?} is not applied by this test"),
    }
}

/// A variable as `spin.toml` declares it.
#[derive(Debug, Clone)]
struct Declared {
    default: Option<String>,
    secret: bool,
}

fn declared_variables() -> BTreeMap<String, Declared> {
    let manifest: toml::Table = std::fs::read_to_string(repo().join("spin.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["variables"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(name, v)| {
            let declared = Declared {
                default: v
                    .get("default")
                    .and_then(|d| d.as_str())
                    .map(str::to_string),
                secret: v.get("secret").and_then(|s| s.as_bool()) == Some(true),
            };
            (name.clone(), declared)
        })
        .collect()
}

/// The routes `spin.toml` gives the health component.
fn health_routes() -> Vec<String> {
    let manifest: toml::Table = std::fs::read_to_string(repo().join("spin.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["trigger"]["http"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["component"].as_str() == Some("health"))
        .map(|t| t["route"].as_str().unwrap().to_string())
        .collect()
}

/// What is wrong with a rendered SpinApp, for SpinKube and for the app; empty when nothing is.
fn problems(app: &Value, declared: &BTreeMap<String, Declared>) -> Vec<String> {
    let mut found = Vec::new();
    let mut expect = |ok: bool, problem: String| {
        if !ok {
            found.push(problem);
        }
    };
    let spec = &app["spec"];
    expect(
        app["apiVersion"] == "core.spinkube.dev/v1alpha1" && app["kind"] == "SpinApp",
        format!(
            "not a core.spinkube.dev/v1alpha1 SpinApp: {} {}",
            app["apiVersion"], app["kind"]
        ),
    );
    expect(
        app["metadata"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
            && app["metadata"]["namespace"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
        "metadata needs a name and a namespace (one per force)".into(),
    );
    let image = spec["image"].as_str().unwrap_or("");
    let last = image.rsplit('/').next().unwrap_or("");
    expect(
        !image.is_empty() && (last.contains(':') || image.contains("@sha256:")),
        format!("spec.image `{image}` needs a tag or a digest (what `spin registry push` pushed)"),
    );
    expect(
        spec["executor"] == "containerd-shim-spin",
        format!(
            "spec.executor is {}, not containerd-shim-spin",
            spec["executor"]
        ),
    );
    expect(
        spec["replicas"].as_u64().is_some_and(|r| r >= 1),
        format!("spec.replicas is {}", spec["replicas"]),
    );
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            expect(
                spec["resources"][bound][resource].is_string(),
                format!("spec.resources.{bound}.{resource} is not set"),
            );
        }
    }
    let health = health_routes();
    for (check, path) in [
        ("liveness", "/api/v1/health"),
        ("readiness", "/api/v1/health/ready"),
    ] {
        let given = &spec["checks"][check]["httpGet"]["path"];
        expect(
            given == path && health.iter().any(|r| r == path),
            format!(
                "spec.checks.{check}.httpGet.path is {given}, not the health component's {path}"
            ),
        );
    }
    expect(
        spec["runtimeConfig"]["loadFromSecret"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "spec.runtimeConfig.loadFromSecret names no Secret (the stores' runtime config)".into(),
    );
    let mut set: BTreeMap<String, &Value> = BTreeMap::new();
    for variable in spec["variables"].as_array().into_iter().flatten() {
        let name = variable["name"].as_str().unwrap_or("").to_string();
        let literal = variable["value"].is_string();
        let reference = &variable["valueFrom"]["secretKeyRef"];
        let from_secret = reference["name"].is_string() && reference["key"].is_string();
        expect(
            literal != from_secret,
            format!(
                "variable `{name}`: exactly one of `value` or `valueFrom.secretKeyRef` (name, key)"
            ),
        );
        match declared.get(&name) {
            None => expect(
                false,
                format!("variable `{name}` is not declared in spin.toml"),
            ),
            Some(d) => expect(
                !d.secret || from_secret,
                format!(
                    "variable `{name}` is a secret: set it from a Secret, never a literal value"
                ),
            ),
        }
        expect(
            set.insert(name.clone(), variable).is_none(),
            format!("variable `{name}` is set twice"),
        );
    }
    for (name, d) in declared {
        expect(
            d.default.is_some() || set.contains_key(name),
            format!(
                "`{name}` has no default in spin.toml and is set neither in the base nor in the overlay"
            ),
        );
    }
    // What the app reads: the literal values, a placeholder for each secret, spin.toml's defaults.
    let value = |name: &str| -> Option<String> {
        set.get(name).map(|v| match v["value"].as_str() {
            Some(text) => text.to_string(),
            None => "placeholder-secret-value-0123456789abcdef".to_string(),
        })
    };
    match stalking_response::settings::Settings::from_variables(value) {
        Ok(settings) => expect(
            settings.check_personal_data_allowed().is_ok(),
            "the app would serve no personal data with these variables (in production: audit_checkpoint_key)".into(),
        ),
        Err(e) => expect(false, format!("the app refuses variable `{}`: {}", e.variable, e.problem)),
    }
    found
}

fn forces() -> Vec<std::path::PathBuf> {
    let mut forces: Vec<_> = std::fs::read_dir(repo().join("deploy/forces"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("kustomization.yaml").exists())
        .collect();
    forces.sort();
    assert!(
        !forces.is_empty(),
        "deploy/forces/ holds at least one force"
    );
    forces
}

#[test]
fn every_force_renders_a_spinapp_spinkube_accepts_with_every_variable_set() {
    let declared = declared_variables();
    for force in forces() {
        let resources = render(&force);
        assert!(
            resources.iter().all(|r| r["kind"] != "Secret"),
            "{}: no Secret is committed; they are made per force",
            force.display()
        );
        let apps: Vec<&Value> = resources
            .iter()
            .filter(|r| r["kind"] == "SpinApp")
            .collect();
        assert_eq!(apps.len(), 1, "{}: one SpinApp", force.display());
        let app = apps[0];
        let found = problems(app, &declared);
        assert!(
            found.is_empty(),
            "{}:\n{}",
            force.display(),
            found.join("\n")
        );
        let annotations = &app["metadata"]["annotations"];
        assert!(
            annotations["stalking-response.police.uk/force-name"].is_string()
                && annotations["stalking-response.police.uk/population"]
                    .as_str()
                    .and_then(|p| p.parse::<u64>().ok())
                    .is_some_and(|p| p > 0),
            "{}: the force's name and population: {annotations}",
            force.display()
        );
        let code = app["spec"]["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "force_code");
        assert!(
            code.is_some_and(|c| c["value"] != "DEV"),
            "{}: the overlay sets the force's own code",
            force.display()
        );
    }
}

#[test]
fn a_variable_without_a_default_must_be_set_and_secrets_come_from_secrets() {
    let force = &forces()[0];
    let app = render(force)
        .into_iter()
        .find(|r| r["kind"] == "SpinApp")
        .unwrap();
    let mut declared = declared_variables();
    declared.insert(
        "police_area".into(),
        Declared {
            default: None,
            secret: false,
        },
    );
    let found = problems(&app, &declared);
    assert_eq!(
        found,
        [
            "`police_area` has no default in spin.toml and is set neither in the base nor in the overlay"
        ]
    );

    // A secret written as a literal, a variable spin.toml does not declare, a bad risk policy.
    let mut broken = app.clone();
    let variables = broken["spec"]["variables"].as_array_mut().unwrap();
    for variable in variables.iter_mut() {
        if variable["name"] == "audit_checkpoint_key" {
            *variable =
                serde_json::json!({ "name": "audit_checkpoint_key", "value": "in-the-repo" });
        }
        if variable["name"] == "risk_bands" {
            variable["value"] = "dash: medium=high".into();
        }
    }
    variables.push(serde_json::json!({ "name": "force_nmae", "value": "x" }));
    let found = problems(&broken, &declared_variables()).join("\n");
    for expected in [
        "`audit_checkpoint_key` is a secret",
        "`force_nmae` is not declared",
        "refuses variable `risk_bands`",
    ] {
        assert!(found.contains(expected), "{expected}: {found}");
    }
}

#[test]
fn the_example_runtime_config_points_the_stores_at_redis_and_libsql_with_placeholders_only() {
    let text = std::fs::read_to_string(repo().join("deploy/runtime-config.example.toml")).unwrap();
    let config: toml::Table = text.parse().unwrap();
    let kv = &config["key_value_store"]["default"];
    let db = &config["sqlite_database"]["default"];
    assert_eq!(kv["type"].as_str(), Some("redis"));
    assert!(kv["url"].as_str().unwrap().contains(":CHANGE-ME@"));
    assert_eq!(db["type"].as_str(), Some("libsql"));
    assert!(db["url"].as_str().unwrap().starts_with("https://"));
    assert_eq!(db["token"].as_str(), Some("CHANGE-ME"));
}
