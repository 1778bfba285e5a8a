//! The store: versioned CBOR records round-trip, foreign versions are refused, damaged
//! records (truncated, flipped bytes, garbage) are typed errors and never panics, counters
//! survive a reopen.

use proptest::prelude::*;
use shoal_actors::accounts::{Role, UserRecord};
use shoal_actors::store::{codec, Store, StoreError};
use shoal_actors::videos::{Privacy, SourceInfo, VideoFileRecord, VideoRecord, VideoState};
use std::path::PathBuf;
use uuid::Uuid;

fn sample_video() -> VideoRecord {
    let uuid = Uuid::new_v4();
    VideoRecord {
        id: 7,
        uuid,
        short_uuid: shoal_protocol::short_uuid::encode(uuid),
        name: "Sample — ünïcode".into(),
        description: Some("desc".into()),
        privacy: Privacy::Unlisted,
        channel_id: 2,
        account_id: 1,
        category: Some(3),
        licence: None,
        language: Some("en".into()),
        nsfw: false,
        tags: vec!["a".into(), "b".into()],
        comments_enabled: true,
        download_enabled: false,
        wait_transcoding: true,
        created_at: "2024-01-01T00:00:00.000Z".into(),
        updated_at: "2024-01-01T00:00:01.000Z".into(),
        published_at: Some("2024-01-01T00:00:02.000Z".into()),
        state: VideoState::Published,
        state_error: Some("720p: failed".into()),
        source: SourceInfo {
            path: PathBuf::from("/data/originals/x.y4m"),
            original_filename: "x.y4m".into(),
            width: 64,
            height: 48,
            fps: 25.0,
            frames: 10,
            duration_secs: 0.4,
            has_audio: false,
            size: 46_000,
            format: "yuv4mpegpipe".into(),
        },
        files: vec![VideoFileRecord {
            resolution: 48,
            width: 64,
            height: 48,
            size: 1234,
            fps: 25.0,
            filename: format!("{uuid}-48.mp4"),
            torrent_filename: format!("{uuid}-48.torrent"),
            info_hash: "00".repeat(20),
            magnet_uri: "magnet:?xt=urn:btih:00".into(),
            hls: Some(shoal_protocol::hls::FragmentIndex {
                init_length: 800,
                segments: vec![shoal_protocol::hls::Segment {
                    offset: 900,
                    length: 1000,
                    duration_secs: 2.0,
                    sha256: "ab".repeat(32),
                }],
                codecs: "av01.0.00M.08".into(),
            }),
        }],
        pending_resolutions: vec![720],
        thumbnail: Some(format!("{uuid}.jpg")),
        views: 3,
        likes: 1,
        dislikes: 0,
        remote: None,
        hls_swarms: Vec::new(),
    }
}

#[test]
fn records_round_trip_through_the_codec() {
    let video = sample_video();
    let bytes = codec::encode(&video).expect("encode");
    assert_eq!(bytes[0], codec::RECORD_VERSION);
    let back: VideoRecord = codec::decode("videos", &bytes).expect("decode");
    assert_eq!(back, video);

    let user = UserRecord {
        id: 1,
        username: "alice".into(),
        email: "a@b".into(),
        display_name: "Alice".into(),
        role: Role::Moderator,
        password_hash: "$argon2id$...".into(),
        video_quota: -1,
        video_quota_daily: 1 << 30,
        created_at: "2024-01-01T00:00:00.000Z".into(),
        default_channel_id: 1,
    };
    let back: UserRecord = codec::decode("users", &codec::encode(&user).expect("encode")).expect("decode");
    assert_eq!(back, user);
}

#[test]
fn foreign_versions_and_garbage_are_refused() {
    let mut bytes = codec::encode(&sample_video()).expect("encode");
    bytes[0] = 99;
    assert!(matches!(codec::decode::<VideoRecord>("videos", &bytes), Err(StoreError::Decode { .. })));
    assert!(matches!(codec::decode::<VideoRecord>("videos", &[]), Err(StoreError::Decode { .. })));
    assert!(matches!(
        codec::decode::<VideoRecord>("videos", &[codec::RECORD_VERSION, 0xff]),
        Err(StoreError::Decode { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = codec::decode::<VideoRecord>("videos", &bytes);
        let _ = codec::decode::<UserRecord>("users", &bytes);
    }

    #[test]
    fn damaged_records_are_errors_or_records(cut in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>(),
                                             bit in 0u8..8) {
        let bytes = codec::encode(&sample_video()).expect("encode");
        let truncated = &bytes[..cut.index(bytes.len())];
        prop_assert!(codec::decode::<VideoRecord>("videos", truncated).is_err(), "a truncated record is refused");
        let mut flipped = bytes.clone();
        flipped[flip.index(bytes.len())] ^= 1 << bit;
        // A flipped bit may still decode (e.g. inside a string); it must not panic.
        let _ = codec::decode::<VideoRecord>("videos", &flipped);
    }
}

#[test]
fn counters_are_monotonic_and_survive_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        assert_eq!(store.next_id("counter/test").expect("id"), 1);
        assert_eq!(store.next_id("counter/test").expect("id"), 2);
        assert_eq!(store.next_id("counter/other").expect("id"), 1);
        store.flush_blocking().expect("flush");
    }
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.next_id("counter/test").expect("id"), 3);
}
