"""Prints the last statement PostgreSQL logged (log_statement=all) for database DB after byte
OFFSET of LOG whose text contains MARKER, with its logged parameters put in as literals: the exact
SQL an endpoint ran, for pgbench (bench/run).

    python3 bench/lib/capture.py LOG OFFSET DB MARKER
"""
import re
import sys

log, offset, db, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(log, "rb") as f:
    f.seek(offset)
    text = f.read().decode("utf-8", "replace")

entries = []  # (sql, params)
current = None
for line in text.split("\n"):
    if line.startswith("\t") and current is not None and current[1] is None:
        current[0].append(line[1:])
        continue
    m = re.search(r"postgres@" + re.escape(db) + r" (LOG|DETAIL):  (.*)", line)
    if not m:
        if not line.startswith("\t"):
            current = None if current is None or current[1] is not None else current
        continue
    kind, rest = m.groups()
    if kind == "LOG":
        s = re.match(r"execute [^:]+: (.*)", rest)
        current = [[s.group(1)], None] if s else None
        if current:
            entries.append(current)
    elif kind == "DETAIL" and current is not None and rest.startswith("parameters: "):
        current[1] = rest[len("parameters: "):]

found = [e for e in entries if marker in "\n".join(e[0])]
if not found:
    sys.exit(f"capture: no statement with {marker!r} for {db} in the log")
sql, params = "\n".join(found[-1][0]), found[-1][1] or ""
values = dict(re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params))
sql = re.sub(r"\$(\d+)\b", lambda m: values[m.group(1)], sql)
# pgbench reads `:name` as one of its variables, even inside a literal ('HH24:MI:SS'): spell
# such a colon as a concatenation (casts, `::type`, are left alone).
sql = re.sub(r"(?<!:):(?=[A-Za-z_])", "' || ':' || '", sql)
print(sql.rstrip().rstrip(";") + ";")
