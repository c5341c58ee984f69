// SPDX-License-Identifier: GPL-2.0-only
// TAP output for swkvm's C tests.
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

static int tests_run, tests_failed;

static void vreport(bool cond, const char *file, int line, const char *fmt, va_list ap)
{
	tests_run++;
	if (!cond)
		tests_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tests_run);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond)
		printf("#   at %s:%d\n", file, line);
	fflush(stdout);
}

bool tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cond, file, line, fmt, ap);
	va_end(ap);
	return cond;
}

bool tap_is(uint64_t got, uint64_t want, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(got == want, file, line, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got 0x%" PRIx64 " (%" PRIu64 "), wanted 0x%" PRIx64 " (%" PRIu64 ")\n",
		       got, got, want, want);
	return got == want;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int tap_done(void)
{
	printf("1..%d\n", tests_run);
	fflush(stdout);
	return tests_failed ? 1 : 0;
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(255);
}
