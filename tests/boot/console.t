#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `swkvm run` on a terminal (a pty from script(1)): raw mode while the guest runs, the
# terminal's settings restored after a normal exit, after Ctrl-A x and after SIGTERM.
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$(pwd)/$O/swkvm"
K="$(pwd)/$O/tests/guests/multiboot/mbtest.elf"
scratch
command -v script >/dev/null || { echo "1..0 # SKIP no script(1)"; exit 0; }

# run CMD inside a pty; the pty's settings before and after go to $tmp/before, $tmp/after
inpty() {
  local cmd="stty -g > $tmp/before; $1; echo \$? > $tmp/rc; stty -g > $tmp/after"
  script -qec "$cmd" /dev/null >"$tmp/out" 2>&1
}

# a guest that prints the terminal mode it runs under is not possible; instead the guest
# echoes what it receives: in raw mode a typed ^C (0x03) reaches it instead of killing swkvm
(sleep 1; printf 'x\003.') | inpty "'$SWKVM' run -k '$K' -p 'exit=4 echo'"
check "$(cat "$tmp/rc")" 9 "guest exits through debug-exit"
check "$(tr -d '\r' < "$tmp/out" | grep -m1 '^rx')" "rx 78 03 2e" "raw mode: Ctrl-C goes to the guest"
check "$(cat "$tmp/after")" "$(cat "$tmp/before")" "terminal restored after a normal exit"

(sleep 1; printf '\001x') | inpty "'$SWKVM' run -k '$K' -p 'exit=3' --no-debug-exit"
check "$(cat "$tmp/rc")" 0 "Ctrl-A x on a terminal: status 0"
check "$(cat "$tmp/after")" "$(cat "$tmp/before")" "terminal restored after Ctrl-A x"

inpty "'$SWKVM' run -k '$K' -p 'exit=3' --no-debug-exit </dev/tty & p=\$!; sleep 1; stty -g > $tmp/during; kill -TERM \$p; wait \$p"
check "$(cat "$tmp/rc")" 143 "SIGTERM: status 128 + 15"
[ "$(cat "$tmp/during")" != "$(cat "$tmp/before")" ]; check "$?" 0 "the terminal was in raw mode while the guest ran"
check "$(cat "$tmp/after")" "$(cat "$tmp/before")" "terminal restored after SIGTERM"
tap_end
