#!/usr/bin/env bash
# The schedule figures of issue 10, against a running gateway:
#   1. the time to book one event with a 52-week weekly series and a 30-item kit
#      (POST /api/v1/schedule/events: 52 occurrences, 52 × 30 reservations, one request);
#   2. the size (and fetch time) of a calendar feed of 500 events — 500 single events, and for
#      comparison one series of 500 occurrences (folded into one VEVENT with RRULE).
#
#   bench/schedule.sh BASE_URL            # e.g. http://127.0.0.1:3000
#
# Who signs in: BENCH_TOKEN (a bearer token), else BENCH_EMAIL / BENCH_PASSWORD, else the demo
# admin from DEMO_LOGIN (default "${DATA_DIR:-data}/demo-login.txt", written by the gateway on
# its first start, as the other bench scripts read it). BENCH_RUNS (default 5) bookings are
# timed, each in a venue of its own with 30 fresh items, so no run clashes with another. What the
# script made (venues, events, items, the feed token) is removed at the end unless BENCH_KEEP=1.
# Run it against a release build for the figures that count (BENCHMARKS.md).
set -euo pipefail
BASE=${1:?usage: bench/schedule.sh BASE_URL}
RUNS=${BENCH_RUNS:-5}
LOGIN_FILE=${DEMO_LOGIN:-${DATA_DIR:-data}/demo-login.txt}
EMAIL=${BENCH_EMAIL:-}
PASSWORD=${BENCH_PASSWORD:-}
if [ -z "${BENCH_TOKEN:-}" ] && [ -z "$EMAIL" ]; then
  [ -f "$LOGIN_FILE" ] || { echo "no BENCH_TOKEN, BENCH_EMAIL or $LOGIN_FILE" >&2; exit 1; }
  EMAIL=$(sed -n 's/^email: //p' "$LOGIN_FILE" | head -1)
  PASSWORD=$(sed -n 's/^password: //p' "$LOGIN_FILE" | head -1)
fi
curl -sf "$BASE/health" >/dev/null || { echo "no gateway answers at $BASE/health" >&2; exit 1; }

BENCH_TOKEN=${BENCH_TOKEN:-} python3 - "$BASE" "$EMAIL" "$PASSWORD" "$RUNS" "${BENCH_KEEP:-0}" <<'PY'
import datetime, http.client, json, os, statistics, sys, time, urllib.parse, uuid

base, email, password, runs, keep = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
url = urllib.parse.urlsplit(base)
Conn = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
conn = Conn(url.hostname, url.port)
prefix = url.path.rstrip("/")

def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    conn.request(method, prefix + path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status not in ok:
        sys.exit(f"{method} {path}: {r.status} {data[:500]!r}")
    return r.status, data

token = os.environ.get("BENCH_TOKEN") or json.loads(
    call("POST", "/api/v1/auth/login", {"email": email, "password": password})[1])["access_token"]
made = {"venues": [], "series": [], "events": [], "items": [], "tokens": []}

def venue():
    code = "bench-" + uuid.uuid4().hex[:10]
    v = json.loads(call("POST", "/api/v1/schedule/venues",
        {"code": code, "name": "Бенчмарк " + code[6:], "kind": "other", "setup_minutes": 60, "strike_minutes": 30},
        token)[1])
    made["venues"].append(v["id"])
    return v["id"]

cats = json.loads(call("GET", "/api/v1/inventory/categories?limit=200", token=token)[1])["items"]
props = next(c["id"] for c in cats if c["code"] == "props")
start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).replace(
    hour=16, minute=0, second=0, microsecond=0)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")

print(f"gateway {base}; {runs} bookings of a 52-week weekly series with a 30-item kit")
took = []
for run in range(runs):
    items = []
    for i in range(30):
        it = json.loads(call("POST", "/api/v1/inventory/items",
            {"name": f"Бенчмарк реквизит {run}-{i}", "category_id": props, "quantity": 1}, token)[1])
        items.append(it["id"])
    made["items"] += items
    v = venue()
    body = {"kind": "performance", "title": "Бенчмарк: спектакль", "venue_id": v,
            "starts_at": iso(start), "ends_at": iso(start + datetime.timedelta(hours=3)),
            "items": [{"item_id": i, "quantity": 1} for i in items],
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=52"}}
    t0 = time.perf_counter()
    status, data = call("POST", "/api/v1/schedule/events", body, token)
    took.append((time.perf_counter() - t0) * 1000)
    created = json.loads(data)
    assert len(created["occurrences"]) == 52 and len(created["reserved_items"]) == 30, created.keys()
    made["series"].append(created["id"])
    print(f"  run {run + 1}: {took[-1]:.0f} ms (52 occurrences, {52 * 30} reservations)")
print(f"booking: median {statistics.median(took):.0f} ms, min {min(took):.0f} ms, max {max(took):.0f} ms")

feed_token = json.loads(call("POST", "/api/v1/schedule/calendar/tokens", {"name": "bench"}, token)[1])
made["tokens"].append(feed_token["id"])

def feed(venue_id):
    sizes, times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        _, text = call("GET", f"/api/v1/schedule/calendar/venues/{venue_id}.ics?token={feed_token['token']}")
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(text))
    return text, sizes[-1], statistics.median(times)

# 500 single events: four 2-hour slots a day (4 hours apart: buffers) over 125 days, all inside the feed's window.
singles = venue()
for n in range(500):
    s = start + datetime.timedelta(days=n // 4, hours=-8 + 4 * (n % 4))
    e = json.loads(call("POST", "/api/v1/schedule/events",
        {"kind": "rehearsal", "title": f"Бенчмарк: репетиция {n + 1}", "venue_id": singles,
         "description": "Прогон второго акта, свет и звук", "starts_at": iso(s),
         "ends_at": iso(s + datetime.timedelta(hours=2))}, token)[1])
    made["events"].append(e["id"])
text, size, ms = feed(singles)
assert text.count(b"BEGIN:VEVENT") == 500
print(f"feed of 500 single events: {size} bytes ({size / 1024:.1f} KiB), fetch median {ms:.0f} ms")

series_venue = venue()
s = json.loads(call("POST", "/api/v1/schedule/events",
    {"kind": "rehearsal", "title": "Бенчмарк: ежедневная репетиция", "venue_id": series_venue,
     "starts_at": iso(start), "ends_at": iso(start + datetime.timedelta(hours=2)),
     "recurrence": {"rrule": "FREQ=DAILY;COUNT=500"}}, token)[1])
made["series"].append(s["id"])
text, size, ms = feed(series_venue)
print(f"feed of one 500-occurrence series (folded: {text.count(b'BEGIN:VEVENT')} VEVENT): {size} bytes, fetch median {ms:.0f} ms")

if not keep:
    for e in made["series"]:
        call("DELETE", f"/api/v1/schedule/events/{e}?scope=following", token=token)
    for e in made["events"]:
        call("DELETE", f"/api/v1/schedule/events/{e}", token=token)
    for v in made["venues"]:
        call("DELETE", f"/api/v1/schedule/venues/{v}", token=token)
    for i in made["items"]:
        call("DELETE", f"/api/v1/inventory/items/{i}", token=token)
    for t in made["tokens"]:
        call("DELETE", f"/api/v1/schedule/calendar/tokens/{t}", token=token)
    print("removed what the benchmark made (BENCH_KEEP=1 keeps it)")
PY
