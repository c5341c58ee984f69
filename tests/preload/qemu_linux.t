#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Debian's unmodified QEMU, `-accel kvm,kernel-irqchip=on -smp 2` (QEMU then requires the
# in-kernel LAPIC, IOAPIC and PIC, and uses the in-kernel PIT), on swkvm through libswkvm-preload.so: SeaBIOS and QEMU's linuxboot option
# ROM boot Debian's cloud kernel with the test initramfs (scripts/guest-image), both vCPUs
# come online, /init's report is checked as tests/boot/linux.t checks it under swkvm run,
# and the ACPI power-off ends QEMU with status 0. About 50 s.
# SWKVM_SKIP_LINUX=1 skips it, like the other Linux boot.
set -u
. "$(dirname "$0")/../lib/tap.sh"
skip_linux

preload_qemu
scripts/guest-image "$O" >/dev/null || { echo "Bail out! scripts/guest-image failed"; exit 1; }
K="$O/guest/vmlinuz"; I="$O/guest/initramfs-test.cpio.gz"
ver=$(sed 's/^vmlinuz-//' "$O/guest/vmlinuz.version")
sha=$(yes swkvm | head -c 1048576 | sha256sum | cut -d' ' -f1)
scratch

timeout 600 env LD_PRELOAD="$PRE" "$QEMU" -accel kvm,kernel-irqchip=on -smp 2 -M pc -m 256 \
	-display none -serial stdio -monitor none -no-reboot -kernel "$K" -initrd "$I" \
	-append "console=ttyS0 panic=-1" </dev/null >"$tmp/out" 2>"$tmp/err"; rc=$?
out=$(tr -d '\r' < "$tmp/out")
line() { printf '%s\n' "$out" | grep -m1 "^$1"; }
check "$rc" 0 "the guest's poweroff ends QEMU with status 0"
check "$(line SWKVM-BOOT-MARKER)" "SWKVM-BOOT-MARKER" "/init ran"
check "$(line 'kernel:')" "kernel: $ver" "uname -r is the Debian kernel"
check "$(line 'online:')" "online: 0-1 nproc: 2" "both vCPUs online (INIT/SIPI through the in-kernel LAPIC)"
check "$(line 'sha256:')" "sha256: $sha  /tmp/f" "sha256sum of 1 MiB"
check "$(line 'uname:' | cut -d' ' -f2-4)" "Linux (none) $ver" "uname -a"
check "$(line 'cpuinfo: processor')" "cpuinfo: processor	: 0" "/proc/cpuinfo"
check "$(line SWKVM-BOOT-DONE)" "SWKVM-BOOT-DONE" "/init finished"
check "$(grep -c "host doesn't support requested feature" "$tmp/err")" 0 \
	"QEMU's CPU model finds every KVM feature it asks for (no kvm-asyncpf warning)"
# NX is advertised and enforced, so the kernel finds its mappings W^X
check "$(printf '%s\n' "$out" | grep -o 'Checked W+X mappings: [a-z]*' | head -1)" \
	"Checked W+X mappings: passed" "the kernel's W+X check passes (NX works)"
[ $fail = 0 ] || { printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'; tail -n 10 "$tmp/err" | sed 's/^/# /'; }
tap_end
