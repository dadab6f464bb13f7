//! `loadpilot merge`: snapshots of the same profile run at the same time on
//! several machines become one. Histograms add exactly; the per-second series adds
//! by wall-clock second, with each second's percentiles recomputed from the merged
//! per-second histograms (percentiles themselves cannot be added).

use hdrhistogram::Histogram;

use crate::metrics::dashboard::SecondRow;
use crate::metrics::hist_codec as hist;
use crate::metrics::scope::{new_histogram, percentiles};
use crate::segment::{Coverage, Segment, coverage};
use crate::snapshot::{ClassRecord, EventRecord, NamedScope, ScopeRecord, Snapshot};

/// Names the first two runs (of `snapshots`, read from `files`) whose time
/// spans do not overlap, or `None` when every run overlaps every other.
pub fn non_overlapping(snapshots: &[Snapshot], files: &[std::path::PathBuf]) -> Option<String> {
    let span = |s: &Snapshot| {
        let ms = (s.duration_s * 1000.0).clamp(0.0, i64::MAX as f64 / 2.0) as i64;
        (
            s.started_at,
            s.started_at + chrono::Duration::milliseconds(ms),
        )
    };
    let name = |i: usize| {
        files
            .get(i)
            .map_or(format!("run {}", i + 1), |f| f.display().to_string())
    };
    for (i, a) in snapshots.iter().enumerate() {
        for (j, b) in snapshots.iter().enumerate().skip(i + 1) {
            let ((a0, a1), (b0, b1)) = (span(a), span(b));
            if a1 < b0 || b1 < a0 {
                let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC");
                return Some(format!(
                    "{} ({} to {}) and {} ({} to {}) did not overlap in time",
                    name(i),
                    when(a0),
                    when(a1),
                    name(j),
                    when(b0),
                    when(b1)
                ));
            }
        }
    }
    None
}

/// How the merged runs' `--segment`s cover the run: `Err` when two overlap (a
/// whole run overlaps any segment), so their sum would count part of the run
/// twice; `Ok(Some(warning))` when parts of the run are in none of them (an
/// agent's snapshot is missing); `Ok(None)` when they cover it exactly once, or
/// when no run was segmented (independent whole runs add up as they are).
pub fn segment_coverage(
    snapshots: &[Snapshot],
    files: &[std::path::PathBuf],
) -> Result<Option<String>, String> {
    if snapshots.iter().all(|s| s.segment.is_none()) {
        return Ok(None);
    }
    let segments: Vec<Segment> = snapshots
        .iter()
        .map(|s| s.segment.unwrap_or_else(Segment::whole))
        .collect();
    let name = |i: usize| {
        let file = files
            .get(i)
            .map_or(format!("run {}", i + 1), |f| f.display().to_string());
        match snapshots[i].segment {
            Some(s) => format!("{file} (segment {s})"),
            None => format!("{file} (a whole run, no segment)"),
        }
    };
    match coverage(&segments) {
        Coverage::Whole => Ok(None),
        Coverage::Overlap(i, j) => Err(format!(
            "{} and {} overlap: merging them would count part of the run twice;              merge one snapshot per segment (1/N … N/N)",
            name(i),
            name(j)
        )),
        Coverage::Gaps(gaps) => {
            let missing: Vec<String> = gaps.iter().map(|(a, b)| format!("{a}..{b}")).collect();
            Ok(Some(format!(
                "the segments do not cover the whole run: no snapshot holds {} of it,                  so the merged run is partial",
                missing.join(", ")
            )))
        }
    }
}

