/*
 * capture.c: opening the libpcap handle and setting its filter.
 *
 * Runs as the caller (privs.c): a root caller with root's rights;
 * anyone else with their own rights and CAP_NET_RAW and CAP_NET_ADMIN
 * made effective only around pcap_activate. A caller who is not root may
 * open only network interfaces (policy.c). Every libpcap failure
 * becomes an ERROR frame with a stable code and libpcap's own message, and
 * the port exits with EPCAP_EXIT_OPEN.
 *
 * Syscalls: those of pcap_create/pcap_activate (socket, setsockopt, mmap,
 * ioctl, bind) and of pcap_open_offline (open, read).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "capture.h"
#include "epcap_proto.h"
#include "fanout.h"
#include "fastlane.h"
#include "filehead.h"
#include "ngfile.h"
#include "policy.h"
#include "privs.h"
#include "report.h"
#include "state.h"

/* libpcap status -> protocol error code. */
int capture_map_error(int pcap_status)
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

/* stdio's buffer for a capture file. libpcap reads each record with
 * fread; with the default (one page) buffer that is a read(2) per few
 * records, a third of the port's time on large packets. */
#define FILE_BUF_SIZE (1024 * 1024)

/*
 * The precision a capture file is read with: the one asked for; else,
 * for the Erlang side, nanoseconds, which lose nothing (libpcap scales
 * microsecond files exactly, and the owner's time unit is made from
 * them); else, for a shell stream, the file's own, so a file goes
 * through with the precision it has (pcapng to pcapng: nanoseconds,
 * which every interface's stamps fit, whatever the first one's).
 */
static int file_precision(const struct epcap *st)
{
    if (st->opt.precision >= 0)
        return st->opt.precision;
    if (st->output == OUTPUT_FRAMES || st->head.nano ||
        (st->output == OUTPUT_PCAPNG && st->head.pcapng))
        return PCAP_TSTAMP_PRECISION_NANO;
    return PCAP_TSTAMP_PRECISION_MICRO;
}

/* The process is the caller by now (privs_start), so the file is opened,
 * and its header parsed, with the caller's rights and no capability. */
static void open_file(struct epcap *st)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";

    /* -r -: a capture stream on standard input (a shell pipeline's; the
     * frame protocol's stdin carries commands, so options.c allows it
     * only with -w). */
    bool std_in = strcmp(st->opt.file, "-") == 0;
    FILE *fp =
        std_in ? fdopen(dup(STDIN_FILENO), "rb") : fopen(st->opt.file, "rb");
    if (fp == NULL)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_FILE, "%s: %s", st->opt.file,
                    strerror(errno));
    FILE *in = filehead_open(fp, &st->head);
    if (in == NULL) {
        fclose(fp);
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    }
    /* Only a speed-up: without the memory, stdio's own buffer serves. */
    st->file_buf = malloc(FILE_BUF_SIZE);
    if (st->file_buf != NULL)
        (void)setvbuf(in, st->file_buf, _IOFBF, FILE_BUF_SIZE);
    int prec = file_precision(st);
    /* pcapng: our own reader (ngfile.c), which reads every interface;
     * pcap: libpcap's. */
    if (st->head.pcapng) {
        if (ngfile_open(st, in, prec, errbuf) < 0)
            epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_FILE, "%s", errbuf);
    } else {
        st->pcap = pcap_fopen_offline_with_tstamp_precision(in, prec, errbuf);
        if (st->pcap == NULL) {
            fclose(in);
            epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_FILE, "%s", errbuf);
        }
    }
    st->ts_up =
        !st->head.pcapng && !st->head.nano && prec == PCAP_TSTAMP_PRECISION_NANO
            ? 1000
            : 1;
    st->is_file = true;
    st->pcap_fd = -1;
}

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

