// SPDX-License-Identifier: GPL-2.0-only
// Memory: linear addresses, paging (32-bit, PAE, 4-level), the soft TLB, RAM and MMIO.
//
// SDM Vol.3 chapter 4. The soft TLB caches, per linear page, the host address of the
// guest page and what it may be used for. A read fill never grants write permission:
// the first write re-walks, sets the leaf's dirty bit and asks the host for a writable
// mapping (which marks the page dirty in the host's log), so D bits and dirty logging
// stay exact. Accesses to guest-physical pages that are not RAM become MMIO events.
#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)

#define PFEC_P (1u << 0)
#define PFEC_W (1u << 1)
#define PFEC_U (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I (1u << 4)

#define MAXPHYADDR 46

void tlb_flush(struct cpu *cpu)
{
	cpu->counters.tlb_flush++;
	memset(cpu->in->tlb, 0, sizeof(cpu->in->tlb));
}

/*
 * INVLPG, INVPCID type 0 (SDM Vol.3 §4.10.4.1): drop the translations of the page that
 * contains `lin`. An entry filled from a 2-MiB/4-MiB/1-GiB page stands for the whole large
 * page, whose 4-KiB pieces may sit in many slots, so every slot is looked at (256
 * compares, much cheaper than refilling the whole TLB). The soft TLB caches no
 * paging-structure entries, so there is nothing else to invalidate.
 */
void tlb_flush_page(struct cpu *cpu, uint64_t lin)
{
	uint64_t vpn = lin >> 12;

	for (unsigned i = 0; i < TLB_SIZE; i++) {
		struct tlb_entry *e = &cpu->in->tlb[i];

		if (e->vpn_read && !(((e->vpn_read - 1) ^ vpn) >> (e->shift - 12)))
			memset(e, 0, sizeof(*e));
	}
}

/* Host pointer to guest-physical `gpa` for a page-table access, or NULL. */
static uint8_t *pt_ptr(struct cpu *cpu, uint64_t gpa, bool write)
{
	uint8_t *page = cpu->ops->gpa_page(cpu->opaque, gpa >> 12, write);

	return page ? page + (gpa & 4095) : NULL;
}

static void page_fault(struct cpu *cpu, uint64_t lin, uint32_t err)
{
	cpu->cr2 = lin;
	cpu_raise(cpu, CPU_EXC_PF, true, err);
}

/* Reserved in a present PAE PDPTE: bits 2:1, 8:5 and MAXPHYADDR..63 (SDM Vol.3 Table 4-8) */
#define PDPTE_RSVD (~((1ull << MAXPHYADDR) - 1) | 0x1e6ull)

bool cpu_pae_paging(const struct cpu *cpu)
{
	return (cpu->cr0 & CPU_CR0_PG) && (cpu->cr4 & CPU_CR4_PAE) && !(cpu->efer & CPU_EFER_LMA);
}

int cpu_load_pdptrs(struct cpu *cpu, uint64_t cr3)
{
	/* the 32-byte-aligned table never crosses a page */
	const uint8_t *p = pt_ptr(cpu, cr3 & 0xffffffe0ull, false);
	uint64_t e[4];

	if (!p)
		return -1;
	memcpy(e, p, sizeof(e));
	for (int i = 0; i < 4; i++)
		if ((e[i] & PTE_P) && (e[i] & PDPTE_RSVD))
			return -1;
	memcpy(cpu->pdptr, e, sizeof(e));
	tlb_flush(cpu);
	return 0;
}

struct walk {
	uint64_t gpa;		/* physical address of the page */
	bool writable, user, exec;
	uint8_t shift;		/* log2 of the page size: 12, 21, 22 or 30 */
};

/*
 * Translates `lin` for an access at privilege `user`, setting A (and D on writes).
 * Returns 0, or EXEC_EXC with #PF raised.
 */
