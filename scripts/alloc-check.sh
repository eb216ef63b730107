#!/usr/bin/env bash
# Whole-process allocation guard (`make alloc-check`; CI runs it after the
# tests): the steady state allocates nothing per packet, in every thread of
# the real binary, with the pipeline on and off.
#
#   scripts/alloc-check.sh
#
# 1. builds packetlog in release (scratch $PACKETLOG_BENCH_SCRATCH, default
#    .build-bench; a debug build allocates per packet by design: nothing is
#    optimised away);
# 2. makes a 300,000-packet capture with the project's generator
#    (scripts/make-bench-pcap.py, seed 7: UDP and TCP, IPv4 and IPv6);
# 3. runs packetlog (three times each, keeping the least count) over its
#    first 100,000 packets and over all of them with
#    scripts/malloc-count.c preloaded (malloc, calloc, realloc,
#    posix_memalign, aligned_alloc of every thread), for the default
#    pipeline, --workers 0 and --no-tcp-reassembly;
# 4. fails when a run allocates more than $MAX_STEADY (default 20) times in
#    the last 200,000 packets — pools warm up in the first 100,000; one
#    allocation per batch of 4,096 packets gave 55 to 70 (it was found so).
#
# Environment: MAX_STEADY, PACKETLOG_BENCH_SCRATCH, PACKETLOG_BENCH_DIR
# (default /tmp), SKIP_BUILD=1 (use the binary already built).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRATCH=${PACKETLOG_BENCH_SCRATCH:-$ROOT/.build-bench}
WORK=${PACKETLOG_BENCH_DIR:-/tmp}
MAX_STEADY=${MAX_STEADY:-20}
CC=${CC:-cc}

for tool in swift python3 "$CC"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "alloc-check.sh: missing $tool (apt-get install build-essential python3)" >&2; exit 3; }
done

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "alloc-check: swift build -c release --product packetlog --scratch-path $SCRATCH" >&2
    if ! (cd "$ROOT" && swift build -c release --product packetlog --scratch-path "$SCRATCH" >"$WORK/packetlog-alloc-build.log" 2>&1); then
        grep -E 'error:' "$WORK/packetlog-alloc-build.log" | head -20 >&2
        echo "alloc-check: the release build failed (log: $WORK/packetlog-alloc-build.log)" >&2
        exit 1
    fi
fi
BIN=$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/packetlog
[[ -x $BIN ]] || { echo "alloc-check: no binary at $BIN" >&2; exit 1; }

COUNTER=$WORK/packetlog-malloc-count.so
if [[ ! -f $COUNTER || $ROOT/scripts/malloc-count.c -nt $COUNTER ]]; then
    "$CC" -O2 -Wall -shared -fPIC -o "$COUNTER" "$ROOT/scripts/malloc-count.c" -ldl
fi

gen_hash=$(sha256sum "$ROOT/scripts/make-bench-pcap.py" | cut -c1-10)
PCAP=$WORK/packetlog-alloc-$gen_hash-300000.pcap
if [[ ! -s $PCAP ]]; then
    python3 "$ROOT/scripts/make-bench-pcap.py" "$PCAP.tmp" -n 300000 --hours 1 --seed 7 >/dev/null
    mv "$PCAP.tmp" "$PCAP"
fi

out=$(mktemp -d "$WORK/packetlog-alloc-XXXXXX")
trap 'rm -rf "$out"' EXIT

# allocations PACKETS ARGS…: the malloc count over the first PACKETS
# packets, the least of three runs (runs differ by a few warm-up
# allocations, depending on which thread picks up which buffer first).
allocations() {
    local packets=$1; shift
    local least="" n run
    for run in 1 2 3; do
        rm -rf "$out/logs"
        LD_PRELOAD=$COUNTER "$BIN" --protocol dns -r "$PCAP" -c "$packets" --local-address 192.0.2.53 \
            --local-address 2001:db8::53 -d "$out/logs" "$@" 2>"$out/stderr" >/dev/null || {
            cat "$out/stderr" >&2; echo "alloc-check: packetlog failed" >&2; exit 1; }
        n=$(sed -nE 's/^malloc-count: ([0-9]+)$/\1/p' "$out/stderr" | tail -n 1)
        if [[ -z $least || $n -lt $least ]]; then least=$n; fi
    done
    echo "$least"
}

failed=0
printf '| run | mallocs, first 100000 packets | mallocs, all 300000 | in the last 200000 |\n| --- | ---: | ---: | ---: |\n'
for args in "" "--workers 0" "--no-tcp-reassembly"; do
    # shellcheck disable=SC2086
    warm=$(allocations 100000 $args)
    # shellcheck disable=SC2086
    all=$(allocations 300000 $args)
    steady=$((all - warm))
    printf '| packetlog %s | %s | %s | %s |\n' "${args:-(default)}" "$warm" "$all" "$steady"
    if (( steady > MAX_STEADY )); then
        echo "alloc-check: packetlog ${args:-(default)} allocated $steady times in 200,000 steady-state packets (at most $MAX_STEADY)" >&2
        failed=1
    fi
done
if (( failed )); then exit 1; fi
echo "alloc-check: no run allocated more than $MAX_STEADY times in its steady state"
