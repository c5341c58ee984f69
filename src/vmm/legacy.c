// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: small legacy ports: debug-exit (0xf4), POST (0x80), System Control Port A
// (0x92: fast A20 and reset) and the ACPI PM1a event/control blocks and PM timer (0x600).
#include <string.h>

#include "vmm/vmm.h"

#define PM1_CNT_SCI_EN 0x0001
#define PM1_CNT_SLP_EN 0x2000
#define PM1_STS_TMR 0x0001

void legacy_init(struct legacy *l, struct vmm *v)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->vmm = v;
	l->port92 = 0x02;		/* A20 enabled */
	/* SMI_CMD is 0 in the FADT, so the platform is in ACPI mode from the start */
	l->pm1_cnt = PM1_CNT_SCI_EN;
	l->t0_ns = vmm_now_ns();
}

uint32_t legacy_read(void *dev, uint16_t port, unsigned size)
{
	struct legacy *l = dev;
	uint32_t v;

	pthread_mutex_lock(&l->lock);
	v = port == 0x92 ? l->port92 : l->post;
	pthread_mutex_unlock(&l->lock);
	return v;
}

void legacy_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct legacy *l = dev;
	bool reset = false;

	pthread_mutex_lock(&l->lock);
	if (port == 0x92) {
		/* bit 0: a 0 -> 1 transition resets the CPU; bit 1: A20 gate (kept, no effect) */
		reset = (val & 1) && !(l->port92 & 1);
		l->port92 = (uint8_t)(val & 0x03);
	} else {
		l->post = (uint8_t)val;	/* POST code / I/O delay */
	}
	pthread_mutex_unlock(&l->lock);
	if (reset)
		vmm_request_stop(l->vmm, EXIT_OK, "the guest rebooted (port 0x92 reset)");
}

/* isa-debug-exit as QEMU defines it: a write of v ends the VM with status (v << 1) | 1 */
uint32_t debug_exit_read(void *dev, uint16_t port, unsigned size)
{
	return 0;
}

void debug_exit_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct legacy *l = dev;

	vmm_request_stop(l->vmm, (int)((val << 1) | 1) & 0xff, "debug-exit");
}

/*
 * ACPI fixed hardware (ACPI 6.4 4.8.3): PM1a_EVT (status 0x600, enable 0x602), PM1a_CNT
 * (0x604) and the 24-bit PM timer at 3.579545 MHz (0x608). Status bits are write-1-to-clear.
 * Writing SLP_EN with SLP_TYP = the DSDT's _S5 value powers the machine off.
 */
uint32_t pm_read(void *dev, uint16_t port, unsigned size)
{
	struct legacy *l = dev;
	uint32_t v = 0;
	unsigned off = port - PM_BASE;

	pthread_mutex_lock(&l->lock);
	if (off >= 8) {
		uint64_t ns = vmm_now_ns() - l->t0_ns;
		uint64_t ticks = (uint64_t)((unsigned __int128)ns * PM_TMR_HZ / 1000000000u);

		v = (uint32_t)(ticks & 0xffffff) >> (8 * (off - 8));
	} else if (off < 4) {
		uint32_t evt = l->pm1_sts | (uint32_t)l->pm1_en << 16;

		v = evt >> (8 * off);
	} else if (off < 6) {
		v = (uint32_t)l->pm1_cnt >> (8 * (off - 4));
	}
	pthread_mutex_unlock(&l->lock);
	if (size < 4)
		v &= (1u << (8 * size)) - 1;
	return v;
}

void pm_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct legacy *l = dev;
	unsigned off = port - PM_BASE;
	bool off_req = false;

	pthread_mutex_lock(&l->lock);
	if (off < 2) {
		l->pm1_sts &= (uint16_t)~(val << (8 * off));
		if (size == 4)
			l->pm1_en = (uint16_t)(val >> 16);
	} else if (off < 4) {
		uint16_t mask = (uint16_t)(size >= 2 ? 0xffff : 0xff << (8 * (off - 2)));

		l->pm1_en = (uint16_t)((l->pm1_en & ~mask) | ((val << (8 * (off - 2))) & mask));
	} else if (off < 6) {
		uint16_t mask = (uint16_t)(size >= 2 ? 0xffff : 0xff << (8 * (off - 4)));
		uint16_t v = (uint16_t)((l->pm1_cnt & ~mask) | ((val << (8 * (off - 4))) & mask));

		/* SLP_EN is write-only and reads as 0 */
		if ((v & PM1_CNT_SLP_EN) && ((v >> 10) & 7) == PM_SLP_TYP_S5)
			off_req = true;
		l->pm1_cnt = (uint16_t)((v & ~PM1_CNT_SLP_EN) | PM1_CNT_SCI_EN);
	}
	pthread_mutex_unlock(&l->lock);
	if (off_req)
		vmm_request_stop(l->vmm, EXIT_OK, "the guest powered off");
}
