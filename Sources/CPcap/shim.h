#ifndef PACKETLOG_CPCAP_SHIM_H
#define PACKETLOG_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <sys/types.h>

/* glibc's fopencookie (declared by <stdio.h> only under _GNU_SOURCE, which
 * Swift's Glibc module does not set), with the same layout under our own
 * names: a FILE whose reads call `read` (PipeInput: a pipe read that waits
 * with poll, so the capture loop can flush lines while no bytes arrive). */
typedef ssize_t (*packetlog_cookie_read_function)(void *cookie, char *buffer, size_t size);
typedef struct {
    packetlog_cookie_read_function read;
    void *write;
    void *seek;
    void *close;
} packetlog_cookie_functions;
FILE *packetlog_fopencookie(void *cookie, const char *mode, packetlog_cookie_functions functions) __asm__("fopencookie");

/* A hint to start fetching the cache line at `p` for reading (the batch
 * entries and payloads one thread wrote and another reads next). A prefetch
 * never faults, whatever `p` is. Swift has no prefetch of its own. */
static inline void packetlog_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
