/*
 * ngfile.h: a pcapng capture file read by our own reader (pcapng.h) in
 * place of libpcap's, with everything the port does around a read:
 * libpcap's link type numbers, one compiled filter per link type,
 * interfaces announced to the owner and to pcapng output, packets
 * handed to the loop's callback as pcap_dispatch would.
 */
#ifndef EPCAP_NGFILE_H
#define EPCAP_NGFILE_H

#include <pcap/pcap.h>
#include <stdio.h>

#include "pcapng.h"

struct epcap;

struct ngprog {
    int dlt;
    struct bpf_program prog;
};

struct ngfile {
    struct pcapng r;
    FILE *fp;             /* the stream: ours, closed by ngfile_close */
    struct ngprog *progs; /* the filter, once per link type */
    size_t nprogs;
    char *filter;  /* the expression in force, or NULL */
    int cur_dlt;   /* link type of the last packet delivered */
    uint64_t unit; /* fractions per second of the handle */
    bool brk;      /* the callback asked for a break */
    char err[PCAP_ERRBUF_SIZE + 256];
};

/* Open the pcapng file on stream `in' (taken over) with stamps in
 * precision prec; sets st->ng and st->pcap (a dead handle with the first
 * interface's link type and snap length, for pcap_compile and the
 * savefile header). -1 with the reason in errbuf (PCAP_ERRBUF_SIZE). */
int ngfile_open(struct epcap *st, FILE *in, int prec, char *errbuf);

/* As pcap_dispatch on a file: up to count packets (-1: no limit) through
 * cb; how many, 0 at the end, PCAP_ERROR with ngfile_error, or
 * PCAP_ERROR_BREAK when ngfile_break came before any packet. */
int ngfile_dispatch(struct epcap *st, int count, pcap_handler cb);
void ngfile_break(struct epcap *st);
const char *ngfile_error(const struct epcap *st);

/* Compile expr for every link type met so far (and later ones as they
 * come); on failure -1, ngfile_error naming the interface and link type,
 * and the old filter stays. An empty or NULL expr removes the filter. */
int ngfile_set_filter(struct epcap *st, const char *expr);

/* The stream being read, for the sandbox (glibc seeks it back at exit). */
FILE *ngfile_stream(const struct epcap *st);

void ngfile_close(struct epcap *st);

#endif
