// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat: value and delta per key (kvm_stat's Stats), guest names, Python-style numbers.
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stat/stat.h"

#define MAX_KV_EXTRA 4096	/* by-guest keys: at most this many guest pids at once */

int stats_init(struct stats *s, const struct stat_io *io, int pid, const char *fields, bool probe,
	       bool include_past)
{
	memset(s, 0, sizeof(*s));
	provider_init(&s->prov, io, pid);
	if (probe)
		provider_probe_names(&s->prov);
	if (provider_update_fields(&s->prov, fields) < 0)
		return -1;
	s->fields_filter = strdup(fields ? fields : "");
	s->pid_filter = pid;
	if (include_past) {
		/* -i: the baseline is 0, so totals include what happened before we started */
		struct stat_kv *tmp = calloc((size_t)s->prov.nfields + 1, sizeof(*tmp));

		if (tmp)
			provider_read(&s->prov, 2, false, tmp, s->prov.nfields + 1);
		free(tmp);
	}
	return 0;
}

void stats_free(struct stats *s)
{
	provider_free(&s->prov);
	free(s->v);
	free(s->fields_filter);
	memset(s, 0, sizeof(*s));
}

struct stat_value *stats_find(struct stats *s, const char *key)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

struct stat_value *stats_get(struct stats *s, bool by_guest, int *np)
{
	int max = s->prov.nfields + MAX_KV_EXTRA;
	struct stat_kv *kv = calloc((size_t)max, sizeof(*kv));
	int n = kv ? provider_read(&s->prov, 0, by_guest, kv, max) : 0;

	for (int i = 0; i < n; i++) {
		struct stat_value *v = stats_find(s, kv[i].key);

		if (!v) {
			if (s->n == s->cap) {
				int cap = s->cap ? s->cap * 2 : 64;
				struct stat_value *nv = realloc(s->v, sizeof(*nv) * (size_t)cap);

				if (!nv)
					break;
				s->v = nv;
				s->cap = cap;
			}
			v = &s->v[s->n++];
			snprintf(v->key, sizeof(v->key), "%s", kv[i].key);
			v->value = 0;
		}
		v->delta = kv[i].value - v->value;
		v->value = kv[i].value;
	}
	free(kv);
	*np = s->n;
	return s->v;
}

void stats_reset(struct stats *s)
{
	s->n = 0;
	provider_reset(&s->prov);
}

int stats_set_fields_filter(struct stats *s, const char *regex)
{
	char *copy;

	if (!regex)
		regex = "";
	if (s->fields_filter && !strcmp(regex, s->fields_filter))
		return 0;
	if (provider_update_fields(&s->prov, regex) < 0)
		return -1;
	copy = strdup(regex);
	if (!copy)
		return -1;
	free(s->fields_filter);
	s->fields_filter = copy;
	/* the fields changed: old values are of no use (kvm_stat clears its cache too) */
	s->n = 0;
	return 0;
}

void stats_set_pid_filter(struct stats *s, int pid)
{
	if (pid == s->pid_filter)
		return;
	s->pid_filter = pid;
	s->n = 0;
	provider_set_pid(&s->prov, pid);
}

static bool is_digits(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!isdigit((unsigned char)*k))
			return false;
	return true;
}

void stats_toggle_display_guests(struct stats *s, bool to_pid)
{
	int j = 0, n;

	for (int i = 0; i < s->n; i++) {
		bool drop = false;

		if (to_pid) {
			for (int k = 0; k < s->prov.nfields; k++)
				drop |= !strcmp(s->v[i].key, provider_name(&s->prov, s->prov.fields[k]));
		} else {
			drop = is_digits(s->v[i].key);
		}
		if (!drop)
			s->v[j++] = s->v[i];
	}
	s->n = j;
	/* refresh the old values so the next deltas are right */
	stats_get(s, to_pid, &n);
}

/* ---- guest names ---- */

/* Reads /proc/<pid>/cmdline; returns its length (NULs between arguments) or -1. */
static long read_cmdline(const char *root, int pid, char *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return (long)n;
}

#define MAX_PARTS 64

/*
 * The guest name in a QEMU-style command line: the argument after the first "-name",
 * split at commas (",," is an escaped comma); the first part without '=' is the name,
 * else a "guest=NAME" part gives it. Behaviour of kvm_stat's get_gname_from_pid().
 */
