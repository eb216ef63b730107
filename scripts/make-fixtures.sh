#!/usr/bin/env bash
# Records Tests/EndToEndTests/Fixtures/lab-dns.pcap: a real capture, taken on
# the resolver's veth of the namespace lab (scripts/lab.sh), while dig runs a
# fixed list of queries over UDP and TCP, IPv4 and IPv6. What dig printed is
# kept beside it (lab-dns.dig.txt) to check the expected log files by hand.
# Needs root, iproute2, unbound, dnsutils, tcpdump.
#
#   scripts/make-fixtures.sh            (then regenerate and re-check the expected files)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/Tests/EndToEndTests/Fixtures
pcap=$fixtures/lab-dns.pcap
transcript=$fixtures/lab-dns.dig.txt
suffix=fx$$
suffix=${suffix:0:8}
lab=$root/scripts/lab.sh

for tool in ip unbound dig tcpdump; do
    command -v "$tool" >/dev/null || { echo "make-fixtures: missing $tool (make setup)" >&2; exit 1; }
done

eval "$("$lab" env "$suffix")"
tcpdump_pid=
cleanup() {
    if [[ -n $tcpdump_pid ]]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
    "$lab" down "$suffix"
}
trap cleanup EXIT
"$lab" up "$suffix"

# "server flags name type" per line.
queries=(
    "$RESOLVER4 - a.lab.test A"
    "$RESOLVER6 - v6.lab.test AAAA"
    "$RESOLVER4 - www.lab.test A"
    "$RESOLVER6 - www.lab.test AAAA"
    "$RESOLVER4 - lab.test SOA"
    "$RESOLVER4 - lab.test NS"
    "$RESOLVER4 - lab.test MX"
    "$RESOLVER6 - txt.lab.test TXT"
    "$RESOLVER4 - _sip._udp.lab.test SRV"
    "$RESOLVER6 - lab.test CAA"
    "$RESOLVER4 - 100.1.77.10.in-addr.arpa PTR"
    "$RESOLVER4 - nope.lab.test A"
    "$RESOLVER6 - nope.lab.test AAAA"
    "$RESOLVER4 - big.lab.test TXT"
    "$RESOLVER6 - big.lab.test TXT"
    "$RESOLVER4 +tcp a.lab.test A"
    "$RESOLVER6 +tcp txt.lab.test TXT"
    "$RESOLVER6 +tcp www.lab.test A"
)

tmp=$(mktemp "$pcap.tmp.XXXXXX")
ip netns exec "$NS_RESOLVER" tcpdump -i "$VETH_RESOLVER" -n -s 0 -U -w "$tmp" 'port 53' 2>"$tmp.err" &
tcpdump_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp.err" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$tmp.err" || { cat "$tmp.err" >&2; exit 1; }

: >"$transcript"
for q in "${queries[@]}"; do
    read -r server flags name type <<<"$q"
    args=(+tries=1 +time=5 +nosplit "@$server" "$name" "$type")
    [[ $flags != - ]] && args=("$flags" "${args[@]}")
    { echo "### dig ${args[*]}"; ip netns exec "$NS_CLIENT" dig "${args[@]}"; } >>"$transcript"
    sleep 0.05
done
sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=
grep -q "0 packets dropped by kernel" "$tmp.err" || { cat "$tmp.err" >&2; exit 1; }
rm -f "$tmp.err"
mv "$tmp" "$pcap"
chown --reference="$fixtures" "$pcap"
chmod 0644 "$pcap"
# The dig transcript carries wall-clock dates; fine, it is documentation.
echo "make-fixtures: wrote $pcap ($(stat -c %s "$pcap") bytes, $(tcpdump -r "$pcap" -n 2>/dev/null | wc -l) packets) and $transcript"
