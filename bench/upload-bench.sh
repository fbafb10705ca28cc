#!/usr/bin/env bash
# upload-certs + download-certs (file mode) wall time, against the same seal-and-open done by Python's
# `cryptography` (Tests/EndToEndTests/Resources/kubeadm_bundle.py build + decrypt), interleaved in one run.
#
# Usage: bench/upload-bench.sh
#   ROUNDS=N       rounds (default 9)
#   PKICTL=path    benchmark this binary instead of building one
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
ROUNDS=${ROUNDS:-9}
PY="$ROOT/Tests/EndToEndTests/Resources/kubeadm_bundle.py"
if [[ -z ${PKICTL:-} ]]; then
    (cd "$ROOT" && swift build -c release --product pkictl >&2)
    PKICTL="$(cd "$ROOT" && swift build -c release --show-bin-path)/pkictl"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/upload-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results"
: >"$RESULTS"
"$PKICTL" init-ca --cert-dir "$WORK/pki" --db "$WORK/inventory.db" >/dev/null
KEY=$("$PKICTL" certificate-key)

for ((r = 1; r <= ROUNDS; r++)); do
    rm -rf "$WORK/target" "$WORK/py-out"
    t0=$(date +%s%N)
    "$PKICTL" upload-certs --cert-dir "$WORK/pki" --certificate-key "$KEY" --output "$WORK/m.yaml" >/dev/null
    "$PKICTL" download-certs --cert-dir "$WORK/target" --certificate-key "$KEY" --input "$WORK/m.yaml" >/dev/null
    t1=$(date +%s%N)
    python3 "$PY" build "$WORK/pki" "$KEY" "$WORK/py.yaml"
    python3 "$PY" decrypt "$WORK/py.yaml" "$KEY" "$WORK/py-out" >/dev/null
    t2=$(date +%s%N)
    echo "pkictl $((t1 - t0))" >>"$RESULTS"
    echo "python $((t2 - t1))" >>"$RESULTS"
    # The round trip must be exact, or the timing means nothing.
    cmp -s "$WORK/pki/etcd/ca.key" "$WORK/target/etcd/ca.key"
done

echo "openssl version: $(openssl version)"
echo "python:          $(python3 -c 'import cryptography, sys; print(sys.version.split()[0], "cryptography", cryptography.__version__)')"
echo "nproc:           $(nproc)"
echo "rounds:          $ROUNDS"
python3 - "$RESULTS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, ns = line.split()
    runs.setdefault(name, []).append(int(ns) / 1e9)
print(f"{'upload+download':<16} {'median s':>9} {'min s':>7} {'max s':>7}")
for name, secs in runs.items():
    print(f"{name:<16} {statistics.median(secs):>9.3f} {min(secs):>7.3f} {max(secs):>7.3f}")
print(f"ratio pkictl/python (median): {statistics.median(runs['pkictl']) / statistics.median(runs['python']):.2f}")
PY
