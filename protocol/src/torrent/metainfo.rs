//! The `.torrent` file: [`Metainfo`] with its single-file [`Info`] dictionary.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

use super::{pieces_for, TorrentError};
use crate::bencode::{self, Value};

/// The `info` dictionary of a single-file torrent (BEP 3). Its bencoding is what the
/// info-hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// Suggested file name (`name`).
    pub name: String,
    /// Bytes per piece (`piece length`); the last piece may be shorter.
    pub piece_length: u32,
    /// SHA-1 of each piece, in order (`pieces`, concatenated on the wire).
    pub pieces: Vec<[u8; 20]>,
    /// File size in bytes (`length`).
    pub length: u64,
}

/// A whole `.torrent` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metainfo {
    /// Main tracker URL (`announce`).
    pub announce: Option<String>,
    /// Tracker tiers (`announce-list`, BEP 12).
    pub announce_list: Vec<Vec<String>>,
    /// Web seed URLs (`url-list`, BEP 19). Written as a list; a single string is accepted.
    pub url_list: Vec<String>,
    /// Free text (`comment`).
    pub comment: Option<String>,
    /// Program that made the file (`created by`).
    pub created_by: Option<String>,
    /// Unix seconds (`creation date`).
    pub creation_date: Option<i64>,
    /// The info dictionary.
    pub info: Info,
}

impl Info {
    /// Number of pieces.
    pub fn piece_count(&self) -> usize {
        self.pieces.len()
    }

    /// Size in bytes of piece `index` (the last one may be shorter); `None` past the end.
    pub fn piece_size(&self, index: usize) -> Option<u64> {
        let piece_length = u64::from(self.piece_length);
        let start = (index as u64).checked_mul(piece_length)?;
        if index >= self.pieces.len() || start >= self.length {
            return None;
        }
        Some(piece_length.min(self.length - start))
    }

    /// Whether `data` is piece `index` (its size and SHA-1 both match).
    pub fn verify_piece(&self, index: usize, data: &[u8]) -> bool {
        match (self.piece_size(index), self.pieces.get(index)) {
            (Some(size), Some(hash)) => data.len() as u64 == size && Sha1::digest(data).as_slice() == hash.as_slice(),
            _ => false,
        }
    }

    /// The info dictionary as a bencode value.
    pub fn to_value(&self) -> Value {
        let mut dict = Value::dict();
        dict.insert("length", Value::Int(clamp_i64(self.length)))
            .insert("name", Value::string(&self.name))
            .insert("piece length", Value::Int(i64::from(self.piece_length)))
            .insert("pieces", Value::Bytes(self.pieces.concat()));
        dict
    }

    /// Reads an info dictionary, checking it is a complete, consistent single-file one.
    pub fn from_value(value: &Value) -> Result<Info, TorrentError> {
        let map = value.as_dict().ok_or(TorrentError::WrongType {
            key: "info",
            expected: "a dictionary",
            found: value.kind(),
        })?;
        if map.contains_key(&b"files"[..]) {
            return Err(TorrentError::MultiFile);
        }
        const KNOWN: [&[u8]; 4] = [b"length", b"name", b"piece length", b"pieces"];
        if let Some(key) = map.keys().find(|k| !KNOWN.contains(&k.as_slice())) {
            return Err(TorrentError::UnsupportedInfoKey { key: String::from_utf8_lossy(key).into_owned() });
        }
        let name = required_str(map, "name")?;
        if !is_safe_name(&name) {
            return Err(TorrentError::InvalidName { name });
        }
        let piece_length = required_int(map, "piece length")?;
        let piece_length = u32::try_from(piece_length)
            .ok()
            .filter(|&p| p > 0)
            .ok_or(TorrentError::InvalidPieceLength { value: piece_length })?;
        let length = required_int(map, "length")?;
        let length = u64::try_from(length).map_err(|_| TorrentError::InvalidLength { value: length })?;
        let pieces = required(map, "pieces")?;
        let pieces = pieces.as_bytes().ok_or(TorrentError::WrongType {
            key: "pieces",
            expected: "a byte string",
            found: pieces.kind(),
        })?;
        if pieces.len() % 20 != 0 {
            return Err(TorrentError::PiecesNotMultipleOf20 { len: pieces.len() });
        }
        let pieces: Vec<[u8; 20]> = pieces
            .chunks_exact(20)
            .map(|chunk| {
                let mut hash = [0u8; 20];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect();
        let expected = pieces_for(length, piece_length);
        if expected != pieces.len() as u64 {
            return Err(TorrentError::PieceCountMismatch { expected, found: pieces.len() });
        }
        Ok(Info { name, piece_length, pieces, length })
    }

    /// SHA-1 of the bencoded info dictionary.
    pub fn info_hash(&self) -> [u8; 20] {
        Sha1::digest(bencode::encode(&self.to_value())).into()
    }
}

impl Metainfo {
    /// A torrent with only `info` set.
    pub fn new(info: Info) -> Metainfo {
        Metainfo {
            announce: None,
            announce_list: Vec::new(),
            url_list: Vec::new(),
            comment: None,
            created_by: None,
            creation_date: None,
            info,
        }
    }

    /// The whole file as a bencode value (empty lists and `None`s are left out).
    pub fn to_value(&self) -> Value {
        let mut dict = Value::dict();
        if let Some(announce) = &self.announce {
            dict.insert("announce", Value::string(announce));
        }
        if !self.announce_list.is_empty() {
            let tiers = self.announce_list.iter().map(|tier| Value::string_list(tier)).collect();
            dict.insert("announce-list", Value::List(tiers));
        }
        if let Some(comment) = &self.comment {
            dict.insert("comment", Value::string(comment));
        }
        if let Some(created_by) = &self.created_by {
            dict.insert("created by", Value::string(created_by));
        }
        if let Some(date) = self.creation_date {
            dict.insert("creation date", Value::Int(date));
        }
        dict.insert("info", self.info.to_value());
        if !self.url_list.is_empty() {
            dict.insert("url-list", Value::string_list(&self.url_list));
        }
        dict
    }

    /// The `.torrent` file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        bencode::encode(&self.to_value())
    }

    /// Parses a single-file `.torrent`. Unknown top-level keys are ignored; the info dictionary
    /// must hold exactly `name`, `piece length`, `pieces` and `length` (see
    /// [`TorrentError::UnsupportedInfoKey`]), so that [`Metainfo::info_hash`] of the result
    /// equals the SHA-1 of the info bytes in `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Metainfo, TorrentError> {
        let root = bencode::decode(bytes)?;
        let map = root.as_dict().ok_or(TorrentError::WrongType {
            key: "(root)",
            expected: "a dictionary",
            found: root.kind(),
        })?;
        let info = Info::from_value(required(map, "info")?)?;
        let announce_list = match map.get(&b"announce-list"[..]) {
            None => Vec::new(),
            Some(tiers) => list_of(tiers, "announce-list", |tier| {
                list_of(tier, "announce-list", |url| text(url, "announce-list"))
            })?,
        };
        let url_list = match map.get(&b"url-list"[..]) {
            None => Vec::new(),
            Some(Value::Bytes(b)) if b.is_empty() => Vec::new(),
            Some(single @ Value::Bytes(_)) => vec![text(single, "url-list")?],
            Some(list) => list_of(list, "url-list", |url| text(url, "url-list"))?,
        };
        Ok(Metainfo {
            announce: optional_str(map, "announce")?,
            announce_list,
            url_list,
            comment: optional_str(map, "comment")?,
            created_by: optional_str(map, "created by")?,
            creation_date: optional_int(map, "creation date")?,
            info,
        })
    }

