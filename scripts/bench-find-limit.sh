#!/usr/bin/env bash
# Repeatability of find-limit: three searches against the demo target with a fixed
# capacity (`loadpilot target --workers 4`, /delay/20: about 200 requests/s), in
# arrivals per second, and the three limits found. Acceptance (issue 11): the same
# limit within one step. Prints figures; asserts nothing.
#
#   scripts/bench-find-limit.sh [HOLD] [RUNS]      (default: 10s, 3)
#
# Each search: --rate --start 20 --step 20 --max 400 --hold HOLD
#   --until "p95 > 200ms or error_rate > 5%"; about 11 steps of HOLD each.
#
# LP=path/to/loadpilot skips the release build. Traffic stays on 127.0.0.1.
set -euo pipefail

HOLD=${1:-10s}
RUNS=${2:-3}
STEP=20
. "$(dirname "$0")/bench-common.sh"
build_loadpilot
start_demo_target --workers 4

echo "loadpilot: $LP ($("$LP" --version)), hold $HOLD, step $STEP/s, $(nproc) CPUs"
echo
echo "| run | limit | first failing step | failed on |"
echo "|---:|---:|---:|---|"
limits=()
for run in $(seq "$RUNS"); do
  summary="$WORK/summary-$run.json"
  code=0
  "$LP" find-limit "$URL/delay/20" --rate --start 20 --step "$STEP" --max 400 \
    --hold "$HOLD" --until "p95 > 200ms or error_rate > 5%" --headless --no-snapshot \
    --summary-json "$summary" >"$WORK/run-$run.out" 2>"$WORK/run-$run.err" || code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 99 ]; then
    cat "$WORK/run-$run.err" >&2
    exit 1
  fi
  row=$(python3 - "$run" "$summary" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))["find_limit"]
failed = next((s for s in r["steps"] if s["step"] == r["failed_step"]), None)
limit = r["limit"]
print(limit if limit is not None else "none")
print(
    f"| {sys.argv[1]} | {limit if limit is not None else '—'}/s "
    f"| {failed['load'] if failed else '—'}/s "
    f"| {failed['failed'][0] if failed else 'nothing failed'} |"
)
PY
  )
  limits+=("$(head -1 <<<"$row")")
  tail -1 <<<"$row"
done
echo
python3 - "$STEP" "${limits[@]}" <<'PY'
import sys
step = int(sys.argv[1])
found = [int(x) for x in sys.argv[2:] if x != "none"]
if len(found) < len(sys.argv) - 2:
    print(f"limits: {' '.join(sys.argv[2:])}: a search found no limit")
else:
    spread = max(found) - min(found)
    verdict = "within one step" if spread <= step else "MORE than one step apart"
    print(f"limits: {' '.join(map(str, found))} (per second): spread {spread}/s, {verdict}")
PY
