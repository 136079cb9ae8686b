/*
 * pcapng.h: a reader of pcapng capture files, our own (Wireshark's wiretap
 * is GPL; libpcap 1.10 stops at an interface with a second link type).
 *
 * Pure: no libpcap, no global state; it reads blocks from a stdio stream
 * the caller opened (a file, a pipe, standard input) and hands back one
 * packet at a time with the interface it came from. Every length is
 * bounded before it is used (PCAPNG_BLOCK_MAX, the link type's largest
 * packet); damage ends the file with a message after every good packet.
 *
 * Reads: Section Header Blocks (either byte order, any number of
 * sections), Interface Description Blocks (link type, snap length,
 * if_tsresol in powers of 10 or 2, if_tsoffset, if_name, if_description,
 * if_filter), Enhanced, Simple and obsolete Packet Blocks, Interface
 * Statistics Blocks; every other block, custom ones included, is skipped.
 *
 * Interfaces are numbered across the whole file, in the order their
 * blocks appear (as tshark's frame.interface_id): a packet's index is its
 * section's first interface plus the block's own interface id.
 */
#ifndef EPCAP_PCAPNG_H
#define EPCAP_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The largest block read: libpcap's own limit (INITIAL_MAX_BLOCKSIZE),
 * raised for the link types whose packets may be larger (D-Bus:
 * 128 MiB), so a length field cannot make the reader allocate more. */
#define PCAPNG_BLOCK_MAX (16u * 1024 * 1024)

/* Largest number of interfaces in a file: a bound on the table, far
 * above any real capture (dumpcap takes 64 at most). */
#define PCAPNG_IF_MAX 65536

/* The longest interface name, description or filter kept (longer ones
 * are cut): the frames and blocks that carry them stay small. */
#define PCAPNG_STR_MAX 1024

/* Interface statistics, from the last Interface Statistics Block. */
struct pcapng_stats {
    bool present;
    uint64_t ts; /* the block's time stamp, in the interface's units */
    uint64_t ifrecv, ifdrop, filteraccept, osdrop, usrdeliv;
    uint32_t have; /* bit n: option n (isb_ifrecv = 4 ...) was present */
};

struct pcapng_if {
    uint16_t linktype;   /* LINKTYPE_ value, as in the file */
    uint32_t snaplen;    /* as in the file (0: no limit) */
    uint32_t max_caplen; /* the largest packet accepted on it */
    uint8_t tsresol;     /* if_tsresol's byte (6 when absent) */
    uint64_t units;      /* time stamp units per second */
    int64_t tsoffset;    /* if_tsoffset, seconds */
    uint32_t section;    /* the section it belongs to, from 0 */
    char *name;          /* if_name, NUL-terminated, or NULL */
    char *description;   /* if_description, or NULL */
    char *filter;        /* if_filter (a libpcap string), or NULL */
    struct pcapng_stats stats;
};

struct pcapng_pkt {
    uint32_t ifindex; /* across the file */
    uint64_t ts;      /* in the interface's units; 0 in an SPB */
    uint32_t caplen, len;
    const unsigned char *data; /* valid until the next pcapng_next */
};

struct pcapng {
    FILE *fp;
    bool swap;          /* this section's byte order is not ours */
    unsigned char *buf; /* the current block */
    size_t cap;
    struct pcapng_if *ifs; /* every interface of every section */
    uint32_t nif, ifcap;
    uint32_t section_first; /* index of this section's interface 0 */
    uint32_t sections;
    uint64_t offset;    /* of the next block, for messages */
    uint32_t block_max; /* PCAPNG_BLOCK_MAX, or more for D-Bus */
    char *shb_hardware, *shb_os, *shb_userappl; /* first section's */
    char err[256];
};

/* Read the first Section Header Block from fp, positioned at the start
 * of the file, and the blocks up to the first interface, as libpcap
 * does: 0, or -1 with r->err (not pcapng, damaged, a packet before any
 * interface, or no interface at all). The reader does not own fp. */
int pcapng_open(struct pcapng *r, FILE *fp);

/* The next packet: 1, 0 at the end of the file, -1 with r->err on damage.
 * Interfaces met on the way are in r->ifs before the packet that needs
 * them. */
int pcapng_next(struct pcapng *r, struct pcapng_pkt *p);

/* A packet's time stamp as seconds and a fraction in `unit' parts of a
 * second (10^6 or 10^9), rounded down, the interface's offset added. */
void pcapng_time(const struct pcapng_if *ifp, uint64_t ts, uint64_t unit,
                 int64_t *sec, uint64_t *frac);

/* Time stamp units per second of an if_tsresol byte (10^v, or 2^(v &
 * 0x7f) with the top bit); the caller keeps v within 64 bits (10^19,
 * 2^63), as the reader does. */
uint64_t pcapng_units(uint8_t tsresol);

/* The largest packet a link type carries (libpcap's max_snaplen_for_dlt). */
uint32_t pcapng_max_snaplen(uint16_t linktype);

/* Free what the reader holds (not fp). */
void pcapng_close(struct pcapng *r);

#endif
