// SPDX-License-Identifier: GPL-2.0-only
// Minimal TAP producer for swkvm's C tests: ok/is/is_errno, plan at the end.
#ifndef SWKVM_TEST_TAP_H
#define SWKVM_TEST_TAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

bool tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool tap_is(uint64_t got, uint64_t want, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan and returns the exit status (non-zero if any test failed). */
int tap_done(void);
/* Stops the whole program with a failed test (for set-up that cannot continue). */
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is(got, want, ...) tap_is((uint64_t)(got), (uint64_t)(want), __FILE__, __LINE__, __VA_ARGS__)
/* `call` must fail with -1 and errno `err`. */
#define is_errno(call, err, ...)                                                        \
	do {                                                                            \
		errno = 0;                                                              \
		long r_ = (long)(call);                                                 \
		int e_ = errno;                                                         \
		if (!tap_ok(r_ == -1 && e_ == (err), __FILE__, __LINE__, __VA_ARGS__))  \
			tap_diag("  returned %ld errno %d (%s), wanted -1 errno %d",    \
				 r_, e_, strerror(e_), (err));                          \
	} while (0)

#endif
