// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: PCI configuration mechanism 1 (0xCF8/0xCFC) with a host bridge at 00:00.0,
// and the reset control register at 0xCF9.
//
// Source of truth: PCI Local Bus Specification 3.0, 3.2.2.3.2 (CONFIG_ADDRESS and
// CONFIG_DATA); the Intel 440FX/PIIX data sheets for the bridge's IDs and register 0xCF9.
// Only 32-bit accesses reach CONFIG_ADDRESS; other widths at 0xCF8-0xCFB pass through to
// whatever else decodes those ports (here: 0xCF9's reset control).
#include <string.h>

#include "vmm/vmm.h"

#define CFG_ENABLE 0x80000000u
#define BRIDGE_VENDOR 0x8086	/* Intel */
#define BRIDGE_DEVICE 0x1237	/* 440FX host bridge, as QEMU's pc machine */

void pci_init(struct pci *p, void (*reset)(void *), void *opaque)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->bridge_cmd = 0x0006;		/* memory space, bus master */
	p->reset = reset;
	p->reset_opaque = opaque;
}

/* the host bridge's configuration space, dword at `reg` */
static uint32_t bridge_dword(const struct pci *p, unsigned reg)
{
	switch (reg) {
	case 0x00: return BRIDGE_VENDOR | BRIDGE_DEVICE << 16;
	case 0x04: return p->bridge_cmd;			/* status 0 */
	case 0x08: return 0x02 | 0x060000u << 8;		/* revision 2, class host bridge */
	case 0x0c: return 0;					/* header type 0 */
	default: return 0;
	}
}

uint32_t pci_read(void *dev, uint16_t port, unsigned size)
{
	struct pci *p = dev;
	uint32_t v = 0xffffffffu;

	pthread_mutex_lock(&p->lock);
	if (port == 0xcf8 && size == 4) {
		v = p->addr;
	} else if (port >= 0xcfc) {
		unsigned bus = (p->addr >> 16) & 0xff, devfn = (p->addr >> 8) & 0xff;
		unsigned reg = (p->addr & 0xfc), off = (port & 3);

		if ((p->addr & CFG_ENABLE) && bus == 0 && devfn == 0)
			v = bridge_dword(p, reg) >> (8 * off);
		/* no device: master abort, all ones */
	} else if (port == 0xcf9 && size == 1) {
		v = 0;
	}
	pthread_mutex_unlock(&p->lock);
	if (size < 4)
		v &= (1u << (8 * size)) - 1;
	return v;
}

void pci_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct pci *p = dev;
	bool reset = false;

	pthread_mutex_lock(&p->lock);
	if (port == 0xcf8 && size == 4) {
		p->addr = val & 0x80fffffcu;	/* reserved bits 30:24 and 1:0 read as 0 */
	} else if (port >= 0xcfc) {
		unsigned bus = (p->addr >> 16) & 0xff, devfn = (p->addr >> 8) & 0xff;
		unsigned reg = (p->addr & 0xfc) + (port & 3);

		if ((p->addr & CFG_ENABLE) && bus == 0 && devfn == 0 && reg < 6 && reg >= 4) {
			/* the command register is the bridge's only writable field */
			unsigned sh = 8 * (reg - 4);
			uint32_t mask = (size >= 2 ? 0xffffu : 0xffu) << sh;

			p->bridge_cmd = (uint16_t)((p->bridge_cmd & ~mask) | ((val << sh) & mask));
		}
	} else if (port == 0xcf9 && size == 1) {
		/* reset control: bit 2 (RST_CPU) starts the reset bit 1 (SYS_RST) qualifies */
		reset = val & 0x04;
	}
	pthread_mutex_unlock(&p->lock);
	if (reset && p->reset)
		p->reset(p->reset_opaque);
}
