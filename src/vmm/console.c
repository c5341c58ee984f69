// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: the guest's COM1 on this terminal. Raw mode while the guest runs (Ctrl-C goes to
// the guest), Ctrl-A x quits, Ctrl-A Ctrl-A sends one ^A; the terminal is restored on every
// way out: normal exit, errors, and fatal signals. Stdin need not be a terminal.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/vmm.h"

#define CTRL_A 0x01

/* The terminal is one per process: its saved state is the one file-level global here. */
static struct termios saved_tio;
static volatile sig_atomic_t saved_valid;

void console_restore(void)
{
	if (saved_valid) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		saved_valid = 0;
	}
}

static void fatal_signal(int sig)
{
	console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_restorers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS,
				    SIGABRT, SIGFPE, SIGILL, SIGPIPE };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(console_restore);
}

size_t console_filter(struct console *c, const uint8_t *in, size_t n, uint8_t *out, bool *quit)
{
	size_t o = 0;

	*quit = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = in[i];

		if (c->escape) {
			c->escape = false;
			if (ch == 'x' || ch == 'X') {
				*quit = true;
				return o;
			}
			if (ch == CTRL_A)
				out[o++] = CTRL_A;
			/* any other key after Ctrl-A is dropped, as in QEMU's mux */
			continue;
		}
		if (ch == CTRL_A) {
			c->escape = true;
			continue;
		}
		out[o++] = ch;
	}
	return o;
}

static void *console_thread(void *arg)
{
	struct console *c = arg;
	bool in_open = true;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = c->wake[0], .events = POLLIN },
			{ .fd = c->in_fd, .events = POLLIN },
		};
		int nfds = in_open && c->pend_len < sizeof(c->pend) / 2 ? 2 : 1;
		/* while input waits for FIFO room, look again every 2 ms */
		int r = poll(pfd, (nfds_t)nfds, c->pend_len ? 2 : -1);

		if (r < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (nfds == 2 && pfd[1].revents) {
			uint8_t buf[64], out[64];
			ssize_t n = read(c->in_fd, buf, sizeof(buf));
			bool quit;
			size_t m;

			if (n <= 0) {
				if (n == 0 || (errno != EINTR && errno != EAGAIN))
					in_open = false;	/* EOF: the guest keeps running */
				continue;
			}
			m = console_filter(c, buf, (size_t)n, out, &quit);
			if (m > sizeof(c->pend) - c->pend_len)
				m = sizeof(c->pend) - c->pend_len;
			memcpy(c->pend + c->pend_len, out, m);
			c->pend_len += m;
			if (quit) {
				vmm_request_stop(c->vmm, EXIT_OK, "terminated by Ctrl-A x");
				break;
			}
		}
		if (c->pend_len) {
			size_t took = serial_receive(c->uart, c->pend, c->pend_len);

			memmove(c->pend, c->pend + took, c->pend_len - took);
			c->pend_len -= took;
		}
	}
	return NULL;
}

int console_start(struct console *c, struct serial *uart, struct vmm *v)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = STDIN_FILENO;
	c->out_fd = STDOUT_FILENO;
	c->uart = uart;
	c->vmm = v;
	c->is_tty = isatty(c->in_fd);
	install_restorers();
	/* raw mode only in the foreground: a background job would stop on SIGTTOU */
	if (c->is_tty && tcgetpgrp(c->in_fd) == getpgrp() && !tcgetattr(c->in_fd, &saved_tio)) {
		struct termios raw = saved_tio;

		saved_valid = 1;
		cfmakeraw(&raw);	/* the guest's bytes go out unchanged, it sends its own CRs */
		if (!tcsetattr(c->in_fd, TCSANOW, &raw))
			c->raw = true;
	}
	if (pipe(c->wake))
		return -1;
	if (pthread_create(&c->thread, NULL, console_thread, c)) {
		close(c->wake[0]);
		close(c->wake[1]);
		return -1;
	}
	c->running = true;
	return 0;
}

void console_stop(struct console *c)
{
	if (c->running) {
		ssize_t r = write(c->wake[1], "", 1);

		(void)r;
		pthread_join(c->thread, NULL);
		close(c->wake[0]);
		close(c->wake[1]);
		c->running = false;
	}
	console_restore();
}

/* COM1's transmitter: to stdout, and the --boot-time milestones */
void console_output(void *opaque, uint8_t ch)
{
	struct vmm *v = opaque;
	ssize_t r;

	if (!atomic_load(&v->t_first_output_ns))
		atomic_store(&v->t_first_output_ns, vmm_now_ns());
	/* Linux's kernel_init() prints "Run /init as init process" just before user space */
	if (ch == '\n' || v->match_len == sizeof(v->match) - 1) {
		v->match[v->match_len] = 0;
		if (!atomic_load(&v->t_userspace_ns) && strstr(v->match, " as init process"))
			atomic_store(&v->t_userspace_ns, vmm_now_ns());
		v->match_len = 0;
	}
	if (ch != '\n' && ch != '\r')
		v->match[v->match_len++] = (char)ch;
	/* a kick (EINTR) while stdout is blocked: give up once the VM is ending */
	do
		r = write(STDOUT_FILENO, &ch, 1);
	while (r < 0 && errno == EINTR && !atomic_load(&v->stopping));
}
