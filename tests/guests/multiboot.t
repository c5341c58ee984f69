#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The multiboot test kernel (tests/guests/multiboot/mbtest.c) booted by `swkvm run`: the
# boot information, fw_cfg, UART, CMOS, PCI, ACPI and MP tables it reports, and the
# debug-exit status.
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$O/swkvm"
K="$O/tests/guests/multiboot/mbtest.elf"
line() { printf '%s\n' "$out" | grep -m1 "^$1" ; }

scratch
printf 'hello-module\n' > "$tmp/mod"

out=$(timeout 20 "$SWKVM" run -k "$K" -m 64 -p "exit=21 foo" -i "$tmp/mod" </dev/null 2>"$tmp/err"); rc=$?
check "$rc" 43 "debug-exit: a write of 21 exits with (21<<1)|1 = 43"
check "$(line 'mb: magic')" "mb: magic ok flags 24d" "EAX magic; info flags mem|cmdline|mods|mmap|loader"
check "$(line 'mb: mem_lower')" "mb: mem_lower 639 mem_upper 64512" "mem_lower/mem_upper in KiB for 64 MiB"
check "$(line 'mb: cmdline')" "mb: cmdline '$K exit=21 foo'" "command line: kernel name, then -p"
check "$(line 'mb: loader')" "mb: loader 'swkvm'" "boot loader name"
check "$(printf '%s\n' "$out" | grep '^mb: mmap' | tr '\n' '|')" \
  "mb: mmap 0 9fc00 1|mb: mmap 9fc00 400 2|mb: mmap e0000 20000 2|mb: mmap 100000 3f00000 1|" \
  "memory map: low RAM, EBDA, BIOS area, RAM from 1 MiB"
check "$(line 'mb: module')" "mb: module 0 len 13 aligned 1 data 'hello-module'" "the initrd as a page-aligned module"
check "$(line 'fw_cfg: signature')" "fw_cfg: signature 'QEMU' id 1 cpus 1 max_cpus 1" "fw_cfg signature, ID, NB_CPUS, MAX_CPUS"
check "$(line 'fw_cfg: ram')" "fw_cfg: ram 0:04000000" "fw_cfg RAM_SIZE"
check "$(line 'fw_cfg: cmdline')" "fw_cfg: cmdline 12 'exit=21 foo'" "fw_cfg CMDLINE_SIZE (with NUL) and CMDLINE_DATA"
check "$(line 'fw_cfg: file')" "fw_cfg: file 20 'etc/e820' size 80" "fw_cfg file directory: etc/e820, 4 entries of 20 bytes"
check "$(line 'fw_cfg: missing')" "fw_cfg: missing key reads 0" "fw_cfg: an absent key reads 0"
check "$(line 'uart:')" "uart: scratch 5a iir c1 lsr 60 iir-thre c2 then c1 loop-msr 90 loop-rx Q lsr 60" \
  "16550A: scratch, FIFO IIR, THRE interrupt cleared by IIR read, loopback"
check "$(line 'rtc:')" "rtc: year $(date -u +%Y) status-b 2 status-d 80" "CMOS: BCD year from the host clock, 24-hour, VRT"
check "$(line 'pci:')" "pci: cf8 80000000 id 12378086 class 60000 00:01.0 ffffffff" "PCI conf1: host bridge 8086:1237, nothing at 00:01.0"
check "$(line 'acpi:')" "acpi: rsdp rev 2 xsdt ok FACP:ok DSDT:ok pm1a_cnt 604 APIC:ok cpus 1 ioapics 1" "ACPI tables and checksums"
check "$(line 'mptable:')" "mptable: ok entries 21 cpus 1" "MP table"
check "$(printf '%s\n' "$out" | tail -n 1)" "exiting with 21" "nothing runs after the debug-exit write"
check "$(head -n 1 "$tmp/err")" "swkvm: booting $K (multiboot v1 ELF), initrd $tmp/mod, 1 vCPU, 64 MiB, cmdline \"exit=21 foo\"" "one-line summary at start"
check "$(tail -n 1 "$tmp/err" | sed 's/after [0-9.]* s/after T s/')" "swkvm: debug-exit after T s (exit status 43)" "elapsed time at the end"

out=$(timeout 20 "$SWKVM" run -k "$K" -m 64 -c 2 -p "exit=0" </dev/null 2>/dev/null); rc=$?
check "$rc" 1 "exit=0 gives status 1"
check "$(line 'fw_cfg: signature')" "fw_cfg: signature 'QEMU' id 1 cpus 2 max_cpus 2" "-c 2: fw_cfg NB_CPUS 2"
check "$(line 'acpi:')" "acpi: rsdp rev 2 xsdt ok FACP:ok DSDT:ok pm1a_cnt 604 APIC:ok cpus 2 ioapics 1" "-c 2: two MADT processors"
check "$(line 'mptable:')" "mptable: ok entries 22 cpus 2" "-c 2: two MP processor entries"

