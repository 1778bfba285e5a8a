//! The one home of Shoal's media URL layout: where web videos, torrents, thumbnails,
//! redundancy copies and HLS playlists are published, in PeerTube's layout (players, NewPipe
//! and PeerTube itself derive URLs from these shapes). Nothing else formats these paths; the
//! router takes its route patterns from here too.
//!
//! HLS names follow PeerTube's `{id}-master.m3u8`, `{id}-{res}.m3u8`,
//! `{id}-{res}-fragmented.mp4` and `{id}-segments-sha256.json`, with the video's uuid as id,
//! under `/static/streaming-playlists/hls/{uuid}/`.

use std::fmt;

/// Route of a local web-video file (the web seed).
pub const WEB_VIDEO_ROUTE: &str = "/static/web-videos/{filename}";
/// Route of a local web-video file as a download.
pub const WEB_VIDEO_DOWNLOAD_ROUTE: &str = "/download/web-videos/{filename}";
/// Older download route of a web-video file, kept for links made before PeerTube 6.
pub const LEGACY_WEB_VIDEO_DOWNLOAD_ROUTE: &str = "/download/videos/{filename}";
/// Route of a mirrored copy (PeerTube's redundancy path).
pub const REDUNDANCY_ROUTE: &str = "/static/redundancy/{filename}";
/// Route of a `.torrent`.
pub const TORRENT_ROUTE: &str = "/lazy-static/torrents/{filename}";
/// Route of a `.torrent` as a download.
pub const TORRENT_DOWNLOAD_ROUTE: &str = "/download/torrents/{filename}";
/// Route of a thumbnail.
pub const THUMBNAIL_ROUTE: &str = "/lazy-static/thumbnails/{filename}";
/// Route of a preview (the same image, PeerTube's larger variant).
pub const PREVIEW_ROUTE: &str = "/lazy-static/previews/{filename}";
/// Route of every HLS file of a video.
pub const HLS_ROUTE: &str = "/static/streaming-playlists/hls/{uuid}/{filename}";
/// Route of an HLS fragmented MP4 as a download (`{uuid}-{res}-fragmented.mp4`, the
/// `fileDownloadUrl` PeerTube derives for HLS files).
pub const HLS_DOWNLOAD_ROUTE: &str = "/download/streaming-playlists/hls/videos/{filename}";

/// Media URLs under one base: a public URL (`https://v.example`, trailing `/` ignored) for
/// absolute URLs, or [`MediaUrls::relative`] for root-relative paths in pages.
#[derive(Debug, Clone, Copy)]
pub struct MediaUrls<'a> {
    base: &'a str,
}

impl<'a> MediaUrls<'a> {
    pub fn new(public_url: &'a str) -> Self {
        MediaUrls { base: public_url.trim_end_matches('/') }
    }

    /// Root-relative paths (`/static/...`).
    pub fn relative() -> MediaUrls<'static> {
        MediaUrls { base: "" }
    }

    /// `{base}/static/web-videos/{filename}`: the web seed and `fileUrl`.
    pub fn web_video(&self, filename: &str) -> String {
        format!("{}/static/web-videos/{filename}", self.base)
    }

    /// `{base}/download/web-videos/{filename}`: `fileDownloadUrl`.
    pub fn web_video_download(&self, filename: &str) -> String {
        format!("{}/download/web-videos/{filename}", self.base)
    }

    /// `{base}/lazy-static/torrents/{name}`: `torrentUrl`, the magnet's `xs`.
    pub fn torrent(&self, torrent_filename: &str) -> String {
        format!("{}/lazy-static/torrents/{torrent_filename}", self.base)
    }

    /// `{base}/download/torrents/{name}`: `torrentDownloadUrl`.
    pub fn torrent_download(&self, torrent_filename: &str) -> String {
        format!("{}/download/torrents/{torrent_filename}", self.base)
    }

    /// `{base}/lazy-static/thumbnails/{name}`.
    pub fn thumbnail(&self, name: &str) -> String {
        format!("{}/lazy-static/thumbnails/{name}", self.base)
    }

    /// `{base}/lazy-static/previews/{name}`.
    pub fn preview(&self, name: &str) -> String {
        format!("{}/lazy-static/previews/{name}", self.base)
    }

    /// `{base}/static/redundancy/{filename}`: where a mirror serves its copy.
    pub fn redundancy_copy(&self, filename: &str) -> String {
        format!("{}/static/redundancy/{filename}", self.base)
    }

    /// `{base}/download/streaming-playlists/hls/videos/{uuid}-{res}-fragmented.mp4`.
    pub fn hls_download(&self, uuid: &str, resolution: u32) -> String {
        format!("{}/download/streaming-playlists/hls/videos/{}", self.base, HlsFile::Fragmented(resolution).name(uuid))
    }

    /// `{base}/static/streaming-playlists/hls/{uuid}/{name}` for any [`HlsFile`].
    pub fn hls(&self, uuid: &str, file: HlsFile) -> String {
        format!("{}/static/streaming-playlists/hls/{uuid}/{}", self.base, file.name(uuid))
    }
}

