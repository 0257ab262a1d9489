//! The OpenAPI document describes the app: every documented operation answers with a documented status,
//! content type and body shape, and every API route in spin.toml is documented.

mod support;
use serde_json::Value;
use support::{TestApp, agent, read, repo};

fn document() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("openapi.json")).unwrap()).unwrap()
}

/// Checks `value` against the subset of JSON Schema the document uses: `$ref`, `type` (one or a
/// list), `enum`, `required`, `properties`, `items`.
fn check(schema: &Value, value: &Value, doc: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let pointer = reference.trim_start_matches('#');
        return check(
            doc.pointer(pointer).expect("the $ref resolves"),
            value,
            doc,
            at,
            errors,
        );
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let ok = allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !ok {
            errors.push(format!("{at}: {actual} is not {allowed:?}"));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    for field in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if value.get(field).is_none() {
            errors.push(format!("{at}: missing required `{field}`"));
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, property) in properties {
            if let Some(field) = object.get(name) {
                check(property, field, doc, &format!("{at}/{name}"), errors);
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(items, item, doc, &format!("{at}/{i}"), errors);
        }
    }
}

#[test]
fn every_documented_operation_answers_as_documented() {
    let doc = document();
    let app = TestApp::start();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let url = app.url(path);
            let reply = match method.as_str() {
                "get" => read(agent().get(&url).call()),
                other => panic!("no request recipe for {other} {path}: add one here"),
            };
            let documented = &operation["responses"][reply.status.to_string()];
            assert!(
                documented.is_object(),
                "{method} {path} answered {}, which is not documented",
                reply.status
            );
            let content_type = reply
                .header("content-type")
                .split(';')
                .next()
                .unwrap()
                .trim()
                .to_string();
            let schema = &documented["content"][&content_type]["schema"];
            assert!(
                schema.is_object(),
                "{method} {path} {}: content type {content_type} is not documented",
                reply.status
            );
            let mut errors = Vec::new();
            check(schema, &reply.json(), &doc, "", &mut errors);
            assert!(errors.is_empty(), "{method} {path}: {errors:#?}");
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn the_validator_catches_a_wrong_body() {
    let doc = document();
    let schema = serde_json::json!({ "$ref": "#/components/schemas/HealthReport" });
    let mut errors = Vec::new();
    check(
        &schema,
        &serde_json::json!({ "status": "fine", "stores": {} }),
        &doc,
        "",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("fine")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("missing required `app`")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("missing required `key_value`")),
        "{errors:?}"
    );
}

#[test]
fn every_api_route_in_the_manifest_is_documented() {
    let doc = document();
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("spin.toml")).unwrap()).unwrap();
    for trigger in manifest["trigger"]["http"].as_array().unwrap() {
        let route = trigger["route"].as_str().unwrap_or_default();
        if let Some(api) = route.strip_prefix("/api/v1") {
            // `:id` in Spin is `{id}` in OpenAPI; `/...` covers the documented paths under it.
            let base = format!("/api/v1{}", api.trim_end_matches("/..."));
            let documented = doc["paths"]
                .as_object()
                .unwrap()
                .keys()
                .any(|p| p.starts_with(&base));
            assert!(documented, "route {route} is not in openapi.json");
        }
    }
}
