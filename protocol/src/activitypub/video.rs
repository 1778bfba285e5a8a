//! PeerTube's `Video` object: built from a local video (links first to the watch page,
//! then per file the file, its `.torrent` and magnet, then the trackers; `duration` as
//! `PT<seconds>S`; `attributedTo` [account, channel]; the collections) and parsed from
//! another server's document.

use super::json::{first, ids_of, str_field, type_of};
use super::origin::{host_of, require_host};
use super::{context, ApError, PUBLIC};
use serde_json::{json, Value};

/// One playable file of a video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFileLinks {
    /// `video/mp4` or `video/webm`.
    pub media_type: String,
    pub url: String,
    pub torrent_url: String,
    pub magnet_uri: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub fps: f64,
}

/// A video's HLS playlist as PeerTube links it: a `Link` of type `application/x-mpegURL` to the
/// master playlist whose `tag[]` holds the p2p-media-loader info hashes (`Infohash`), the
/// segment hashes (`name: "sha256"`) and each resolution's fragmented MP4 with its torrent and
/// magnet (the MP4 links carry PeerTube's `attachment`s: stream kinds, `fragmented` flag).
#[derive(Debug, Clone, PartialEq)]
pub struct HlsPlaylistLinks {
    pub playlist_url: String,
    pub segments_sha256_url: String,
    /// Hex info hashes, PeerTube's `p2pMediaLoaderInfohashes` (receivers recompute them).
    pub info_hashes: Vec<String>,
    /// Highest resolution first, `url` the fragmented MP4.
    pub files: Vec<VideoFileLinks>,
    pub has_audio: bool,
}

impl HlsPlaylistLinks {
    fn to_link(&self) -> Value {
        let mut tag: Vec<Value> = self.info_hashes.iter().map(|h| json!({ "type": "Infohash", "name": h })).collect();
        tag.push(json!({
            "type": "Link", "name": "sha256", "mediaType": "application/json", "href": self.segments_sha256_url,
        }));
        let mut attachment = Vec::new();
        if self.has_audio {
            attachment.push(json!({ "type": "PropertyValue", "name": "ffprobe_codec_type", "value": "audio" }));
        }
        attachment.push(json!({ "type": "PropertyValue", "name": "ffprobe_codec_type", "value": "video" }));
        attachment.push(json!({ "type": "PropertyValue", "name": "peertube_format_flag", "value": "fragmented" }));
        for f in &self.files {
            let [mut file, torrent, magnet] = f.links();
            file["attachment"] = json!(attachment);
            tag.extend([file, torrent, magnet]);
        }
        json!({ "type": "Link", "mediaType": "application/x-mpegURL", "href": self.playlist_url, "tag": tag })
    }
}

impl VideoFileLinks {
    /// The file's `Link`, then its `.torrent`'s and its magnet's.
    fn links(&self) -> [Value; 3] {
        // PeerTube keeps only links whose fps is an integer (its isRemoteVideoUrlValid).
        let fps = self.fps.round() as i64;
        let (height, width, size) = (self.height, self.width, self.size);
        [
            json!({
                "type": "Link", "mediaType": self.media_type, "href": self.url,
                "height": height, "width": width, "size": size, "fps": fps,
            }),
            json!({
                "type": "Link", "mediaType": "application/x-bittorrent", "href": self.torrent_url,
                "height": height, "width": width, "size": size, "fps": fps,
            }),
            json!({
                "type": "Link", "mediaType": "application/x-bittorrent;x-scheme-handler/magnet",
                "href": self.magnet_uri, "height": height, "width": width, "size": size, "fps": fps,
            }),
        ]
    }
}

/// PeerTube's `VideoCommentPolicy` (its ids 1, 2, 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentsPolicy {
    Enabled,
    Disabled,
    /// Replies are held until the video's owner approves them (`ApproveReply`).
    RequiresApproval,
}

impl CommentsPolicy {
    /// PeerTube's id.
    pub fn id(self) -> u8 {
        match self {
            CommentsPolicy::Enabled => 1,
            CommentsPolicy::Disabled => 2,
            CommentsPolicy::RequiresApproval => 3,
        }
    }

    /// The policy of PeerTube id `id`.
    pub fn from_id(id: u64) -> Option<CommentsPolicy> {
        match id {
            1 => Some(CommentsPolicy::Enabled),
            2 => Some(CommentsPolicy::Disabled),
            3 => Some(CommentsPolicy::RequiresApproval),
            _ => None,
        }
    }

