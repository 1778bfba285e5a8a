//! Upload metadata (`name`, `channelId`, `privacy`, ...) collected field by field
//! from a multipart form or a resumable upload's JSON body, then validated with
//! PeerTube's rules into the actors' [`VideoDetails`] (an upload) or [`VideoUpdate`]
//! (an edit of `PUT /api/v1/videos/{id}`, where every field is optional).

use shoal_actors::videos::{Privacy, VideoDetails, VideoUpdate};

use crate::error::ApiError;
use crate::json::labels;

/// Longest text field accepted in an upload form (PeerTube's description limit is 10 000 chars).
pub const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// Most form fields accepted in one upload (tags included).
pub const MAX_FIELDS: usize = 256;

/// Fields a JSON `null` clears in an edit.
const CLEARABLE: [&str; 4] = ["description", "category", "licence", "language"];

/// Raw fields as received; each is validated when the form is finished.
#[derive(Debug, Default, Clone)]
pub struct VideoForm {
    name: Option<String>,
    channel_id: Option<String>,
    description: Option<String>,
    privacy: Option<String>,
    category: Option<String>,
    licence: Option<String>,
    language: Option<String>,
    nsfw: Option<String>,
    tags: Vec<String>,
    /// A `tags` field came, even an empty one (an edit then replaces the tags).
    tags_seen: bool,
    comments_enabled: Option<String>,
    comments_policy: Option<String>,
    download_enabled: Option<String>,
    wait_transcoding: Option<String>,
    /// Resumable uploads name the file in the metadata.
    pub filename: Option<String>,
    fields_seen: usize,
}

