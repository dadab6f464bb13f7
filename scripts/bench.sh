#!/usr/bin/env bash
# The project's benchmark, in one run (prints figures; asserts nothing):
#
#   1. throughput: loadpilot (--threads 1, per-core and shared schedulers, and
#      --threads 2), wrk -t1 and oha against the same nginx (one worker, `return
#      200`), each tool pinned to core 1 and nginx to core 0 (`--threads 2` gets
#      both cores, so it shares one with nginx); ROUNDS rounds, tools interleaved,
#      medians of requests/s, p99, CPU per request (user + kernel, getrusage via
#      /usr/bin/time) and peak RSS;
#   2. loadpilot's peak RSS with 1,000 and 10,000 VUs (1 s think time) and
#      100,000 idle VUs (10 s think time), and the bytes per VU;
#   3. the dashboard's cost: loadpilot pinned to one core, drawing in a 160×48
#      pseudo-terminal vs headless, alternated ROUNDS times, medians;
#   4. allocations per request (`cargo bench --bench hot_path`).
#
#   scripts/bench.sh [SECONDS] [CONNECTIONS] [ROUNDS]     (default 10 50 3)
#   scripts/bench.sh 2 50 1                               (a quick pass)
#
# Installs nginx and wrk from Debian's packages when missing, and oha with
# `cargo install oha --locked` (a long compile, said on stderr). Traffic stays on
# 127.0.0.1. Every figure the README quotes comes from this script.
set -euo pipefail

