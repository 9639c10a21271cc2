# relprefetch: server-side N+1 query detection and related-row fetching
EXTENSION = relprefetch

MODULE_big = relprefetch
OBJS = \
	src/relprefetch.o \
	src/rp_citus.o \
	src/rp_describe.o \
	src/rp_describe_plan.o \
	src/rp_describe_source.o \
	src/rp_describe_text.o \
	src/rp_fetch_arena.o \
	src/rp_fetch_cache.o \
	src/rp_fetch_exec.o \
	src/rp_fetch_keys.o \
	src/rp_fetch_output.o \
	src/rp_fetch_plan.o \
	src/rp_fetch_query.o \
	src/rp_fetch_sort.o \
	src/rp_fetch_spec.o \
	src/rp_fetch_sql.o \
	src/rp_fingerprint.o \
	src/rp_fingerprint_cache.o \
	src/rp_fragment.o \
	src/rp_funcs.o \
	src/rp_hooks.o \
	src/rp_json.o \
	src/rp_proof.o \
	src/rp_proof_columns.o \
	src/rp_relationship.o \
	src/rp_relationship_catalog.o \
	src/rp_stats.o \
	src/rp_stats_file.o \
	src/rp_unit.o \
	src/rp_unit_record.o

DATA = $(wildcard relprefetch--*.sql)

REGRESS = setup guc fingerprint units nested on_detect stats_view privileges reset \
	json_output fetch_json fetch_spec fetch_order fetch_children fetch_embed fetch_errors fetch_security security fetch_cache \
	fetch_strategy fetch_fuzz fetch_readme fetch_reverse proof suggest $(REGRESS_SCS_OFF) upgrade
REGRESS_OPTS = --temp-config=$(srcdir)/regress.conf --temp-instance=tmp_check --load-extension=relprefetch

TAP_TESTS = 1

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

EXTRA_CLEAN = tmp_check results regression.diffs regression.out log

PG_CONFIG ?= $(shell test -x /usr/lib/postgresql/15/bin/pg_config && echo /usr/lib/postgresql/15/bin/pg_config || echo pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# standard_conforming_strings = off, refused from PostgreSQL 19 on: its
# cases are in scs_off.sql, run on the majors before 19 only.  A choice of
# files rather than an alternative expected output, which would also let
# an earlier major pass with the setting refused.  (MAJORVERSION comes
# from PGXS; REGRESS is expanded when used.)
REGRESS_SCS_OFF = $(if $(shell test "$(MAJORVERSION)" -lt 19 2>/dev/null && echo y),scs_off)

# Only the module's entry points are visible outside the library, as
# PostgreSQL 16 and later build modules (CFLAGS_SL_MODULE): before 16 every
# call from one of its files to another, and every read of a variable of
# another file, went through the library's PLT and GOT, on the path of
# every statement.  PGDLLEXPORT, which marks the entry points, is empty
# there: it is given the visibility here.
ifeq ($(filter -fvisibility=hidden,$(CFLAGS_SL_MODULE)),)
override CPPFLAGS += -DPGDLLEXPORT='__attribute__((visibility("default")))'
override CFLAGS += -fvisibility=hidden
endif

# PGXS tracks no header dependencies: every object depends on every header
$(OBJS): $(wildcard src/*.h)
