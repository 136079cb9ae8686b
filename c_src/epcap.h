/*
 * epcap.h: the port's one state struct and the interfaces between its files.
 *
 * main.c reads as the table of contents: parse options, open the capture,
 * drop privileges, restrict the process, run the loop. Every file below owns
 * one concern; all mutable state lives in struct epcap, passed explicitly.
 * The only globals are the volatile sig_atomic_t flags in signals.c.
 */
#ifndef EPCAP_H
#define EPCAP_H

#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "fanout.h"

#include "epcap_proto.h"

#define EPCAP_VERSION "2.0.0"

/* Kernel capture buffer when none is given. libpcap falls back to
 * TPACKET_V2 in immediate mode, with one ring frame per packet sized for
 * the interface MTU; at libpcap's 2 MiB default that ring holds about a
 * millisecond of 1 M packets/s traffic on a veth. 32 MiB holds 16 ms. */
#define EPCAP_BUFFER_DEFAULT (32 * 1024 * 1024)

/* The adaptive default's second, immediate-mode ring (fastlane.c): it
 * only has to hold what arrives while the port notices a burst (64
 * slots on lo: a quarter of the 256 measured in 32 MiB). With the main
 * ring, 40 MiB in all. */
#define EPCAP_FAST_BUFFER (8 * 1024 * 1024)

/* The most kernel buffer (-B) a caller who is not root may ask for:
 * pinned memory per port, about half a second of 1 M packets/s in
 * immediate mode. Root may ask for more. */
#define EPCAP_BUFFER_MAX_USER (128 * 1024 * 1024)

/* Present (regular, owned by root, writable by no one else): callers
 * who are not root may inject. The installer's choice (make setcap
 * INJECT=yes). */
#ifndef EPCAP_INJECT_POLICY
#define EPCAP_INJECT_POLICY "/etc/epcap/inject"
#endif

/* Address space the port may still map once restricted (RLIMIT_AS,
 * sandbox_rlimit.c): the loop allocates nothing large; this bounds what
 * libpcap's filter compiler may take for a FILTER command. */
#define EPCAP_AS_HEADROOM (1024ULL * 1024 * 1024)

/* How long a port that ends on its own (end of a file, a fatal error)
 * waits for the owner to stop it or close stdin, so a command in flight
 * never meets a dead pipe. */
#define EPCAP_LINGER_SECONDS 2

/* Default timeout in milliseconds (see options_defaults). */
#define EPCAP_TIMEOUT_DEFAULT 1

/* Stop reading the capture while this much output waits for the owner:
 * the kernel then drops (and counts) instead of this process growing. */
#define EPCAP_OUT_HIGH (4 * 1024 * 1024)

/* Packets taken from a capture file per pcap_dispatch call (a count of
 * -1 would read the whole file in one call). */
#define EPCAP_FILE_CHUNK 4096

enum epcap_timeout_mode {
    TIMEOUT_ADAPTIVE, /* the default: both rings, fastlane.c */
    TIMEOUT_IMMEDIATE,
    TIMEOUT_MS,
    TIMEOUT_INFINITY,
};

/* What the command line asks for; filled by options.c, read-only after. */
struct epcap_opts {
    const char *interface; /* NULL: libpcap's first device */
    const char *file;      /* capture file instead of an interface */
    char *filter;          /* trailing arguments joined by spaces, or NULL */
    int snaplen;
    bool promisc;
    bool monitor;
    enum epcap_timeout_mode timeout_mode;
    int timeout_ms;
    int buffer_size;       /* bytes; 0: EPCAP_BUFFER_DEFAULT */
    pcap_direction_t direction; /* PCAP_D_INOUT unless asked */
    bool direction_set;
    int precision;         /* -1: nano if available, else the one asked */
    const char *user;
    const char *group;
    const char *chroot_dir;
    const char *env[16];   /* KEY=VAL strings to set before opening */
    int env_count;
    int verbose;
    bool inject;
    int cluster_id;        /* -1 unless given (PF_RING only) */
    struct epcap_fanout fanout; /* group -1 unless --fanout */
    const char *cpu_affinity;
    bool help;
    bool version;
    bool can_capture;
    long credit;           /* -1: no flow control; else initial credit */
    bool compile;          /* print the filter's BPF program and exit */
    int datalink;          /* -1: the interface's default */
    const char *sandbox_selftest; /* hidden, for tests: a forbidden call
                                     to try once restricted (sandbox.h) */
    const char *write_file;  /* -w: pcap to this file ("-": stdout) */
    bool pcapng;             /* -w writes pcapng instead of pcap */
    long long count;         /* -c: stop after this many packets; 0: none */
    int duration;            /* -G: stop after this many seconds; 0: none */
    bool list_interfaces;    /* -D */
    bool list_datalinks;     /* -L */
    int tstamp_type;         /* -j: -1 for libpcap's default */
    const char *dump_file;   /* --dump: also write packets to files */
    bool dump_pcapng;
    long long dump_size;     /* rotate after this many bytes; 0: never */
    int dump_seconds;        /* rotate after this many seconds; 0: never */
    int dump_files;          /* keep this many files; 0: all */
    bool dump_only;          /* no packets to the owner, only the files */
};

