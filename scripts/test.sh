#!/usr/bin/env bash
# The whole test suite (`make test` runs this after setup): builds, runs
# `swift test`, and ends with one plain line "N passed, N failed" counted from
# XCTest's and Swift Testing's own summaries. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
flags=${SWIFT_BUILD_FLAGS:-}
log=$(mktemp); trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086
$swift build $flags || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC2086
$swift test $flags 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# XCTest: "Executed 233 tests, with 0 failures" (the last one is the total).
xc=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
xc_total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$xc"); xc_total=${xc_total:-0}
xc_failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$xc"); xc_failed=${xc_failed:-0}
[[ -n $xc ]] || { xc_total=0; xc_failed=0; }
# Swift Testing: "Test run with N tests ... passed|failed ... (with M issues)".
st=$(grep -E "Test run with [0-9]+ tests?" "$log" | tail -n 1)
st_total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$st"); st_total=${st_total:-0}
st_failed=0; grep -q "failed after" <<<"$st" && st_failed=$(sed -nE 's/.*with ([0-9]+) (tests|issues?).*/\1/p' <<<"$st" | tail -n 1)
st_failed=${st_failed:-0}
failed=$((xc_failed + st_failed))
passed=$((xc_total + st_total - failed))
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ $((passed + failed)) -eq 0 ]]; then echo "swift test ran no test"; failed=1; fi
echo "$passed passed, $failed failed"
[[ $status -eq 0 && $failed -eq 0 ]]
