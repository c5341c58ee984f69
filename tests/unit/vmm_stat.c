// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat's provider, stats and screen logic on a fake /proc with hand-made stats files.
//
// The fake tree: <tmp>/proc/<pid>/cmdline and <tmp>/proc/<pid>/fd/<n> symlinks to files
// named "memfd:kvm-vm-stats (deleted)" / "memfd:kvm-vcpu-stats (deleted)", which is what
// readlink() shows for a real memfd. The files use KVM's binary layout with the blocks
// out of order and apart (data, then descriptors, then the id), so only a reader that
// follows the offsets gets the numbers right.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stat/stat.h"
#include "tap.h"

static char tmp[] = "/tmp/swkvm-stat-unitXXXXXX";
static char proc[300];

#define NAME_SIZE 40	/* not the kernel's 48: the reader must use the header's name_size */

struct ff {
	char path[700];
	int n;
	uint32_t data_offset;
	uint32_t off[8];	/* value offsets, by descriptor */
};

static void mkdirs(const char *path)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd))
		tap_bail("mkdir %s", path);
}

static void mkproc(int pid, const char *cmdline, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%d/fd", proc, pid);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/%d/cmdline", proc, pid);
	f = fopen(p, "w");
	fwrite(cmdline, 1, len, f);
	fclose(f);
}

/* a command line given as a literal with its NULs */
#define MKPROC(pid, lit) mkproc((pid), (lit), sizeof(lit) - 1)

static void rmproc(int pid)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%d'", proc, pid);
	if (system(cmd))
		tap_bail("rm");
}

static void link_fd(int pid, int fdnum, const char *target)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%d/fd/%d", proc, pid, fdnum);
	unlink(p);
	if (symlink(target, p))
		tap_bail("symlink %s", p);
}

static void rmfd(int pid, int fdnum)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%d/fd/%d", proc, pid, fdnum);
	unlink(p);
}

/*
 * A stats file for process `pid` at fd `fdnum`: header at 0, data at 64 with the values
 * in reverse descriptor order, a gap, the descriptors, another gap, the id string.
 */
static struct ff mkstats(int pid, int fdnum, bool vcpu, const char *const *names, const uint16_t *sizes,
			 const uint64_t *vals, int n)
{
	struct ff f = { .n = n, .data_offset = 64 };
	char dir[400];
	uint8_t buf[4096] = { 0 };
	struct kvm_stats_header *h = (void *)buf;
	uint32_t data_len = 0, stride = sizeof(struct kvm_stats_desc) + NAME_SIZE;
	int fd;

	for (int i = n - 1; i >= 0; i--) {
		f.off[i] = data_len;
		data_len += 8u * sizes[i];
	}
	h->flags = 0;
	h->name_size = NAME_SIZE;
	h->num_desc = (uint32_t)n;
	h->data_offset = f.data_offset;
	h->desc_offset = (f.data_offset + data_len + 24 + 7) & ~7u;
	h->id_offset = h->desc_offset + stride * (uint32_t)n + 16;
	for (int i = 0; i < n; i++) {
		struct kvm_stats_desc *d = (void *)(buf + h->desc_offset + stride * (uint32_t)i);

		d->flags = KVM_STATS_TYPE_CUMULATIVE;
		d->size = sizes[i];
		d->offset = f.off[i];
		strncpy(d->name, names[i], NAME_SIZE - 1);
		memcpy(buf + f.data_offset + f.off[i], &vals[i], 8);
	}
	snprintf((char *)buf + h->id_offset, NAME_SIZE, vcpu ? "kvm-%d/vcpu-0" : "kvm-%d", pid);
	snprintf(dir, sizeof(dir), "%s/files/%d-%d", tmp, pid, fdnum);
	mkdirs(dir);
	snprintf(f.path, sizeof(f.path), "%s/memfd:%s (deleted)", dir, vcpu ? "kvm-vcpu-stats" : "kvm-vm-stats");
	fd = open(f.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, h->id_offset + NAME_SIZE) != (ssize_t)(h->id_offset + NAME_SIZE))
		tap_bail("write %s", f.path);
	close(fd);
	link_fd(pid, fdnum, f.path);
	return f;
}

