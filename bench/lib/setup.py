"""Prepares the HTTP scenarios of bench/run against a seeded gateway: signs in, picks the ids
the scenarios use and writes them as shell variables (sourced by bench/run) and files (bodies,
item lists read by the wrk scripts). Every call must answer as expected, or this exits non-zero.

    python3 bench/lib/setup.py PORT EMAIL PASSWORD OUT_DIR PAIRS EVENTS
"""
import datetime
import http.client
import json
import sys
import urllib.parse

port, email, password, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
pairs, events_wanted = int(sys.argv[5]), int(sys.argv[6])
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
token = None


def call(method, path, body=None, expect=(200,)):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status not in expect:
        sys.exit(f"setup: {method} {path} answered {r.status}: {data[:300]!r}")
    return json.loads(data) if data and r.getheader("content-type", "").startswith("application/json") else data


token = call("POST", "/api/v1/auth/login", {"email": email, "password": password})["access_token"]
me = call("GET", "/api/v1/auth/me")
user_id = me["id"]
cats = call("GET", "/api/v1/inventory/categories?limit=200")["items"]
category = next(c for c in cats if c.get("parent_id") is None)["id"]
items = call("GET", "/api/v1/inventory/items?limit=200&sort=name")["items"]
detail = items[len(items) // 2]["id"]

# Items that can be issued and returned one at a time: in stock, a single piece.
free = []
cursor = None
while len(free) < pairs:
    q = "/api/v1/inventory/items?status=in_stock&limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
    page = call("GET", q)
    free += [i["id"] for i in page["items"] if i.get("quantity", 1) == 1]
    cursor = page.get("next_cursor")
    if not cursor:
        break
if len(free) < 2:
    sys.exit("setup: fewer than two single-piece items in stock")
with open(f"{out}/pair-items.txt", "w") as f:
    f.write("\n".join(free[:pairs]) + "\n")

# A venue of its own with EVENTS events through the API (the seeded season is spread over
# every venue; the feed scenario wants one venue with exactly EVENTS), 4 hours apart
# from tomorrow on; the month they start in is the events-list scenario, the venue's feed the
# iCal one, and the first event's slot again is the clash (409).
now = datetime.datetime.now(datetime.timezone.utc)
fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
venue = call("POST", "/api/v1/schedule/venues", {"code": f"bench{int(now.timestamp())}", "name": "Сцена (bench)", "kind": "main_stage"}, expect=(201,))["id"]
first = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
for n in range(events_wanted):
    at = first + datetime.timedelta(hours=4 * n)
    call("POST", "/api/v1/schedule/events", {"kind": "rehearsal", "title": f"Репетиция {n + 1}", "venue_id": venue,
         "starts_at": fmt(at), "ends_at": fmt(at + datetime.timedelta(hours=2))}, expect=(201,))
start = first.replace(day=1)
end = (start + datetime.timedelta(days=32)).replace(day=1)
events_path = f"/api/v1/schedule/events?from={urllib.parse.quote(fmt(start))}&to={urllib.parse.quote(fmt(end))}&limit=100"
events = call("GET", events_path)["items"]
clash = {"kind": "rehearsal", "title": "Прогон (bench)", "venue_id": venue,
         "starts_at": fmt(first), "ends_at": fmt(first + datetime.timedelta(hours=2))}
call("POST", "/api/v1/schedule/events", clash, expect=(409,))
with open(f"{out}/clash.json", "w") as f:
    json.dump(clash, f, ensure_ascii=False)

feed = call("POST", "/api/v1/schedule/calendar/tokens", {"name": "bench"}, expect=(200, 201))
feed_token = feed.get("token")
if not feed_token:
    sys.exit(f"setup: no token in {feed}")

with open(f"{out}/env.sh", "w") as f:
    for k, v in {
        "TOKEN": token, "USER_ID": user_id, "CATEGORY_ID": category, "ITEM_ID": detail,
        "EVENTS_PATH": events_path, "VENUE_ID": venue, "FEED_TOKEN": urllib.parse.quote(feed_token),
        "EVENTS_IN_MONTH": str(len(events)),
    }.items():
        f.write(f"{k}='{v}'\n")
print(f"setup: {len(free[:pairs])} items for check-out/check-in pairs, {events_wanted} events, {len(events)} in the listed month")
