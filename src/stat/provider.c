// SPDX-License-Identifier: GPL-2.0-only
// swkvm stat's provider: finds swkvm guests through /proc/<pid>/fd and reads their stats files.
//
// Every swkvm VM and vCPU keeps its counters in a memfd in KVM's binary stats layout
// (api.rst 4.133 KVM_GET_STATS_FD; src/kvm/stats.c), named "kvm-vm-stats" or
// "kvm-vcpu-stats". Another process of the same user sees them as /proc/<pid>/fd/N links
// to "/memfd:kvm-vm-stats (deleted)" and can open and pread them: that is swkvm's
// stand-in for KVM's debugfs directory <debugfs>/kvm/<pid>-<fd>/. This provider behaves
// like kvm_stat's DebugfsProvider on that tree: one "path" per VM (its vCPUs summed into
// it, as debugfs does), a baseline per path and field, vanished files dropped before each
// read and read errors counted as 0 (kvm_stat's _verify_paths and IOError handling).
//
// The layout is parsed by its offsets only (api.rst: the blocks need not be adjacent or
// in order). Everything read is bounded: a hostile file of the same user cannot make us
// allocate or read much, and a file that does not parse is ignored.
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stat/stat.h"
#include "swkvm.h"

#define MAX_NAME_SIZE 256	/* the kernel uses 48 (KVM_STATS_NAME_SIZE) */
#define MAX_DESC 1024
#define MAX_DATA (1u << 20)

static int io_open(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
}

const struct stat_io stat_io_default = {
	.proc_root = "/proc",
	.open = io_open,
	.pread = pread,
	.close = close,
};

/*
 * kvm_stat leaves these out of its debugfs fields: they are times, not event counts
 * (tools/kvm/kvm_stat: DebugfsProvider._get_available_fields, exempt_list).
 */
static const char *const exempt[] = { "halt_poll_fail_ns", "halt_poll_success_ns", "halt_wait_ns" };

static int intern(struct provider *p, const char *name)
{
	char **nn;

	for (int i = 0; i < p->nnames; i++)
		if (!strcmp(p->names[i], name))
			return i;
	nn = realloc(p->names, sizeof(*nn) * (size_t)(p->nnames + 1));
	if (!nn)
		return -1;
	p->names = nn;
	if (!(nn[p->nnames] = strdup(name)))
		return -1;
	return p->nnames++;
}

const char *provider_name(const struct provider *p, int id)
{
	return p->names[id];
}

void provider_init(struct provider *p, const struct stat_io *io, int pid)
{
	memset(p, 0, sizeof(*p));
	p->io = io ? *io : stat_io_default;
	p->pid = pid;
	p->self_pid = (int)getpid();
}

static void file_free(struct provider *p, struct sp_file *f)
{
	if (f->fd >= 0)
		p->io.close(f->fd);
	free(f->name_id);
	free(f->offset);
	free(f->data);
}

void provider_free(struct provider *p)
{
	for (int i = 0; i < p->nfiles; i++)
		file_free(p, &p->files[i]);
	for (int i = 0; i < p->npaths; i++) {
		free(p->paths[i].baseline);
		free(p->paths[i].has_base);
	}
	for (int i = 0; i < p->nnames; i++)
		free(p->names[i]);
	if (p->filter_set)
		regfree(&p->filter);
	free(p->files);
	free(p->paths);
	free(p->names);
	free(p->fields);
	memset(p, 0, sizeof(*p));
}

