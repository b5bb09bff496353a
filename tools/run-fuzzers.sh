#!/usr/bin/env bash
# Runs every libFuzzer target for FUZZ_SECONDS over a copy of its seed corpus.
#   tools/run-fuzzers.sh BUILD_DIR WORK_DIR
set -uo pipefail
build=$1
work=$2
seconds=${FUZZ_SECONDS:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" | sed 's/^fuzz_//')
  corpus="$work/$name"
  mkdir -p "$corpus"
  cp "$root/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
  echo "fuzz_$name: ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=0 \
       -artifact_prefix="$work/$name-" "$corpus" >"$work/$name.log" 2>&1; then
    echo "fuzz_$name FAILED:"
    tail -40 "$work/$name.log"
    status=1
  else
    grep -E "^#[0-9]+.*DONE" "$work/$name.log" | tail -1
  fi
done
exit $status
