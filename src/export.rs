//! `loadpilot report` formats: the summary (text, JSON, Markdown, JUnit), the
//! per-second series (CSV, NDJSON), the HdrHistogram interval log, and the VU curve
//! the run actually followed as a `[load]` stages block.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;

use crate::cli::ReportFormat;
use crate::command::Command;
use crate::format::ms_fixed;
use crate::metrics::dashboard::SecondRow;
use crate::metrics::hist_codec as hist;
use crate::outcome::OutcomeClass;
use crate::plan::{LoadModel, Stage};
use crate::report::Summary;
use crate::snapshot::{Snapshot, SnapshotError};

/// Renders `snapshot` in `format`.
pub fn render(snapshot: &Snapshot, format: ReportFormat) -> Result<Vec<u8>, SnapshotError> {
    let summary =
        || -> Result<Summary, SnapshotError> { Ok(Summary::from_record(&snapshot.to_record()?)) };
    Ok(match format {
        ReportFormat::Text => {
            let mut text = run_facts_line(snapshot);
            text.push_str(&summary()?.render_text());
            text.into_bytes()
        }
        ReportFormat::Json => summary_json(snapshot, &summary()?)?,
        ReportFormat::Csv => csv(&snapshot.series).into_bytes(),
        ReportFormat::Ndjson => ndjson(&snapshot.series).into_bytes(),
        ReportFormat::Markdown => markdown(snapshot, &summary()?).into_bytes(),
        ReportFormat::Junit => junit(snapshot, &summary()?).into_bytes(),
        ReportFormat::Stages => stages_report(snapshot).into_bytes(),
        ReportFormat::HdrLog => hdr_log(snapshot)?,
    })
}

/// The summary as JSON; a find-limit run's result rides along as `find_limit`
/// (as `--summary-json` writes it).
fn summary_json(s: &Snapshot, summary: &Summary) -> Result<Vec<u8>, SnapshotError> {
    let invalid = |e: serde_json::Error| SnapshotError::Invalid(e.to_string());
    let mut json = serde_json::to_value(summary).map_err(invalid)?;
    if let (Some(result), Some(map)) = (&s.find_limit, json.as_object_mut()) {
        map.insert("find_limit".into(), result.clone());
    }
    serde_json::to_vec_pretty(&json).map_err(invalid)
}

fn run_facts_line(s: &Snapshot) -> String {
    format!(
        "snapshot of a run started {} ({}{})\n",
        s.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        if s.complete { "complete" } else { "mid-run" },
        if s.aborted_by_threshold {
            ", stopped by abort_on_fail"
        } else {
            ""
        },
    )
}

const CSV_LATENCY: [&str; 5] = ["p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"];

/// One line per second; every field is a number, so no quoting is needed.
fn csv(series: &[SecondRow]) -> String {
    let mut out = String::from("t_s,requests,errors");
    for class in OutcomeClass::ALL {
        let _ = write!(out, ",{}", class.label());
    }
    for col in CSV_LATENCY {
        let _ = write!(out, ",{col}");
    }
    out.push_str(",vus,target_vus,bytes_in,bytes_out,host_mem_used,host_mem_total,target_rss\n");
    for r in series {
        let _ = write!(out, "{},{},{}", r.t_s, r.requests, r.errors());
        for n in r.classes {
            let _ = write!(out, ",{n}");
        }
        let l = r.latency;
        for us in [l.p50_us, l.p90_us, l.p95_us, l.p99_us, l.max_us] {
            let _ = write!(out, ",{:.3}", us as f64 / 1000.0);
        }
        let _ = writeln!(
            out,
            ",{},{},{},{},{},{},{}",
            r.vus,
            r.target_vus,
            r.bytes_in,
            r.bytes_out,
            r.host_mem_used,
            r.host_mem_total,
            r.target_rss
        );
    }
    out
}