/* What goes to stdout. */
enum epcap_output {
    OUTPUT_FRAMES, /* the protocol of epcap_proto.h, for the Erlang side */
    OUTPUT_PCAP,   /* a pcap stream, for shell pipelines */
    OUTPUT_PCAPNG, /* a pcapng stream */
};

/* The port's own counters, reported by STATS. */
struct epcap_counters {
    uint64_t delivered;       /* packets written into PACKETS frames */
    uint64_t delivered_bytes; /* their captured bytes */
    uint64_t injected;
    uint64_t inject_failed;
    uint64_t credit_stalls;   /* times capture paused for lack of credit */
    uint64_t output_stalls;   /* times capture paused for a full pipe */
    uint64_t filter_changes;
};

/* Output buffer: frames waiting to be written to stdout. */
struct obuf {
    unsigned char *buf;
    size_t cap;
    size_t start;   /* first byte not yet written */
    size_t end;     /* first free byte */
    size_t batch;   /* offset of the open PACKETS frame, or SIZE_MAX */
    int fd;
    long frac_unit; /* fractions per second of the handle's stamps */
};

/* Input buffer: command frames read from stdin, not yet handled. */
struct ibuf {
    unsigned char *buf;
    size_t cap;
    size_t len;
};

/* A decoded command frame; body points into the input buffer. */
struct epcap_cmd {
    uint8_t tag;
    uint32_t id;
    const unsigned char *body;
    size_t body_len;
};

/* filehead.c: what a capture file says about itself. */
struct epcap_filehead {
    bool pcapng; /* pcapng, else pcap (or not a capture file) */
    bool nano;   /* its own stamps are finer than microseconds (pcapng:
                    those of its first interface) */
    void *stream; /* the replaying stream's state: freed when the stream
                     is closed, held here so that an exit before that
                     (a fatal error) leaves it reachable, not leaked */
};

/* pcapout.c: how a pcap or pcapng stream or file is written. */
struct pcapw {
    enum epcap_output fmt; /* OUTPUT_PCAP or OUTPUT_PCAPNG */
    bool nano;             /* write nanosecond stamps, else micro */
    bool scale_down;       /* the handle's stamps are nano, the file's micro */
    uint32_t linktype;     /* LINKTYPE_ value, with libpcap's upper bits */
    uint32_t snaplen;
};

/* dump.c: capture files written by the port (dumpcap -w). Every file is
 * new (its name unlinked first), never reached through a symlink; the
 * seccomp filter pins openat to exactly these flags. */
