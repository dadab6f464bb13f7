//! How numbers read: durations, latencies, bytes, counts and threshold values, for
//! the dashboard, the summaries and the reports alike (display only: no statistics).
//! Everything that prints a number goes through here, so a unit reads one way.

use std::time::Duration;

use crate::threshold::{HealthMetric, Stat};

/// Milliseconds with one fixed decimal, as the summaries print them (`850µs`,
/// `12.3ms`, `1.25s`): under a millisecond in whole microseconds, never `0.0ms`.
pub fn ms_fixed(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2}s", v / 1000.0)
    } else if v < 1.0 {
        format!("{:.0}µs", v * 1000.0)
    } else {
        format!("{v:.1}ms")
    }
}

/// A change of latency with its sign, read like [`ms_fixed`]: `+1.25s`, `−850µs`.
pub fn ms_change(v: f64) -> String {
    let sign = if v < 0.0 { '-' } else { '+' };
    format!("{sign}{}", ms_fixed(v.abs()))
}

/// What a figure shows when there is nothing to measure (no samples).
pub const NO_SAMPLES: &str = "—";

/// Bytes in the largest fitting binary unit, always one decimal (summaries).
pub fn bytes_fixed(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A statistic's value with its unit, as people read it.
pub fn format_stat(stat: Stat, value: f64) -> String {
    match stat {
        Stat::Percentile { .. } | Stat::Mean => ms_fixed(value),
        Stat::ErrorRate | Stat::DroppedRate | Stat::ClassRate { .. } | Stat::MetricRate => {
            format!("{:.2}%", value * 100.0)
        }
        Stat::Rps => format!("{value:.1}/s"),
        Stat::Health { metric } => health(metric, value),
        Stat::RecoveryTime if value.is_infinite() => "not recovered".into(),
        Stat::RecoveryTime => format!("{:.1}s", value / 1000.0),
    }
}

/// A health metric's value: bytes, percent, bytes per minute, or a plain number.
pub fn health(metric: HealthMetric, value: f64) -> String {
    match metric {
        HealthMetric::TargetRss | HealthMetric::SelfRss => bytes(value.max(0.0) as u64),
        HealthMetric::TargetCpu | HealthMetric::SelfCpu | HealthMetric::TargetMem => {
            format!("{value:.1}%")
        }
        HealthMetric::TargetRssSlope => {
            let sign = if value < 0.0 { "-" } else { "" };
            format!("{sign}{}/min", bytes(value.abs() as u64))
        }
        HealthMetric::Watch => count(value),
    }
}

/// `mm:ss`, or `h:mm:ss` from one hour on.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// Same as [`clock`] for whole seconds.
pub fn clock_s(s: u32) -> String {
    clock(Duration::from_secs(u64::from(s)))
}

/// Binary units: `812 B`, `12.3 KiB`, `1.5 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A latency in milliseconds: `850µs`, `12.3ms`, `412ms`, `1.20s`.
pub fn ms(value_ms: f64) -> String {
    if value_ms <= 0.0 {
        "0".into()
    } else if value_ms < 1.0 {
        format!("{:.0}µs", value_ms * 1000.0)
    } else if value_ms < 100.0 {
        format!("{value_ms:.1}ms")
    } else if value_ms < 1000.0 {
        format!("{value_ms:.0}ms")
    } else {
        format!("{:.2}s", value_ms / 1000.0)
    }
}

/// A latency given in microseconds.
pub fn us(value_us: u64) -> String {
    ms(value_us as f64 / 1000.0)
}

/// A count: `812`, `12.3k`, `1.20M`.
pub fn count(n: f64) -> String {
    if n < 1000.0 {
        if n.fract() == 0.0 || n >= 100.0 {
            format!("{n:.0}")
        } else {
            format!("{n:.1}")
        }
    } else if n < 1_000_000.0 {
        format!("{:.1}k", n / 1000.0)
    } else {
        format!("{:.2}M", n / 1_000_000.0)
    }
}

/// A fraction as a percentage: `0.4%`, `12%`.
pub fn pct(fraction: f64) -> String {
    let p = fraction * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// The last `width` values as block characters, scaled to their own maximum.
pub fn sparkline(values: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    let mut out: String = " ".repeat(width - tail.len());
    for &v in tail {
        if v == 0 || max == 0 {
            out.push(' ');
        } else {
            let level = ((v as f64 / max as f64) * 7.0).round() as usize;
            out.push(BARS[level.min(7)]);
        }
    }
    out
}

/// A text bar `█████░░░░░` of `width` cells filled to `fraction`.
pub fn bar(fraction: f64, width: usize) -> String {
    let filled = ((fraction.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(clock(Duration::from_secs(83)), "01:23");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(300 * 1024 * 1024), "300 MiB");
        assert_eq!(ms(0.85), "850µs");
        assert_eq!(ms(12.34), "12.3ms");
        assert_eq!(ms(1200.0), "1.20s");
        assert_eq!(count(12_345.0), "12.3k");
        assert_eq!(pct(0.0123), "1.2%");
        assert_eq!(sparkline(&[0, 1, 2, 4], 6), "   ▃▅█");
        assert_eq!(bar(0.5, 4), "██░░");
        assert_eq!(ms_fixed(0.203), "203µs");
        assert_eq!(ms_fixed(12.34), "12.3ms");
        assert_eq!(ms_fixed(1560.6), "1.56s");
        assert_eq!(ms_change(1560.6), "+1.56s");
        assert_eq!(ms_change(-0.5), "-500µs");
    }
}