fn ndjson(series: &[SecondRow]) -> String {
    let mut out = String::new();
    for r in series {
        let classes: serde_json::Map<String, serde_json::Value> = OutcomeClass::ALL
            .iter()
            .map(|c| (c.label().to_string(), r.classes[c.index()].into()))
            .collect();
        let l = r.latency;
        let line = serde_json::json!({
            "t_s": r.t_s,
            "requests": r.requests,
            "errors": r.errors(),
            "classes": classes,
            "p50_ms": l.p50_us as f64 / 1000.0,
            "p90_ms": l.p90_us as f64 / 1000.0,
            "p95_ms": l.p95_us as f64 / 1000.0,
            "p99_ms": l.p99_us as f64 / 1000.0,
            "max_ms": l.max_us as f64 / 1000.0,
            "vus": r.vus,
            "target_vus": r.target_vus,
            "bytes_in": r.bytes_in,
            "bytes_out": r.bytes_out,
            "host_mem_used": r.host_mem_used,
            "host_mem_total": r.host_mem_total,
            "target_rss": r.target_rss,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

/// A report to paste into a pull request or `$GITHUB_STEP_SUMMARY`: one
/// section per part of the run, each a table.
fn markdown(s: &Snapshot, summary: &Summary) -> String {
    let mut md = format!("## loadpilot: {}\n\n", s.profile_name);
    md_overview(&mut md, s, summary);
    md_find_limit(&mut md, s);
    md_thresholds(&mut md, summary);
    md_requests(&mut md, summary);
    md_stages(&mut md, summary);
    md_health(&mut md, summary);
    md_error_classes(&mut md, summary);
    md_events(&mut md, s);
    md
}

fn md_overview(md: &mut String, s: &Snapshot, summary: &Summary) {
    let o = &summary.overall;
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| target | `{}` |", s.target);
    let _ = writeln!(
        md,
        "| started | {} |",
        s.started_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    let partial = if s.complete {
        ""
    } else {
        " (mid-run snapshot)"
    };
    let _ = writeln!(md, "| duration | {:.1} s{partial} |", s.duration_s);
    let _ = writeln!(
        md,
        "| stages | `{}` |",
        crate::plan::format_stages(&s.stages)
    );
    let _ = writeln!(md, "| requests | {} ({:.1}/s) |", o.count, o.rps);
    let _ = writeln!(md, "| errors | {} ({}) |", o.errors, pct(o.error_rate));
    let _ = writeln!(
        md,
        "| latency | p50 {} · p95 {} · p99 {} · max {} |",
        ms_fixed(o.p50_ms),
        ms_fixed(o.p95_ms),
        ms_fixed(o.p99_ms),
        ms_fixed(o.max_ms)
    );
}

fn md_thresholds(md: &mut String, summary: &Summary) {
    if summary.thresholds.is_empty() {
        return;
    }
    let verdict = if summary.passed {
        "all passed ✅"
    } else {
        "FAILED ❌"
    };
    let _ = writeln!(
        md,
        "\n### Thresholds: {verdict}\n\n| threshold | value | result |\n|---|---:|---|"
    );
    for t in &summary.thresholds {
        let result = if t.passed { "✅ pass" } else { "❌ fail" };
        let _ = writeln!(md, "| `{}` | {} | {result} |", t.expr, t.shown);
    }
}

/// Per stage (when two or more ran), then the recovery after each drop in load.
fn md_stages(md: &mut String, summary: &Summary) {
    if summary.stages.len() >= 2 {
        let _ = writeln!(
            md,
            "\n### Stages\n\n| stage | from | to | target | count | rps | p50 | p95 | p99 | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for st in &summary.stages {
            let r = &st.stats;
            let target = st.target.map_or("–".into(), |t| t.to_string());
            let _ = writeln!(
                md,
                "| {} | {:.1}s | {:.1}s | {target} | {} | {:.1} | {} | {} | {} | {} |",
                st.name,
                st.from_s,
                st.to_s,
                r.count,
                r.rps,
                ms_fixed(r.p50_ms),
                ms_fixed(r.p95_ms),
                ms_fixed(r.p99_ms),
                pct(r.error_rate)
            );
        }
    }
    if !summary.recoveries.is_empty() {
        md.push('\n');
        for r in &summary.recoveries {
            let _ = write!(md, "- {}", crate::report::recovery_line(r));
        }
    }
}

/// The target's memory, CPU and leak fit, when it was watched.
fn md_health(md: &mut String, summary: &Summary) {
    if let Some(health) = &summary.health {
        let _ = write!(
            md,
            "\n### Target health\n\n```\n{}```\n",
            health.render_text().trim_end().to_string() + "\n"
        );
    }
}

fn md_requests(md: &mut String, summary: &Summary) {
    let _ = writeln!(
        md,
        "\n### Requests\n\n| request | count | rps | p50 | p95 | p99 | max | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (name, r) in summary
        .requests
        .iter()
        .map(|r| (r.name.as_str(), &r.stats))
        .chain([("**overall**", &summary.overall)])
    {
        let _ = writeln!(
            md,
            "| {name} | {} | {:.1} | {} | {} | {} | {} | {} |",
            r.count,
            r.rps,
            ms_fixed(r.p50_ms),
            ms_fixed(r.p95_ms),
            ms_fixed(r.p99_ms),
            ms_fixed(r.max_ms),
            pct(r.error_rate)
        );
    }
}

fn md_error_classes(md: &mut String, summary: &Summary) {
    if summary.error_classes.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Error classes\n\n| class | count | share | statuses | last message |\n|---|---:|---:|---|---|"
    );
    for c in &summary.error_classes {
        let statuses = c.statuses_text();
        let message = md_cell(c.last_message.as_deref().unwrap_or(""));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {statuses} | {message} |",
            c.label,
            c.count,
            pct(c.share)
        );
    }
}

/// find-limit's verdict and steps, read from the result the snapshot keeps
/// (plain JSON there, see `finder::FindLimitResult`).
fn md_find_limit(md: &mut String, s: &Snapshot) {
    let Some(r) = &s.find_limit else {
        return;
    };
    let unit = |load: &serde_json::Value| match (r["model"].as_str(), load.as_u64()) {
        (_, None) => "—".to_string(),
        (Some("rate"), Some(n)) => format!("{n}/s"),
        (_, Some(n)) => format!("{n} VUs"),
    };
    let steps = r["steps"].as_array().map(Vec::as_slice).unwrap_or_default();
    let failed = r["failed_step"]
        .as_u64()
        .and_then(|n| steps.iter().find(|st| st["step"].as_u64() == Some(n)));
    let verdict = match (r["limit"].is_null(), failed) {
        (false, Some(f)) => format!(
            "highest sustainable load **{}**; step {} ({}) failed: `{}`",
            unit(&r["limit"]),
            f["step"],
            unit(&f["load"]),
            f["failed"][0].as_str().unwrap_or("")
        ),
        (true, Some(f)) => format!(
            "even the first step ({}) failed: `{}`",
            unit(&f["load"]),
            f["failed"][0].as_str().unwrap_or("")
        ),
        (_, None) if r["reached_max"] == true => format!(
            "every step passed up to {}: the limit is higher",
            unit(&r["limit"])
        ),
        (_, None) => "the run ended before a step failed".to_string(),
    };
    let _ = writeln!(md, "\n### find-limit\n\n{verdict}\n");
    let _ = writeln!(
        md,
        "| step | load | rps | p50 | p95 | p99 | errors | dropped | verdict |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for st in steps {
        let num = |key: &str| st[key].as_f64().unwrap_or(0.0);
        let verdict = match st["failed"][0].as_str() {
            Some(text) => format!("✗ `{text}`"),
            None => "✓ pass".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {} | {} | {} | {} | {} | {verdict} |",
            st["step"],
            unit(&st["load"]),
            num("rps"),
            ms_fixed(num("p50_ms")),
            ms_fixed(num("p95_ms")),
            ms_fixed(num("p99_ms")),
            pct(num("error_rate")),
            st["dropped"].as_u64().unwrap_or(0),
        );
    }
}

fn md_events(md: &mut String, s: &Snapshot) {
    if s.events.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Events\n\n| at | kind | event |\n|---:|---|---|");
    for e in &s.events {
        let kind = serde_json::to_value(e.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(md, "| {:.1} s | {kind} | {} |", e.at_s, md_cell(&e.text));
    }
}

/// A table cell: a `|` inside would end the cell.
fn md_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Thresholds as JUnit test cases (one suite per run).
fn junit(s: &Snapshot, summary: &Summary) -> String {
    let failures = summary.thresholds.iter().filter(|t| !t.passed).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let name = xml_escape(&s.profile_name);
    let _ = writeln!(
        xml,
        "<testsuites name=\"loadpilot\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
        summary.thresholds.len(),
        s.duration_s
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{name} thresholds\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\" timestamp=\"{}\">",
        summary.thresholds.len(),
        s.duration_s,
        s.started_at.format("%Y-%m-%dT%H:%M:%S")
    );
    for t in &summary.thresholds {
        let expr = xml_escape(&t.expr);
        if t.passed {
            let _ = writeln!(
                xml,
                "    <testcase name=\"{expr}\" classname=\"loadpilot.{name}\"/>"
            );
        } else {
            let _ = writeln!(
                xml,
                "    <testcase name=\"{expr}\" classname=\"loadpilot.{name}\">"
            );
            let message = xml_escape(&format!("{} was {}", t.expr, t.shown));
            let _ = writeln!(
                xml,
                "      <failure message=\"{message}\" type=\"threshold\">{message}</failure>"
            );
            let _ = writeln!(xml, "    </testcase>");
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// One stretch of a run in one load model (a switch with `a`/`v` starts the next).
struct ModelPart<'a> {
    model: LoadModel,
    rows: &'a [SecondRow],
    /// The switch that started this part: its run time and log text.
    switch: Option<(f64, String)>,
}

/// Splits the series at each model switch. A row's target is read when its
/// second closes, so the second a switch happened in already counts in the new unit.
fn model_parts(s: &Snapshot) -> Vec<ModelPart<'_>> {
    let mut parts = Vec::new();
    let mut model = s.load_model;
    let mut from = 0;
    let mut switch = None;
    for action in &s.actions {
        let to = match action.command {
            Command::SwitchToRate { .. } => LoadModel::Rate,
            Command::SwitchToVus => LoadModel::Vus,
            _ => continue,
        };
        let at = s
            .series
            .partition_point(|r| f64::from(r.t_s) < action.at_s.floor())
            .max(from);
        parts.push(ModelPart {
            model,
            rows: &s.series[from..at],
            switch: switch.take(),
        });
        let text = format!(
            "{} ({} → {})",
            action.command.describe(),
            model.format_target(action.vus_before),
            to.format_target(action.vus_after)
        );
        switch = Some((action.at_s, text));
        model = to;
        from = at;
    }
    parts.push(ModelPart {
        model,
        rows: &s.series[from..],
        switch,
    });
    parts
}

/// `report --format stages`: the curve the run followed as a `[load]` block. A
/// `[load]` block has one executor, so a run whose model was switched (`a`/`v`)
/// gives one block per part: the first replays the run up to the first switch,
/// each later one (commented out, so the output stays one valid TOML table) is
/// the part after a switch as its own profile's `[load]`, starting at the
/// switch's level.
fn stages_report(s: &Snapshot) -> String {
    let parts = model_parts(s);
    if parts.len() == 1 {
        let part = &parts[0];
        return stages_block(&followed_stages(part.rows), part.model);
    }
    let mut out = format!(
        "# This run switched its load model {} time(s) (keys a/v). A [load] block has one\n\
         # executor, so each part is given on its own: the first replays the run up to the\n\
         # first switch; each later part (commented out) replays what followed a switch.\n",
        parts.len() - 1
    );
    for (i, part) in parts.iter().enumerate() {
        let start = part.rows.first().map_or(0, |r| r.t_s);
        let end = part.rows.last().map_or(start, |r| r.t_s + 1);
        let _ = write!(
            out,
            "\n# part {}: {}s–{}s, {}",
            i + 1,
            start,
            end,
            part.model.noun()
        );
        let block = match &part.switch {
            None => {
                out.push('\n');
                stages_block(&followed_stages(part.rows), part.model)
            }
            Some((at, text)) => {
                let _ = writeln!(out, " (at {at:.1}s: {text})");
                let origin = (
                    f64::from(start),
                    f64::from(part.rows.first().map_or(0, |r| r.target_vus)),
                );
                let mut stages = vec![Stage {
                    duration: Duration::ZERO,
                    target: origin.1 as u32,
                }];
                stages.extend(followed_stages_from(part.rows, origin));
                stages_block(&stages, part.model)
                    .lines()
                    .map(|l| format!("# {l}\n"))
                    .collect()
            }
        };
        out.push_str(&block);
    }
    out
}

/// The VU target curve the run followed (schedule plus every manual change),
/// simplified into linear stages: each stage extends while every second in it stays
/// within `STAGE_FIT_VUS` of the straight line from its start to its end.
pub fn followed_stages(series: &[SecondRow]) -> Vec<Stage> {
    followed_stages_from(series, (0.0, 0.0))
}

/// As [`followed_stages`], for rows that start at `origin` (run time in s, target).
fn followed_stages_from(series: &[SecondRow], origin: (f64, f64)) -> Vec<Stage> {
    // (time in s at the end of each row, target) from the origin.
    let mut points: Vec<(f64, f64)> = vec![origin];
    points.extend(
        series
            .iter()
            .map(|r| (f64::from(r.t_s) + 1.0, f64::from(r.target_vus))),
    );
    let mut stages = Vec::new();
    let mut start = 0;
    while start + 1 < points.len() {
        let mut end = start + 1;
        while end + 1 < points.len() && fits(&points[start..=end + 1]) {
            end += 1;
        }
        let (t0, _) = points[start];
        let (t1, v1) = points[end];
        stages.push(Stage {
            duration: Duration::from_secs_f64(t1 - t0),
            target: v1.round() as u32,
        });
        start = end;
    }
    stages
}

/// How far (in VUs) a second may stray from its stage's line. Scheduled targets are
/// rounded to whole VUs, so a true ramp strays by at most 0.5.
const STAGE_FIT_VUS: f64 = 0.6;

/// Whether every inner point lies within [`STAGE_FIT_VUS`] of the line between the ends.
fn fits(points: &[(f64, f64)]) -> bool {
    let (t0, v0) = points[0];
    let (t1, v1) = points[points.len() - 1];
    points[1..points.len() - 1].iter().all(|&(t, v)| {
        let expected = v0 + (v1 - v0) * (t - t0) / (t1 - t0);
        (v - expected).abs() <= STAGE_FIT_VUS
    })
}

fn stages_block(stages: &[Stage], model: LoadModel) -> String {
    let mut out = match model {
        LoadModel::Vus => String::from(
            "# The VU curve this run followed (schedule plus manual changes).\n[load]\nstages = [\n",
        ),
        LoadModel::Rate => String::from(
            "# The arrival rate this run followed (schedule plus manual changes).\n\
             [load]\nexecutor = \"arrival-rate\"\nstages = [\n",
        ),
    };
    for s in stages {
        let _ = writeln!(
            out,
            "  {{ duration = \"{}\", target = {} }},",
            humantime::format_duration(s.duration),
            s.target
        );
    }
    out.push_str("]\n");
    out
}

/// HdrHistogram interval log: one histogram per second (latency in µs; the max
/// column in ms).
fn hdr_log(s: &Snapshot) -> Result<Vec<u8>, SnapshotError> {
    let io = |e: std::io::Error| SnapshotError::Invalid(format!("writing the interval log: {e}"));
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let start: std::time::SystemTime = s.started_at.into();
    let mut writer = IntervalLogWriterBuilder::new()
        .add_comment(&format!(
            "loadpilot {} interval log of \"{}\"",
            s.loadpilot_version, s.profile_name
        ))
        .add_comment("latency values in microseconds")
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(io)?;
    for (second, blob) in s.second_histograms.iter().enumerate() {
        let h = hist::decode(blob).map_err(SnapshotError::Invalid)?;
        writer
            .write_histogram(
                &h,
                Duration::from_secs(second as u64),
                Duration::from_secs(1),
                None,
            )
            .map_err(|e| SnapshotError::Invalid(format!("writing the interval log: {e:?}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(targets: &[u32]) -> Vec<SecondRow> {
        targets
            .iter()
            .enumerate()
            .map(|(t, &v)| SecondRow {
                t_s: t as u32,
                target_vus: v,
                ..SecondRow::default()
            })
            .collect()
    }

    #[test]
    fn followed_stages_recovers_ramps_and_manual_jumps() {
        // 0→10 over 10 s, hold 10 for 5 s, a manual jump to 30, hold 5 s.
        let mut targets: Vec<u32> = (1..=10).collect();
        targets.extend([10; 5]);
        targets.extend([30; 5]);
        let stages = followed_stages(&rows(&targets));
        let text: Vec<(u64, u32)> = stages
            .iter()
            .map(|s| (s.duration.as_secs(), s.target))
            .collect();
        assert_eq!(text, vec![(10, 10), (5, 10), (1, 30), (4, 30)]);
        assert!(
            stages_block(&stages, LoadModel::Vus).contains("{ duration = \"10s\", target = 10 }")
        );
    }

    #[test]
    fn csv_has_a_header_and_a_line_per_second() {
        let text = csv(&rows(&[1, 2, 3]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].split(',').count(), lines[1].split(',').count());
        assert!(lines[0].starts_with("t_s,requests,errors,ok,429"));
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(xml_escape("p95 < 5\"&'"), "p95 &lt; 5&quot;&amp;&apos;");
    }
}
