#!/usr/bin/env bash
# Paired comparison of two packetlog binaries on one capture file.
#
#   scripts/compare.sh ROUNDS BINARY_A BINARY_B [packetlog options...]
#
# Runs A and B once per round, alternating which goes first, over
# $PCAP (default: the benchmark capture in /tmp, see scripts/bench.sh) with
# the benchmark's local addresses, writing to a temporary directory. This
# machine's speed drifts by up to 2× over minutes, so a comparison of best
# or median times taken minutes apart says little; within a round the two
# runs are seconds apart. Prints each binary's median wall and CPU (user +
# system) time and the median of the rounds' B ÷ A ratios, with how many
# rounds B was faster.
set -euo pipefail
(( $# >= 3 )) || { echo "usage: $0 ROUNDS BINARY_A BINARY_B [packetlog options...]" >&2; exit 2; }
N=$1 A=$2 B=$3
shift 3
PCAP=${PCAP:-$(ls -t /tmp/packetlog-bench-*-2000000.pcap 2>/dev/null | grep -v shared | head -1)}
[[ -f $PCAP ]] || { echo "compare.sh: no capture (set PCAP, or run scripts/bench.sh once)" >&2; exit 2; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for ((i = 1; i <= N; i++)); do
    if ((i % 2)); then order=("$A" "$B"); else order=("$B" "$A"); fi
    for bin in "${order[@]}"; do
        rm -rf "$OUT/logs"
        /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$bin" --protocol dns -r "$PCAP" \
            --local-address 192.0.2.53 --local-address 2001:db8::53 -d "$OUT/logs" "$@" >/dev/null 2>&1
        echo "$i $([[ $bin == "$A" ]] && echo A || echo B) $(cat "$OUT/time")" >>"$OUT/runs"
    done
done
python3 - "$OUT/runs" "$A" "$B" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    i, which, wall, user, system = line.split()
    runs[i][which] = (float(wall), float(user) + float(system))
for which, name in (("A", sys.argv[2]), ("B", sys.argv[3])):
    print(f"{which} {name}: wall median {statistics.median(r[which][0] for r in runs.values()):.3f} s, "
          f"CPU median {statistics.median(r[which][1] for r in runs.values()):.3f} s")
wall = [r["B"][0] / r["A"][0] for r in runs.values()]
cpu = [r["B"][1] / r["A"][1] for r in runs.values()]
print(f"B / A per round: wall median {statistics.median(wall):.3f} ({min(wall):.3f}-{max(wall):.3f}), "
      f"CPU median {statistics.median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f}); "
      f"B faster in wall {sum(x < 1 for x in wall)}/{len(wall)}, CPU {sum(x < 1 for x in cpu)}/{len(cpu)} rounds")
PY