#define EPCAP_DUMP_OPEN_FLAGS \
    (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

struct epcap_dump {
    int dirfd;           /* the directory, opened before privileges go */
    int fd;              /* the current file; always this number, or -1 */
    char stem[256];
    char ext[32];
    bool rotating;
    struct pcapw w;
    unsigned seq;        /* number of the current file, from 1 */
    uint64_t bytes;      /* written to the current file */
    struct timespec opened;
    struct obuf out;
};

/* Who asked for this capture, decided before anything else is read. */
struct epcap_caller {
    enum epcap_start mode;
    uid_t uid;           /* the caller's; the process's own until the drop */
    gid_t gid;
    bool root;           /* uid 0: may use -u, -g, -d, -e, any source */
    bool bounding_empty; /* emptied at the start (CAP_SETPCAP was held) */
};

/* What privs_drop() left, for -v and the READY frame. */
struct epcap_ran_as {
    uid_t uid;
    gid_t gid;
    bool chroot;
};

/* fastlane.c: a delivered packet awaiting the other lane's copy. */
struct fl_entry {
    long long ts;
    uint32_t caplen, len, hash;
};

enum { FL_LANE_A, FL_LANE_B };
enum fl_mode { FL_FAST, FL_BULK, FL_DRAIN };

/* fastlane.c: the immediate-mode lane of the adaptive default. */
struct fastlane {
    pcap_t *pcap;          /* NULL: no fast lane (not adaptive, a file) */
    int fd;
    enum fl_mode mode;
    bool capturing;        /* A's kernel filter is the real one */
    bool burst;            /* this read of A found a burst */
    int a_run;             /* packets in this read of A */
    bool met;              /* DRAIN: B has reached A's return */
    int lane;              /* the lane being read now */
    long long back_ns;     /* DRAIN: when A came back (CLOCK_REALTIME) */
    long long drain_start; /* DRAIN: B's last sign of life (monotonic) */
    long long window_start;
    uint64_t window_pkts;  /* B's packets in the current window */
    uint64_t missed;       /* lost by one lane, too late from the other */
    struct fl_entry *q;
    size_t qhead, qlen;
    int qlane;             /* the lane that delivered what q holds */
    struct bpf_program prog;
    bool has_prog;
};

struct epcap {
    struct epcap_opts opt;
    struct epcap_caller caller;
    struct epcap_ran_as ran_as;
    pcap_t *pcap;
    int pcap_fd;        /* selectable fd for live captures, else -1 */
    bool is_file;
    bool frames;        /* error frames go to stdout (it is not a tty) */
    bool stdin_open;
    bool done;          /* capture over: eof, stop, or stdin closed */
    bool stopping;      /* STOP received: take what the kernel holds */
    bool ready_sent;    /* the owner may be sending commands */
    bool eof_sent;      /* a file is exhausted; wait for the owner */
    pid_t parent;       /* the process that started us */
    struct obuf out;
    struct ibuf in;
    struct epcap_counters cnt;
    long long credit;   /* packets the owner allows; see CREDIT */
    bool stalled;       /* capture paused (credit or output) */
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
    bpf_u_int32 netmask;        /* for filters; looked up at open */
    char *file_buf;             /* stdio buffer of a capture file */
    unsigned long long mapped;  /* address space before the drop (bytes) */
    pcap_t *cur;                /* the handle being read (on_packet) */
    struct fastlane fl;
};

/*
 * libpcap 1.10 reads a pcap file's seconds and fraction as signed 32-bit
 * values (and, for a nanosecond handle over a microsecond file, multiplies
 * the fraction by 1000): a file dated after 2038 comes out negative. Make
 * them the unsigned 32-bit fields the format defines (seconds valid to
 * 2106). pcapng stamps are 64-bit and live ones come from the kernel:
 * nothing to do there. Assumes a 64-bit time_t.
 */
static inline void epcap_ts_fix(struct pcap_pkthdr *h, long up)
{
    h->ts.tv_sec = (time_t)(uint32_t)h->ts.tv_sec;
    h->ts.tv_usec =
        (suseconds_t)((uint64_t)(uint32_t)(h->ts.tv_usec / up) * (uint64_t)up);
}

/*
 * A time stamp as the protocol promises it: seconds since 1970, not
 * negative, and a fraction below one second in `unit' (10^6 or 10^9).
 * A capture file may claim anything; the excess fraction is carried into
 * the seconds and a time before 1970 becomes 0.
 */
static inline void epcap_ts_normalize(long *sec, long *frac, long unit)
{
    if (*frac >= unit || *frac < 0) {
        *sec += *frac / unit;
        *frac %= unit;
        if (*frac < 0) {
            *frac += unit;
            (*sec)--;
        }
    }
    if (*sec < 0)
        *sec = *frac = 0;
}

/* Time from now until `until' (CLOCK_MONOTONIC) in *left; false, with
 * *left zero, once it has passed. */
static inline bool epcap_time_left(const struct timespec *until,
                                   struct timespec *left)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    left->tv_sec = until->tv_sec - now.tv_sec;
    left->tv_nsec = until->tv_nsec - now.tv_nsec;
    if (left->tv_nsec < 0) {
        left->tv_nsec += 1000000000L;
        left->tv_sec--;
    }
    if (left->tv_sec < 0) {
        left->tv_sec = left->tv_nsec = 0;
        return false;
    }
    return true;
}

/* options.c: argv -> opts. Returns 0, or -1 with a message in err. */
int options_parse(struct epcap_opts *opt, int argc, char *argv[], char *err,
                  size_t errlen);
void options_free(struct epcap_opts *opt);
void options_usage(FILE *fp);

/* frame.c: building and writing frames. */
int obuf_write_all(struct obuf *ob, const void *p, size_t n);
int obuf_init(struct obuf *ob, int fd, size_t cap);
void obuf_free(struct obuf *ob);
void obuf_packet(struct obuf *ob, const struct pcap_pkthdr *h,
                 const unsigned char *data);
void obuf_close_batch(struct obuf *ob);
unsigned char *obuf_tail(struct obuf *ob, size_t n);
int obuf_frame(struct obuf *ob, uint8_t tag, const void *hdr, size_t hdrlen,
               const void *body, size_t bodylen);
