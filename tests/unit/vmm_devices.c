// SPDX-License-Identifier: GPL-2.0-only
// The VMM's devices driven directly through their port handlers: 16550A interrupt
// identification and FIFO, the IRQ line, CMOS, i8042 reset, PCI conf1, fw_cfg, the ACPI PM
// block; and the command-line size parser and the console's Ctrl-A filter.
#include <string.h>

#include "tap.h"
#include "vmm/vmm.h"

static int irq_level[16], irq_edges;
static void sink_set(void *o, unsigned irq, int level)
{
	if (level && !irq_level[irq])
		irq_edges++;
	irq_level[irq] = level;
}

static char txbuf[64];
static size_t txlen;
static void tx(void *o, uint8_t c)
{
	if (txlen < sizeof(txbuf))
		txbuf[txlen++] = (char)c;
}

static int resets;
static void reset_cb(void *o) { resets++; }

static uint8_t rd(struct serial *s, int reg) { return (uint8_t)serial_read(s, (uint16_t)(0x3f8 + reg), 1); }
static void wr(struct serial *s, int reg, uint8_t v) { serial_write(s, (uint16_t)(0x3f8 + reg), 1, v); }

static void test_serial(void)
{
	struct serial s;
	struct irq_sink sink = { sink_set, NULL };
	uint8_t in[20];

	serial_init(&s, 4, sink, tx, NULL);
	is(rd(&s, 2), 0x01, "IIR at reset: no interrupt, no FIFO");
	is(rd(&s, 5), 0x60, "LSR at reset: THRE | TEMT");
	is(rd(&s, 6), 0xb0, "MSR: DCD DSR CTS");
	wr(&s, 0, 'h');
	wr(&s, 0, 'i');
	is(txlen, 2, "THR writes are transmitted");
	ok(!memcmp(txbuf, "hi", 2), "the bytes");
	wr(&s, 3, 0x80);
	wr(&s, 0, 0x01);
	wr(&s, 1, 0x00);
	is(rd(&s, 0), 0x01, "DLAB: DLL");
	is(txlen, 2, "DLL write is not transmitted");
	wr(&s, 3, 0x03);
	wr(&s, 4, 0x08);		/* OUT2: the IRQ reaches the PIC */
	wr(&s, 1, 0x02);		/* THRE interrupt on */
	is(rd(&s, 2) & 0x0f, 0x02, "enabling ETBEI with THR empty: IIR reports THRE");
	is(irq_level[4], 0, "the IIR read cleared THRE, line low");
	is(rd(&s, 2) & 0x0f, 0x01, "IIR: nothing pending");
	wr(&s, 0, 'x');
	is(irq_level[4], 1, "after a THR write THRE is pending again: line high");
	wr(&s, 1, 0x00);
	is(irq_level[4], 0, "IER 0: line low");

	wr(&s, 2, 0x81);		/* FIFO on, trigger level 8 */
	wr(&s, 1, 0x01);		/* receive interrupt on */
	is(rd(&s, 2), 0xc1, "FIFO enabled: IIR bits 7:6 set");
	for (int i = 0; i < 20; i++)
		in[i] = (uint8_t)('a' + i);
	is(serial_receive(&s, in, 5), 5, "five bytes received");
	is(rd(&s, 2), 0xcc, "below the trigger level: character timeout (0x0c)");
	is(irq_level[4], 1, "receive interrupt raises IRQ 4");
	is(serial_receive(&s, in + 5, 15), 11, "the FIFO holds 16");
	is(rd(&s, 2), 0xc4, "at the trigger level: received data available");
	is(rd(&s, 5), 0x61, "LSR: DR | THRE | TEMT");
	for (int i = 0; i < 16; i++)
		if (rd(&s, 0) != 'a' + i)
			break;
	is(rd(&s, 5), 0x60, "all 16 read in order, DR clear");
	is(irq_level[4], 0, "FIFO empty: line low");
	wr(&s, 4, 0x18);		/* loopback + OUT2 */
	wr(&s, 0, 'Z');
	is(rd(&s, 0), 'Z', "loopback: THR comes back on RBR");
	is(rd(&s, 6) & 0xf0, 0x80, "loopback: OUT2 -> DCD");
	serial_receive(&s, in, 1);
	is(rd(&s, 5) & 1, 0, "loopback: the outside is not heard");
	wr(&s, 4, 0x00);
	wr(&s, 7, 0xa5);
	is(rd(&s, 7), 0xa5, "scratch register");
	serial_receive(&s, in, 1);
	is(irq_level[4], 0, "without OUT2 the line stays low");
	is(rd(&s, 2), 0xcc, "but IIR still reports the data");
}

