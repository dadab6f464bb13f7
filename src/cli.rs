//! The command line (clap derive). No logic here: `app` turns these into runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::demo_target::TargetConfig;

/// Interactive terminal load tester: ramping scenarios against HTTP(S) services,
/// a live dashboard, and keyboard control of the ramp while the test runs.
#[derive(Debug, Parser)]
#[command(name = "loadpilot", version = env!("LOADPILOT_VERSION"), about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run a load test from a profile (TOML) or against one URL.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Start the built-in demo target and run the demo profile against it (no setup
    /// needed).
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// Serve the built-in demo target on its own (a backend with realistic latency,
    /// errors and rate limits).
    #[command(after_help = TARGET_EXAMPLES)]
    Target(TargetConfig),
    /// Check profiles for errors without running them.
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate {
        /// Profile files to check.
        #[arg(required = true)]
        profiles: Vec<PathBuf>,
        /// Set a profile variable, as `run -e` does: `-e BASE_URL=http://host:8080`. Repeatable.
        #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        vars: Vec<(String, String)>,
    },
    /// Reopen a saved run in the dashboard, read-only: scroll its timeline, see its
    /// events, the summary at the cursor. Needs no target.
    #[command(after_help = OPEN_EXAMPLES)]
    Open {
        /// A snapshot file (`.json` or `.json.zst`).
        file: PathBuf,
    },
    /// Print a saved run's summary or export its data.
    #[command(after_help = REPORT_EXAMPLES)]
    Report {
        /// A snapshot file.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Write to FILE instead of stdout (`-` is stdout; a device or FIFO is
        /// written in place).
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Exit 0 even when the saved run failed its thresholds (by default
        /// `report` exits 99 then, as the run did).
        #[arg(long)]
        no_fail: bool,
    },
    /// Compare two saved runs (before/after): per request and overall, with a
    /// verdict per row; `--fail-if` turns a regression into exit code 99.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare {
        before: PathBuf,
        after: PathBuf,
        #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
        format: CompareFormat,
        /// A regression gate: `[REQUEST.]METRIC +N%` (relative), `+Nms` (absolute), for
        /// rates `+N%` in percentage points, for rps `-N%`. Repeatable.
        #[arg(long = "fail-if", value_name = "RULE")]
        fail_if: Vec<String>,
        /// Refuse (exit 2) to compare runs of different profiles; without it the
        /// comparison is printed with a warning.
        #[arg(long)]
        strict: bool,
    },
    /// Write a profile from a browser recording (HAR) or a curl command line.
    ///
    /// Identical calls become one request weighted by how often it was made; the
    /// pauses between calls become the think time; sensitive headers and query
    /// parameters become ${VARS} (pass them with -e); cookies are dropped.
    #[command(after_help = IMPORT_EXAMPLES)]
    Import {
        /// A HAR file (devtools → Network → "Save all as HAR").
        #[arg(required_unless_present = "curl", conflicts_with = "curl")]
        file: Option<PathBuf>,
        /// A curl command line instead of a HAR file (devtools → "Copy as cURL").
        #[arg(long, value_name = "COMMAND")]
        curl: Option<String>,
        /// Write the profile to FILE instead of stdout.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The profile's name (default: the file's name, or "imported").
        #[arg(long)]
        name: Option<String>,
        /// Keep images, scripts, stylesheets and fonts.
        #[arg(long)]
        include_static: bool,
        /// Keep calls to hosts other than the main one.
        #[arg(long)]
        all_hosts: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man -l -` or a man directory.
    #[command(after_help = MAN_EXAMPLES)]
    Man,
    /// Find the highest load the target sustains: step the VUs (or, with --rate,
    /// the arrival rate) up from --start by --step, hold each step, and stop at the
    /// first step where an --until condition holds over its second half.
    #[command(name = "find-limit", after_help = FIND_LIMIT_EXAMPLES)]
    FindLimit(FindLimitArgs),
    /// Follow agents (`run --headless --agent-listen ADDR`) as one run: exact
    /// merged percentiles, one dashboard whose keys steer every agent, one
    /// snapshot of the whole run at the end.
    #[command(after_help = ATTACH_EXAMPLES)]
    Attach(AttachArgs),
    /// Kubernetes: `k8s render` prints the manifests that run a profile as agents.
    #[command(subcommand)]
    K8s(K8sCommand),
    /// Combine snapshots of the same profile run at the same time on several
    /// machines: histograms add exactly, series add by second.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge {
        #[arg(required = true, num_args = 2..)]
        files: Vec<PathBuf>,
        /// The merged snapshot (`-` is stdout).
        #[arg(short = 'o', long, value_name = "FILE", required = true)]
        output: PathBuf,
        /// Merge even when the runs did not overlap in time (by default that is
        /// refused: their seconds would not line up).
        #[arg(long)]
        force: bool,
    },
}

// Each subcommand's help ends with real command lines (the tests parse every one),
// kept verbatim: clap would rewrap a doc comment's lines into one paragraph.
const FIND_LIMIT_EXAMPLES: &str = "\
Examples:
  loadpilot find-limit profiles/breaking-point.toml --demo --until \"p95 > 500ms or error_rate > 5%\"
  loadpilot find-limit http://127.0.0.1:8080/api/items --rate --start 50 --step 50 --hold 1m --until \"p95 > 500ms\"
  loadpilot find-limit profiles/health-baseline.toml --start 10 --step 10 --max 200 --hold 2m --until \"error_rate > 5% or p95 > 1.5x baseline\"";
const RUN_EXAMPLES: &str = "\
Examples:
  loadpilot run http://127.0.0.1:8080/ping --vus 50 --duration 30s
  loadpilot run profiles/health-baseline.toml --stages \"30s:10,1m:50,30s:0\" --headless
  loadpilot run profiles/mixed-traffic.toml --demo --threshold \"p95 < 500ms\"";
const DEMO_EXAMPLES: &str = "\
Examples:
  loadpilot demo
  loadpilot demo --headless --duration 30s --summary-json summary.json
  loadpilot demo --profile profiles/login-journey.toml";
const TARGET_EXAMPLES: &str = "\
Examples:
  loadpilot target --listen 127.0.0.1:8080
  loadpilot target --workers 4 --error-rate 0.2 --rate-limit 50
  loadpilot target --listen 127.0.0.1:8443 --tls";
const VALIDATE_EXAMPLES: &str = "\
Examples:
  loadpilot validate profiles/*.toml
  loadpilot validate profiles/login-journey.toml profiles/soak.toml";
const OPEN_EXAMPLES: &str = "\
Examples:
  loadpilot open snapshots/demo-20261123-101500.json
  loadpilot open run.json.zst";
const REPORT_EXAMPLES: &str = "\
Examples:
  loadpilot report snapshots/demo-20261123-101500.json
  loadpilot report run.json --format markdown -o report.md
  loadpilot report run.json --format stages --no-fail";
const COMPARE_EXAMPLES: &str = "\
Examples:
  loadpilot compare before.json after.json
  loadpilot compare before.json after.json --fail-if \"p95 +10%\" --fail-if \"error_rate +1%\"
  loadpilot compare before.json after.json --format markdown";
const IMPORT_EXAMPLES: &str = "\
Examples:
  loadpilot import recording.har -o profiles/checkout.toml
  loadpilot import recording.har --include-static --all-hosts
  loadpilot import --curl 'curl -X POST https://host/login -H \"Content-Type: application/json\" -d \"{}\"'";
const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  loadpilot completions zsh > ~/.zfunc/_loadpilot
  loadpilot completions bash > /etc/bash_completion.d/loadpilot";
const MAN_EXAMPLES: &str = "\
Examples:
  loadpilot man | man -l -
  loadpilot man > /usr/local/share/man/man1/loadpilot.1";
const ATTACH_EXAMPLES: &str = "\
Examples:
  loadpilot attach http://10.0.0.7:9400 http://10.0.0.8:9400
  loadpilot attach 127.0.0.1:9401 127.0.0.1:9402 --headless --summary-json fleet.json -o fleet.json
  loadpilot attach --k8s-service loadpilot-run --agents 8 --namespace load";
const K8S_RENDER_EXAMPLES: &str = "\
Examples:
  loadpilot k8s render profiles/mixed-traffic.toml --agents 8 --image loadpilot:0.2 > run.yaml
  loadpilot k8s render profiles/soak.toml --agents 4 --image registry.example/loadpilot:0.2 --cpu 2 --memory 1Gi -e BASE_URL=http://api.shop
  loadpilot k8s render profiles/spike.toml --agents 3 --image loadpilot:0.2 --start-at 2026-12-01T10:00:00Z";
const MERGE_EXAMPLES: &str = "\
Examples:
  loadpilot merge agent-1.json agent-2.json -o merged.json
  loadpilot merge a.json b.json c.json -o merged.json.zst --force";

/// Output formats of `loadpilot report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The end-of-run summary tables.
    Text,
    /// The summary as JSON.
    Json,
    /// The per-second series as CSV.
    Csv,
    /// The per-second series, one JSON object a line.
    Ndjson,
    /// A report to paste into a pull request.
    Markdown,
    /// Thresholds as JUnit test cases, for CI systems.
    Junit,
    /// The VU curve the run followed (schedule plus manual changes) as a `[load]` block.
    Stages,
    /// HdrHistogram interval log (one histogram a second), for HdrHistogram's own tools.
    HdrLog,
}

