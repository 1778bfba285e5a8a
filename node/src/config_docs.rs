//! Commented TOML for `shoal config print` and `shoal config defaults`: the
//! configuration serialised by `toml`, with each key preceded by its
//! documentation and unset optional keys shown commented out.

use crate::config::NodeConfig;

/// One documented key: `(section, key, doc, example for an unset optional key)`.
/// The top-level section is `""`. A unit test checks every serialised key is here.
type KeyDoc = (&'static str, &'static str, &'static str, Option<&'static str>);

const DOCS: &[KeyDoc] = &[
    (
        "",
        "listen",
        "Address the HTTP server binds (ADDR:PORT); port 0 picks a free one. Env SHOAL_LISTEN, flag --listen.",
        None,
    ),
    ("log", "format", "`text` for people, `json` for log collectors. Env SHOAL_LOG_FORMAT.", None),
    (
        "log",
        "level",
        "Filter directives, e.g. `info` or `info,shoal_actors=debug,tower_http=debug`. Env SHOAL_LOG.",
        None,
    ),
    ("instance", "name", "Instance name shown in /api/v1/config.", None),
    ("instance", "short_description", "Short description shown in /api/v1/config.", None),
    (
        "instance",
        "public_url",
        "Public base URL (no trailing slash) used in file URLs, web seeds, torrents and magnets.\n\
      When unset it is derived from the bound address. Env SHOAL_PUBLIC_URL, flag --public-url.",
        None,
    ),
    ("instance", "signup_enabled", "Whether anyone may register an account.", None),
    (
        "storage",
        "data_dir",
        "Data folder: db/ (sled), originals/ (sources), media/ (videos, torrents, thumbnails), uploads/, tmp/.\n\
      Relative paths are relative to the working directory. Env SHOAL_DATA_DIR, flag --data-dir.",
        None,
    ),
    ("transcoding", "speed", "rav1e speed preset, 0 (slowest, best) to 10 (fastest).", None),
    ("transcoding", "tiles", "rav1e tiles per frame (0 = rav1e chooses).", None),
    ("transcoding", "threads", "Threads per encode (0 = all cores).", None),
    ("transcoding", "concurrency", "Transcode jobs running at once.", None),
    ("transcoding", "max_attempts", "Attempts per job before the video is marked failed.", None),
    ("transcoding", "retry_backoff_ms", "First retry delay in milliseconds; doubles on each further attempt.", None),
    ("transcoding", "audio_bitrate_kbps", "Opus bitrate in kbit/s when the source has audio.", None),
    ("transcoding", "ffmpeg", "ffmpeg binary, used to decode non-Y4M uploads and encode audio.", None),
    ("transcoding", "ffprobe", "ffprobe binary, used to inspect uploads.", None),
    (
        "transcoding",
        "fault_injection_marker",
        "Testing aid, leave unset: jobs of videos whose name contains it fail on purpose.",
        Some("\"FAILME\""),
    ),
    (
        "transcoding.ladder",
        "height",
        "Resolutions to produce (never above the source): the short side in pixels, as PeerTube counts (720 = 1280x720, or 720x1280 for portrait)...",
        None,
    ),
    ("transcoding.ladder", "bitrate_kbps", "...and its target video bitrate in kbit/s.", None),
    ("limits", "max_upload_bytes", "Largest accepted upload in bytes.", None),
    ("limits", "default_video_quota", "Video quota of new users in bytes (-1 = unlimited).", None),
    ("limits", "access_token_lifetime_secs", "OAuth access token lifetime in seconds.", None),
    ("limits", "refresh_token_lifetime_secs", "OAuth refresh token lifetime in seconds.", None),
    ("admin", "username", "Admin account created on first start. Env SHOAL_ADMIN_USERNAME.", None),
    (
        "admin",
        "password",
        "Its password; when empty a random one is generated and printed once. Env SHOAL_ADMIN_PASSWORD.",
        None,
    ),
    ("admin", "email", "Admin e-mail. Env SHOAL_ADMIN_EMAIL.", None),
    (
        "ui",
        "dir",
        "The web/ui folder, whose node_modules holds the webtorrent player bundle (scripts/setup.sh installs it).\n\
      Relative to the working directory; with the default, the source tree's web/ui is tried when it has no bundle.",
        None,
    ),
    (
        "ui",
        "player",
        "The watch page's player unless the URL says `?player=webtorrent|hls`: `webtorrent` (torrents, WebRTC)\n\
      or `hls` (hls.js with p2p-media-loader over the HLS playlist; videos without one play with webtorrent).",
        None,
    ),
    ("tracker", "enabled", "Whether /tracker/announce, /tracker/scrape and /tracker/socket answer.", None),
    ("tracker", "allow", "`hosted`: only info-hashes of this node's videos (as PeerTube); `any`: an open tracker.", None),
    ("tracker", "announce_interval_secs", "Seconds between a client's announces (sent as `interval`).", None),
    ("tracker", "peer_timeout_secs", "A peer silent for this long is dropped from its swarm.", None),
    ("tracker", "max_peers_per_swarm", "Peers one swarm holds at most; newcomers beyond it get a failure reason.", None),
    ("tracker", "max_swarms", "Swarms the tracker holds at most.", None),
    ("tracker", "max_numwant", "Peers per reply (and offers relayed per announce) at most.", None),
    ("tracker", "default_numwant", "Peers per reply when the client does not say.", None),
    ("tracker", "max_swarms_per_connection", "Swarms one WebSocket connection may join.", None),
    ("tracker", "max_message_bytes", "Largest WebSocket message accepted, in bytes.", None),
    ("tracker", "announces_per_ip_per_minute", "Announces accepted per client IP per minute (0 = unlimited).", None),
    ("tracker", "socket_queue", "Frames queued for one WebSocket before further ones are dropped.", None),
    (
        "tracker",
        "fault_injection_peer_prefix",
        "Testing aid, leave unset: an announce whose peer id starts with this makes its swarm actor fail.",
        Some("\"-FAIL-\""),
    ),
    ("social", "views_dedup_secs", "A client IP counts one view per video per this many seconds.", None),
    ("social", "view_flush_interval_secs", "Seconds between writes of the buffered view counts to the store.", None),
    (
        "social",
        "views_dedup_max_entries",
        "(IP, video) pairs remembered for view deduplication at most; the oldest are forgotten first.",
        None,
    ),
    (
        "tls",
        "cert",
        "PEM certificate chain; with tls.key the node serves HTTPS and WSS itself. Env SHOAL_TLS_CERT, flag --tls-cert.",
        Some("\"/etc/shoal/fullchain.pem\""),
    ),
    ("tls", "key", "PEM private key of tls.cert. Env SHOAL_TLS_KEY, flag --tls-key.", Some("\"/etc/shoal/privkey.pem\"")),
    (
        "web_seed",
        "max_upload_bytes_per_second",
        "Total upload of all web-seed responses, bytes per second, one budget shared by all viewers (0 = unlimited).",
        None,
    ),
    (
        "federation",
        "allow_private_addresses",
        "Testing and development only: outbound federation may reach private, loopback and link-local\n\
      addresses and use plain http://. Env SHOAL_ALLOW_PRIVATE_ADDRESSES=1.",
        None,
    ),
    ("federation", "fetch_max_bytes", "Largest body read from a remote server, in bytes (default 1 MiB).", None),
    ("federation", "fetch_timeout_secs", "Time limit of a whole outbound request, redirects included, in seconds.", None),
    (
        "federation",
        "delivery_backoff_initial_ms",
        "First retry delay of a failed delivery in milliseconds; doubles per failure, with jitter.",
        None,
    ),
    ("federation", "delivery_backoff_max_secs", "Longest retry delay of a delivery, in seconds.", None),
    (
        "federation",
        "delivery_max_age_secs",
        "A delivery still failing after this many seconds is dropped (default two days).",
        None,
    ),
    (
        "federation",
        "circuit_breaker_failures",
        "Consecutive failures after which a host is considered dead and left alone (0 = never).",
        None,
    ),
    ("federation", "circuit_breaker_open_secs", "How long a dead host is left alone before one probe, in seconds.", None),
    ("federation", "max_inbox_bytes", "Largest inbox POST body accepted, in bytes (larger: 413).", None),
    (
        "federation",
        "inbox_requests_per_host_per_minute",
        "Inbox POSTs accepted per sending host per minute (0 = unlimited; over it: 429).",
        None,
    ),
    (
        "federation",
        "max_reply_depth",
        "Parents fetched at most to place a remote reply whose parent is unknown (deeper chains are dropped).",
        None,
    ),
    (
        "federation",
        "signature_scheme",
        "How outgoing requests are signed by default: \"cavage\" (draft-cavage rsa-sha256, what Mastodon and\n\
      PeerTube expect), \"hs2019\" or \"rfc9421\". With \"rfc9421\", a host that answers 401/403 to an RFC 9421\n\
      POST (PeerTube 8 verifies cavage only), or whose NodeInfo shows PeerTube up to 8.x, is signed cavage from\n\
      then on: the POST is retried at once, the choice survives restarts, and each fallback is counted in\n\
      shoal_federation_signature_fallbacks_total.",
        None,
    ),
    (
        "federation",
        "min_remote_key_bits",
        "Smallest RSA key of a remote actor whose signatures are verified, in bits (1024 to 4096). 1024 lets\n\
      PeerTube instances in test mode (1024-bit keys) federate; 2048 refuses them.",
        None,
    ),
    ("redundancy", "enabled", "Join a federation of cooperating redundancy nodes over libp2p (QUIC).", None),
    ("redundancy", "listen", "QUIC multiaddr of the libp2p endpoint, e.g. /ip4/0.0.0.0/udp/4001/quic-v1 (port 0: any free one).", None),
    ("redundancy", "peers", "Bootstrap members: multiaddrs ending in /p2p/<peer id>.", None),
    (
        "redundancy",
        "trusted_peers",
        "Peer ids allowed in; only they get files and a say in placement (strangers may connect, get nothing).",
        None,
    ),
    ("redundancy", "replicas", "Copies of each video kept among the live trusted members (k).", None),
    ("redundancy", "replicas_max", "Copies tolerated before surplus ones are dropped (hysteresis, >= replicas).", None),
    ("redundancy", "capacity_bytes", "Storage budget for mirrored copies in bytes; also this node's placement weight.", None),
    ("redundancy", "max_bytes_per_second", "Replication traffic this node serves, bytes per second (0 = unlimited).", None),
    ("redundancy", "heartbeat_secs", "Seconds between membership announcements.", None),
    ("redundancy", "member_timeout_secs", "A member silent this many seconds is lost; its copies are repaired elsewhere.", None),
    ("redundancy", "repair_delay_secs", "Seconds to wait after a loss before copying (a short absence costs nothing).", None),
    ("redundancy", "min_lifetime_secs", "A copy is kept at least this many seconds before it may be dropped as surplus.", None),
    ("redundancy", "mirror_members", "Mirror every video of every trusted member that is an origin.", None),
    (
        "redundancy",
        "accept_from",
        "Whose CacheFile announcements of copies of this node's videos are accepted: nobody, followings or anybody.",
        None,
    ),
    (
        "redundancy",
        "strategies",
        "PeerTube's strategies over followed instances' videos, e.g.\n\
      [{ strategy = \"most-views\", size_bytes = 10737418240, min_lifetime_secs = 172800 }]\n\
      (strategy: most-views, trending or recently-added; recently-added also takes min_views).",
        None,
    ),
    ("redundancy", "concurrency", "Mirror jobs running at once.", None),
    ("redundancy", "max_attempts", "Attempts per mirror job before it is given up.", None),
    ("redundancy", "retry_backoff_ms", "First retry delay of a mirror job in milliseconds; doubles per attempt.", None),
];

