/*
 * pcapout.c: standard capture streams on stdout, for shell pipelines.
 *
 * With -w the port writes what tcpdump -w and dumpcap -F pcapng write, so
 * `epcap -i eth0 -w - | tcpdump -r -` works. Records go into the same
 * preallocated output buffer as frames do and leave through the same
 * loop: no per-packet system call. Both formats are written in host byte
 * order, as readers expect. A pcap stream is byte for byte what
 * `tcpdump -r F -w -' writes (libpcap's pcap_dump): the LINKTYPE_ value
 * and snaplen libpcap puts in its own savefiles, the capture file's
 * precision (nanoseconds: magic 0xa1b23c4d, pcapng if_tsresol 9), the
 * stamps as the file holds them; pcapng keeps each interface's own
 * if_tsresol and if_tsoffset, as dumpcap and editcap do.
 *
 * Runs after privileges are dropped and the sandbox is in place; needs
 * only write(2) on stdout (through the loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "frame.h"
#include "iface.h"
#include "multi.h"
#include "ngfile.h"
#include "pcapng.h"
#include "pcapout.h"
#include "report.h"
#include "state.h"
#include "version.h"

#define PCAP_MAGIC_MICRO 0xa1b2c3d4u
#define PCAP_MAGIC_NANO 0xa1b23c4du

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

static int pcap_header(struct obuf *ob, const struct pcapw *w)
{
    unsigned char *p = obuf_tail(ob, 24);

    if (p == NULL)
        return -1;
    p = put32(p, w->nano ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO);
    p = put16(p, 2);
    p = put16(p, 4);
    p = put32(p, 0); /* thiszone */
    p = put32(p, 0); /* sigfigs */
    p = put32(p, w->snaplen);
    put32(p, w->linktype);
    ob->end += 24;
    return 0;
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
#define ISB_IFRECV 4
#define ISB_IFDROP 5
#define ISB_OSDROP 7
#define ISB_USRDELIV 8

