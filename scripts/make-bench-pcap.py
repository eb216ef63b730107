#!/usr/bin/env python3
"""make-bench-pcap.py — packetlog's own benchmark capture: a recursive
resolver's view of its DNS traffic, as a classic pcap (Ethernet, µs).

    python3 scripts/make-bench-pcap.py /tmp/packetlog-bench.pcap            # 2,000,000 packets, 3 hours
    python3 scripts/make-bench-pcap.py out.pcap -n 200000 --hours 1 --seed 7

What is in it (all addresses from documentation/benchmark ranges):
  * the resolver 192.0.2.53 / 2001:db8::53 (the "local" addresses: pass them
    to packetlog with --local-address), behind one router MAC;
  * clients (10.0.0.0/8, 100.64.0.0/10, 2001:db8:c000::/40) querying it (CQ)
    and its answers (CR); on a cache miss, between the two, its queries to
    TLD and authoritative servers (SQ: referrals, then the answer) and their
    answers (SR);
  * UDP and TCP (handshake with MSS, a 2-byte length prefix per message,
    some answers split over two segments, ACKs, FIN both ways; some
    connections carry two queries), and UDP answers with TC=1 retried over
    TCP; IPv4 and IPv6 with valid IP/UDP/TCP checksums;
  * query types A, AAAA, HTTPS, PTR (in-addr.arpa and ip6.arpa), MX, TXT,
    NS, SOA, SRV, CAA, DNSKEY, DS; answers with CNAME chains, several A/AAAA,
    RRSIGs when DO is set (all upstream queries set it), NXDOMAIN and NODATA
    with SOA (+ NSEC and RRSIGs) in authority, referrals with NS, DS and glue,
    SERVFAIL, REFUSED; EDNS OPT with cookies; name compression throughout.

Speed: a few hundred message templates are built once; each transaction
copies one and changes the DNS IDs, the ports, the addresses and (for many
names) a random first label. Packets are spread evenly over --hours with
jitter (strictly increasing timestamps); several transactions are in flight
at once, so their packets interleave. Deterministic for a given seed and
arguments. Python 3 standard library only.
"""
import argparse
import calendar
import random
import struct
import sys
import time
from array import array

RESOLVER4 = bytes([192, 0, 2, 53])
RESOLVER6 = bytes.fromhex("20010db8000000000000000000000053")
RESOLVER_MAC = bytes.fromhex("020000000053")
ROUTER_MAC = bytes.fromhex("0200000000fe")

T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT, T_AAAA = 1, 2, 5, 6, 12, 15, 16, 28
T_SRV, T_OPT, T_DS, T_RRSIG, T_NSEC, T_DNSKEY, T_HTTPS, T_CAA = 33, 41, 43, 46, 47, 48, 65, 257

VAR_LABEL = 6  # length of the random first label of "variable" names


# ---------------------------------------------------------------- checksums
def ones_sum(data):
    """Ones' complement sum of 16-bit words in native byte order (RFC 1071:
    storing the complement back in native order gives the right bytes)."""
    if len(data) & 1:
        data = data + b"\0"
    return sum(array("H", data))


def finish_sum(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


if sys.byteorder == "little":
    def native16(x):
        """A network-order 16-bit word as ones_sum sees it."""
        return ((x & 0xFF) << 8) | (x >> 8)
else:
    def native16(x):
        return x

_address_sums = {}


def address_sum(a):
    s = _address_sums.get(a)
    if s is None:
        s = _address_sums[a] = ones_sum(a)
    return s


# ---------------------------------------------------------------- DNS messages
class Msg:
    """A DNS message under construction, with name compression."""

    def __init__(self, msg_id, flags, question=None):
        self.buf = bytearray(12)
        self.id = msg_id
        self.flags = flags
        self.comp = {}
        self.counts = [0, 0, 0, 0]
        if question:
            qname, qtype = question
            self.name(qname)
            self.buf += struct.pack("!HH", qtype, 1)
            self.counts[0] = 1

    def name(self, name, compress=True):
        labels = [l for l in name.split(".") if l]
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]).lower()
            if compress and suffix in self.comp:
                self.buf += struct.pack("!H", 0xC000 | self.comp[suffix])
                return
            if len(self.buf) < 0x3FFF and suffix not in self.comp:
                self.comp[suffix] = len(self.buf)
            lab = labels[i].encode()
            self.buf.append(len(lab))
            self.buf += lab
        self.buf.append(0)

    def rr(self, section, name, rtype, ttl, rdata, rclass=1):
        """rdata: bytes, or a function writing into self (for names)."""
        self.name(name)
        self.buf += struct.pack("!HHIH", rtype, rclass, ttl, 0)
        at = len(self.buf)
        if callable(rdata):
            rdata(self)
        else:
            self.buf += rdata
        struct.pack_into("!H", self.buf, at - 2, len(self.buf) - at)
        self.counts[section] += 1

    def opt(self, udp_size, do, options=b"", ext_rcode=0):
        self.buf.append(0)
        self.buf += struct.pack("!HHBBHH", T_OPT, udp_size, ext_rcode, 0, 0x8000 if do else 0, len(options))
        self.buf += options
        self.counts[3] += 1

    def bytes(self):
        struct.pack_into("!HHHHHH", self.buf, 0, self.id, self.flags, *self.counts)
        return bytes(self.buf)


