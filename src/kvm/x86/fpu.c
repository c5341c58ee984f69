// SPDX-License-Identifier: GPL-2.0-only
// FPU state ioctls: KVM_GET/SET_FPU, KVM_GET/SET_XSAVE (and GET_XSAVE2), KVM_GET/SET_XCRS.
//
// The state is the CPU's FXSAVE-format area. The XSAVE image is the standard (non-
// compacted) format with only x87 and SSE, the components swkvm's CPU model has.
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"

#define XFEATURE_FP 1ull
#define XFEATURE_SSE 2ull
#define SUPPORTED_XFEATURES (XFEATURE_FP | XFEATURE_SSE)
#define XSAVE_HDR 512

static void rd(const uint8_t *fx, unsigned off, void *v, unsigned n)
{
	memcpy(v, fx + off, n);
}

static void wr(uint8_t *fx, unsigned off, const void *v, unsigned n)
{
	memcpy(fx + off, v, n);
}

long kvm_vcpu_ioctl_get_fpu(struct kvm_vcpu *vcpu, void *argp)
{
	const uint8_t *fx = vcpu->cpu->fxsave;
	struct kvm_fpu f;

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < 8; i++)
		memcpy(f.fpr[i], fx + 32 + 16 * i, 16);
	rd(fx, 0, &f.fcw, 2);
	rd(fx, 2, &f.fsw, 2);
	rd(fx, 4, &f.ftwx, 1);
	rd(fx, 6, &f.last_opcode, 2);
	rd(fx, 8, &f.last_ip, 8);
	rd(fx, 16, &f.last_dp, 8);
	for (int i = 0; i < 16; i++)
		memcpy(f.xmm[i], fx + 160 + 16 * i, 16);
	rd(fx, 24, &f.mxcsr, 4);
	return copy_to_user(argp, &f, sizeof(f)) ? -EFAULT : 0;
}

/* kvm_arch_vcpu_ioctl_set_fpu(): fields copied as given */
long kvm_vcpu_ioctl_set_fpu(struct kvm_vcpu *vcpu, void *argp)
{
	uint8_t *fx = vcpu->cpu->fxsave;
	struct kvm_fpu f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	for (int i = 0; i < 8; i++)
		memcpy(fx + 32 + 16 * i, f.fpr[i], 16);
	wr(fx, 0, &f.fcw, 2);
	wr(fx, 2, &f.fsw, 2);
	wr(fx, 4, &f.ftwx, 1);
	wr(fx, 6, &f.last_opcode, 2);
	wr(fx, 8, &f.last_ip, 8);
	wr(fx, 16, &f.last_dp, 8);
	for (int i = 0; i < 16; i++)
		memcpy(fx + 160 + 16 * i, f.xmm[i], 16);
	wr(fx, 24, &f.mxcsr, 4);
	return 0;
}

/* KVM_GET_XSAVE / KVM_GET_XSAVE2: the legacy area, then XSTATE_BV = x87 | SSE, XCOMP_BV = 0 */
long kvm_vcpu_ioctl_get_xsave(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_xsave *x = calloc(1, sizeof(*x));	/* 4 KiB: not on the stack */
	uint64_t bv = SUPPORTED_XFEATURES;
	long r;

	if (!x)
		return -ENOMEM;
	memcpy(x->region, vcpu->cpu->fxsave, 512);
	memcpy((uint8_t *)x->region + XSAVE_HDR, &bv, 8);
	r = copy_to_user(argp, x, sizeof(*x)) ? -EFAULT : 0;
	free(x);
	return r;
}

/*
 * copy_uabi_to_xstate(): features beyond what is supported, a compacted image, reserved
 * header bytes or MXCSR bits the CPU lacks are -EINVAL; a component whose XSTATE_BV bit
 * is clear takes its initial state.
 */
long kvm_vcpu_ioctl_set_xsave(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_xsave *x = malloc(sizeof(*x));
	uint8_t *fx = vcpu->cpu->fxsave;
	const uint8_t *hdr;
	uint64_t bv, comp;
	uint32_t mxcsr;
	long r = -EINVAL;

	if (!x)
		return -ENOMEM;
	if (copy_from_user(x, argp, sizeof(*x))) {
		free(x);
		return -EFAULT;
	}
	hdr = (const uint8_t *)x->region + XSAVE_HDR;
	memcpy(&bv, hdr, 8);
	memcpy(&comp, hdr + 8, 8);
	memcpy(&mxcsr, (const uint8_t *)x->region + 24, 4);
	if (bv & ~SUPPORTED_XFEATURES || comp)
		goto out;
	for (int i = 16; i < 64; i++)
		if (hdr[i])
			goto out;
	if (mxcsr & ~CPU_MXCSR_MASK)
		goto out;
	memcpy(fx, x->region, 512);
	{
		uint32_t mask = CPU_MXCSR_MASK;
		memcpy(fx + 28, &mask, 4);	/* MXCSR_MASK is the CPU's, not the caller's */
	}
	if (!(bv & XFEATURE_FP)) {
		/* x87 initial state: FCW 0x37f, the rest (FSW, FTW, FOP, FIP, FDP, ST0-7) zero */
		uint16_t fcw = 0x37f;
		memset(fx, 0, 24);
		memcpy(fx, &fcw, 2);
		memset(fx + 32, 0, 128);
	}
	if (!(bv & XFEATURE_SSE))
		memset(fx + 160, 0, 256);	/* XMM0-15; MXCSR stays as given */
	r = 0;
out:
	free(x);
	return r;
}

long kvm_vcpu_ioctl_get_xcrs(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_xcrs x;

	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = 0;	/* XCR_XFEATURE_ENABLED_MASK */
	x.xcrs[0].value = vcpu->cpu->xcr0;
	return copy_to_user(argp, &x, sizeof(x)) ? -EFAULT : 0;
}

/*
 * kvm_vcpu_ioctl_x86_set_xcrs() / __kvm_set_xcr(): XCR0 needs x87, SSE before AVX, and
 * only features the guest CPUID offers through leaf 0xD plus x87. guest_supported_xcr0
 * comes from leaf 0xD alone (cpuid_get_supported_xcr0()): CPUID.1:ECX.XSAVE is not
 * consulted, so the host may set an XCR0 the guest cannot reach with XSETBV.
 */
long kvm_vcpu_ioctl_set_xcrs(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_xcrs x;
	long r = 0;

	if (copy_from_user(&x, argp, sizeof(x)))
		return -EFAULT;
	if (x.nr_xcrs > KVM_MAX_XCRS || x.flags)
		return -EINVAL;
	for (uint32_t i = 0; i < x.nr_xcrs; i++) {
		if (x.xcrs[i].xcr == 0) {
			uint64_t v = x.xcrs[i].value, valid = XFEATURE_FP;
			struct kvm_cpuid_entry2 *d = kvm_find_cpuid_entry_index(vcpu, 0xd, 0);

			if (d)
				valid |= (((uint64_t)d->edx << 32) | d->eax) & SUPPORTED_XFEATURES;
			if (!(v & XFEATURE_FP) || (v & ~valid))
				r = -EINVAL;
			else
				vcpu->cpu->xcr0 = v;
			break;
		}
	}
	return r;
}
