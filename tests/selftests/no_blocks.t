#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The guest-running selftests and guest tests again with the decoded-block cache off
# (SWKVM_CPU_NO_BLOCKS=1): every instruction through the per-instruction path, as the
# rest of `make check` runs them with blocks on. Every fast path has an off switch and
# the functional tests pass both ways.
set -u
. "$(dirname "$0")/../lib/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in selftests/first_guests selftests/memslots selftests/dirty_log selftests/run_exits \
	 selftests/msrs selftests/cpuid selftests/ioeventfd selftests/irq_inject selftests/guest_debug \
	 selftests/hypercalls selftests/hw_breakpoints selftests/fuzz_code selftests/lapic_smp \
	 selftests/smm selftests/sse_state guests/page_faults guests/smep_smap guests/tasks_v86 \
	 guests/user_mode guests/reset_to_long guests/far_pointers guests/bcd_adjust guests/smc; do
	SWKVM_CPU_NO_BLOCKS=1 "$O/tests/$t" >"$out" 2>&1
	rc=$?
	check "$rc" 0 "$t with the decoded blocks off"
	[ "$rc" = 0 ] || grep -v '^ok' "$out" | sed 's/^/# /'
done
tap_end