def rd_name(name, compress=True):
    return lambda m: m.name(name, compress)


def rd_mx(pref, name):
    def w(m):
        m.buf += struct.pack("!H", pref)
        m.name(name)
    return w


def rd_soa(mname, rname, serial, refresh=7200, retry=900, expire=1209600, minimum=300):
    def w(m):
        m.name(mname)
        m.name(rname)
        m.buf += struct.pack("!IIIII", serial, refresh, retry, expire, minimum)
    return w


def rd_srv(prio, weight, port, target):
    def w(m):
        m.buf += struct.pack("!HHH", prio, weight, port)
        m.name(target, compress=False)
    return w


def rd_txt(*strings):
    out = bytearray()
    for s in strings:
        b = s.encode()
        out.append(len(b))
        out += b
    return bytes(out)


def rd_caa(flags, tag, value):
    return bytes([flags, len(tag)]) + tag.encode() + value.encode()


def rd_https(prio, target, alpn, v4hints, v6hints):
    def w(m):
        m.buf += struct.pack("!H", prio)
        m.name(target, compress=False)
        if prio == 0:
            return
        a = b"".join(bytes([len(x)]) + x.encode() for x in alpn)
        m.buf += struct.pack("!HH", 1, len(a)) + a
        if v4hints:
            m.buf += struct.pack("!HH", 4, 4 * len(v4hints)) + b"".join(v4hints)
        if v6hints:
            m.buf += struct.pack("!HH", 6, 16 * len(v6hints)) + b"".join(v6hints)
    return w


def rd_rrsig(covered, alg, labels, ttl, keytag, signer, sig):
    def w(m):
        m.buf += struct.pack("!HBBIIIH", covered, alg, labels, ttl, 1769904000, 1767225600, keytag)
        m.name(signer, compress=False)
        m.buf += sig
    return w


def rd_nsec(next_name, types):
    def w(m):
        m.name(next_name, compress=False)
        windows = {}
        for t in sorted(types):
            windows.setdefault(t >> 8, bytearray(32))[(t & 0xFF) >> 3] |= 0x80 >> (t & 7)
        for win in sorted(windows):
            bm = bytes(windows[win]).rstrip(b"\0")
            m.buf += bytes([win, len(bm)]) + bm
    return w


# ---------------------------------------------------------------- the world
WORDS = ("example acme contoso globex initech umbrella stark wayne hooli piedpiper vandelay soylent "
         "tyrell cyberdyne wonka oscorp aperture blackmesa massive dynamic nakatomi gringotts duff "
         "monarch prestige virtucon zorg weyland yutani octan rekall sirius bluth kramerica "
         "news shop bank cloud media games travel health sports music video photo books maps").split()
TLDS = ["com", "com", "com", "com", "net", "net", "org", "org", "de", "co.uk", "fr", "nl", "io", "jp",
        "ch", "se", "info", "app", "dev", "com.au", "ca", "it", "es", "pl", "cz", "eu", "us", "tv"]
HOSTS = ["www", "www", "www", "api", "mail", "cdn", "static", "img", "login", "m", "app", "auth",
         "assets", "media", "edge", "shop", "news", "portal", "secure", "ws", "push", "telemetry", "update"]
CDN_SUFFIXES = ["edgekey.example.net", "cloudfront.example.net", "akamaiedge.example.net",
                "fastly.example.net", "azureedge.example.net", "trafficmanager.example.net"]


