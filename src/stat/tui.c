// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat: the ncurses screen, with kvm_stat's layout, keys and dead-guest handling.
//
// tui_header() and tui_body() decide what the screen shows (and are unit-tested with a
// fake /proc); the rest only draws it. The behaviour follows kvm_stat's Tui class as of
// the "tools/kvm_stat: misc patches" series (Linux 4.19): a guest whose process is gone
// is marked DEAD and its last numbers stay on screen; a named guest that comes back under
// a new pid is followed; rows whose rate went negative (a guest went away, so the sums
// fell) are left out, and "Guest removed, updating..." says why the body may be empty.
#include <curses.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stat/stat.h"

#define MAX_GUEST_NAME_LEN 48
#define MAX_REGEX_LEN 44
#define DELAY_INITIAL 0.25

void tui_init(struct tui *t, struct stats *st, const char *proc_root, double delay)
{
	memset(t, 0, sizeof(*t));
	t->st = st;
	t->proc_root = proc_root;
	t->delay = delay;
}

void tui_header(struct tui *t, int pid)
{
	char g[160] = "";
	const char *filter = t->st->fields_filter;

	stat_gname_from_pid(t->proc_root, pid, t->gname, sizeof(t->gname));
	if (t->gname[0]) {
		if (strlen(t->gname) > MAX_GUEST_NAME_LEN)
			snprintf(g, sizeof(g), "(%.*s...)", MAX_GUEST_NAME_LEN, t->gname);
		else
			snprintf(g, sizeof(g), "(%s)", t->gname);
	}
	if (pid > 0)
		snprintf(t->headline, sizeof(t->headline), "kvm statistics - pid %d %s", pid, g);
	else
		snprintf(t->headline, sizeof(t->headline), "kvm statistics - summary");
	t->regex_line[0] = 0;
	if (filter && *filter) {
		if (strlen(filter) > MAX_REGEX_LEN)
			snprintf(t->regex_line, sizeof(t->regex_line), "regex filter: %.*s...", MAX_REGEX_LEN,
				 filter);
		else
			snprintf(t->regex_line, sizeof(t->regex_line), "regex filter: %s", filter);
	}
	snprintf(t->columns, sizeof(t->columns), "%-40s %10s%7s %8s",
		 t->display_guests ? "Guest Name" : "Event", "Total", "%Total", "CurAvg/s");
}

struct sorted {
	const struct stat_value *v;
	int index;
};

static bool sort_total;

/* descending by (delta, value), or by value; ties keep their first-seen order (stable) */
static int cmp_rows(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (!sort_total && x->v->delta != y->v->delta)
		return x->v->delta > y->v->delta ? -1 : 1;
	if (x->v->value != y->v->value)
		return x->v->value > y->v->value ? -1 : 1;
	return x->index - y->index;
}

/* Python's int(round(x)): round half to even (rint in the default rounding mode) */
static long long py_round(double x)
{
	return (long long)rint(x);
}

