//! PeerTube's `CacheFile`: a mirror's announcement that it holds a copy of one of a
//! video's files (`Create`, `Update` to extend `expires`, `Undo` of the `Create` on
//! removal). Built and parsed with PeerTube's checks (`isCacheFileObjectValid`), plus the
//! same-origin rule: the `CacheFile` id and the copy's `href` are on the sender's host.
//!
//! Two forms exist. A web-video file (what Shoal mirrors and sends):
//! id `{mirror}/redundancy/videos/{uuid}/{resolution}[-{fps}]`, `url` a video `Link`
//! (`mediaType`, `href` = `{mirror}/static/redundancy/{filename}`, `height`, `size`,
//! `fps`): PeerTube ≤ 6 sent it, PeerTube 8 still validates it (and stores only HLS
//! ones). An HLS playlist (PeerTube 7 and 8): id
//! `{mirror}/redundancy/streaming-playlists/hls/{uuid}`, `url` an
//! `application/x-mpegURL` `Link` to `{mirror}/static/redundancy/hls/{uuid}`.

use super::activity::{self, ActivityKind};
use super::json::{str_field, type_of};
use super::origin::{host_of, require_host};
use super::{context, ApError};
use serde_json::{json, Value};

/// Media types of a web-video `Link` PeerTube accepts (`MIMETYPES.AP_VIDEO`).
pub const VIDEO_MEDIA_TYPES: &[&str] = &["video/mp4", "video/webm", "video/ogg", "audio/mp4"];
/// The media type of an HLS playlist `Link`.
pub const HLS_MEDIA_TYPE: &str = "application/x-mpegURL";
/// PeerTube's `CONSTRAINTS_FIELDS.ACTORS.URL` (length of an ActivityPub URL).
pub const MAX_URL_LEN: usize = 2_000;

/// What the mirror holds.
#[derive(Debug, Clone, PartialEq)]
pub enum CachedCopy {
    /// One web-video file (`height` is PeerTube's resolution: the picture's short side).
    VideoFile { media_type: String, href: String, height: u32, size: u64, fps: Option<f64> },
    /// A whole HLS playlist; `href` is its base URL.
    Playlist { href: String },
}

impl CachedCopy {
    /// Where the copy is served.
    pub fn href(&self) -> &str {
        match self {
            CachedCopy::VideoFile { href, .. } | CachedCopy::Playlist { href } => href,
        }
    }
}

/// A `CacheFile` object.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheFile {
    /// `{mirror}/redundancy/...`.
    pub id: String,
    /// The video's ActivityPub id (on its origin).
    pub object: String,
    /// ISO 8601 (`expires`), as sent; `None` when the copy does not expire.
    pub expires: Option<String>,
    /// `expires` in unix seconds.
    pub expires_at: Option<i64>,
    pub url: CachedCopy,
}

/// `{mirror}/redundancy/videos/{uuid}/{resolution}[-{fps}]`, as PeerTube names a
/// web-video copy (`getLocalVideoCacheFileActivityPubUrl`: the fps suffix when fps is set
/// and not -1).
pub fn video_file_id(mirror_base: &str, uuid: &str, resolution: u32, fps: Option<u32>) -> String {
    let base = mirror_base.trim_end_matches('/');
    match fps {
        Some(fps) if fps > 0 => format!("{base}/redundancy/videos/{uuid}/{resolution}-{fps}"),
        _ => format!("{base}/redundancy/videos/{uuid}/{resolution}"),
    }
}

/// `{mirror}/redundancy/streaming-playlists/hls/{uuid}`.
pub fn playlist_id(mirror_base: &str, uuid: &str) -> String {
    format!("{}/redundancy/streaming-playlists/hls/{uuid}", mirror_base.trim_end_matches('/'))
}

/// `{mirror}/static/redundancy/{filename}`: where a mirrored web-video file is served.
pub fn copy_href(mirror_base: &str, filename: &str) -> String {
    crate::media_layout::MediaUrls::new(mirror_base).redundancy_copy(filename)
}

/// PeerTube's `getUpdateActivityPubUrl`: `{id}/updates/{updated_at}`.
pub fn update_activity_id(cache_file_id: &str, updated_at: &str) -> String {
    format!("{cache_file_id}/updates/{updated_at}")
}

