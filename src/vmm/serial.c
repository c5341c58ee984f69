// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: a 16550A UART (8 registers, 16-byte receive FIFO, interrupt identification).
//
// Source of truth: the TI/National PC16550D data sheet (register map, IIR priorities,
// FCR trigger levels, loopback wiring of MSR). Transmission is instantaneous: THR is
// always empty again by the time the guest can look, so THRE and TEMT read as set.
#include <string.h>

#include "vmm/vmm.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08
#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS 0x1e
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void serial_init(struct serial *s, unsigned irq, struct irq_sink sink,
		 void (*out)(void *, uint8_t), void *out_opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->irq = irq;
	s->sink = sink;
	s->out = out;
	s->out_opaque = out_opaque;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DCD | MSR_DSR | MSR_CTS;	/* a terminal is attached and ready */
	s->dll = 12;				/* 9600 baud, as after a BIOS */
	s->irq_level = 0;
}

static unsigned rx_trigger(const struct serial *s)
{
	static const unsigned level[4] = { 1, 4, 8, 14 };

	return (s->fcr & FCR_ENABLE) ? level[s->fcr >> 6] : 1;
}

/* the highest-priority pending interrupt, as IIR bits 3:0 */
static uint8_t pending(const struct serial *s)
{
	if ((s->ier & IER_RLSI) && (s->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((s->ier & IER_RDI) && s->rx_count) {
		/* Below the trigger level the 16550 reports a character timeout after four
		 * character times of silence; we report it at once (no time passes here). */
		return s->rx_count >= rx_trigger(s) ? IIR_RDI : IIR_TIMEOUT;
	}
	if ((s->ier & IER_THRI) && s->thr_int)
		return IIR_THRI;
	if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

uint8_t serial_iir(struct serial *s)
{
	return pending(s) | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

/* On a PC the UART's INTR reaches the interrupt controller through OUT2's gate. */
static void update_irq(struct serial *s)
{
	int level = pending(s) != IIR_NO_INT && (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->sink.set)
			s->sink.set(s->sink.opaque, s->irq, level);
	}
}

static size_t rx_push(struct serial *s, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	unsigned cap = (s->fcr & FCR_ENABLE) ? UART_FIFO : 1;

	for (; done < n; done++) {
		if (s->rx_count >= cap)
			break;
		s->rx[(s->rx_head + s->rx_count) % UART_FIFO] = buf[done];
		s->rx_count++;
	}
	if (s->rx_count)
		s->lsr |= LSR_DR;
	return done;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t n)
{
	size_t done;

	pthread_mutex_lock(&s->lock);
	/* In loopback mode the receiver hears only the transmitter. */
	done = (s->mcr & MCR_LOOP) ? 0 : rx_push(s, buf, n);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return done;
}

static uint8_t msr_value(const struct serial *s)
{
	uint8_t m;

	if (!(s->mcr & MCR_LOOP))
		return s->msr;
	/* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
	m = s->msr & MSR_DELTAS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

uint32_t serial_read(void *dev, uint16_t port, unsigned size)
{
	struct serial *s = dev;
	uint8_t v = 0;

	pthread_mutex_lock(&s->lock);
	switch (port & 7) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
			break;
		}
		if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % UART_FIFO;
			s->rx_count--;
		}
		if (!s->rx_count)
			s->lsr &= ~LSR_DR;
		break;
	case IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case IIR_FCR:
		v = serial_iir(s);
		/* reading IIR while it reports THRE clears that interrupt */
		if ((v & 0x0f) == IIR_THRI)
			s->thr_int = false;
		break;
	case LCR:
		v = s->lcr;
		break;
	case MCR:
		v = s->mcr;
		break;
	case LSR:
		v = s->lsr;
		s->lsr &= ~LSR_ERRORS;		/* errors clear on read */
		break;
	case MSR:
		v = msr_value(s);
		s->msr &= ~MSR_DELTAS;
		break;
	case SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return v;
}

void serial_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct serial *s = dev;
	uint8_t v = (uint8_t)val;

	pthread_mutex_lock(&s->lock);
	switch (port & 7) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		if (s->mcr & MCR_LOOP) {
			if (!rx_push(s, &v, 1))
				s->lsr |= LSR_OE;
		} else if (s->out) {
			s->out(s->out_opaque, v);
		}
		/* sent at once: THR empty again, and that is a new THRE interrupt */
		s->lsr |= LSR_THRE | LSR_TEMT;
		s->thr_int = true;
		break;
	case IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* enabling ETBEI while THR is empty raises THRE (16550D: IER bit 1) */
		if ((v & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE))
			s->thr_int = true;
		s->ier = v & 0x0f;
		break;
	case IIR_FCR:
		if ((v ^ s->fcr) & FCR_ENABLE || (v & FCR_CLEAR_RX)) {
			s->rx_count = 0;
			s->rx_head = 0;
			s->lsr &= ~LSR_DR;
		}
		s->fcr = (v & FCR_ENABLE) ? (v & 0xc9) : 0;
		break;
	case LCR:
		s->lcr = v;
		break;
	case MCR:
		s->mcr = v & 0x1f;
		break;
	case LSR:
	case MSR:
		break;		/* factory test only */
	case SCR:
		s->scr = v;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}
