#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boots Debian's cloud kernel with the test initramfs (scripts/guest-image) under
# `swkvm run`, with 1 and 2 vCPUs, and checks what its /init prints and the exit status.
# It downloads the kernel and busybox once (cached in $O/guest); about 50 s per boot.
# SWKVM_SKIP_LINUX=1 skips it for a quick local run (make check-linux runs only it).
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$O/swkvm"
skip_linux
scripts/guest-image "$O" >/dev/null || { echo "Bail out! scripts/guest-image failed"; exit 1; }
K="$O/guest/vmlinuz"; I="$O/guest/initramfs-test.cpio.gz"
ver=$(sed 's/^vmlinuz-//' "$O/guest/vmlinuz.version")
sha=$(yes swkvm | head -c 1048576 | sha256sum | cut -d' ' -f1)
scratch

for cpus in 1 2; do
  timeout 600 "$SWKVM" run -k "$K" -i "$I" -c "$cpus" -m 256M -p quiet --boot-time \
    </dev/null >"$tmp/out" 2>"$tmp/err"; rc=$?
  out=$(tr -d '\r' < "$tmp/out")
  line() { printf '%s\n' "$out" | grep -m1 "^$1"; }
  online=$([ "$cpus" = 1 ] && echo 0 || echo "0-$((cpus-1))")
  check "$rc" 0 "-c $cpus: poweroff ends swkvm with status 0"
  check "$(line SWKVM-BOOT-MARKER)" "SWKVM-BOOT-MARKER" "-c $cpus: /init ran"
  check "$(line 'kernel:')" "kernel: $ver" "-c $cpus: uname -r is the Debian kernel"
  check "$(line 'online:')" "online: $online nproc: $cpus" "-c $cpus: online CPUs"
  check "$(line 'sha256:')" "sha256: $sha  /tmp/f" "-c $cpus: sha256sum of 1 MiB"
  check "$(line 'uname:' | cut -d' ' -f2-4)" "Linux (none) $ver" "-c $cpus: uname -a"
  check "$(line 'cpuinfo: processor')" "cpuinfo: processor	: 0" "-c $cpus: /proc/cpuinfo"
  check "$(line SWKVM-BOOT-DONE)" "SWKVM-BOOT-DONE" "-c $cpus: /init finished"
  grep -q "the guest powered off" "$tmp/err"; check "$?" 0 "-c $cpus: the ACPI power-off is reported"
  grep -q "boot-time: first console output at" "$tmp/err"; check "$?" 0 "-c $cpus: --boot-time reports the first console output"
  [ $fail = 0 ] || { sed 's/^/# /' "$tmp/err" | tail -n 20; }
done
tap_end
