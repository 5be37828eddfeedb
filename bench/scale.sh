#!/usr/bin/env bash
# The HTTP scale curve (issue 12): how the inventory list (first page, and a text search) and
# the document search cost as the theatre grows, 1k, 10k and 100k items and documents.
#
#   bench/scale.sh [OUT_DIR]     # sizes: BENCH_SCALE_SIZES (default "1000 10000 100000")
#
# For each size: a fresh database, the gateway (BENCH_BIN, default target/release) with the
# login rate limits lifted, `target/debug/examples/seed --items N` (the seeder is bound by
# PostgreSQL: its debug build serves), documents: up to BENCH_SCALE_SEED_DOCS (500) through the
# seeder with their versions and extracted text, the rest copies of those made by SQL (a copy
# per document: its current version, the title numbered; the search vector is recomputed by the
# documents_search trigger), then ANALYZE. Each endpoint: 2 s warm-up, then an open-loop run
# with oha at a fixed rate (BENCH_SCALE_RATE requests/s, default 40, for BENCH_SCALE_DURATION,
# default 10s) over 4 connections with latency correction: at a rate every size sustains, p99
# is the cost of a request, not queueing. Every response's status is checked (200).
# Prints RESULT lines (appended to OUT_DIR/results.txt when OUT_DIR is given) and, at the end,
# the ratio p99(largest) / p99(smallest) per endpoint (target: at most 3).
#
# Needs: oha (cargo install oha --locked), psql, curl, python3, jq; the release gateway and the
# debug seeder built (bench/run builds both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
SIZES=${BENCH_SCALE_SIZES:-1000 10000 100000}
BIN=${BENCH_BIN:-target/release}
RATE=${BENCH_SCALE_RATE:-40}
DURATION=${BENCH_SCALE_DURATION:-10s}
SEED_DOCS=${BENCH_SCALE_SEED_DOCS:-500}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=${BENCH_SCALE_DB:-theatre_bench_scale}
PORT=${BENCH_SCALE_PORT:-3951}
command -v oha >/dev/null || { echo "bench/scale.sh needs oha (cargo install oha --locked)" >&2; exit 1; }

GATEWAY=""
DATA=""
stop() {
  if [ -n "$GATEWAY" ]; then kill "$GATEWAY" 2>/dev/null || true; wait "$GATEWAY" 2>/dev/null || true; GATEWAY=""; fi
  if [ -n "$DATA" ]; then rm -rf "$DATA"; DATA=""; fi
}
trap 'stop; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

Q=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("канделябр"))')
DQ=$(python3 -c 'import urllib.parse; print(urllib.parse.quote("договор аренды"))')
FAILED=0
for n in $SIZES; do
  started=$(date +%s)
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  DATA=$(mktemp -d)
  DATABASE_URL="$PG/$DB" PORT="$PORT" DATA_DIR="$DATA" EMBEDDED_S3_PORT=0 REDIS_PREFIX="benchscale:$$:" \
    RUST_LOG=warn RUN_WORKER=false RATE_LIMIT_LOGIN_PER_IP=1000000000 RATE_LIMIT_LOGIN_PER_ACCOUNT=1000000000 \
    "$BIN/gateway" >"$OUT/scale-gateway-$n.log" 2>&1 &
  GATEWAY=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
    kill -0 "$GATEWAY" 2>/dev/null || { cat "$OUT/scale-gateway-$n.log" >&2; exit 1; }
    sleep 0.2
  done
  # The demo theatre has items of its own: n in all.
  have=$(psql "$PG/$DB" -Atc "SELECT count(*) FROM inventory_items WHERE deleted_at IS NULL")
  items=$(( n > have ? n - have : 1 ))
  docs=$(( n < SEED_DOCS ? n : SEED_DOCS ))
  target/debug/examples/seed --database-url "$PG/$DB" --data-dir "$DATA" --items "$items" --cycles 1 \
    --documents "$docs" >"$OUT/scale-seed-$n.log" 2>&1 || { cat "$OUT/scale-seed-$n.log" >&2; exit 1; }
  # Documents up to n: copies of the seeded ones, each with its current version.
  psql "$PG/$DB" -v ON_ERROR_STOP=1 -q -v want="$n" <<'SQL'
BEGIN;
CREATE TEMP TABLE src AS
    SELECT d.id AS doc, d.current_version_id AS ver, row_number() OVER (ORDER BY d.id) AS rn
    FROM documents d WHERE d.deleted_at IS NULL AND d.current_version_id IS NOT NULL;
