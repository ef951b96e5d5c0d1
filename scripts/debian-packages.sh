#!/usr/bin/env bash
# Debian packages the tests need on a fresh machine, installed only when missing (apt-get update
# first): openssl signs the test clusters' certificates; tar and gzip build krew archives; git holds
# the krew index the tests install from; llvm-objcopy (llvm) strips the Node binary of the linux-amd64
# single executable the CLI tests run; the test
# network (test/harness/network/) needs iproute2, nftables (kube-proxy's nftables mode) and iptables
# (its fallback), debootstrap (the VM hosts' Debian root, with Debian's sshd inside it) and the ssh
# client; prometheus (Debian's 2.42, its PromQL has everything the canary checks use) answers the
# metric analysis tests, started by the harness on its own ports: its package's service is never left
# running or enabled. Not root: says what is missing and goes on (the network tests then skip).
set -euo pipefail
declare -A pkg=([openssl]=openssl [tar]=tar [gzip]=gzip [git]=git [llvm-objcopy]=llvm [ip]=iproute2 [nft]=nftables [iptables]=iptables
  [debootstrap]=debootstrap [ssh]=openssh-client [ssh-keygen]=openssh-client [unshare]=util-linux [prometheus]=prometheus)
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
# No service may start from a postinst (prometheus's would listen on :9090): a policy-rc.d saying so
# while apt runs, unless the machine has one already.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
trap 'if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
others=()
for p in "${missing[@]}"; do [ "$p" = prometheus ] || others+=("$p"); done
[ "${#others[@]}" -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${others[@]}" >&2
if [ "${#others[@]}" -ne "${#missing[@]}" ]; then
  # Without its recommended node exporter (another service).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus.service >/dev/null 2>&1 || true; fi
fi
