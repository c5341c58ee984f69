// SPDX-License-Identifier: GPL-2.0-only
// Differential test: x87 instructions on the host CPU and on swkvm's CPU, compared.
//
// Each case is a random x87 state (TOP, tags, the eight registers from edge and random
// 80-bit values including pseudo-denormals, unnormals, pseudo-NaN/infinity, SNaN/QNaN
// with payloads; a control word with any precision and rounding control and, in a
// third of the cases, unmasked exceptions; sticky masked flags and condition codes),
// first as an edge matrix (every form with ST(0) and ST(1) of every pair of value
// classes, about 150k cases), then at random,
// random arithmetic flags, a memory operand of the instruction's format, and one x87
// instruction (every valid ModRM of D8-DF apart from FNSTENV/FNSAVE and the FIP-carrying
// forms, which the appended FNSAVE covers). Natively a stub runs FRSTOR, the
// instruction on [rdi+128], PUSHFQ and FNSAVE; swkvm runs the instruction followed by
// FNSAVE in 64-bit mode. The whole 108-byte FNSAVE image (control, status and full tag
// words, reserved bytes, the eight registers) is compared except FIP/FCS/FOP/FDP/FDS,
// which hold addresses, plus the memory block, AX and the arithmetic flags.
// SWKVM_DIFF_CASES sets the number of random cases (default 200000); SWKVM_DIFF_SEED
// the seed.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/internal.h"
#include "tap.h"

#define MEM_SIZE 112
struct state {
	uint8_t img[108];	/* FNSAVE image: in before, out after */
	uint8_t pad[4];
	uint64_t rflags;	/* at 112 */
	uint64_t rax;		/* at 120 */
	uint8_t mem[MEM_SIZE];	/* at 128 */
};
_Static_assert(__builtin_offsetof(struct state, rflags) == 112, "layout");
_Static_assert(__builtin_offsetof(struct state, rax) == 120, "layout");
_Static_assert(__builtin_offsetof(struct state, mem) == 128, "layout");

static uint8_t *stub;

/* rdi = state: frstor [rdi]; mov rax,[rdi+120]; push [rdi+112]; popfq; insn; pushfq;
 * pop [rdi+112]; mov [rdi+120],rax; fnsave [rdi]; ret */
static void build_stub(const uint8_t *insn, unsigned len)
{
	uint8_t *p = stub;

	memcpy(p, "\xdd\x27\x48\x8b\x47\x78\xff\x77\x70\x9d", 10);
	p += 10;
	memcpy(p, insn, len);
	p += len;
	memcpy(p, "\x9c\x8f\x47\x70\x48\x89\x47\x78\xdd\x37\xc3", 11);
}

/* ---- swkvm ---- */
static uint8_t ram[4 * 4096];
#define STATE_GPA 0x2000

static uint8_t *gpa_page(void *opaque, uint64_t gfn, bool write)
{
	(void)opaque; (void)write;
	return gfn < 4 ? ram + gfn * 4096 : NULL;
}

static uint64_t read_tsc(void *opaque)
{
	(void)opaque;
	return 0;
}

static const struct cpu_host_ops ops = { .gpa_page = gpa_page, .read_tsc = read_tsc };

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* The FNSAVE image's state into cpu->fxsave (the FXRSTOR view: abridged tag). */
static void load_fx(struct cpu *cpu, const uint8_t *img)
{
	uint16_t tw = rd16(img + 8);

	memset(cpu->fxsave, 0, 32 + 128);
	memcpy(cpu->fxsave + 0, img + 0, 2);
	memcpy(cpu->fxsave + 2, img + 4, 2);
	cpu->fxsave[4] = 0;
	for (int j = 0; j < 8; j++)
		if (((tw >> (2 * j)) & 3) != 3)
			cpu->fxsave[4] |= (uint8_t)(1 << j);
	for (int i = 0; i < 8; i++)
		memcpy(cpu->fxsave + 32 + 16 * i, img + 28 + 10 * i, 10);
}

