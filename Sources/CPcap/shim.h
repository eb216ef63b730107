#ifndef PACKETLOG_CPCAP_SHIM_H
#define PACKETLOG_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>

/* A hint to start fetching the cache line at `p` for reading (the batch
 * entries and payloads one thread wrote and another reads next). A prefetch
 * never faults, whatever `p` is. Swift has no prefetch of its own. */
static inline void packetlog_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
