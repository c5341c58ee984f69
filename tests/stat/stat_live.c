// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat against real guests: child processes run guests with known exit counts.
//
// The program re-executes itself as a guest process ("stat_live guest -name NAME N M"):
// it builds a VM through the KVM API with two vCPUs that run N and M OUT exits and a HLT
// each, reports "ready" and waits for commands on stdin ("more K": vCPU 0 does K more OUT
// exits; EOF: exit). The test then runs `$O/swkvm stat` and checks its output exactly.
#include <fcntl.h>
#include <pty.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define STAT_DEAD "   Guest is DEAD   "

/* real mode at 0x1000: out 0x80, al; dec cx; jnz -5; hlt */
static const uint8_t prog[] = { 0xe6, 0x80, 0x49, 0x75, 0xfb, 0xf4 };

static void run_outs(struct vcpu *v, uint64_t n)
{
	struct kvm_regs r = vcpu_regs(v);

	r.rip = 0x1000;
	r.rcx = n;
	vcpu_set_regs(v, &r);
	for (;;) {
		if (vcpu_run(v) < 0)
			exit(10);
		if (v->run->exit_reason == KVM_EXIT_HLT)
			return;
		if (v->run->exit_reason != KVM_EXIT_IO)
			exit(11);
	}
}

static int guest_main(int n0, int n1)
{
	struct vm *vm;
	uint8_t *mem;
	struct vcpu *v0 = vm_create_realmode(&vm, &mem, prog, sizeof(prog));
	struct vcpu *v1 = vm_add_vcpu(vm, 1);
	struct kvm_sregs s = vcpu_sregs(v1);
	struct kvm_regs r = { .rip = 0x1000, .rflags = 2, .rsp = 0x3000 };
	char line[64];

	s.cs.base = 0;
	s.cs.selector = 0;
	vcpu_set_sregs(v1, &s);
	vcpu_set_regs(v1, &r);
	/* extra descriptors on the same stats files, as a QEMU query-stats would hold */
	if (kvm_ioctl(v0->fd, KVM_GET_STATS_FD, 0) < 0 || kvm_ioctl(vm->fd, KVM_GET_STATS_FD, 0) < 0)
		return 12;
	run_outs(v0, (uint64_t)n0);
	run_outs(v1, (uint64_t)n1);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		int k;

		if (sscanf(line, "more %d", &k) == 1) {
			run_outs(v0, (uint64_t)k);
			printf("done\n");
			fflush(stdout);
		}
	}
	vm_free(vm);
	return 0;
}

struct child {
	pid_t pid;
	FILE *in, *out;
};

/*
 * Guest names carry our pid: other runs of this test (other worktrees, make check
 * SANITIZE=1) may have guests of their own at the same time, and -g looks at every
 * process of the machine.
 */
static const char *gname(const char *base)
{
	static char names[8][64];
	static int next;
	char *n = names[next++ % 8];

	snprintf(n, 64, "%s-%d", base, (int)getpid());
	return n;
}

static const char *alpha, *beta, *omega;

/* every child, killed if the watchdog fires */
static pid_t children[16];
static int nchildren;