static bool rd(struct provider *p, int fd, void *buf, uint64_t n, uint64_t off)
{
	return p->io.pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

/* Parses header, id and descriptors of the file open on fd. 0, or -1 if it is not one. */
static int parse(struct provider *p, struct sp_file *f, uint64_t size)
{
	struct kvm_stats_header h;
	uint64_t stride, end = 0;
	uint8_t buf[sizeof(struct kvm_stats_desc) + MAX_NAME_SIZE];
	struct kvm_stats_desc *d = (struct kvm_stats_desc *)buf;

	if (!rd(p, f->fd, &h, sizeof(h), 0))
		return -1;
	if (h.name_size == 0 || h.name_size > MAX_NAME_SIZE || h.num_desc > MAX_DESC)
		return -1;
	stride = sizeof(struct kvm_stats_desc) + h.name_size;
	if ((uint64_t)h.id_offset + h.name_size > size ||
	    (uint64_t)h.desc_offset + stride * h.num_desc > size || h.data_offset > size)
		return -1;
	f->ndesc = (int)h.num_desc;
	f->name_id = calloc(h.num_desc + 1, sizeof(int));
	f->offset = calloc(h.num_desc + 1, sizeof(uint32_t));
	if (!f->name_id || !f->offset)
		return -1;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		char name[MAX_NAME_SIZE + 1];
		bool skip = false;

		if (!rd(p, f->fd, buf, stride, h.desc_offset + stride * i))
			return -1;
		memcpy(name, d->name, h.name_size);
		name[h.name_size] = 0;
		f->name_id[i] = -1;
		f->offset[i] = d->offset;
		/*
		 * debugfs shows one number per stat; histograms (size > 1) have no single
		 * value to show, and a value outside the file cannot be read.
		 */
		if (d->size != 1 || !name[0] || h.data_offset + (uint64_t)d->offset + 8 > size ||
		    (uint64_t)d->offset + 8 > MAX_DATA)
			continue;
		for (size_t k = 0; k < sizeof(exempt) / sizeof(exempt[0]); k++)
			skip |= !strcmp(name, exempt[k]);
		if (skip)
			continue;
		f->name_id[i] = intern(p, name);
		if ((uint64_t)d->offset + 8 > end)
			end = (uint64_t)d->offset + 8;
	}
	f->data_offset = h.data_offset;
	f->data_len = end;
	f->data = calloc(end / 8 + 2, 8);
	return f->data ? 0 : -1;
}

/* The file a /proc/<pid>/fd/<n> link names: 1 VM stats, 2 vCPU stats, 0 neither. */
static int classify(const char *target)
{
	char t[512];
	const char *base;
	size_t n = strlen(target);

	if (n >= sizeof(t))
		return 0;
	memcpy(t, target, n + 1);
	/* a memfd's name reads "/memfd:NAME (deleted)": it has no directory entry */
	if (n > 10 && !strcmp(t + n - 10, " (deleted)"))
		t[n - 10] = 0;
	base = strrchr(t, '/');
	base = base ? base + 1 : t;
	if (!strcmp(base, "memfd:kvm-vm-stats"))
		return 1;
	if (!strcmp(base, "memfd:kvm-vcpu-stats"))
		return 2;
	return 0;
}

static struct sp_file *find_file(struct provider *p, dev_t dev, ino_t ino)
{
	for (int i = 0; i < p->nfiles; i++)
		if (p->files[i].dev == dev && p->files[i].ino == ino)
			return &p->files[i];
	return NULL;
}

