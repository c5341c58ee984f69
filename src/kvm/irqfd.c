// SPDX-License-Identifier: GPL-2.0-only
// KVM_IRQFD (virt/kvm/eventfd.c): a signal on an eventfd raises a GSI without an ioctl.
//
// A per-VM thread, started by the first assignment, waits on every irqfd with epoll.
// A plain irqfd pulses its GSI (assert, deassert) as source 0, like KVM_IRQ_LINE; a
// resampling one (KVM_IRQFD_FLAG_RESAMPLE) asserts it as its own source and keeps it up
// until the guest's EOI of that GSI (kvm_irqfd_ack(), from the IOAPIC), which lowers it
// and signals the resamplefd so the VMM can check whether its device still needs
// service. We keep our own duplicates of the eventfds, as KVM keeps references.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/x86.h"

struct irqfd {
	struct irqfd *next;
	uint64_t id;		/* epoll data: looked up under the lock, never a stale pointer */
	int fd, resamplefd;	/* our duplicates; resamplefd -1 without RESAMPLE */
	uint32_t gsi;
	bool asserted;		/* resampling irqfd: waiting for the EOI */
};

struct kvm_irqfds {
	pthread_mutex_t lock;
	struct irqfd *list;
	uint64_t next_id;
	int epfd, stopfd;
	pthread_t thread;
};

static void inject(struct kvm *kvm, struct irqfd *f)
{
	if (f->resamplefd >= 0) {
		f->asserted = true;
		kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, f->gsi, 1, false);
	} else {
		kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, f->gsi, 1, false);
		kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, f->gsi, 0, false);
	}
}

static void *irqfd_thread(void *arg)
{
	struct kvm *kvm = arg;
	struct kvm_irqfds *s = kvm->irqfds;

	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(s->epfd, ev, 16, -1);

		for (int i = 0; i < n; i++) {
			struct irqfd *f;
			uint64_t cnt;

			if (ev[i].data.u64 == 0)
				return NULL;	/* stopfd */
			pthread_mutex_lock(&s->lock);
			for (f = s->list; f && f->id != ev[i].data.u64; f = f->next)
				;
			if (f && read(f->fd, &cnt, sizeof(cnt)) == sizeof(cnt))
				inject(kvm, f);
			pthread_mutex_unlock(&s->lock);
		}
	}
}

static int irqfds_start(struct kvm *kvm)
{
	struct kvm_irqfds *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->next_id = 1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epfd < 0 || s->stopfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd, &ev))
		goto fail;
	kvm->irqfds = s;
	if (pthread_create(&s->thread, NULL, irqfd_thread, kvm)) {
		kvm->irqfds = NULL;
		goto fail;
	}
	return 0;
fail:
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return -ENOMEM;
}

static void free_irqfd(struct irqfd *f)
{
	close(f->fd);
	if (f->resamplefd >= 0)
		close(f->resamplefd);
	free(f);
}