static void watchdog(int sig)
{
	static const char msg[] = "not ok - stat_live timed out\nBail out! stat_live timed out\n";

	(void)sig;
	for (int i = 0; i < nchildren; i++)
		kill(children[i], SIGKILL);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* Starts a guest process with the given `-name` argument; waits for "ready". */
static struct child start_guest(const char *name, int n0, int n1)
{
	int to[2], from[2];
	struct child c;
	char a0[16], a1[16], line[64];

	/* close-on-exec, so no other child (guest or monitor) keeps this guest's stdin open */
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		tap_bail("pipe");
	snprintf(a0, sizeof(a0), "%d", n0);
	snprintf(a1, sizeof(a1), "%d", n1);
	c.pid = fork();
	if (c.pid > 0 && nchildren < 16)
		children[nchildren++] = c.pid;
	if (c.pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl("/proc/self/exe", "stat_live", "guest", "-name", name, a0, a1, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c.in = fdopen(to[1], "w");
	c.out = fdopen(from[0], "r");
	if (!fgets(line, sizeof(line), c.out) || strcmp(line, "ready\n"))
		tap_bail("guest %s did not start", name);
	return c;
}

static void stop_guest(struct child *c)
{
	int st;

	fclose(c->in);
	waitpid(c->pid, &st, 0);
	fclose(c->out);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "guest process %d ended cleanly", (int)c->pid);
}

static const char *swkvm(void)
{
	static char path[512];
	const char *o = getenv("O");

	snprintf(path, sizeof(path), "%s/swkvm", o && *o ? o : "build");
	return path;
}

/* Runs `swkvm stat ARGS` (a shell fragment); stdout in out, stderr in err; returns the status. */
static int run_stat(const char *args, char *out, size_t outn, char *err, size_t errn)
{
	char cmd[1024], errf[] = "/tmp/swkvm-stat-errXXXXXX";
	int fd = mkstemp(errf), st;
	FILE *p;
	size_t n;

	close(fd);
	snprintf(cmd, sizeof(cmd), "%s stat %s 2>%s </dev/null", swkvm(), args, errf);
	p = popen(cmd, "r");
	n = fread(out, 1, outn - 1, p);
	out[n] = 0;
	st = pclose(p);
	p = fopen(errf, "r");
	n = p ? fread(err, 1, errn - 1, p) : 0;
	err[n] = 0;
	if (p)
		fclose(p);
	unlink(errf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The batch line kvm_stat prints for one field. */
static void want_line(char *buf, size_t n, const char *name, long total, long delta)
{
	snprintf(buf, n, "%-42s%10ld%10ld\n", name, total, delta);
}

static bool has_line(const char *out, const char *line)
{
	return strstr(out, line) && (out == strstr(out, line) || strstr(out, line)[-1] == '\n');
}

static void test_batch(pid_t a)
{
	char out[8192], err[1024], args[256], w[128], w2[128], w3[300];
	int rc;

	/* -i: the totals include everything since the VM started; nothing moves in 1 s */
	snprintf(args, sizeof(args), "-1 -i -p %d", (int)a);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));
	is(rc, 0, "stat -1 -i -p: exit 0");
	want_line(w, sizeof(w), "io_exits", 7 + 4, 0);
	ok(has_line(out, w), "io_exits = 7 + 4 OUT exits of two vCPUs, summed into the VM, dup fds once");
	want_line(w, sizeof(w), "halt_exits", 2, 0);
	ok(has_line(out, w), "halt_exits = one HLT per vCPU");
	want_line(w, sizeof(w), "exits", 7 + 4 + 2, 0);
	ok(has_line(out, w), "exits = 13");
	want_line(w, sizeof(w), "mmio_exits", 0, 0);
	ok(has_line(out, w), "mmio_exits = 0");
	ok(!strstr(out, "halt_wait_ns"), "halt_wait_ns is left out, as kvm_stat leaves it out");
	ok(strstr(out, "remote_tlb_flush_requests ") != NULL, "VM stats are there too");
	if (!has_line(out, w))
		tap_diag("output:\n%s%s", out, err);

	/* without -i the baseline is taken at start: the old events do not count */
	snprintf(args, sizeof(args), "-1 -p %d -f 'io_|halt_e'", (int)a);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));
	is(rc, 0, "stat -1 -p -f: exit 0");
	want_line(w, sizeof(w), "halt_exits", 0, 0);
	want_line(w2, sizeof(w2), "io_exits", 0, 0);
	snprintf(w3, sizeof(w3), "%s%s", w, w2);
	ok(!strcmp(out, w3), "-f 'io_|halt_e' anchored: exactly halt_exits and io_exits, baseline at start");
	if (strcmp(out, w3))
		tap_diag("output:\n%s%s", out, err);

	/* re.match semantics: "exits" matches only names that start with it */
	snprintf(args, sizeof(args), "-1 -i -p %d -f exits", (int)a);
	run_stat(args, out, sizeof(out), err, sizeof(err));
	want_line(w, sizeof(w), "exits", 13, 0);
	ok(!strcmp(out, w), "-f exits: only \"exits\" (io_exits does not start with it)");
}

