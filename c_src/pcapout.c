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
 * stamps as the file holds them.
 *
 * Runs after privileges are dropped and the sandbox is in place; needs
 * only write(2) on stdout (through the loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "frame.h"
#include "pcapout.h"
#include "report.h"
#include "state.h"

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

/* Section header, then one interface whose time stamp resolution is
 * 10^-9 when the stamps are nanoseconds (the default 10^-6 otherwise).
 * The interface's link type is 16 bits: libpcap's upper bits (FCS
 * length) have no place there. */
static int pcapng_header(struct obuf *ob, const struct pcapw *w)
{
    const uint32_t shb = 28, idb = w->nano ? 32 : 20;
    unsigned char *p = obuf_tail(ob, shb + idb);

    if (p == NULL)
        return -1;
    p = put32(p, PCAPNG_SHB);
    p = put32(p, shb);
    p = put32(p, PCAPNG_BOM);
    p = put16(p, 1);
    p = put16(p, 0);
    p = put32(p, 0xffffffffu); /* section length: unknown */
    p = put32(p, 0xffffffffu);
    p = put32(p, shb);

    p = put32(p, PCAPNG_IDB);
    p = put32(p, idb);
    p = put16(p, (uint16_t)w->linktype);
    p = put16(p, 0);
    p = put32(p, w->snaplen);
    if (w->nano) {
        p = put16(p, 9); /* if_tsresol */
        p = put16(p, 1);
        *p++ = 9;
        memset(p, 0, 3);
        p += 3;
        p = put32(p, 0); /* opt_endofopt */
    }
    put32(p, idb);
    ob->end += shb + idb;
    return 0;
}

/*
 * How a stream or dump file in format fmt is written for this handle:
 * libpcap's own savefile link type and snaplen, and the stamps in the
 * precision asked for, else in the capture file's own (a microsecond
 * file stays microsecond, as `tcpdump -r F -w -' keeps it), else the
 * handle's.
 */
void pcapout_writer(const struct epcap *st, enum epcap_output fmt,
                    struct pcapw *w)
{
    bool handle_nano =
        pcap_get_tstamp_precision(st->pcap) == PCAP_TSTAMP_PRECISION_NANO;

    w->fmt = fmt;
    w->nano = handle_nano;
    if (st->is_file && st->opt.precision < 0)
        w->nano = st->head.nano;
    w->scale_down = handle_nano && !w->nano;
    w->linktype = st->linktype;
    w->snaplen = (uint32_t)pcap_snapshot(st->pcap);
}

/* The file header of a stream (or dump file). */
int pcapout_write_header(struct obuf *ob, const struct pcapw *w)
{
    return w->fmt == OUTPUT_PCAPNG ? pcapng_header(ob, w)
                                   : pcap_header(ob, w);
}

/* A record: its header, the packet, and (pcapng) padding and trailer,
 * appended to the buffer; one that does not fit goes out on its own, in
 * pieces. Its size, or 0 if writing it failed (the next flush of this
 * buffer reports the error). */
static size_t put_record(struct obuf *ob, const unsigned char *hdr,
                         size_t hlen, const unsigned char *data,
                         size_t caplen, const unsigned char *tail,
                         size_t tlen)
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
                            uint64_t sec, uint32_t frac,
                            const struct pcap_pkthdr *h,
                            const unsigned char *data)
{
    uint32_t pad = (4 - h->caplen % 4) % 4;
    uint32_t len = 32 + h->caplen + pad;
    uint64_t ts = sec * (w->nano ? 1000000000u : 1000000u) + frac;
    unsigned char hdr[28], tail[8] = {0};
    unsigned char *p = hdr;

    p = put32(p, PCAPNG_EPB);
    p = put32(p, len);
    p = put32(p, 0); /* interface 0 */
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
 * the same two. Nothing is cut: a record may be as large as the link
 * type allows.
 */
size_t pcapout_write_packet(struct obuf *ob, const struct pcapw *w,
                            const struct pcap_pkthdr *h,
                            const unsigned char *data)
{
    uint64_t sec = (uint64_t)h->ts.tv_sec;
    uint32_t frac = (uint32_t)(w->scale_down ? h->ts.tv_usec / 1000
                                             : h->ts.tv_usec);
    unsigned char hdr[16];
    unsigned char *p = hdr;

    if (w->fmt == OUTPUT_PCAPNG)
        return pcapng_record(ob, w, sec, frac, h, data);
    p = put32(p, (uint32_t)sec);
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
    (void)pcapout_write_packet(&st->out, &st->w, h, data);
}

/* tcpdump's closing lines, on stderr. */
void pcapout_summary(const struct epcap *st)
{
    struct pcap_stat ps;

    fprintf(stderr, "%llu packets captured\n",
            (unsigned long long)st->cnt.delivered);
    if (!st->is_file && pcap_stats(st->pcap, &ps) == 0) {
        fprintf(stderr, "%u packets received by filter\n", ps.ps_recv);
        fprintf(stderr, "%u packets dropped by kernel\n", ps.ps_drop);
        if (ps.ps_ifdrop != 0)
            fprintf(stderr, "%u packets dropped by interface\n",
                    ps.ps_ifdrop);
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
static uint32_t savefile_linktype(struct epcap *st)
{
    char *buf = NULL;
    size_t len = 0;
    uint32_t lt = (uint32_t)pcap_datalink(st->pcap);
    FILE *f = open_memstream(&buf, &len);
    pcap_dumper_t *d = f != NULL ? pcap_dump_fopen(st->pcap, f) : NULL;

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

    st->linktype = savefile_linktype(st);
    if (path == NULL || strcmp(path, "-") == 0)
        return;
    /* As the caller (privs_start.c); never through a symlink in the last
     * component, which another user could have planted in a shared
     * directory. An existing file is truncated, as tcpdump -w does. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0644);
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
