//! Strict JSON decoding into typed values, with a failure named by its JSON Pointer (RFC 6901): the
//! request bodies (through the adapter) and documents assembled from a request, such as a search
//! record with an amendment applied.

use crate::problem::Problem;
use serde::de::DeserializeOwned;

/// Decodes a JSON value, naming a failed field by its pointer under `prefix`.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = format!("{prefix}{}", pointer(e.path()));
        field_problem(pointer, &e.into_inner().to_string())
    })
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

/// The JSON Pointer to where decoding failed.
pub fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// serde's message without its " at line N column M" suffix, as a sentence.
pub fn describe(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str() + ".")
        .unwrap_or_default()
}

/// Fails with the field errors, if there are any (422).
pub fn check(errors: Vec<(String, String)>) -> Result<(), Problem> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}
