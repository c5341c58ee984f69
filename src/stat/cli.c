// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat: the command line, batch mode (-1) and logging mode (-l, -L, -c, -z).
//
// Options, messages and output formats are kvm_stat's (tools/kvm/kvm_stat/kvm_stat in
// Linux; docs/stat.md lists them and where we differ).
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stat/stat.h"

static volatile sig_atomic_t stop_requested, hup_received;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	hup_received = 1;
}

static void catch_signal(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);	/* no SA_RESTART: a stop ends the sleep at once */
}

/* Sleeps `secs`, resuming after SIGHUP (as Python's time.sleep does); false if stopped. */
static bool sleep_for(double secs)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)secs;
	end.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while (!stop_requested) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL);

		if (r == 0)
			return true;
		if (r != EINTR)
			return true;
	}
	return false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swkvm stat [-h] [-1] [-c] [-d] [-f FIELDS] [-g GUEST] [-i] [-l] [-L FILE]\n"
		"                  [-p PID] [-s DELAY] [-t] [-z]\n"
		"\n"
		"Shows the event counters of running swkvm guests, as kvm_stat does for KVM.\n"
		"Guests are found through /proc/PID/fd: each swkvm VM and vCPU keeps its counters\n"
		"in a memfd in KVM's binary stats format (docs/stat.md). Only processes of the\n"
		"same user (or all, for root) can be read.\n"
		"\n"
		"  -1, --once, --batch          print every counter once after one second, then exit\n"
		"  -c, --csv                    log in CSV format (needs -l or -L)\n"
		"  -d, --debugfs                accepted for kvm_stat compatibility (the default)\n"
		"  -f, --fields REGEX           only the fields whose names match REGEX at the start\n"
		"                               (POSIX extended); \"-f help\" lists the fields\n"
		"  -g, --guest NAME             only the guest started with \"-name NAME\"\n"
		"  -i, --debugfs-include-past   count events from before this program started\n"
		"  -l, --log                    log a line of deltas per interval (like vmstat)\n"
		"  -L, --log-to-file FILE       like --log, appending to FILE (SIGHUP reopens it)\n"
		"  -p, --pid PID                only the guests of process PID\n"
		"  -s, --set-delay DELAY        seconds between refreshes, 0.1 to 25.5 (default 3.0)\n"
		"  -t, --tracepoints            accepted; swkvm has no tracepoints (see docs/stat.md)\n"
		"  -z, --skip-zero-records      with -l/-L: leave out lines whose deltas are all 0\n"
		"  -h, --help                   this text\n"
		"\n"
		"Keys: b guests/events, c clear filters, f field regex, g/p guest or pid, h help,\n"
		"o sort by total/rate, q quit, r reset, s delay, x child events; other keys refresh.\n"
		"\n"
		"Exit status: 0 ok, 2 bad command line, 3 no such pid or guest, 4 the log file,\n"
		"/proc or the terminal cannot be used.\n");
}

static int usage_error(const char *fmt, const char *a)
{
	fprintf(stderr, "swkvm stat: error: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, " (see swkvm stat --help)\n");
	return STAT_EXIT_USAGE;
}

/* int() as argparse applies it: decimal, surrounding blanks allowed */
static bool parse_int(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (end == s || errno)
		return false;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return !*end;
}

struct opts {
	bool once, csv, debugfs, tracepoints, include_past, log, skip_zero;
	const char *log_file;
	const char *fields;
	long pid;
	double delay;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct stat_value *)a)->key, ((const struct stat_value *)b)->key);
}

/* the name printed for a key: the part before a space (child events' "child parent") */
static void key_name(const char *key, char *out, size_t n)
{
	size_t len = strcspn(key, " ");

	snprintf(out, n, "%.*s", (int)len, key);
}

