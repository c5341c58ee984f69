#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The guest-running selftests again with the fast paths switched off: the soft TLB
# (SWKVM_CPU_NO_TLB=1) and the decoded-instruction cache (SWKVM_CPU_NO_DCACHE=1); the
# decoded blocks stay on, so they run with every fetch walking (no_blocks.t turns them off).
# Every fast path has an off switch and the functional tests pass both ways.
set -u
O=${O:-build}
out=$(mktemp)
n=0; fail=0
for t in first_guests memslots dirty_log run_exits msrs cpuid ioeventfd irq_inject guest_debug hypercalls; do
	n=$((n + 1))
	if SWKVM_CPU_NO_TLB=1 SWKVM_CPU_NO_DCACHE=1 "$O/tests/selftests/$t" >"$out" 2>&1; then
		echo "ok $n - $t with the soft TLB and the decode cache off"
	else
		echo "not ok $n - $t with the soft TLB and the decode cache off"
		grep -v '^ok' "$out" | sed 's/^/# /'
		fail=1
	fi
done
rm -f "$out"
echo "1..$n"
exit $fail
