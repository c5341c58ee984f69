// SPDX-License-Identifier: GPL-2.0-only
// SSE/MMX state in a guest: #UD with CR4.OSFXSR or CR0.EM, #NM with CR0.TS and the lazy
// FPU switch a kernel performs (CLTS, FXRSTOR, retry), #XM and #UD per CR4.OSXMMEXCPT,
// FXSAVE/FXRSTOR images byte by byte in both formats, MMX's effect on the x87 words,
// XGETBV/XSETBV rules and XSAVE/XRSTOR in the standard format, #MF at the next waiting
// instruction (also with CR0.NE clear, as under KVM).
#include <stdio.h>

#include "kvm_util.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)

/* guest data (the guest has its own copy of the image; the host reads it back) */
uint8_t fx_in[512] __attribute__((aligned(64)));
uint8_t fx_out64[512] __attribute__((aligned(64)));
uint8_t fx_out32[512] __attribute__((aligned(64)));
uint8_t fx_mmx[512] __attribute__((aligned(64)));
uint8_t fx_emms[512] __attribute__((aligned(64)));
uint8_t fx_bad[512] __attribute__((aligned(64)));
uint8_t save_a[512] __attribute__((aligned(64)));
uint8_t save_b[512] __attribute__((aligned(64)));
uint8_t xs_area[1024] __attribute__((aligned(64)));
uint8_t xs_after[512] __attribute__((aligned(64)));
uint8_t xs_bad[1024] __attribute__((aligned(64)));
uint64_t lazy_out[2];
uint64_t pattern_a[2] = { 0x1111111111111111ull, 0xaaaaaaaaaaaaaaaaull };
uint64_t mm_src = 0x0123456789abcdefull;
uint32_t mx_zm = 0x1f80 & ~0x200u;	/* divide-by-zero unmasked */
uint32_t mx_after;
uint32_t one_f = 0x3f800000;		/* 1.0f */
uint64_t xm1_after;
uint64_t xcr0_seen;
uint8_t xs_x87[1024] __attribute__((aligned(64)));
uint16_t cw_zm = 0x037b;		/* x87: divide-by-zero unmasked */
uint16_t fsw_after;

#define SPLIT_PAGE 0x9000000000ull	/* present; the page after it is not */

