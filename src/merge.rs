//! `loadpilot merge`: snapshots of the same profile run at the same time on
//! several machines become one. Histograms add exactly; the per-second series adds
//! by wall-clock second, with each second's percentiles recomputed from the merged
//! per-second histograms (percentiles themselves cannot be added).

use std::collections::BTreeMap;

use crate::metrics::dashboard::SecondRow;
use crate::metrics::hist_codec as hist;
use crate::metrics::scope::{new_histogram, percentiles};
use crate::snapshot::{ClassRecord, EventRecord, NamedScope, ScopeRecord, Snapshot};

/// Merges `snapshots` (at least two, same profile).
pub fn merge(snapshots: &[Snapshot]) -> Result<Snapshot, String> {
    let first = snapshots.first().ok_or("nothing to merge")?;
    if let Some(other) = snapshots
        .iter()
        .find(|s| s.profile_name != first.profile_name)
    {
        return Err(format!(
            "cannot merge runs of different profiles (\"{}\" and \"{}\")",
            first.profile_name, other.profile_name
        ));
    }
    let start = snapshots
        .iter()
        .map(|s| s.started_at)
        .min()
        .expect("non-empty");
    // Each run's offset from the earliest start, in whole seconds.
    let offsets: Vec<u32> = snapshots
        .iter()
        .map(|s| (s.started_at - start).num_milliseconds().max(0) as u32 / 1000)
        .collect();

    let mut merged = first.clone();
    merged.started_at = start;
    merged.duration_s = snapshots
        .iter()
        .zip(&offsets)
        .map(|(s, &o)| f64::from(o) + s.duration_s)
        .fold(0.0, f64::max);
    merged.complete = snapshots.iter().all(|s| s.complete);
    merged.aborted_by_threshold = snapshots.iter().any(|s| s.aborted_by_threshold);
    merged.bytes_in = snapshots.iter().map(|s| s.bytes_in).sum();
    merged.bytes_out = snapshots.iter().map(|s| s.bytes_out).sum();
    merged.overall = add_scopes(snapshots.iter().map(|s| &s.overall))?;
    merged.requests = add_named(snapshots.iter().map(|s| s.requests.as_slice()))?;
    merged.stages_stats = add_named(snapshots.iter().map(|s| s.stages_stats.as_slice()))?;
    merged.personas = add_named(snapshots.iter().map(|s| s.personas.as_slice()))?;
    merged.error_classes = add_classes(snapshots);
    let (series, second_histograms) = add_series(snapshots, &offsets)?;
    merged.series = series;
    merged.second_histograms = second_histograms;
    merged.events = snapshots
        .iter()
        .zip(&offsets)
        .enumerate()
        .flat_map(|(i, (s, &o))| {
            s.events.iter().map(move |e| EventRecord {
                at_s: e.at_s + f64::from(o),
                kind: e.kind,
                text: format!("[run {}] {}", i + 1, e.text),
            })
        })
        .collect();
    merged.events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    merged.actions = snapshots
        .iter()
        .flat_map(|s| s.actions.iter().cloned())
        .collect();
    merged.actions.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    Ok(merged)
}

fn add_scopes<'a>(scopes: impl Iterator<Item = &'a ScopeRecord>) -> Result<ScopeRecord, String> {
    let mut out = ScopeRecord {
        classes: BTreeMap::new(),
        latency_us: new_histogram(),
    };
    for s in scopes {
        for (label, n) in &s.classes {
            *out.classes.entry(label.clone()).or_default() += n;
        }
        out.latency_us
            .add(&s.latency_us)
            .map_err(|e| format!("histograms do not fit together: {e:?}"))?;
    }
    Ok(out)
}

/// Adds scopes by name, keeping the first run's order and appending new names.
fn add_named<'a>(lists: impl Iterator<Item = &'a [NamedScope]>) -> Result<Vec<NamedScope>, String> {
    let mut out: Vec<NamedScope> = Vec::new();
    for list in lists {
        for scope in list {
            match out.iter_mut().find(|n| n.name == scope.name) {
                Some(existing) => {
                    existing.stats = add_scopes([&existing.stats, &scope.stats].into_iter())?;
                }
                None => out.push(scope.clone()),
            }
        }
    }
    Ok(out)
}

fn add_classes(snapshots: &[Snapshot]) -> Vec<ClassRecord> {
    let mut out: Vec<ClassRecord> = Vec::new();
    for c in snapshots.iter().flat_map(|s| &s.error_classes) {
        match out.iter_mut().find(|o| o.class == c.class) {
            Some(o) => {
                for &(code, n) in &c.statuses {
                    match o.statuses.iter_mut().find(|(k, _)| *k == code) {
                        Some((_, m)) => *m += n,
                        None => o.statuses.push((code, n)),
                    }
                }
                o.statuses.sort_unstable();
                if c.last_message.is_some() {
                    o.last_message = c.last_message.clone();
                }
            }
            None => out.push(c.clone()),
        }
    }
    out.sort_by_key(|c| c.class);
    out
}

/// Adds rows and per-second histograms by wall-clock second.
fn add_series(
    snapshots: &[Snapshot],
    offsets: &[u32],
) -> Result<(Vec<SecondRow>, Vec<Vec<u8>>), String> {
    let len = snapshots
        .iter()
        .zip(offsets)
        .map(|(s, &o)| o as usize + s.series.len())
        .max()
        .unwrap_or(0);
    let mut rows: Vec<SecondRow> = (0..len)
        .map(|t| SecondRow {
            t_s: t as u32,
            ..SecondRow::default()
        })
        .collect();
    let mut hists: Vec<_> = (0..len).map(|_| new_histogram()).collect();
    for (s, &offset) in snapshots.iter().zip(offsets) {
        for (i, r) in s.series.iter().enumerate() {
            let m = &mut rows[offset as usize + i];
            m.requests += r.requests;
            for (a, b) in m.classes.iter_mut().zip(r.classes) {
                *a += b;
            }
            m.vus += r.vus;
            m.target_vus += r.target_vus;
            m.bytes_in += r.bytes_in;
            m.bytes_out += r.bytes_out;
            m.host_mem_used += r.host_mem_used;
            m.target_rss = m.target_rss.max(r.target_rss);
        }
        for (i, blob) in s.second_histograms.iter().enumerate() {
            let h = hist::decode(blob)?;
            hists[offset as usize + i]
                .add(&h)
                .map_err(|e| format!("histograms do not fit together: {e:?}"))?;
        }
    }
    for (row, h) in rows.iter_mut().zip(&hists) {
        if !h.is_empty() {
            row.latency = percentiles(h);
        }
    }
    Ok((rows, hists.iter().map(hist::encode).collect()))
}
