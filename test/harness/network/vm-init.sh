#!/usr/bin/env bash
# Runs inside a VM host's network namespace and private mount and UTS namespaces (unshare): sets its
# hostname, mounts the host's own root (the cached Debian root under an overlay of this host's), /proc,
# a minimal /dev, then runs Debian's sshd chrooted there. The mounts exist only in this mount namespace and go with it, so
# nothing written "on the VM" reaches this machine's files.
set -euo pipefail
lower=$1 upper=$2 work=$3 root=$4 name=$5
hostname "$name"
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$root"
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=755,size=1m tmpfs "$root/dev"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r n ma mi <<<"$d"
  mknod -m 666 "$root/dev/$n" c "$ma" "$mi"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mkdir -p "$root/run/sshd"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
exec chroot "$root" /usr/sbin/sshd -D -e
