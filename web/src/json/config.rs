//! PeerTube's `ServerConfig` (`GET /api/v1/config`), the parts clients read:
//! instance identity, signup, transcoding, user quotas, accepted files.

use serde::Serialize;
use shoal_actors::ShoalConfig;

/// Upload file extensions accepted (what ffmpeg decodes, plus Y4M).
pub const VIDEO_EXTENSIONS: &[&str] =
    &[".mp4", ".ogv", ".webm", ".mkv", ".mov", ".qt", ".mqv", ".m4v", ".flv", ".f4v", ".avi", ".y4m"];

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfigJson {
    pub server_version: String,
    pub server_commit: Option<String>,
    pub instance: InstanceJson,
    pub signup: SignupJson,
    pub transcoding: TranscodingJson,
    pub live: EnabledJson,
    pub import: ImportJson,
    pub auto_blacklist: serde_json::Value,
    pub avatar: ImageJson,
    pub banner: ImageJson,
    pub video: VideoLimitsJson,
    pub video_caption: CaptionJson,
    pub user: UserQuotaJson,
    pub tracker: EnabledJson,
    pub webadmin: serde_json::Value,
    pub plugin: serde_json::Value,
    pub theme: serde_json::Value,
    pub search: serde_json::Value,
    pub contact_form: EnabledJson,
    pub federation: serde_json::Value,
    pub open_telemetry: serde_json::Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceJson {
    pub name: String,
    pub short_description: String,
    pub is_nsfw: bool,
    pub default_nsfw_policy: &'static str,
    pub default_client_route: &'static str,
    pub server_country: Option<String>,
    pub customizations: serde_json::Value,
    pub avatars: Vec<serde_json::Value>,
    pub banners: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignupJson {
    pub allowed: bool,
    pub allowed_for_current_ip: bool,
    pub requires_approval: bool,
    pub requires_email_verification: bool,
    pub minimum_age: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscodingJson {
    pub enabled_resolutions: Vec<u32>,
    pub profile: &'static str,
    pub available_profiles: Vec<&'static str>,
    pub remote_runners: EnabledJson,
    pub web_videos: EnabledJson,
    pub hls: EnabledJson,
    /// Shoal extension: the output codec.
    pub codec: &'static str,
}

#[derive(Debug, Serialize)]
pub struct EnabledJson {
    pub enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct ImportJson {
    pub videos: ImportVideosJson,
}

#[derive(Debug, Serialize)]
pub struct ImportVideosJson {
    pub http: EnabledJson,
    pub torrent: EnabledJson,
}

#[derive(Debug, Serialize)]
pub struct ImageJson {
    pub file: ImageFileJson,
}

#[derive(Debug, Serialize)]
pub struct ImageFileJson {
    pub size: MaxJson,
    pub extensions: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct MaxJson {
    pub max: u64,
}

#[derive(Debug, Serialize)]
pub struct VideoLimitsJson {
    pub image: ImageFileJson,
    pub file: VideoFileLimitsJson,
}

#[derive(Debug, Serialize)]
pub struct VideoFileLimitsJson {
    pub extensions: Vec<&'static str>,
    /// Shoal extension: largest accepted upload in bytes.
    pub size: MaxJson,
}

#[derive(Debug, Serialize)]
pub struct CaptionJson {
    pub file: ImageFileJson,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserQuotaJson {
    pub video_quota: i64,
    pub video_quota_daily: i64,
}

impl ServerConfigJson {
    pub fn new(config: &ShoalConfig) -> Self {
        let images = || ImageFileJson {
            size: MaxJson { max: 4 << 20 },
            extensions: vec![".png", ".jpeg", ".jpg", ".gif", ".webp"],
        };
        let mut resolutions: Vec<u32> = config.transcoding.ladder.iter().map(|rung| rung.height).collect();
        resolutions.sort_unstable();
        resolutions.dedup();
        Self {
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
            server_commit: None,
            instance: InstanceJson {
                name: config.instance.name.clone(),
                short_description: config.instance.short_description.clone(),
                is_nsfw: false,
                default_nsfw_policy: "display",
                default_client_route: "/videos/trending",
                server_country: None,
                customizations: serde_json::json!({ "javascript": "", "css": "" }),
                avatars: Vec::new(),
                banners: Vec::new(),
            },
            signup: SignupJson {
                allowed: config.instance.signup_enabled,
                allowed_for_current_ip: config.instance.signup_enabled,
                requires_approval: false,
                requires_email_verification: false,
                minimum_age: 16,
            },
            transcoding: TranscodingJson {
                enabled_resolutions: resolutions,
                profile: "default",
                available_profiles: vec!["default"],
                remote_runners: EnabledJson { enabled: false },
                web_videos: EnabledJson { enabled: true },
                hls: EnabledJson { enabled: false },
                codec: "av1",
            },
            live: EnabledJson { enabled: false },
            import: ImportJson {
                videos: ImportVideosJson {
                    http: EnabledJson { enabled: false },
                    torrent: EnabledJson { enabled: false },
                },
            },
            auto_blacklist: serde_json::json!({ "videos": { "ofUsers": { "enabled": false } } }),
            avatar: ImageJson { file: images() },
            banner: ImageJson { file: images() },
            video: VideoLimitsJson {
                image: images(),
                file: VideoFileLimitsJson {
                    extensions: VIDEO_EXTENSIONS.to_vec(),
                    size: MaxJson { max: config.limits.max_upload_bytes },
                },
            },
            video_caption: CaptionJson {
                file: ImageFileJson { size: MaxJson { max: 20 << 20 }, extensions: vec![".vtt", ".srt"] },
            },
            user: UserQuotaJson { video_quota: config.limits.default_video_quota, video_quota_daily: -1 },
            tracker: EnabledJson { enabled: true },
            webadmin: serde_json::json!({ "configuration": { "edition": { "allowed": false } } }),
            plugin: serde_json::json!({ "registered": [], "registeredExternalAuths": [], "registeredIdAndPassAuths": [] }),
            theme: serde_json::json!({ "registered": [], "default": "default" }),
            search: serde_json::json!({
                "remoteUri": { "users": false, "anonymous": false },
                "searchIndex": { "enabled": false, "url": "", "disableLocalSearch": false, "isDefaultSearch": false }
            }),
            contact_form: EnabledJson { enabled: false },
            federation: serde_json::json!({ "enabled": false }),
            open_telemetry: serde_json::json!({ "metrics": { "enabled": false } }),
        }
    }
}
