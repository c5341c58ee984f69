#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `swkvm stat` watching a `swkvm run` VM: the multiboot test kernel polls COM1 for input
# ("echo" mode), so every second brings many I/O exits to the VMM. -g finds the VM by its
# -name, -p by its pid; -i adds the exits from before the monitor started.
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$O/swkvm"
K="$O/tests/guests/multiboot/mbtest.elf"
tmp=$(mktemp -d)
vm= dog=
cleanup() { exec 7>&- 2>/dev/null; [ -n "$vm" ] && kill "$vm" 2>/dev/null; [ -n "$dog" ] && kill "$dog" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

name="stat-run-$$"	# unique: other test runs may have guests too
mkfifo "$tmp/in"
# not under timeout(1): its command line would hold " -name $name" too, a second match
"$SWKVM" run -k "$K" -m 16 -name "$name" -p "echo exit=3" <"$tmp/in" >"$tmp/out" 2>&1 &
vm=$!
( sleep 60; kill $vm ) 2>/dev/null &
dog=$!
exec 7>"$tmp/in"
for _ in $(seq 100); do grep -q '^rx' "$tmp/out" 2>/dev/null && break; sleep 0.1; done

# without -i the baseline is the first read: total = delta, and the polling guest moved
out=$("$SWKVM" stat -1 -g "$name" -f 'io_exits|exits'); rc=$?
check "$rc" 0 "-g finds the swkvm run VM by its -name"
check "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" "exits io_exits " "-f: the two fields, sorted"
read -r _ et ed <<<"$(echo "$out" | grep '^exits ')"
read -r _ it id <<<"$(echo "$out" | grep '^io_exits ')"
check "$([ "$it" = "$id" ] && [ "$it" -gt 0 ] && echo yes)" yes "io_exits total = delta > 0 ($it, $id): the guest polls COM1"
check "$([ "$et" -ge "$it" ] && [ "$et" = "$ed" ] && echo yes)" yes "exits ($et) counts at least the I/O exits"

out=$("$SWKVM" stat -1 -i -p $vm -f io_exits); rc=$?
read -r _ t d <<<"$out"
check "$([ "$rc" = 0 ] && [ "$t" -gt "$d" ] && [ "$d" -gt 0 ] && echo yes)" yes "-i -p: the total ($t) includes the exits from before the second ($d)"

printf 'x.' >&7
exec 7>&-
wait $vm; rc=$?
pid=$vm vm=
check "$rc" 7 "the guest read 'x.' and left through debug-exit (3<<1)|1"
out=$("$SWKVM" stat -1 -p "$pid" 2>&1); rc=$?
check "$rc" 3 "-p of the VM that ended: exit 3"

tap_end
