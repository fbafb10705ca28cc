#!/usr/bin/env bash
# Start-up cost of the shipped build (scripts/build-release.sh: release, --static-swift-stdlib), side by side
# with Debian's cfssl in one run:
# 1. `pkictl --version` and `cfssl version`, RUNS processes each (target: pkictl <= 5 ms);
# 2. one ECDSA-P256 leaf per process: `pkictl gencert` and `cfssl gencert`, LEAVES each, interleaved in
#    rounds of 50 so a load change on the machine hits both (target: pkictl/cfssl <= 1.0); then the same two
#    commands LEAVES times each again, spawned from Python (bench/spawn-medians.py), as medians;
# 3. pkid's RSS after IDLE_SECONDS idle on a fresh PKI with nothing due (target: <= 20 MB).
#
# Usage: bench/startup-bench.sh
#   RUNS=N (default 500)  LEAVES=N (default 500)  IDLE_SECONDS=N (default 20)
#   BIN=dir               use pkictl and pkid from this directory instead of the release build
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
RUNS=${RUNS:-500} LEAVES=${LEAVES:-500} IDLE_SECONDS=${IDLE_SECONDS:-20}
command -v cfssl >/dev/null || { echo "cfssl not found: apt-get install golang-cfssl" >&2; exit 1; }
if [[ -z ${BIN:-} ]]; then
    "$ROOT/scripts/build-release.sh" >&2
    BIN="$ROOT/.build-release/release"
fi
BIN=$(cd "$BIN" && pwd)
PKICTL="$BIN/pkictl" PKID="$BIN/pkid"
"$PKICTL" --version >/dev/null && "$PKID" --version >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/startup-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"

# Nanoseconds for `count` runs of a command, its output discarded.
timed() { # count command...
    local count=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    for ((i = 0; i < count; i++)); do "$@" >out 2>/dev/null; done
    t1=$(date +%s%N)
    echo $((t1 - t0))
}

echo "pkictl:  $("$PKICTL" --version) ($PKICTL; $(ldd "$PKICTL" | grep -c 'libswift\|libFoundation') shared Swift libraries)"
echo "cfssl:   $(cfssl version 2>/dev/null | head -1)"
echo "openssl: $(openssl version); nproc: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. a process that prints its version ---------------------------------------------------------
# /bin/true is the floor: what starting any process costs on this machine right now.
pk_version=0 cf_version=0 floor=0
for ((round = 0; round < RUNS; round += 50)); do
    pk_version=$((pk_version + $(timed 50 "$PKICTL" --version)))
    cf_version=$((cf_version + $(timed 50 cfssl version)))
    floor=$((floor + $(timed 50 /bin/true)))
done
runs=$(( (RUNS + 49) / 50 * 50 ))

# --- 2. one leaf per process ----------------------------------------------------------------------
source "$BENCH/cfssl-fixtures.sh"
write_cfssl_fixtures
cfssl gencert -initca ca-csr.json 2>/dev/null | "$PKICTL" cfssljson -bare ca
leaf=(gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=peer leaf-csr.json)
pk_leaf=0 cf_leaf=0
for ((round = 0; round < LEAVES; round += 50)); do
    pk_leaf=$((pk_leaf + $(timed 50 "$PKICTL" "${leaf[@]}")))
    "$PKICTL" cfssljson -f out -bare check-pkictl
    cf_leaf=$((cf_leaf + $(timed 50 cfssl "${leaf[@]}")))
    "$PKICTL" cfssljson -f out -bare check-cfssl
done
leaves=$(( (LEAVES + 49) / 50 * 50 ))
# The last leaf of each tool must be a real leaf of the CA, or the timing means nothing.
openssl verify -CAfile ca.pem check-pkictl.pem check-cfssl.pem >/dev/null
# The same two commands spawned directly from Python, output to /dev/null, medians of interleaved runs: a second
# harness, so the ratio does not rest on one way of timing.
spawned=$(python3 "$BENCH/spawn-medians.py" "$LEAVES" "cfssl gencert" "cfssl ${leaf[*]}" "pkictl gencert" "$PKICTL ${leaf[*]}")

# --- 3. pkid idle ---------------------------------------------------------------------------------
"$PKICTL" init --cert-dir idle/pki --kubeconfig-dir idle --node-name node1 --apiserver-advertise-address 10.0.0.10 \
    --encryption-algorithm ECDSA-P256 --db idle/inventory.db >/dev/null
: >pkid.yaml
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PKID" --config-file pkid.yaml --cert-dir idle/pki --kubeconfig-dir idle --db idle/inventory.db --restart-strategy none \
    --listen "127.0.0.1:$port" --kubelet-client-cert idle/none.pem 2>idle/pkid.log &
PIDS+=($!)
sleep "$IDLE_SECONDS"
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/${PIDS[0]}/status")

python3 - "$runs" "$pk_version" "$cf_version" "$floor" "$leaves" "$pk_leaf" "$cf_leaf" <<'PY'
import sys
runs, pk_v, cf_v, floor, leaves, pk_l, cf_l = (int(v) for v in sys.argv[1:])
print()
print(f"--version, {runs} processes each:")
print(f"  pkictl --version  {pk_v / runs / 1e6:6.2f} ms   (target <= 5 ms)")
print(f"  cfssl version     {cf_v / runs / 1e6:6.2f} ms")
print(f"  /bin/true         {floor / runs / 1e6:6.2f} ms   (starting any process here)")
print(f"gencert, one ECDSA-P256 leaf per process, {leaves} each:")
print(f"  pkictl gencert    {pk_l / leaves / 1e6:6.2f} ms/leaf")
print(f"  cfssl gencert     {cf_l / leaves / 1e6:6.2f} ms/leaf")
print(f"  pkictl/cfssl: {pk_l / cf_l:.2f}x   (target <= 1.00x)")
PY
echo "the same, spawned from Python with output to /dev/null, $leaves each, interleaved:"
echo "$spawned"
python3 -c "import sys; print(f'pkid idle RSS after {sys.argv[2]} s: {int(sys.argv[1]) * 1024 / 1e6:.1f} MB   (target <= 20 MB)')" "$rss_kb" "$IDLE_SECONDS"
