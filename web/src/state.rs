//! The state every handler receives: the `Shoal` handle plus the web edge's own
//! small bookkeeping (open files, locks of resumable upload sessions, metrics,
//! where the player's assets are).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use prometheus_client::registry::Registry;
use shoal_actors::Shoal;

use crate::file_cache::FileCache;
use crate::metrics::{self, WebMetrics};
use crate::throttle::Throttle;
use crate::ui_assets::UiAssets;

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub shoal: Shoal,
    /// `shoal.media_dir()`, computed once (the web seed reads it on every request).
    pub media_dir: Arc<PathBuf>,
    /// Open media files reused across web-seed requests.
    pub files: Arc<FileCache>,
    pub upload_locks: Arc<UploadLocks>,
    pub metrics: WebMetrics,
    /// Every metric of the node, served at `/metrics`.
    pub registry: Arc<Registry>,
    /// Where the watch page's webtorrent bundle is (found once at start-up).
    pub ui: Arc<UiAssets>,
    /// The web seeds' shared upload budget, when `web_seed.max_upload_bytes_per_second` is set.
    pub seed_throttle: Option<Arc<Throttle>>,
}

impl AppState {
    pub fn new(shoal: Shoal) -> Self {
        let media_dir = Arc::new(shoal.media_dir());
        let metrics = WebMetrics::default();
        let registry = Arc::new(metrics::registry(&shoal, &metrics));
        let ui = Arc::new(UiAssets::locate(&shoal.config().ui.dir));
        let seed_throttle = match shoal.config().web_seed.max_upload_bytes_per_second {
            0 => None,
            rate => Some(Arc::new(Throttle::new(rate))),
        };
        Self {
            shoal,
            media_dir,
            files: Arc::new(FileCache::default()),
            upload_locks: Arc::new(UploadLocks::default()),
            metrics,
            registry,
            ui,
            seed_throttle,
        }
    }
}

/// One async lock per resumable upload session, so two concurrent `PUT`s on the
/// same session cannot interleave their writes.
#[derive(Default)]
pub struct UploadLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl UploadLocks {
    /// The lock of session `id` (created on first use).
    pub fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = match self.locks.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(id.to_owned()).or_default().clone()
    }

    /// Forgets session `id`'s lock once the session is finished or cancelled.
    pub fn forget(&self, id: &str) {
        let mut map = match self.locks.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.remove(id);
    }
}
