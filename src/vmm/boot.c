// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: guest memory helpers, the e820 map, and the 64-bit entry's GDT and page tables.
#include <string.h>

#include "vmm/vmm.h"

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (len > gm->size)
		return NULL;
	if (gpa < gm->low_end) {
		if (len > gm->low_end - gpa)
			return NULL;
		return gm->host + gpa;
	}
	if (gpa >= HIGH_RAM_START) {
		uint64_t off = gpa - HIGH_RAM_START, high = gm->size - gm->low_end;

		if (off > high || len > high - off)
			return NULL;
		return gm->host + gm->low_end + off;
	}
	return NULL;
}

/*
 * The PC memory map without a BIOS of our own: conventional memory up to the EBDA,
 * reserved EBDA and BIOS area (where the ACPI and MP tables live, so the kernel's scans of
 * 0xe0000-0xfffff find them and keeps them), RAM from 1 MiB to the PCI hole at 3 GiB, and
 * the rest of RAM above 4 GiB. The VGA hole 0xa0000-0xdffff is simply absent.
 */
int e820_build(const struct guest_mem *gm, struct e820e *out)
{
	int n = 0;

	out[n++] = (struct e820e){ 0, EBDA_START, E820_RAM };
	out[n++] = (struct e820e){ EBDA_START, 0xa0000 - EBDA_START, E820_RESERVED };
	out[n++] = (struct e820e){ BIOS_START, 0x100000 - BIOS_START, E820_RESERVED };
	if (gm->low_end > 0x100000)
		out[n++] = (struct e820e){ 0x100000, gm->low_end - 0x100000, E820_RAM };
	if (gm->size > gm->low_end)
		out[n++] = (struct e820e){ HIGH_RAM_START, gm->size - gm->low_end, E820_RAM };
	return n;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * What Documentation/arch/x86/boot.rst ("64-bit Boot Protocol") asks of the loader: long
 * mode with paging, an identity map of the kernel, zero page and command line, and a GDT
 * in which selector 0x10 (__BOOT_CS) is a flat 64-bit code segment and 0x18 (__BOOT_DS)
 * a flat data segment. The identity map covers the first 4 GiB with 2 MiB pages.
 */
void boot_build_longmode(const struct guest_mem *gm)
{
	uint8_t *gdt = gm_ptr(gm, BOOT_GDT, 0x30);
	uint8_t *pt = gm_ptr(gm, BOOT_PML4, 0x6000);

	/* null, null, code64 (0x10), data (0x18), TSS (0x20, 16 bytes in long mode) */
	memset(gdt, 0, 0x30);
	put64(gdt + 0x10, 0x00af9b000000ffffull);	/* P, DPL0, code r/x accessed, L, G */
	put64(gdt + 0x18, 0x00cf93000000ffffull);	/* P, DPL0, data r/w accessed, D/B, G */
	put64(gdt + 0x20, 0x00008b0000000067ull);	/* P, busy 64-bit TSS, base 0, limit 0x67 */

	memset(pt, 0, 0x6000);
	put64(pt, (BOOT_PML4 + 0x1000) | 3);		/* PML4[0] -> PDPT, P|RW */
	for (int i = 0; i < 4; i++) {
		put64(pt + 0x1000 + 8 * i, (BOOT_PML4 + 0x2000 + 0x1000 * i) | 3);
		for (int j = 0; j < 512; j++)		/* PDE: 2 MiB page, P|RW|PS */
			put64(pt + 0x2000 + 0x1000 * i + 8 * j,
			      ((uint64_t)i << 30) + ((uint64_t)j << 21) + 0x83);
	}
}
