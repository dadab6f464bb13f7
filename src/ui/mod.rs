//! Placeholder until the dashboard lands: falls back to headless progress.
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::command::Command;
use crate::metrics::dashboard::Dashboard;

pub struct UiContext {
    pub dashboard: watch::Receiver<Arc<Dashboard>>,
    pub commands: mpsc::Sender<Command>,
    pub shutdown: CancellationToken,
}

pub async fn run_dashboard(ctx: UiContext) -> anyhow::Result<()> {
    crate::headless::progress(ctx.dashboard, std::time::Duration::from_secs(5)).await;
    Ok(())
}
