#!/usr/bin/env bash
# Latency of the inventory list endpoint (GET /api/v1/inventory/items) with 10,000 items,
# against a release build of the gateway and a real PostgreSQL and Redis.
#
#   bench/inventory_list.sh            # BENCH_ITEMS=10000 BENCH_REQUESTS=300 by default
#
# It builds the release gateway, starts it on its own database (dropped and re-created), adds the
# items to the demo theatre (on top of its own 300) with the demo's generator (`--example seed`,
# shared::seed), then times sequential requests over one keep-alive connection for several list
# queries and prints p50/p95/p99 per query. Figures are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${BENCH_DB:-theatre_bench}
PORT=${BENCH_PORT:-3900}
ITEMS=${BENCH_ITEMS:-10000}
REQUESTS=${BENCH_REQUESTS:-300}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}

cargo build --release -p theatre-gateway --bin gateway --example seed
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

DATA=$(mktemp -d)
DATABASE_URL="$PG/$DB" PORT=$PORT DATA_DIR="$DATA" EMBEDDED_S3_PORT=0 \
  REDIS_PREFIX="bench:$$:" RUST_LOG=warn target/release/gateway >"$DATA/gateway.log" 2>&1 &
GATEWAY=$!
trap 'kill $GATEWAY 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.2
done

EMAIL=$(sed -n 's/^email: //p' "$DATA/demo-login.txt")
PASSWORD=$(sed -n 's/^password: //p' "$DATA/demo-login.txt")

# The same generator as the demo theatre (shared::seed): items across the category and location
# trees with numbers from the theatre's counter, tags, attributes and movement histories.
target/release/examples/seed --database-url "$PG/$DB" --items "$ITEMS"

python3 - "$PORT" "$EMAIL" "$PASSWORD" "$REQUESTS" "$ITEMS" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse

port, email, password, requests, items = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
conn = http.client.HTTPConnection("127.0.0.1", int(port))

def call(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, data

status, data = call("POST", "/api/v1/auth/login", {"email": email, "password": password})
token = json.loads(data)["access_token"]
status, data = call("GET", "/api/v1/inventory/categories?limit=200", token=token)
cats = {c["code"]: c["id"] for c in json.loads(data)["items"]}
status, data = call("GET", "/api/v1/inventory/items?limit=50&sort=name", token=token)
page = json.loads(data)
number = page["items"][7]["inventory_number"]
# A cursor 40 pages deep.
cursor = page["next_cursor"]
for _ in range(40):
    s, d = call("GET", "/api/v1/inventory/items?limit=50&sort=name&cursor=" + cursor, token=token)
    cursor = json.loads(d)["next_cursor"]

queries = {
    "first page (limit 50, sort name)": "/api/v1/inventory/items?limit=50",
    "limit 200": "/api/v1/inventory/items?limit=200",
    "page 41 by cursor": "/api/v1/inventory/items?limit=50&sort=name&cursor=" + cursor,
    "q=" + "канделябр": "/api/v1/inventory/items?limit=50&q=" + urllib.parse.quote("канделябр"),
    "q=" + number[:-1] + " (number)": "/api/v1/inventory/items?limit=50&q=" + number[:-1],
    "category with descendants": "/api/v1/inventory/items?limit=50&category_id=" + cats["props"],
    "status=in_repair, sort -created_at": "/api/v1/inventory/items?limit=50&status=in_repair&sort=-created_at",
    "tag": "/api/v1/inventory/items?limit=50&tag=" + urllib.parse.quote("хрупкое"),
}
print(f"{items} items, {requests} sequential requests per query, one keep-alive connection")
print(f"{'query':40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
for name, path in queries.items():
    for _ in range(10):  # warm-up
        call("GET", path, token=token)
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        s, d = call("GET", path, token=token)
        times.append((time.perf_counter() - t0) * 1000)
        assert s == 200, (s, d[:200])
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"{name:40} {q(0.50):8.2f} {q(0.95):8.2f} {q(0.99):8.2f} {statistics.mean(times):8.2f}")
PY