/// Output formats of `loadpilot compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Text,
    Markdown,
    Json,
}

/// `loadpilot k8s …`.
#[derive(Debug, Clone, Subcommand)]
pub enum K8sCommand {
    /// Print a ConfigMap (the profile and its data files), a headless Service and
    /// an Indexed Job running the profile as N agents, each its segment of the
    /// load, all from one start time.
    #[command(after_help = K8S_RENDER_EXAMPLES)]
    Render(K8sRenderArgs),
}

/// `loadpilot k8s render`.
#[derive(Debug, Clone, Args)]
pub struct K8sRenderArgs {
    /// The profile (.toml); run from the project's root so its data files are found.
    pub profile: PathBuf,
    /// How many agents (pods), each running segment I/N of the load.
    #[arg(long, value_name = "N")]
    pub agents: u32,
    /// The loadpilot image the pods run (see the Dockerfile).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// Name of the Job and the Service.
    #[arg(long, default_value = "loadpilot-run")]
    pub name: String,
    #[arg(long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// CPU per agent (requested and the limit).
    #[arg(long, default_value = "1")]
    pub cpu: String,
    /// Memory per agent (requested and the limit).
    #[arg(long, default_value = "512Mi")]
    pub memory: String,
    /// The agents' API port.
    #[arg(long, default_value_t = 9400)]
    pub port: u16,
    /// When every agent starts (RFC 3339); default: --start-after from now.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Time to apply the manifests and schedule the pods before the start.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "2m")]
    pub start_after: Duration,
    /// The Secret (key `token`) holding the agents' bearer token.
    #[arg(long, value_name = "SECRET", default_value = "loadpilot-agent-token")]
    pub token_secret: String,
    /// Profile variable for `${KEY}`, passed to every agent.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub vars: Vec<(String, String)>,
}