class World:
    def __init__(self, rng):
        self.rng = rng
        self.zones = []
        for i in range(180):
            w = rng.choice(WORDS) + (rng.choice(["", "", "", "-" + rng.choice(WORDS), str(rng.randrange(2, 99))]))
            zone = "%s.%s" % (w, rng.choice(TLDS))
            signed = rng.random() < 0.35
            if rng.random() < 0.5:
                ns = ["ns1.%s" % zone, "ns2.%s" % zone]
            else:
                p = rng.randrange(1, 2000)
                ns = ["ns-%d.awsdns-%02d.com" % (p, p % 64), "ns-%d.awsdns-%02d.net" % (p + 512, (p + 7) % 64),
                      "ns-%d.awsdns-%02d.org" % (p + 1024, (p + 13) % 64)]
            servers = [(self.auth4(), self.auth6()) for _ in ns]
            self.zones.append({"name": zone, "signed": signed, "ns": ns, "servers": servers,
                               "keytag": rng.randrange(1, 65535), "alg": rng.choice([8, 13, 13]),
                               "serial": 2025000000 + rng.randrange(1, 9999999)})
        self.tld_servers = [(self.auth4(), self.auth6()) for _ in range(13)]

    def auth4(self):
        r = self.rng
        return bytes([203, 0, 113, r.randrange(1, 255)]) if r.random() < 0.5 else \
            bytes([198, 18 + r.randrange(2), r.randrange(256), r.randrange(1, 255)])

    def auth6(self):
        return bytes.fromhex("20010db8a0000000") + self.rng.randbytes(8)

    def a(self):
        r = self.rng
        return bytes([r.choice([23, 34, 52, 93, 104, 142, 151, 172, 185, 199]), r.randrange(256),
                      r.randrange(256), r.randrange(1, 255)])

    def aaaa(self):
        return bytes.fromhex("20010db8") + self.rng.randbytes(12)


def sig_len(alg):
    return 256 if alg == 8 else 64


def add_rrsig(m, section, zone, owner, covered, ttl, rng):
    labels = len([l for l in owner.split(".") if l])
    m.rr(section, owner, T_RRSIG, ttl,
         rd_rrsig(covered, zone["alg"], labels, ttl, zone["keytag"], zone["name"], rng.randbytes(sig_len(zone["alg"]))))