/* Runs insn + FNSAVE [rdi] + HLT; false if it did not end at that HLT. */
static bool run_swkvm(struct cpu *cpu, const uint8_t *insn, unsigned len, struct state *s)
{
	struct cpu_exit e;
	uint64_t code64 = 0x00209a0000000000ull;

	cpu_reset(cpu, false);
	cpu->cr0 |= CPU_CR0_PE | CPU_CR0_NE;
	cpu->efer = CPU_EFER_LME | CPU_EFER_LMA;
	cpu->seg[CPU_CS].selector = 8;
	cpu->seg[CPU_CS].base = 0;
	cpu->seg[CPU_CS].l = 1;
	cpu->seg[CPU_CS].db = 0;
	cpu->rip = 0x1000;
	memcpy(ram + 0x3008, &code64, 8);
	cpu->gdt.base = 0x3000;
	cpu->gdt.limit = 15;
	cpu->idt.base = 0x3100;
	cpu->idt.limit = 0;	/* any exception: triple fault */
	cpu->features = CPU_FEAT_ALL;
	memcpy(ram + STATE_GPA, s, sizeof(*s));
	cpu->gpr[CPU_RDI] = STATE_GPA;
	cpu->gpr[CPU_RAX] = s->rax;
	cpu->gpr[CPU_RSP] = 0x3f00;
	load_fx(cpu, s->img);
	cpu_set_rflags(cpu, s->rflags);
	cpu_state_changed(cpu);
	memcpy(ram + 0x1000, insn, len);
	memcpy(ram + 0x1000 + len, "\xdd\x37\xf4", 3);	/* fnsave [rdi]; hlt */
	if (cpu_run(cpu, &e) != CPU_EXIT_HLT || cpu->rip != 0x1000 + len + 3)
		return false;
	memcpy(s->img, ram + STATE_GPA, 108);
	memcpy(s->mem, ram + STATE_GPA + 128, MEM_SIZE);
	s->rflags = cpu_get_rflags(cpu);
	s->rax = cpu->gpr[CPU_RAX];
	return true;
}

/* ---- generation ---- */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* An 80-bit value of class `cls` (0-15): edge classes and random ones near the interesting exponents. */
#define F80_CLASSES 16
static void gen_f80_class(uint8_t *p, unsigned cls)
{
	uint64_t m = rnd();
	uint16_t e = (uint16_t)rnd();
	unsigned sign = (rnd() & 1) << 15;

	switch (cls) {
	case 0: m = 0; e = 0; break;					/* zero */
	case 1: m >>= 1 + rnd() % 63; e = 0; break;			/* denormal */
	case 2: m |= 1ull << 63; e = 0; break;				/* pseudo-denormal */
	case 3: m &= ~(1ull << 63); e = (uint16_t)(1 + rnd() % 0x7ffe); break;	/* unnormal */
	case 4: m = 1ull << 63; e = 0x7fff; break;			/* infinity */
	case 5: m = (1ull << 63) | (rnd() & ((1ull << 62) - 1)); if (!(m << 1)) m |= 1; e = 0x7fff; break; /* SNaN */
	case 6: m = (3ull << 62) | (rnd() >> 2); e = 0x7fff; break;	/* QNaN */
	case 7: m = 3ull << 62; e = 0x7fff; sign = 0x8000; break;	/* real indefinite */
	case 8: m &= ~(1ull << 63); e = 0x7fff; break;			/* pseudo-NaN/infinity */
	case 9: m = ~0ull; e = rnd() & 1 ? 0x7ffe : 1; break;		/* max / near min normal */
	case 10: m = (1ull << 63) | (rnd() & 0xfff); e = (uint16_t)(0x3fff + rnd() % 64); break;
	case 11: m = (1ull << 63) | ((rnd() & 1) << 10) | (rnd() & 1 ? 0x400 : 0x3ff); e = (uint16_t)(0x3fff + (rnd() % 80) - 40); break; /* rounding boundaries */
	case 12: m |= 1ull << 63; e = (uint16_t)(0x3fff - 16400 + rnd() % 200 + 16383 - 200); break;
	case 13: m = (1ull << 63) | (rnd() << 40 >> 40); e = (uint16_t)(0x3fff + rnd() % 63); break; /* integers-ish */
	default: m |= 1ull << 63; e = (uint16_t)(0x3fff + (int)(rnd() % 200) - 100); break;
	}
	e = (uint16_t)((e & 0x7fff) | sign);
	memcpy(p, &m, 8);
	memcpy(p + 8, &e, 2);
}

