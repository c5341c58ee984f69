// SPDX-License-Identifier: GPL-2.0-only
// Integer SIMD in plain C: the MMX/SSE2/SSSE3/SSE4 element operations on 8 or 16 bytes.
//
// int_op(op, d, s, n): d = d op s over n bytes (8: an MMX register, 16: an XMM
// register), as the SDM Vol.2 pseudocode of each instruction defines it. Bytes of d
// at and above n are left alone.
#include "cpu/exec/sse.h"

static int16_t sat16(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

static int8_t sat8(int32_t v)
{
	return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}

static uint8_t usat8(int32_t v)
{
	return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
}

static uint16_t usat16(int32_t v)
{
	return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* Logical/arithmetic shifts by a 64-bit count (PSRLW xmm, xmm/m128 uses the low quadword). */
static void shift(unsigned op, union xmm *d, uint64_t cnt, unsigned n)
{
	switch (op) {
	case IO_PSRLW: case IO_PSLLW: case IO_PSRAW:
		for (unsigned i = 0; i < n / 2; i++) {
			if (op == IO_PSRAW)
				d->sw[i] = (int16_t)(d->sw[i] >> (cnt > 15 ? 15 : cnt));
			else if (cnt > 15)
				d->w[i] = 0;
			else
				d->w[i] = (uint16_t)(op == IO_PSRLW ? d->w[i] >> cnt : d->w[i] << cnt);
		}
		break;
	case IO_PSRLD: case IO_PSLLD: case IO_PSRAD:
		for (unsigned i = 0; i < n / 4; i++) {
			if (op == IO_PSRAD)
				d->sd[i] = d->sd[i] >> (cnt > 31 ? 31 : cnt);
			else if (cnt > 31)
				d->d[i] = 0;
			else
				d->d[i] = op == IO_PSRLD ? d->d[i] >> cnt : d->d[i] << cnt;
		}
		break;
	case IO_PSRLQ: case IO_PSLLQ:
		for (unsigned i = 0; i < n / 8; i++)
			d->q[i] = cnt > 63 ? 0 : op == IO_PSRLQ ? d->q[i] >> cnt : d->q[i] << cnt;
		break;
	case IO_PSRLDQ: case IO_PSLLDQ: {
		union xmm t = { .q = { 0, 0 } };
		unsigned c = cnt > 16 ? 16 : (unsigned)cnt;
		for (unsigned i = 0; i < 16; i++) {
			if (op == IO_PSRLDQ && i + c < 16)
				t.b[i] = d->b[i + c];
			if (op == IO_PSLLDQ && i >= c)
				t.b[i] = d->b[i - c];
		}
		*d = t;
		break;
	}
	}
}

void int_op(unsigned op, union xmm *d, const union xmm *s, unsigned n)
{
	union xmm r = *d, a = *d;
	unsigned nb = n, nw = n / 2, nd = n / 4, nq = n / 8;

	switch (op) {
	case IO_PADDB: for (unsigned i = 0; i < nb; i++) r.b[i] = (uint8_t)(a.b[i] + s->b[i]); break;
	case IO_PADDW: for (unsigned i = 0; i < nw; i++) r.w[i] = (uint16_t)(a.w[i] + s->w[i]); break;
	case IO_PADDD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.d[i] + s->d[i]; break;
	case IO_PADDQ: for (unsigned i = 0; i < nq; i++) r.q[i] = a.q[i] + s->q[i]; break;
	case IO_PSUBB: for (unsigned i = 0; i < nb; i++) r.b[i] = (uint8_t)(a.b[i] - s->b[i]); break;
	case IO_PSUBW: for (unsigned i = 0; i < nw; i++) r.w[i] = (uint16_t)(a.w[i] - s->w[i]); break;
	case IO_PSUBD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.d[i] - s->d[i]; break;
	case IO_PSUBQ: for (unsigned i = 0; i < nq; i++) r.q[i] = a.q[i] - s->q[i]; break;
	case IO_PADDSB: for (unsigned i = 0; i < nb; i++) r.sb[i] = sat8(a.sb[i] + s->sb[i]); break;
	case IO_PADDSW: for (unsigned i = 0; i < nw; i++) r.sw[i] = sat16(a.sw[i] + s->sw[i]); break;
	case IO_PADDUSB: for (unsigned i = 0; i < nb; i++) r.b[i] = usat8(a.b[i] + s->b[i]); break;
	case IO_PADDUSW: for (unsigned i = 0; i < nw; i++) r.w[i] = usat16(a.w[i] + s->w[i]); break;
	case IO_PSUBSB: for (unsigned i = 0; i < nb; i++) r.sb[i] = sat8(a.sb[i] - s->sb[i]); break;
	case IO_PSUBSW: for (unsigned i = 0; i < nw; i++) r.sw[i] = sat16(a.sw[i] - s->sw[i]); break;
	case IO_PSUBUSB: for (unsigned i = 0; i < nb; i++) r.b[i] = usat8(a.b[i] - s->b[i]); break;
	case IO_PSUBUSW: for (unsigned i = 0; i < nw; i++) r.w[i] = usat16(a.w[i] - s->w[i]); break;
	case IO_PMULLW: for (unsigned i = 0; i < nw; i++) r.w[i] = (uint16_t)(a.sw[i] * s->sw[i]); break;
	case IO_PMULHW:
		for (unsigned i = 0; i < nw; i++)
			r.w[i] = (uint16_t)((uint32_t)((int32_t)a.sw[i] * s->sw[i]) >> 16);
		break;
	case IO_PMULHUW:
		for (unsigned i = 0; i < nw; i++)
			r.w[i] = (uint16_t)(((uint32_t)a.w[i] * s->w[i]) >> 16);
		break;
	case IO_PMULUDQ: for (unsigned i = 0; i < nq; i++) r.q[i] = (uint64_t)a.d[2 * i] * s->d[2 * i]; break;
	case IO_PMULDQ:
		for (unsigned i = 0; i < nq; i++)
			r.sq[i] = (int64_t)a.sd[2 * i] * s->sd[2 * i];
		break;
	case IO_PMADDWD:
		/* 0x8000 * 0x8000 twice wraps to 0x80000000 (SDM PMADDWD) */
		for (unsigned i = 0; i < nd; i++)
			r.d[i] = (uint32_t)((int32_t)a.sw[2 * i] * s->sw[2 * i]) +
				 (uint32_t)((int32_t)a.sw[2 * i + 1] * s->sw[2 * i + 1]);
		break;
	case IO_PAVGB: for (unsigned i = 0; i < nb; i++) r.b[i] = (uint8_t)((a.b[i] + s->b[i] + 1) >> 1); break;
	case IO_PAVGW: for (unsigned i = 0; i < nw; i++) r.w[i] = (uint16_t)((a.w[i] + s->w[i] + 1) >> 1); break;
	case IO_PMINUB: for (unsigned i = 0; i < nb; i++) r.b[i] = a.b[i] < s->b[i] ? a.b[i] : s->b[i]; break;
	case IO_PMAXUB: for (unsigned i = 0; i < nb; i++) r.b[i] = a.b[i] > s->b[i] ? a.b[i] : s->b[i]; break;
	case IO_PMINSW: for (unsigned i = 0; i < nw; i++) r.sw[i] = a.sw[i] < s->sw[i] ? a.sw[i] : s->sw[i]; break;
	case IO_PMAXSW: for (unsigned i = 0; i < nw; i++) r.sw[i] = a.sw[i] > s->sw[i] ? a.sw[i] : s->sw[i]; break;
	case IO_PMINSB: for (unsigned i = 0; i < nb; i++) r.sb[i] = a.sb[i] < s->sb[i] ? a.sb[i] : s->sb[i]; break;
	case IO_PMAXSB: for (unsigned i = 0; i < nb; i++) r.sb[i] = a.sb[i] > s->sb[i] ? a.sb[i] : s->sb[i]; break;
	case IO_PMINUW: for (unsigned i = 0; i < nw; i++) r.w[i] = a.w[i] < s->w[i] ? a.w[i] : s->w[i]; break;
	case IO_PMAXUW: for (unsigned i = 0; i < nw; i++) r.w[i] = a.w[i] > s->w[i] ? a.w[i] : s->w[i]; break;
	case IO_PMINSD: for (unsigned i = 0; i < nd; i++) r.sd[i] = a.sd[i] < s->sd[i] ? a.sd[i] : s->sd[i]; break;
	case IO_PMAXSD: for (unsigned i = 0; i < nd; i++) r.sd[i] = a.sd[i] > s->sd[i] ? a.sd[i] : s->sd[i]; break;
	case IO_PMINUD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.d[i] < s->d[i] ? a.d[i] : s->d[i]; break;
	case IO_PMAXUD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.d[i] > s->d[i] ? a.d[i] : s->d[i]; break;
	case IO_PMULLD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.d[i] * s->d[i]; break;
	case IO_PSADBW:
		for (unsigned i = 0; i < nq; i++) {
			unsigned sum = 0;
			for (unsigned j = 0; j < 8; j++) {
				int x = a.b[8 * i + j] - s->b[8 * i + j];
				sum += (unsigned)(x < 0 ? -x : x);
			}
			r.q[i] = sum;
		}
		break;
	case IO_PAND: for (unsigned i = 0; i < nq; i++) r.q[i] = a.q[i] & s->q[i]; break;
	case IO_PANDN: for (unsigned i = 0; i < nq; i++) r.q[i] = ~a.q[i] & s->q[i]; break;
	case IO_POR: for (unsigned i = 0; i < nq; i++) r.q[i] = a.q[i] | s->q[i]; break;
	case IO_PXOR: for (unsigned i = 0; i < nq; i++) r.q[i] = a.q[i] ^ s->q[i]; break;
	case IO_PCMPEQB: for (unsigned i = 0; i < nb; i++) r.b[i] = a.b[i] == s->b[i] ? 0xff : 0; break;
	case IO_PCMPEQW: for (unsigned i = 0; i < nw; i++) r.w[i] = a.w[i] == s->w[i] ? 0xffff : 0; break;
	case IO_PCMPEQD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.d[i] == s->d[i] ? ~0u : 0; break;
	case IO_PCMPEQQ: for (unsigned i = 0; i < nq; i++) r.q[i] = a.q[i] == s->q[i] ? ~0ull : 0; break;
	case IO_PCMPGTB: for (unsigned i = 0; i < nb; i++) r.b[i] = a.sb[i] > s->sb[i] ? 0xff : 0; break;
	case IO_PCMPGTW: for (unsigned i = 0; i < nw; i++) r.w[i] = a.sw[i] > s->sw[i] ? 0xffff : 0; break;
	case IO_PCMPGTD: for (unsigned i = 0; i < nd; i++) r.d[i] = a.sd[i] > s->sd[i] ? ~0u : 0; break;
	case IO_PCMPGTQ: for (unsigned i = 0; i < nq; i++) r.q[i] = a.sq[i] > s->sq[i] ? ~0ull : 0; break;
	/* unpacks interleave the low (or high) halves: element i of d, then element i of s */
	case IO_PUNPCKLBW: for (unsigned i = 0; i < nb / 2; i++) r.b[2 * i] = a.b[i], r.b[2 * i + 1] = s->b[i]; break;
	case IO_PUNPCKLWD: for (unsigned i = 0; i < nw / 2; i++) r.w[2 * i] = a.w[i], r.w[2 * i + 1] = s->w[i]; break;
	case IO_PUNPCKLDQ: for (unsigned i = 0; i < nd / 2; i++) r.d[2 * i] = a.d[i], r.d[2 * i + 1] = s->d[i]; break;
	case IO_PUNPCKLQDQ: r.q[0] = a.q[0], r.q[1] = s->q[0]; break;
	case IO_PUNPCKHBW:
		for (unsigned i = 0; i < nb / 2; i++) r.b[2 * i] = a.b[nb / 2 + i], r.b[2 * i + 1] = s->b[nb / 2 + i];
		break;
	case IO_PUNPCKHWD:
		for (unsigned i = 0; i < nw / 2; i++) r.w[2 * i] = a.w[nw / 2 + i], r.w[2 * i + 1] = s->w[nw / 2 + i];
		break;
	case IO_PUNPCKHDQ:
		for (unsigned i = 0; i < nd / 2; i++) r.d[2 * i] = a.d[nd / 2 + i], r.d[2 * i + 1] = s->d[nd / 2 + i];
		break;
	case IO_PUNPCKHQDQ: r.q[0] = a.q[1], r.q[1] = s->q[1]; break;
	/* packs: d's elements narrowed into the low half, s's into the high half */
	case IO_PACKSSWB:
		for (unsigned i = 0; i < nw; i++) r.sb[i] = sat8(a.sw[i]), r.sb[nw + i] = sat8(s->sw[i]);
		break;
	case IO_PACKUSWB:
		for (unsigned i = 0; i < nw; i++) r.b[i] = usat8(a.sw[i]), r.b[nw + i] = usat8(s->sw[i]);
		break;
	case IO_PACKSSDW:
		for (unsigned i = 0; i < nd; i++) r.sw[i] = sat16(a.sd[i]), r.sw[nd + i] = sat16(s->sd[i]);
		break;
	case IO_PACKUSDW:
		for (unsigned i = 0; i < nd; i++)
			r.w[i] = a.sd[i] < 0 ? 0 : a.sd[i] > 65535 ? 65535 : (uint16_t)a.sd[i],
			r.w[nd + i] = s->sd[i] < 0 ? 0 : s->sd[i] > 65535 ? 65535 : (uint16_t)s->sd[i];
		break;
	case IO_PSRLW: case IO_PSRLD: case IO_PSRLQ: case IO_PSRAW: case IO_PSRAD:
	case IO_PSLLW: case IO_PSLLD: case IO_PSLLQ:
		shift(op, &r, s->q[0], n);
		break;
	case IO_PSRLDQ: case IO_PSLLDQ:
		shift(op, &r, s->q[0], n);
		break;
	case IO_PSHUFB:
		for (unsigned i = 0; i < nb; i++)
			r.b[i] = (s->b[i] & 0x80) ? 0 : a.b[s->b[i] & (nb - 1)];
		break;
	case IO_PHADDW: case IO_PHSUBW: case IO_PHADDSW: case IO_PHSUBSW: {
		unsigned h = nw / 2;
		for (unsigned i = 0; i < h; i++) {
			int32_t x = op == IO_PHADDW || op == IO_PHADDSW ? a.sw[2 * i] + a.sw[2 * i + 1]
								       : a.sw[2 * i] - a.sw[2 * i + 1];
			int32_t y = op == IO_PHADDW || op == IO_PHADDSW ? s->sw[2 * i] + s->sw[2 * i + 1]
								       : s->sw[2 * i] - s->sw[2 * i + 1];
			bool sat = op == IO_PHADDSW || op == IO_PHSUBSW;
			r.w[i] = sat ? (uint16_t)sat16(x) : (uint16_t)x;
			r.w[h + i] = sat ? (uint16_t)sat16(y) : (uint16_t)y;
		}
		break;
	}
	case IO_PHADDD: case IO_PHSUBD: {
		unsigned h = nd / 2;
		for (unsigned i = 0; i < h; i++) {
			r.d[i] = op == IO_PHADDD ? a.d[2 * i] + a.d[2 * i + 1] : a.d[2 * i] - a.d[2 * i + 1];
			r.d[h + i] = op == IO_PHADDD ? s->d[2 * i] + s->d[2 * i + 1] : s->d[2 * i] - s->d[2 * i + 1];
		}
		break;
	}
	case IO_PMADDUBSW:
		for (unsigned i = 0; i < nw; i++)
			r.sw[i] = sat16(a.b[2 * i] * s->sb[2 * i] + a.b[2 * i + 1] * s->sb[2 * i + 1]);
		break;
	case IO_PMULHRSW:
		for (unsigned i = 0; i < nw; i++)
			r.w[i] = (uint16_t)(((((int32_t)a.sw[i] * s->sw[i]) >> 14) + 1) >> 1);
		break;
	case IO_PSIGNB:
		for (unsigned i = 0; i < nb; i++)
			r.b[i] = s->sb[i] < 0 ? (uint8_t)-a.b[i] : s->sb[i] ? a.b[i] : 0;
		break;
	case IO_PSIGNW:
		for (unsigned i = 0; i < nw; i++)
			r.w[i] = s->sw[i] < 0 ? (uint16_t)-a.w[i] : s->sw[i] ? a.w[i] : 0;
		break;
	case IO_PSIGND:
		for (unsigned i = 0; i < nd; i++)
			r.d[i] = s->sd[i] < 0 ? -a.d[i] : s->sd[i] ? a.d[i] : 0;
		break;
	case IO_PABSB: for (unsigned i = 0; i < nb; i++) r.b[i] = (uint8_t)(s->sb[i] < 0 ? -s->sb[i] : s->sb[i]); break;
	case IO_PABSW: for (unsigned i = 0; i < nw; i++) r.w[i] = (uint16_t)(s->sw[i] < 0 ? -s->sw[i] : s->sw[i]); break;
	case IO_PABSD: for (unsigned i = 0; i < nd; i++) r.d[i] = s->sd[i] < 0 ? -s->d[i] : s->d[i]; break;
	case IO_PHMINPOSUW: {
		unsigned idx = 0;
		for (unsigned i = 1; i < 8; i++)
			if (s->w[i] < s->w[idx])
				idx = i;
		r.q[0] = s->w[idx] | (uint64_t)idx << 16;
		r.q[1] = 0;
		break;
	}
	}
	memcpy(d, &r, n);
}