/// `loadpilot attach`.
#[derive(Debug, Clone, Args)]
pub struct AttachArgs {
    /// The agents' URLs (`http://host:port`; a bare `host:port` is http).
    #[arg(num_args = 1.., value_name = "URL", required_unless_present = "k8s_service")]
    pub agents: Vec<String>,
    /// Agents of `k8s render`'s Job: `http://NAME-I.NAME[.NAMESPACE.svc]:PORT` for
    /// I from 0 to --agents - 1 (from inside the cluster).
    #[arg(
        long,
        value_name = "NAME",
        requires = "agent_count",
        conflicts_with = "agents"
    )]
    pub k8s_service: Option<String>,
    /// With --k8s-service: how many agents.
    #[arg(long = "agents", value_name = "N")]
    pub agent_count: Option<u32>,
    /// With --k8s-service: the namespace.
    #[arg(long, value_name = "NAMESPACE", requires = "k8s_service")]
    pub namespace: Option<String>,
    /// With --k8s-service: the agents' port.
    #[arg(long, default_value_t = 9400, requires = "k8s_service")]
    pub port: u16,
    /// The agents' bearer token.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "LOADPILOT_AGENT_TOKEN",
        hide_env_values = true
    )]
    pub agent_token: Option<String>,
    /// Progress lines and the summary instead of the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// The merged snapshot (default: snapshots/PROFILE-TIME-fleet.json).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write no merged snapshot.
    #[arg(long, conflicts_with = "out")]
    pub no_snapshot: bool,
    /// Also write the summary as JSON (`-` is stdout).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Seconds between headless progress lines.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "5s")]
    pub progress_every: Duration,
    /// How long to wait for every agent to answer at the start.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "30s")]
    pub wait: Duration,
    /// An agent silent this long is lost: the run goes on without it and the
    /// summary names it.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "10s")]
    pub lost_after: Duration,
}

