// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: multiboot v1 kernels (ELF32, or any format with the header's address fields).
//
// Source of truth: the Multiboot Specification version 0.6.96 (GNU GRUB), sections 3.1
// (header), 3.2 (machine state) and 3.3 (boot information format).
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vmm.h"

#define MB_SEARCH 8192		/* the header lies in the first 8192 bytes, 4-aligned */
#define MB_VIDEO_MODE (1u << 2)
#define MB_AOUT_KLUDGE (1u << 16)

/* boot information flags */
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
#define MBI_SIZE 120

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static long find_header(const uint8_t *d, size_t len)
{
	for (size_t off = 0; off + 12 <= len && off < MB_SEARCH; off += 4) {
		uint32_t magic = rd32(d + off), flags = rd32(d + off + 4), sum = rd32(d + off + 8);

		if (magic == MULTIBOOT_HEADER_MAGIC && magic + flags + sum == 0)
			return (long)off;
	}
	return -1;
}

bool multiboot_detect(const uint8_t *data, size_t len)
{
	return find_header(data, len) >= 0;
}

/* [a, a + n) is guest RAM that a kernel may use: not the reserved BIOS area */
static bool loadable(const struct guest_mem *gm, uint64_t a, uint64_t n)
{
	if (!gm_ptr(gm, a, n ? n : 1))
		return false;
	return a + n <= EBDA_START || a >= 0x100000;
}

