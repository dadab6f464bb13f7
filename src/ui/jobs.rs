//! The UI loop's background jobs: work that takes a moment (writing a snapshot,
//! reading a baseline) runs on its own task so the dashboard keeps drawing, and
//! its outcome comes back to the loop as a [`Msg`] for `update`.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::session::SnapshotSaver;

use super::baseline::Baseline;
use super::error::{BaselineError, SaveError};
use super::msg::Msg;

/// Writes a mid-run snapshot; sends [`Msg::SnapshotSaved`] or [`Msg::SnapshotFailed`].
pub fn save_snapshot(saver: SnapshotSaver, results: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let msg = match saver.save().await {
            Ok(path) => Msg::SnapshotSaved(path),
            Err(e) => Msg::SnapshotFailed(Arc::new(SaveError(e))),
        };
        // The loop has returned when this fails: nobody is left to tell.
        let _ = results.send(msg).await;
    });
}

/// Reads `path` as a baseline; sends [`Msg::BaselineLoaded`] or [`Msg::BaselineFailed`].
pub fn load_baseline(path: PathBuf, results: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let msg = match read_baseline(path).await {
            Ok(baseline) => Msg::BaselineLoaded(Arc::new(baseline)),
            Err(e) => Msg::BaselineFailed(Arc::new(e)),
        };
        let _ = results.send(msg).await;
    });
}

/// Reading and decoding a snapshot is blocking file work: off the runtime's
/// worker threads.
async fn read_baseline(path: PathBuf) -> Result<Baseline, BaselineError> {
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || Baseline::load(&path))
        .await
        .map_err(|source| BaselineError::Reader {
            path: shown,
            source,
        })?
        .map_err(BaselineError::from)
}
