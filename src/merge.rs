//! `loadpilot merge` (placeholder).
use crate::snapshot::Snapshot;

pub fn merge(snapshots: &[Snapshot]) -> Result<Snapshot, String> {
    snapshots
        .first()
        .cloned()
        .ok_or_else(|| "nothing to merge".to_string())
}