    /// The policy a `commentsEnabled` flag means.
    pub fn from_enabled(enabled: bool) -> CommentsPolicy {
        if enabled {
            CommentsPolicy::Enabled
        } else {
            CommentsPolicy::Disabled
        }
    }

    /// A remote video's policy: PeerTube 8's `commentsPolicy`, else the older
    /// `commentsEnabled`, else enabled (Mastodon-like servers send neither).
    fn of_document(doc: &Value) -> CommentsPolicy {
        match doc.get("commentsPolicy").and_then(Value::as_u64).and_then(CommentsPolicy::from_id) {
            Some(policy) => policy,
            None => CommentsPolicy::from_enabled(doc.get("commentsEnabled").and_then(Value::as_bool).unwrap_or(true)),
        }
    }
}

/// Everything a local video's `Video` object says.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoObject {
    /// `{base}/videos/watch/{uuid}`.
    pub id: String,
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub duration_secs: u64,
    pub published: String,
    pub updated: String,
    pub views: u64,
    pub sensitive: bool,
    pub comments_enabled: bool,
    pub download_enabled: bool,
    pub wait_transcoding: bool,
    /// PeerTube's state id (1 published).
    pub state: u8,
    pub tags: Vec<String>,
    pub category: Option<u32>,
    pub licence: Option<u32>,
    pub language: Option<String>,
    pub account: String,
    pub channel: String,
    pub files: Vec<VideoFileLinks>,
    /// The HLS playlist, when the files are fragmented MP4s.
    pub hls: Option<HlsPlaylistLinks>,
    /// JPEG thumbnail URL with its size.
    pub thumbnail: Option<(String, u32, u32)>,
    pub tracker_http: Option<String>,
    pub tracker_websocket: Option<String>,
    /// Public videos go to `PUBLIC` with followers in `cc`; unlisted the reverse.
    pub public: bool,
}

impl VideoObject {
    /// The object without `@context` (for embedding in activities).
    pub fn to_object(&self) -> Value {
        let id = &self.id;
        let mut urls = vec![json!({ "type": "Link", "mediaType": "text/html", "href": id })];
        for f in &self.files {
            urls.extend(f.links());
        }
        if let Some(hls) = &self.hls {
            urls.push(hls.to_link());
        }
        if let Some(t) = &self.tracker_http {
            urls.push(json!({ "type": "Link", "name": "tracker-http", "rel": ["tracker", "http"], "href": t }));
        }
        if let Some(t) = &self.tracker_websocket {
            urls.push(
                json!({ "type": "Link", "name": "tracker-websocket", "rel": ["tracker", "websocket"], "href": t }),
            );
        }
        let followers = format!("{}/followers", self.channel);
        let (to, cc) =
            if self.public { (json!([PUBLIC]), json!([followers])) } else { (json!([followers]), json!([PUBLIC])) };
        let identifier = |v: Option<String>| v.map(|i| json!({ "identifier": i, "name": i }));
        json!({
            "type": "Video",
            "id": id,
            "name": self.name,
            "duration": format!("PT{}S", self.duration_secs),
            "uuid": self.uuid,
            "tag": self.tags.iter().map(|t| json!({ "type": "Hashtag", "name": t })).collect::<Vec<_>>(),
            "category": identifier(self.category.map(|c| c.to_string())),
            "licence": identifier(self.licence.map(|c| c.to_string())),
            "language": identifier(self.language.clone()),
            "views": self.views,
            "sensitive": self.sensitive,
            "waitTranscoding": self.wait_transcoding,
            "state": self.state,
            // PeerTube 8 reads commentsPolicy (and takes a missing one as "disabled");
            // older PeerTubes read commentsEnabled. canReply as PeerTube 8 sets it: null
            // when anyone may reply.
            "commentsEnabled": self.comments_enabled,
            "commentsPolicy": CommentsPolicy::from_enabled(self.comments_enabled).id(),
            "canReply": if self.comments_enabled { Value::Null } else { json!(PUBLIC) },
            "downloadEnabled": self.download_enabled,
            "published": self.published,
            "originallyPublishedAt": null,
            "updated": self.updated,
            "mediaType": "text/markdown",
            // PeerTube refuses a whole video whose content is under 3 characters.
            "content": self.description.as_deref().filter(|d| d.chars().count() >= 3),
            "support": null,
            "subtitleLanguage": [],
            "icon": self.thumbnail.iter().map(|(url, w, h)| json!({
                "type": "Image", "url": url, "mediaType": "image/jpeg", "width": w, "height": h,
            })).collect::<Vec<_>>(),
            "url": urls,
            "likes": format!("{id}/likes"),
            "dislikes": format!("{id}/dislikes"),
            "shares": format!("{id}/announces"),
            "comments": format!("{id}/comments"),
            "attributedTo": [
                { "type": "Person", "id": self.account },
                { "type": "Group", "id": self.channel },
            ],
            "to": to,
            "cc": cc,
        })
    }

