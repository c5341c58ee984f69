// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: the Linux x86 boot protocol for a bzImage, entered at its 64-bit entry point.
//
// Source of truth: the kernel's Documentation/arch/x86/boot.rst (setup header fields and
// the versions that introduced them, "64-bit Boot Protocol") and the structs of
// <asm/bootparam.h> from linux-libc-dev.
#include <asm/bootparam.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vmm.h"

#define HDR_OFF 0x1f1

/*
 * Checks a bzImage's header. Returns 0, or an exit code with one line in `err`:
 * EXIT_BAD_IMAGE for a malformed file, EXIT_UNSUPPORTED for a valid kernel we cannot
 * enter (no 64-bit entry point).
 */
int bzimage_parse(const uint8_t *d, size_t len, struct bzimage *bz, char *err, size_t errlen)
{
	const struct setup_header *h;
	struct setup_header hdr;
	size_t syssize;

	memset(bz, 0, sizeof(*bz));
	if (len < 1024) {
		snprintf(err, errlen, "truncated: %zu bytes, a bzImage starts with at least 1024", len);
		return EXIT_BAD_IMAGE;
	}
	memcpy(&hdr, d + HDR_OFF, sizeof(hdr));	/* len >= 1024 > 0x1f1 + sizeof(hdr) */
	h = &hdr;
	if (h->boot_flag != 0xaa55) {
		snprintf(err, errlen, "not a bzImage or multiboot kernel: no 0xAA55 boot flag at 0x1fe");
		return EXIT_BAD_IMAGE;
	}
	if (h->header != 0x53726448) {	/* "HdrS" */
		snprintf(err, errlen, "not a bzImage: no \"HdrS\" signature at 0x202 (boot protocol < 2.00)");
		return EXIT_BAD_IMAGE;
	}
	bz->version = h->version;
	if (h->version < 0x020c) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old: the 64-bit entry needs 2.12",
			 h->version >> 8, h->version & 0xff);
		return EXIT_UNSUPPORTED;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		snprintf(err, errlen, "not a bzImage: a zImage (loaded at 0x10000) is not supported");
		return EXIT_UNSUPPORTED;
	}
	if (!(h->xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen, "the kernel has no 64-bit entry point (xloadflags bit 0 clear)");
		return EXIT_UNSUPPORTED;
	}
	bz->setup_sects = h->setup_sects ? h->setup_sects : 4;	/* 0 means 4 (boot.rst) */
	bz->setup_len = (bz->setup_sects + 1) * 512u;
	if (bz->setup_len >= len) {
		snprintf(err, errlen, "truncated: %zu bytes, but the setup code alone is %zu", len,
			 bz->setup_len);
		return EXIT_BAD_IMAGE;
	}
	bz->kernel_len = len - bz->setup_len;
	syssize = (size_t)h->syssize * 16;	/* in 16-byte paragraphs */
	if (syssize > bz->kernel_len) {
		snprintf(err, errlen, "truncated: the header gives %zu bytes of kernel after the setup code, the file has %zu",
			 syssize, bz->kernel_len);
		return EXIT_BAD_IMAGE;
	}
	bz->cmdline_size = h->cmdline_size;	/* 2.06+ */
	bz->initrd_addr_max = h->initrd_addr_max;	/* 2.03+ */
	bz->init_size = h->init_size;		/* 2.10+ */
	if (bz->init_size < bz->kernel_len)
		bz->init_size = (uint32_t)bz->kernel_len;
	bz->data = d;
	bz->len = len;
	return 0;
}

/*
 * Places the kernel at 1 MiB, the command line, the initrd as high as initrd_addr_max
 * allows and the zero page, and describes the 64-bit entry in `bi`. The page tables and
 * GDT come from boot_build_longmode(). Returns 0 or an exit code with `err` set.
 */
