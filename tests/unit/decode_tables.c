// SPDX-License-Identifier: GPL-2.0-only
// Decoder unit tests: table invariants, instruction lengths and operands in each mode,
// and the encodings that must fault (#UD, the 15-byte #GP).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_harness.h"

struct vec {
	int mode;
	const char *bytes;
	int n;			/* number of bytes (the literal may contain NULs) */
	int len;		/* expected length, or -1 for #UD, -2 for #GP */
	const char *what;
};

#define B(lit) lit, (int)sizeof(lit) - 1
static const struct vec vecs[] = {
	{ M64, B("\x48\x89\xe5"), 3, "mov rbp, rsp" },
	{ M64, B("\x48\x8b\x05\x10\x20\x30\x40"), 7, "mov rax, [rip+disp32]" },
	{ M64, B("\x66\x0f\x1f\x44\x00\x00"), 6, "nopw 0(rax,rax)" },
	{ M64, B("\xf3\x0f\x1e\xfa"), 4, "endbr64" },
	{ M64, B("\x48\xb8\x01\x02\x03\x04\x05\x06\x07\x08"), 10, "movabs rax, imm64" },
	{ M64, B("\xc7\x84\x24\x00\x01\x00\x00\x44\x33\x22\x11"), 11, "mov dword [rsp+disp32], imm32" },
	{ M64, B("\x66\x0f\x3a\x0f\xc1\x08"), 6, "palignr (3-byte map with imm8)" },
	{ M64, B("\x66\x0f\x38\x00\xc1"), 5, "pshufb (3-byte map)" },
	{ M64, B("\x67\x8b\x04\x24"), 4, "addr32 mov eax, [esp]" },
	{ M64, B("\xf0\x48\x0f\xb1\x0e"), 5, "lock cmpxchg [rsi], rcx" },
	{ M64, B("\xe8\x00\x00\x00\x00"), 5, "call rel32" },
	{ M64, B("\xd9\xee"), 2, "fldz (x87 escape)" },
	{ M64, B("\x41\x50"), 2, "push r8" },
	{ M64, B("\x48\x83\xec\x08"), 4, "sub rsp, 8 (imm8)" },
	{ M64, B("\x48\x69\xc0\x10\x00\x00\x00"), 7, "imul rax, rax, imm32" },
	{ M64, B("\x66\x48\xb8\x01\x02\x03\x04\x05\x06\x07\x08"), 11, "66 REX.W mov: REX.W wins, imm64" },
	{ M64, B("\x48\x66\xb8\x01\x02"), 5, "REX before 66 is ignored: mov ax, imm16" },
	{ M64, B("\x0f\x05"), 2, "syscall" },
	{ M64, B("\x66\x0f\x38\xf1\x07"), 5, "movbe [rdi], ax" },
	{ M64, B("\x0f\x38\xf0\xc0"), -1, "movbe with a register operand: #UD" },
	{ M64, B("\xf3\x48\x0f\xb8\x04\x24"), 6, "popcnt rax, [rsp] (F3 then REX.W)" },
	{ M64, B("\x06"), -1, "push es is #UD in 64-bit mode" },
	{ M64, B("\xf0\x01\xc0"), -1, "LOCK on a register destination: #UD" },
	{ M64, B("\xf0\x90"), -1, "LOCK NOP: #UD" },
	{ M64, B("\x8d\xc0"), -1, "LEA with a register source: #UD" },
	{ M64, B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"), 15, "15 bytes is the limit" },
	{ M64, B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"), -2, "16 bytes: #GP" },
	{ M16, B("\xb8\x34\x12"), 3, "mov ax, imm16" },
	{ M16, B("\x66\xb8\x78\x56\x34\x12"), 6, "mov eax, imm32 (66 in 16-bit code)" },
	{ M16, B("\xc7\x06\x00\x80\x34\x12"), 6, "mov word [0x8000], imm16" },
	{ M16, B("\x8b\x87\x34\x12"), 4, "mov ax, [bx+0x1234]" },
	{ M16, B("\xea\x00\x00\x00\xf0"), 5, "jmp far f000:0000" },
	{ M16, B("\x67\x8b\x44\x24\x04"), 5, "addr32 mov ax, [esp+4] in 16-bit code" },
	{ M16, B("\x40"), 1, "inc ax (not REX outside 64-bit mode)" },
	{ M32, B("\x8b\x44\x24\x04"), 4, "mov eax, [esp+4]" },
	{ M32, B("\x05\x01\x02\x03\x04"), 5, "add eax, imm32" },
	{ M32, B("\x9a\x00\x00\x00\x00\x08\x00"), 7, "call far ptr16:32" },
	{ M32, B("\x66\x9a\x00\x00\x08\x00"), 6, "call far ptr16:16" },
	{ M64, B("\x0f\xb8\xc1"), -1, "0F B8 without F3 (JMPE): #UD" },
	{ M64, B("\x66\x0f\xb8\xc1"), -1, "66 0F B8: #UD (no 66 column)" },
	{ M64, B("\x0f\x01\xf8"), 3, "swapgs (0F 01 /7 rm 0)" },
	{ M32, B("\x0f\x01\xf8"), -1, "swapgs outside 64-bit mode: #UD (o64)" },
	{ M64, B("\x0f\x01\xc1"), 3, "vmcall (0F 01 /0 rm 1)" },
	{ M64, B("\x0f\x01\xc8"), -1, "monitor: not in the CPU model, #UD" },
	{ M64, B("\x0f\x01\x38"), 3, "invlpg [rax] (memory form of /7)" },
	{ M64, B("\x0f\xae\xf8"), 3, "sfence (0F AE /7 register form)" },
	{ M64, B("\x0f\xae\x38"), 3, "clflush [rax] (0F AE /7 memory form)" },
	{ M64, B("\x0f\xae\xc0"), -1, "0F AE /0 register form: #UD (no FSGSBASE)" },
	{ M64, B("\x0f\xc7\xc8"), -1, "cmpxchg8b with a register operand: #UD" },
	{ M64, B("\xf0\x48\x0f\xc7\x0e"), 5, "lock cmpxchg16b [rsi]" },
	{ M64, B("\x63\xc1"), 2, "63 in 64-bit mode: movsxd" },
	{ M32, B("\x63\xc1"), 2, "63 in 32-bit mode: arpl" },
	{ M16, B("\x63\xc1"), -1, "arpl in real mode: #UD" },
	{ M16, B("\x0f\x00\xc0"), -1, "sldt in real mode: #UD" },
	{ M32, B("\x0f\x02\xc1"), 3, "lar eax, cx" },
	{ M32, B("\x27"), 1, "daa" },
	{ M64, B("\x27"), -1, "daa in 64-bit mode: #UD" },
	{ M32, B("\xd4\x0a"), 2, "aam 10" },
	{ M32, B("\x62\x07"), 2, "bound eax, [edi]" },
	{ M64, B("\x66\x0f\x3a\x63\xc1\x08"), 6, "pcmpistri (0F 3A row, Ib)" },
	{ M64, B("\x0f\x3a\x10\xc1\x08"), -1, "0F 3A 10: no such row, #UD" },
	{ M64, B("\xf0\x0f\xb0\xc1"), -1, "LOCK cmpxchg with a register destination: #UD" },
	{ M64, B("\xf0\x80\x38\x01"), -1, "LOCK cmp [rax], 1: #UD (CMP is not lockable)" },
	{ M64, B("\xf0\x80\x08\x01"), 3 + 1, "lock or byte [rax], 1" },
	{ M64, B("\x48\x26\x8b\x00"), 4, "REX then a segment prefix: REX ignored" },
};

static int dummy_handler(struct cpu *cpu, struct insn *in)
{
	(void)cpu; (void)in;
	return EXEC_OK;
}

/* The checker rejects each kind of defect it exists to catch. */
static void test_table_check(void)
{
	static const struct opcode grp_ok[8] = { [0] = { .handler = dummy_handler, .name = "x", .lock = true } };
	static const struct opcode grp_reglock[8] = { [0] = { .handler = dummy_handler, .name = "x", .lock = true,
							      .op = { { OK_G, SZ_V }, { OK_E, SZ_V } } } };
	const struct opcode good = { .name = "g", .sub = SUB_REG, .table = grp_ok, .modrm = true,
				     .op = { { OK_E, SZ_V } } };
	const struct opcode no_handler = { .name = "nh", .modrm = true };
	const struct opcode lock_reg = { .name = "lr", .sub = SUB_REG, .table = grp_reglock, .modrm = true };
	const struct opcode lock_nomodrm = { .handler = dummy_handler, .name = "ln", .lock = true,
					     .op = { { OK_E, SZ_V } } };
	const struct opcode group_nomodrm = { .name = "gn", .sub = SUB_REG, .table = grp_ok,
					      .op = { { OK_E, SZ_V } } };
	const struct opcode both = { .handler = dummy_handler, .name = "b", .sub = SUB_REG, .table = grp_ok, .modrm = true };
	const struct opcode fallback_nofeat = { .handler = dummy_handler, .name = "f", .fallback = &no_handler };

	is(opcode_row_check(&good), 0, "table check: a sound group row passes");
	ok(opcode_row_check(&no_handler) > 0, "table check: a named row without a handler is a defect");
	ok(opcode_row_check(&lock_reg) > 0, "table check: LOCK on a register-destination row is a defect");
	ok(opcode_row_check(&lock_nomodrm) > 0, "table check: LOCK on a row without ModRM is a defect");
	ok(opcode_row_check(&group_nomodrm) > 0, "table check: a ModRM.reg group without ModRM is a defect");
	ok(opcode_row_check(&both) > 0, "table check: a row with a handler and a sub-table is a defect");
	ok(opcode_row_check(&fallback_nofeat) > 0, "table check: a fallback without a feature is a defect");
}

/* Feature-dependent rows: #UD, or the older meaning where the SDM gives one. */
static void test_features(struct cpu *cpu)
{
	struct insn in;

	set_mode(cpu, M64);
	cpu->features = CPU_FEAT_DEFAULT;
	memcpy(ram + 0x1000, "\xf3\x0f\xbd\xc1", 4);	/* lzcnt eax, ecx */
	ok(cpu_decode(cpu, &in) == EXEC_OK && strcmp(in.op->name, "bsr") == 0,
	   "F3 0F BD without LZCNT decodes as BSR");
	cpu->features = CPU_FEAT_ALL;
	ok(cpu_decode(cpu, &in) == EXEC_OK && strcmp(in.op->name, "lzcnt") == 0 && in.len == 4,
	   "F3 0F BD with LZCNT decodes as LZCNT");
	memcpy(ram + 0x1000, "\x66\xf3\x0f\xbc\xc1", 5);	/* tzcnt ax, cx */
	ok(cpu_decode(cpu, &in) == EXEC_OK && strcmp(in.op->name, "tzcnt") == 0 && in.opsize == 2,
	   "66 F3 0F BC: TZCNT, and 66 keeps its operand-size meaning");
	memcpy(ram + 0x1000, "\x0f\x01\xf9", 3);		/* rdtscp */
	ok(cpu_decode(cpu, &in) == EXEC_OK && strcmp(in.op->name, "rdtscp") == 0, "RDTSCP with its feature");
	cpu->features = 0;
	cpu->in->exc_pending = false;
	ok(cpu_decode(cpu, &in) == EXEC_EXC && cpu->in->exc_vector == CPU_EXC_UD, "RDTSCP without it: #UD");
	memcpy(ram + 0x1000, "\x0f\x38\xf0\x07", 4);	/* movbe eax, [rdi] */
	cpu->in->exc_pending = false;
	ok(cpu_decode(cpu, &in) == EXEC_EXC && cpu->in->exc_vector == CPU_EXC_UD, "MOVBE without its feature: #UD");
	cpu->features = CPU_FEAT_DEFAULT;
}

static void test_vectors(struct cpu *cpu)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		struct insn in;
		int r;

		set_mode(cpu, v->mode);
		memset(ram + 0x1000, 0x90, 32);
		memcpy(ram + 0x1000, v->bytes, (size_t)v->n);
		cpu->in->exc_pending = false;
		r = cpu_decode(cpu, &in);
		if (v->len >= 0) {
			ok(r == EXEC_OK && in.len == v->len, "%s: length %d (got %d, r=%d)", v->what, v->len,
			   r == EXEC_OK ? in.len : -1, r);
		} else {
			uint8_t want = v->len == -1 ? CPU_EXC_UD : CPU_EXC_GP;
			ok(r == EXEC_EXC && cpu->in->exc_vector == want, "%s", v->what);
		}
	}
}

