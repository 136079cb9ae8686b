/*
 * anyif.c: the `any` device's packets told apart by interface
 * (anyif.h), with --interfaces.
 *
 * Each SLL2 header names its kernel interface index. The first packet
 * of an index adds an interface to the capture's table (iface.h), a
 * copy of interface 0 (`any': link type, snap length, resolution,
 * filter) with the real interface's name, and tells it to the owner
 * and to pcapng output (pcapout_interface) before the packet itself.
 * Later packets find their interface by binary search over the indexes
 * met so far, sorted, after a check of the last one met (traffic comes
 * in runs). At most PCAPNG_IF_MAX interfaces, as a pcapng file may
 * have; a packet of one more, or too short to hold the index (a snap
 * length below 8), stays on interface 0.
 *
 * Names: if_nameindex at the start, as the caller, before the drop: it
 * needs a netlink socket, which the sandbox refuses (as it refuses
 * SIOCGIFNAME, if_indextoname's ioctl). An interface created after the
 * start is named "ifindex-N" (ANYIF_UNKNOWN_NAME); one renamed keeps
 * the name it had. Kernel indexes are per network namespace: the port
 * captures, and names, the namespace it runs in.
 *
 * Privileges: anyif_open runs as the caller with the capture
 * privileges not yet dropped; the rest runs in the sandbox and needs
 * only memory.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anyif.h"
#include "epcap_proto.h"
#include "iface.h"
#include "pcapng.h"
#include "pcapout.h"
#include "report.h"
#include "state.h"
#include "wire.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* Where the SLL2 header holds the interface index, and its end. */
#define SLL2_IFINDEX_OFF 4
#define SLL2_IFINDEX_END 8

/* An interface the kernel named at the start. */
struct anyif_name {
    unsigned index;
    char *name;
};

/* A kernel index met, and its interface in the table. */
struct anyif_seen {
    uint32_t kindex;
    uint32_t idx;
    char *name, *description; /* NULL: the start's name; no description */
};

struct anyif {
    struct anyif_name *names;
    size_t nnames;
    struct anyif_seen *seen; /* sorted by kindex */
    size_t nseen, cap;
    uint32_t last_kindex, last_idx;
    bool has_last;
};

static bool is_any(const struct epcap *st)
{
    return !st->is_file && st->device != NULL && strcmp(st->device, "any") == 0;
}

int anyif_datalink(const struct epcap *st)
{
    const struct epcap_opts *o = &st->opt;

    if (o->datalink >= 0)
        return o->datalink;
    return o->interface_info && o->file == NULL && o->interface_count == 1 &&
                   strcmp(o->interface, "any") == 0
               ? DLT_LINUX_SLL2
               : -1;
}

/* The start's interface names, copied. Runs before the drop. */
static void take_names(struct epcap *st, struct anyif *a)
{
    struct if_nameindex *ni = if_nameindex();
    size_t n = 0;

    if (ni == NULL)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "any: if_nameindex: %s", strerror(errno));
    while (ni[n].if_index != 0)
        n++;
    a->names = calloc(n > 0 ? n : 1, sizeof(*a->names));
    for (size_t i = 0; a->names != NULL && i < n; i++) {
        a->names[i].index = ni[i].if_index;
        a->names[i].name = strdup(ni[i].if_name);
        if (a->names[i].name == NULL)
            break;
        a->nnames++;
    }
    if_freenameindex(ni);
    if (a->names == NULL || a->nnames < n)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
}

void anyif_open(struct epcap *st)
{
    if (!st->opt.interface_info || !is_any(st) || st->nlive != 1 ||
        pcap_datalink(st->pcap) != DLT_LINUX_SLL2)
        return;
    struct anyif *a = calloc(1, sizeof(*a));
    if (a == NULL)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    st->anyif = a;
    take_names(st, a);
}

static const char *start_name(const struct anyif *a, uint32_t kindex)
{
    for (size_t i = 0; i < a->nnames; i++)
        if (a->names[i].index == kindex)
            return a->names[i].name;
    return NULL;
}

/* The first entry whose index is not below kindex. */
static size_t lower_bound(const struct anyif *a, uint32_t kindex)
{
    size_t lo = 0, hi = a->nseen;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->seen[mid].kindex < kindex)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Room for one more in seen[]; false when out of memory. */
static bool grow(struct anyif *a)
{
    if (a->nseen < a->cap)
        return true;
    size_t cap = a->cap ? 2 * a->cap : 16;
    struct anyif_seen *v = realloc(a->seen, cap * sizeof(*v));
    if (v == NULL)
        return false;
    a->seen = v;
    a->cap = cap;
    return true;
}

/* The name and description of an interface the start did not know. */
static void placeholder(struct anyif_seen *s)
{
    char name[32], desc[96];

    snprintf(name, sizeof(name), ANYIF_UNKNOWN_NAME, s->kindex);
    snprintf(desc, sizeof(desc),
             "interface index %u, not there when the capture started",
             s->kindex);
    s->name = strdup(name);
    s->description = strdup(desc);
}

/* Kernel index kindex as a new interface of the table, at pos in seen[];
 * its index, or 0 (`any') past PCAPNG_IF_MAX. */
static uint32_t add(struct epcap *st, struct anyif *a, uint32_t kindex,
                    size_t pos)
{
    struct anyif_seen s = {.kindex = kindex, .idx = st->ifaces.n};
    struct epcap_iface e = st->ifaces.v[0];

    if (st->ifaces.n >= PCAPNG_IF_MAX)
        return 0;
    e.name = start_name(a, kindex);
    if (e.name == NULL) {
        placeholder(&s);
        e.name = s.name;
    }
    e.description = s.description;
    e.has_stats = false;
    e.delivered = 0;
    if (!grow(a) || e.name == NULL || iface_add(&st->ifaces, &e) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    memmove(&a->seen[pos + 1], &a->seen[pos],
            (a->nseen - pos) * sizeof(*a->seen));
    a->seen[pos] = s;
    a->nseen++;
    pcapout_interface(st, s.idx); /* before its first packet */
    return s.idx;
}

void anyif_packet(struct epcap *st, const struct pcap_pkthdr *h,
                  const unsigned char *data)
{
    struct anyif *a = st->anyif;

    if (h->caplen < SLL2_IFINDEX_END) {
        st->cur_if = 0;
        return;
    }
    uint32_t kindex = wire_get32(data + SLL2_IFINDEX_OFF);
    if (!a->has_last || kindex != a->last_kindex) {
        size_t pos = lower_bound(a, kindex);
        a->last_idx = pos < a->nseen && a->seen[pos].kindex == kindex
                          ? a->seen[pos].idx
                          : add(st, a, kindex, pos);
        a->last_kindex = kindex;
        a->has_last = true;
    }
    st->cur_if = a->last_idx;
}

void anyif_free(struct epcap *st)
{
    struct anyif *a = st->anyif;

    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nnames; i++)
        free(a->names[i].name);
    for (size_t i = 0; i < a->nseen; i++) {
        free(a->seen[i].name);
        free(a->seen[i].description);
    }
    free(a->names);
    free(a->seen);
    free(a);
    st->anyif = NULL;
}
