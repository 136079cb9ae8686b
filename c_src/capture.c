/*
 * capture.c: opening the capture (a file here, live interfaces in
 * live.c) and setting its filter.
 *
 * capture_open runs as the caller (privs.c), with no capability: a
 * capture file is opened with the caller's rights. Every libpcap
 * failure becomes an ERROR frame with a stable code and libpcap's own
 * message, and the port exits with EPCAP_EXIT_OPEN. The filter
 * functions also run later, after the drop, in the sandbox (FILTER).
 *
 * Syscalls: those of pcap_open_offline (open, read); setsockopt for a
 * live filter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "capture.h"
#include "epcap_proto.h"
#include "fastlane.h"
#include "filehead.h"
#include "live.h"
#include "multi.h"
#include "ngfile.h"
#include "report.h"
#include "state.h"

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
    if (st->nlive > 1)
        return multi_set_filter(st, expr);
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
    return st->ng != NULL  ? ngfile_error(st)
           : st->nlive > 1 ? st->multi.err
                           : pcap_geterr(st->pcap);
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
        live_open(st);
    st->out.frac_unit =
        pcap_get_tstamp_precision(st->pcap) == PCAP_TSTAMP_PRECISION_NANO
            ? 1000000000L
            : 1000000L;
    if (st->opt.filter != NULL && capture_set_filter(st, st->opt.filter) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_BAD_FILTER, "%s",
                    capture_geterr(st));
    if (st->opt.cluster_id >= 0)
        epcap_warn(st, EPCAP_E_UNSUPPORTED,
                   "cluster_id %d ignored: built without PF_RING",
                   st->opt.cluster_id);
}