static void gen_f80(uint8_t *p)
{
	gen_f80_class(p, (unsigned)(rnd() % F80_CLASSES));
}

static uint32_t gen_f32(void)
{
	static const uint32_t edges[] = { 0, 0x80000000, 1, 0x807fffff, 0x00800000, 0x7f7fffff,
		0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x3f800000,
		0x3f800001, 0x4b000000, 0x3effffff };
	switch (rnd() % 3) {
	case 0: return edges[rnd() % 16];
	case 1: return (uint32_t)(0x3f000000 + (rnd() % 0x2000000)) | (uint32_t)((rnd() & 1) << 31);
	default: return (uint32_t)rnd();
	}
}

static uint64_t gen_f64(void)
{
	static const uint64_t edges[] = { 0, 1ull << 63, 1, 0x000fffffffffffffull,
		0x0010000000000000ull, 0x7fefffffffffffffull, 0x7ff0000000000000ull,
		0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
		0x7ff0000000000001ull, 0x7ff4000000000000ull, 0x3ff0000000000000ull,
		0x3ff0000000000001ull, 0x4330000000000000ull, 0x43e0000000000000ull };
	switch (rnd() % 3) {
	case 0: return edges[rnd() % 16];
	case 1: return (0x3f00000000000000ull + (rnd() % 0x200000000000000ull)) | ((rnd() & 1) << 63);
	default: return rnd();
	}
}

static uint64_t gen_int(void)
{
	static const uint64_t edges[] = { 0, 1, ~0ull, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
		0x7fffffffffffffffull, 0x8000000000000000ull, 100, 0xffffffffffff8000ull };
	return rnd() % 2 ? edges[rnd() % 12] : rnd() >> (rnd() % 64);
}

static void gen_bcd(uint8_t *p)
{
	for (int i = 0; i < 9; i++)
		p[i] = rnd() % 8 ? (uint8_t)((rnd() % 10) << 4 | (rnd() % 10)) : (uint8_t)rnd();
	p[9] = rnd() % 8 ? (uint8_t)(rnd() & 0x80) : (uint8_t)rnd();
}

/* The memory operand's size for ESC op with ModRM.reg r (0: a form not generated). */
static unsigned mem_size(unsigned op, unsigned r, int *kind)
{
	static const uint8_t sz[8][8] = {
		{ 4, 4, 4, 4, 4, 4, 4, 4 }, { 4, 0, 4, 4, 28, 2, 0, 2 },
		{ 4, 4, 4, 4, 4, 4, 4, 4 }, { 4, 4, 4, 4, 0, 10, 0, 10 },
		{ 8, 8, 8, 8, 8, 8, 8, 8 }, { 8, 8, 8, 8, 108, 0, 0, 2 },
		{ 2, 2, 2, 2, 2, 2, 2, 2 }, { 2, 2, 2, 2, 10, 8, 10, 8 } };
	/* what the operand holds: 0 int, 1 f32, 2 f64, 3 f80, 4 bcd, 5 env/state */
	static const uint8_t k[8][8] = {
		{ 1, 1, 1, 1, 1, 1, 1, 1 }, { 1, 0, 1, 1, 5, 0, 0, 0 },
		{ 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 3, 0, 3 },
		{ 2, 2, 2, 2, 2, 2, 2, 2 }, { 2, 0, 2, 2, 5, 0, 0, 0 },
		{ 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 4, 0, 4, 0 } };
	*kind = k[op][r];
	return sz[op][r];
}