def answer_rrs(world, zone, qname, qtype, rng):
    """The answer RRset(s) for qname/qtype: list of (owner, type, ttl, rdata)."""
    z = zone["name"]
    out = []
    owner = qname
    if qtype in (T_A, T_AAAA, T_HTTPS) and rng.random() < 0.35:
        # CNAME chain (1–3 hops), the last into a CDN's name space
        hops = rng.choice([1, 1, 2, 3])
        for h in range(hops):
            target = ("%s.%s" % (rng.choice(HOSTS), z)) if h < hops - 1 else \
                ("e%d.%s" % (rng.randrange(1, 99999), rng.choice(CDN_SUFFIXES)))
            out.append((owner, T_CNAME, rng.choice([60, 300, 3600]), rd_name(target)))
            owner = target
    ttl = rng.choice([20, 60, 300, 300, 3600, 86400])
    if qtype == T_A:
        for _ in range(rng.choice([1, 1, 2, 2, 4, 8])):
            out.append((owner, T_A, ttl, world.a()))
    elif qtype == T_AAAA:
        for _ in range(rng.choice([1, 1, 2, 4])):
            out.append((owner, T_AAAA, ttl, world.aaaa()))
    elif qtype == T_HTTPS:
        out.append((owner, T_HTTPS, ttl, rd_https(1, ".", rng.choice([["h2"], ["h3", "h2"], ["h2", "http/1.1"]]),
                                                   [world.a() for _ in range(rng.choice([1, 2]))],
                                                   [world.aaaa() for _ in range(rng.choice([0, 1, 2]))])))
    elif qtype == T_MX:
        for i in range(rng.choice([1, 2, 3])):
            out.append((owner, T_MX, ttl, rd_mx(10 * (i + 1), "mx%d.%s" % (i + 1, z))))
    elif qtype == T_TXT:
        choices = [("v=spf1 include:_spf.%s include:spf.protection.example.net ~all" % z,),
                   ("google-site-verification=" + rng.randbytes(22).hex()[:43],),
                   ("v=DMARC1; p=reject; rua=mailto:dmarc@%s; ruf=mailto:forensics@%s; fo=1" % (z, z),),
                   ("k=rsa; p=" + rng.randbytes(180).hex()[:230], rng.randbytes(60).hex()),
                   ("MS=ms%d" % rng.randrange(10 ** 7, 10 ** 8), "hello \"world\"", "back\\slash")]
        for _ in range(rng.choice([1, 1, 2, 3])):
            out.append((owner, T_TXT, ttl, rd_txt(*rng.choice(choices))))
    elif qtype == T_NS:
        for n in zone["ns"]:
            out.append((owner, T_NS, 172800, rd_name(n)))
    elif qtype == T_SOA:
        out.append((owner, T_SOA, 3600, rd_soa(zone["ns"][0], "hostmaster." + z, zone["serial"])))
    elif qtype == T_SRV:
        for i in range(rng.choice([1, 2, 3])):
            out.append((owner, T_SRV, ttl, rd_srv(10, 60 - 10 * i, rng.choice([5060, 5061, 5222, 5269, 443, 389]),
                                                  "srv%d.%s" % (i + 1, z))))
    elif qtype == T_CAA:
        out.append((owner, T_CAA, ttl, rd_caa(0, "issue", "letsencrypt.org")))
        if rng.random() < 0.5:
            out.append((owner, T_CAA, ttl, rd_caa(0, "issuewild", "digicert.com; cansignhttpexchanges=yes")))
        if rng.random() < 0.3:
            out.append((owner, T_CAA, ttl, rd_caa(128, "iodef", "mailto:security@" + z)))
    elif qtype == T_DNSKEY:
        alg = zone["alg"]
        klen = 260 if alg == 8 else 64
        out.append((owner, T_DNSKEY, 3600, struct.pack("!HBB", 257, 3, alg) + rng.randbytes(klen)))
        out.append((owner, T_DNSKEY, 3600, struct.pack("!HBB", 256, 3, alg) + rng.randbytes(klen)))
        if rng.random() < 0.3:  # rollover: a second ZSK
            out.append((owner, T_DNSKEY, 3600, struct.pack("!HBB", 256, 3, alg) + rng.randbytes(klen)))
    elif qtype == T_DS:
        out.append((owner, T_DS, 86400, struct.pack("!HBB", zone["keytag"], zone["alg"], 2) + rng.randbytes(32)))
    elif qtype == T_PTR:
        out.append((owner, T_PTR, ttl, rd_name("%s-%d.%s" % (rng.choice(["host", "static", "dyn", "ip"]),
                                                            rng.randrange(1, 9999), z))))
    return out


def fill_answer(m, world, zone, rrs, with_sigs, rng):
    """Writes rrs into the answer section, an RRSIG after each RRset."""
    i = 0
    while i < len(rrs):
        owner, rtype, ttl, _ = rrs[i]
        j = i
        while j < len(rrs) and rrs[j][0] == owner and rrs[j][1] == rtype:
            m.rr(1, *rrs[j])
            j += 1
        if with_sigs and zone["signed"] and owner.endswith(zone["name"]):
            add_rrsig(m, 1, zone, owner, rtype, ttl, rng)
        i = j


def negative_authority(m, zone, qname, with_sigs, nxdomain, rng):
    z = zone["name"]
    m.rr(2, z, T_SOA, 300, rd_soa(zone["ns"][0], "hostmaster." + z, zone["serial"], minimum=300))
    if with_sigs and zone["signed"]:
        add_rrsig(m, 2, zone, z, T_SOA, 300, rng)
        if nxdomain:
            m.rr(2, z, T_NSEC, 300, rd_nsec("a." + z, [T_A, T_NS, T_SOA, T_MX, T_TXT, T_AAAA, T_RRSIG, T_NSEC, T_DNSKEY]))
        else:
            m.rr(2, qname, T_NSEC, 300, rd_nsec("b." + qname, [T_A, T_RRSIG, T_NSEC]))
        add_rrsig(m, 2, zone, z if nxdomain else qname, T_NSEC, 300, rng)


def cookie(rng, server):
    return struct.pack("!HH", 10, 24 if server else 8) + rng.randbytes(24 if server else 8)


QTYPE_WEIGHTS = [(T_A, 40), (T_AAAA, 22), (T_HTTPS, 8), (T_PTR, 6), (T_TXT, 4), (T_MX, 3), (T_NS, 2),
                 (T_SOA, 2), (T_SRV, 2), (T_CAA, 1), (T_DNSKEY, 2), (T_DS, 2)]


