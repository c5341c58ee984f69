// SPDX-License-Identifier: GPL-2.0-only
// Per-VM timer thread: a min-heap of absolute CLOCK_MONOTONIC deadlines (hrtimer-like).
#include <stdlib.h>
#include <time.h>

#include "kvm/kvm_host.h"
#include "kvm/timer.h"

struct kvm_timer_base {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* wakes the thread: earlier deadline, or stop */
	pthread_cond_t done;		/* a callback finished (for kvm_timer_cancel) */
	pthread_t thread;
	bool stop;
	struct kvm_timer *running;
	struct kvm_timer **heap;
	int n, cap;
};

uint64_t kvm_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void heap_swap(struct kvm_timer_base *b, int i, int j)
{
	struct kvm_timer *t = b->heap[i];

	b->heap[i] = b->heap[j];
	b->heap[j] = t;
	b->heap[i]->heap_idx = i;
	b->heap[j]->heap_idx = j;
}

static void heap_up(struct kvm_timer_base *b, int i)
{
	while (i > 0 && b->heap[(i - 1) / 2]->expires > b->heap[i]->expires) {
		heap_swap(b, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct kvm_timer_base *b, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < b->n && b->heap[l]->expires < b->heap[m]->expires)
			m = l;
		if (r < b->n && b->heap[r]->expires < b->heap[m]->expires)
			m = r;
		if (m == i)
			return;
		heap_swap(b, i, m);
		i = m;
	}
}

static void heap_remove(struct kvm_timer_base *b, struct kvm_timer *t)
{
	int i = t->heap_idx;

	if (i < 0)
		return;
	b->n--;
	if (i != b->n) {
		b->heap[i] = b->heap[b->n];
		b->heap[i]->heap_idx = i;
		heap_down(b, i);
		heap_up(b, i);
	}
	t->heap_idx = -1;
}

static int heap_insert(struct kvm_timer_base *b, struct kvm_timer *t)
{
	if (b->n == b->cap) {
		int cap = b->cap ? b->cap * 2 : 16;
		struct kvm_timer **h = realloc(b->heap, (size_t)cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		b->heap = h;
		b->cap = cap;
	}
	t->heap_idx = b->n;
	b->heap[b->n++] = t;
	heap_up(b, t->heap_idx);
	return 0;
}

static void *timer_thread(void *arg)
{
	struct kvm_timer_base *b = arg;

	pthread_mutex_lock(&b->lock);
	while (!b->stop) {
		uint64_t now = kvm_clock_ns();

		if (b->n && b->heap[0]->expires <= now) {
			struct kvm_timer *t = b->heap[0];
			uint64_t next;

			heap_remove(b, t);
			t->expires = 0;
			b->running = t;
			pthread_mutex_unlock(&b->lock);
			next = t->fn(t, now);
			pthread_mutex_lock(&b->lock);
			b->running = NULL;
			/* A start() or cancel() during the callback wins over its return value. */
			if (next && t->expires == 0 && t->heap_idx < 0 && !t->cancelled) {
				t->expires = next;
				heap_insert(b, t);
			}
			t->cancelled = false;
			pthread_cond_broadcast(&b->done);
			continue;
		}
		if (b->n) {
			uint64_t when = b->heap[0]->expires;
			struct timespec ts = { (time_t)(when / 1000000000ull), (long)(when % 1000000000ull) };
			pthread_cond_timedwait(&b->cond, &b->lock, &ts);
		} else {
			pthread_cond_wait(&b->cond, &b->lock);
		}
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/*
 * The VM's timer base, created on first use. Once it exists it is read without kvm->lock:
 * timer callbacks re-arm timers from the timer thread (the PIT's queue_work()), and a
 * thread holding kvm->lock may be waiting in kvm_timer_cancel() for that very callback.
 */
static struct kvm_timer_base *base_get(struct kvm *kvm)
{
	struct kvm_timer_base *b = __atomic_load_n(&kvm->timers, __ATOMIC_ACQUIRE);
	pthread_condattr_t attr;

	if (b)
		return b;
	pthread_mutex_lock(&kvm->lock);
	b = kvm->timers;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (b) {
			pthread_mutex_init(&b->lock, NULL);
			pthread_condattr_init(&attr);
			pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
			pthread_cond_init(&b->cond, &attr);
			pthread_condattr_destroy(&attr);
			pthread_cond_init(&b->done, NULL);
			if (pthread_create(&b->thread, NULL, timer_thread, b)) {
				free(b);
				b = NULL;
			} else {
				__atomic_store_n(&kvm->timers, b, __ATOMIC_RELEASE);
			}
		}
	}
	pthread_mutex_unlock(&kvm->lock);
	return b;
}

void kvm_timer_init(struct kvm *kvm, struct kvm_timer *t, kvm_timer_fn fn)
{
	t->kvm = kvm;
	t->fn = fn;
	t->expires = 0;
	t->heap_idx = -1;
	t->cancelled = false;
}

void kvm_timer_start(struct kvm_timer *t, uint64_t expires_ns)
{
	struct kvm_timer_base *b = base_get(t->kvm);

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	heap_remove(b, t);
	t->cancelled = false;
	t->expires = expires_ns ? expires_ns : 1;
	if (heap_insert(b, t) == 0 && b->heap[0] == t)
		pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

void kvm_timer_cancel(struct kvm_timer *t)
{
	struct kvm_timer_base *b = t->kvm ? __atomic_load_n(&t->kvm->timers, __ATOMIC_ACQUIRE) : NULL;

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	heap_remove(b, t);
	t->expires = 0;
	if (b->running == t) {
		t->cancelled = true;
		if (!pthread_equal(pthread_self(), b->thread))
			while (b->running == t)
				pthread_cond_wait(&b->done, &b->lock);
	}
	pthread_mutex_unlock(&b->lock);
}

bool kvm_timer_pending(struct kvm_timer *t)
{
	struct kvm_timer_base *b = t->kvm ? __atomic_load_n(&t->kvm->timers, __ATOMIC_ACQUIRE) : NULL;
	bool r;

	if (!b)
		return false;
	pthread_mutex_lock(&b->lock);
	r = t->heap_idx >= 0;
	pthread_mutex_unlock(&b->lock);
	return r;
}

void kvm_timers_destroy(struct kvm *kvm)
{
	struct kvm_timer_base *b = kvm->timers;

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	pthread_cond_destroy(&b->done);
	free(b->heap);
	free(b);
	kvm->timers = NULL;
}
