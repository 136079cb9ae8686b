/*
 * live.c: opening the live interfaces of a capture.
 *
 * One -i, or none (libpcap's first device), is the classic capture of
 * one interface: st->pcap, with the adaptive default's second ring
 * (fastlane.c) and a fan-out group when asked. -i repeated (dumpcap's
 * model, at most EPCAP_LIVE_IFACES_MAX) opens one handle per interface,
 * each with the same options, each its own link type; multi.c reads
 * them. With several, the adaptive default keeps each interface's block
 * ring alone (1 ms timeout): a second ring per interface would double
 * the pinned kernel memory (40 MiB an interface) and fastlane.c's copy
 * matching is per handle pair, while the merge (merge.c) already gives
 * packets out a round at a time.
 *
 * Privileges: runs as the caller (privs.c): a root caller with root's
 * rights; anyone else with their own rights and CAP_NET_RAW and
 * CAP_NET_ADMIN made effective only around the activations, all of
 * which happen inside one privs_net_raise / privs_net_done. A caller
 * who is not root may open only network interfaces (policy.c). Every
 * failure is an ERROR frame naming the interface, exit EPCAP_EXIT_OPEN.
 *
 * Syscalls: those of pcap_create/pcap_activate (socket, setsockopt,
 * mmap, ioctl, bind), pcap_lookupnet and pcap_findalldevs (socket,
 * ioctl).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcap_proto.h"
#include "fanout.h"
#include "fastlane.h"
#include "live.h"
#include "merge.h"
#include "pcapout.h"
#include "policy.h"
#include "privs.h"
#include "report.h"
#include "state.h"

/* libpcap status -> protocol error code. */
int live_map_error(int pcap_status)
{
    switch (pcap_status) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return EPCAP_E_NO_SUCH_DEVICE;
    case PCAP_ERROR_PERM_DENIED: return EPCAP_E_PERMISSION_DENIED;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        return EPCAP_E_PROMISC_PERMISSION_DENIED;
    case PCAP_ERROR_RFMON_NOTSUP: return EPCAP_E_RFMON_NOT_SUPPORTED;
    case PCAP_ERROR_IFACE_NOT_UP: return EPCAP_E_INTERFACE_DOWN;
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP:
        return EPCAP_E_TSTAMP_PRECISION_NOT_SUPPORTED;
    case PCAP_ERROR_CANTSET_TSTAMP_TYPE:
        return EPCAP_E_TSTAMP_TYPE_NOT_SUPPORTED;
#ifdef PCAP_ERROR_CAPTURE_NOTSUP
    case PCAP_ERROR_CAPTURE_NOTSUP: return EPCAP_E_CAPTURE_NOT_SUPPORTED;
#endif
    case PCAP_WARNING_PROMISC_NOTSUP: return EPCAP_E_PROMISC_NOT_SUPPORTED;
    case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
        return EPCAP_E_TSTAMP_TYPE_NOT_SUPPORTED;
    case PCAP_WARNING: return EPCAP_E_WARNING;
    default: return EPCAP_E_CAPTURE;
    }
}

/* libpcap's first device, when no -i is given. */
static const char *default_device(struct epcap *st)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;

    if (pcap_findalldevs(&all, errbuf) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE,
                    "finding a device: %s", errbuf);
    if (all == NULL)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_NO_SUCH_DEVICE,
                    "no capture device found; give one with -i");
    /* Kept for the life of the process: the name is in READY. */
    const char *name = strdup(all->name);
    pcap_freealldevs(all);
    if (name == NULL)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    return name;
}

/* Create interface i's handle, with a kernel ring of `ring' bytes
 * (policy_ring_size), and apply every option that must be set before
 * activation. */