static void test_guest_names(pid_t a, pid_t b)
{
	char out[8192], err[1024], w[128], args[128];
	int rc;

	snprintf(args, sizeof(args), "-1 -i -g %s -f io_exits", beta);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));
	want_line(w, sizeof(w), "io_exits", 3 + 1, 0);
	ok(rc == 0 && !strcmp(out, w), "-g beta (given as -name guest=beta,debug-threads=on): its 4 exits");
	if (rc || strcmp(out, w))
		tap_diag("rc %d output:\n%s%s", rc, out, err);
	snprintf(args, sizeof(args), "-1 -i -g %s -f io_exits", alpha);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));
	want_line(w, sizeof(w), "io_exits", 11, 0);
	ok(rc == 0 && !strcmp(out, w), "-g alpha: its 11 exits");
	rc = run_stat("-1 -g no-such-guest", out, sizeof(out), err, sizeof(err));
	is(rc, 3, "-g with no match: exit 3");
	ok(!strcmp(err, "Error: No guest by the name \"no-such-guest\" found\n"), "-g with no match: message");
	(void)a;
	(void)b;
	snprintf(args, sizeof(args), "-1 -i -p %d -f io_exits", (int)b);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));
	want_line(w, sizeof(w), "io_exits", 4, 0);
	ok(rc == 0 && !strcmp(out, w), "-p of the other guest: only its exits");
}

static void test_multiple(void)
{
	struct child c = start_guest(beta, 1, 1);
	char args[128];
	char out[1024], err[1024], w1[256], w2[256];
	int rc;

	snprintf(args, sizeof(args), "-1 -g %s", beta);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));

	is(rc, 3, "-g with two guests of that name: exit 3");
	/* the pids in /proc order */
	(void)w1;
	(void)w2;
	ok(!strncmp(err, "Error: Multiple processes found (pids: ", 39) &&
	   strstr(err, "). Use \"-p\" to specify the desired pid\n"), "-g with two matches: message");
	{
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", (int)c.pid);
		ok(strstr(err, pid) != NULL, "the message lists pid %s", pid);
	}
	stop_guest(&c);
}

/* Reads a line from f within `secs` seconds. */
static bool read_line(FILE *f, char *buf, size_t n, int secs)
{
	fd_set rs;
	struct timeval tv = { secs, 0 };
	int fd = fileno(f);

	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	if (select(fd + 1, &rs, NULL, NULL, &tv) <= 0)
		return false;
	return fgets(buf, (int)n, f) != NULL;
}

static void test_log(struct child *a)
{
	char cmd[512], line[512];
	regex_t re;
	FILE *p;
	long sum = 0, hsum = 0;
	int lines = 0, good = 0;

	/* -l: the banner (fixed, sorted fields, "name " each) once the baseline is taken */
	snprintf(cmd, sizeof(cmd), "exec %s stat -l -s 0.2 -p %d -f 'io_exits|halt_exits'", swkvm(),
		 (int)a->pid);
	p = popen(cmd, "r");
	ok(read_line(p, line, sizeof(line), 10) && !strcmp(line, "halt_exits io_exits \n"),
	   "-l banner: \"halt_exits io_exits \"");
	fprintf(a->in, "more 5\n");
	fflush(a->in);
	ok(fgets(line, sizeof(line), a->out) && !strcmp(line, "done\n"), "the guest did 5 more OUT exits and a HLT");
	regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9]+ +[0-9]+$",
		REG_EXTENDED | REG_NOSUB);
	/* the deltas add up to exactly the new exits, then stay 0 */
	while ((sum < 5 || hsum < 1) && lines < 40 && read_line(p, line, sizeof(line), 10)) {
		long h, io;

		line[strcspn(line, "\n")] = 0;
		lines++;
		good += !regexec(&re, line, 0, NULL, 0);
		if (sscanf(line + 19, "%ld %ld", &h, &io) == 2) {
			sum += io;
			hsum += h;
		}
	}
	is(sum, 5, "-l: the io_exits deltas add up to the 5 new exits");
	is(hsum, 1, "-l: the halt_exits deltas add up to the one HLT");
	ok(good == lines && lines > 0, "-l lines are a timestamp and %%9d per field (%d lines)", lines);
	ok(read_line(p, line, sizeof(line), 10) && (line[strcspn(line, "\n")] = 0, true) &&
	   regexec(&re, line, 0, NULL, 0) == 0 && !strcmp(line + 19, "         0         0"),
	   "-l: then a line of zeros: %s", line);
	regfree(&re);
	pclose(p);	/* SIGPIPE/SIGTERM ends it */

	/* -l -c: CSV */
	snprintf(cmd, sizeof(cmd), "exec %s stat -l -c -s 0.1 -p %d -f 'io_exits|exits'", swkvm(),
		 (int)a->pid);
	p = popen(cmd, "r");
	ok(read_line(p, line, sizeof(line), 10) && !strcmp(line, "timestamp,exits,io_exits\n"),
	   "-l -c header: timestamp,exits,io_exits");
	regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},0,0\n$", REG_EXTENDED | REG_NOSUB);
	{
		bool got = read_line(p, line, sizeof(line), 10);

		ok(got && !regexec(&re, line, 0, NULL, 0), "-l -c line: %.*s", (int)strcspn(line, "\n"), line);
	}
	regfree(&re);
	pclose(p);
}

