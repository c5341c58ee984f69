#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `swkvm stat` as a drop-in kvm_stat for an unmodified QEMU: QEMU -accel kvm on swkvm
# through the preload library, named QEMU's way (-name guest=NAME,debug-threads=on),
# running the multiboot test kernel that polls COM1 until it reads a '.'.
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$O/swkvm"
K="$O/tests/guests/multiboot/mbtest.elf"
preload_qemu
tmp=$(mktemp -d)
vm= dog=
cleanup() { exec 7>&- 2>/dev/null; [ -n "$vm" ] && kill "$vm" 2>/dev/null; [ -n "$dog" ] && kill "$dog" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

name="qstat-$$"	# unique: other test runs may have guests too
mkfifo "$tmp/in"
# exec: the pid is QEMU's, and no wrapper process holds the -name too
( export LD_PRELOAD="$PRE" ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0; exec "$QEMU" -accel kvm,kernel-irqchip=off -M pc -m 64 -display none \
	-serial stdio -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-kernel "$K" -name "guest=$name,debug-threads=on" -append "echo exit=3" ) <"$tmp/in" >"$tmp/out" 2>&1 &
vm=$!
( sleep 60; kill $vm ) 2>/dev/null &
dog=$!
exec 7>"$tmp/in"
for _ in $(seq 300); do grep -q '^rx' "$tmp/out" 2>/dev/null && break; sleep 0.1; done

out=$("$SWKVM" stat -1 -g "$name" -f 'io_exits|mmio_exits'); rc=$?
check "$rc" 0 "-g finds QEMU's guest by -name guest=NAME,debug-threads=on"
read -r _ it id <<<"$(echo "$out" | grep '^io_exits ')"
check "$([ -n "$it" ] && [ "$it" = "$id" ] && [ "$it" -gt 0 ] && echo yes)" yes \
	"io_exits total = delta > 0 ($it, $id): QEMU's vCPU thread polls COM1 through swkvm"
check "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" "io_exits mmio_exits " "the fields"

out=$("$SWKVM" stat -l -s 0.2 -p $vm -f io_exits | head -3); rc=$?
check "$(echo "$out" | sed -n 1p)" "io_exits " "-l -p QEMU's pid: the banner"
check "$(echo "$out" | sed -n '2,3p' | grep -cE '^[0-9-]{10} [0-9:]{8} +[1-9][0-9]*$')" 2 "-l: deltas that move"

printf 'x.' >&7
exec 7>&-
wait $vm; rc=$?
vm=
check "$rc" 7 "QEMU's guest read 'x.' and left through debug-exit (3<<1)|1"

tap_end
