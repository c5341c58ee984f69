// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: ACPI tables (RSDP, RSDT, XSDT, FADT, FACS, DSDT with _S5, MADT) and an MP table.
//
// Sources of truth: ACPI Specification 6.4 chapter 5 (table layouts: 5.2.5 RSDP, 5.2.9
// FADT, 5.2.10 FACS, 5.2.12 MADT, 5.2.3.2 GAS), chapter 20 for the AML of the DSDT, and the
// Intel MultiProcessor Specification 1.4 chapter 4 for the MP table.
#include <string.h>

#include "vmm/vmm.h"

#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR 0xfee00000u
#define SCI_IRQ 9

/* offsets of the tables inside ACPI_BASE's 64 KiB */
#define RSDP_OFF 0x000
#define RSDT_OFF 0x040
#define XSDT_OFF 0x080
#define FACS_OFF 0x100	/* 64-byte aligned (5.2.10) */
#define DSDT_OFF 0x140
#define FADT_OFF 0x200
#define MADT_OFF 0x400

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return (uint8_t)-s;
}

static void w8(uint8_t *p, unsigned off, uint8_t v) { p[off] = v; }
static void w16(uint8_t *p, unsigned off, uint16_t v) { memcpy(p + off, &v, 2); }
static void w32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }
static void w64(uint8_t *p, unsigned off, uint64_t v) { memcpy(p + off, &v, 8); }

/* The 36-byte System Description Table Header (5.2.6); the checksum is set last. */
static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	w32(t, 4, len);
	w8(t, 8, rev);
	memcpy(t + 10, "SWKVM ", 6);		/* OEMID */
	memcpy(t + 16, "SWKVMVMM", 8);		/* OEM table ID */
	w32(t, 24, 1);				/* OEM revision */
	memcpy(t + 28, "SWKV", 4);		/* creator ID */
	w32(t, 32, 1);				/* creator revision */
}

static void sdt_sum(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = acpi_checksum(t, len);
}

/* Generic Address Structure, system I/O space (5.2.3.2) */
static void gas_io(uint8_t *p, unsigned off, uint8_t bits, uint8_t access, uint16_t port)
{
	w8(p, off, 1);		/* system I/O */
	w8(p, off + 1, bits);
	w8(p, off + 2, 0);
	w8(p, off + 3, access);	/* 1 byte, 2 word, 3 dword */
	w64(p, off + 4, port);
}

/*
 * DSDT body: Name (_S5, Package (4) { 5, 5, 0, 0 }). The first two elements are the
 * SLP_TYPa/SLP_TYPb values the OS writes to PM1_CNT with SLP_EN to enter S5 (7.4.2);
 * legacy.c powers off on SLP_TYP == PM_SLP_TYP_S5.
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',	/* NameOp "_S5_" */
	0x12, 0x08, 0x04,		/* PackageOp, PkgLength 8, NumElements 4 */
	0x0a, PM_SLP_TYP_S5,		/* BytePrefix 5 */
	0x0a, PM_SLP_TYP_S5,
	0x00, 0x00,			/* Zero, Zero */
};

