/*
 * options.c: the command line of the port.
 *
 * Runs before anything is opened, with whatever privileges the process was
 * started with; touches no file and makes no system call beyond malloc.
 * Every number is checked (digits only, within range) and every error names
 * the option, so the Erlang side and a shell user see the same message.
 * The filter is the trailing arguments joined with spaces, as in tcpdump.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "epcap_proto.h"
#include "ngout.h"
#include "options.h"

enum long_only {
    OPT_INJECT = 256,
    OPT_PRECISION,
    OPT_CLUSTER_ID,
    OPT_VERSION,
    OPT_CAN_CAPTURE,
    OPT_CREDIT,
    OPT_COMPILE,
#ifdef EPCAP_SELFTEST
    OPT_SANDBOX_SELFTEST,
#endif
    OPT_PCAPNG,
    OPT_DUMP,
    OPT_DUMP_PCAPNG,
    OPT_DUMP_SIZE,
    OPT_DUMP_SECONDS,
    OPT_DUMP_FILES,
    OPT_DUMP_ONLY,
    OPT_INTERFACES,
    OPT_CAPTURE_COMMENT,
    OPT_FANOUT,
};

static const struct option long_options[] = {
    {"interface", required_argument, NULL, 'i'},
    {"file", required_argument, NULL, 'r'},
    {"snaplen", required_argument, NULL, 's'},
    {"promiscuous", no_argument, NULL, 'P'},
    {"monitor", no_argument, NULL, 'M'},
    {"timeout", required_argument, NULL, 't'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"direction", required_argument, NULL, 'Q'},
    {"time-stamp-precision", required_argument, NULL, OPT_PRECISION},
    {"user", required_argument, NULL, 'u'},
    {"group", required_argument, NULL, 'g'},
    {"chroot", required_argument, NULL, 'd'},
    {"env", required_argument, NULL, 'e'},
    {"verbose", no_argument, NULL, 'v'},
    {"inject", no_argument, NULL, OPT_INJECT},
    {"cluster-id", required_argument, NULL, OPT_CLUSTER_ID},
    {"fanout", required_argument, NULL, OPT_FANOUT},
    {"cpu-affinity", required_argument, NULL, 'a'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"can-capture", no_argument, NULL, OPT_CAN_CAPTURE},
    {"write", required_argument, NULL, 'w'},
    {"pcapng", no_argument, NULL, OPT_PCAPNG},
    {"interfaces", no_argument, NULL, OPT_INTERFACES},
    {"capture-comment", required_argument, NULL, OPT_CAPTURE_COMMENT},
    {"count", required_argument, NULL, 'c'},
    {"duration", required_argument, NULL, 'G'},
    {"list-interfaces", no_argument, NULL, 'D'},
    {"list-datalinks", no_argument, NULL, 'L'},
    {"time-stamp-type", required_argument, NULL, 'j'},
    {"dump", required_argument, NULL, OPT_DUMP},
    {"dump-pcapng", no_argument, NULL, OPT_DUMP_PCAPNG},
    {"dump-size", required_argument, NULL, OPT_DUMP_SIZE},
    {"dump-seconds", required_argument, NULL, OPT_DUMP_SECONDS},
    {"dump-files", required_argument, NULL, OPT_DUMP_FILES},
    {"dump-only", no_argument, NULL, OPT_DUMP_ONLY},
    {"credit", required_argument, NULL, OPT_CREDIT},
    {"compile", no_argument, NULL, OPT_COMPILE},
    {"datalink", required_argument, NULL, 'y'},
#ifdef EPCAP_SELFTEST
    /* Hidden, in the test variants only (make variants): sandbox.h. */
    {"sandbox-selftest", required_argument, NULL, OPT_SANDBOX_SELFTEST},
#endif
    {NULL, 0, NULL, 0},
};

