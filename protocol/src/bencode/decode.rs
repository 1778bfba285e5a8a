//! Strict bencode decoder with byte-offset errors.

use std::collections::BTreeMap;
use std::ops::Range;

use super::Value;

/// Deepest nesting of lists and dictionaries the decoder accepts (the top-level container is
/// depth 1). Real torrents nest 3 or 4 deep; the limit keeps recursion bounded on hostile input.
pub const MAX_DEPTH: usize = 64;

/// Why some bytes are not canonical bencode. Every variant carries the byte offset (from the
/// start of the input) where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BencodeError {
    /// The input stopped in the middle of a value (truncated file or message). Remedy: supply
    /// the whole document.
    #[error("unexpected end of input at byte {offset}: expected {expected}")]
    UnexpectedEnd {
        /// Offset where more bytes were needed (the input length).
        offset: usize,
        /// What the decoder was reading.
        expected: &'static str,
    },
    /// A byte that cannot start or continue the value being read (e.g. `x` where a value
    /// should start, or a non-digit in a length). The input is not bencode or is corrupt.
    #[error("unexpected byte 0x{found:02x} at byte {offset}: expected {expected}")]
    UnexpectedByte {
        /// Offset of the byte.
        offset: usize,
        /// The byte found.
        found: u8,
        /// What was expected there.
        expected: &'static str,
    },
    /// An integer or length that is not canonical: empty, a leading zero, `-0`, or a sign on a
    /// length. Canonical bencode has exactly one spelling per number; re-encode with a
    /// conforming encoder.
    #[error("non-canonical number at byte {offset}: {reason}")]
    NonCanonicalNumber {
        /// Offset of the first digit (or sign).
        offset: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An integer that does not fit in an `i64`, or a length that does not fit in a `usize`.
    #[error("number at byte {offset} is out of range")]
    NumberOutOfRange {
        /// Offset of the first digit (or sign).
        offset: usize,
    },
    /// A byte-string length prefix larger than the bytes left in the input (truncated or
    /// hostile input). Nothing was allocated for it.
    #[error("byte string at byte {offset} claims {length} bytes but only {remaining} remain")]
    LengthExceedsInput {
        /// Offset of the length prefix.
        offset: usize,
        /// The declared length.
        length: usize,
        /// Bytes left after the `:`.
        remaining: usize,
    },
    /// A dictionary key that is not strictly greater than the previous key (bytewise), i.e.
    /// keys out of order. Canonical bencode sorts keys; the producer is non-conforming.
    #[error("dictionary key at byte {offset} is not in sorted order")]
    UnsortedKey {
        /// Offset of the key.
        offset: usize,
    },
    /// The same dictionary key appears twice. The producer is non-conforming.
    #[error("duplicate dictionary key at byte {offset}")]
    DuplicateKey {
        /// Offset of the second occurrence.
        offset: usize,
    },
    /// Lists and dictionaries nested deeper than [`MAX_DEPTH`]. Hostile or corrupt input.
    #[error("nesting deeper than {limit} at byte {offset}")]
    TooDeep {
        /// Offset of the container that went over the limit.
        offset: usize,
        /// The limit, [`MAX_DEPTH`].
        limit: usize,
    },
    /// Bytes left over after one complete top-level value. The input is a concatenation or
    /// has garbage appended.
    #[error("trailing bytes after the value, starting at byte {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
    },
    /// [`raw_dict_value`] was given a document whose top-level value is not a dictionary.
    #[error("top-level value is not a dictionary")]
    NotADictionary,
}

impl BencodeError {
    /// Byte offset where the problem was found (0 for [`BencodeError::NotADictionary`]).
    pub fn offset(&self) -> usize {
        match self {
            BencodeError::UnexpectedEnd { offset, .. }
            | BencodeError::UnexpectedByte { offset, .. }
            | BencodeError::NonCanonicalNumber { offset, .. }
            | BencodeError::NumberOutOfRange { offset }
            | BencodeError::LengthExceedsInput { offset, .. }
            | BencodeError::UnsortedKey { offset }
            | BencodeError::DuplicateKey { offset }
            | BencodeError::TooDeep { offset, .. }
            | BencodeError::TrailingBytes { offset } => *offset,
            BencodeError::NotADictionary => 0,
        }
    }
}