    /// The document served at the video's id, with `@context`.
    pub fn to_json(&self) -> Value {
        context::with_context(self.to_object())
    }
}

/// A video of another server, as Shoal stores and shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteVideo {
    pub id: String,
    pub host: String,
    pub uuid: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub duration_secs: u64,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub views: u64,
    pub sensitive: bool,
    pub comments_policy: CommentsPolicy,
    pub download_enabled: bool,
    pub tags: Vec<String>,
    pub language: Option<String>,
    /// The `Person` the video is attributed to.
    pub account: String,
    /// The `Group` (channel), when given.
    pub channel: Option<String>,
    pub files: Vec<VideoFileLinks>,
    /// Its HLS playlist, when it has one.
    pub hls: Option<HlsPlaylistLinks>,
    pub thumbnail: Option<String>,
    pub trackers: Vec<String>,
    /// Addressed to the public (listed), rather than unlisted.
    pub public: bool,
}

/// Parses `PT<seconds>S` (and PeerTube's variants with minutes and hours).
pub fn parse_duration(s: &str) -> Option<u64> {
    let rest = s.strip_prefix("PT")?;
    let mut total = 0u64;
    let mut number = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'H' => 3600.0,
            'M' => 60.0,
            'S' => 1.0,
            _ => return None,
        };
        total = total.checked_add((value * unit) as u64)?;
    }
    number.is_empty().then_some(total)
}

impl RemoteVideo {
    /// Parses a `Video` object. Its account and channel must be on its host; the caller
    /// checks that the host is the sender's (or the URL it was fetched from).
    pub fn parse(doc: &Value) -> Result<RemoteVideo, ApError> {
        const WHAT: &str = "video";
        if type_of(doc) != Some("Video") {
            return Err(ApError::Malformed { what: WHAT, reason: "type is not Video".into() });
        }
        let id = str_field(doc, "id").ok_or(ApError::Missing { what: WHAT, field: "id" })?;
        let host = host_of(id).ok_or_else(|| ApError::InvalidUrl(id.to_string()))?;
        let name = str_field(doc, "name").ok_or(ApError::Missing { what: WHAT, field: "name" })?;
        let mut account = None;
        let mut channel = None;
        let attributed: Vec<&Value> = match doc.get("attributedTo") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => Vec::new(),
        };
        for item in attributed {
            let Some(item_id) = super::json::id_of(item) else { continue };
            match type_of(item) {
                Some("Group") => channel = channel.or(Some(item_id)),
                _ => account = account.or(Some(item_id)),
            }
        }
        let account = account.or(channel).ok_or(ApError::Missing { what: WHAT, field: "attributedTo" })?;
        require_host("video account", account, &host)?;
        if let Some(channel) = channel {
            require_host("video channel", channel, &host)?;
        }
        let links: Vec<&Value> = match doc.get("url") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        let files = file_links(&links);
        let hls = links.iter().find_map(|l| hls_link(l));
        let trackers = links
            .iter()
            .filter(|l| l.get("rel").and_then(Value::as_array).is_some_and(|r| r.iter().any(|x| x == "tracker")))
            .filter_map(|l| str_field(l, "href").map(str::to_string))
            .collect();
        let to = ids_of(doc.get("to"));
        let cc = ids_of(doc.get("cc"));
        let is_public = |v: &Vec<String>| v.iter().any(|x| x == PUBLIC || x == "as:Public" || x == "Public");
        Ok(RemoteVideo {
            id: id.to_string(),
            host,
            uuid: str_field(doc, "uuid").map(str::to_string),
            name: name.chars().take(120).collect(),
            description: str_field(doc, "content").map(str::to_string),
            duration_secs: str_field(doc, "duration").and_then(parse_duration).unwrap_or(0),
            published: str_field(doc, "published").map(str::to_string),
            updated: str_field(doc, "updated").map(str::to_string),
            views: doc.get("views").and_then(Value::as_u64).unwrap_or(0),
            sensitive: doc.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
            comments_policy: CommentsPolicy::of_document(doc),
            download_enabled: doc.get("downloadEnabled").and_then(Value::as_bool).unwrap_or(true),
            tags: match doc.get("tag") {
                Some(Value::Array(tags)) => {
                    tags.iter().filter_map(|t| str_field(t, "name")).map(str::to_string).collect()
                }
                _ => Vec::new(),
            },
            language: doc.get("language").and_then(|l| str_field(l, "identifier")).map(str::to_string),
            account: account.to_string(),
            channel: channel.map(str::to_string),
            files,
            hls,
            thumbnail: first(doc, "icon").and_then(|i| str_field(i, "url")).map(str::to_string),
            trackers,
            public: is_public(&to) || (!is_public(&cc) && to.is_empty()),
        })
    }
}

