#!/usr/bin/env bash
# packetlog live load test: replay the benchmark capture into a veth at fixed
# rates and at top speed, with packetlog capturing on the other end.
#
#   scripts/load-test.sh                 # rates 10000 50000 100000 200000 + top speed, 10 s each
#   RATES="20000 80000" SECONDS_PER_RATE=5 scripts/load-test.sh
#   RATES=100000 SECONDS_PER_RATE=600 TOP_SPEED=0 RSS_SAMPLE_SECONDS=60 scripts/load-test.sh
#
# Needs root, iproute2, gcc and libpcap-dev, and a release build
# (scripts/bench.sh builds one; the binary is looked up in
# $PACKETLOG_BENCH_SCRATCH, default .build-bench, or given as $PACKETLOG).
# The sender is scripts/pcap-send.c (AF_PACKET, sendmmsg in batches, paced);
# SENDER=tcpreplay uses tcpreplay --pps/--topspeed instead (apt-get install
# tcpreplay), which sends one frame per system call and reaches a lower top
# rate.
#
# Two namespaces of its own, plb-send and plb-cap, joined by one veth pair
# (plb-s ↔ plb-c, MTU 9000, no IP addresses, IPv6 off: the frames are only
# captured, nothing answers them, and nothing leaves the namespaces). For each
# rate: a fresh packetlog (-i plb-c, the resolver's --local-address, -d to a
# temporary directory), RATE×SECONDS packets of the capture sent at RATE from
# plb-send, a second to drain, SIGTERM; then per rate: packets sent and the
# rate the sender reached, packetlog's own summary (packets, kernel-received,
# kernel-dropped), lines written (wc -l), packetlog's CPU (utime+stime from
# /proc/PID/stat over the sending time plus 0.2 s, in % of one core; and per
# packet over the whole run) and RSS at start and at the end (VmRSS; VmHWM =
# peak). Everything is removed on exit.
#
# RSS_SAMPLE_SECONDS=N (default 0: off) also samples packetlog's memory while
# the sender runs: at the start of sending, every N s after and once when the
# sender is done, a line
#   rss: rate R t=<s> VmRSS=<KiB> VmHWM=<KiB> packets=<n>
# from /proc/PID/status, where packets is the capture veth's rx_packets
# counter (frames that reached plb-c so far); the samples are printed as they
# are taken and again after the table. A rate above 2,000,000 / SECONDS (the
# frames in the benchmark capture) makes the sender go round the file again,
# so a long run at a steady rate is e.g. the third example above.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RATES=${RATES:-10000 50000 100000 200000}
SECS=${SECONDS_PER_RATE:-10}
TOP=${TOP_SPEED:-1}          # also run at top speed (tcpreplay --topspeed)
TOP_PACKETS=${TOP_PACKETS:-2000000}
SENDER=${SENDER:-pcap-send}
RSS_EVERY=${RSS_SAMPLE_SECONDS:-0}
NS_SEND=plb-send
NS_CAP=plb-cap
IF_SEND=plb-s
IF_CAP=plb-c
LOCAL=(--local-address 192.0.2.53 --local-address 2001:db8::53)

