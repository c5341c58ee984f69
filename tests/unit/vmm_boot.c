// SPDX-License-Identifier: GPL-2.0-only
// The VMM's loaders without a VM: the zero page, e820 map, page tables and GDT that a
// synthetic bzImage gets, its header checks, the multiboot loader, and the ACPI tables.
#include <asm/bootparam.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tap.h"
#include "vmm/vmm.h"

#define SETUP_SECTS 4
#define KLEN 4096

static uint8_t img[(SETUP_SECTS + 1) * 512 + KLEN];

static void mkbz(uint16_t version, uint32_t init_size, uint64_t pref)
{
	struct setup_header h;

	memset(img, 0, sizeof(img));
	for (unsigned i = 0; i < KLEN; i++)
		img[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 1);
	memset(&h, 0, sizeof(h));
	h.setup_sects = SETUP_SECTS;
	h.syssize = KLEN / 16;
	h.boot_flag = 0xaa55;
	h.jump = 0x6aeb;
	h.header = 0x53726448;
	h.version = version;
	h.loadflags = LOADED_HIGH;
	h.initrd_addr_max = 0x37ffffff;
	h.xloadflags = XLF_KERNEL_64;
	h.cmdline_size = 2047;
	h.init_size = init_size;
	h.pref_address = pref;
	h.kernel_alignment = 0x200000;
	memcpy(img + 0x1f1, &h, sizeof(h));
}

static struct guest_mem mkmem(uint64_t size)
{
	struct guest_mem gm = { .size = size, .low_end = size < PCI_HOLE_START ? size : PCI_HOLE_START };

	gm.host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (gm.host == MAP_FAILED)
		tap_bail("mmap %llu", (unsigned long long)size);
	return gm;
}

static void test_e820(void)
{
	struct guest_mem gm = { .size = 5 * GiB, .low_end = 3 * GiB };
	struct e820e m[8];
	int n = e820_build(&gm, m);

	is(n, 5, "e820 for 5 GiB: five entries");
	is(m[0].addr, 0, "e820[0] base");
	is(m[0].size, 0x9fc00, "e820[0] conventional memory up to the EBDA");
	is(m[0].type, E820_RAM, "e820[0] RAM");
	is(m[1].addr, 0x9fc00, "e820[1] EBDA");
	is(m[1].size, 0x400, "e820[1] 1 KiB");
	is(m[1].type, E820_RESERVED, "e820[1] reserved");
	is(m[2].addr, 0xe0000, "e820[2] BIOS area");
	is(m[2].size, 0x20000, "e820[2] 128 KiB");
	is(m[2].type, E820_RESERVED, "e820[2] reserved");
	is(m[3].addr, 0x100000, "e820[3] from 1 MiB");
	is(m[3].size, 3 * GiB - 0x100000, "e820[3] up to the PCI hole at 3 GiB");
	is(m[4].addr, 4 * GiB, "e820[4] above 4 GiB");
	is(m[4].size, 2 * GiB, "e820[4] the other 2 GiB");
	is(m[4].type, E820_RAM, "e820[4] RAM");

	gm = (struct guest_mem){ .size = 2 * MiB, .low_end = 2 * MiB };
	is(e820_build(&gm, m), 4, "e820 for 2 MiB: four entries");
	is(m[3].size, MiB, "e820[3] 1 MiB of high memory");
}