static int batch(struct stats *s)
{
	struct stat_value *v, *sorted;
	int n;

	stats_get(s, false, &n);
	if (!sleep_for(1.0))
		return STAT_EXIT_OK;	/* kvm_stat: Ctrl-C in batch mode prints nothing */
	v = stats_get(s, false, &n);
	sorted = malloc(sizeof(*sorted) * (size_t)(n + 1));
	if (!sorted)
		return STAT_EXIT_IO;
	memcpy(sorted, v, sizeof(*sorted) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_kv);
	for (int i = 0; i < n; i++) {
		char name[64];

		key_name(sorted[i].key, name, sizeof(name));
		printf("%-42s%10lld%10lld\n", name, (long long)sorted[i].value, (long long)sorted[i].delta);
	}
	free(sorted);
	fflush(stdout);
	return STAT_EXIT_OK;
}

struct logger {
	const struct opts *o;
	FILE *f;		/* -L: the log file; else stdout */
	char **keys;
	int nkeys;
};

static void banner(struct logger *lg, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	if (lg->o->csv)
		len += (size_t)snprintf(buf, n, "timestamp");
	for (int i = 0; i < lg->nkeys && len < n; i++) {
		char name[64];

		key_name(lg->keys[i], name, sizeof(name));
		/* kvm_stat's plain banner is "name " per field, the CSV one ",name" */
		len += (size_t)snprintf(buf + len, n - len, lg->o->csv ? ",%s" : "%s ", name);
	}
}

/* do_banner(): opens the log file on first use; a CSV file that has data gets no banner */
static int do_banner(struct logger *lg)
{
	static char buf[65536];

	if (lg->o->log_file) {
		if (!lg->f) {
			struct stat sb;

			lg->f = fopen(lg->o->log_file, "ae");
			if (!lg->f) {
				fprintf(stderr, "Error: Could not open file: %s\n", lg->o->log_file);
				return -1;
			}
			if (lg->o->csv && fstat(fileno(lg->f), &sb) == 0 && sb.st_size != 0)
				return 0;
		}
	}
	banner(lg, buf, sizeof(buf));
	fprintf(lg->f ? lg->f : stdout, "%s\n", buf);
	fflush(lg->f ? lg->f : stdout);
	return 0;
}

