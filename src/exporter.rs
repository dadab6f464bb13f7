//! `--metrics-listen ADDR`: the live run in the Prometheus / OpenMetrics text
//! format, served by hyper. Each scrape encodes the newest published
//! [`Dashboard`] frame (the `watch` the dashboard reads) with `prometheus-client`,
//! so the hot path and the aggregator do no work for it, and a scrape shows
//! exactly what the dashboard shows.
//!
//! Latency is exported as gauges labelled `quantile` (the run's own HDR
//! percentiles, exact): prometheus-client has no summary type, and a histogram
//! rebuilt from percentiles would invent bucket counts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::metrics::dashboard::{Dashboard, Percentiles, Verdict};
use crate::outcome::OutcomeClass;

/// What OpenMetrics text is served as.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// A bound `--metrics-listen` socket, not yet serving.
pub struct Exporter {
    listener: TcpListener,
}

impl Exporter {
    /// Binds `addr` (before the run starts, so a busy port is a usage error).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Exporter> {
        Ok(Exporter {
            listener: TcpListener::bind(addr).await?,
        })
    }

    /// The address scrapes go to (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `GET /metrics` from the newest frame of `frames` until `stop` is
    /// cancelled (the run's end).
    pub async fn serve(self, frames: watch::Receiver<Arc<Dashboard>>, stop: CancellationToken) {
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!("--metrics-listen: accept failed: {e}");
                        continue;
                    }
                },
                _ = stop.cancelled() => return,
            };
            let frames = frames.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let frame = frames.borrow().clone();
                    async move { Ok::<_, std::convert::Infallible>(respond(req.uri().path(), &frame)) }
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

fn respond(path: &str, frame: &Dashboard) -> http::Response<Full<Bytes>> {
    let (status, content_type, body) = match path {
        "/metrics" | "/" => (200, CONTENT_TYPE, render(frame)),
        _ => (
            404,
            "text/plain",
            "not found: scrape /metrics\n".to_string(),
        ),
    };
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts are valid")
}

/// One frame in the OpenMetrics text format (ends with `# EOF`).
pub fn render(d: &Dashboard) -> String {
    let mut registry = Registry::with_prefix("loadpilot");
    register_load(&mut registry, d);
    register_requests(&mut registry, d);
    register_latency(&mut registry, d);
    register_thresholds(&mut registry, d);
    register_loader(&mut registry, d);
    let mut out = String::new();
    encode(&mut out, &registry).expect("writing to a String cannot fail");
    out
}

fn gauge(registry: &mut Registry, name: &str, help: &str, value: f64) {
    let g = FloatGauge::default();
    g.set(value);
    registry.register(name, help, g);
}