/// `loadpilot find-limit`.
#[derive(Debug, Clone, Args)]
pub struct FindLimitArgs {
    /// A profile (its requests; its [load] is replaced by the steps) or a URL.
    pub target: String,
    /// Start the built-in demo target and aim the profile at it.
    #[arg(long)]
    pub demo: bool,
    /// Step the arrival rate (requests per second, the open model) instead of VUs.
    #[arg(long = "rate")]
    pub by_rate: bool,
    /// The first step's load (VUs, or requests per second with --rate).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub start: u32,
    /// How much each step adds.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub step: u32,
    /// The highest step tried (default: 20 steps).
    #[arg(long, value_name = "N")]
    pub max: Option<u32>,
    /// How long each step is held; its second half is judged.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "1m")]
    pub hold: Duration,
    /// After the first failing step, bisect between the last good and the first
    /// bad level (at most 3 extra steps, each held --hold).
    #[arg(long)]
    pub refine: bool,
    /// When a step has failed: threshold expressions joined by "or", e.g.
    /// "p95 > 500ms or error_rate > 5% or p95 > 1.5x baseline" (baseline: the first step).
    #[arg(
        long,
        value_name = "CONDITIONS",
        default_value = "error_rate > 5% or p95 > 1.5x baseline"
    )]
    pub until: String,
    #[command(flatten)]
    pub io: FindLimitIo,
}

/// The run options find-limit passes through (its load comes from the steps).
#[derive(Debug, Clone, Args)]
pub struct FindLimitIo {
    /// Run without the dashboard: progress lines on stderr, the result on stdout.
    #[arg(long)]
    pub headless: bool,
    /// Open model: the most VUs that may serve arrivals at once.
    #[arg(long, value_name = "N", value_parser = parse_vus)]
    pub max_vus: Option<u32>,
    /// Per-request timeout (default 10s, or the profile's).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub timeout: Option<Duration>,
    /// Set a profile variable: `-e BASE_URL=http://host:8080`. Repeatable.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub vars: Vec<(String, String)>,
    /// Write the result and summary as JSON to FILE (`-` is stdout).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Where to write the snapshot (the search's steps are kept in it).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, conflicts_with = "out")]
    /// Do not write a snapshot.
    pub no_snapshot: bool,
    /// Accept any TLS certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Print a progress line every DURATION in headless mode.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "5s")]
    pub progress_every: Duration,
    /// Watch a local process's memory and CPU (`target.*` conditions read it; the
    /// demo target is watched automatically).
    #[arg(long, value_name = "PID")]
    pub watch_pid: Option<u32>,
    /// Read the target's memory, CPU and any `watch.NAME` metric from a Prometheus
    /// text endpoint (for `--until "watch.queue_depth > 100"`).
    #[arg(long, value_name = "URL")]
    pub watch_url: Option<String>,
    /// How often --watch-url is read (and, under 1s, the watched process).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "1s")]
    pub watch_every: Duration,
}