static void configure(struct epcap *st, struct live_if *l, int ring)
{
    const struct epcap_opts *o = &st->opt;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    char why[160];
    int prec = o->precision < 0 ? PCAP_TSTAMP_PRECISION_NANO : o->precision;

    if (!policy_device_allowed(st, l->name, why, sizeof(why)))
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_NO_SUCH_DEVICE, "%.64s: %s",
                    l->name, why);
    pcap_t *p = l->pcap = pcap_create(l->name, errbuf);
    if (p == NULL)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: %s", l->name,
                    errbuf);
    if (pcap_set_snaplen(p, o->snaplen) != 0 ||
        pcap_set_promisc(p, o->promisc) != 0 ||
        (o->monitor && pcap_set_rfmon(p, 1) != 0) ||
        pcap_set_buffer_size(p, ring) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: %s", l->name,
                    pcap_geterr(p));
    if (o->timeout_mode == TIMEOUT_IMMEDIATE)
        (void)pcap_set_immediate_mode(p, 1);
    else
        (void)pcap_set_timeout(
            p, o->timeout_mode == TIMEOUT_INFINITY ? 0 : o->timeout_ms);
    if (o->tstamp_type >= 0 && pcap_set_tstamp_type(p, o->tstamp_type) != 0)
        epcap_warn(st, EPCAP_E_TSTAMP_TYPE_NOT_SUPPORTED,
                   "%s: time stamp type %s not supported", l->name,
                   pcap_tstamp_type_val_to_name(o->tstamp_type));
    int rc = pcap_set_tstamp_precision(p, prec);
    if (rc != 0 && o->precision >= 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, live_map_error(rc),
                    "%s: %s time stamps are not supported", l->name,
                    prec == PCAP_TSTAMP_PRECISION_NANO ? "nanosecond"
                                                       : "microsecond");
}

/* What pcap_activate said about interface l: a warning, or fatal. */
static void activated(struct epcap *st, struct live_if *l, int rc)
{
    if (rc > 0) {
        epcap_warn(st, live_map_error(rc), "%s: %s", l->name,
                   pcap_statustostr(rc));
        return;
    }
    if (rc == 0)
        return;
    const char *why = pcap_geterr(l->pcap);
    if (why[0] == '\0')
        why = pcap_statustostr(rc);
    /* The hint is for a person at a shell; an owner reading frames has
     * the code and gives its own (epcap_proto.h, ERROR). */
    if ((rc == PCAP_ERROR_PERM_DENIED ||
         rc == PCAP_ERROR_PROMISC_PERM_DENIED) &&
        !st->frames)
        epcap_fatal(st, EPCAP_EXIT_OPEN, live_map_error(rc), "%s: %s; %s",
                    l->name, why, privs_permission_hint);
    epcap_fatal(st, EPCAP_EXIT_OPEN, live_map_error(rc), "%s: %s", l->name,
                why);
}

/* Activate every handle with the network capabilities effective, and
 * only then: one raise, one drop (privs.c's stages). */
static void activate_all(struct epcap *st)
{
    int rc[EPCAP_LIVE_IFACES_MAX] = {0};

    privs_net_raise(st);
    /* The adaptive default's immediate-mode ring (fastlane.c) is a second
     * socket: opened with the same rights, and first, so the main handle
     * counts no more unfiltered traffic than it did alone. Not with
     * inject: the kernel hides a socket's own packets from that socket
     * only, so a second socket would capture what the port injects. Not
     * in a fan-out group: the second socket would be outside the group
     * and take a copy of every packet the group shares (fanout.c). Not
     * with several interfaces (above). */
    if (st->opt.timeout_mode == TIMEOUT_ADAPTIVE && !st->opt.inject &&
        st->opt.fanout.group < 0 && st->nlive == 1)
        fastlane_open(st);
    for (uint32_t i = 0; i < st->nlive; i++)
        rc[i] = pcap_activate(st->live[i].pcap);
    privs_net_done(st);
    for (uint32_t i = 0; i < st->nlive; i++)
        activated(st, &st->live[i], rc[i]);
}

/* After activation: the link type and direction asked for, the
 * non-blocking descriptor to poll, the netmask, the savefile link type. */
static void finish(struct epcap *st, struct live_if *l)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    bpf_u_int32 net = 0;

    if (st->datalink >= 0 && pcap_set_datalink(l->pcap, st->datalink))
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: datalink: %s",
                    l->name, pcap_geterr(l->pcap));
    if (st->opt.direction_set &&
        pcap_setdirection(l->pcap, st->opt.direction) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: direction: %s",
                    l->name, pcap_geterr(l->pcap));
    if (pcap_setnonblock(l->pcap, 1, errbuf) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: %s", l->name,
                    errbuf);
    l->fd = pcap_get_selectable_fd(l->pcap);
    if (l->fd < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE,
                    "%s: no selectable descriptor", l->name);
    /* The netmask "ip broadcast" needs, looked up while the process may
     * still open sockets (filter changes run in the sandbox). Without
     * IPv4 there is none: only that primitive needs it, and libpcap says
     * so itself if it is used. */
    if (pcap_lookupnet(l->name, &net, &l->netmask, errbuf) < 0)
        l->netmask = PCAP_NETMASK_UNKNOWN;
    l->linktype = pcapout_linktype(st, l->pcap);
    l->dlt = pcap_datalink(l->pcap);
    /* One precision for every stamp: READY's, and the merge's order. */
    if (pcap_get_tstamp_precision(l->pcap) !=
        pcap_get_tstamp_precision(st->live[0].pcap))
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_TSTAMP_PRECISION_NOT_SUPPORTED,
                    "%s: not the time stamp precision of %s", l->name,
                    st->live[0].name);
}

