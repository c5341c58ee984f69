// SPDX-License-Identifier: GPL-2.0-only
// Debian's static busybox (glibc, SSE2 code) run directly on swkvm's CPU in 64-bit mode,
// with its Linux system calls served by this harness, against the same busybox on the host.
//
// A user-mode harness until the VMM boots a kernel (CPU issue 5's proof): the ELF's
// PT_LOAD segments go to guest RAM at their addresses (no paging: linear = physical),
// SYSCALL enters a HLT at LSTAR where the harness performs the call and returns to RCX
// with RFLAGS = R11, CPUID answers with the model kvm/ advertises (SSE..SSE4.2, XSAVE).
// sha256sum, md5sum, gzip and awk read the same input on both sides; outputs must be
// byte-identical. Skipped when /bin/busybox (Debian busybox-static) is absent; an applet
// that stops at an x87 instruction (awk: glibc's FNSTCW) is reported as a TAP skip until
// the x87 rows execute. Debugging: BB_DEBUG=1 logs system calls; BB_TRACE=1 single-steps
// and prints the last 64 RIPs at a failure; BB_BREAK=addr (with BB_TRACE) dumps RAX, RDX,
// R8 and the pointer guard at fs:0x30 whenever RIP reaches addr.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/wait.h>

#include "cpu/internal.h"
#include "tap.h"

#define RAM_SIZE (96u << 20)
#define LSTAR_GPA 0x4000
#define IDT_GPA 0x2000
#define GDT_GPA 0x1000
#define EXC_STUBS 0x3000
#define STACK_TOP 0x5f00000ull
#define MMAP_BASE 0x2000000ull
#define MMAP_END 0x5000000ull
#define BRK_LIMIT 0x2000000ull

static uint8_t *ram;

static uint8_t *gpa_page(void *opaque, uint64_t gfn, bool write)
{
	(void)opaque; (void)write;
	return gfn < RAM_SIZE / 4096 ? ram + gfn * 4096 : NULL;
}

static uint64_t tsc;

static uint64_t read_tsc(void *opaque)
{
	(void)opaque;
	return tsc += 1000;
}

static const struct cpu_host_ops ops = { .gpa_page = gpa_page, .read_tsc = read_tsc };

struct proc {
	const uint8_t *in;
	size_t in_len, in_pos;
	uint8_t *out;
	size_t out_len, out_cap;
	uint64_t brk, brk_start, mmap_next;
	bool exited;
	int status;
	long unknown_syscall;
	bool unhandled_x87;	/* stopped at an x87 instruction (D8-DF), which the CPU lacks */
	char why[160];
};

static bool in_ram(uint64_t a, uint64_t n)
{
	return a < RAM_SIZE && n <= RAM_SIZE - a;
}

static void out_append(struct proc *p, const void *b, size_t n)
{
	if (p->out_len + n > p->out_cap) {
		p->out_cap = (p->out_len + n) * 2 + 4096;
		p->out = realloc(p->out, p->out_cap);
		if (!p->out)
			tap_bail("out of memory");
	}
	memcpy(p->out + p->out_len, b, n);
	p->out_len += n;
}

/* CPUID as kvm/x86/cpuid.c's model: GenuineIntel, family 6, SSE..SSE4.2, XSAVE (x87|SSE) */
static void do_cpuid(struct cpu *cpu)
{
	uint32_t leaf = (uint32_t)cpu->gpr[CPU_RAX], sub = (uint32_t)cpu->gpr[CPU_RCX];
	uint32_t a = 0, b = 0, c = 0, d = 0;

	switch (leaf) {
	case 0: a = 0xd; b = 0x756e6547; d = 0x49656e69; c = 0x6c65746e; break;
	case 1:
		a = 0x00050654;
		b = 8 << 8;
		c = (1u << 0) | (1u << 9) | (1u << 19) | (1u << 20) | (1u << 22) | (1u << 23) | (1u << 26) |
		    ((cpu->cr4 & CPU_CR4_OSXSAVE) ? 1u << 27 : 0);
		d = (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 15) | (1u << 19) | (1u << 23) |
		    (1u << 24) | (1u << 25) | (1u << 26);
		break;
	case 0xd:
		if (sub == 0)
			a = 3, b = 576, c = 576;
		break;
	case 0x80000000: a = 0x80000008; break;
	case 0x80000001: d = (1u << 29) | (1u << 27); c = 1; break;
	case 0x80000008: a = 46 | (48 << 8); break;
	}
	cpu->gpr[CPU_RAX] = a;
	cpu->gpr[CPU_RBX] = b;
	cpu->gpr[CPU_RCX] = c;
	cpu->gpr[CPU_RDX] = d;
}