SECS=${1:-10}
CONNS=${2:-50}
ROUNDS=${3:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
NGINX_PID=""
cleanup() {
  if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { echo "bench: $*" >&2; }

# --- tools -------------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if ! need nginx || ! need wrk || ! need script; then
  say "installing nginx, wrk and util-linux from Debian's packages..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk util-linux >/dev/null
fi
if ! command -v oha >/dev/null 2>&1; then
  say "oha is missing: installing it with 'cargo install oha --locked' (a long compile)..."
  cargo install oha --locked --quiet
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
OHA_VERSION=$(oha --version | awk '{print $2}')
WRK_VERSION=$(wrk -v 2>&1 | awk 'NR==1 {print $2}')
CORES=$(nproc)
if [ "$CORES" -lt 2 ]; then
  say "needs 2 cores (one for the tools, one for nginx); this machine has $CORES"
  exit 2
fi
# As many descriptors as the hard limit allows: 100,000 VUs hold 100,000 sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FDS=$(ulimit -n)

say "building loadpilot (release)..."
(cd "$ROOT" && cargo build --release --quiet)
LP="$ROOT/target/release/loadpilot"

# --- nginx on core 0 -----------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/logs"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile $FDS;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log crit;
events { worker_connections $FDS; multi_accept on; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$PORT backlog=65535;
    location / { return 200 "ok"; }
  }
}
CONF
taskset -c 0 "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.1
done
URL="http://127.0.0.1:$PORT/"

# --- 1. throughput -------------------------------------------------------------
# Each run leaves "rps p99_ms count" in $WORK/NAME.$ROUND.res and "user sys maxrss_kb"
# in $WORK/NAME.$ROUND.time.
timed() { local out=$1; shift; /usr/bin/time -f "%U %S %M" -o "$out" "$@"; }

run_wrk() {
  timed "$WORK/wrk.$1.time" taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$URL" >"$WORK/wrk.$1.out"
  python3 - "$WORK/wrk.$1.out" >"$WORK/wrk.$1.res" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
count = int(re.search(r"(\d+) requests in", t).group(1))
print(rps, p99, count)
PY
}

run_oha() {
  timed "$WORK/oha.$1.time" taskset -c 1 oha -z "${SECS}s" -c "$CONNS" --no-tui --output-format json "$URL" >"$WORK/oha.$1.out"
  python3 - "$WORK/oha.$1.out" >"$WORK/oha.$1.res" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
count = sum(r.get("statusCodeDistribution", {}).values())
print(r["summary"]["requestsPerSec"], r["metrics"]["latency_ms"]["p99"], count)
PY
}

# run_lp NAME ROUND CPUS ARGS...
run_lp() {
  local name=$1 round=$2 cpus=$3
  shift 3
  timed "$WORK/$name.$round.time" taskset -c "$cpus" "$LP" run "$URL" --vus "$CONNS" \
    --duration "${SECS}s" --headless --no-snapshot --summary-json "$WORK/$name.$round.json" "$@" >/dev/null
  python3 - "$WORK/$name.$round.json" >"$WORK/$name.$round.res" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["overall"]
print(s["rps"], s["p99_ms"], s["count"])
PY
}

TOOLS=(wrk oha lp1 lp1shared lp2)
for round in $(seq "$ROUNDS"); do
  say "throughput round $round/$ROUNDS (${SECS}s each)"
  run_wrk "$round"
  run_oha "$round"
  run_lp lp1 "$round" 1 --threads 1
  run_lp lp1shared "$round" 1 --threads 1 --scheduler shared
  run_lp lp2 "$round" 0,1 --threads 2
done

# --- 2. memory per VU ------------------------------------------------------------
# rss NAME VUS THINK: peak RSS of a run with VUS VUs and THINK think time.
rss_run() {
  local name=$1 vus=$2 think=$3 secs=$4
  cat >"$WORK/$name.toml" <<TOML
name = "$name"
base_url = "${URL%/}"
[load]
stages = "1s:1"
[defaults]
think_time = "$think"
[[request]]
name = "ping"
path = "/"
TOML
  timed "$WORK/$name.time" "$LP" run "$WORK/$name.toml" --vus "$vus" --duration "${secs}s" \
    --headless --no-snapshot --summary-json "$WORK/$name.json" >/dev/null 2>&1 || true
}
MEM_SECS=$((SECS > 12 ? SECS : 12))
say "memory: 1,000 VUs, 1 s think time (${MEM_SECS}s)"
rss_run vus1k 1000 1s "$MEM_SECS"
say "memory: 10,000 VUs, 1 s think time (${MEM_SECS}s)"
rss_run vus10k 10000 1s "$MEM_SECS"
say "memory: 100,000 idle VUs, 10 s think time (25s; descriptors: $FDS)"
rss_run vus100k 100000 10s 25

# --- 3. dashboard cost -------------------------------------------------------------
for round in $(seq "$ROUNDS"); do
  say "dashboard cost round $round/$ROUNDS"
  run_lp head "$round" 1 --threads 1
  (sleep $((SECS + 3)); printf q) | timed "$WORK/dash.$round.time" script -qfec \
    "stty rows 48 cols 160; taskset -c 1 '$LP' run '$URL' --vus $CONNS --duration ${SECS}s --threads 1 --no-snapshot --summary-json '$WORK/dash.$round.json'" \
    /dev/null >/dev/null 2>&1
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["overall"]; print(s["rps"], s["p99_ms"], s["count"])' \
    "$WORK/dash.$round.json" >"$WORK/dash.$round.res"
done

# --- 4. allocations per request ------------------------------------------------------
say "allocations per request (cargo bench --bench hot_path)"
ALLOCS=$(cd "$ROOT" && cargo bench --quiet --bench hot_path 2>/dev/null)

# --- report ----------------------------------------------------------------------------
python3 - "$WORK" "$ROUNDS" "$CONNS" "$SECS" "$WRK_VERSION" "$OHA_VERSION" "$CORES" "$FDS" <<'PY'
import json, os, statistics, sys
work, rounds, conns, secs, wrk_v, oha_v, cores, fds = sys.argv[1:]
rounds = int(rounds)
med = statistics.median

def runs(name):
    out = []
    for r in range(1, rounds + 1):
        rps, p99, count = map(float, open(f"{work}/{name}.{r}.res").read().split())
        user, sys_, rss = map(float, open(f"{work}/{name}.{r}.time").read().split()[-3:])
        out.append((rps, p99, count, user, sys_, rss))
    return out

rows = [
    ("wrk", f"wrk {wrk_v} -t1 -c{conns}"),
    ("oha", f"oha {oha_v} -c {conns}"),
    ("lp1", f"loadpilot --vus {conns} --threads 1"),
    ("lp1shared", f"loadpilot --vus {conns} --threads 1 --scheduler shared"),
    ("lp2", f"loadpilot --vus {conns} --threads 2 (cores 0-1, shared with nginx)"),
]
print(f"\n{cores} cores; nginx (1 worker, return 200) on core 0; tools on core 1; "
      f"{secs}s runs, median of {rounds}")
print(f"{'tool':<58} {'req/s':>9} {'x wrk':>6} {'p99':>8} {'CPU/req (user+kernel)':>24} {'peak RSS':>9}")
wrk_rps = med(r[0] for r in runs("wrk"))
figures = {}
for name, label in rows:
    rs = runs(name)
    rps = med(r[0] for r in rs)
    p99 = med(r[1] for r in rs)
    user = med(1e6 * r[3] / r[2] for r in rs)
    kern = med(1e6 * r[4] / r[2] for r in rs)
    rss = med(r[5] for r in rs) / 1024
    figures[name] = rps
    print(f"{label:<58} {rps:>9.0f} {rps / wrk_rps:>6.2f} {p99:>6.2f}ms "
          f"{user + kern:>8.2f} µs ({user:.2f}+{kern:.2f}) {rss:>7.1f}MB")
print(f"loadpilot -t1 / oha: {figures['lp1'] / figures['oha']:.2f} (aim >= 1.1); "
      f"/ wrk: {figures['lp1'] / wrk_rps:.2f} (aim >= 0.85); "
      f"per-core / shared scheduler: {figures['lp1'] / figures['lp1shared']:.2f}; "
      f"2 threads / 1: {figures['lp2'] / figures['lp1']:.2f}")

print(f"\nmemory (peak RSS; descriptors allowed: {fds})")
for name, vus, think in [("vus1k", 1000, "1s"), ("vus10k", 10000, "1s"), ("vus100k", 100000, "10s")]:
    rss_kb = float(open(f"{work}/{name}.time").read().split()[-1])
    try:
        s = json.load(open(f"{work}/{name}.json"))["overall"]
        reqs, errors = s["count"], s["errors"]
    except (OSError, ValueError, KeyError):
        reqs, errors = 0, "run failed"
    print(f"  {vus:>7,} VUs, think {think:>3}: {rss_kb / 1024:>7.1f} MB, "
          f"{rss_kb * 1024 / vus / 1024:>5.1f} KB per VU ({reqs} requests, errors: {errors})")
if int(fds) < 100000:
    print(f"  (100,000 VUs need >= 100,000 descriptors; this shell allows {fds}, so the VUs past "
          "that fail to connect)")

h = [float(open(f"{work}/head.{r}.res").read().split()[0]) for r in range(1, rounds + 1)]
d = [float(open(f"{work}/dash.{r}.res").read().split()[0]) for r in range(1, rounds + 1)]
print(f"\ndashboard cost on one core (--threads 1, pinned to core 1, 160x48 terminal): "
      f"headless {med(h):.0f} req/s, dashboard {med(d):.0f} req/s, "
      f"cost {100 * (1 - med(d) / med(h)):+.1f}% (aim < 5%)")
print("  headless:  " + " ".join(f"{x:.0f}" for x in h))
print("  dashboard: " + " ".join(f"{x:.0f}" for x in d))
PY
echo
echo "allocations per request (cargo bench --bench hot_path, demo target, client side only):"
echo "$ALLOCS"
