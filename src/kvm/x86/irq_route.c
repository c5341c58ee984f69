// SPDX-License-Identifier: GPL-2.0-only
// GSI routing (virt/kvm/irqchip.c, arch/x86/kvm/irq_comm.c): the table, kvm_set_irq(),
// KVM_SET_GSI_ROUTING, KVM_IRQ_LINE(_STATUS) and KVM_SIGNAL_MSI.
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/uaccess.h"
#include "kvm/x86/i8254.h"
#include "kvm/x86/i8259.h"
#include "kvm/x86/ioapic.h"
#include "kvm/x86/irq.h"
#include "kvm/x86/x86.h"

#define PIC_NUM_PINS 16

struct route {
	uint32_t gsi, type;
	union {
		struct { uint32_t irqchip, pin; } irqchip;
		struct { uint32_t address_lo, address_hi, data; } msi;
	};
};

struct kvm_irq_routing_table {
	uint32_t nr_gsi;	/* highest GSI + 1 */
	int *start;		/* entries of GSI g are e[start[g] .. start[g+1]) */
	int nr;
	struct route e[];
};

static int route_cmp(const void *a, const void *b)
{
	const struct route *x = a, *y = b;

	return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

static void free_table(struct kvm_irq_routing_table *t)
{
	if (t) {
		free(t->start);
		free(t);
	}
}

/* Validates and builds a table (setup_routing_entry + kvm_set_routing_entry). */
static int build_table(const struct kvm_irq_routing_entry *ue, uint32_t nr,
		       struct kvm_irq_routing_table **out)
{
	struct kvm_irq_routing_table *t;
	uint32_t max_gsi = 0;

	t = calloc(1, sizeof(*t) + (size_t)nr * sizeof(t->e[0]));
	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		struct route *r = &t->e[i];

		/*
		 * kvm_set_irq_routing(): an MSI route may carry KVM_MSI_VALID_DEVID (the devid
		 * is ignored on x86); any other route no flag at all.
		 */
		if (ue[i].gsi >= KVM_MAX_IRQ_ROUTES ||
		    (ue[i].flags & ~(ue[i].type == KVM_IRQ_ROUTING_MSI ? KVM_MSI_VALID_DEVID : 0)))
			goto inval;
		r->gsi = ue[i].gsi;
		r->type = ue[i].type;
		switch (ue[i].type) {
		case KVM_IRQ_ROUTING_IRQCHIP:
			r->irqchip.irqchip = ue[i].u.irqchip.irqchip;
			r->irqchip.pin = ue[i].u.irqchip.pin;
			switch (r->irqchip.irqchip) {
			case KVM_IRQCHIP_PIC_SLAVE:
				r->irqchip.pin += 8;
				/* fall through */
			case KVM_IRQCHIP_PIC_MASTER:
				if (ue[i].u.irqchip.pin >= 8)
					goto inval;
				break;
			case KVM_IRQCHIP_IOAPIC:
				if (r->irqchip.pin >= KVM_IOAPIC_NUM_PINS)
					goto inval;
				break;
			default:
				goto inval;
			}
			break;
		case KVM_IRQ_ROUTING_MSI:
			r->msi.address_lo = ue[i].u.msi.address_lo;
			r->msi.address_hi = ue[i].u.msi.address_hi;
			r->msi.data = ue[i].u.msi.data;
			break;
		default:
			goto inval;
		}
		/*
		 * setup_routing_entry(): a GSI reaches each irqchip at most once, and a GSI
		 * with an MSI route has no other route.
		 */
		for (uint32_t j = 0; j < i; j++)
			if (t->e[j].gsi == r->gsi &&
			    (t->e[j].type != KVM_IRQ_ROUTING_IRQCHIP || r->type != KVM_IRQ_ROUTING_IRQCHIP ||
			     t->e[j].irqchip.irqchip == r->irqchip.irqchip))
				goto inval;
		if (r->gsi + 1 > max_gsi)
			max_gsi = r->gsi + 1;
	}
	/* stable grouping by GSI keeps the caller's order within a GSI */
	for (uint32_t i = 1; i < nr; i++)
		for (uint32_t j = i; j > 0 && route_cmp(&t->e[j - 1], &t->e[j]) > 0; j--) {
			struct route tmp = t->e[j];
			t->e[j] = t->e[j - 1];
			t->e[j - 1] = tmp;
		}
	t->nr = (int)nr;
	t->nr_gsi = max_gsi;
	t->start = calloc(max_gsi + 1, sizeof(int));
	if (!t->start)
		goto nomem;
	for (uint32_t g = 0, i = 0; g <= max_gsi; g++) {
		while (i < nr && t->e[i].gsi < g)
			i++;
		t->start[g] = (int)i;
	}
	*out = t;
	return 0;
inval:
	free_table(t);
	return -EINVAL;
nomem:
	free_table(t);
	return -ENOMEM;
}

