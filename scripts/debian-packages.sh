#!/usr/bin/env bash
# Debian packages the tests need on a fresh machine, installed only when missing (apt-get update
# first): openssl signs the test clusters' certificates; tar and gzip build krew archives; git holds
# the krew index the tests install from; llvm-objcopy (llvm) strips the Node binary of the linux-amd64
# single executable the CLI tests run; the test
# network (test/harness/network/) needs iproute2, nftables (kube-proxy's nftables mode) and iptables
# (its fallback), debootstrap (the VM hosts' Debian root, with Debian's sshd inside it) and the ssh
# client. Not root: says what is missing and goes on (the network tests then skip).
set -euo pipefail
declare -A pkg=([openssl]=openssl [tar]=tar [gzip]=gzip [git]=git [llvm-objcopy]=llvm [ip]=iproute2 [nft]=nftables [iptables]=iptables
  [debootstrap]=debootstrap [ssh]=openssh-client [ssh-keygen]=openssh-client [unshare]=util-linux)
missing=()
for cmd in "${!pkg[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg[$cmd]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" != 0 ]; then
  echo "[packages] missing (install as root: apt-get install ${missing[*]}); the tests that need them are skipped" >&2
  exit 0
fi
echo "[packages] installing Debian packages: ${missing[*]}" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