int bzimage_load(const struct guest_mem *gm, const struct bzimage *bz, const uint8_t *initrd,
		 size_t initrd_len, const char *cmdline, uint64_t rsdp, struct boot_info *bi,
		 char *err, size_t errlen)
{
	struct boot_params *bp;
	struct e820e map[8];
	size_t hdr_end, cl_len = strlen(cmdline);
	uint64_t kernel_end, initrd_top, initrd_addr = 0;
	int n;
	void *dst;

	/* A relocatable kernel moves itself up to pref_address (LOAD_PHYSICAL_ADDR) at the
	 * latest, a fixed one decompresses there: init_size bytes from there must be RAM. */
	kernel_end = KERNEL_LOAD + bz->init_size;
	{
		struct setup_header h;

		memcpy(&h, bz->data + HDR_OFF, sizeof(h));
		if (h.pref_address > KERNEL_LOAD && h.pref_address + bz->init_size > kernel_end)
			kernel_end = h.pref_address + bz->init_size;
	}
	if (kernel_end > gm->low_end) {
		snprintf(err, errlen, "the kernel needs %llu MiB of RAM to decompress, the guest has %llu MiB",
			 (unsigned long long)((kernel_end + MiB - 1) / MiB),
			 (unsigned long long)(gm->low_end / MiB));
		return EXIT_BAD_IMAGE;
	}
	if (cl_len > bz->cmdline_size || cl_len >= BOOT_CMDLINE_MAX) {
		snprintf(err, errlen, "the command line is %zu bytes, the kernel takes at most %u",
			 cl_len, bz->cmdline_size);
		return EXIT_USAGE;
	}
	if (initrd_len) {
		initrd_top = (uint64_t)bz->initrd_addr_max + 1;
		if (initrd_top > gm->low_end)
			initrd_top = gm->low_end;
		if (initrd_len > initrd_top || ((initrd_top - initrd_len) & ~0xfffull) < kernel_end) {
			snprintf(err, errlen, "the initrd (%zu bytes) does not fit in guest RAM between the kernel (ends at %#llx) and %#llx",
				 initrd_len, (unsigned long long)kernel_end,
				 (unsigned long long)initrd_top);
			return EXIT_BAD_IMAGE;
		}
		initrd_addr = (initrd_top - initrd_len) & ~0xfffull;
		memcpy(gm_ptr(gm, initrd_addr, initrd_len), initrd, initrd_len);
	}

	dst = gm_ptr(gm, KERNEL_LOAD, bz->kernel_len);
	memcpy(dst, bz->data + bz->setup_len, bz->kernel_len);
	memcpy(gm_ptr(gm, BOOT_CMDLINE, cl_len + 1), cmdline, cl_len + 1);

	bp = gm_ptr(gm, BOOT_ZEROPAGE, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	/* the header runs from 0x1f1 to 0x202 + the byte at 0x201 (the jump's offset) */
	hdr_end = 0x202 + bz->data[0x201];
	if (hdr_end > HDR_OFF + sizeof(struct setup_header))
		hdr_end = HDR_OFF + sizeof(struct setup_header);
	memcpy((uint8_t *)bp + HDR_OFF, bz->data + HDR_OFF, hdr_end - HDR_OFF);
	bp->hdr.type_of_loader = 0xff;		/* undefined loader */
	bp->hdr.vid_mode = 0xffff;		/* "normal" */
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE;
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->hdr.ramdisk_size = (uint32_t)initrd_len;
	bp->hdr.code32_start = KERNEL_LOAD;
	bp->acpi_rsdp_addr = rsdp;		/* 2.14+; older kernels scan 0xe0000.. */
	n = e820_build(gm, map);
	for (int i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
	bp->alt_mem_k = (uint32_t)((gm->low_end - 0x100000) / 1024);

	memset(bi, 0, sizeof(*bi));
	bi->kind = BOOT_LINUX64;
	bi->entry = KERNEL_LOAD + 0x200;	/* startup_64 is 0x200 past the 32-bit entry */
	bi->zeropage = BOOT_ZEROPAGE;
	bi->kernel_addr = KERNEL_LOAD;
	bi->kernel_size = bz->kernel_len;
	bi->initrd_addr = initrd_addr;
	bi->initrd_size = initrd_len;
	bi->cmdline_addr = BOOT_CMDLINE;
	snprintf(bi->desc, sizeof(bi->desc), "bzImage, boot protocol %u.%02u", bz->version >> 8,
		 bz->version & 0xff);
	boot_build_longmode(gm);
	return 0;
}