def make_template(world, rng):
    """One question with the resolver's answer and the upstream exchanges a
    cache miss causes. Returns a dict of message bytes (ID 0)."""
    qtype = rng.choices([t for t, _ in QTYPE_WEIGHTS], [w for _, w in QTYPE_WEIGHTS])[0]
    zone = rng.choice(world.zones)
    z = zone["name"]
    variable = False
    outcome = rng.choices(["ok", "nx", "nodata", "servfail", "refused"], [80, 12, 6, 1.5, 0.5])[0]
    if qtype == T_PTR:
        if rng.random() < 0.7:
            qname = "%d.%d.%d.%d.in-addr.arpa" % (rng.randrange(1, 255), rng.randrange(256), rng.randrange(256),
                                                  rng.choice([10, 23, 52, 93, 100, 172, 185, 192]))
        else:
            qname = ".".join(rng.randbytes(16).hex()) + ".ip6.arpa"
    elif qtype in (T_NS, T_SOA, T_DNSKEY, T_DS, T_CAA, T_MX):
        qname = z
    elif qtype == T_SRV:
        qname = rng.choice(["_sip._udp", "_sip._tcp", "_xmpp-server._tcp", "_ldap._tcp", "_imaps._tcp",
                            "_autodiscover._tcp"]) + "." + z
    elif qtype == T_TXT:
        qname = rng.choice(["", "_dmarc.", "selector1._domainkey.", "google._domainkey.", "_acme-challenge."]) + z
    else:
        if rng.random() < 0.45:
            # a name with a random first label (CDN shards, tracking, random-subdomain probes)
            variable = True
            qname = "x" * VAR_LABEL + "." + rng.choice(["", "cdn.", "edge.", "t.", "img."]) + z
            if outcome == "ok" and rng.random() < 0.25:
                outcome = "nx"
        else:
            qname = rng.choice(HOSTS) + "." + z
    client_do = rng.random() < 0.3
    client_edns = rng.random() < 0.92
    rrs = answer_rrs(world, zone, qname, qtype, rng) if outcome == "ok" else []

    def response(flags_extra, do, aa, edns_size, srv_cookie, for_client):
        rcode = {"ok": 0, "nx": 3, "nodata": 0, "servfail": 2, "refused": 5}[outcome]
        flags = 0x8000 | flags_extra | rcode | (0x0400 if aa else 0)
        m = Msg(0, flags, (qname, qtype))
        if outcome == "ok":
            fill_answer(m, world, zone, rrs, do, rng)
            if qtype == T_MX or (qtype == T_NS and zone["ns"][0].endswith(z)):
                for n in range(min(2, m.counts[1])):
                    host = ("mx%d.%s" % (n + 1, z)) if qtype == T_MX else zone["ns"][n]
                    m.rr(3, host, T_A, 3600, world.a())
                    if rng.random() < 0.5:
                        m.rr(3, host, T_AAAA, 3600, world.aaaa())
        elif outcome in ("nx", "nodata"):
            negative_authority(m, zone, qname, do, outcome == "nx", rng)
        if edns_size:
            m.opt(edns_size, do, cookie(rng, True) if srv_cookie else b"")
        return m.bytes()

    t = {"variable": variable, "qtype": qtype}
    q = Msg(0, 0x0100 | (0x0020 if rng.random() < 0.1 else 0), (qname, qtype))  # RD, sometimes AD
    if client_edns:
        q.opt(rng.choice([1232, 1232, 4096, 512]), client_do, cookie(rng, False) if rng.random() < 0.4 else b"")
    t["cq"] = q.bytes()
    flags = 0x0100 | 0x0080  # RD RA
    if outcome == "ok" and zone["signed"] and rng.random() < 0.5:
        flags |= 0x0020  # AD
    t["cr"] = response(flags, client_do, False, 1232 if client_edns else 0, client_edns and rng.random() < 0.4, True)
    # TC=1 answer to a plain UDP query (question only, then a TCP retry)
    if len(t["cr"]) > 512 or rng.random() < 0.02:
        tc = Msg(0, 0x8000 | 0x0200 | flags, (qname, qtype))
        if client_edns:
            tc.opt(1232, client_do)
        t["tc"] = tc.bytes()
    else:
        t["tc"] = None

    # upstream: a referral from the TLD servers (sometimes), then the zone's answer
    steps = []
    if outcome != "refused":
        if rng.random() < 0.4:
            sq = Msg(0, 0x0000, (qname, qtype))
            sq.opt(1232, True)
            ref = Msg(0, 0x8000, (qname, qtype))
            for n in zone["ns"]:
                ref.rr(2, z, T_NS, 172800, rd_name(n))
            if zone["signed"]:
                ref.rr(2, z, T_DS, 86400, struct.pack("!HBB", zone["keytag"], zone["alg"], 2) + rng.randbytes(32))
                tld = z.split(".", 1)[1]
                ref.rr(2, z, T_RRSIG, 86400, rd_rrsig(T_DS, 13, len(z.split(".")), 86400, rng.randrange(1, 65535), tld, rng.randbytes(64)))
            else:
                tld = z.split(".", 1)[1]
                ref.rr(2, z, T_NSEC, 86400, rd_nsec("a" + z, [T_NS, T_RRSIG, T_NSEC]))
            for n, (s4, s6) in zip(zone["ns"], zone["servers"]):
                if n.endswith(z):
                    ref.rr(3, n, T_A, 172800, s4)
                    ref.rr(3, n, T_AAAA, 172800, s6)
            ref.opt(1232, True)
            steps.append((rng.randrange(len(world.tld_servers)), True, sq.bytes(), ref.bytes()))
        sq = Msg(0, 0x0000, (qname, qtype))
        sq.opt(1232, True, cookie(rng, False) if rng.random() < 0.5 else b"")
        steps.append((rng.randrange(len(zone["servers"])), False, sq.bytes(),
                      response(0, True, True, 1232, False, False)))
    t["steps"] = steps
    t["zone"] = world.zones.index(zone)
    return t