void options_usage(FILE *fp)
{
    fputs(
        "usage: epcap [options] [filter expression ...]\n"
        "\n"
        "Capture packets with libpcap and write them to stdout as\n"
        "length-prefixed frames (see doc/PROTOCOL.md); read commands from\n"
        "stdin. End of file on stdin ends the capture.\n"
        "\n"
        "  -i, --interface IFACE   capture live on IFACE (default: the first\n"
        "                          device libpcap finds); repeat for several\n"
        "                          interfaces in one capture (at most 16)\n"
        "  -r, --file PATH         read a pcap or pcapng file instead ('-':\n"
        "                          standard input, with -w only)\n"
        "  -s, --snaplen BYTES     bytes kept of each packet, 1..262144\n"
        "                          (default 262144)\n"
        "  -P, --promiscuous       put the interface in promiscuous mode\n"
        "  -M, --monitor           put a wireless interface in monitor mode\n"
        "  -t, --timeout adaptive|MS|immediate|infinity\n"
        "                          how long the kernel may hold packets\n"
        "                          (default adaptive: immediate while\n"
        "                          traffic is light, libpcap's 1 ms block\n"
        "                          ring in bursts; 0 means immediate, the\n"
        "                          lowest latency but one ring slot per\n"
        "                          packet)\n"
        "  -B, --buffer-size BYTES kernel buffer, 65536..2147483647\n"
        "                          (default 33554432; at most 134217728\n"
        "                          unless root)\n"
        "  -Q, --direction in|out|inout\n"
        "                          which packets to capture (default inout)\n"
        "      --time-stamp-precision micro|nano\n"
        "                          require this precision (default: nano\n"
        "                          when the platform has it; with -r and\n"
        "                          -w or --dump, the file's own)\n"
        "  -j, --time-stamp-type TYPE\n"
        "                          host, adapter, ... (as tcpdump -j)\n"
        "  -u, --user NAME         root only: run as this user after opening\n"
        "  -g, --group NAME        root only: run as this group after opening\n"
        "  -d, --chroot DIR        root only: chroot here after opening\n"
        "  -e, --env KEY=VALUE     set an environment variable before\n"
        "                          opening (repeatable, at most 16; PCAP_*\n"
        "                          only unless root)\n"
        "  -v, --verbose           log to stderr (repeat for more)\n"
        "      --inject            accept packets to send on the interface\n"
        "                          (unless root: where the installer allowed\n"
        "                          it, /etc/epcap/inject)\n"
        "      --cluster-id N      PF_RING cluster, 0..255\n"
        "      --fanout MODE:GROUP[:FLAGS]\n"
        "                          join a Linux fan-out group (hash, lb,\n"
        "                          cpu, rollover, random, qm; 0..65535,\n"
        "                          1024.. unless root;\n"
        "                          FLAGS rollover,defrag): each packet goes\n"
        "                          to one member; one ring (no adaptive)\n"
        "      --credit N          flow control: read at most N packets,\n"
        "                          then as many as CREDIT commands allow\n"
        "  -a, --cpu-affinity LIST pin to CPUs, e.g. 0,2-3\n"
        "  -y, --datalink TYPE     link type by number or name (EN10MB,\n"
        "                          LINUX_SLL, ...): set on the interface,\n"
        "                          or used by --compile\n"
        "      --compile           print the BPF program of the filter and\n"
        "                          exit; no capture, no privileges\n"
        "  -w, --write FILE        write a pcap stream to FILE ('-': stdout)\n"
        "                          instead of frames; stdin is then not a\n"
        "                          command channel and end of file on it\n"
        "                          does not stop the capture\n"
        "      --pcapng            with -w, write pcapng instead of pcap\n"
        "      --capture-comment TEXT  the comment of pcapng output (-w,\n"
        "                          --dump)\n"
        "      --interfaces        describe each interface (INTERFACE\n"
        "                          frames) and say which one each packet\n"
        "                          came from (doc/PROTOCOL.md)\n"
        "      --dump FILE         also write what is captured to FILE\n"
        "                          (pcap; created as the unprivileged user)\n"
        "      --dump-pcapng       write the dump as pcapng\n"
        "      --dump-size KIB     start a new file after KIB kibibytes\n"
        "      --dump-seconds N    start a new file every N seconds\n"
        "      --dump-files N      keep only the last N files (a ring)\n"
        "      --dump-only         write the files only; no packets on stdout\n"
        "  -c, --count N           stop after N packets\n"
        "      --duration SECONDS  stop after SECONDS\n"
        "  -D, --list-interfaces   list interfaces with their addresses and\n"
        "                          flags, and exit\n"
        "  -L, --list-datalinks    list the link types of the interface,\n"
        "                          and exit (lines on a terminal, else a\n"
        "                          DATALINKS frame: doc/PROTOCOL.md)\n"
        "  -h, --help              this text\n"
        "      --version           version of epcap and libpcap\n"
        "      --can-capture       exit 0 if this process may open live\n"
        "                          interfaces (root or CAP_NET_RAW), else 77\n"
        "\n"
        "With -w, SIGINT or SIGTERM (or -c, --duration) ends the capture: what "
        "is\n"
        "held is written out and statistics go to stderr. So does the death\n"
        "of the parent process: in a script, keep a parent alive, as in\n"
        "( epcap -w FILE & wait ) & (man epcap: BACKGROUND CAPTURES).\n"
        "\n"
        "Exit codes: 0 done, 64 usage, 65 protocol error on stdin,\n"
        "66 open failed, 70 internal error, 71 system error,\n"
        "74 stdout failed, 75 capture failed, 77 privilege change failed,\n"
        "159 stopped by the sandbox.\n",
        fp);
}

