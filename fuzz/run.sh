#!/usr/bin/env bash
# `make fuzz`: builds the service's objects with clang (AddressSanitizer, UndefinedBehaviorSanitizer
# and libFuzzer coverage) into build-fuzz/, links each fuzz/fuzz_<name>.c into a libFuzzer binary
# and runs it for FUZZ_SECONDS (default 30) on fuzz/corpus/<name>/ (the seeds, kept in the repo).
# New inputs go to a scratch corpus under build-fuzz/ unless FUZZ_UPDATE_CORPUS=1, which merges
# the interesting ones (minimised) back into fuzz/corpus/<name>/. Crashes are written to
# build-fuzz/artifacts/; the script exits 1 if any target crashed.
# Environment: FUZZ_SECONDS (30), FUZZ_TARGETS (comma-separated names, default all),
# FUZZ_JOBS (parallel workers per target, default 1), FUZZ_UPDATE_CORPUS (0).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=build-fuzz
SECS=${FUZZ_SECONDS:-30}
JOBS=${FUZZ_JOBS:-1}
# The libraries: `make fuzz` passes the Makefile's PKGS; run directly, read them from it.
PKGS=${PKGS:-$(sed -n 's/^PKGS := //p' Makefile)}
command -v clang >/dev/null || { echo "fuzz: clang not found (scripts/deps.sh test installs it)" >&2; exit 1; }

SAN_OBJ="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
SAN_BIN="-fsanitize=address,undefined,fuzzer -fno-sanitize-recover=undefined"
# The objects, through the Makefile's own rules (same flags, clang instead of gcc; clang's
# warnings differ from gcc's, so they do not fail this build).
# The targets link against an archive of the objects, so each pulls in only the modules it
# reaches (a module the targets do not use may even fail to build: that is only a warning).
mkdir -p "$BUILD"
if ! make -k --no-print-directory BUILD=$BUILD CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	SAN="$SAN_OBJ" CFLAGS="-Wno-error" "$BUILD/crm" >"$BUILD/build.log" 2>&1; then
	echo "fuzz: warning: part of the build failed (see $BUILD/build.log); linking what was built" >&2
fi
rm -f "$BUILD/libcrm.a"
find "$BUILD/obj" -name '*.o' ! -path "$BUILD/obj/main.o" | sort | xargs ar rcs "$BUILD/libcrm.a"
OBJS=("$BUILD/libcrm.a")
# shellcheck disable=SC2086
LIBS=$(pkg-config --libs $PKGS)
# shellcheck disable=SC2086
CFLAGS_PKG=$(pkg-config --cflags $PKGS)

targets=()
for f in fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	name=${name#fuzz_}
	[ -z "${FUZZ_TARGETS:-}" ] || [[ ",$FUZZ_TARGETS," == *",$name,"* ]] || continue
	targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no target selected" >&2; exit 1; }

mkdir -p "$BUILD/fuzz" "$BUILD/artifacts"
failed=()
for name in "${targets[@]}"; do
	bin=$BUILD/fuzz/$name
	# shellcheck disable=SC2086
	clang -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer $SAN_BIN -Isrc -I"$BUILD/gen" \
		$CFLAGS_PKG "fuzz/fuzz_$name.c" "${OBJS[@]}" $LIBS -lm -pthread -o "$bin"
	seeds=fuzz/corpus/$name
	work=$BUILD/corpus/$name
	mkdir -p "$seeds" "$work"
	echo "fuzz: $name for ${SECS}s (seeds: $(find "$seeds" -type f | wc -l))"
	set +e
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		$([ "$JOBS" -gt 1 ] && echo "-fork=$JOBS") -print_final_stats=1 \
		-artifact_prefix="$BUILD/artifacts/$name-" "$work" "$seeds" >"$BUILD/$name.log" 2>&1
	rc=$?
	set -e
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' "$BUILD/$name.log" | sed 's/^/  /' || true
	if [ $rc -ne 0 ]; then
		failed+=("$name")
		echo "fuzz: $name FAILED (exit $rc); see $BUILD/$name.log and $BUILD/artifacts/" >&2
		grep -E 'ERROR: |SUMMARY: ' "$BUILD/$name.log" | head -n 5 >&2 || true
	elif [ "${FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
		"$bin" -merge=1 "$seeds" "$work" >"$BUILD/$name.merge.log" 2>&1
		echo "  corpus: $(find "$seeds" -type f | wc -l) files after merging"
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: crashes in: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
