# Sourced by the bench scripts that run against the demo target: a work folder
# removed on exit, the release binary (or $LP), and the demo target on a free
# loopback port in its own process (its memory is not counted).
#
#   . "$(dirname "$0")/bench-common.sh"
#   build_loadpilot                 # sets LP unless given
#   start_demo_target [ARGS...]     # sets URL and TARGET_PID
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
TARGET_PID=""
cleanup() {
  [ -n "$TARGET_PID" ] && kill "$TARGET_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

build_loadpilot() {
  if [ -z "${LP:-}" ]; then
    echo "building loadpilot (release)..." >&2
    (cd "$ROOT" && cargo build --release --quiet)
    LP="$ROOT/target/release/loadpilot"
  fi
}

start_demo_target() {
  "$LP" target --listen 127.0.0.1:0 "$@" >"$WORK/target.out" 2>&1 &
  TARGET_PID=$!
  URL=""
  for _ in $(seq 50); do
    URL=$(sed -n 's/^loadpilot target listening on //p' "$WORK/target.out")
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { echo "the demo target did not start" >&2; exit 1; }
}