/* The Linux x86-64 system calls busybox's applets make, served from `p`. */
static int64_t do_syscall(struct cpu *cpu, struct proc *p)
{
	uint64_t nr = cpu->gpr[CPU_RAX], a0 = cpu->gpr[CPU_RDI], a1 = cpu->gpr[CPU_RSI], a2 = cpu->gpr[CPU_RDX];

	switch (nr) {
	case 0:	/* read */
		if (a0 != 0)
			return -EBADF;
		if (!in_ram(a1, a2))
			return -EFAULT;
		{
			size_t n = p->in_len - p->in_pos < a2 ? p->in_len - p->in_pos : a2;
			memcpy(ram + a1, p->in + p->in_pos, n);
			p->in_pos += n;
			return (int64_t)n;
		}
	case 1:	/* write */
		if (!in_ram(a1, a2))
			return -EFAULT;
		if (a0 == 1)
			out_append(p, ram + a1, a2);
		else if (a0 != 2)
			return -EBADF;
		return (int64_t)a2;
	case 20: {	/* writev */
		int64_t total = 0;
		if (!in_ram(a1, a2 * 16))
			return -EFAULT;
		for (uint64_t i = 0; i < a2; i++) {
			uint64_t base, len;
			memcpy(&base, ram + a1 + 16 * i, 8);
			memcpy(&len, ram + a1 + 16 * i + 8, 8);
			if (!in_ram(base, len))
				return -EFAULT;
			if (a0 == 1)
				out_append(p, ram + base, len);
			total += (int64_t)len;
		}
		return total;
	}
	case 3: return 0;			/* close */
	case 5: case 262: {			/* fstat, newfstatat(fd, "", st, AT_EMPTY_PATH): a pipe */
		uint64_t st = nr == 5 ? a1 : a2;
		if (!in_ram(st, 144))
			return -EFAULT;
		memset(ram + st, 0, 144);
		ram[st + 24] = 0x80, ram[st + 25] = 0x11;	/* st_mode S_IFIFO | 0600 */
		ram[st + 57] = 0x10;			/* st_blksize 4096 */
		return 0;
	}
	case 8: return -ESPIPE;			/* lseek */
	case 9: {				/* mmap: anonymous memory only */
		uint64_t len = (a1 + 4095) & ~4095ull;
		if ((int64_t)cpu->gpr[CPU_R8] != -1 || !(cpu->gpr[CPU_R10] & 0x20))
			return -ENODEV;
		if (p->mmap_next + len > MMAP_END)
			return -ENOMEM;
		memset(ram + p->mmap_next, 0, len);
		p->mmap_next += len;
		return (int64_t)(p->mmap_next - len);
	}
	case 10: case 11: return 0;		/* mprotect, munmap */
	case 12:				/* brk */
		if (a0 >= p->brk_start && a0 < BRK_LIMIT) {
			if (a0 > p->brk)
				memset(ram + p->brk, 0, a0 - p->brk);
			p->brk = a0;
		}
		return (int64_t)p->brk;
	case 13: case 14: return 0;		/* rt_sigaction, rt_sigprocmask */
	case 16: return -ENOTTY;		/* ioctl */
	case 39: case 186: case 218: return 1000;	/* getpid, gettid, set_tid_address */
	case 102: case 104: case 107: case 108: return 0;	/* getuid getgid geteuid getegid */
	case 60: case 231:			/* exit, exit_group */
		p->exited = true;
		p->status = (int)a0;
		return 0;
	case 63:				/* uname */
		if (!in_ram(a0, 390))
			return -EFAULT;
		memset(ram + a0, 0, 390);
		strcpy((char *)ram + a0, "Linux");
		strcpy((char *)ram + a0 + 65, "swkvm");
		strcpy((char *)ram + a0 + 130, "6.1.0");
		strcpy((char *)ram + a0 + 195, "#1");
		strcpy((char *)ram + a0 + 260, "x86_64");
		return 0;
	case 158:				/* arch_prctl */
		if (a0 == 0x1002) {		/* ARCH_SET_FS */
			cpu->seg[CPU_FS].base = a1;
			return 0;
		}
		return -EINVAL;
	case 228:				/* clock_gettime */
		if (!in_ram(a1, 16))
			return -EFAULT;
		memset(ram + a1, 0, 16);
		return 0;
	case 273: return 0;			/* set_robust_list */
	case 318:				/* getrandom: fixed bytes */
		if (!in_ram(a0, a1))
			return -EFAULT;
		for (uint64_t i = 0; i < a1; i++)
			ram[a0 + i] = (uint8_t)(i * 37 + 11);
		return (int64_t)a1;
	case 89: case 2: case 257: return -ENOENT;	/* readlink, open, openat */
	case 157: return -EINVAL;		/* prctl */
	case 99: case 302: case 334: return -ENOSYS;	/* sysinfo, prlimit64, rseq */
	default:
		p->unknown_syscall = (long)nr;
		return -ENOSYS;
	}
}

