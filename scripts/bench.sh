#!/usr/bin/env bash
# Throughput benchmark: loadpilot (headless, N VUs, no think time) next to wrk
# (-t1 -cN) against the same nginx on loopback (one worker answering `return 200`),
# loadpilot's peak RSS at 1,000 VUs, and the dashboard's cost: the same run with the
# live dashboard drawing in a pseudo-terminal (`script`) versus headless, alternated
# twice. Prints figures; asserts nothing.
#
#   scripts/bench.sh [SECONDS] [VUS]
#
# Installs nginx and wrk from Debian's packages when missing. Traffic stays on 127.0.0.1.
set -euo pipefail

SECS=${1:-10}
VUS=${2:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
NGINX_PID=""
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if ! need nginx || ! need wrk; then
  echo "installing nginx and wrk..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/logs"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location / { return 200 "ok"; }
  }
}
CONF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.1
done
URL="http://127.0.0.1:$PORT/"

echo "building loadpilot (release)..." >&2
(cd "$ROOT" && cargo build --release --quiet)
LP="$ROOT/target/release/loadpilot"

echo "wrk -t1 -c$VUS -d${SECS}s $URL" >&2
WRK_OUT=$(/usr/bin/time -f "%U %S" -o "$WORK/wrk.time" wrk -t1 -c"$VUS" -d"${SECS}s" --latency "$URL")
WRK_COUNT=$(awk '/requests in/ {print $1}' <<<"$WRK_OUT")
WRK_RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$WRK_OUT")
WRK_P50=$(awk '$1=="50%" {print $2}' <<<"$WRK_OUT")
WRK_P99=$(awk '$1=="99%" {print $2}' <<<"$WRK_OUT")

# One worker thread, as `wrk -t1` has one: on a 2-core machine the other core is
# nginx's, and the comparison is per thread.
echo "loadpilot run $URL --vus $VUS --duration ${SECS}s --headless --threads 1" >&2
/usr/bin/time -f "%U %S" -o "$WORK/lp.time" \
  "$LP" run "$URL" --vus "$VUS" --duration "${SECS}s" --headless --no-snapshot --threads 1 \
  --summary-json "$WORK/lp.json" >/dev/null
read -r LP_RPS LP_P50 LP_P99 LP_ERR LP_COUNT < <(python3 - "$WORK/lp.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["overall"]
print("%.0f %.2fms %.2fms %d %d" % (s["rps"], s["p50_ms"], s["p99_ms"], s["errors"], s["count"]))
PY
)

# Peak RSS at 1,000 VUs (with a little think time, as real users have).
echo "loadpilot run $URL --vus 1000 --duration ${SECS}s (RSS)" >&2
"$LP" run "$URL" --vus 1000 --duration "${SECS}s" --headless --no-snapshot >/dev/null 2>&1 &
LP_PID=$!
PEAK_KB=0
while kill -0 "$LP_PID" 2>/dev/null; do
  KB=$(awk '/VmHWM/ {print $2}' "/proc/$LP_PID/status" 2>/dev/null || echo 0)
  [ -n "$KB" ] && [ "$KB" -gt "$PEAK_KB" ] && PEAK_KB=$KB
  sleep 0.5
done
wait "$LP_PID" || true

# Dashboard cost: headless and dashboard runs alternated; the dashboard run gets a
# 160x48 pseudo-terminal and a `q` after the run has finished.
rps_of() { python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["overall"]["rps"]))' "$1"; }
HEADLESS=()
DASHBOARD=()
for i in 1 2; do
  echo "dashboard cost, round $i" >&2
  "$LP" run "$URL" --vus "$VUS" --duration "${SECS}s" --headless --no-snapshot --summary-json "$WORK/h$i.json" >/dev/null 2>&1
  HEADLESS+=("$(rps_of "$WORK/h$i.json")")
  (sleep $((SECS + 2)); printf q) | script -qfec \
    "stty rows 48 cols 160; '$LP' run '$URL' --vus $VUS --duration ${SECS}s --no-snapshot --summary-json '$WORK/d$i.json'" \
    /dev/null >/dev/null 2>&1
  DASHBOARD+=("$(rps_of "$WORK/d$i.json")")
done

RATIO=$(python3 -c "print(f'{$LP_RPS / $WRK_RPS:.2f}')")
printf '\n%-28s %12s %10s %10s\n' "tool" "requests/s" "p50" "p99"
printf '%-28s %12.0f %10s %10s\n' "wrk -t1 -c$VUS" "$WRK_RPS" "$WRK_P50" "$WRK_P99"
printf '%-28s %12.0f %10s %10s   (errors: %s)\n' "loadpilot --vus $VUS -t1" "$LP_RPS" "$LP_P50" "$LP_P99" "$LP_ERR"
printf 'ratio loadpilot/wrk: %s (aim >= 0.80)\n' "$RATIO"
cpu_per_req() { python3 -c 'import sys; u, k = map(float, open(sys.argv[1]).read().split()); n = int(sys.argv[2]); print(f"{1e6 * (u + k) / n:.2f} us (user {1e6 * u / n:.2f}, kernel {1e6 * k / n:.2f})")' "$1" "$2"; }
printf 'CPU per request: wrk %s; loadpilot %s\n' "$(cpu_per_req "$WORK/wrk.time" "$WRK_COUNT")" "$(cpu_per_req "$WORK/lp.time" "$LP_COUNT")"
printf 'loadpilot peak RSS at 1000 VUs: %.1f MB (aim < 100 MB)\n' "$(python3 -c "print($PEAK_KB/1024)")"
printf 'headless requests/s:  %s\n' "${HEADLESS[*]}"
printf 'dashboard requests/s: %s\n' "${DASHBOARD[*]}"
python3 -c "
h = [${HEADLESS[0]}, ${HEADLESS[1]}]; d = [${DASHBOARD[0]}, ${DASHBOARD[1]}]
cost = 1 - (sum(d) / len(d)) / (sum(h) / len(h))
print(f'dashboard cost: {cost * 100:+.1f}% of headless requests/s (aim < 5%; negative = within noise)')"