static void scan_pid(struct provider *p, int pid)
{
	char dir[512], path[800], target[512];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%d/fd", p->io.proc_root, pid);
	d = opendir(dir);
	if (!d)
		return;		/* gone, or not ours to read */
	while ((e = readdir(d))) {
		struct sp_file *f, nf;
		struct stat sb;
		ssize_t n;
		int kind, fdnum;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		fdnum = atoi(e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		kind = classify(target);
		/*
		 * A memfd is a regular file. Anything else wearing the name (a FIFO another
		 * process of the user named so) could block the open or the reads: skip it.
		 */
		if (!kind || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		f = find_file(p, sb.st_dev, sb.st_ino);
		if (f) {
			/* the same file under several fds or processes counts once */
			if (!f->seen) {
				f->seen = true;
				f->pid = pid;
				f->fdnum = fdnum;
			} else if (f->pid == pid && fdnum < f->fdnum) {
				f->fdnum = fdnum;
			}
			continue;
		}
		memset(&nf, 0, sizeof(nf));
		nf.pid = pid;
		nf.fdnum = fdnum;
		nf.dev = sb.st_dev;
		nf.ino = sb.st_ino;
		nf.vcpu = kind == 2;
		nf.seen = true;
		nf.fd = p->io.open(path);
		if (nf.fd < 0)
			continue;
		if (parse(p, &nf, (uint64_t)sb.st_size) < 0) {
			file_free(p, &nf);
			continue;
		}
		f = realloc(p->files, sizeof(*f) * (size_t)(p->nfiles + 1));
		if (!f) {
			file_free(p, &nf);
			continue;
		}
		p->files = f;
		p->files[p->nfiles++] = nf;
	}
	closedir(d);
}

void provider_scan(struct provider *p)
{
	int j = 0;

	for (int i = 0; i < p->nfiles; i++)
		p->files[i].seen = false;
	if (p->pid > 0) {
		scan_pid(p, p->pid);
	} else {
		DIR *d = opendir(p->io.proc_root);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			int pid;

			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			pid = atoi(e->d_name);
			if (pid != p->self_pid)
				scan_pid(p, pid);
		}
		if (d)
			closedir(d);
	}
	/* kvm_stat's _verify_paths(): what went away is not read any more */
	for (int i = 0; i < p->nfiles; i++) {
		if (p->files[i].seen)
			p->files[j++] = p->files[i];
		else
			file_free(p, &p->files[i]);
	}
	p->nfiles = j;
}

void provider_set_pid(struct provider *p, int pid)
{
	/* kvm_stat >= 4.19: changing the pid filter keeps the baselines */
	p->pid = pid;
}

static int cmp_name(const void *a, const void *b, void *arg)
{
	const struct provider *p = arg;

	return strcmp(p->names[*(const int *)a], p->names[*(const int *)b]);
}

int provider_update_fields(struct provider *p, const char *regex)
{
	regex_t re;
	int *f;

	if (regex && *regex) {
		if (regcomp(&re, regex, REG_EXTENDED))
			return -1;
		if (p->filter_set)
			regfree(&p->filter);
		p->filter = re;
		p->filter_set = true;
	} else if (p->filter_set) {
		regfree(&p->filter);
		p->filter_set = false;
	}
	/* the names of the files there are now join the known ones */
	provider_scan(p);
	f = realloc(p->fields, sizeof(int) * (size_t)(p->nnames + 1));
	if (!f)
		return -1;
	p->fields = f;
	p->nfields = 0;
	for (int i = 0; i < p->nnames; i++) {
		regmatch_t m;

		/* re.match(): a match must start at the beginning of the name */
		if (p->filter_set && (regexec(&p->filter, p->names[i], 1, &m, 0) || m.rm_so != 0))
			continue;
		p->fields[p->nfields++] = i;
	}
	qsort_r(p->fields, (size_t)p->nfields, sizeof(int), cmp_name, p);
	return 0;
}

static struct sp_path *get_path(struct provider *p, int pid, int fdnum)
{
	struct sp_path *np;

	for (int i = 0; i < p->npaths; i++)
		if (p->paths[i].pid == pid && p->paths[i].fdnum == fdnum)
			return &p->paths[i];
	np = realloc(p->paths, sizeof(*np) * (size_t)(p->npaths + 1));
	if (!np)
		return NULL;
	p->paths = np;
	np = &p->paths[p->npaths++];
	memset(np, 0, sizeof(*np));
	np->pid = pid;
	np->fdnum = fdnum;
	return np;
}

static bool path_grow(struct sp_path *pa, int n)
{
	int64_t *b;
	bool *h;

	if (n <= pa->cap)
		return true;
	b = realloc(pa->baseline, sizeof(*b) * (size_t)n);
	if (!b)
		return false;
	pa->baseline = b;
	h = realloc(pa->has_base, sizeof(*h) * (size_t)n);
	if (!h)
		return false;
	pa->has_base = h;
	for (int i = pa->cap; i < n; i++) {
		b[i] = 0;
		h[i] = false;
	}
	pa->cap = n;
	return true;
}

/* The VM a file belongs to: its own path, or for a vCPU the first VM of its process. */
static struct sp_path *path_of(struct provider *p, const struct sp_file *f)
{
	int fdnum = f->fdnum;
	bool have_vm = !f->vcpu;

	if (f->vcpu) {
		for (int i = 0; i < p->nfiles; i++) {
			const struct sp_file *g = &p->files[i];

			if (g->pid != f->pid)
				continue;
			if (!g->vcpu && (!have_vm || g->fdnum < fdnum)) {
				fdnum = g->fdnum;
				have_vm = true;
			} else if (g->vcpu && !have_vm && g->fdnum < fdnum) {
				fdnum = g->fdnum;
			}
		}
	}
	return get_path(p, f->pid, fdnum);
}

static int64_t file_value(const struct sp_file *f, int name_id)
{
	uint64_t v, sum = 0;

	for (int i = 0; i < f->ndesc; i++) {
		if (f->name_id[i] != name_id)
			continue;
		if (!f->data_ok)
			return 0;	/* kvm_stat: a read that fails counts as 0 */
		memcpy(&v, (const uint8_t *)f->data + f->offset[i], 8);
		sum += v;
	}
	return (int64_t)sum;
}

static struct stat_kv *kv_slot(struct stat_kv *out, int *n, int max, const char *key)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(out[i].key, key))
			return &out[i];
	if (*n >= max)
		return NULL;
	snprintf(out[*n].key, sizeof(out[*n].key), "%s", key);
	out[*n].value = 0;
	return &out[(*n)++];
}

