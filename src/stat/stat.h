// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat: the kvm_stat-compatible monitor (docs/stat.md). Shared types of src/stat/.
//
// Layers, as in kvm_stat: the provider finds guests and reads their counters (provider.c),
// the stats layer keeps value/delta per key (values.c), and the front ends print them
// (cli.c: batch and log modes; tui.c: the ncurses screen, whose decisions are made by
// tui_body() so they can be tested without a terminal).
#ifndef SWKVM_STAT_H
#define SWKVM_STAT_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit codes of `swkvm stat` (docs/stat.md). */
enum {
	STAT_EXIT_OK = 0,
	STAT_EXIT_USAGE = 2,	/* bad command line, bad value, invalid regex, delay out of range */
	STAT_EXIT_NO_GUEST = 3,	/* -p: no such pid; -g: no guest, several guests, search failed */
	STAT_EXIT_IO = 4,	/* log file, /proc or the terminal cannot be used */
};

#define STAT_DELAY_DEFAULT 3.0
#define STAT_DELAY_MIN 0.1
#define STAT_DELAY_MAX 25.5	/* curses halfdelay() takes at most 255 tenths */

/*
 * How the provider reaches the system: the /proc root and the calls it makes on the
 * stats files. Tests point proc_root at a fake tree and may replace the calls.
 */
struct stat_io {
	const char *proc_root;
	int (*open)(const char *path);
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	int (*close)(int fd);
};
extern const struct stat_io stat_io_default;

/* One stats memfd (a VM's or a vCPU's) found in some process's fd table. */
struct sp_file {
	int pid;		/* the process whose fd table holds it */
	int fdnum;		/* the lowest fd number that links to it there */
	dev_t dev;
	ino_t ino;
	bool vcpu;
	bool seen;		/* found again by the current scan */
	int fd;			/* our descriptor on it */
	int ndesc;
	int *name_id;		/* per descriptor: field name id, or -1 (not a field) */
	uint32_t *offset;	/* per descriptor: byte offset in the data block */
	uint64_t data_offset, data_len;
	uint64_t *data;		/* the data block as last read */
	bool data_ok;		/* the last read worked; else every value reads as 0 */
};

/*
 * A "path" in kvm_stat's sense: one VM, identified as "<pid>-<fd>" like KVM's debugfs
 * directory. Its value of a field is the VM file's, or the sum over its vCPU files.
 * Baselines are kept per path and field, and kept after the path goes away (as kvm_stat
 * keeps its dictionary), so a returning path reuses them.
 */
struct sp_path {
	int pid, fdnum;
	bool present;
	int cap;		/* entries in baseline[] / has_base[] */
	int64_t *baseline;	/* indexed by name id */
	bool *has_base;
};

struct stat_kv {
	char key[64];
	int64_t value;
};

struct provider {
	struct stat_io io;
	int pid;		/* 0: every guest */
	/* name table: grows, ids stay valid */
	char **names;
	int nnames;
	/* the wanted fields (name ids), sorted by name */
	int *fields;
	int nfields;
	bool filter_set;
	regex_t filter;
	struct sp_file *files;
	int nfiles;
	struct sp_path *paths;
	int npaths;
	int self_pid;		/* never reported (our own probe) */
};

void provider_init(struct provider *p, const struct stat_io *io, int pid);
void provider_free(struct provider *p);
/* Adds the field names this swkvm build publishes (a probe VM through the public API). */
int provider_probe_names(struct provider *p);
/*
 * Sets the field filter (NULL or "": every field). The regex is POSIX extended and must
 * match at the start of a name, as Python's re.match. Returns 0, or -1 if invalid.
 * Like kvm_stat's debugfs provider this does not reset baselines.
 */
int provider_update_fields(struct provider *p, const char *regex);
void provider_set_pid(struct provider *p, int pid);
/* Rescans /proc: drops vanished files (kvm_stat's _verify_paths), adds new ones. */
void provider_scan(struct provider *p);
/*
 * Reads every wanted field: value minus baseline, summed over the VMs (reset 1: the
 * baseline becomes the current value, 2: the baseline becomes 0). With by_guest the keys
 * are pids. Returns the number of results written to out (at most max).
 */
