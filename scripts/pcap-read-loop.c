/* pcap-read-loop.c — the floor for reading a capture file: libpcap's
 * pcap_next_ex over every packet, touching one byte of each, nothing else.
 * scripts/bench.sh compiles it: gcc -O2 -o /tmp/pcap-read-loop scripts/pcap-read-loop.c -lpcap
 * Usage: pcap-read-loop FILE   (prints "packets N bytes B seconds S") */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) { fprintf(stderr, "usage: %s FILE\n", argv[0]); return 2; }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) { fprintf(stderr, "%s: %s\n", argv[1], err); return 1; }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long long packets = 0, bytes = 0;
    unsigned sink = 0;
    int r;
    while ((r = pcap_next_ex(p, &h, &d)) == 1) {
        packets++;
        bytes += h->caplen;
        if (h->caplen) sink += d[h->caplen - 1];
    }
    if (r == -1) { fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p)); return 1; }
    pcap_close(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("packets %llu bytes %llu seconds %.3f sink %u\n", packets, bytes,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, sink & 1);
    return 0;
}
