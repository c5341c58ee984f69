# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# What the .t test scripts share: TAP checks, a scratch directory, the skip switch for
# the slow Linux boots, and QEMU with the preload library. Source it first:
#   . "$(dirname "$0")/../lib/tap.sh"
O=${O:-build}
n=0; fail=0

# check GOT WANT WHAT: one TAP line; a mismatch shows both values and fails the script
check() {
	n=$((n+1))
	if [ "$1" = "$2" ]; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3"; echo "#   got  '$1'"; echo "#   want '$2'"; fail=1
	fi
}

# the plan line, then exit with the script's status
tap_end() { echo "1..$n"; exit $fail; }

# $tmp: a scratch directory removed when the script exits
scratch() { tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; }

# SWKVM_SKIP_LINUX=1 skips the tests that boot the Debian kernel (about a minute each)
skip_linux() {
	if [ "${SWKVM_SKIP_LINUX:-0}" = 1 ]; then
		echo "1..1"; echo "ok 1 # SKIP SWKVM_SKIP_LINUX=1"; exit 0
	fi
}

# QEMU and PRE, what to put in LD_PRELOAD to run it on swkvm: the preload library, after
# the sanitizer runtimes when it is a SANITIZE=1 build (QEMU itself is not instrumented).
# Fails the script when QEMU is missing.
preload_qemu() {
	local lib
	QEMU=qemu-system-x86_64
	lib="$(cd "$O" && pwd)/libswkvm-preload.so"
	PRE="$(ldd "$lib" 2>/dev/null | awk '/libasan|libubsan/ { printf "%s ", $3 }')$lib"
	export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
	if ! command -v "$QEMU" >/dev/null; then
		echo "not ok 1 - $QEMU is missing (scripts/deps installs qemu-system-x86)"
		echo "1..1"; exit 1
	fi
}
