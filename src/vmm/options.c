// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: the command line, with kvmtool's and QEMU's spellings (docs/run.md).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmm.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: swkvm run -k KERNEL [options]\n"
		"\n"
		"Boots a Linux bzImage or a multiboot v1 ELF kernel on swkvm's software x86 CPU,\n"
		"with the guest's serial port on this terminal (Ctrl-A x quits, Ctrl-A Ctrl-A sends ^A).\n"
		"\n"
		"  -k, --kernel FILE       bzImage (Linux boot protocol 2.12+) or multiboot v1 kernel\n"
		"  -i, --initrd FILE       initramfs (Linux) or module (multiboot)\n"
		"  -p, --params TEXT       kernel command line (alias --append); console=ttyS0 is added\n"
		"  -c, --cpus N            number of vCPUs (default 1)\n"
		"  -m, --mem SIZE          guest RAM, MiB or with a suffix K M G T (default 256M)\n"
		"      --name NAME         name of the guest (also -name, as QEMU spells it)\n"
		"      --console serial    the guest console (only serial exists)\n"
		"      --nodefaults        do not add console=ttyS0 to the command line\n"
		"      --no-debug-exit     remove the debug-exit device at port 0xf4\n"
		"      --boot-time         print when the guest first writes to the console and\n"
		"                          when the kernel starts init\n"
		"      --kvm[=DEVICE]      use a real KVM device (default /dev/kvm) instead of swkvm\n"
		"  -v, --verbose           report unhandled I/O ports\n"
		"  -h, --help              this text\n"
		"\n"
		"Exit status: 0 power-off/reboot/Ctrl-A x, 1 guest crash, 2 bad arguments,\n"
		"3 unsupported, 4 internal error, 5 bad kernel or initrd, (v<<1)|1 after a write\n"
		"of v to the debug-exit port; see docs/run.md.\n");
}

/*
 * A size in bytes: a number with an optional K/M/G/T suffix (binary units, optionally
 * followed by "B" or "iB"); a bare number means MiB, as in QEMU's -m and kvmtool's -m.
 */
int vmm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 20;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -1;
	}
	/* "16M", "16MB" and "16MiB" are the same */
	if (*end && strcmp(end, "B") && strcmp(end, "iB"))
		return -1;
	if (v > (~0ull >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int bad(const char *fmt, const char *a)
{
	fprintf(stderr, "swkvm run: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, " (see swkvm run --help)\n");
	return EXIT_USAGE;
}

/*
 * Matches argv[*i] against a short and a long spelling and takes the value from
 * "--long=VALUE", "-sVALUE"-less forms are not accepted, or the next argument.
 * Returns 1 and sets *val on a match, 0 if it is another option, -1 if the value is missing.
 */
static int opt_val(int argc, char **argv, int *i, const char *s, const char *l, const char *l2,
		   const char **val)
{
	const char *a = argv[*i];
	const char *names[] = { s, l, l2 };

	for (unsigned k = 0; k < 3; k++) {
		size_t n;

		if (!names[k])
			continue;
		n = strlen(names[k]);
		if (strncmp(a, names[k], n))
			continue;
		if (a[n] == '=' && k > 0) {
			*val = a + n + 1;
			return 1;
		}
		if (a[n] == '\0') {
			if (*i + 1 >= argc)
				return -1;
			*val = argv[++*i];
			return 1;
		}
	}
	return 0;
}

int vmm_parse_options(int argc, char **argv, struct vmm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cpus = 1;
	o->mem = 256 * MiB;
	o->debug_exit = true;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int r;

#define VALUE(s, l, l2)                                                  \
	((r = opt_val(argc, argv, &i, s, l, l2, &v)) < 0 ?              \
		 (bad("option '%s' needs a value", a), -1) : r)
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			run_usage(stdout);
			return 1;
		}
		if ((r = VALUE("-k", "--kernel", "-kernel")) < 0)
			return EXIT_USAGE;
		if (r) { o->kernel = v; continue; }
		if ((r = VALUE("-i", "--initrd", "-initrd")) < 0)
			return EXIT_USAGE;
		if (r) { o->initrd = v; continue; }
		if ((r = VALUE("-p", "--params", "--append")) < 0)
			return EXIT_USAGE;
		if (r) { o->params = v; continue; }
		if ((r = VALUE(NULL, "-append", NULL)) < 0)
			return EXIT_USAGE;
		if (r) { o->params = v; continue; }
		if ((r = VALUE("-c", "--cpus", "-smp")) < 0)
			return EXIT_USAGE;
		if (r) {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(v, &end, 10);
			if (errno || end == v || *end || *v == '-')
				return bad("bad vCPU count '%s'", v);
			if (n < 1 || n > VMM_MAX_CPUS) {
				fprintf(stderr, "swkvm run: vCPU count %s out of range: 1..%d\n", v,
					VMM_MAX_CPUS);
				return EXIT_USAGE;
			}
			o->cpus = (unsigned)n;
			continue;
		}
		if ((r = VALUE("-m", "--mem", "--memory")) < 0)
			return EXIT_USAGE;
		if (r) {
			if (vmm_parse_size(v, &o->mem))
				return bad("bad memory size '%s'", v);
			if (o->mem < VMM_MIN_MEM || o->mem > VMM_MAX_MEM) {
				fprintf(stderr, "swkvm run: memory size %s out of range: 2M..1T\n", v);
				return EXIT_USAGE;
			}
			continue;
		}
		if ((r = VALUE(NULL, "--name", "-name")) < 0)
			return EXIT_USAGE;
		if (r) {
			/* QEMU's -name accepts "guest=NAME,..."; keep NAME */
			o->name = strncmp(v, "guest=", 6) ? v : v + 6;
			continue;
		}
		if ((r = VALUE(NULL, "--console", NULL)) < 0)
			return EXIT_USAGE;
		if (r) {
			if (strcmp(v, "serial"))
				return bad("console '%s' is not available: only 'serial'", v);
			continue;
		}
		if (!strcmp(a, "--kvm")) {
			o->kvm_path = "/dev/kvm";
			continue;
		}
		if (!strncmp(a, "--kvm=", 6) && a[6]) {
			o->kvm_path = a + 6;
			continue;
		}
		if (!strcmp(a, "--nodefaults")) { o->nodefaults = true; continue; }
		if (!strcmp(a, "--debug-exit")) { o->debug_exit = true; continue; }
		if (!strcmp(a, "--no-debug-exit")) { o->debug_exit = false; continue; }
		if (!strcmp(a, "--boot-time")) { o->boot_time = true; continue; }
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) { o->verbose = true; continue; }
#undef VALUE
		if (a[0] == '-')
			return bad("unknown option '%s'", a);
		/* crosvm and lkvm also take the kernel as a bare argument */
		if (!o->kernel) {
			o->kernel = a;
			continue;
		}
		return bad("unexpected argument '%s'", a);
	}
	if (!o->kernel) {
		fprintf(stderr, "swkvm run: no kernel given: use -k FILE (see swkvm run --help)\n");
		return EXIT_USAGE;
	}
	return 0;
}
