# SPDX-License-Identifier: GPL-2.0-only
# swkvm: one non-recursive Makefile, out-of-tree build in $(O) (default build/).
#
#   make              build libswkvm.a, libswkvm.so and the swkvm command
#   make check        install missing Debian packages, build, run every test layer (TAP via prove)
#   make check SANITIZE=1   the same under ASan + UBSan (separate build dir)
#   make run          the README's main job: boot Debian's kernel to a busybox shell
#   make diff-long    the long differential run (10M cases)

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
O ?= build-san
else
O ?= build
endif

CC      ?= gcc
CSTD    := -std=gnu11
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
OPT     ?= -O2 -g
DEPFLAGS = -MMD -MP
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
CFLAGS  += $(CSTD) $(WARN) $(OPT) -fPIC -fno-strict-aliasing -fvisibility=hidden -pthread
LDFLAGS += -pthread
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# ---- sources: every .c under a layer's directory is part of it (no list to edit) ----
CPU_SRCS  := $(shell find src/cpu -name '*.c' | sort)
KVM_SRCS  := $(shell find src/kvm -name '*.c' | sort)
VMM_SRCS  := $(shell find src/vmm src/stat -name '*.c' 2>/dev/null | sort)
LIB_SRCS  := $(CPU_SRCS) $(KVM_SRCS)
LIB_OBJS  := $(LIB_SRCS:%.c=$(O)/%.o)
VMM_OBJS  := $(VMM_SRCS:%.c=$(O)/%.o)

LIBA  := $(O)/libswkvm.a
LIBSO := $(O)/libswkvm.so
PRELOAD := $(O)/libswkvm-preload.so
SWKVM := $(O)/swkvm

all: $(LIBA) $(LIBSO) $(PRELOAD) $(SWKVM)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	$(CC) -shared $(LDFLAGS) -o $@ $^

# the LD_PRELOAD library: the interposers plus the whole of swkvm
$(PRELOAD): $(O)/src/preload/preload.o $(LIB_OBJS)
	$(CC) -shared $(LDFLAGS) -o $@ $^ -ldl

# swkvm stat draws its screen with ncurses
STAT_LIBS := -lncurses

$(SWKVM): $(VMM_OBJS) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(VMM_OBJS) $(LIBA) $(STAT_LIBS)

# ---- tests: tests/<layer>/*.c each become one TAP program; tests/<layer>/*.t are scripts ----
TEST_LAYERS := unit diff selftests guests boot preload stat
TEST_LIB_SRCS := $(wildcard tests/lib/*.c)
TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(O)/%.o)
TEST_SRCS := $(foreach l,$(TEST_LAYERS),$(wildcard tests/$(l)/*.c))
TEST_BINS := $(TEST_SRCS:%.c=$(O)/%)
TEST_SCRIPTS := $(foreach l,$(TEST_LAYERS),$(wildcard tests/$(l)/*.t))
# Guest code compiled into test programs runs on swkvm's CPU: no stack protector,
# no CET prologues, no sanitizer instrumentation inside guest functions (see tests/lib/kvm_util.h).
TEST_CFLAGS := -Itests/lib -fno-stack-protector -fcf-protection=none

$(O)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(O)/tests/%: $(O)/tests/%.o $(TEST_LIB_OBJS) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_EXTRA_OBJS) $(TEST_LIB_OBJS) $(LIBA) -lm -lZydis

# tests/preload: plain /dev/kvm clients, linked without swkvm; they run under the preload library
$(O)/tests/preload/%: $(O)/tests/preload/%.o $(O)/tests/lib/tap.o
	$(CC) $(LDFLAGS) -o $@ $^

# unit tests of the VMM (tests/unit/vmm_*.c) link its objects, all but main()
VMM_CORE_OBJS := $(filter-out $(O)/src/vmm/main.o,$(VMM_OBJS))
VMM_UNIT_BINS := $(filter $(O)/tests/unit/vmm_%,$(TEST_BINS))
$(VMM_UNIT_BINS): $(VMM_CORE_OBJS)
$(VMM_UNIT_BINS): TEST_EXTRA_OBJS = $(VMM_CORE_OBJS) $(STAT_LIBS)

# freestanding multiboot test kernels: 32-bit, no libc, no SSE (plain gcc and ld, no multilib)
MB_DIR := tests/guests/multiboot
MB_KERNELS := $(patsubst $(MB_DIR)/%.c,$(O)/$(MB_DIR)/%.elf,$(wildcard $(MB_DIR)/*.c))
MB_CFLAGS := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -mgeneral-regs-only -nostdlib -O2 -Wall -Wextra -Werror
$(O)/$(MB_DIR)/%.elf: $(MB_DIR)/%.c $(MB_DIR)/entry.S $(MB_DIR)/link.ld $(MB_DIR)/mb.h
	@mkdir -p $(@D)
	$(CC) $(MB_CFLAGS) -static -no-pie -Wl,-m,elf_i386 -Wl,-T,$(MB_DIR)/link.ld \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $(MB_DIR)/entry.S $<

tests: $(TEST_BINS) $(MB_KERNELS)

# ---- benchmarks (not part of check) ----
$(O)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIBA) $(LDFLAGS)

bench: all $(O)/bench/cpu_loop $(O)/bench/idle
	@O=$(O) bench/run
	@O=$(O) bench/boot

deps:
	@scripts/deps

# prove runs the compiled programs directly (--exec '') and the .t scripts with bash.
check: deps
	@$(MAKE) --no-print-directory all tests
	@O=$(O) scripts/run-tests $(TEST_BINS) $(TEST_SCRIPTS)

# only the Debian kernel boot test (also part of check)
check-linux: deps all
	@O=$(O) scripts/run-tests tests/boot/linux.t

diff-long: all tests
	SWKVM_DIFF_CASES=10000000 $(O)/tests/diff/diff_alu
	SWKVM_DIFF_CASES=10000000 $(O)/tests/diff/diff_sse
	SWKVM_DIFF_CASES=10000000 $(O)/tests/diff/diff_x87

# the README's main job: Debian's cloud kernel and a busybox initramfs (scripts/guest-image,
# cached in $(O)/guest), booted with the serial console on this terminal. RUN_ARGS adds options.
run: all
	@scripts/deps
	@scripts/guest-image $(O) >/dev/null
	$(SWKVM) run -k $(O)/guest/vmlinuz -i $(O)/guest/initramfs.cpio.gz $(RUN_ARGS)

clean:
	rm -rf build build-san

.PHONY: all tests deps check check-linux diff-long run bench clean
.DELETE_ON_ERROR:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
