//! Editing a video's metadata (PeerTube's `PUT /api/v1/videos/{id}`): a partial
//! [`VideoUpdate`] where every absent field keeps the stored value, checked with the
//! same bounds as an upload and applied to the record in one read-modify-write.
//! Followers learn of the change from the publisher, which watches the `videos` tree.

use super::create;
use super::record::{Privacy, VideoDetails, VideoRecord};
use crate::clock::now_rfc3339;
use crate::error::VideoError;

/// The fields an edit changes; `None` keeps the stored value. For the optional fields
/// of a video, `Some(None)` clears them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoUpdate {
    pub name: Option<String>,
    pub channel_id: Option<u64>,
    pub description: Option<Option<String>>,
    pub privacy: Option<Privacy>,
    pub category: Option<Option<u32>>,
    pub licence: Option<Option<u32>>,
    pub language: Option<Option<String>>,
    pub nsfw: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub comments_enabled: Option<bool>,
    pub download_enabled: Option<bool>,
    pub wait_transcoding: Option<bool>,
}

impl VideoUpdate {
    /// Applies the changes and touches `updated_at` (PeerTube refreshes it even when
    /// nothing changed).
    pub fn apply(&self, record: &mut VideoRecord) {
        if let Some(name) = &self.name {
            record.name = name.clone();
        }
        if let Some(channel_id) = self.channel_id {
            record.channel_id = channel_id;
        }
        if let Some(description) = &self.description {
            record.description = description.clone();
        }
        if let Some(privacy) = self.privacy {
            record.privacy = privacy;
        }
        if let Some(category) = self.category {
            record.category = category;
        }
        if let Some(licence) = self.licence {
            record.licence = licence;
        }
        if let Some(language) = &self.language {
            record.language = language.clone();
        }
        if let Some(nsfw) = self.nsfw {
            record.nsfw = nsfw;
        }
        if let Some(tags) = &self.tags {
            record.tags = tags.clone();
        }
        if let Some(enabled) = self.comments_enabled {
            record.comments_enabled = enabled;
        }
        if let Some(enabled) = self.download_enabled {
            record.download_enabled = enabled;
        }
        if let Some(wait) = self.wait_transcoding {
            record.wait_transcoding = wait;
        }
        record.updated_at = now_rfc3339();
    }

    /// Checks the edited video with the bounds of an upload ([`create::validate`]).
    pub fn validate(&self, record: &VideoRecord) -> Result<(), VideoError> {
        let mut edited = record.clone();
        self.apply(&mut edited);
        create::validate(&details_of(&edited))
    }
}

/// The uploader-given fields of a record.
fn details_of(record: &VideoRecord) -> VideoDetails {
    VideoDetails {
        name: record.name.clone(),
        channel_id: record.channel_id,
        description: record.description.clone(),
        privacy: record.privacy,
        category: record.category,
        licence: record.licence,
        language: record.language.clone(),
        nsfw: record.nsfw,
        tags: record.tags.clone(),
        comments_enabled: record.comments_enabled,
        download_enabled: record.download_enabled,
        wait_transcoding: record.wait_transcoding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> VideoRecord {
        create::sample_record("before the edit", vec![360])
    }

    #[test]
    fn absent_fields_keep_their_values_and_some_none_clears() {
        let mut record = record();
        record.description = Some("old description".into());
        record.category = Some(3);
        let before = record.clone();
        let update = VideoUpdate {
            name: Some("renamed".into()),
            description: Some(None),
            tags: Some(vec!["aa".into()]),
            privacy: Some(Privacy::Private),
            ..VideoUpdate::default()
        };
        update.validate(&record).expect("valid");
        update.apply(&mut record);
        assert_eq!(record.name, "renamed");
        assert_eq!(record.description, None);
        assert_eq!(record.tags, vec!["aa"]);
        assert_eq!(record.privacy, Privacy::Private);
        assert_eq!(record.category, before.category);
        assert_eq!(record.channel_id, before.channel_id);
        assert!(VideoUpdate { name: Some("ab".into()), ..VideoUpdate::default() }.validate(&record).is_err());
    }
}