static void test_dead(struct child *a)
{
	char out[1024], err[1024], args[64];
	pid_t pid = a->pid;
	int rc;

	stop_guest(a);
	snprintf(args, sizeof(args), "-1 -p %d", (int)pid);
	rc = run_stat(args, out, sizeof(out), err, sizeof(err));
	is(rc, 3, "-p of a process that is gone: exit 3");
	ok(!strcmp(err, "Did you use a (unsupported) tid instead of a pid?\nSpecified pid does not exist.\n"),
	   "-p of a process that is gone: kvm_stat's message");
	ok(!out[0], "and no output");
}

/* Reads the screen output into buf until `want` shows up after *pos; false after 10 s. */
static bool wait_for(int fd, char *buf, size_t size, size_t *len, size_t *pos, const char *want)
{
	time_t end = time(NULL) + 10;

	while (time(NULL) < end) {
		struct timeval tv = { 0, 200000 };
		fd_set rs;
		char *hit;
		ssize_t n;

		buf[*len] = 0;
		hit = strstr(buf + *pos, want);
		if (hit) {
			*pos = (size_t)(hit - buf) + strlen(want);
			return true;
		}
		FD_ZERO(&rs);
		FD_SET(fd, &rs);
		if (select(fd + 1, &rs, NULL, NULL, &tv) <= 0)
			continue;
		n = read(fd, buf + *len, size - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
	}
	return false;
}

static void type(int fd, const char *keys)
{
	if (write(fd, keys, strlen(keys)) != (ssize_t)strlen(keys))
		tap_diag("write to the pty failed");
}

/* The screen on a pseudo-terminal: a guest dies (DEAD), comes back under a new pid (followed). */
static void test_tui(void)
{
	static char buf[1 << 20];
	struct winsize ws = { .ws_row = 24, .ws_col = 100 };
	struct child g = start_guest(omega, 2, 1), g2;
	char line[80];
	char pid[16], want[128];
	size_t len = 0, pos = 0;
	int master, st;
	pid_t p;

	snprintf(pid, sizeof(pid), "%d", (int)g.pid);
	p = forkpty(&master, NULL, NULL, &ws);
	if (p > 0 && nchildren < 16)
		children[nchildren++] = p;
	if (p == 0) {
		setenv("TERM", "xterm", 1);
		execl(swkvm(), "swkvm", "stat", "-s", "0.3", "-p", pid, (char *)NULL);
		_exit(127);
	}
	snprintf(want, sizeof(want), "kvm statistics - pid %s (%s)", pid, omega);
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, want), "screen: \"%s\"", want);
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "No matching events reported yet"),
	   "screen: nothing has happened yet");
	fprintf(g.in, "more 3\n");
	fflush(g.in);
	ok(fgets(want, sizeof(want), g.out) && !strcmp(want, "done\n"), "the guest did 3 more OUT exits");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "io_exits"), "screen: the io_exits row");

	/* the prompts: f (a bad regex, then a good one), s (out of range, then default), p */
	type(master, "f");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "New regex:"), "f: the regex prompt");
	type(master, "(\n");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "\"(\": Not a valid regular expression"),
	   "f: an invalid regex is refused");
	type(master, "io_\n");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "regex filter: io_"), "f: the header shows the filter");
	type(master, "s");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "Change delay from 0.3s to"), "s: the delay prompt");
	type(master, "0.01\n");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "\"0.01\": Delay must be >=0.1"), "s: out of range");
	type(master, "0.3\n");
	type(master, "p");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "Guest or pid [ENTER exits]:"), "p: the guest prompt");
	type(master, "2147483647\n");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "\"2147483647\": Not a running process"),
	   "p: a pid that does not run");
	type(master, "no-such-guest\n");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "\"no-such-guest\": Not an active guest"),
	   "p: a name no guest has");
	snprintf(line, sizeof(line), "%s\n", omega);
	type(master, line);
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "Updating pid filter..."), "p NAME: the filter is set");
	type(master, "c");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "summary"), "c: back to the summary");
	type(master, "g");
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "Guest or pid [ENTER exits]:"), "g: the guest prompt");
	type(master, line);
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "Updating pid filter..."), "g NAME: the filter is set");
	stop_guest(&g);
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, STAT_DEAD), "screen: \"   Guest is DEAD   \"");
	g2 = start_guest(omega, 1, 1);
	/*
	 * curses sends only what changed: of the new headline just the digits of the pid
	 * that differ. "Updating pid filter..." is drawn only when the filter moves to a
	 * guest found by its name, and then the body carries on for the new pid.
	 */
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "Updating pid filter..."),
	   "screen: the guest named %s is back (pid %d): re-animated", omega, (int)g2.pid);
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "No matching events reported yet"),
	   "screen: and the display carries on");
	if (write(master, "q", 1) != 1)
		tap_diag("write to the pty failed");
	st = -1;
	for (int i = 0; i < 100 && waitpid(p, &st, WNOHANG) == 0; i++)
		usleep(100000);
	if (st == -1) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "q quits with exit 0");
	close(master);
	stop_guest(&g2);
}

