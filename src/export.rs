//! `loadpilot report` formats (placeholder).
use crate::cli::ReportFormat;
use crate::snapshot::{Snapshot, SnapshotError};

pub fn render(snapshot: &Snapshot, _format: ReportFormat) -> Result<Vec<u8>, SnapshotError> {
    let record = snapshot.to_record()?;
    Ok(crate::report::Summary::from_record(&record)
        .render_text()
        .into_bytes())
}
