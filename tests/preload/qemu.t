#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Debian's unmodified QEMU with -accel kvm on swkvm through libswkvm-preload.so: SeaBIOS,
# QEMU's multiboot option ROM and the multiboot test kernel (tests/guests/multiboot) run
# on swkvm's CPU. The guest's report must equal what the same guest prints under QEMU TCG,
# the reference, except for the one e820 entry QEMU adds only for KVM (the 16 KiB it
# reserves for KVM_SET_IDENTITY_MAP_ADDR and KVM_SET_TSS_ADDR at 0xfeffc000).
# QEMU's userspace irqchip (kernel-irqchip=off) here, so that KVM_INTERRUPT injection is
# covered; qemu_linux.t runs QEMU with swkvm's in-kernel irqchip.
set -u
. "$(dirname "$0")/../lib/tap.sh"
K="$O/tests/guests/multiboot/mbtest.elf"

preload_qemu
scratch
common=(-M pc -m 64 -display none -serial stdio -monitor none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$K")
kvm() { env LD_PRELOAD="$PRE" "$QEMU" -accel kvm,kernel-irqchip=off "$@"; }
kvm_only() { grep -v -e '^mb: mmap feffc000 4000 2$' -e "^fw_cfg: file [0-9a-f]* 'etc/e820' size"; }

timeout 60 "$QEMU" -accel tcg "${common[@]}" -append "exit=21 foo" </dev/null >"$tmp/tcg" 2>/dev/null
check "$?" 43 "reference: QEMU TCG runs the test kernel to its debug-exit (21<<1|1)"
timeout 60 env SWKVM_TRACE=1 LD_PRELOAD="$PRE" "$QEMU" -accel kvm,kernel-irqchip=off "${common[@]}" \
	-append "exit=21 foo" </dev/null >"$tmp/kvm" 2>"$tmp/err"
check "$?" 43 "QEMU -accel kvm on swkvm: the same exit status"
calls=$(grep -c '^swkvm: ioctl' "$tmp/err")
check "$([ "$calls" -gt 100 ] && echo yes)" yes "the KVM ioctls went to swkvm (SWKVM_TRACE logged $calls)"
check "$(grep -m1 '^mb: loader' "$tmp/kvm")" "mb: loader 'qemu'" "booted by QEMU's multiboot loader"
check "$(grep -m1 '^fw_cfg: signature' "$tmp/kvm")" "fw_cfg: signature 'QEMU' id 3 cpus 1 max_cpus 1" \
	"QEMU's fw_cfg with DMA"
check "$(grep -m1 '^acpi:' "$tmp/kvm")" \
	"acpi: rsdp rev 0 rsdt ok FACP:ok DSDT:ok pm1a_cnt 604 APIC:ok HPET:ok WAET:ok cpus 1 ioapics 1" \
	"SeaBIOS's ACPI tables"
check "$(grep -c '^mb: mmap feffc000 4000 2$' "$tmp/kvm")" 1 "QEMU reserved the KVM identity-map/TSS pages"
check "$(kvm_only <"$tmp/kvm" | md5sum)" "$(kvm_only <"$tmp/tcg" | md5sum)" \
	"every other line of the guest's report equals QEMU TCG's ($(wc -l <"$tmp/tcg") lines)"
[ "$fail" = 0 ] || diff "$tmp/tcg" "$tmp/kvm" | sed 's/^/# /'

# The UART's receive interrupt through QEMU's userspace 8259: KVM_INTERRUPT injection
mkfifo "$tmp/in"
kvm "${common[@]}" -append "exit=4 irq" <"$tmp/in" >"$tmp/irq" 2>/dev/null &
pid=$!
exec 3>"$tmp/in"
for _ in $(seq 1 300); do grep -q '^irq: waiting' "$tmp/irq" && break; sleep 0.1; done
printf 'abc.' >&3
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null
wait "$pid"; rc=$?
exec 3>&-
check "$rc" 9 "irq run exits through debug-exit (4<<1|1)"
check "$(grep -m1 '^irq: interrupts' "$tmp/irq")" "irq: interrupts yes bytes 'abc.'" \
	"serial input raised IRQ 4, delivered by KVM_INTERRUPT, woke the guest's HLT"
tap_end
