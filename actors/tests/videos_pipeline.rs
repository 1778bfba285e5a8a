//! Upload to published: files, torrents that hash the bytes, listing, progress, quota,
//! bad input, deletion.

mod common;

use common::*;
use shoal_actors::accounts::{NewUser, Role};
use shoal_actors::videos::{Privacy, VideoKey, VideoState};
use shoal_actors::{Shoal, VideoError, VideoListQuery, VideoSort};
use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::torrent::Metainfo;
use std::time::Duration;

const PUBLISH_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_publishes_every_rung_with_verifiable_torrents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shoal = Shoal::start(test_config(dir.path())).await.expect("start");
    let created = upload_y4m(&shoal, "Gradient test", 64, 48, 8).await;
    assert_eq!(created.state, VideoState::ToTranscode);
    assert_eq!(created.pending_resolutions, vec![24, 48]);
    assert_eq!(created.source.width, 64);
    assert_eq!(created.source.frames, 8);
    assert!(created.source.path.starts_with(dir.path().join("originals")));
    assert!(created.source.path.exists());
    assert_eq!(std::fs::read_dir(shoal.uploads_dir()).expect("uploads").count(), 0, "the upload was moved");
    assert_eq!(shoal_protocol::short_uuid::decode(&created.short_uuid), Some(created.uuid));

    let published =
        wait_for(&shoal, created.uuid, PUBLISH_TIMEOUT, "every rung", |v| v.pending_resolutions.is_empty()).await;
    assert_eq!(published.state, VideoState::Published);
    assert!(published.published_at.is_some());
    assert_eq!(published.state_error, None);
    assert_eq!(published.files.iter().map(|f| f.resolution).collect::<Vec<_>>(), vec![24, 48]);
    assert_eq!(published.thumbnail.as_deref(), Some(format!("{}.jpg", created.uuid).as_str()));
    assert!(shoal.media_dir().join(format!("{}.jpg", created.uuid)).exists());
    assert_eq!(shoal.progress(created.uuid).await, None, "nothing pending: no progress");

    for file in &published.files {
        assert_eq!(file.filename, format!("{}-{}.mp4", created.uuid, file.resolution));
        let bytes = std::fs::read(shoal.media_dir().join(&file.filename)).expect("media file");
        assert_eq!(bytes.len() as u64, file.size);
        let torrent_bytes = std::fs::read(shoal.media_dir().join(&file.torrent_filename)).expect("torrent file");
        let torrent = Metainfo::from_bytes(&torrent_bytes).expect("torrent parses");
        assert_eq!(torrent.info.name, file.filename);
        assert_eq!(torrent.info.length, file.size);
        assert_eq!(torrent.info_hash_hex(), file.info_hash);
        assert_eq!(torrent.announce.as_deref(), Some("http://127.0.0.1:9999/tracker/announce"));
        assert_eq!(
            torrent.announce_list,
            vec![
                vec!["http://127.0.0.1:9999/tracker/announce".to_string()],
                vec!["ws://127.0.0.1:9999/tracker/socket".to_string()]
            ]
        );
        assert_eq!(torrent.url_list, vec![format!("http://127.0.0.1:9999/static/web-videos/{}", file.filename)]);
        assert_eq!(torrent.created_by.as_deref(), Some("Shoal"));
        let piece_length = torrent.info.piece_length as usize;
        assert_eq!(torrent.info.piece_count(), bytes.len().div_ceil(piece_length));
        for (index, chunk) in bytes.chunks(piece_length).enumerate() {
            assert!(torrent.info.verify_piece(index, chunk), "piece {index} of {} hashes", file.filename);
        }
        let magnet = MagnetLink::parse(&file.magnet_uri).expect("magnet parses");
        assert_eq!(hex::encode(magnet.info_hash), file.info_hash);
        assert_eq!(magnet.display_name.as_deref(), Some("Gradient test"));
        assert_eq!(magnet.web_seeds, torrent.url_list);
        assert!(magnet.trackers.contains(&"ws://127.0.0.1:9999/tracker/socket".to_string()));
    }
    assert_eq!(std::fs::read_dir(dir.path().join("tmp")).expect("tmp").count(), 0, "no temporary files left");

    // Reads by every key.
    for key in [VideoKey::Id(created.id), VideoKey::Uuid(created.uuid), VideoKey::ShortUuid(created.short_uuid.clone())]
    {
        assert_eq!(shoal.get_video(&key).expect("read").map(|v| v.id), Some(created.id));
    }
    let (account, _) = admin_ids(&shoal);
    let used = shoal.used_quota(account).expect("quota");
    assert_eq!(used, published.source.size + published.files.iter().map(|f| f.size).sum::<u64>());

    // Deletion removes the record and every file.
    shoal.delete_video(&VideoKey::Uuid(created.uuid)).await.expect("delete");
    assert_eq!(shoal.get_video(&VideoKey::Uuid(created.uuid)).expect("read"), None);
    assert!(!created.source.path.exists());
    assert_eq!(std::fs::read_dir(shoal.media_dir()).expect("media").count(), 0);
    assert!(matches!(shoal.delete_video(&VideoKey::Id(created.id)).await, Err(VideoError::NotFound)));
    assert_eq!(shoal.used_quota(account).expect("quota"), 0);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_shows_public_published_videos_and_the_viewers_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    config.transcoding.ladder.truncate(1);
    let shoal = Shoal::start(config).await.expect("start");
    let (admin, channel) = admin_ids(&shoal);
    let first = upload_y4m(&shoal, "bbb first", 32, 24, 2).await;
    let path = stage_y4m(&shoal, 32, 24, 2);
    let mut private = new_video(admin, channel, "aaa private", &path);
    private.details.privacy = Privacy::Private;
    let private = shoal.create_video(private).await.expect("create");
    for uuid in [first.uuid, private.uuid] {
        wait_for(&shoal, uuid, PUBLISH_TIMEOUT, "publication", |v| v.state == VideoState::Published).await;
    }

    let anonymous = VideoListQuery { start: 0, count: 10, sort: VideoSort::CreatedAtDesc, viewer_account: None };
    let (total, page) = shoal.list_videos(&anonymous).expect("list");
    assert_eq!(total, 1);
    assert_eq!(page[0].uuid, first.uuid);

    let own = VideoListQuery { viewer_account: Some(admin), ..anonymous.clone() };
    let (total, page) = shoal.list_videos(&own).expect("list");
    assert_eq!(total, 2);
    assert_eq!(page.iter().map(|v| v.id).collect::<Vec<_>>(), vec![private.id, first.id], "newest first");
    let by_name = VideoListQuery { sort: VideoSort::parse("name").expect("sort"), ..own.clone() };
    assert_eq!(shoal.list_videos(&by_name).expect("list").1[0].id, private.id);
    let oldest = VideoListQuery { sort: VideoSort::parse("createdAt").expect("sort"), ..own.clone() };
    assert_eq!(shoal.list_videos(&oldest).expect("list").1[0].id, first.id);
    let paged = VideoListQuery { start: 1, count: 1, ..own };
    let (total, page) = shoal.list_videos(&paged).expect("list");
    assert_eq!((total, page.len(), page[0].id), (2, 1, first.id));
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_rejected_and_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shoal = Shoal::start(test_config(dir.path())).await.expect("start");
    let (admin, channel) = admin_ids(&shoal);

    // Not a video.
    let text = shoal.uploads_dir().join("notes.mp4");
    std::fs::write(&text, "this is not a video\n").expect("write");
    let result = shoal.create_video(new_video(admin, channel, "text file", &text)).await;
    assert!(matches!(result, Err(VideoError::Unreadable(_))), "{result:?}");
    assert!(!text.exists(), "rejected uploads are deleted");

    // Truncated Y4M (header promises 64x48, one frame is cut short).
    let truncated = stage_y4m(&shoal, 64, 48, 2);
    let len = std::fs::metadata(&truncated).expect("meta").len();
    std::fs::OpenOptions::new().write(true).open(&truncated).expect("open").set_len(len - 100).expect("truncate");
    let result = shoal.create_video(new_video(admin, channel, "truncated", &truncated)).await;
    assert!(matches!(result, Err(VideoError::Unreadable(_))), "{result:?}");
    assert!(!truncated.exists());

    // Someone else's channel.
    let other = shoal
        .accounts()
        .create_user(NewUser {
            username: "other".into(),
            password: "other-password".into(),
            email: "other@example.org".into(),
            role: Role::User,
            video_quota: Some(10_000),
            video_quota_daily: None,
            channel_name: None,
        })
        .await
        .expect("user");
    let upload = stage_y4m(&shoal, 32, 24, 2);
    let result = shoal.create_video(new_video(admin, other.default_channel_id, "wrong channel", &upload)).await;
    assert!(matches!(result, Err(VideoError::WrongChannel(c)) if c == other.default_channel_id), "{result:?}");
    assert!(!upload.exists());

    // Over quota: 10 000 bytes, the file is bigger.
    let upload = stage_y4m(&shoal, 64, 48, 4);
    let result = shoal.create_video(new_video(other.id, other.default_channel_id, "too big", &upload)).await;
    assert!(matches!(result, Err(VideoError::QuotaExceeded { used: 0, quota: 10_000, .. })), "{result:?}");
    assert!(!upload.exists());

    // Bad name, and a path outside the uploads folder (left alone).
    let upload = stage_y4m(&shoal, 32, 24, 2);
    let result = shoal.create_video(new_video(admin, channel, "x", &upload)).await;
    assert!(matches!(result, Err(VideoError::Invalid { field: "name", .. })), "{result:?}");
    let outside = dir.path().join("outside.y4m");
    write_y4m(&outside, 32, 24, 2);
    let result = shoal.create_video(new_video(admin, channel, "outside", &outside)).await;
    assert!(matches!(result, Err(VideoError::Invalid { field: "upload_path", .. })), "{result:?}");
    assert!(outside.exists());

    let (total, _) = shoal
        .list_videos(&VideoListQuery {
            start: 0,
            count: 10,
            sort: VideoSort::CreatedAtDesc,
            viewer_account: Some(admin),
        })
        .expect("list");
    assert_eq!(total, 0);
    shoal.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_visible_while_transcoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    config.transcoding.ladder = vec![shoal_actors::config::Rung { height: 240, bitrate_kbps: 300 }];
    config.transcoding.speed = 6;
    let shoal = Shoal::start(config).await.expect("start");
    let created = upload_y4m(&shoal, "progress", 320, 240, 60).await;
    let deadline = std::time::Instant::now() + PUBLISH_TIMEOUT;
    let mut seen = None;
    while std::time::Instant::now() < deadline {
        if let Some(progress) = shoal.progress(created.uuid).await {
            if progress.frames_done > 0 {
                seen = Some(progress);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let progress = seen.expect("progress reported while encoding");
    assert_eq!(progress.resolution, Some(240));
    assert_eq!(progress.frames_total, 60);
    assert_eq!(progress.pending, vec![240]);
    assert_eq!(progress.attempt, 1);
    wait_for(&shoal, created.uuid, PUBLISH_TIMEOUT, "publication", |v| v.state == VideoState::Published).await;
    shoal.shutdown().await;
}
