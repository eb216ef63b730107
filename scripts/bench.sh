#!/usr/bin/env bash
# packetlog throughput benchmark (`make bench`).
#
#   scripts/bench.sh
#
# 1. builds packetlog in release (scratch path $PACKETLOG_BENCH_SCRATCH,
#    default .build-bench, so it never fights a debug build in .build);
# 2. makes the benchmark capture with scripts/make-bench-pcap.py when it is
#    missing: /tmp/packetlog-bench-<generator hash>-<packets>.pcap (2,000,000
#    packets, 3 hours, seed 1 — about 330 MB);
# 3. measures, best of $RUNS (default 3) wall times:
#    a. packetlog --protocol dns -r bench.pcap --local-address … -d TMPDIR
#       (the default: on 2+ CPUs the capture thread reads and decodes and one
#       worker runs the module; files written; lines = wc -l of every file),
#    b. the same with --workers 0 (everything on one thread),
#    c. the same with --workers 2,
#    d. the default with --no-tcp-reassembly,
#    e. TZ=UTC tcpdump -n -r bench.pcap > /dev/null,
#    f. scripts/pcap-read-loop.c (pcap_next_ex over every packet: the floor);
#    and prints a table: packets/s, lines/s, the rate as a share of the
#    libpcap floor's and as a multiple of tcpdump's, and peak RSS
#    (/usr/bin/time -f %M).
# 4. when ../shared/bench/mkbench.py exists, one extra row: packetlog on the
#    shared generator's 2M-packet file (made from resolver-v4v6.pcap).
# 5. heap allocations per packet of the whole process (every thread):
#    scripts/malloc-count.c, LD_PRELOADed, counts malloc/calloc/realloc/
#    posix_memalign/aligned_alloc; packetlog runs over the first 200,000
#    packets and over all of them, and (all − first) ÷ (packets − 200,000)
#    is the steady state's allocations per packet.
#
# Environment: RUNS, PACKETS (default 2000000), PACKETLOG_BENCH_SCRATCH,
# PACKETLOG_BENCH_DIR (where captures and outputs go; default /tmp),
# SKIP_BUILD=1 (use the binary already built).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
PACKETS=${PACKETS:-2000000}
SCRATCH=${PACKETLOG_BENCH_SCRATCH:-$ROOT/.build-bench}
WORK=${PACKETLOG_BENCH_DIR:-/tmp}
LOCAL=(--local-address 192.0.2.53 --local-address 2001:db8::53)

for tool in swift python3 gcc tcpdump /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench.sh: missing $tool (apt-get install build-essential tcpdump time python3 libpcap-dev)" >&2; exit 3; }
done