impl FindLimitIo {
    /// The run options these make.
    pub fn run_options(&self) -> RunOptions {
        RunOptions {
            headless: self.headless,
            max_vus: self.max_vus,
            timeout: self.timeout,
            vars: self.vars.clone(),
            out: self.out.clone(),
            summary_json: self.summary_json.clone(),
            no_snapshot: self.no_snapshot,
            insecure: self.insecure,
            progress_every: self.progress_every,
            watch_pid: self.watch_pid,
            watch_url: self.watch_url.clone(),
            watch_every: self.watch_every,
            driven: true,
            ..RunOptions::default()
        }
    }
}

/// Options shared by `run` and `demo`.
#[derive(Debug, Clone, Args, Default)]
pub struct RunOptions {
    /// Set by find-limit, never on the command line: the search reshapes the
    /// schedule as it goes (refining steps, the ramp-down), so the first
    /// schedule's length is no hard end; `--duration` still is.
    #[arg(skip)]
    pub driven: bool,
    /// Run without the dashboard: progress lines on stderr, a summary on stdout.
    /// Implied when stdout is not a terminal.
    #[arg(long)]
    pub headless: bool,
    /// Constant number of VUs (with --duration, replaces the profile's stages).
    /// Not with --stages: the two say different things about the load.
    /// `-c`/`--concurrency` as in oha and hey.
    #[arg(short = 'c', long, visible_alias = "concurrency", value_name = "N", value_parser = parse_vus, conflicts_with = "stages")]
    pub vus: Option<u32>,
    /// Run length. With --vus: one flat stage; with stages: caps the run's length.
    /// `-z` as in oha.
    #[arg(short = 'z', long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub duration: Option<Duration>,
    /// Send N requests in all, then stop (oha's `-n`): split exactly across the
    /// --vus VUs (VU i sends N/VUs, the first N%VUs one more). In a journey
    /// profile each pick (a request or a whole flow) counts as one.
    #[arg(short = 'n', long = "requests", value_name = "N", value_parser = parse_requests,
          conflicts_with_all = ["stages", "rate", "rate_stages"])]
    pub requests: Option<u64>,
    /// Stages in k6 syntax, replacing the profile's: "30s:10,1m:50,30s:0".
    #[arg(long, value_name = "STAGES")]
    pub stages: Option<String>,
    /// Open model: send N requests (iterations) per second on a fixed timeline,
    /// whatever the responses do, for --duration (default 30s). Late requests are
    /// measured from when they should have started.
    /// `-q` as in oha.
    #[arg(short = 'q', long, value_name = "N", value_parser = parse_rate, conflicts_with_all = ["vus", "stages"])]
    pub rate: Option<u32>,
    /// Open model with a ramping rate, targets in requests per second:
    /// "30s:50,1m:500,30s:0".
    #[arg(long, value_name = "STAGES", conflicts_with_all = ["vus", "stages", "rate"])]
    pub rate_stages: Option<String>,
    /// Run only this process's share of the load, the I-th of N equal parts
    /// ("3/8"), so N processes on N machines together run the whole: VU targets,
    /// arrivals, -n requests and data rows are split exactly (k6's execution
    /// segments). Targets and keys stay whole-run figures. Also `segment` in [load].
    #[arg(long, value_name = "I/N", value_parser = parse_segment)]
    pub segment: Option<crate::segment::Segment>,
    /// Wait until this wall-clock time (RFC 3339, e.g. 2026-12-01T10:00:00Z), then
    /// start: agents given the same time start together. A time more than a few
    /// seconds past is refused.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at, conflicts_with = "start_after")]
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Wait this long (e.g. 30s), then start.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub start_after: Option<Duration>,
    /// Open model: the most VUs that may serve arrivals at once; an arrival with
    /// none free is dropped and counted (default: ten seconds of the rate, 100 to 10,000).
    #[arg(long, value_name = "N", value_parser = parse_vus)]
    pub max_vus: Option<u32>,
    /// Closed model: correct latencies for coordinated omission, assuming each VU
    /// meant to send every D (HdrHistogram's record_correct); labelled "corrected".
    #[arg(long, value_name = "D", value_parser = parse_positive_duration)]
    pub expected_interval: Option<Duration>,
    /// A pass/fail threshold, e.g. "p95 < 500ms", "error_rate < 1%", "ping.p99 < 1s",
    /// "429_rate < 5%", "rps > 100". Repeatable; added to the profile's.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Per-request timeout (default 10s, or the profile's).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub timeout: Option<Duration>,
    /// Speak HTTP/2 (prior knowledge on http://, ALPN on https://).
    #[arg(long)]
    pub http2: bool,
    /// The request method of a URL run (or of a one-request profile); `-X` as in
    /// curl. Default GET, or POST with -d/--json.
    #[arg(short = 'm', short_alias = 'X', long, value_name = "METHOD")]
    pub method: Option<String>,
    /// A request header, curl style: `-H "Authorization: Bearer $T"`. Repeatable;
    /// added to every request (a profile's own header of that name wins).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// The request body of a URL run (or a one-request profile): text, `@FILE`, or
    /// `@-` for stdin.
    #[arg(short = 'd', long, value_name = "BODY", conflicts_with = "json")]
    pub data: Option<String>,
    /// A JSON body (text, `@FILE` or `@-`), sent as `Content-Type: application/json`.
    #[arg(long, value_name = "BODY")]
    pub json: Option<String>,
    /// HTTP basic authentication, `USER:PASS` (sent as an Authorization header,
    /// which snapshots and logs redact).
    #[arg(short = 'a', long, value_name = "USER:PASS")]
    pub basic_auth: Option<String>,
    /// Give up on opening a connection (TCP and TLS) after this long; counted as
    /// `timeout` (the whole request still has --timeout).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub connect_timeout: Option<Duration>,
    /// A new connection for every request (`Connection: close`), as oha's
    /// `--disable-keepalive`.
    #[arg(long)]
    pub disable_keepalive: bool,
    /// Accept any TLS certificate (self-signed targets).
    #[arg(long)]
    pub insecure: bool,
    /// Set a profile variable: `-e BASE_URL=http://host:8080`. Repeatable.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub vars: Vec<(String, String)>,
    /// Draw a saved run's latency and throughput behind the live ones (faded), with
    /// deltas in the header.
    #[arg(long, value_name = "SNAPSHOT")]
    pub baseline: Option<PathBuf>,
    /// Close the dashboard when the run ends (the summary is then printed, as
    /// headless); without it the final screen stays until `q`. Also the
    /// profile key `exit_on_end = true`.
    #[arg(long)]
    pub exit_on_end: bool,
    /// Write the end-of-run summary as JSON to FILE (`-` is stdout, after the
    /// text summary; a device or FIFO is written in place).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Watch a local process's memory and CPU on the dashboard (the demo target is watched automatically).
    #[arg(long, value_name = "PID")]
    pub watch_pid: Option<u32>,
    /// Watch a service's memory/CPU from a Prometheus text endpoint
    /// (`process_resident_memory_bytes`, `process_cpu_seconds_total`) or a JSON endpoint (with --watch-json-path).
    #[arg(long, value_name = "URL")]
    pub watch_url: Option<String>,
    /// JSON path of the resident-memory figure in a JSON --watch-url (e.g. "$.memory.rss_bytes").
    #[arg(long, value_name = "PATH", requires = "watch_url")]
    pub watch_json_path: Option<String>,
    /// How often --watch-url is read; under 1s, the watched process (--watch-pid,
    /// the demo target) is sampled that often too (at most every 200ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "5s")]
    pub watch_every: Duration,
    /// `watch.NAME` metrics that find-limit's `--until` reads (thresholds add their own).
    #[arg(skip)]
    pub watch_metrics: Vec<String>,
    /// Where to write the run's snapshot (default `snapshots/<profile>-<time>.json`;
    /// a `.zst` name is zstd-compressed).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not write a snapshot at the end of the run.
    #[arg(long, conflicts_with = "out")]
    pub no_snapshot: bool,
    /// Worker threads for the load engine (default: one per core). On a machine
    /// shared with the target, fewer threads leave it a core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// How VUs are scheduled on those threads: `per-core` gives each thread its own
    /// single-threaded runtime and share of VUs (a VU and its connection never wake
    /// each other across threads); `shared` puts every VU on one work-stealing runtime.
    #[arg(long, value_enum, value_name = "MODE", default_value_t)]
    pub scheduler: crate::engine::workers::Scheduler,
    /// Seconds between headless progress lines.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "5s")]
    pub progress_every: Duration,
    /// Serve the live run to Prometheus at http://ADDR/metrics (OpenMetrics text):
    /// VUs, target, requests and errors, latency quantiles, drops, thresholds,
    /// loader CPU and memory. Port 0 picks a free port (printed on stderr).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Run as an agent of a split run: serve the agent API (status, the run so far,
    /// operator commands, the final snapshot) at http://ADDR/v1/… for `loadpilot
    /// attach`. Anything but loopback needs --agent-token. Port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub agent_listen: Option<std::net::SocketAddr>,
    /// The bearer token the agent API wants (`Authorization: Bearer TOKEN`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "LOADPILOT_AGENT_TOKEN",
        hide_env_values = true
    )]
    pub agent_token: Option<String>,
    /// After the run, how long the agent keeps serving until `attach` has fetched
    /// the final snapshot.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration, default_value = "30s")]
    pub agent_linger: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// A profile file (.toml) or a URL (http://… / https://…).
    pub target: String,
    /// Start the built-in demo target and aim the profile at it.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub opts: RunOptions,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// A profile to run instead of the built-in demo profile.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub opts: RunOptions,
}

