// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: the MC146818 CMOS RTC at 0x70/0x71, showing the host's time (UTC).
//
// Source of truth: the Motorola MC146818A data sheet (register map, status registers A-D,
// BCD and 12-hour formats) and the IBM PC/AT CMOS layout for the memory-size bytes.
// Port 0x70 bit 7 is the NMI mask of the PC, not part of the index. Periodic, alarm and
// update-ended interrupts (IRQ 8) are not generated.
#include <string.h>
#include <time.h>

#include "vmm/vmm.h"

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32
#define B_SET 0x80
#define B_BINARY 0x04
#define B_24H 0x02

static uint8_t to_reg(const struct rtc *r, int v)
{
	return (r->cmos[REG_B] & B_BINARY) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	return (r->cmos[REG_B] & B_BINARY) ? v : (v >> 4) * 10 + (v & 15);
}

/* fills the time registers from host time + the guest's offset */
static void rtc_refresh(struct rtc *r)
{
	time_t t = time(NULL) + r->offset;
	struct tm tm;
	int hour;

	gmtime_r(&t, &tm);
	r->cmos[REG_SEC] = to_reg(r, tm.tm_sec);
	r->cmos[REG_MIN] = to_reg(r, tm.tm_min);
	hour = tm.tm_hour;
	if (r->cmos[REG_B] & B_24H) {
		r->cmos[REG_HOUR] = to_reg(r, hour);
	} else {	/* 12-hour: 1..12, bit 7 = PM */
		int h12 = hour % 12 ? hour % 12 : 12;

		r->cmos[REG_HOUR] = (uint8_t)(to_reg(r, h12) | (hour >= 12 ? 0x80 : 0));
	}
	r->cmos[REG_WDAY] = to_reg(r, tm.tm_wday + 1);
	r->cmos[REG_MDAY] = to_reg(r, tm.tm_mday);
	r->cmos[REG_MON] = to_reg(r, tm.tm_mon + 1);
	r->cmos[REG_YEAR] = to_reg(r, tm.tm_year % 100);
	r->cmos[REG_CENTURY] = to_reg(r, (tm.tm_year + 1900) / 100);
}

/* the guest set the clock: remember the difference to host time */
static void rtc_take_time(struct rtc *r)
{
	struct tm tm = { 0 };
	uint8_t h = r->cmos[REG_HOUR];
	int hour;

	tm.tm_sec = from_reg(r, r->cmos[REG_SEC]);
	tm.tm_min = from_reg(r, r->cmos[REG_MIN]);
	if (r->cmos[REG_B] & B_24H) {
		hour = from_reg(r, h);
	} else {
		hour = from_reg(r, h & 0x7f) % 12 + ((h & 0x80) ? 12 : 0);
	}
	tm.tm_hour = hour;
	tm.tm_mday = from_reg(r, r->cmos[REG_MDAY]);
	tm.tm_mon = from_reg(r, r->cmos[REG_MON]) - 1;
	tm.tm_year = from_reg(r, r->cmos[REG_CENTURY]) * 100 + from_reg(r, r->cmos[REG_YEAR]) - 1900;
	r->offset = (int64_t)timegm(&tm) - (int64_t)time(NULL);
}

void rtc_init(struct rtc *r, uint64_t mem)
{
	uint64_t kb;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->cmos[REG_A] = 0x26;		/* 32.768 kHz time base, 1024 Hz rate */
	r->cmos[REG_B] = B_24H;		/* 24-hour, BCD, no interrupts */
	r->cmos[REG_D] = 0x80;		/* VRT: the battery is good */
	/* memory sizes: base 640 KiB, extended (1-64 MiB) in KiB, above 16 MiB in 64 KiB */
	r->cmos[0x15] = 640 & 0xff;
	r->cmos[0x16] = 640 >> 8;
	kb = mem > MiB ? (mem - MiB) / 1024 : 0;
	if (kb > 0xfc00)
		kb = 0xfc00;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)kb;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(kb >> 8);
	{
		uint64_t low = mem < PCI_HOLE_START ? mem : PCI_HOLE_START;
		uint64_t k64 = low > 16 * MiB ? (low - 16 * MiB) / 65536 : 0;
		uint64_t hi = mem > PCI_HOLE_START ? (mem - PCI_HOLE_START) / 65536 : 0;

		if (k64 > 0xffff)
			k64 = 0xffff;
		r->cmos[0x34] = (uint8_t)k64;
		r->cmos[0x35] = (uint8_t)(k64 >> 8);
		r->cmos[0x5b] = (uint8_t)hi;
		r->cmos[0x5c] = (uint8_t)(hi >> 8);
		r->cmos[0x5d] = (uint8_t)(hi >> 16);
	}
}

static bool is_time_reg(uint8_t i)
{
	return i <= REG_YEAR || i == REG_CENTURY;
}

uint32_t rtc_read(void *dev, uint16_t port, unsigned size)
{
	struct rtc *r = dev;
	uint8_t v;

	pthread_mutex_lock(&r->lock);
	if (!(port & 1)) {
		/* the index register is write-only on the AT; reads float */
		v = 0xff;
	} else {
		uint8_t i = r->index;

		if (is_time_reg(i) && !(r->cmos[REG_B] & B_SET))
			rtc_refresh(r);
		v = r->cmos[i];
		if (i == REG_A)
			v &= 0x7f;		/* UIP: never inside an update */
		if (i == REG_C)
			r->cmos[REG_C] = 0;	/* interrupt flags clear on read */
	}
	pthread_mutex_unlock(&r->lock);
	return v;
}

void rtc_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct rtc *r = dev;
	uint8_t v = (uint8_t)val;

	pthread_mutex_lock(&r->lock);
	if (!(port & 1)) {
		r->index = v & 0x7f;
		r->nmi_disabled = v & 0x80;
	} else {
		uint8_t i = r->index;

		switch (i) {
		case REG_C:
		case REG_D:
			break;			/* read-only */
		case REG_A:
			r->cmos[i] = (r->cmos[i] & 0x80) | (v & 0x7f);
			break;
		case REG_B:
			/* leaving SET mode starts the clock from what the guest wrote */
			if ((r->cmos[REG_B] & B_SET) && !(v & B_SET)) {
				r->cmos[REG_B] = v;
				rtc_take_time(r);
			} else {
				if (!(r->cmos[REG_B] & B_SET) && (v & B_SET))
					rtc_refresh(r);	/* freeze the current time */
				r->cmos[REG_B] = v;
			}
			break;
		default:
			if (is_time_reg(i) && !(r->cmos[REG_B] & B_SET)) {
				rtc_refresh(r);
				r->cmos[i] = v;
				rtc_take_time(r);
			} else {
				r->cmos[i] = v;
			}
		}
	}
	pthread_mutex_unlock(&r->lock);
}