SELECT greatest(:want - count(*), 0) AS need, count(*) AS have FROM documents \gset
CREATE TEMP TABLE m AS
    SELECT s.doc, s.ver, gen_random_uuid() AS new_doc, gen_random_uuid() AS new_ver, g AS n
    FROM generate_series(1, :need) g
    JOIN src s ON s.rn = (g - 1) % (SELECT count(*) FROM src) + 1;
INSERT INTO documents (id, theater_id, category_id, title, description, tags, status,
        department_id, performance_id, created_by, created_at, updated_at, current_version_id,
        last_version_number)
    SELECT m.new_doc, d.theater_id, d.category_id, d.title || ' (копия ' || m.n || ')',
           d.description, d.tags, d.status, d.department_id, d.performance_id, d.created_by,
           d.created_at, d.updated_at, m.new_ver, 1
    FROM m JOIN documents d ON d.id = m.doc;
INSERT INTO document_versions (id, theater_id, document_id, number, status, original_filename,
        declared_size, declared_content_type, size, sha256, content_type, storage_key,
        extracted_text, uploaded_by, verified_etag, attempts, processing_started_at,
        completed_at, created_at)
    SELECT m.new_ver, v.theater_id, m.new_doc, 1, v.status, v.original_filename, v.declared_size,
           v.declared_content_type, v.size, v.sha256, v.content_type, v.storage_key,
           v.extracted_text, v.uploaded_by, v.verified_etag, v.attempts,
           v.processing_started_at, v.completed_at, v.created_at
    FROM m JOIN document_versions v ON v.id = m.ver;
-- The search vector follows the current version's text: the trigger reads it on this update.
UPDATE documents d SET current_version_id = d.current_version_id FROM m WHERE d.id = m.new_doc;
COMMIT;
ANALYZE;
SQL
  counts=$(psql "$PG/$DB" -Atc "SELECT (SELECT count(*) FROM inventory_items WHERE deleted_at IS NULL) || ' ' || (SELECT count(*) FROM documents WHERE deleted_at IS NULL)")
  EMAIL=$(sed -n 's/^email: //p' "$DATA/demo-login.txt")
  PASSWORD=$(sed -n 's/^password: //p' "$DATA/demo-login.txt")
  TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "$(jq -cn --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')" | jq -r .access_token)
  [ -n "$TOKEN" ] && [ "$TOKEN" != null ] || { echo "bench/scale.sh: no token" >&2; exit 1; }
  echo "RESULT name=scale_setup size=$n items=${counts% *} documents=${counts#* } seconds=$(( $(date +%s) - started ))" | tee -a "$RESULTS"
  for spec in "inventory_list|/api/v1/inventory/items?limit=50&sort=name" \
              "inventory_list_text|/api/v1/inventory/items?limit=50&q=$Q" \
              "documents_search_ru|/api/v1/documents?q=$DQ&limit=20"; do
    name=${spec%%|*}; path=${spec#*|}
    oha --no-tui -z 2s -c 4 -q "$RATE" -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path" >/dev/null 2>&1 || true
    python3 bench/lib/openloop.py "scale_$name size=$n" 200 "$RATE" -- -z "$DURATION" -c 4 -q "$RATE" \
      -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path" 2>>"$OUT/scale-errors.log" | tee -a "$RESULTS" ||
      { echo "FAILED: scale_$name size=$n" | tee -a "$RESULTS"; FAILED=1; }
  done
  stop
done

# p99 at the largest size against the smallest, per endpoint.
first=${SIZES%% *}; last=${SIZES##* }
for name in inventory_list inventory_list_text documents_search_ru; do
  a=$(sed -n "s/^RESULT name=scale_$name size=$first .* p99_ms=\([0-9.]*\).*/\1/p" "$RESULTS" | tail -1)
  b=$(sed -n "s/^RESULT name=scale_$name size=$last .* p99_ms=\([0-9.]*\).*/\1/p" "$RESULTS" | tail -1)
  if [ -n "$a" ] && [ -n "$b" ]; then
    echo "RESULT name=scale_ratio_$name p99_${first}_ms=$a p99_${last}_ms=$b ratio=$(echo "scale=2; $b / $a" | bc)" | tee -a "$RESULTS"
  fi
done
exit $FAILED
