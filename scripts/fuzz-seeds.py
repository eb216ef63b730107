#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Sources/Fuzz/) to Fuzz/corpus/<target>/.

Seeds come from two places:
  * the project's own capture, Tests/EndToEndTests/Fixtures/lab-dns.pcap (when
    present): every frame for FuzzHostDecoding (with its link-type byte), every
    DNS payload (UDP datagrams, TCP segments and each TCP direction's stream)
    for FuzzDNS, and each TCP connection as a segment script for
    FuzzTCPReassembly;
  * small hand-made messages: DNS queries and responses (many record types,
    compression, EDNS, hostile names), HTTP/1.x requests and responses
    (pipelining, bodies, chunking, folding, odd bytes), frames of every link
    type, reassembly scripts.

Files are named by the SHA-1 of their content (as libFuzzer does), so running
the script again adds nothing twice. Python 3 standard library only.

    scripts/fuzz-seeds.py [--out Fuzz/corpus] [--pcap PATH]
"""

import argparse
import hashlib
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PCAP = os.path.join(ROOT, "Tests", "EndToEndTests", "Fixtures", "lab-dns.pcap")

# FuzzHostDecoding: input byte 0 picks the link type, in this order.
LINK_INDEX = {1: 0, 113: 1, 276: 2, 12: 3, 14: 3, 101: 3, 228: 3, 229: 3, 0: 4, 108: 5}
ETHERNET, SLL, SLL2, RAW, NULL, LOOP = range(6)


class Corpus:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, data, limit=4096):
        data = bytes(data)[:limit]
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.counts[target] = self.counts.get(target, 0) + 1


# ---------------------------------------------------------------- pcap reading

def read_pcap(path):
    """(linktype, [frame bytes]) from a pcap or pcapng file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        return None, []
    magic = blob[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(blob)
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    linktype = struct.unpack(e + "I", blob[20:24])[0] & 0x0FFFFFFF
    frames, off = [], 24
    while off + 16 <= len(blob):
        incl = struct.unpack(e + "I", blob[off + 8:off + 12])[0]
        off += 16
        frames.append(blob[off:off + incl])
        off += incl
    return linktype, frames


def read_pcapng(blob):
    e = "<" if blob[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    linktypes, frames, off = [], [], 0
    while off + 12 <= len(blob):
        btype, blen = struct.unpack(e + "II", blob[off:off + 8])
        if blen < 12:
            break
        body = blob[off + 8:off + blen - 4]
        if btype == 1:                                   # interface description
            linktypes.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6:                                 # enhanced packet
            caplen = struct.unpack(e + "I", body[12:16])[0]
            frames.append(body[20:20 + caplen])
        off += blen
    return (linktypes[0] if linktypes else 1), frames


def l3_offset(linktype, frame):
    """(ethertype-ish family 4/6, offset of the IP header) or None."""
    if linktype == 1:
        if len(frame) < 14:
            return None
        t, off = struct.unpack(">H", frame[12:14])[0], 14
        while t in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 4:
            t, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    elif linktype == 113:
        if len(frame) < 16:
            return None
        t, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 276:
        if len(frame) < 20:
            return None
        t, off = struct.unpack(">H", frame[0:2])[0], 20
    elif linktype in (12, 14, 101, 228, 229):
        if not frame:
            return None
        t, off = {4: 0x0800, 6: 0x86DD}.get(frame[0] >> 4, 0), 0
    elif linktype in (0, 108):
        if len(frame) < 4:
            return None
        fam = struct.unpack("<I" if linktype == 0 else ">I", frame[:4])[0]
        if linktype == 0 and fam >= 0x10000:
            fam = struct.unpack(">I", frame[:4])[0]
        t, off = {2: 0x0800, 10: 0x86DD, 24: 0x86DD, 28: 0x86DD, 30: 0x86DD}.get(fam, 0), 4
    else:
        return None
    return {0x0800: 4, 0x86DD: 6}.get(t), off


def transport(linktype, frame):
    """(proto 'udp'/'tcp', src, sport, dst, dport, seq, flags, payload) or None."""
    fam_off = l3_offset(linktype, frame)
    if not fam_off or not fam_off[0]:
        return None
    fam, off = fam_off
    if fam == 4:
        if len(frame) < off + 20:
            return None
        ihl = (frame[off] & 0x0F) * 4
        total = struct.unpack(">H", frame[off + 2:off + 4])[0]
        proto, src, dst = frame[off + 9], frame[off + 12:off + 16], frame[off + 16:off + 20]
        end, start = min(off + total, len(frame)), off + ihl
    else:
        if len(frame) < off + 40:
            return None
        plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
        proto, src, dst = frame[off + 6], frame[off + 8:off + 24], frame[off + 24:off + 40]
        end, start = min(off + 40 + plen, len(frame)), off + 40
    seg = frame[start:end]
    if proto == 17 and len(seg) >= 8:
        sport, dport = struct.unpack(">HH", seg[:4])
        return "udp", src, sport, dst, dport, 0, 0, seg[8:]
    if proto == 6 and len(seg) >= 20:
        sport, dport, seq = struct.unpack(">HHI", seg[:8])
        hl = (seg[12] >> 4) * 4
        return "tcp", src, sport, dst, dport, seq, seg[13], seg[hl:]
    return None


def seeds_from_pcap(corpus, path):
    linktype, frames = read_pcap(path)
    if linktype not in LINK_INDEX:
        print("fuzz-seeds: %s: link type %d not decoded by the host, skipped" % (path, linktype))
        return
    link = LINK_INDEX[linktype]
    streams = {}     # (src, sport, dst, dport) -> [(seq, flags, payload)]
    for frame in frames:
        corpus.add("FuzzHostDecoding", bytes([link]) + frame)
        t = transport(linktype, frame)
        if not t:
            continue
        proto, src, sport, dst, dport, seq, flags, payload = t
        if proto == "udp" and 53 in (sport, dport) and payload:
            corpus.add("FuzzDNS", payload)
        if proto == "tcp":
            streams.setdefault((src, sport, dst, dport), []).append((seq, flags, payload))
            if 53 in (sport, dport) and payload:
                corpus.add("FuzzDNS", payload)
    # Each TCP direction's stream (DNS: length-prefixed messages), and each
    # connection as a FuzzTCPReassembly script.
    done = set()
    for key, segs in streams.items():
        data = b"".join(p for _, _, p in sorted(segs, key=lambda s: s[0]) if p)
        if data and 53 in (key[1], key[3]):
            corpus.add("FuzzDNS", data)
        conn = frozenset([key, (key[2], key[3], key[0], key[1])])
        if conn in done:
            continue
        done.add(conn)
        client = key if key[3] in (53, 80) else (key[2], key[3], key[0], key[1])
        corpus.add("FuzzTCPReassembly", script_from_connection(streams, client))


def script_from_connection(streams, client):
    """A FuzzTCPReassembly script replaying one connection (connection 0)."""
    server = (client[2], client[3], client[0], client[1])
    ops = []
    for direction, key in ((0, client), (1, server)):
        segs = streams.get(key, [])
        if not segs:
            continue
        isn = segs[0][0]
        for seq, flags, payload in segs:
            # Sequence offsets are relative to the fuzz target's ISN of that direction.
            ops.append((direction, (seq - isn) & 0xFFFFFFFF, flags, payload))
    out = b""
    for direction, rel, flags, payload in ops:
        for i in range(0, max(len(payload), 1), 63):
            chunk = payload[i:i + 63]
            out += tcp_op(0, direction == 1, flags_from_tcp(flags if i == 0 else 0x10), rel + i, chunk)
    return out


def flags_from_tcp(tcp_flags):
    return (0x08 if tcp_flags & 1 else 0) | (0x10 if tcp_flags & 2 else 0) | \
           (0x20 if tcp_flags & 4 else 0) | (0x40 if tcp_flags & 0x10 else 0)


def tcp_op(connection, from_server, flag_bits, rel, payload, consumer=0, idle=False):
    """One FuzzTCPReassembly segment (see Sources/Fuzz/FuzzTCPReassembly)."""
    b0 = (connection & 3) | (0x04 if from_server else 0) | flag_bits | (0x80 if idle else 0)
    delta = rel if rel < 0x8000 else (rel - 0x10000 if rel < 0x10000 else (rel & 0x7FFF))
    assert len(payload) <= 63
    return struct.pack(">Bh", b0, delta) + bytes([(consumer << 6) | len(payload)]) + bytes(payload)


# ---------------------------------------------------------------- DNS messages

def name(dotted):
    out = b""
    for label in [l for l in dotted.split(".") if l]:
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def header(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def question(qname, qtype, qclass=1):
    return name(qname) + struct.pack(">HH", qtype, qclass)


def rr(owner, rtype, rdata, ttl=300, rclass=1, owner_raw=None):
    o = owner_raw if owner_raw is not None else name(owner)
    return o + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def opt(options=b"", udp=1232, do=True):
    return b"\x00" + struct.pack(">HHIH", 41, udp, 0x8000 if do else 0, len(options)) + options


def charstr(s):
    s = s.encode() if isinstance(s, str) else s
    return bytes([len(s)]) + s


def dns_messages():
    q = header(0x1234, 0x0120, ar=1) + question("www.example.com", 1) + opt(struct.pack(">HH", 10, 8) + b"\x01\x02\x03\x04\x05\x06\x07\x08")
    yield q
    yield header(0x0001, 0x0100) + question("example.org", 28)
    yield header(0x0002, 0x0000) + question(".", 2)
    yield header(0x0003, 0x0100) + question("_443._tcp.example.com", 65)
    yield header(0x0004, 0x0100) + question("1.0.0.127.in-addr.arpa", 12)
    yield header(0x0005, 0x0100) + question("version.bind", 16, 3)
    # A response with compression (pointers to offset 12, the question name).
    ptr = b"\xc0\x0c"
    records = [
        rr(None, 1, bytes([192, 0, 2, 1]), owner_raw=ptr),
        rr(None, 28, bytes.fromhex("20010db8000000000000000000000001"), owner_raw=ptr),
        rr(None, 5, b"\x05alias" + ptr, owner_raw=ptr),
        rr(None, 15, struct.pack(">H", 10) + b"\x04mail" + ptr, owner_raw=ptr),
        rr(None, 16, charstr("v=spf1 -all") + charstr('quote " and \\ backslash') + charstr(b"\x00\x7f\xff\n"), owner_raw=ptr),
        rr(None, 6, b"\x02ns" + ptr + b"\x05admin" + ptr + struct.pack(">IIIII", 2026112701, 7200, 3600, 1209600, 300), owner_raw=ptr),
        rr(None, 33, struct.pack(">HHH", 0, 5, 5060) + b"\x03sip" + ptr, owner_raw=ptr),
        rr(None, 257, b"\x00\x05issue" + b"letsencrypt.org", owner_raw=ptr),
        rr(None, 99, charstr("legacy"), owner_raw=ptr),
        rr(None, 13, charstr("CPU") + charstr("OS"), owner_raw=ptr),
        rr(None, 35, struct.pack(">HH", 100, 10) + charstr("S") + charstr("SIP+D2U") + charstr("") + b"\x04_sip\x04_udp" + ptr, owner_raw=ptr),
        rr(None, 44, b"\x04\x02" + bytes(range(32)), owner_raw=ptr),
        rr(None, 52, b"\x03\x01\x01" + bytes(range(32)), owner_raw=ptr),
        rr(None, 43, struct.pack(">HBB", 12345, 13, 2) + bytes(range(32)), owner_raw=ptr),
        rr(None, 48, struct.pack(">HBB", 257, 3, 13) + bytes(range(64)), owner_raw=ptr),
        rr(None, 46, struct.pack(">HBBIIIH", 1, 13, 2, 300, 1800000000, 1790000000, 12345) + b"\x07example\x03com\x00" + bytes(range(64)), owner_raw=ptr),
        rr(None, 47, b"\x04next" + ptr + b"\x00\x06\x40\x01\x00\x00\x00\x03" + b"\x01\x01\x40", owner_raw=ptr),
        rr(None, 50, b"\x01\x00\x00\x0a\x04\xaa\xbb\xcc\xdd\x14" + bytes(range(20)) + b"\x00\x01\x62", owner_raw=ptr),
        rr(None, 51, b"\x01\x00\x00\x0a\x00", owner_raw=ptr),
        rr(None, 29, bytes.fromhex("0012161389e4a8f08000b9b8000098968c"), owner_raw=ptr),
        rr(None, 64, struct.pack(">H", 1) + b"\x00" + struct.pack(">HH", 1, 3) + b"\x02h2" + struct.pack(">HH", 3, 2) + struct.pack(">H", 443)
           + struct.pack(">HH", 4, 4) + bytes([192, 0, 2, 1]) + struct.pack(">HH", 5, 3) + b"ech" + struct.pack(">HH", 6, 16) + bytes(16), owner_raw=ptr),
        rr(None, 65, struct.pack(">H", 0) + b"\x05alias" + ptr, owner_raw=ptr),
        rr(None, 39, b"\x03new" + ptr, owner_raw=ptr),
        rr(None, 42, struct.pack(">HBB", 1, 24, 3) + bytes([192, 0, 2]) + struct.pack(">HBB", 2, 64, 0x84) + bytes([0x20, 0x01, 0x0d, 0xb8]), owner_raw=ptr),
        rr(None, 45, b"\x0a\x01\x02" + bytes([192, 0, 2, 38]) + bytes(range(20)), owner_raw=ptr),
        rr(None, 49, bytes(range(35)), owner_raw=ptr),
        rr(None, 55, b"\x10\x02\x00\x80" + bytes(16) + bytes(128) + b"\x07rvs\x00", owner_raw=ptr),
        rr(None, 61, bytes(range(40)), owner_raw=ptr),
        rr(None, 62, struct.pack(">IH", 66, 3) + b"\x00\x00\x00\x03\x60", owner_raw=ptr),
        rr(None, 63, struct.pack(">IBB", 2026112701, 1, 1) + bytes(48), owner_raw=ptr),
        rr(None, 108, bytes(6), owner_raw=ptr),
        rr(None, 109, bytes(8), owner_raw=ptr),
        rr(None, 256, struct.pack(">HH", 10, 1) + b"https://example.com/", owner_raw=ptr),
        rr(None, 65280, b"\x01\x02\x03", owner_raw=ptr),
        rr(None, 1, bytes([192, 0, 2, 1]), rclass=3, owner_raw=ptr),
        rr(None, 250, b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00" + struct.pack(">HIHH", 0, 1790000000, 300, 16) + bytes(16) + struct.pack(">HHH", 0x1234, 0, 0), rclass=255, owner_raw=ptr),
    ]
    base = header(0x1234, 0x8580, qd=1, an=0) + question("example.com", 255)
    for r in records:   # one message per record type
        yield base[:6] + struct.pack(">H", 1) + base[8:] + r
    yield base[:6] + struct.pack(">H", len(records)) + base[8:] + b"".join(records)
    # Referral with authority and glue, and EDNS with options (cookie, padding, ECS, EDE).
    edns = (struct.pack(">HH", 10, 24) + bytes(24) + struct.pack(">HH", 8, 7) + b"\x00\x01\x18\x00\xc0\x00\x02"
            + struct.pack(">HH", 15, 6) + b"\x00\x12" + b"oops" + struct.pack(">HH", 12, 4) + bytes(4))
    yield (header(7, 0x8100, 1, 0, 1, 2) + question("www.example.com", 1) + rr("example.com", 2, b"\x03ns1\x07example\x03com\x00")
           + rr("ns1.example.com", 1, bytes([192, 0, 2, 53])) + opt(edns))
    # Error responses and odd header bits.
    yield header(8, 0x8183) + question("nope.example", 1)
    yield header(9, 0xFFFF) + question("example.com", 1)
    yield header(10, 0x8182, qd=0)
    # Hostile names: a pointer loop, a pointer forward, 63-byte labels, bytes needing escapes, too long.
    yield header(11, 0x8180, 1, 1) + question("a.example", 1) + b"\xc0\x1d" + struct.pack(">HHIH", 1, 1, 0, 4) + bytes(4) + b"\xc0\x1b"
    yield header(12, 0x0100) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    yield header(13, 0x0100) + b"\xc0\x12\x00\x01\x00\x01" + b"\x01a\x00"
    yield header(14, 0x0100) + (b"\x3f" + b"x" * 63) * 4 + b"\x00" + struct.pack(">HH", 1, 1)
    yield header(15, 0x0100) + b"\x05a.b\\\x01\x03\x7f \xff\x00" + struct.pack(">HH", 1, 1)
    yield header(16, 0x0100) + b"\x40" + b"y" * 64 + b"\x00" + struct.pack(">HH", 1, 1)
    # Counts larger than the message, truncated records.
    yield header(17, 0x8180, 1, 65535) + question("example.com", 1)
    yield header(18, 0x8180, 1, 1) + question("example.com", 1) + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 200) + bytes(4)
    yield header(19, 0x0100)[:11]


def tcp_frame(msg):
    return struct.pack(">H", len(msg)) + msg


# ---------------------------------------------------------------- HTTP messages

HTTP_MESSAGES = [
    b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    b"GET /index.html?q=a%20b&x=1 HTTP/1.0\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n\r\n",
    b"HEAD /favicon.ico HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
    b"POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n{\"a\"}GET /next HTTP/1.1\r\nHost: b\r\n\r\n",
    b"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nDELETE /x HTTP/1.1\r\nHost: a\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    b"GET http://example.com/abs HTTP/1.1\r\nHost: ignored\r\nUser-Agent: a\r\n  folded\r\n\tagain\r\n\r\n",
    b"GET / HTTP/1.1\nHost: bare-lf\nUser-Agent: lf\n\n",
    b"GET / HTTP/1.1\r\nHost: -\r\nUser-Agent: \xc3\xa9t\xe9 \x00\x7f\x1b[31m\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"GET /very/long/" + b"a" * 300 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent:",
    b"GET / HTT",
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\n\r\nhello world\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 304 Not Modified\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\nLocation: /x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.0 404\r\n\r\n",
    b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.com/\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 \xff\xfe reason\r\nContent-Type: -\r\nContent-Length: 18446744073709551616\r\n\r\n",
    b"HTTP/1.1 999 Whatever\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length:  7 \r\nContent-Type: \r\n text/plain\r\n\r\n",
    b"HTTP/2 200\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until close",
    # Conversations (FuzzHTTP cuts before the first line starting "HTTP/"): HEAD
    # responses announce a length but have no body.
    b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"HEAD /a HTTP/1.1\r\nHost: a\r\n\r\nHEAD /b HTTP/1.1\r\nHost: a\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n",
]


# ---------------------------------------------------------------- frames

def ipv4(proto, payload, src=(10, 0, 0, 1), dst=(10, 0, 0, 2), options=b"", frag=0):
    ihl = 5 + len(options) // 4
    return (struct.pack(">BBHHHBBH", 0x40 | ihl, 0, 20 + len(options) + len(payload), 1, frag, 64, proto, 0)
            + bytes(src) + bytes(dst) + options + payload)


def ipv6(nxt, payload, ext=b""):
    return (struct.pack(">IHBB", 0x60000000, len(ext) + len(payload), nxt, 64)
            + bytes.fromhex("20010db8000000000000000000000001") + bytes.fromhex("20010db8000000000000000000000002") + ext + payload)


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0xdead) + payload


def tcp(sport, dport, seq, flags, payload, options=b""):
    off = (20 + len(options)) // 4
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, off << 4, flags, 65535, 0, 0) + options + payload


def eth(ethertype, body, tags=()):
    f = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01"
    for tpid in tags:
        f += struct.pack(">HH", tpid, 100)
    return f + struct.pack(">H", ethertype) + body


def sll(ethertype, body):
    return struct.pack(">HHH", 0, 1, 6) + bytes(8) + struct.pack(">H", ethertype) + body


def sll2(ethertype, body):
    return struct.pack(">HHIHBB", ethertype, 0, 2, 1, 0, 6) + bytes(8) + body


def host_frames(dns_query, dns_response):
    get = HTTP_MESSAGES[0]
    framed = tcp_frame(dns_query)
    yield ETHERNET, eth(0x0800, ipv4(17, udp(33974, 53, dns_query)))
    yield ETHERNET, eth(0x0800, ipv4(17, udp(53, 33974, dns_response))) + bytes(20)   # padding
    yield ETHERNET, eth(0x86DD, ipv6(6, tcp(51000, 80, 1000, 0x18, get)))
    yield ETHERNET, eth(0x0800, ipv4(6, tcp(40000, 53, 0xFFFFFFF0, 0x02, b"")))
    yield ETHERNET, eth(0x0800, ipv4(6, tcp(40000, 53, 7, 0x18, framed + framed[:5], options=b"\x01\x01\x08\x0a" + bytes(8))))
    yield ETHERNET, eth(0x0800, ipv4(17, udp(1, 53, dns_query)), tags=(0x88A8, 0x8100))
    yield ETHERNET, eth(0x0800, ipv4(17, udp(1, 53, dns_query), options=b"\x94\x04\x00\x00"))
    yield ETHERNET, eth(0x0800, ipv4(17, udp(1, 53, dns_query), frag=0x2000))
    yield ETHERNET, eth(0x0806, bytes(28))
    yield SLL, sll(0x0800, ipv4(17, udp(5353, 53, dns_query)))
    yield SLL, sll(0x86DD, ipv6(17, udp(53, 5353, dns_response)))
    yield SLL2, sll2(0x0800, ipv4(6, tcp(80, 51000, 5, 0x19, HTTP_MESSAGES[14])))
    yield SLL2, sll2(0x86DD, ipv6(0, udp(1, 53, dns_query), ext=b"\x11\x00" + bytes(6)))
    yield RAW, ipv6(43, tcp(51000, 80, 1, 0x18, get), ext=b"\x3c\x00" + bytes(6) + b"\x06\x00" + bytes(6))
    yield RAW, ipv6(51, udp(1, 53, dns_query), ext=b"\x11\x01" + bytes(6))
    yield RAW, ipv6(44, b"\x11\x00\x00\x01" + bytes(4) + udp(1, 53, dns_query))
    yield RAW, ipv4(17, udp(1, 53, dns_query))
    yield RAW, ipv4(1, b"\x08\x00\x00\x00\x00\x00\x00\x00")
    yield NULL, struct.pack("<I", 2) + ipv4(17, udp(1, 53, dns_query))
    yield NULL, struct.pack("<I", 30) + ipv6(17, udp(53, 1, dns_response))
    yield LOOP, struct.pack(">I", 2) + ipv4(6, tcp(1, 53, 1, 0x04, b""))
    yield LOOP, struct.pack(">I", 24) + ipv6(17, udp(1, 53, dns_query))


# ---------------------------------------------------------------- reassembly scripts

def reassembly_scripts():
    a, b = tcp_frame(b"hello, world"), tcp_frame(b"second message")
    # In order, after a SYN (client ISN near 2^32: the stream wraps).
    yield tcp_op(0, False, 0x10, 0, b"") + tcp_op(0, False, 0x40, 1, a) + tcp_op(0, False, 0x48, 1 + len(a), b)
    # Out of order, overlapping, retransmitted.
    yield (tcp_op(0, False, 0x10, 0, b"") + tcp_op(0, False, 0x40, 6, a[5:]) + tcp_op(0, False, 0x40, 1, a[:8])
           + tcp_op(0, False, 0x40, 1, a) + tcp_op(0, False, 0x48, 1 + len(a), b""))
    # Both directions, server reply, then RST.
    yield (tcp_op(1, False, 0x10, 0, b"") + tcp_op(1, True, 0x50, 0, b"") + tcp_op(1, False, 0x40, 1, a)
           + tcp_op(1, True, 0x40, 1, b) + tcp_op(1, True, 0x20, 1 + len(b), b""))
    # No SYN seen; consumers that take everything, nothing, or skip ahead.
    yield tcp_op(2, False, 0x40, 100, a, consumer=1) + tcp_op(2, False, 0x40, 100 + len(a), b, consumer=2) + tcp_op(2, False, 0x40, 200, a, consumer=3)
    # A new SYN reusing the 4-tuple, then idle expiry, then data on an ended direction.
    yield (tcp_op(0, False, 0x10, 0, b"") + tcp_op(0, False, 0x40, 1, a[:3]) + tcp_op(0, False, 0x10, 500, b"")
           + tcp_op(0, False, 0x40, 501, a, idle=True) + tcp_op(0, False, 0x48, 1, b""))
    # Many flows and bytes: caps.
    big = bytes(range(63))
    yield b"".join(tcp_op(c, d, 0x40, i * 63, big) for i in range(6) for c in range(3) for d in (False, True))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "Fuzz", "corpus"))
    ap.add_argument("--pcap", default=DEFAULT_PCAP)
    args = ap.parse_args()
    corpus = Corpus(args.out)

    if os.path.exists(args.pcap):
        seeds_from_pcap(corpus, args.pcap)
    else:
        print("fuzz-seeds: %s not found; hand-made seeds only" % args.pcap)

    dns = list(dns_messages())
    for msg in dns:
        corpus.add("FuzzDNS", msg)
    corpus.add("FuzzDNS", tcp_frame(dns[0]) + tcp_frame(dns[7]) + tcp_frame(dns[-1]))
    corpus.add("FuzzDNS", tcp_frame(dns[8]))
    for msg in HTTP_MESSAGES:
        corpus.add("FuzzHTTP", msg)
    for link, frame in host_frames(dns[0], dns[7]):
        corpus.add("FuzzHostDecoding", bytes([link]) + frame)
    for script in reassembly_scripts():
        corpus.add("FuzzTCPReassembly", script)
    for data in (b"hello", b"\x00\xff\n\r\x1b", bytes(range(256))):
        corpus.add("FuzzTemplate", data)

    for target in sorted(corpus.counts):
        print("fuzz-seeds: %-18s %d new seed(s)" % (target, corpus.counts[target]))
    if not corpus.counts:
        print("fuzz-seeds: nothing new")


if __name__ == "__main__":
    sys.exit(main())
