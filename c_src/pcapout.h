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
struct iface_table;

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
    /* pcapng: each interface's stamps in its own if_tsresol and
     * if_tsoffset (iface.h), as dumpcap and editcap keep them; else every
     * interface's at `nano'. */
    bool own_resol;
    uint32_t in_unit;  /* fractions per second of the stamps handed over */
    uint32_t linktype; /* LINKTYPE_ value, with libpcap's upper bits */
    uint32_t snaplen;
    const struct iface_table *ifaces; /* pcapng: one IDB each (iface.h) */
    const char *os;                   /* pcapng shb_os, or NULL */
    const char *comment;              /* pcapng capture comment, or NULL */
};

void pcapout_open(struct epcap *st);
/* The LINKTYPE_ a savefile of handle p carries (libpcap's mapping of its
 * DLT_), asked before the sandbox. */
uint32_t pcapout_linktype(struct epcap *st, pcap_t *p);
void pcapout_writer(const struct epcap *st, enum epcap_output fmt,
                    struct pcapw *w);
int pcapout_write_header(struct obuf *ob, const struct pcapw *w);
size_t pcapout_write_packet(struct obuf *ob, const struct pcapw *w,
                            uint32_t ifindex, const struct pcap_pkthdr *h,
                            const unsigned char *data);
int pcapout_header(struct epcap *st);
void pcapout_packet(struct epcap *st, const struct pcap_pkthdr *h,
                    const unsigned char *data);
void pcapout_summary(const struct epcap *st);
/* A new interface met while reading a file: its INTERFACE frame
 * (--interfaces), and its block in pcapng output. */
void pcapout_interface(struct epcap *st, uint32_t idx);
/* Before a pcapng dump file is rotated: its statistics blocks. */
void pcapout_dump_stats(struct epcap *st);
/* At the end of a capture: pcapng output's statistics blocks. */
void pcapout_finish(struct epcap *st);

#endif
