//! Why a background job the UI loop started failed. They come back to `update`
//! inside a `Msg`, which logs them; nothing branches on the text.

use crate::snapshot::SnapshotError;

/// A mid-run snapshot (`s`) that was not written.
#[derive(Debug, thiserror::Error)]
// `{:#}`: the whole context chain ("the snapshot writer failed: …: disk full").
#[error("{0:#}")]
pub struct SaveError(pub anyhow::Error);

/// A baseline snapshot (`b`) that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file is missing, unreadable or not a usable snapshot.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The blocking reader task panicked or was cancelled.
    #[error("{path}: the reader failed: {source}")]
    Reader {
        path: String,
        source: tokio::task::JoinError,
    },
}
