//! JSON Schema → Gemini `responseSchema` (a subset of the OpenAPI 3.0 schema object).
//!
//! Gemini rejects a request whose schema holds a keyword it does not know, so the translation
//! keeps an allow-list rather than stripping a deny-list:
//!
//! - kept as is: `format`, `title`, `description`, `nullable`, `default`, `example`,
//!   `minItems`, `maxItems`, `minLength`, `maxLength`, `minProperties`, `maxProperties`,
//!   `minimum`, `maximum`, `pattern`, `required`, `propertyOrdering`;
//! - translated: `type` is upper-cased (`"string"` → `"STRING"`); a type list drops `"null"`
//!   for `nullable: true` and turns several remaining types into `anyOf`; `oneOf` becomes
//!   `anyOf` (looser, fine for generation); `const` with a string becomes a one-value `enum`;
//!   `properties`, `items` and `anyOf` members are translated recursively;
//! - dropped: everything else, notably `additionalProperties`, `$schema`, `$id`, `$ref`,
//!   `$defs`/`definitions`, `allOf`, `not`, `if`/`then`/`else`, `patternProperties`,
//!   `uniqueItems`, `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`, `examples`, tuple
//!   `items`/`prefixItems`, and an `enum` with a non-string value (Gemini enums are strings).
//!
//! What is dropped only loosens the request: the output guard still checks the answer against
//! the strict schema.

use serde_json::{Map, Value};

const KEPT: [&str; 17] = [
    "format",
    "title",
    "description",
    "nullable",
    "default",
    "example",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "pattern",
    "required",
    "propertyOrdering",
];

/// Deeper nesting than this is cut off (an unconstrained `{}`): no real reply schema is this
/// deep, and recursion stays bounded whatever the caller passes.
const MAX_DEPTH: usize = 32;

/// The Gemini form of a JSON schema; see the module documentation for what changes.
pub fn to_gemini_schema(schema: &Value) -> Value {
    Value::Object(convert(schema, 0))
}

fn convert(schema: &Value, depth: usize) -> Map<String, Value> {
    let mut out = Map::new();
    let Value::Object(map) = schema else {
        // `true` or anything else that is not an object schema: unconstrained.
        return out;
    };
    if depth >= MAX_DEPTH {
        return out;
    }
    let mut any_of = Vec::new();
    for (key, value) in map {
        match (key.as_str(), value) {
            ("type", _) => convert_type(value, &mut out, &mut any_of),
            ("properties", Value::Object(properties)) => {
                let converted = properties
                    .iter()
                    .map(|(name, property)| {
                        (name.clone(), Value::Object(convert(property, depth + 1)))
                    })
                    .collect();
                out.insert(key.clone(), Value::Object(converted));
            }
            ("items", Value::Object(_)) => {
                out.insert(key.clone(), Value::Object(convert(value, depth + 1)));
            }
            ("anyOf" | "oneOf", Value::Array(members)) => any_of.extend(
                members
                    .iter()
                    .map(|member| Value::Object(convert(member, depth + 1))),
            ),
            ("enum", Value::Array(values)) if values.iter().all(Value::is_string) => {
                out.insert(key.clone(), value.clone());
            }
            ("const", Value::String(_)) => {
                out.insert("enum".to_owned(), Value::Array(vec![value.clone()]));
            }
            (kept, _) if KEPT.contains(&kept) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    if !any_of.is_empty() {
        out.insert("anyOf".to_owned(), Value::Array(any_of));
    }
    out
}

fn convert_type(value: &Value, out: &mut Map<String, Value>, any_of: &mut Vec<Value>) {
    match value {
        Value::String(name) => {
            if let Some(name) = gemini_type(name) {
                out.insert("type".to_owned(), Value::from(name));
            }
        }
        Value::Array(names) => {
            let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
            if names.contains(&"null") {
                out.insert("nullable".to_owned(), Value::Bool(true));
            }
            let types: Vec<&'static str> = names
                .iter()
                .filter(|name| **name != "null")
                .filter_map(|name| gemini_type(name))
                .collect();
            match types.as_slice() {
                [] => {}
                [single] => {
                    out.insert("type".to_owned(), Value::from(*single));
                }
                several => any_of.extend(several.iter().map(|name| {
                    let mut member = Map::new();
                    member.insert("type".to_owned(), Value::from(*name));
                    Value::Object(member)
                })),
            }
        }
        _ => {}
    }
}

fn gemini_type(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "string" => "STRING",
        "number" => "NUMBER",
        "integer" => "INTEGER",
        "boolean" => "BOOLEAN",
        "array" => "ARRAY",
        "object" => "OBJECT",
        "null" => "NULL",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unsupported_keywords_are_stripped_at_every_level() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "urn:warden:reply",
            "type": "object",
            "additionalProperties": false,
            "required": ["reply", "intent"],
            "properties": {
                "reply": {"type": "string", "maxLength": 600, "description": "shown to the user"},
                "intent": {"type": "string", "enum": ["answer", "propose_command"]},
                "tags": {
                    "type": "array",
                    "uniqueItems": true,
                    "maxItems": 3,
                    "items": {"type": "object", "additionalProperties": false,
                              "properties": {"t": {"type": "string"}}}
                },
                "kind": {"const": "suggestion"},
                "level": {"type": "integer", "enum": [1, 2], "exclusiveMinimum": 0}
            }
        });
        let converted = to_gemini_schema(&schema);
        assert_eq!(
            converted,
            json!({
                "type": "OBJECT",
                "required": ["reply", "intent"],
                "properties": {
                    "reply": {"type": "STRING", "maxLength": 600, "description": "shown to the user"},
                    "intent": {"type": "STRING", "enum": ["answer", "propose_command"]},
                    "tags": {
                        "type": "ARRAY",
                        "maxItems": 3,
                        "items": {"type": "OBJECT", "properties": {"t": {"type": "STRING"}}}
                    },
                    "kind": {"enum": ["suggestion"]},
                    "level": {"type": "INTEGER"}
                }
            })
        );
    }

    #[test]
    fn type_lists_become_nullable_or_any_of() {
        assert_eq!(
            to_gemini_schema(&json!({"type": ["string", "null"]})),
            json!({"type": "STRING", "nullable": true})
        );
        assert_eq!(
            to_gemini_schema(&json!({"type": ["string", "integer"]})),
            json!({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]})
        );
        assert_eq!(
            to_gemini_schema(&json!({"oneOf": [{"type": "string"}, {"$ref": "#/$defs/x"}]})),
            json!({"anyOf": [{"type": "STRING"}, {}]})
        );
    }

    #[test]
    fn a_pathologically_deep_schema_is_cut_off() {
        let mut schema = json!({"type": "string"});
        for _ in 0..1000 {
            schema = json!({"type": "array", "items": schema});
        }
        let converted = to_gemini_schema(&schema);
        let mut depth = 0;
        let mut node = &converted;
        while let Some(items) = node.get("items") {
            depth += 1;
            node = items;
        }
        assert_eq!(depth, MAX_DEPTH);
    }
}