int multiboot_load(const struct guest_mem *gm, const uint8_t *d, size_t len,
		   const char *kernel_name, const uint8_t *initrd, size_t initrd_len,
		   const char *initrd_name, const char *cmdline, struct boot_info *bi,
		   char *err, size_t errlen)
{
	long hoff = find_header(d, len);
	uint32_t flags;
	uint64_t end = 0, entry, mod = 0, info, p;
	struct e820e map[8];
	int nmap;
	uint8_t *mbi;
	size_t cl_len = strlen(cmdline), kn_len = strlen(kernel_name) + 1;
	size_t in_len = initrd_name ? strlen(initrd_name) + 1 : 0;
	static const char loader[] = "swkvm";

	if (hoff < 0) {
		snprintf(err, errlen, "not a multiboot kernel");
		return EXIT_BAD_IMAGE;
	}
	flags = rd32(d + hoff + 4);
	/* bits 0-15 are requirements the loader must meet or refuse (spec 3.1.2) */
	if (flags & 0xfff8 || flags & MB_VIDEO_MODE) {
		snprintf(err, errlen, "the multiboot header asks for features swkvm lacks (flags %#x)", flags);
		return EXIT_UNSUPPORTED;
	}
	if (flags & MB_AOUT_KLUDGE) {
		uint32_t header_addr, load_addr, load_end, bss_end;
		uint64_t file_off, n;

		if ((size_t)hoff + 32 > len) {
			snprintf(err, errlen, "truncated multiboot header");
			return EXIT_BAD_IMAGE;
		}
		header_addr = rd32(d + hoff + 12);
		load_addr = rd32(d + hoff + 16);
		load_end = rd32(d + hoff + 20);
		bss_end = rd32(d + hoff + 24);
		entry = rd32(d + hoff + 28);
		if (header_addr < load_addr || header_addr - load_addr > (uint64_t)hoff) {
			snprintf(err, errlen, "bad multiboot header: header_addr %#x below load_addr %#x or before the file",
				 header_addr, load_addr);
			return EXIT_BAD_IMAGE;
		}
		file_off = (uint64_t)hoff - (header_addr - load_addr);
		n = load_end ? (uint64_t)load_end - load_addr : len - file_off;
		if (load_end && load_end < load_addr) {
			snprintf(err, errlen, "bad multiboot header: load_end_addr below load_addr");
			return EXIT_BAD_IMAGE;
		}
		if (file_off + n > len) {
			snprintf(err, errlen, "truncated: the multiboot header loads %llu bytes, the file has %zu",
				 (unsigned long long)n, len - (size_t)file_off);
			return EXIT_BAD_IMAGE;
		}
		end = bss_end > load_addr + n ? bss_end : load_addr + n;
		if (!loadable(gm, load_addr, end - load_addr)) {
			snprintf(err, errlen, "the kernel's load range %#x-%#llx is not in guest RAM",
				 load_addr, (unsigned long long)end);
			return EXIT_BAD_IMAGE;
		}
		memcpy(gm_ptr(gm, load_addr, n), d + file_off, n);
		memset(gm_ptr(gm, load_addr + n, end - load_addr - n), 0, end - load_addr - n);
	} else {
		Elf32_Ehdr eh;

		if (len < sizeof(eh) || memcmp(d, ELFMAG, SELFMAG)) {
			snprintf(err, errlen, "multiboot kernel is not ELF and has no address fields (flag 16)");
			return EXIT_BAD_IMAGE;
		}
		memcpy(&eh, d, sizeof(eh));
		if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_machine != EM_386) {
			snprintf(err, errlen, "multiboot ELF kernels must be 32-bit x86 (ELFCLASS32, EM_386)");
			return EXIT_UNSUPPORTED;
		}
		if (eh.e_phentsize != sizeof(Elf32_Phdr) || eh.e_phoff > len ||
		    (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > len - eh.e_phoff) {
			snprintf(err, errlen, "truncated or malformed ELF program headers");
			return EXIT_BAD_IMAGE;
		}
		entry = eh.e_entry;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf32_Phdr ph;

			memcpy(&ph, d + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type != PT_LOAD || !ph.p_memsz)
				continue;
			if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
				snprintf(err, errlen, "truncated ELF: segment %u needs file bytes %#x-%#llx, the file has %zu",
					 i, ph.p_offset, (unsigned long long)ph.p_offset + ph.p_filesz, len);
				return EXIT_BAD_IMAGE;
			}
			if (!loadable(gm, ph.p_paddr, ph.p_memsz)) {
				snprintf(err, errlen, "ELF segment %u at %#x-%#llx is not in guest RAM", i,
					 ph.p_paddr, (unsigned long long)ph.p_paddr + ph.p_memsz);
				return EXIT_BAD_IMAGE;
			}
			memcpy(gm_ptr(gm, ph.p_paddr, ph.p_filesz), d + ph.p_offset, ph.p_filesz);
			memset(gm_ptr(gm, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz), 0,
			       ph.p_memsz - ph.p_filesz);
			if (ph.p_paddr + (uint64_t)ph.p_memsz > end)
				end = ph.p_paddr + (uint64_t)ph.p_memsz;
		}
		if (!end) {
			snprintf(err, errlen, "the ELF kernel has no loadable segment");
			return EXIT_BAD_IMAGE;
		}
	}

	/* after the kernel: the module (page-aligned, spec 3.3), then the information */
	p = (end + 0xfff) & ~0xfffull;
	if (p < 0x100000)
		p = 0x100000;
	if (initrd_len) {
		mod = p;
		p = (mod + initrd_len + 0xfff) & ~0xfffull;
	}
	info = p;
	nmap = e820_build(gm, map);
	{
		uint64_t need = MBI_SIZE + 24 * (uint64_t)nmap + 16 + cl_len + kn_len + 1 + in_len +
				sizeof(loader) + 4;

		if (!gm_ptr(gm, mod ? mod : info, info + need - (mod ? mod : info)) ||
		    info + need > 0xffffffffull) {
			snprintf(err, errlen, "the kernel%s and boot information do not fit in %llu MiB of RAM",
				 initrd_len ? ", module" : "", (unsigned long long)(gm->size / MiB));
			return EXIT_BAD_IMAGE;
		}
		memset(gm_ptr(gm, info, need), 0, need);
	}
	if (initrd_len)
		memcpy(gm_ptr(gm, mod, initrd_len), initrd, initrd_len);

	mbi = gm_ptr(gm, info, MBI_SIZE);
	p = info + MBI_SIZE;
	wr32(mbi + 0, MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME | (initrd_len ? MBI_MODS : 0));
	wr32(mbi + 4, EBDA_START / 1024);				/* mem_lower, KiB */
	wr32(mbi + 8, (uint32_t)((gm->low_end - 0x100000) / 1024));	/* mem_upper, KiB */
	wr32(mbi + 44, (uint32_t)(24 * nmap));				/* mmap_length */
	wr32(mbi + 48, (uint32_t)p);					/* mmap_addr */
	for (int i = 0; i < nmap; i++, p += 24) {
		uint8_t *e = gm_ptr(gm, p, 24);

		wr32(e, 20);	/* size of the rest of the entry */
		memcpy(e + 4, &map[i].addr, 8);
		memcpy(e + 12, &map[i].size, 8);
		wr32(e + 20, map[i].type);
	}
	/* the command line starts with the kernel's name, as GRUB passes it */
	wr32(mbi + 16, (uint32_t)p);
	{
		char *c = gm_ptr(gm, p, kn_len + cl_len + 1);

		memcpy(c, kernel_name, kn_len - 1);
		if (cl_len) {
			c[kn_len - 1] = ' ';
			memcpy(c + kn_len, cmdline, cl_len + 1);
			p += kn_len + cl_len + 1;
		} else {
			c[kn_len - 1] = 0;
			p += kn_len;
		}
	}
	wr32(mbi + 64, (uint32_t)p);
	memcpy(gm_ptr(gm, p, sizeof(loader)), loader, sizeof(loader));
	p += sizeof(loader);
	if (initrd_len) {
		uint64_t str = p;
		uint8_t *m;

		memcpy(gm_ptr(gm, str, in_len), initrd_name, in_len);
		p = (str + in_len + 3) & ~3ull;
		m = gm_ptr(gm, p, 16);
		wr32(m, (uint32_t)mod);				/* mod_start */
		wr32(m + 4, (uint32_t)(mod + initrd_len));	/* mod_end */
		wr32(m + 8, (uint32_t)str);			/* string */
		wr32(mbi + 20, 1);				/* mods_count */
		wr32(mbi + 24, (uint32_t)p);			/* mods_addr */
	}

	memset(bi, 0, sizeof(*bi));
	bi->kind = BOOT_MULTIBOOT;
	bi->entry = entry;
	bi->mbi = (uint32_t)info;
	bi->initrd_addr = mod;
	bi->initrd_size = initrd_len;
	snprintf(bi->desc, sizeof(bi->desc), "multiboot v1%s", flags & MB_AOUT_KLUDGE ? " (address fields)" : " ELF");
	return 0;
}
