// SPDX-License-Identifier: GPL-2.0-only
// DAA DAS AAA AAS AAM AAD in real mode, against values worked out by hand from the SDM
// Vol.2A pseudo-code of each instruction. Only the flags the SDM defines are compared
// (the host cannot serve as oracle here: these opcodes are #UD in 64-bit mode).
#include <stdio.h>

#include "kvm_util.h"

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u

struct bcd_case {
	const char *what;
	uint8_t insn[2];
	unsigned len;
	uint16_t ax, flags;		/* inputs (flags: CF/AF as the case needs) */
	uint16_t want_ax, want_flags;
	uint16_t defined;		/* the flags the SDM defines for this instruction */
};

#define DAA_DEF (SF | ZF | AF | PF | CF)
#define AAA_DEF (AF | CF)
#define AAM_DEF (SF | ZF | PF)

static const struct bcd_case cases[] = {
	{ "DAA AL=AE: both nibbles adjusted", { 0x27 }, 1, 0x00ae, 0, 0x0014, AF | CF | PF, DAA_DEF },
	{ "DAA AL=2E: low nibble only", { 0x27 }, 1, 0x002e, 0, 0x0034, AF, DAA_DEF },
	{ "DAA AL=00 with CF: +60", { 0x27 }, 1, 0x0000, CF, 0x0060, CF | PF, DAA_DEF },
	{ "DAS AL=EE with CF AF", { 0x2f }, 1, 0x00ee, CF | AF, 0x0088, SF | AF | PF | CF, DAA_DEF },
	{ "DAS AL=05: nothing to adjust", { 0x2f }, 1, 0x0005, 0, 0x0005, PF, DAA_DEF },
	{ "AAA AX=0071 with AF", { 0x37 }, 1, 0x0071, AF, 0x0107, AF | CF, AAA_DEF },
	{ "AAA AX=000A", { 0x37 }, 1, 0x000a, 0, 0x0100, AF | CF, AAA_DEF },
	{ "AAA AX=0005 with CF: no adjust, CF cleared", { 0x37 }, 1, 0x0005, CF, 0x0005, 0, AAA_DEF },
	{ "AAS AX=0208 with AF", { 0x3f }, 1, 0x0208, AF, 0x0102, AF | CF, AAA_DEF },
	{ "AAM AL=3F", { 0xd4, 0x0a }, 2, 0x003f, 0, 0x0603, PF, AAM_DEF },
	{ "AAM base 16, AL=FF", { 0xd4, 0x10 }, 2, 0x00ff, 0, 0x0f0f, PF, AAM_DEF },
	{ "AAD AX=0603", { 0xd5, 0x0a }, 2, 0x0603, 0, 0x003f, PF, AAM_DEF },
	{ "AAD AX=0000: ZF", { 0xd5, 0x0a }, 2, 0x0000, 0, 0x0000, ZF | PF, AAM_DEF },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define OUT 0x2000	/* AX and FLAGS of case i at OUT + 4 * i */

static unsigned emit(uint8_t *p, const struct bcd_case *c, unsigned i)
{
	uint16_t out = (uint16_t)(OUT + 4 * i), fl = (uint16_t)(0x0002 | c->flags);
	unsigned n = 0;

	p[n++] = 0xb8, p[n++] = (uint8_t)c->ax, p[n++] = (uint8_t)(c->ax >> 8);	/* mov ax, imm */
	p[n++] = 0x68, p[n++] = (uint8_t)fl, p[n++] = (uint8_t)(fl >> 8);	/* push imm */
	p[n++] = 0x9d;								/* popf */
	for (unsigned k = 0; k < c->len; k++)
		p[n++] = c->insn[k];
	p[n++] = 0x9c;								/* pushf */
	p[n++] = 0x8f, p[n++] = 0x06;						/* pop [out + 2] */
	p[n++] = (uint8_t)(out + 2), p[n++] = (uint8_t)((out + 2) >> 8);
	p[n++] = 0xa3, p[n++] = (uint8_t)out, p[n++] = (uint8_t)(out >> 8);	/* mov [out], ax */
	return n;
}

int main(void)
{
	uint8_t prog[1024];
	unsigned n = 0;
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v;

	for (unsigned i = 0; i < NCASES; i++)
		n += emit(prog + n, &cases[i], i);
	prog[n++] = 0xf4;	/* hlt */
	v = vm_create_realmode(&vm, &mem, prog, n);
	is(vcpu_run(v), 0, "run");
	is(v->run->exit_reason, KVM_EXIT_HLT, "all %zu cases executed", NCASES);
	for (unsigned i = 0; i < NCASES; i++) {
		const struct bcd_case *c = &cases[i];
		uint16_t ax = (uint16_t)(mem[OUT + 4 * i] | mem[OUT + 4 * i + 1] << 8);
		uint16_t fl = (uint16_t)(mem[OUT + 4 * i + 2] | mem[OUT + 4 * i + 3] << 8);

		ok(ax == c->want_ax && (fl & c->defined) == c->want_flags,
		   "%s: AX %04x (want %04x), flags %03x (want %03x of %03x)", c->what, ax, c->want_ax,
		   fl & c->defined, c->want_flags, c->defined);
	}
	vm_free(vm);
	return tap_done();
}
