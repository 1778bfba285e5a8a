//! Names for files being written in the data folder's `tmp/` before they are renamed
//! into `media/`.

use std::path::{Path, PathBuf};

/// A staging path for `filename` that no other attempt uses, so an attempt that is being
/// cancelled (its encoder thread may still be finishing) never writes or deletes the
/// files of the attempt that replaced it. `tmp/` is emptied at start-up.
pub(crate) fn staging_path(tmp_dir: &Path, filename: &str) -> PathBuf {
    tmp_dir.join(format!("{filename}.{}.part", uuid::Uuid::new_v4().simple()))
}
