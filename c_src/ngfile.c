/*
 * ngfile.c: reading a pcapng file with our own reader (pcapng.c) inside
 * the port (ngfile.h).
 *
 * libpcap 1.10 stops at an interface with a second link type or snap
 * length; tshark reads on. This file reads every interface of every
 * section, and does around each packet what libpcap's savefile code
 * does around its own: the link type as libpcap numbers it (DLT_, asked
 * of libpcap itself for each new LINKTYPE_ value), the stamp in the
 * handle's precision, the filter (compiled once per link type and run
 * with pcap_offline_filter, as libpcap runs it on a file).
 *
 * Several link types in one capture: the owner of a frame stream gets a
 * DATALINK frame before the first packet of each other link type (and,
 * with --interfaces, an INTERFACE frame for every interface); a pcapng
 * stream gets one Interface Description Block per interface; a pcap
 * stream holds one link type only, so a packet of another ends it with
 * an error after every packet before it (use --pcapng).
 *
 * Opened as the caller before privileges go; everything after runs in
 * the sandbox. Syscalls: read (stdio); memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epcap_proto.h"
#include "frame.h"
#include "iface.h"
#include "ngfile.h"
#include "pcapout.h"
#include "report.h"
#include "state.h"
#include "wire.h"

/*
 * libpcap's DLT_ for a LINKTYPE_ value (its linktype_to_dlt is not
 * exported): the value in the header of a pcap file made in memory,
 * read back by libpcap. Mostly the same number (raw IP is 101 in files,
 * 12 here). Runs in the sandbox: fmemopen and libpcap allocate only.
 */
static int linktype_dlt(uint16_t linktype)
{
    unsigned char hdr[24] = {0};
    uint32_t v[] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 64, linktype};
    char errbuf[PCAP_ERRBUF_SIZE];
    int dlt = linktype;

    memcpy(hdr, v, sizeof(hdr));
    FILE *f = fmemopen(hdr, sizeof(hdr), "rb");
    pcap_t *p = f != NULL ? pcap_fopen_offline(f, errbuf) : NULL;
    if (p != NULL) {
        dlt = pcap_datalink(p);
        pcap_close(p); /* closes f */
    } else if (f != NULL) {
        fclose(f);
    }
    return dlt;
}

/* The DLT of the reader's interface idx, from an earlier interface of
 * the same link type when there is one. */
static int dlt_of(struct epcap *st, uint32_t idx)
{
    const struct pcapng *r = &st->ng->r;
    uint16_t lt = r->ifs[idx].linktype;

    for (uint32_t i = 0; i < st->ifaces.n && i < idx; i++)
        if (st->ifaces.v[i].linktype == lt)
            return st->ifaces.v[i].dlt;
    return linktype_dlt(lt);
}

static uint32_t adjusted_snaplen(const struct pcapng_if *ifp)
{
    return ifp->snaplen == 0 || ifp->snaplen > ifp->max_caplen ? ifp->max_caplen
                                                               : ifp->snaplen;
}

static const struct ngprog *prog_for(const struct ngfile *ng, int dlt)
{
    for (size_t i = 0; i < ng->nprogs; i++)
        if (ng->progs[i].dlt == dlt)
            return &ng->progs[i];
    return NULL;
}

/* Compile expr for dlt into progs[*n]; -1 with err naming interface idx. */
static int compile_for(struct ngfile *ng, struct ngprog **progs, size_t *n,
                       const char *expr, int dlt, uint32_t idx)
{
    struct ngprog *p = realloc(*progs, (*n + 1) * sizeof(**progs));

    if (p == NULL) {
        snprintf(ng->err, sizeof(ng->err), "out of memory");
        return -1;
    }
    *progs = p;
    pcap_t *dead = pcap_open_dead(dlt, EPCAP_SNAPLEN_MAX);
    if (dead == NULL) {
        snprintf(ng->err, sizeof(ng->err), "out of memory");
        return -1;
    }
    int rc = pcap_compile(dead, &p[*n].prog, expr, 1, PCAP_NETMASK_UNKNOWN);
    if (rc < 0) {
        const char *name = ng->r.ifs[idx].name;
        snprintf(ng->err, sizeof(ng->err),
                 "filter on interface %u (%s), link type %s: %s", idx,
                 name != NULL ? name : "no name",
                 pcap_datalink_val_to_name(dlt) != NULL
                     ? pcap_datalink_val_to_name(dlt)
                     : "unknown",
                 pcap_geterr(dead));
    } else {
        p[*n].dlt = dlt;
        (*n)++;
    }
    pcap_close(dead);
    return rc < 0 ? -1 : 0;
}

static void free_progs(struct ngprog *progs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcap_freecode(&progs[i].prog);
    free(progs);
}

