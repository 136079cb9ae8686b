/*
 * ngout.c: the blocks of pcapng output (ngout.h), as dumpcap writes
 * them: a Section Header with the OS, application and capture comment,
 * one Interface Description Block per interface (name, description,
 * filter, its own if_tsresol and if_tsoffset), an Enhanced Packet Block
 * per packet, stamped in its interface's units, and Interface
 * Statistics Blocks at the end. Host byte order, as readers expect.
 * pcapout.c decides what is written where (-w, --dump, each rotated
 * file); this file only lays the blocks out.
 *
 * Runs after privileges are dropped, in the sandbox: memory, and write(2)
 * on the output (through frame.c) for a record too large to buffer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "iface.h"
#include "ngout.h"
#include "pcapng.h"
#include "pcapout.h"
#include "version.h"

#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BOM 0x1a2b3c4du

static unsigned char *put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
    return p + 4;
}

static unsigned char *put16(unsigned char *p, uint16_t v)
{
    memcpy(p, &v, 2);
    return p + 2;
}

#define PCAPNG_ISB 0x00000005u

/* pcapng options (pcapng spec, section 3.5 and the blocks' own). */
#define OPT_COMMENT 1
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_TSOFFSET 14
#define IF_FILTER 11
#define ISB_ENDTIME 3

#define OPT_STR_MAX NGOUT_STR_MAX

/* Room for a block with three string options and a few fixed ones. */
#define BLOCK_ROOM (64 + 4 * (4 + OPT_STR_MAX + 4))

/* An option: code, length, value, padding to 4 bytes. */
static unsigned char *put_opt(unsigned char *p, uint16_t code, const void *v,
                              size_t n)
{
    size_t pad = (4 - n % 4) % 4;

    p = put16(p, code);
    p = put16(p, (uint16_t)n);
    memcpy(p, v, n);
    memset(p + n, 0, pad);
    return p + n + pad;
}

static unsigned char *put_str_opt(unsigned char *p, uint16_t code,
                                  const char *s)
{
    if (s == NULL || s[0] == '\0')
        return p;
    size_t n = strlen(s);
    return put_opt(p, code, s, n > OPT_STR_MAX ? OPT_STR_MAX : n);
}

static unsigned char *put_u64_opt(unsigned char *p, uint16_t code, uint64_t v)
{
    return put_opt(p, code, &v, 8);
}

/* Close the block begun at b (type and length placeholders) and ending
 * at p: opt_endofopt when it has options, the two lengths. */
static size_t end_block(unsigned char *b, unsigned char *p, size_t fixed)
{
    if ((size_t)(p - b) > fixed)
        p = put32(p, 0); /* opt_endofopt */
    uint32_t len = (uint32_t)(p - b) + 4;
    put32(b + 4, len);
    put32(p, len);
    return len;
}

static int put_block(struct obuf *ob, const unsigned char *blk, size_t len)
{
    unsigned char *o = obuf_tail(ob, len);

    if (o == NULL)
        return -1;
    memcpy(o, blk, len);
    ob->end += len;
    return 0;
}

/* The Section Header Block: the OS and application, as dumpcap writes
 * them, and the capture comment. */
static int pcapng_shb(struct obuf *ob, const struct pcapw *w)
{
    unsigned char blk[BLOCK_ROOM];
    unsigned char *p = blk;

    p = put32(p, PCAPNG_SHB);
    p = put32(p, 0);
    p = put32(p, PCAPNG_BOM);
    p = put16(p, 1);
    p = put16(p, 0);
    p = put32(p, 0xffffffffu); /* section length: unknown */
    p = put32(p, 0xffffffffu);
    p = put_str_opt(p, OPT_COMMENT, w->comment);
    p = put_str_opt(p, SHB_OS, w->os);
    p = put_str_opt(p, SHB_USERAPPL, "epcap " EPCAP_VERSION);
    return put_block(ob, blk, end_block(blk, p, 24));
}

/* How interface e's stamps are written: its own if_tsresol and
 * if_tsoffset (a pcapng file's, a live handle's precision), or the
 * writer's one precision for every interface when one was asked for. */
static void stamp_form(const struct pcapw *w, const struct epcap_iface *e,
                       uint8_t *resol, int64_t *offset)
{
    *resol = w->nano ? 9 : 6;
    *offset = 0;
    if (w->own_resol && e != NULL) {
        *resol = e->tsresol;
        *offset = e->tsoffset;
    }
}

/*
 * A time (seconds, and a fraction in in_unit parts) as a pcapng stamp
 * of interface e: units of its resolution since its offset. The fraction
 * is rounded up: a reader rounds down, so a stamp that came from the
 * same resolution (a file read at nanoseconds, 2^-10 included) is
 * written back exactly as the file held it. Modulo 2^64, as readers add
 * the offset.
 */
static uint64_t stamp_convert(const struct pcapw *w, uint8_t resol,
                              int64_t offset, int64_t sec, uint64_t frac)
{
    uint64_t units = pcapng_units(resol);
    uint64_t f = frac;

    if (units != w->in_unit) {
        unsigned __int128 scaled = (unsigned __int128)frac * units;
        f = (uint64_t)((scaled + w->in_unit - 1) / w->in_unit);
    }
    return ((uint64_t)sec - (uint64_t)offset) * units + f;
}

/* Per packet: an interface in the stamps' own unit, without an offset
 * (every live capture, most files) takes no conversion. */