int provider_read(struct provider *p, int reset, bool by_guest, struct stat_kv *out, int max)
{
	int n = 0;
	int *owner;

	provider_scan(p);
	for (int i = 0; i < p->nfiles; i++) {
		struct sp_file *f = &p->files[i];

		f->data_ok = f->data_len == 0 ||
			     rd(p, f->fd, f->data, f->data_len, f->data_offset);
	}
	for (int i = 0; i < p->npaths; i++)
		p->paths[i].present = false;
	owner = calloc((size_t)p->nfiles + 1, sizeof(int));
	if (!owner)
		return 0;
	for (int i = 0; i < p->nfiles; i++) {
		struct sp_path *pa = path_of(p, &p->files[i]);

		owner[i] = pa ? (int)(pa - p->paths) : -1;
		if (pa)
			pa->present = true;
	}
	/* Every field is reported, 0 when no guest is left (kvm_stat reports none then). */
	if (!by_guest)
		for (int k = 0; k < p->nfields; k++)
			kv_slot(out, &n, max, p->names[p->fields[k]]);
	for (int pi = 0; pi < p->npaths; pi++) {
		struct sp_path *pa = &p->paths[pi];
		char pidkey[16];

		if (!pa->present || !path_grow(pa, p->nnames))
			continue;
		snprintf(pidkey, sizeof(pidkey), "%d", pa->pid);
		for (int k = 0; k < p->nfields; k++) {
			int id = p->fields[k];
			int64_t value = 0;
			struct stat_kv *kv;

			for (int i = 0; i < p->nfiles; i++)
				if (owner[i] == pi)
					value += file_value(&p->files[i], id);
			if (reset == 1) {
				pa->baseline[id] = value;
				pa->has_base[id] = true;
			} else if (reset == 2) {
				pa->baseline[id] = 0;
				pa->has_base[id] = true;
			}
			if (!pa->has_base[id]) {
				/* first sight: only what happens from now on counts */
				pa->baseline[id] = value;
				pa->has_base[id] = true;
			}
			kv = kv_slot(out, &n, max, by_guest ? pidkey : p->names[id]);
			if (kv)
				kv->value += value - pa->baseline[id];
		}
	}
	free(owner);
	return n;
}

void provider_reset(struct provider *p)
{
	struct stat_kv *tmp = calloc((size_t)p->nfields + 1, sizeof(*tmp));

	for (int i = 0; i < p->npaths; i++)
		for (int k = 0; k < p->paths[i].cap; k++)
			p->paths[i].has_base[k] = false;
	if (tmp)
		provider_read(p, 1, false, tmp, p->nfields + 1);
	free(tmp);
}

/*
 * The names this swkvm build's KVM publishes, found the way a VMM would: a VM and a vCPU
 * through the public API, their KVM_GET_STATS_FD files parsed like any other. With them
 * the field list does not depend on whether a guest runs yet, as KVM's debugfs files
 * exist from module load on.
 */
int provider_probe_names(struct provider *p)
{
	int kvm = swkvm_open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = -1, vcpu = -1, fds[2] = { -1, -1 }, r = -1;

	if (kvm < 0)
		return -1;
	vm = swkvm_ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm >= 0)
		vcpu = swkvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vm >= 0)
		fds[0] = swkvm_ioctl(vm, KVM_GET_STATS_FD, 0);
	if (vcpu >= 0)
		fds[1] = swkvm_ioctl(vcpu, KVM_GET_STATS_FD, 0);
	for (int i = 0; i < 2; i++) {
		struct sp_file f;
		struct stat sb;

		if (fds[i] < 0 || fstat(fds[i], &sb) < 0)
			continue;
		memset(&f, 0, sizeof(f));
		f.fd = fds[i];
		if (parse(p, &f, (uint64_t)sb.st_size) == 0)
			r = 0;
		f.fd = -1;
		file_free(p, &f);
		close(fds[i]);
	}
	if (vcpu >= 0)
		swkvm_close(vcpu);
	if (vm >= 0)
		swkvm_close(vm);
	swkvm_close(kvm);
	return r;
}