static void setval(const struct ff *f, int i, uint64_t v)
{
	int fd = open(f->path, O_WRONLY);

	if (fd < 0 || pwrite(fd, &v, 8, f->data_offset + f->off[i]) != 8)
		tap_bail("pwrite");
	close(fd);
}

static const char *const vm_names[] = { "remote_tlb_flush", "a_histogram" };
static const uint16_t vm_sizes[] = { 1, 2 };
static const char *const vcpu_names[] = { "exits", "io_exits", "halt_exits", "halt_wait_ns" };
static const uint16_t vcpu_sizes[] = { 1, 1, 1, 1 };
enum { EXITS, IO, HALT, WAIT };

static struct ff mkvm(int pid, int fdnum, uint64_t tlb)
{
	uint64_t v[] = { tlb, 5 };

	return mkstats(pid, fdnum, false, vm_names, vm_sizes, v, 2);
}

static struct ff mkvcpu(int pid, int fdnum, uint64_t exits, uint64_t io, uint64_t halt)
{
	uint64_t v[] = { exits, io, halt, 999 };

	return mkstats(pid, fdnum, true, vcpu_names, vcpu_sizes, v, 4);
}

/* a file of the right name that is not a stats file: hostile or truncated */
static void mkjunk(int pid, int fdnum, const void *data, size_t len)
{
	char dir[512], path[600];
	int fd;

	snprintf(dir, sizeof(dir), "%s/files/%d-%d", tmp, pid, fdnum);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/memfd:kvm-vm-stats (deleted)", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		tap_bail("write junk");
	close(fd);
	link_fd(pid, fdnum, path);
}

static int64_t val(struct stats *s, const char *key, int64_t *delta)
{
	struct stat_value *v = stats_find(s, key);

	if (delta)
		*delta = v ? v->delta : -12345;
	return v ? v->value : -12345;
}

/* the pread of our choice fails with EIO on this inode */
static ino_t fail_ino;
static ssize_t failing_pread(int fd, void *buf, size_t n, off_t off)
{
	struct stat sb;

	if (fail_ino && fstat(fd, &sb) == 0 && sb.st_ino == fail_ino) {
		errno = EIO;
		return -1;
	}
	return pread(fd, buf, n, off);
}

static ino_t ino_of(const struct ff *f)
{
	struct stat sb;

	stat(f->path, &sb);
	return sb.st_ino;
}

static struct stat_io io;
static struct ff vm100, c0, c1;

static void test_parse(void)
{
	struct stats s;
	int n;
	struct {
		struct kvm_stats_header h;
		uint8_t pad[64];
	} bad = { .h = { .name_size = 48, .num_desc = 100000, .desc_offset = 24, .data_offset = 24 } };

	MKPROC(100, "vmm\0-name\0alpha\0");
	vm100 = mkvm(100, 3, 2);
	c0 = mkvcpu(100, 4, 10, 7, 1);
	c1 = mkvcpu(100, 5, 3, 2, 1);
	link_fd(100, 6, c0.path);	/* a second fd on vCPU 0's file */
	link_fd(100, 7, "/etc/hostname");
	mkjunk(100, 8, &bad, sizeof(bad));	/* num_desc far too big */
	bad.h.num_desc = 1;
	bad.h.desc_offset = 4000;		/* descriptors beyond the end */
	mkjunk(100, 9, &bad, sizeof(bad));
	mkjunk(100, 10, "kvm", 3);		/* shorter than a header */
	{
		char fifo[600];

		/* a FIFO with the name: opening it would block */
		snprintf(fifo, sizeof(fifo), "%s/files/fifo", tmp);
		mkdirs(fifo);
		strcat(fifo, "/memfd:kvm-vm-stats (deleted)");
		if (mkfifo(fifo, 0600))
			tap_bail("mkfifo");
		link_fd(100, 11, fifo);
	}

	ok(stats_init(&s, &io, 0, "", false, true) == 0, "stats_init with -i");
	is(s.prov.nfields, 4, "four fields: the histogram and halt_wait_ns are left out");
	ok(s.prov.nfields == 4 && !strcmp(provider_name(&s.prov, s.prov.fields[0]), "exits") &&
	   !strcmp(provider_name(&s.prov, s.prov.fields[1]), "halt_exits") &&
	   !strcmp(provider_name(&s.prov, s.prov.fields[2]), "io_exits") &&
	   !strcmp(provider_name(&s.prov, s.prov.fields[3]), "remote_tlb_flush"), "sorted by name");
	is(s.prov.nfiles, 3, "three stats files: the dup fd counts once, junk and a FIFO are ignored");
	stats_get(&s, false, &n);
	is(val(&s, "exits", NULL), 13, "exits: the vCPUs summed into the VM");
	is(val(&s, "io_exits", NULL), 9, "io_exits 7 + 2, read by the offsets");
	is(val(&s, "halt_exits", NULL), 2, "halt_exits 1 + 1");
	is(val(&s, "remote_tlb_flush", NULL), 2, "the VM's own stat");
	ok(!stats_find(&s, "halt_wait_ns") && !stats_find(&s, "a_histogram"), "no exempt or histogram keys");
	stats_free(&s);
}

