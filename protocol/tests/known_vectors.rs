//! Known vectors: a hand-written torrent whose info-hash was computed independently (Python's
//! hashlib over the same bytes, and libtorrent's `torrent_info`), and error cases.

use sha1::{Digest, Sha1};
use shoal_protocol::bencode::BencodeError;
use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::torrent::{info_hash_of, Info, Metainfo, PieceHasher, TorrentError};

/// SHA-1 of the `info` dictionary below, from `/usr/bin/python3` hashlib and libtorrent 2.0.
const INFO_HASH: &str = "33f9e0187656fbd328576d3498f080a8d373f4c7";
/// SHA-1 of the whole file, from Python.
const FILE_SHA1: &str = "457347340a4affd96510c106ef0997ecccc426ae";

/// 40000 bytes of `i % 251`, cut into 16 KiB pieces (3 pieces, the last 7232 bytes).
fn content() -> Vec<u8> {
    (0..40000u32).map(|i| (i % 251) as u8).collect()
}

fn piece_hashes() -> Vec<[u8; 20]> {
    content().chunks(16384).map(|piece| Sha1::digest(piece).into()).collect()
}

/// The torrent written by hand, byte for byte.
fn torrent_bytes() -> Vec<u8> {
    let mut bytes = b"d8:announce38:http://127.0.0.1:9000/tracker/announce13:announce-listll38:http://127.0.0.1:9000/tracker/announceel34:ws://127.0.0.1:9000/tracker/socketee7:comment5:hello10:created by9:shoal/0.113:creation datei1700000000e4:infod6:lengthi40000e4:name9:video.mp412:piece lengthi16384e6:pieces60:".to_vec();
    bytes.extend(piece_hashes().concat());
    bytes.extend_from_slice(b"e8:url-listl49:http://127.0.0.1:9000/static/web-videos/video.mp4ee");
    bytes
}

fn expected_metainfo() -> Metainfo {
    Metainfo {
        announce: Some("http://127.0.0.1:9000/tracker/announce".into()),
        announce_list: vec![
            vec!["http://127.0.0.1:9000/tracker/announce".into()],
            vec!["ws://127.0.0.1:9000/tracker/socket".into()],
        ],
        url_list: vec!["http://127.0.0.1:9000/static/web-videos/video.mp4".into()],
        comment: Some("hello".into()),
        created_by: Some("shoal/0.1".into()),
        creation_date: Some(1_700_000_000),
        info: Info { name: "video.mp4".into(), piece_length: 16384, pieces: piece_hashes(), length: 40000 },
    }
}

#[test]
fn hand_written_torrent_has_the_independent_info_hash() {
    let bytes = torrent_bytes();
    assert_eq!(hex::encode(Sha1::digest(&bytes)), FILE_SHA1, "test vector itself");
    let parsed = Metainfo::from_bytes(&bytes).unwrap();
    assert_eq!(parsed, expected_metainfo());
    assert_eq!(parsed.info_hash_hex(), INFO_HASH);
    assert_eq!(hex::encode(info_hash_of(&bytes).unwrap()), INFO_HASH);
    assert_eq!(expected_metainfo().to_bytes(), bytes);
    assert_eq!(
        parsed.trackers(),
        vec!["http://127.0.0.1:9000/tracker/announce".to_string(), "ws://127.0.0.1:9000/tracker/socket".to_string(),]
    );
}

#[test]
fn piece_hasher_matches_the_vector_and_pieces_verify() {
    let data = content();
    let mut hasher = PieceHasher::new(16384);
    for chunk in data.chunks(5000) {
        hasher.update(chunk);
    }
    assert_eq!(hasher.finish(), piece_hashes());
    let info = expected_metainfo().info;
    assert_eq!(info.piece_count(), 3);
    assert_eq!(info.piece_size(0), Some(16384));
    assert_eq!(info.piece_size(2), Some(40000 - 2 * 16384));
    assert_eq!(info.piece_size(3), None);
    assert!(info.verify_piece(2, &data[32768..]));
    assert!(!info.verify_piece(2, &data[32767..]));
    assert!(!info.verify_piece(1, &data[32768..]));
    assert!(!info.verify_piece(9, &data[..1]));
}

#[test]
fn magnet_from_the_torrent() {
    let link = MagnetLink::from_metainfo(&expected_metainfo());
    assert_eq!(
        link.to_uri(),
        format!(
            "magnet:?xt=urn:btih:{INFO_HASH}&dn=video.mp4\
             &tr=http%3A%2F%2F127.0.0.1%3A9000%2Ftracker%2Fannounce\
             &tr=ws%3A%2F%2F127.0.0.1%3A9000%2Ftracker%2Fsocket\
             &ws=http%3A%2F%2F127.0.0.1%3A9000%2Fstatic%2Fweb-videos%2Fvideo.mp4"
        )
    );
}

/// A minimal torrent around an info dictionary given as raw bencode.
fn with_info(info: &str) -> Vec<u8> {
    format!("d4:info{info}e").into_bytes()
}

const TWENTY: &str = "aaaaaaaaaaaaaaaaaaaa";