impl Cli {
    /// The command line with `run` put in front of a URL (or a profile path) given
    /// where a subcommand belongs, so `loadpilot http://host/api -c 50` works as
    /// oha does. A bare word (a misspelt subcommand) is left for clap to judge.
    pub fn implicit_run(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
        let looks_like_target = args.get(1).and_then(|a| a.to_str()).is_some_and(|a| {
            !a.starts_with('-') && (a.contains("://") || a.contains(['.', ':', '/']))
        });
        if looks_like_target {
            args.insert(1, "run".into());
        }
        args
    }

    /// Worker threads for the process's runtime, if not the default (one per core).
    /// With `--scheduler per-core` the VUs get threads of their own, so the runtime
    /// (controller, aggregator, dashboard) needs only one; with `shared` it runs the
    /// VUs too and gets `--threads`.
    pub fn worker_threads(&self) -> Option<usize> {
        let opts = match &self.command {
            CliCommand::Run(args) => &args.opts,
            CliCommand::Demo(args) => &args.opts,
            _ => return None,
        };
        match opts.scheduler {
            crate::engine::workers::Scheduler::PerCore => Some(1),
            crate::engine::workers::Scheduler::Shared => opts.threads.map(usize::from),
        }
    }
}

// The clap value parsers below return `Result<_, String>` on purpose: clap's
// `value_parser` shows that text after the flag's name, and nothing branches on it.

