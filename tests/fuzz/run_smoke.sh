#!/usr/bin/env bash
# run_smoke.sh <fuzzer> <seed corpus dir> <seconds>: a bounded libFuzzer run
# on a scratch copy of the seeds (the repository's corpus stays as it is).
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d /tmp/imsd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$seeds"/* "$work"/
"$fuzzer" -max_total_time="$seconds" -max_len=2048 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work"
