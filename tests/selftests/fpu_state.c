// SPDX-License-Identifier: GPL-2.0-only
// x87/SSE state ioctls: KVM_GET/SET_FPU, KVM_GET/SET_XSAVE, KVM_GET_XSAVE2, KVM_GET/SET_XCRS.
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"

static uint64_t hdr_bv(const struct kvm_xsave *x)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)x->region + 512, 8);
	return v;
}

int main(void)
{
	struct vm *vm = vm_create_empty();
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_fpu f, g;
	struct kvm_xsave *x = calloc(1, sizeof(*x)), *y = calloc(1, sizeof(*y));
	struct kvm_xcrs xc;
	uint8_t *region;

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE), 1, "CAP_XSAVE");
	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS), 1, "CAP_XCRS");
	is(kvm_ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2), 4096, "CAP_XSAVE2: 4096 bytes");

	is(kvm_ioctl(v->fd, KVM_GET_FPU, &f), 0, "GET_FPU");
	ok(f.fcw == 0x37f && f.mxcsr == 0x1f80 && f.fsw == 0 && f.ftwx == 0 && f.last_ip == 0,
	   "initial FPU state: FCW 0x37f, MXCSR 0x1f80");
	for (int i = 0; i < 8; i++)
		f.fpr[i][0] = (uint8_t)(i + 1);
	for (int i = 0; i < 16; i++)
		memset(f.xmm[i], 0x10 + i, 16);
	f.fcw = 0x27f;
	f.fsw = 0x3800;
	f.ftwx = 0x80;
	f.last_opcode = 0x1d9;
	f.last_ip = 0x1234;
	f.last_dp = 0x5678;
	f.mxcsr = 0x9fc0;
	is(kvm_ioctl(v->fd, KVM_SET_FPU, &f), 0, "SET_FPU");
	kvm_ioctl(v->fd, KVM_GET_FPU, &g);
	ok(!memcmp(&f, &g, sizeof(f)), "SET_FPU -> GET_FPU round trip");

	is(kvm_ioctl(v->fd, KVM_GET_XSAVE, x), 0, "GET_XSAVE");
	region = (uint8_t *)x->region;
	ok(region[0] == 0x7f && region[1] == 0x02 && region[32] == 1 && region[160] == 0x10,
	   "legacy area in the FXSAVE layout (FCW, ST0, XMM0)");
	is(hdr_bv(x), 3, "XSTATE_BV = x87 | SSE");
	is(kvm_ioctl(v->fd, KVM_GET_XSAVE2, y), 0, "GET_XSAVE2");
	ok(!memcmp(x, y, sizeof(*x)), "GET_XSAVE2 returns the same 4096 bytes");

	memcpy(y, x, sizeof(*x));
	((uint8_t *)y->region)[512] = 7;	/* AVX */
	is_errno(kvm_ioctl(v->fd, KVM_SET_XSAVE, y), EINVAL, "XSTATE_BV with AVX: EINVAL");
	memcpy(y, x, sizeof(*x));
	((uint8_t *)y->region)[512 + 15] = 0x80;	/* XCOMP_BV bit 63: compacted */
	is_errno(kvm_ioctl(v->fd, KVM_SET_XSAVE, y), EINVAL, "a compacted image: EINVAL");
	memcpy(y, x, sizeof(*x));
	((uint8_t *)y->region)[512 + 40] = 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_XSAVE, y), EINVAL, "a reserved header byte: EINVAL");
	memcpy(y, x, sizeof(*x));
	((uint8_t *)y->region)[26] = 1;		/* MXCSR bit 16 */
	is_errno(kvm_ioctl(v->fd, KVM_SET_XSAVE, y), EINVAL, "a reserved MXCSR bit: EINVAL");
	is(kvm_ioctl(v->fd, KVM_SET_XSAVE, x), 0, "SET_XSAVE of what GET_XSAVE returned");
	kvm_ioctl(v->fd, KVM_GET_FPU, &g);
	ok(!memcmp(&f, &g, sizeof(f)), "the state is unchanged by that round trip");
	memcpy(y, x, sizeof(*x));
	((uint8_t *)y->region)[512] = 2;	/* SSE only: x87 takes its initial state */
	is(kvm_ioctl(v->fd, KVM_SET_XSAVE, y), 0, "SET_XSAVE with XSTATE_BV = SSE");
	kvm_ioctl(v->fd, KVM_GET_FPU, &g);
	ok(g.fcw == 0x37f && g.fsw == 0 && g.fpr[0][0] == 0 && g.xmm[0][0] == 0x10 && g.mxcsr == 0x9fc0,
	   "x87 back to its initial state, SSE registers and MXCSR kept");
	((uint8_t *)y->region)[512] = 1;	/* x87 only: XMM registers cleared */
	kvm_ioctl(v->fd, KVM_SET_XSAVE, y);
	kvm_ioctl(v->fd, KVM_GET_FPU, &g);
	ok(g.xmm[5][0] == 0 && g.fcw == 0x27f, "XSTATE_BV = x87: XMM registers take their initial state");

	is(kvm_ioctl(v->fd, KVM_GET_XCRS, &xc), 0, "GET_XCRS");
	ok(xc.nr_xcrs == 1 && xc.xcrs[0].xcr == 0 && xc.xcrs[0].value == 1, "XCR0 = 1 (x87)");
	xc.xcrs[0].value = 3;
	is_errno(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), EINVAL, "XCR0 = x87|SSE without XSAVE in the guest CPUID: EINVAL");
	xc.xcrs[0].value = 2;
	is_errno(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), EINVAL, "XCR0 without x87: EINVAL");
	xc.xcrs[0].value = 1;
	xc.flags = 1;
	is_errno(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), EINVAL, "non-zero flags: EINVAL");
	xc.flags = 0;
	xc.nr_xcrs = 17;
	is_errno(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), EINVAL, "more than 16 XCRs: EINVAL");
	{
		struct { struct kvm_cpuid2 h; struct kvm_cpuid_entry2 e[2]; } c = { .h.nent = 2 };
		c.e[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 1u << 26 };	/* XSAVE */
		c.e[1] = (struct kvm_cpuid_entry2){ .function = 0xd, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 3 };
		is(kvm_ioctl(v->fd, KVM_SET_CPUID2, &c), 0, "a guest CPUID with XSAVE, leaf 0xD x87|SSE");
		xc.nr_xcrs = 1;
		xc.xcrs[0].value = 3;
		is(kvm_ioctl(v->fd, KVM_SET_XCRS, &xc), 0, "now XCR0 = x87|SSE is accepted");
		kvm_ioctl(v->fd, KVM_GET_XCRS, &xc);
		is(xc.xcrs[0].value, 3, "and read back");
	}
	free(x);
	free(y);
	vm_free(vm);
	return tap_done();
}
