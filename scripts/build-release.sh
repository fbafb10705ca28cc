#!/usr/bin/env bash
# Release build of pkictl and pkid: optimised, with the Swift runtime and Foundation linked in
# (--static-swift-stdlib), so they run on a machine without a Swift toolchain. Only Debian's own libraries stay
# shared (libc, libm, libssl/libcrypto 3, libsqlite3, libz); the check at the end refuses anything else.
#
# Usage: scripts/build-release.sh        binaries in .build-release/release/
#   VERSION=1.2.3 scripts/build-release.sh   stamp this version instead of `git describe`
#
# The version: `git describe --tags` of this tree, written into ReleaseVersion.swift for the build and put back
# afterwards; without tags (or git) the committed fallback stays.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRATCH="$ROOT/.build-release"
VERSION_FILE="$ROOT/Sources/PKICore/CommandLine/ReleaseVersion.swift"
cd "$ROOT"

version=${VERSION:-$(git describe --tags --dirty --match 'v[0-9]*' 2>/dev/null || true)}
version=${version#v}
if [[ -n $version ]]; then
    [[ $version =~ ^[0-9A-Za-z.+~-]+$ ]] || { echo "build-release.sh: '$version' is not a version" >&2; exit 2; }
    saved=$(mktemp)
    cp -p "$VERSION_FILE" "$saved"
    trap 'cp -p "$saved" "$VERSION_FILE"; rm -f "$saved"' EXIT
    sed -i "s/static let current = \"[^\"]*\"/static let current = \"$version\"/" "$VERSION_FILE"
fi

# The static stdlib's link arguments export every symbol of our own objects (-export-dynamic): 14,000 names that
# the Swift runtime's start-up dladdr() walks through and that nothing looks up. --no-export-dynamic keeps them
# private (the backtracer reads the symbol table, not the dynamic one).
#
# libstdc++ and libgcc (used by the Swift runtime, Foundation and ICU) are linked in as well: two shared libraries
# fewer to map and relocate at every start (3,300 symbol relocations in libstdc++ alone), and no GLIBCXX version
# for a host to match. The static libstdc++ is found by a directory that holds only it, searched before the one
# with libstdc++.so. lld links, because gold keeps a reference to glibc 2.36's arc4random from libstdc++'s
# std::random_device (unused here) that would lock out glibc 2.35 hosts. GCC's runtime library exception covers
# linking both into any program.
CLANG="$(dirname "$(readlink -f "$(command -v swiftc)")")/clang"
LIBSTDCXX=$("$CLANG" -print-file-name=libstdc++.a)
[[ -f $LIBSTDCXX ]] || { echo "build-release.sh: no static libstdc++ (libstdc++.a): apt-get install libstdc++-12-dev" >&2; exit 1; }
mkdir -p "$SCRATCH/static-libstdc++"
ln -sfn "$LIBSTDCXX" "$SCRATCH/static-libstdc++/libstdc++.a"
FLAGS=(-c release --static-swift-stdlib --scratch-path "$SCRATCH" -Xlinker --no-export-dynamic
       -Xswiftc -use-ld=lld -Xswiftc -L -Xswiftc "$SCRATCH/static-libstdc++" -Xswiftc -Xclang-linker -Xswiftc -static-libgcc)
swift build "${FLAGS[@]}" --product pkictl
swift build "${FLAGS[@]}" --product pkid
BIN="$SCRATCH/release"

# Runnable without Swift: every shared library must be a system one, none from the toolchain.
status=0
for binary in "$BIN/pkictl" "$BIN/pkid"; do
    foreign=$(ldd "$binary" | awk '$1 ~ /^lib/ && $1 !~ /^(libc|libm|libdl|librt|libpthread|libssl|libcrypto|libsqlite3|libz|libutil|libresolv)\.so/ { print $1 }')
    if [[ -n $foreign ]]; then
        echo "build-release.sh: $binary loads libraries a machine without Swift lacks: $foreign" >&2
        status=1
    fi
done
[[ $status == 0 ]] || exit 1
echo "$("$BIN/pkictl" --version): $BIN/pkictl $BIN/pkid"
