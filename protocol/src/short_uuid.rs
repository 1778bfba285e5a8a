//! PeerTube's `shortUUID`: a UUID's 128-bit value written in base 58 with the Flickr alphabet.
//!
//! PeerTube calls npm `short-uuid`'s default translator (`short().fromUUID(uuid)`), which
//! converts the UUID's 32 hex digits with `any-base` into [`ALPHABET`], most significant digit
//! first, and, since short-uuid 4.0 (`consistentLength: true` by default), left-pads the result
//! with the alphabet's first character `1` (the digit zero) to [`LENGTH`] = 22 characters.
//! Checked against short-uuid 4.2.2 and 5.2.0: `00000000-0000-0000-0000-000000000001` ->
//! `1111111111111111111112`, `f47ac10b-58cc-4372-a567-0e02b2c3d479` -> `wbZ3JKfFLhyPheLFGhcSwM`.
//!
//! [`decode`] also accepts the unpadded ids older PeerTube versions produced (1 to 22
//! characters), since leading `1`s are leading zeros.

use uuid::Uuid;

/// The Flickr base-58 alphabet, digit values 0..58 in order.
pub const ALPHABET: &[u8; 58] = b"123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// Length of an encoded id: ceil(128 / log2(58)).
pub const LENGTH: usize = 22;

/// The shortUUID of `uuid` (always [`LENGTH`] characters).
pub fn encode(uuid: Uuid) -> String {
    let mut value = uuid.as_u128();
    let mut digits = [ALPHABET[0]; LENGTH];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(value % 58) as usize];
        value /= 58;
    }
    // 58^22 > 2^128, so every digit fits and `digits` is all ASCII.
    digits.iter().map(|&b| char::from(b)).collect()
}

/// The UUID a shortUUID stands for; `None` when `short` is empty, longer than [`LENGTH`], has
/// a character outside [`ALPHABET`], or is a number of 2^128 or more.
pub fn decode(short: &str) -> Option<Uuid> {
    if short.is_empty() || short.len() > LENGTH {
        return None;
    }
    let mut value: u128 = 0;
    for c in short.bytes() {
        let digit = digit_value(c)?;
        value = value.checked_mul(58)?.checked_add(u128::from(digit))?;
    }
    Some(Uuid::from_u128(value))
}

fn digit_value(c: u8) -> Option<u8> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs produced by npm short-uuid 5.2.0 (`require('short-uuid')().fromUUID(u)`).
    const KNOWN: [(&str, &str); 6] = [
        ("00000000-0000-0000-0000-000000000000", "1111111111111111111111"),
        ("00000000-0000-0000-0000-000000000001", "1111111111111111111112"),
        ("ffffffff-ffff-ffff-ffff-ffffffffffff", "xBuEXKpA6iqZQK5Kf2TnkV"),
        ("3cc8fa5f-7a6b-4b52-9f4a-1f7b0c1c9e2d", "8vmbAPcDYWCMgEzxNuorHP"),
        ("0000ffff-0000-4000-8000-000000000abc", "112C7xFGbuS8JEnx4Z3x75"),
        ("f47ac10b-58cc-4372-a567-0e02b2c3d479", "wbZ3JKfFLhyPheLFGhcSwM"),
    ];

    #[test]
    fn matches_npm_short_uuid() {
        for (long, short) in KNOWN {
            let uuid = Uuid::parse_str(long).unwrap();
            assert_eq!(encode(uuid), short, "{long}");
            assert_eq!(decode(short), Some(uuid), "{short}");
        }
    }

    #[test]
    fn accepts_unpadded_and_rejects_bad_input() {
        assert_eq!(decode("2"), Some(Uuid::from_u128(1)));
        assert_eq!(decode("112C7xFGbuS8JEnx4Z3x75"), decode("2C7xFGbuS8JEnx4Z3x75"));
        assert_eq!(decode(""), None);
        assert_eq!(decode("0"), None); // not in the alphabet
        assert_eq!(decode("I"), None);
        assert_eq!(decode("l"), None);
        assert_eq!(decode("O"), None);
        assert_eq!(decode("wbZ3JKfFLhyPheLFGhcSw-"), None);
        assert_eq!(decode("11111111111111111111111"), None); // 23 characters
        assert_eq!(decode("xBuEXKpA6iqZQK5Kf2TnkW"), None); // 2^128 exactly
        assert_eq!(decode("ZZZZZZZZZZZZZZZZZZZZZZ"), None);
        assert_eq!(decode("ééé"), None);
    }
}