uint64_t acpi_build(const struct guest_mem *gm, unsigned cpus)
{
	uint8_t *base = gm_ptr(gm, ACPI_BASE, 0x10000);
	uint8_t *rsdp = base + RSDP_OFF, *rsdt = base + RSDT_OFF, *xsdt = base + XSDT_OFF;
	uint8_t *facs = base + FACS_OFF, *dsdt = base + DSDT_OFF, *fadt = base + FADT_OFF;
	uint8_t *madt = base + MADT_OFF, *e;
	uint32_t madt_len;

	memset(base, 0, 0x10000);

	/* FACS (5.2.10): no checksum */
	memcpy(facs, "FACS", 4);
	w32(facs, 4, 64);
	w8(facs, 32, 2);	/* version */

	sdt_header(dsdt, "DSDT", 36 + sizeof(dsdt_aml), 2);
	memcpy(dsdt + 36, dsdt_aml, sizeof(dsdt_aml));
	sdt_sum(dsdt);

	/* FADT, revision 3 layout (244 bytes, 5.2.9) */
	sdt_header(fadt, "FACP", 244, 3);
	w32(fadt, 36, ACPI_BASE + FACS_OFF);		/* FIRMWARE_CTRL */
	w32(fadt, 40, ACPI_BASE + DSDT_OFF);		/* DSDT */
	w16(fadt, 46, SCI_IRQ);				/* SCI_INT */
	w32(fadt, 48, 0);	/* SMI_CMD 0: no SMM hand-over, the system is in ACPI mode */
	w32(fadt, 56, PM_BASE);				/* PM1a_EVT_BLK */
	w32(fadt, 64, PM_BASE + 4);			/* PM1a_CNT_BLK */
	w32(fadt, 76, PM_BASE + 8);			/* PM_TMR_BLK */
	w8(fadt, 88, 4);				/* PM1_EVT_LEN */
	w8(fadt, 89, 2);				/* PM1_CNT_LEN */
	w8(fadt, 91, 4);				/* PM_TMR_LEN */
	w16(fadt, 96, 101);	/* P_LVL2_LAT > 100: C2 not supported */
	w16(fadt, 98, 1001);	/* P_LVL3_LAT > 1000: C3 not supported */
	w8(fadt, 108, 0x32);				/* CENTURY: CMOS register */
	/* IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042 | VGA Not Present */
	w16(fadt, 109, (1 << 0) | (1 << 1) | (1 << 2));
	/* Flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON absent, RESET_REG_SUP */
	w32(fadt, 112, (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 10));
	gas_io(fadt, 116, 8, 1, 0xcf9);			/* RESET_REG: the PCI reset control */
	w8(fadt, 128, 0x06);				/* RESET_VALUE: full reset */
	w64(fadt, 140, ACPI_BASE + DSDT_OFF);		/* X_DSDT */
	gas_io(fadt, 148, 32, 2, PM_BASE);		/* X_PM1a_EVT_BLK */
	gas_io(fadt, 172, 16, 2, PM_BASE + 4);		/* X_PM1a_CNT_BLK */
	gas_io(fadt, 208, 32, 3, PM_BASE + 8);		/* X_PM_TMR_BLK */
	sdt_sum(fadt);

	/* MADT (5.2.12) */
	sdt_header(madt, "APIC", 0, 3);
	w32(madt, 36, LAPIC_ADDR);
	w32(madt, 40, 1);			/* PCAT_COMPAT: dual 8259s present */
	e = madt + 44;
	for (unsigned i = 0; i < cpus; i++, e += 8) {
		e[0] = 0;			/* Processor Local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;		/* ACPI processor UID */
		e[3] = (uint8_t)i;		/* APIC ID */
		w32(e, 4, 1);			/* enabled */
	}
	e[0] = 1;				/* I/O APIC */
	e[1] = 12;
	e[2] = 0;				/* ID: the register's reset value */
	w32(e, 4, IOAPIC_ADDR);
	w32(e, 8, 0);				/* GSI base */
	e += 12;
	e[0] = 2;				/* Interrupt Source Override: IRQ0 -> GSI 2 */
	e[1] = 10;
	e[2] = 0;
	e[3] = 0;
	w32(e, 4, 2);
	w16(e, 8, 0);				/* bus conformant */
	e += 10;
	e[0] = 2;				/* the SCI: level-triggered, active high */
	e[1] = 10;
	e[2] = 0;
	e[3] = SCI_IRQ;
	w32(e, 4, SCI_IRQ);
	w16(e, 8, 0x000d);			/* polarity 01 high, trigger 11 level */
	e += 10;
	e[0] = 4;				/* Local APIC NMI: all processors, LINT1 */
	e[1] = 6;
	e[2] = 0xff;
	w16(e, 3, 0);
	e[5] = 1;
	e += 6;
	madt_len = (uint32_t)(e - madt);
	w32(madt, 4, madt_len);
	sdt_sum(madt);

	sdt_header(rsdt, "RSDT", 36 + 2 * 4, 1);
	w32(rsdt, 36, ACPI_BASE + FADT_OFF);
	w32(rsdt, 40, ACPI_BASE + MADT_OFF);
	sdt_sum(rsdt);
	sdt_header(xsdt, "XSDT", 36 + 2 * 8, 1);
	w64(xsdt, 36, ACPI_BASE + FADT_OFF);
	w64(xsdt, 44, ACPI_BASE + MADT_OFF);
	sdt_sum(xsdt);

	/* RSDP (5.2.5.3), revision 2 */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "SWKVM ", 6);
	w8(rsdp, 15, 2);
	w32(rsdp, 16, ACPI_BASE + RSDT_OFF);
	w32(rsdp, 20, 36);
	w64(rsdp, 24, ACPI_BASE + XSDT_OFF);
	rsdp[8] = acpi_checksum(rsdp, 20);
	rsdp[32] = acpi_checksum(rsdp, 36);
	return ACPI_BASE + RSDP_OFF;
}