/// Keys whose value is secret: printed commented out, never in clear.
const SECRETS: &[(&str, &str)] = &[("admin", "password")];

fn doc_for(section: &str, key: &str) -> Option<&'static KeyDoc> {
    DOCS.iter().find(|(s, k, _, _)| *s == section && *k == key)
}

/// Renders `config` as TOML with a comment above each key.
pub fn to_commented_toml(config: &NodeConfig) -> String {
    let plain = match toml::to_string_pretty(config) {
        Ok(text) => text,
        // Serialising plain data structures to TOML cannot fail; keep a readable fallback.
        Err(e) => return format!("# could not render the configuration: {e}\n"),
    };
    let mut out = String::from(
        "# Shoal configuration. Precedence: flags > SHOAL_* environment > this file > defaults.\n\
         # Every key is optional; `shoal config defaults` prints the defaults.\n",
    );
    let mut section = String::new();
    let mut seen_in_section: Vec<String> = Vec::new();
    let mut documented: Vec<(String, String)> = Vec::new();
    for line in plain.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            close_section(&mut out, &section, &seen_in_section);
            section = trimmed.trim_matches(|c| c == '[' || c == ']').to_string();
            seen_in_section.clear();
            out.push('\n');
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let key = trimmed.split('=').next().unwrap_or("").trim().to_string();
        if !key.is_empty() && trimmed.contains('=') {
            seen_in_section.push(key.clone());
            let first = !documented.contains(&(section.clone(), key.clone()));
            if let (Some((_, _, doc, _)), true) = (doc_for(&section, &key), first) {
                for doc_line in doc.lines() {
                    out.push_str("# ");
                    out.push_str(doc_line.trim());
                    out.push('\n');
                }
                documented.push((section.clone(), key.clone()));
            }
            if SECRETS.contains(&(section.as_str(), key.as_str())) {
                let empty = trimmed.ends_with("\"\"");
                if !empty {
                    out.push_str(&format!("# {key} = \"...\"  (set; hidden)\n"));
                    continue;
                }
            }
        }
        if !trimmed.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    close_section(&mut out, &section, &seen_in_section);
    out
}