static void publish(struct kvm *kvm, struct kvm_irq_routing_table *t)
{
	struct kvm_irq_routing_table *old;

	pthread_rwlock_wrlock(&kvm->irq_routing_lock);
	old = kvm->irq_routing;
	kvm->irq_routing = t;
	pthread_rwlock_unlock(&kvm->irq_routing_lock);
	free_table(old);
}

/* kvm_setup_default_irq_routing(): GSI 0-15 to the PICs and IOAPIC, 16-23 to the IOAPIC. */
int kvm_setup_default_irq_routing(struct kvm *kvm)
{
	struct kvm_irq_routing_entry e[16 * 2 + 8];
	struct kvm_irq_routing_table *t;
	int n = 0, r;

	memset(e, 0, sizeof(e));
	for (uint32_t gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16) {
			e[n].gsi = gsi;
			e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			e[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			e[n++].u.irqchip.pin = gsi % 8;
		}
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n++].u.irqchip.pin = gsi;
	}
	r = build_table(e, (uint32_t)n, &t);
	if (!r)
		publish(kvm, t);
	return r;
}

void kvm_free_irq_routing(struct kvm *kvm)
{
	free_table(kvm->irq_routing);
	kvm->irq_routing = NULL;
}

/*
 * kvm_set_msi_irq(): decode an MSI address/data pair (Intel SDM Vol.3 §12.11). Without
 * KVM_CAP_X2APIC_API the destination is address bits 19:12 only and the high address
 * word is ignored.
 */
static void msi_to_lapic_irq(uint32_t lo, uint32_t hi, uint32_t data, struct kvm_lapic_irq *irq)
{
	memset(irq, 0, sizeof(*irq));
	irq->dest_id = (lo >> 12) & 0xff;
	(void)hi;
	irq->vector = data & 0xff;
	irq->dest_mode = (lo & (1u << 2)) ? 0x800 : 0;
	irq->trig_mode = (data >> 15) & 1;
	irq->delivery_mode = data & 0x700;
	irq->msi_redir_hint = (lo & (1u << 3)) != 0;
	irq->level = true;
}

static int set_msi(struct kvm *kvm, uint32_t lo, uint32_t hi, uint32_t data, int level)
{
	struct kvm_lapic_irq irq;

	if (!level)
		return -1;
	msi_to_lapic_irq(lo, hi, data, &irq);
	return kvm_irq_delivery_to_apic(kvm, NULL, &irq);
}

