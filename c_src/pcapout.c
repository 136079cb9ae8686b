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
 * stamps as the file holds them; pcapng (its blocks laid out by ngout.c)
 * keeps each interface's own if_tsresol and if_tsoffset, as dumpcap and
 * editcap do.
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
#include "ngout.h"
#include "pcapng.h"
#include "pcapout.h"
#include "report.h"
#include "state.h"

#define PCAP_MAGIC_MICRO 0xa1b2c3d4u
#define PCAP_MAGIC_NANO 0xa1b23c4du

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
    (void)ngout_stats(&st->dump.out, &st->dump.w);
}

/* At the end of a capture: the statistics blocks of pcapng output. */
void pcapout_finish(struct epcap *st)
{
    if (st->output != OUTPUT_PCAPNG &&
        !(st->dump.fd >= 0 && st->dump.w.fmt == OUTPUT_PCAPNG))
        return;
    gather_stats(st);
    if (st->output == OUTPUT_PCAPNG)
        (void)ngout_stats(&st->out, &st->w);
    if (st->dump.fd >= 0)
        (void)ngout_stats(&st->dump.out, &st->dump.w);
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
    if (st->output == OUTPUT_PCAPNG && ngout_idb(&st->out, &st->w, e) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "output buffer full");
    if (st->dump.fd >= 0 && st->dump.w.fmt == OUTPUT_PCAPNG &&
        ngout_idb(&st->dump.out, &st->dump.w, e) < 0)
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
    return w->fmt == OUTPUT_PCAPNG ? ngout_header(ob, w) : pcap_header(ob, w);
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
        return ngout_record(ob, w, ifindex, h, data);
    p = put32(p, (uint32_t)h->ts.tv_sec);
    p = put32(p, frac);
    p = put32(p, h->caplen);
    put32(p, h->len);
    return obuf_record(ob, hdr, sizeof(hdr), data, h->caplen, NULL, 0);
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
