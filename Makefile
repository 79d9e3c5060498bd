# Personal CRM API: one GNU Makefile. `make run` and `make test` each work on a fresh Debian 12
# machine (as root they install what is missing first; see scripts/deps.sh).

PKGS := libmicrohttpd jansson libpq sqlite3 hiredis libsodium libjwt libcurl libutf8proc libcrypt libcrypto
VERSION := 1.0.0

CC ?= cc
BUILD ?= build
SAN ?=
OPT ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-align -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wformat-security -Wundef -Wvla -Wwrite-strings \
	-Wimplicit-fallthrough -Wno-unused-parameter
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -DCRM_VERSION=\"$(VERSION)\" $(OPT) $(WARN) $(SAN) \
	-fno-strict-aliasing -pthread -Isrc -I$(BUILD)/gen $(CFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS_ALL = $(PKG_LIBS) -lm -pthread $(SAN) $(LDFLAGS)

SRCS := $(shell find src -name '*.c' | sort)
OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS)) $(BUILD)/obj/gen/embedded.o
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
MIGRATIONS := $(sort $(wildcard db/sqlite/*.sql db/postgres/*.sql))

.PHONY: all build deps run test unit api bench asan fmt clean reliability fuzz security
all: build
build: $(BUILD)/crm $(UNIT_BINS)

deps:
	@scripts/deps.sh all

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# Migrations and the OpenAPI document are embedded in the binary (one source of truth each).
$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/openapi.json: docs/openapi.yaml tools/yaml2json.py
	@mkdir -p $(dir $@)
	/usr/bin/python3 tools/yaml2json.py $< $@

$(BUILD)/gen/embedded.c: $(BUILD)/tools/embed $(MIGRATIONS) $(BUILD)/gen/openapi.json share/common-passwords.txt
	$(BUILD)/tools/embed $(BUILD)/gen/openapi.json share/common-passwords.txt $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/embedded.o: $(BUILD)/gen/embedded.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(SAN) -Isrc -c $< -o $@

$(BUILD)/crm: $(OBJS)
	$(CC) -o $@ $(OBJS) $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDLIBS_ALL)

run:
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory build
	@mkdir -p var
	DATA_DIR=./var $(BUILD)/crm migrate
	DATA_DIR=./var $(BUILD)/crm serve

# The whole suite: C unit tests, then the API tests against SQLite and PostgreSQL.
test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build
	@node tests/run.mjs --build $(BUILD)

unit: build
	@node tests/run.mjs --build $(BUILD) --only unit

api: build
	@node tests/run.mjs --build $(BUILD) --only api

asan:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		node tests/run.mjs --build build-asan

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	@bench/run.sh $(BUILD)

# libFuzzer targets built with clang (ASan + UBSan), FUZZ_SECONDS each (default 30); see
# fuzz/run.sh. Not part of `make test`.
fuzz:
	@scripts/deps.sh test
	@PKGS="$(PKGS)" fuzz/run.sh

# Fault and scale-out tests: PostgreSQL, Redis, SMTP and the server itself killed or
# paused under load, a soak (RELIABILITY_SOAK_SECONDS, default 600) and two nodes on one
# PostgreSQL + Redis behind nginx; see tests/reliability/run.mjs. Takes minutes, so not part of
# `make test`.
reliability:
	@scripts/deps.sh reliability
	@$(MAKE) --no-print-directory build
	@node tests/reliability/run.mjs --build $(BUILD)

# sqlmap against running servers on SQLite and PostgreSQL; takes minutes, so not part of
# `make test`. See security/run.sh.
security:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	@security/run.sh $(BUILD)

fmt:
	clang-format -i $(SRCS) $(wildcard src/*/*.h src/*.h src/*/*/*.h tests/unit/*.c tests/unit/*.h tools/*.c)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