#[test]
fn single_string_url_list_is_accepted() {
    let bytes = format!("d4:infod6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:{TWENTY}e8:url-list9:http://s/e");
    let m = Metainfo::from_bytes(bytes.as_bytes()).unwrap();
    assert_eq!(m.url_list, vec!["http://s/".to_string()]);
    let empty = format!("d4:infod6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:{TWENTY}e8:url-list0:e");
    assert!(Metainfo::from_bytes(empty.as_bytes()).unwrap().url_list.is_empty());
    // Unknown top-level keys are ignored.
    let extra = format!("d8:encoding5:UTF-84:infod6:lengthi1e4:name1:x12:piece lengthi1e6:pieces20:{TWENTY}ee");
    assert!(Metainfo::from_bytes(extra.as_bytes()).is_ok());
}

#[test]
fn errors_name_the_problem() {
    let err = |bytes: &[u8]| Metainfo::from_bytes(bytes).unwrap_err();
    assert_eq!(
        err(b"d4:infod6:lengthi1e"),
        TorrentError::Bencode(BencodeError::UnexpectedEnd { offset: 19, expected: "a key or 'e'" })
    );
    assert_eq!(err(b"le"), TorrentError::WrongType { key: "(root)", expected: "a dictionary", found: "list" });
    assert_eq!(err(b"de"), TorrentError::MissingKey { key: "info" });
    assert_eq!(
        err(&with_info("i1e")),
        TorrentError::WrongType { key: "info", expected: "a dictionary", found: "integer" }
    );
    assert_eq!(err(&with_info("d4:name1:xe")), TorrentError::MissingKey { key: "piece length" });
    assert_eq!(err(&with_info("d6:lengthi1e4:name1:x12:piece lengthi1ee")), TorrentError::MissingKey { key: "pieces" });
    assert_eq!(err(&with_info("d12:piece lengthi1e6:pieces0:e")), TorrentError::MissingKey { key: "name" });
    assert_eq!(err(&with_info("d4:name1:x12:piece lengthi1e6:pieces0:e")), TorrentError::MissingKey { key: "length" });
    assert_eq!(
        err(&with_info("d6:length1:14:name1:x12:piece lengthi1e6:pieces0:e")),
        TorrentError::WrongType { key: "length", expected: "an integer", found: "byte string" }
    );
    assert_eq!(
        err(&with_info("d6:lengthi1e4:name1:x12:piece lengthi1e6:pieces3:abce")),
        TorrentError::PiecesNotMultipleOf20 { len: 3 }
    );
    assert_eq!(
        err(&with_info(&format!("d6:lengthi2e4:name1:x12:piece lengthi1e6:pieces20:{TWENTY}e"))),
        TorrentError::PieceCountMismatch { expected: 2, found: 1 }
    );
    assert_eq!(
        err(&with_info("d6:lengthi1e4:name1:x12:piece lengthi0e6:pieces0:e")),
        TorrentError::InvalidPieceLength { value: 0 }
    );
    assert_eq!(
        err(&with_info("d6:lengthi1e4:name1:x12:piece lengthi4294967296e6:pieces0:e")),
        TorrentError::InvalidPieceLength { value: 4294967296 }
    );
    assert_eq!(
        err(&with_info("d6:lengthi-1e4:name1:x12:piece lengthi1e6:pieces0:e")),
        TorrentError::InvalidLength { value: -1 }
    );
    assert_eq!(
        err(&with_info("d6:lengthi0e4:name2:..12:piece lengthi1e6:pieces0:e")),
        TorrentError::InvalidName { name: "..".into() }
    );
    assert_eq!(
        err(&with_info("d6:lengthi0e4:name3:a/b12:piece lengthi1e6:pieces0:e")),
        TorrentError::InvalidName { name: "a/b".into() }
    );
    let mut not_utf8 = b"d4:infod6:lengthi0e4:name1:".to_vec();
    not_utf8.push(0xff);
    not_utf8.extend_from_slice(b"12:piece lengthi1e6:pieces0:ee");
    assert_eq!(err(&not_utf8), TorrentError::NotUtf8 { key: "name" });
    assert_eq!(err(&with_info("d5:filesle4:name1:xe")), TorrentError::MultiFile);
    assert_eq!(
        err(&with_info("d6:lengthi0e4:name1:x12:piece lengthi1e6:pieces0:7:privatei1ee")),
        TorrentError::UnsupportedInfoKey { key: "private".into() }
    );
    assert_eq!(
        err(b"d8:announcei1e4:infod6:lengthi0e4:name1:x12:piece lengthi1e6:pieces0:ee"),
        TorrentError::WrongType { key: "announce", expected: "a byte string", found: "integer" }
    );
    assert_eq!(
        err(b"d13:announce-listl1:xe4:infod6:lengthi0e4:name1:x12:piece lengthi1e6:pieces0:ee"),
        TorrentError::WrongType { key: "announce-list", expected: "a list", found: "byte string" }
    );
}

#[test]
fn info_hash_of_works_beyond_what_metainfo_models() {
    let bytes = with_info("d5:filesle4:name1:xe");
    assert_eq!(info_hash_of(&bytes), Ok(Sha1::digest(b"d5:filesle4:name1:xe").into()));
    assert_eq!(info_hash_of(b"de"), Err(TorrentError::MissingKey { key: "info" }));
    assert!(matches!(info_hash_of(b"i1e"), Err(TorrentError::WrongType { .. })));
    assert!(matches!(info_hash_of(b"d4:infoi1e"), Err(TorrentError::Bencode(_))));
}
