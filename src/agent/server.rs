//! `run --agent-listen ADDR`: the agent API, served by hyper beside the run.
//!
//! | route | answer |
//! |---|---|
//! | `GET /v1/status` | [`AgentStatus`] from the newest frame |
//! | `GET /v1/record` | the run so far as a snapshot (JSON, secrets scrubbed) |
//! | `POST /v1/command` | an operator command (`{"command":"add_vus","delta":10}`), 202 |
//! | `GET /v1/snapshot` | the final snapshot; 409 while the run goes |
//!
//! Every route wants `Authorization: Bearer TOKEN` when a token is set, and a
//! token must be set to listen anywhere but loopback: control over the network is
//! never unauthenticated. The token is compared in constant time.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{AgentState, AgentStatus};
use crate::command::Command;
use crate::metrics::dashboard::Dashboard;
use crate::session::SnapshotSaver;

/// The largest command body read.
const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// Why the agent API cannot listen.
#[derive(Debug, thiserror::Error)]
pub enum AgentListenError {
    #[error(
        "--agent-listen {0} is not a loopback address: set --agent-token (or {env}) so that \
         only holders of the token can steer the run",
        env = super::TOKEN_ENV
    )]
    NoToken(SocketAddr),
    #[error("--agent-listen {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A bound agent socket, not yet serving.
pub struct AgentServer {
    listener: TcpListener,
    token: Option<String>,
}

/// What the API reads and steers: the session's handles.
#[derive(Clone)]
pub struct AgentHandles {
    pub commands: mpsc::Sender<Command>,
    pub frames: watch::Receiver<Arc<Dashboard>>,
    pub snapshots: SnapshotSaver,
    /// The final snapshot's JSON, set once the run has ended.
    pub final_json: watch::Receiver<Option<Bytes>>,
    /// Notified each time the final snapshot is served (the agent may then exit).
    pub downloaded: Arc<Notify>,
    pub segment: Option<String>,
}

impl AgentServer {
    /// Binds `addr` before the run starts (a busy port or a missing token is a
    /// usage error before any request is sent).
    pub async fn bind(
        addr: SocketAddr,
        token: Option<String>,
    ) -> Result<AgentServer, AgentListenError> {
        let token = token.filter(|t| !t.is_empty());
        if token.is_none() && !addr.ip().is_loopback() {
            return Err(AgentListenError::NoToken(addr));
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| AgentListenError::Bind { addr, source })?;
        Ok(AgentServer { listener, token })
    }

    /// The address clients use (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` is cancelled.
    pub async fn serve(self, handles: AgentHandles, stop: CancellationToken) {
        let token: Option<Arc<str>> = self.token.map(Into::into);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!("--agent-listen: accept failed: {e}");
                        continue;
                    }
                },
                _ = stop.cancelled() => return,
            };
            let (handles, token, stop) = (handles.clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<Incoming>| {
                    let (handles, token) = (handles.clone(), token.clone());
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            respond(req, &handles, token.as_deref()).await,
                        )
                    }
                });
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    _ = conn => {}
                    _ = stop.cancelled() => {}
                }
            });
        }
    }
}

/// Whether the request carries the token (always, when none is set).
fn authorized(req: &http::Request<Incoming>, token: Option<&str>) -> bool {
    let Some(token) = token else {
        return true;
    };
    let given = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    given.as_bytes().ct_eq(token.as_bytes()).into()
}

async fn respond(
    req: http::Request<Incoming>,
    handles: &AgentHandles,
    token: Option<&str>,
) -> Response<Full<Bytes>> {
    if !authorized(&req, token) {
        let mut r = text(StatusCode::UNAUTHORIZED, "a bearer token is required\n");
        r.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    match (req.method().clone(), req.uri().path()) {
        (Method::GET, "/v1/status") => json(StatusCode::OK, status(handles)),
        (Method::GET, "/v1/record") => record(handles).await,
        (Method::GET, "/v1/snapshot") => final_snapshot(handles),
        (Method::POST, "/v1/command") => command(req, handles).await,
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: the agent API has GET /v1/status, GET /v1/record, \
             POST /v1/command, GET /v1/snapshot\n",
        ),
    }
}

