#!/usr/bin/env bash
# Poster processing of one 24-megapixel JPEG: our pipeline next to vipsthumbnail, one run.
#
#   bench/poster.sh [BENCH_BINARY]
#
# BENCH_BINARY defaults to target/release/examples/poster_bench
# (`nice cargo build --release -p theatre-worker --example poster_bench`). The example runs
# `worker::variants::render`, the function the `process_poster` job runs: decode with limits,
# EXIF orientation, thumb 320 / card 800 / full 2048 as lossy WebP (q80) and JPEG (q85).
# vipsthumbnail (Debian `libvips-tools`) makes the same six files, one call per file, all under
# one /usr/bin/time (its maximum RSS is the largest single call). Figures: elapsed wall time and
# maximum resident set size.
set -euo pipefail
BENCH=${1:-target/release/examples/poster_bench}
WORK=$(mktemp -d /tmp/theatre-poster-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
command -v vipsthumbnail >/dev/null || { echo "apt-get install -y libvips-tools" >&2; exit 1; }

"$BENCH" generate "$WORK/big.jpg" 6000x4000

echo "== ours (worker::variants::render, in-process, 6 outputs)"
/usr/bin/time -v "$BENCH" "$WORK/big.jpg" "$WORK/ours" 2> "$WORK/ours.time"
grep -E "Elapsed|Maximum resident" "$WORK/ours.time"

echo "== vipsthumbnail (6 calls)"
cd "$WORK"
/usr/bin/time -v sh -c '
  for s in 320 800 2048; do
    vipsthumbnail big.jpg -s ${s}x${s} -o "t_${s}.webp[Q=80,strip]"
    vipsthumbnail big.jpg -s ${s}x${s} -o "t_${s}.jpg[Q=85,strip]"
  done' 2> vips.time
grep -E "Elapsed|Maximum resident" vips.time
ls -l t_* | awk '{print "  " $9, $5}'
vipsheader t_*.webp t_*.jpg