void tui_body(struct tui *t, double sleeptime, int screen_rows, struct body *b)
{
	struct stat_value *v;
	struct sorted *items;
	double total = 0, ctotal = 0, ltotal = 0, ptotal = 0;
	long long tcur = 0;
	bool guest_removed = false;
	int n, ni = 0, row = 3;

	memset(b, 0, sizeof(*b));
	if (!stat_pid_running(t->proc_root, t->st->pid_filter)) {
		if (t->gname[0]) {
			/* the guest may be back under a new pid: follow it if the name is unique */
			int pids[2];
			int np = stat_pids_from_gname(t->proc_root, t->gname, pids, 2);

			if (np == 1) {
				b->action = BODY_REANIMATE;
				b->new_pid = pids[0];
				tui_header(t, pids[0]);
				stats_set_pid_filter(t->st, pids[0]);
				return;
			}
		}
		/* leave the last data on screen */
		b->action = BODY_DEAD;
		n = (int)strlen(t->headline);
		b->dead_col = n < 80 - (int)strlen(STAT_DEAD_MARKER) ? n : 80 - (int)strlen(STAT_DEAD_MARKER);
		return;
	}
	b->action = BODY_DRAW;
	v = stats_get(t->st, t->display_guests, &n);
	for (int i = 0; i < n; i++) {
		if (t->display_guests) {
			char g[128];

			stat_gname_from_pid(t->proc_root, atoi(v[i].key), g, sizeof(g));
			if (g[0])
				total += (double)v[i].value;
			continue;
		}
		if (!strchr(v[i].key, ' '))
			total += (double)v[i].value;
		else
			ctotal += (double)v[i].value;
	}
	if (total == 0.)
		total = ctotal;	/* no fields, or only child events */
	items = calloc((size_t)n + 1, sizeof(*items));
	if (!items)
		return;
	for (int i = 0; i < n; i++) {
		if (!v[i].value && !v[i].delta)
			continue;
		/* "child parent" keys are child events; swkvm's stats have none */
		if (strchr(v[i].key, ' ') && !t->st->child_events)
			continue;
		items[ni].v = &v[i];
		items[ni].index = ni;
		ni++;
	}
	sort_total = t->sort_total;
	qsort(items, (size_t)ni, sizeof(*items), cmp_rows);
	for (int i = 0; i < ni; i++) {
		const struct stat_value *sv = items[i].v;
		char name[128], cur[32];
		long long c;
		double pct;

		if (row >= screen_rows - 1 || b->nrows >= BODY_MAX_ROWS - 1)
			break;
		snprintf(name, sizeof(name), "%s", sv->key);
		if (t->display_guests) {
			stat_gname_from_pid(t->proc_root, atoi(sv->key), name, sizeof(name));
			if (!name[0])
				continue;	/* not a named guest: neither shown nor totalled */
		}
		c = sv->delta ? py_round((double)sv->delta / sleeptime) : 0;
		if (c < 0) {
			/* its guest went away and the sum fell */
			guest_removed = true;
			continue;
		}
		if (name[0] != ' ') {
			tcur += sv->delta;
			ptotal = (double)sv->value;
			ltotal = total;
		} else {
			ltotal = ptotal;
		}
		/* kvm_stat divides by zero here (a crash); we show 0.0 */
		pct = ltotal != 0 ? (double)sv->value * 100 / ltotal : 0.0;
		snprintf(cur, sizeof(cur), "%lld", c);
		snprintf(b->rows[b->nrows].text, sizeof(b->rows[0].text), "%-40s %10lld%7.1f %8s", name,
			 (long long)sv->value, pct, cur);
		b->nrows++;
		row++;
	}
	free(items);
	if (row == 3)
		b->msg = guest_removed ? "Guest removed, updating..." : "No matching events reported yet";
	if (row > 4) {
		char tavg[32] = "";

		if (tcur > 0)
			snprintf(tavg, sizeof(tavg), "%lld", py_round((double)tcur / sleeptime));
		snprintf(b->rows[b->nrows].text, sizeof(b->rows[0].text), "%-40s %10lld        %8s", "Total",
			 (long long)total, tavg);
		b->rows[b->nrows].bold = true;
		b->nrows++;
	}
}

/* ---- drawing ---- */

static volatile sig_atomic_t tui_stop;