/* Apply every option that must be set before activation. */
static void configure(struct epcap *st)
{
    const struct epcap_opts *o = &st->opt;
    pcap_t *p = st->pcap;
    int prec = o->precision < 0 ? PCAP_TSTAMP_PRECISION_NANO : o->precision;

    if (pcap_set_snaplen(p, o->snaplen) != 0 ||
        pcap_set_promisc(p, o->promisc) != 0 ||
        (o->monitor && pcap_set_rfmon(p, 1) != 0) ||
        pcap_set_buffer_size(p, st->buffer_size > 0
                                    ? st->buffer_size
                                    : EPCAP_BUFFER_DEFAULT) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: %s", st->device,
                    pcap_geterr(p));
    if (o->timeout_mode == TIMEOUT_IMMEDIATE)
        (void)pcap_set_immediate_mode(p, 1);
    else
        (void)pcap_set_timeout(
            p, o->timeout_mode == TIMEOUT_INFINITY ? 0 : o->timeout_ms);
    if (o->tstamp_type >= 0 && pcap_set_tstamp_type(p, o->tstamp_type) != 0)
        epcap_warn(st, EPCAP_E_TSTAMP_TYPE_NOT_SUPPORTED,
                   "%s: time stamp type %s not supported", st->device,
                   pcap_tstamp_type_val_to_name(o->tstamp_type));
    int rc = pcap_set_tstamp_precision(p, prec);
    if (rc != 0 && o->precision >= 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, capture_map_error(rc),
                    "%s: %s time stamps are not supported", st->device,
                    prec == PCAP_TSTAMP_PRECISION_NANO ? "nanosecond"
                                                       : "microsecond");
}

static void activate(struct epcap *st)
{
    const char *dev = st->device;

    privs_net_raise(st);
    /* The adaptive default's immediate-mode ring (fastlane.c) is a second
     * socket: opened with the same rights, and first, so the main handle
     * counts no more unfiltered traffic than it did alone. Not with
     * inject: the kernel hides a socket's own packets from that socket
     * only, so a second socket would capture what the port injects. Not
     * in a fan-out group: the second socket would be outside the group
     * and take a copy of every packet the group shares (fanout.c). */
    if (st->opt.timeout_mode == TIMEOUT_ADAPTIVE && !st->opt.inject &&
        st->opt.fanout.group < 0)
        fastlane_open(st);
    int rc = pcap_activate(st->pcap);
    privs_net_done(st);

    if (rc > 0) {
        epcap_warn(st, capture_map_error(rc), "%s: %s", dev,
                   pcap_statustostr(rc));
    } else if (rc < 0) {
        const char *why = pcap_geterr(st->pcap);
        if (why[0] == '\0')
            why = pcap_statustostr(rc);
        /* The hint is for a person at a shell; an owner reading frames
         * has the code and gives its own (epcap_proto.h, ERROR). */
        if ((rc == PCAP_ERROR_PERM_DENIED ||
             rc == PCAP_ERROR_PROMISC_PERM_DENIED) &&
            !st->frames)
            epcap_fatal(st, EPCAP_EXIT_OPEN, capture_map_error(rc),
                        "%s: %s; %s", dev, why, privs_permission_hint);
        epcap_fatal(st, EPCAP_EXIT_OPEN, capture_map_error(rc), "%s: %s", dev,
                    why);
    }
    if (st->opt.datalink >= 0 &&
        pcap_set_datalink(st->pcap, st->opt.datalink) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: datalink: %s",
                    dev, pcap_geterr(st->pcap));
    if (st->opt.direction_set &&
        pcap_setdirection(st->pcap, st->opt.direction) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: direction: %s",
                    dev, pcap_geterr(st->pcap));
    fanout_join(st);
}