static void test_bzimage(void)
{
	struct guest_mem gm = mkmem(64 * MiB);
	struct bzimage bz;
	struct boot_info bi;
	struct boot_params *bp;
	uint8_t initrd[10000];
	char err[256];
	uint64_t *pt;

	for (unsigned i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	mkbz(0x020f, 0x800000, 0x1000000);
	is(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), 0, "synthetic bzImage parses");
	is(bz.version, 0x020f, "version 2.15");
	is(bz.setup_len, 2560, "setup: (4 + 1) sectors");
	is(bz.kernel_len, KLEN, "kernel length");
	is(bz.cmdline_size, 2047, "cmdline_size");
	is(bz.init_size, 0x800000, "init_size");
	is(bzimage_load(&gm, &bz, initrd, sizeof(initrd), "console=ttyS0 quiet", 0xe0000, &bi,
			err, sizeof(err)), 0, "loads into 64 MiB");
	bp = (struct boot_params *)(gm.host + BOOT_ZEROPAGE);
	is(bp->hdr.version, 0x020f, "zero page: header copied");
	is(bp->hdr.setup_sects, SETUP_SECTS, "zero page: setup_sects");
	is(bp->hdr.boot_flag, 0xaa55, "zero page: boot_flag");
	is(bp->hdr.type_of_loader, 0xff, "type_of_loader 0xff (undefined loader)");
	is(bp->hdr.vid_mode, 0xffff, "vid_mode normal");
	is(bp->hdr.cmd_line_ptr, 0x20000, "cmd_line_ptr");
	ok(!strcmp((char *)gm.host + 0x20000, "console=ttyS0 quiet"), "command line in guest memory");
	is(bp->hdr.ramdisk_image, (64 * MiB - sizeof(initrd)) & ~0xfffull, "initrd at the top of RAM, page-aligned");
	is(bp->hdr.ramdisk_size, sizeof(initrd), "ramdisk_size");
	ok(!memcmp(gm.host + bp->hdr.ramdisk_image, initrd, sizeof(initrd)), "initrd bytes");
	is(bp->hdr.code32_start, 0x100000, "code32_start");
	is(bp->acpi_rsdp_addr, 0xe0000, "acpi_rsdp_addr");
	is(bp->e820_entries, 4, "e820_entries");
	is(bp->e820_table[0].addr, 0, "zero page e820[0].addr");
	is(bp->e820_table[0].size, 0x9fc00, "zero page e820[0].size");
	is(bp->e820_table[0].type, 1, "zero page e820[0].type");
	is(bp->e820_table[1].addr, 0x9fc00, "zero page e820[1].addr");
	is(bp->e820_table[1].type, 2, "zero page e820[1].type");
	is(bp->e820_table[2].addr, 0xe0000, "zero page e820[2].addr");
	is(bp->e820_table[2].size, 0x20000, "zero page e820[2].size");
	is(bp->e820_table[3].addr, 0x100000, "zero page e820[3].addr");
	is(bp->e820_table[3].size, 63 * MiB, "zero page e820[3].size");
	is(bp->e820_table[3].type, 1, "zero page e820[3].type");
	is(bp->alt_mem_k, 63 * 1024, "alt_mem_k");
	ok(!memcmp(gm.host + 0x100000, img + 2560, KLEN), "protected-mode kernel at 1 MiB");
	is(bi.entry, 0x100200, "64-bit entry at load address + 0x200");
	is(bi.zeropage, 0x7000, "RSI: the zero page");
	pt = (uint64_t *)(gm.host + BOOT_PML4);
	is(pt[0], 0xa003, "PML4[0] -> PDPT");
	is(pt[512 + 3], 0xe003, "PDPT[3] -> fourth PD");
	is(pt[1024 + 1], 0x200083, "PD[0][1]: 2 MiB page at 2 MiB");
	is(pt[1024 + 3 * 512 + 511], 0xffe00083, "PD[3][511]: the last 2 MiB below 4 GiB");
	pt = (uint64_t *)(gm.host + BOOT_GDT);
	is(pt[2], 0x00af9b000000ffffull, "GDT 0x10: __BOOT_CS, 64-bit code");
	is(pt[3], 0x00cf93000000ffffull, "GDT 0x18: __BOOT_DS");

	/* failures, each with its exit code */
	is(bzimage_load(&gm, &bz, initrd, 60 * MiB, "", 0, &bi, err, sizeof(err)), EXIT_BAD_IMAGE,
	   "initrd too large for memory");
	ok(strstr(err, "does not fit") != NULL, "  says it does not fit: %s", err);
	{
		char longcl[2100];

		memset(longcl, 'x', sizeof(longcl) - 1);
		longcl[sizeof(longcl) - 1] = 0;
		is(bzimage_load(&gm, &bz, NULL, 0, longcl, 0, &bi, err, sizeof(err)), EXIT_USAGE,
		   "command line longer than cmdline_size");
	}
	mkbz(0x020f, 0x3000001, 0x1000000);
	bzimage_parse(img, sizeof(img), &bz, err, sizeof(err));
	is(bzimage_load(&gm, &bz, NULL, 0, "", 0, &bi, err, sizeof(err)), EXIT_BAD_IMAGE,
	   "pref_address + init_size beyond RAM");
	ok(!strcmp(err, "the kernel needs 65 MiB of RAM to decompress, the guest has 64 MiB"), "  %s", err);
	munmap(gm.host, gm.size);

	/* initrd_addr_max bounds the initrd below the top of a 2 GiB guest */
	gm = mkmem(2 * GiB);
	mkbz(0x020f, 0x800000, 0x1000000);
	bzimage_parse(img, sizeof(img), &bz, err, sizeof(err));
	is(bzimage_load(&gm, &bz, initrd, sizeof(initrd), "", 0, &bi, err, sizeof(err)), 0, "2 GiB guest");
	bp = (struct boot_params *)(gm.host + BOOT_ZEROPAGE);
	is(bp->hdr.ramdisk_image, (0x38000000 - sizeof(initrd)) & ~0xfffull, "initrd ends below initrd_addr_max");
	munmap(gm.host, gm.size);

	mkbz(0x020f, 0, 0);
	is(bzimage_parse(img, 1000, &bz, err, sizeof(err)), EXIT_BAD_IMAGE, "truncated header");
	is(bzimage_parse(img, 3000, &bz, err, sizeof(err)), EXIT_BAD_IMAGE, "truncated kernel");
	img[0x1fe] = 0;
	is(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), EXIT_BAD_IMAGE, "no 0xAA55");
	mkbz(0x020b, 0, 0);
	is(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), EXIT_UNSUPPORTED, "protocol 2.11");
	mkbz(0x020c, 0, 0);
	is(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), 0, "protocol 2.12");
	is(bz.init_size, KLEN, "init_size 0 counts as the kernel's length");
	img[0x1f1] = 0;		/* setup_sects 0 means 4 */
	is(bzimage_parse(img, sizeof(img), &bz, err, sizeof(err)), 0, "setup_sects 0");
	is(bz.setup_len, 2560, "setup_sects 0 is 4 sectors");
}

