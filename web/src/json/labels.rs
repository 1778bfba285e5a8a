//! PeerTube's fixed vocabularies: video categories, licences, languages,
//! comment policies and user roles, with their English labels.

use shoal_actors::accounts::Role;

use super::Labelled;

/// PeerTube's video categories (`VIDEO_CATEGORIES`).
pub fn category(id: Option<u32>) -> Labelled<Option<u32>> {
    let label = match id {
        Some(1) => "Music",
        Some(2) => "Films",
        Some(3) => "Vehicles",
        Some(4) => "Art",
        Some(5) => "Sports",
        Some(6) => "Travels",
        Some(7) => "Gaming",
        Some(8) => "People",
        Some(9) => "Comedy",
        Some(10) => "Entertainment",
        Some(11) => "News & Politics",
        Some(12) => "How To",
        Some(13) => "Education",
        Some(14) => "Activism",
        Some(15) => "Science & Technology",
        Some(16) => "Animals",
        Some(17) => "Kids",
        Some(18) => "Food",
        _ => "Unknown",
    };
    Labelled::new(id, label)
}

/// Whether `id` is one of PeerTube's category ids.
pub fn is_known_category(id: u32) -> bool {
    (1..=18).contains(&id)
}

/// PeerTube's video licences (`VIDEO_LICENCES`).
pub fn licence(id: Option<u32>) -> Labelled<Option<u32>> {
    let label = match id {
        Some(1) => "Attribution",
        Some(2) => "Attribution - Share Alike",
        Some(3) => "Attribution - No Derivatives",
        Some(4) => "Attribution - Non Commercial",
        Some(5) => "Attribution - Non Commercial - Share Alike",
        Some(6) => "Attribution - Non Commercial - No Derivatives",
        Some(7) => "Public Domain Dedication",
        _ => "Unknown",
    };
    Labelled::new(id, label)
}

/// Whether `id` is one of PeerTube's licence ids.
pub fn is_known_licence(id: u32) -> bool {
    (1..=7).contains(&id)
}

/// A language code with its English name for the common ones (the code itself otherwise).
pub fn language(code: Option<&str>) -> Labelled<Option<String>> {
    let Some(code) = code else {
        return Labelled::new(None, "Unknown");
    };
    let label = match code {
        "ar" => "Arabic",
        "ca" => "Catalan",
        "cs" => "Czech",
        "de" => "German",
        "el" => "Greek",
        "en" => "English",
        "eo" => "Esperanto",
        "es" => "Spanish",
        "eu" => "Basque",
        "fa" => "Persian",
        "fi" => "Finnish",
        "fr" => "French",
        "hi" => "Hindi",
        "hu" => "Hungarian",
        "it" => "Italian",
        "ja" => "Japanese",
        "ko" => "Korean",
        "nl" => "Dutch",
        "pl" => "Polish",
        "pt" => "Portuguese",
        "ru" => "Russian",
        "sv" => "Swedish",
        "tr" => "Turkish",
        "uk" => "Ukrainian",
        "zh" => "Chinese",
        other => other,
    };
    Labelled::new(Some(code.to_owned()), label)
}

/// PeerTube's comment policy: 1 enabled, 2 disabled (3 "requires approval" is not supported).
pub fn comments_policy(enabled: bool) -> Labelled<u8> {
    if enabled {
        Labelled::new(1, "Enabled")
    } else {
        Labelled::new(2, "Disabled")
    }
}

/// PeerTube's role ids and labels.
pub fn role_id(role: &Role) -> u8 {
    match role {
        Role::Administrator => 0,
        Role::Moderator => 1,
        Role::User => 2,
    }
}

pub fn role(role: &Role) -> Labelled<u8> {
    let label = match role {
        Role::Administrator => "Administrator",
        Role::Moderator => "Moderator",
        Role::User => "User",
    };
    Labelled::new(role_id(role), label)
}

/// The role of PeerTube id `id`.
pub fn role_from_id(id: u8) -> Option<Role> {
    match id {
        0 => Some(Role::Administrator),
        1 => Some(Role::Moderator),
        2 => Some(Role::User),
        _ => None,
    }
}
