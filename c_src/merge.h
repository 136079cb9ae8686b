/*
 * merge.h: the packets one round takes from several live interfaces,
 * put in time-stamp order (merge.c; pure: no I/O, no libpcap call).
 */
#ifndef EPCAP_MERGE_H
#define EPCAP_MERGE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "epcap_proto.h"

/* One round holds at most this many packet bytes, and MERGE_PKTS
 * packets: a full round stops reading (the rest waits in the kernel
 * rings for the next one). Room for one maximal packet past the bytes
 * is kept, so the packet in hand when the round fills always fits. */
#define MERGE_BYTES (2 * 1024 * 1024)
#define MERGE_PKTS 32768

struct merge_pkt {
    struct pcap_pkthdr h;
    uint32_t ifindex;
    size_t off; /* its bytes in data */
};

/* Packets are added interface by interface (a run each, in the order
 * read); merge_next yields them oldest first across the runs, each run
 * in its own order. */
struct merge {
    struct merge_pkt *pkts;
    unsigned char *data;
    size_t n, len;
    size_t run_start[EPCAP_LIVE_IFACES_MAX + 1]; /* [runs]: n, once sealed */
    unsigned runs;
    size_t head[EPCAP_LIVE_IFACES_MAX]; /* the next packet of each run */
};

/* Allocate (before the sandbox); -1 when out of memory. */
int merge_init(struct merge *m);
void merge_free(struct merge *m);
/* Empty it for a new round. */
void merge_reset(struct merge *m);
/* Start the next interface's run; at most EPCAP_LIVE_IFACES_MAX a
 * round (more are ignored: their packets join the last run). */
void merge_begin_run(struct merge *m);
/* Reading is over: merge_next may be called. */
void merge_seal(struct merge *m);
/* Copy one packet in; false when the round is full and it was not
 * taken (never after merge_full said no). */
bool merge_add(struct merge *m, uint32_t ifindex, const struct pcap_pkthdr *h,
               const unsigned char *data);
/* Whether one more maximal packet might not fit: stop reading. */
bool merge_full(const struct merge *m);
/* The oldest packet not yet yielded, or NULL; *data its bytes. */
const struct merge_pkt *merge_next(struct merge *m, const unsigned char **data);

#endif