int ngfile_set_filter(struct epcap *st, const char *expr)
{
    struct ngfile *ng = st->ng;
    struct ngprog *progs = NULL;
    size_t n = 0;
    char *copy = NULL;

    if (expr != NULL && expr[0] != '\0') {
        if ((copy = strdup(expr)) == NULL) {
            snprintf(ng->err, sizeof(ng->err), "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < ng->r.nif; i++) {
            int dlt = i < st->ifaces.n ? st->ifaces.v[i].dlt : dlt_of(st, i);
            bool have = false;
            for (size_t k = 0; k < n; k++)
                have = have || progs[k].dlt == dlt;
            if (!have && compile_for(ng, &progs, &n, expr, dlt, i) < 0) {
                free_progs(progs, n);
                free(copy);
                return -1;
            }
        }
    }
    free_progs(ng->progs, ng->nprogs);
    free(ng->filter);
    ng->progs = progs;
    ng->nprogs = n;
    ng->filter = copy;
    return 0;
}

/* Interface idx into the table; with `emit', told to the owner and to
 * pcapng output (the interfaces known at the start are told by the
 * READY sequence and the file header instead). */
static void announce(struct epcap *st, uint32_t idx, bool emit)
{
    struct ngfile *ng = st->ng;
    const struct pcapng_if *ifp = &ng->r.ifs[idx];
    struct epcap_iface e = {
        .dlt = dlt_of(st, idx),
        .linktype = ifp->linktype,
        .snaplen = adjusted_snaplen(ifp),
        .tsresol = ifp->tsresol,
        .tsoffset = ifp->tsoffset,
        .name = ifp->name,
        .description = ifp->description,
        .filter = ifp->filter,
    };

    if (iface_add(&st->ifaces, &e) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    if (ng->filter != NULL && prog_for(ng, e.dlt) == NULL &&
        compile_for(ng, &ng->progs, &ng->nprogs, ng->filter, e.dlt, idx) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_BAD_FILTER, "%s: %s",
                    st->opt.file, ng->err);
    if (emit)
        pcapout_interface(st, idx);
}

/* Tell the interfaces the reader has met and the table lacks. */
static void announce_new(struct epcap *st, bool emit)
{
    while (st->ifaces.n < st->ng->r.nif)
        announce(st, st->ifaces.n, emit);
}

/* A packet of another link type than the last one. */
static void link_change(struct epcap *st, int dlt)
{
    if ((st->output == OUTPUT_PCAP && !st->opt.dump_only) ||
        (st->dump.fd >= 0 && st->dump.w.fmt == OUTPUT_PCAP))
        epcap_fatal(st, EPCAP_EXIT_CAPTURE, EPCAP_E_CAPTURE,
                    "%s: a packet with link type %s after %s: a pcap file "
                    "holds one link type; write pcapng (--pcapng, "
                    "--dump-pcapng) to keep every interface",
                    st->opt.file, pcap_datalink_val_to_name(dlt),
                    pcap_datalink_val_to_name(st->ng->cur_dlt));
    if (st->output == OUTPUT_FRAMES && !st->opt.interface_info &&
        !st->opt.dump_only && obuf_datalink(&st->out, (uint32_t)dlt) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                    strerror(errno));
    st->ng->cur_dlt = dlt;
}

/* One packet: filtered, stamped, handed on. */
static bool deliver(struct epcap *st, const struct pcapng_pkt *pkt,
                    pcap_handler cb)
{
    struct ngfile *ng = st->ng;
    const struct epcap_iface *e = &st->ifaces.v[pkt->ifindex];
    struct pcap_pkthdr h;
    int64_t sec;
    uint64_t frac;

    pcapng_time(&ng->r.ifs[pkt->ifindex], pkt->ts, ng->unit, &sec, &frac);
    h.ts.tv_sec = (time_t)sec;
    h.ts.tv_usec = (suseconds_t)frac;
    h.caplen = pkt->caplen;
    h.len = pkt->len;
    if (ng->filter != NULL) {
        const struct ngprog *p = prog_for(ng, e->dlt);
        if (p != NULL && pcap_offline_filter(&p->prog, &h, pkt->data) == 0)
            return false;
    }
    if (e->dlt != ng->cur_dlt)
        link_change(st, e->dlt);
    st->cur_if = pkt->ifindex;
    cb((unsigned char *)st, &h, pkt->data);
    return true;
}

int ngfile_dispatch(struct epcap *st, int count, pcap_handler cb)
{
    struct ngfile *ng = st->ng;
    int n = 0;

    while (count <= 0 || n < count) {
        if (ng->brk) {
            ng->brk = false;
            return n > 0 ? n : PCAP_ERROR_BREAK;
        }
        struct pcapng_pkt pkt;
        int rc = pcapng_next(&ng->r, &pkt);
        if (rc < 0)
            return PCAP_ERROR;
        announce_new(st, true);
        if (rc == 0)
            break;
        if (deliver(st, &pkt, cb))
            n++;
    }
    return n;
}

void ngfile_break(struct epcap *st)
{
    st->ng->brk = true;
}

const char *ngfile_error(const struct epcap *st)
{
    return st->ng->r.err[0] != '\0' ? st->ng->r.err : st->ng->err;
}

FILE *ngfile_stream(const struct epcap *st)
{
    return st->ng != NULL ? st->ng->fp : NULL;
}

int ngfile_open(struct epcap *st, FILE *in, int prec, char *errbuf)
{
    struct ngfile *ng = calloc(1, sizeof(*ng));

    if (ng == NULL) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    st->ng = ng;
    ng->fp = in;
    ng->unit = prec == PCAP_TSTAMP_PRECISION_NANO ? 1000000000u : 1000000u;
    if (pcapng_open(&ng->r, in) < 0) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", ng->r.err);
        return -1;
    }
    announce_new(st, false);
    const struct epcap_iface *first = &st->ifaces.v[0];
    ng->cur_dlt = first->dlt;
    st->pcap = pcap_open_dead_with_tstamp_precision(
        first->dlt, (int)first->snaplen, (u_int)prec);
    if (st->pcap == NULL) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    return 0;
}

void ngfile_close(struct epcap *st)
{
    struct ngfile *ng = st->ng;

    if (ng == NULL)
        return;
    free_progs(ng->progs, ng->nprogs);
    free(ng->filter);
    pcapng_close(&ng->r);
    if (ng->fp != NULL)
        fclose(ng->fp);
    free(ng);
    st->ng = NULL;
}
