//! Signals: the first Ctrl-C or SIGTERM asks the engine to stop gracefully (the
//! summary and final state are still produced); a second one forces the stop.

use tokio_util::sync::CancellationToken;

/// Listens for SIGINT/SIGTERM until `done` is cancelled. The first signal cancels
/// `stop` and `signalled` (so the front end knows to close once the run is over),
/// the next cancels `abort`.
pub async fn watch_signals(
    stop: CancellationToken,
    abort: CancellationToken,
    signalled: CancellationToken,
    done: CancellationToken,
) {
    let mut count = 0;
    loop {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = signal() => {}
        }
        count += 1;
        if count == 1 {
            eprintln!(
                "loadpilot: stopping (in-flight requests finish; press Ctrl-C again to force)"
            );
            signalled.cancel();
            stop.cancel();
        } else {
            eprintln!("loadpilot: forced stop");
            abort.cancel();
            return;
        }
    }
}

#[cfg(unix)]
async fn signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(not(unix))]
async fn signal() {
    let _ = tokio::signal::ctrl_c().await;
}
