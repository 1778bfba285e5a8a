//! Checks a published file the way a BitTorrent client would: fetch its
//! `.torrent`, parse it with `shoal_protocol::torrent`, check the BEP 19 web
//! seed (`url-list` = the file URL), download the file (whole and piece by
//! piece with Range requests) and check every piece's SHA-1; check the
//! magnet URI names the same info-hash.

use anyhow::{anyhow, bail, Context, Result};
use reqwest::blocking::Client;
use reqwest::StatusCode;
use serde_json::Value;
use sha1::{Digest, Sha1};
use shoal_protocol::magnet::MagnetLink;
use shoal_protocol::torrent::Metainfo;

/// A file entry of a video, checked against its torrent.
#[derive(Debug)]
pub struct VerifiedFile {
    pub resolution: u64,
    pub file_url: String,
    pub torrent_url: String,
    pub metainfo: Metainfo,
    /// The bytes served by the web seed (all pieces verified).
    pub bytes: Vec<u8>,
}

/// GET that must answer 200; returns the body.
pub fn get_bytes(http: &Client, url: &str) -> Result<Vec<u8>> {
    let resp = http.get(url).send().with_context(|| format!("GET {url}"))?;
    if resp.status() != StatusCode::OK {
        bail!("GET {url}: expected 200, got {}", resp.status());
    }
    Ok(resp.bytes().with_context(|| format!("GET {url}: body"))?.to_vec())
}

/// Fetches and parses the torrent at `url`.
pub fn fetch_torrent(http: &Client, url: &str) -> Result<Metainfo> {
    let bytes = get_bytes(http, url)?;
    Metainfo::from_bytes(&bytes).map_err(|e| anyhow!("{url} is not a valid torrent: {e}"))
}

/// Checks that `bytes` hash to the torrent's pieces.
pub fn check_pieces(metainfo: &Metainfo, bytes: &[u8]) -> Result<()> {
    let info = &metainfo.info;
    if bytes.len() as u64 != info.length {
        bail!("served {} bytes, torrent says {}", bytes.len(), info.length);
    }
    let piece_len = info.piece_length as usize;
    if piece_len == 0 {
        bail!("torrent piece length is 0");
    }
    let expected_pieces = bytes.len().div_ceil(piece_len);
    if info.pieces.len() != expected_pieces {
        bail!("torrent has {} piece hashes, {} bytes need {expected_pieces}", info.pieces.len(), bytes.len());
    }
    for (i, (chunk, hash)) in bytes.chunks(piece_len).zip(&info.pieces).enumerate() {
        let got: [u8; 20] = Sha1::digest(chunk).into();
        if &got != hash {
            bail!("piece {i} of {}: SHA-1 mismatch", info.name);
        }
    }
    Ok(())
}

/// Full check of one `files[]` entry of a video; see the module doc.
pub fn verify_file(http: &Client, file: &Value) -> Result<VerifiedFile> {
    let resolution = file["resolution"]["id"].as_u64().ok_or_else(|| anyhow!("file without resolution.id: {file}"))?;
    let file_url = file["fileUrl"].as_str().ok_or_else(|| anyhow!("file without fileUrl: {file}"))?.to_string();
    let torrent_url =
        file["torrentUrl"].as_str().ok_or_else(|| anyhow!("file without torrentUrl: {file}"))?.to_string();
    let magnet = file["magnetUri"].as_str().ok_or_else(|| anyhow!("file without magnetUri: {file}"))?;

    let metainfo = fetch_torrent(http, &torrent_url)?;
    if !metainfo.url_list.iter().any(|u| u == &file_url) {
        bail!("torrent url-list {:?} does not contain the fileUrl {file_url}", metainfo.url_list);
    }
    let bytes = get_bytes(http, &file_url)?;
    check_pieces(&metainfo, &bytes).with_context(|| format!("web seed {file_url} vs {torrent_url}"))?;
    if let Some(size) = file["size"].as_u64() {
        if size != metainfo.info.length {
            bail!("files[].size {size} differs from the torrent's length {}", metainfo.info.length);
        }
    } else {
        bail!("file without size: {file}");
    }
    check_ranges(http, &file_url, &metainfo, &bytes)?;

    let link = MagnetLink::parse(magnet).map_err(|e| anyhow!("magnetUri {magnet} does not parse: {e}"))?;
    if link.info_hash != metainfo.info_hash() {
        bail!("magnet info-hash differs from the torrent's");
    }
    if !link.web_seeds.is_empty() && !link.web_seeds.iter().any(|u| u == &file_url) {
        bail!("magnet web seeds {:?} do not include {file_url}", link.web_seeds);
    }
    Ok(VerifiedFile { resolution, file_url, torrent_url, metainfo, bytes })
}

/// Fetches up to 32 pieces with Range requests, as web-seed clients do, and
/// checks each 206 answer against the full download.
fn check_ranges(http: &Client, url: &str, metainfo: &Metainfo, full: &[u8]) -> Result<()> {
    let piece_len = metainfo.info.piece_length as u64;
    let len = full.len() as u64;
    let pieces = len.div_ceil(piece_len);
    for i in 0..pieces.min(32) {
        let start = i * piece_len;
        let end = (start + piece_len).min(len) - 1;
        let resp = http
            .get(url)
            .header(reqwest::header::RANGE, format!("bytes={start}-{end}"))
            .send()
            .with_context(|| format!("ranged GET {url}"))?;
        if resp.status() != StatusCode::PARTIAL_CONTENT {
            bail!("GET {url} Range bytes={start}-{end}: expected 206, got {}", resp.status());
        }
        let content_range =
            resp.headers().get(reqwest::header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        if content_range != format!("bytes {start}-{end}/{len}") {
            bail!("Range bytes={start}-{end}: Content-Range `{content_range}`");
        }
        let body = resp.bytes()?;
        if body.as_ref() != &full[start as usize..=end as usize] {
            bail!("Range bytes={start}-{end}: body differs from the full download");
        }
    }
    Ok(())
}
