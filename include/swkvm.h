// SPDX-License-Identifier: GPL-2.0-only
// swkvm's in-process entry points: the /dev/kvm API without a kernel.
//
// Every KVM object (the system handle, a VM, a vCPU) is a real file descriptor (a
// memfd), so mmap(), dup(), fstat() and close() on it behave natively. Requests and
// structs are the kernel's own, from <linux/kvm.h>; errors follow the ioctl(2)
// convention: -1 with errno set. Nothing here prints or exits the process.
#ifndef SWKVM_H
#define SWKVM_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SWKVM_EXPORT __attribute__((visibility("default")))

/*
 * Opens a swkvm system handle, the equivalent of open("/dev/kvm", flags).
 * `path` is informational (any path is accepted); O_CLOEXEC in `flags` is honoured.
 * Returns a file descriptor or -1 with errno.
 */
SWKVM_EXPORT int swkvm_open(const char *path, int flags);

/*
 * ioctl(2) on a swkvm file descriptor. Only the low 32 bits of `request` are
 * compared, as the kernel does. The optional third argument is the ioctl's
 * argument (a pointer or an integer). Returns what the kernel's KVM would: a
 * non-negative value, or -1 with errno. On a descriptor that is not a swkvm object
 * it fails with ENOTTY.
 */
SWKVM_EXPORT int swkvm_ioctl(int fd, unsigned long request, ...);

/*
 * Closes a swkvm descriptor. The object (VM, vCPU) is released when no descriptor
 * refers to it any more; a vCPU keeps its VM alive, as in the kernel. A plain
 * close(2) also works but leaves the object's memory until process exit.
 */
SWKVM_EXPORT int swkvm_close(int fd);

/* True if `fd` is a live swkvm object (system, VM or vCPU). */
SWKVM_EXPORT bool swkvm_is_kvm_fd(int fd);

/*
 * Call from a signal handler (async-signal-safe): if the calling thread is inside
 * KVM_RUN, that KVM_RUN returns -1/EINTR with KVM_EXIT_INTR at once, as the kernel's
 * does when a signal is delivered to a vCPU thread. Outside KVM_RUN it does nothing.
 * The preload library calls it from a wrapper around every handler the program installs,
 * so VMMs that kick vCPU threads with bare signals (kvmtool) work unchanged.
 */
SWKVM_EXPORT void swkvm_signal_kick(void);

#ifdef __cplusplus
}
#endif

#endif