static uint64_t push_str(uint64_t *sp, const char *s)
{
	size_t n = strlen(s) + 1;
	*sp -= n;
	memcpy(ram + *sp, s, n);
	return *sp;
}

static void push64(uint64_t *sp, uint64_t v)
{
	*sp -= 8;
	memcpy(ram + *sp, &v, 8);
}

/* Loads busybox, builds the initial stack for argv, runs it to exit_group. */
static bool run_busybox(struct cpu *cpu, const uint8_t *elf, size_t elf_len, const char *const *argv,
			struct proc *p)
{
	const Elf64_Ehdr *eh = (const void *)elf;
	uint64_t end = 0, sp = STACK_TOP, argp[8], envp0, rnd;
	int argc = 0;
	struct cpu_exit e;
	uint64_t code64 = 0x00209a0000000000ull, data = 0x00cf92000000ffffull;

	memset(ram, 0, RAM_SIZE);
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(elf + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_type != PT_LOAD)
			continue;
		if (!in_ram(ph->p_vaddr, ph->p_memsz) || ph->p_offset + ph->p_filesz > elf_len)
			return false;
		memcpy(ram + ph->p_vaddr, elf + ph->p_offset, ph->p_filesz);
		if (ph->p_vaddr + ph->p_memsz > end)
			end = ph->p_vaddr + ph->p_memsz;
	}
	p->brk = p->brk_start = (end + 4095) & ~4095ull;
	p->mmap_next = MMAP_BASE;

	/* stack: strings, AT_RANDOM bytes, then auxv, envp, argv, argc */
	while (argv[argc])
		argc++;
	for (int i = 0; i < argc; i++)
		argp[i] = push_str(&sp, argv[i]);
	envp0 = push_str(&sp, "PATH=/bin");
	sp -= 16;
	rnd = sp;
	memset(ram + rnd, 0x5a, 16);
	sp &= ~15ull;
	{
		uint64_t aux[][2] = {
			{ AT_PHDR, 0x400000 + eh->e_phoff }, { AT_PHENT, eh->e_phentsize }, { AT_PHNUM, eh->e_phnum },
			{ AT_PAGESZ, 4096 }, { AT_ENTRY, eh->e_entry }, { AT_UID, 0 }, { AT_EUID, 0 },
			{ AT_GID, 0 }, { AT_EGID, 0 }, { AT_SECURE, 0 }, { AT_RANDOM, rnd }, { AT_CLKTCK, 100 },
			{ AT_NULL, 0 },
		};
		int naux = sizeof(aux) / sizeof(aux[0]);
		if (((naux * 2 + 2 + argc + 1 + 1) & 1))
			push64(&sp, 0);	/* keep RSP 16-byte aligned at argc */
		for (int i = naux - 1; i >= 0; i--) {
			push64(&sp, aux[i][1]);
			push64(&sp, aux[i][0]);
		}
		push64(&sp, 0);
		push64(&sp, envp0);
		push64(&sp, 0);
		for (int i = argc - 1; i >= 0; i--)
			push64(&sp, argp[i]);
		push64(&sp, (uint64_t)argc);
	}

	cpu_reset(cpu, false);
	cpu->cr0 |= CPU_CR0_PE | CPU_CR0_NE | CPU_CR0_MP;
	cpu->cr0 &= ~CPU_CR0_EM;
	cpu->cr4 |= CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT | CPU_CR4_OSXSAVE;
	cpu->xcr0 = 3;
	cpu->efer = CPU_EFER_LME | CPU_EFER_LMA | CPU_EFER_SCE | CPU_EFER_NXE;
	cpu->seg[CPU_CS].selector = 8;
	cpu->seg[CPU_CS].base = 0;
	cpu->seg[CPU_CS].l = 1;
	cpu->seg[CPU_CS].db = 0;
	memcpy(ram + GDT_GPA + 8, &code64, 8);
	memcpy(ram + GDT_GPA + 16, &data, 8);
	cpu->gdt.base = GDT_GPA;
	cpu->gdt.limit = 23;
	for (int v = 0; v < 32; v++) {
		uint64_t gate[2] = { ((EXC_STUBS + v) & 0xffff) | (8ull << 16) | (0x8eull << 40), 0 };
		memcpy(ram + IDT_GPA + 16 * v, gate, 16);
		ram[EXC_STUBS + v] = 0xf4;
	}
	cpu->idt.base = IDT_GPA;
	cpu->idt.limit = 32 * 16 - 1;
	ram[LSTAR_GPA] = 0xf4;
	cpu_msr_write(cpu, 0xc0000081, (8ull << 32) | (8ull << 48));	/* STAR */
	cpu_msr_write(cpu, 0xc0000082, LSTAR_GPA);			/* LSTAR */
	cpu_msr_write(cpu, 0xc0000084, 0);				/* SFMASK */
	cpu->features = CPU_FEAT_DEFAULT | CPU_FEAT_XSAVE;
	/* the ELF entry state: RDX = 0 (no function for atexit), the other GPRs too */
	memset(cpu->gpr, 0, sizeof(cpu->gpr));
	cpu->gpr[CPU_RSP] = sp;
	cpu->rip = eh->e_entry;
	cpu_set_rflags(cpu, 0x202);
	cpu_state_changed(cpu);

	static uint64_t trace[64];
	unsigned ntrace = 0;
	cpu->singlestep_exit = getenv("BB_TRACE") != NULL;
	for (long steps = 0; !p->exited && steps < 200000000; steps++) {
		enum cpu_exit_reason r = cpu_run(cpu, &e);

		if (r == CPU_EXIT_DEBUG) {
			if (getenv("BB_BREAK") && cpu->rip == strtoull(getenv("BB_BREAK"), NULL, 0)) {
				uint64_t g;
				memcpy(&g, ram + cpu->seg[CPU_FS].base + 0x30, 8);
				fprintf(stderr, "break rax %#llx rdx %#llx r8 %#llx fsbase %#llx guard %#llx\n",
					(unsigned long long)cpu->gpr[0], (unsigned long long)cpu->gpr[2],
					(unsigned long long)cpu->gpr[8], (unsigned long long)cpu->seg[CPU_FS].base,
					(unsigned long long)g);
			}
			if (cpu->rip >= 0x10000)
				trace[ntrace++ % 64] = cpu->rip;
			continue;
		}
		if (r != CPU_EXIT_CPUID && r != CPU_EXIT_HLT && getenv("BB_TRACE"))
			for (unsigned i = 0; i < 64; i++)
				fprintf(stderr, "trace %#llx\n", (unsigned long long)trace[(ntrace + i) % 64]);

		if (r == CPU_EXIT_CPUID) {
			do_cpuid(cpu);
			cpu_skip_insn(cpu, e.insn_len);
			continue;
		}
		if (r == CPU_EXIT_HLT && cpu->rip == LSTAR_GPA + 1) {
			int64_t ret = do_syscall(cpu, p);
			if (getenv("BB_DEBUG"))
				fprintf(stderr, "syscall %llu(%#llx, %#llx, %#llx) = %lld rcx %#llx\n",
					(unsigned long long)cpu->gpr[CPU_RAX], (unsigned long long)cpu->gpr[CPU_RDI],
					(unsigned long long)cpu->gpr[CPU_RSI], (unsigned long long)cpu->gpr[CPU_RDX],
					(long long)ret, (unsigned long long)cpu->gpr[CPU_RCX]);
			cpu->gpr[CPU_RAX] = (uint64_t)ret;
			cpu->rip = cpu->gpr[CPU_RCX];
			cpu_set_rflags(cpu, cpu->gpr[CPU_R11]);
			cpu_state_changed(cpu);
			continue;
		}
		if (r == CPU_EXIT_HLT && cpu->rip > EXC_STUBS && cpu->rip <= EXC_STUBS + 32) {
			uint64_t frame[3];
			int v = (int)(cpu->rip - EXC_STUBS - 1);
			bool err = v == 8 || (v >= 10 && v <= 14) || v == 17;
			memcpy(frame, ram + cpu->gpr[CPU_RSP] + (err ? 8 : 0), sizeof(frame));
			snprintf(p->why, sizeof(p->why), "exception %d at rip %#llx", v, (unsigned long long)frame[0]);
			return false;
		}
		if (r == CPU_EXIT_UNHANDLED) {
			uint8_t op = e.unhandled.insn[0];
			unsigned i = 0;
			while (i + 1 < e.unhandled.len && (op == 0x66 || op == 0x67 || op == 0xf2 || op == 0xf3 ||
							     (op & 0xf0) == 0x40))
				op = e.unhandled.insn[++i];
			p->unhandled_x87 = op >= 0xd8 && op <= 0xdf;
			snprintf(p->why, sizeof(p->why), "unhandled instruction at %#llx: %02x %02x %02x %02x",
				 (unsigned long long)cpu->rip, e.unhandled.insn[0], e.unhandled.insn[1],
				 e.unhandled.insn[2], e.unhandled.insn[3]);
			return false;
		}
		snprintf(p->why, sizeof(p->why), "exit %d at rip %#llx", (int)r, (unsigned long long)cpu->rip);
		return false;
	}
	if (!p->exited)
		snprintf(p->why, sizeof(p->why), "did not finish");
	return p->exited;
}

