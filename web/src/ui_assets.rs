//! The watch page's assets: Shoal's own player scripts and style sheet, compiled
//! into the binary, and the `webtorrent` browser bundle and service worker, and
//! `hls.js` with `p2p-media-loader` (the HLS player's libraries), read from
//! `web/ui/node_modules` (installed by `scripts/setup.sh`, never committed).
//!
//! The folder is `ui.dir` from the configuration. Its default, `web/ui`, is right when
//! the node runs from the repository root as `scripts/serve.sh` does; with the default,
//! when the bundle is not there, the `web/ui` folder of the source tree the binary was
//! built from is tried too (tests run the node from elsewhere). A folder set by the
//! operator is used as is. A missing bundle is logged once at start-up and answered
//! with a clear error; watch pages then play over plain HTTP.

use std::path::{Path, PathBuf};

/// Shoal's webtorrent player (plain JavaScript, an ES module).
pub const PLAYER_JS: &str = include_str!("../ui/player.js");
/// What both players import: the P2P panel and autoplay (an ES module).
pub const PANEL_JS: &str = include_str!("../ui/panel.js");
/// Shoal's HLS player: hls.js with p2p-media-loader (an ES module).
pub const HLS_PLAYER_JS: &str = include_str!("../ui/hls_player.js");
/// Shoal's style sheet for every page.
pub const STYLE_CSS: &str = include_str!("../ui/shoal.css");

/// The bundle inside a `web/ui` folder.
const BUNDLE: &str = "node_modules/webtorrent/dist/webtorrent.min.js";
/// The service worker inside a `web/ui` folder.
const SERVICE_WORKER: &str = "node_modules/webtorrent/dist/sw.min.js";
/// `ui.dir`'s default (relative to the working directory).
const DEFAULT_DIR: &str = "web/ui";
/// The `web/ui` folder of the source tree, for binaries run from elsewhere (tests).
const BUILT_FROM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui");

/// Where the webtorrent files are, found once at start-up.
#[derive(Debug, Clone)]
pub struct UiAssets {
    /// The `web/ui` folder holding the bundle, or `None` when no candidate has it.
    dir: Option<PathBuf>,
    /// The folders tried, for the error message.
    tried: Vec<PathBuf>,
}

/// Which library file a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiFile {
    /// webtorrent's browser bundle.
    Bundle,
    /// webtorrent's service worker.
    ServiceWorker,
    /// hls.js as an ES module.
    HlsJs,
    /// `p2p-media-loader-core` (bundles its own dependencies).
    P2pCore,
    /// `p2p-media-loader-hlsjs` (imports `p2p-media-loader-core` by name: the page maps it).
    P2pHlsJs,
}

impl UiFile {
    fn relative(self) -> &'static str {
        match self {
            UiFile::Bundle => BUNDLE,
            UiFile::ServiceWorker => SERVICE_WORKER,
            UiFile::HlsJs => "node_modules/hls.js/dist/hls.mjs",
            UiFile::P2pCore => "node_modules/p2p-media-loader-core/dist/p2p-media-loader-core.es.min.js",
            UiFile::P2pHlsJs => "node_modules/p2p-media-loader-hlsjs/dist/p2p-media-loader-hlsjs.es.min.js",
        }
    }
}

impl UiAssets {
    /// Looks for the bundle in `configured`, then, if that is the default `web/ui`, in the
    /// source tree's `web/ui`.
    pub fn locate(configured: &Path) -> UiAssets {
        let mut tried = vec![configured.to_path_buf()];
        if configured == Path::new(DEFAULT_DIR) {
            tried.push(PathBuf::from(BUILT_FROM));
        }
        let dir = tried.iter().find(|dir| dir.join(BUNDLE).is_file() && dir.join(SERVICE_WORKER).is_file()).cloned();
        let assets = UiAssets { dir, tried };
        match &assets.dir {
            Some(dir) => tracing::debug!(dir = %dir.display(), "webtorrent player bundle found"),
            None => tracing::error!("{}", assets.missing_message()),
        }
        assets
    }

    /// Whether the webtorrent files were found.
    pub fn available(&self) -> bool {
        self.dir.is_some()
    }

    /// The path of `file`, or `None` when the bundle is missing.
    pub fn path(&self, file: UiFile) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join(file.relative()))
    }

    /// What an operator should do about a missing bundle.
    pub fn missing_message(&self) -> String {
        let tried: Vec<String> = self.tried.iter().map(|d| d.join(BUNDLE).display().to_string()).collect();
        format!(
            "the webtorrent player bundle is missing (looked for {}): run `bash scripts/setup.sh --serve` \
             (npm ci --ignore-scripts in web/ui) or set ui.dir; watch pages fall back to plain HTTP playback",
            tried.join(" and ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_folder_without_the_bundle_is_reported_missing() {
        let empty = tempfile::tempdir().map(|d| d.path().to_path_buf()).unwrap_or_default();
        let assets = UiAssets::locate(&empty);
        assert!(!assets.available());
        assert_eq!(assets.path(UiFile::Bundle), None);
        assert_eq!(assets.tried, vec![empty]);
        assert!(assets.missing_message().contains("scripts/setup.sh"));
    }

    #[test]
    fn the_default_folder_falls_back_to_the_source_tree() {
        let assets = UiAssets::locate(Path::new(DEFAULT_DIR));
        assert_eq!(assets.tried.last(), Some(&PathBuf::from(BUILT_FROM)));
        // Either a web/ui here or the source tree's has the bundle (set-up ran), or none does.
        if let Some(path) = assets.path(UiFile::ServiceWorker) {
            assert!(path.ends_with(SERVICE_WORKER), "{}", path.display());
        }
    }
}
