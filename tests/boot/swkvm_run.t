#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# End to end through the swkvm command: the demo guest's output and the exit codes.
set -u
O=${O:-build}
SWKVM="$O/swkvm"
n=0; fail=0
check() { n=$((n+1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got '$1', wanted '$2'"; fail=1; fi; }

out=$("$SWKVM" run </dev/null 2>&1); rc=$?
check "$rc" 0 "swkvm run exits 0 when the demo guest halts"
check "$(printf '%s\n' "$out" | tail -n 1)" "Hello from a guest on swkvm's software x86 CPU." "the guest's serial output reaches stdout"

"$SWKVM" run --bogus >/dev/null 2>&1; check "$?" 2 "unknown option: exit 2"
msg=$("$SWKVM" run --bogus 2>&1 >/dev/null); check "$(printf '%s\n' "$msg" | wc -l)" 1 "one-line error for an unknown option"
"$SWKVM" run -k /nonexistent >/dev/null 2>&1; check "$?" 3 "kernel boot not implemented yet: exit 3"
"$SWKVM" >/dev/null 2>&1; check "$?" 2 "no command: exit 2"
"$SWKVM" frobnicate >/dev/null 2>&1; check "$?" 2 "unknown command: exit 2"
"$SWKVM" version >/dev/null 2>&1; check "$?" 0 "swkvm version"
echo "1..$n"
exit $fail
