//! Memory per scope: histograms hold what was recorded (not a fixed 1 µs–1 h range
//! each), and a profile with more scopes than `MAX_SCOPES` is refused before any
//! request is sent. Real runs against the demo target.

mod common;

use std::time::Duration;

use common::*;
use hdrhistogram::Histogram;
use loadpilot::metrics::scope::{MAX_SCOPES, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS};
use loadpilot::session::Session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_named_requests_keep_histograms_sized_to_their_data() {
    let t = target().await;
    let names: Vec<String> = (0..1000).map(|i| format!("/ping?r={i}")).collect();
    let paths: Vec<(&str, u32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let p = profile(&t.url(""), &paths, flat(4, Duration::from_millis(800)));
    let session = Session::start(p, &opts(), None).expect("session starts");
    let out = tokio::time::timeout(Duration::from_secs(30), session.wait())
        .await
        .expect("run ends in time")
        .expect("run ok");
    let fixed = Histogram::<u64>::new_with_bounds(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS)
        .unwrap()
        .distinct_values();
    let record = &out.record;
    assert_eq!(record.per_request.len(), 1000);
    let counters: usize = record
        .per_request
        .iter()
        .map(|s| s.hist.distinct_values())
        .sum();
    // Loopback latencies stay far below a second, so each histogram needs a few of
    // the ~23 buckets a 1 h range has: well under a third of the fixed size.
    assert!(
        counters * 3 < fixed * 1000,
        "{counters} counters for 1000 requests; fixed ranges would be {}",
        fixed * 1000
    );
    // And the numbers are the same as a fixed histogram would give.
    let mut check =
        Histogram::<u64>::new_with_bounds(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS).unwrap();
    check.add(&record.overall.hist).unwrap();
    for q in [0.5, 0.99, 1.0] {
        assert_eq!(
            check.value_at_quantile(q),
            record.overall.hist.value_at_quantile(q)
        );
    }
    assert!(!record.overall.hist.is_empty());
}

#[test]
fn more_scopes_than_the_cap_are_refused_with_the_counts() {
    let names: Vec<String> = (0..=MAX_SCOPES).map(|i| format!("/r{i}")).collect();
    let paths: Vec<(&str, u32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    let p = profile(
        "http://127.0.0.1:1",
        &paths,
        flat(1, Duration::from_secs(1)),
    );
    let err = match Session::start(p, &opts(), None) {
        Ok(_) => panic!("{} requests must be refused", MAX_SCOPES + 1),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(&format!("{} requests", MAX_SCOPES + 1)),
        "{err}"
    );
    assert!(
        err.contains(&format!("{MAX_SCOPES} loadpilot allows")),
        "{err}"
    );
}
