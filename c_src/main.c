/*
 * main.c: the epcap port program.
 *
 * Spawned by the epcap gen_server (open_port with {spawn_executable, ...},
 * {packet, 4}), through sudo, setuid or file capabilities, or from a
 * shell. It opens a file or live interfaces (one, or one per -i), applies the BPF
 * filter, gives up the privileges it started with, and then streams
 * captured packets to stdout as frames (doc/PROTOCOL.md) while reading
 * commands from stdin. End of file on stdin means the owner is gone and
 * the port exits. With -w it writes a pcap or pcapng stream instead, for
 * shell pipelines, and stdin is left alone. See options.c for the command line and epcap_proto.h
 * for the exit codes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anyif.h"
#include "capture.h"
#include "compile.h"
#include "dump.h"
#include "fastlane.h"
#include "frame.h"
#include "iface.h"
#include "listing.h"
#include "loop.h"
#include "ngfile.h"
#include "options.h"
#include "pcapout.h"
#include "policy.h"
#include "privs.h"
#include "report.h"
#include "sandbox.h"
#include "signals.h"
#include "state.h"
#include "version.h"

static void print_version(void)
{
    printf("epcap %s (protocol %d, process restriction: %s)\n%s\n",
           EPCAP_VERSION, EPCAP_PROTOCOL_VERSION, sandbox_name(),
           pcap_lib_version());
}

/* Whether argv names an output other than frames (-w, --compile, -D,
 * --help, --version) anywhere before "--": a usage error stops the parse
 * at the bad option, before the ones after it are seen, and a pcap
 * stream must not begin with an ERROR frame. Runs with whatever
 * privileges the port started with; reads argv only. */
static bool argv_names_output(int argc, char *argv[])
{
    static const char *const exact[] = {
        "--compile", "-D", "--list-interfaces", "-h", "--help", "--version"};

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "-w", 2) == 0 ||
            strncmp(argv[i], "--write", 7) == 0)
            return true;
        for (size_t j = 0; j < sizeof(exact) / sizeof(exact[0]); j++)
            if (strcmp(argv[i], exact[j]) == 0)
                return true;
    }
    return false;
}

/* A usage error also goes out as an ERROR frame when stdout carries
 * frames (not a terminal, and nothing on the command line asked for pcap,
 * -D or a filter dump: `output` says so from argv), so the Erlang side
 * gets its code (badarg, or permission_denied for a policy refusal);
 * otherwise stderr only. */
static void usage_error(struct epcap *st, bool output, int code,
                        const char *err)
{
    st->frames = !isatty(STDOUT_FILENO) && !output &&
                 st->opt.write_file == NULL && !st->opt.compile &&
                 !st->opt.list_interfaces && !st->opt.help && !st->opt.version;
    epcap_fatal(st, EPCAP_EXIT_USAGE, code, "%s (see epcap --help)", err);
}

/* SIGTERM and SIGINT end the port at once until take_signals. */
static void reset_signals(struct epcap *st)
{
    const char *what = NULL;

    if (signals_reset(&what) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "start: %s: %s", what,
                    strerror(errno));
}