# ---------------------------------------------------------------- packets
class Writer:
    def __init__(self, f, n, start_us, span_us, rng):
        self.f = f
        self.n = n
        self.i = 0
        self.start_us = start_us
        self.span_us = span_us
        self.jitter = max(1, span_us // n // 2)
        self.rng = rng
        self.ipid = 1
        self.out = []
        self.bytes_written = 0

    def emit(self, frame):
        i = self.i
        ts = self.start_us + (i * self.span_us) // self.n + ((self.rng.getrandbits(16) * self.jitter) >> 16)
        self.out.append(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
        self.out.append(frame)
        self.i = i + 1
        if len(self.out) >= 20000:
            self.flush()

    def flush(self):
        data = b"".join(self.out)
        self.f.write(data)
        self.bytes_written += len(data)
        self.out = []

    # -- IP and transport
    def ip(self, src, dst, proto, l4, ttl):
        if len(src) == 4:
            h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ipid & 0xFFFF, 0x4000, ttl, proto, 0, src, dst))
            self.ipid += 1
            struct.pack_into("=H", h, 10, finish_sum(ones_sum(h)))
            eth = 0x0800
        else:
            h = struct.pack("!IHBB16s16s", 0x60000000, len(l4), proto, ttl, src, dst)
            eth = 0x86DD
        if src == RESOLVER4 or src == RESOLVER6:
            mac = ROUTER_MAC + RESOLVER_MAC
        else:
            mac = RESOLVER_MAC + ROUTER_MAC
        return mac + struct.pack("!H", eth) + bytes(h) + l4

    @staticmethod
    def pseudo_sum(src, dst, proto, length):
        return address_sum(src) + address_sum(dst) + native16(proto) + native16(length & 0xFFFF) + native16(length >> 16)

    def udp(self, src, dst, sport, dport, payload, ttl=64):
        length = 8 + len(payload)
        l4 = bytearray(struct.pack("!HHHH", sport, dport, length, 0))
        l4 += payload
        c = finish_sum(self.pseudo_sum(src, dst, 17, length) + ones_sum(l4)) or 0xFFFF
        struct.pack_into("=H", l4, 6, c)
        self.emit(self.ip(src, dst, 17, bytes(l4), ttl))

    def tcp(self, src, dst, sport, dport, seq, ack, flags, payload=b"", ttl=64, mss=None):
        opts = struct.pack("!BBH", 2, 4, mss) if mss else b""
        hlen = 20 + len(opts)
        l4 = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                                   (hlen // 4) << 4, flags, 64240, 0, 0))
        l4 += opts
        l4 += payload
        struct.pack_into("=H", l4, 16, finish_sum(self.pseudo_sum(src, dst, 6, len(l4)) + ones_sum(l4)))
        self.emit(self.ip(src, dst, 6, bytes(l4), ttl))


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_conversation(w, rng, cli, srv, cport, exchanges, middle, cli_ttl, srv_ttl):
    """A whole DNS-over-TCP connection as a generator of packet emissions:
    handshake, for each (query, answer) the query segment, the server's ACK,
    `middle()` (upstream traffic) and the answer — in one or two segments —
    and the client's ACK; then FIN both ways."""
    cseq = rng.getrandbits(32)
    sseq = rng.getrandbits(32)
    w.tcp(cli, srv, cport, 53, cseq, 0, SYN, ttl=cli_ttl, mss=1460 if len(cli) == 4 else 1440)
    yield
    w.tcp(srv, cli, 53, cport, sseq, cseq + 1, SYN | ACK, ttl=srv_ttl, mss=1460 if len(cli) == 4 else 1440)
    yield
    cseq += 1
    sseq += 1
    w.tcp(cli, srv, cport, 53, cseq, sseq, ACK, ttl=cli_ttl)
    yield
    for n, (query, answer) in enumerate(exchanges):
        data = struct.pack("!H", len(query)) + query
        w.tcp(cli, srv, cport, 53, cseq, sseq, PSH | ACK, data, ttl=cli_ttl)
        cseq += len(data)
        yield
        w.tcp(srv, cli, 53, cport, sseq, cseq, ACK, ttl=srv_ttl)
        yield
        if middle and n == 0:
            yield from middle()
        data = struct.pack("!H", len(answer)) + answer
        if len(data) > 1400 or rng.random() < 0.3:
            cut = min(1400, rng.randrange(1, len(data)))
            w.tcp(srv, cli, 53, cport, sseq, cseq, ACK, data[:cut], ttl=srv_ttl)
            sseq += cut
            yield
            w.tcp(srv, cli, 53, cport, sseq, cseq, PSH | ACK, data[cut:], ttl=srv_ttl)
            sseq += len(data) - cut
        else:
            w.tcp(srv, cli, 53, cport, sseq, cseq, PSH | ACK, data, ttl=srv_ttl)
            sseq += len(data)
        yield
        w.tcp(cli, srv, cport, 53, cseq, sseq, ACK, ttl=cli_ttl)
        yield
    w.tcp(cli, srv, cport, 53, cseq, sseq, FIN | ACK, ttl=cli_ttl)
    yield
    w.tcp(srv, cli, 53, cport, sseq, cseq + 1, FIN | ACK, ttl=srv_ttl)
    yield
    w.tcp(cli, srv, cport, 53, cseq + 1, sseq + 1, ACK, ttl=cli_ttl)
    yield


class Generator:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        rng = self.rng
        self.world = World(rng)
        self.templates = [make_template(self.world, rng) for _ in range(args.templates)]
        # Popular names are asked far more often: a skewed pick over templates.
        self.pick = [min(len(self.templates) - 1, int(len(self.templates) * (rng.random() ** 2.2)))
                     for _ in range(65536)]
        self.labels = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(VAR_LABEL))
                       for _ in range(8192)]
        self.clients4 = [bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)]) for _ in range(1500)] + \
                        [bytes([100, 64 + rng.randrange(64), rng.randrange(256), rng.randrange(1, 255)]) for _ in range(500)]
        self.clients6 = [bytes.fromhex("20010db8c0") + rng.randbytes(11) for _ in range(800)]
        self.client_pick = [int(2000 * (rng.random() ** 3)) for _ in range(65536)]
        self.counts = {"CQ": 0, "CR": 0, "SQ": 0, "SR": 0}

    def patch(self, t, msg, msg_id, label):
        b = bytearray(msg)
        struct.pack_into("!H", b, 0, msg_id)
        if t["variable"]:
            b[13:13 + VAR_LABEL] = label
        return bytes(b)

    def transaction(self, w):
        rng = self.rng
        t = self.templates[self.pick[rng.getrandbits(16)]]
        label = self.labels[rng.getrandbits(13)]
        cid = rng.getrandbits(16)
        cq = self.patch(t, t["cq"], cid, label)
        cr = self.patch(t, t["cr"], cid, label)
        v6 = rng.random() < 0.3
        if v6:
            cli, res = self.clients6[self.client_pick[rng.getrandbits(16)] % 800], RESOLVER6
        else:
            cli, res = self.clients4[self.client_pick[rng.getrandbits(16)]], RESOLVER4
        cport = 1024 + rng.getrandbits(16) % 64512
        cli_ttl = rng.choice([64, 63, 62, 128, 127, 255])
        miss = t["steps"] and rng.random() < 0.35
        counts = self.counts

        def upstream():
            for server_index, tld, sq, sr in t["steps"]:
                sid = rng.getrandbits(16)
                sq = self.patch(t, sq, sid, label)
                sr = self.patch(t, sr, sid, label)
                s4, s6 = (self.world.tld_servers if tld else self.world.zones[t["zone"]]["servers"])[server_index]
                srv = s6 if v6 else s4
                counts["SQ"] += 1
                counts["SR"] += 1
                sport = 1024 + rng.getrandbits(16) % 64512
                if rng.random() < 0.03:
                    yield from tcp_conversation(w, rng, res, srv, sport, [(sq, sr)], None, 64, 57)
                else:
                    w.udp(res, srv, sport, 53, sq)
                    yield
                    w.udp(srv, res, 53, sport, sr, ttl=rng.choice([50, 54, 57, 60]))
                    yield

        counts["CQ"] += 1
        counts["CR"] += 1
        r = rng.random()
        if r < 0.06:
            exchanges = [(cq, cr)]
            if rng.random() < 0.25:  # a second query on the same connection
                t2 = self.templates[self.pick[rng.getrandbits(16)]]
                id2 = rng.getrandbits(16)
                exchanges.append((self.patch(t2, t2["cq"], id2, label), self.patch(t2, t2["cr"], id2, label)))
                counts["CQ"] += 1
                counts["CR"] += 1
            yield from tcp_conversation(w, rng, cli, res, cport, exchanges, upstream if miss else None, cli_ttl, 64)
            return
        w.udp(cli, res, cport, 53, cq, ttl=cli_ttl)
        yield
        if miss:
            yield from upstream()
        if t["tc"] is not None and (len(cr) > 1232 or rng.random() < 0.3):
            w.udp(res, cli, 53, cport, self.patch(t, t["tc"], cid, label))
            yield
            counts["CQ"] += 1
            counts["CR"] += 1
            yield from tcp_conversation(w, rng, cli, res, 1024 + rng.getrandbits(16) % 64512, [(cq, cr)], None, cli_ttl, 64)
        else:
            w.udp(res, cli, 53, cport, cr)
            yield

    def run(self, w, in_flight):
        rng = self.rng
        active = [self.transaction(w) for _ in range(in_flight)]
        pick = [rng.randrange(in_flight) for _ in range(4096)]
        getrandbits = rng.getrandbits
        while w.i < w.n:
            k = pick[getrandbits(12)]
            try:
                next(active[k])
            except StopIteration:
                active[k] = self.transaction(w)
        w.flush()