/// Appends optional keys of `section` that were not printed, commented out.
fn close_section(out: &mut String, section: &str, seen: &[String]) {
    for (s, key, doc, example) in DOCS {
        if *s != section || seen.iter().any(|k| k == key) {
            continue;
        }
        if let Some(example) = example {
            out.push_str(&format!("# {doc}\n# {key} = {example}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_serialised_key_is_documented() {
        let text = toml::to_string_pretty(&NodeConfig::default()).unwrap();
        let mut section = String::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            } else if let Some((key, _)) = line.split_once('=') {
                assert!(doc_for(&section, key.trim()).is_some(), "undocumented key {section}.{}", key.trim());
            }
        }
    }

    #[test]
    fn password_is_hidden_but_output_stays_valid() {
        let mut config = NodeConfig::default();
        config.admin.password = "hunter2-secret".into();
        config.transcoding.fault_injection_marker = Some("X".into());
        let text = to_commented_toml(&config);
        assert!(!text.contains("hunter2-secret"));
        let parsed: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed.admin.password, "");
        assert_eq!(parsed.transcoding.fault_injection_marker.as_deref(), Some("X"));
    }

    #[test]
    fn unset_optional_keys_appear_commented() {
        let text = to_commented_toml(&NodeConfig::default());
        assert!(text.contains("# fault_injection_marker = \"FAILME\""), "{text}");
    }
}
