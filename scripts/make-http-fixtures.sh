#!/usr/bin/env bash
# Records Tests/EndToEndTests/Fixtures/lab-http.pcap: real HTTP/1.x traffic in a
# lab of three network namespaces of its own (nothing is routed anywhere else):
#
#   plh-cl<S>  client   veth plh-c<S>   10.81.1.10/24 fd81:1::10/64   curl, a python3 raw-socket client
#   plh-web<S> web host veth plh-w<S>   10.81.1.80/24 fd81:1::80/64   nginx :80 :8080 (static, 404, 301,
#                       veth plh-wu<S>  10.81.2.80/24 fd81:2::80/64   302, return 418, reverse proxy)
#   plh-up<S>  upstream veth plh-u<S>   10.81.2.30/24 fd81:2::30/64   python3 HTTP/1.1 keep-alive server
#                                                                     on 10.81.2.30:80, [fd81:2::30]:8080
#                                                                     and 10.81.2.30:9000 (not a service port)
#
# tcpdump -i any -s 0 -U -w runs in the web host's namespace (link type
# LINUX_SLL2), so the file holds both hops of every proxied exchange. What curl
# -v and the raw client sent and received is kept beside it
# (lab-http.client.txt), to check the expected log files by hand.
# Needs root, iproute2, nginx (nginx-light), curl, python3, tcpdump.
#
#   scripts/make-http-fixtures.sh     (then regenerate and re-check the expected files)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/Tests/EndToEndTests/Fixtures
pcap=$fixtures/lab-http.pcap
transcript=$fixtures/lab-http.client.txt
sfx=${PL_LAB_SUFFIX:-$$}
sfx=${sfx:0:6}

NS_CL=plh-cl$sfx NS_WEB=plh-web$sfx NS_UP=plh-up$sfx
V_C=plh-c$sfx V_W=plh-w$sfx V_WU=plh-wu$sfx V_U=plh-u$sfx
CL4=10.81.1.10 CL6=fd81:1::10 WEB4=10.81.1.80 WEB6=fd81:1::80
WEBU4=10.81.2.80 WEBU6=fd81:2::80 UP4=10.81.2.30 UP6=fd81:2::30

for tool in ip nginx curl python3 tcpdump; do
    command -v "$tool" >/dev/null || { echo "make-http-fixtures: missing $tool (apt-get install iproute2 nginx-light curl tcpdump python3)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "make-http-fixtures: must run as root" >&2; exit 1; }

tmp=$(mktemp -d /tmp/plh-lab.XXXXXX)
pids=()
cleanup() {
    local p ns
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ -s $tmp/nginx.pid ]]; then kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; fi
    sleep 0.2
    for ns in "$NS_CL" "$NS_WEB" "$NS_UP"; do
        ip netns list | awk '{print $1}' | grep -qx -- "$ns" || continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- namespaces and links -----------------------------------------------------
for ns in "$NS_CL" "$NS_WEB" "$NS_UP"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip netns exec "$ns" ip link set lo up
done
ip link add "$V_C" netns "$NS_CL" type veth peer name "$V_W" netns "$NS_WEB"
ip link add "$V_WU" netns "$NS_WEB" type veth peer name "$V_U" netns "$NS_UP"
addr() { ip netns exec "$1" ip addr add "$3/24" dev "$2"; ip netns exec "$1" ip -6 addr add "$4/64" dev "$2" nodad; ip netns exec "$1" ip link set "$2" up; }
addr "$NS_CL" "$V_C" "$CL4" "$CL6"
addr "$NS_WEB" "$V_W" "$WEB4" "$WEB6"
addr "$NS_WEB" "$V_WU" "$WEBU4" "$WEBU6"
addr "$NS_UP" "$V_U" "$UP4" "$UP6"

