#!/usr/bin/env bash
# Builds the libFuzzer targets (Sources/Fuzz/) and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGETs default to all of them. Each
# target runs alone (one core), reading the committed seeds in
# Fuzz/corpus/<target>/ and keeping what it finds in Fuzz/corpus-run/<target>/
# (not committed). A crashing input lands in Fuzz/corpus-run/artifacts/<target>/.
# Prints executions, exec/s and the exit status per target, then a total line;
# exits non-zero when any target crashed (or failed to build).
#
# Environment:
#   FUZZ_NO_BUILD=1      use the binaries already in .build-fuzz
#   FUZZ_NICE=N          run the fuzzers under `nice -n N` (default 0)
#   FUZZ_MAX_LEN=N       largest input libFuzzer makes (default 4096)
#   FUZZ_ARGS=...        extra libFuzzer arguments (e.g. -seed=1)
#   SWIFT=...            the swift driver (default swift)
# See docs/fuzzing.md.
set -uo pipefail

cd "$(dirname "$0")/.."
ALL_TARGETS=(FuzzHostDecoding FuzzTCPReassembly FuzzDNS FuzzHTTP FuzzTemplate)
SWIFT=${SWIFT:-swift}
SCRATCH=.build-fuzz
RUN_DIR=Fuzz/corpus-run

seconds=60
if [ $# -gt 0 ]; then
    case $1 in
        ''|*[!0-9]*) ;;                       # not a number: a target name
        *) seconds=$1; shift ;;
    esac
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
    case " ${ALL_TARGETS[*]} " in
        *" $t "*) ;;
        *) echo "fuzz.sh: unknown target '$t' (targets: ${ALL_TARGETS[*]})" >&2; exit 2 ;;
    esac
done

# --- Build ---------------------------------------------------------------------
# SwiftPM's own sanitizer flags link libFuzzer and ASan (-Xswiftc
# -sanitize=fuzzer alone does not link). But SwiftPM passes them to the
# compiler as two `-sanitize=` options in an order that changes from run to
# run, and the driver keeps only the last one: the code would get coverage or
# ASan, not both. The explicit `-sanitize=fuzzer,address`, which comes last,
# gives both; the check below makes sure.
# PACKETLOG_FUZZING drops the replay `main` each target has in a plain build,
# so libFuzzer's main is the one linked.
bin_dir=$SCRATCH/release
instrumented() {   # coverage counters in the binary, ASan checks in the target's code
    readelf -S "$bin_dir/$1" 2>/dev/null | grep __sancov_cntrs >/dev/null &&
        nm -u "$bin_dir/$1.build/$1.swift.o" 2>/dev/null | grep __asan_init >/dev/null
}
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    for t in "${targets[@]}"; do
        echo "fuzz.sh: building $t"
        if ! "$SWIFT" build -c release --sanitize fuzzer --sanitize address \
                -Xswiftc -sanitize=fuzzer,address \
                -Xswiftc -parse-as-library -Xswiftc -DPACKETLOG_FUZZING \
                --product "$t" --scratch-path "$SCRATCH" >"$SCRATCH.$t.build.log" 2>&1; then
            tail -40 "$SCRATCH.$t.build.log" >&2
            echo "fuzz.sh: building $t failed (log: $SCRATCH.$t.build.log)" >&2
            exit 2
        fi
        rm -f "$SCRATCH.$t.build.log"
        if ! instrumented "$t"; then
            echo "fuzz.sh: $bin_dir/$t lacks coverage or ASan instrumentation" >&2
            exit 2
        fi
    done
fi

# --- Run -----------------------------------------------------------------------
export SWIFT_BACKTRACE=enable=no        # let libFuzzer handle the crash, not the Swift backtracer
nice_cmd=()
[ "${FUZZ_NICE:-0}" != 0 ] && nice_cmd=(nice -n "$FUZZ_NICE")
mkdir -p "$RUN_DIR/logs"

total_execs=0 total_seconds=0 failed=0
summary=()
for t in "${targets[@]}"; do
    binary=$bin_dir/$t
    if [ ! -x "$binary" ]; then
        echo "fuzz.sh: $binary missing (build it first)" >&2
        exit 2
    fi
    mkdir -p "$RUN_DIR/$t" "$RUN_DIR/artifacts/$t" "Fuzz/corpus/$t"
    log=$RUN_DIR/logs/$t.log
    dict=()
    [ -f "Fuzz/dict/$t.dict" ] && dict=(-dict="Fuzz/dict/$t.dict")
    echo "fuzz.sh: running $t for ${seconds}s (log: $log)"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "${nice_cmd[@]}" "$binary" -max_total_time="$seconds" -print_final_stats=1 \
        -max_len="${FUZZ_MAX_LEN:-4096}" -timeout=10 -error_exitcode=77 \
        -artifact_prefix="$RUN_DIR/artifacts/$t/" "${dict[@]}" ${FUZZ_ARGS:-} \
        "$RUN_DIR/$t" "Fuzz/corpus/$t" >"$log" 2>&1
    status=$?
    elapsed=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    execs=${execs:-0} speed=${speed:-0}
    if ! grep -q 'cov: ' "$log"; then
        echo "fuzz.sh: $t reported no coverage: the binary is not instrumented" >&2
        [ "$status" -eq 0 ] && status=3
    fi
    total_execs=$((total_execs + execs)) total_seconds=$((total_seconds + elapsed))
    if [ "$status" -eq 0 ]; then result="ok"; else result="CRASH (exit $status)"; failed=$((failed + 1)); fi
    line=$(printf '%-18s executions %12d   exec/s %8d   time %6ds   %-16s %s' "$t" "$execs" "$speed" "$elapsed" "${cov:-}" "$result")
    summary+=("$line")
    echo "$line"
    if [ "$status" -ne 0 ]; then
        grep -E '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*Fatal error:|artifact_prefix|Test unit written|Base64)' "$log" | head -20 >&2
        echo "fuzz.sh: $t failed; full report in $log" >&2
    fi
done

echo
echo "fuzz.sh: summary (${seconds}s per target)"
for line in "${summary[@]}"; do echo "  $line"; done
printf '  %-18s executions %12d   time %6ds   crashed targets %d\n' TOTAL "$total_execs" "$total_seconds" "$failed"
[ "$failed" -eq 0 ]