/// An HLS playlist link (PeerTube keeps one only when its `tag` is an array), with its
/// segment hashes, info hashes and fragmented files.
fn hls_link(link: &Value) -> Option<HlsPlaylistLinks> {
    if str_field(link, "mediaType") != Some("application/x-mpegURL") {
        return None;
    }
    let playlist_url = str_field(link, "href")?.to_string();
    let Some(Value::Array(tag)) = link.get("tag") else { return None };
    let tag: Vec<&Value> = tag.iter().collect();
    let segments_sha256_url = tag
        .iter()
        .find(|t| str_field(t, "name") == Some("sha256") && str_field(t, "mediaType") == Some("application/json"))
        .and_then(|t| str_field(t, "href"))
        .unwrap_or_default()
        .to_string();
    let info_hashes =
        tag.iter().filter(|t| type_of(t) == Some("Infohash")).filter_map(|t| str_field(t, "name")).map(str::to_string);
    let has_audio = tag
        .iter()
        .filter_map(|t| t.get("attachment").and_then(Value::as_array))
        .flatten()
        .any(|a| str_field(a, "name") == Some("ffprobe_codec_type") && str_field(a, "value") == Some("audio"));
    Some(HlsPlaylistLinks {
        playlist_url,
        segments_sha256_url,
        info_hashes: info_hashes.collect(),
        files: file_links(&tag),
        has_audio,
    })
}