/* Digits only, no sign, no spaces, within [min, max]. */
static int parse_number(const char *s, long min, long max, long *out)
{
    char *end = NULL;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int bad(char *err, size_t errlen, const char *opt, const char *val,
               const char *want)
{
    snprintf(err, errlen, "%s: invalid value '%s': expected %s", opt, val,
             want);
    return -1;
}

static int set_timeout(struct epcap_opts *opt, const char *v, char *err,
                       size_t errlen)
{
    long n;

    if (strcmp(v, "adaptive") == 0) {
        opt->timeout_mode = TIMEOUT_ADAPTIVE;
        opt->timeout_ms = EPCAP_TIMEOUT_DEFAULT;
    } else if (strcmp(v, "immediate") == 0) {
        opt->timeout_mode = TIMEOUT_IMMEDIATE;
    } else if (strcmp(v, "infinity") == 0) {
        opt->timeout_mode = TIMEOUT_INFINITY;
    } else if (parse_number(v, 0, INT_MAX, &n) == 0) {
        opt->timeout_mode = n == 0 ? TIMEOUT_IMMEDIATE : TIMEOUT_MS;
        opt->timeout_ms = (int)n;
    } else {
        return bad(
            err, errlen, "timeout", v,
            "adaptive, milliseconds (0..2147483647), immediate or infinity");
    }
    return 0;
}

static int set_direction(struct epcap_opts *opt, const char *v, char *err,
                         size_t errlen)
{
    if (strcmp(v, "in") == 0)
        opt->direction = PCAP_D_IN;
    else if (strcmp(v, "out") == 0)
        opt->direction = PCAP_D_OUT;
    else if (strcmp(v, "inout") == 0)
        opt->direction = PCAP_D_INOUT;
    else
        return bad(err, errlen, "direction", v, "in, out or inout");
    opt->direction_set = true;
    return 0;
}

static int set_env(struct epcap_opts *opt, const char *v, char *err,
                   size_t errlen)
{
    const char *eq = strchr(v, '=');

    if (eq == NULL || eq == v)
        return bad(err, errlen, "env", v, "KEY=VALUE");
    if (opt->env_count == (int)(sizeof(opt->env) / sizeof(opt->env[0]))) {
        snprintf(err, errlen, "env: more than %zu variables",
                 sizeof(opt->env) / sizeof(opt->env[0]));
        return -1;
    }
    opt->env[opt->env_count++] = v;
    return 0;
}

#if EPCAP_LINUX
/* One CPU number, below CPU_SETSIZE: digits only (strtoul alone would
 * also take blanks and a sign, and "-0" as 0). */
static int cpu_number(const char **s, unsigned long *n)
{
    char *end;

    if (**s < '0' || **s > '9')
        return -1;
    errno = 0;
    *n = strtoul(*s, &end, 10);
    if (errno != 0 || *n >= CPU_SETSIZE)
        return -1;
    *s = end;
    return 0;
}

/* A list of CPU numbers and ranges: 0,2-3 (a trailing comma is let
 * through, as before). The same rule as epcap_opt_value's cpu_list; both
 * are tested from test/cpu_list_vectors.txt. */
static int parse_cpus(const char *s, cpu_set_t *set)
{
    CPU_ZERO(set);
    while (*s != '\0') {
        unsigned long lo, hi;
        if (cpu_number(&s, &lo) < 0)
            return -1;
        hi = lo;
        if (*s == '-') {
            s++;
            if (cpu_number(&s, &hi) < 0 || hi < lo)
                return -1;
        }
        if (*s == ',')
            s++;
        else if (*s != '\0')
            return -1;
        for (unsigned long c = lo; c <= hi; c++)
            CPU_SET(c, set);
    }
    return 0;
}

static int set_cpus(struct epcap_opts *opt, const char *v, char *err,
                    size_t errlen)
{
    if (v[0] == '\0' || strspn(v, "0123456789,-") != strlen(v) ||
        parse_cpus(v, &opt->cpus) < 0)
        return bad(err, errlen, "cpu_affinity", v, "a CPU list like 0,2-3");
    opt->cpu_affinity = v;
    return 0;
}
#else
static int set_cpus(struct epcap_opts *opt, const char *v, char *err,
                    size_t errlen)
{
    (void)opt;
    snprintf(err, errlen, "cpu_affinity: %s: not supported on this platform",
             v);
    return -1;
}
#endif

static int set_number(const char *name, const char *v, long min, long max,
                      int *out, char *err, size_t errlen)
{
    long n;

    if (parse_number(v, min, max, &n) < 0) {
        char want[64];
        snprintf(want, sizeof(want), "an integer in %ld..%ld", min, max);
        return bad(err, errlen, name, v, want);
    }
    *out = (int)n;
    return 0;
}

/* -i again adds an interface (dumpcap's model); the first stays
 * opt->interface, what a capture of one reads. */
static int add_interface(struct epcap_opts *opt, const char *v, char *err,
                         size_t errlen)
{
    if (opt->interface_count == EPCAP_LIVE_IFACES_MAX) {
        snprintf(err, errlen, "interface: at most %d interfaces",
                 EPCAP_LIVE_IFACES_MAX);
        return -1;
    }
    for (int i = 0; i < opt->interface_count; i++)
        if (strcmp(opt->interfaces[i], v) == 0) {
            snprintf(err, errlen, "interface: %.64s given twice", v);
            return -1;
        }
    if (opt->interface_count == 0)
        opt->interface = v;
    opt->interfaces[opt->interface_count++] = v;
    return 0;
}

/* What a capture of several interfaces cannot do; 0 or -1 with err. */
static int check_several(const struct epcap_opts *opt, char *err, size_t errlen)
{
    const char *why = NULL;

    if (opt->interface_count < 2)
        return 0;
    if (opt->fanout.group >= 0)
        why = "--fanout takes one interface";
    else if (opt->list_datalinks)
        why = "-L takes one interface";
    for (int i = 0; why == NULL && i < opt->interface_count; i++)
        if (strcmp(opt->interfaces[i], "any") == 0)
            why = "any already captures every interface: give it alone";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "interface: %s", why);
    return -1;
}

