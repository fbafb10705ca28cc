#!/usr/bin/env bash
# Builds pkid_<version>_<arch>.deb with dpkg-deb, offline: the two binaries, the systemd unit, the example
# config as a conffile, /var/lib/pkid and the docs, with maintainer scripts that never start pkid.
#
# Usage: scripts/build-deb.sh [--pkictl FILE --pkid FILE] [--out DIR] [--compression xz|gzip|none]
#                             [--allow-swift-runtime]
#   --pkictl/--pkid          package these binaries (default: the release build, made by scripts/build-release.sh
#                            when missing)
#   --out DIR                where the .deb goes (default: .build-release/)
#   --compression C          dpkg-deb's -Z (default xz; tests packaging a large debug build use none)
#   --allow-swift-runtime    accept binaries that load the Swift runtime from the toolchain (a debug build, for
#                            tests on a machine that has it); a release build never needs this
#
# The version is what the packaged pkictl prints for --version, in Debian's spelling. Depends comes from
# dpkg-shlibdeps on the binaries, so the package fits the distribution it is built on.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKICTL="" PKID="" OUT="$ROOT/.build-release" COMPRESSION=xz ALLOW_RUNTIME=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --pkictl) PKICTL=${2:?--pkictl needs a file}; shift 2 ;;
        --pkid) PKID=${2:?--pkid needs a file}; shift 2 ;;
        --out) OUT=${2:?--out needs a directory}; shift 2 ;;
        --compression) COMPRESSION=${2:?--compression needs xz, gzip or none}; shift 2 ;;
        --allow-swift-runtime) ALLOW_RUNTIME=1; shift ;;
        *) echo "build-deb.sh: unknown argument $1 (see the usage at the top of $0)" >&2; exit 2 ;;
    esac
done
if [[ -z $PKICTL && -z $PKID ]]; then
    PKICTL="$ROOT/.build-release/release/pkictl" PKID="$ROOT/.build-release/release/pkid"
    [[ -x $PKICTL && -x $PKID ]] || "$ROOT/scripts/build-release.sh" >&2
elif [[ -z $PKICTL || -z $PKID ]]; then
    echo "build-deb.sh: give both --pkictl and --pkid, or neither" >&2
    exit 2
fi
for binary in "$PKICTL" "$PKID"; do
    [[ -f $binary && -x $binary ]] || { echo "build-deb.sh: $binary is not an executable file" >&2; exit 1; }
done
for tool in dpkg-deb dpkg-shlibdeps objcopy; do
    command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool not found: apt-get install dpkg-dev" >&2; exit 1; }
done

