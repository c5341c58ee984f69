// SPDX-License-Identifier: GPL-2.0-only
// Self-modifying and cross-modifying code: a guest patches immediates in code it has
// already run (from another page, from the same page, the very next instruction of a
// straight line, an instruction that crosses a page), the VMM patches code between two
// KVM_RUNs, and one vCPU patches code another vCPU is running in a loop. Each time the
// new bytes must execute (SDM Vol.3 §8.1.3): decoded instructions and blocks are
// caches, and guest memory is written without telling them.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

/* code and flag pages in vm_create_64's identity-mapped low memory */
#define CODE_A 0x3f00000ull	/* f, h, g */
#define CODE_B 0x3f01000ull	/* fb, patched by the other vCPU */
#define CODE_C 0x3f02000ull	/* an instruction crossing into CODE_C + 0x1000 */
#define FLAGS 0x3f04000ull	/* [0] AP started, [2] give up */

#define F (CODE_A + 0x00)	/* mov eax, imm32; ret */
#define H (CODE_A + 0x40)	/* mov [f + 1], edi; call f; ret */
#define G (CODE_A + 0x80)	/* mov [next insn + 1], edi; mov eax, imm32; ret */
#define X (CODE_C + 0xffc)	/* mov eax, imm32 (imm at 0xffd..0x1000); ret */

typedef uint32_t (*fn0)(void);
typedef uint32_t (*fn1)(uint32_t);

static void write_code(uint8_t *low)
{
	static const uint8_t f[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };
	/* mov [rip - 0x45], edi (f + 1); call f (rel -0x4b); ret */
	static const uint8_t h[] = { 0x89, 0x3d, 0xbb, 0xff, 0xff, 0xff, 0xe8, 0xb5, 0xff, 0xff, 0xff, 0xc3 };
	/* mov [rip + 1], edi (the imm32 of the next instruction); mov eax, 0x11111111; ret */
	static const uint8_t g[] = { 0x89, 0x3d, 0x01, 0x00, 0x00, 0x00, 0xb8, 0x11, 0x11, 0x11, 0x11, 0xc3 };
	static const uint8_t fb[] = { 0xb8, 0x00, 0x00, 0x00, 0x00, 0xc3 };
	static const uint8_t x[] = { 0xb8, 0x04, 0x03, 0x02, 0x01, 0xc3 };

	memcpy(low + F, f, sizeof(f));
	memcpy(low + H, h, sizeof(h));
	memcpy(low + G, g, sizeof(g));
	memcpy(low + CODE_B, fb, sizeof(fb));
	memcpy(low + X, x, sizeof(x));
}

GUEST_CODE static void guest_main(void)
{
	fn0 f = (fn0)F, x = (fn0)X;
	fn1 h = (fn1)H, g = (fn1)G;

	/* run it often enough to be decoded and cached */
	for (int i = 0; i < 3; i++)
		GUEST_ASSERT_EQ(f(), 1);
	/* patched from another page (this code) */
	*(volatile uint32_t *)(F + 1) = 5;
	GUEST_ASSERT_EQ(f(), 5);
	GUEST_ASSERT_EQ(f(), 5);
	/* patched from the same page, then called */
	GUEST_ASSERT_EQ(h(7), 7);
	GUEST_ASSERT_EQ(h(8), 8);
	GUEST_ASSERT_EQ(f(), 8);
	/* a store to the instruction right after it, in the same straight line */
	GUEST_ASSERT_EQ(g(0x22222222), 0x22222222);
	GUEST_ASSERT_EQ(g(0x33333333), 0x33333333);
	GUEST_ASSERT_EQ(g(0x44444444), 0x44444444);
	/* an instruction crossing a page: patch its bytes in either page */
	GUEST_ASSERT_EQ(x(), 0x01020304);
	GUEST_ASSERT_EQ(x(), 0x01020304);
	*(volatile uint8_t *)(CODE_C + 0x1000) = 0xaa;
	GUEST_ASSERT_EQ(x(), 0xaa020304);
	*(volatile uint8_t *)(X + 1) = 0x55;
	GUEST_ASSERT_EQ(x(), 0xaa020355);
	/* the host patches f between two KVM_RUNs */
	GUEST_SYNC(f());
	GUEST_SYNC(f());
	GUEST_DONE();
}

GUEST_CODE static void guest_bsp(void)
{
	volatile uint64_t *fl = (volatile uint64_t *)FLAGS;

	while (!fl[0])
		__asm__ volatile("pause");
	*(volatile uint32_t *)(CODE_B + 1) = 0xdeadbeef;
	GUEST_DONE();
}

GUEST_CODE static void guest_ap(void)
{
	volatile uint64_t *fl = (volatile uint64_t *)FLAGS;
	fn0 fb = (fn0)CODE_B;
	uint64_t n = 0;
	uint32_t v;

	/* runs fb until it returns what the other vCPU patched in (or the host gives up) */
	for (;;) {
		v = fb();
		if (!n++)
			fl[0] = 1;
		if (v == 0xdeadbeef || fl[2])
			break;
	}
	GUEST_SYNC2(v, n);
	GUEST_DONE();
}

