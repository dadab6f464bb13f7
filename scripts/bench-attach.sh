#!/usr/bin/env bash
# What following a fleet costs: AGENTS headless agents (each 2 VUs against the demo
# target, SECONDS long) on loopback, followed by `loadpilot attach --headless`;
# prints attach's CPU time (user + system, from /usr/bin/time) per agent per second
# of run, its peak RSS and the merged request count. Prints figures; asserts nothing.
#
#   scripts/bench-attach.sh [AGENTS] [SECONDS]      (default 8 30)
set -euo pipefail
AGENTS=${1:-8}
SECS=${2:-30}
. "$(dirname "$0")/bench-common.sh"
build_loadpilot
start_demo_target --workers 64

PIDS=()
URLS=()
for i in $(seq "$AGENTS"); do
  "$LP" run "$URL/api/items" --headless --vus 2 --duration "${SECS}s" --no-snapshot \
    --agent-listen 127.0.0.1:0 --progress-every 1h 2>"$WORK/agent-$i.err" >/dev/null &
  PIDS+=($!)
done
for i in $(seq "$AGENTS"); do
  addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's|^agent: \(http://[^/]*\)/v1/status$|\1|p' "$WORK/agent-$i.err")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "agent $i did not start" >&2; exit 1; }
  URLS+=("$addr")
done

/usr/bin/time -f "%U %S %M" -o "$WORK/time" \
  "$LP" attach "${URLS[@]}" --headless --no-snapshot --progress-every 1h \
  --summary-json "$WORK/summary.json" >/dev/null 2>"$WORK/attach.err" || true
for pid in "${PIDS[@]}"; do wait "$pid" || true; done

read -r user sys rss_kb <"$WORK/time"
requests=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['overall']['count'])" "$WORK/summary.json")
python3 - "$user" "$sys" "$rss_kb" "$AGENTS" "$SECS" "$requests" <<'PY'
import sys
user, sys_, rss_kb, agents, secs, requests = sys.argv[1:]
cpu = float(user) + float(sys_)
per = cpu / (int(agents) * int(secs))
print(f"attach over {agents} agents for {secs} s: CPU {cpu:.2f} s "
      f"({per * 1000:.1f} ms per agent per second, {per * 100:.2f}% of a core per agent), "
      f"peak RSS {int(rss_kb) / 1024:.0f} MiB, {int(requests):,} requests merged")
PY
