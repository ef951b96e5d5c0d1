#!/usr/bin/env bash
# Builds the root filesystem of the test VM hosts (test/harness/network/vmhost.ts): a minimal Debian made
# with debootstrap from Debian's packages, with Debian's sshd. Cached outside the repo, keyed by suite and
# package list; each VM host mounts it read-only under an overlay of its own, so nothing installed "on
# the VM" reaches this machine's files. Prints the root's folder on its last line of stdout.
set -euo pipefail

SUITE=bookworm
PACKAGES=openssh-server,iproute2,iputils-ping,curl,ca-certificates,sudo,procps,iptables,netbase
CACHE_ROOT=${KPLUGINS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-traffic-plugins}
KEY="$SUITE-$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-10)"
OUT="$CACHE_ROOT/vm-root/$KEY"

say() { printf '[vm-root] %s\n' "$*" >&2; }
die() { printf 'vm-root build: %s\n' "$*" >&2; exit 1; }

if [ "${1:-}" = "--print-dir" ]; then echo "$OUT/root"; exit 0; fi

mkdir -p "$CACHE_ROOT/vm-root"
exec 9>"$CACHE_ROOT/vm-root/build.lock"
flock 9
if [ -f "$OUT/.ready" ]; then say "cached"; echo "$OUT/root"; exit 0; fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap); the VM hosts of the test network are unavailable without it"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"

# The mirror this machine's apt uses (Debian's packages), unless KPLUGINS_DEBIAN_MIRROR says otherwise.
mirror=${KPLUGINS_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*\(\S*debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi

tmp="$CACHE_ROOT/vm-root/.build-$KEY"
rm -rf "$tmp"; mkdir -p "$tmp"
say "debootstrap $SUITE (minbase + $PACKAGES) from $mirror"
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp/root" "$mirror" > "$tmp/debootstrap.log" 2>&1; then
  die "debootstrap failed; see $tmp/debootstrap.log: $(tail -1 "$tmp/debootstrap.log")"
fi
# No host keys or machine id baked into the cache: each VM host makes its own per run.
rm -f "$tmp"/root/etc/ssh/ssh_host_* "$tmp/root/etc/machine-id"
rm -rf "$tmp"/root/var/cache/apt/archives/*.deb "$tmp"/root/var/lib/apt/lists/*
mkdir -p "$tmp/root/run/sshd"
rm -rf "$OUT"; mv "$tmp" "$OUT"
touch "$OUT/.ready"
say "done: $(du -sh "$OUT/root" | cut -f1) in $OUT/root"
echo "$OUT/root"