# pkictl prints "0.1.0" or "0.1.0-4-g1a2b3c4[-dirty]" (git describe); Debian orders "~" before and "+" after.
upstream=$("$PKICTL" --version) || { echo "build-deb.sh: $PKICTL --version failed" >&2; exit 1; }
upstream=${upstream#v}
if [[ $upstream =~ ^([0-9][0-9.]*)-([0-9]+)-g([0-9a-f]+)(-dirty)?$ ]]; then
    version="${BASH_REMATCH[1]}+git${BASH_REMATCH[2]}.${BASH_REMATCH[3]}${BASH_REMATCH[4]:+.dirty}"
elif [[ $upstream =~ ^([0-9][0-9.]*)-(.+)$ ]]; then
    version="${BASH_REMATCH[1]}~${BASH_REMATCH[2]//-/.}"
else
    version=$upstream
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "build-deb.sh: $PKICTL --version printed '$upstream', not a version" >&2; exit 1; }
arch=$(dpkg --print-architecture)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pkid-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
pkg="$WORK/pkg"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/pkid" "$pkg/usr/share/doc/pkid"
install -d -m 0700 "$pkg/var/lib/pkid"
install -m 0755 "$PKICTL" "$pkg/usr/bin/pkictl"
install -m 0755 "$PKID" "$pkg/usr/bin/pkid"
# Debug information is most of a Swift binary's size; the symbol table stays, so backtraces keep their names.
for binary in "$pkg/usr/bin/pkictl" "$pkg/usr/bin/pkid"; do objcopy --strip-debug "$binary"; done
install -m 0644 "$ROOT/contrib/pkid.service" "$pkg/lib/systemd/system/pkid.service"
install -m 0644 "$ROOT/contrib/pkid.yaml" "$pkg/etc/pkid/pkid.yaml"
install -m 0644 "$ROOT/README.md" "$ROOT/CHANGELOG.md" "$pkg/usr/share/doc/pkid/"
if [[ -d $ROOT/docs ]]; then
    install -d -m 0755 "$pkg/usr/share/doc/pkid/docs"
    install -m 0644 "$ROOT"/docs/*.md "$pkg/usr/share/doc/pkid/docs/"
fi
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: pkid"
    echo
    echo "Files: *"
    echo "License: Apache-2.0"
    echo " On Debian systems, the full text of the Apache License 2.0 is in"
    echo " /usr/share/common-licenses/Apache-2.0; it is also the LICENSE file of the source."
} >"$pkg/usr/share/doc/pkid/copyright"

echo "/etc/pkid/pkid.yaml" >"$pkg/DEBIAN/conffiles"
for script in postinst postrm; do
    install -m 0755 "$ROOT/packaging/debian/$script" "$pkg/DEBIAN/$script"
done
# prerm carries the held-manifest check that `make uninstall` shares.
awk -v lib="$ROOT/packaging/debian/held-manifests.sh" \
    '$0 == "#HELD_MANIFESTS#" { while ((getline line < lib) > 0) print line; next } { print }' \
    "$ROOT/packaging/debian/prerm" >"$pkg/DEBIAN/prerm"
chmod 0755 "$pkg/DEBIAN/prerm"

# Depends from the libraries the binaries load, as Debian's own packages compute it.
mkdir -p "$WORK/debian"
printf 'Source: pkid\n\nPackage: pkid\nArchitecture: any\n' >"$WORK/debian/control"
shlibdeps_flags=()
[[ $ALLOW_RUNTIME == 1 ]] && shlibdeps_flags+=(--ignore-missing-info)
depends=$(cd "$WORK" && dpkg-shlibdeps -O "${shlibdeps_flags[@]}" "$pkg/usr/bin/pkictl" "$pkg/usr/bin/pkid" 2>"$WORK/shlibdeps.log" \
    | sed -n 's/^shlibs:Depends=//p') || {
    echo "build-deb.sh: dpkg-shlibdeps failed on the binaries:" >&2
    grep -v "should already be installed" "$WORK/shlibdeps.log" >&2 || true
    echo "build-deb.sh: (a binary that loads the Swift runtime from the toolchain needs --allow-swift-runtime; release builds link it in)" >&2
    exit 1
}
libraries=$(ldd "$pkg/usr/bin/pkid" "$pkg/usr/bin/pkictl")
if [[ $ALLOW_RUNTIME == 0 ]] && grep -q 'libswift\|libFoundation\|libdispatch' <<<"$libraries"; then
    echo "build-deb.sh: the binaries load the Swift runtime from the toolchain; build them with scripts/build-release.sh (--static-swift-stdlib)" >&2
    exit 1
fi
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: pkid
Version: $version
Architecture: $arch
Maintainer: pkid maintainers <pkid@localhost>
Installed-Size: $installed_size
Depends: $depends
Recommends: systemd
Suggests: cri-tools
Section: admin
Priority: optional
Description: certificate lifecycle for kubeadm-style Kubernetes clusters
 pkictl creates, checks, renews and distributes a kubeadm cluster's certificates
 and kubeconfigs (kubeadm-compatible files, cfssl-compatible gencert). pkid is the
 daemon that renews them on schedule, restarts static pods one at a time and
 exports Prometheus metrics. The service is installed disabled.
CONTROL

mkdir -p "$OUT"
deb="$OUT/pkid_${version}_${arch}.deb"
dpkg-deb --root-owner-group "-Z$COMPRESSION" --build "$pkg" "$deb" >/dev/null
echo "$deb"
