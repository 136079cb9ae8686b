/*
 * merge.h: the packets read from several live interfaces and not yet
 * given out, in time-stamp order (merge.c; pure: no I/O, no libpcap
 * call).
 */
#ifndef EPCAP_MERGE_H
#define EPCAP_MERGE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "epcap_proto.h"

/* At most this many packet bytes and MERGE_PKTS packets are held: a
 * full buffer stops reading and gives out the oldest (the rest waits in
 * the kernel rings). Room for one maximal packet past the bytes is kept,
 * so the packet in hand when it fills always fits. */
#define MERGE_BYTES (2 * 1024 * 1024)
#define MERGE_PKTS 32768

#define MERGE_NONE SIZE_MAX

struct merge_pkt {
    struct pcap_pkthdr h;
    uint32_t ifindex;
    long long due; /* when it may go whatever else comes (caller's clock) */
    size_t off;    /* its bytes in data */
    size_t next;   /* the next packet of its interface, or MERGE_NONE */
    bool out;      /* given out; its slot is free at the next compaction */
};

/* Each interface's packets are a queue in the order read; the oldest
 * head across the queues goes first (a tie: the lower interface). */
struct merge {
    struct merge_pkt *pkts;
    unsigned char *data;
    size_t n, len, held;
    unsigned queues; /* highest interface index seen + 1 */
    unsigned nifs;   /* interfaces read: each may still bring older ones */
    size_t head[EPCAP_LIVE_IFACES_MAX], tail[EPCAP_LIVE_IFACES_MAX];
    /* When each interface's ring was last read to its end: the time
     * that read began (caller's clock, as `due'); 0: never. */
    long long seen[EPCAP_LIVE_IFACES_MAX];
};

/* Allocate (before the sandbox) for nifs interfaces (at most
 * EPCAP_LIVE_IFACES_MAX); -1 when out of memory. */
int merge_init(struct merge *m, unsigned nifs);
void merge_free(struct merge *m);
/* Copy one packet of interface ifindex (< EPCAP_LIVE_IFACES_MAX) in,
 * to go at `due' at the latest; false when there is no room (never
 * after merge_full said no). */
bool merge_add(struct merge *m, uint32_t ifindex, const struct pcap_pkthdr *h,
               const unsigned char *data, long long due);
/* Whether one more maximal packet might not fit: stop reading. */
bool merge_full(const struct merge *m);
/* Free the slots of packets given out (moves the held ones down). */
void merge_compact(struct merge *m);
/* The oldest packet held, or NULL. merge_pop gives out p, which
 * merge_peek just returned, and returns its bytes (valid until the next
 * merge_add or merge_compact). */
const struct merge_pkt *merge_peek(const struct merge *m);
/* Interface ifindex's ring was read to its end by a read that began at
 * t: whatever it held then is in the merge. */
void merge_seen(struct merge *m, uint32_t ifindex, long long t);
/* The oldest packet held if it may go at `now', else NULL: it is due,
 * and no interface can still bring an older one. An interface with
 * packets held cannot (its ring hands them over in its own order, and
 * its oldest is not older); one with none must have been read to its
 * end since the packet was due (merge_seen), as what it had to hand
 * over by then is older than the packet's due time. */
const struct merge_pkt *merge_ready(const struct merge *m, long long now);
const unsigned char *merge_pop(struct merge *m, const struct merge_pkt *p);

#endif