GUEST_ASM_STUB(sse_op, "xorps %xmm0, %xmm0");
GUEST_ASM_STUB(mmx_op, "paddb %mm1, %mm0");
GUEST_ASM_STUB(fxsave_out64, "fxsave64 fx_out64(%rip)");
GUEST_ASM_STUB(fxsave_out32, "fxsave fx_out32(%rip)");
GUEST_ASM_STUB(fxrstor_in64, "fxrstor64 fx_in(%rip)");
GUEST_ASM_STUB(fxsave_mmx, "movq mm_src(%rip), %mm3\n fxsave64 fx_mmx(%rip)");
GUEST_ASM_STUB(fxsave_emms, "emms\n fxsave64 fx_emms(%rip)");
GUEST_ASM_STUB(fxsave_misaligned, "fxsave64 fx_bad+8(%rip)");
GUEST_ASM_STUB(fxrstor_bad, "fxrstor64 fx_bad(%rip)");
GUEST_ASM_STUB(xm_setup, "movss one_f(%rip), %xmm1\n xorps %xmm2, %xmm2\n ldmxcsr mx_zm(%rip)");
GUEST_ASM_STUB(xm_div, "divss %xmm2, %xmm1");
GUEST_ASM_STUB(xm_read, "stmxcsr mx_after(%rip)\n movq %xmm1, xm1_after(%rip)");
GUEST_ASM_STUB(task_a_setup, "movdqu pattern_a(%rip), %xmm5\n fxsave64 save_a(%rip)");
GUEST_ASM_STUB(task_b_use, "movdqu %xmm5, lazy_out(%rip)");
GUEST_ASM_STUB(restore_b, "fxrstor64 save_b(%rip)");
GUEST_ASM_STUB(xgetbv0, "xor %ecx, %ecx\n xgetbv\n mov %eax, xcr0_seen(%rip)\n mov %edx, xcr0_seen+4(%rip)");
GUEST_ASM_STUB(xgetbv1, "mov $1, %ecx\n xgetbv");
GUEST_ASM_STUB(xsetbv3, "xor %ecx, %ecx\n xor %edx, %edx\n mov $3, %eax\n xsetbv");
GUEST_ASM_STUB(xsetbv2, "xor %ecx, %ecx\n xor %edx, %edx\n mov $2, %eax\n xsetbv");
GUEST_ASM_STUB(xsetbv7, "xor %ecx, %ecx\n xor %edx, %edx\n mov $7, %eax\n xsetbv");
GUEST_ASM_STUB(xsetbv_ecx1, "mov $1, %ecx\n xor %edx, %edx\n mov $3, %eax\n xsetbv");
GUEST_ASM_STUB(xsave_all, "mov $-1, %eax\n mov $-1, %edx\n xsave64 xs_area(%rip)");
GUEST_ASM_STUB(xrstor_all, "mov $-1, %eax\n mov $-1, %edx\n xrstor64 xs_area(%rip)\n fxsave64 xs_after(%rip)");
GUEST_ASM_STUB(store_split, "movabs $0x9000000ff8, %rax\n movups %xmm5, (%rax)");
GUEST_ASM_STUB(fxsave_split, "movabs $0x9000000f00, %rax\n fxsave64 (%rax)");
GUEST_ASM_STUB(store_ok, "movabs $0x9000000fe0, %rax\n movups %xmm5, (%rax)");
GUEST_ASM_STUB(xsetbv1, "xor %ecx, %ecx\n xor %edx, %edx\n mov $1, %eax\n xsetbv");
GUEST_ASM_STUB(xsave_x87, "mov $-1, %eax\n mov $-1, %edx\n xsave64 xs_x87(%rip)");
GUEST_ASM_STUB(xrstor_bad, "mov $-1, %eax\n mov $-1, %edx\n xrstor64 xs_bad(%rip)");
/* ST0 = 1.0 / 0.0 with #Z unmasked: ZE, ES and B set, no trap yet */
GUEST_ASM_STUB(mf_setup, "fninit\n fldcw cw_zm(%rip)\n fldz\n fld1\n fdiv %st(1), %st");
GUEST_ASM_STUB(mf_wait, "fwait");
GUEST_ASM_STUB(mf_mmx, "paddb %mm1, %mm0");
GUEST_ASM_STUB(mf_clear, "fnstsw fsw_after(%rip)\n fnclex");

static GUEST_CODE uint64_t get_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static GUEST_CODE void set_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v));
}

static GUEST_CODE uint64_t get_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static GUEST_CODE void set_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v));
}