static int set_option(struct epcap_opts *opt, int c, const char *v, char *err,
                      size_t errlen)
{
    switch (c) {
    case 'i': return add_interface(opt, v, err, errlen);
    case 'r': opt->file = v; return 0;
    case 's':
        return set_number("snaplen", v, 1, EPCAP_SNAPLEN_MAX, &opt->snaplen,
                          err, errlen);
    case 'P': opt->promisc = true; return 0;
    case 'M': opt->monitor = true; return 0;
    case 't': return set_timeout(opt, v, err, errlen);
    case 'B':
        return set_number("buffer", v, 65536, INT_MAX, &opt->buffer_size, err,
                          errlen);
    case 'Q': return set_direction(opt, v, err, errlen);
    case OPT_PRECISION:
        if (strcmp(v, "micro") == 0)
            opt->precision = PCAP_TSTAMP_PRECISION_MICRO;
        else if (strcmp(v, "nano") == 0)
            opt->precision = PCAP_TSTAMP_PRECISION_NANO;
        else
            return bad(err, errlen, "time_stamp_precision", v, "micro or nano");
        return 0;
    case 'u': opt->user = v; return 0;
    case 'g': opt->group = v; return 0;
    case 'd': opt->chroot_dir = v; return 0;
    case 'e': return set_env(opt, v, err, errlen);
    case 'v': opt->verbose++; return 0;
    case OPT_INJECT: opt->inject = true; return 0;
    case OPT_FANOUT: return fanout_parse(&opt->fanout, v, err, errlen);
    case OPT_CLUSTER_ID:
        return set_number("cluster_id", v, 0, 255, &opt->cluster_id, err,
                          errlen);
    case 'a': return set_cpus(opt, v, err, errlen);
    case 'h': opt->help = true; return 0;
    case OPT_VERSION: opt->version = true; return 0;
    case OPT_CAN_CAPTURE: opt->can_capture = true; return 0;
    case OPT_COMPILE: opt->compile = true; return 0;
#ifdef EPCAP_SELFTEST
    case OPT_SANDBOX_SELFTEST: opt->sandbox_selftest = v; return 0;
#endif
    case 'w': opt->write_file = v; return 0;
    case OPT_PCAPNG: opt->pcapng = true; return 0;
    case OPT_INTERFACES: opt->interface_info = true; return 0;
    case OPT_CAPTURE_COMMENT: opt->capture_comment = v; return 0;
    case 'c': {
        int n = 0;
        if (set_number("count", v, 1, INT_MAX, &n, err, errlen) < 0)
            return -1;
        opt->count = n;
        return 0;
    }
    case 'G':
        return set_number("duration", v, 1, 31 * 24 * 3600, &opt->duration, err,
                          errlen);
    case 'D': opt->list_interfaces = true; return 0;
    case OPT_DUMP: opt->dump_file = v; return 0;
    case OPT_DUMP_PCAPNG: opt->dump_pcapng = true; return 0;
    case OPT_DUMP_ONLY: opt->dump_only = true; return 0;
    case OPT_DUMP_SIZE: {
        int kib = 0;
        /* In KiB, so an int covers 2 TiB. */
        if (set_number("dump_size", v, 1, INT_MAX, &kib, err, errlen) < 0)
            return -1;
        opt->dump_size = (long long)kib * 1024;
        return 0;
    }
    case OPT_DUMP_SECONDS:
        return set_number("dump_seconds", v, 1, INT_MAX, &opt->dump_seconds,
                          err, errlen);
    case OPT_DUMP_FILES:
        return set_number("dump_files", v, 1, 100000, &opt->dump_files, err,
                          errlen);
    case 'j':
        opt->tstamp_type = pcap_tstamp_type_name_to_val(v);
        if (opt->tstamp_type < 0)
            return bad(err, errlen, "tstamp_type", v,
                       "host, host_lowprec, host_hiprec, adapter or "
                       "adapter_unsynced");
        return 0;
    case 'L': opt->list_datalinks = true; return 0;
    case 'y':
        opt->datalink = compile_datalink(v);
        if (opt->datalink < 0)
            return bad(err, errlen, "datalink", v,
                       "a link type number or name such as EN10MB");
        return 0;
    case OPT_CREDIT: {
        int n = 0;
        if (set_number("credit", v, 0, EPCAP_CREDIT_MAX, &n, err, errlen) < 0)
            return -1;
        opt->credit = n;
        return 0;
    }
    default: return -1;
    }
}

