// SPDX-License-Identifier: GPL-2.0-only
// libswkvm-preload.so: unmodified KVM VMMs get swkvm when they open /dev/kvm.
//
//   LD_PRELOAD=build/libswkvm-preload.so qemu-system-x86_64 -accel kvm ...
//
// Interposed (see docs/preload.md): the open family for the path "/dev/kvm" (swkvm_open
// instead), ioctl() and close() on swkvm descriptors (swkvm_ioctl, swkvm_close), and
// signal()/sigaction(), whose handlers are wrapped so that a signal delivered to a
// thread inside KVM_RUN ends that KVM_RUN with EINTR as the kernel's signal_pending()
// check does (kvmtool kicks its vCPU threads with bare signals). Everything else, mmap,
// dup, fcntl, read/write of eventfds, reaches the kernel unchanged: swkvm's objects are
// real file descriptors. A statically linked VMM cannot be interposed.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "swkvm.h"

#define EXPORT __attribute__((visibility("default")))
#define KVM_PATH "/dev/kvm"

/*
 * swkvm's own close() of its descriptors must reach libc, not come back here: the
 * library is linked into this object, so its calls bind to these definitions. A
 * thread-local depth marks "inside swkvm" around the calls that can close descriptors.
 */
static __thread int inside __attribute__((tls_model("initial-exec")));

/* SWKVM_TRACE=1: one line per KVM ioctl on stderr (request, argument, result, errno) */
static int trace;

__attribute__((constructor)) static void preload_init(void)
{
	const char *t = getenv("SWKVM_TRACE");

	trace = t && *t && strcmp(t, "0");
}

static void trace_ioctl(int fd, unsigned long request, void *arg, int r, int err)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "swkvm: ioctl(%d, %#x, %p) = %d%s%s\n", fd,
			 (unsigned)request, arg, r, r < 0 ? " " : "", r < 0 ? strerror(err) : "");

	if (n > 0 && write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
		/* nowhere to report it */
	}
}

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* O_CREAT/O_TMPFILE carry a mode argument */
#define OPEN_MODE(flags, mode)                                   \
	do {                                                     \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {         \
			va_list ap;                              \
			va_start(ap, flags);                     \
			mode = va_arg(ap, int);                  \
			va_end(ap);                              \
		}                                                \
	} while (0)

static int kvm_open(int flags)
{
	int r;

	inside++;
	r = swkvm_open(KVM_PATH, flags);
	inside--;
	return r;
}

/* only the absolute path: a relative one would need the directory resolved */
static int is_kvm_path(int dirfd, const char *path)
{
	(void)dirfd;
	return path && !strcmp(path, KVM_PATH);
}

EXPORT int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	int mode = 0;

	OPEN_MODE(flags, mode);
	if (!inside && is_kvm_path(AT_FDCWD, path))
		return kvm_open(flags);
	if (!real)
		real = next("open");
	return real(path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	int mode = 0;

	OPEN_MODE(flags, mode);
	if (!inside && is_kvm_path(AT_FDCWD, path))
		return kvm_open(flags);
	if (!real)
		real = next("open64");
	return real(path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	int mode = 0;

	OPEN_MODE(flags, mode);
	if (!inside && is_kvm_path(dirfd, path))
		return kvm_open(flags);
	if (!real)
		real = next("openat");
	return real(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	int mode = 0;

	OPEN_MODE(flags, mode);
	if (!inside && is_kvm_path(dirfd, path))
		return kvm_open(flags);
	if (!real)
		real = next("openat64");
	return real(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE builds call these */
EXPORT int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return openat64(dirfd, path, flags);
}

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int r;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!inside && swkvm_is_kvm_fd(fd)) {
		/* KVM_RUN runs the guest: a handler in it may issue ioctls of its own */
		if ((uint32_t)request == (uint32_t)KVM_RUN) {
			r = swkvm_ioctl(fd, request, arg);
		} else {
			inside++;
			r = swkvm_ioctl(fd, request, arg);
			inside--;
		}
		if (trace) {
			int err = errno;

			trace_ioctl(fd, request, arg, r, err);
			errno = err;
		}
		return r;
	}
	if (!real)
		real = next("ioctl");
	return real(fd, request, arg);
}

EXPORT int close(int fd)
{
	static int (*real)(int);
	int r;

	if (!inside && swkvm_is_kvm_fd(fd)) {
		inside++;
		r = swkvm_close(fd);
		inside--;
		return r;
	}
	if (!real)
		real = next("close");
	return real(fd);
}

/* ---- signal handlers: kick the vCPU the thread is running, then the program's handler ---- */

static struct sigaction user[_NSIG];

static void wrap_handler(int sig)
{
	swkvm_signal_kick();
	if (sig > 0 && sig < _NSIG && user[sig].sa_handler != SIG_DFL && user[sig].sa_handler != SIG_IGN)
		user[sig].sa_handler(sig);
}

static void wrap_action(int sig, siginfo_t *si, void *uc)
{
	swkvm_signal_kick();
	if (sig > 0 && sig < _NSIG && user[sig].sa_sigaction)
		user[sig].sa_sigaction(sig, si, uc);
}

/* Synchronous faults are not kicks: the guest runs on this thread but never raises them. */
static int wrappable(int sig, const struct sigaction *act)
{
	if (sig <= 0 || sig >= _NSIG || sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	    sig == SIGFPE || sig == SIGTRAP)
		return 0;
	if (act->sa_flags & SA_SIGINFO)
		return 1;
	return act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static int (*real)(int, const struct sigaction *, struct sigaction *);
	struct sigaction mine, prev, saved;
	int r;

	if (!real)
		real = next("sigaction");
	if (sig <= 0 || sig >= _NSIG)
		return real(sig, act, old);
	saved = user[sig];
	if (act && wrappable(sig, act)) {
		mine = *act;
		if (act->sa_flags & SA_SIGINFO)
			mine.sa_sigaction = wrap_action;
		else
			mine.sa_handler = wrap_handler;
		user[sig] = *act;	/* before the wrapper can run with it */
		r = real(sig, &mine, &prev);
	} else {
		r = real(sig, act, &prev);
	}
	if (r < 0)
		return r;
	/* report the program's own handler, not our wrapper */
	if (old) {
		*old = prev;
		if ((prev.sa_flags & SA_SIGINFO) ? prev.sa_sigaction == wrap_action
						 : prev.sa_handler == wrap_handler)
			*old = saved;
	}
	return 0;
}

/* glibc's signal(): BSD semantics (SA_RESTART, handler stays installed) */
EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	act.sa_flags = SA_RESTART;
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}