/// Decodes exactly one canonical bencoded value spanning all of `input`.
pub fn decode(input: &[u8]) -> Result<Value, BencodeError> {
    let mut parser = Parser { input, pos: 0 };
    let value = parser.value(0)?;
    parser.finish()?;
    Ok(value)
}

/// Checks that `input` is one canonical bencoded dictionary and returns the exact bytes of the
/// value stored under `key` (`None` when the key is absent). The info-hash of a torrent is the
/// SHA-1 of `raw_dict_value(file, b"info")`.
pub fn raw_dict_value<'a>(input: &'a [u8], key: &[u8]) -> Result<Option<&'a [u8]>, BencodeError> {
    let span = dict_value_span(input, key)?;
    Ok(span.and_then(|range| input.get(range)))
}

/// Same as [`raw_dict_value`] but returns the byte range.
fn dict_value_span(input: &[u8], key: &[u8]) -> Result<Option<Range<usize>>, BencodeError> {
    let mut parser = Parser { input, pos: 0 };
    match parser.peek("a value")? {
        b'd' => {}
        _ => {
            // Report a real syntax error first if there is one; otherwise the kind mismatch.
            parser.value(0)?;
            parser.finish()?;
            return Err(BencodeError::NotADictionary);
        }
    }
    parser.pos += 1;
    let mut found = None;
    let mut previous: Option<&[u8]> = None;
    loop {
        if parser.peek("a key or 'e'")? == b'e' {
            parser.pos += 1;
            break;
        }
        let this_key = parser.key(previous)?;
        let start = parser.pos;
        parser.value(1)?;
        if this_key == key {
            found = Some(start..parser.pos);
        }
        previous = Some(this_key);
    }
    parser.finish()?;
    Ok(found)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self, expected: &'static str) -> Result<u8, BencodeError> {
        self.input.get(self.pos).copied().ok_or(BencodeError::UnexpectedEnd { offset: self.pos, expected })
    }

    fn finish(&self) -> Result<(), BencodeError> {
        if self.pos < self.input.len() {
            return Err(BencodeError::TrailingBytes { offset: self.pos });
        }
        Ok(())
    }

    /// Reads one value; `depth` is the number of containers already open around it.
    fn value(&mut self, depth: usize) -> Result<Value, BencodeError> {
        let start = self.pos;
        match self.peek("a value")? {
            b'i' => self.int().map(Value::Int),
            b'0'..=b'9' => self.byte_string().map(|b| Value::Bytes(b.to_vec())),
            b'l' => {
                self.enter(depth, start)?;
                let mut items = Vec::new();
                while self.peek("a value or 'e'")? != b'e' {
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Ok(Value::List(items))
            }
            b'd' => {
                self.enter(depth, start)?;
                let mut map = BTreeMap::new();
                let mut previous: Option<&[u8]> = None;
                while self.peek("a key or 'e'")? != b'e' {
                    let key = self.key(previous)?;
                    let item = self.value(depth + 1)?;
                    map.insert(key.to_vec(), item);
                    previous = Some(key);
                }
                self.pos += 1;
                Ok(Value::Dict(map))
            }
            found => Err(BencodeError::UnexpectedByte { offset: start, found, expected: "'i', 'l', 'd' or a digit" }),
        }
    }

    fn enter(&mut self, depth: usize, start: usize) -> Result<(), BencodeError> {
        if depth + 1 > MAX_DEPTH {
            return Err(BencodeError::TooDeep { offset: start, limit: MAX_DEPTH });
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads a dictionary key and checks it sorts strictly after `previous`.
    fn key(&mut self, previous: Option<&[u8]>) -> Result<&'a [u8], BencodeError> {
        let offset = self.pos;
        let found = self.peek("a key")?;
        if !found.is_ascii_digit() {
            return Err(BencodeError::UnexpectedByte { offset, found, expected: "a byte-string key" });
        }
        let key = self.byte_string()?;
        if let Some(previous) = previous {
            match previous.cmp(key) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Err(BencodeError::DuplicateKey { offset }),
                std::cmp::Ordering::Greater => return Err(BencodeError::UnsortedKey { offset }),
            }
        }
        Ok(key)
    }

    /// `<length>:<bytes>`, borrowing the bytes from the input.
    fn byte_string(&mut self) -> Result<&'a [u8], BencodeError> {
        let offset = self.pos;
        let digits = self.digits_until(b':', "a digit or ':'")?;
        let length = parse_length(digits, offset)?;
        self.pos += 1; // the ':'
        let remaining = self.input.len() - self.pos;
        if length > remaining {
            return Err(BencodeError::LengthExceedsInput { offset, length, remaining });
        }
        let bytes = &self.input[self.pos..self.pos + length];
        self.pos += length;
        Ok(bytes)
    }

    /// `i<integer>e`
    fn int(&mut self) -> Result<i64, BencodeError> {
        self.pos += 1; // the 'i'
        let offset = self.pos;
        let text = self.digits_until(b'e', "a digit or 'e'")?;
        self.pos += 1; // the 'e'
        parse_int(text, offset)
    }

    /// Advances over bytes up to (not including) `terminator`, which must be present; returns
    /// them. Only digits and, at the very start, `-` are accepted.
    fn digits_until(&mut self, terminator: u8, expected: &'static str) -> Result<&'a [u8], BencodeError> {
        let start = self.pos;
        loop {
            let byte = self.peek(expected)?;
            if byte == terminator {
                return Ok(&self.input[start..self.pos]);
            }
            let sign_ok = byte == b'-' && self.pos == start;
            if !byte.is_ascii_digit() && !sign_ok {
                return Err(BencodeError::UnexpectedByte { offset: self.pos, found: byte, expected });
            }
            self.pos += 1;
        }
    }
}

