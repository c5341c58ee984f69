// SPDX-License-Identifier: GPL-2.0-only
// KVM_GET_STATS_FD: parse the binary stats like QEMU's query-stats; counters move with exits.
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"

struct parsed {
	struct kvm_stats_header h;
	char id[256];
	int n;
	char names[64][64];
	uint32_t flags[64], offset[64];
	uint16_t size[64];
	int16_t exponent[64];
};

static bool parse(int fd, struct parsed *p)
{
	size_t stride;

	memset(p, 0, sizeof(*p));
	if (pread(fd, &p->h, sizeof(p->h), 0) != sizeof(p->h))
		return false;
	if (p->h.name_size == 0 || p->h.name_size > 64 || p->h.num_desc > 64)
		return false;
	if (pread(fd, p->id, p->h.name_size, p->h.id_offset) != (ssize_t)p->h.name_size)
		return false;
	stride = sizeof(struct kvm_stats_desc) + p->h.name_size;
	for (uint32_t i = 0; i < p->h.num_desc; i++) {
		uint8_t buf[sizeof(struct kvm_stats_desc) + 64];
		struct kvm_stats_desc *d = (void *)buf;

		if (pread(fd, buf, stride, p->h.desc_offset + i * stride) != (ssize_t)stride)
			return false;
		memcpy(p->names[i], d->name, p->h.name_size);
		p->names[i][p->h.name_size - 1] = 0;
		p->flags[i] = d->flags;
		p->offset[i] = d->offset;
		p->size[i] = d->size;
		p->exponent[i] = d->exponent;
	}
	p->n = (int)p->h.num_desc;
	return true;
}

static uint64_t value(int fd, const struct parsed *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], name)) {
			uint64_t v = ~0ull;
			if (pread(fd, &v, 8, p->h.data_offset + p->offset[i]) != 8)
				return ~0ull;
			return v;
		}
	return ~0ull;
}

static const uint8_t classic[] = {
	0xba, 0xf8, 0x03, 0x00, 0xd8, 0x04, '0', 0xee, 0xb0, '\n', 0xee, 0xf4,
};

/* ---- the counters of a 64-bit guest with the in-kernel LAPIC ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

GUEST_CODE __attribute__((interrupt)) static void h_timer(void *frame)
{
	*(volatile uint32_t *)0xfee000b0 = 0;
}

GUEST_CODE static void guest_counters(void)
{
	uint64_t v;

	__asm__ volatile("invlpg (%0)" : : "r"(0x1000ull) : "memory");
	GUEST_ASSERT_EQ(guest_read_safe(0x8000000000ull, &v), 14);	/* unmapped: one #PF */
	*(volatile uint32_t *)0xfee000f0 = 0x1ff;
	*(volatile uint32_t *)0xfee003e0 = 0xb;
	*(volatile uint32_t *)0xfee00320 = 0x40;
	*(volatile uint32_t *)0xfee00380 = 3000000;	/* 3 ms */
	__asm__ volatile("sti; hlt; cli");
	GUEST_DONE();
}

static void test_guest_counters(void)
{
	struct vcpu *v;
	struct vm *vm = vm_create_64_irqchip(&v, guest_counters);
	int fd = kvm_ioctl(v->fd, KVM_GET_STATS_FD, 0);
	struct parsed p;
	struct ucall uc;
	uint64_t tlb0, t0, t1;

	vm_install_irq_handler(vm, 0x40, h_timer);
	parse(fd, &p);
	tlb0 = value(fd, &p, "tlb_flush");
	t0 = now_ns();
	is(vcpu_get_ucall(v, &uc), UCALL_DONE, "guest: INVLPG, a #PF, HLT until a 3 ms timer");
	t1 = now_ns();
	is(value(fd, &p, "invlpg"), 1, "invlpg counts the INVLPG");
	is(value(fd, &p, "pf_guest"), 1, "pf_guest counts the page fault delivered to the guest");
	ok(value(fd, &p, "tlb_flush") > tlb0, "tlb_flush moved");
	is(value(fd, &p, "halt_exits"), 1, "halt_exits");
	is(value(fd, &p, "halt_wakeup"), 1, "halt_wakeup: the timer woke it");
	/* the sleep is what is left of 3 ms after the guest's own work: positive, within the run */
	ok(value(fd, &p, "halt_wait_ns") > 0 && value(fd, &p, "halt_wait_ns") <= t1 - t0,
	   "halt_wait_ns: the time the vCPU slept (%llu of %llu ns)",
	   (unsigned long long)value(fd, &p, "halt_wait_ns"), (unsigned long long)(t1 - t0));
	is(value(fd, &p, "blocking"), 0, "blocking is 0 once awake");
	is(value(fd, &p, "irq_injections"), 1, "one interrupt injected");
	close(fd);
	vm_free(vm);
}

