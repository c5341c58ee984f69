// SPDX-License-Identifier: GPL-2.0-only
// The swkvm command: subcommand dispatch (`swkvm run` is the VMM, src/vmm/run.c).
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "stat/stat.h"
#include "vmm/vmm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swkvm <command> [options]\n"
		"\n"
		"commands:\n"
		"  run          boot a Linux bzImage or multiboot kernel (swkvm run --help)\n"
		"  stat         monitor running guests, like kvm_stat (swkvm stat --help)\n"
		"  version      print the version\n"
		"  help         this text\n");
}

static int cmd_run(int argc, char **argv)
{
	struct vmm_opts o;
	int r = vmm_parse_options(argc, argv, &o);

	if (r == 1)
		return EXIT_OK;		/* --help */
	if (r)
		return r;
	return vmm_run(&o);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stat"))
		return swkvm_stat_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("swkvm 0.1 (KVM API version %d)\n", KVM_API_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "swkvm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