/// An arrival rate: at least 1 per second, at most [`crate::limits::MAX_RATE`].
pub fn parse_rate(text: &str) -> Result<u32, String> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a whole number of requests per second"))?;
    if n == 0 {
        return Err("a rate of 0 would send nothing; give at least 1".into());
    }
    crate::limits::check_rate(n).map_err(|e| e.to_string())
}

/// `--segment I/N`.
pub fn parse_segment(text: &str) -> Result<crate::segment::Segment, String> {
    crate::segment::Segment::parse(text).map_err(|e| e.to_string())
}

/// `--start-at`: an RFC 3339 time with its offset (`2026-12-01T10:00:00Z`).
pub fn parse_start_at(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            format!("\"{text}\" is not an RFC 3339 time such as 2026-12-01T10:00:00Z ({e})")
        })
}

/// A duration above zero (a zero timeout, run length or interval is a typo).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    crate::limits::parse_positive_duration(text).map_err(|e| e.to_string())
}

/// A VU count from 1 to [`crate::limits::MAX_VUS`].
pub fn parse_vus(text: &str) -> Result<u32, String> {
    let n: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a whole number of VUs"))?;
    if n == 0 {
        return Err("0 VUs would send nothing; give at least 1".into());
    }
    crate::limits::check_vus(n).map_err(|e| e.to_string())
}

