// SPDX-License-Identifier: GPL-2.0-only
// The KVM_EXIT_MMIO sequence of accesses that straddle pages or are wider than 8 bytes.
//
// KVM's emulator (emulator_read_write() in arch/x86/kvm/x86.c) splits an access at a
// page boundary; a part that lands in RAM is done directly, a part that lands in MMIO
// becomes a fragment, and each fragment is reported in exits of at most 8 bytes, in
// address order. RAM is 0..0x3fff here; everything above is MMIO.
#include <string.h>

#include "kvm_util.h"

static const uint8_t prog[] = {
	0x66, 0xa1, 0xfe, 0x3f,		/* mov eax, [0x3ffe]: 2 bytes RAM, 2 bytes MMIO */
	0x66, 0x40,			/* inc eax */
	0x66, 0xa3, 0xfe, 0x3f,		/* mov [0x3ffe], eax */
	0x66, 0x8b, 0x06, 0xfe, 0x4f,	/* mov eax, [0x4ffe]: MMIO page to MMIO page */
	0x0f, 0x10, 0x06, 0x00, 0x60,	/* movups xmm0, [0x6000]: 16 bytes */
	0x0f, 0x11, 0x06, 0x00, 0x61,	/* movups [0x6100], xmm0 */
	0xbe, 0x00, 0x20,		/* mov si, 0x2000 */
	0xbf, 0x00, 0x70,		/* mov di, 0x7000 */
	0xb9, 0x03, 0x00,		/* mov cx, 3 */
	0xf3, 0xa4,			/* rep movsb: RAM to MMIO */
	0x01, 0x06, 0x00, 0x71,		/* add [0x7100], ax: read, then write */
	0xf4,				/* hlt */
};

/* Runs to the next exit and checks it is MMIO at gpa with len bytes in that direction. */
static bool mmio_exit(struct vcpu *v, bool write, uint64_t gpa, unsigned len, const char *what)
{
	struct kvm_run *run = v->run;
	bool good = vcpu_run(v) == 0 && run->exit_reason == KVM_EXIT_MMIO &&
		    !!run->mmio.is_write == write && run->mmio.phys_addr == gpa && run->mmio.len == len;

	if (!good)
		tap_diag("exit %s, is_write %u, gpa 0x%llx, len %u", exit_reason_str(run->exit_reason),
		     run->mmio.is_write, (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	ok(good, "%s: MMIO %s of %u bytes at 0x%llx", what, write ? "write" : "read", len,
	   (unsigned long long)gpa);
	return good;
}

int main(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, prog, sizeof(prog));
	struct kvm_run *run = v->run;
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r;

	s.cr4 |= 0x200;		/* CR4.OSFXSR for MOVUPS */
	vcpu_set_sregs(v, &s);
	mem[0x3ffe] = 0xaa;
	mem[0x3fff] = 0xbb;
	memcpy(mem + 0x2000, "xyz", 3);

	/* RAM/MMIO straddle: only the MMIO half exits. */
	mmio_exit(v, false, 0x4000, 2, "load across RAM/MMIO");
	memcpy(run->mmio.data, "\xcc\xdd", 2);
	mmio_exit(v, true, 0x4000, 2, "store across RAM/MMIO");
	ok(!memcmp(run->mmio.data, "\xcc\xdd", 2), "  the MMIO half of 0xddccbbab is cc dd");
	ok(mem[0x3ffe] == 0xab && mem[0x3fff] == 0xbb, "  the RAM half was stored (ab bb)");
	is(vcpu_regs(v).rax & 0xffffffff, 0xddccbbab, "  EAX = RAM bytes + MMIO bytes, plus 1");

	/* MMIO/MMIO straddle: two exits, first page first. */
	mmio_exit(v, false, 0x4ffe, 2, "load across two MMIO pages, first part");
	memcpy(run->mmio.data, "\x11\x22", 2);
	mmio_exit(v, false, 0x5000, 2, "  second part");
	memcpy(run->mmio.data, "\x33\x44", 2);

	/* 16 bytes: two 8-byte exits each way. */
	mmio_exit(v, false, 0x6000, 8, "MOVUPS load, low half");
	is(vcpu_regs(v).rax & 0xffffffff, 0x44332211, "  the straddling load assembled EAX = 0x44332211");
	memcpy(run->mmio.data, "ABCDEFGH", 8);
	mmio_exit(v, false, 0x6008, 8, "MOVUPS load, high half");
	memcpy(run->mmio.data, "IJKLMNOP", 8);
	mmio_exit(v, true, 0x6100, 8, "MOVUPS store, low half");
	ok(!memcmp(run->mmio.data, "ABCDEFGH", 8), "  data ABCDEFGH");
	mmio_exit(v, true, 0x6108, 8, "MOVUPS store, high half");
	ok(!memcmp(run->mmio.data, "IJKLMNOP", 8), "  data IJKLMNOP");

	/* REP MOVSB to MMIO: one exit per element, registers advanced per element. */
	for (unsigned i = 0; i < 3; i++) {
		mmio_exit(v, true, 0x7000 + i, 1, "REP MOVSB element");
		is(run->mmio.data[0], (uint8_t)"xyz"[i], "  carries the source byte");
		r = vcpu_regs(v);
		ok((r.rsi & 0xffff) == 0x2001 + i && (r.rdi & 0xffff) == 0x7001 + i &&
		   (r.rcx & 0xffff) == 2 - i, "  SI/DI/CX advanced by one element (SI=0x%llx CX=%llu)",
		   (unsigned long long)(r.rsi & 0xffff), (unsigned long long)(r.rcx & 0xffff));
	}

	/* Read-modify-write on MMIO: the read exit, then the write exit with the sum. */
	mmio_exit(v, false, 0x7100, 2, "ADD [mem], AX reads");
	memcpy(run->mmio.data, "\x02\x01", 2);
	mmio_exit(v, true, 0x7100, 2, "ADD [mem], AX writes");
	ok(!memcmp(run->mmio.data, "\x13\x23", 2), "  0x0102 + 0x2211 = 0x2313");
	is(vcpu_run(v), 0, "run on");
	is(run->exit_reason, KVM_EXIT_HLT, "HLT after the last access");
	vm_free(vm);
	return tap_done();
}
