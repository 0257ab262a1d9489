//! JSON Schema for the request bodies, from the same constants the validation uses: the types derive
//! `schemars::JsonSchema`, and the value types here say what a field holds where a plain `String` would
//! say too little (text within a length and free of control characters, a date, a time, a case id).
//! `openapi.json`'s request-body schemas are generated from them (`tests/api/openapi.rs`), so the
//! contract cannot drift from the code.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};
use std::borrow::Cow;

/// Control characters but tab, line feed and carriage return: what [`crate::values::text`] refuses.
const CONTROL: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";
/// White space as `str::trim` sees it (with the control characters): a character outside these makes
/// text not blank.
const BLANK: &str = r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Only the white space `char::is_whitespace` knows, for text that may hold control characters.
const WHITE_SPACE: &str =
    r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// The white space `str::trim` removes around a token's subject, control characters aside.
const SPACE: &str = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// A vocabulary's schema: a string, one of `words`, described by the enum's doc comment (its lines).
pub fn words<'a>(words: impl Iterator<Item = &'a str>, doc: &[&str]) -> Schema {
    let mut schema = json_schema!({ "type": "string", "enum": words.collect::<Vec<_>>() });
    let description: Vec<&str> = doc.iter().map(|line| line.trim()).collect();
    if !description.is_empty() {
        schema.insert("description".into(), description.join(" ").into());
    }
    schema
}

/// Text as [`crate::values::text`] takes it: not blank, at most `MAX` characters, no control characters
/// but tab, line feed and carriage return. A component `Text{MAX}`.
pub struct Text<const MAX: usize>;

impl<const MAX: usize> JsonSchema for Text<MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Text{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": MAX,
            "pattern": text_pattern(),
            "description": format!(
                "Text: not blank (not only white space), at most {MAX} characters, and no control \
                 characters but tab, line feed and carriage return."
            ),
        })
    }
}

/// The pattern of [`Text`]: no control character, and one character that is not white space.
pub fn text_pattern() -> String {
    format!("^[^{CONTROL}]*[^{BLANK}][^{CONTROL}]*$")
}

/// Text that is only not blank and within `MAX` characters (control characters allowed). A component
/// `FreeText{MAX}`.
pub struct FreeText<const MAX: usize>;

impl<const MAX: usize> JsonSchema for FreeText<MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("FreeText{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": MAX,
            "pattern": format!(r"^[\s\S]*[^{WHITE_SPACE}][\s\S]*$"),
            "description": format!(
                "Text: not blank (not only white space), at most {MAX} characters."
            ),
        })
    }
}

/// Optional text, as an answer's comment: absent, blank (taken as none), or [`Text`] of at most `MAX`
/// characters. A component `Comment{MAX}`.
pub struct Comment<const MAX: usize>;

impl<const MAX: usize> JsonSchema for Comment<MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Comment{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "null" },
                { "type": "string", "pattern": format!("^[{WHITE_SPACE}]*$") },
                { "type": "string", "maxLength": MAX, "pattern": text_pattern() },
            ],
            "description": format!(
                "Optional: blank, or up to {MAX} characters without control characters."
            ),
        })
    }
}

/// A token's subject: at most `MAX` characters once trimmed, not blank, no control characters.
pub struct Subject<const MAX: usize>;

impl<const MAX: usize> JsonSchema for Subject<MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Subject".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let middle = MAX - 2;
        json_schema!({
            "type": "string",
            "pattern": format!(
                "^[{SPACE}]*[^{BLANK}](?:[^{CONTROL_ALL}]{{0,{middle}}}[^{BLANK}])?[{SPACE}]*$",
                CONTROL_ALL = r"\u0000-\u001f\u007f-\u009f",
            ),
        })
    }
}

/// An RFC 3339 time.
pub struct DateTime;

impl JsonSchema for DateTime {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "DateTime".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date-time" })
    }
}

/// A calendar date, `YYYY-MM-DD`.
pub struct Date;

impl JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date" })
    }
}

/// A date of birth: a date from 1900 on.
pub struct DateOfBirth;

impl JsonSchema for DateOfBirth {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "DateOfBirth".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^(19[0-9]{2}|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$",
        })
    }
}

/// A case's id: 32 lowercase hexadecimal digits.
pub struct CaseId;

impl JsonSchema for CaseId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "CaseId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^[0-9a-f]{32}$" })
    }
}

/// Adds `if` `condition` `then` `then` to an object's schema (within `allOf` when it has one already).
pub fn when(schema: &mut Schema, condition: Value, then: Value) {
    let rule = json!({ "if": condition, "then": then });
    let object = schema.ensure_object();
    if let Some(Value::Array(rules)) = object.get_mut("allOf") {
        rules.push(rule);
    } else if object.contains_key("if") {
        let first = json!({ "if": object.remove("if"), "then": object.remove("then") });
        object.insert("allOf".into(), json!([first, rule]));
    } else {
        object.extend(rule.as_object().cloned().into_iter().flatten());
    }
}

/// The settings the request bodies' schemas are generated with: JSON Schema 2020-12 (OpenAPI 3.1's),
/// every named schema under `#/components/schemas/`, descriptions (doc comments) on one line.
pub fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .with_transform(schemars::transform::RecursiveTransform(
            |schema: &mut Schema| {
                if let Some(Value::String(text)) = schema.get_mut("description") {
                    *text = text.replace('\n', " ");
                }
            },
        ))
        .into_generator()
}