static int walk(struct cpu *cpu, uint64_t lin, int acc, bool user, bool implicit, struct walk *w)
{
	bool write = acc == ACC_WRITE, fetch = acc == ACC_FETCH;
	bool nxe = (cpu->efer & CPU_EFER_NXE) != 0;
	bool wp = (cpu->cr0 & CPU_CR0_WP) != 0;
	bool pae = (cpu->cr4 & CPU_CR4_PAE) != 0;
	bool smep = (cpu->cr4 & CPU_CR4_SMEP) != 0;
	uint64_t rsvd_phys = ~((1ull << MAXPHYADDR) - 1) & ~PTE_NX;
	/* I/D is reported with SMEP, or with NXE under PAE/4-level paging (SDM Vol.3 §4.7) */
	uint32_t pfec = (write ? PFEC_W : 0) | (user ? PFEC_U : 0) |
			(fetch && ((nxe && pae) || smep) ? PFEC_I : 0);
	uint64_t table, entry = 0, page_size;
	int levels, shift;
	bool rw = true, us = true, nx = false;
	uint64_t *pentries[5], pgpa[5];
	int n = 0;

	if (!(cpu->cr0 & CPU_CR0_PG)) {
		w->gpa = cpu->in->long_mode ? lin : (lin & 0xffffffffull);
		w->writable = w->user = w->exec = true;
		w->shift = 12;
		return 0;
	}
	if (cpu->in->long_mode) {
		/* non-canonical addresses are #GP/#SS at the segment level, caught here as #GP */
		if (!is_canonical(lin))
			return raise_gp(cpu, 0);
		levels = 4;
		table = cpu->cr3 & 0x000ffffffffff000ull;
	} else if (pae) {
		/*
		 * PAE: the PDPTE register indexed by bits 31:30 (SDM Vol.3 §4.4.1), not memory.
		 * Loads reject reserved bits with #GP; values from KVM_SET_SREGS2 are not
		 * checked, so a reserved bit here faults as a reserved-bit #PF.
		 */
		uint64_t pdpte = cpu->pdptr[(lin >> 30) & 3];

		if (!(pdpte & PTE_P)) {
			page_fault(cpu, lin, pfec);
			return EXEC_EXC;
		}
		if (pdpte & PDPTE_RSVD) {
			page_fault(cpu, lin, pfec | PFEC_P | PFEC_RSVD);
			return EXEC_EXC;
		}
		levels = 2;
		table = pdpte & 0x000ffffffffff000ull;
	} else {
		levels = 2;
		table = cpu->cr3 & 0xfffff000ull;
	}

	for (int level = levels; level >= 1; level--) {
		uint64_t idx, gpa;
		uint8_t *p;

		if (!pae && !cpu->in->long_mode) {
			shift = 12 + 10 * (level - 1);
			idx = (lin >> shift) & 1023;
			gpa = table + idx * 4;
			p = pt_ptr(cpu, gpa, false);
			entry = p ? *(uint32_t *)p : 0;
		} else {
			shift = 12 + 9 * (level - 1);
			idx = (lin >> shift) & 511;
			gpa = table + idx * 8;
			p = pt_ptr(cpu, gpa, false);
			entry = p ? *(uint64_t *)p : 0;
		}
		if (!(entry & PTE_P)) {
			page_fault(cpu, lin, pfec);
			return EXEC_EXC;
		}
		if (pae || cpu->in->long_mode) {
			uint64_t rsvd = rsvd_phys | (nxe ? 0 : PTE_NX);
			/* PML4E.PS is reserved; so is PDPTE.PS: 1-GiB pages are not in the CPUID model */
			if ((level == 4 || level == 3) && cpu->in->long_mode)
				rsvd |= PTE_PS;
			if (rsvd & entry) {
				page_fault(cpu, lin, pfec | PFEC_P | PFEC_RSVD);
				return EXEC_EXC;
			}
		}
		rw &= (entry & PTE_RW) != 0;
		us &= (entry & PTE_US) != 0;
		nx |= (entry & PTE_NX) && nxe;
		pgpa[n] = gpa;
		pentries[n++] = (uint64_t *)p;
		if (level == 1 || ((entry & PTE_PS) && level <= 3 &&
				   (cpu->in->long_mode || pae || (cpu->cr4 & CPU_CR4_PSE)))) {
			page_size = 1ull << shift;
			w->shift = (uint8_t)shift;
			if (!pae && !cpu->in->long_mode && level == 2) {
				/* 4 MiB page: bits 20:13 hold physical address bits 39:32 (PSE-36) */
				uint64_t base = (entry & 0xffc00000ull) | ((entry & 0x1fe000ull) << 19);
				w->gpa = base | (lin & (page_size - 1));
			} else {
				uint64_t base = entry & 0x000ffffffffff000ull & ~(page_size - 1);
				if (level > 1 && (entry & 0x000fffffffffe000ull & (page_size - 1) & ~0x1000ull)) {
					/* reserved bits in a large-page entry (below the page base) */
					page_fault(cpu, lin, pfec | PFEC_P | PFEC_RSVD);
					return EXEC_EXC;
				}
				w->gpa = base | (lin & (page_size - 1));
			}
			goto leaf;
		}
		table = (!pae && !cpu->in->long_mode) ? (entry & 0xfffff000ull) : (entry & 0x000ffffffffff000ull);
	}
	page_fault(cpu, lin, pfec);
	return EXEC_EXC;

leaf:
	/* permissions (SDM Vol.3 §4.6) */
	if (user && !us)
		goto prot;
	if (write && !rw && (user || wp))
		goto prot;
	if (fetch && nx)
		goto prot;
	/*
	 * Supervisor accesses to user pages (SDM Vol.3 §4.6.1): SMEP forbids fetches; SMAP
	 * forbids data accesses that are implicit (system structures: GDT, IDT, TSS, at any
	 * CPL) or explicit with EFLAGS.AC=0.
	 */
	if (!user && us) {
		if (fetch && smep)
			goto prot;
		if (!fetch && (cpu->cr4 & CPU_CR4_SMAP) && (implicit || !(cpu->in->rflags & CPU_FLAG_AC)))
			goto prot;
	}
	/*
	 * Accessed bits on every level, dirty on the leaf for writes (atomic: other vCPUs
	 * walk too). The update is a write to guest memory: it goes through a write
	 * mapping, so dirty logging sees it; a table in read-only memory is left alone.
	 */
	for (int i = 0; i < n; i++) {
		uint8_t *wp;

		if (!pentries[i])
			continue;
		if (!pae && !cpu->in->long_mode) {
			uint32_t bits = (uint32_t)PTE_A | ((i == n - 1 && write) ? (uint32_t)PTE_D : 0);
			if ((*(uint32_t *)pentries[i] & bits) != bits && (wp = pt_ptr(cpu, pgpa[i], true))) {
				block_note_store(cpu->in, pgpa[i]);	/* a table in the block's page */
				__atomic_fetch_or((uint32_t *)wp, bits, __ATOMIC_SEQ_CST);
			}
		} else {
			uint64_t bits = PTE_A | ((i == n - 1 && write) ? PTE_D : 0);
			if ((*pentries[i] & bits) != bits && (wp = pt_ptr(cpu, pgpa[i], true))) {
				block_note_store(cpu->in, pgpa[i]);
				__atomic_fetch_or((uint64_t *)wp, bits, __ATOMIC_SEQ_CST);
			}
		}
	}
	w->writable = rw || (!user && !wp);
	w->user = us;
	w->exec = !nx;
	return 0;
prot:
	page_fault(cpu, lin, pfec | PFEC_P);
	return EXEC_EXC;
}

