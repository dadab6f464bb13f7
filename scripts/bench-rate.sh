#!/usr/bin/env bash
# Rate accuracy of the open model: `loadpilot run --rate R` against the built-in
# demo target's /ping (its own process), for each rate, and how close it came.
# Prints figures; asserts nothing.
#
#   scripts/bench-rate.sh [SECONDS] [RATES...]      (default: 60 s, 1000 10000)
#
# Per rate it prints:
#   achieved   mean requests/s over the whole seconds of the run (the first and the
#              last, partial, second left out), from the snapshot's series;
#   error      achieved vs the target rate, in %;
#   arrivals   arrivals the schedule issued in all, against rate × seconds;
#   dropped    arrivals that could not be sent (no VU free, loader behind);
#   p99        from the intended start, and the service time.
#
# LP=path/to/loadpilot skips the release build (a debug build cannot keep up:
# try short runs with it only to see the script work). Traffic stays on 127.0.0.1.
set -euo pipefail

SECS=${1:-60}
shift || true
RATES=("$@")
[ ${#RATES[@]} -eq 0 ] && RATES=(1000 10000)
. "$(dirname "$0")/bench-common.sh"
build_loadpilot
start_demo_target

echo "loadpilot: $LP ($("$LP" --version)), ${SECS} s per rate, $(nproc) CPUs"
echo
echo "| target rate | achieved | error | arrivals / scheduled | dropped | p99 intended start | p99 service |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for rate in "${RATES[@]}"; do
  snap="$WORK/run-$rate.json"
  summary="$WORK/summary-$rate.json"
  "$LP" run "$URL/ping" --rate "$rate" --duration "${SECS}s" --headless \
    --out "$snap" --summary-json "$summary" >/dev/null 2>"$WORK/run-$rate.err" || {
    code=$?
    # 99: the run's thresholds failed; the figures still count.
    [ "$code" -eq 99 ] || { cat "$WORK/run-$rate.err" >&2; exit 1; }
  }
  "$LP" report "$snap" --format csv --no-fail >"$WORK/series-$rate.csv"
  python3 - "$rate" "$SECS" "$summary" "$WORK/series-$rate.csv" <<'PY'
import csv, json, sys
rate, secs = float(sys.argv[1]), float(sys.argv[2])
s = json.load(open(sys.argv[3]))
rows = list(csv.DictReader(open(sys.argv[4])))
# Whole seconds only: the first and the last second of the run are partial.
whole = [int(r["requests"]) for r in rows[1:-1]]
achieved = sum(whole) / len(whole) if whole else float("nan")
error = (achieved - rate) / rate * 100
arrivals = s.get("arrivals") or {}
service = s.get("service_time") or {}
print(
    f"| {rate:,.0f}/s | {achieved:,.1f}/s | {error:+.2f}% "
    f"| {arrivals.get('arrivals', 0):,} / {rate * secs:,.0f} "
    f"| {arrivals.get('dropped', 0):,} "
    f"| {s['overall']['p99_ms']:.2f} ms | {service.get('p99_ms', float('nan')):.2f} ms |"
)
PY
done
