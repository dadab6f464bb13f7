//! Turns a parsed command line into work: resolves the profile, starts the demo
//! target when asked, runs a [`Session`] with its front end (dashboard or headless),
//! and maps the result to an exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::CommandFactory;
use tokio_util::sync::CancellationToken;

use crate::cli::{CliCommand, CompareFormat, DemoArgs, ReportFormat, RunArgs, RunOptions};
use crate::compare::{Comparison, FailRule};
use crate::demo::DemoTarget;
use crate::error::{AppError, EXIT_THRESHOLDS_FAILED, EXIT_USAGE};
use crate::profile::{Profile, load_profile, parse_profile};
use crate::session::{RunOutput, Session, SnapshotFailure};
use crate::{Cli, headless, shutdown};

/// The built-in demo profile, so `loadpilot demo` needs no files.
pub const DEMO_PROFILE: &str = include_str!("../profiles/demo.toml");

/// Runs one command line to its end.
pub async fn run(cli: Cli) -> Result<ExitCode, AppError> {
    match cli.command {
        CliCommand::Run(args) => run_profile(args).await,
        CliCommand::Demo(args) => run_demo(args).await,
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
            no_fail,
        } => report(&file, format, output.as_deref(), no_fail),
        CliCommand::Compare {
            before,
            after,
            format,
            fail_if,
            strict,
        } => compare(&before, &after, format, &fail_if, strict).await,
        CliCommand::Merge {
            files,
            output,
            force,
        } => merge(&files, &output, force),
        CliCommand::FindLimit(args) => find_limit(args).await,
        CliCommand::Attach(args) => crate::agent::attach::run(args).await,
        CliCommand::K8s(crate::cli::K8sCommand::Render(args)) => k8s_render(args),
        CliCommand::Completions { shell } => completions(shell),
        CliCommand::Man => man(),
        CliCommand::Import {
            file,
            curl,
            output,
            name,
            include_static,
            all_hosts,
        } => import(
            file.as_deref(),
            curl.as_deref(),
            output.as_deref(),
            name,
            include_static,
            all_hosts,
        ),
    }
}

/// `loadpilot completions SHELL`: the shell's completion script on stdout.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode, AppError> {
    let mut bytes = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "loadpilot", &mut bytes);
    emit(&bytes, None)?;
    Ok(ExitCode::SUCCESS)
}

/// `loadpilot man`: the manual page (roff) on stdout.
fn man() -> Result<ExitCode, AppError> {
    let mut bytes = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut bytes)
        .context("rendering the manual page")?;
    emit(&bytes, None)?;
    Ok(ExitCode::SUCCESS)
}

/// `loadpilot import`: a HAR file or a curl command line → a profile (stdout or
/// `-o`); what was dropped or turned into variables goes to stderr.
fn import(
    file: Option<&Path>,
    curl: Option<&str>,
    output: Option<&Path>,
    name: Option<String>,
    include_static: bool,
    all_hosts: bool,
) -> Result<ExitCode, AppError> {
    let calls = match (file, curl) {
        (_, Some(command)) => vec![crate::import::curl::parse(command)?],
        (Some(path), None) => crate::import::har::read(path)?,
        (None, None) => unreachable!("clap requires a file or --curl"),
    };
    let name = name.unwrap_or_else(|| {
        file.and_then(|f| f.file_stem())
            .map_or("imported".into(), |s| s.to_string_lossy().into_owned())
    });
    let opts = crate::import::ImportOptions {
        include_static,
        all_hosts,
        name,
    };
    let imported = crate::import::profile::render(calls, &opts)?;
    for note in &imported.notes {
        crate::stdout::eprint_line(&format!("loadpilot import: {note}"));
    }
    emit(imported.toml.as_bytes(), output)?;
    Ok(ExitCode::SUCCESS)
}

