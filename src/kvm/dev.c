// SPDX-License-Identifier: GPL-2.0-only
// The system level: swkvm_open() ("/dev/kvm"), the ioctl entry point and its dispatch.
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>

#include "swkvm.h"
#include "kvm/kvm_host.h"

struct kvm_system {
	struct kobj obj;
};

static void system_release(struct kobj *obj)
{
	free(obj);
}

int swkvm_open(const char *path, int flags)
{
	struct kvm_system *sys;
	int fd;

	(void)path;
	if ((flags & O_ACCMODE) != O_RDWR && (flags & O_ACCMODE) != O_RDONLY &&
	    (flags & O_ACCMODE) != O_WRONLY) {
		errno = EINVAL;
		return -1;
	}
	sys = calloc(1, sizeof(*sys));
	if (!sys) {
		errno = ENOMEM;
		return -1;
	}
	sys->obj.type = KOBJ_SYSTEM;
	sys->obj.release = system_release;
	fd = kobj_install(&sys->obj, "kvm", 0, flags & O_CLOEXEC);
	if (fd < 0) {
		free(sys);
		errno = -fd;
		return -1;
	}
	return fd;
}

/* kvm_dev_ioctl(): virt/kvm/kvm_main.c */
static long kvm_dev_ioctl(unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION_NR;
	case KVM_CREATE_VM:
		return kvm_dev_ioctl_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension(NULL, (long)arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return SWKVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	case KVM_GET_SUPPORTED_CPUID:
		return kvm_dev_ioctl_get_supported_cpuid(ARG_PTR(arg));
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvm_dev_ioctl_get_mce_cap(ARG_PTR(arg));
	case KVM_GET_MSR_INDEX_LIST:
		return kvm_dev_ioctl_get_msr_index_list(ARG_PTR(arg));
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvm_dev_ioctl_get_msr_feature_index_list(ARG_PTR(arg));
	case KVM_GET_MSRS:
		return kvm_vcpu_ioctl_msrs(NULL, ARG_PTR(arg), false);
	default:
		/* kvm_arch_dev_ioctl()'s default on x86 */
		return -EINVAL;
	}
}

int swkvm_ioctl(int fd, unsigned long request, ...)
{
	/* The kernel compares the 32-bit command; QEMU passes a sign-extended int. */
	unsigned int ioctl = (unsigned int)request;
	struct kobj *obj;
	unsigned long arg;
	va_list ap;
	long r;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	obj = kobj_get_fd(fd);
	if (!obj) {
		errno = fcntl(fd, F_GETFD) < 0 ? EBADF : ENOTTY;
		return -1;
	}
	/* Every KVM ioctl has type KVMIO (0xAE); others are not ours. */
	if (_IOC_TYPE(ioctl) != KVMIO) {
		errno = obj->type == KOBJ_VM ? ENOTTY : EINVAL;
		kobj_put(obj);
		return -1;
	}
	switch (obj->type) {
	case KOBJ_SYSTEM:
		r = kvm_dev_ioctl(ioctl, arg);
		break;
	case KOBJ_VM:
		r = kvm_vm_ioctl((struct kvm *)obj, ioctl, arg);
		break;
	case KOBJ_VCPU:
		r = kvm_vcpu_ioctl((struct kvm_vcpu *)obj, ioctl, arg);
		break;
	default:
		r = -ENOTTY;
	}
	kobj_put(obj);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

int swkvm_close(int fd)
{
	return kobj_close_fd(fd);
}

bool swkvm_is_kvm_fd(int fd)
{
	struct kobj *obj = kobj_get_fd(fd);

	if (!obj)
		return false;
	kobj_put(obj);
	return true;
}