/* Register forms that exist (documented and alias rows). */
static bool reg_ok(unsigned op, unsigned m)
{
	unsigned r = (m >> 3) & 7, lo = m & 7;

	switch (op) {
	case 1:
		if (r == 2) return m == 0xd0;
		if (r == 4) return lo == 0 || lo == 1 || lo == 4 || lo == 5;
		if (r == 5) return lo != 7;
		return true;
	case 2: return r <= 3 || m == 0xe9;
	case 3: return r == 4 ? lo <= 4 : r != 7;
	case 5: return r <= 5;
	case 6: return r != 3 || m == 0xd9;
	case 7: return r == 4 ? lo == 0 : r != 7;
	default: return true;
	}
}

struct form { uint8_t op, modrm; };
static struct form forms[8 * 256];
static unsigned nforms;

static void gen_state(struct state *s)
{
	uint16_t cw, sw, tw = 0, top = (uint16_t)(rnd() % 8), flags;

	memset(s, 0, sizeof(*s));
	cw = (uint16_t)((rnd() % 3 == 0 ? rnd() & 0x3f : 0x3f) | ((rnd() % 4) << 8) | ((rnd() % 4) << 10) | 0x40);
	flags = (uint16_t)(rnd() & 0x3f & cw);	/* only masked flags are pending */
	sw = (uint16_t)(flags | (rnd() & 0x4700) | (top << 11) | ((flags & 1) && (rnd() & 1) ? 0x40 : 0));
	for (int j = 0; j < 8; j++)
		if (rnd() % 4 == 0)
			tw |= (uint16_t)(3 << (2 * j));
	memset(s->img, 0xff, 28);
	memcpy(s->img + 0, &cw, 2);
	memcpy(s->img + 4, &sw, 2);
	memcpy(s->img + 8, &tw, 2);
	memset(s->img + 12, 0, 16);
	for (int i = 0; i < 8; i++)
		gen_f80(s->img + 28 + 10 * i);
	s->rflags = 0x202 | (rnd() & 0x8d5);
	s->rax = rnd();
	for (int i = 0; i < MEM_SIZE; i++)
		s->mem[i] = (uint8_t)rnd();
}

static void gen_mem(struct state *s, unsigned op, unsigned r)
{
	int kind;
	unsigned size = mem_size(op, r, &kind);
	uint64_t v;
	uint32_t f;

	switch (kind) {
	case 0: v = gen_int(); memcpy(s->mem, &v, size < 8 ? size : 8); break;
	case 1: f = gen_f32(); memcpy(s->mem, &f, 4); break;
	case 2: v = gen_f64(); memcpy(s->mem, &v, 8); break;
	case 3: gen_f80(s->mem); break;
	case 4: gen_bcd(s->mem); break;
	default: {
		/* an environment (FLDENV) or state (FRSTOR) image from a random state */
		struct state t;
		gen_state(&t);
		memcpy(s->mem, t.img, size == 108 ? 108 : 28);
		break;
	}
	}
}