static uint8_t cmos(struct rtc *r, uint8_t i)
{
	rtc_write(r, 0x70, 1, i);
	return (uint8_t)rtc_read(r, 0x71, 1);
}

static void test_rtc(void)
{
	struct rtc r;
	uint8_t y;

	rtc_init(&r, 256 * MiB);
	is(cmos(&r, 0x0a), 0x26, "status A: divider, no UIP");
	is(cmos(&r, 0x0b), 0x02, "status B: 24-hour, BCD");
	is(cmos(&r, 0x0d), 0x80, "status D: VRT");
	is(cmos(&r, 0x15) | cmos(&r, 0x16) << 8, 640, "base memory 640 KiB");
	is(cmos(&r, 0x17) | cmos(&r, 0x18) << 8, 0xfc00, "extended memory capped at 63 MiB");
	is(cmos(&r, 0x34) | cmos(&r, 0x35) << 8, (256 - 16) * 16, "memory above 16 MiB in 64 KiB units");
	y = cmos(&r, 0x09);
	ok((y & 0x0f) < 10 && (y >> 4) < 10, "year is BCD");
	rtc_write(&r, 0x70, 1, 0x80 | 0x32);
	ok(r.nmi_disabled, "bit 7 of port 0x70 masks NMI");
	is(rtc_read(&r, 0x71, 1), 0x20, "century 20 (index without the NMI bit)");
	/* set the clock to 1999-12-31 23:59:58 and read it back in binary mode */
	rtc_write(&r, 0x70, 1, 0x0b);
	rtc_write(&r, 0x71, 1, 0x82);	/* SET */
	rtc_write(&r, 0x70, 1, 0x09); rtc_write(&r, 0x71, 1, 0x99);
	rtc_write(&r, 0x70, 1, 0x32); rtc_write(&r, 0x71, 1, 0x19);
	rtc_write(&r, 0x70, 1, 0x08); rtc_write(&r, 0x71, 1, 0x12);
	rtc_write(&r, 0x70, 1, 0x07); rtc_write(&r, 0x71, 1, 0x31);
	rtc_write(&r, 0x70, 1, 0x04); rtc_write(&r, 0x71, 1, 0x23);
	rtc_write(&r, 0x70, 1, 0x02); rtc_write(&r, 0x71, 1, 0x59);
	rtc_write(&r, 0x70, 1, 0x00); rtc_write(&r, 0x71, 1, 0x58);
	rtc_write(&r, 0x70, 1, 0x0b);
	rtc_write(&r, 0x71, 1, 0x02);	/* run */
	ok(cmos(&r, 0x32) == 0x19 || cmos(&r, 0x32) == 0x20, "the guest's time runs from what it set");
	ok(r.offset < -700000000, "offset to host time kept (%lld s)", (long long)r.offset);
}

static void test_i8042_pci(void)
{
	struct i8042 k;
	struct pci p;
	struct irq_sink sink = { sink_set, NULL };

	i8042_init(&k, sink, reset_cb, NULL);
	i8042_write(&k, 0x64, 1, 0xaa);
	is(i8042_read(&k, 0x64, 1) & 1, 1, "self-test: output buffer full");
	is(irq_level[1], 1, "IRQ 1 raised for the reply");
	is(i8042_read(&k, 0x60, 1), 0x55, "self-test passed");
	is(irq_level[1], 0, "IRQ 1 lowered");
	i8042_write(&k, 0x64, 1, 0xd0);
	is(i8042_read(&k, 0x60, 1), 0x03, "output port: reset high, A20 on");
	i8042_write(&k, 0x64, 1, 0xdd);
	i8042_write(&k, 0x64, 1, 0xd0);
	is(i8042_read(&k, 0x60, 1), 0x01, "0xDD: A20 off");
	is(resets, 0, "no reset yet");
	i8042_write(&k, 0x64, 1, 0xfe);
	is(resets, 1, "0xFE pulses the reset line");
	i8042_write(&k, 0x64, 1, 0xd1);
	i8042_write(&k, 0x60, 1, 0x02);
	is(resets, 2, "writing output port bit 0 = 0 resets");

	pci_init(&p, reset_cb, NULL);
	pci_write(&p, 0xcf8, 4, 0x80000000);
	is(pci_read(&p, 0xcf8, 4), 0x80000000, "CONFIG_ADDRESS reads back");
	is(pci_read(&p, 0xcfc, 4), 0x12378086, "00:00.0: 8086:1237");
	is(pci_read(&p, 0xcfe, 2), 0x1237, "device ID with a word read at 0xcfe");
	pci_write(&p, 0xcf8, 4, 0x80000008);
	is(pci_read(&p, 0xcfc, 4), 0x06000002, "class host bridge, revision 2");
	pci_write(&p, 0xcf8, 4, 0x80000100);
	is(pci_read(&p, 0xcfc, 4), 0xffffffff, "00:00.1: nothing");
	pci_write(&p, 0xcf8, 4, 0x00000000);
	is(pci_read(&p, 0xcfc, 4), 0xffffffff, "enable bit clear: nothing");
	pci_write(&p, 0xcf9, 1, 0x02);
	is(resets, 2, "0xCF9 without RST_CPU: no reset");
	pci_write(&p, 0xcf9, 1, 0x06);
	is(resets, 3, "0xCF9 = 6: reset");
}