/* Join argv[first..argc) with single spaces, like tcpdump's copy_argv. */
static char *join_args(int argc, char *argv[], int first)
{
    size_t n = 0;

    for (int i = first; i < argc; i++)
        n += strlen(argv[i]) + 1;
    if (n == 0)
        return NULL;
    char *s = malloc(n);
    if (s == NULL)
        return NULL;
    char *p = s;
    for (int i = first; i < argc; i++) {
        size_t len = strlen(argv[i]);
        memcpy(p, argv[i], len);
        p += len;
        *p++ = i + 1 < argc ? ' ' : '\0';
    }
    return s;
}

static void options_defaults(struct epcap_opts *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->snaplen = EPCAP_SNAPLEN_DEFAULT;
    /* Adaptive (fastlane.c): immediate mode's latency while traffic is
     * light, libpcap's block ring with a millisecond's timeout (a burst
     * of hundreds of thousands fits in the default buffer) in bursts.
     * A capture file ignores it. */
    opt->timeout_mode = TIMEOUT_ADAPTIVE;
    opt->timeout_ms = EPCAP_TIMEOUT_DEFAULT;
    opt->direction = PCAP_D_INOUT;
    opt->precision = -1;
    opt->cluster_id = -1;
    opt->fanout.group = -1;
    opt->credit = -1;
    opt->datalink = -1;
    opt->tstamp_type = -1;
}