static void open_live(struct epcap *st)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";

    char why[160];

    st->device =
        st->opt.interface != NULL ? st->opt.interface : default_device(st);
    if (!policy_device_allowed(st, st->device, why, sizeof(why)))
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_NO_SUCH_DEVICE, "%.64s: %s",
                    st->device, why);
    st->pcap = pcap_create(st->device, errbuf);
    if (st->pcap == NULL)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: %s", st->device,
                    errbuf);
    configure(st);
    activate(st);
    if (pcap_setnonblock(st->pcap, 1, errbuf) != 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE, "%s: %s", st->device,
                    errbuf);
    st->pcap_fd = pcap_get_selectable_fd(st->pcap);
    if (st->pcap_fd < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE,
                    "%s: no selectable descriptor", st->device);
}

/*
 * The netmask "ip broadcast" needs, looked up once while the process may
 * still open sockets (later filter changes run in the sandbox). An
 * interface without IPv4 has none: only that one primitive needs it, and
 * libpcap says so itself if it is used.
 */
static void lookup_netmask(struct epcap *st)
{
    bpf_u_int32 net = 0;
    char errbuf[PCAP_ERRBUF_SIZE];

    st->netmask = PCAP_NETMASK_UNKNOWN;
    if (!st->is_file &&
        pcap_lookupnet(st->device, &net, &st->netmask, errbuf) < 0)
        st->netmask = PCAP_NETMASK_UNKNOWN;
}

/*
 * Compile and install a filter; -1 with the reason in pcap_geterr. On
 * failure the old filter stays.
 */
int capture_set_filter(struct epcap *st, const char *expr)
{
    struct bpf_program prog;

    if (st->ng != NULL)
        return ngfile_set_filter(st, expr);
    if (pcap_compile(st->pcap, &prog, expr, 1, st->netmask) < 0)
        return -1;
    if (pcap_setfilter(st->pcap, &prog) < 0) {
        pcap_freecode(&prog);
        return -1;
    }
    /* libpcap copies the program into the kernel; keep ours to check the
     * packets the ring took in under the old filter (live only: a file
     * is filtered in userland by libpcap already). */
    capture_recheck_done(st);
    if (fastlane_set_filter(st->fl, expr, st->netmask) < 0) {
        pcap_freecode(&prog);
        return -1;
    }
    if (st->is_file || st->pcap_fd < 0) {
        pcap_freecode(&prog);
    } else {
        st->recheck = prog;
        st->recheck_active = true;
    }
    return 0;
}

/* Why the last libpcap call on the capture failed. */
const char *capture_geterr(struct epcap *st)
{
    return st->ng != NULL ? ngfile_error(st) : pcap_geterr(st->pcap);
}

void capture_recheck_done(struct epcap *st)
{
    if (st->recheck_active)
        pcap_freecode(&st->recheck);
    st->recheck_active = false;
}

static void set_environment(struct epcap *st)
{
    for (int i = 0; i < st->opt.env_count; i++) {
        const char *kv = st->opt.env[i];
        const char *eq = strchr(kv, '=');
        char key[256];
        size_t n = (size_t)(eq - kv);
        if (n >= sizeof(key))
            epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                        "env: name too long: %s", kv);
        memcpy(key, kv, n);
        key[n] = '\0';
        if (setenv(key, eq + 1, 1) < 0)
            epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "env: %s: %s",
                        key, strerror(errno));
    }
}

void capture_open(struct epcap *st)
{
    set_environment(st);
    if (st->opt.file != NULL)
        open_file(st);
    else
        open_live(st);
    st->out.frac_unit =
        pcap_get_tstamp_precision(st->pcap) == PCAP_TSTAMP_PRECISION_NANO
            ? 1000000000L
            : 1000000L;
    lookup_netmask(st);
    if (st->opt.filter != NULL && capture_set_filter(st, st->opt.filter) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_BAD_FILTER, "%s",
                    capture_geterr(st));
    if (st->opt.cluster_id >= 0)
        epcap_warn(st, EPCAP_E_UNSUPPORTED,
                   "cluster_id %d ignored: built without PF_RING",
                   st->opt.cluster_id);
}