static void test_multiboot(void)
{
	struct guest_mem gm = mkmem(8 * MiB);
	uint8_t k[64] = { 0 };
	uint32_t hdr[8] = { MULTIBOOT_HEADER_MAGIC, 0x10002, 0 };
	struct boot_info bi;
	char err[256];
	uint32_t *mbi;

	/* a.out kludge: header at file offset 0 = address 0x200000, 64 bytes, bss to +0x1000 */
	hdr[2] = -(MULTIBOOT_HEADER_MAGIC + 0x10002);
	hdr[3] = 0x200000;	/* header_addr */
	hdr[4] = 0x200000;	/* load_addr */
	hdr[5] = 0x200040;	/* load_end_addr */
	hdr[6] = 0x201000;	/* bss_end_addr */
	hdr[7] = 0x200020;	/* entry */
	memcpy(k, hdr, sizeof(hdr));
	k[40] = 0xf4;
	memset(gm.host + 0x200040, 0xcc, 0x1000);
	ok(multiboot_detect(k, sizeof(k)), "multiboot header found");
	is(multiboot_load(&gm, k, sizeof(k), "kern", (const uint8_t *)"MOD", 3, "m", "a=1", &bi,
			  err, sizeof(err)), 0, "a.out-kludge kernel loads");
	is(bi.entry, 0x200020, "entry_addr");
	is(gm.host[0x200028], 0xf4, "image copied");
	is(gm.host[0x200fff], 0, "bss cleared");
	is(bi.initrd_addr, 0x201000, "module page-aligned after the bss");
	is(bi.mbi, 0x202000, "boot information after the module");
	mbi = (uint32_t *)(gm.host + bi.mbi);
	is(mbi[0], 0x24d, "flags: mem, cmdline, mods, mmap, loader name");
	is(mbi[1], 639, "mem_lower");
	is(mbi[2], 7 * 1024, "mem_upper");
	ok(!strcmp((char *)gm.host + mbi[4], "kern a=1"), "cmdline");
	is(mbi[5], 1, "mods_count");
	is(((uint32_t *)(gm.host + mbi[6]))[0], 0x201000, "mod_start");
	is(((uint32_t *)(gm.host + mbi[6]))[1], 0x201003, "mod_end");
	ok(!strcmp((char *)gm.host + ((uint32_t *)(gm.host + mbi[6]))[2], "m"), "module string");
	is(mbi[11], 4 * 24, "mmap_length: 4 entries");

	hdr[2] = 0;
	memcpy(k, hdr, sizeof(hdr));
	ok(!multiboot_detect(k, sizeof(k)), "bad checksum: not multiboot");
	hdr[1] = 0x10006;
	hdr[2] = -(MULTIBOOT_HEADER_MAGIC + 0x10006);
	memcpy(k, hdr, sizeof(hdr));
	is(multiboot_load(&gm, k, sizeof(k), "k", NULL, 0, NULL, "", &bi, err, sizeof(err)),
	   EXIT_UNSUPPORTED, "video mode requested: refused");
	hdr[1] = 0x10002;
	hdr[2] = -(MULTIBOOT_HEADER_MAGIC + 0x10002);
	hdr[4] = 0x7f0000;
	hdr[3] = 0x7f0000;
	hdr[5] = 0x7f0040;
	hdr[6] = 0x900000;
	memcpy(k, hdr, sizeof(hdr));
	is(multiboot_load(&gm, k, sizeof(k), "k", NULL, 0, NULL, "", &bi, err, sizeof(err)),
	   EXIT_BAD_IMAGE, "bss beyond RAM");
	munmap(gm.host, gm.size);
}

