// SPDX-License-Identifier: GPL-2.0-only
// The registry of fd-backed KVM objects: every system, VM and vCPU handle is a memfd.
//
// A VMM holds ordinary kernel descriptors, so its mmap(), dup(), fstat() and close()
// work natively. We find the object behind a descriptor by the inode of its file
// (fd numbers are reused, inodes are not while we keep our own descriptor open).
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm/kvm_host.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kobj **registry;
static size_t registry_len, registry_cap;

static ssize_t registry_find(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < registry_len; i++)
		if (registry[i]->ino == ino && registry[i]->dev == dev)
			return (ssize_t)i;
	return -1;
}

int kobj_install(struct kobj *obj, const char *name, size_t size, bool cloexec)
{
	struct stat st;
	int fd, selffd, err;

	fd = memfd_create(name, cloexec ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -errno;
	if (size && ftruncate(fd, (off_t)size) < 0)
		goto fail_errno;
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	selffd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (selffd < 0)
		goto fail_errno;

	obj->dev = st.st_dev;
	obj->ino = st.st_ino;
	obj->selffd = selffd;
	atomic_store(&obj->refs, 1);

	pthread_mutex_lock(&registry_lock);
	if (registry_len == registry_cap) {
		size_t cap = registry_cap ? registry_cap * 2 : 16;
		struct kobj **n = realloc(registry, cap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&registry_lock);
			close(selffd);
			close(fd);
			return -ENOMEM;
		}
		registry = n;
		registry_cap = cap;
	}
	registry[registry_len++] = obj;
	pthread_mutex_unlock(&registry_lock);
	return fd;

fail_errno:
	err = -errno;
	close(fd);
	return err;
}

struct kobj *kobj_get_fd(int fd)
{
	struct stat st;
	struct kobj *obj = NULL;
	ssize_t i;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	i = registry_find(st.st_dev, st.st_ino);
	if (i >= 0) {
		obj = registry[i];
		atomic_fetch_add(&obj->refs, 1);
	}
	pthread_mutex_unlock(&registry_lock);
	return obj;
}

void kobj_get(struct kobj *obj)
{
	atomic_fetch_add(&obj->refs, 1);
}

void kobj_put(struct kobj *obj)
{
	if (atomic_fetch_sub(&obj->refs, 1) == 1)
		obj->release(obj);
}

/* Is any descriptor other than `except` open on (dev, ino)? */
static bool inode_still_open(dev_t dev, ino_t ino, int except)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	bool found = false;

	if (!d)
		return true;	/* cannot tell: keep the object (leak rather than use-after-free) */
	while (!found && (de = readdir(d))) {
		struct stat st;
		char *end;
		long n = strtol(de->d_name, &end, 10);

		if (*end || n == except || n == dirfd(d))
			continue;
		if (fstat((int)n, &st) == 0 && st.st_ino == ino && st.st_dev == dev)
			found = true;
	}
	closedir(d);
	return found;
}

int kobj_close_fd(int fd)
{
	struct stat st;
	struct kobj *obj = NULL;
	ssize_t i;

	if (fd < 0 || fstat(fd, &st) < 0)
		return close(fd);
	if (close(fd) < 0)
		return -1;

	pthread_mutex_lock(&registry_lock);
	i = registry_find(st.st_dev, st.st_ino);
	if (i >= 0 && !inode_still_open(st.st_dev, st.st_ino, registry[i]->selffd)) {
		obj = registry[i];
		registry[i] = registry[--registry_len];
	}
	pthread_mutex_unlock(&registry_lock);

	if (obj) {
		close(obj->selffd);
		obj->selffd = -1;
		kobj_put(obj);
	}
	return 0;
}