out=$(timeout 20 "$SWKVM" run -k "$K" -m 5G -p "exit=127" </dev/null 2>/dev/null); rc=$?
check "$rc" 255 "exit=127 gives status 255"
check "$(printf '%s\n' "$out" | grep '^mb: mmap' | tail -n 2 | tr '\n' '|')" \
  "mb: mmap 100000 bff00000 1|mb: mmap 100000000 80000000 1|" "5 GiB: RAM up to the 3 GiB hole, then 2 GiB above 4 GiB"

# The console: Ctrl-A Ctrl-A sends one ^A, Ctrl-A and another key sends nothing
out=$( (sleep 0.5; printf 'a\001\001b\001zc.') | timeout 20 "$SWKVM" run -k "$K" -m 64 -p "exit=2 echo" 2>/dev/null); rc=$?
check "$rc" 5 "echo run exits through debug-exit"
check "$(line 'rx')" "rx 61 01 62 63 2e" "stdin reaches the UART; Ctrl-A Ctrl-A is one ^A, Ctrl-A z is dropped"

# The UART's receive interrupt: KVM_IRQ_LINE on IRQ 4 through the in-kernel 8259 wakes
# the guest's sti; hlt loop (the guest's handler reads the bytes and sends EOI)
out=$( (sleep 0.5; printf 'abc.') | timeout 20 "$SWKVM" run -k "$K" -m 64 -p "exit=4 irq" 2>/dev/null); rc=$?
check "$rc" 9 "irq run exits through debug-exit"
check "$(line 'irq: interrupts')" "irq: interrupts yes bytes 'abc.'" "received bytes arrive by interrupt (IRQ 4, vector 0x24)"

# SMP: the AP waits in KVM_RUN until the BSP's INIT and SIPIs start it in real mode
out=$(timeout 20 "$SWKVM" run -k "$K" -m 64 -c 2 -p "exit=6 smp" </dev/null 2>/dev/null); rc=$?
check "$rc" 13 "smp run exits through debug-exit"
check "$(line 'smp:')" "smp: ap started" "-c 2: INIT, SIPI, SIPI start vCPU 1 at the trampoline"

# Power-off and reset: status 0 and the reason, nothing after the write
for w in "a:the guest powered off" "k:the guest rebooted" "c:the guest rebooted" "p:the guest rebooted (port 0x92 reset)"; do
  out=$(timeout 20 "$SWKVM" run -k "$K" -m 64 -p "off=${w%%:*}" </dev/null 2>"$tmp/err"); rc=$?
  check "$rc" 0 "off=${w%%:*}: status 0"
  check "$(tail -n 1 "$tmp/err" | sed 's/after [0-9.]* s/after T s/')" "swkvm: ${w#*:} after T s (exit status 0)" "off=${w%%:*}: ${w#*:}"
  check "$(printf '%s\n' "$out" | tail -n 1)" "off ${w%%:*}" "off=${w%%:*}: the guest stopped at the write"
done

# A triple fault ends swkvm with status 1 and the vCPU's registers and code bytes
out=$(timeout 20 "$SWKVM" run -k "$K" -m 64 -p "crash" </dev/null 2>"$tmp/err"); rc=$?
check "$rc" 1 "triple fault: status 1"
check "$(grep -c 'vCPU 0: triple fault (KVM_EXIT_SHUTDOWN)' "$tmp/err")" 1 "the crash is named"
check "$(grep -o 'code at 0x[0-9a-f]*: cc' "$tmp/err" | cut -d: -f2)" " cc" "the bytes at RIP: the int3"
check "$(tail -n 1 "$tmp/err" | sed 's/after [0-9.]* s/after T s/')" "swkvm: the guest crashed: triple fault after T s (exit status 1)" "the last line says why"

# Without debug-exit the kernel ends in cli; hlt; Ctrl-A x (stdin not a terminal) ends it
out=$( (sleep 1; printf '\001x') | timeout 20 "$SWKVM" run -k "$K" -m 64 -p "exit=3" --no-debug-exit 2>"$tmp/err"); rc=$?
check "$rc" 0 "--no-debug-exit, then Ctrl-A x: status 0"
check "$(printf '%s\n' "$out" | tail -n 1)" "still running after debug-exit" "--no-debug-exit: the write to 0xf4 is ignored"
check "$(tail -n 1 "$tmp/err" | sed 's/after [0-9.]* s/after T s/')" "swkvm: terminated by Ctrl-A x after T s (exit status 0)" "Ctrl-A x is reported"

tap_end
