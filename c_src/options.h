/*
 * options.h: the command line, parsed once (options.c).
 *
 * struct epcap_opts is what the caller asked for, nothing else: it is
 * filled by options_parse() and read-only after it. Values derived from
 * it later (the device libpcap picked, the buffer after the policy's
 * clamp) live in the state (state.h), never written back here.
 */
#ifndef EPCAP_OPTIONS_H
#define EPCAP_OPTIONS_H

#include <pcap/pcap.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "epcap_proto.h"
#include "fanout.h"
#include "platform.h"

/* Default timeout in milliseconds (see options_defaults). */
#define EPCAP_TIMEOUT_DEFAULT 1

enum epcap_timeout_mode {
    TIMEOUT_ADAPTIVE, /* the default: both rings, fastlane.c */
    TIMEOUT_IMMEDIATE,
    TIMEOUT_MS,
    TIMEOUT_INFINITY,
};

/* What the command line asks for; filled by options.c, read-only after. */
struct epcap_opts {
    const char *interface; /* the first -i; NULL: libpcap's first device */
    /* Every -i in order (dumpcap's repeated -i): interfaces[0] is
     * interface; more than one is a capture of several (live.c). */
    const char *interfaces[EPCAP_LIVE_IFACES_MAX];
    int interface_count;
    const char *file; /* capture file instead of an interface */
    char *filter;     /* trailing arguments joined by spaces, or NULL */
    int snaplen;
    bool promisc;
    bool monitor;
    enum epcap_timeout_mode timeout_mode;
    int timeout_ms;
    int buffer_size;            /* bytes; 0: EPCAP_BUFFER_DEFAULT */
    pcap_direction_t direction; /* PCAP_D_INOUT unless asked */
    bool direction_set;
    int precision; /* -1: nano if available, else the one asked */
    const char *user;
    const char *group;
    const char *chroot_dir;
    const char *env[16]; /* KEY=VAL strings to set before opening */
    int env_count;
    int verbose;
    bool inject;
    int cluster_id;             /* -1 unless given (PF_RING only) */
    struct epcap_fanout fanout; /* group -1 unless --fanout */
    const char *cpu_affinity;   /* -a as given, for messages; NULL: none */
#if EPCAP_LINUX
    cpu_set_t cpus; /* the same list, parsed */
#endif
    bool help;
    bool version;
    bool can_capture;
    long credit;                  /* -1: no flow control; else initial credit */
    bool compile;                 /* print the filter's BPF program and exit */
    int datalink;                 /* -1: the interface's default */
    const char *sandbox_selftest; /* test variants only: a forbidden call
                                     to try once restricted (sandbox.h);
                                     always NULL in priv/epcap */
    const char *write_file;       /* -w: pcap to this file ("-": stdout) */
    bool pcapng;                  /* -w writes pcapng instead of pcap */
    long long count;       /* -c: stop after this many packets; 0: none */
    int duration;          /* -G: stop after this many seconds; 0: none */
    bool list_interfaces;  /* -D */
    bool list_datalinks;   /* -L */
    int tstamp_type;       /* -j: -1 for libpcap's default */
    const char *dump_file; /* --dump: also write packets to files */
    bool dump_pcapng;
    long long dump_size;         /* rotate after this many bytes; 0: never */
    int dump_seconds;            /* rotate after this many seconds; 0: never */
    int dump_files;              /* keep this many files; 0: all */
    bool dump_only;              /* no packets to the owner, only the files */
    bool interface_info;         /* --interfaces: INTERFACE frames, and each
                                packet says which interface (IFPACKETS) */
    const char *capture_comment; /* pcapng output's SHB comment */
};

/* argv -> opts. Returns 0, or -1 with a message in err. */
int options_parse(struct epcap_opts *opt, int argc, char *argv[], char *err,
                  size_t errlen);
void options_free(struct epcap_opts *opt);
void options_usage(FILE *fp);

#endif