/* Each interface's description, as pcap_findalldevs gives it, for
 * INTERFACE frames and pcapng blocks (only when one of them is made:
 * the listing costs a socket and an ioctl per interface). */
static void describe(struct epcap *st)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_if_t *all = NULL;

    if (!st->opt.interface_info && st->output != OUTPUT_PCAPNG &&
        !st->opt.dump_pcapng)
        return;
    if (pcap_findalldevs(&all, errbuf) < 0)
        return; /* a description is only information */
    for (pcap_if_t *d = all; d != NULL; d = d->next)
        for (uint32_t i = 0; i < st->nlive; i++)
            if (d->description != NULL &&
                strcmp(d->name, st->live[i].name) == 0)
                st->live[i].description = strdup(d->description);
    pcap_freealldevs(all);
}

/* A pcap file (or dump file) holds one link type (its header's). */
static void check_one_linktype(struct epcap *st)
{
    bool pcap_out = (st->output == OUTPUT_PCAP && !st->opt.dump_only) ||
                    (st->opt.dump_file != NULL && !st->opt.dump_pcapng);

    for (uint32_t i = 1; pcap_out && i < st->nlive; i++)
        if (st->live[i].linktype != st->live[0].linktype)
            epcap_fatal(
                st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                "%s has link type %s, %s %s: a pcap file holds one "
                "link type; write pcapng (--pcapng, --dump-pcapng) "
                "(see epcap --help)",
                st->live[i].name, pcap_datalink_val_to_name(st->live[i].dlt),
                st->live[0].name, pcap_datalink_val_to_name(st->live[0].dlt));
}

/* One interface under two names (an alternative name, `ip link property
 * add dev X altname Y') would give every packet twice, as if from two
 * interfaces; options.c refuses only a name given twice. Names that are
 * not kernel interfaces (root's other libpcap sources) are not compared. */
static void check_distinct(struct epcap *st)
{
    unsigned idx[EPCAP_LIVE_IFACES_MAX];

    for (uint32_t i = 0; st->nlive > 1 && i < st->nlive; i++) {
        idx[i] = if_nametoindex(st->live[i].name);
        for (uint32_t k = 0; idx[i] != 0 && k < i; k++)
            if (idx[k] == idx[i])
                epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                            "interface: %.64s and %.64s are one interface "
                            "(index %u): give it once (see epcap --help)",
                            st->live[k].name, st->live[i].name, idx[i]);
    }
}

void live_open(struct epcap *st)
{
    const struct epcap_opts *o = &st->opt;

    st->nlive = o->interface_count > 0 ? (uint32_t)o->interface_count : 1;
    for (uint32_t i = 0; i < st->nlive; i++)
        st->live[i].name =
            o->interface_count > 0 ? o->interfaces[i] : default_device(st);
    st->device = st->live[0].name;
    check_distinct(st);
    int ring = policy_ring_size(st, st->nlive);
    for (uint32_t i = 0; i < st->nlive; i++)
        configure(st, &st->live[i], ring);
    st->pcap = st->live[0].pcap;
    activate_all(st);
    fanout_join(st);
    for (uint32_t i = 0; i < st->nlive; i++)
        finish(st, &st->live[i]);
    st->pcap_fd = st->live[0].fd;
    st->netmask = st->live[0].netmask;
    st->linktype = st->live[0].linktype;
    describe(st);
    check_one_linktype(st);
    st->multi.cur_dlt = st->live[0].dlt; /* READY's */
    if (st->nlive > 1 && merge_init(&st->multi.merge, st->nlive) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
}