void stat_gname_from_pid(const char *root, int pid, char *out, size_t outn)
{
	static char buf[65536];
	char *parts[MAX_PARTS], *arg = NULL;
	int np = 0;
	long n = read_cmdline(root, pid, buf, sizeof(buf));

	out[0] = 0;
	if (n <= 0)
		return;
	for (long i = 0; i < n;) {
		char *a = buf + i;
		long len = (long)strlen(a);

		if (!strcmp(a, "-name")) {
			if (i + len + 1 < n)
				arg = a + len + 1;
			else if (i + len + 1 == n)
				arg = "";	/* "-name" last: the empty string after the final NUL */
			break;
		}
		i += len + 1;
	}
	if (!arg)
		return;
	/* split(',') */
	for (char *c = arg;; ) {
		char *comma = strchr(c, ',');
		size_t len = comma ? (size_t)(comma - c) : strlen(c);

		if (np == MAX_PARTS)
			return;
		parts[np] = strndup(c, len);
		if (!parts[np])
			goto out;
		np++;
		if (!comma)
			break;
		c = comma + 1;
	}
	/* ",," left an empty part: glue its neighbours back together with a comma */
	for (;;) {
		int idx = -1, prev;
		char *joined;

		for (int i = 0; i < np; i++)
			if (!parts[i][0]) {
				idx = i;
				break;
			}
		if (idx < 0)
			break;
		if (idx + 1 >= np)
			goto out;	/* Python: IndexError -> no name */
		prev = idx ? idx - 1 : np - 1;	/* parms[-1] is the last one */
		if (asprintf(&joined, "%s,%s", parts[prev], parts[idx + 1]) < 0)
			goto out;
		free(parts[prev]);
		parts[prev] = joined;
		free(parts[idx]);
		free(parts[idx + 1]);
		memmove(&parts[idx], &parts[idx + 2], sizeof(char *) * (size_t)(np - idx - 2));
		np -= 2;
	}
	for (int i = 0; i < np; i++) {
		if (!strchr(parts[i], '=')) {
			snprintf(out, outn, "%s", parts[i]);
			break;
		}
		if (!strncmp(parts[i], "guest=", 6))
			snprintf(out, outn, "%s", parts[i] + 6);
	}
out:
	for (int i = 0; i < np; i++)
		free(parts[i]);
}

int stat_all_gnames(const char *root, struct stat_guest *out, int max)
{
	static char buf[65536];
	DIR *d = opendir(root);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		long len;
		int pid;

		if (!is_digits(e->d_name))
			continue;
		pid = atoi(e->d_name);
		len = read_cmdline(root, pid, buf, sizeof(buf));
		if (len <= 0)
			continue;
		/* what `ps -A --format pid,args` shows: the arguments joined by spaces */
		for (long i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		if (!strstr(buf, " -name "))
			continue;
		if (n < max) {
			out[n].pid = pid;
			stat_gname_from_pid(root, pid, out[n].name, sizeof(out[n].name));
		}
		n++;
	}
	closedir(d);
	return n < max ? n : max;
}

int stat_pids_from_gname(const char *root, const char *name, int *pids, int max)
{
	struct stat_guest g[256];
	int n = stat_all_gnames(root, g, 256), k = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (!strcmp(g[i].name, name)) {
			if (k < max)
				pids[k] = g[i].pid;
			k++;
		}
	return k;
}

bool stat_pid_running(const char *root, int pid)
{
	char path[512];
	struct stat sb;

	if (!pid)
		return true;
	snprintf(path, sizeof(path), "%s/%d", root, pid);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* ---- numbers as Python prints and parses them ---- */

void stat_py_float(double v, char *buf, size_t n)
{
	char tmp[64], digits[32];
	int prec, exp, nd = 0;
	const char *sign = signbit(v) ? "-" : "";
	char *e;

	if (isnan(v)) {
		snprintf(buf, n, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, n, "%sinf", sign);
		return;
	}
	/* the shortest digit string that reads back as v, as repr() picks */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(v));
		if (strtod(tmp, NULL) == fabs(v))
			break;
	}
	e = strchr(tmp, 'e');
	exp = atoi(e + 1);
	for (char *c = tmp; c < e; c++)
		if (isdigit((unsigned char)*c))
			digits[nd++] = *c;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = 0;
	if (exp < -4 || exp >= 16) {
		snprintf(buf, n, "%s%c%s%s%se%c%02d", sign, digits[0], nd > 1 ? "." : "", digits + 1, "",
			 exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		snprintf(buf, n, "%s0.%.*s%s", sign, -exp - 1, "0000", digits);
	} else if (nd <= exp + 1) {
		snprintf(buf, n, "%s%s%.*s.0", sign, digits, exp + 1 - nd, "0000000000000000");
	} else {
		snprintf(buf, n, "%s%.*s.%s", sign, exp + 1, digits, digits + exp + 1);
	}
}

bool stat_parse_float(const char *s, double *out)
{
	char *end;

	/* Python's float(): no hex, no nan(...) payloads; nan is refused (no delay is nan) */
	if (strpbrk(s, "xX(_"))
		return false;
	*out = strtod(s, &end);
	if (end == s)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	return !*end && !isnan(*out);
}

const char *stat_delay_error(double delay, const char *given, char *buf, size_t n)
{
	char v[64], lim[16];

	(void)given;
	stat_py_float(delay, v, sizeof(v));
	if (delay < STAT_DELAY_MIN) {
		stat_py_float(STAT_DELAY_MIN, lim, sizeof(lim));
		snprintf(buf, n, "\"%s\": Delay must be >=%s", v, lim);
		return buf;
	}
	if (delay > STAT_DELAY_MAX) {
		stat_py_float(STAT_DELAY_MAX, lim, sizeof(lim));
		snprintf(buf, n, "\"%s\": Delay must be <=%s", v, lim);
		return buf;
	}
	return NULL;
}