static void test_operands(struct cpu *cpu)
{
	struct insn in;

	set_mode(cpu, M64);
	memcpy(ram + 0x1000, "\x44\x8a\x7c\x8d\x10", 5);	/* mov r15b, [rbp+rcx*4+0x10] */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.ops[0].reg == CPU_R15 && in.ops[0].size == 1 &&
	   in.base == CPU_RBP && in.index == CPU_RCX && in.scale == 2 && in.disp == 0x10 &&
	   in.seg == CPU_SS, "REX.R register, SIB with scale 4, rBP-based default SS");
	memcpy(ram + 0x1000, "\x88\xe0", 2);			/* mov al, ah */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.ops[1].reg == (CPU_RAX | REG_HIGH_BYTE),
	   "byte register 4 without REX is AH");
	memcpy(ram + 0x1000, "\x40\x88\xe0", 3);		/* mov al, spl */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.ops[1].reg == CPU_RSP, "with any REX it is SPL");
	memcpy(ram + 0x1000, "\x64\x48\x8b\x04\x25\x28\x00\x00\x00", 9);	/* mov rax, fs:0x28 */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.seg == CPU_FS && in.base == -1 && in.index == -1 &&
	   in.disp == 0x28 && !in.rip_rel, "FS override, SIB with no base and no index");
	memcpy(ram + 0x1000, "\x2e\x8b\x00", 3);		/* cs: mov eax, [rax] */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.seg == CPU_DS, "CS override is ignored in 64-bit mode");
	memcpy(ram + 0x1000, "\x6a\xff", 2);			/* push -1 */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.opsize == 8 && in.ops[0].imm == ~0ull,
	   "push imm8 is sign-extended, 64-bit operand size by default");
	set_mode(cpu, M16);
	memcpy(ram + 0x1000, "\x8b\x46\xfe", 3);		/* mov ax, [bp-2] */
	ok(cpu_decode(cpu, &in) == EXEC_OK && in.base == CPU_RBP && in.index == -1 && in.disp == -2 &&
	   in.seg == CPU_SS && in.addrsize == 2, "16-bit [bp+disp8] defaults to SS");
}

int main(void)
{
	struct cpu *cpu = cpu_create(&harness_ops, NULL);

	ok(cpu != NULL, "cpu_create");
	is(opcode_tables_check(), 0, "opcode tables: every row has a handler or sub-table, LOCK only on memory forms");
	test_table_check();
	test_vectors(cpu);
	test_features(cpu);
	test_operands(cpu);
	cpu_destroy(cpu);
	return tap_done();
}
