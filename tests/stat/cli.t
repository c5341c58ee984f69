#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `swkvm stat` command line: kvm_stat's error messages with our exit codes (docs/stat.md),
# -g on a fake /proc, -f help, -z, the log banner every 20 lines, -L with CSV and SIGHUP.
# Guests with real counters are in tests/stat/stat_live.c.
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$O/swkvm"
tmp=$(mktemp -d)
idle_pid=
cleanup() { [ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# expect CODE "stderr" DESCRIPTION -- ARGS...: the exact stderr and the exit code, no stdout
expect() {
  local code=$1 msg=$2 what=$3; shift 4
  local err rc
  err=$(timeout 10 "$SWKVM" stat "$@" </dev/null 2>&1 >"$tmp/out"); rc=$?
  check "$rc" "$code" "$what: exit $code"
  check "$err" "$msg" "$what: message"
  check "$(cat "$tmp/out")" "" "$what: no output"
}

expect 2 "Error: Option -c/--csv requires -l/--log" "-c without -l" -- -c
expect 2 "Error: Option -z/--skip-zero-records requires -l/-L" "-z without -l" -- -1 -z
expect 2 'Error: "0.05": Delay must be >=0.1' "-s too small" -- -s 0.05
expect 2 'Error: "26.0": Delay must be <=25.5' "-s too big, shown as Python shows 26.0" -- -s 26
expect 2 'Error: "1e-05": Delay must be >=0.1' "-s 0.00001 in Python's repr" -- --set-delay=0.00001
expect 2 "swkvm stat: error: argument -s/--set-delay: invalid float value: 'abc' (see swkvm stat --help)" "-s abc" -- -s abc
expect 2 "swkvm stat: error: argument -s/--set-delay: expected one argument (see swkvm stat --help)" "-s without a value" -- -s
expect 2 "swkvm stat: error: argument -p/--pid: invalid int value: '12x' (see swkvm stat --help)" "-p 12x" -- -p 12x
expect 2 "swkvm stat: error: unrecognized arguments: --bogus (see swkvm stat --help)" "unknown option" -- --bogus
expect 2 "swkvm stat: error: unrecognized arguments: extra (see swkvm stat --help)" "an argument" -- -1 extra
expect 2 'Error: "(" is not a valid regular expression' "invalid -f regex" -- -1 -f '('
expect 3 "Did you use a (unsupported) tid instead of a pid?
Specified pid does not exist." "-p of no process" -- -1 -p 2147483647
expect 4 "swkvm stat: the interactive screen needs a terminal (use -1 or -l)" "the screen without a terminal" --
expect 4 "Error: Could not open file: $tmp/no/such/dir/log" "-L into a missing directory" -- -L "$tmp/no/such/dir/log"

# -g on a fake /proc: QEMU-style -name, the guest=NAME form, and two of a name
mkdir -p "$tmp/proc/101" "$tmp/proc/102" "$tmp/proc/103" "$tmp/proc/104"
printf 'qemu\0-name\0web\0' > "$tmp/proc/101/cmdline"
printf 'qemu\0-name\0guest=db,debug-threads=on\0' > "$tmp/proc/102/cmdline"
printf 'swkvm\0run\0-name\0db\0' > "$tmp/proc/103/cmdline"
printf 'lkvm\0run\0--name\0kvmtool\0' > "$tmp/proc/104/cmdline"
export SWKVM_STAT_PROC_ROOT="$tmp/proc"
expect 3 'Error: No guest by the name "nope" found' "-g with no match" -- -1 -g nope
expect 3 'Error: No guest by the name "kvmtool" found' "-g does not see kvmtool's --name (as kvm_stat)" -- -1 -g kvmtool
expect 3 'Error: Multiple processes found (pids: 102 103). Use "-p" to specify the desired pid' "-g with two matches" -- -1 -g db
expect 2 "Error: Option -c/--csv requires -l/--log" "-g is resolved first, then the other checks" -- -g web -c
SWKVM_STAT_PROC_ROOT="$tmp/none" expect 3 'Error while searching for guest "web". Use "-p" to specify a pid instead?' "-g when /proc cannot be read" -- -1 -g web
rm -rf "$tmp/proc"
unset SWKVM_STAT_PROC_ROOT

# the rest watch a process without guests: every field reads 0
sleep 60 & idle_pid=$!

out=$("$SWKVM" stat -f help); rc=$?
check "$rc" 0 "-f help: exit 0"
check "$(echo "$out" | grep -c '^  io_exits$')" 1 "-f help lists io_exits, indented by two"
check "$(echo "$out" | grep -c 'halt_wait_ns')" 0 "-f help leaves out halt_wait_ns (kvm_stat's exempt list)"
check "$(echo "$out" | sort -c && echo sorted)" sorted "-f help is sorted"

err=$("$SWKVM" stat -t -1 -p $idle_pid -f io_exits 2>&1 >"$tmp/out"); rc=$?
check "$rc" 0 "-t: exit 0"
check "$err" "swkvm stat: swkvm has no tracepoints; reading the guests' stats files instead (the debugfs provider)" "-t explains the fallback"
check "$(cat "$tmp/out")" "$(printf '%-42s%10d%10d' io_exits 0 0)" "-t -1: the batch line"

# -l: the banner comes back after every 20 lines; -z drops all-zero lines
timeout 5 "$SWKVM" stat -l -s 0.1 -p $idle_pid -f 'io_exits|exits' > "$tmp/log" 2>&1 &
lp=$!
for _ in $(seq 50); do [ "$(wc -l < "$tmp/log")" -ge 22 ] && break; sleep 0.1; done
kill -TERM $lp; wait $lp; rc=$?
check "$rc" 0 "-l ends with exit 0 on SIGTERM"
check "$(sed -n 1p "$tmp/log")" "exits io_exits " "-l banner"
check "$(sed -n 22p "$tmp/log")" "exits io_exits " "the banner again after 20 lines"
check "$(sed -n 2,21p "$tmp/log" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}         0         0$')" 20 "20 data lines: timestamp and ' %9d' per field"

timeout 5 "$SWKVM" stat -l -z -s 0.1 -p $idle_pid -f io_exits > "$tmp/zlog" 2>&1 &
lp=$!
sleep 0.6
kill -TERM $lp; wait $lp
check "$(cat "$tmp/zlog")" "io_exits " "-z: nothing but the banner while nothing happens"

# -L with CSV: the header only in an empty file; SIGHUP reopens the file (logrotate)
log="$tmp/stat.csv"
"$SWKVM" stat -L "$log" -c -s 0.1 -p $idle_pid -f 'io_exits|halt_exits' 2>"$tmp/err" &
lp=$!
for _ in $(seq 50); do [ "$({ wc -l < "$log"; } 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.1; done
check "$(sed -n 1p "$log")" "timestamp,halt_exits,io_exits" "-L -c: the CSV header"
check "$(sed -n 2p "$log" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},0,0$')" 1 "-L -c: a CSV line"
mv "$log" "$log.1"
kill -HUP $lp
for _ in $(seq 50); do [ "$({ wc -l < "$log"; } 2>/dev/null || echo 0)" -ge 2 ] && break; sleep 0.1; done
check "$(sed -n 1p "$log")" "timestamp,halt_exits,io_exits" "SIGHUP: a new file with its header"
check "$(grep -c timestamp "$log.1")" 1 "the old file has one header only"
kill -TERM $lp; wait $lp; rc=$?
check "$rc" 0 "-L ends with exit 0 on SIGTERM"
check "$(cat "$tmp/err")" "" "-L: nothing on stderr"
lines=$(wc -l < "$log")
"$SWKVM" stat -L "$log" -c -s 0.1 -p $idle_pid -f 'io_exits|halt_exits' 2>/dev/null &
lp=$!
for _ in $(seq 50); do [ "$(wc -l < "$log")" -ge $((lines + 2)) ] && break; sleep 0.1; done
kill -TERM $lp; wait $lp
check "$(grep -c timestamp "$log")" 1 "-L -c on a file with data: no second header"

tap_end