/// PeerTube's `getUndoActivityPubUrl` of the CacheFile: `{id}/undo`.
pub fn undo_activity_id(cache_file_id: &str) -> String {
    format!("{cache_file_id}/undo")
}

impl CacheFile {
    /// The object as PeerTube's `toActivityPubObject` writes it (no `@context`).
    pub fn to_json(&self) -> Value {
        let url = match &self.url {
            CachedCopy::VideoFile { media_type, href, height, size, fps } => {
                let mut link = json!({
                    "type": "Link",
                    "mediaType": media_type,
                    "href": href,
                    "height": height,
                    "size": size,
                });
                if let (Some(fps), Value::Object(map)) = (fps, &mut link) {
                    // PeerTube's fps is an integer column.
                    map.insert("fps".into(), json!(fps.round() as i64));
                }
                link
            }
            CachedCopy::Playlist { href } => json!({ "type": "Link", "mediaType": HLS_MEDIA_TYPE, "href": href }),
        };
        json!({
            "id": self.id,
            "type": "CacheFile",
            "object": self.object,
            "expires": self.expires,
            "url": url,
        })
    }

    /// Parses an embedded `CacheFile` sent by an actor on `actor_host`, with PeerTube's
    /// checks (`isCacheFileObjectValid`) and the same-origin rule for `id` and `href`.
    pub fn parse(doc: &Value, actor_host: &str) -> Result<CacheFile, ApError> {
        const WHAT: &str = "CacheFile";
        if !doc.is_object() {
            return Err(ApError::Malformed { what: WHAT, reason: "not a JSON object".into() });
        }
        if type_of(doc) != Some("CacheFile") {
            return Err(ApError::Malformed { what: WHAT, reason: "type is not CacheFile".into() });
        }
        let id = str_field(doc, "id").ok_or(ApError::Missing { what: WHAT, field: "id" })?;
        require_url(id)?;
        require_host("CacheFile id", id, actor_host)?;
        let object = str_field(doc, "object").ok_or(ApError::Missing { what: WHAT, field: "object" })?;
        require_url(object)?;
        let (expires, expires_at) = match doc.get("expires") {
            None | Some(Value::Null) => (None, None),
            Some(Value::String(s)) if s.is_empty() => (None, None),
            Some(Value::String(s)) => {
                let at = parse_iso8601(s)
                    .ok_or_else(|| ApError::Malformed { what: WHAT, reason: format!("expires {s:?} is not a date") })?;
                (Some(s.clone()), Some(at))
            }
            Some(_) => return Err(ApError::Malformed { what: WHAT, reason: "expires is not a string".into() }),
        };
        let link = doc.get("url").ok_or(ApError::Missing { what: WHAT, field: "url" })?;
        let url = parse_link(link)?;
        require_host("CacheFile url href", url.href(), actor_host)?;
        Ok(CacheFile { id: id.to_string(), object: object.to_string(), expires, expires_at, url })
    }