int mmu_probe(struct cpu *cpu, uint64_t lin, uint64_t *gpa, bool *writable, bool *user)
{
	struct walk w;
	int r = walk(cpu, lin, ACC_READ, false, false, &w);

	if (!r) {
		*gpa = w.gpa;
		*writable = w.writable;
		*user = w.user;
	}
	return r;
}

int mmu_translate(struct cpu *cpu, uint64_t lin, int acc, bool user, uint64_t *gpa)
{
	struct walk w;
	int r = walk(cpu, lin, acc, user, false, &w);

	if (!r)
		*gpa = w.gpa;
	return r;
}

/*
 * Host address of the byte at `lin` for this access, or NULL for MMIO (then *gpa is
 * set). Walks on a TLB miss. Returns EXEC_OK or EXEC_EXC.
 */
static int lin_to_host(struct cpu *cpu, uint64_t lin, int acc, bool sys, uint8_t **host, uint64_t *gpa)
{
	struct cpu_internal *ci = cpu->in;
	uint64_t vpn = lin >> 12;
	struct tlb_entry *e = &ci->tlb[vpn % TLB_SIZE];
	bool user = !sys && ci->cpl == 3;
	struct walk w;
	uint8_t *page;
	int r;

	/* an implicit supervisor access (sys) to a user page is always SMAP-checked by a walk */
	if (tlb_hit(ci, lin, acc, user, host, gpa) &&
	    !(sys && (ci->sup_prot & SUP_SMAP) && acc != ACC_FETCH && e->vpn_user == vpn + 1)) {
		if (acc == ACC_WRITE)
			block_note_store(ci, *gpa);
		return EXEC_OK;
	}
	r = walk(cpu, lin, acc, user, sys, &w);
	if (r)
		return r;
	page = cpu->ops->gpa_page(cpu->opaque, w.gpa >> 12, acc == ACC_WRITE);
	*gpa = w.gpa;
	if (acc == ACC_WRITE)
		block_note_store(ci, w.gpa);
	*host = page ? page + (lin & 4095) : NULL;
	/* Write permission is cached only after a write walk (D bit set, page marked dirty). */
	if (!ci->tlb_disabled) {
		e->host = (uintptr_t)page;
		e->gpa = w.gpa & ~4095ull;
		e->vpn_read = vpn + 1;
		e->vpn_write = (acc == ACC_WRITE && page) ? vpn + 1 : 0;
		e->vpn_user = w.user ? vpn + 1 : 0;
		e->vpn_exec = w.exec ? vpn + 1 : 0;
		e->shift = w.shift;
	}
	return EXEC_OK;
}