say() { printf '%s\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || { say "load-test.sh: must run as root (network namespaces, capture)"; exit 3; }
for t in ip gcc python3 bc $([[ $SENDER == tcpreplay ]] && echo tcpreplay); do
    command -v "$t" >/dev/null || { say "load-test.sh: missing $t (apt-get install iproute2 gcc libpcap-dev python3 bc tcpreplay)"; exit 3; }
done

SCRATCH=${PACKETLOG_BENCH_SCRATCH:-$ROOT/.build-bench}
BIN=${PACKETLOG:-$SCRATCH/release/packetlog}
[[ -x $BIN ]] || { say "load-test.sh: no release binary at $BIN (run scripts/bench.sh or make bench first)"; exit 3; }

gen_hash=$(sha256sum "$ROOT/scripts/make-bench-pcap.py" | cut -c1-10)
PCAP=${PACKETLOG_BENCH_PCAP:-/tmp/packetlog-bench-$gen_hash-2000000.pcap}
if [[ ! -s $PCAP ]]; then
    say "load-test: making $PCAP"
    python3 "$ROOT/scripts/make-bench-pcap.py" "$PCAP.tmp" -n 2000000 --hours 3 --seed 1 >&2
    mv "$PCAP.tmp" "$PCAP"
fi

TMP=$(mktemp -d /tmp/packetlog-load.XXXXXX)
PL_PID=
SAMPLER_PID=
SEND_BIN=$TMP/pcap-send
gcc -O2 -Wall -o "$SEND_BIN" "$ROOT/scripts/pcap-send.c" -lpcap

cleanup() {
    if [[ -n $SAMPLER_PID ]]; then kill -TERM "$SAMPLER_PID" 2>/dev/null || true; fi
    if [[ -n $PL_PID ]] && kill -0 "$PL_PID" 2>/dev/null; then kill -TERM "$PL_PID" 2>/dev/null || true; sleep 0.5; kill -KILL "$PL_PID" 2>/dev/null || true; fi
    ip netns del "$NS_SEND" 2>/dev/null || true
    ip netns del "$NS_CAP" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the namespaces
ip netns del "$NS_SEND" 2>/dev/null || true
ip netns del "$NS_CAP" 2>/dev/null || true
ip netns add "$NS_SEND"
ip netns add "$NS_CAP"
ip link add "$IF_SEND" netns "$NS_SEND" type veth peer name "$IF_CAP" netns "$NS_CAP"
for ns in "$NS_SEND" "$NS_CAP"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
done
ip -n "$NS_SEND" link set "$IF_SEND" mtu 9000 up
ip -n "$NS_CAP" link set "$IF_CAP" mtu 9000 up

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
rss_sample() {  # RATE T0: one "rss:" line, to stderr and to $TMP/rss-RATE
    local t rx
    t=$(echo "$(date +%s.%N) - $2" | bc -l)
    rx=$(ip netns exec "$NS_CAP" cat "/sys/class/net/$IF_CAP/statistics/rx_packets" 2>/dev/null || echo '?')
    printf 'rss: rate %s t=%.0f VmRSS=%s VmHWM=%s packets=%s\n' "$1" "$t" \
        "$(rss_kib "$PL_PID" VmRSS)" "$(rss_kib "$PL_PID" VmHWM)" "$rx" | tee -a "$TMP/rss-$1" >&2
}
start_sampler() {  # RATE T0: rss_sample now and every $RSS_EVERY s, in the background
    (
        trap '[[ -n ${sp:-} ]] && kill "$sp" 2>/dev/null; exit 0' TERM
        rss_sample "$1" "$2"
        while :; do
            sleep "$RSS_EVERY" & sp=$!
            wait "$sp"
            kill -0 "$PL_PID" 2>/dev/null || exit 0
            rss_sample "$1" "$2"
        done
    ) &
    SAMPLER_PID=$!
}

rows=()
run_rate() {  # RATE (pps, or "top")
    local rate=$1 limit out="$TMP/logs-$1"
    if [[ $rate == top ]]; then limit=$TOP_PACKETS; else limit=$((rate * SECS)); fi
    local send_cmd
    if [[ $SENDER == tcpreplay ]]; then
        send_cmd=(tcpreplay -i "$IF_SEND" $([[ $rate == top ]] && echo --topspeed || echo --pps="$rate") --limit="$limit" "$PCAP")
    else
        send_cmd=("$SEND_BIN" "$IF_SEND" "$PCAP" "$([[ $rate == top ]] && echo 0 || echo "$rate")" "$limit")
    fi
    mkdir -p "$out"
    ip netns exec "$NS_CAP" "$BIN" --protocol dns -i "$IF_CAP" "${LOCAL[@]}" -d "$out" 2>"$TMP/stderr-$rate" &
    PL_PID=$!
    sleep 1.5
    kill -0 "$PL_PID" 2>/dev/null || { say "load-test: packetlog did not start:"; cat "$TMP/stderr-$rate" >&2; exit 1; }
    local t0 c0 rss0 t1 c1 c2 rss1 hwm cstart
    cstart=$(cpu_ticks "$PL_PID"); rss0=$(rss_kib "$PL_PID" VmRSS)
    local load_before; load_before=$(load)
    t0=$(date +%s.%N); c0=$(cpu_ticks "$PL_PID")
    [[ $RSS_EVERY == 0 ]] || start_sampler "$rate" "$t0"
    timeout $((SECS * 4 + 120)) ip netns exec "$NS_SEND" "${send_cmd[@]}" \
        >"$TMP/replay-$rate" 2>&1 || { say "load-test: sender failed:"; cat "$TMP/replay-$rate" >&2; }
    if [[ -n $SAMPLER_PID ]]; then
        kill -TERM "$SAMPLER_PID" 2>/dev/null || true
        wait "$SAMPLER_PID" 2>/dev/null || true
        SAMPLER_PID=
    fi
    sleep 0.2
    c1=$(cpu_ticks "$PL_PID"); t1=$(date +%s.%N)
    [[ $RSS_EVERY == 0 ]] || rss_sample "$rate" "$t0"   # at the end of sending
    sleep 0.8   # let packetlog drain the ring
    c2=$(cpu_ticks "$PL_PID")
    rss1=$(rss_kib "$PL_PID" VmRSS); hwm=$(rss_kib "$PL_PID" VmHWM)
    kill -TERM "$PL_PID"
    wait "$PL_PID" || true
    PL_PID=
    local sent pps summary pkts krecv kdrop lines cpu us
    if [[ $SENDER == tcpreplay ]]; then
        sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$TMP/replay-$rate" | head -1)
        pps=$(sed -n 's/.*Rated: .* \([0-9.]*\) pps.*/\1/p' "$TMP/replay-$rate" | head -1)
    else
        sent=$(sed -n 's/^sent \([0-9]*\) packets.*/\1/p' "$TMP/replay-$rate")
        pps=$(sed -n 's/.* s, \([0-9]*\) pps.*/\1/p' "$TMP/replay-$rate")
    fi
    summary=$(grep '^packetlog: packets' "$TMP/stderr-$rate" | tail -1)
    pkts=$(sed -n 's/^packetlog: packets \([0-9]*\).*/\1/p' <<<"$summary")
    krecv=$(sed -n 's/.*kernel-received \([0-9]*\).*/\1/p' <<<"$summary")
    kdrop=$(sed -n 's/.*kernel-dropped \([0-9]*\).*/\1/p' <<<"$summary")
    lines=$(cat "$out"/* 2>/dev/null | wc -l)
    cpu=$(echo "($c1 - $c0) / $HZ / ($t1 - $t0) * 100" | bc -l)
    us=$([[ ${pkts:-0} -gt 0 ]] && printf '%.2f' "$(echo "($c2 - $cstart) / $HZ / $pkts * 1000000" | bc -l)" || echo -)
    say "load-test: rate $rate: sent ${sent:-?} (${pps:-?} pps), packetlog packets ${pkts:-?}, kernel received ${krecv:-?} dropped ${kdrop:-?}, lines $lines, CPU $(printf '%.1f' "$cpu")% ($us µs/packet), RSS ${rss0}→${rss1} KiB (peak $hwm), load $load_before"
    say "  $summary"
    rows+=("$(printf '| %s | %s | %s | %s | %s | %s | %s | %.1f%% | %s | %.1f → %.1f (peak %.1f) | %s |' \
        "$([[ $rate == top ]] && echo 'top speed' || echo "$rate")" "${sent:-?}" "${pps:-?}" "${pkts:-?}" "${krecv:-?}" "${kdrop:-?}" \
        "$lines" "$cpu" "$us" "$(echo "$rss0 / 1024" | bc -l)" "$(echo "$rss1 / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)" "$load_before")")
    rm -rf "$out"
}

LOAD_BEFORE=$(load)
for r in $RATES; do run_rate "$r"; done
[[ $TOP == 1 ]] && run_rate top

cat <<EOF

packetlog live load test — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)
capture replayed: $PCAP; $SECS s per rate; sender $SENDER; veth $IF_SEND → $IF_CAP (namespaces $NS_SEND, $NS_CAP)
load average before: $LOAD_BEFORE, after: $(load)

| rate (pps) | sent | sender reached (pps) | packetlog packets | kernel-received | kernel-dropped | lines | packetlog CPU (% of one core) | CPU µs/packet | RSS MiB start → end | load (1/5/15) |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
EOF
printf '%s\n' "${rows[@]}"
if [[ $RSS_EVERY != 0 ]]; then
    printf '\nRSS samples while sending (every %s s; KiB; packets = frames received on %s so far):\n' "$RSS_EVERY" "$IF_CAP"
    cat "$TMP"/rss-* 2>/dev/null || true
fi
