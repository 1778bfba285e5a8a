//! Canonical bencode encoder (keys come sorted from the `BTreeMap`).

use super::Value;

/// Encodes `value` as canonical bencode.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Appends the canonical bencoding of `value` to `out`.
pub fn encode_into(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Int(n) => {
            out.push(b'i');
            out.extend_from_slice(n.to_string().as_bytes());
            out.push(b'e');
        }
        Value::Bytes(bytes) => encode_bytes(bytes, out),
        Value::List(items) => {
            out.push(b'l');
            for item in items {
                encode_into(item, out);
            }
            out.push(b'e');
        }
        Value::Dict(map) => {
            out.push(b'd');
            for (key, item) in map {
                encode_bytes(key, out);
                encode_into(item, out);
            }
            out.push(b'e');
        }
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(bytes.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_vectors() {
        assert_eq!(encode(&Value::Int(0)), b"i0e");
        assert_eq!(encode(&Value::Int(-42)), b"i-42e");
        assert_eq!(encode(&Value::Int(i64::MIN)), b"i-9223372036854775808e");
        assert_eq!(encode(&Value::string("spam")), b"4:spam");
        assert_eq!(encode(&Value::bytes(Vec::new())), b"0:");
        assert_eq!(encode(&Value::List(vec![Value::string("spam"), Value::Int(42)])), b"l4:spami42ee");
        let mut d = Value::dict();
        d.insert("spam", Value::string_list(&["a", "b"])).insert("cow", Value::string("moo"));
        assert_eq!(encode(&d), b"d3:cow3:moo4:spaml1:a1:bee");
    }
}