impl VideoForm {
    /// Records one field. Unknown fields are ignored, like PeerTube does.
    pub fn set(&mut self, key: &str, value: String) -> Result<(), ApiError> {
        self.fields_seen += 1;
        if self.fields_seen > MAX_FIELDS {
            return Err(ApiError::bad_request(format!("Too many form fields (at most {MAX_FIELDS})")));
        }
        let slot = match key {
            "name" => &mut self.name,
            "channelId" => &mut self.channel_id,
            "description" => &mut self.description,
            "privacy" => &mut self.privacy,
            "category" => &mut self.category,
            "licence" => &mut self.licence,
            "language" => &mut self.language,
            "nsfw" => &mut self.nsfw,
            "commentsEnabled" => &mut self.comments_enabled,
            "commentsPolicy" => &mut self.comments_policy,
            "downloadEnabled" => &mut self.download_enabled,
            "waitTranscoding" => &mut self.wait_transcoding,
            "filename" => &mut self.filename,
            _ if is_tag_key(key) => {
                self.tags_seen = true;
                if !value.is_empty() {
                    self.tags.push(value);
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        *slot = Some(value);
        Ok(())
    }

    /// Records every member of a JSON object (resumable upload metadata).
    pub fn set_json(&mut self, object: &serde_json::Map<String, serde_json::Value>) -> Result<(), ApiError> {
        for (key, value) in object {
            match value {
                // PeerTube reads null as "clear" for these.
                serde_json::Value::Null if CLEARABLE.contains(&key.as_str()) => self.set(key, String::new())?,
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => self.set(key, s.clone())?,
                serde_json::Value::Bool(b) => self.set(key, b.to_string())?,
                serde_json::Value::Number(n) => self.set(key, n.to_string())?,
                serde_json::Value::Array(items) => {
                    if is_tag_key(key) {
                        self.tags_seen = true;
                    }
                    for item in items {
                        match item {
                            serde_json::Value::String(s) => self.set(key, s.clone())?,
                            serde_json::Value::Number(n) => self.set(key, n.to_string())?,
                            _ => return Err(ApiError::invalid_param(key, "Should be a list of strings")),
                        }
                    }
                }
                serde_json::Value::Object(_) => {}
            }
        }
        Ok(())
    }

    /// The channel id if given and numeric (for early ownership checks).
    pub fn channel_id(&self) -> Option<u64> {
        self.channel_id.as_deref().and_then(|c| c.trim().parse().ok())
    }

    /// Validates the fields received so far without requiring the missing ones,
    /// so a bad form is refused before its file is received.
    pub fn check_present(&self) -> Result<(), ApiError> {
        self.validate(false).map(|_| ())
    }

    /// Validates everything; `name` and `channelId` are required.
    pub fn finish(&self) -> Result<VideoDetails, ApiError> {
        self.validate(true)?.ok_or_else(|| ApiError::bad_request("Incomplete upload form"))
    }

    /// The fields present, validated, for an edit (`PUT /api/v1/videos/{id}`): absent
    /// fields stay `None`; an empty description, category, licence or language clears it.
    pub fn changes(&self) -> Result<VideoUpdate, ApiError> {
        self.fields()
    }

    /// Upload defaults for the absent fields; `None` when a required one is missing and
    /// `complete` is false.
    fn validate(&self, complete: bool) -> Result<Option<VideoDetails>, ApiError> {
        let fields = self.fields()?;
        let (Some(name), Some(channel_id)) = (fields.name, fields.channel_id) else {
            return match (complete, &self.name) {
                (false, _) => Ok(None),
                (true, None) => Err(ApiError::invalid_param("name", "Should have a video name")),
                (true, Some(_)) => Err(ApiError::invalid_param("channelId", "Should have correct video channel id")),
            };
        };
        Ok(Some(VideoDetails {
            name,
            channel_id,
            description: fields.description.flatten(),
            privacy: fields.privacy.unwrap_or(Privacy::Public),
            category: fields.category.flatten(),
            licence: fields.licence.flatten(),
            language: fields.language.flatten(),
            nsfw: fields.nsfw.unwrap_or(false),
            tags: fields.tags.unwrap_or_default(),
            comments_enabled: fields.comments_enabled.unwrap_or(true),
            download_enabled: fields.download_enabled.unwrap_or(true),
            wait_transcoding: fields.wait_transcoding.unwrap_or(true),
        }))
    }

    /// Every present field checked with PeerTube's rules; absent ones are `None`.
    fn fields(&self) -> Result<VideoUpdate, ApiError> {
        let name = match &self.name {
            Some(name) => {
                let len = name.trim().chars().count();
                if !(3..=120).contains(&len) {
                    return Err(ApiError::invalid_param(
                        "name",
                        "Should have a video name between 3 and 120 characters long",
                    ));
                }
                Some(name.trim().to_owned())
            }
            None => None,
        };
        let channel_id = match &self.channel_id {
            Some(raw) => Some(
                raw.trim()
                    .parse::<u64>()
                    .map_err(|_| ApiError::invalid_param("channelId", "Should have correct video channel id"))?,
            ),
            None => None,
        };
        let description = match self.description.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            // PeerTube's bounds (VIDEOS.DESCRIPTION: 3..=10000); PeerTube also refuses a
            // remote video whose description is shorter.
            Some(d) if !(3..=10_000).contains(&d.chars().count()) => {
                return Err(ApiError::invalid_param(
                    "description",
                    "Should have a description between 3 and 10000 characters long",
                ))
            }
            Some(d) => Some(Some(d.to_owned())),
        };
        let privacy = self.privacy.as_deref().map(parse_privacy).transpose()?;
        let category = optional_number(&self.category, "category", labels::is_known_category)?;
        let licence = optional_number(&self.licence, "licence", labels::is_known_licence)?;
        let language = match self.language.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(code) if code.len() <= 10 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                Some(Some(code.to_owned()))
            }
            Some(_) => return Err(ApiError::invalid_param("language", "Should have a correct video language")),
        };
        if self.tags.len() > 5 {
            return Err(ApiError::invalid_param("tags", "Should have at most 5 tags"));
        }
        if let Some(bad) = self.tags.iter().find(|t| !(2..=30).contains(&t.trim().chars().count())) {
            return Err(ApiError::invalid_param("tags", format!("Tag {bad:?} should be 2 to 30 characters long")));
        }
        let comments_enabled = match (&self.comments_policy, optional_bool(&self.comments_enabled, "commentsEnabled")?)
        {
            (Some(policy), _) => match policy.trim() {
                "1" | "3" => Some(true),
                "2" => Some(false),
                _ => {
                    return Err(ApiError::invalid_param(
                        "commentsPolicy",
                        "Should have a valid comments policy (1 to 3)",
                    ))
                }
            },
            (None, enabled) => enabled,
        };
        Ok(VideoUpdate {
            name,
            channel_id,
            description,
            privacy,
            category,
            licence,
            language,
            nsfw: optional_bool(&self.nsfw, "nsfw")?,
            tags: self.tags_seen.then(|| self.tags.iter().map(|t| t.trim().to_owned()).collect()),
            comments_enabled,
            download_enabled: optional_bool(&self.download_enabled, "downloadEnabled")?,
            wait_transcoding: optional_bool(&self.wait_transcoding, "waitTranscoding")?,
        })
    }
}

