// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: the i8042 keyboard controller at 0x60/0x64, with no keyboard or mouse behind it.
//
// What guests use it for: the CPU-reset line (command 0xFE, or output-port bit 0 cleared
// through command 0xD1), the A20 gate (output-port bit 1, commands 0xDD/0xDF) and the
// controller probes Linux's i8042 driver makes. Source of truth: the IBM PC/AT Technical
// Reference (8042 commands and status bits). swkvm, like KVM, never masks address line
// 20: the gate's state is kept and reported but has no effect on memory accesses.
#include <string.h>

#include "vmm/vmm.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10
#define ST_AUX_OBF 0x20
#define CB_KBD_INT 0x01
#define CB_AUX_INT 0x02
#define CB_KBD_OFF 0x10
#define CB_AUX_OFF 0x20
#define OUT_RESET 0x01		/* active low */
#define OUT_A20 0x02

static void update_irq(struct i8042 *k)
{
	bool any = k->q_count > 0;

	if (!k->sink.set)
		return;
	k->sink.set(k->sink.opaque, 1, any && !(k->status & ST_AUX_OBF) && (k->cmd_byte & CB_KBD_INT));
	k->sink.set(k->sink.opaque, 12, any && (k->status & ST_AUX_OBF) && (k->cmd_byte & CB_AUX_INT));
}

static void push(struct i8042 *k, uint8_t v, bool aux)
{
	if (k->q_count == sizeof(k->queue))
		return;
	if (!k->q_count) {
		if (aux)
			k->status |= ST_AUX_OBF;
		else
			k->status &= ~ST_AUX_OBF;
	}
	k->queue[(k->q_head + k->q_count++) % sizeof(k->queue)] = v;
}

void i8042_init(struct i8042 *k, struct irq_sink sink, void (*reset)(void *), void *opaque)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->lock, NULL);
	k->status = ST_SYS | ST_UNLOCKED;	/* as a BIOS leaves it after the self-test */
	k->cmd_byte = CB_KBD_INT | 0x04 | 0x40;	/* IRQ1 on, system flag, scan-code translation */
	k->outport = OUT_RESET | OUT_A20;
	k->sink = sink;
	k->reset = reset;
	k->reset_opaque = opaque;
}

static void do_reset(struct i8042 *k)
{
	if (k->reset)
		k->reset(k->reset_opaque);
}

uint32_t i8042_read(void *dev, uint16_t port, unsigned size)
{
	struct i8042 *k = dev;
	uint8_t v;

	pthread_mutex_lock(&k->lock);
	if (port == 0x64) {
		v = k->status | (k->q_count ? ST_OBF : 0);
		if (!k->q_count)
			v &= ~ST_AUX_OBF;
	} else {
		v = k->queue[k->q_head];	/* an empty buffer repeats the last byte */
		if (k->q_count) {
			k->q_head = (k->q_head + 1) % sizeof(k->queue);
			k->q_count--;
		}
		if (k->q_count)
			k->status &= ~ST_AUX_OBF;	/* what follows came from the keyboard side */
		update_irq(k);
	}
	pthread_mutex_unlock(&k->lock);
	return v;
}

static void command(struct i8042 *k, uint8_t c)
{
	k->status |= ST_CMD;
	switch (c) {
	case 0x20:
		push(k, k->cmd_byte, false);
		break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		k->pending_cmd = c;
		break;
	case 0xa7: k->cmd_byte |= CB_AUX_OFF; break;
	case 0xa8: k->cmd_byte &= ~CB_AUX_OFF; break;
	case 0xa9: push(k, 0x00, false); break;		/* aux interface test: OK */
	case 0xaa:					/* controller self-test */
		k->status |= ST_SYS;
		push(k, 0x55, false);
		break;
	case 0xab: push(k, 0x00, false); break;		/* keyboard interface test: OK */
	case 0xad: k->cmd_byte |= CB_KBD_OFF; break;
	case 0xae: k->cmd_byte &= ~CB_KBD_OFF; break;
	case 0xc0: push(k, 0x80, false); break;		/* input port: keyboard not inhibited */
	case 0xd0: push(k, k->outport, false); break;
	case 0xdd: k->outport &= ~OUT_A20; break;
	case 0xdf: k->outport |= OUT_A20; break;
	default:
		/* 0xf0-0xff pulse the output-port lines whose bit is 0; bit 0 is RESET */
		if (c >= 0xf0 && !(c & 1))
			do_reset(k);
		break;
	}
}

static void data(struct i8042 *k, uint8_t v)
{
	uint8_t c = k->pending_cmd;

	k->status &= ~ST_CMD;
	k->pending_cmd = 0;
	switch (c) {
	case 0x60:
		k->cmd_byte = v;
		if (v & ST_SYS)
			k->status |= ST_SYS;
		return;
	case 0xd1:
		k->outport = v;
		if (!(v & OUT_RESET))
			do_reset(k);
		return;
	case 0xd2: push(k, v, false); return;
	case 0xd3: push(k, v, true); return;
	case 0xd4: return;	/* to the mouse: there is none, the byte is lost */
	}
	/* a command to the keyboard: there is none either, but answer as an AT keyboard */
	switch (v) {
	case 0xee: push(k, 0xee, false); break;			/* echo */
	case 0xf2: push(k, 0xfa, false); push(k, 0xab, false); push(k, 0x83, false); break;
	case 0xff: push(k, 0xfa, false); push(k, 0xaa, false); break;	/* reset, BAT OK */
	default: push(k, 0xfa, false); break;			/* ACK */
	}
}

void i8042_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct i8042 *k = dev;

	pthread_mutex_lock(&k->lock);
	if (port == 0x64)
		command(k, (uint8_t)val);
	else
		data(k, (uint8_t)val);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}
