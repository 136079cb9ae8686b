/*
 * multi.h: running a capture of several live interfaces (multi.c):
 * reading them in rounds, the filter per link type, counters per
 * interface.
 */
#ifndef EPCAP_MULTI_H
#define EPCAP_MULTI_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

#include "epcap_proto.h"
#include "merge.h"

struct epcap;

/* The state of a capture of several interfaces (unused with one). */
struct multi {
    struct merge merge; /* the round's packets */
    /* The filter, compiled once per link type; after a change each
     * packet is checked against its own until a round drains every
     * ring (as capture.c's recheck does for one interface). */
    struct bpf_program progs[EPCAP_LIVE_IFACES_MAX];
    int dlts[EPCAP_LIVE_IFACES_MAX];
    unsigned nprogs;
    bool recheck;
    int cur_dlt;   /* the link type of the last packet given out */
    uint32_t cur;  /* the interface being read */
    long long due; /* when the round's packets go at the latest */
    char err[PCAP_ERRBUF_SIZE + 160]; /* why the last filter failed */
};

/* Compile expr once per link type and set it on every interface; -1
 * with the reason (naming the interface and link type) in st->multi.err,
 * every interface keeping its old filter. */
int multi_set_filter(struct epcap *st, const char *expr);
/* One round: read every interface, give the packets now due to cb,
 * oldest first. The number read. */
int multi_read(struct epcap *st, pcap_handler cb);
/* At the end: every packet held to cb (up to -c's count). */
void multi_flush(struct epcap *st, pcap_handler cb);
/* How long a block ring may keep a packet it took: the block timeout plus
 * the kernel timer's granularity (the merge's hold; the last read at the
 * end, loop.c). Runs anywhere, no privileges. */
long long multi_hold_ns(const struct epcap *st);
/* Nanoseconds until the next held packet is due (0: now), -1: none. */
long long multi_wait_ns(const struct epcap *st);
/* Interface i's libpcap counters (live, 0 <= i < nlive); false when it
 * has none (a capture file) or pcap_stats failed. */
bool live_stats(const struct epcap *st, uint32_t i, struct pcap_stat *ps);
/* The sum over every interface (STATS); false unless every interface
 * had its counters. */
bool live_stats_sum(const struct epcap *st, struct pcap_stat *sum);

#endif