    /// SHA-1 of the bencoded info dictionary: the torrent's v1 info-hash.
    pub fn info_hash(&self) -> [u8; 20] {
        self.info.info_hash()
    }

    /// [`Metainfo::info_hash`] as 40 lowercase hex digits.
    pub fn info_hash_hex(&self) -> String {
        hex::encode(self.info_hash())
    }

    /// Every tracker URL, `announce` first then the tiers in order, without duplicates.
    pub fn trackers(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        let candidates = self.announce.iter().chain(self.announce_list.iter().flatten());
        for url in candidates {
            if !all.contains(url) {
                all.push(url.clone());
            }
        }
        all
    }
}

/// The info-hash of any canonical `.torrent` file: SHA-1 of its `info` value's exact bytes.
/// Works also for torrents [`Metainfo::from_bytes`] refuses (multi-file, extra info keys).
pub fn info_hash_of(torrent: &[u8]) -> Result<[u8; 20], TorrentError> {
    match bencode::raw_dict_value(torrent, b"info") {
        Ok(Some(info)) => Ok(Sha1::digest(info).into()),
        Ok(None) => Err(TorrentError::MissingKey { key: "info" }),
        Err(bencode::BencodeError::NotADictionary) => {
            Err(TorrentError::WrongType { key: "(root)", expected: "a dictionary", found: "another value" })
        }
        Err(e) => Err(e.into()),
    }
}

type Dict = BTreeMap<Vec<u8>, Value>;

fn required<'a>(map: &'a Dict, key: &'static str) -> Result<&'a Value, TorrentError> {
    map.get(key.as_bytes()).ok_or(TorrentError::MissingKey { key })
}

fn required_str(map: &Dict, key: &'static str) -> Result<String, TorrentError> {
    text(required(map, key)?, key)
}

fn required_int(map: &Dict, key: &'static str) -> Result<i64, TorrentError> {
    int(required(map, key)?, key)
}

fn optional_str(map: &Dict, key: &'static str) -> Result<Option<String>, TorrentError> {
    map.get(key.as_bytes()).map(|v| text(v, key)).transpose()
}

fn optional_int(map: &Dict, key: &'static str) -> Result<Option<i64>, TorrentError> {
    map.get(key.as_bytes()).map(|v| int(v, key)).transpose()
}

fn text(value: &Value, key: &'static str) -> Result<String, TorrentError> {
    let bytes =
        value.as_bytes().ok_or(TorrentError::WrongType { key, expected: "a byte string", found: value.kind() })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| TorrentError::NotUtf8 { key })
}

fn int(value: &Value, key: &'static str) -> Result<i64, TorrentError> {
    value.as_int().ok_or(TorrentError::WrongType { key, expected: "an integer", found: value.kind() })
}

fn list_of<T>(
    value: &Value,
    key: &'static str,
    item: impl Fn(&Value) -> Result<T, TorrentError>,
) -> Result<Vec<T>, TorrentError> {
    let items = value.as_list().ok_or(TorrentError::WrongType { key, expected: "a list", found: value.kind() })?;
    items.iter().map(item).collect()
}

fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// File lengths above i64::MAX cannot be bencoded; no real file is that large.
fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