static GUEST_CODE void guest_code(void)
{
	uint64_t cr0 = get_cr0(), cr4 = get_cr4();

	/* CR4.OSFXSR clear: SSE is #UD, MMX is not affected */
	set_cr4(cr4 & ~CR4_OSFXSR);
	GUEST_ASSERT_EQ(guest_call_safe(sse_op), 6);
	GUEST_ASSERT_EQ(guest_call_safe(mmx_op), GUEST_NO_EXC);
	set_cr4(cr4);
	GUEST_ASSERT_EQ(guest_call_safe(sse_op), GUEST_NO_EXC);

	/* CR0.TS: SSE, MMX and FXSAVE are #NM until CLTS */
	set_cr0(cr0 | CR0_TS);
	GUEST_ASSERT_EQ(guest_call_safe(sse_op), 7);
	GUEST_ASSERT_EQ(guest_call_safe(mmx_op), 7);
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_out64), 7);
	__asm__ volatile("clts");
	GUEST_ASSERT_EQ(guest_call_safe(sse_op), GUEST_NO_EXC);

	/* CR0.EM: SSE and MMX #UD, FXSAVE #NM */
	set_cr0(cr0 | CR0_EM);
	GUEST_ASSERT_EQ(guest_call_safe(sse_op), 6);
	GUEST_ASSERT_EQ(guest_call_safe(mmx_op), 6);
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_out64), 7);
	set_cr0(cr0);

	/* FXRSTOR64 of the host's image, then FXSAVE64 and FXSAVE (32-bit format) */
	GUEST_ASSERT_EQ(guest_call_safe(fxrstor_in64), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_out64), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_out32), GUEST_NO_EXC);
	/* MMX: TOP 0, all tags valid, bits 79:64 of MM3 set; EMMS empties the tags */
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_mmx), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_emms), GUEST_NO_EXC);
	/* misaligned FXSAVE and a reserved MXCSR bit in FXRSTOR: #GP */
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_misaligned), 13);
	GUEST_ASSERT_EQ(guest_exc.error, 0);
	GUEST_ASSERT_EQ(guest_call_safe(fxrstor_bad), 13);

	/* 16-byte and FXSAVE stores into a missing page: #PF, nothing stored on the present one */
	GUEST_ASSERT_EQ(guest_call_safe(store_split), 14);
	GUEST_ASSERT_EQ(guest_call_safe(fxsave_split), 14);
	GUEST_ASSERT_EQ(guest_call_safe(store_ok), GUEST_NO_EXC);

	/* #XM with CR4.OSXMMEXCPT, else #UD; MXCSR.ZE set, the destination kept */
	GUEST_ASSERT_EQ(guest_call_safe(xm_setup), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(xm_div), 19);
	GUEST_ASSERT_EQ(guest_call_safe(xm_read), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(mx_after, 0x1d84);
	GUEST_ASSERT_EQ(xm1_after & 0xffffffff, 0x3f800000);
	set_cr4(cr4 & ~CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(guest_call_safe(xm_setup), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(xm_div), 6);
	set_cr4(cr4);

	/* the lazy FPU switch: task B's first SSE use traps, the kernel restores B's state */
	GUEST_ASSERT_EQ(guest_call_safe(task_a_setup), GUEST_NO_EXC);
	set_cr0(cr0 | CR0_TS);
	GUEST_ASSERT_EQ(guest_call_safe(task_b_use), 7);
	__asm__ volatile("clts");
	GUEST_ASSERT_EQ(guest_call_safe(restore_b), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(task_b_use), GUEST_NO_EXC);

	/* XSAVE: OSXSAVE off means #UD; XCR0 rules; the standard-format image */
	GUEST_ASSERT_EQ(guest_call_safe(xgetbv0), 6);
	set_cr4(cr4 | CR4_OSXSAVE);
	GUEST_ASSERT_EQ(guest_call_safe(xgetbv0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(xcr0_seen, 1);
	GUEST_ASSERT_EQ(guest_call_safe(xgetbv1), 13);
	GUEST_ASSERT_EQ(guest_call_safe(xsetbv2), 13);
	GUEST_ASSERT_EQ(guest_call_safe(xsetbv7), 13);
	GUEST_ASSERT_EQ(guest_call_safe(xsetbv_ecx1), 13);
	GUEST_ASSERT_EQ(guest_call_safe(xsetbv3), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(xgetbv0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(xcr0_seen, 3);
	GUEST_ASSERT_EQ(guest_call_safe(xsave_all), GUEST_NO_EXC);
	/* XCR0 = x87 only: XSAVE stores no MXCSR and no XMM, XSTATE_BV bit 1 is kept */
	GUEST_ASSERT_EQ(guest_call_safe(xsetbv1), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(xsave_x87), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(xsetbv3), GUEST_NO_EXC);
	GUEST_SYNC(1);	/* the host checks xs_area and sets XSTATE_BV = SSE only */
	GUEST_ASSERT_EQ(guest_call_safe(xrstor_all), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(xrstor_bad), 13);

	/* #MF: the pending unmasked x87 #Z is raised by the next waiting x87 or MMX
	 * instruction, which does not execute; FNSTSW/FNCLEX do not wait. With CR0.NE clear
	 * a KVM guest still gets #MF (VMX holds NE at 1), never FERR#/IRQ 13. */
	GUEST_ASSERT_EQ(get_cr0() & CR0_NE, CR0_NE);
	GUEST_ASSERT_EQ(guest_call_safe(mf_setup), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(mf_wait), 16);
	GUEST_ASSERT_EQ(guest_exc.error, 0);
	GUEST_ASSERT_EQ(guest_call_safe(mf_mmx), 16);
	GUEST_ASSERT_EQ(guest_call_safe(mf_clear), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(fsw_after & 0xb8ff, 0xb084);	/* B, TOP = 6, ES, ZE */
	GUEST_ASSERT_EQ(guest_call_safe(mf_wait), GUEST_NO_EXC);
	set_cr0(cr0 & ~CR0_NE);
	GUEST_ASSERT_EQ(guest_call_safe(mf_setup), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(guest_call_safe(mf_wait), 16);
	GUEST_ASSERT_EQ(guest_call_safe(mf_clear), GUEST_NO_EXC);
	set_cr0(cr0);
	__asm__ volatile("fninit");
	GUEST_DONE();
}

static uint16_t u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_code);
	struct ucall uc;
	uint64_t fip = 0x1122334455667788ull, fdp = 0x99aabbccddeeff00ull, bv;
	uint32_t mx = 0x1fc0, badmx = 0x1f80 | (1u << 20);
	uint16_t fcw = 0x27f, fsw = 0x3800, fop = 0x7ff;
	bool ok_img = true;

	vcpu_set_supported_cpuid(v);
	{
		uint64_t *pte;
		vm_map_4k(vm, SPLIT_PAGE, 0x300000);
		pte = vm_map_4k(vm, SPLIT_PAGE + 0x1000, 0x301000);
		*pte &= ~1ull;	/* not present */
		memset(addr_gpa2hva(vm, 0x300000), 0x77, 4096);
	}
	/* the image FXRSTOR64 loads */
	memset(fx_in, 0, sizeof(fx_in));
	memcpy(fx_in + 0, &fcw, 2);
	memcpy(fx_in + 2, &fsw, 2);
	fx_in[4] = 0x81;
	memcpy(fx_in + 6, &fop, 2);
	memcpy(fx_in + 8, &fip, 8);
	memcpy(fx_in + 16, &fdp, 8);
	memcpy(fx_in + 24, &mx, 4);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 10; j++)
			fx_in[32 + 16 * i + j] = (uint8_t)(0x10 * i + j);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			fx_in[160 + 16 * i + j] = (uint8_t)(0x80 + 4 * i + j);
	memset(fx_out64, 0xaa, 512);
	memset(fx_out32, 0xaa, 512);
	memcpy(save_b, fx_in, 512);
	memset(fx_bad, 0, 512);
	memcpy(fx_bad + 24, &badmx, 4);
	memset(xs_area, 0, sizeof(xs_area));
	memset(xs_area + 416, 0x5a, 96);	/* XSAVE leaves 416..511 alone */
	memset(xs_bad, 0, sizeof(xs_bad));
	memset(xs_x87, 0x5a, 512);
	memset(xs_x87 + 512, 0, 512);
	xs_x87[512] = 2;	/* XSTATE_BV: SSE from an earlier save */
	xs_bad[512 + 15] = 0x80;		/* XCOMP_BV bit 63: compacted, #GP */
	vm_sync_to_guest(vm, fx_in, 512);
	vm_sync_to_guest(vm, fx_out64, 512);
	vm_sync_to_guest(vm, fx_out32, 512);
	vm_sync_to_guest(vm, save_b, 512);
	vm_sync_to_guest(vm, fx_bad, 512);
	vm_sync_to_guest(vm, xs_area, sizeof(xs_area));
	vm_sync_to_guest(vm, xs_bad, sizeof(xs_bad));
	vm_sync_to_guest(vm, xs_x87, sizeof(xs_x87));

	is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "guest: #UD/#NM/#XM rules, FXSAVE/FXRSTOR, lazy switch, XCR0 rules");
	vm_sync_from_guest(vm, fx_out64, 512);
	vm_sync_from_guest(vm, fx_out32, 512);
	vm_sync_from_guest(vm, fx_mmx, 512);
	vm_sync_from_guest(vm, fx_emms, 512);
	vm_sync_from_guest(vm, lazy_out, sizeof(lazy_out));
	vm_sync_from_guest(vm, xs_area, sizeof(xs_area));
	vm_sync_from_guest(vm, xs_x87, sizeof(xs_x87));
	{
		const uint8_t *pg = addr_gpa2hva(vm, 0x300000);
		bool kept = true, stored = true;
		for (int i = 0xf00; i < 0x1000; i++)
			kept = kept && (pg[i] == 0x77 || (i >= 0xfe0 && i < 0xff0));
		/* the store that fits: XMM5 (fx_in's XMM5 bytes) at 0xfe0 */
		for (int i = 0; i < 16; i++)
			stored = stored && pg[0xfe0 + i] == fx_in[160 + 80 + i];
		ok(kept && stored, "MOVUPS and FXSAVE64 across into a missing page: #PF, the present page unchanged");
	}
	memcpy(&bv, xs_x87 + 512, 8);
	ok(bv == 3 && !memcmp(xs_x87, fx_out64, 24) && xs_x87[24] == 0x5a && xs_x87[31] == 0x5a &&
	   !memcmp(xs_x87 + 32, fx_out64 + 32, 128) && xs_x87[160] == 0x5a && xs_x87[415] == 0x5a,
	   "XSAVE with XCR0 = x87: x87 fields stored, MXCSR and XMM not, XSTATE_BV = 1 | kept bit 1");

	/* FXSAVE64: the loaded image back, MXCSR_MASK 0xffff at 28, reserved ST bytes zero,
	 * XMM0-15 at 160, bytes 416..511 untouched */
	for (int i = 0; i < 416; i++) {
		uint8_t want = fx_in[i];
		if (i >= 28 && i < 32)
			want = (uint8_t)(0xffff >> (8 * (i - 28)));
		if (fx_out64[i] != want) {
			ok_img = false;
			tap_diag("fxsave64 byte %d: %02x, expected %02x", i, fx_out64[i], want);
			break;
		}
	}
	for (int i = 416; i < 512; i++)
		ok_img = ok_img && fx_out64[i] == 0xaa;
	ok(ok_img, "FXSAVE64 image: FCW FSW FTW FOP at 0-7, FIP 8, FDP 16, MXCSR 24, MASK 28, ST 32+16i, XMM 160+16i");
	ok(!memcmp(fx_out32, fx_out64, 8) && !memcmp(fx_out32 + 8, "\x88\x77\x66\x55\x44\x33\x00\x00", 8) &&
	   !memcmp(fx_out32 + 16, "\x00\xff\xee\xdd\xcc\xbb\x00\x00", 8) && !memcmp(fx_out32 + 24, fx_out64 + 24, 416 - 24),
	   "FXSAVE (32-bit format): FIP[31:0], FCS, FDP[31:0], FDS; XMM8-15 too in 64-bit mode");
	ok(u16(fx_mmx + 2) == 0 && fx_mmx[4] == 0xff && !memcmp(fx_mmx + 32 + 48, &mm_src, 8) &&
	   u16(fx_mmx + 32 + 48 + 8) == 0xffff && u16(fx_mmx) == 0x27f,
	   "MOVQ to MM3: TOP 0, all tags valid, MM3 in ST3's low 64 bits with bits 79:64 all ones");
	ok(fx_emms[4] == 0 && u16(fx_emms + 2) == 0, "EMMS: every tag empty");
	ok(lazy_out[0] == 0x8786858483828180ull + 0x1414141414141414ull &&
	   lazy_out[1] == 0x8f8e8d8c8b8a8988ull + 0x1414141414141414ull,
	   "lazy switch: after #NM, CLTS and FXRSTOR the retried instruction sees task B's XMM5");
	memcpy(&bv, xs_area + 512, 8);
	ok(!memcmp(xs_area, fx_out64, 416) && bv == 3 && xs_area[416] == 0x5a && xs_area[511] == 0x5a,
	   "XSAVE64 (XCR0 = x87|SSE): legacy region as FXSAVE64, XSTATE_BV = 3, bytes 416..511 kept");

	/* XRSTOR with XSTATE_BV = SSE only: x87 takes its initial state, XMM and MXCSR load */
	bv = 2;
	memcpy(xs_area + 512, &bv, 8);
	vm_sync_to_guest(vm, xs_area, sizeof(xs_area));
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest: XRSTOR, and #GP for a compacted header");
	vm_sync_from_guest(vm, xs_after, 512);
	ok(u16(xs_after) == 0x37f && u16(xs_after + 2) == 0 && xs_after[4] == 0 && xs_after[32] == 0 &&
	   u32(xs_after + 24) == 0x1fc0 && !memcmp(xs_after + 160, xs_area + 160, 256),
	   "XRSTOR with XSTATE_BV = 2: x87 initial (FCW 0x37f), MXCSR and XMM0-15 from memory");
	vm_free(vm);
	return tap_done();
}
