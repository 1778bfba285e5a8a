//! The bencode value tree and small accessors used by the torrent and tracker code.

use std::collections::BTreeMap;

/// One bencoded value. Dictionaries are `BTreeMap`s keyed by raw bytes, which keeps keys sorted
/// and unique exactly as canonical bencode requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// `i<decimal>e`
    Int(i64),
    /// `<length>:<bytes>`; not necessarily UTF-8.
    Bytes(Vec<u8>),
    /// `l<values>e`
    List(Vec<Value>),
    /// `d<key><value>...e`, keys sorted as raw byte strings.
    Dict(BTreeMap<Vec<u8>, Value>),
}

impl Value {
    /// A byte string holding the UTF-8 bytes of `s`.
    pub fn string(s: &str) -> Value {
        Value::Bytes(s.as_bytes().to_vec())
    }

    /// A byte string holding `bytes`.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Bytes(bytes.into())
    }

    /// A list of UTF-8 byte strings.
    pub fn string_list<S: AsRef<str>>(items: &[S]) -> Value {
        Value::List(items.iter().map(|s| Value::string(s.as_ref())).collect())
    }

    /// An empty dictionary, to be filled with [`Value::insert`].
    pub fn dict() -> Value {
        Value::Dict(BTreeMap::new())
    }

    /// Inserts `key => value` if `self` is a dictionary; returns `self` for chaining.
    /// On any other variant it does nothing.
    pub fn insert(&mut self, key: &str, value: Value) -> &mut Value {
        if let Value::Dict(map) = self {
            map.insert(key.as_bytes().to_vec(), value);
        }
        self
    }

    /// The value under `key` when `self` is a dictionary.
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        match self {
            Value::Dict(map) => map.get(key),
            _ => None,
        }
    }

    /// The integer, when `self` is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The raw bytes, when `self` is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The byte string as UTF-8 text; `None` when not a byte string or not valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The items, when `self` is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The map, when `self` is a dictionary.
    pub fn as_dict(&self) -> Option<&BTreeMap<Vec<u8>, Value>> {
        match self {
            Value::Dict(map) => Some(map),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages ("integer", "byte string", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "integer",
            Value::Bytes(_) => "byte string",
            Value::List(_) => "list",
            Value::Dict(_) => "dictionary",
        }
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Value {
        Value::Bytes(b)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items)
    }
}

impl From<BTreeMap<Vec<u8>, Value>> for Value {
    fn from(map: BTreeMap<Vec<u8>, Value>) -> Value {
        Value::Dict(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_match_variants() {
        let mut d = Value::dict();
        d.insert("n", Value::Int(-3))
            .insert("s", Value::string("hé"))
            .insert("raw", Value::bytes(vec![0xff]))
            .insert("l", Value::string_list(&["a", "b"]));
        assert_eq!(d.get(b"n").and_then(Value::as_int), Some(-3));
        assert_eq!(d.get(b"s").and_then(Value::as_str), Some("hé"));
        assert_eq!(d.get(b"raw").and_then(Value::as_str), None);
        assert_eq!(d.get(b"raw").and_then(Value::as_bytes), Some(&[0xff][..]));
        assert_eq!(d.get(b"l").and_then(Value::as_list).map(<[Value]>::len), Some(2));
        assert_eq!(d.get(b"missing"), None);
        assert_eq!(Value::Int(1).get(b"n"), None);
        assert_eq!(d.kind(), "dictionary");
        assert_eq!(d.as_dict().map(BTreeMap::len), Some(4));
    }
}