say() { printf '%s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- build
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    say "bench: swift build -c release --product packetlog --scratch-path $SCRATCH"
    if ! (cd "$ROOT" && swift build -c release --product packetlog --scratch-path "$SCRATCH" >"$WORK/packetlog-bench-build.log" 2>&1); then
        grep -E 'error:' "$WORK/packetlog-bench-build.log" | head -20 >&2
        say "bench: the release build failed (log: $WORK/packetlog-bench-build.log); SKIP_BUILD=1 uses the binary already there"
        exit 1
    fi
    grep -E 'Build (of product .*)?complete' "$WORK/packetlog-bench-build.log" >&2 || true
fi
BIN=$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/packetlog
[[ -x $BIN ]] || { say "bench: no binary at $BIN (build failed?)"; exit 1; }

FLOOR=$WORK/packetlog-pcap-read-loop
if [[ ! -x $FLOOR || $ROOT/scripts/pcap-read-loop.c -nt $FLOOR ]]; then
    gcc -O2 -Wall -o "$FLOOR" "$ROOT/scripts/pcap-read-loop.c" -lpcap
fi
MALLOC_COUNT=$WORK/packetlog-malloc-count.so
if [[ ! -f $MALLOC_COUNT || $ROOT/scripts/malloc-count.c -nt $MALLOC_COUNT ]]; then
    gcc -O2 -Wall -shared -fPIC -o "$MALLOC_COUNT" "$ROOT/scripts/malloc-count.c" -ldl
fi

# ---- the capture
gen_hash=$(sha256sum "$ROOT/scripts/make-bench-pcap.py" | cut -c1-10)
PCAP=$WORK/packetlog-bench-$gen_hash-$PACKETS.pcap
if [[ ! -s $PCAP ]]; then
    say "bench: making $PCAP"
    python3 "$ROOT/scripts/make-bench-pcap.py" "$PCAP.tmp" -n "$PACKETS" --hours 3 --seed 1 >&2
    mv "$PCAP.tmp" "$PCAP"
fi

# ---- measuring
OUT=$(mktemp -d "$WORK/packetlog-bench-out.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

now() { date +%s.%N; }

# run_packetlog LABEL PCAP ARGS... → sets BEST (s), RSS (KiB, max over runs), LINES, PKTS, SUMMARY
run_packetlog() {
    local label=$1 pcap=$2; shift 2
    BEST=; RSS=0; LINES=; PKTS=; SUMMARY=
    local i t0 t1 wall rss lines
    for ((i = 1; i <= RUNS; i++)); do
        rm -rf "$OUT/logs"
        t0=$(now)
        TZ=UTC /usr/bin/time -f %M -o "$OUT/time" "$BIN" --protocol dns -r "$pcap" "$@" -d "$OUT/logs" 2>"$OUT/stderr" ||
            { say "bench: packetlog failed:"; cat "$OUT/stderr" >&2; exit 1; }
        t1=$(now)
        wall=$(echo "$t1 - $t0" | bc -l)
        rss=$(tail -1 "$OUT/time")
        lines=$(cat "$OUT"/logs/* | wc -l)
        say "bench: $label run $i: $(printf '%.3f' "$wall") s, $lines lines, peak RSS $rss KiB, load $(load)"
        if [[ -z $BEST ]] || (($(echo "$wall < $BEST" | bc -l))); then BEST=$wall; fi
        if ((rss > RSS)); then RSS=$rss; fi
        LINES=$lines
    done
    SUMMARY=$(grep '^packetlog: packets' "$OUT/stderr" | tail -1)
    PKTS=$(sed -n 's/^packetlog: packets \([0-9]*\).*/\1/p' <<<"$SUMMARY")
    FILES=$(ls "$OUT/logs" | tr '\n' ' ')
}

# best_of LABEL CMD... → BEST, RSS
best_of() {
    local label=$1; shift
    BEST=; RSS=0
    local i t0 t1 wall rss
    for ((i = 1; i <= RUNS; i++)); do
        t0=$(now)
        TZ=UTC /usr/bin/time -f %M -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" ||
            { say "bench: $label failed:"; cat "$OUT/stderr" >&2; exit 1; }
        t1=$(now)
        wall=$(echo "$t1 - $t0" | bc -l)
        rss=$(tail -1 "$OUT/time")
        say "bench: $label run $i: $(printf '%.3f' "$wall") s, peak RSS $rss KiB, load $(load)"
        if [[ -z $BEST ]] || (($(echo "$wall < $BEST" | bc -l))); then BEST=$wall; fi
        if ((rss > RSS)); then RSS=$rss; fi
    done
}

LOAD_BEFORE=$(load)
say "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $LOAD_BEFORE"
PCAP_PACKETS=$("$FLOOR" "$PCAP" | awk '{print $2}')

best_of "libpcap read loop" "$FLOOR" "$PCAP"; T_FLOOR=$BEST; R_FLOOR=$RSS
best_of "tcpdump -n -r" tcpdump -n -r "$PCAP"; T_TCPDUMP=$BEST; R_TCPDUMP=$RSS
run_packetlog "packetlog" "$PCAP" "${LOCAL[@]}"
T_PL=$BEST; R_PL=$RSS; L_PL=$LINES; S_PL=$SUMMARY; F_PL=$FILES
run_packetlog "packetlog --workers 0" "$PCAP" "${LOCAL[@]}" --workers 0
T_PL0=$BEST; R_PL0=$RSS; L_PL0=$LINES
run_packetlog "packetlog --workers 2" "$PCAP" "${LOCAL[@]}" --workers 2
T_PL2=$BEST; R_PL2=$RSS; L_PL2=$LINES
run_packetlog "packetlog --no-tcp-reassembly" "$PCAP" "${LOCAL[@]}" --no-tcp-reassembly
T_PLN=$BEST; R_PLN=$RSS; L_PLN=$LINES; S_PLN=$SUMMARY

rows=()
row() {  # name seconds packets lines rss
    local pps lps vf vt
    pps=$(echo "$3 / $2" | bc -l)
    lps=$([[ $4 == - ]] && echo - || printf '%.0f' "$(echo "$4 / $2" | bc -l)")
    vf=$(printf '%.0f %%' "$(echo "$T_FLOOR / $2 * 100" | bc -l)")
    vt=$([[ -z $T_TCPDUMP ]] && echo - || printf '%.1f×' "$(echo "$T_TCPDUMP / $2" | bc -l)")
    rows+=("$(printf '| %s | %.3f | %.0f | %s | %s | %s | %.1f |' "$1" "$2" "$pps" "$lps" "$vf" "$vt" "$(echo "$5 / 1024" | bc -l)")")
}
row "packetlog -d (default: 1 worker, TCP reassembly)" "$T_PL" "$PCAP_PACKETS" "$L_PL" "$R_PL"
row "packetlog -d --workers 0 (one thread)" "$T_PL0" "$PCAP_PACKETS" "$L_PL0" "$R_PL0"
row "packetlog -d --workers 2" "$T_PL2" "$PCAP_PACKETS" "$L_PL2" "$R_PL2"
row "packetlog -d --no-tcp-reassembly" "$T_PLN" "$PCAP_PACKETS" "$L_PLN" "$R_PLN"
row "tcpdump -n -r > /dev/null" "$T_TCPDUMP" "$PCAP_PACKETS" - "$R_TCPDUMP"
row "libpcap pcap_next_ex loop" "$T_FLOOR" "$PCAP_PACKETS" - "$R_FLOOR"

# ---- optional: the shared generator's file
SHARED=$ROOT/../shared
if [[ -f $SHARED/bench/mkbench.py && -f $SHARED/captures/resolver-v4v6.pcap ]]; then
    SPCAP=$WORK/packetlog-bench-shared-$PACKETS.pcap
    if [[ ! -s $SPCAP ]]; then
        say "bench: making $SPCAP with ../shared/bench/mkbench.py"
        python3 "$SHARED/bench/mkbench.py" "$SHARED/captures/resolver-v4v6.pcap" "$SPCAP.tmp" -n "$PACKETS" >&2
        mv "$SPCAP.tmp" "$SPCAP"
    fi
    SP=$("$FLOOR" "$SPCAP" | awk '{print $2}')
    best_of "libpcap read loop (shared)" "$FLOOR" "$SPCAP"; T_SF=$BEST
    run_packetlog "packetlog (shared)" "$SPCAP" --local-address 10.53.100.53 --local-address fd00:53:100::53 \
        --local-address 10.53.0.53 --local-address fd00:53::53
    T_SAVE=$T_FLOOR T_SAVE_TD=$T_TCPDUMP; T_FLOOR=$T_SF T_TCPDUMP=
    row "packetlog -d, shared mkbench file (÷ its own read loop, $(printf '%.3f' "$T_SF") s)" "$BEST" "$SP" "$LINES" "$RSS"
    T_FLOOR=$T_SAVE T_TCPDUMP=$T_SAVE_TD
fi

# ---- heap allocations per packet, whole process
# mallocs LD_PRELOAD-counted over the first FIRST packets and over all of them.
FIRST=200000
mallocs() {  # packet-limit args… → the process's allocation count
    rm -rf "$OUT/logs"
    LD_PRELOAD=$MALLOC_COUNT "$BIN" --protocol dns -r "$PCAP" "${LOCAL[@]}" -d "$OUT/logs" -c "$@" 2>&1 >/dev/null |
        sed -n 's/^malloc-count: //p'
}
alloc_rows=()
for variant in "" "--workers 0" "--no-tcp-reassembly" "--workers 0 --no-tcp-reassembly"; do
    # shellcheck disable=SC2086
    a=$(mallocs "$FIRST" $variant); b=$(mallocs "$PCAP_PACKETS" $variant)
    per=$(echo "($b - $a) / ($PCAP_PACKETS - $FIRST)" | bc -l)
    say "bench: allocations${variant:+ ($variant)}: $a over $FIRST packets, $b over $PCAP_PACKETS"
    alloc_rows+=("$(printf '| packetlog%s | %s | %s | %.6f |' "${variant:+ $variant}" "$a" "$b" "$per")")
done

LOAD_AFTER=$(load)
cat <<EOF

packetlog benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)
binary: $BIN (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no -- Sources Package.swift 2>/dev/null) ]] && echo ', Sources/ or Package.swift modified'))
capture: $PCAP ($PCAP_PACKETS packets, $(du -m "$PCAP" | cut -f1) MB); best of $RUNS runs
load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER

| run | best wall s | packets/s | lines/s | share of the libpcap read rate | × tcpdump's rate | peak RSS MiB |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${rows[@]}"
cat <<EOF

Heap allocations, whole process (scripts/malloc-count.c):

| run | mallocs, first $FIRST packets | mallocs, all $PCAP_PACKETS | per packet after the first $FIRST |
| --- | ---: | ---: | ---: |
EOF
printf '%s\n' "${alloc_rows[@]}"
cat <<EOF

lines written: $L_PL (reassembly), $L_PLN (--no-tcp-reassembly); files: $F_PL
summary (reassembly):    $S_PL
summary (no reassembly): $S_PLN
(share of the libpcap read rate: the read loop's time ÷ this row's; × tcpdump's rate: tcpdump's time ÷ this row's.)
EOF
