#!/usr/bin/env bash
# What keeping the inventory costs a command: `pkictl check-expiration` on a real PKI with the inventory
# (open + refresh of 15 rows in one transaction) against the same command with the inventory unreachable
# (scan and report only). The difference is the refresh cost beyond reading and parsing the files.
#
# Usage: bench/refresh-bench.sh      ROUNDS=N (default 21), PKICTL=path to skip the build
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
ROUNDS=${ROUNDS:-21}
if [[ -z ${PKICTL:-} ]]; then
    (cd "$ROOT" && swift build -c release --product pkictl >&2)
    PKICTL="$(cd "$ROOT" && swift build -c release --show-bin-path)/pkictl"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/refresh-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PKICTL" init --cert-dir "$WORK/pki" --kubeconfig-dir "$WORK" --db "$WORK/inventory.db" --node-name node1 \
    --apiserver-advertise-address 10.0.0.10 --encryption-algorithm ECDSA-P256 >/dev/null
RESULTS="$WORK/results"
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
    for variant in with-inventory without-inventory; do
        db="$WORK/inventory.db"
        [[ $variant == without-inventory ]] && db=/proc/refresh-bench/none.db
        t0=$(date +%s%N)
        "$PKICTL" check-expiration --cert-dir "$WORK/pki" --kubeconfig-dir "$WORK" --db "$db" >/dev/null 2>&1
        t1=$(date +%s%N)
        echo "$variant $((t1 - t0))" >>"$RESULTS"
    done
done
python3 - "$RESULTS" "$ROUNDS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    variant, ns = line.split()
    runs.setdefault(variant, []).append(int(ns) / 1e6)
print(f"rounds: {sys.argv[2]}")
for variant, ms in runs.items():
    print(f"check-expiration {variant:<18} median {statistics.median(ms):7.2f} ms  min {min(ms):7.2f} ms")
extra = statistics.median(runs["with-inventory"]) - statistics.median(runs["without-inventory"])
print(f"inventory open + refresh beyond parsing: {extra:.2f} ms median (target < 20 ms) {'MET' if extra < 20 else 'MISSED'}")
PY
