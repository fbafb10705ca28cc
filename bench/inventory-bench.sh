#!/usr/bin/env bash
# Inventory query benchmark: "everything expiring within 30 days" over a synthetic inventory of
# 100,000 certificate rows. Target: median < 50 ms. The query plan is printed to show that the
# not_after index is used; see the comment above the timings for what is timed.
#
# Usage: bench/inventory-bench.sh
#   ROWS=N    certificate rows to generate (default 100000)
#   RUNS=N    timed runs of the query (default 15)
#   KEEP=1    keep the generated database and print its path
#
# Needs only python3 (its sqlite3 module uses the same system libsqlite3 as GRDB on Debian).
# The schema and the query are not copied here: they are read from the Swift sources, so the
# benchmark always measures the DDL of every migration (InventorySchema.v1, v2, ... in
# Sources/PKICore/Store/InventoryMigrations.swift, applied in order as GRDB applies them) and the
# exact SQL `Inventory.expiring(before:certificateDirectory:)`
# runs (Inventory.expiringSQL in Sources/PKICore/Store/Inventory.swift, with InventoryRecord.columns
# from InventoryRecord.swift substituted). They must stay string literals for that.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
ROWS=${ROWS:-100000}
RUNS=${RUNS:-15}
for v in ROWS RUNS; do
    if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
        echo "$0: $v must be a positive integer, not '${!v}'" >&2
        exit 2
    fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/inventory-bench.XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
    echo "keeping $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi

python3 - "$ROOT" "$WORK/inventory.db" "$ROWS" "$RUNS" <<'PY'
import os, random, re, sqlite3, statistics, sys, textwrap, time

root, db_path, rows, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def swift_literal(path, pattern, what, allowed=()):
    text = open(os.path.join(root, path), encoding="utf-8").read()
    match = re.search(pattern, text, re.S)
    if not match:
        sys.exit(f"inventory-bench: cannot find {what} in {path}")
    literal = match.group(1)
    for name, value in allowed:
        literal = literal.replace("\\(" + name + ")", value)
    if "\\(" in literal:
        sys.exit(f"inventory-bench: {what} in {path} interpolates something this script does not resolve")
    return literal

migrations = []
for version in range(1, 100):
    text = open(os.path.join(root, "Sources/PKICore/Store/InventoryMigrations.swift"), encoding="utf-8").read()
    if f"static let v{version} = " not in text:
        break
    migrations.append((f"v{version}", textwrap.dedent(swift_literal(
        "Sources/PKICore/Store/InventoryMigrations.swift", rf'static let v{version} = """\n(.*?)\n\s*"""',
        f"InventorySchema.v{version}"))))
columns = swift_literal("Sources/PKICore/Store/InventoryRecord.swift",
                        r'static let columns = "([^"]*)"', "InventoryRecord.columns")
query = swift_literal("Sources/PKICore/Store/Inventory.swift", r'static let expiringSQL = "([^"]*)"',
                      "Inventory.expiringSQL", allowed=[("InventoryRecord.columns", columns)])

# --- build the synthetic inventory the way Inventory(path:) leaves it: WAL, every migration applied ---
db = sqlite3.connect(db_path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
for identifier, ddl in migrations:
    db.executescript(ddl)
    db.execute("INSERT INTO grdb_migrations VALUES (?)", (identifier,))

rng = random.Random(20261121)
now = int(time.time())
day = 86400
roles = ["CA", "leaf", "kubeconfig", "kubelet-client"]

# Every row in one certificate directory, the query's: the worst case for it (a real node has ~16 rows
# per directory, and rows of other directories are outside the index range it reads).
CERT_DIR = "/etc/kubernetes/pki"

def row(i):
    name = f"node-{i // 15:05d}/cert-{i % 15:02d}"
    file = f"{CERT_DIR}/{name}.crt"
    values = dict(cert_dir=CERT_DIR, name=name, role=roles[0] if i % 15 < 3 else rng.choice(roles[1:]), file=file,
                  certificate_file=file, authority="ca", externally_managed=0, last_seen=now)
    if rng.random() < 0.01:  # 1 % missing: no certificate facts, NULL not_after
        values["state"] = "missing"
    else:
        # notAfter spread over a year of renewals, a few already expired.
        not_after = now + rng.randint(-7 * day, 365 * day)
        hexbytes = lambda n: rng.getrandbits(8 * n).to_bytes(n, "big").hex()
        values.update(state="present", subject=f"CN=kube-apiserver-{i}", issuer="CN=kubernetes", serial=hexbytes(8).upper(),
                      fingerprint=hexbytes(32), pin="sha256:" + hexbytes(32), not_before=not_after - 365 * day,
                      not_after=not_after, key_algorithm="ECDSA-P256",
                      sans=f'["kubernetes","kubernetes.default.svc.cluster.local","node-{i // 15}","10.96.0.1","10.0.{i % 250}.{i % 200}"]')
    return tuple(values.get(column.strip()) for column in columns.split(","))

db.execute("BEGIN")
db.executemany(f"INSERT INTO certificate ({columns}) VALUES ({', '.join('?' * len(columns.split(',')))})",
               (row(i) for i in range(rows)))
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()

# --- measure ---
cutoff = now + 30 * day
print(f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, nproc {os.cpu_count()}")
print(f"database: {rows} certificate rows, {os.path.getsize(db_path) / 2**20:.1f} MiB")
print(f"query:    {query}   -- ? = {CERT_DIR!r}, now + 30 days")
db = sqlite3.connect(db_path)
print("plan:     " + "; ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + query, (CERT_DIR, cutoff))))
db.close()

# Two timings of the exact query, each run on a fresh connection as one pkictl command opens one:
#   sqlite  the query inside SQLite, as SELECT count(*) FROM (query): the index range scan and one table
#           lookup per matching row, with no values handed to a client. This is the query's own cost,
#           the part the schema and index decide, and the figure the target is judged on.
#   python  the query itself with fetchall(): adds handing out 18 values per row and building a Python
#           object for each, a cost of the client (Swift/GRDB decodes the same rows in its own way).
def timed(sql):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        db = sqlite3.connect(db_path)
        result = db.execute(sql, (CERT_DIR, cutoff)).fetchall()
        db.close()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times), result

engine = timed(f"SELECT count(*) FROM ({query})")
client = timed(query)
found = len(client[3])
assert engine[3][0][0] == found, "both timings must see the same rows"
print(f"result:   {found} of {rows} rows expire within 30 days (incl. already expired)")
for label, (median, low, high, _) in (("sqlite", engine), ("python", client)):
    print(f"{label + ':':9} median {median:.2f} ms, min {low:.2f} ms, max {high:.2f} ms over {runs} runs")
print(f"target:   sqlite median < 50 ms: {'met' if engine[0] < 50 else 'NOT met'}")
sys.exit(0 if engine[0] < 50 else 1)
PY
