use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
    let cli = loadpilot::Cli::parse_from(loadpilot::Cli::implicit_run(std::env::args_os()));
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("LOADPILOT_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(threads) = cli.worker_threads() {
        builder.worker_threads(threads);
    }
    let runtime = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadpilot: cannot start the async runtime: {e}");
            return ExitCode::from(loadpilot::error::EXIT_RUNTIME);
        }
    };
    let result = runtime.block_on(loadpilot::dispatch::run(cli));
    // Blocking samplers may be mid-sleep; do not wait for them.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadpilot: error: {e:#}");
            e.exit_code()
        }
    }
}
