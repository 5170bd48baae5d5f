#!/bin/bash
# tests/run-all.sh: the whole test suite, as CI runs it (.ci/run calls exactly this).
#   1. build-asan: configure with -DHS_SANITIZE=ON (ASan+UBSan, -Werror is on by default), build;
#   2. ctest: unit tests (CMocka) and interop tests (OpenSSH, Dropbear, paramiko, hostile input,
#      OpenSSH's regress suite) against the sanitized binaries, LeakSanitizer on;
#   3. build-fuzz: clang with -DHS_FUZZ=ON, build the libFuzzer targets, run each for
#      HS_FUZZ_SECONDS (default 25) on its seed corpus (tests/fuzz/run.sh).
# Every stage runs even if an earlier one failed (except what cannot: no tests without a build);
# the script exits non-zero if any stage failed. Must run as root (interop tests add users).
# Sanitizer reports from every process, daemons included, go to $HS_SANLOG_DIR; any report fails
# the run. Knobs: HS_JOBS (default 2), HS_FUZZ_SECONDS, HS_CTEST_ARGS (e.g. "-L unit"),
# HS_BUILD_ASAN / HS_BUILD_FUZZ (build directories, default build-asan / build-fuzz).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
JOBS=${HS_JOBS:-2}
BUILD_ASAN=${HS_BUILD_ASAN:-$SRC/build-asan}
BUILD_FUZZ=${HS_BUILD_FUZZ:-$SRC/build-fuzz}
HS_SANLOG_DIR=${HS_SANLOG_DIR:-$BUILD_ASAN/sanitizer-logs}
declare -a results=()
failed=0

stage()	# stage NAME COMMAND...: run, record ok/FAIL with the time taken
{
	local name=$1 start rc
	shift
	start=$(date +%s)
	echo "=== $name"
	set +e
	"$@"
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		results+=("ok   $name ($(( $(date +%s) - start )) s)")
	else
		results+=("FAIL $name (exit $rc, $(( $(date +%s) - start )) s)")
		failed=$((failed + 1))
	fi
	return "$rc"
}

build_asan()
{
	cmake -S "$SRC" -B "$BUILD_ASAN" -DHS_SANITIZE=ON -DHS_SANDBOX_TEST_HOOKS=ON \
		-DHS_FIPS_TEST_HOOKS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$BUILD_ASAN" -j"$JOBS"
}

run_ctest()
{
	rm -rf "$HS_SANLOG_DIR"
	mkdir -p "$HS_SANLOG_DIR"
	# log_path: reports of daemons and their children land in files we can check afterwards.
	# print_suppressions=0: a leak suppressed on purpose (softhsm2's libcrypto, see
	# tests/unit/test_pkcs11.c) must not leave a "Suppressions used" file that counts as a report.
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$HS_SANLOG_DIR/asan" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$HS_SANLOG_DIR/ubsan" \
	LSAN_OPTIONS="log_path=$HS_SANLOG_DIR/lsan:print_suppressions=0" \
		ctest --test-dir "$BUILD_ASAN" --output-on-failure --timeout 900 \
		${HS_CTEST_ARGS:-}
}

check_sanitizer_logs()
{
	local f n=0
	for f in "$HS_SANLOG_DIR"/*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		echo "--- $f"
		head -n 40 "$f"
	done
	echo "$n sanitizer report(s)"
	[ "$n" -eq 0 ]
}

build_fuzz()
{
	local targets=() f
	for f in "$SRC"/tests/fuzz/fuzz_*.c; do
		[ -e "$f" ] && targets+=(--target "$(basename "$f" .c)")
	done
	cmake -S "$SRC" -B "$BUILD_FUZZ" -DHS_FUZZ=ON -DCMAKE_C_COMPILER=clang &&
		if [ ${#targets[@]} -gt 0 ]; then
			cmake --build "$BUILD_FUZZ" -j"$JOBS" "${targets[@]}"
		fi
}

total_start=$(date +%s)
if stage "build (ASan+UBSan, -Werror)" build_asan; then
	stage "ctest (unit + interop)" run_ctest || true
	stage "sanitizer reports" check_sanitizer_logs || true
fi
if stage "build fuzzers (clang)" build_fuzz; then
	stage "fuzz (${HS_FUZZ_SECONDS:-25} s each)" "$SRC/tests/fuzz/run.sh" "$BUILD_FUZZ" || true
fi

echo
echo "=== summary ($(( $(date +%s) - total_start )) s)"
printf '%s\n' "${results[@]}"
echo "$(( ${#results[@]} - failed )) passed, $failed failed"
[ "$failed" -eq 0 ]
