//! Strict JSON decoding into typed values, with a failure named by its JSON Pointer (RFC 6901): the
//! request bodies (through the adapter) and documents assembled from a request, such as a search
//! record with an amendment applied.
//!
//! Every JSON text the app decodes, a request body or a stored document, goes through one
//! deserializer, serde_json's over a byte slice (`from_json`): serde's code for a type is generated once
//! per deserializer it is read with, so one deserializer keeps each component's code to one copy per
//! type. (Decoding bodies through `serde_path_to_error` and amended documents from a `Value` gave
//! every request type two more copies, a third of the largest components.) The field a failure is
//! about is found afterwards from where serde_json stopped (`pointer_at`), as `serde_path_to_error`
//! named it.

use crate::problem::Problem;
use serde::de::DeserializeOwned;

/// Decodes a JSON text: the one deserializer the app decodes JSON with (see the module's note).
pub fn from_json<T: DeserializeOwned>(json: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(json)
}

/// Decodes a JSON value, naming a failed field by its pointer under `prefix`.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, Problem> {
    let json = serde_json::to_vec(&value).expect("a JSON value serialises");
    from_json(&json).map_err(|e| field_error(&json, prefix, &e))
}

/// The 422 for a JSON text that is well-formed but not what was expected: the field named by its
/// pointer under `prefix`.
pub fn field_error(json: &[u8], prefix: &str, error: &serde_json::Error) -> Problem {
    let message = error.to_string();
    let pointer = format!(
        "{prefix}{}",
        pointer_at(json, error.line(), error.column(), &message)
    );
    field_problem(pointer, &message)
}

/// A 422 for one field; a missing field is named by its own pointer, not its parent's.
pub fn field_problem(pointer: String, message: &str) -> Problem {
    let pointer = match message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
    {
        Some((field, _)) => format!("{pointer}/{field}"),
        None => pointer,
    };
    Problem::validation(vec![(pointer, describe(message))])
}

/// Where a reader of `json` is, as it reads: the containers it is in.
enum Frame {
    /// In an object: the last key read, and whether a key is next (after `{` or `,`).
    Object { key: Option<String>, key_next: bool },
    /// In an array: how many elements have begun, and whether another is next (after `[` or `,`).
    Array { begun: usize, next: bool },
}

/// The JSON Pointer of the value serde_json's error at `line` and `column` (as `serde_json::Error`
/// gives them, 1-based lines, 0-based byte columns) is about, in `json`, well-formed up to there.
///
/// serde_json reports an error about a value just after the value (a scalar of the wrong type or
/// an unknown word: after it; an unknown key: after the key), at its first byte (an object or array of
/// the wrong type), or, when the value's own type refused it after reading it (not serde_json), where
/// its container's reader stands then: at the `,` after it, or just after the container's end. An
/// error about a container itself (a missing field, too few elements) comes just after its end, or
/// just after its start (where an enum's word was expected) or its key (naming no variant of an enum);
/// a duplicate key, which
/// serde_path_to_error names by its object, just after the key. No position (line 0): the top-level
/// value.
pub fn pointer_at(json: &[u8], line: usize, column: usize, message: &str) -> String {
    if line == 0 {
        return String::new();
    }
    let mut start = 0;
    for _ in 1..line {
        match json[start..].iter().position(|&b| b == b'\n') {
            Some(at) => start += at + 1,
            None => break,
        }
    }
    let offset = (start + column).min(json.len());

    let mut stack: Vec<Frame> = Vec::new();
    // Set just after a container's end: the segment of its last value, if it had one.
    let mut closed: Option<Option<String>> = None;
    // Set just after a container's start, where serde_json reports a container it cannot take.
    let mut opened = false;
    // Set just after a key, where serde_json reports an unknown key (or, of an enum, variant).
    let mut keyed = false;
    let mut i = 0;
    while i < offset {
        let byte = json[i];
        closed = None;
        opened = byte == b'{' || byte == b'[';
        keyed = false;
        match byte {
            b'{' | b'[' => {
                value_begins(&mut stack);
                stack.push(if byte == b'{' {
                    Frame::Object {
                        key: None,
                        key_next: true,
                    }
                } else {
                    Frame::Array {
                        begun: 0,
                        next: true,
                    }
                });
                i += 1;
            }
            b'}' | b']' => {
                closed = Some(match stack.pop() {
                    Some(Frame::Array { begun, .. }) => {
                        (begun > 0).then(|| format!("/{}", begun - 1))
                    }
                    frame => frame.as_ref().and_then(segment),
                });
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { key, key_next }) => (*key, *key_next) = (None, true),
                    Some(Frame::Array { next, .. }) => *next = true,
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(json, i);
                match stack.last_mut() {
                    Some(Frame::Object { key, key_next }) if *key_next => {
                        (*key, *key_next) = (Some(unescape(&json[i..end])), false);
                        keyed = true;
                    }
                    _ => value_begins(&mut stack),
                }
                i = end;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => i += 1,
            _ => {
                // A number, `true`, `false` or `null`.
                value_begins(&mut stack);
                while i < json.len() && !b" \t\n\r,:]}".contains(&json[i]) {
                    i += 1;
                }
            }
        }
    }

    // An object given for an enum names its variant by its key: the error is about the object.
    if opened || (keyed && message.starts_with("unknown variant")) {
        stack.pop();
    }
    let mut pointer: String = stack.iter().filter_map(segment).collect();
    match closed {
        // Just after a container's end: the error is about the container, or else its last value.
        Some(last) => {
            let about_container = ["missing field", "invalid length"]
                .iter()
                .any(|prefix| message.starts_with(prefix));
            if !about_container {
                pointer.push_str(&last.unwrap_or_default());
            }
        }
        None if message.starts_with("duplicate field") => {
            if let Some(key) = stack.last().and_then(segment) {
                pointer.truncate(pointer.len() - key.len());
            }
        }
        None => {}
    }
    pointer
}

