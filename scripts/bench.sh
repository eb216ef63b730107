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
# 3. measures $RUNS rounds (default 5; each round runs every command once,
#    so drifts of the machine's speed hit all alike; best and median wall times):
#    a. packetlog --protocol dns -r bench.pcap --local-address … -d TMPDIR
#       (the default: on 2+ CPUs the capture thread reads and decodes and one
#       worker runs the module; files written; lines = wc -l of every file),
#    b. the same with --workers 0 (everything on one thread),
#    c. the same with --workers 2,
#    d. the default with --no-tcp-reassembly,
#    e. TZ=UTC tcpdump -n -r bench.pcap > /dev/null,
#    f. scripts/pcap-read-loop.c (pcap_next_ex over every packet: the floor),
#       right before and right after (a): each round's share of the floor
#       compares (a) with the mean of the two, run seconds apart;
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
RUNS=${RUNS:-5}
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

# ---- rounds: each round runs every command once, so a slow spell of the
# machine (this 2-vCPU VM's speed drifts by up to 1.5× over minutes) hits
# them all alike; best and median wall time over the rounds.
declare -A TIMES=() RSSMAX=() LINESOF=() SUMMARYOF=() FILESOF=()
round=0

# one_run KEY LABEL CMD... — one timed run of CMD (a packetlog run writes to $OUT/logs)
one_run() {
    local key=$1 label=$2; shift 2
    rm -rf "$OUT/logs"
    local t0 t1 wall rss lines=-
    t0=$(now)
    TZ=UTC /usr/bin/time -f %M -o "$OUT/time" "$@" >/dev/null 2>"$OUT/stderr" ||
        { say "bench: $label failed:"; cat "$OUT/stderr" >&2; exit 1; }
    t1=$(now)
    wall=$(echo "$t1 - $t0" | bc -l)
    rss=$(tail -1 "$OUT/time")
    if [[ -d $OUT/logs ]]; then
        lines=$(cat "$OUT"/logs/* | wc -l)
        SUMMARYOF[$key]=$(grep '^packetlog: packets' "$OUT/stderr" | tail -1)
        FILESOF[$key]=$(ls "$OUT/logs" | tr '\n' ' ')
    fi
    TIMES[$key]+=" $wall"
    if ((rss > ${RSSMAX[$key]:-0})); then RSSMAX[$key]=$rss; fi
    LINESOF[$key]=$lines
    say "bench: round $round: $label: $(printf '%.3f' "$wall") s, $lines lines, peak RSS $rss KiB, load $(load)"
}
best() { tr ' ' '\n' <<<"${TIMES[$1]}" | grep . | sort -g | head -1; }
median() { tr ' ' '\n' <<<"${TIMES[$1]}" | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

LOAD_BEFORE=$(load)
say "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $LOAD_BEFORE"
PCAP_PACKETS=$("$FLOOR" "$PCAP" | awk '{print $2}')

# The shared generator's file, when ../shared is there.
SHARED=$ROOT/../shared
SPCAP=
if [[ -f $SHARED/bench/mkbench.py && -f $SHARED/captures/resolver-v4v6.pcap ]]; then
    SPCAP=$WORK/packetlog-bench-shared-$PACKETS.pcap
    if [[ ! -s $SPCAP ]]; then
        say "bench: making $SPCAP with ../shared/bench/mkbench.py"
        python3 "$SHARED/bench/mkbench.py" "$SHARED/captures/resolver-v4v6.pcap" "$SPCAP.tmp" -n "$PACKETS" >&2
        mv "$SPCAP.tmp" "$SPCAP"
    fi
    SP=$("$FLOOR" "$SPCAP" | awk '{print $2}')
fi
SLOCAL=(--local-address 10.53.100.53 --local-address fd00:53:100::53 --local-address 10.53.0.53 --local-address fd00:53::53)

PL=("$BIN" --protocol dns -r "$PCAP" "${LOCAL[@]}" -d "$OUT/logs")
for ((round = 1; round <= RUNS; round++)); do
    one_run tcpdump "tcpdump -n -r" tcpdump -n -r "$PCAP"
    # The read loop right before and right after the default run: the
    # round's share compares it with their mean, seconds apart.
    one_run floor "libpcap read loop" "$FLOOR" "$PCAP"
    one_run pl "packetlog" "${PL[@]}"
    one_run floora "libpcap read loop (after)" "$FLOOR" "$PCAP"
    one_run pl0 "packetlog --workers 0" "${PL[@]}" --workers 0
    one_run pl2 "packetlog --workers 2" "${PL[@]}" --workers 2
    one_run pln "packetlog --no-tcp-reassembly" "${PL[@]}" --no-tcp-reassembly
    if [[ -n $SPCAP ]]; then
        one_run sfloor "libpcap read loop (shared)" "$FLOOR" "$SPCAP"
        one_run spl "packetlog (shared)" "$BIN" --protocol dns -r "$SPCAP" "${SLOCAL[@]}" -d "$OUT/logs"
    fi
done

# The read loop's row: its runs before and after packetlog's, together.
TIMES[floorall]="${TIMES[floor]} ${TIMES[floora]}"; RSSMAX[floorall]=${RSSMAX[floor]}; LINESOF[floorall]=-
T_FLOOR=$(best floorall); T_TCPDUMP=$(best tcpdump)
rows=()
row() {  # name key packets
    local t m pps lps vf vt lines=${LINESOF[$2]}
    t=$(best "$2"); m=$(median "$2")
    pps=$(echo "$3 / $t" | bc -l)
    lps=$([[ $lines == - ]] && echo - || printf '%.0f' "$(echo "$lines / $t" | bc -l)")
    vf=$(printf '%.0f %%' "$(echo "$T_FLOOR / $t * 100" | bc -l)")
    vt=$([[ -z $T_TCPDUMP ]] && echo - || printf '%.1f×' "$(echo "$T_TCPDUMP / $t" | bc -l)")
    rows+=("$(printf '| %s | %.3f | %.3f | %.0f | %.0f | %s | %s | %s | %.1f |' "$1" "$t" "$m" "$pps" "$(echo "$3 / $m" | bc -l)" \
        "$lps" "$vf" "$vt" "$(echo "${RSSMAX[$2]} / 1024" | bc -l)")")
}
row "packetlog -d (default: 1 worker, TCP reassembly)" pl "$PCAP_PACKETS"
row "packetlog -d --workers 0 (one thread)" pl0 "$PCAP_PACKETS"
row "packetlog -d --workers 2" pl2 "$PCAP_PACKETS"
row "packetlog -d --no-tcp-reassembly" pln "$PCAP_PACKETS"
row "tcpdump -n -r > /dev/null" tcpdump "$PCAP_PACKETS"
row "libpcap pcap_next_ex loop" floorall "$PCAP_PACKETS"
if [[ -n $SPCAP ]]; then
    T_SAVE=$T_FLOOR T_SAVE_TD=$T_TCPDUMP; T_FLOOR=$(best sfloor) T_TCPDUMP=
    row "packetlog -d, shared mkbench file (÷ its own read loop, $(printf '%.3f' "$T_FLOOR") s)" spl "$SP"
    T_FLOOR=$T_SAVE T_TCPDUMP=$T_SAVE_TD
fi
# per_round KEY REF SCALE UNIT — REF's time ÷ KEY's time in each round (both
# ran within the same minute, so a drift of the machine's speed hits both),
# times SCALE, as "median X UNIT, lowest Y UNIT, highest Z UNIT (N rounds)".
per_round() {
    paste <(tr ' ' '\n' <<<"${TIMES[$2]}" | grep .) <(tr ' ' '\n' <<<"${TIMES[$1]}" | grep .) |
        awk -v scale="$3" '{ print $1 / $2 * scale }' | sort -g |
        awk -v unit="$4" '{ r[NR] = $1 } END {
            printf "median %.1f%s, lowest %.1f%s, highest %.1f%s (%d rounds)", r[int((NR + 1) / 2)], unit, r[1], unit, r[NR], unit, NR }'
}
# The read loop's time in a round: the mean of its runs before and after packetlog's.
TIMES[floormean]=$(paste <(tr ' ' '\n' <<<"${TIMES[floor]}" | grep .) <(tr ' ' '\n' <<<"${TIMES[floora]}" | grep .) |
    awk '{ printf " %.6f", ($1 + $2) / 2 }')
ROUND_FLOOR=$(per_round pl floormean 100 ' %'); ROUND_TCPDUMP=$(per_round pl tcpdump 1 '×')
L_PL=${LINESOF[pl]}; L_PLN=${LINESOF[pln]}; S_PL=${SUMMARYOF[pl]}; S_PLN=${SUMMARYOF[pln]}; F_PL=${FILESOF[pl]}

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
capture: $PCAP ($PCAP_PACKETS packets, $(du -m "$PCAP" | cut -f1) MB); $RUNS rounds (each runs every command once)
load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER

| run | best wall s | median wall s | packets/s (best) | packets/s (median) | lines/s (best) | share of the libpcap read rate (best) | × tcpdump's rate (best) | peak RSS MiB |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
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
(share of the libpcap read rate: the read loop's best time ÷ this row's; × tcpdump's rate: tcpdump's best time ÷ this row's.)
per round, packetlog (default) against the same round's read loop (the mean of its runs just before and just after): $ROUND_FLOOR
per round, packetlog (default) against the same round's tcpdump: $ROUND_TCPDUMP

Targets (docs/performance.md says which statistic each is judged by and why):
- packetlog's rate ≥ 45 % of the libpcap read rate: per round $ROUND_FLOOR; best to best $(printf '%.0f %%' "$(echo "$T_FLOOR / $(best pl) * 100" | bc -l)")
- packetlog's rate ≥ 10× tcpdump's: per round $ROUND_TCPDUMP; best to best $(printf '%.1f×' "$(echo "$T_TCPDUMP / $(best pl)" | bc -l)")
- one worker (the default pipeline) ≥ 3 M packets/s: best $(printf '%.2f' "$(echo "$PCAP_PACKETS / $(best pl) / 1000000" | bc -l)") M, median $(printf '%.2f' "$(echo "$PCAP_PACKETS / $(median pl) / 1000000" | bc -l)") M; everything on one thread (--workers 0): best $(printf '%.2f' "$(echo "$PCAP_PACKETS / $(best pl0) / 1000000" | bc -l)") M
- no heap allocation per packet in the steady state: see the allocations table (alloc-check.sh holds CI to 0)
EOF
