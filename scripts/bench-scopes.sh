#!/usr/bin/env bash
# Memory per scope: loadpilot's peak RSS (headless, 20 VUs, no think time) with a
# profile of 1, 100 and 1,000 named requests against the built-in demo target's
# /ping, so every request records latencies. Each named request is a scope with its
# own whole-run histogram, per-second window and snapshot copy; this shows what one
# costs. Prints figures; asserts nothing.
#
#   scripts/bench-scopes.sh [SECONDS] [COUNTS...]      (default: 5 s, 1 100 1000)
#
# LP=path/to/loadpilot skips the release build. Traffic stays on 127.0.0.1.
set -euo pipefail

SECS=${1:-5}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(1 100 1000)
. "$(dirname "$0")/bench-common.sh"
build_loadpilot
start_demo_target

echo "| named requests | peak RSS | requests sent | requests with data |"
echo "|---:|---:|---:|---:|"
for n in "${COUNTS[@]}"; do
  profile="$WORK/scopes-$n.toml"
  {
    printf 'name = "scopes-%s"\nbase_url = "%s"\n\n[load]\nstages = "%ss:20"\n' "$n" "$URL" "$SECS"
    for i in $(seq "$n"); do
      printf '\n[[request]]\nname = "r%s"\npath = "/ping"\n' "$i"
    done
  } >"$profile"
  /usr/bin/time -f "%M" -o "$WORK/time-$n" \
    "$LP" run "$profile" --headless --vus 20 --duration "${SECS}s" --no-snapshot \
    --summary-json "$WORK/summary-$n.json" >/dev/null 2>"$WORK/run-$n.err" ||
    { cat "$WORK/run-$n.err" >&2; exit 1; }
  rss_kb=$(tail -1 "$WORK/time-$n")
  read -r sent with_data < <(python3 - "$WORK/summary-$n.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["overall"]["count"], sum(1 for r in s["requests"] if r["count"] > 0))
PY
)
  awk -v n="$n" -v kb="$rss_kb" -v sent="$sent" -v d="$with_data" \
    'BEGIN { printf "| %s | %.1f MB | %s | %s |\n", n, kb / 1024, sent, d }'
done
