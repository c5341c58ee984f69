// SPDX-License-Identifier: GPL-2.0-only
// The vCPU level: KVM_CREATE_VCPU, the vCPU fd and its mmap, and vCPU ioctl dispatch.
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"

/* The vCPU file is gone: it no longer keeps its VM alive. The VM frees the vCPU. */
static void vcpu_file_release(struct kobj *obj)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)obj;

	kobj_put(&vcpu->kvm->obj);
}

static void vcpu_file_release_early(struct kobj *obj)
{
	(void)obj;	/* creation failed: the caller frees the vCPU */
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_arch_vcpu_destroy(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, SWKVM_VCPU_MMAP_PAGES * PAGE_SIZE);
	if (vcpu->wake_fd >= 0)
		close(vcpu->wake_fd);
	kvm_stats_destroy(&vcpu->stats_file);
	pthread_mutex_destroy(&vcpu->mutex);
	free(vcpu);
}

static struct kvm_vcpu *kvm_get_vcpu_by_id(struct kvm *kvm, int id)
{
	int n = atomic_load(&kvm->online_vcpus);

	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *v = atomic_load(&kvm->vcpus[i]);
		if (v && v->vcpu_id == id)
			return v;
	}
	return NULL;
}

/* kvm_vm_ioctl_create_vcpu(): virt/kvm/kvm_main.c */
int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	char name[32];
	void *map;
	int fd, r;

	if (id >= (unsigned long)(kvm->max_vcpu_ids ? kvm->max_vcpu_ids : SWKVM_MAX_VCPU_IDS))
		return -EINVAL;

	pthread_mutex_lock(&kvm->lock);
	if (kvm->created_vcpus >= SWKVM_MAX_VCPUS) {
		pthread_mutex_unlock(&kvm->lock);
		return -EINVAL;
	}
	/*
	 * kvm_arch_vcpu_precreate(): the first creation fixes the id limit, so that
	 * KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID) can no longer change it afterwards.
	 */
	if (!kvm->max_vcpu_ids)
		kvm->max_vcpu_ids = SWKVM_MAX_VCPU_IDS;
	if (kvm_get_vcpu_by_id(kvm, (int)id)) {
		pthread_mutex_unlock(&kvm->lock);
		return -EEXIST;
	}

	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu) {
		r = -ENOMEM;
		goto out_unlock;
	}
	vcpu->kvm = kvm;
	vcpu->vcpu_id = (int)id;
	vcpu->vcpu_idx = kvm->created_vcpus;
	pthread_mutex_init(&vcpu->mutex, NULL);
	vcpu->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vcpu->wake_fd < 0) {
		r = -errno;
		pthread_mutex_destroy(&vcpu->mutex);
		free(vcpu);
		goto out_unlock;
	}
	vcpu->obj.type = KOBJ_VCPU;
	vcpu->obj.release = vcpu_file_release;
	vcpu->stats_file.fd = -1;
	r = kvm_stats_create_vcpu(&vcpu->stats_file, (int)id, &vcpu->stat);
	if (r)
		goto out_free;

	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	fd = kobj_install(&vcpu->obj, name, SWKVM_VCPU_MMAP_PAGES * PAGE_SIZE, true);
	if (fd < 0) {
		r = fd;
		goto out_free;
	}
	map = mmap(NULL, SWKVM_VCPU_MMAP_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->obj.selffd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto out_close;
	}
	vcpu->run = map;
	vcpu->pio_data = (uint8_t *)map + KVM_PIO_PAGE_OFFSET * PAGE_SIZE;

	r = kvm_arch_vcpu_create(vcpu);
	if (r)
		goto out_close;

	/* The vCPU file holds a reference on its VM, as in the kernel. */
	kobj_get(&kvm->obj);
	atomic_store(&kvm->vcpus[vcpu->vcpu_idx], vcpu);
	kvm->created_vcpus++;
	atomic_fetch_add(&kvm->online_vcpus, 1);
	pthread_mutex_unlock(&kvm->lock);
	return fd;

out_close:
	/* Unregister without running the release hook (no VM reference was taken). */
	vcpu->obj.release = vcpu_file_release_early;
	kobj_close_fd(fd);
	if (vcpu->run)
		munmap(vcpu->run, SWKVM_VCPU_MMAP_PAGES * PAGE_SIZE);
out_free:
	kvm_stats_destroy(&vcpu->stats_file);
	close(vcpu->wake_fd);
	pthread_mutex_destroy(&vcpu->mutex);
	free(vcpu);
out_unlock:
	pthread_mutex_unlock(&kvm->lock);
	return r;
}

/*
 * KVM_SET_SIGNAL_MASK: `len` must be the kernel's sigset size (8); a NULL argument
 * removes the mask. SIGKILL and SIGSTOP cannot be blocked (kvm_vcpu_ioctl_set_sigmask()).
 */
static long kvm_vcpu_ioctl_set_signal_mask(struct kvm_vcpu *vcpu, struct kvm_signal_mask *argp)
{
	struct kvm_signal_mask hdr;
	uint64_t bits;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(bits))
		return -EINVAL;
	if (copy_from_user(&bits, argp->sigset, sizeof(bits)))
		return -EFAULT;
	sigemptyset(&vcpu->sigset);
	for (int sig = 1; sig <= 64; sig++)
		if (((bits >> (sig - 1)) & 1) && sig != SIGKILL && sig != SIGSTOP)
			sigaddset(&vcpu->sigset, sig);
	vcpu->sigset_active = true;
	return 0;
}

/* kvm_vcpu_ioctl(): virt/kvm/kvm_main.c. Every vCPU ioctl holds vcpu->mutex. */
long kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg)
{
	long r;

	pthread_mutex_lock(&vcpu->mutex);
	switch (ioctl) {
	case KVM_RUN: {
		sigset_t old;

		if (arg) {
			r = -EINVAL;
			break;
		}
		/* kvm_sigset_activate(): the vCPU's mask replaces the thread's during KVM_RUN */
		if (vcpu->sigset_active)
			pthread_sigmask(SIG_SETMASK, &vcpu->sigset, &old);
		r = kvm_arch_vcpu_ioctl_run(vcpu);
		if (vcpu->sigset_active)
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		break;
	}
	case KVM_SET_SIGNAL_MASK:
		r = kvm_vcpu_ioctl_set_signal_mask(vcpu, ARG_PTR(arg));
		break;
	case KVM_GET_STATS_FD:
		r = kvm_stats_get_fd(&vcpu->stats_file);
		break;
	default:
		r = kvm_arch_vcpu_ioctl(vcpu, ioctl, arg);
	}
	pthread_mutex_unlock(&vcpu->mutex);
	return r;
}