/* The same command on the host busybox, input on stdin (a temporary file); returns its stdout. */
static uint8_t *run_host(const char *const *argv, const uint8_t *in, size_t in_len, size_t *out_len)
{
	FILE *tmp = tmpfile();
	int pout[2];
	pid_t pid;
	uint8_t *out = NULL;
	size_t len = 0, cap = 0;

	if (!tmp || fwrite(in, 1, in_len, tmp) != in_len || fflush(tmp) || pipe(pout))
		return NULL;
	rewind(tmp);
	pid = fork();
	if (pid == 0) {
		dup2(fileno(tmp), 0);
		dup2(pout[1], 1);
		close(pout[0]);
		execv("/bin/busybox", (char *const *)argv);
		_exit(127);
	}
	close(pout[1]);
	for (;;) {
		ssize_t n;
		if (len + 65536 > cap) {
			cap = (len + 65536) * 2;
			out = realloc(out, cap);
		}
		n = read(pout[0], out + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pout[0]);
	fclose(tmp);
	waitpid(pid, NULL, 0);
	*out_len = len;
	return out;
}

int main(void)
{
	static const char *const cmds[][8] = {
		{ "busybox", "sha256sum", NULL },
		{ "busybox", "md5sum", NULL },
		{ "busybox", "gzip", "-c", NULL },
		{ "busybox", "sort", NULL },
		{ "busybox", "wc", NULL },
		{ "busybox", "sed", "-e", "s/word\\([0-9]*\\)/<\\1>/g", NULL },
		{ "busybox", "tr", "a-z0-9", "A-Z9-0", NULL },
		{ "busybox", "cut", "-d", " ", "-f", "2,3", NULL },
		{ "busybox", "base64", NULL },
		{ "busybox", "bzip2", "-c", NULL },
		{ "busybox", "sha512sum", NULL },
		{ "busybox", "sha1sum", NULL },
		{ "busybox", "crc32", NULL },
		{ "busybox", "awk", "{ n++; s += length($0) * 1.25; t += $1 / 3 } END { printf \"%d %.6f %.9g %s\\n\", n, s, t, s / n }", NULL },
	};
	FILE *f = fopen("/bin/busybox", "rb");
	uint8_t *elf, *in;
	size_t elf_len, in_len = 100000;
	struct cpu *cpu;

	if (!f) {
		printf("1..0 # SKIP no /bin/busybox (Debian busybox-static)\n");
		return 0;
	}
	fseek(f, 0, SEEK_END);
	elf_len = (size_t)ftell(f);
	rewind(f);
	elf = malloc(elf_len);
	ram = calloc(1, RAM_SIZE);
	in = malloc(in_len);
	if (!elf || !ram || !in || fread(elf, 1, elf_len, f) != elf_len)
		tap_bail("cannot read /bin/busybox");
	fclose(f);
	/* text lines of numbers and words, deterministic */
	{
		uint64_t x = 0x9e3779b97f4a7c15ull;
		size_t pos = 0;
		while (pos + 40 < in_len) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pos += (size_t)snprintf((char *)in + pos, 40, "%llu word%u %x\n",
						(unsigned long long)(x % 100000), (unsigned)(x >> 40) % 97, (unsigned)(x >> 20));
		}
		in_len = pos;
	}
	cpu = cpu_create(&ops, NULL);
	if (!cpu)
		tap_bail("cpu_create");
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		struct proc p = { .in = in, .in_len = in_len };
		size_t host_len = 0;

		if (getenv("BB_ONLY") && strcmp(getenv("BB_ONLY"), cmds[c][1]))
			continue;
		uint8_t *host = run_host(cmds[c], in, in_len, &host_len);
		bool ran = run_busybox(cpu, elf, elf_len, cmds[c], &p);

		if (!ran && p.unhandled_x87) {
			/* the x87 rows (D8-DF) are another part of CPU issue 5 */
			ok(true, "busybox %s # SKIP needs x87: %s", cmds[c][1], p.why);
			free(host);
			free(p.out);
			continue;
		}
		if (!ran)
			tap_diag("%s: %s", cmds[c][1], p.why);
		if (p.unknown_syscall)
			tap_diag("%s: unserved system call %ld", cmds[c][1], p.unknown_syscall);
		ok(ran && p.status == 0 && host && p.out_len == host_len && !memcmp(p.out, host, host_len),
		   "busybox %s on swkvm's CPU: %zu output bytes identical to the host's", cmds[c][1], p.out_len);
		free(host);
		free(p.out);
	}
	cpu_destroy(cpu);
	free(elf);
	free(ram);
	free(in);
	return tap_done();
}
