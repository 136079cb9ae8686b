/*
 * live.h: opening the live interfaces of a capture (live.c): one (-i,
 * or libpcap's first device) or several (-i repeated, dumpcap's model).
 */
#ifndef EPCAP_LIVE_H
#define EPCAP_LIVE_H

#include <pcap/pcap.h>
#include <stdint.h>

struct epcap;

/* Kernel capture buffer when none is given. libpcap falls back to
 * TPACKET_V2 in immediate mode, with one ring frame per packet sized for
 * the interface MTU; at libpcap's 2 MiB default that ring holds about a
 * millisecond of 1 M packets/s traffic on a veth. 32 MiB holds 16 ms. */
#define EPCAP_BUFFER_DEFAULT (32 * 1024 * 1024)

/* One live interface. Interface i is the i-th -i; live[0].pcap is also
 * st->pcap (and live[0].fd st->pcap_fd), what a capture of one reads. */
struct live_if {
    pcap_t *pcap;
    int fd;                  /* selectable descriptor */
    const char *name;        /* as given (or libpcap's first device) */
    const char *description; /* pcap_findalldevs', or NULL */
    bpf_u_int32 netmask;     /* for "ip broadcast" in filters */
    uint32_t linktype;       /* LINKTYPE_ of its savefile header */
    int dlt;                 /* libpcap's DLT_, after -y */
};

/* Open, configure and activate every interface asked for, with the
 * capture privileges (privs.c), then look up each one's netmask and
 * link type; exits on failure with an error naming the interface. */
void live_open(struct epcap *st);
/* libpcap status -> protocol error code. */
int live_map_error(int pcap_status);

#endif
