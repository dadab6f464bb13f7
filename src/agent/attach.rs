//! `loadpilot attach URL…`: the fleet behind the normal front ends. The
//! dashboard's keys become commands to every agent; `q` or Ctrl-C stops every
//! agent (as they stop a local run) and attach waits for their final snapshots;
//! a second Ctrl-C gives up waiting.

use std::io::IsTerminal;
use std::process::ExitCode;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::fleet::{Fleet, FleetOutcome, default_out};
use crate::cli::AttachArgs;
use crate::command::Command;
use crate::error::{AppError, EXIT_RUNTIME, EXIT_THRESHOLDS_FAILED};
use crate::report::Summary;

pub async fn run(args: AttachArgs) -> Result<ExitCode, AppError> {
    let urls = match &args.k8s_service {
        Some(service) => k8s_service_urls(
            service,
            args.namespace.as_deref(),
            args.agent_count.unwrap_or(0),
            args.port,
        ),
        None => args.agents.clone(),
    };
    let (fleet, frames) =
        Fleet::connect(&urls, args.agent_token.clone(), args.wait, args.lost_after)
            .await
            .map_err(AppError::Usage)?;
    let (commands, command_rx) = mpsc::channel(64);
    fleet.forward_commands(command_rx);
    let give_up = CancellationToken::new();
    let signals = tokio::spawn(stop_on_ctrl_c(commands.clone(), give_up.clone()));
    let interactive =
        !args.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let front_end = if interactive {
        let ui = crate::ui::UiContext {
            dashboard: frames,
            commands: commands.clone(),
            shutdown: give_up.clone(),
            snapshots: None,
            baseline: None,
            search: None,
        };
        let stop = commands.clone();
        tokio::spawn(async move {
            let result = crate::ui::run_dashboard(ui).await;
            // Leaving the dashboard stops the fleet, as it stops a local run.
            let _ = stop.send(Command::Stop).await;
            result
        })
    } else {
        let every = args.progress_every;
        tokio::spawn(async move {
            crate::headless::progress(frames, every).await;
            Ok(())
        })
    };
    let outcome = fleet.follow(give_up.clone()).await;
    let ui_result = front_end.await;
    signals.abort();
    if let Ok(Err(e)) = ui_result {
        return Err(AppError::Runtime(e));
    }
    Ok(finish(&args, outcome))
}

/// Ctrl-C: every agent stops gracefully; a second one stops waiting for them.
async fn stop_on_ctrl_c(commands: mpsc::Sender<Command>, give_up: CancellationToken) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    crate::stdout::eprint_line("attach: stopping every agent (Ctrl-C again to stop waiting)");
    let _ = commands.send(Command::Stop).await;
    if tokio::signal::ctrl_c().await.is_ok() {
        give_up.cancel();
    }
}

/// The summary of the whole fleet, the merged snapshot, the exit code.
fn finish(args: &AttachArgs, outcome: FleetOutcome) -> ExitCode {
    for lost in &outcome.lost {
        crate::stdout::eprint_line(&format!("attach: missing from the run: {lost}"));
    }
    let Some(merged) = outcome.merged else {
        crate::stdout::eprint_line("attach: no agent sent any data");
        return ExitCode::from(EXIT_RUNTIME);
    };
    let summary = match merged.to_record() {
        Ok(record) => Summary::from_record(&record),
        Err(e) => {
            crate::stdout::eprint_line(&format!("attach: the merged run is unreadable: {e}"));
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    crate::report::print_summary(&summary, args.summary_json.as_deref());
    let mut failed = !outcome.lost.is_empty();
    if let Some(path) = &args.summary_json {
        failed |= !crate::report::write_summary_json(path, &summary);
    }
    if !args.no_snapshot {
        let path = args.out.clone().unwrap_or_else(|| default_out(&merged));
        match crate::snapshot::write(&path, &merged, &[]) {
            Ok(()) => crate::stdout::eprint_line(&format!("snapshot: {}", path.display())),
            Err(e) => {
                crate::stdout::eprint_line(&format!("attach: error: {e}"));
                failed = true;
            }
        }
    }
    if !summary.passed {
        ExitCode::from(EXIT_THRESHOLDS_FAILED)
    } else if failed {
        ExitCode::from(EXIT_RUNTIME)
    } else {
        ExitCode::SUCCESS
    }
}

/// The agents of `k8s render`'s Job inside the cluster (`attach --k8s-service
/// NAME`): pod I of the Indexed Job is `NAME-I` under the headless Service `NAME`.
pub fn k8s_service_urls(
    service: &str,
    namespace: Option<&str>,
    agents: u32,
    port: u16,
) -> Vec<String> {
    let domain = match namespace {
        Some(ns) => format!("{service}.{ns}.svc"),
        None => service.to_string(),
    };
    (0..agents)
        .map(|i| format!("http://{service}-{i}.{domain}:{port}"))
        .collect()
}