fn parse_length(digits: &[u8], offset: usize) -> Result<usize, BencodeError> {
    if digits.first() == Some(&b'-') {
        return Err(BencodeError::NonCanonicalNumber { offset, reason: "negative length" });
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return Err(BencodeError::NonCanonicalNumber { offset, reason: "leading zero in length" });
    }
    let mut length: usize = 0;
    for &d in digits {
        length = length
            .checked_mul(10)
            .and_then(|l| l.checked_add(usize::from(d - b'0')))
            .ok_or(BencodeError::NumberOutOfRange { offset })?;
    }
    Ok(length)
}

fn parse_int(text: &[u8], offset: usize) -> Result<i64, BencodeError> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(BencodeError::NonCanonicalNumber { offset, reason: "integer has no digits" });
    }
    if digits[0] == b'0' && digits.len() > 1 {
        return Err(BencodeError::NonCanonicalNumber { offset, reason: "leading zero in integer" });
    }
    if negative && digits == b"0" {
        return Err(BencodeError::NonCanonicalNumber { offset, reason: "negative zero" });
    }
    // Accumulate towards the sign so that i64::MIN parses.
    let mut n: i64 = 0;
    for &d in digits {
        let digit = i64::from(d - b'0');
        n = n
            .checked_mul(10)
            .and_then(|n| if negative { n.checked_sub(digit) } else { n.checked_add(digit) })
            .ok_or(BencodeError::NumberOutOfRange { offset })?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::encode;

    #[test]
    fn decodes_known_vectors() {
        assert_eq!(decode(b"i42e"), Ok(Value::Int(42)));
        assert_eq!(decode(b"i-42e"), Ok(Value::Int(-42)));
        assert_eq!(decode(b"i0e"), Ok(Value::Int(0)));
        assert_eq!(decode(b"i-9223372036854775808e"), Ok(Value::Int(i64::MIN)));
        assert_eq!(decode(b"i9223372036854775807e"), Ok(Value::Int(i64::MAX)));
        assert_eq!(decode(b"0:"), Ok(Value::bytes(Vec::new())));
        assert_eq!(decode(b"4:spam"), Ok(Value::string("spam")));
        assert_eq!(decode(b"le"), Ok(Value::List(vec![])));
        assert_eq!(decode(b"de"), Ok(Value::dict()));
        let v = decode(b"d3:cow3:moo4:spaml1:a1:bee").unwrap();
        assert_eq!(v.get(b"cow").and_then(Value::as_str), Some("moo"));
        assert_eq!(encode(&v), b"d3:cow3:moo4:spaml1:a1:bee");
    }

    #[test]
    fn rejects_non_canonical_numbers() {
        let non_canonical = |r| matches!(r, Err(BencodeError::NonCanonicalNumber { .. }));
        assert!(non_canonical(decode(b"i03e")));
        assert!(non_canonical(decode(b"i-0e")));
        assert!(non_canonical(decode(b"i-03e")));
        assert!(non_canonical(decode(b"ie")));
        assert!(non_canonical(decode(b"i-e")));
        assert!(non_canonical(decode(b"04:spam")));
        assert!(non_canonical(decode(b"00:")));
        assert_eq!(decode(b"i9223372036854775808e"), Err(BencodeError::NumberOutOfRange { offset: 1 }));
        assert_eq!(decode(b"i-9223372036854775809e"), Err(BencodeError::NumberOutOfRange { offset: 1 }));
        assert!(matches!(decode(b"i1-2e"), Err(BencodeError::UnexpectedByte { offset: 2, found: b'-', .. })));
        assert!(matches!(decode(b"i+1e"), Err(BencodeError::UnexpectedByte { offset: 1, .. })));
        assert!(matches!(decode(b"i 1e"), Err(BencodeError::UnexpectedByte { offset: 1, .. })));
    }

    #[test]
    fn rejects_structure_errors_with_offsets() {
        assert_eq!(decode(b"d3:foo1:a3:bar1:be"), Err(BencodeError::UnsortedKey { offset: 9 }));
        assert_eq!(decode(b"d3:foo1:a3:foo1:be"), Err(BencodeError::DuplicateKey { offset: 9 }));
        assert_eq!(decode(b"i1ei2e"), Err(BencodeError::TrailingBytes { offset: 3 }));
        assert_eq!(decode(b"5:abc"), Err(BencodeError::LengthExceedsInput { offset: 0, length: 5, remaining: 3 }));
        assert!(matches!(decode(b"99999999999999999999999999:x"), Err(BencodeError::NumberOutOfRange { offset: 0 })));
        assert_eq!(decode(b"l4:spam"), Err(BencodeError::UnexpectedEnd { offset: 7, expected: "a value or 'e'" }));
        assert!(matches!(decode(b""), Err(BencodeError::UnexpectedEnd { offset: 0, .. })));
        assert!(matches!(decode(b"x"), Err(BencodeError::UnexpectedByte { offset: 0, found: b'x', .. })));
        assert!(matches!(decode(b"di1ei2ee"), Err(BencodeError::UnexpectedByte { offset: 1, .. })));
        assert!(matches!(decode(b"d3:fooe"), Err(BencodeError::UnexpectedByte { offset: 6, .. })));
    }

    #[test]
    fn enforces_depth_limit() {
        let nested = |depth: usize| {
            let mut doc = vec![b'l'; depth];
            doc.extend(std::iter::repeat_n(b'e', depth));
            doc
        };
        assert!(decode(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(BencodeError::TooDeep { offset: MAX_DEPTH, limit: MAX_DEPTH }));
        // Far deeper than the stack could recurse: still a clean error.
        assert!(matches!(decode(&nested(1_000_000)), Err(BencodeError::TooDeep { .. })));
    }

    #[test]
    fn raw_dict_value_returns_exact_span() {
        let doc = b"d1:ai1e4:infod4:name1:xe1:zlee";
        assert_eq!(raw_dict_value(doc, b"info"), Ok(Some(&b"d4:name1:xe"[..])));
        assert_eq!(raw_dict_value(doc, b"a"), Ok(Some(&b"i1e"[..])));
        assert_eq!(raw_dict_value(doc, b"nope"), Ok(None));
        assert_eq!(raw_dict_value(b"le", b"info"), Err(BencodeError::NotADictionary));
        assert!(matches!(raw_dict_value(b"l", b"info"), Err(BencodeError::UnexpectedEnd { .. })));
        assert_eq!(raw_dict_value(b"d1:bi1e1:ai1ee", b"a"), Err(BencodeError::UnsortedKey { offset: 7 }));
        assert_eq!(raw_dict_value(b"dexx", b"a"), Err(BencodeError::TrailingBytes { offset: 2 }));
    }
}
