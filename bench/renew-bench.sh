#!/usr/bin/env bash
# `pkictl renew all` wall time for RSA-2048 and ECDSA-P256 (11 certificates, keys generated in parallel).
#
# Usage: bench/renew-bench.sh
#   ROUNDS=N       rounds per algorithm (default 7)
#   PKICTL=path    benchmark this binary instead of building one
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
ROUNDS=${ROUNDS:-7}
if [[ -z ${PKICTL:-} ]]; then
    (cd "$ROOT" && swift build -c release --product pkictl >&2)
    PKICTL="$(cd "$ROOT" && swift build -c release --show-bin-path)/pkictl"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/renew-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results"
: >"$RESULTS"

for algo in RSA-2048 ECDSA-P256; do
    dir="$WORK/$algo"
    "$PKICTL" init --cert-dir "$dir/pki" --kubeconfig-dir "$dir" --node-name node1 \
        --apiserver-advertise-address 10.0.0.10 --encryption-algorithm "$algo" >/dev/null
    for ((r = 1; r <= ROUNDS; r++)); do
        t0=$(date +%s%N)
        "$PKICTL" renew all --cert-dir "$dir/pki" --kubeconfig-dir "$dir" --no-backup \
            --encryption-algorithm "$algo" >/dev/null
        t1=$(date +%s%N)
        echo "$algo $((t1 - t0))" >>"$RESULTS"
    done
    # The renewed PKI must still chain, or the timing means nothing.
    openssl verify -CAfile "$dir/pki/ca.crt" "$dir/pki/apiserver.crt" >/dev/null
done

echo "openssl version: $(openssl version)"
echo "nproc:           $(nproc)"
echo "rounds:          $ROUNDS"
python3 - "$RESULTS" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    algo, ns = line.split()
    runs.setdefault(algo, []).append(int(ns) / 1e9)
print(f"{'renew all':<12} {'median s':>9} {'min s':>7} {'max s':>7}")
for algo, secs in runs.items():
    print(f"{algo:<12} {statistics.median(secs):>9.3f} {min(secs):>7.3f} {max(secs):>7.3f}")
PY
