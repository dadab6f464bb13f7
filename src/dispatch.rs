//! Turns a parsed command line into work: resolves the profile, starts the demo
//! target when asked, runs a [`Session`] with its front end (dashboard or headless),
//! and maps the result to an exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::cli::{CliCommand, RunOptions};
use crate::demo::DemoTarget;
use crate::error::{AppError, EXIT_THRESHOLDS_FAILED, EXIT_USAGE};
use crate::profile::{Profile, load_profile, parse_profile};
use crate::report::Summary;
use crate::session::Session;
use crate::{Cli, headless, shutdown};

/// The built-in demo profile, so `loadpilot demo` needs no files.
pub const DEMO_PROFILE: &str = include_str!("../profiles/demo.toml");

/// Runs one command line to its end.
pub async fn run(cli: Cli) -> Result<ExitCode, AppError> {
    match cli.command {
        CliCommand::Run(args) => {
            let demo = if args.demo {
                Some(DemoTarget::start().await?)
            } else {
                None
            };
            let vars = vars_with_demo(&args.opts, demo.as_ref());
            let profile = if looks_like_url(&args.target) {
                let mut p = Profile::for_url(&args.target, Vec::new()).map_err(AppError::Usage)?;
                if let Some(demo) = &demo {
                    p.base_url = demo.base_url.clone();
                }
                p
            } else {
                load_profile(Path::new(&args.target), &vars)?
            };
            let outcome = execute(profile, &args.opts, demo.as_ref().map(|d| d.pid)).await;
            drop(demo);
            outcome
        }
        CliCommand::Demo(args) => {
            let demo = DemoTarget::start().await?;
            let vars = vars_with_demo(&args.opts, Some(&demo));
            let profile = match &args.profile {
                Some(path) => load_profile(path, &vars)?,
                None => parse_profile(DEMO_PROFILE, Path::new("profiles/demo.toml"), &vars)?,
            };
            let outcome = execute(profile, &args.opts, Some(demo.pid)).await;
            drop(demo);
            outcome
        }
        CliCommand::Target(config) => {
            crate::demo_target::run_target(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Validate { profiles, vars } => Ok(validate(&profiles, &vars)),
        CliCommand::Open { file } => {
            let snapshot = read_snapshot(&file)?;
            crate::ui::viewer::run_viewer(snapshot).await?;
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Report {
            file,
            format,
            output,
        } => {
            let snapshot = read_snapshot(&file)?;
            let bytes = crate::export::render(&snapshot, format)?;
            emit(&bytes, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        CliCommand::Compare {
            before,
            after,
            format,
            fail_if,
        } => {
            let rules = fail_if
                .iter()
                .map(|r| {
                    crate::compare::FailRule::parse(r)
                        .map_err(|e| AppError::Usage(format!("--fail-if: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (before, after) = (read_snapshot(&before)?, read_snapshot(&after)?);
            let comparison = crate::compare::Comparison::new(&before, &after)?;
            let failures = comparison.failures(&rules);
            let text = comparison.render(format, &failures);
            if format == crate::cli::CompareFormat::Text
                && std::io::stdout().is_terminal()
                && std::io::stdin().is_terminal()
            {
                let (b, a) = (before.to_record()?, after.to_record()?);
                // Laid out for the table pane (the terminal less its border) so no
                // column is cut off; the printed text below keeps its natural width.
                let width =
                    crossterm::terminal::size().map_or(80, |(cols, _)| cols.saturating_sub(2));
                let fitted = comparison.render_text_fitted(&failures, width);
                crate::ui::compare_view::run(&b, &a, &fitted).await?;
            }
            print!("{text}");
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_THRESHOLDS_FAILED)
            })
        }
        CliCommand::Merge { files, output } => {
            let snapshots = files
                .iter()
                .map(|f| read_snapshot(f))
                .collect::<Result<Vec<_>, _>>()?;
            let merged = crate::merge::merge(&snapshots).map_err(AppError::Usage)?;
            crate::snapshot::write(&output, &merged, &[])
                .map_err(|e| AppError::Runtime(e.into()))?;
            eprintln!("merged {} snapshots into {}", files.len(), output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads a snapshot; a missing, foreign or too-new file is a usage error (exit 2).
fn read_snapshot(path: &Path) -> Result<crate::snapshot::Snapshot, AppError> {
    Ok(crate::snapshot::read(path)?)
}

/// Writes report output to a file (atomically) or stdout.
fn emit(bytes: &[u8], output: Option<&Path>) -> Result<(), AppError> {
    use std::io::Write;
    match output {
        Some(path) => crate::fsutil::write_atomic(path, bytes)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(AppError::Runtime),
        None => std::io::stdout()
            .write_all(bytes)
            .context("writing to stdout")
            .map_err(AppError::Runtime),
    }
}

fn looks_like_url(target: &str) -> bool {
    target.starts_with("http://") || target.starts_with("https://")
}

/// `-e` variables, with the demo target's addresses first so they win.
fn vars_with_demo(opts: &RunOptions, demo: Option<&DemoTarget>) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    if let Some(demo) = demo {
        vars.push(("BASE_URL".to_string(), demo.base_url.clone()));
        vars.push((
            "TLS_PROBE_URL".to_string(),
            format!("https://{}/ping", demo.host_port),
        ));
    }
    vars.extend(opts.vars.iter().cloned());
    vars
}

fn validate(paths: &[PathBuf], vars: &[(String, String)]) -> ExitCode {
    let mut failed = 0;
    for path in paths {
        match load_profile(path, vars) {
            Ok(p) => println!(
                "{}: ok ({} requests, {} stages, {} thresholds)",
                path.display(),
                p.requests.len(),
                p.load.stages.len(),
                p.thresholds.len()
            ),
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_USAGE)
    }
}

/// Runs a resolved profile with the given options: engine + aggregator + front end.
pub async fn execute(
    profile: Profile,
    opts: &RunOptions,
    demo_pid: Option<u32>,
) -> Result<ExitCode, AppError> {
    let interactive =
        !opts.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    // A bad baseline file is a usage error before any load is sent.
    let baseline = match &opts.baseline {
        Some(path) => Some(Arc::new(crate::ui::baseline::Baseline::load(path)?)),
        None => None,
    };
    let session = Session::start(profile, opts, demo_pid)?;
    let signals_done = CancellationToken::new();
    let signalled = CancellationToken::new();
    let signals = tokio::spawn(shutdown::watch_signals(
        session.stop.clone(),
        session.abort.clone(),
        signalled.clone(),
        signals_done.clone(),
    ));
    let abort = session.abort.clone();
    let front_end = if interactive {
        let ui = crate::ui::UiContext {
            dashboard: session.frames.clone(),
            commands: session.commands.clone(),
            shutdown: session.abort.clone(),
            snapshots: session.keeps_snapshots().then(|| session.snapshots.clone()),
            baseline,
        };
        // However the dashboard ends (quit, error, panic), the run stops with it,
        // so the final snapshot and summary are still written.
        let stop = session.stop.clone();
        tokio::spawn(async move {
            let result = tokio::spawn(crate::ui::run_dashboard(ui)).await;
            stop.cancel();
            match result {
                Ok(result) => result,
                Err(e) => Err(anyhow::anyhow!("the dashboard failed: {e}")),
            }
        })
    } else {
        let (frames, every) = (session.frames.clone(), opts.progress_every);
        tokio::spawn(async move {
            headless::progress(frames, every).await;
            Ok(())
        })
    };
    let output = session.wait().await;
    if signalled.is_cancelled() {
        // Stopped by a signal: the run is over, so close the dashboard too
        // (nothing is in flight any more for the hard stop to cut).
        abort.cancel();
    }
    // Otherwise the dashboard stays up on the final frame until the operator quits.
    let ui_result = front_end.await.context("the front end failed")?;
    signals_done.cancel();
    let _ = signals.await;
    let output = output?;
    tracing::debug!(end = ?output.end, "run ended");
    let code = finish(&output.summary, opts)?;
    if let Some(path) = &output.snapshot {
        eprintln!("snapshot: {}", path.display());
    }
    ui_result?;
    Ok(code)
}

/// Prints the summary, writes `--summary-json`, and picks the exit code.
fn finish(summary: &Summary, opts: &RunOptions) -> Result<ExitCode, AppError> {
    print!("{}", summary.render_text());
    if let Some(path) = &opts.summary_json {
        let json = serde_json::to_vec_pretty(summary).context("serialising the summary")?;
        crate::fsutil::write_atomic(path, &json)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if summary.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_THRESHOLDS_FAILED)
    })
}