static void dump(const char *tag, const struct state *s)
{
	char line[400];
	int n = 0;

	for (int i = 0; i < 28; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", s->img[i]);
	tap_diag("  %s env %s flags %03" PRIx64 " ax %04" PRIx64, tag, line, s->rflags & 0x8d5, s->rax & 0xffff);
	for (int i = 0; i < 8; i++) {
		n = 0;
		for (int b = 9; b >= 0; b--)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", s->img[28 + 10 * i + b]);
		tap_diag("  %s st%d %s", tag, i, line);
	}
}

/* FIP (12-15), FCS/FOP (16-19), FDP (20-23), FDS (24-27) hold addresses: not compared. */
static bool same(const struct state *a, const struct state *b)
{
	return !memcmp(a->img, b->img, 12) && !memcmp(a->img + 28, b->img + 28, 80) &&
	       !memcmp(a->mem, b->mem, MEM_SIZE) && (a->rflags & 0x8d5) == (b->rflags & 0x8d5) &&
	       a->rax == b->rax;
}

static long mem_cases, shown;

/* One case: the form on the state `in` (memory operand generated here), natively and on swkvm. */
static bool run_case(struct cpu *cpu, struct form f, struct state *in)
{
	struct state host, sw;
	uint8_t insn[8];
	unsigned len = 0;

	insn[len++] = (uint8_t)(0xd8 + f.op);
	if (f.modrm < 0xc0) {
		/* [rdi + 128] */
		insn[len++] = (uint8_t)(0x80 | (f.modrm & 0x38) | 7);
		memcpy(insn + len, "\x80\x00\x00\x00", 4);
		len += 4;
		gen_mem(in, f.op, (f.modrm >> 3) & 7);
		mem_cases++;
	} else {
		insn[len++] = f.modrm;
	}
	host = *in;
	sw = *in;
	build_stub(insn, len);
	((void (*)(struct state *))stub)(&host);
	if (run_swkvm(cpu, insn, len, &sw) && same(&host, &sw))
		return true;
	if (++shown <= 5) {
		tap_diag("mismatch: %02x %02x", insn[0], insn[1]);
		dump("in  ", in);
		dump("host", &host);
		dump("swkvm", &sw);
		if (memcmp(host.mem, sw.mem, MEM_SIZE))
			tap_diag("  memory differs");
	}
	return false;
}

int main(void)
{
	const char *env = getenv("SWKVM_DIFF_CASES");
	long cases = env ? atol(env) : 200000, bad = 0, ran = 0, unmasked = 0, edge_bad = 0, edge_ran = 0;
	struct cpu *cpu;

	rng_state = getenv("SWKVM_DIFF_SEED") ? strtoull(getenv("SWKVM_DIFF_SEED"), NULL, 0) : 0x87878787ull;
	if (!rng_state)
		rng_state = 1;
	stub = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cpu = cpu_create(&ops, NULL);
	if (stub == MAP_FAILED || !cpu)
		tap_bail("cannot set up (executable stub or CPU)");

	for (unsigned op = 0; op < 8; op++)
		for (unsigned m = 0; m < 256; m++) {
			int kind;
			if (m < 0xc0 ? (m & 7) != 0 || !mem_size(op, (m >> 3) & 7, &kind) : !reg_ok(op, m))
				continue;
			forms[nforms++] = (struct form){ (uint8_t)op, (uint8_t)m };
		}

	/* the edge matrix: every form with ST(0) and ST(1) of every pair of value classes */
	for (unsigned fi = 0; fi < nforms; fi++)
		for (unsigned c0 = 0; c0 < F80_CLASSES; c0++)
			for (unsigned c1 = 0; c1 < F80_CLASSES; c1++) {
				struct state in;
				uint16_t tw;

				gen_state(&in);
				/* both in use: ST(0) and ST(1) are the physical registers TOP and TOP+1 */
				memcpy(&tw, in.img + 8, 2);
				tw &= (uint16_t)~(3u << (2 * ((in.img[5] >> 3) & 7)));
				tw &= (uint16_t)~(3u << (2 * (((in.img[5] >> 3) + 1) & 7)));
				memcpy(in.img + 8, &tw, 2);
				gen_f80_class(in.img + 28, c0);
				gen_f80_class(in.img + 38, c1);
				if (!run_case(cpu, forms[fi], &in))
					edge_bad++;
				edge_ran++;
			}
	ok(edge_bad == 0, "edge matrix: %ld cases (%u forms x %u x %u classes), %ld mismatches",
	   edge_ran, nforms, F80_CLASSES, F80_CLASSES, edge_bad);

	mem_cases = 0;
	for (long c = 0; c < cases; c++) {
		struct state in;

		gen_state(&in);
		if (!run_case(cpu, forms[rnd() % nforms], &in))
			bad++;
		ran++;
		if ((rd16(in.img) & 0x3f) != 0x3f)
			unmasked++;
	}
	ok(bad == 0, "%ld random x87 cases over %u forms, %ld mismatches", ran, nforms, bad);
	ok(mem_cases > ran / 4 && unmasked > ran / 5, "%ld with a memory operand, %ld with unmasked exceptions", mem_cases, unmasked);
	cpu_destroy(cpu);
	munmap(stub, 4096);
	return tap_done();
}
