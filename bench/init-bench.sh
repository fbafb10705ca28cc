#!/usr/bin/env bash
# Full-init benchmark: `pkictl init` against bench/openssl-init.sh, measured
# in one run on one machine so the ratios are comparable.
#
# Usage: bench/init-bench.sh
#   ROUNDS=N       rounds to run (default 5)
#   PKICTL=path    benchmark this binary instead of building one
#
# Each round runs, in this order, each in a fresh temp dir:
#   (a) pkictl init --encryption-algorithm RSA-2048
#   (b) pkictl init --encryption-algorithm ECDSA-P256
#   (c) bench/openssl-init.sh D rsa
#   (d) bench/openssl-init.sh D ecdsa
# and reports medians plus the ratios against the targets in bench/README.md.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
ROUNDS=${ROUNDS:-5}
if ! [[ $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: ROUNDS must be a positive integer, not '$ROUNDS'" >&2
    exit 2
fi

# --- build ---------------------------------------------------------------------
# PKICTL=/path/to/pkictl skips the build and benchmarks that binary instead.
if [[ -z ${PKICTL:-} ]]; then
    echo "building pkictl (release)..." >&2
    (cd "$ROOT" && swift build -c release --product pkictl >&2)
    PKICTL="$(cd "$ROOT" && swift build -c release --show-bin-path)/pkictl"
fi
if [[ ! -x $PKICTL ]]; then
    echo "$0: no executable pkictl at $PKICTL" >&2
    exit 1
fi
OPENSSL_INIT="$BENCH/openssl-init.sh"

# --- scratch space ---------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/init-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results"   # lines: variant elapsed_ns peak_rss_kb|-
: >"$RESULTS"

# Peak RSS via GNU time when it is installed. Every timed command goes through
# the same wrapper so the fork/exec overhead is the same on both sides.
if [[ -x /usr/bin/time ]]; then
    HAVE_TIME=1
else
    HAVE_TIME=0
    echo "note: /usr/bin/time not found; skipping peak RSS" >&2
fi

# run_one VARIANT CMD... -- run CMD in a fresh dir (CMD may use the literal
# word @D@ for it), time it, record the result, check the output, clean up.
run_one() {
    local variant=$1; shift
    local d
    d=$(mktemp -d "$WORK/run.XXXXXX")
    local args=() a
    for a in "$@"; do args+=("${a//@D@/$d}"); done

    local t0 t1 rc=0
    if ((HAVE_TIME)); then
        t0=$(date +%s%N)
        /usr/bin/time -f %M -o "$WORK/rss" "${args[@]}" >/dev/null 2>"$WORK/stderr" || rc=$?
        t1=$(date +%s%N)
    else
        t0=$(date +%s%N)
        "${args[@]}" >/dev/null 2>"$WORK/stderr" || rc=$?
        t1=$(date +%s%N)
    fi
    if ((rc != 0)); then
        echo "$0: $variant failed (exit $rc): ${args[*]}" >&2
        cat "$WORK/stderr" >&2
        exit 1
    fi

    # Both sides must have made the whole PKI, or the timing means nothing.
    local f
    for f in pki/ca.crt pki/front-proxy-ca.crt pki/etcd/ca.crt pki/sa.key pki/sa.pub \
             pki/apiserver.crt pki/apiserver-kubelet-client.crt pki/front-proxy-client.crt \
             pki/etcd/server.crt pki/etcd/peer.crt pki/etcd/healthcheck-client.crt \
             pki/apiserver-etcd-client.crt \
             admin.conf super-admin.conf kubelet.conf controller-manager.conf scheduler.conf; do
        if [[ ! -s $d/$f ]]; then
            echo "$0: $variant did not write $f" >&2
            exit 1
        fi
    done

    local rss=-
    if ((HAVE_TIME)); then
        # GNU time writes "Command exited..." lines before %M on failure; take the last line.
        rss=$(tail -n 1 "$WORK/rss")
    fi
    echo "$variant $((t1 - t0)) $rss" >>"$RESULTS"
    rm -rf "$d"
}

# --- measure ---------------------------------------------------------------------
# One untimed warm-up of each side so the first timed round does not pay for
# a cold page cache.
echo "warm-up..." >&2
run_one warmup "$PKICTL" init --cert-dir @D@/pki --kubeconfig-dir @D@ --node-name node1 \
    --apiserver-advertise-address 10.0.0.10 --encryption-algorithm ECDSA-P256
run_one warmup "$OPENSSL_INIT" @D@ ecdsa

for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r/$ROUNDS..." >&2
    # What the harness itself costs: an empty command timed the same way.
    if ((HAVE_TIME)); then
        t0=$(date +%s%N); /usr/bin/time -f %M -o "$WORK/rss" true; t1=$(date +%s%N)
    else
        t0=$(date +%s%N); /bin/true; t1=$(date +%s%N)
    fi
    echo "harness $((t1 - t0)) -" >>"$RESULTS"
    for algo in RSA-2048 ECDSA-P256; do
        run_one "pkictl-$algo" "$PKICTL" init --cert-dir @D@/pki --kubeconfig-dir @D@ \
            --node-name node1 --apiserver-advertise-address 10.0.0.10 \
            --encryption-algorithm "$algo"
    done
    run_one openssl-RSA-2048 "$OPENSSL_INIT" @D@ rsa
    run_one openssl-ECDSA-P256 "$OPENSSL_INIT" @D@ ecdsa
done

# --- report ----------------------------------------------------------------------
echo
echo "openssl version: $(openssl version)"
echo "nproc:           $(nproc)"
echo "rounds:          $ROUNDS"
echo "pkictl:          $PKICTL"
echo
python3 - "$RESULTS" <<'PY'
import statistics, sys

runs = {}
overhead = []
for line in open(sys.argv[1]):
    variant, ns, rss = line.split()
    if variant == "warmup":
        continue
    if variant == "harness":
        overhead.append(int(ns) / 1e9)
        continue
    runs.setdefault(variant, []).append((int(ns) / 1e9, None if rss == "-" else int(rss)))

order = ["pkictl-RSA-2048", "pkictl-ECDSA-P256", "openssl-RSA-2048", "openssl-ECDSA-P256"]
med = {}
print(f"{'variant':<20} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MiB':>13}")
for v in order:
    secs = [s for s, _ in runs[v]]
    rss = [k for _, k in runs[v] if k is not None]
    med[v] = statistics.median(secs)
    peak = f"{max(rss) / 1024:.1f}" if rss else "n/a"
    print(f"{v:<20} {med[v]:>9.3f} {min(secs):>7.3f} {max(secs):>7.3f} {peak:>13}")
print("(peak RSS of the openssl script is its largest single child process)")
print(f"timing overhead included in every row above: {statistics.median(overhead) * 1e3:.1f} ms median"
      " (an empty command timed the same way)")
print()

def verdict(ok):
    return "MET" if ok else "MISSED"

rsa = med["pkictl-RSA-2048"] / med["openssl-RSA-2048"]
ec = med["pkictl-ECDSA-P256"] / med["openssl-ECDSA-P256"]
ec_abs = med["pkictl-ECDSA-P256"]
print(f"pkictl/openssl RSA-2048:    {rsa:.3f}x   (target <= 0.5x)   {verdict(rsa <= 0.5)}")
print(f"pkictl/openssl ECDSA-P256:  {ec:.3f}x")
print(f"pkictl ECDSA-P256 median:   {ec_abs:.3f} s  (target <= 0.100 s) {verdict(ec_abs <= 0.1)}")
PY