/* kvm_irqfd_deassign(): every irqfd on this eventfd and GSI goes; 0 even if none */
static long deassign(struct kvm *kvm, const struct kvm_irqfd *a)
{
	struct kvm_irqfds *s = kvm->irqfds;
	struct irqfd **pp, *f;

	if (!kvm_is_eventfd((int)a->fd))
		return fcntl((int)a->fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (pp = &s->list; (f = *pp);) {
		if (f->gsi == a->gsi && kvm_same_file(f->fd, (int)a->fd)) {
			*pp = f->next;
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, f->fd, NULL);
			if (f->asserted)	/* a resampler leaves its line low */
				kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, f->gsi, 0, false);
			free_irqfd(f);
		} else {
			pp = &f->next;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

long kvm_vm_ioctl_irqfd(struct kvm *kvm, void *argp)
{
	struct kvm_irqfd a;
	struct kvm_irqfds *s;
	struct irqfd *f;
	struct epoll_event ev = { .events = EPOLLIN };
	long r;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~(uint32_t)(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (a.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return deassign(kvm, &a);
	/*
	 * kvm_irqfd_assign(): EAGAIN comes from kvm_arch_intc_initialized(), which x86
	 * does not define (always true); kvm_arch_irqfd_allowed() wants the irqchip.
	 */
	if (!irqchip_in_kernel(kvm))
		return -EINVAL;
	if (!kvm_is_eventfd((int)a.fd))
		return fcntl((int)a.fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	if ((a.flags & KVM_IRQFD_FLAG_RESAMPLE) && !kvm_is_eventfd((int)a.resamplefd))
		return fcntl((int)a.resamplefd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	pthread_mutex_lock(&kvm->lock);
	if (!kvm->irqfds && (r = irqfds_start(kvm))) {
		pthread_mutex_unlock(&kvm->lock);
		return r;
	}
	pthread_mutex_unlock(&kvm->lock);
	s = kvm->irqfds;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->gsi = a.gsi;
	f->resamplefd = -1;
	pthread_mutex_lock(&s->lock);
	for (struct irqfd *t = s->list; t; t = t->next)
		if (kvm_same_file(t->fd, (int)a.fd)) {
			pthread_mutex_unlock(&s->lock);
			free(f);
			return -EBUSY;	/* this eventfd already drives an irqfd */
		}
	f->fd = fcntl((int)a.fd, F_DUPFD_CLOEXEC, 0);
	if ((a.flags & KVM_IRQFD_FLAG_RESAMPLE))
		f->resamplefd = fcntl((int)a.resamplefd, F_DUPFD_CLOEXEC, 0);
	f->id = s->next_id++;
	ev.data.u64 = f->id;
	if (f->fd < 0 || ((a.flags & KVM_IRQFD_FLAG_RESAMPLE) && f->resamplefd < 0) ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, f->fd, &ev)) {
		r = -errno;
		pthread_mutex_unlock(&s->lock);
		if (f->fd >= 0)
			close(f->fd);
		if (f->resamplefd >= 0)
			close(f->resamplefd);
		free(f);
		return r;
	}
	f->next = s->list;
	s->list = f;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* irqfd_resampler_ack(): the guest acknowledged `gsi`; lower the resamplers' lines */
void kvm_irqfd_ack(struct kvm *kvm, uint32_t gsi)
{
	struct kvm_irqfds *s = kvm->irqfds;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (struct irqfd *f = s->list; f; f = f->next)
		if (f->resamplefd >= 0 && f->gsi == gsi && f->asserted) {
			f->asserted = false;
			kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, gsi, 0, false);
			kvm_eventfd_signal(f->resamplefd);
		}
	pthread_mutex_unlock(&s->lock);
}

/*
 * irqfd_resampler_notify() for kvm_notify_irqfd_resampler(): a pin's pending IRR is
 * about to be dropped instead of delivered; the VMM re-signals if its device still
 * asserts the line. The line itself is left as it is.
 */
bool kvm_irqfd_notify_resampler(struct kvm *kvm, uint32_t gsi)
{
	struct kvm_irqfds *s = kvm->irqfds;
	bool found = false;

	if (!s)
		return false;
	pthread_mutex_lock(&s->lock);
	for (struct irqfd *f = s->list; f; f = f->next)
		if (f->resamplefd >= 0 && f->gsi == gsi) {
			found = true;
			kvm_eventfd_signal(f->resamplefd);
		}
	pthread_mutex_unlock(&s->lock);
	return found;
}

void kvm_irqfd_destroy(struct kvm *kvm)
{
	struct kvm_irqfds *s = kvm->irqfds;
	uint64_t one = 1;

	if (!s)
		return;
	if (write(s->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	while (s->list) {
		struct irqfd *f = s->list;

		s->list = f->next;
		free_irqfd(f);
	}
	close(s->epfd);
	close(s->stopfd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	kvm->irqfds = NULL;
}