int kvm_set_irq(struct kvm *kvm, int irq_source_id, uint32_t gsi, int level, bool line_status)
{
	struct kvm_irq_routing_table *t;
	int ret = -1;

	pthread_rwlock_rdlock(&kvm->irq_routing_lock);
	t = kvm->irq_routing;
	if (t && gsi < t->nr_gsi) {
		for (int i = t->start[gsi]; i < t->start[gsi + 1]; i++) {
			const struct route *e = &t->e[i];
			int r = -1;

			if (e->type == KVM_IRQ_ROUTING_IRQCHIP) {
				if (e->irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
					r = kvm->vioapic ? kvm_ioapic_set_irq(kvm->vioapic, (int)e->irqchip.pin,
									  irq_source_id, level, line_status) : -1;
				else
					r = kvm->vpic ? kvm_pic_set_irq(kvm->vpic, (int)e->irqchip.pin,
									irq_source_id, level) : -1;
			} else if (e->type == KVM_IRQ_ROUTING_MSI) {
				r = set_msi(kvm, e->msi.address_lo, e->msi.address_hi, e->msi.data, level);
			}
			/* the combined status of kvm_set_irq(): sum of non-negative results */
			if (r < 0)
				continue;
			ret = r + (ret < 0 ? 0 : ret);
		}
	}
	pthread_rwlock_unlock(&kvm->irq_routing_lock);
	return ret;
}

long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void *argp)
{
	struct kvm_irq_routing hdr;
	struct kvm_irq_routing *u = argp;
	struct kvm_irq_routing_entry *e;
	struct kvm_irq_routing_table *t;
	int r;

	/* kvm_vm_ioctl(): the header is read before kvm_arch_can_set_irq_routing() */
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (!irqchip_in_kernel(kvm))
		return -EINVAL;	/* needs the in-kernel irqchip */
	if (hdr.nr > KVM_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	e = calloc(hdr.nr ? hdr.nr : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (copy_from_user(e, u->entries, hdr.nr * sizeof(*e))) {
		free(e);
		return -EFAULT;
	}
	r = build_table(e, hdr.nr, &t);
	free(e);
	if (!r)
		publish(kvm, t);
	return r;
}

long kvm_vm_ioctl_irq_line(struct kvm *kvm, void *argp, bool status)
{
	struct kvm_irq_level ev;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	if (!irqchip_in_kernel(kvm))
		return -ENXIO;
	ev.status = kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, ev.irq, (int)ev.level, status);
	if (status && copy_to_user(argp, &ev, sizeof(ev)))
		return -EFAULT;
	return 0;
}

long kvm_vm_ioctl_signal_msi(struct kvm *kvm, void *argp)
{
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	/* kvm_send_userspace_msi() */
	if (!irqchip_in_kernel(kvm) || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	return set_msi(kvm, msi.address_lo, msi.address_hi, msi.data, 1);
}

/*
 * The GSIs routed to `irqchip`/`pin` (KVM's numbering: PIC pins 0-15 across both chips,
 * as build_table() stores them), for the ack and mask notifiers
 * (virt/kvm/irqchip.c kvm_irq_map_chip_pin()). Returns how many were stored.
 */
static int chip_pin_to_gsis(struct kvm *kvm, uint32_t irqchip, uint32_t pin, uint32_t *gsis, int max)
{
	struct kvm_irq_routing_table *t;
	int n = 0;

	pthread_rwlock_rdlock(&kvm->irq_routing_lock);
	t = kvm->irq_routing;
	for (int i = 0; t && i < t->nr && n < max; i++)
		if (t->e[i].type == KVM_IRQ_ROUTING_IRQCHIP && t->e[i].irqchip.irqchip == irqchip &&
		    t->e[i].irqchip.pin == pin)
			gsis[n++] = t->e[i].gsi;
	pthread_rwlock_unlock(&kvm->irq_routing_lock);
	return n;
}

/*
 * kvm_notify_acked_irq(): the guest acknowledged (EOI'd) `pin` of `irqchip`; every GSI
 * routed there tells its resampling irqfds and the PIT. Called without any chip lock.
 */
void kvm_notify_acked_irq(struct kvm *kvm, uint32_t irqchip, uint32_t pin)
{
	uint32_t gsis[8];
	int n = chip_pin_to_gsis(kvm, irqchip, pin, gsis, 8);

	for (int i = 0; i < n; i++) {
		kvm_irqfd_ack(kvm, gsis[i]);
		kvm_pit_irq_acked(kvm, gsis[i]);
	}
}

/* kvm_fire_mask_notifiers(): a pin was masked or unmasked */
void kvm_fire_mask_notifiers(struct kvm *kvm, uint32_t irqchip, uint32_t pin, bool mask)
{
	uint32_t gsis[8];
	int n = chip_pin_to_gsis(kvm, irqchip, pin, gsis, 8);

	for (int i = 0; i < n; i++)
		kvm_pit_irq_masked(kvm, gsis[i], mask);
}

/* kvm_notify_irqfd_resampler(): the first GSI routed to the pin that has a resampler */
bool kvm_notify_irqfd_resampler(struct kvm *kvm, uint32_t irqchip, uint32_t pin)
{
	uint32_t gsis[8];
	int n = chip_pin_to_gsis(kvm, irqchip, pin, gsis, 8);

	for (int i = 0; i < n; i++)
		if (kvm_irqfd_notify_resampler(kvm, gsis[i]))
			return true;
	return false;
}