/// The playable files among a video's links, each with its torrent and magnet (matched
/// by height).
fn file_links(links: &[&Value]) -> Vec<VideoFileLinks> {
    let number = |l: &Value, f: &str| l.get(f).and_then(Value::as_u64).unwrap_or(0);
    let by_type = |media: &str, height: u64| {
        links
            .iter()
            .find(|l| str_field(l, "mediaType") == Some(media) && number(l, "height") == height)
            .and_then(|l| str_field(l, "href"))
            .unwrap_or_default()
            .to_string()
    };
    links
        .iter()
        .filter(|l| str_field(l, "mediaType").is_some_and(|m| m == "video/mp4" || m == "video/webm"))
        .filter(|l| l.get("rel").is_none())
        .filter_map(|l| {
            let href = str_field(l, "href")?;
            let height = number(l, "height");
            Some(VideoFileLinks {
                media_type: str_field(l, "mediaType").unwrap_or("video/mp4").to_string(),
                url: href.to_string(),
                torrent_url: by_type("application/x-bittorrent", height),
                magnet_uri: by_type("application/x-bittorrent;x-scheme-handler/magnet", height),
                width: u32::try_from(number(l, "width")).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
                size: number(l, "size"),
                fps: l.get("fps").and_then(Value::as_f64).unwrap_or(0.0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 240p file at `url`, with its torrent and magnet.
    fn file_240(url: &str) -> VideoFileLinks {
        VideoFileLinks {
            media_type: "video/mp4".into(),
            url: url.into(),
            torrent_url: "https://b.example/lazy-static/torrents/0a6d-240.torrent".into(),
            magnet_uri: "magnet:?xt=urn:btih:00".into(),
            width: 426,
            height: 240,
            size: 1000,
            fps: 25.0,
        }
    }

    fn sample() -> VideoObject {
        VideoObject {
            id: "https://b.example/videos/watch/0a6d".into(),
            uuid: "0a6d".into(),
            name: "Clip".into(),
            description: Some("hello".into()),
            duration_secs: 5,
            published: "2026-01-01T00:00:00Z".into(),
            updated: "2026-01-01T00:00:00Z".into(),
            views: 3,
            sensitive: false,
            comments_enabled: true,
            download_enabled: true,
            wait_transcoding: false,
            state: 1,
            tags: vec!["a".into()],
            category: None,
            licence: None,
            language: Some("en".into()),
            account: "https://b.example/accounts/bob".into(),
            channel: "https://b.example/video-channels/bob_channel".into(),
            files: vec![file_240("https://b.example/static/web-videos/0a6d-240.mp4")],
            hls: Some(HlsPlaylistLinks {
                playlist_url: "https://b.example/static/streaming-playlists/hls/0a6d/0a6d-master.m3u8".into(),
                segments_sha256_url: "https://b.example/static/streaming-playlists/hls/0a6d/0a6d-segments-sha256.json"
                    .into(),
                info_hashes: vec!["65".repeat(20)],
                files: vec![file_240("https://b.example/static/streaming-playlists/hls/0a6d/0a6d-240-fragmented.mp4")],
                has_audio: true,
            }),
            thumbnail: Some(("https://b.example/lazy-static/thumbnails/0a6d.jpg".into(), 280, 157)),
            tracker_http: Some("https://b.example/tracker/announce".into()),
            tracker_websocket: Some("wss://b.example/tracker/socket".into()),
            public: true,
        }
    }

    #[test]
    fn round_trip() {
        let doc = sample().to_json();
        assert_eq!(doc["duration"], "PT5S");
        assert_eq!(doc["url"][0]["mediaType"], "text/html");
        assert_eq!(doc["url"][1]["mediaType"], "video/mp4");
        assert_eq!(doc["url"][2]["mediaType"], "application/x-bittorrent");
        assert_eq!(doc["url"][1]["fps"], 25, "an integer, as PeerTube requires");
        let parsed = RemoteVideo::parse(&doc).unwrap();
        assert_eq!(parsed.host, "b.example");
        assert_eq!(parsed.duration_secs, 5);
        assert_eq!(parsed.channel.as_deref(), Some("https://b.example/video-channels/bob_channel"));
        assert_eq!(parsed.files.len(), 1);
        assert_eq!(parsed.files[0].torrent_url, "https://b.example/lazy-static/torrents/0a6d-240.torrent");
        assert_eq!(parsed.trackers.len(), 2);
        assert!(parsed.public);
        // The HLS link in PeerTube's shape, read back.
        let hls = &doc["url"][4];
        assert_eq!(hls["mediaType"], "application/x-mpegURL");
        assert_eq!(hls["tag"][0], json!({ "type": "Infohash", "name": "65".repeat(20) }));
        assert_eq!(hls["tag"][1]["name"], "sha256");
        assert_eq!(hls["tag"][2]["attachment"][2]["value"], "fragmented");
        assert_eq!(hls["tag"][3]["mediaType"], "application/x-bittorrent");
        assert_eq!(parsed.hls, sample().hls);
    }

    #[test]
    fn comments_policy_both_ways() {
        let doc = sample().to_json();
        assert_eq!(doc["commentsPolicy"], 1);
        assert_eq!(doc["canReply"], Value::Null);
        assert_eq!(RemoteVideo::parse(&doc).unwrap().comments_policy, CommentsPolicy::Enabled);
        let mut closed = sample();
        closed.comments_enabled = false;
        let doc = closed.to_json();
        assert_eq!(doc["commentsPolicy"], 2);
        assert_eq!(RemoteVideo::parse(&doc).unwrap().comments_policy, CommentsPolicy::Disabled);
        // PeerTube 8 sends commentsPolicy and no commentsEnabled; 3 holds replies.
        let mut pt8 = sample().to_json();
        pt8.as_object_mut().unwrap().remove("commentsEnabled");
        pt8["commentsPolicy"] = json!(3);
        assert_eq!(RemoteVideo::parse(&pt8).unwrap().comments_policy, CommentsPolicy::RequiresApproval);
        // neither field (a Mastodon-like server): open; an unknown id falls back
        pt8.as_object_mut().unwrap().remove("commentsPolicy");
        assert_eq!(RemoteVideo::parse(&pt8).unwrap().comments_policy, CommentsPolicy::Enabled);
        pt8["commentsPolicy"] = json!(9);
        pt8["commentsEnabled"] = json!(false);
        assert_eq!(RemoteVideo::parse(&pt8).unwrap().comments_policy, CommentsPolicy::Disabled);
    }

    #[test]
    fn refuses_foreign_attribution() {
        let mut doc = sample().to_json();
        doc["attributedTo"][0]["id"] = json!("https://evil.example/accounts/x");
        assert!(RemoteVideo::parse(&doc).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT5S"), Some(5));
        assert_eq!(parse_duration("PT1H2M3S"), Some(3723));
        assert_eq!(parse_duration("P1D"), None);
        assert_eq!(parse_duration("PT5"), None);
    }
}