/* Longest string option written: a block stays small. */
#define OPT_STR_MAX 1024

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
static int pcapng_idb(struct obuf *ob, const struct pcapw *w,
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
static int pcapng_header(struct obuf *ob, const struct pcapw *w)
{
    if (pcapng_shb(ob, w) < 0)
        return -1;
    if (w->ifaces == NULL || w->ifaces->n == 0)
        return pcapng_idb(ob, w, NULL);
    for (uint32_t i = 0; i < w->ifaces->n; i++)
        if (pcapng_idb(ob, w, &w->ifaces->v[i]) < 0)
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
int pcapout_write_stats(struct obuf *ob, const struct pcapw *w)
{
    if (w->fmt != OUTPUT_PCAPNG || w->ifaces == NULL)
        return 0;
    for (uint32_t i = 0; i < w->ifaces->n; i++)
        if (w->ifaces->v[i].has_stats &&
            pcapng_isb(ob, w, i, &w->ifaces->v[i]) < 0)
            return -1;
    return 0;
}

/* The statistics each interface ends with: libpcap's for a live
 * capture, a pcapng file's own (its last statistics block) for a file. */
static void gather_stats(struct epcap *st)
{
    struct pcap_stat ps;

    for (uint32_t i = 0; st->ng != NULL && i < st->ifaces.n; i++) {
        const struct pcapng_stats *s = &st->ng->r.ifs[i].stats;
        struct epcap_iface *e = &st->ifaces.v[i];
        e->has_stats = s->present;
        e->stats_have = s->have;
        e->ifrecv = s->ifrecv;
        e->ifdrop = s->ifdrop;
        e->osdrop = s->osdrop;
        e->usrdeliv = s->usrdeliv;
        int64_t sec;
        uint64_t frac;
        pcapng_time(&st->ng->r.ifs[i], s->ts, 1000000000u, &sec, &frac);
        e->stats_ns = sec > 0 ? (uint64_t)sec * 1000000000u + frac : 1;
    }
    for (uint32_t i = 0; i < st->nlive && i < st->ifaces.n; i++) {
        struct epcap_iface *e = &st->ifaces.v[i];
        if (!live_stats(st, i, &ps))
            continue;
        e->has_stats = true;
        e->stats_have = 1u << ISB_IFRECV | 1u << ISB_IFDROP | 1u << ISB_OSDROP |
                        1u << ISB_USRDELIV;
        e->ifrecv = ps.ps_recv;
        e->ifdrop = ps.ps_ifdrop;
        e->osdrop = ps.ps_drop;
        e->usrdeliv = e->delivered;
    }
    /* The `any' device's interfaces (anyif.c) have no kernel counters of
     * their own (interface 0's cover them all): what was delivered. */
    for (uint32_t i = st->nlive; !st->is_file && i < st->ifaces.n; i++) {
        struct epcap_iface *e = &st->ifaces.v[i];
        e->has_stats = true;
        e->stats_have = 1u << ISB_USRDELIV;
        e->usrdeliv = e->delivered;
    }
}

/* Before a pcapng dump file is closed for the next: its statistics. */
void pcapout_dump_stats(struct epcap *st)
{
    if (st->dump.fd < 0 || st->dump.w.fmt != OUTPUT_PCAPNG)
        return;
    gather_stats(st);
    (void)pcapout_write_stats(&st->dump.out, &st->dump.w);
}

/* At the end of a capture: the statistics blocks of pcapng output. */
void pcapout_finish(struct epcap *st)
{
    if (st->output != OUTPUT_PCAPNG &&
        !(st->dump.fd >= 0 && st->dump.w.fmt == OUTPUT_PCAPNG))
        return;
    gather_stats(st);
    if (st->output == OUTPUT_PCAPNG)
        (void)pcapout_write_stats(&st->out, &st->w);
    if (st->dump.fd >= 0)
        (void)pcapout_write_stats(&st->dump.out, &st->dump.w);
}

/* A file may hold thousands of interface blocks in a row with no packet
 * between (nothing else writes the buffer out then): past the high-water
 * mark, what is pending is written first. */
static void room(struct epcap *st, struct obuf *ob, const char *what)
{
    if (obuf_pending(ob) >= EPCAP_OUT_HIGH && obuf_drain(ob) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "%s: %s", what,
                    strerror(errno));
}

/* A new interface met while reading (ngfile.c): its block into the
 * pcapng stream and the pcapng dump file, whichever there are. */
void pcapout_interface(struct epcap *st, uint32_t idx)
{
    const struct epcap_iface *e = &st->ifaces.v[idx];

    room(st, &st->out, "stdout");
    if (st->dump.fd >= 0)
        room(st, &st->dump.out, "dump");
    if (st->output == OUTPUT_FRAMES && st->opt.interface_info &&
        iface_frame(st, idx) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                    strerror(errno));
    if (st->output == OUTPUT_PCAPNG && pcapng_idb(&st->out, &st->w, e) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "output buffer full");
    if (st->dump.fd >= 0 && st->dump.w.fmt == OUTPUT_PCAPNG &&
        pcapng_idb(&st->dump.out, &st->dump.w, e) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "dump buffer full");
}

/*
 * How a stream or dump file in format fmt is written for this handle:
 * libpcap's own savefile link type and snaplen, and the stamps in the
 * precision asked for, else in the capture file's own (a microsecond
 * file stays microsecond, as `tcpdump -r F -w -' keeps it; pcapng keeps
 * each interface's own resolution and offset), else the handle's.
 */
void pcapout_writer(const struct epcap *st, enum epcap_output fmt,
                    struct pcapw *w)
{
    bool handle_nano =
        pcap_get_tstamp_precision(st->pcap) == PCAP_TSTAMP_PRECISION_NANO;

    w->fmt = fmt;
    w->nano = handle_nano;
    /* pcapng to pcapng: read at nanoseconds, written back in each
     * interface's own resolution (own_resol). */
    if (st->is_file && st->opt.precision < 0 &&
        !(fmt == OUTPUT_PCAPNG && st->head.pcapng))
        w->nano = st->head.nano;
    w->scale_down = handle_nano && !w->nano;
    w->own_resol =
        fmt == OUTPUT_PCAPNG && !(st->is_file && st->opt.precision >= 0);
    w->in_unit = handle_nano ? 1000000000u : 1000000u;
    w->linktype = st->linktype;
    w->snaplen = (uint32_t)pcap_snapshot(st->pcap);
    w->ifaces = &st->ifaces;
    w->os = st->os_name;
    w->comment = st->opt.capture_comment;
}

/* The file header of a stream (or dump file). */
int pcapout_write_header(struct obuf *ob, const struct pcapw *w)
{
    return w->fmt == OUTPUT_PCAPNG ? pcapng_header(ob, w) : pcap_header(ob, w);
}

/* A record: its header, the packet, and (pcapng) padding and trailer,
 * appended to the buffer; one that does not fit goes out on its own, in
 * pieces. Its size, or 0 if writing it failed (the next flush of this
 * buffer reports the error). */
static size_t put_record(struct obuf *ob, const unsigned char *hdr, size_t hlen,
                         const unsigned char *data, size_t caplen,
                         const unsigned char *tail, size_t tlen)
{
    size_t n = hlen + caplen + tlen;
    unsigned char *o = obuf_tail(ob, n);

    if (o == NULL) {
        if (obuf_write_all(ob, hdr, hlen) < 0 ||
            obuf_write_all(ob, data, caplen) < 0 ||
            (tlen > 0 && obuf_write_all(ob, tail, tlen) < 0))
            return 0;
        return n;
    }
    memcpy(o, hdr, hlen);
    memcpy(o + hlen, data, caplen);
    if (tlen > 0)
        memcpy(o + hlen + caplen, tail, tlen);
    ob->end += n;
    return n;
}

static size_t pcapng_record(struct obuf *ob, const struct pcapw *w,
                            uint32_t ifindex, const struct pcap_pkthdr *h,
                            const unsigned char *data)
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
    return put_record(ob, hdr, sizeof(hdr), data, h->caplen, tail, pad + 4);
}

/*
 * One packet record; its size in bytes, or 0 if it could not be written.
 * The values go out as libpcap handed them over, as pcap_dump writes
 * them: seconds and fraction as 32-bit fields, a fraction of a second or
 * more included (the file said so); pcapng's 64-bit stamp is built from
 * the same two, in the interface's own units (stamp_of). Nothing is cut:
 * a record may be as large as the link type allows.
 */
size_t pcapout_write_packet(struct obuf *ob, const struct pcapw *w,
                            uint32_t ifindex, const struct pcap_pkthdr *h,
                            const unsigned char *data)
{
    uint32_t frac =
        (uint32_t)(w->scale_down ? h->ts.tv_usec / 1000 : h->ts.tv_usec);
    unsigned char hdr[16];
    unsigned char *p = hdr;

    if (w->fmt == OUTPUT_PCAPNG)
        return pcapng_record(ob, w, ifindex, h, data);
    p = put32(p, (uint32_t)h->ts.tv_sec);
    p = put32(p, frac);
    p = put32(p, h->caplen);
    put32(p, h->len);
    return put_record(ob, hdr, sizeof(hdr), data, h->caplen, NULL, 0);
}

int pcapout_header(struct epcap *st)
{
    pcapout_writer(st, st->output, &st->w);
    return pcapout_write_header(&st->out, &st->w);
}

void pcapout_packet(struct epcap *st, const struct pcap_pkthdr *h,
                    const unsigned char *data)
{
    (void)pcapout_write_packet(&st->out, &st->w, st->cur_if, h, data);
}

/* tcpdump's closing lines, on stderr. */
void pcapout_summary(const struct epcap *st)
{
    struct pcap_stat ps;

    fprintf(stderr, "%llu packets captured\n",
            (unsigned long long)st->cnt.delivered);
    if (live_stats_sum(st, &ps)) {
        fprintf(stderr, "%u packets received by filter\n", ps.ps_recv);
        fprintf(stderr, "%u packets dropped by kernel\n", ps.ps_drop);
        if (ps.ps_ifdrop != 0)
            fprintf(stderr, "%u packets dropped by interface\n", ps.ps_ifdrop);
    }
}

/*
 * The link type value libpcap itself writes in a savefile header for
 * this handle: its DLT_ mapped to the LINKTYPE_ the formats define (raw
 * IP is DLT 12 on Linux but LINKTYPE 101 in files), with the upper bits
 * a capture file carried (0x30000001: Ethernet with a 4-byte FCS).
 * libpcap keeps that mapping (dlt_to_linktype) to itself, so it is asked
 * for a header in memory. A link type with no savefile value is written
 * as its DLT, with a warning: tcpdump refuses to write it at all.
 * Runs before the sandbox (open_memstream allocates; nothing is opened).
 */
uint32_t pcapout_linktype(struct epcap *st, pcap_t *p)
{
    char *buf = NULL;
    size_t len = 0;
    uint32_t lt = (uint32_t)pcap_datalink(p);
    FILE *f = open_memstream(&buf, &len);
    pcap_dumper_t *d = f != NULL ? pcap_dump_fopen(p, f) : NULL;

    if (d != NULL && pcap_dump_flush(d) == 0 && len >= 24)
        memcpy(&lt, buf + 20, 4);
    else
        epcap_warn(st, EPCAP_E_WARNING,
                   "link type %u has no savefile value; written as is", lt);
    if (d != NULL)
        pcap_dump_close(d);
    else if (f != NULL)
        fclose(f);
    free(buf);
    return lt;
}

/* -w FILE: the file becomes stdout, opened with the invoking user's
 * rights (never a setuid root's) before privileges are dropped, so the
 * sandbox only ever writes to descriptor 1. */
void pcapout_open(struct epcap *st)
{
    const char *path = st->opt.write_file;

    struct utsname u;

    if (st->is_file) /* a live interface's: live.c */
        st->linktype = pcapout_linktype(st, st->pcap);
    /* shb_os, as dumpcap writes it; asked now, before the sandbox. */
    if (uname(&u) == 0)
        snprintf(st->os_name, sizeof(st->os_name), "%.60s %.60s", u.sysname,
                 u.release);
    if (path == NULL || strcmp(path, "-") == 0)
        return;
    /* As the caller (privs.c); never through a symlink in the last
     * component, which another user could have planted in a shared
     * directory. An existing file is truncated, as tcpdump -w does. */
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_FILE, "%s: %s", path,
                    errno == ELOOP ? "is a symbolic link; epcap does not "
                                     "write through one"
                                   : strerror(errno));
    if (dup2(fd, STDOUT_FILENO) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "dup2: %s",
                    strerror(errno));
    close(fd);
}