/* ---- the I/O replay log ---- */

static int take_answer(struct cpu *cpu, uint8_t kind, void *data, unsigned size)
{
	struct cpu_internal *ci = cpu->in;

	if (ci->answer_pos < ci->nanswers && ci->answers[ci->answer_pos].kind == kind) {
		if (data)
			memcpy(data, ci->answers[ci->answer_pos].data, size);
		ci->answer_pos++;
		return 1;
	}
	return 0;
}

static int mmio_read(struct cpu *cpu, uint64_t gpa, unsigned size, uint8_t *out)
{
	struct cpu_internal *ci = cpu->in;

	if (take_answer(cpu, IOK_MMIO_READ, out, size))
		return EXEC_OK;
	if (ci->nanswers >= MAX_IO_EVENTS)
		return raise_gp(cpu, 0);	/* cannot happen for architectural instructions */
	memset(&ci->exit, 0, sizeof(ci->exit));
	ci->exit.reason = CPU_EXIT_MMIO;
	ci->exit.mmio.gpa = gpa;
	ci->exit.mmio.size = (uint8_t)size;
	ci->exit.mmio.write = false;
	ci->io_waiting_kind = IOK_MMIO_READ;
	return EXEC_IO;
}

static int mmio_write(struct cpu *cpu, uint64_t gpa, unsigned size, const uint8_t *data)
{
	struct cpu_internal *ci = cpu->in;
	struct cpu_exit_mmio *m;

	if (ci->nmmio_writes + ci->nmmio_staged >= MAX_MMIO_WRITES)
		return raise_gp(cpu, 0);
	m = &ci->mmio_writes[ci->nmmio_writes + ci->nmmio_staged++];
	m->gpa = gpa;
	m->size = (uint8_t)size;
	m->write = true;
	m->rip = ci->fault_rip;
	memset(m->data, 0, sizeof(m->data));
	memcpy(m->data, data, size);
	return EXEC_OK;
}

/* One page-contained piece of an access */
static int access_piece(struct cpu *cpu, uint64_t lin, unsigned size, uint8_t *buf, int acc, bool sys)
{
	uint8_t *host;
	uint64_t gpa;
	int r = lin_to_host(cpu, lin, acc, sys, &host, &gpa);

	if (r)
		return r;
	if (host) {
		if (acc == ACC_WRITE)
			memcpy(host, buf, size);
		else
			memcpy(buf, host, size);
		return EXEC_OK;
	}
	if (acc == ACC_FETCH)
		return EXEC_EXIT;	/* executing from MMIO: the caller reports it */
	return acc == ACC_WRITE ? mmio_write(cpu, gpa, size, buf) : mmio_read(cpu, gpa, size, buf);
}