/* MP Specification 1.4, chapter 4: floating pointer, configuration table, entries */
void mptable_build(const struct guest_mem *gm, unsigned cpus)
{
	uint8_t *fp = gm_ptr(gm, MPTABLE_BASE, 0x1000), *ct = fp + 16, *e;
	uint16_t count = 0;

	memset(fp, 0, 0x1000);
	memcpy(ct, "PCMP", 4);
	w8(ct, 6, 4);				/* spec revision 1.4 */
	memcpy(ct + 8, "SWKVM   ", 8);
	memcpy(ct + 16, "SWKVM VMM   ", 12);
	w32(ct, 36, LAPIC_ADDR);
	e = ct + 44;
	for (unsigned i = 0; i < cpus; i++, e += 20, count++) {
		e[0] = 0;			/* processor */
		e[1] = (uint8_t)i;		/* local APIC ID */
		e[2] = 0x14;			/* local APIC version */
		e[3] = 1 | (i == 0 ? 2 : 0);	/* EN, BP */
		w32(e, 4, 0x600);		/* family 6 */
		w32(e, 8, (1 << 0) | (1 << 9));	/* FPU, APIC */
	}
	e[0] = 1;				/* bus 0: ISA */
	e[1] = 0;
	memcpy(e + 2, "ISA   ", 6);
	e += 8, count++;
	e[0] = 2;				/* I/O APIC */
	e[1] = 0;
	e[2] = 0x11;
	e[3] = 1;				/* EN */
	w32(e, 4, IOAPIC_ADDR);
	e += 8, count++;
	/* I/O interrupt assignments: ExtINT on pin 0, ISA IRQ n on pin n, IRQ0 on pin 2 */
	for (int irq = -1; irq < 16; irq++, e += 8, count++) {
		e[0] = 3;
		e[1] = irq < 0 ? 3 : 0;		/* ExtINT or INT */
		w16(e, 2, 0);			/* conforms to the bus */
		e[4] = 0;			/* source bus */
		e[5] = irq < 0 ? 0 : (uint8_t)irq;
		e[6] = 0;			/* I/O APIC ID */
		e[7] = irq < 0 ? 0 : irq == 0 ? 2 : (uint8_t)irq;
		if (irq == 2) {			/* the cascade has no pin of its own */
			e -= 8, count--;
		}
	}
	for (int lint = 0; lint < 2; lint++, e += 8, count++) {
		e[0] = 4;			/* local interrupt */
		e[1] = lint ? 1 : 3;		/* NMI on LINT1, ExtINT on LINT0 */
		w16(e, 2, 0);
		e[4] = 0;
		e[5] = 0;
		e[6] = 0xff;			/* all local APICs */
		e[7] = (uint8_t)lint;
	}
	w16(ct, 4, (uint16_t)(e - ct));		/* base table length */
	w16(ct, 34, count);
	ct[7] = acpi_checksum(ct, (size_t)(e - ct));

	memcpy(fp, "_MP_", 4);
	w32(fp, 4, MPTABLE_BASE + 16);
	w8(fp, 8, 1);				/* length in 16-byte units */
	w8(fp, 9, 4);				/* spec revision */
	fp[10] = acpi_checksum(fp, 16);
}
