#!/usr/bin/env bash
# cfssl replacement benchmark, both halves in one run on one machine:
# 1. 1,000 ECDSA-P256 leaves from one CA: `pkictl gencert` in a loop vs `cfssl gencert` in a loop (a ratio);
# 2. PKICore's in-process issuance rate (bench/IssuanceThroughput) vs `openssl speed -seconds 3 ecdsap256`.
#
# Usage: bench/gencert-bench.sh
#   LEAVES=N       leaves per tool (default 1000)
#   PKICTL=path    benchmark this pkictl instead of building one (the in-process bench is always built)
#   STATIC=0       build pkictl against the shared Swift runtime instead of --static-swift-stdlib
#
# pkictl is built with --static-swift-stdlib by default: cfssl is one static Go binary, and a process per
# leaf is mostly start-up, which for Swift on Linux is mostly loading the shared runtime, Foundation and ICU.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
LEAVES=${LEAVES:-1000}
command -v cfssl >/dev/null || { echo "cfssl not found: apt-get install golang-cfssl" >&2; exit 1; }
(cd "$ROOT" && swift build -c release --product pkictl-issuance-bench >&2)
BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)"
if [[ -z ${PKICTL:-} ]]; then
    if [[ ${STATIC:-1} == 1 ]]; then
        SCRATCH="$ROOT/.build/static"
        (cd "$ROOT" && swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product pkictl >&2)
        PKICTL="$SCRATCH/release/pkictl"
    else
        (cd "$ROOT" && swift build -c release --product pkictl >&2)
        PKICTL="$BIN/pkictl"
    fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gencert-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
source "$BENCH/cfssl-fixtures.sh"
write_cfssl_fixtures
# One CA for both tools, made by cfssl.
cfssl gencert -initca ca-csr.json 2>/dev/null | "$PKICTL" cfssljson -bare ca

loop() { # tool-label command...
    local label=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    for ((i = 0; i < LEAVES; i++)); do
        "$@" >out.json 2>/dev/null
    done
    t1=$(date +%s%N)
    # The last output must be a real leaf of the CA, or the timing means nothing.
    "$PKICTL" cfssljson -f out.json -bare "check-$label"
    openssl verify -CAfile ca.pem "check-$label.pem" >/dev/null
    echo $((t1 - t0))
}

echo "openssl version: $(openssl version)"
echo "cfssl version:   $(cfssl version 2>/dev/null | head -1)"
echo "nproc:           $(nproc)"
echo "leaves per tool: $LEAVES"
echo "pkictl:          $PKICTL ($(ldd "$PKICTL" | grep -c libswiftCore) shared Swift runtime libraries)"
pk_ns=$(loop pkictl "$PKICTL" gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=peer leaf-csr.json)
cf_ns=$(loop cfssl cfssl gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=peer leaf-csr.json)

"$BIN/pkictl-issuance-bench" "$LEAVES" 3 | tee inprocess.txt
speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print $(NF-1)}' | tail -1)

python3 - "$LEAVES" "$pk_ns" "$cf_ns" "$speed" inprocess.txt <<'PY'
import re, sys
leaves, pk_ns, cf_ns, speed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
result = dict(re.findall(r"(\w+)=(\d+)", open(sys.argv[5]).read().split("RESULT", 1)[1]))
lps, cps = float(result["leaves_per_second"]), float(result["certificates_per_second"])
print()
print(f"gencert loop, {leaves} ECDSA-P256 leaves:")
print(f"  pkictl gencert  {pk_ns / 1e9:7.2f} s  ({pk_ns / leaves / 1e6:6.2f} ms/leaf)")
print(f"  cfssl gencert   {cf_ns / 1e9:7.2f} s  ({cf_ns / leaves / 1e6:6.2f} ms/leaf)")
print(f"  pkictl/cfssl wall time ratio: {pk_ns / cf_ns:.2f}x  (cfssl takes {cf_ns / pk_ns:.2f}x as long)")
print("in-process, one core:")
print(f"  full leaves (key + CSR + cert + PEM): {lps:8.0f}/s")
print(f"  certificates, one pre-made key:        {cps:8.0f}/s")
print(f"  openssl speed ecdsap256 sign:         {speed:8.0f}/s")
print(f"  certificates / openssl sign: {cps / speed:.2f}   full leaves / openssl sign: {lps / speed:.2f}")
PY
