/*
 * iface.h: what the port knows about each interface its packets come
 * from, and how it tells the owner (the INTERFACE frame) and pcapng
 * files (one Interface Description Block each).
 *
 * A pcap file has one interface, index 0; a live capture one per -i
 * (live.c), in the order given; a pcapng
 * file has as many as its blocks describe, numbered across its sections
 * in the order they appear (ngfile.c adds them as the reader meets
 * them, always before the first packet that names one).
 */
#ifndef EPCAP_IFACE_H
#define EPCAP_IFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct epcap;

struct epcap_iface {
    int dlt;           /* libpcap's DLT_ for it */
    uint16_t linktype; /* the LINKTYPE_ value files carry */
    uint32_t snaplen;
    uint8_t tsresol;  /* its own if_tsresol (6: µs, 9: ns, ...) */
    int64_t tsoffset; /* its own if_tsoffset (seconds; a pcapng file's) */
    const char *name; /* NULL when unknown; owned elsewhere */
    const char *description;
    const char *filter;
    /* Statistics (pcapng ISB): valid when has_stats. */
    bool has_stats;
    uint32_t stats_have; /* bit n: ISB option n is known (4, 5, 7, 8) */
    uint64_t ifrecv, ifdrop, osdrop, usrdeliv;
    uint64_t stats_ns;  /* when they were taken (ns since 1970); 0: now */
    uint64_t delivered; /* packets of it the port wrote (IFSTATS) */
};

struct iface_table {
    struct epcap_iface *v;
    uint32_t n, cap;
};

/* Append one; -1 when out of memory. */
int iface_add(struct iface_table *t, const struct epcap_iface *ifp);
void iface_free(struct iface_table *t);

/* Queue the INTERFACE frame for interface idx (epcap_proto.h); -1 when
 * the output buffer is full or stdout failed. */
int iface_frame(struct epcap *st, uint32_t idx);

/* A capture's interfaces when it is not a pcapng file: each live
 * interface (live.c), or a pcap file's one, once open; -1 when out of
 * memory (the caller reports it: report.c calls
 * iface_frame, so this file calls nothing of report.c's). */
int iface_single(struct epcap *st);

#endif