static bool do_statline(struct logger *lg, struct stats *s)
{
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;
	FILE *out = lg->f ? lg->f : stdout;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fputs(ts, out);
	for (int i = 0; i < lg->nkeys; i++) {
		struct stat_value *v = stats_find(s, lg->keys[i]);
		long long d = v ? (long long)v->delta : 0;

		if (lg->o->csv)
			fprintf(out, ",%lld", d);
		else
			fprintf(out, " %9lld", d);
	}
	fputc('\n', out);
	/* a reader that went away (EPIPE) or a full disk ends the log */
	return fflush(out) == 0 && !ferror(out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int log_mode(struct stats *s, const struct opts *o)
{
	struct logger lg = { .o = o };
	struct stat_value *v;
	int n, line = 0, rc = STAT_EXIT_OK;
	const int banner_repeat = 20;
	bool banner_printed;

	/* the fields are fixed at start, sorted by name */
	v = stats_get(s, false, &n);
	lg.keys = calloc((size_t)n + 1, sizeof(char *));
	if (!lg.keys)
		return STAT_EXIT_IO;
	for (int i = 0; i < n; i++)
		lg.keys[lg.nkeys++] = strdup(v[i].key);
	qsort(lg.keys, (size_t)lg.nkeys, sizeof(char *), cmp_str);
	if (o->log_file)
		catch_signal(SIGHUP, on_hup);
	if (do_banner(&lg) < 0) {
		rc = STAT_EXIT_IO;
		goto out;
	}
	banner_printed = true;
	for (;;) {
		bool any = false;

		if (!sleep_for(o->delay))
			break;
		if (hup_received) {
			/* logrotate moved the file: start a new one with a banner */
			banner_printed = true;
			line = 0;
			if (lg.f)
				fclose(lg.f);
			lg.f = NULL;
			hup_received = 0;
			if (do_banner(&lg) < 0) {
				rc = STAT_EXIT_IO;
				break;
			}
		}
		/* the banner repeats every 20 lines, except in a CSV file */
		if (line % banner_repeat == 0 && !banner_printed && !(o->log_file && o->csv)) {
			if (do_banner(&lg) < 0) {
				rc = STAT_EXIT_IO;
				break;
			}
			banner_printed = true;
		}
		stats_get(s, false, &n);
		for (int i = 0; i < lg.nkeys; i++) {
			struct stat_value *sv = stats_find(s, lg.keys[i]);

			any |= sv && sv->delta != 0;
		}
		if (!o->skip_zero || any) {
			if (!do_statline(&lg, s)) {
				if (lg.f)
					fprintf(stderr, "swkvm stat: cannot write to %s\n", o->log_file);
				rc = STAT_EXIT_IO;
				break;
			}
			line++;
			banner_printed = false;
		}
	}
out:
	if (lg.f)
		fclose(lg.f);
	for (int i = 0; i < lg.nkeys; i++)
		free(lg.keys[i]);
	free(lg.keys);
	return rc;
}

static int fields_help(struct stats *s)
{
	struct stat_value *v;
	char **names;
	int n, k = 0;

	stats_set_fields_filter(s, "");
	v = stats_get(s, false, &n);
	names = calloc((size_t)n + 1, sizeof(char *));
	if (!names)
		return STAT_EXIT_IO;
	for (int i = 0; i < n; i++) {
		size_t len = strcspn(v[i].key, "(");
		bool dup = false;

		for (int j = 0; j < k; j++)
			dup |= strlen(names[j]) == len && !strncmp(names[j], v[i].key, len);
		if (!dup)
			names[k++] = strndup(v[i].key, len);
	}
	qsort(names, (size_t)k, sizeof(char *), cmp_str);
	fputs("  ", stdout);
	for (int i = 0; i < k; i++) {
		printf("%s%s", i ? "\n  " : "", names[i]);
		free(names[i]);
	}
	putchar('\n');
	free(names);
	return STAT_EXIT_OK;
}

/* -g: the pid of the one guest with this name (kvm_stat's Guest_to_pid action) */
static int guest_to_pid(const char *root, const char *name, long *pid)
{
	int pids[64];
	int n = stat_pids_from_gname(root, name, pids, 64);

	if (n < 0) {
		fprintf(stderr, "Error while searching for guest \"%s\". Use \"-p\" to specify a pid instead?\n",
			name);
		return STAT_EXIT_NO_GUEST;
	}
	if (n == 0) {
		fprintf(stderr, "Error: No guest by the name \"%s\" found\n", name);
		return STAT_EXIT_NO_GUEST;
	}
	if (n > 1) {
		fprintf(stderr, "Error: Multiple processes found (pids:");
		for (int i = 0; i < n && i < 64; i++)
			fprintf(stderr, " %d", pids[i]);
		fprintf(stderr, "). Use \"-p\" to specify the desired pid\n");
		return STAT_EXIT_NO_GUEST;
	}
	*pid = pids[0];
	return 0;
}

int swkvm_stat_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "batch", no_argument, NULL, '1' },
		{ "csv", no_argument, NULL, 'c' },
		{ "debugfs", no_argument, NULL, 'd' },
		{ "fields", required_argument, NULL, 'f' },
		{ "guest", required_argument, NULL, 'g' },
		{ "debugfs-include-past", no_argument, NULL, 'i' },
		{ "log", no_argument, NULL, 'l' },
		{ "log-to-file", required_argument, NULL, 'L' },
		{ "pid", required_argument, NULL, 'p' },
		{ "set-delay", required_argument, NULL, 's' },
		{ "tracepoints", no_argument, NULL, 't' },
		{ "skip-zero-records", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const argname[128] = {
		['f'] = "-f/--fields", ['g'] = "-g/--guest", ['L'] = "-L/--log-to-file",
		['p'] = "-p/--pid", ['s'] = "-s/--set-delay",
	};
	struct opts o = { .delay = STAT_DELAY_DEFAULT, .fields = "" };
	struct stat_io io = stat_io_default;
	const char *root = getenv("SWKVM_STAT_PROC_ROOT");	/* tests: a fake /proc */
	struct stats s;
	char msg[128];
	int c, r;

	if (root && *root)
		io.proc_root = root;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:1cdf:g:ilL:p:s:tzh", longopts, NULL)) != -1) {
		switch (c) {
		case '1': o.once = true; break;
		case 'c': o.csv = true; break;
		case 'd': o.debugfs = true; break;
		case 'f': o.fields = optarg; break;
		case 'g':
			/* looked up at once, as argparse runs the action while parsing */
			if ((r = guest_to_pid(io.proc_root, optarg, &o.pid)))
				return r;
			break;
		case 'i': o.include_past = true; break;
		case 'l': o.log = true; break;
		case 'L': o.log_file = optarg; break;
		case 'p':
			if (!parse_int(optarg, &o.pid) || o.pid > INT_MAX || o.pid < INT_MIN)
				return usage_error("argument -p/--pid: invalid int value: '%s'", optarg);
			break;
		case 's':
			if (!stat_parse_float(optarg, &o.delay))
				return usage_error("argument -s/--set-delay: invalid float value: '%s'", optarg);
			break;
		case 't': o.tracepoints = true; break;
		case 'z': o.skip_zero = true; break;
		case 'h':
			usage(stdout);
			return STAT_EXIT_OK;
		case ':':
			return usage_error("argument %s: expected one argument",
					   optopt > 0 && optopt < 128 && argname[optopt] ? argname[optopt] :
					   argv[optind - 1]);
		default:
			return usage_error("unrecognized arguments: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unrecognized arguments: %s", argv[optind]);
	if (o.csv && !(o.log || o.log_file)) {
		fprintf(stderr, "Error: Option -c/--csv requires -l/--log\n");
		return STAT_EXIT_USAGE;
	}
	if (o.skip_zero && !(o.log || o.log_file)) {
		fprintf(stderr, "Error: Option -z/--skip-zero-records requires -l/-L\n");
		return STAT_EXIT_USAGE;
	}
	if (*o.fields) {
		regex_t re;

		if (regcomp(&re, o.fields, REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "Error: \"%s\" is not a valid regular expression\n", o.fields);
			return STAT_EXIT_USAGE;
		}
		regfree(&re);
	}
	if (o.tracepoints)
		/* kvm_stat falls back to debugfs when tracing is missing; so do we, always */
		fprintf(stderr, "swkvm stat: swkvm has no tracepoints; reading the guests' stats "
				"files instead (the debugfs provider)\n");
	if (o.pid > 0 && !stat_pid_running(io.proc_root, (int)o.pid)) {
		fprintf(stderr, "Did you use a (unsupported) tid instead of a pid?\n");
		fprintf(stderr, "Specified pid does not exist.\n");
		return STAT_EXIT_NO_GUEST;
	}
	if (stat_delay_error(o.delay, NULL, msg, sizeof(msg))) {
		fprintf(stderr, "Error: %s\n", msg);
		return STAT_EXIT_USAGE;
	}
	{
		struct stat sb;

		if (stat(io.proc_root, &sb) < 0) {
			fprintf(stderr, "swkvm stat: cannot read %s: %s\n", io.proc_root, strerror(errno));
			return STAT_EXIT_IO;
		}
	}
	catch_signal(SIGINT, on_stop);
	catch_signal(SIGTERM, on_stop);
	if (stats_init(&s, &io, o.pid > 0 ? (int)o.pid : 0, !strcmp(o.fields, "help") ? "" : o.fields,
		       true, o.include_past) < 0) {
		fprintf(stderr, "Error: \"%s\" is not a valid regular expression\n", o.fields);
		return STAT_EXIT_USAGE;
	}
	if (!strcmp(o.fields, "help"))
		r = fields_help(&s);
	else if (o.log || o.log_file)
		r = log_mode(&s, &o);
	else if (!o.once) {
		struct tui t;

		tui_init(&t, &s, io.proc_root, o.delay);
		r = tui_run(&t);
	} else
		r = batch(&s);
	stats_free(&s);
	return r;
}