    /// Whether the copy has expired at unix second `now` (never, without `expires`).
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

fn require_url(url: &str) -> Result<(), ApError> {
    if url.len() > MAX_URL_LEN || host_of(url).is_none() {
        return Err(ApError::InvalidUrl(url.chars().take(200).collect()));
    }
    Ok(())
}

/// `isRedundancyUrlVideoValid` (a video-file `Link`) or `isPlaylistRedundancyUrlValid`.
fn parse_link(link: &Value) -> Result<CachedCopy, ApError> {
    const WHAT: &str = "CacheFile url";
    if str_field(link, "type") != Some("Link") {
        return Err(ApError::Malformed { what: WHAT, reason: "not a Link".into() });
    }
    let media_type = str_field(link, "mediaType")
        .or_else(|| str_field(link, "mimeType"))
        .ok_or(ApError::Missing { what: WHAT, field: "mediaType" })?;
    let href = str_field(link, "href").ok_or(ApError::Missing { what: WHAT, field: "href" })?;
    require_url(href)?;
    if media_type == HLS_MEDIA_TYPE {
        return Ok(CachedCopy::Playlist { href: href.to_string() });
    }
    if !VIDEO_MEDIA_TYPES.contains(&media_type) {
        return Err(ApError::Malformed { what: WHAT, reason: format!("media type {media_type:?}") });
    }
    let height = non_negative_int(link.get("height"))
        .and_then(|h| u32::try_from(h).ok())
        .ok_or_else(|| ApError::Malformed { what: WHAT, reason: "height is not an integer >= 0".into() })?;
    let size = non_negative_int(link.get("size"))
        .ok_or_else(|| ApError::Malformed { what: WHAT, reason: "size is not an integer >= 0".into() })?;
    // `!url.fps || isInt(url.fps, { min: -1 })`; older PeerTube sent `_:fps`.
    let fps = match link.get("fps").or_else(|| link.get("_:fps")) {
        None | Some(Value::Null) => None,
        Some(v) => match int_of(v) {
            Some(0) => None,
            Some(f) if f >= -1 && f <= i64::from(u16::MAX) => (f > 0).then_some(f as f64),
            _ => return Err(ApError::Malformed { what: WHAT, reason: "fps is not an integer >= -1".into() }),
        },
    };
    Ok(CachedCopy::VideoFile { media_type: media_type.to_string(), href: href.to_string(), height, size, fps })
}

/// An integer as validator's `isInt` reads `value + ''`: a JSON integer, or a string of
/// decimal digits (with an optional sign).
fn int_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
        }
        Value::String(s) => {
            let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
            if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

fn non_negative_int(value: Option<&Value>) -> Option<u64> {
    value.and_then(int_of).and_then(|i| u64::try_from(i).ok())
}

/// Unix seconds of an ISO 8601 date-time (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`,
/// as JavaScript's `toISOString` writes and validator's `isISO8601` takes), or of a bare
/// `YYYY-MM-DD` (midnight UTC).
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if text.len() > 40 || bytes.len() < 10 || !text.is_ascii() {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if bytes[4] != b'-' || bytes[7] != b'-' || !(1..=12).contains(&month) || day < 1 || day > days_in(year, month) {
        return None;
    }
    let date = days_from_civil(year, month, day) * 86_400;
    if bytes.len() == 10 {
        return Some(date);
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') || bytes.len() < 16 || bytes[13] != b':' {
        return None;
    }
    let (hour, minute) = (num(11..13)?, num(14..16)?);
    let mut pos = 16;
    let mut second = 0;
    if bytes.get(pos) == Some(&b':') {
        second = num(17..19)?;
        pos = 19;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            if pos == start {
                return None;
            }
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = match &text[pos..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) && rest.as_bytes()[3] == b':' => {
            let (h, m) = (num(pos + 1..pos + 3)?, num(pos + 4..pos + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (h * 3_600 + m * 60)
        }
        _ => return None,
    };
    Some(date + hour * 3_600 + minute * 60 + second - offset)
}

fn days_in(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `unix` seconds as JavaScript's `toISOString` writes them (`2026-12-03T09:00:00.000Z`).
pub fn format_iso8601(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // civil_from_days (Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z", secs / 3_600, secs % 3_600 / 60, secs % 60)
}

/// The `@context` PeerTube gives a CacheFile activity (`CacheFile` in
/// activity-pub-utils.ts): Shoal's, plus `expires` and `CacheFile`.
fn cache_file_context(document: Value) -> Value {
    let mut doc = context::with_context(document);
    if let Some(Value::Array(items)) = doc.get_mut("@context") {
        items.push(json!({ "expires": "sc:expires", "CacheFile": "pt:CacheFile" }));
    }
    doc
}

/// PeerTube's `Create` of a CacheFile (sendCreateCacheFile, buildCreateActivity): id
/// `{cache file id}/activity`, sent by the mirror's instance actor and addressed to the
/// video's owner (getOriginVideoAudience: `to` the owner, `cc` empty), the audience also
/// on the object (audiencify).
pub fn create(actor: &str, cache_file: &CacheFile, to: &[String]) -> Value {
    cache_file_context(create_activity(actor, cache_file, to, &[]))
}

fn create_activity(actor: &str, cache_file: &CacheFile, to: &[String], cc: &[String]) -> Value {
    let id = create_activity_id(&cache_file.id);
    strip_context(activity::build(ActivityKind::Create, &id, actor, audiencified(cache_file, to, cc), to, cc))
}

/// `{cache file id}/activity`: the id of the `Create` (buildCreateActivity).
pub fn create_activity_id(cache_file_id: &str) -> String {
    format!("{cache_file_id}/activity")
}

fn audiencified(cache_file: &CacheFile, to: &[String], cc: &[String]) -> Value {
    let mut object = cache_file.to_json();
    if let Value::Object(map) = &mut object {
        map.insert("to".into(), json!(to));
        map.insert("cc".into(), json!(cc));
    }
    object
}

/// PeerTube's `Update` of a CacheFile (sendUpdateCacheFile, buildUpdateActivity): id
/// `{cache file id}/updates/{updated_at}`, same audience as the `Create`.
pub fn update(actor: &str, cache_file: &CacheFile, updated_at: &str, to: &[String]) -> Value {
    let id = update_activity_id(&cache_file.id, updated_at);
    let object = audiencified(cache_file, to, &[]);
    cache_file_context(strip_context(activity::build(ActivityKind::Update, &id, actor, object, to, &[])))
}

/// PeerTube's `Undo` (sendUndoCacheFile): id `{cache file id}/undo`, addressed to the
/// video's owner, undoing a `Create` built without an audience (so with the public one:
/// `to` Public, `cc` the actor's followers).
pub fn undo(actor: &str, cache_file: &CacheFile, to: &[String]) -> Value {
    let public = [super::PUBLIC.to_string()];
    let followers = [format!("{actor}/followers")];
    let inner = create_activity(actor, cache_file, &public, &followers);
    let id = undo_activity_id(&cache_file.id);
    cache_file_context(strip_context(activity::build(ActivityKind::Undo, &id, actor, inner, to, &[])))
}

fn strip_context(mut doc: Value) -> Value {
    if let Value::Object(map) = &mut doc {
        map.remove("@context");
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activitypub::{Activity, ObjectRef};

    fn sample(expires: Option<&str>) -> CacheFile {
        CacheFile {
            id: video_file_id("https://mirror.example", "0b1c", 720, Some(30)),
            object: "https://origin.example/videos/watch/0b1c".into(),
            expires: expires.map(str::to_string),
            expires_at: expires.and_then(parse_iso8601),
            url: CachedCopy::VideoFile {
                media_type: "video/mp4".into(),
                href: copy_href("https://mirror.example/", "0b1c-720.mp4"),
                height: 720,
                size: 1234,
                fps: Some(30.0),
            },
        }
    }

    #[test]
    fn url_shapes() {
        assert_eq!(
            video_file_id("https://m.example/", "u", 720, Some(30)),
            "https://m.example/redundancy/videos/u/720-30"
        );
        assert_eq!(video_file_id("https://m.example", "u", 360, None), "https://m.example/redundancy/videos/u/360");
        assert_eq!(playlist_id("https://m.example", "u"), "https://m.example/redundancy/streaming-playlists/hls/u");
        assert_eq!(copy_href("https://m.example", "f.mp4"), "https://m.example/static/redundancy/f.mp4");
    }

    #[test]
    fn round_trip_and_activities() {
        let cf = sample(Some("2026-12-04T10:00:00.000Z"));
        let json = cf.to_json();
        assert_eq!(json["type"], "CacheFile");
        assert_eq!(json["url"]["type"], "Link");
        assert_eq!(json["url"]["fps"], 30);
        assert_eq!(CacheFile::parse(&json, "mirror.example").unwrap(), cf);
        let to = vec!["https://origin.example/accounts/root".to_string()];
        let create = create("https://mirror.example/accounts/peertube", &cf, &to);
        assert!(create["@context"].as_array().unwrap().iter().any(|c| c.get("CacheFile").is_some()));
        assert_eq!(create["object"]["to"], json!(to));
        let parsed = Activity::from_value(create).unwrap();
        assert_eq!((parsed.kind, parsed.id), (ActivityKind::Create, format!("{}/activity", cf.id)));
        let update = Activity::from_value(update(
            "https://mirror.example/accounts/peertube",
            &cf,
            "2026-12-03T10:00:00.000Z",
            &to,
        ))
        .unwrap();
        assert_eq!(update.id, format!("{}/updates/2026-12-03T10:00:00.000Z", cf.id));
        let undo = Activity::from_value(undo("https://mirror.example/accounts/peertube", &cf, &to)).unwrap();
        assert_eq!(undo.id, format!("{}/undo", cf.id));
        let ObjectRef::Embedded(inner) = undo.object else { panic!("embedded create") };
        let inner = Activity::from_value(inner).unwrap();
        assert_eq!(inner.kind, ActivityKind::Create);
        assert_eq!(inner.to, vec![crate::activitypub::PUBLIC.to_string()]);
        let ObjectRef::Embedded(obj) = inner.object else { panic!("embedded cache file") };
        assert_eq!(CacheFile::parse(&obj, "mirror.example").unwrap(), cf);
    }

    #[test]
    fn peertube_checks() {
        let good = sample(None).to_json();
        assert!(CacheFile::parse(&good, "mirror.example").is_ok());
        // href or id on another host than the sender
        assert!(matches!(CacheFile::parse(&good, "other.example"), Err(ApError::CrossOrigin { .. })));
        let mut other_href = good.clone();
        other_href["url"]["href"] = json!("https://elsewhere.example/static/redundancy/f.mp4");
        assert!(CacheFile::parse(&other_href, "mirror.example").is_err());
        for (field, value) in [
            ("type", json!("Video")),
            ("expires", json!("tomorrow")),
            ("expires", json!(12)),
            ("object", json!("not a url")),
            ("object", json!(null)),
            ("url", json!("https://mirror.example/x")),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            assert!(CacheFile::parse(&bad, "mirror.example").is_err(), "{field} = {}", bad[field]);
        }
        for (field, value) in [
            ("mediaType", json!("text/html")),
            ("height", json!(-1)),
            ("height", json!("x")),
            ("size", json!(1.5)),
            ("fps", json!(-2)),
            ("type", json!("Image")),
        ] {
            let mut bad = good.clone();
            bad["url"][field] = value;
            assert!(CacheFile::parse(&bad, "mirror.example").is_err(), "url.{field} = {}", bad["url"][field]);
        }
        // string integers pass validator's isInt, as in PeerTube
        let mut strings = good.clone();
        strings["url"]["height"] = json!("720");
        strings["url"]["fps"] = json!(-1);
        let parsed = CacheFile::parse(&strings, "mirror.example").unwrap();
        assert!(matches!(parsed.url, CachedCopy::VideoFile { height: 720, fps: None, .. }));
        // an HLS playlist, as PeerTube 8 sends it
        let hls = json!({
            "id": playlist_id("https://mirror.example", "u"), "type": "CacheFile",
            "object": "https://origin.example/videos/watch/u", "expires": null,
            "url": { "type": "Link", "mediaType": "application/x-mpegURL", "href": "https://mirror.example/static/redundancy/hls/u" }
        });
        assert!(matches!(CacheFile::parse(&hls, "mirror.example").unwrap().url, CachedCopy::Playlist { .. }));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso8601("2026-12-03T09:38:51.123Z"), Some(1_796_290_731));
        assert_eq!(parse_iso8601("2026-12-03T10:38:51+01:00"), Some(1_796_290_731));
        assert_eq!(parse_iso8601("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "2023-02-29",
            "2026-13-01T00:00:00Z",
            "2026-12-03T24:00:00Z",
            "2026-12-03T09:38:51",
            "soon",
            "",
            "2026-12-03T09:38:51.Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
        for t in [0, 1_796_290_731, 951_782_400, 4_102_444_800] {
            assert_eq!(parse_iso8601(&format_iso8601(t)), Some(t));
        }
        assert_eq!(format_iso8601(1_796_290_731), "2026-12-03T09:38:51.000Z");
        assert!(sample(Some("2000-01-01T00:00:00Z")).expired(1_796_290_731));
        assert!(!sample(None).expired(i64::MAX));
    }
}