# --- upstream: python3 stdlib HTTP/1.1 keep-alive application server ------------
cat >"$tmp/upstream.py" <<'PY'
import socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "plh-app/1"
    sys_version = ""

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", ctype=None, reason=None, extra=()):
        self.send_response(code, reason)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        if code not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD" and code not in (204, 304):
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        p = self.path
        if p.startswith("/api/json"):
            self.reply(200, b'{"items":[1,2,3]}\n', "application/json")
        elif p.startswith("/api/chunked"):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for row in (b"id,name\n", b"1,apple\n", b"2,pear\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(row), row))
                self.wfile.flush()
                time.sleep(0.03)
            self.wfile.write(b"0\r\n\r\n")
        elif p.startswith("/api/etag"):
            if self.headers.get("If-None-Match") == '"v1"':
                self.reply(304, extra=[("ETag", '"v1"')])
            else:
                self.reply(200, b"versioned\n", "text/plain", extra=[("ETag", '"v1"')])
        elif p.startswith("/api/whoami"):
            ua = self.headers.get("User-Agent", "")
            self.reply(200, b"ua bytes: %d\n" % len(ua.encode("latin-1", "replace")), "text/plain; charset=utf-8")
        elif p.startswith("/api/teapot"):
            self.reply(418, b"short and stout\n", "text/plain", reason="I'm a teapot, really")
        elif p.startswith("/api/fail"):
            self.reply(500, b"boom\n", "text/plain")
        elif p.startswith("/status"):
            self.reply(200, b"up\n", "text/plain")
        else:
            self.reply(404, b"no such thing\n", "text/plain")

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        data = self.body()
        self.reply(201, b'{"stored":%d}\n' % len(data), "application/json")

    def do_DELETE(self):
        self.reply(204)

class V6(ThreadingHTTPServer):
    address_family = socket.AF_INET6

servers = [ThreadingHTTPServer((sys.argv[1], 80), App), V6((sys.argv[2], 8080), App),
           ThreadingHTTPServer((sys.argv[1], 9000), App)]
for s in servers:
    s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
ip netns exec "$NS_UP" python3 -u "$tmp/upstream.py" "$UP4" "$UP6" >"$tmp/upstream.log" 2>&1 &
pids+=($!)

# --- web host: nginx ------------------------------------------------------------
mkdir -p "$tmp/www/docs" "$tmp/temp"
chmod 0755 "$tmp"   # nginx workers (not root) read the files
printf '<!doctype html><title>plh</title><p>hello</p>\n' >"$tmp/www/index.html"
printf 'plain text file\n' >"$tmp/www/docs/readme.txt"
printf '{"ok":true}\n' >"$tmp/www/docs/data.json"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $tmp/nginx.pid;
error_log $tmp/error.log info;
events { worker_connections 64; }
http {
    access_log $tmp/access.log;
    client_body_temp_path $tmp/temp/body;
    proxy_temp_path $tmp/temp/proxy;
    fastcgi_temp_path $tmp/temp/fastcgi;
    uwsgi_temp_path $tmp/temp/uwsgi;
    scgi_temp_path $tmp/temp/scgi;
    types { text/html html; text/plain txt; application/json json; }
    default_type text/plain;
    charset_types text/plain;
    server_tokens off;
    sendfile off;
    keepalive_requests 100;
    upstream app4 { server $UP4:80; keepalive 4; }
    upstream app6 { server [$UP6]:8080; keepalive 4; }
    server {
        listen $WEB4:80;
        listen [$WEB6]:80;
        listen $WEB4:8080;
        listen [$WEB6]:8080;
        server_name www.plh.test;
        root $tmp/www;
        location = /old { return 301 /index.html; }
        location = /moved { return 302 http://www.plh.test/docs/readme.txt; }
        location = /teapot { return 418 "I am a teapot\n"; }
        location = /utf8 { charset utf-8; return 200 "café\n"; }
        location /api/ {
            proxy_pass http://app4;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /api6/ {
            proxy_pass http://app6/api/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /status { proxy_pass http://$UP4:9000; }
    }
}
CONF
ip netns exec "$NS_WEB" nginx -t -q -c "$tmp/nginx.conf"
ip netns exec "$NS_WEB" nginx -c "$tmp/nginx.conf"

for _ in $(seq 1 50); do
    grep -q ready "$tmp/upstream.log" 2>/dev/null &&
        ip netns exec "$NS_CL" curl -s -o /dev/null "http://$WEB4/index.html" && break
    sleep 0.1
done
# Warm-up traffic above happens before the capture starts.

# --- capture on the web host ------------------------------------------------------
out=$(mktemp "$pcap.tmp.XXXXXX")
ip netns exec "$NS_WEB" tcpdump -i any -n -s 0 -U -w "$out" tcp 2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
pids+=($tcpdump_pid)
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$tmp/tcpdump.err" || { cat "$tmp/tcpdump.err" >&2; exit 1; }
sleep 0.2

: >"$transcript"
# curl -v, one run per line: its arguments. Several URLs in one run share a
# keep-alive connection.
run_curl() {
    { echo "### curl $*"; ip netns exec "$NS_CL" curl -sS -v -o /dev/null "$@" 2>&1 | tr -d '\r'; echo; } >>"$transcript"
    sleep 0.1
}
B4=http://$WEB4 B6=http://[$WEB6]
run_curl -A "curl/7.88.1" -H "Host: www.plh.test" "$B4/index.html" "$B4/docs/readme.txt" "$B4/missing.html"
run_curl -g -A "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" "$B6/index.html" "$B6/old" "$B6/moved"
run_curl -A "okhttp/4.12.0" "$B4:8080/teapot" "$B4:8080/utf8"
run_curl -I -A "curl/7.88.1" "$B4/docs/data.json"
run_curl -A "python-requests/2.31" "$B4/api/json" "$B4/api/chunked" "$B4/api/teapot" "$B4/api/fail"
run_curl -g -A "Dalvik/2.1.0 (Linux; U; Android 14)" "$B6:8080/api6/json" "$B6:8080/api6/etag" -H 'If-None-Match: "v1"'
run_curl -A "curl/7.88.1" -X POST -H "Content-Type: application/json" --data '{"name":"kiwi"}' "$B4/api/items"
run_curl -g -A "curl/7.88.1" -X DELETE "$B6/api/items/7"
run_curl -A "curl/7.88.1" "$B4/status"
run_curl -A "-" "$B4/docs/readme.txt"
run_curl -0 -A "" -H "Host:" "$B4:8080/index.html"

# The raw client: what curl cannot send. Prints what it sent and the first
# lines of what came back.
cat >"$tmp/raw.py" <<'PY'
import socket, sys, time
host6, host4 = sys.argv[1], sys.argv[2]

def session(title, family, addr, parts, pause=0.25, wait=0.6):
    print("### raw: " + title)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect(addr)
    for i, p in enumerate(parts):
        if i:
            time.sleep(pause)
        s.sendall(p)
        print("> segment %d: %r" % (i + 1, p))
    s.settimeout(wait)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    for line in got.splitlines(keepends=True):
        print("< %r" % line)
    print()
    sys.stdout.flush()
    time.sleep(0.1)

A4 = (host4, 80)
A6 = (host6, 8080)
INET, INET6 = socket.AF_INET, socket.AF_INET6

session("pipelining: GET, HEAD, GET in one segment", INET, A4, [
    b"GET /index.html HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: pipe/1\r\n\r\n"
    b"HEAD /docs/readme.txt HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: pipe/1\r\n\r\n"
    b"GET /api/json HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: pipe/1\r\nConnection: close\r\n\r\n"])
session("POST with a body, then a GET, in one segment (IPv6)", INET6, A6, [
    b"POST /api/items HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: pipe/2\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
    b'{"name":"lemon"}'
    b"GET /api/json HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: pipe/2\r\nConnection: close\r\n\r\n"])
session("header block split inside the User-Agent line", INET, A4, [
    b"GET /docs/readme.txt HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: splitt",
    b"er/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"])
session("header block split before the final empty line (IPv6)", INET6, A6, [
    b"GET /index.html HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: splitter/2.0\r\nConnection: close\r\n",
    b"\r\n"])
session("hostile target: UTF-8, backslash, quote", INET, A4, [
    b'GET /docs/na\xc3\xafve\\dir/"q"?x=a\\b HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: fuzzer/7\r\nConnection: close\r\n\r\n'])
session("hostile target: ESC and DEL", INET, A4, [
    b"GET /esc\x1b[0m/del\x7f HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: fuzzer/8\r\nConnection: close\r\n\r\n"])
session("hostile User-Agent: TAB, quote, backslash, UTF-8, ESC, DEL (proxied)", INET, A4, [
    b'GET /api/whoami HTTP/1.1\r\nHost: www.plh.test\r\nUser-Agent: agent\t"q" \\path\\ caf\xc3\xa9 \x1b[1mbold\x7f end\r\nConnection: close\r\n\r\n'])
session("lower-case names, bare LF, Host with a space before the colon", INET6, A6, [
    b"GET /docs/data.json HTTP/1.1\nhost: www.plh.test\nuser-agent: lower/1\n\n"
    b"GET /index.html HTTP/1.1\r\nHost : www.plh.test\r\nUser-Agent: spacey/1\r\nConnection: close\r\n\r\n"])
PY
ip netns exec "$NS_CL" python3 -u "$tmp/raw.py" "$WEB6" "$WEB4" >>"$transcript"

sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
grep -q "^0 packets dropped by kernel" "$tmp/tcpdump.err" || { cat "$tmp/tcpdump.err" >&2; exit 1; }
mv "$out" "$pcap"
chown --reference="$fixtures" "$pcap" "$transcript"
chmod 0644 "$pcap" "$transcript"
echo "make-http-fixtures: wrote $pcap ($(stat -c %s "$pcap") bytes, $(tcpdump -r "$pcap" -n 2>/dev/null | wc -l) packets) and $transcript"