fn status(handles: &AgentHandles) -> String {
    let frame = handles.frames.borrow().clone();
    let finished = handles.final_json.borrow().is_some();
    let status = AgentStatus {
        state: if finished {
            AgentState::Finished
        } else {
            AgentState::Running
        },
        profile: frame.profile_name.clone(),
        segment: handles.segment.clone(),
        mode: Some(frame.mode),
        elapsed_s: frame.elapsed.as_secs_f64(),
        vus_active: frame.vus_active,
        vus_target: frame.vus_target,
        requests: frame.requests,
        rps_now: frame.rps_now,
    };
    serde_json::to_string(&status).expect("a status serialises")
}

/// The run so far (the final snapshot once there is one).
async fn record(handles: &AgentHandles) -> Response<Full<Bytes>> {
    if let Some(json) = handles.final_json.borrow().clone() {
        return snapshot_response(json);
    }
    let record = match handles.snapshots.record_now().await {
        Ok(record) => record,
        // The aggregator has finished: the final snapshot is moments away.
        Err(_) => return text(StatusCode::SERVICE_UNAVAILABLE, "the run is ending\n"),
    };
    let saver = handles.snapshots.clone();
    match tokio::task::spawn_blocking(move || saver.json_of(&record)).await {
        Ok(Ok(json)) => snapshot_response(Bytes::from(json)),
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n")),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    }
}

fn final_snapshot(handles: &AgentHandles) -> Response<Full<Bytes>> {
    match handles.final_json.borrow().clone() {
        Some(json) => {
            handles.downloaded.notify_waiters();
            snapshot_response(json)
        }
        None => text(
            StatusCode::CONFLICT,
            "the run is still going: GET /v1/record for the run so far\n",
        ),
    }
}

async fn command(req: http::Request<Incoming>, handles: &AgentHandles) -> Response<Full<Bytes>> {
    let body = match Limited::new(req.into_body(), MAX_COMMAND_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {e}\n"),
            );
        }
    };
    let command: Command = match serde_json::from_slice(&body) {
        Ok(command) => command,
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                &format!("not a command ({e}); e.g. {{\"command\":\"add_vus\",\"delta\":10}}\n"),
            );
        }
    };
    match handles.commands.send(command).await {
        Ok(()) => json(StatusCode::ACCEPTED, r#"{"accepted":true}"#.into()),
        Err(_) => text(StatusCode::CONFLICT, "the run has ended\n"),
    }
}

fn snapshot_response(body: Bytes) -> Response<Full<Bytes>> {
    response(StatusCode::OK, "application/json", body)
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    response(status, "application/json", Bytes::from(body))
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    response(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(body.to_owned()),
    )
}

fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(body))
        .expect("static response parts are valid")
}

/// The agent API beside one run: started after the session, finished with its
/// final record.
pub struct AgentRun {
    final_json: watch::Sender<Option<Bytes>>,
    downloaded: Arc<Notify>,
    snapshots: SnapshotSaver,
    stop: CancellationToken,
    linger: std::time::Duration,
}

impl AgentRun {
    /// Serves `server` over the session's handles until [`AgentRun::finish`].
    pub fn start(
        server: AgentServer,
        session: &crate::session::Session,
        segment: Option<String>,
        linger: std::time::Duration,
    ) -> AgentRun {
        let (final_tx, final_rx) = watch::channel(None);
        let downloaded = Arc::new(Notify::new());
        let stop = CancellationToken::new();
        let handles = AgentHandles {
            commands: session.commands.clone(),
            frames: session.frames.clone(),
            snapshots: session.snapshots.clone(),
            final_json: final_rx,
            downloaded: downloaded.clone(),
            segment,
        };
        tokio::spawn(server.serve(handles, stop.clone()));
        AgentRun {
            final_json: final_tx,
            downloaded,
            snapshots: session.snapshots.clone(),
            stop,
            linger,
        }
    }

    /// Offers the final snapshot, then keeps serving until a client has fetched
    /// it or `linger` has passed (so `attach` gets the whole run even when it
    /// polls just after the end), then stops the server.
    pub async fn finish(self, record: &crate::metrics::aggregator::RunRecord) {
        match self.snapshots.json_of(record) {
            Ok(json) => {
                let fetched = self.downloaded.notified();
                self.final_json.send_replace(Some(Bytes::from(json)));
                crate::stdout::eprint_line(&format!(
                    "agent: final snapshot ready; serving it for up to {}",
                    humantime::format_duration(self.linger)
                ));
                let _ = tokio::time::timeout(self.linger, fetched).await;
            }
            Err(e) => tracing::warn!("agent: cannot encode the final snapshot: {e:#}"),
        }
        self.stop.cancel();
    }
}
