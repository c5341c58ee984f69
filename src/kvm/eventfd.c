// SPDX-License-Identifier: GPL-2.0-only
// KVM_IOEVENTFD: guest writes to a PIO/MMIO address signal an eventfd instead of exiting.
//
// Semantics of virt/kvm/eventfd.c: lengths 0/1/2/4/8 (0 = any length, MMIO/PIO
// address match only, no DATAMATCH), collision rules giving EEXIST, deassign matching
// the same eventfd, bus, address, length and datamatch. We keep our own duplicate of
// the eventfd (the kernel keeps a reference to its context), so the VMM may close its
// descriptor. All eventfds share one anonymous inode, so "the same eventfd" is decided
// with kcmp(KCMP_FILE) on the open file description.
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm/iobus.h"
#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"

#define IOEVENTFD_VALID_FLAGS \
	(KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN)

struct ioeventfd {
	struct kvm_io_device dev;
	struct ioeventfd *next;
	enum kvm_bus bus;
	uint64_t addr;
	int length;
	uint64_t datamatch;
	bool wildcard;
	int fd;			/* our duplicate of the eventfd */
};

bool kvm_is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* Same open file description? kcmp when available, else the same descriptor number. */
bool kvm_same_file(int a, int b)
{
	long r = syscall(SYS_kcmp, (long)getpid(), (long)getpid(), KCMP_FILE, (long)a, (long)b);

	if (r >= 0)
		return r == 0;
	return a == b;
}

static bool ioeventfd_in_range(const struct ioeventfd *p, uint64_t addr, int len, const void *val)
{
	uint64_t v = 0;

	if (addr != p->addr)
		return false;
	if (!p->length)
		return true;	/* length ignored: address match only */
	if (len != p->length)
		return false;
	if (p->wildcard)
		return true;
	memcpy(&v, val, (size_t)len);
	return v == p->datamatch;
}

/*
 * eventfd_signal(): add 1 to the counter, never blocking. The kernel saturates a full
 * counter silently; write(2) on a VMM's blocking eventfd would instead wait for a reader,
 * stalling the vCPU thread (or the irqchip with its lock held). So write only when poll
 * says there is room: a counter that has none is already as signalled as it can be.
 */
void kvm_eventfd_signal(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	uint64_t one = 1;

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: another writer filled it in between (non-blocking descriptor) */
	}
}

static int ioeventfd_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			   int len, const void *val)
{
	struct ioeventfd *p = (struct ioeventfd *)dev;

	(void)vcpu;
	if (!ioeventfd_in_range(p, addr, len, val))
		return -EOPNOTSUPP;
	kvm_eventfd_signal(p->fd);
	return 0;
}

static const struct kvm_io_device_ops ioeventfd_ops = { .write = ioeventfd_write };

static enum kvm_bus bus_from_flags(uint32_t flags)
{
	return (flags & KVM_IOEVENTFD_FLAG_PIO) ? KVM_PIO_BUS : KVM_MMIO_BUS;
}

/* ioeventfd_check_collision() */
static bool collides(struct kvm *kvm, const struct ioeventfd *p)
{
	for (struct ioeventfd *q = kvm->ioeventfds; q; q = q->next)
		if (q->bus == p->bus && q->addr == p->addr &&
		    (!q->length || !p->length || q->length == p->length) &&
		    (q->wildcard || p->wildcard || q->datamatch == p->datamatch))
			return true;
	return false;
}

static long assign(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	struct ioeventfd *p;
	int r;

	switch (args->len) {
	case 0: case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~IOEVENTFD_VALID_FLAGS)
		return -EINVAL;
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	if (fcntl(args->fd, F_GETFD) < 0)
		return -EBADF;
	if (!kvm_is_eventfd(args->fd))
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dev.ops = &ioeventfd_ops;
	p->bus = bus_from_flags(args->flags);
	p->addr = args->addr;
	p->length = (int)args->len;
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	/* The datamatch is compared at the access width (ioeventfd_in_range). */
	p->datamatch = args->len && args->len < 8 ?
		       args->datamatch & ((1ull << (8 * args->len)) - 1) : args->datamatch;

	pthread_mutex_lock(&kvm->ioeventfds_lock);
	if (collides(kvm, p)) {
		r = -EEXIST;
		goto fail;
	}
	p->fd = fcntl(args->fd, F_DUPFD_CLOEXEC, 0);
	if (p->fd < 0) {
		r = -errno;
		goto fail;
	}
	r = kvm_io_bus_register_dev(kvm, p->bus, p->addr, p->length, &p->dev);
	if (r) {
		close(p->fd);
		goto fail;
	}
	p->next = kvm->ioeventfds;
	kvm->ioeventfds = p;
	pthread_mutex_unlock(&kvm->ioeventfds_lock);
	return 0;
fail:
	pthread_mutex_unlock(&kvm->ioeventfds_lock);
	free(p);
	return r;
}

/* kvm_deassign_ioeventfd_idx() */
static long deassign(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	enum kvm_bus bus = bus_from_flags(args->flags);
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	struct ioeventfd **pp;
	long r = -ENOENT;

	/* eventfd_ctx_fdget() comes first: EBADF, or EINVAL for a file that is no eventfd */
	if (fcntl(args->fd, F_GETFD) < 0)
		return -EBADF;
	if (!kvm_is_eventfd(args->fd))
		return -EINVAL;
	pthread_mutex_lock(&kvm->ioeventfds_lock);
	for (pp = &kvm->ioeventfds; *pp; pp = &(*pp)->next) {
		struct ioeventfd *p = *pp;
		uint64_t dm = args->len && args->len < 8 ?
			      args->datamatch & ((1ull << (8 * args->len)) - 1) : args->datamatch;

		if (p->bus != bus || p->addr != args->addr || p->length != (int)args->len ||
		    p->wildcard != wildcard || !kvm_same_file(p->fd, args->fd))
			continue;
		if (!p->wildcard && p->datamatch != dm)
			continue;
		*pp = p->next;
		kvm_io_bus_unregister_dev(kvm, bus, &p->dev);
		close(p->fd);
		free(p);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&kvm->ioeventfds_lock);
	return r;
}

long kvm_vm_ioctl_ioeventfd(struct kvm *kvm, void *argp)
{
	struct kvm_ioeventfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return deassign(kvm, &args);
	return assign(kvm, &args);
}

void kvm_ioeventfd_destroy(struct kvm *kvm)
{
	struct ioeventfd *p = kvm->ioeventfds, *n;

	for (; p; p = n) {
		n = p->next;
		close(p->fd);
		free(p);
	}
	kvm->ioeventfds = NULL;
}
