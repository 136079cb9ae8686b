/*
 * ngout.h: the blocks of pcapng output (ngout.c), for pcapout.c's
 * streams and dump files.
 */
#ifndef EPCAP_NGOUT_H
#define EPCAP_NGOUT_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct pcapw;
struct epcap_iface;

/* Longest string option written (a block stays small): names and
 * descriptions read from a file are cut to it; a capture comment longer
 * than this is refused (options.c). */
#define NGOUT_STR_MAX 1024

/* Interface Statistics Block options (pcapng spec 4.6): bit n of an
 * interface's stats_have (iface.h) says option n is known. */
#define ISB_IFRECV 4
#define ISB_IFDROP 5
#define ISB_OSDROP 7
#define ISB_USRDELIV 8

/* The Section Header Block, then every interface known so far (one
 * built from the writer when it keeps no table): 0, or -1 when the
 * buffer has no room. */
int ngout_header(struct obuf *ob, const struct pcapw *w);
/* One Interface Description Block for e (NULL: from the writer). */
int ngout_idb(struct obuf *ob, const struct pcapw *w,
              const struct epcap_iface *e);
/* An Enhanced Packet Block; its size, or 0 if writing it failed. */
size_t ngout_record(struct obuf *ob, const struct pcapw *w, uint32_t ifindex,
                    const struct pcap_pkthdr *h, const unsigned char *data);
/* The statistics blocks of every interface that has statistics. */
int ngout_stats(struct obuf *ob, const struct pcapw *w);

#endif
