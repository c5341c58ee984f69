// SPDX-License-Identifier: GPL-2.0-only
// High-resolution timers for in-hypervisor devices (KVM's hrtimer use): one thread per VM.
#ifndef SWKVM_KVM_TIMER_H
#define SWKVM_KVM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct kvm_timer;

/*
 * Runs on the VM's timer thread when the timer expires. Returns the next absolute
 * expiry (CLOCK_MONOTONIC ns) to re-arm a periodic timer, or 0 to stop.
 * A callback must not block and must not call kvm_timer_cancel() on itself.
 */
typedef uint64_t (*kvm_timer_fn)(struct kvm_timer *t, uint64_t now_ns);

struct kvm_timer {
	struct kvm *kvm;
	kvm_timer_fn fn;
	uint64_t expires;	/* 0 when not armed; owned by timer.c */
	int heap_idx;		/* owned by timer.c */
	bool cancelled;		/* owned by timer.c: cancelled while its callback ran */
};

/* CLOCK_MONOTONIC in nanoseconds: the time base of every in-hypervisor timer. */
uint64_t kvm_clock_ns(void);

void kvm_timer_init(struct kvm *kvm, struct kvm_timer *t, kvm_timer_fn fn);
/* Arms (or re-arms) the timer for absolute time `expires_ns`. */
void kvm_timer_start(struct kvm_timer *t, uint64_t expires_ns);
/* Disarms; when it returns the callback is not running and will not run. */
void kvm_timer_cancel(struct kvm_timer *t);
bool kvm_timer_pending(struct kvm_timer *t);

/* Per-VM service, started lazily by the first kvm_timer_start(). */
void kvm_timers_destroy(struct kvm *kvm);

#endif
