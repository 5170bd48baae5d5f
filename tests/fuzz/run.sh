#!/bin/bash
# tests/fuzz/run.sh [BUILD_DIR]: run every libFuzzer target for HS_FUZZ_SECONDS (default 25) on
# a scratch copy of its seed corpus tests/fuzz/corpus/<parser>/ (the checked-in seeds are never
# modified). Build first: cmake -S . -B build-fuzz -DHS_FUZZ=ON -DCMAKE_C_COMPILER=clang.
# A crash, leak, timeout or sanitizer report fails the run; the reproducer is kept in
# $HS_FUZZ_OUT (default build-fuzz/fuzz-out) and its path printed. Zero fuzzers is a failure too:
# every parser is meant to have one (STYLE.md 9).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-fuzz}
SECONDS_EACH=${HS_FUZZ_SECONDS:-25}
OUT=${HS_FUZZ_OUT:-$BUILD/fuzz-out}
pass=0
fail=0

mkdir -p "$OUT"
shopt -s nullglob
sources=("$SRC"/tests/fuzz/fuzz_*.c)
if [ ${#sources[@]} -eq 0 ]; then
	echo "FAIL no fuzz targets in tests/fuzz/"
	echo "0 passed, 1 failed"
	exit 1
fi
for src in "${sources[@]}"; do
	name=$(basename "$src" .c)
	parser=${name#fuzz_}
	bin=$BUILD/fuzz/$name
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: not built ($bin)"
		fail=$((fail + 1))
		continue
	fi
	work=$OUT/$parser.corpus
	rm -rf "$work"
	mkdir -p "$work" "$OUT/$parser"
	seeds=()
	[ -d "$SRC/tests/fuzz/corpus/$parser" ] && seeds=("$SRC/tests/fuzz/corpus/$parser")
	[ ${#seeds[@]} -eq 0 ] && echo "note: $name has no seed corpus (tests/fuzz/corpus/$parser)"
	# -timeout: one input may take at most 10 s; -rss_limit_mb: bound memory; -close_fd_mask=3:
	# keep the target's own output out of the log; -print_final_stats for the report.
	if timeout -k 10 $((SECONDS_EACH + 60)) "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 \
		-rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$OUT/$parser/" "$work" "${seeds[@]}" >"$OUT/$parser.log" 2>&1; then
		execs=$(grep -m1 'stat::number_of_executed_units' "$OUT/$parser.log" | awk '{print $2}')
		echo "ok   $name (${SECONDS_EACH} s, ${execs:-?} execs)"
		pass=$((pass + 1))
	else
		echo "FAIL $name: see $OUT/$parser.log; artifacts: $(ls "$OUT/$parser" | head -n 3)"
		grep -E 'ERROR|SUMMARY|runtime error' "$OUT/$parser.log" | head -n 5 | sed 's/^/    | /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
