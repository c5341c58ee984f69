// SPDX-License-Identifier: GPL-2.0-only
// The x87 arithmetic back end: one x87 instruction executed by the host's FPU.
#ifndef SWKVM_CPU_EXEC_X87_HOST_H
#define SWKVM_CPU_EXEC_X87_HOST_H

#include <stdint.h>

/*
 * The state image is the 108-byte FNSAVE/FRSTOR layout of 32-bit protected mode (SDM
 * Vol.1 Figure 8-9 and §8.1.10): FCW at 0, FSW 4, full tag word 8, FIP 12, FCS/FOP 16,
 * FDP 20, FDS 24, ST(0)..ST(7) as 10-byte values from 28. The host's FPU is loaded from
 * `img` (FRSTOR), runs the instruction D8+op / modrm (memory forms address `mem`, which
 * must hold 10 bytes), and is stored back into `img` (FNSAVE). The caller must clear
 * the exception flags, ES and B in img's FSW first, so the instruction starts with no
 * exception pending and no SIGFPE can reach the host process; the host's own x87 state
 * is saved and restored around the call. *rflags supplies CF/PF/ZF (FCMOVcc) and
 * receives the arithmetic flags afterwards (FCOMI/FUCOMI). FIP/FDP/FOP in the result are
 * the host's and meaningless.
 */
void x87_host_exec(uint8_t img[108], unsigned op, unsigned modrm, void *mem, uint64_t *rflags);

#endif