/* The pcapng-only options: each needs pcapng output to go into (a
 * comment nothing would carry is a mistake, not a no-op). */
static int check_pcapng(const struct epcap_opts *opt, char *err, size_t errlen)
{
    if (opt->pcapng && opt->write_file == NULL) {
        snprintf(err, errlen, "pcapng: needs -w");
        return -1;
    }
    if (opt->capture_comment != NULL && !opt->pcapng && !opt->dump_pcapng) {
        snprintf(err, errlen,
                 "capture-comment: needs pcapng output (--pcapng with -w, "
                 "or --dump-pcapng)");
        return -1;
    }
    if (opt->capture_comment != NULL &&
        strlen(opt->capture_comment) > NGOUT_STR_MAX) {
        snprintf(err, errlen, "capture-comment: at most %d bytes",
                 NGOUT_STR_MAX);
        return -1;
    }
    return 0;
}

static int options_check(const struct epcap_opts *opt, char *err, size_t errlen)
{
    if (opt->file != NULL && opt->interface != NULL) {
        snprintf(err, errlen, "file and interface: give one, not both");
        return -1;
    }
    if (opt->file != NULL && strcmp(opt->file, "-") == 0 &&
        opt->write_file == NULL) {
        snprintf(err, errlen,
                 "file: '-' needs -w: without it stdin is the command "
                 "channel");
        return -1;
    }
    if (opt->file != NULL && opt->file[0] == '\0') {
        snprintf(err, errlen, "file: empty path");
        return -1;
    }
    if ((opt->dump_pcapng || opt->dump_size || opt->dump_seconds ||
         opt->dump_files || opt->dump_only) &&
        opt->dump_file == NULL) {
        snprintf(err, errlen, "dump: the dump options need --dump FILE");
        return -1;
    }
    if (opt->dump_files > 0 && opt->dump_size == 0 && opt->dump_seconds == 0) {
        snprintf(err, errlen,
                 "dump_files: a ring needs --dump-size or --dump-seconds");
        return -1;
    }
    if (check_pcapng(opt, err, errlen) < 0)
        return -1;
    if (opt->file != NULL && opt->fanout.group >= 0) {
        snprintf(err, errlen, "fanout: applies to live captures only");
        return -1;
    }
    if (opt->file != NULL && opt->direction_set) {
        snprintf(err, errlen, "direction: applies to live captures only");
        return -1;
    }
    for (int i = 0; i < opt->interface_count; i++)
        if (opt->interfaces[i][0] == '\0') {
            snprintf(err, errlen, "interface: empty name");
            return -1;
        }
    return check_several(opt, err, errlen);
}

int options_parse(struct epcap_opts *opt, int argc, char *argv[], char *err,
                  size_t errlen)
{
    int c;

    options_defaults(opt);
    err[0] = '\0';
    optind = 0; /* glibc: full reinitialisation, so tests may call again */
    opterr = 0;
    while (
        (c = getopt_long(argc, argv, "+:i:r:s:PMt:B:Q:u:g:d:e:va:hy:w:c:DLj:",
                         long_options, NULL)) != -1) {
        if (c == '?' || c == ':') {
            /* Name the option as the user typed it. */
            const char *arg = argv[optind - 1];
            if (strncmp(arg, "--", 2) == 0)
                snprintf(err, errlen, "%.*s: %s", (int)strcspn(arg, "="), arg,
                         c == ':' ? "missing value" : "unknown option");
            else
                snprintf(err, errlen, "-%c: %s", optopt,
                         c == ':' ? "missing value" : "unknown option");
            return -1;
        }
        if (set_option(opt, c, optarg, err, errlen) < 0)
            return -1;
    }
    if (optind < argc) {
        opt->filter = join_args(argc, argv, optind);
        if (opt->filter == NULL) {
            snprintf(err, errlen, "filter: out of memory");
            return -1;
        }
    }
    return options_check(opt, err, errlen);
}

void options_free(struct epcap_opts *opt)
{
    free(opt->filter);
    opt->filter = NULL;
}