/// A container's segment of the pointer: its current key or element, if it has one.
fn segment(frame: &Frame) -> Option<String> {
    match frame {
        Frame::Object { key, .. } => key.as_deref().map(escape),
        // At a `,` or `[` the next element is the one about to be read.
        Frame::Array { begun, next: true } => Some(format!("/{begun}")),
        Frame::Array { begun: 0, .. } => None,
        Frame::Array { begun, .. } => Some(format!("/{}", begun - 1)),
    }
}

fn escape(key: &str) -> String {
    format!("/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A value begins in the innermost container: in an array, its next element.
fn value_begins(stack: &mut [Frame]) {
    if let Some(Frame::Array { begun, next }) = stack.last_mut()
        && *next
    {
        (*begun, *next) = (*begun + 1, false);
    }
}

/// The index just after the string that starts at `start` (its closing quote).
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < json.len() {
        match json[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    json.len()
}

/// A key's text, its escapes undone.
fn unescape(quoted: &[u8]) -> String {
    if quoted.contains(&b'\\') {
        from_json(quoted).unwrap_or_default()
    } else {
        String::from_utf8_lossy(&quoted[1..quoted.len().saturating_sub(1)]).into_owned()
    }
}

/// serde's message without its " at line N column M" suffix, as a sentence.
pub fn describe(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    if message.is_empty() {
        return String::new();
    }
    // serde's messages begin with an ASCII word ("unknown field", "invalid type", "missing field").
    crate::problem::capitalise(message) + "."
}

/// Fails with the field errors, if there are any (422).
pub fn check(errors: Vec<(String, String)>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The pointer `serde_path_to_error` gives (what request bodies were decoded with before), made a
    /// problem as the app does.
    fn tracked<T: DeserializeOwned>(json: &[u8]) -> Option<Problem> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let e = serde_path_to_error::deserialize::<_, T>(&mut deserializer).err()?;
        Some(field_problem(
            pointer_of(e.path()),
            &e.into_inner().to_string(),
        ))
    }

    /// A `serde_path_to_error` path as a JSON pointer.
    fn pointer_of(path: &serde_path_to_error::Path) -> String {
        path.iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(format!("/{index}")),
                serde_path_to_error::Segment::Map { key } => Some(escape(key)),
                _ => None,
            })
            .collect()
    }

    /// As `tracked`, from a `Value` (what documents assembled from a request were decoded with).
    fn tracked_value<T: DeserializeOwned>(value: &Value) -> Option<Problem> {
        let e = serde_path_to_error::deserialize::<_, T>(value.clone()).err()?;
        Some(field_problem(
            format!("/changes{}", pointer_of(e.path())),
            &e.into_inner().to_string(),
        ))
    }

    fn untracked<T: DeserializeOwned>(json: &[u8]) -> Option<Problem> {
        let e = from_json::<T>(json).err()?;
        Some(field_error(json, "", &e))
    }

    /// Every node's path in a document.
    fn paths(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        let children: Vec<(String, &Value)> = match value {
            Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => vec![],
        };
        for (key, child) in children {
            at.push(key);
            paths(child, at, out);
            at.pop();
        }
    }

    fn node<'v>(value: &'v mut Value, path: &[String]) -> &'v mut Value {
        path.iter().fold(value, |v, key| match v {
            Value::Object(map) => map.get_mut(key).unwrap(),
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            _ => unreachable!(),
        })
    }

    /// The example's wrong versions: each node replaced by each kind of value or removed, each
    /// object given an unknown key, each array another element of each kind.
    fn wrong_versions(example: &Value) -> Vec<Value> {
        let kinds = [
            json!("x"),
            json!("2024-01-01T00:00:00Z"),
            json!(-1),
            json!(7),
            json!(1.5),
            json!(true),
            json!(null),
            json!([]),
            json!(["x"]),
            json!({}),
            json!({ "k": 1 }),
        ];
        let mut all = Vec::new();
        paths(example, &mut vec![], &mut all);
        let mut out = Vec::new();
        for path in &all {
            for kind in &kinds {
                let mut v = example.clone();
                *node(&mut v, path) = kind.clone();
                out.push(v);
            }
            let mut v = example.clone();
            match node(&mut v, path) {
                Value::Object(map) => {
                    map.insert("zz_unknown".into(), json!(1));
                    out.push(v);
                }
                Value::Array(items) => {
                    items.clear();
                    out.push(v);
                    for kind in &kinds {
                        let mut v = example.clone();
                        if let Value::Array(items) = node(&mut v, path) {
                            items.push(kind.clone());
                        }
                        out.push(v);
                    }
                }
                _ => {}
            }
            if let Some((last, parent)) = path.split_last() {
                let mut v = example.clone();
                if let Value::Object(map) = node(&mut v, parent) {
                    map.remove(last);
                    out.push(v);
                }
            }
        }
        out
    }

    /// The pointers named for wrong bodies are `serde_path_to_error`'s, for every request body the API
    /// takes (its OpenAPI example, made wrong in every way), compact or pretty-printed.
    fn agrees<T: DeserializeOwned>(schema: &str, failures: &mut Vec<String>) {
        let document: Value =
            serde_json::from_str(include_str!("../openapi.json")).expect("openapi.json parses");
        let mut examples = Vec::new();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let body = &operation["requestBody"]["content"]["application/json"];
                if body["schema"]["$ref"] == format!("#/components/schemas/{schema}") {
                    examples.push(body["example"].clone());
                }
            }
        }
        assert!(!examples.is_empty(), "no example of {schema}");
        for example in examples {
            assert!(
                from_json::<T>(example.to_string().as_bytes()).is_ok(),
                "{schema}"
            );
            for wrong in wrong_versions(&example) {
                // From a `Value` the pointers agree; the details are the body's, which say less
                // for an enum given something else ("Expected value." rather than "Invalid type:
                // integer `7`, expected string or map.").
                let pointers = |p: &Option<Problem>| {
                    p.as_ref().map(|p| {
                        p.errors
                            .iter()
                            .map(|e| e.pointer.clone())
                            .collect::<Vec<_>>()
                    })
                };
                let (expected, found) = (
                    tracked_value::<T>(&wrong),
                    decode::<T>(wrong.clone(), "/changes").err(),
                );
                if pointers(&expected) != pointers(&found) {
                    failures.push(format!(
                        "{schema} (value): {wrong}\n  serde_path_to_error: {:?}\n  pointer_at: {:?}",
                        pointers(&expected),
                        pointers(&found)
                    ));
                }
                for text in [
                    serde_json::to_vec(&wrong).unwrap(),
                    serde_json::to_vec_pretty(&wrong).unwrap(),
                ] {
                    let (expected, found) = (tracked::<T>(&text), untracked::<T>(&text));
                    let pointers =
                        |p: &Option<Problem>| p.as_ref().map(|p| format!("{:?}", p.errors));
                    if pointers(&expected) != pointers(&found) {
                        failures.push(format!(
                            "{schema}: {}\n  serde_path_to_error: {:?}\n  pointer_at: {:?}",
                            String::from_utf8_lossy(&text),
                            pointers(&expected),
                            pointers(&found)
                        ));
                    }
                }
            }
        }
    }

    #[test]
    fn a_wrong_body_is_named_as_serde_path_to_error_named_it() {
        use crate::{access, cases, pins, risk, searches, services};
        let mut failures = Vec::new();
        agrees::<access::tokens::NewToken>("NewToken", &mut failures);
        agrees::<cases::intake::NewCase>("NewCase", &mut failures);
        agrees::<cases::intake::NewOccurrence>("NewOccurrence", &mut failures);
        agrees::<cases::decision::CrimeDecision>("CrimeDecision", &mut failures);
        agrees::<pins::PinRequest>("PinRequest", &mut failures);
        agrees::<pins::PinDecision>("PinDecision", &mut failures);
        agrees::<risk::requests::NewAssessment>("NewAssessment", &mut failures);
        agrees::<risk::requests::NewReview>("NewReview", &mut failures);
        agrees::<risk::referrals::Sharing>("Sharing", &mut failures);
        agrees::<searches::SearchRecord>("SearchRecord", &mut failures);
        agrees::<services::searches::Amendment>("SearchAmendment", &mut failures);
        assert!(
            failures.is_empty(),
            "{} disagreements, e.g.\n{}",
            failures.len(),
            failures
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn keys_with_escapes_and_duplicate_keys() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            a: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            #[serde(rename = "a/b~c\"d")]
            odd: Vec<Inner>,
        }
        for text in [
            r#"{"a/b~c\"d": [{"a": 1}, {"a": "x"}]}"#,
            r#"{"a/b~c\"d": [{"a": 1}, {"a": 1, "a": 2}]}"#,
            r#"{"a/b~c\"d": [{"a": 1}, {"b": 2}]}"#,
            r#"{"a/b~c\"d": [{"a": 1}, {}]}"#,
            r#"{"a/b~c\"d": [{"a": 1}, []]}"#,
            r#"{"a\u002fb~c\"d": {}}"#,
        ] {
            let (expected, found) = (
                tracked::<Outer>(text.as_bytes()),
                untracked::<Outer>(text.as_bytes()),
            );
            assert_eq!(
                format!("{:?}", expected.map(|p| p.errors)),
                format!("{:?}", found.map(|p| p.errors)),
                "{text}"
            );
        }
    }
}
