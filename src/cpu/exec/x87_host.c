// SPDX-License-Identifier: GPL-2.0-only
// The x87 arithmetic back end on an x86-64 host: the guest's instruction runs on the host FPU.
//
// Bit-exactness comes from the hardware the guest expects: rounding under the guest's
// precision and rounding control, NaN propagation, denormals, unsupported 80-bit
// encodings, the condition codes, C1, the stack-fault rules and the transcendental
// approximations are those of the host's x87 unit. This file is the only x86-64-specific
// part of the x87 executor; a portable back end (softfloat with the SDM's algorithms)
// replaces it behind x87_host.h.
#include "cpu/exec/x87_host.h"

/*
 * x87_host_stubs: for each of the 8 escape opcodes and 256 ModRM bytes, 4 bytes holding
 * the instruction and a RET. Register forms are the instruction itself; memory forms
 * are rewritten to mod=00 rm=110, i.e. [rsi]. Only encodings the executor accepts are
 * ever called.
 *
 * x87_host_call(img, mem, index, rflags): saves the host FPU (FNSAVE, which also
 * reinitialises it), FRSTOR the guest image, loads the guest's arithmetic flags, calls
 * the stub, stores the flags, FNSAVE the result into img and FRSTOR the host state.
 * FNSAVE never waits, so an unmasked exception the instruction raised stays pending in
 * the image only.
 */
__asm__(
	".text\n"
	".p2align 4\n"
	"x87_host_stubs:\n"
	".irp op,0,1,2,3,4,5,6,7\n"
	".set m,0\n"
	".rept 256\n"
	".if m >= 0xc0\n"
	".byte 0xd8+\\op, m\n"
	".else\n"
	".byte 0xd8+\\op, (m & 0x38) | 6\n"
	".endif\n"
	".byte 0xc3, 0x90\n"
	".set m,m+1\n"
	".endr\n"
	".endr\n"
	".p2align 4\n"
	".type x87_host_call,@function\n"
	"x87_host_call:\n"
	"	sub $120, %rsp\n"
	"	fnsave (%rsp)\n"
	"	frstor (%rdi)\n"
	"	lea x87_host_stubs(%rip), %rax\n"
	"	lea (%rax,%rdx,4), %rax\n"
	"	pushfq\n"
	"	mov (%rcx), %r8\n"
	"	and $0x8d5, %r8\n"
	"	mov (%rsp), %r9\n"
	"	and $~0x8d5, %r9\n"
	"	or %r9, %r8\n"
	"	push %r8\n"
	"	popfq\n"
	"	call *%rax\n"
	"	pushfq\n"
	"	pop %r8\n"
	"	mov %r8, (%rcx)\n"
	"	popfq\n"
	"	fnsave (%rdi)\n"
	"	frstor (%rsp)\n"
	"	add $120, %rsp\n"
	"	ret\n"
	".size x87_host_call, .-x87_host_call\n");

void x87_host_call(uint8_t *img, void *mem, uint64_t index, uint64_t *rflags);

void x87_host_exec(uint8_t img[108], unsigned op, unsigned modrm, void *mem, uint64_t *rflags)
{
	x87_host_call(img, mem, (uint64_t)((op & 7) * 256 + (modrm & 0xff)), rflags);
}
