// SPDX-License-Identifier: GPL-2.0-only
// Fault-safe copies of ioctl arguments: a bad pointer gives -EFAULT, never SIGSEGV.
//
// The kernel's copy_{from,to}_user() turn a bad user pointer into EFAULT. In-process
// we get the same effect from process_vm_readv/writev on our own pid, which the
// kernel performs with fault handling. Where those calls are unavailable (some
// seccomp profiles), fall back to plain copies.
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvm/uaccess.h"

static atomic_int vm_rw_broken;

static int checked_copy(void *dst, const void *src, size_t n, int to_user)
{
	if (n == 0)
		return 0;
	if (!atomic_load_explicit(&vm_rw_broken, memory_order_relaxed)) {
		struct iovec local = { .iov_base = to_user ? (void *)src : dst, .iov_len = n };
		struct iovec remote = { .iov_base = to_user ? dst : (void *)src, .iov_len = n };
		ssize_t r = to_user ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
				    : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (r == (ssize_t)n)
			return 0;
		if (r >= 0 || errno == EFAULT)
			return -EFAULT;
		if (errno != ENOSYS && errno != EPERM)
			return -EFAULT;
		atomic_store(&vm_rw_broken, 1);
	}
	if (!dst || !src)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
	return checked_copy(dst, usrc, n, 0);
}

int copy_to_user(void *udst, const void *src, size_t n)
{
	return checked_copy(udst, src, n, 1);
}
