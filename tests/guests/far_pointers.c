// SPDX-License-Identifier: GPL-2.0-only
// LDS/LES/LSS/LFS/LGS in real mode: offset then selector from memory, segment base = selector * 16.
#include <stdio.h>

#include "kvm_util.h"

static const uint8_t prog[] = {
	0xc5, 0x36, 0x00, 0x20,			/* lds si, [0x2000] */
	0x2e, 0xc4, 0x3e, 0x04, 0x20,		/* les di, cs:[0x2004] */
	0x2e, 0x0f, 0xb2, 0x26, 0x08, 0x20,	/* lss sp, cs:[0x2008] */
	0x2e, 0x66, 0x0f, 0xb4, 0x1e, 0x0c, 0x20,	/* lfs ebx, cs:[0x200c] (32-bit offset) */
	0x2e, 0x0f, 0xb5, 0x2e, 0x12, 0x20,	/* lgs bp, cs:[0x2012] */
	0xf4,					/* hlt */
};

int main(void)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, prog, sizeof(prog));
	static const uint8_t ptrs[] = {
		0x34, 0x12, 0x00, 0x01,			/* 0100:1234 */
		0x78, 0x56, 0x00, 0x02,			/* 0200:5678 */
		0xf0, 0x0f, 0x00, 0x03,			/* 0300:0ff0 */
		0x44, 0x33, 0x22, 0x11, 0x00, 0x04,	/* 0400:11223344 */
		0xbc, 0x9a, 0x00, 0x05,			/* 0500:9abc */
	};
	struct kvm_regs r;
	struct kvm_sregs s;

	memcpy(mem + 0x2000, ptrs, sizeof(ptrs));
	is(vcpu_run(v), 0, "run");
	is(v->run->exit_reason, KVM_EXIT_HLT, "all five loads executed");
	r = vcpu_regs(v);
	s = vcpu_sregs(v);
	ok((r.rsi & 0xffff) == 0x1234 && s.ds.selector == 0x100 && s.ds.base == 0x1000, "LDS");
	ok((r.rdi & 0xffff) == 0x5678 && s.es.selector == 0x200 && s.es.base == 0x2000, "LES");
	ok((r.rsp & 0xffff) == 0x0ff0 && s.ss.selector == 0x300 && s.ss.base == 0x3000, "LSS");
	ok((r.rbx & 0xffffffff) == 0x11223344 && s.fs.selector == 0x400 && s.fs.base == 0x4000,
	   "LFS with a 32-bit offset");
	ok((r.rbp & 0xffff) == 0x9abc && s.gs.selector == 0x500 && s.gs.base == 0x5000, "LGS");
	vm_free(vm);
	return tap_done();
}