size_t obuf_pending(const struct obuf *ob);
int obuf_flush(struct obuf *ob);
int obuf_drain(struct obuf *ob);

/* pcapout.c: pcap and pcapng streams for shell pipelines. */
void pcapout_open(struct epcap *st);
void pcapout_writer(const struct epcap *st, enum epcap_output fmt,
                    struct pcapw *w);
int pcapout_write_header(struct obuf *ob, const struct pcapw *w);
size_t pcapout_write_packet(struct obuf *ob, const struct pcapw *w,
                            const struct pcap_pkthdr *h,
                            const unsigned char *data);
int pcapout_header(struct epcap *st);
void pcapout_packet(struct epcap *st, const struct pcap_pkthdr *h,
                    const unsigned char *data);
void pcapout_summary(struct epcap *st);

void dump_prepare(struct epcap *st);
void dump_start(struct epcap *st);
void dump_packet(struct epcap *st, const struct pcap_pkthdr *h,
                 const unsigned char *data);
void dump_flush(struct epcap *st);

/* filehead.c */
FILE *filehead_open(FILE *fp, struct epcap_filehead *fh);

/* listing.c: -D and -L. */
int listing_interfaces(const struct epcap *st);
int listing_datalinks(struct epcap *st);

/* cmd.c: command frames from stdin (pure: no I/O). */
enum cmd_status { CMD_NEED_MORE = 0, CMD_OK = 1, CMD_BAD = -1 };
enum cmd_status cmd_decode(const unsigned char *buf, size_t len,
                           struct epcap_cmd *cmd, size_t *used,
                           const char **why);

/* report.c: errors, warnings and the READY frame. */
void epcap_fatal(struct epcap *st, int exit_code, int err_code,
                 const char *fmt, ...) __attribute__((noreturn, format(printf, 4, 5)));
int epcap_error_frame(struct epcap *st, int err_code, bool fatal,
                      const char *msg);
void epcap_warn(struct epcap *st, int err_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void epcap_log(struct epcap *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void epcap_send_ready(struct epcap *st);
void epcap_reply(struct epcap *st, uint32_t id, uint16_t code,
                 const void *body, size_t len);

/* capture.c: open the handle and set the filter. Exits on failure. */
void capture_open(struct epcap *st);
int capture_set_filter(struct epcap *st, const char *expr);
void capture_recheck_done(struct epcap *st);

/* fastlane.c */
void fastlane_open(struct epcap *st);
int fastlane_set_filter(struct epcap *st, const char *expr);
bool fastlane_accept(struct epcap *st, const struct pcap_pkthdr *h,
                     const unsigned char *data);
void fastlane_before_a(struct epcap *st);
void fastlane_after_a(struct epcap *st);
void fastlane_tick(struct epcap *st, bool reading);
bool fastlane_reads_a(const struct epcap *st);
long long fastlane_wait_ns(const struct epcap *st);
int capture_map_error(int pcap_status);

/* privs_start.c: the first act, becoming the caller; privs_net_raise
 * for pcap_activate, privs_net_done once no interface is to be opened. privs.c: the final drop once the handle is open. Both
 * exit on failure. */
void privs_start(struct epcap *st);
void privs_net_raise(struct epcap *st);
void privs_net_done(struct epcap *st);
const char *privs_start_name(enum epcap_start mode);
void privs_drop(struct epcap *st);
bool privs_can_capture(void);
/* What a permission error tells the user to set up (doc/SECURITY.md). */
extern const char *const privs_permission_hint;

/* policy.c: what a caller who is not root may ask for. */
int policy_check_options(struct epcap *st, char *err, size_t errlen);
void policy_clamp_buffer(struct epcap *st);
bool policy_device_allowed(const struct epcap *st, const char *name,
                           char *why, size_t len);
bool policy_inject_allowed(void);

/* signals.c: termination flags and parent-death notice. */
void signals_init(struct epcap *st);
void signals_watch_parent(struct epcap *st);
bool signals_terminated(void);
void signals_window_open(bool exit_now);
void signals_window_close(void);
const sigset_t *signals_poll_mask(void);

/* control.c: carry out one command from stdin. */
void control_handle(struct epcap *st, const struct epcap_cmd *cmd);

/* compile.c: --compile, and link type names. */
int compile_datalink(const char *s);
int compile_main(struct epcap *st);

/* loop.c: the event loop. Returns the exit code. */
int loop_run(struct epcap *st);
/* Handle the whole command frames at the head of st->in and make room for
 * the next (never more than a command's maximum). -1 with *why on a
 * protocol error. */
int loop_decode_commands(struct epcap *st, const char **why);
void loop_tune_output(void);

#endif
