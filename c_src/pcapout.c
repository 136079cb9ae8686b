/*
 * pcapout.c: standard capture streams on stdout, for shell pipelines.
 *
 * With -w the port writes what tcpdump -w and dumpcap -F pcapng write, so
 * `epcap -i eth0 -w - | tcpdump -r -` works. Records go into the same
 * preallocated output buffer as frames do and leave through the same
 * loop: no per-packet system call. Both formats are written in host byte
 * order, as readers expect, with nanosecond stamps when the handle has
 * them (pcap magic 0xa1b23c4d; pcapng if_tsresol 9).
 *
 * Runs after privileges are dropped and the sandbox is in place; needs
 * only write(2) on stdout (through the loop).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "epcap.h"

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

static int pcap_header(struct obuf *ob, pcap_t *pc, bool nano)
{
    unsigned char *p = obuf_tail(ob, 24);

    if (p == NULL)
        return -1;
    p = put32(p, nano ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO);
    p = put16(p, 2);
    p = put16(p, 4);
    p = put32(p, 0); /* thiszone */
    p = put32(p, 0); /* sigfigs */
    p = put32(p, (uint32_t)pcap_snapshot(pc));
    put32(p, (uint32_t)pcap_datalink(pc));
    ob->end += 24;
    return 0;
}

/* Section header, then one interface whose time stamp resolution is
 * 10^-9 when the handle is nanosecond (the default 10^-6 otherwise). */
static int pcapng_header(struct obuf *ob, pcap_t *pc, bool nano)
{
    const uint32_t shb = 28, idb = nano ? 32 : 20;
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
    p = put16(p, (uint16_t)pcap_datalink(pc));
    p = put16(p, 0);
    p = put32(p, (uint32_t)pcap_snapshot(pc));
    if (nano) {
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

/* The file header of a stream (or dump file) in format fmt. */
int pcapout_write_header(struct obuf *ob, enum epcap_output fmt, pcap_t *pc)
{
    bool nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;

    return fmt == OUTPUT_PCAPNG ? pcapng_header(ob, pc, nano)
                                : pcap_header(ob, pc, nano);
}

/* One packet record; its size in bytes, or 0 if there was no room. */
size_t pcapout_write_packet(struct obuf *ob, enum epcap_output fmt, bool nano,
                            const struct pcap_pkthdr *h,
                            const unsigned char *data)
{
    uint32_t caplen = h->caplen > EPCAP_SNAPLEN_MAX ? EPCAP_SNAPLEN_MAX
                                                    : h->caplen;
    long sec = (long)h->ts.tv_sec, frac = (long)h->ts.tv_usec;
    epcap_ts_normalize(&sec, &frac, nano ? 1000000000L : 1000000L);

    if (fmt == OUTPUT_PCAP) {
        unsigned char *p = obuf_tail(ob, 16 + caplen);
        if (p == NULL)
            return 0;
        p = put32(p, (uint32_t)sec);
        p = put32(p, (uint32_t)frac);
        p = put32(p, caplen);
        p = put32(p, h->len);
        memcpy(p, data, caplen);
        ob->end += 16 + caplen;
        return 16 + caplen;
    }
    uint32_t pad = (4 - caplen % 4) % 4;
    uint32_t len = 32 + caplen + pad;
    uint64_t ts = (uint64_t)sec * (nano ? 1000000000u : 1000000u) +
                  (uint64_t)frac;
    unsigned char *p = obuf_tail(ob, len);
    if (p == NULL)
        return 0;
    p = put32(p, PCAPNG_EPB);
    p = put32(p, len);
    p = put32(p, 0); /* interface 0 */
    p = put32(p, (uint32_t)(ts >> 32));
    p = put32(p, (uint32_t)ts);
    p = put32(p, caplen);
    p = put32(p, h->len);
    memcpy(p, data, caplen);
    memset(p + caplen, 0, pad);
    put32(p + caplen + pad, len);
    ob->end += len;
    return len;
}

int pcapout_header(struct epcap *st)
{
    st->nano = pcap_get_tstamp_precision(st->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    return pcapout_write_header(&st->out, st->output, st->pcap);
}

void pcapout_packet(struct epcap *st, const struct pcap_pkthdr *h,
                    const unsigned char *data)
{
    (void)pcapout_write_packet(&st->out, st->output, st->nano, h, data);
}

/* tcpdump's closing lines, on stderr. */
void pcapout_summary(struct epcap *st)
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

/* -w FILE: the file becomes stdout, opened with the invoking user's
 * rights (never a setuid root's) before privileges are dropped, so the
 * sandbox only ever writes to descriptor 1. */
void pcapout_open(struct epcap *st)
{
    const char *path = st->opt.write_file;

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
