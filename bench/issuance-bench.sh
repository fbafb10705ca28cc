#!/usr/bin/env bash
# In-process certificate issuance, PKICore against Python's `cryptography` on the same OpenSSL, in one run:
# the same certificate (one pre-made ECDSA P-256 key, a fresh serial, 2 DNS and 2 IP SANs, keyUsage,
# extKeyUsage, basicConstraints, authority key id) signed by an ECDSA P-256 CA, round after round, alternating.
# PKICore checks every signature it makes against the CA's public key before a certificate leaves it, so the
# target compares it with Python doing the same; Python signing only is printed too.
#
# "Same OpenSSL" is Debian's python3-cryptography under /usr/bin/python3, which links the system libcrypto that
# pkictl links. The pip wheel of `cryptography` carries its own, newer OpenSSL; when python3 on PATH has it, it
# is measured too, as a reference.
#
# Usage: bench/issuance-bench.sh
#   ROUNDS=N      rounds (default 5); each measures each side for SECONDS
#   SECONDS_EACH  seconds per measure (default 3)
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
ROUNDS=${ROUNDS:-5}
SECONDS_EACH=${SECONDS_EACH:-3}
SYSTEM_PYTHON=/usr/bin/python3
"$SYSTEM_PYTHON" -c 'import cryptography' 2>/dev/null || { echo "Debian's python3-cryptography is missing: apt-get install python3-cryptography" >&2; exit 1; }
(cd "$ROOT" && swift build -c release --product pkictl-issuance-bench >&2)
BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)"
PIP_PYTHON=$(command -v python3)
[[ "$PIP_PYTHON" != "$SYSTEM_PYTHON" ]] && "$PIP_PYTHON" -c 'import cryptography' 2>/dev/null || PIP_PYTHON=""

echo "openssl (system): $(openssl version)"
echo "python (system):  $("$SYSTEM_PYTHON" -c 'import cryptography, sys; print(sys.version.split()[0], "cryptography", cryptography.__version__)')"
[[ -n $PIP_PYTHON ]] && echo "python (pip):     $("$PIP_PYTHON" -c 'import cryptography, sys; print(sys.version.split()[0], "cryptography", cryptography.__version__)')"
echo "nproc:            $(nproc); rounds: $ROUNDS x ${SECONDS_EACH}s per side"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= ROUNDS; round++)); do
    swift_rate=$("$BIN/pkictl-issuance-bench" 1000 "$SECONDS_EACH" | sed -n 's/.*certificates_per_second=\([0-9]*\).*/\1/p')
    system_line=$("$SYSTEM_PYTHON" "$BENCH/issuance_python.py" 1000 "$SECONDS_EACH" | grep RESULT)
    verified_line=$("$SYSTEM_PYTHON" "$BENCH/issuance_python.py" 1000 "$SECONDS_EACH" verify | grep RESULT)
    pip_line=""
    [[ -n $PIP_PYTHON ]] && pip_line=$("$PIP_PYTHON" "$BENCH/issuance_python.py" 1000 "$SECONDS_EACH" | grep RESULT)
    echo "round $round: pkictl $swift_rate/s; python (system OpenSSL) ${system_line#RESULT }; verifying ${verified_line#RESULT }; python (pip) ${pip_line#RESULT }" >&2
    echo "$swift_rate ${system_line} ${pip_line} VERIFIED ${verified_line}" >>"$results"
done

python3 - "$results" <<'PY'
import re, statistics, sys
rows = [line.split(None, 1) for line in open(sys.argv[1])]
swift = [float(r[0]) for r in rows]
found = [re.findall(r"certificates_per_second=(\d+) openssl=(\S+)", r[1].split("VERIFIED")[0]) for r in rows]
verified = [float(re.findall(r"certificates_per_second=(\d+)", r[1].split("VERIFIED")[1])[0]) for r in rows]
system = [float(f[0][0]) for f in found]
pip = [float(f[1][0]) for f in found if len(f) > 1]
med = statistics.median
print()
print(f"certificates per second, median of {len(rows)} rounds (min-max):")
print(f"  pkictl (PKICore, system OpenSSL {found[0][0][1]}):      {med(swift):8.0f}  ({min(swift):.0f}-{max(swift):.0f})")
print(f"  Python cryptography (system OpenSSL {found[0][0][1]}):  {med(system):8.0f}  ({min(system):.0f}-{max(system):.0f})   signs only")
print(f"  ... and verifying each, as pkictl does:         {med(verified):8.0f}  ({min(verified):.0f}-{max(verified):.0f})")
if pip:
    print(f"  Python cryptography (its own OpenSSL {found[0][1][1]}):  {med(pip):8.0f}  ({min(pip):.0f}-{max(pip):.0f})")
print(f"pkictl / Python on the same OpenSSL, both verifying: {med(swift) / med(verified):.2f}x  (target >= 1.5x)")
print(f"pkictl / Python signing only:                       {med(swift) / med(system):.2f}x")
if pip:
    print(f"pkictl / Python on its own OpenSSL:  {med(swift) / med(pip):.2f}x")
PY