/* The parent's death ends the port (signals.c). */
static void watch_parent(struct epcap *st)
{
    if (signals_watch_parent(st->parent) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
}

/* From here SIGTERM and SIGINT only ask the loop to end (signals.c). */
static void take_signals(struct epcap *st)
{
    const char *what = NULL;

    if (signals_init(&what) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "%s: %s", what,
                    strerror(errno));
}

static void release(struct epcap *st)
{
    options_free(&st->opt);
    obuf_free(&st->out);
}

/* --can-capture, --compile, -D, --help and --version are answered without
 * a capture: their exit code, or -1 for a run that captures. */
static int answer_only(struct epcap *st)
{
    const struct epcap_opts *o = &st->opt;

    if (o->can_capture)
        return privs_can_capture() ? EPCAP_EXIT_OK : EPCAP_EXIT_NOPERM;
    if (o->file != NULL || o->compile || o->list_interfaces || o->help ||
        o->version)
        privs_net_done(st); /* no interface will be opened */
    if (o->compile)
        return compile_main(&st->opt);
    if (o->list_interfaces)
        return listing_interfaces(st);
    if (o->help)
        options_usage(stdout);
    else if (o->version)
        print_version();
    return o->help || o->version ? EPCAP_EXIT_OK : -1;
}

/* Packets in binary on a terminal are garbage at best and escape
 * sequences from the wire at worst: refuse before opening anything, as
 * tshark does ("not writing packets to a terminal"). */
static void refuse_terminal(struct epcap *st)
{
    const char *w = st->opt.write_file;

    if (st->opt.list_datalinks || !isatty(STDOUT_FILENO) ||
        (w != NULL && strcmp(w, "-") != 0))
        return;
    usage_error(st, false, EPCAP_E_BADARG,
                "standard output is a terminal: not writing binary "
                "packets there; use -w FILE, or a pipe (epcap ... -w - | "
                "tcpdump -r -)");
}

int main(int argc, char *argv[])
{
    struct epcap st;
    char err[512];

    memset(&st, 0, sizeof(st));
    st.pcap_fd = -1;
    st.dump.fd = -1;
    st.dump.dirfd = -1;
    st.stdin_open = true;
    st.parent = getppid();
    /* First: default signals, then become the caller, keeping only what
     * capture needs. */
    reset_signals(&st);
    privs_start(&st);
    watch_parent(&st);
    if (obuf_init(&st.out, STDOUT_FILENO, EPCAP_OUT_CAP) < 0) {
        fputs("epcap: out of memory\n", stderr);
        return EPCAP_EXIT_SOFTWARE;
    }
    if (options_parse(&st.opt, argc, argv, err, sizeof(err)) < 0)
        usage_error(&st, argv_names_output(argc, argv), EPCAP_E_BADARG, err);
    /* What a caller who is not root may not ask for: a refusal, not a
     * mistake (permission_denied, still the usage exit status). */
    if (policy_check_options(&st, err, sizeof(err)) < 0)
        usage_error(&st, false, EPCAP_E_PERMISSION_DENIED, err);
    if (st.opt.write_file != NULL)
        st.output = st.opt.pcapng ? OUTPUT_PCAPNG : OUTPUT_PCAP;
    /* -L answers with a DATALINKS frame (lines on a terminal), so its
     * errors are ERROR frames as a capture's are. */
    st.frames = st.output == OUTPUT_FRAMES && !isatty(STDOUT_FILENO);
    st.buffer_size = policy_buffer_size(&st);
    st.datalink = anyif_datalink(&st);
    int answer = answer_only(&st);
    if (answer >= 0) {
        release(&st);
        return answer;
    }
    refuse_terminal(&st);

    epcap_log(&st, 1, "start: %s, caller uid %u gid %u; %s",
              privs_start_name(st.caller.mode), (unsigned)st.caller.uid,
              (unsigned)st.caller.gid,
              st.caller.root ? "root's rights until the capture is open"
              : st.caller.mode == EPCAP_START_PLAIN
                  ? "no privilege"
                  : "the caller's rights, CAP_NET_RAW and CAP_NET_ADMIN "
                    "permitted until the capture is open");
    capture_open(&st);
    if (st.opt.list_datalinks) {
        answer = listing_datalinks(&st);
        pcap_close(st.pcap);
        fastlane_free(st.fl);
        release(&st);
        return answer;
    }
    pcapout_open(&st);
    /* A pcapng file's interfaces come from its reader. */
    if (st.ng == NULL && iface_single(&st) < 0)
        epcap_fatal(&st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    anyif_open(&st); /* `any' with --interfaces: names, before the drop */
    dump_prepare(&st);
    sandbox_measure_memory(&st);
    privs_drop(&st);
    watch_parent(&st); /* a credential change clears it */
    dump_start(&st);
    take_signals(&st);
    loop_tune_output();
    sandbox_apply(&st);
#ifdef EPCAP_SELFTEST
    /* Test variants only (make variants): never in priv/epcap. */
    if (st.opt.sandbox_selftest != NULL)
        sandbox_selftest(&st);
#endif
    if (st.output == OUTPUT_FRAMES)
        epcap_send_ready(&st); /* and the interfaces, when asked */
    else if (pcapout_header(&st) < 0)
        epcap_fatal(&st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "output buffer too small for the file header");

    int rc = loop_run(&st);
    /* Everything captured is written out by now. Live handles (and the
     * fast lane's) are left to exit, which frees their rings and sockets:
     * pcap_close would first ask the kernel to free each ring
     * (setsockopt PACKET_RX_RING), a call the sandbox refuses, because a
     * compromised port could use it to ask for a new ring far past the
     * buffer limit. */
    iface_free(&st.ifaces);
    anyif_free(&st);
    if (st.is_file) {
        ngfile_close(&st); /* before file_buf, its stream's buffer */
        pcap_close(st.pcap);
        free(st.file_buf); /* after pcap_close, which closes its FILE */
    }
    free(st.in.buf);
    release(&st);
    exit(rc); /* not return: st stays reachable for LeakSanitizer */
}
