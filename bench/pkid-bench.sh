#!/usr/bin/env bash
# pkid idle cost and renewal latency.
#
# 1. Idle: pkid on a fresh PKI with nothing due (restart strategy none, 1h check interval). After a 5 s
#    settle, samples VmRSS every second for IDLE_SECONDS (default 60) and the CPU time it used over that span
#    (utime+stime from /proc). Targets: idle RSS <= 30 MB, idle CPU < 0.1%.
# 2. Latency: a PKI whose leaves live 10 minutes and renew-before 9m, so the apiserver certificate enters its
#    window 15-60 s after start (the per-host jitter decides where). Reads the due time pkid exports
#    (pkid_next_renewal_timestamp_seconds{name="apiserver"}) and the mtime of the renewed apiserver.crt:
#    latency = mtime - due time. pkid sleeps until the due time itself, so this measures the wake-up plus
#    one renewal pass, not a polling interval.
#
# Usage: bench/pkid-bench.sh
#   IDLE_SECONDS=N     idle sampling span (default 60)
#   STATIC=0           build against the shared Swift runtime instead of --static-swift-stdlib
#   BIN=dir            use pkictl and pkid from this directory instead of building them
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
IDLE_SECONDS=${IDLE_SECONDS:-60}
if [[ -z ${BIN:-} ]]; then
    # pkid ships built with --static-swift-stdlib (see README): the Swift runtime, Foundation and ICU are then
    # pages of pkid's own file, which it hands back to the kernel while idle. STATIC=0 measures the shared build.
    if [[ ${STATIC:-1} == 1 ]]; then
        build=(swift build -c release --static-swift-stdlib --scratch-path "$ROOT/.build/static")
    else
        build=(swift build -c release)
    fi
    (cd "$ROOT" && "${build[@]}" --product pkictl >&2 && "${build[@]}" --product pkid >&2)
    BIN="$(cd "$ROOT" && "${build[@]}" --show-bin-path)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pkid-bench.XXXXXX")
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

: >"$WORK/pkid.yaml"   # an empty pkid config file: flags only, whatever /etc/pkid holds
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
scrape() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1" 2>/dev/null || true; }

echo "nproc: $(nproc); pkid: $BIN/pkid"

# --- 1. idle RSS and CPU -------------------------------------------------------------------------
idle="$WORK/idle"
"$BIN/pkictl" init --cert-dir "$idle/pki" --kubeconfig-dir "$idle" --node-name node1 \
    --apiserver-advertise-address 10.0.0.10 --encryption-algorithm ECDSA-P256 --db "$idle/inventory.db" >/dev/null
port=$(free_port)
"$BIN/pkid" --config-file "$WORK/pkid.yaml" --cert-dir "$idle/pki" --kubeconfig-dir "$idle" --db "$idle/inventory.db" \
    --restart-strategy none --listen "127.0.0.1:$port" --kubelet-client-cert "$idle/none.pem" 2>"$idle/pkid.log" &
pid=$!
PIDS+=("$pid")
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
max_rss=0
for ((s = 0; s < IDLE_SECONDS; s++)); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    ((rss > max_rss)) && max_rss=$rss
    sleep 1
done
t1=$(ticks)
anon=$(awk '/^Anonymous:/ {print $2}' "/proc/$pid/smaps_rollup")
pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
python3 - "$max_rss" "$t0" "$t1" "$hz" "$IDLE_SECONDS" "$anon" "$pss" <<'PY'
import sys
rss_kb, t0, t1, hz, span, anon_kb, pss_kb = (float(v) for v in sys.argv[1:])
cpu = (t1 - t0) / hz / span * 100
print(f"idle RSS (max over {span:.0f} s): {rss_kb / 1024:.1f} MiB  (target <= 30 MB); "
      f"at the end: anonymous {anon_kb / 1024:.1f} MiB, PSS {pss_kb / 1024:.1f} MiB")
print(f"idle CPU over {span:.0f} s: {cpu:.3f}%  ({t1 - t0:.0f} ticks of 1/{hz:.0f} s; target < 0.1%)")
PY
kill -TERM "$pid"; wait "$pid" || true

# --- 2. latency from entering the window to renewed files ----------------------------------------
late="$WORK/latency"
mkdir -p "$late"
cat >"$late/kubeadm.yaml" <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: node1
localAPIEndpoint:
  advertiseAddress: 10.0.0.10
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
certificateValidityPeriod: 10m
encryptionAlgorithm: ECDSA-P256
YAML
"$BIN/pkictl" init --config "$late/kubeadm.yaml" --cert-dir "$late/pki" --kubeconfig-dir "$late" --db "$late/inventory.db" >/dev/null
before=$(stat -c %Y "$late/pki/apiserver.crt")
port=$(free_port)
"$BIN/pkid" --config-file "$WORK/pkid.yaml" --config "$late/kubeadm.yaml" --cert-dir "$late/pki" --kubeconfig-dir "$late" \
    --db "$late/inventory.db" --restart-strategy none --renew-before 9m --listen "127.0.0.1:$port" \
    --kubelet-client-cert "$late/none.pem" 2>"$late/pkid.log" &
pid=$!
PIDS+=("$pid")
due=""
for _ in $(seq 100); do
    due=$(scrape "http://127.0.0.1:$port/metrics" | awk -F'} ' '/^pkid_next_renewal_timestamp_seconds\{name="apiserver"\}/ {print $2}')
    [[ -n $due ]] && break
    sleep 0.1
done
[[ -n $due ]] || { echo "pkid exported no due time"; tail "$late/pkid.log"; exit 1; }
for _ in $(seq 900); do
    [[ $(stat -c %Y "$late/pki/apiserver.crt") != "$before" ]] && break
    sleep 0.1
done
python3 - "$late/pki/apiserver.crt" "$due" <<'PY'
import os, sys, time
mtime = os.stat(sys.argv[1]).st_mtime
due = float(sys.argv[2])
if mtime <= due - 1:
    sys.exit("apiserver.crt was not renewed")
print(f"window entered at {time.strftime('%H:%M:%S', time.gmtime(due))} UTC; renewed files on disk {mtime - due:.3f} s later")
PY
kill -TERM "$pid"; wait "$pid" || true