def parse_start(text):
    if text.isdigit():
        return int(text)
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def main():
    p = argparse.ArgumentParser(description="packetlog benchmark capture: a recursive resolver's DNS traffic (pcap, Ethernet, µs)")
    p.add_argument("output")
    p.add_argument("-n", "--packets", type=int, default=2_000_000, help="packets to write (default 2000000)")
    p.add_argument("--hours", type=float, default=3, help="time span (default 3)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--start", default="2026-01-15T00:00:00Z", help="first timestamp: epoch seconds or YYYY-MM-DDTHH:MM:SSZ")
    p.add_argument("--templates", type=int, default=400, help="distinct questions with their answers (default 400)")
    p.add_argument("--in-flight", type=int, default=8, help="transactions interleaved at once (default 8)")
    args = p.parse_args()
    if args.packets < 1 or args.hours <= 0 or args.in_flight < 1 or args.templates < 1:
        p.error("--packets, --hours, --in-flight and --templates must be positive")

    began = time.monotonic()
    gen = Generator(args)
    start_us = parse_start(args.start) * 1_000_000
    span_us = int(args.hours * 3600 * 1_000_000)
    with open(args.output, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        w = Writer(f, args.packets, start_us, span_us, random.Random(args.seed ^ 0x5EED))
        gen.run(w, args.in_flight)
    c = gen.counts
    print("wrote %s: %d packets, %d bytes, %.1f s" % (args.output, w.i, w.bytes_written + 24, time.monotonic() - began))
    print("DNS messages started (the last transactions may be cut): CQ %d CR %d SQ %d SR %d" % (c["CQ"], c["CR"], c["SQ"], c["SR"]))
    print("local addresses: --local-address 192.0.2.53 --local-address 2001:db8::53")


if __name__ == "__main__":
    main()
