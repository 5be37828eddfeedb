#!/usr/bin/env bash
# Cold start of a function binary: process start until its first answered request
# (GET /health, which also opens the first PostgreSQL and Redis connections), polled by
# bench/lib/coldstart.py from one process (starting curl for every poll added its own start).
# Usage: bench/cold-start.sh [binary] [runs]   (default: target/release/auth, 20 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/auth}
runs=${2:-20}
port=39401
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
# A throwaway key pair (the auth function needs both halves).
cargo run --quiet -p theatre-gateway --example dev-keys -- "$keys" >/dev/null
export JWT_PRIVATE_KEY="$(cat "$keys/private.pem")" JWT_PUBLIC_KEY="$(cat "$keys/public.pem")"
export PORT=$port DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} RUST_LOG=warn
# The functions that store files need a bucket named; nothing is stored during a start.
export S3_BUCKET=${S3_BUCKET:-theatre} AWS_REGION=${AWS_REGION:-us-east-1} \
  AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-theatre-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-theatre-local-secret}
times=$(python3 bench/lib/coldstart.py "$bin" "$port" "$runs") ||
  { echo "$bin: no answer (its output follows)" >&2; timeout 5 "$bin" 2>&1 | tail -3 >&2; exit 1; }
echo "$times" | sort -n | awk -v bin="$bin" '
  { a[NR] = $1 } END {
    printf "%s: cold start to first answered request over %d runs: median %.1f ms, p90 %.1f ms, min %.1f ms\n",
      bin, NR, a[int((NR + 1) / 2)] / 1000, a[int(NR * 0.9)] / 1000, a[1] / 1000 }'
ls -l "$bin" | awk '{ printf "binary size: %.1f MiB\n", $5 / 1048576 }'