static int access_lin(struct cpu *cpu, uint64_t lin, unsigned size, uint8_t *buf, int acc, bool sys)
{
	unsigned first = 4096 - (unsigned)(lin & 4095);
	uint64_t lin2 = lin + first;
	int r;

	if (!cpu->in->long_mode)
		lin2 &= 0xffffffffull;
	if (acc != ACC_FETCH && !sys)
		dbg_data_check(cpu, lin, size, acc == ACC_WRITE);
	if (first >= size)
		return access_piece(cpu, lin, size, buf, acc, sys);
	if (acc == ACC_WRITE) {
		/* both pages must be writable before either is written (precise faults) */
		uint8_t *h;
		uint64_t g;
		if ((r = lin_to_host(cpu, lin, acc, sys, &h, &g)) ||
		    (r = lin_to_host(cpu, lin2, acc, sys, &h, &g)))
			return r;
	}
	r = access_piece(cpu, lin, first, buf, acc, sys);
	if (r)
		return r;
	return access_piece(cpu, lin2, size - first, buf + first, acc, sys);
}

int mem_read_lin(struct cpu *cpu, uint64_t lin, unsigned size, uint64_t *val, bool sys)
{
	uint8_t buf[8] = { 0 };
	int r = access_lin(cpu, lin, size, buf, ACC_READ, sys);

	if (!r)
		memcpy(val, buf, 8);
	return r;
}

int mem_write_lin(struct cpu *cpu, uint64_t lin, unsigned size, uint64_t val, bool sys)
{
	uint8_t buf[8];

	memcpy(buf, &val, 8);
	return access_lin(cpu, lin, size, buf, ACC_WRITE, sys);
}

/*
 * Alignment checking (SDM Vol.3 §6.15, interrupt 17, Table 6-7): with CR0.AM and
 * EFLAGS.AC set, an explicit data access at CPL 3 to an operand not aligned to its
 * natural boundary is #AC(0). Words need 2, doublewords 4, quadwords and 80-bit x87
 * values 8; far pointers are read as their parts, so each part gets its own rule, which
 * is Table 6-7's. The x87 environment/state images need 2 or 4 (16- or 32-bit layout);
 * 16-byte and larger operands are left alone (MOVAPS and FXSAVE already require 16 with
 * #GP, and the unaligned SSE forms are not checked on the modelled CPU). #AC comes after
 * #PF in priority (Table 6-2), so the pages are translated first; implicit supervisor
 * accesses (descriptor tables, the TSS) never reach here.
 */
static unsigned ac_alignment(unsigned size)
{
	switch (size) {
	case 2: case 4: case 8: return size;
	case 10: return 8;
	case 14: case 94: return 2;	/* FSTENV/FSAVE images, 16-bit layout */
	case 28: case 108: return 4;	/* ... 32-bit layout */
	default: return 0;
	}
}

static __attribute__((noinline)) int ac_fault(struct cpu *cpu, uint64_t lin, unsigned size, bool write)
{
	struct cpu_internal *ci = cpu->in;
	unsigned align;
	uint8_t *h;
	uint64_t g, last = lin + size - 1;
	int r;

	if (ci->cpl != 3 || !(cpu->cr0 & CPU_CR0_AM))
		return EXEC_OK;
	align = ac_alignment(size);
	if (!align || !(lin & (align - 1)))
		return EXEC_OK;
	if (!ci->long_mode)
		last &= 0xffffffffull;
	if ((r = lin_to_host(cpu, lin, write ? ACC_WRITE : ACC_READ, false, &h, &g)) ||
	    ((last ^ lin) >> 12 && (r = lin_to_host(cpu, last, write ? ACC_WRITE : ACC_READ, false, &h, &g))))
		return r;
	cpu_raise(cpu, CPU_EXC_AC, true, 0);
	return EXEC_EXC;
}