static void on_int(int sig)
{
	(void)sig;
	tui_stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw_header(struct tui *t, int pid)
{
	tui_header(t, pid);
	erase();
	attron(A_BOLD);
	mvaddstr(0, 0, t->headline);
	attroff(A_BOLD);
	if (t->regex_line[0])
		mvaddstr(1, 17, t->regex_line);
	attron(A_STANDOUT);
	mvaddstr(2, 1, t->columns);
	attroff(A_STANDOUT);
	mvaddstr(4, 1, "Collecting data...");
	refresh();
}

static void update_pid(struct tui *t, int pid)
{
	mvaddstr(4, 1, "Updating pid filter...");
	refresh();
	stats_set_pid_filter(t->st, pid);
}

static void draw_body(struct tui *t, double sleeptime)
{
	static struct body b;

	tui_body(t, sleeptime, LINES, &b);
	if (b.action == BODY_REANIMATE) {
		draw_header(t, b.new_pid);
		mvaddstr(4, 1, "Updating pid filter...");
		refresh();
		return;
	}
	if (b.action == BODY_DEAD) {
		attron(A_BLINK | A_STANDOUT);
		mvaddstr(0, b.dead_col, STAT_DEAD_MARKER);
		attroff(A_BLINK | A_STANDOUT);
		refresh();
		return;
	}
	move(3, 0);
	clrtobot();
	for (int i = 0; i < b.nrows; i++) {
		if (b.rows[i].bold)
			attron(A_BOLD);
		mvaddstr(3 + i, 1, b.rows[i].text);
		if (b.rows[i].bold)
			attroff(A_BOLD);
	}
	if (b.msg)
		mvaddstr(4, 1, b.msg);
	refresh();
}

/* Reads a line with echo at (row, col). */
static void prompt(int row, int col, const char *text, char *buf, int n)
{
	cbreak();		/* leave halfdelay: wait for the whole answer */
	mvaddstr(row, col, text);
	echo();
	curs_set(1);
	buf[0] = 0;
	if (getnstr(buf, n - 1) == ERR)
		buf[0] = 0;
	noecho();
	curs_set(0);
}

static void show_help(struct tui *t)
{
	static const char *const lines[] = {
		"   b     events or guests (pids with a -name) as rows",
		"   c     clear the field and pid filters",
		"   f     filter the fields by a regular expression",
		"   g     filter by guest name or pid",
		"   h     this help",
		"   o     sort by Total or by CurAvg/s",
		"   p     filter by guest name or pid",
		"   q     quit",
		"   r     reset the counters",
		"   s     set the refresh delay (0.1-25.5 s)",
		"   x     child events (swkvm has none)",
		"Any other key refreshes at once",
	};

	cbreak();
	erase();
	attron(A_BOLD);
	mvaddstr(0, 0, "swkvm stat keys");
	attroff(A_BOLD);
	attron(A_STANDOUT);
	mvaddstr(2, 0, "Press any key to leave this page");
	attroff(A_STANDOUT);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		mvaddstr(4 + (int)i, 0, lines[i]);
	refresh();
	getch();
	draw_header(t, t->st->pid_filter);
}

static void filter_selection(struct tui *t)
{
	char msg[300] = "", buf[200];

	for (;;) {
		regex_t re;

		erase();
		attron(A_BOLD);
		mvaddstr(0, 0, "Show statistics for events matching a regex.");
		attroff(A_BOLD);
		mvprintw(2, 0, "Current regex: %s", t->st->fields_filter ? t->st->fields_filter : "");
		mvaddstr(5, 0, msg);
		prompt(3, 0, "New regex: ", buf, sizeof(buf));
		if (!buf[0]) {
			stats_set_fields_filter(t->st, "");
			break;
		}
		if (regcomp(&re, buf, REG_EXTENDED | REG_NOSUB) == 0) {
			regfree(&re);
			stats_set_fields_filter(t->st, buf);
			break;
		}
		snprintf(msg, sizeof(msg), "\"%s\": Not a valid regular expression", buf);
	}
	draw_header(t, t->st->pid_filter);
}

static void delay_selection(struct tui *t)
{
	char msg[300] = "", buf[64], err[128], line[64];

	for (;;) {
		double d;

		erase();
		attron(A_BOLD);
		mvprintw(0, 0, "Set update interval (defaults to %.1fs).", STAT_DELAY_DEFAULT);
		attroff(A_BOLD);
		mvaddstr(4, 0, msg);
		snprintf(line, sizeof(line), "Change delay from %.1fs to ", t->delay);
		prompt(2, 0, line, buf, sizeof(buf));
		if (!buf[0]) {
			t->delay = STAT_DELAY_DEFAULT;
			break;
		}
		if (!stat_parse_float(buf, &d)) {
			snprintf(msg, sizeof(msg), "\"%s\": Invalid value", buf);
			continue;
		}
		if (stat_delay_error(d, buf, err, sizeof(err))) {
			snprintf(msg, sizeof(msg), "%s", err);
			continue;
		}
		t->delay = d;
		break;
	}
	draw_header(t, t->st->pid_filter);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void vm_selection(struct tui *t)
{
	char msg[300] = "", buf[200];
	int pid = 0;

	for (;;) {
		struct stat_guest g[64];
		int n, pids[2], row = 8;

		erase();
		attron(A_BOLD);
		mvaddstr(0, 0, "Show statistics for specific guest or pid.");
		attroff(A_BOLD);
		mvaddstr(5, 0, msg);
		attron(A_UNDERLINE);
		mvprintw(7, 2, "%8s  %-60s", "Pid", "Guest Name (processes with -name)");
		attroff(A_UNDERLINE);
		n = stat_all_gnames(t->proc_root, g, 64);
		if (n < 0)
			mvaddstr(row + 1, 2, "Not available");
		for (int i = 0; i < n && row < LINES; i++, row++)
			mvprintw(row, 2, "%8d  %-60s", g[i].pid, g[i].name);
		prompt(3, 0, "Guest or pid [ENTER exits]: ", buf, sizeof(buf));
		pid = 0;
		if (!buf[0] || !strcmp(buf, "0"))
			break;
		if (all_digits(buf)) {
			if (!stat_pid_running(t->proc_root, atoi(buf))) {
				snprintf(msg, sizeof(msg), "\"%s\": Not a running process", buf);
				continue;
			}
			pid = atoi(buf);
			break;
		}
		n = stat_pids_from_gname(t->proc_root, buf, pids, 2);
		if (n < 0) {
			snprintf(msg, sizeof(msg), "\"%s\": Internal error while searching, use pid filter instead",
				 buf);
			continue;
		}
		if (n == 0) {
			snprintf(msg, sizeof(msg), "\"%s\": Not an active guest", buf);
			continue;
		}
		if (n > 1) {
			snprintf(msg, sizeof(msg), "\"%s\": Multiple matches found, use pid filter instead", buf);
			continue;
		}
		pid = pids[0];
		break;
	}
	draw_header(t, pid);
	update_pid(t, pid);
}

/* The terminal is gone (nohup'd and then hung up): getch() would fail at once forever. */
static bool hung_up(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

int tui_run(struct tui *t)
{
	SCREEN *scr;
	double sleeptime = DELAY_INITIAL, start = 0.0;
	struct sigaction sa;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    !(scr = newterm(NULL, stdout, stdin))) {
		fprintf(stderr, "swkvm stat: the interactive screen needs a terminal (use -1 or -l)\n");
		return STAT_EXIT_IO;
	}
	set_term(scr);
	noecho();
	cbreak();
	if (has_colors())
		start_color();
	curs_set(0);
	use_default_colors();
	/* Ctrl-C quits: the handler makes getch() return and the loop ends */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	draw_header(t, t->st->pid_filter);
	while (!tui_stop) {
		int ch, tenths;

		draw_body(t, now() - start);
		tenths = (int)(sleeptime * 10);
		halfdelay(tenths < 1 ? 1 : tenths > 255 ? 255 : tenths);
		start = now();
		sleeptime = t->delay;
		ch = getch();
		if (tui_stop || ch == 'q' || (ch == ERR && hung_up()))
			break;
		switch (ch) {
		case 'b':
			t->display_guests = !t->display_guests;
			stats_toggle_display_guests(t->st, t->display_guests);
			draw_header(t, t->st->pid_filter);
			break;
		case 'c':
			stats_set_fields_filter(t->st, "");
			draw_header(t, 0);
			update_pid(t, 0);
			break;
		case 'f':
			filter_selection(t);
			sleeptime = DELAY_INITIAL;
			break;
		case 'g':
		case 'p':
			vm_selection(t);
			sleeptime = DELAY_INITIAL;
			break;
		case 'h':
			show_help(t);
			break;
		case 'o':
			t->sort_total = !t->sort_total;
			break;
		case 'r':
			stats_reset(t->st);
			break;
		case 's':
			delay_selection(t);
			sleeptime = DELAY_INITIAL;
			break;
		case 'x':
			t->st->child_events = !t->st->child_events;
			break;
		default:
			break;	/* ERR (timeout) or any other key: refresh */
		}
	}
	echo();
	nocbreak();
	endwin();
	delscreen(scr);
	return STAT_EXIT_OK;
}