static void test_acpi(void)
{
	struct guest_mem gm = mkmem(4 * MiB);
	uint8_t *r;
	uint64_t rsdp = acpi_build(&gm, 3);

	r = gm.host + rsdp;
	is(rsdp, 0xe0000, "RSDP at 0xe0000");
	ok(!memcmp(r, "RSD PTR ", 8), "RSDP signature");
	is(acpi_checksum(r, 20), 0, "RSDP checksum");
	is(acpi_checksum(r, 36), 0, "RSDP extended checksum");
	{
		uint64_t x;
		uint32_t len;
		uint8_t *xsdt, *madt;
		unsigned cpus = 0;

		memcpy(&x, r + 24, 8);
		xsdt = gm.host + x;
		memcpy(&len, xsdt + 4, 4);
		is(len, 52, "XSDT: two entries");
		is(acpi_checksum(xsdt, len), 0, "XSDT checksum");
		memcpy(&x, xsdt + 44, 8);
		madt = gm.host + x;
		ok(!memcmp(madt, "APIC", 4), "second XSDT entry is the MADT");
		memcpy(&len, madt + 4, 4);
		is(acpi_checksum(madt, len), 0, "MADT checksum");
		for (uint32_t o = 44; o < len; o += madt[o + 1])
			cpus += madt[o] == 0;
		is(cpus, 3, "MADT: three processors");
	}
	mptable_build(&gm, 3);
	r = gm.host + MPTABLE_BASE;
	ok(!memcmp(r, "_MP_", 4), "MP floating pointer");
	is(acpi_checksum(r, 16), 0, "MP floating pointer checksum");
	{
		uint16_t len;

		memcpy(&len, r + 16 + 4, 2);
		is(acpi_checksum(r + 16, len), 0, "MP configuration table checksum");
		is(len, 44 + 3 * 20 + 8 + 8 + 16 * 8 + 2 * 8, "MP table: 3 CPUs, bus, IOAPIC, 16 IRQs, 2 LINTs");
	}
	munmap(gm.host, gm.size);
}

int main(void)
{
	test_e820();
	test_bzimage();
	test_multiboot();
	test_acpi();
	return tap_done();
}