int provider_read(struct provider *p, int reset, bool by_guest, struct stat_kv *out, int max);
void provider_reset(struct provider *p);
const char *provider_name(const struct provider *p, int id);

/* ---- values.c: value and delta per key, in first-seen order (kvm_stat's Stats) ---- */
struct stat_value {
	char key[64];
	int64_t value, delta;
};

struct stats {
	struct provider prov;
	struct stat_value *v;
	int n, cap;
	char *fields_filter;	/* as given; NULL or "" means none */
	int pid_filter;
	bool child_events;	/* 'x': swkvm has no child events; kept for the toggle */
};

int stats_init(struct stats *s, const struct stat_io *io, int pid, const char *fields, bool probe,
	       bool include_past);
void stats_free(struct stats *s);
/* Reads the provider and updates value/delta; returns the table. */
struct stat_value *stats_get(struct stats *s, bool by_guest, int *n);
void stats_reset(struct stats *s);
int stats_set_fields_filter(struct stats *s, const char *regex);
void stats_set_pid_filter(struct stats *s, int pid);
void stats_toggle_display_guests(struct stats *s, bool to_pid);
struct stat_value *stats_find(struct stats *s, const char *key);

/* guest names, as kvm_stat finds them: `-name NAME` or `-name guest=NAME,...` in cmdline */
void stat_gname_from_pid(const char *proc_root, int pid, char *out, size_t n);
/* pids of running guests named `name`; returns the count (up to max stored) or -1 */
int stat_pids_from_gname(const char *proc_root, const char *name, int *pids, int max);
/* every process whose command line contains " -name " with its guest name */
struct stat_guest {
	int pid;
	char name[128];
};
int stat_all_gnames(const char *proc_root, struct stat_guest *out, int max);
bool stat_pid_running(const char *proc_root, int pid);

/* Python's repr() of a float ("0.05", "30.0", "1e-05"), for kvm_stat's messages */
void stat_py_float(double v, char *buf, size_t n);
/* float() of a string as Python parses it (no hex); false if invalid */
bool stat_parse_float(const char *s, double *out);
/* kvm_stat's is_delay_valid(): NULL, or the message (without "Error: ") in buf */
const char *stat_delay_error(double delay, const char *given, char *buf, size_t n);

/* ---- tui.c ---- */
enum body_action { BODY_DRAW, BODY_DEAD, BODY_REANIMATE };

#define BODY_MAX_ROWS 256
struct body_row {
	char text[512];
	bool bold;
};

struct tui {
	struct stats *st;
	const char *proc_root;
	char gname[128];	/* the guest name seen by the last header refresh */
	char headline[256];
	char regex_line[128];	/* "" or "regex filter: ..." (row 1, column 17) */
	char columns[128];	/* the standout column titles (row 2, column 1) */
	bool sort_total;	/* 'o': sort by Total instead of CurAvg/s */
	bool display_guests;	/* 'b' */
	double delay;
};

struct body {
	enum body_action action;
	int new_pid;		/* BODY_REANIMATE */
	int dead_col;		/* BODY_DEAD: column of the marker on row 0 */
	int nrows;		/* BODY_DRAW: rows from row 3 on, the Total row included */
	struct body_row rows[BODY_MAX_ROWS];
	const char *msg;	/* BODY_DRAW with no rows: the message on row 4, else NULL */
};

#define STAT_DEAD_MARKER "   Guest is DEAD   "

void tui_init(struct tui *t, struct stats *st, const char *proc_root, double delay);
/* kvm_stat's _refresh_header without the drawing: gname, headline, regex line, columns */
void tui_header(struct tui *t, int pid);
/* kvm_stat's _refresh_body without the drawing; screen_rows = the terminal's height */
void tui_body(struct tui *t, double sleeptime, int screen_rows, struct body *b);
int tui_run(struct tui *t);

int swkvm_stat_main(int argc, char **argv);

#endif
