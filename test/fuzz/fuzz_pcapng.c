/*
 * fuzz_pcapng.c: libFuzzer harness for the pcapng reader (c_src/pcapng.c),
 * with a differential check against libpcap's own reader.
 *
 * The input is a capture file. Our reader reads it to the end or to the
 * damage: every packet must lie inside the block it came from (ASan
 * sees any read past it), its interface must be one the reader knows,
 * its captured length within its link type's maximum; pcapng_time must
 * give a fraction below the unit asked for.
 *
 * Then libpcap 1.10 reads the same bytes (nanosecond precision). libpcap
 * stops where our reader goes on (a second link type or snap length, a
 * section in the other byte order), so the rule is one way: every packet
 * libpcap delivers, our reader delivers too, in the same place, with the
 * same lengths, bytes and time stamp; if libpcap reads the file to its
 * end without an error, ours does as well. Left out of the comparison:
 * the bytes of link types libpcap rewrites on reading (USB, NFLOG, Linux
 * cooked; its swap_pseudo_headers), and the stamps of an interface whose
 * binary resolution is finer than 2^-33 s, where libpcap's frac * 10^9
 * overflows 64 bits and ours (exact, 128-bit) does not.
 *
 * Not part of the port: built only by `make fuzz` (c_src/Makefile).
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct got {
    int64_t sec;
    uint64_t frac;
    uint32_t caplen, len, ifindex;
    uint16_t linktype;
    bool exact_ts;
    const unsigned char *data; /* a copy */
};

static struct got *ours;
static size_t n_ours, cap_ours;

static void keep(const struct pcapng *r, const struct pcapng_pkt *p)
{
    const struct pcapng_if *ifp = &r->ifs[p->ifindex];

    if (n_ours == cap_ours) {
        cap_ours = cap_ours ? 2 * cap_ours : 64;
        ours = realloc(ours, cap_ours * sizeof(*ours));
        if (ours == NULL)
            abort();
    }
    struct got *g = &ours[n_ours++];
    pcapng_time(ifp, p->ts, 1000000000u, &g->sec, &g->frac);
    if (g->frac >= 1000000000u)
        abort();
    g->caplen = p->caplen;
    g->len = p->len;
    g->ifindex = p->ifindex;
    g->linktype = ifp->linktype;
    g->exact_ts = !((ifp->tsresol & 0x80) && (ifp->tsresol & 0x7f) > 33);
    unsigned char *copy = malloc(p->caplen ? p->caplen : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, p->data, p->caplen); /* ASan: inside the block */
    g->data = copy;
}

/* Our reader over the input: true if it ended without damage. */
static bool read_ours(const unsigned char *data, size_t size)
{
    FILE *fp = fmemopen((void *)data, size, "rb");
    struct pcapng r;
    struct pcapng_pkt p;
    int rc;

    if (fp == NULL)
        abort();
    if (pcapng_open(&r, fp) < 0) {
        if (r.err[0] == '\0')
            abort(); /* a failure always says why */
        pcapng_close(&r);
        fclose(fp);
        return false;
    }
    while ((rc = pcapng_next(&r, &p)) > 0) {
        if (p.ifindex >= r.nif ||
            p.caplen > r.ifs[p.ifindex].max_caplen)
            abort();
        keep(&r, &p);
    }
    if (rc < 0 && r.err[0] == '\0')
        abort();
    pcapng_close(&r);
    fclose(fp);
    return rc == 0;
}

/* libpcap rewrites these link types' headers as it reads them. */
static bool rewritten(uint16_t linktype)
{
    return linktype == 189 || linktype == 220 || linktype == 239 ||
           linktype == 113 || linktype == 276;
}

static void compare_libpcap(const unsigned char *data, size_t size,
                            bool ours_clean)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    FILE *fp = fmemopen((void *)data, size, "rb");

    if (fp == NULL)
        abort();
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fclose(fp);
        return; /* libpcap reads nothing: nothing to compare */
    }
    struct pcap_pkthdr *h;
    const unsigned char *d;
    size_t i = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        if (i >= n_ours)
            abort(); /* libpcap read a packet ours did not */
        const struct got *g = &ours[i++];
        if (h->caplen != g->caplen || h->len != g->len)
            abort();
        if (!rewritten(g->linktype) && memcmp(d, g->data, g->caplen) != 0)
            abort();
        if (g->exact_ts && ((int64_t)h->ts.tv_sec != g->sec ||
                            (uint64_t)h->ts.tv_usec != g->frac))
            abort();
    }
    if (rc == PCAP_ERROR_BREAK && (!ours_clean || i != n_ours))
        abort(); /* libpcap read the whole file; ours must too, no more */
    pcap_close(p); /* closes fp */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 12)
        return 0;
    n_ours = 0;
    bool clean = read_ours(data, size);
    /* Only a pcapng file: libpcap reads pcap files, which ours refuses. */
    if (memcmp(data, "\x0a\x0d\x0d\x0a", 4) == 0)
        compare_libpcap(data, size, clean);
    for (size_t i = 0; i < n_ours; i++)
        free((void *)ours[i].data);
    return 0;
}
