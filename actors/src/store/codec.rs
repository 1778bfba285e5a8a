//! The one place records are turned into bytes and back: a version byte followed by CBOR
//! (`serde_cbor`). serde_cbor is unmaintained (RUSTSEC-2021-0127); keeping it behind this
//! module means a switch to `ciborium` touches only this file.
//!
//! Envelope: `[RECORD_VERSION] ++ cbor(value)`. A decoder that meets an unknown version
//! refuses the record instead of misreading it.

use super::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Version of the record envelope written by this build.
pub const RECORD_VERSION: u8 = 1;

/// Encodes `value` as a versioned record.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![RECORD_VERSION];
    serde_cbor::to_writer(&mut out, value).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a versioned record read from `tree`.
pub fn decode<T: DeserializeOwned>(tree: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&RECORD_VERSION, body)) => {
            serde_cbor::from_slice(body).map_err(|e| StoreError::Decode { tree, reason: e.to_string() })
        }
        Some((version, _)) => Err(StoreError::Decode {
            tree,
            reason: format!("unknown record version {version} (this build reads {RECORD_VERSION})"),
        }),
        None => Err(StoreError::Decode { tree, reason: "empty record".into() }),
    }
}
