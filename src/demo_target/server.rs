//! Accepting connections and serving HTTP/1.1 and HTTP/2 on them until shutdown.

use std::sync::Arc;
use std::time::Duration;

use hyper::rt::{Read, Write};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::service;
use super::state::AppState;

/// After shutdown, how long a connection may take to finish its in-flight requests before it is
/// dropped. `/slow` can take 12 s; we do not wait for that.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// A client that has not finished its TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (usually EMFILE under heavy load) so we do not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `listener` until `shutdown` is cancelled, then waits (at most [`SHUTDOWN_GRACE`] plus
/// a little) for open connections to finish.
pub async fn accept_loop(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // HTTP/1.1 (keep-alive on by default) and HTTP/2 prior knowledge, told apart by the preface.
    let builder = Arc::new(auto::Builder::new(TokioExecutor::new()));
    // Tracks connection tasks so shutdown can wait for them; each task ends on its own at most
    // SHUTDOWN_GRACE after `shutdown` is cancelled.
    let connections = TaskTracker::new();
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Accept errors are per-connection or resource exhaustion; neither should stop
                    // the server in the middle of a load test.
                    tracing::warn!("demo target: accept failed: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            },
        };
        connections.spawn(connection(
            stream,
            tls.clone(),
            Arc::clone(&builder),
            Arc::clone(&state),
            shutdown.clone(),
        ));
    }
    drop(listener);
    connections.close();
    let drained =
        tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(1), connections.wait()).await;
    if drained.is_err() {
        tracing::warn!("demo target: some connections did not finish in time");
    }
    Ok(())
}

async fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    state: Arc<AppState>,
    shutdown: CancellationToken,
) {
    // Small responses matter more than packet counts here (it is a latency benchmark target).
    let _ = stream.set_nodelay(true);
    if let Some(fault) = state.fault {
        return super::fault::serve(stream, fault, &shutdown).await;
    }
    let Some(acceptor) = tls else {
        return serve_io(TokioIo::new(stream), &builder, state, &shutdown).await;
    };
    let handshake = tokio::select! {
        () = shutdown.cancelled() => return,
        handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => handshake,
    };
    match handshake {
        Ok(Ok(stream)) => serve_io(TokioIo::new(stream), &builder, state, &shutdown).await,
        Ok(Err(e)) => tracing::debug!("demo target: TLS handshake failed: {e}"),
        Err(_elapsed) => tracing::debug!("demo target: TLS handshake timed out"),
    }
}

async fn serve_io<I>(
    io: I,
    builder: &auto::Builder<TokioExecutor>,
    state: Arc<AppState>,
    shutdown: &CancellationToken,
) where
    I: Read + Write + Unpin + Send + 'static,
{
    let service = service_fn(move |request| service::handle(request, Arc::clone(&state)));
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = shutdown.cancelled() => {
            // Finish the requests in flight, accept no new ones, then close.
            conn.as_mut().graceful_shutdown();
            tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await.unwrap_or(Ok(()))
        }
    };
    if let Err(e) = result {
        // Clients that hang up mid-request, and `/close`, end up here: normal for a load target.
        tracing::debug!("demo target: connection ended with an error: {e}");
    }
}
