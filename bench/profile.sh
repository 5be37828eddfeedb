#!/usr/bin/env bash
# Where the time of one endpoint goes under load: wrk drives it (16 connections, statuses
# checked by bench/lib/check.lua) while `perf record -a -g` samples the whole machine; then the
# CPU time is split by process (the gateway, PostgreSQL's backends, Redis, wrk; the rest is
# other work on the machine) and the top functions of the gateway and PostgreSQL are listed.
#
#   bench/profile.sh BASE_URL PATH TOKEN [SECONDS] [OUT_DIR]
#
# Needs perf (Debian linux-perf) with kernel.perf_event_paranoid <= 1 or root. The release
# gateway is stripped (profile.release.strip): its functions show as addresses; the split by
# process and by library (libc, the kernel's network stack) still shows. PostgreSQL's binary
# keeps its dynamic symbols, so its functions are named.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 path=$2 token=$3 seconds=${4:-10} out=${5:-$(mktemp -d)}
mkdir -p "$out"
data=$out/perf-$(echo "$path" | tr -c 'a-zA-Z0-9' '_' | cut -c1-40).data
BENCH_NAME=profile BENCH_METHOD=GET BENCH_PATH=$path BENCH_TOKEN=$token BENCH_EXPECT=200 \
  wrk -t2 -c16 -d"$((seconds + 2))s" -s bench/lib/check.lua "$base" >"$data.wrk" 2>&1 &
load=$!
sleep 1
perf record -a -g -o "$data" -- sleep "$seconds" 2>/dev/null
wait "$load" || true
grep '^RESULT' "$data.wrk"
echo "== CPU samples by process (% of all samples on the machine)"
perf report -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -15 || true
echo "== by process and library"
perf report -i "$data" --no-children --sort comm,dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25 || true
echo "== PostgreSQL: top functions"
perf report -i "$data" --no-children --comms postgres --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -30 || true
echo "== gateway: top functions (unnamed where the binary is stripped)"
perf report -i "$data" --no-children --comms tokio-rt-worker,gateway --sort dso,sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -30 || true
echo "perf data: $data"
