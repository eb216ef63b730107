/* pcap-send.c — replay the frames of a capture file onto an interface at a
 * fixed packet rate (or as fast as possible), in batches with sendmmsg on an
 * AF_PACKET socket. scripts/load-test.sh uses it (tcpreplay sends one frame
 * per system call and tops out far lower on a veth).
 *
 *   gcc -O2 -o /tmp/pcap-send scripts/pcap-send.c -lpcap
 *   pcap-send IFACE FILE PPS LIMIT     (PPS 0: top speed; LIMIT 0: whole file)
 *
 * The frames are loaded into memory first (at most LIMIT of them), then sent
 * in batches of up to 64 paced so that packet i leaves at start + i/PPS. When
 * LIMIT exceeds the frames in the file, the file is sent again and again
 * (packet i is frame i mod N) until LIMIT packets have been sent.
 * Prints "sent N packets in S s, R pps, E send errors". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s IFACE FILE PPS LIMIT\n", argv[0]); return 2; }
    const char *iface = argv[1], *path = argv[2];
    double pps = atof(argv[3]);
    long limit = atol(argv[4]);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    if (!p) { fprintf(stderr, "%s: %s\n", path, err); return 1; }

    size_t cap = 1 << 16, n = 0, bytes_cap = 64 << 20, used = 0;
    struct iovec *iov = malloc(cap * sizeof *iov);
    unsigned char *buf = malloc(bytes_cap);
    size_t *off = malloc(cap * sizeof *off);
    struct pcap_pkthdr *h;
    const u_char *d;
    while ((limit == 0 || (long)n < limit) && pcap_next_ex(p, &h, &d) == 1) {
        if (n == cap) { cap *= 2; iov = realloc(iov, cap * sizeof *iov); off = realloc(off, cap * sizeof *off); }
        if (used + h->caplen > bytes_cap) { bytes_cap *= 2; buf = realloc(buf, bytes_cap); }
        if (!iov || !off || !buf) { fprintf(stderr, "out of memory\n"); return 1; }
        memcpy(buf + used, d, h->caplen);
        off[n] = used;
        iov[n].iov_len = h->caplen;
        used += h->caplen;
        n++;
    }
    pcap_close(p);
    if (n == 0) { fprintf(stderr, "%s: no packets\n", path); return 1; }
    for (size_t i = 0; i < n; i++) iov[i].iov_base = buf + off[i];
    size_t total = limit > 0 ? (size_t)limit : n;   /* > n: cycle over the file */

    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) { perror("socket(AF_PACKET)"); return 1; }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    int sndbuf = 16 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex(iface) };
    if (!sll.sll_ifindex) { fprintf(stderr, "no interface %s\n", iface); return 1; }
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) { perror("bind"); return 1; }

    enum { MAXBATCH = 64 };
    struct mmsghdr msgs[MAXBATCH];
    /* At low rates, small batches keep the pacing within about a millisecond. */
    size_t batch = pps > 0 ? (size_t)(pps / 1000) : MAXBATCH;
    if (batch < 1) batch = 1;
    if (batch > MAXBATCH) batch = MAXBATCH;

    size_t sent = 0;
    unsigned long errors = 0;
    double start = now();
    while (sent < total) {
        if (pps > 0) {
            double due = start + sent / pps;
            double t = now();
            if (due > t) {
                double wait = due - t;
                struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
                nanosleep(&ts, NULL);
            }
        }
        size_t first = sent % n;   /* a batch stops at the end of the file */
        size_t k = total - sent < batch ? total - sent : batch;
        if (k > n - first) k = n - first;
        memset(msgs, 0, sizeof msgs);
        for (size_t i = 0; i < k; i++) { msgs[i].msg_hdr.msg_iov = &iov[first + i]; msgs[i].msg_hdr.msg_iovlen = 1; }
        int r = sendmmsg(fd, msgs, (unsigned)k, 0);
        if (r < 0) {
            if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) { errors++; continue; }
            perror("sendmmsg");
            return 1;
        }
        sent += (size_t)r;
    }
    double secs = now() - start;
    printf("sent %zu packets in %.3f s, %.0f pps, %lu send errors\n", sent, secs, sent / secs, errors);
    return 0;
}