/// `tags`, `tags[]` and `tags[N]` (how form encoders spell arrays).
fn is_tag_key(key: &str) -> bool {
    key == "tags"
        || key
            .strip_prefix("tags[")
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|inner| inner.chars().all(|c| c.is_ascii_digit()))
}

/// PeerTube's privacy ids 1 to 4 (5, password-protected, is not supported).
fn parse_privacy(raw: &str) -> Result<Privacy, ApiError> {
    raw.trim()
        .parse::<u8>()
        .ok()
        .and_then(Privacy::from_id)
        .ok_or_else(|| ApiError::invalid_param("privacy", "Should have correct video privacy (1 to 4)"))
}

/// `None` when absent, `Some(None)` when empty (cleared), else a known number.
fn optional_number(raw: &Option<String>, param: &str, known: fn(u32) -> bool) -> Result<Option<Option<u32>>, ApiError> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") | Some("null") => Ok(Some(None)),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if known(n) => Ok(Some(Some(n))),
            _ => Err(ApiError::invalid_param(param, format!("Should have a correct video {param}"))),
        },
    }
}

fn optional_bool(raw: &Option<String>, param: &str) -> Result<Option<bool>, ApiError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_param(param, "Should be a boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> VideoForm {
        let mut form = VideoForm::default();
        for (k, v) in pairs {
            form.set(k, (*v).to_owned()).unwrap_or_else(|e| panic!("set {k}: {e:?}"));
        }
        form
    }

    #[test]
    fn complete_form_validates_with_peertube_defaults() {
        let meta = form(&[("name", "My video"), ("channelId", "3"), ("tags[0]", "one"), ("tags[1]", "two")])
            .finish()
            .expect("valid");
        assert_eq!(meta.channel_id, 3);
        assert_eq!(meta.privacy, Privacy::Public);
        assert_eq!(meta.tags, vec!["one", "two"]);
        assert!(meta.comments_enabled && meta.download_enabled && !meta.nsfw);
    }

    #[test]
    fn missing_and_bad_fields_are_refused() {
        assert!(form(&[("channelId", "1")]).finish().is_err());
        assert!(form(&[("name", "ok name")]).finish().is_err());
        assert!(form(&[("name", "ab"), ("channelId", "1")]).finish().is_err());
        assert!(form(&[("name", "abc"), ("channelId", "x")]).finish().is_err());
        assert!(form(&[("name", "abc"), ("channelId", "1"), ("privacy", "5")]).finish().is_err());
        assert!(form(&[("name", "abc"), ("channelId", "1"), ("nsfw", "maybe")]).finish().is_err());
        // Present fields are checked early; missing ones are not.
        assert!(form(&[("privacy", "2")]).check_present().is_ok());
        assert!(form(&[("privacy", "9")]).check_present().is_err());
    }

    #[test]
    fn changes_hold_only_the_fields_present() {
        let changes = form(&[("privacy", "3"), ("description", "")]).changes().expect("valid");
        assert_eq!(changes.privacy, Some(Privacy::Private));
        assert_eq!(changes.description, Some(None), "an empty description clears it");
        assert_eq!((changes.name, changes.channel_id, changes.tags, changes.nsfw), (None, None, None, None));
        let mut tags = VideoForm::default();
        tags.set_json(serde_json::json!({"tags": [], "licence": null}).as_object().expect("object")).expect("set");
        let changes = tags.changes().expect("valid");
        assert_eq!((changes.tags, changes.licence), (Some(vec![]), Some(None)), "[] and null clear");
        assert!(form(&[("name", "ab")]).changes().is_err());
    }

    #[test]
    fn json_metadata_is_read_like_form_fields() {
        let json = serde_json::json!({"name": "Resumable", "channelId": 2, "privacy": 2, "nsfw": true,
                                      "tags": ["aa", "bb"], "filename": "v.mp4"});
        let mut form = VideoForm::default();
        form.set_json(json.as_object().expect("object")).expect("set");
        let meta = form.finish().expect("valid");
        assert_eq!((meta.channel_id, meta.privacy, meta.nsfw), (2, Privacy::Unlisted, true));
        assert_eq!(form.filename.as_deref(), Some("v.mp4"));
    }
}
