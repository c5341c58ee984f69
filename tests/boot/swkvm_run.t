#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `swkvm run` on bad command lines and bad images: each gives one clear line on stderr and
# its exit code (docs/run.md), before any guest runs.
set -u
. "$(dirname "$0")/../lib/tap.sh"
SWKVM="$O/swkvm"
scratch

# expect CODE "stderr line" DESCRIPTION -- ARGS...: exactly one line, and the code
expect() {
  local code=$1 msg=$2 what=$3; shift 4
  local err rc
  err=$(timeout 10 "$SWKVM" run "$@" </dev/null 2>&1 >/dev/null); rc=$?
  check "$rc" "$code" "$what: exit $code"
  check "$err" "$msg" "$what: the message"
}

# poke FILE OFFSET HEXBYTES...: write bytes into FILE
poke() {
  local f=$1 off=$2; shift 2
  local s=""; for b in "$@"; do s="$s\\x$b"; done
  printf "$s" | dd of="$f" bs=1 seek=$((off)) conv=notrunc status=none
}
# a synthetic bzImage: 4 setup sectors, 4 KiB of "kernel", boot protocol VERSION (hex, 2 bytes LE)
mkbz() {
  local f=$1 v_lo=$2 v_hi=$3
  rm -f "$f"; truncate -s $((2560 + 4096)) "$f"
  poke "$f" 0x1f1 04                    # setup_sects
  poke "$f" 0x1f4 00 01 00 00           # syssize: 256 paragraphs = 4 KiB
  poke "$f" 0x1fe 55 aa                 # boot_flag
  poke "$f" 0x200 eb 6a                 # jump over the header
  poke "$f" 0x202 48 64 72 53           # "HdrS"
  poke "$f" 0x206 "$v_lo" "$v_hi"       # version
  poke "$f" 0x211 01                    # loadflags: LOADED_HIGH
  poke "$f" 0x22c ff ff ff 37           # initrd_addr_max
  poke "$f" 0x236 01 00                 # xloadflags: XLF_KERNEL_64
  poke "$f" 0x238 ff 07 00 00           # cmdline_size 2047
  poke "$f" 0x260 00 00 40 00           # init_size 4 MiB
}

mkbz "$tmp/bz" 0f 02
expect 5 "swkvm run: cannot open kernel '$tmp/none': No such file or directory" "missing kernel" -- -k "$tmp/none"
expect 5 "swkvm run: kernel '$tmp' is not a regular file" "kernel is a directory" -- -k "$tmp"
head -c 700 "$tmp/bz" > "$tmp/short"
expect 5 "swkvm run: kernel '$tmp/short': truncated: 700 bytes, a bzImage starts with at least 1024" "truncated header" -- -k "$tmp/short"
head -c 4000 "$tmp/bz" > "$tmp/cut"
expect 5 "swkvm run: kernel '$tmp/cut': truncated: the header gives 4096 bytes of kernel after the setup code, the file has 1440" "truncated kernel" -- -k "$tmp/cut"
truncate -s 8192 "$tmp/zero"
expect 5 "swkvm run: kernel '$tmp/zero': not a bzImage or multiboot kernel: no 0xAA55 boot flag at 0x1fe" "wrong magic" -- -k "$tmp/zero"
cp "$tmp/bz" "$tmp/nohdrs"; poke "$tmp/nohdrs" 0x202 00
expect 5 "swkvm run: kernel '$tmp/nohdrs': not a bzImage: no \"HdrS\" signature at 0x202 (boot protocol < 2.00)" "no HdrS" -- -k "$tmp/nohdrs"
mkbz "$tmp/old" 09 02
expect 3 "swkvm run: kernel '$tmp/old': boot protocol 2.09 is too old: the 64-bit entry needs 2.12" "old boot protocol" -- -k "$tmp/old"
cp "$tmp/bz" "$tmp/no64"; poke "$tmp/no64" 0x236 00
expect 3 "swkvm run: kernel '$tmp/no64': the kernel has no 64-bit entry point (xloadflags bit 0 clear)" "no 64-bit entry" -- -k "$tmp/no64"
expect 5 "swkvm run: cannot open initrd '$tmp/none': No such file or directory" "missing initrd" -- -k "$tmp/bz" -i "$tmp/none"
truncate -s 20M "$tmp/big"
expect 5 "swkvm run: $tmp/bz: the initrd (20971520 bytes) does not fit in guest RAM between the kernel (ends at 0x500000) and 0x1000000" \
  "initrd too large for memory" -- -k "$tmp/bz" -i "$tmp/big" -m 16
expect 5 "swkvm run: $tmp/bz: the kernel needs 5 MiB of RAM to decompress, the guest has 4 MiB" "memory too small for the kernel" -- -k "$tmp/bz" -m 4M
expect 2 "swkvm run: $tmp/bz: the command line is 2060 bytes, the kernel takes at most 2047" "command line too long" -- -k "$tmp/bz" -p "$(printf 'x%.0s' $(seq 2046))"

expect 2 "swkvm run: memory size 0 out of range: 2M..1T" "-m 0" -- -k "$tmp/bz" -m 0
expect 2 "swkvm run: memory size 2T out of range: 2M..1T" "-m 2T" -- -k "$tmp/bz" -m 2T
expect 2 "swkvm run: bad memory size '12X' (see swkvm run --help)" "-m 12X" -- -k "$tmp/bz" -m 12X
expect 2 "swkvm run: vCPU count 0 out of range: 1..255" "-c 0" -- -k "$tmp/bz" -c 0
expect 2 "swkvm run: vCPU count 100000 out of range: 1..255" "absurd -c" -- -k "$tmp/bz" -c 100000
expect 2 "swkvm run: bad vCPU count 'two' (see swkvm run --help)" "-c two" -- -k "$tmp/bz" -c two
expect 2 "swkvm run: unknown option '--bogus' (see swkvm run --help)" "unknown option" -- --bogus
expect 2 "swkvm run: option '-k' needs a value (see swkvm run --help)" "missing value" -- -k
expect 2 "swkvm run: no kernel given: use -k FILE (see swkvm run --help)" "no kernel" --
expect 2 "swkvm run: console 'virtio' is not available: only 'serial' (see swkvm run --help)" "--console virtio" -- -k "$tmp/bz" --console virtio

MB="$O/tests/guests/multiboot/mbtest.elf"
expect 3 "swkvm run: cannot open $tmp/nokvm: No such file or directory" "--kvm with a missing device" -- -k "$MB" --kvm="$tmp/nokvm"
expect 3 "swkvm run: /dev/null is not a KVM device: KVM_GET_API_VERSION: Inappropriate ioctl for device" "--kvm on a device that is not KVM" -- -k "$MB" --kvm=/dev/null

"$SWKVM" run --help >/dev/null 2>&1; check "$?" 0 "--help: exit 0"
check "$("$SWKVM" run --help | head -n 1)" "usage: swkvm run -k KERNEL [options]" "--help: usage line"
"$SWKVM" >/dev/null 2>&1; check "$?" 2 "no command: exit 2"
"$SWKVM" frobnicate >/dev/null 2>&1; check "$?" 2 "unknown command: exit 2"
"$SWKVM" version >/dev/null 2>&1; check "$?" 0 "swkvm version"
tap_end