/// One file of a video's HLS folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HlsFile {
    /// `{uuid}-master.m3u8`: the master playlist (`playlistUrl`).
    Master,
    /// `{uuid}-{res}.m3u8`: one resolution's media playlist.
    Playlist(u32),
    /// `{uuid}-{res}-fragmented.mp4`: one resolution's fragmented MP4 (init + segments).
    Fragmented(u32),
    /// `{uuid}-segments-sha256.json`: `segmentsSha256Url`.
    SegmentsSha256,
}

impl HlsFile {
    /// The file's name in the folder of video `uuid`.
    pub fn name(self, uuid: &str) -> String {
        match self {
            HlsFile::Master => format!("{uuid}-master.m3u8"),
            HlsFile::Playlist(res) => format!("{uuid}-{res}.m3u8"),
            HlsFile::Fragmented(res) => format!("{uuid}-{res}-fragmented.mp4"),
            HlsFile::SegmentsSha256 => format!("{uuid}-segments-sha256.json"),
        }
    }

    /// Reads a name of video `uuid`'s folder back; `None` for anything else (another id, a
    /// resolution that is not a plain decimal number, an unknown suffix).
    pub fn parse(uuid: &str, name: &str) -> Option<HlsFile> {
        let rest = name.strip_prefix(uuid)?.strip_prefix('-')?;
        match rest {
            "master.m3u8" => return Some(HlsFile::Master),
            "segments-sha256.json" => return Some(HlsFile::SegmentsSha256),
            _ => {}
        }
        if let Some(res) = rest.strip_suffix("-fragmented.mp4") {
            return parse_resolution(res).map(HlsFile::Fragmented);
        }
        rest.strip_suffix(".m3u8").and_then(parse_resolution).map(HlsFile::Playlist)
    }

    /// The MIME type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            HlsFile::Master | HlsFile::Playlist(_) => "application/vnd.apple.mpegurl",
            HlsFile::Fragmented(_) => "video/mp4",
            HlsFile::SegmentsSha256 => "application/json",
        }
    }
}

/// 1..=5 ASCII digits, no sign, no leading zero.
fn parse_resolution(text: &str) -> Option<u32> {
    let plain = !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    if !plain || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok().filter(|r| *r > 0)
}

impl fmt::Display for HlsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HlsFile::Master => write!(f, "master playlist"),
            HlsFile::Playlist(res) => write!(f, "{res}p playlist"),
            HlsFile::Fragmented(res) => write!(f, "{res}p fragmented MP4"),
            HlsFile::SegmentsSha256 => write!(f, "segment hashes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const U: &str = "0b1c2d3e-0000-4000-8000-000000000001";

    #[test]
    fn urls_follow_peertube_layout() {
        let urls = MediaUrls::new("https://v.example/");
        assert_eq!(urls.web_video("a-360.mp4"), "https://v.example/static/web-videos/a-360.mp4");
        assert_eq!(urls.torrent("a-360.torrent"), "https://v.example/lazy-static/torrents/a-360.torrent");
        assert_eq!(urls.torrent_download("a.torrent"), "https://v.example/download/torrents/a.torrent");
        assert_eq!(urls.redundancy_copy("a-360.mp4"), "https://v.example/static/redundancy/a-360.mp4");
        assert_eq!(MediaUrls::relative().thumbnail("t.jpg"), "/lazy-static/thumbnails/t.jpg");
        assert_eq!(
            urls.hls(U, HlsFile::Master),
            format!("https://v.example/static/streaming-playlists/hls/{U}/{U}-master.m3u8")
        );
        assert_eq!(
            urls.hls(U, HlsFile::Fragmented(720)),
            format!("https://v.example/static/streaming-playlists/hls/{U}/{U}-720-fragmented.mp4")
        );
    }

    #[test]
    fn every_name_reads_back() {
        for file in [HlsFile::Master, HlsFile::Playlist(240), HlsFile::Fragmented(1080), HlsFile::SegmentsSha256] {
            assert_eq!(HlsFile::parse(U, &file.name(U)), Some(file));
        }
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [
            "",
            "master.m3u8",
            &format!("{U}master.m3u8"),
            &format!("{U}-0360.m3u8"),
            &format!("{U}--360.m3u8"),
            &format!("{U}-+360.m3u8"),
            &format!("{U}-0.m3u8"),
            &format!("{U}-999999.m3u8"),
            &format!("{U}-360-fragmented.mp4.part"),
            &format!("{U}-360.mp4"),
            &format!("other-{U}-360.m3u8"),
            &format!("{U}-../360.m3u8"),
        ] {
            assert_eq!(HlsFile::parse(U, bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(name in ".{0,80}") {
            if let Some(file) = HlsFile::parse(U, &name) {
                prop_assert_eq!(file.name(U), name);
            }
        }
    }
}