/* A screen whose terminal goes away ends, even with SIGHUP ignored (nohup). */
static void test_tui_hangup(void)
{
	static char buf[1 << 16];
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	size_t len = 0, pos = 0;
	int master, st = -1;
	char pid[16];
	pid_t p;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	p = forkpty(&master, NULL, NULL, &ws);
	if (p > 0 && nchildren < 16)
		children[nchildren++] = p;
	if (p == 0) {
		signal(SIGHUP, SIG_IGN);
		setenv("TERM", "xterm", 1);
		execl(swkvm(), "swkvm", "stat", "-s", "0.2", "-p", pid, (char *)NULL);
		_exit(127);
	}
	ok(wait_for(master, buf, sizeof(buf), &len, &pos, "kvm statistics - pid"), "hang-up: the screen is up");
	close(master);
	for (int i = 0; i < 100 && waitpid(p, &st, WNOHANG) == 0; i++)
		usleep(100000);
	if (st == -1) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "hang-up: the monitor ends instead of spinning");
}

int main(int argc, char **argv)
{
	struct child a, b;
	char beta_arg[128];

	if (argc == 6 && !strcmp(argv[1], "guest"))
		return guest_main(atoi(argv[4]), atoi(argv[5]));
	alpha = gname("alpha");
	beta = gname("beta");
	omega = gname("omega");
	snprintf(beta_arg, sizeof(beta_arg), "guest=%s,debug-threads=on", beta);
	signal(SIGALRM, watchdog);
	alarm(150);
	a = start_guest(alpha, 7, 4);
	b = start_guest(beta_arg, 3, 1);
	test_batch(a.pid);
	test_guest_names(a.pid, b.pid);
	test_multiple();
	test_log(&a);
	test_tui();
	test_tui_hangup();
	stop_guest(&b);
	test_dead(&a);
	return tap_done();
}