/* the hot path: one test of EFLAGS.AC (clear in almost all code) */
static inline int ac_check(struct cpu *cpu, uint64_t lin, unsigned size, bool write)
{
	if (__builtin_expect(!(cpu->in->rflags & CPU_FLAG_AC), 1))
		return EXEC_OK;
	return ac_fault(cpu, lin, size, write);
}

/* Segmented accesses: the segment's limit and rights first (seg_check), then paging. */
int mem_read_seg(struct cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t *val)
{
	int r = seg_check(cpu, seg, off, size, false);
	uint64_t lin = seg_linear(cpu, seg, off);

	*val = 0;
	if (!r)
		r = ac_check(cpu, lin, size, false);
	return r ? r : mem_read_lin(cpu, lin, size, val, false);
}

int mem_write_seg(struct cpu *cpu, int seg, uint64_t off, unsigned size, uint64_t val)
{
	int r = seg_check(cpu, seg, off, size, true);
	uint64_t lin = seg_linear(cpu, seg, off);

	if (!r)
		r = ac_check(cpu, lin, size, true);
	return r ? r : mem_write_lin(cpu, lin, size, val, false);
}

/*
 * An access of any size (16-byte SSE operands, FXSAVE/XSAVE images). A write checks
 * every page it touches before storing anything, so a fault leaves memory unchanged;
 * the bytes then go out in page-contained pieces of at most 8 bytes (an MMIO piece is
 * one exit event).
 */
int mem_rw_seg(struct cpu *cpu, int seg, uint64_t off, unsigned size, void *buf, bool write)
{
	uint64_t lin = seg_linear(cpu, seg, off), wrap = cpu->in->long_mode ? ~0ull : 0xffffffffull;
	uint8_t *p = buf;
	int r;

	if ((r = seg_check(cpu, seg, off, size, write)) || (r = ac_check(cpu, lin, size, write)))
		return r;
	if (write) {
		for (uint64_t pg = lin & ~4095ull;; pg = (pg + 4096) & wrap) {
			uint8_t *h;
			uint64_t g;
			uint64_t at = pg == (lin & ~4095ull) ? lin : pg;

			if ((r = lin_to_host(cpu, at, ACC_WRITE, false, &h, &g)))
				return r;
			if (pg == ((lin + size - 1) & wrap & ~4095ull))
				break;
		}
	}
	for (unsigned done = 0; done < size;) {
		uint64_t at = (lin + done) & wrap;
		unsigned n = size - done, room = 4096 - (unsigned)(at & 4095);

		if (n > 8)
			n = 8;
		if (n > room)
			n = room;
		if ((r = access_piece(cpu, at, n, p + done, write ? ACC_WRITE : ACC_READ, false)))
			return r;
		done += n;
	}
	return EXEC_OK;
}

uint8_t *mem_host_ptr(struct cpu *cpu, int seg, uint64_t off, unsigned size, bool write, int *ret)
{
	uint64_t lin = seg_linear(cpu, seg, off), gpa;
	uint8_t *host;

	*ret = seg_check(cpu, seg, off, size, write);
	if (!*ret)
		*ret = ac_check(cpu, lin, size, write);
	if (*ret || (lin & 4095) + size > 4096 || (lin & (size - 1)))
		return NULL;
	dbg_data_check(cpu, lin, size, write);
	*ret = lin_to_host(cpu, lin, write ? ACC_WRITE : ACC_READ, false, &host, &gpa);
	return *ret ? NULL : host;
}

int fetch_bytes(struct cpu *cpu, uint64_t lin, uint8_t *buf, unsigned n)
{
	int r = access_piece(cpu, lin, n, buf, ACC_FETCH, false);

	if (r == EXEC_EXIT) {
		struct cpu_internal *ci = cpu->in;
		memset(&ci->exit, 0, sizeof(ci->exit));
		ci->exit.reason = CPU_EXIT_UNHANDLED;
		ci->exit.unhandled.len = 0;
	}
	return r;
}

int mmu_fetch_host(struct cpu *cpu, uint64_t lin, uint8_t **host, uint64_t *gpa)
{
	return lin_to_host(cpu, lin, ACC_FETCH, false, host, gpa);
}