/// The part of the run the merged snapshots hold together: `None` for the whole
/// run (or unsegmented inputs); the union when it is one I-th of N equal parts.
fn merged_segment(snapshots: &[Snapshot]) -> Option<Segment> {
    let mut parts: Vec<Segment> = snapshots.iter().filter_map(|s| s.segment).collect();
    if parts.len() < snapshots.len() || parts.is_empty() {
        return None;
    }
    parts.sort_by_key(|s| s.from);
    let mut union = parts[0];
    for p in &parts[1..] {
        if p.from != union.to {
            return None;
        }
        union.to = p.to;
    }
    (!union.is_whole() && union.index_of_equal().is_some()).then_some(union)
}

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
        .map(|s| {
            let secs = (s.started_at - start).num_seconds().max(0);
            u32::try_from(secs).unwrap_or(u32::MAX)
        })
        .collect();

    let mut merged = first.clone();
    merged.started_at = start;
    merged.segment = merged_segment(snapshots);
    merged.duration_s = snapshots
        .iter()
        .zip(&offsets)
        .map(|(s, &o)| f64::from(o) + s.duration_s)
        .fold(0.0, f64::max);
    merged.complete = snapshots.iter().all(|s| s.complete);
    merged.aborted_by_threshold = snapshots.iter().any(|s| s.aborted_by_threshold);
    merged.bytes_in = snapshots
        .iter()
        .fold(0u64, |a, s| a.saturating_add(s.bytes_in));
    merged.bytes_out = snapshots
        .iter()
        .fold(0u64, |a, s| a.saturating_add(s.bytes_out));
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
    // Through the live statistics, so merged counts, histograms (service time
    // too) and arrivals add exactly as the aggregator adds them.
    let mut out = crate::metrics::scope::ScopeStats::default();
    for s in scopes {
        let stats = s.to_stats().map_err(|e| e.to_string())?;
        out.merge(&stats);
    }
    Ok(ScopeRecord::from_stats(&out))
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
                        Some((_, m)) => *m = m.saturating_add(n),
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
    // Runs far apart (merged with --force) would pad the series with empty
    // seconds; a day of padding beyond the longest run is allowed, no more.
    let longest = snapshots.iter().map(|s| s.series.len()).max().unwrap_or(0);
    if len > longest.saturating_mul(2).saturating_add(86_400) {
        return Err(format!(
            "the runs are {len} seconds apart end to end, too far to line up by second"
        ));
    }
    let mut rows: Vec<SecondRow> = (0..len)
        .map(|t| SecondRow {
            t_s: t as u32,
            ..SecondRow::default()
        })
        .collect();
    // Only seconds with data get a histogram (padding seconds between runs
    // share one encoded empty histogram).
    let mut hists: Vec<Option<Histogram<u64>>> = (0..len).map(|_| None).collect();
    for (s, &offset) in snapshots.iter().zip(offsets) {
        for (i, r) in s.series.iter().enumerate() {
            // Saturating: the counts come from files (range-checked, but many
            // files add up).
            let m = &mut rows[offset as usize + i];
            m.requests = m.requests.saturating_add(r.requests);
            for (a, b) in m.classes.iter_mut().zip(r.classes) {
                *a = a.saturating_add(b);
            }
            m.vus = m.vus.saturating_add(r.vus);
            m.target_vus = m.target_vus.saturating_add(r.target_vus);
            m.bytes_in = m.bytes_in.saturating_add(r.bytes_in);
            m.bytes_out = m.bytes_out.saturating_add(r.bytes_out);
            m.host_mem_used = m.host_mem_used.saturating_add(r.host_mem_used);
            m.target_rss = m.target_rss.max(r.target_rss);
        }
        for (i, blob) in s.second_histograms.iter().enumerate() {
            let h = hist::decode(blob)?;
            let Some(slot) = hists.get_mut(offset as usize + i) else {
                return Err(format!(
                    "more per-second histograms than seconds ({})",
                    s.series.len()
                ));
            };
            slot.get_or_insert_with(new_histogram)
                .add(&h)
                .map_err(|e| format!("histograms do not fit together: {e:?}"))?;
        }
    }
    for (row, h) in rows.iter_mut().zip(&hists) {
        if let Some(h) = h.as_ref().filter(|h| !h.is_empty()) {
            row.latency = percentiles(h);
        }
    }
    let empty = hist::encode(&new_histogram());
    let blobs = hists
        .iter()
        .map(|h| h.as_ref().map_or_else(|| empty.clone(), hist::encode))
        .collect();
    Ok((rows, blobs))
}
