/*
 * iface.c: the table of interfaces a capture's packets come from
 * (iface.h), and the INTERFACE frame that describes one to the owner.
 *
 * Runs with whatever privileges the process holds: at start for a live
 * capture or a pcap file, inside the sandbox as a pcapng file reveals
 * its interfaces. Needs no system call but memory.
 */
#include <stdlib.h>
#include <string.h>

#include "epcap_proto.h"
#include "frame.h"
#include "iface.h"
#include "state.h"
#include "wire.h"

int iface_add(struct iface_table *t, const struct epcap_iface *ifp)
{
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 4;
        struct epcap_iface *v = realloc(t->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *ifp;
    return 0;
}

void iface_free(struct iface_table *t)
{
    free(t->v);
    memset(t, 0, sizeof(*t));
}

/* A u16 length and the string (cut at EPCAP_IFACE_STR_MAX). */
static unsigned char *put_str(unsigned char *p, const char *s)
{
    size_t n = s == NULL ? 0 : strlen(s);

    if (n > EPCAP_IFACE_STR_MAX)
        n = EPCAP_IFACE_STR_MAX;
    p = wire_put16(p, (uint16_t)n);
    if (n > 0)           /* length-prefixed: no NUL on the wire */
        memcpy(p, s, n); // NOLINT(bugprone-not-null-terminated-result)
    return p + n;
}

int iface_frame(struct epcap *st, uint32_t idx)
{
    const struct epcap_iface *ifp = &st->ifaces.v[idx];
    unsigned char body[13 + 3 * (2 + EPCAP_IFACE_STR_MAX)];
    unsigned char *p = body;

    p = wire_put32(p, idx);
    p = wire_put32(p, (uint32_t)ifp->dlt);
    p = wire_put32(p, ifp->snaplen);
    *p++ = ifp->tsresol;
    p = put_str(p, ifp->name);
    p = put_str(p, ifp->description);
    p = put_str(p, ifp->filter);
    return obuf_frame(&st->out, EPCAP_FRAME_INTERFACE, NULL, 0, body,
                      (size_t)(p - body));
}

int iface_single(struct epcap *st)
{
    /* A pcap file's own precision; a live handle's. */
    bool nano = st->is_file ? st->head.nano
                            : pcap_get_tstamp_precision(st->pcap) ==
                                  PCAP_TSTAMP_PRECISION_NANO;
    int tsresol = nano ? 9 : 6;

    for (uint32_t i = 0; i < (st->is_file ? 1 : st->nlive); i++) {
        pcap_t *p = st->is_file ? st->pcap : st->live[i].pcap;
        struct epcap_iface one = {
            .dlt = pcap_datalink(p),
            .linktype =
                (uint16_t)(st->is_file ? st->linktype : st->live[i].linktype),
            .snaplen = (uint32_t)pcap_snapshot(p),
            .tsresol = (uint8_t)tsresol,
            .name = st->is_file ? NULL : st->live[i].name,
            .description = st->is_file ? NULL : st->live[i].description,
            .filter = st->opt.filter,
        };
        if (iface_add(&st->ifaces, &one) < 0)
            return -1;
    }
    return 0;
}
