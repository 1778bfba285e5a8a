//! Reading other servers' JSON leniently where ActivityPub allows several shapes: a
//! field that is a string or an array of them, an id or an embedded object with an id.

use serde_json::Value;

/// The id named by a value that is either a URL string or an object with `id`.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// The ids of a value that is one id, one object or an array of either.
pub fn ids_of(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(id_of).map(str::to_string).collect(),
        Some(other) => id_of(other).map(|s| vec![s.to_string()]).unwrap_or_default(),
    }
}

/// A string field.
pub fn str_field<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str)
}

/// The first value of a field that may be a single value or an array.
pub fn first<'a>(value: &'a Value, field: &str) -> Option<&'a Value> {
    match value.get(field)? {
        Value::Array(items) => items.first(),
        other => Some(other),
    }
}

/// The `type` of a document: a string, or the first string of an array.
pub fn type_of(value: &Value) -> Option<&str> {
    match value.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(items) => items.iter().find_map(Value::as_str),
        _ => None,
    }
}
