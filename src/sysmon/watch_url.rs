//! A target described over HTTP (`--watch-url`), read every `watch_every`:
//! Prometheus text or a number in a JSON document.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::exposition::{json_value, prometheus_value};
use super::{TargetSample, URL_TIMEOUT};
use crate::metrics::dashboard::MAX_WATCHED;

/// Largest `--watch-url` body read.
const URL_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why one read of the endpoint gave nothing (warned about once).
#[derive(Debug, thiserror::Error)]
pub(super) enum FetchError {
    #[error("request failed: {0}")]
    Request(#[from] hyper_util::client::legacy::Error),
    #[error("answered {0}")]
    Status(hyper::StatusCode),
    #[error("reading the body failed: {0}")]
    Body(Box<dyn std::error::Error + Send + Sync>),
    #[error("the body is not UTF-8 text")]
    NotText,
    #[error("no answer within {}", humantime::format_duration(URL_TIMEOUT))]
    Timeout,
}

/// How a `--watch-url` body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum UrlFormat {
    Prometheus,
    /// A JSON pointer (RFC 6901) to the resident-memory number.
    Json {
        pointer: String,
    },
}

/// What to read, how, and how often.
pub(super) struct Poll {
    pub url: String,
    pub format: UrlFormat,
    pub every: Duration,
    /// `watch.NAME` metrics read from Prometheus text (the first [`MAX_WATCHED`]).
    pub metrics: Vec<String>,
}

/// Reads the URL every `every` and publishes what it found (or nothing, when it failed).
pub(super) async fn poll_url(
    poll: Poll,
    url_tx: watch::Sender<TargetSample>,
    shutdown: CancellationToken,
) {
    let Poll {
        url,
        format,
        every,
        metrics,
    } = poll;
    let uri: hyper::Uri = match url.parse() {
        Ok(uri) => uri,
        Err(e) => {
            tracing::warn!("--watch-url \"{url}\" is not a URL: {e}");
            return;
        }
    };
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // (cpu seconds, when read) of the previous Prometheus reading.
    let mut last_cpu: Option<(f64, Instant)> = None;
    let mut warned = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let sample = match fetch(&client, &uri).await {
            Ok(body) => match &format {
                UrlFormat::Prometheus => {
                    let now = Instant::now();
                    let rss = prometheus_value(&body, "process_resident_memory_bytes");
                    let cpu_s = prometheus_value(&body, "process_cpu_seconds_total");
                    let cpu_pct = match (cpu_s, last_cpu) {
                        (Some(cpu), Some((prev, at))) => {
                            cpu_percent(prev, cpu, now.duration_since(at))
                        }
                        _ => None,
                    };
                    last_cpu = cpu_s.map(|cpu| (cpu, now));
                    let mut watch = [None; MAX_WATCHED];
                    for (slot, name) in watch.iter_mut().zip(&metrics) {
                        *slot = prometheus_value(&body, name);
                    }
                    TargetSample {
                        rss: rss.map(|v| v as u64),
                        cpu_pct,
                        watch,
                    }
                }
                UrlFormat::Json { pointer } => TargetSample {
                    rss: json_value(&body, pointer).map(|v| v as u64),
                    ..TargetSample::default()
                },
            },
            Err(e) => {
                if !warned {
                    tracing::warn!("--watch-url \"{url}\": {e}");
                    warned = true;
                }
                TargetSample::default()
            }
        };
        if url_tx.send(sample).is_err() {
            return;
        }
    }
}

/// GETs `uri` and returns its body as text.
async fn fetch(
    client: &Client<HttpConnector, Empty<Bytes>>,
    uri: &hyper::Uri,
) -> Result<String, FetchError> {
    let read = async {
        let response = client.get(uri.clone()).await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        let body = Limited::new(response.into_body(), URL_MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(FetchError::Body)?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|_| FetchError::NotText)
    };
    tokio::time::timeout(URL_TIMEOUT, read)
        .await
        .map_err(|_| FetchError::Timeout)?
}

/// CPU % (100 = one core) from two readings of a cumulative CPU-seconds counter.
fn cpu_percent(prev_s: f64, now_s: f64, wall: Duration) -> Option<f64> {
    let wall_s = wall.as_secs_f64();
    (wall_s > 0.0 && now_s >= prev_s).then(|| (now_s - prev_s) / wall_s * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_from_counter() {
        assert_eq!(cpu_percent(10.0, 10.5, Duration::from_secs(1)), Some(50.0));
        assert_eq!(cpu_percent(10.0, 9.0, Duration::from_secs(1)), None);
    }
}
