/*
 * pcapout.h: pcap and pcapng streams and files (pcapout.c), for shell
 * pipelines (-w) and dump files.
 */
#ifndef EPCAP_PCAPOUT_H
#define EPCAP_PCAPOUT_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct epcap;

/* What goes to stdout. */
enum epcap_output {
    OUTPUT_FRAMES, /* the protocol of epcap_proto.h, for the Erlang side */
    OUTPUT_PCAP,   /* a pcap stream, for shell pipelines */
    OUTPUT_PCAPNG, /* a pcapng stream */
};

/* How a pcap or pcapng stream or file is written. */
struct pcapw {
    enum epcap_output fmt; /* OUTPUT_PCAP or OUTPUT_PCAPNG */
    bool nano;             /* write nanosecond stamps, else micro */
    bool scale_down;       /* the handle's stamps are nano, the file's micro */
    uint32_t linktype;     /* LINKTYPE_ value, with libpcap's upper bits */
    uint32_t snaplen;
};

void pcapout_open(struct epcap *st);
void pcapout_writer(const struct epcap *st, enum epcap_output fmt,
                    struct pcapw *w);
int pcapout_write_header(struct obuf *ob, const struct pcapw *w);
size_t pcapout_write_packet(struct obuf *ob, const struct pcapw *w,
                            const struct pcap_pkthdr *h,
                            const unsigned char *data);
int pcapout_header(struct epcap *st);
void pcapout_packet(struct epcap *st, const struct pcap_pkthdr *h,
                    const unsigned char *data);
void pcapout_summary(const struct epcap *st);

#endif
