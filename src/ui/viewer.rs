//! `loadpilot open`: the dashboard over a saved run, read-only (placeholder).

use crate::snapshot::Snapshot;

/// Shows `snapshot` until the user quits.
pub async fn run_viewer(snapshot: Snapshot) -> anyhow::Result<()> {
    let record = snapshot.to_record()?;
    print!(
        "{}",
        crate::report::Summary::from_record(&record).render_text()
    );
    Ok(())
}