static void test_baseline_errors(void)
{
	struct stats s;
	int64_t d;
	int n;

	stats_init(&s, &io, 0, "", false, false);
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", &d), 0, "without -i the first read is the baseline");
	setval(&c0, IO, 12);
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", &d), 5, "io_exits moved by 5");
	is(d, 5, "delta 5");
	stats_get(&s, false, &n);
	val(&s, "io_exits", &d);
	is(d, 0, "then delta 0");

	fail_ino = ino_of(&c1);
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", &d), 5 - 2, "a failing read counts as 0 (vCPU 1's 2 exits drop out)");
	is(d, -2, "so the delta is negative");
	fail_ino = 0;
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", NULL), 5, "the read works again");

	rmfd(100, 5);
	stats_get(&s, false, &n);
	is(s.prov.nfiles, 2, "a vanished fd is dropped before the read");
	is(val(&s, "io_exits", NULL), 3, "and its counts go with it");
	c1 = mkvcpu(100, 5, 3, 2, 1);	/* the same vCPU file back */

	stats_reset(&s);
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", &d), 0, "r: the baseline becomes the current value");
	stats_free(&s);
}

static void test_pid_filter(void)
{
	struct stats s;
	struct ff b;
	int64_t d;
	int n;

	MKPROC(200, "qemu\0-name\0guest=beta,debug-threads=on\0");
	mkvm(200, 3, 0);
	b = mkvcpu(200, 4, 4, 4, 0);
	stats_init(&s, &io, 0, "io_exits", false, false);
	stats_get(&s, false, &n);
	is(n, 1, "-f io_exits: one key");
	setval(&b, IO, 6);
	setval(&c0, IO, 13);
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", NULL), 3, "summary: both guests' new exits");
	setval(&b, IO, 10);
	stats_set_pid_filter(&s, 200);
	is(s.n, 0, "a new pid filter drops the cached values");
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", &d), 6, "but not the baselines: beta's 6 exits since the start");
	is(d, 6, "delta against the dropped values");
	stats_set_pid_filter(&s, 100);
	stats_get(&s, false, &n);
	is(val(&s, "io_exits", NULL), 1, "-p 100: alpha's 1 exit since the start");
	ok(stats_set_fields_filter(&s, "(") < 0, "an invalid regex is refused");
	ok(stats_set_fields_filter(&s, "exits") == 0 && s.prov.nfields == 1 &&
	   !strcmp(provider_name(&s.prov, s.prov.fields[0]), "exits"), "\"exits\" matches at the start only");
	ok(stats_set_fields_filter(&s, "io_|halt") == 0 && s.prov.nfields == 2, "\"io_|halt\": two fields");
	stats_free(&s);
}

static void row(char *buf, size_t n, const char *name, long long v, double pct, const char *cur)
{
	snprintf(buf, n, "%-40s %10lld%7.1f %8s", name, v, pct, cur);
}

#define A12 "aaaaaaaaaaaa"
#define A48 A12 A12 A12 A12

static void test_tui_dead(void)
{
	static struct body b;
	struct stats s;
	struct tui t;
	char want[512];
	int n;

	stats_init(&s, &io, 100, "", false, false);
	tui_init(&t, &s, proc, 3.0);
	tui_header(&t, 100);
	ok(!strcmp(t.headline, "kvm statistics - pid 100 (alpha)"), "headline with the guest name");
	snprintf(want, sizeof(want), "%-40s %10s%7s %8s", "Event", "Total", "%Total", "CurAvg/s");
	ok(!strcmp(t.columns, want), "column titles");
	ok(!t.regex_line[0], "no regex line without a filter");

	tui_body(&t, 1.0, 50, &b);
	ok(b.action == BODY_DRAW && b.nrows == 0 && b.msg && !strcmp(b.msg, "No matching events reported yet"),
	   "nothing happened yet");
	setval(&c0, EXITS, 16);	/* +6 */
	setval(&c0, IO, 18);	/* +5 */
	tui_body(&t, 2.0, 50, &b);
	is(b.nrows, 3, "two rows and Total");
	/* total 11; rates 6/2 = 3 and 5/2 = 2.5, which rounds to even: 2 */
	row(want, sizeof(want), "exits", 6, 600.0 / 11, "3");
	ok(b.nrows > 0 && !strcmp(b.rows[0].text, want), "row 1: %s", b.rows[0].text);
	row(want, sizeof(want), "io_exits", 5, 500.0 / 11, "2");
	ok(b.nrows > 1 && !strcmp(b.rows[1].text, want), "row 2: %s", b.rows[1].text);
	snprintf(want, sizeof(want), "%-40s %10lld        %8s", "Total", 11ll, "6");	/* 5.5 -> 6 */
	ok(b.nrows > 2 && !strcmp(b.rows[2].text, want) && b.rows[2].bold, "Total row (bold): %s",
	   b.rows[2].text);
	t.sort_total = true;
	setval(&c0, IO, 21);	/* +3: io_exits 8 now leads by total, exits by nothing */
	tui_body(&t, 1.0, 50, &b);
	row(want, sizeof(want), "io_exits", 8, 800.0 / 14, "3");
	ok(!strcmp(b.rows[0].text, want), "o: sorted by Total");
	t.sort_total = false;
	/* a screen of 5 lines has room for one row (row 3), and one row gets no Total */
	tui_body(&t, 1.0, 5, &b);
	row(want, sizeof(want), "io_exits", 8, 800.0 / 14, "0");
	ok(b.nrows == 1 && !b.msg && !strcmp(b.rows[0].text, want),
	   "delta 0 but a total: shown; a 5-line screen has room for one row and no Total");
	setval(&c0, IO, 22);
	tui_body(&t, 1.0, 5, &b);
	row(want, sizeof(want), "io_exits", 9, 900.0 / 15, "1");
	ok(b.nrows == 1 && !strcmp(b.rows[0].text, want), "the row that moved comes first");

	/* the process goes away: DEAD, and the body is not updated */
	setval(&c0, IO, 100);
	rmproc(100);
	tui_body(&t, 1.0, 50, &b);
	is(b.action, BODY_DEAD, "the guest's process is gone: DEAD");
	is(b.dead_col, strlen("kvm statistics - pid 100 (alpha)"), "the marker follows the headline");
	is(val(&s, "io_exits", NULL), 9, "the stats were not read: the last data stays");

	/* back under a new pid with the same name: followed */
	MKPROC(300, "swkvm\0run\0-name\0alpha\0");
	mkvm(300, 3, 0);
	mkvcpu(300, 4, 1, 1, 0);
	tui_body(&t, 1.0, 50, &b);
	is(b.action, BODY_REANIMATE, "a guest named alpha is back: re-animate");
	is(b.new_pid, 300, "with its new pid");
	ok(!strcmp(t.headline, "kvm statistics - pid 300 (alpha)"), "the header shows it");
	is(s.pid_filter, 300, "and the pid filter follows");
	tui_body(&t, 1.0, 50, &b);
	is(b.action, BODY_DRAW, "then the display carries on");

	/* gone again, and now two guests have the name: DEAD */
	rmproc(300);
	MKPROC(400, "x\0-name\0alpha\0");
	MKPROC(401, "y\0-name\0alpha\0");
	tui_body(&t, 1.0, 50, &b);
	is(b.action, BODY_DEAD, "two guests named alpha: no re-animation");
	rmproc(400);
	rmproc(401);

	/* a long name: the marker stops at column 80 - its length */
	MKPROC(500, "q\0-name\0" A48 "bbbbbb\0");
	stats_set_pid_filter(&s, 500);
	tui_header(&t, 500);
	ok(!strcmp(t.headline, "kvm statistics - pid 500 (" A48 "...)"),
	   "a name over 48 characters is cut: %s", t.headline);
	rmproc(500);
	tui_body(&t, 1.0, 50, &b);
	ok(b.action == BODY_DEAD && b.dead_col == 80 - (int)strlen(STAT_DEAD_MARKER), "marker at column 61");

	/* an unnamed guest is not looked for */
	MKPROC(600, "vmm\0");
	stats_set_pid_filter(&s, 600);
	tui_header(&t, 600);
	ok(!strcmp(t.headline, "kvm statistics - pid 600 "), "no name: \"pid 600 \"");
	rmproc(600);
	tui_body(&t, 1.0, 50, &b);
	is(b.action, BODY_DEAD, "an unnamed guest that is gone is DEAD");
	stats_free(&s);

	/* the regex line */
	stats_init(&s, &io, 0, "io_|exits", false, false);
	tui_init(&t, &s, proc, 3.0);
	tui_header(&t, 0);
	ok(!strcmp(t.headline, "kvm statistics - summary"), "summary headline");
	ok(!strcmp(t.regex_line, "regex filter: io_|exits"), "regex line");
	stats_set_fields_filter(&s, "012345678901234567890123456789012345678901234567");
	tui_header(&t, 0);
	ok(!strcmp(t.regex_line, "regex filter: 01234567890123456789012345678901234567890123..."),
	   "a long regex is cut at 44 characters");
	(void)n;
	stats_free(&s);
}

static void test_tui_removed(void)
{
	static struct body b;
	struct stats s;
	struct tui t;
	struct ff g;
	char want[512];

	MKPROC(700, "v\0-name\0gamma\0");
	mkvm(700, 3, 0);
	g = mkvcpu(700, 4, 0, 0, 0);
	MKPROC(701, "w\0");			/* a guest without a name */
	mkvm(701, 3, 0);
	mkvcpu(701, 4, 0, 50, 0);
	stats_init(&s, &io, 0, "io_exits", false, false);
	tui_init(&t, &s, proc, 3.0);
	tui_header(&t, 0);
	tui_body(&t, 1.0, 50, &b);
	setval(&g, IO, 4);
	tui_body(&t, 1.0, 50, &b);
	row(want, sizeof(want), "io_exits", 4, 100.0, "4");
	ok(b.nrows == 1 && !strcmp(b.rows[0].text, want), "one row and no Total row (kvm_stat needs two)");

	/* 'b': rows per guest; only named guests are shown and totalled */
	t.display_guests = true;
	stats_toggle_display_guests(&s, true);
	setval(&g, IO, 6);
	tui_header(&t, 0);
	tui_body(&t, 1.0, 50, &b);
	snprintf(want, sizeof(want), "%-40s %10s%7s %8s", "Guest Name", "Total", "%Total", "CurAvg/s");
	ok(!strcmp(t.columns, want), "b: the first column is Guest Name");
	row(want, sizeof(want), "gamma", 6, 100.0, "2");
	ok(b.nrows == 1 && !strcmp(b.rows[0].text, want), "b: gamma's row; the unnamed guest is skipped");
	t.display_guests = false;
	stats_toggle_display_guests(&s, false);

	/* gamma's stats files go away while its process lives on: the sum falls */
	tui_body(&t, 1.0, 50, &b);
	rmfd(700, 4);
	rmfd(700, 3);
	tui_body(&t, 1.0, 50, &b);
	ok(b.action == BODY_DRAW && b.nrows == 0 && b.msg && !strcmp(b.msg, "Guest removed, updating..."),
	   "the negative row is skipped: \"Guest removed, updating...\"");
	tui_body(&t, 1.0, 50, &b);
	ok(b.nrows == 0 && b.msg && !strcmp(b.msg, "No matching events reported yet"),
	   "next time: \"No matching events reported yet\"");
	stats_free(&s);
	rmproc(700);
	rmproc(701);
}

#define C(lit, want) { lit, sizeof(lit) - 1, want }
static void test_names(void)
{
	static const struct {
		const char *cmd;
		size_t len;
		const char *want;
	} cases[] = {
		C("q\0-name\0a,,b\0", "a,b"),
		C("q\0-name\0guest=x,plain\0", "plain"),
		C("q\0-name\0guest=x,debug-threads=on\0", "x"),
		C("q\0-name\0guest=x,,y\0", "x,y"),
		C("q\0--name\0foo\0", ""),
		C("q\0-name\0", ""),
		C("q\0", ""),
	};
	char got[128];
	int pids[4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mkproc(800, cases[i].cmd, cases[i].len);
		stat_gname_from_pid(proc, 800, got, sizeof(got));
		ok(!strcmp(got, cases[i].want), "guest name '%s' (want '%s')", got, cases[i].want);
	}
	MKPROC(800, "q\0-name\0delta\0");
	MKPROC(801, "-name\0delta\0");	/* " -name " is not in "-name delta" */
	is(stat_pids_from_gname(proc, "delta", pids, 4), 1, "one process named delta for -g");
	is(pids[0], 800, "pid 800");
	ok(stat_pid_running(proc, 800) && !stat_pid_running(proc, 802) && stat_pid_running(proc, 0),
	   "running: a /proc directory (0 means every guest)");
	rmproc(800);
	rmproc(801);
}

static void test_numbers(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0.05, "0.05" }, { 26, "26.0" }, { 1e-5, "1e-05" }, { 0.0001, "0.0001" }, { 1e16, "1e+16" },
		{ 1e15, "1000000000000000.0" }, { 0.1, "0.1" }, { 25.5, "25.5" }, { -3, "-3.0" },
		{ 1.0 / 3, "0.3333333333333333" }, { 123.456, "123.456" }, { 2.5e-7, "2.5e-07" },
	};
	char buf[64];
	double d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stat_py_float(cases[i].v, buf, sizeof(buf));
		ok(!strcmp(buf, cases[i].want), "repr: %s (want %s)", buf, cases[i].want);
	}
	ok(stat_parse_float(" 2.5 ", &d) && d == 2.5, "float(' 2.5 ')");
	ok(stat_parse_float("1e-1", &d) && d == 0.1, "float('1e-1')");
	ok(!stat_parse_float("0x10", &d) && !stat_parse_float("", &d) && !stat_parse_float("1s", &d) &&
	   !stat_parse_float("nan", &d), "hex, empty, trailing junk and nan are refused");
	ok(!strcmp(stat_delay_error(0.05, NULL, buf, sizeof(buf)), "\"0.05\": Delay must be >=0.1"),
	   "delay too small");
	ok(!strcmp(stat_delay_error(30, NULL, buf, sizeof(buf)), "\"30.0\": Delay must be <=25.5"),
	   "delay too big");
	ok(!stat_delay_error(0.1, NULL, buf, sizeof(buf)) && !stat_delay_error(25.5, NULL, buf, sizeof(buf)),
	   "0.1 and 25.5 are allowed");
}

int main(void)
{
	if (!mkdtemp(tmp))
		tap_bail("mkdtemp");
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	mkdirs(proc);
	io = stat_io_default;
	io.proc_root = proc;
	io.pread = failing_pread;

	test_parse();
	test_baseline_errors();
	test_pid_filter();
	test_tui_dead();
	test_tui_removed();
	test_names();
	test_numbers();
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd))
			tap_diag("cleanup failed");
	}
	return tap_done();
}
