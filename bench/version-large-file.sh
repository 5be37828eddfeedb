#!/usr/bin/env bash
# Versioning throughput and peak memory of the worker for one large file.
#
#   bench/version-large-file.sh [SIZE_MIB] [WORKER_BINARY]
#
# Starts the gateway (without its in-process worker) on a scratch database and its embedded
# S3 store, uploads a SIZE_MIB file (an MP4 header followed by random bytes) through the
# presigned PUT exactly as a client does, confirms it, then runs `worker --once` under
# /usr/bin/time: elapsed time and maximum resident set size are the figures. Beside it, the
# limit for the same work: `sha256sum` of the same file (in the page cache, as the store's copy
# is), under the same /usr/bin/time; and the whole of what the worker does with the bytes, by
# the same tools: copy the file (the worker first copies the upload to its verified key, so a
# later PUT cannot replace what was checked) and `sha256sum` the copy. Prints one line
#   RESULT name=versioning size_mib=.. worker_s=.. worker_mib_s=.. worker_rss_mb=.. sha256sum_s=..
#     sha256sum_mib_s=.. sha256sum_rss_mb=.. ratio=.. (worker throughput / sha256sum's)
#     copy_and_sha256sum_s=.. ratio_copy_and_hash=.. (worker throughput / cp + sha256sum's)
# GATEWAY (default target/debug/gateway; bench/run passes the release one) serves the S3 store.
set -euo pipefail
SIZE_MIB=${1:-1024}
WORKER=${2:-target/release/worker}
GATEWAY=${GATEWAY:-target/debug/gateway}
WORK=$(mktemp -d /tmp/theatre-bench.XXXXXX)
DB=theatre_bench_$$
PORT=3998
S3_PORT=9498
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export REDIS_PREFIX=bench$$:
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
DATA_DIR=$WORK/data PORT=$PORT EMBEDDED_S3_PORT=$S3_PORT RUN_WORKER=false \
  DOCUMENT_MAX_FILE_BYTES=$((SIZE_MIB * 1024 * 1024 + 1)) RUST_LOG=warn \
  "$GATEWAY" > "$WORK/gateway.log" 2>&1 &
GW=$!
trap 'kill $GW 2>/dev/null; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do grep -q password "$WORK/data/demo-login.txt" 2>/dev/null && break; sleep 0.2; done

FILE=$WORK/show.mp4
printf '\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2' > "$FILE"
head -c $((SIZE_MIB * 1024 * 1024 - 24)) /dev/urandom >> "$FILE"
SIZE=$(stat -c %s "$FILE")

API=http://127.0.0.1:$PORT/api/v1
PW=$(awk '/^password:/ {print $2}' "$WORK/data/demo-login.txt")
T=$(curl -sf "$API/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"admin@demo.theatre\",\"password\":\"$PW\"}" | jq -r .access_token)
CAT=$(curl -sf "$API/documents/categories" -H "authorization: Bearer $T" | jq -r '.items[]|select(.code=="creative").id')
DOC=$(curl -sf "$API/documents" -H "authorization: Bearer $T" -H 'content-type: application/json' \
  -d "{\"title\":\"Видеозапись спектакля\",\"category_id\":\"$CAT\"}" | jq -r .id)
TICKET=$(curl -sf "$API/documents/$DOC/versions" -H "authorization: Bearer $T" -H 'content-type: application/json' \
  -d "{\"filename\":\"Запись.mp4\",\"content_type\":\"video/mp4\",\"size\":$SIZE}")
VID=$(echo "$TICKET" | jq -r .version_id)
curl -sf -o /dev/null -T "$FILE" -H "content-type: video/mp4" "$(echo "$TICKET" | jq -r .upload.url)"
curl -sf -o /dev/null -X POST "$API/documents/$DOC/versions/$VID/complete" -H "authorization: Bearer $T"

echo "file: $SIZE bytes; worker: $WORKER"
S3_ENDPOINT=http://127.0.0.1:$S3_PORT S3_BUCKET=theatre AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=theatre-local AWS_SECRET_ACCESS_KEY=theatre-local-secret RUST_LOG=warn \
  /usr/bin/time -f '%e %M %P' -o "$WORK/time.txt" "$WORKER" --once
VERSION=$(curl -sf "$API/documents/$DOC/versions/$VID" -H "authorization: Bearer $T" | jq -c '{status,number,size,sha256,content_type,error}')
echo "version: $VERSION"
/usr/bin/time -f '%e %M %P' -o "$WORK/sha.txt" sha256sum "$FILE" > "$WORK/sha.out"
SUM=$(cut -c1-64 "$WORK/sha.out")
/usr/bin/time -f '%e' -o "$WORK/copy-sha.txt" sh -c 'cp "$1" "$1.copy" && sha256sum "$1.copy" >/dev/null' sh "$FILE"
rm -f "$FILE.copy"
echo "sha256sum: $SUM"
[ "$(echo "$VERSION" | jq -r .status)" = ready ] && [ "$(echo "$VERSION" | jq -r .sha256)" = "$SUM" ] ||
  { echo "the version is not ready with the file's SHA-256" >&2; exit 1; }
read -r W_S W_KB W_CPU < "$WORK/time.txt"
read -r S_S S_KB _ < "$WORK/sha.txt"
read -r C_S < "$WORK/copy-sha.txt"
awk -v mib="$SIZE_MIB" -v ws="$W_S" -v wkb="$W_KB" -v wcpu="$W_CPU" -v ss="$S_S" -v skb="$S_KB" -v cs="$C_S" 'BEGIN {
  if (ws < 0.01) ws = 0.01; if (ss < 0.01) ss = 0.01; if (cs < 0.01) cs = 0.01
  printf "RESULT name=versioning size_mib=%d worker_s=%.2f worker_mib_s=%.1f worker_rss_mb=%.1f worker_cpu=%s sha256sum_s=%.2f sha256sum_mib_s=%.1f sha256sum_rss_mb=%.1f ratio=%.2f copy_and_sha256sum_s=%.2f ratio_copy_and_hash=%.2f\n",
    mib, ws, mib / ws, wkb / 1024, wcpu, ss, mib / ss, skb / 1024, ss / ws, cs, cs / ws }'
