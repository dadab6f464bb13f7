//! The calls `attach` makes to one agent: its status, its run so far, its final
//! snapshot and operator commands. Plain HTTP/1.1 with hyper's pooled client;
//! every call has a deadline, so a dead agent costs a timeout, never a hang.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::AgentStatus;
use crate::command::Command;
use crate::snapshot::Snapshot;

/// The longest one call to an agent may take (a long run's record is megabytes).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from an agent (a day-long run's snapshot fits).
const MAX_ANSWER_BYTES: usize = 512 << 20;

/// What went wrong talking to an agent.
#[derive(Debug, thiserror::Error)]
pub enum AgentCallError {
    #[error("{0}: no answer within {1:?}")]
    Timeout(String, Duration),
    #[error("{0}: {1}")]
    Transport(String, String),
    #[error("{url}: {status} {body}")]
    Status {
        url: String,
        status: StatusCode,
        body: String,
    },
    #[error("{0}: {1}")]
    Invalid(String, String),
}

impl AgentCallError {
    /// The agent answered 409: the final snapshot is not ready, or the run ended.
    pub fn is_conflict(&self) -> bool {
        matches!(self, AgentCallError::Status { status, .. } if *status == StatusCode::CONFLICT)
    }
}

/// One agent: its base URL (`http://10.0.0.7:9400`) and the token it wants.
#[derive(Clone)]
pub struct AgentClient {
    base: String,
    token: Option<String>,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl AgentClient {
    /// `url` is the agent's base URL; a bare `host:port` gets `http://`.
    pub fn new(url: &str, token: Option<String>) -> Result<AgentClient, String> {
        let base = if url.contains("://") {
            url.trim_end_matches('/').to_string()
        } else {
            format!("http://{}", url.trim_end_matches('/'))
        };
        let uri: Uri = base
            .parse()
            .map_err(|e| format!("{url} is not an agent URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "{url}: agents speak plain HTTP (put TLS in front of them with a mesh or a tunnel)"
            ));
        }
        Ok(AgentClient {
            base,
            token: token.filter(|t| !t.is_empty()),
            http: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// The agent's base URL, as given.
    pub fn url(&self) -> &str {
        &self.base
    }

    pub async fn status(&self) -> Result<AgentStatus, AgentCallError> {
        let body = self.call(Method::GET, "/v1/status", Bytes::new()).await?;
        serde_json::from_slice(&body).map_err(|e| self.invalid(e))
    }

    /// The run so far (the final snapshot once the run has ended).
    pub async fn record(&self) -> Result<Snapshot, AgentCallError> {
        let body = self.call(Method::GET, "/v1/record", Bytes::new()).await?;
        self.snapshot(&body)
    }

    /// The final snapshot (409 while the run goes).
    pub async fn final_snapshot(&self) -> Result<Snapshot, AgentCallError> {
        let body = self.call(Method::GET, "/v1/snapshot", Bytes::new()).await?;
        self.snapshot(&body)
    }

    pub async fn command(&self, command: &Command) -> Result<(), AgentCallError> {
        let body = serde_json::to_vec(command).expect("a command serialises");
        self.call(Method::POST, "/v1/command", Bytes::from(body))
            .await
            .map(drop)
    }

    fn snapshot(&self, body: &[u8]) -> Result<Snapshot, AgentCallError> {
        crate::snapshot::parse(body, Path::new(&self.base)).map_err(|e| self.invalid(e))
    }

    fn invalid(&self, e: impl std::fmt::Display) -> AgentCallError {
        AgentCallError::Invalid(self.base.clone(), e.to_string())
    }

    async fn call(&self, method: Method, path: &str, body: Bytes) -> Result<Bytes, AgentCallError> {
        let url = format!("{}{path}", self.base);
        let mut req = Request::builder().method(method).uri(&url);
        if let Some(token) = &self.token {
            req = req.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if !body.is_empty() {
            req = req.header(http::header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| AgentCallError::Invalid(url.clone(), e.to_string()))?;
        let exchange = async {
            let res = self
                .http
                .request(req)
                .await
                .map_err(|e| AgentCallError::Transport(url.clone(), describe(&e)))?;
            let status = res.status();
            let body = Limited::new(res.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| AgentCallError::Transport(url.clone(), e.to_string()))?
                .to_bytes();
            if !status.is_success() {
                return Err(AgentCallError::Status {
                    url: url.clone(),
                    status,
                    body: String::from_utf8_lossy(&body).trim().to_string(),
                });
            }
            Ok(body)
        };
        tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| AgentCallError::Timeout(url.clone(), CALL_TIMEOUT))?
    }
}

/// The error and its causes on one line ("connection refused" is in the source).
fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