fn counter(registry: &mut Registry, name: &str, help: &str, value: u64) {
    let c = Counter::<u64>::default();
    c.inc_by(value);
    registry.register(name, help, c);
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// VUs, the schedule's target, run time, throughput and drops.
fn register_load(registry: &mut Registry, d: &Dashboard) {
    gauge(registry, "vus", "Active VUs", f64::from(d.vus_active));
    let target = Family::<Labels, FloatGauge>::default();
    let model = match d.model {
        crate::plan::LoadModel::Vus => "vus",
        crate::plan::LoadModel::Rate => "rate",
    };
    target
        .get_or_create(&labels(&[("model", model)]))
        .set(f64::from(d.vus_target));
    registry.register(
        "load_target",
        "The schedule's target now: VUs (model=vus) or arrivals per second (model=rate)",
        target,
    );
    gauge(
        registry,
        "elapsed_seconds",
        "Run time so far",
        d.elapsed.as_secs_f64(),
    );
    gauge(
        registry,
        "rps",
        "Requests in the last closed second",
        d.rps_now,
    );
    counter(
        registry,
        "dropped_arrivals",
        "Open model: arrivals that could not be sent",
        d.dropped,
    );
    counter(registry, "received_bytes", "Bytes received", d.bytes_in);
    counter(registry, "sent_bytes", "Bytes sent", d.bytes_out);
}

/// Requests and errors by request, outcomes by class.
fn register_requests(registry: &mut Registry, d: &Dashboard) {
    let requests = Family::<Labels, Counter>::default();
    let errors = Family::<Labels, Counter>::default();
    for r in &d.request_stats {
        let l = labels(&[("request", &r.name)]);
        requests.get_or_create(&l).inc_by(r.count);
        errors.get_or_create(&l).inc_by(r.errors);
    }
    registry.register("requests", "Requests sent, by request", requests);
    registry.register("errors", "Requests that failed, by request", errors);
    let outcomes = Family::<Labels, Counter>::default();
    for class in OutcomeClass::ALL {
        outcomes
            .get_or_create(&labels(&[("class", class.label())]))
            .inc_by(d.classes[class.index()]);
    }
    registry.register(
        "outcomes",
        "Requests by outcome class (ok, 429, 4xx, 500, 5xx, timeout, connect, …)",
        outcomes,
    );
}

/// Whole-run percentiles, overall and per request, and the last closed second's.
fn register_latency(registry: &mut Registry, d: &Dashboard) {
    let whole = Family::<Labels, FloatGauge>::default();
    let put = |family: &Family<Labels, FloatGauge>, request: &str, p: &Percentiles| {
        for (q, us) in quantiles(p) {
            family
                .get_or_create(&labels(&[("request", request), ("quantile", q)]))
                .set(us as f64 / 1e6);
        }
    };
    put(&whole, "overall", &d.latency);
    for r in &d.request_stats {
        put(&whole, &r.name, &r.latency);
    }
    registry.register(
        "latency_seconds",
        "Latency over the run so far, by request and quantile (HDR histogram)",
        whole,
    );
    let recent = Family::<Labels, FloatGauge>::default();
    if let Some(row) = d.series.last() {
        for (q, us) in quantiles(&row.latency) {
            recent
                .get_or_create(&labels(&[("quantile", q)]))
                .set(us as f64 / 1e6);
        }
    }
    registry.register(
        "latency_last_second_seconds",
        "Latency in the last closed second, by quantile",
        recent,
    );
}

fn quantiles(p: &Percentiles) -> [(&'static str, u64); 5] {
    [
        ("0.5", p.p50_us),
        ("0.9", p.p90_us),
        ("0.95", p.p95_us),
        ("0.99", p.p99_us),
        ("1", p.max_us),
    ]
}

/// 1 while a threshold passes over the run so far, 0 when failing or without data.
fn register_thresholds(registry: &mut Registry, d: &Dashboard) {
    let passing = Family::<Labels, FloatGauge>::default();
    for t in &d.thresholds {
        let ok = matches!(t.run, Verdict::Pass | Verdict::Near);
        passing
            .get_or_create(&labels(&[("threshold", &t.expr)]))
            .set(if ok { 1.0 } else { 0.0 });
    }
    registry.register(
        "threshold_passing",
        "1 while the threshold passes over the run so far, else 0",
        passing,
    );
}

/// loadpilot's own CPU and memory (is the loader the bottleneck?).
fn register_loader(registry: &mut Registry, d: &Dashboard) {
    gauge(
        registry,
        "loader_cpu_percent",
        "loadpilot's CPU use, percent of one core",
        d.memory.self_cpu_pct,
    );
    gauge(
        registry,
        "loader_resident_memory_bytes",
        "loadpilot's resident memory",
        d.memory.self_rss as f64,
    );
    gauge(
        registry,
        "loader_scheduler_lag_seconds",
        "How late loadpilot's 100 ms tick fired",
        d.memory.scheduler_lag_ms / 1000.0,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every series the shipped Grafana dashboard queries is one this exporter
    /// serves, so the dashboard cannot silently go blank after a rename.
    #[test]
    fn the_grafana_dashboard_queries_only_exported_metrics() {
        let mut d = Dashboard::empty("p", "http://x");
        d.thresholds
            .push(crate::metrics::dashboard::ThresholdStatus {
                expr: "p95 < 1s".into(),
                run: Verdict::Pass,
                run_value: 0.0,
                recent: Verdict::Pass,
                recent_value: 0.0,
            });
        d.request_stats
            .push(crate::metrics::dashboard::RequestStat {
                name: "ping".into(),
                count: 3,
                errors: 1,
                rps: 3.0,
                latency: Percentiles::default(),
                threshold: None,
            });
        d.series.chunks.push(Arc::from(vec![Default::default()]));
        let text = render(&d);
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
            .expect("the exposition parses");
        // Families without samples in an empty frame still have their HELP line.
        let names: Vec<&str> = scrape
            .samples
            .iter()
            .map(|s| s.metric.as_str())
            .chain(scrape.docs.keys().map(String::as_str))
            .collect();
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../assets/grafana-loadpilot.json")).unwrap();
        let mut queried = 0;
        for panel in json["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap();
                for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    if word.starts_with("loadpilot_") {
                        queried += 1;
                        let family = word.strip_suffix("_total").unwrap_or(word);
                        assert!(
                            names.contains(&word) || names.contains(&family),
                            "{word} is not exported: {names:?}"
                        );
                    }
                }
            }
        }
        assert!(queried >= 10, "{queried}");
    }
}