int main(void)
{
	struct vm *vm = vm_create_empty();
	uint8_t *mem = vm_add_memory(vm, 0, 0x1000, 0x1000, 0);
	struct vcpu *v = vm_add_vcpu(vm, 0);
	struct kvm_sregs s = vcpu_sregs(v);
	struct kvm_regs r = { .rip = 0x1000, .rax = 2, .rbx = 2, .rflags = 2 };
	struct parsed p;
	char want[64];
	int fd, vmfd, fd2;
	bool aligned = true, cumulative = true;

	is(kvm_ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD), 1, "CAP_BINARY_STATS_FD");
	fd = kvm_ioctl(v->fd, KVM_GET_STATS_FD, 0);
	ok(fd >= 0, "vCPU KVM_GET_STATS_FD");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec");
	ok((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "read-only");
	ok(write(fd, "x", 1) < 0, "writing the stats fd fails");
	ok(parse(fd, &p), "header, id and descriptors parse");
	is(p.h.flags, 0, "header flags 0");
	is(p.h.name_size, 48, "name_size is KVM_STATS_NAME_SIZE");
	snprintf(want, sizeof(want), "kvm-%d/vcpu-0", (int)getpid());
	ok(!strcmp(p.id, want), "id string is %s", want);
	aligned = !(p.h.id_offset % 8) && !(p.h.desc_offset % 8) && !(p.h.data_offset % 8);
	for (int i = 0; i < p.n; i++) {
		uint32_t want_flags = KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10;
		int want_exp = 0;

		if (!strcmp(p.names[i], "blocking"))
			want_flags = KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN | KVM_STATS_BASE_POW10;
		if (!strcmp(p.names[i], "halt_wait_ns")) {
			want_flags = KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10;
			want_exp = -9;
		}
		aligned &= !(p.offset[i] % 8);
		cumulative &= p.flags[i] == want_flags && p.exponent[i] == want_exp && p.size[i] == 1;
	}
	ok(aligned, "all blocks and data offsets are 8-byte aligned");
	ok(cumulative, "scalars; cumulative counts, halt_wait_ns in ns, blocking an instant boolean");
	is(value(fd, &p, "exits"), 0, "exits starts at 0");

	memcpy(mem, classic, sizeof(classic));
	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v, &s);
	vcpu_set_regs(v, &r);
	vcpu_run(v);
	vcpu_run(v);
	vcpu_run(v);
	is(v->run->exit_reason, KVM_EXIT_HLT, "the classic guest ran to HLT");
	is(value(fd, &p, "io_exits"), 2, "io_exits counts the two OUT exits");
	is(value(fd, &p, "halt_exits"), 1, "halt_exits counts the HLT");
	is(value(fd, &p, "mmio_exits"), 0, "no mmio_exits");
	is(value(fd, &p, "exits"), 3, "exits counts all three");
	fd2 = kvm_ioctl(v->fd, KVM_GET_STATS_FD, 0);
	ok(fd2 >= 0 && fd2 != fd, "a second stats fd is a new descriptor");
	{
		struct parsed p2;
		parse(fd2, &p2);
		is(value(fd2, &p2, "io_exits"), 2, "and reads the same live counters");
	}
	v->run->immediate_exit = 1;
	vcpu_run(v);
	v->run->immediate_exit = 0;
	is(value(fd, &p, "signal_exits"), 0, "an EINTR on entry is not a signal exit");

	vmfd = kvm_ioctl(vm->fd, KVM_GET_STATS_FD, 0);
	ok(vmfd >= 0, "VM KVM_GET_STATS_FD");
	ok(parse(vmfd, &p), "VM stats parse");
	snprintf(want, sizeof(want), "kvm-%d", (int)getpid());
	ok(!strcmp(p.id, want), "VM id string is %s", want);
	{
		uint64_t before = value(vmfd, &p, "remote_tlb_flush_requests");
		vm_add_memory(vm, 1, 0x100000, 0x1000, 0);
		is(value(vmfd, &p, "remote_tlb_flush_requests"), before + 1,
		   "a memslot change asks every vCPU to drop its mappings once");
	}
	close(fd);
	close(fd2);
	close(vmfd);
	vm_free(vm);
	test_guest_counters();
	return tap_done();
}
