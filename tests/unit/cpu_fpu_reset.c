// SPDX-License-Identifier: GPL-2.0-only
// RESET and INIT and the x87/SSE state: INIT keeps it and XCR0 (SDM Vol.3 Table 10-1,
// KVM's kvm_vcpu_reset()), RESET gives FCW 0x37f, MXCSR 0x1f80, zeroed registers, XCR0 = 1.
#include "cpu_harness.h"

static void dirty(struct cpu *cpu)
{
	uint32_t mx = 0x9fc0;

	memset(cpu->fxsave + 160, 0xab, 256);
	memset(cpu->fxsave + 32, 0xcd, 10);
	memcpy(cpu->fxsave + 24, &mx, 4);
	cpu->fxsave[0] = 0x7e;
	cpu->xcr0 = 3;
}

int main(void)
{
	struct cpu *cpu = cpu_create(&harness_ops, NULL);
	uint32_t mx;
	uint16_t fcw;

	if (!cpu)
		tap_bail("cpu_create");
	dirty(cpu);
	cpu_reset(cpu, true);
	memcpy(&mx, cpu->fxsave + 24, 4);
	ok(mx == 0x9fc0 && cpu->fxsave[160] == 0xab && cpu->fxsave[415] == 0xab && cpu->fxsave[32] == 0xcd &&
	   cpu->fxsave[0] == 0x7e && cpu->xcr0 == 3, "INIT: MXCSR, XMM, ST0, FCW and XCR0 unchanged");
	cpu_reset(cpu, false);
	memcpy(&mx, cpu->fxsave + 24, 4);
	memcpy(&fcw, cpu->fxsave, 2);
	ok(mx == 0x1f80 && fcw == 0x37f && cpu->fxsave[160] == 0 && cpu->fxsave[415] == 0 &&
	   cpu->fxsave[32] == 0 && cpu->xcr0 == 1, "RESET: FCW 0x37f, MXCSR 0x1f80, registers zero, XCR0 = 1");
	cpu_destroy(cpu);
	return tap_done();
}