/// `loadpilot run <profile|url>`, with the demo target in front when `--demo`.
async fn run_profile(mut args: RunArgs) -> Result<ExitCode, AppError> {
    if looks_like_url(&args.target)
        && let Some(note) = crate::quick::url_run_defaults(&mut args.opts)
    {
        crate::stdout::eprint_line(&format!("loadpilot: {note}"));
    }
    let (profile, demo) = load_target(&args.target, args.demo, &args.opts).await?;
    let outcome = execute(profile, &args.opts, demo.as_ref().map(|d| d.pid), None).await;
    // The demo target outlives the run (its drop stops the server).
    drop(demo);
    outcome
}

/// A profile file or a URL, with the demo target started first when asked.
async fn load_target(
    target: &str,
    demo: bool,
    opts: &RunOptions,
) -> Result<(Profile, Option<DemoTarget>), AppError> {
    let demo = if demo {
        Some(DemoTarget::start().await?)
    } else {
        None
    };
    let vars = vars_with_demo(opts, demo.as_ref());
    let profile = if looks_like_url(target) {
        let mut p =
            Profile::for_url(target, Vec::new()).map_err(|e| AppError::Usage(e.to_string()))?;
        if let Some(demo) = &demo {
            p.base_url = demo.base_url.clone();
        }
        p
    } else {
        if !Path::new(target).exists()
            && let Some(url) = crate::quick::scheme_hint(target)
        {
            return Err(AppError::Usage(format!(
                "\"{target}\" is neither a profile file nor a URL; did you mean {url}?"
            )));
        }
        load_profile(Path::new(target), &vars)?
    };
    Ok((profile, demo))
}

/// `loadpilot find-limit`: the profile's requests under a step schedule, judged
/// step by step (see [`crate::finder`]).
async fn find_limit(args: crate::cli::FindLimitArgs) -> Result<ExitCode, AppError> {
    let config = finder_config(&args)?;
    let mut opts = args.io.run_options();
    // `watch.NAME` conditions: sysmon reads them from --watch-url.
    opts.watch_metrics = config.watch_names();
    let (mut profile, demo) = load_target(&args.target, args.demo, &opts).await?;
    profile.load.model = config.model;
    profile.load.stages = config.stages();
    profile.load.stage_names.clear();
    crate::plan::check_stages(&profile.load.stages, config.model)
        .map_err(|e| AppError::Usage(format!("find-limit: {e}")))?;
    let outcome = execute(profile, &opts, demo.as_ref().map(|d| d.pid), Some(config)).await;
    drop(demo);
    outcome
}

fn finder_config(
    args: &crate::cli::FindLimitArgs,
) -> Result<crate::finder::FinderConfig, AppError> {
    use crate::plan::LoadModel;
    let usage = |e: String| AppError::Usage(format!("find-limit: {e}"));
    let model = if args.by_rate {
        LoadModel::Rate
    } else {
        LoadModel::Vus
    };
    let until = crate::finder::until::parse_until(&args.until)
        .map_err(|e| usage(format!("--until: {e}")))?;
    if args.start == 0 || args.step == 0 {
        return Err(usage("--start and --step must be at least 1".into()));
    }
    let max = args
        .max
        .unwrap_or_else(|| args.start.saturating_add(args.step.saturating_mul(19)));
    crate::plan::check_target(u64::from(max), model).map_err(|e| usage(format!("--max: {e}")))?;
    if max < args.start {
        return Err(usage(format!(
            "--max {max} is below --start {}",
            args.start
        )));
    }
    Ok(crate::finder::FinderConfig {
        model,
        start: args.start,
        step: args.step,
        max,
        hold: args.hold,
        until,
        refine: args.refine,
    })
}

/// `loadpilot demo`: the built-in target and the built-in (or given) profile.
async fn run_demo(args: DemoArgs) -> Result<ExitCode, AppError> {
    let demo = DemoTarget::start().await?;
    let vars = vars_with_demo(&args.opts, Some(&demo));
    let profile = match &args.profile {
        Some(path) => load_profile(path, &vars)?,
        None => parse_profile(DEMO_PROFILE, Path::new("profiles/demo.toml"), &vars)?,
    };
    let outcome = execute(profile, &args.opts, Some(demo.pid), None).await;
    drop(demo);
    outcome
}