static void test_fw_cfg(void)
{
	struct fw_cfg f;
	uint8_t b[8];

	fw_cfg_init(&f);
	fw_cfg_add(&f, 0, "QEMU", 4);
	fw_cfg_add_u16(&f, 5, 3);
	fw_cfg_add_file(&f, "etc/a", "xyz", 3);
	fw_cfg_add_file(&f, "etc/b", "", 0);
	fw_cfg_finish(&f);
	fw_cfg_write(&f, 0x510, 2, 0);
	for (int i = 0; i < 5; i++)
		b[i] = (uint8_t)fw_cfg_read(&f, 0x511, 1);
	ok(!memcmp(b, "QEMU\0", 5), "signature, then 0 past the end");
	fw_cfg_write(&f, 0x510, 2, 5);
	is(fw_cfg_read(&f, 0x511, 1) | fw_cfg_read(&f, 0x511, 1) << 8, 3, "NB_CPUS little-endian");
	fw_cfg_write(&f, 0x510, 2, 0x19);
	is(fw_cfg_read(&f, 0x511, 4), 0x02000000, "file count 2, big-endian");
	is(fw_cfg_read(&f, 0x511, 4), 0x03000000, "first file size 3, big-endian");
	is(fw_cfg_read(&f, 0x511, 2), 0x2000, "first file select 0x0020, big-endian");
	fw_cfg_write(&f, 0x510, 2, 0x20);
	is(fw_cfg_read(&f, 0x511, 1), 'x', "file contents by its key");
	fw_cfg_write(&f, 0x510, 2, 0x20);
	is(fw_cfg_read(&f, 0x511, 1), 'x', "a selector write restarts the item");
	fw_cfg_write(&f, 0x510, 2, 0x1234);
	is(fw_cfg_read(&f, 0x511, 1), 0, "unknown key reads 0");
	fw_cfg_free(&f);
}

static void test_parse(void)
{
	uint64_t v;

	is(vmm_parse_size("256", &v), 0, "bare number");
	is(v, 256 * MiB, "bare number is MiB");
	vmm_parse_size("1G", &v);
	is(v, GiB, "1G");
	vmm_parse_size("512k", &v);
	is(v, 512 * 1024, "512k");
	vmm_parse_size("2MiB", &v);
	is(v, 2 * MiB, "2MiB");
	vmm_parse_size("3GB", &v);
	is(v, 3 * GiB, "3GB");
	is(vmm_parse_size("", &v), -1, "empty");
	is(vmm_parse_size("-1", &v), -1, "negative");
	is(vmm_parse_size("1X", &v), -1, "bad suffix");
	is(vmm_parse_size("1Gx", &v), -1, "junk after the suffix");
	is(vmm_parse_size("99999999999999999999", &v), -1, "overflow");
	is(vmm_parse_size("17179869184T", &v), -1, "overflow after the shift");
}

static void test_console_filter(void)
{
	struct console c;
	uint8_t out[16];
	bool quit;
	size_t n;

	memset(&c, 0, sizeof(c));
	n = console_filter(&c, (const uint8_t *)"a\001\001b\001z", 6, out, &quit);
	is(n, 3, "a, ^A, b pass; ^A z is dropped");
	ok(!memcmp(out, "a\001b", 3), "  the bytes");
	ok(!quit, "no quit");
	n = console_filter(&c, (const uint8_t *)"q\001", 2, out, &quit);
	is(n, 1, "escape pending at the end of a read");
	n = console_filter(&c, (const uint8_t *)"xyz", 3, out, &quit);
	ok(quit, "Ctrl-A split across reads, then x: quit");
	is(n, 0, "nothing sent after the quit key");
}

int main(void)
{
	test_serial();
	test_rtc();
	test_i8042_pci();
	test_fw_cfg();
	test_parse();
	test_console_filter();
	return tap_done();
}
