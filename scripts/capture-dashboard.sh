#!/usr/bin/env bash
# Captures the dashboard of a real `loadpilot demo` run as text, at 80x24
# (assets/dashboard-80x24.txt) and 140x40 (assets/dashboard.txt), for the README.
# It runs the ignored test tests/capture_dashboard.rs, which drives the binary in
# a pseudo-terminal (portable-pty + vt100). CAPTURE_SECS (default 45) sets how
# far into the run each screen is taken.
#
#   scripts/capture-dashboard.sh            # then paste the captures into README.md
#   CAPTURE_SECS=30 scripts/capture-dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test capture_dashboard -- --ignored --exact capture_dashboards --nocapture
for f in assets/dashboard-80x24.txt assets/dashboard.txt; do
  echo "== $f"
  cat "$f"
done
