// SPDX-License-Identifier: GPL-2.0-only
// copy_from_user()/copy_to_user() for ioctl arguments: fault-safe copies in-process.
#ifndef SWKVM_KVM_UACCESS_H
#define SWKVM_KVM_UACCESS_H

#include <stddef.h>

/* Both return 0, or -EFAULT when the caller's buffer is not accessible. */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);

#endif