/* ---- real mode: patching the next instruction and an earlier one of a loop ---- */
static void test_realmode(void)
{
	static const uint8_t prog[] = {
		0xb9, 0x03, 0x00,		/* 1000: mov cx, 3 */
		0xb0, 0x11,			/* 1003: mov al, 0x11 (imm at 1004) */
		0x00, 0xc3,			/* 1005: add bl, al */
		0xc6, 0x06, 0x04, 0x10, 0x22,	/* 1007: mov byte [1004], 0x22 */
		0xe2, 0xf5,			/* 100c: loop 1003 */
		0xc6, 0x06, 0x15, 0x10, 0x99,	/* 100e: mov byte [1015], 0x99 */
		0x90,				/* 1013: nop */
		0xb2, 0x33,			/* 1014: mov dl, 0x33 (imm at 1015) */
		0xf4,				/* 1016: hlt */
	};
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v = vm_create_realmode(&vm, &mem, prog, sizeof(prog));
	struct kvm_regs r;

	is(vcpu_run(v), 0, "real mode: KVM_RUN");
	is(v->run->exit_reason, KVM_EXIT_HLT, "real mode: ran to HLT");
	r = vcpu_regs(v);
	is(r.rbx & 0xff, 0x55, "real mode: a loop patching its own first instruction ran 0x11 + 0x22 + 0x22");
	is(r.rdx & 0xff, 0x99, "real mode: a store to the next-but-one instruction is executed");
	is(r.rcx & 0xffff, 0, "real mode: LOOP ran three times");
	vm_free(vm);
}

struct thr {
	pthread_t t;
	struct vcpu *v;
	uint64_t cmd[2];
	struct ucall uc[2];
	volatile int done;
};

static void *run_thr(void *arg)
{
	struct thr *t = arg;

	t->cmd[0] = vcpu_get_ucall(t->v, &t->uc[0]);
	if (t->cmd[0] == UCALL_SYNC)
		t->cmd[1] = vcpu_get_ucall(t->v, &t->uc[1]);
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_smp(void)
{
	struct vcpu *v0, *v1;
	struct vm *vm = vm_create_64(&v0, guest_bsp);
	uint8_t *low = vm->regions[0].hva;
	struct thr t[2];
	int waited = 0;

	v1 = vm_add_vcpu_64(vm, 1, guest_ap);
	write_code(low);
	memset(low + FLAGS, 0, 4096);
	memset(t, 0, sizeof(t));
	t[0].v = v0;
	t[1].v = v1;
	pthread_create(&t[0].t, NULL, run_thr, &t[0]);
	pthread_create(&t[1].t, NULL, run_thr, &t[1]);
	/* a vCPU that never sees the new code would spin forever: give up after 60 s */
	while (!__atomic_load_n(&t[1].done, __ATOMIC_SEQ_CST) && waited < 6000) {
		usleep(10000);
		waited++;
	}
	if (!__atomic_load_n(&t[1].done, __ATOMIC_SEQ_CST))
		__atomic_store_n((uint64_t *)(low + FLAGS + 16), 1, __ATOMIC_SEQ_CST);
	pthread_join(t[0].t, NULL);
	pthread_join(t[1].t, NULL);
	is(t[0].cmd[0], UCALL_DONE, "SMP: vCPU 0 patched the code vCPU 1 runs");
	is(t[1].cmd[0], UCALL_SYNC, "SMP: vCPU 1 left its loop");
	is(t[1].uc[0].args[0], 0xdeadbeef, "SMP: vCPU 1 executes the immediate vCPU 0 wrote");
	ok(t[1].uc[0].args[1] >= 1, "SMP: vCPU 1 ran the old code first (%llu calls)",
	   (unsigned long long)t[1].uc[0].args[1]);
	is(t[1].cmd[1], UCALL_DONE, "SMP: vCPU 1 done");
	vm_free(vm);
}

int main(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64(&v, guest_main);
	uint8_t *low = vm->regions[0].hva;
	struct ucall uc;

	write_code(low);
	if (is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "guest patched code from another page, the same page, "
		"the next instruction and a page-crossing instruction, and ran the new code")) {
		is(uc.args[0], 8, "f as the guest left it");
		memcpy(low + F + 1, &(uint32_t){ 0x77777777 }, 4);	/* the VMM writes guest code */
		is(vcpu_get_ucall(v, &uc), UCALL_SYNC, "second sync");
		is(uc.args[0], 0x77777777, "code written by the VMM between two KVM_RUNs is executed");
		is(vcpu_get_ucall(v, &uc), UCALL_DONE, "done");
	}
	vm_free(vm);
	test_realmode();
	test_smp();
	return tap_done();
}