static inline uint64_t stamp_of(const struct pcapw *w,
                                const struct epcap_iface *e, int64_t sec,
                                uint64_t frac)
{
    uint8_t resol;
    int64_t offset;

    stamp_form(w, e, &resol, &offset);
    if (offset == 0 && resol == (w->in_unit == 1000000u ? 6 : 9))
        return (uint64_t)sec * w->in_unit + frac;
    return stamp_convert(w, resol, offset, sec, frac);
}

/* One Interface Description Block: the interface's link type (16 bits:
 * libpcap's upper bits, the FCS length, have no place there), snap
 * length, name, description and filter, and its stamps' resolution and
 * offset (stamp_form; the defaults, 10^-6 and 0, are not written). */
int ngout_idb(struct obuf *ob, const struct pcapw *w,
              const struct epcap_iface *e)
{
    unsigned char blk[BLOCK_ROOM];
    unsigned char *p = blk;
    uint8_t resol;
    int64_t offset;

    p = put32(p, PCAPNG_IDB);
    p = put32(p, 0);
    p = put16(p, e != NULL ? e->linktype : (uint16_t)w->linktype);
    p = put16(p, 0);
    p = put32(p, e != NULL ? e->snaplen : w->snaplen);
    if (e != NULL) {
        p = put_str_opt(p, IF_NAME, e->name);
        p = put_str_opt(p, IF_DESCRIPTION, e->description);
        if (e->filter != NULL && e->filter[0] != '\0') {
            char filter[OPT_STR_MAX + 2];
            /* if_filter: a type byte (0: a libpcap expression) first. */
            filter[0] = '\0';
            snprintf(filter + 1, sizeof(filter) - 1, "%s", e->filter);
            p = put_opt(p, IF_FILTER, filter, 1 + strlen(filter + 1));
        }
    }
    stamp_form(w, e, &resol, &offset);
    if (resol != 6)
        p = put_opt(p, IF_TSRESOL, &resol, 1);
    if (offset != 0)
        p = put_u64_opt(p, IF_TSOFFSET, (uint64_t)offset);
    return put_block(ob, blk, end_block(blk, p, 16));
}

/* Section header, then every interface known so far (one built from the
 * writer when the caller keeps no table). */
int ngout_header(struct obuf *ob, const struct pcapw *w)
{
    if (pcapng_shb(ob, w) < 0)
        return -1;
    if (w->ifaces == NULL || w->ifaces->n == 0)
        return ngout_idb(ob, w, NULL);
    for (uint32_t i = 0; i < w->ifaces->n; i++)
        if (ngout_idb(ob, w, &w->ifaces->v[i]) < 0)
            return -1;
    return 0;
}

/* An Interface Statistics Block for interface idx, stamped now. */
static int pcapng_isb(struct obuf *ob, const struct pcapw *w, uint32_t idx,
                      const struct epcap_iface *e)
{
    unsigned char blk[128];
    unsigned char *p = blk;
    struct timespec now;

    /* A file's statistics keep their own time; a capture's are now. */
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ns = e->stats_ns != 0 ? e->stats_ns
                                   : (uint64_t)now.tv_sec * 1000000000u +
                                         (uint64_t)now.tv_nsec;
    uint64_t ts = stamp_of(w, e, (int64_t)(ns / 1000000000u), ns % 1000000000u);
    p = put32(p, PCAPNG_ISB);
    p = put32(p, 0);
    p = put32(p, idx);
    p = put32(p, (uint32_t)(ts >> 32));
    p = put32(p, (uint32_t)ts);
    p = put_opt(p, ISB_ENDTIME,
                (uint32_t[]){(uint32_t)(ts >> 32), (uint32_t)ts}, 8);
    const struct {
        uint16_t code;
        uint64_t v;
    } c[] = {{ISB_IFRECV, e->ifrecv},
             {ISB_IFDROP, e->ifdrop},
             {ISB_OSDROP, e->osdrop},
             {ISB_USRDELIV, e->usrdeliv}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        if (e->stats_have & (1u << c[i].code))
            p = put_u64_opt(p, c[i].code, c[i].v);
    return put_block(ob, blk, end_block(blk, p, 20));
}

/* Statistics blocks for every interface that has statistics, at the end
 * of a pcapng stream or file. */
int ngout_stats(struct obuf *ob, const struct pcapw *w)
{
    if (w->fmt != OUTPUT_PCAPNG || w->ifaces == NULL)
        return 0;
    for (uint32_t i = 0; i < w->ifaces->n; i++)
        if (w->ifaces->v[i].has_stats &&
            pcapng_isb(ob, w, i, &w->ifaces->v[i]) < 0)
            return -1;
    return 0;
}

size_t ngout_record(struct obuf *ob, const struct pcapw *w, uint32_t ifindex,
                    const struct pcap_pkthdr *h, const unsigned char *data)
{
    uint32_t pad = (4 - h->caplen % 4) % 4;
    uint32_t len = 32 + h->caplen + pad;
    const struct epcap_iface *e = w->ifaces != NULL && ifindex < w->ifaces->n
                                      ? &w->ifaces->v[ifindex]
                                      : NULL;
    uint64_t ts = stamp_of(w, e, (int64_t)h->ts.tv_sec,
                           (uint64_t)(uint32_t)h->ts.tv_usec);
    unsigned char hdr[28], tail[8] = {0};
    unsigned char *p = hdr;

    p = put32(p, PCAPNG_EPB);
    p = put32(p, len);
    p = put32(p, ifindex);
    p = put32(p, (uint32_t)(ts >> 32));
    p = put32(p, (uint32_t)ts);
    p = put32(p, h->caplen);
    put32(p, h->len);
    put32(tail + pad, len);
    return obuf_record(ob, hdr, sizeof(hdr), data, h->caplen, tail, pad + 4);
}
