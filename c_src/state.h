/*
 * state.h: the port's one state struct.
 *
 * main.c reads as the table of contents: parse options, open the capture,
 * drop privileges, restrict the process, run the loop. Every file owns one
 * concern and declares its interface in its own header; all mutable state
 * lives in struct epcap, made in main() and passed explicitly. The only
 * mutable globals are signals.c's volatile sig_atomic_t flags (and its
 * poll mask, set once) and sandbox_seccomp.c's pointer for its SIGSYS
 * handler, set once before the filter is loaded (and on the portable
 * path, platform.h, the empty environment privs_caller.c points environ
 * at). Options are parsed once into opt and never written after (make
 * lint checks it: opts-const); what is derived from them later (device,
 * buffer_size, datalink) has its own field.
 */
#ifndef EPCAP_STATE_H
#define EPCAP_STATE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "dump.h"
#include "epcap_proto.h"
#include "filehead.h"
#include "frame.h"
#include "iface.h"
#include "live.h"
#include "multi.h"
#include "options.h"
#include "pcapout.h"
#include "privs.h"

struct anyif;    /* anyif.c's own */
struct fastlane; /* fastlane.c's own */
struct ngfile;   /* ngfile.c's own */

/* The port's own counters, reported by STATS. */
struct epcap_counters {
    uint64_t delivered;       /* packets written into PACKETS frames */
    uint64_t delivered_bytes; /* their captured bytes */
    uint64_t injected;
    uint64_t inject_failed;
    uint64_t credit_stalls; /* times capture paused for lack of credit */
    uint64_t output_stalls; /* times capture paused for a full pipe */
    uint64_t filter_changes;
};

/* Input buffer: command frames read from stdin, not yet handled. */
struct ibuf {
    unsigned char *buf;
    size_t cap;
    size_t len;
};

struct epcap {
    struct epcap_opts opt; /* read-only once parsed */
    struct epcap_caller caller;
    enum privs_stage privs; /* where the privilege path is (privs.h) */
    struct epcap_ran_as ran_as;
    const char *device; /* the interface opened (-i, or libpcap's
                                   first device); NULL for a file */
    int buffer_size;    /* kernel buffer asked for (0: default),
                                   after the policy's clamp */
    int datalink;       /* link type asked of live handles: -y's,
                                   SLL2 for any's interfaces (anyif.c),
                                   or -1 */
    pcap_t *pcap;
    int pcap_fd; /* selectable fd for live captures, else -1 */
    bool is_file;
    bool frames; /* error frames go to stdout (it is not a tty) */
    bool stdin_open;
    bool done;       /* capture over: eof, stop, or stdin closed */
    bool stopping;   /* STOP received: take what the kernel holds */
    bool owner_gone; /* stdin closed: packets go to the dump file only */
    bool ready_sent; /* the owner may be sending commands */
    bool eof_sent;   /* a file is exhausted; wait for the owner */
    pid_t parent;    /* the process that started us */
    struct obuf out;
    struct ibuf in;
    struct epcap_counters cnt;
    long long credit; /* packets the owner allows; see CREDIT */
    bool stalled;     /* capture paused (credit or output) */
    /* After a filter change, packets already in the kernel ring passed
     * only the old filter: the new one is applied here too until the
     * ring has been drained once. */
    struct bpf_program recheck;
    bool recheck_active;
    enum epcap_output output;
    struct pcapw w;             /* the -w stream, when output is one */
    struct epcap_filehead head; /* a capture file's own format */
    long ts_up;                 /* 1000: libpcap scales a micro pcap file's
                                   fractions up for a nano handle; else 1 */
    uint32_t linktype;          /* LINKTYPE_ of the handle (libpcap's
                                   savefile header value) */
    bool exiting;               /* a fatal path is writing out what it holds */
    struct timespec deadline;   /* when to stop (CLOCK_MONOTONIC) */
    bool has_deadline;          /* --duration, or lingering after EOF */
    struct epcap_dump dump;
    bpf_u_int32 netmask;       /* for filters; looked up at open */
    char *file_buf;            /* stdio buffer of a capture file */
    unsigned long long mapped; /* address space before the drop (bytes) */
    pcap_t *cur;               /* the handle being read (on_packet) */
    struct fastlane *fl;       /* the adaptive default's lane A, or NULL */
    struct ngfile *ng;         /* a pcapng file read by ngfile.c, or NULL */
    struct iface_table ifaces; /* every interface packets come from */
    struct anyif *anyif;       /* `any' told apart by interface, or NULL */
    uint32_t cur_if;           /* the interface of the packet in hand */
    char os_name[128];         /* uname, for pcapng's shb_os */
    /* The live interfaces (live.c): nlive is 1 for a capture of one
     * (live[0] is st->pcap), more with -i repeated, 0 for a file. */
    struct live_if live[EPCAP_LIVE_IFACES_MAX];
    uint32_t nlive;
    struct multi multi; /* reading several (multi.c) */
};

#endif