/// A total request count for `-n`: at least 1.
pub fn parse_requests(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("-n 0 would send nothing; give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("\"{text}\" is not a whole number of requests")),
    }
}

/// A curl-style header, `Name: value`.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("\"{text}\" is not a header: write it as \"Name: value\""))?;
    let name = name.trim();
    http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("\"{name}\" is not a valid header name"))?;
    let value = value.trim();
    http::HeaderValue::from_str(value).map_err(|_| {
        format!("the value of header \"{name}\" has characters HTTP does not allow")
    })?;
    Ok((name.to_string(), value.to_string()))
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| format!("\"{text}\" is not KEY=VALUE"))?;
    if k.is_empty() {
        return Err(format!("\"{text}\" has an empty KEY"));
    }
    Ok((k.to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every subcommand's help ends with two or three examples, one per line,
    /// and each is a command line this parser accepts.
    #[test]
    fn every_subcommand_ends_its_help_with_examples_that_parse() {
        let cli = Cli::command();
        // Leaf commands by their path (`k8s render`): a group's own help lists
        // its commands, each of which has examples.
        let mut leaves: Vec<(String, clap::Command)> = Vec::new();
        for c in cli.get_subcommands().filter(|c| c.get_name() != "help") {
            let subs: Vec<&clap::Command> = c
                .get_subcommands()
                .filter(|s| s.get_name() != "help")
                .collect();
            if subs.is_empty() {
                leaves.push((c.get_name().to_string(), c.clone()));
            }
            for sub in subs {
                leaves.push((format!("{} {}", c.get_name(), sub.get_name()), sub.clone()));
            }
        }
        assert_eq!(
            leaves.len(),
            14,
            "{:?}",
            leaves.iter().map(|l| &l.0).collect::<Vec<_>>()
        );
        for (name, mut command) in leaves {
            let help = command.render_help().to_string();
            let examples = help
                .split("Examples:\n")
                .nth(1)
                .unwrap_or_else(|| panic!("`{name} --help` has no examples:\n{help}"));
            let lines: Vec<&str> = examples.lines().filter(|l| !l.trim().is_empty()).collect();
            assert!((2..=3).contains(&lines.len()), "{name}: {lines:?}");
            for line in lines {
                let prefix = format!("  loadpilot {name}");
                assert!(line.starts_with(&prefix), "{name}: {line:?}");
                let mut words = shell_words::split(line.trim()).unwrap();
                // What the shell does with the output is not the command's.
                if let Some(end) = words.iter().position(|w| [">", "|"].contains(&w.as_str())) {
                    words.truncate(end);
                }
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("the example {line:?} does not parse: {e}");
                }
            }
        }
    }
}
