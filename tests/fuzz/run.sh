#!/usr/bin/env bash
# Builds the fuzzers and runs each (all, or those named) for FUZZ_SECONDS (default 60) with
# libFuzzer. Inputs that reach new code are kept in a working corpus beside the build
# ($CARGO_TARGET_DIR/fuzz-corpus/<target>), so later runs go on from there; a crash, hang
# (-timeout) or out-of-memory (-rss_limit_mb) stops the run with the input saved under
# artifacts/<target>/ and a non-zero exit. Usage: tests/fuzz/run.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/sarscope-target}"
each="${FUZZ_SECONDS:-60}"
cargo build --locked --bins
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(spacenet_csv wkt geojson model_card pytorch burnpack journal orientations)
fi
failed=0
for t in "${targets[@]}"; do
  work="$CARGO_TARGET_DIR/fuzz-corpus/$t"
  mkdir -p "$work" "artifacts/$t"
  echo "== $t: $each s"
  # Inputs up to 64 KiB; a whole (narrowest) network in burnpack is 97 KiB.
  max_len=65536
  if [ "$t" = burnpack ]; then max_len=131072; fi
  set +e
  "$CARGO_TARGET_DIR/debug/$t" "$work" "seeds/$t" -max_total_time="$each" -timeout=10 \
    -rss_limit_mb=2048 -max_len=$max_len -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
    > "$CARGO_TARGET_DIR/fuzz-$t.log" 2>&1
  status=$?
  set -e
  # The targets' scratch folders (common.rs) of processes that ended; another run's stay.
  for d in /dev/shm/sarscope-fuzz-* "${TMPDIR:-/tmp}"/sarscope-fuzz-*; do
    if [ -d "$d" ] && [ ! -d "/proc/${d##*-}" ]; then rm -rf "$d"; fi
  done
  grep -aE "^#[0-9]+.*DONE|^stat::number_of_executed_units|^stat::peak_rss_mb|cov: " \
    "$CARGO_TARGET_DIR/fuzz-$t.log" | tail -n 3
  if [ $status -ne 0 ]; then
    echo "$t FAILED (exit $status); see $CARGO_TARGET_DIR/fuzz-$t.log and artifacts/$t/"
    tail -n 40 "$CARGO_TARGET_DIR/fuzz-$t.log"
    failed=1
  fi
done
exit $failed
