#!/usr/bin/env bash
# More cases of the profile property test than CI runs: mutated shipped profiles
# must never panic the parser, and every error names a line or says why not.
#   scripts/fuzz-profiles.sh [CASES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
PROPTEST_CASES="${1:-20000}" PROPTEST_RNG_SEED="${2:-$RANDOM}" \
  cargo nextest run --test profile_fuzz --no-capture