/// `loadpilot report`: as the run itself, a saved run that failed its thresholds
/// fails CI (unless `--no-fail`).
fn report(
    file: &Path,
    format: ReportFormat,
    output: Option<&Path>,
    no_fail: bool,
) -> Result<ExitCode, AppError> {
    let snapshot = read_snapshot(file)?;
    let bytes = crate::export::render(&snapshot, format)?;
    emit(&bytes, output)?;
    let record = snapshot.to_record()?;
    let passed = crate::report::Summary::from_record(&record).passed;
    Ok(if passed || no_fail {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_THRESHOLDS_FAILED)
    })
}

/// `loadpilot compare`: prints the comparison; on a terminal, shows it first in a
/// scrollable view. Exits 99 when a `--fail-if` rule fails.
async fn compare(
    before: &Path,
    after: &Path,
    format: CompareFormat,
    fail_if: &[String],
    strict: bool,
) -> Result<ExitCode, AppError> {
    let rules = fail_if
        .iter()
        .map(|r| FailRule::parse(r).map_err(|e| AppError::Usage(format!("--fail-if: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let (before, after) = (read_snapshot(before)?, read_snapshot(after)?);
    let comparison = Comparison::new(&before, &after)?;
    // Without --strict the warning heads the comparison (text, markdown) or
    // sits in it (`different_profiles` in JSON).
    if let Some(warning) = comparison.profile_warning().filter(|_| strict) {
        return Err(AppError::Usage(format!(
            "--strict: {}",
            warning.trim_start_matches("warning: ")
        )));
    }
    let failures = comparison.failures(&rules);
    let text = comparison.render(format, &failures);
    if format == CompareFormat::Text
        && std::io::stdout().is_terminal()
        && std::io::stdin().is_terminal()
    {
        let (b, a) = (before.to_record()?, after.to_record()?);
        // Laid out for the table pane (the terminal less its border) so no
        // column is cut off; the printed text below keeps its natural width.
        let width = crossterm::terminal::size().map_or(80, |(cols, _)| cols.saturating_sub(2));
        let fitted = comparison.render_text_fitted(&failures, width);
        crate::ui::viewer::run_compare(&b, &a, &fitted).await?;
    }
    crate::stdout::print(&text);
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_THRESHOLDS_FAILED)
    })
}

/// `loadpilot merge`: runs that did not overlap in time are refused unless
/// `--force` (then merged with a warning).
fn merge(files: &[PathBuf], output: &Path, force: bool) -> Result<ExitCode, AppError> {
    let snapshots = files
        .iter()
        .map(|f| read_snapshot(f))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(gap) = crate::merge::non_overlapping(&snapshots, files) {
        if !force {
            return Err(AppError::Usage(format!(
                "{gap}; merge combines runs made at the same time on several machines \
                 (pass --force to merge them anyway)"
            )));
        }
        crate::stdout::eprint_line(&format!(
            "loadpilot: warning: {gap}; merging anyway (--force)"
        ));
    }
    if let Some(partial) =
        crate::merge::segment_coverage(&snapshots, files).map_err(AppError::Usage)?
    {
        crate::stdout::eprint_line(&format!("loadpilot: warning: {partial}"));
    }
    let merged = crate::merge::merge(&snapshots).map_err(AppError::Usage)?;
    let bytes = serde_json::to_vec(&merged).map_err(|e| AppError::Runtime(e.into()))?;
    if crate::fsutil::is_stdout(output) {
        crate::fsutil::write_output(output, &bytes).map_err(|e| AppError::Runtime(e.into()))?;
    } else {
        crate::snapshot::write(output, &merged, &[]).map_err(|e| AppError::Runtime(e.into()))?;
    }
    crate::stdout::eprint_line(&format!(
        "merged {} snapshots into {}",
        files.len(),
        output.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `k8s render`: the manifests on stdout.
fn k8s_render(args: crate::cli::K8sRenderArgs) -> Result<ExitCode, AppError> {
    let start_at = match args.start_at {
        Some(at) => at,
        None => {
            let after = chrono::Duration::from_std(args.start_after)
                .map_err(|e| AppError::Usage(format!("--start-after: {e}")))?;
            chrono::Utc::now() + after
        }
    };
    let opts = crate::k8s::RenderOptions {
        profile: args.profile,
        agents: args.agents,
        image: args.image,
        name: args.name,
        namespace: args.namespace,
        cpu: args.cpu,
        memory: args.memory,
        port: args.port,
        start_at,
        token_secret: args.token_secret,
        vars: args.vars,
    };
    let yaml = crate::k8s::render(&opts).map_err(|e| AppError::Usage(e.to_string()))?;
    crate::stdout::print(&yaml);
    Ok(ExitCode::SUCCESS)
}

/// Reads a snapshot; a missing, foreign or too-new file is a usage error (exit 2).
fn read_snapshot(path: &Path) -> Result<crate::snapshot::Snapshot, AppError> {
    Ok(crate::snapshot::read(path)?)
}

/// Writes report output to a file (atomically, or in place for a device or FIFO)
/// or stdout (`-` or no `-o`).
fn emit(bytes: &[u8], output: Option<&Path>) -> Result<(), AppError> {
    match output {
        Some(path) => crate::fsutil::write_output(path, bytes)
            .with_context(|| format!("writing {}", path.display()))
            .map_err(AppError::Runtime),
        None => {
            crate::stdout::write_bytes(bytes);
            Ok(())
        }
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
            Ok(p) => crate::stdout::print(&format!(
                "{}: ok ({} requests, {} stages, {} thresholds)\n",
                path.display(),
                p.requests.len(),
                p.load.stages.len(),
                p.thresholds.len()
            )),
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
    finder: Option<crate::finder::FinderConfig>,
) -> Result<ExitCode, AppError> {
    // A bad baseline file is a usage error before any load is sent.
    let baseline = match &opts.baseline {
        Some(path) => Some(Arc::new(crate::ui::baseline::Baseline::load(path)?)),
        None => None,
    };
    // Without a dashboard to draw it on, the baseline's deltas end the summary.
    let baseline_summary = match (&opts.baseline, interactive(opts)) {
        (Some(path), false) => Some(BaselineSummary::load(path)?),
        _ => None,
    };
    let exit_on_end = opts.exit_on_end || profile.exit_on_end;
    // A start time already past is refused before anything else starts.
    let start_at =
        crate::start_gate::start_time(opts.start_at, opts.start_after, chrono::Utc::now())
            .map_err(|e| AppError::Usage(e.to_string()))?;
    let exporter = bind_exporter(opts).await?;
    if let Some(at) = start_at.filter(|_| !interactive(opts)) {
        // The dashboard counts down in its header instead.
        crate::stdout::eprint_line(&crate::start_gate::waiting_line(at, chrono::Utc::now()));
    }
    let agent = bind_agent(opts).await?;
    let segment = opts.segment.or(profile.load.segment).map(|s| s.to_string());
    let session = Session::start(profile, opts, demo_pid)?;
    let agent = agent.map(|server| {
        crate::agent::server::AgentRun::start(server, &session, segment, opts.agent_linger)
    });
    // Cancelled when this function returns, however it returns.
    let exporter_stop = CancellationToken::new();
    let _exporter_guard = exporter_stop.clone().drop_guard();
    if let Some(exporter) = exporter {
        tokio::spawn(exporter.serve(session.frames.clone(), exporter_stop.clone()));
    }
    let signals_done = CancellationToken::new();
    let signalled = CancellationToken::new();
    let signals = tokio::spawn(shutdown::watch_signals(
        session.stop.clone(),
        session.abort.clone(),
        signalled.clone(),
        signals_done.clone(),
    ));
    let abort = session.abort.clone();
    let (progress_tx, progress) = tokio::sync::watch::channel(Default::default());
    let search = finder.map(|config| {
        let task = tokio::spawn(crate::finder::drive(
            config.clone(),
            session.frames.clone(),
            session.commands.clone(),
            session.snapshots.clone(),
            progress_tx,
        ));
        (config, task)
    });
    let progress = search.is_some().then_some(progress);
    let front_end = spawn_front_end(&session, opts, baseline, progress);
    let output = session.wait().await;
    if signalled.is_cancelled() || exit_on_end {
        // Stopped by a signal, or asked to (`--exit-on-end`): the run is over,
        // so close the dashboard too (nothing is in flight any more for the
        // hard stop to cut).
        abort.cancel();
    }
    // Otherwise the dashboard stays up on the final frame until the operator quits.
    let ui_result = front_end.await.context("the front end failed")?;
    signals_done.cancel();
    let _ = signals.await;
    let output = output?;
    tracing::debug!(end = ?output.end, "run ended");
    let code = match search {
        Some((config, task)) => {
            let (steps, pending) = task.await.unwrap_or_default();
            finish_search(&output, opts, &config, steps, pending)
        }
        None => finish(&output, opts, baseline_summary.as_ref()),
    };
    if let Some(agent) = agent {
        agent.finish(&output.record).await;
    }
    ui_result?;
    Ok(code)
}

/// Whether the run gets the dashboard: a terminal on both ends and no `--headless`.
fn interactive(opts: &RunOptions) -> bool {
    !opts.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// The dashboard on a terminal (with find-limit's steps pane when `search` is
/// given), progress lines otherwise.
fn spawn_front_end(
    session: &Session,
    opts: &RunOptions,
    baseline: Option<Arc<crate::ui::baseline::Baseline>>,
    search: Option<tokio::sync::watch::Receiver<crate::finder::SearchProgress>>,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    if interactive(opts) {
        let ui = crate::ui::UiContext {
            dashboard: session.frames.clone(),
            commands: session.commands.clone(),
            shutdown: session.abort.clone(),
            snapshots: session.keeps_snapshots().then(|| session.snapshots.clone()),
            baseline,
            search,
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
    }
}

/// `--metrics-listen`: bound before the run, so a busy or bad address is a usage
/// error before any request is sent; the address is printed (port 0 picks one).
async fn bind_exporter(opts: &RunOptions) -> Result<Option<crate::exporter::Exporter>, AppError> {
    let Some(addr) = opts.metrics_listen else {
        return Ok(None);
    };
    let exporter = crate::exporter::Exporter::bind(addr).await.map_err(|e| {
        AppError::Usage(format!("--metrics-listen {addr}: cannot listen there: {e}"))
    })?;
    let bound = exporter
        .local_addr()
        .map_err(|e| AppError::Runtime(e.into()))?;
    crate::stdout::eprint_line(&format!("metrics: http://{bound}/metrics"));
    Ok(Some(exporter))
}

/// `--agent-listen`: bound before the run like `--metrics-listen` (a busy port,
/// or no token for a non-loopback address, is a usage error); the URL is printed.
async fn bind_agent(
    opts: &RunOptions,
) -> Result<Option<crate::agent::server::AgentServer>, AppError> {
    let Some(addr) = opts.agent_listen else {
        return Ok(None);
    };
    let server = crate::agent::server::AgentServer::bind(addr, opts.agent_token.clone())
        .await
        .map_err(|e| AppError::Usage(e.to_string()))?;
    let bound = server
        .local_addr()
        .map_err(|e| AppError::Runtime(e.into()))?;
    crate::stdout::eprint_line(&format!("agent: http://{bound}/v1/status"));
    Ok(Some(server))
}

/// find-limit's end: the last step judged from the final record, the result
/// printed (and kept in the summary JSON and the snapshot), and its exit code:
/// 0 when a limit was found, 99 when even the first step failed.
fn finish_search(
    output: &RunOutput,
    opts: &RunOptions,
    config: &crate::finder::FinderConfig,
    mut steps: Vec<crate::finder::StepResult>,
    pending: Option<crate::finder::StepWindow>,
) -> ExitCode {
    use crate::finder::{FindLimitResult, judge};
    if let Some(window) = pending.filter(|_| steps.iter().all(|s| s.failed.is_none())) {
        let baseline = steps
            .first()
            .map(|s| s.readings.clone())
            .unwrap_or_default();
        steps.push(judge(&output.record, window, &config.until, &baseline));
    }
    let result = FindLimitResult::new(config.model, steps, config.levels().len());
    let json = serde_json::to_value(&result).unwrap_or_default();
    // The run's own summary and snapshot line; its thresholds do not decide here.
    finish(
        output,
        &RunOptions {
            summary_json: None,
            ..opts.clone()
        },
        None,
    );
    crate::stdout::print(&result.render_text());
    if let Some(path) = &opts.summary_json {
        let mut summary = serde_json::to_value(&output.summary).unwrap_or_default();
        summary["find_limit"] = json.clone();
        crate::report::write_summary_json(path, &summary);
    }
    if let Some(path) = &output.snapshot {
        keep_in_snapshot(path, json);
    }
    if result.steps.is_empty() {
        ExitCode::from(crate::error::EXIT_RUNTIME)
    } else if result.limit.is_none() {
        ExitCode::from(EXIT_THRESHOLDS_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints the summary, writes `--summary-json`, says where the snapshot went,
/// and picks the exit code. Nothing here fails the run: a file that cannot be
/// written is reported, and the thresholds still decide between 0 and 99 (1 only
/// when they passed but a result was lost).
fn finish(output: &RunOutput, opts: &RunOptions, baseline: Option<&BaselineSummary>) -> ExitCode {
    let summary = &output.summary;
    crate::report::print_summary(summary, opts.summary_json.as_deref());
    if let Some(baseline) = baseline {
        crate::stdout::print(&baseline.deltas(summary));
    }
    let mut lost = false;
    if let Some(path) = &opts.summary_json {
        lost |= !crate::report::write_summary_json(path, summary);
    }
    match (&output.snapshot_failure, &output.snapshot) {
        (Some(failure), _) => lost |= report_snapshot_failure(failure),
        (None, Some(path)) => crate::stdout::eprint_line(&format!("snapshot: {}", path.display())),
        (None, None) => {}
    }
    if !summary.passed {
        ExitCode::from(EXIT_THRESHOLDS_FAILED)
    } else if lost {
        ExitCode::from(crate::error::EXIT_RUNTIME)
    } else {
        ExitCode::SUCCESS
    }
}

/// A headless run's `--baseline`: the saved run's summary, to print the
/// deltas against at the end.
struct BaselineSummary {
    label: String,
    summary: crate::report::Summary,
}

impl BaselineSummary {
    fn load(path: &Path) -> Result<BaselineSummary, AppError> {
        let record = read_snapshot(path)?.to_record()?;
        Ok(BaselineSummary {
            label: format!("baseline {}", path.display()),
            summary: crate::report::Summary::from_record(&record),
        })
    }

    /// The comparison table (baseline before, this run after), as `compare` prints it.
    fn deltas(&self, run: &crate::report::Summary) -> String {
        let comparison =
            Comparison::between(self.label.clone(), &self.summary, "this run".into(), run);
        format!(
            "\nagainst the baseline:\n{}",
            comparison.render(CompareFormat::Text, &[])
        )
    }
}

/// Adds the search's result to the snapshot just written (rewritten atomically).
fn keep_in_snapshot(path: &Path, result: serde_json::Value) {
    let updated = crate::snapshot::read(path).and_then(|mut snapshot| {
        snapshot.find_limit = Some(result);
        crate::snapshot::write(path, &snapshot, &[])
    });
    if let Err(e) = updated {
        crate::stdout::eprint_line(&format!(
            "loadpilot: error: adding the find-limit result to {}: {e}",
            path.display()
        ));
    }
}

/// Says where the snapshot went instead; true when it is lost altogether.
fn report_snapshot_failure(failure: &SnapshotFailure) -> bool {
    let message = match &failure.fallback {
        Ok(path) => format!(
            "loadpilot: could not write the snapshot to {} ({}); saved it to {} instead",
            failure.wanted.display(),
            failure.error,
            path.display()
        ),
        Err(e) => format!(
            "loadpilot: error: could not write the snapshot to {} ({}), nor to the temp directory ({e})",
            failure.wanted.display(),
            failure.error
        ),
    };
    crate::stdout::eprint_line(&message);
    failure.fallback.is_err()
}
