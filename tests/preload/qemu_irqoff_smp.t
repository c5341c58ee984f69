#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Debian's QEMU with `-accel kvm,kernel-irqchip=off -smp 2` (QEMU's userspace LAPIC, IOAPIC
# and PIC start the AP with INIT/SIPI) on swkvm: the Debian kernel brings up both vCPUs,
# /init runs and poweroff ends QEMU with status 0. About 60 s.
#
# QEMU 7.2.22 (Debian 12's 1:7.2+dfsg-7+deb12u18) carries upstream df32e5c568c9
# ("i386/cpu: Prevent delivering SIPI during SMM in TCG mode"), which moved the clearing of
# CPU_INTERRUPT_SIPI out of apic_sipi() into the TCG path, but not its follow-up
# d5e1d2dea11b (QEMU issue 3178), which clears it in kvm_arch_process_async_events(). With
# a userspace LAPIC the AP's SIPI request then stays set forever: once the AP halts (SeaBIOS
# parks it with CLI; HLT), cpu_has_work() is always true while cs->halted stays 1, and the
# AP thread spins in kvm_cpu_exec()/qemu_wait_io_event() holding the BQL, so the VM hangs
# before any output -- on the kernel's KVM as on swkvm. This test therefore applies that
# one-line upstream fix at run time under gdb (CPU_INTERRUPT_SIPI, 0x800, is cleared when
# do_cpu_sipi() is entered; redundant and harmless on a fixed QEMU). Without gdb, or with a
# QEMU that does not export do_cpu_sipi and cpu_reset_interrupt, it is skipped.
# SWKVM_SKIP_LINUX=1 skips it, like the other Linux boots.
set -u
. "$(dirname "$0")/../lib/tap.sh"
skip_linux

preload_qemu
skip() { echo "1..1"; echo "ok 1 # SKIP $1"; exit 0; }
command -v gdb >/dev/null || skip "needs gdb to apply QEMU's missing SIPI clear (upstream d5e1d2dea11b)"
syms=$(nm -D "$(command -v "$QEMU")" 2>/dev/null | awk '$2 == "T" && ($3 == "do_cpu_sipi" || $3 == "cpu_reset_interrupt")' | wc -l)
[ "$syms" = 2 ] || skip "$QEMU does not export do_cpu_sipi and cpu_reset_interrupt"
scripts/guest-image "$O" >/dev/null || { echo "Bail out! scripts/guest-image failed"; exit 1; }
K="$O/guest/vmlinuz"; I="$O/guest/initramfs-test.cpio.gz"
ver=$(sed 's/^vmlinuz-//' "$O/guest/vmlinuz.version")
scratch

cat > "$tmp/gdb" <<'GDB'
set pagination off
set breakpoint pending on
handle SIGUSR1 SIGUSR2 SIG34 SIG35 SIGALRM SIGPIPE SIGINT nostop noprint pass
break do_cpu_sipi
commands
silent
call ((void (*)(void *, int))cpu_reset_interrupt)($rdi, 0x800)
continue
end
run
quit $_exitcode
GDB
timeout -s KILL 300 gdb -q -batch -x "$tmp/gdb" --args env LD_PRELOAD="$PRE" "$QEMU" \
	-accel kvm,kernel-irqchip=off -smp 2 -M pc -m 256 -display none -serial stdio \
	-monitor none -no-reboot -kernel "$K" -initrd "$I" -append "console=ttyS0 panic=-1" \
	</dev/null >"$tmp/out" 2>"$tmp/err"; rc=$?
out=$(tr -d '\r' < "$tmp/out")
line() { printf '%s\n' "$out" | grep -a -m1 "^$1"; }
check "$rc" 0 "the guest's poweroff ends QEMU with status 0"
check "$(printf '%s\n' "$out" | grep -a -o 'smp: Brought up 1 node, [0-9]* CPUs' | head -1)" \
	"smp: Brought up 1 node, 2 CPUs" "the kernel brings up the AP through QEMU's userspace LAPIC"
check "$(line SWKVM-BOOT-MARKER)" "SWKVM-BOOT-MARKER" "/init ran"
check "$(line 'kernel:')" "kernel: $ver" "uname -r is the Debian kernel"
check "$(line 'online:')" "online: 0-1 nproc: 2" "both vCPUs online"
check "$(line SWKVM-BOOT-DONE)" "SWKVM-BOOT-DONE" "/init finished"
[ $fail = 0 ] || { printf '%s\n' "$out" | grep -av '^\[New Thread\|^\[Thread' | tail -n 30 | sed 's/^/# /'; tail -n 10 "$tmp/err" | sed 's/^/# /'; }
tap_end
