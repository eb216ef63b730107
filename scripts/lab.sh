#!/usr/bin/env bash
# packetlog network-namespace lab: a DNS client and an unbound server joined by
# one veth pair. Nothing is routed anywhere else (no default route, no
# forwarders, the root zone is refused).
#
#   scripts/lab.sh up   [SUFFIX]   create (idempotent) and wait until DNS answers
#   scripts/lab.sh down [SUFFIX]   remove everything (idempotent)
#   scripts/lab.sh env  [SUFFIX]   print the names as shell assignments
#   scripts/lab.sh status [SUFFIX] exit 0 when the lab answers DNS
#
# SUFFIX (or $PL_LAB_SUFFIX): up to 8 of [a-z0-9], so parallel labs do not clash.
#
#   namespace pl-client<S>    veth pl-c<S>   10.77.1.10/24  fd77:1::10/64
#   namespace pl-resolver<S>  veth pl-r<S>   10.77.1.53/24  fd77:1::53/64  unbound :53 udp+tcp
#
# Zone lab.test (see write_config below): A, AAAA, CNAME chain, MX, TXT with
# escapes, SRV, CAA, PTR (100.1.77.10.in-addr.arpa), NXDOMAIN, and big.lab.test,
# a TXT larger than any EDNS buffer dig offers, so it comes back TC=1 over UDP.
set -euo pipefail

cmd=${1:-}
sfx=${2:-${PL_LAB_SUFFIX:-}}
if [[ ! $sfx =~ ^[a-z0-9]{0,8}$ ]]; then
    echo "lab.sh: suffix '$sfx' must be up to 8 characters of [a-z0-9]" >&2
    exit 2
fi

NS_CLIENT=pl-client$sfx
NS_RESOLVER=pl-resolver$sfx
VETH_CLIENT=pl-c$sfx
VETH_RESOLVER=pl-r$sfx
CLIENT4=10.77.1.10
CLIENT6=fd77:1::10
RESOLVER4=10.77.1.53
RESOLVER6=fd77:1::53
RUN_DIR=/run/pl-lab$sfx
CONF=$RUN_DIR/unbound.conf
PIDFILE=$RUN_DIR/unbound.pid

need() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    if ((${#missing[@]})); then
        echo "lab.sh: missing ${missing[*]} (apt-get install iproute2 unbound dnsutils)" >&2
        exit 3
    fi
    if [[ $(id -u) != 0 ]]; then echo "lab.sh: must run as root" >&2; exit 3; fi
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }
in_client() { ip netns exec "$NS_CLIENT" "$@"; }
in_resolver() { ip netns exec "$NS_RESOLVER" "$@"; }

# A TXT of 8 strings of 250 bytes: about 2 KB of rdata, more than dig's EDNS
# buffer (1232), so the UDP answer has TC=1 and dig retries over TCP.
big_txt() {
    local s i out=""
    s=$(printf 'x%.0s' $(seq 1 250))
    for i in 1 2 3 4 5 6 7 8; do out+="\"$i$s\" "; done
    printf '%s' "${out% }"
}

write_config() {
    mkdir -p "$RUN_DIR"
    cat >"$CONF" <<CONF
server:
    username: ""
    chroot: ""
    directory: "$RUN_DIR"
    pidfile: "$PIDFILE"
    logfile: "$RUN_DIR/unbound.log"
    use-syslog: no
    verbosity: 1
    do-daemonize: yes
    interface: $RESOLVER4
    interface: $RESOLVER6
    port: 53
    do-ip4: yes
    do-ip6: yes
    do-udp: yes
    do-tcp: yes
    access-control: 10.77.1.0/24 allow
    access-control: fd77:1::/64 allow
    # Never recurse: no forwarders, no root priming, no localhost upstreams.
    module-config: "iterator"
    do-not-query-localhost: yes
    minimal-responses: yes
    # Answers up to 4096 bytes over UDP (dig +bufsize=4096): big.lab.test's
    # then comes in IP fragments (the veth's MTU is 1500).
    edns-buffer-size: 4096
    max-udp-size: 4096
    # Room for a whole test burst (the tests count every answer).
    so-rcvbuf: 8m
    so-sndbuf: 8m
    local-zone: "." refuse
    # lab.test is an auth-zone (local-data cannot chase a CNAME to its A);
    # "transparent" lets it through the refused root.
    local-zone: "lab.test." transparent
    local-zone: "1.77.10.in-addr.arpa." static
    local-data: "100.1.77.10.in-addr.arpa. 300 IN PTR a.lab.test."
auth-zone:
    name: "lab.test."
    zonefile: "$RUN_DIR/lab.test.zone"
    for-downstream: yes
    for-upstream: no
    fallback-enabled: no
remote-control:
    control-enable: no
CONF
    cat >"$RUN_DIR/lab.test.zone" <<ZONE
\$ORIGIN lab.test.
@           3600 IN SOA   ns.lab.test. hostmaster.lab.test. 2024010101 7200 900 1209600 300
@           3600 IN NS    ns.lab.test.
ns          3600 IN A     $RESOLVER4
a            300 IN A     10.77.1.100
v6           300 IN AAAA  fd77:1::100
www          600 IN CNAME web.lab.test.
web          120 IN A     10.77.1.80
@           3600 IN MX    10 mail.lab.test.
mail         300 IN A     10.77.1.25
txt           60 IN TXT   "hello world" "say \\"hi\\"" "back\\\\slash"
_sip._udp    300 IN SRV   10 60 5060 sip.lab.test.
@           3600 IN CAA   0 issue "letsencrypt.org"
big           30 IN TXT   $(big_txt)
ZONE
}

unbound_running() {
    [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

answers() {
    in_client dig +time=1 +tries=1 +short @"$RESOLVER4" a.lab.test A 2>/dev/null | grep -qx 10.77.1.100 &&
        in_client dig +time=1 +tries=1 +short @"$RESOLVER6" a.lab.test A 2>/dev/null | grep -qx 10.77.1.100 &&
        in_client dig +time=1 +tries=1 +short +tcp @"$RESOLVER4" a.lab.test A 2>/dev/null | grep -qx 10.77.1.100
}

up() {
    need ip unbound dig
    ns_exists "$NS_CLIENT" || ip netns add "$NS_CLIENT"
    ns_exists "$NS_RESOLVER" || ip netns add "$NS_RESOLVER"
    if ! in_client ip link show "$VETH_CLIENT" >/dev/null 2>&1; then
        # A half-made pair (e.g. an interrupted run) is removed first.
        in_resolver ip link del "$VETH_RESOLVER" >/dev/null 2>&1 || true
        ip link del "$VETH_CLIENT" >/dev/null 2>&1 || true
        ip link add "$VETH_CLIENT" netns "$NS_CLIENT" type veth peer name "$VETH_RESOLVER" netns "$NS_RESOLVER"
    fi
    for ns in "$NS_CLIENT" "$NS_RESOLVER"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        ip netns exec "$ns" ip link set lo up
    done
    in_client ip addr replace "$CLIENT4/24" dev "$VETH_CLIENT"
    in_client ip -6 addr replace "$CLIENT6/64" dev "$VETH_CLIENT" nodad
    in_resolver ip addr replace "$RESOLVER4/24" dev "$VETH_RESOLVER"
    in_resolver ip -6 addr replace "$RESOLVER6/64" dev "$VETH_RESOLVER" nodad
    in_client ip link set "$VETH_CLIENT" up
    in_resolver ip link set "$VETH_RESOLVER" up

    if ! unbound_running; then
        write_config
        unbound-checkconf "$CONF" >/dev/null
        # The daemon keeps none of our descriptors open (a caller waiting for
        # EOF on a pipe, e.g. a test harness, would otherwise wait forever).
        (
            for fd in /proc/$BASHPID/fd/*; do
                fd=${fd##*/}
                if ((fd > 2)); then eval "exec $fd>&-"; fi
            done
            exec ip netns exec "$NS_RESOLVER" unbound -c "$CONF"
        ) </dev/null >/dev/null 2>>"$RUN_DIR/unbound.start.log"
    fi
    local i
    for i in $(seq 1 50); do
        if answers; then return 0; fi
        sleep 0.2
    done
    echo "lab.sh: the lab's unbound does not answer; log follows" >&2
    cat "$RUN_DIR/unbound.log" >&2 2>/dev/null || true
    exit 1
}

down() {
    # Stop whatever still runs inside the lab's namespaces (our unbound, and any
    # capture a test left behind), then remove the namespaces and their veths.
    local ns pid
    for ns in "$NS_RESOLVER" "$NS_CLIENT"; do
        ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    if [[ -s $PIDFILE ]]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; fi
    sleep 0.1
    for ns in "$NS_RESOLVER" "$NS_CLIENT"; do
        ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns"
    done
    rm -rf "$RUN_DIR"
}

print_env() {
    cat <<ENV
NS_CLIENT=$NS_CLIENT
NS_RESOLVER=$NS_RESOLVER
VETH_CLIENT=$VETH_CLIENT
VETH_RESOLVER=$VETH_RESOLVER
CLIENT4=$CLIENT4
CLIENT6=$CLIENT6
RESOLVER4=$RESOLVER4
RESOLVER6=$RESOLVER6
ENV
}

case $cmd in
    up) up ;;
    down) need ip; down ;;
    env) print_env ;;
    status) need ip dig; ns_exists "$NS_CLIENT" && answers ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
