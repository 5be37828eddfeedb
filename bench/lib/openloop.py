"""Runs one open-loop (rate-limited) load run with `oha` and prints it as a RESULT line, in the
form of bench/lib/check.lua's, checking every response's status.

    python3 bench/lib/openloop.py NAME EXPECT RATE -- OHA_ARGS...

NAME goes into the line, EXPECT lists the statuses every response must have ("200" or
"200,201"), RATE is the request rate asked of oha (`-q`; passed by the caller among OHA_ARGS,
repeated here for the line). oha runs with `--latency-correction`: each request's latency is
counted from when it was due, not from when a busy connection got round to sending it (the
coordinated-omission correction), so a server that falls behind the rate shows it in the tail; requests still in flight when
the duration ends are waited for (`-w`), not counted as aborted.
Exits 1 when any response had another status, any request failed (connect, timeout, read), or
no request was answered; its output (JSON) is kept next to the results by the caller.
"""
import json
import subprocess
import sys

name, expect, rate = sys.argv[1], sys.argv[2], sys.argv[3]
assert sys.argv[4] == "--", "usage: openloop.py NAME EXPECT RATE -- OHA_ARGS..."
args = sys.argv[5:]
expected = {s.strip() for s in expect.split(",") if s.strip()}
run = subprocess.run(["oha", "--no-tui", "--output-format", "json", "--latency-correction",
                      "--wait-ongoing-requests-after-deadline", *args],
                     capture_output=True, text=True)
if run.returncode != 0:
    sys.stderr.write(run.stderr)
    print(f"RESULT name={name} rate={rate} failed=oha_exit_{run.returncode}")
    sys.exit(1)
report = json.loads(run.stdout)
statuses = report.get("statusCodeDistribution") or {}
errors = report.get("errorDistribution") or {}
answered = sum(statuses.values())
bad = sum(n for s, n in statuses.items() if s not in expected)
failed = sum(errors.values())
lat = report.get("latencyPercentiles") or {}
ms = lambda key: (lat.get(key) or 0.0) * 1000.0
summary = report.get("summary") or {}
print(
    f"RESULT name={name} rate={rate} rps={summary.get('requestsPerSec', 0.0):.1f} "
    f"p50_ms={ms('p50'):.2f} p99_ms={ms('p99'):.2f} p999_ms={ms('p99.9'):.2f} "
    f"requests={answered} bad={bad} errors={failed}"
)
if bad or failed or answered == 0:
    sys.stderr.write(f"{name}: statuses {statuses}, errors {errors}\n")
    sys.exit(1)
