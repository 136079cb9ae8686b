/*
 * fastlane.c: the adaptive default (-t adaptive): immediate-mode latency
 * at light load, the block ring's capacity in bursts.
 *
 * One libpcap mode cannot give both. Immediate mode (TPACKET_V2) hands
 * each packet over at once but has one ring slot per packet, sized for
 * the interface's largest frame (64 KiB on lo or a veth): a few hundred
 * slots, which a burst of 1 M packets/s overruns. The block ring
 * (TPACKET_V3, the main handle st->pcap, 1 ms timeout) packs small
 * packets densely (hundreds of thousands fit) but holds each for up to a
 * millisecond. So a live capture opens both, with the same settings:
 *
 *   lane B  st->pcap, the block ring: always capturing, the reference
 *           for statistics; never loses what the immediate ring lost.
 *   lane A  fl->pcap, this file's own immediate-mode handle, with a small ring
 *           (EPCAP_FAST_BUFFER): capturing only while traffic is light.
 *
 * Both lanes see the same packets in the same order, each with its own
 * copy. A packet is delivered by whichever lane yields it first; the
 * other lane's copy is recognised (length, captured length and a hash of
 * the first bytes, in order) and skipped. The queue of delivered packets
 * awaiting their second copy is bounded: at light load it holds what one
 * block timeout brings.
 *
 * Modes: FAST (A capturing, polled first), BULK (A's kernel filter
 * rejects everything; B alone), DRAIN (A capturing again but not read
 * until B has delivered everything older, so nothing is skipped or
 * reordered on the way back). FAST -> BULK when one read of A finds
 * more than FL_BURST packets waiting (the reader is falling behind a
 * slot ring, which may have lost newer ones: the read stops there, A's
 * ring is emptied unread, and B, which has them all, goes on);
 * BULK -> DRAIN when B brings fewer than FL_QUIET packets in a window
 * of FL_WINDOW, doubled (up to FL_WINDOW_MAX) each time a burst comes
 * back within FL_FLAP of the return to FAST, and reset when FAST lasts:
 * a sender that pauses now and then under load (a busy machine) would
 * otherwise have A taken back and thrown away again dozens of times a
 * second, each time with its copies matched;
 * DRAIN -> FAST once B yields a packet stamped after A came back, or B
 * has been silent for FL_DRAIN_MAX.
 *
 * A packet one lane lost and the other delivered too late to keep the
 * order is skipped and counted in `missed' (reported as dropped); the
 * second copy of a packet the full queue forgot is not (`evicted').
 *
 * The state below is this file's alone: loop.c, control.c and the
 * sandbox hold a pointer to it and use the calls in fastlane.h.
 *
 * Privileges: opened in capture_open with the capture privileges; the
 * rest runs after the drop, in the sandbox (setsockopt SO_ATTACH_FILTER
 * on A's socket, its poll and mmap ring).
 */
#include "platform.h"
#if !EPCAP_LINUX
#error "fastlane.c is Linux's (platform.h): build with PLATFORM=portable"
#endif

#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "epcap_proto.h"
#include "fastlane.h"
#include "report.h"
#include "state.h"

#define FL_QUEUE 4096                /* packets awaiting their second copy */
#define FL_BURST 16                  /* one read of A this full: burst */
#define FL_QUIET 16                  /* B packets per window to go back */
#define FL_WINDOW_NS 10000000LL      /* 10 ms */
#define FL_WINDOW_MAX_NS 160000000LL /* after repeated flaps: 160 ms */
#define FL_FLAP_NS 100000000LL       /* a burst this soon after FAST */
#define FL_DRAIN_MAX_NS 10000000LL   /* 10 ms of silence from B */
#define FL_DRAIN_MARGIN_NS 200000LL  /* B's stamps past A's return */
#define FL_HASH_BYTES 64

/* A delivered packet awaiting the other lane's copy. */
struct fl_entry {
    long long ts;
    uint32_t caplen, len, hash;
};

enum {
    FL_LANE_A,
    FL_LANE_B
};
enum fl_mode {
    FL_FAST,
    FL_BULK,
    FL_DRAIN
};

struct fastlane {
    pcap_t *pcap; /* lane A */
    int fd;
    long long frac_ns; /* nanoseconds per unit of a stamp's fraction */
    enum fl_mode mode;
    bool capturing;        /* A's kernel filter is the real one */
    bool burst;            /* this read of A found a burst */
    int a_run;             /* packets in this read of A */
    bool met;              /* DRAIN: B has reached A's return */
    int lane;              /* the lane being read now */
    long long back_ns;     /* DRAIN: when A came back (CLOCK_REALTIME) */
    long long drain_start; /* DRAIN: B's last sign of life (monotonic) */
    long long window_start;
    long long window_ns;  /* BULK: quiet this long to go back */
    long long fast_since; /* when FAST last began (monotonic) */
    uint64_t window_pkts; /* B's packets in the current window */
    uint64_t missed;      /* lost by one lane, too late from the other */
    uint64_t evicted;     /* delivered copies the full queue forgot; their
                             second copies, when they come, look too late */
    struct fl_entry *q;
    size_t qhead, qlen;
    int qlane; /* the lane that delivered what q holds */
    struct bpf_program prog;
    bool has_prog;
};

static long long now_ns(clockid_t clk)
{
    struct timespec t;

    clock_gettime(clk, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long stamp_ns(const struct fastlane *fl,
                          const struct pcap_pkthdr *h)
{
    return (long long)h->ts.tv_sec * 1000000000LL +
           (long long)h->ts.tv_usec * fl->frac_ns;
}

/* A word at a time: a byte-wise hash over 128 bytes was half of the
 * port's CPU under load (perf, make bench's CPU table). */
static uint64_t mix(uint64_t hash, const unsigned char *p, size_t n)
{
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        hash = (hash ^ w) * 0x9e3779b97f4a7c15ULL;
        hash ^= hash >> 29;
    }
    for (; i < n; i++)
        hash = (hash ^ p[i]) * 0x100000001b3ULL;
    return hash;
}

/* What identifies a packet across the two rings: each ring takes its own
 * time stamp, so not the time; the lengths and the first and last bytes
 * (frames that differ only past their headers differ there). */
static struct fl_entry entry_of(long long ts, const struct pcap_pkthdr *h,
                                const unsigned char *data)
{
    size_t n = h->caplen < FL_HASH_BYTES ? h->caplen : FL_HASH_BYTES;
    uint64_t hash = mix(0xcbf29ce484222325ULL, data, n);

    hash = mix(hash, data + (h->caplen - n), n);
    return (struct fl_entry){ts, h->caplen, h->len,
                             (uint32_t)(hash ^ (hash >> 32))};
}

static bool same(const struct fl_entry *a, const struct fl_entry *b)
{
    return a->caplen == b->caplen && a->len == b->len && a->hash == b->hash;
}

static struct fl_entry *q_at(struct fastlane *fl, size_t i)
{
    return &fl->q[(fl->qhead + i) % FL_QUEUE];
}

static void q_pop(struct fastlane *fl, size_t n)
{
    fl->qhead = (fl->qhead + n) % FL_QUEUE;
    fl->qlen -= n;
}

static void q_push(struct fastlane *fl, const struct fl_entry *e, int lane)
{
    if (fl->qlen > 0 && fl->qlane != lane)
        fl->qlen = 0;
    fl->qlane = lane;
    if (fl->qlen == FL_QUEUE) {
        q_pop(fl, 1); /* delivered; its second copy is now unknown */
        fl->evicted++;
    }
    *q_at(fl, fl->qlen++) = *e;
}

/* Whether the other lane is taking packets in, so a copy will follow. */
static bool other_capturing(const struct fastlane *fl, int lane)
{
    return lane == FL_LANE_A ? true : fl->capturing;
}

/* on_packet's question: deliver this packet from this lane, or is it a
 * copy (or too late)? */
bool fastlane_accept(struct fastlane *fl, const struct pcap_pkthdr *h,
                     const unsigned char *data)
{
    int lane = fl->lane;
    long long ts = stamp_ns(fl, h);

    if (lane == FL_LANE_B) {
        fl->window_pkts++;
    } else if (fl->mode == FL_FAST && ++fl->a_run > FL_BURST) {
        /* A burst: the immediate ring is falling behind and may already
         * have lost newer packets. Deliver nothing more from it, so
         * nothing is ever delivered past a gap; the block ring has them
         * all. */
        pcap_breakloop(fl->pcap);
        fl->burst = true;
        return false;
    }
    if (fl->mode == FL_DRAIN && lane == FL_LANE_B &&
        ts >= fl->back_ns + FL_DRAIN_MARGIN_NS)
        fl->met = true;
    bool pending = fl->qlen > 0 && fl->qlane != lane;
    /* Under load (BULK, A rejecting everything, its copies all matched)
     * the block ring is alone: nothing to match or remember, no hash. */
    if (!pending && !other_capturing(fl, lane))
        return true;
    struct fl_entry e = entry_of(ts, h, data);
    if (pending) {
        for (size_t i = 0; i < fl->qlen; i++)
            if (same(q_at(fl, i), &e)) {
                q_pop(fl, i + 1); /* earlier ones this lane lost */
                return false;
            }
        if (e.ts <= q_at(fl, fl->qlen - 1)->ts) {
            /* Too late: the second copy of a packet the full queue
             * forgot (delivered, not a loss), or one the other lane
             * lost. A forgotten copy that never comes was lost by this
             * lane, whose kernel counts it dropped: the two cancel. */
            if (fl->evicted > 0)
                fl->evicted--;
            else
                fl->missed++;
            return false;
        }
        fl->qlen = 0; /* this lane is past all of them: they were its losses */
    }
    if (other_capturing(fl, lane))
        q_push(fl, &e, lane);
    return true;
}

/* A's kernel filter: the real program, or one that takes nothing. */
static int attach_reject(struct fastlane *fl)
{
    struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog prog = {.len = 1, .filter = &insn};

    if (setsockopt(fl->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) <
        0)
        return -1;
    fl->capturing = false;
    return 0;
}

static int attach_real(struct fastlane *fl)
{
    if (fl->has_prog && pcap_setfilter(fl->pcap, &fl->prog) < 0)
        return -1;
    if (!fl->has_prog) {
        struct bpf_program all;
        if (pcap_compile(fl->pcap, &all, "", 1, PCAP_NETMASK_UNKNOWN) < 0 ||
            pcap_setfilter(fl->pcap, &all) < 0)
            return -1;
        pcap_freecode(&all);
    }
    fl->capturing = true;
    return 0;
}

static void switch_failed(struct epcap *st, const char *what)
{
    epcap_fatal(st, EPCAP_EXIT_CAPTURE, EPCAP_E_CAPTURE,
                "%s: fast lane: %s: %s", st->device, what, strerror(errno));
}

static void discard(unsigned char *user, const struct pcap_pkthdr *h,
                    const unsigned char *data)
{
    (void)user;
    (void)h;
    (void)data;
}

/* After a read of lane A: on a burst, A stops taking packets and what
 * its ring still holds is thrown away (the block ring has every one). */
static void after_a(struct epcap *st)
{
    struct fastlane *fl = st->fl;

    if (!fl->burst)
        return;
    fl->burst = false;
    if (attach_reject(fl) < 0)
        switch_failed(st, "to bulk");
    while (pcap_dispatch(fl->pcap, -1, discard, NULL) > 0)
        ;
    fl->mode = FL_BULK;
    /* A burst soon after the return: the traffic is still heavy, only
     * jittery; wait longer before trying the immediate ring again. */
    if (now_ns(CLOCK_MONOTONIC) - fl->fast_since < FL_FLAP_NS)
        fl->window_ns = fl->window_ns * 2 < FL_WINDOW_MAX_NS ? fl->window_ns * 2
                                                             : FL_WINDOW_MAX_NS;
    else
        fl->window_ns = FL_WINDOW_NS;
    fl->window_start = now_ns(CLOCK_MONOTONIC);
    fl->window_pkts = 0;
    epcap_log(st, 2, "fast lane: burst, block ring only");
}

/* The adaptive default's immediate-mode lane is read first, while it is
 * on: it holds the newest packets at light load. Everything else the
 * loop reads is lane B's. */
void fastlane_read(struct epcap *st, pcap_handler cb, unsigned char *user)
{
    struct fastlane *fl = st->fl;

    if (!fastlane_reads_a(fl))
        return;
    st->cur = fl->pcap;
    fl->lane = FL_LANE_A;
    fl->a_run = 0;
    if (pcap_dispatch(fl->pcap, -1, cb, user) == PCAP_ERROR)
        epcap_fatal(st, EPCAP_EXIT_CAPTURE, EPCAP_E_CAPTURE, "%s: %s",
                    st->device, pcap_geterr(fl->pcap));
    after_a(st);
    st->cur = st->pcap;
    fl->lane = FL_LANE_B;
}

/* Called every loop turn: time-based transitions. While the loop is not
 * reading (no credit, output backed up) the clocks stand still: a quiet
 * window then says nothing about the traffic. */
void fastlane_tick(struct epcap *st, bool reading)
{
    struct fastlane *fl = st->fl;

    if (fl == NULL)
        return;
    long long now = now_ns(CLOCK_MONOTONIC);
    if (!reading) {
        fl->window_start = fl->drain_start = now;
        return;
    }
    if (fl->mode == FL_BULK && now - fl->window_start >= fl->window_ns) {
        if (fl->window_pkts < FL_QUIET) {
            if (attach_real(fl) < 0)
                switch_failed(st, "back to fast");
            fl->mode = FL_DRAIN;
            fl->met = false;
            fl->back_ns = now_ns(CLOCK_REALTIME);
            fl->drain_start = now;
            fl->window_pkts = 0;
            epcap_log(st, 2, "fast lane: light again, draining the block ring");
        }
        fl->window_start = now;
        fl->window_pkts = 0;
    } else if (fl->mode == FL_DRAIN &&
               (fl->met || (fl->window_pkts == 0 &&
                            now - fl->drain_start >= FL_DRAIN_MAX_NS))) {
        fl->mode = FL_FAST;
        fl->fast_since = now;
        epcap_log(st, 2, "fast lane: immediate again");
    } else if (fl->mode == FL_DRAIN && fl->window_pkts > 0) {
        fl->drain_start = now; /* silence is counted from B's last packet */
        fl->window_pkts = 0;
    }
}

/* Whether to poll and read lane A now. */
bool fastlane_reads_a(const struct fastlane *fl)
{
    return fl != NULL && fl->mode == FL_FAST;
}

/* Nanoseconds the loop may sleep before fastlane_tick has work; -1: none. */
long long fastlane_wait_ns(const struct fastlane *fl)
{
    if (fl == NULL || fl->mode == FL_FAST)
        return -1;
    return 1000000LL; /* look again within a millisecond */
}

/* A new filter: kept for lane A, applied now if A is capturing. */
int fastlane_set_filter(struct fastlane *fl, const char *expr,
                        bpf_u_int32 netmask)
{
    struct bpf_program prog;

    if (fl == NULL)
        return 0;
    if (pcap_compile(fl->pcap, &prog, expr, 1, netmask) < 0)
        return -1;
    if (fl->has_prog)
        pcap_freecode(&fl->prog);
    fl->prog = prog;
    fl->has_prog = true;
    return fl->capturing ? attach_real(fl) : 0;
}

/* Lane A: the same interface and settings as the main handle (configured,
 * not yet activated), immediate mode, a small ring. Runs with the capture
 * privileges. */
void fastlane_open(struct epcap *st)
{
    const struct epcap_opts *o = &st->opt;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(st->device, errbuf);
    int fd = -1;

    st->fl = NULL;
    if (p == NULL || pcap_set_snaplen(p, o->snaplen) != 0 ||
        pcap_set_promisc(p, o->promisc) != 0 ||
        pcap_set_buffer_size(p, EPCAP_FAST_BUFFER) != 0 ||
        pcap_set_immediate_mode(p, 1) != 0 ||
        (o->tstamp_type >= 0 && pcap_set_tstamp_type(p, o->tstamp_type) != 0) ||
        pcap_set_tstamp_precision(p, pcap_get_tstamp_precision(st->pcap)) !=
            0 ||
        pcap_activate(p) < 0 ||
        (st->datalink >= 0 && pcap_set_datalink(p, st->datalink) != 0) ||
        (o->direction_set && pcap_setdirection(p, o->direction) != 0) ||
        pcap_setnonblock(p, 1, errbuf) != 0 ||
        (fd = pcap_get_selectable_fd(p)) < 0) {
        /* Not fatal: the block ring alone still captures everything. */
        epcap_log(st, 1, "fast lane unavailable (%s): block ring only",
                  p != NULL && errbuf[0] == '\0' ? pcap_geterr(p) : errbuf);
        if (p != NULL)
            pcap_close(p);
        return;
    }
    struct fastlane *fl = calloc(1, sizeof(*fl));
    if (fl == NULL || (fl->q = calloc(FL_QUEUE, sizeof(*fl->q))) == NULL) {
        free(fl);
        pcap_close(p);
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    }
    fl->pcap = p;
    fl->fd = fd;
    fl->frac_ns =
        pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
    fl->window_ns = FL_WINDOW_NS;
    fl->mode = FL_FAST;
    fl->capturing = true;
    fl->lane = FL_LANE_B;
    st->fl = fl;
}

/* At the end: the handle, its filter and the queue. */
void fastlane_free(struct fastlane *fl)
{
    if (fl == NULL)
        return;
    if (fl->has_prog)
        pcap_freecode(&fl->prog);
    pcap_close(fl->pcap);
    free(fl->q);
    free(fl);
}

int fastlane_fd(const struct fastlane *fl)
{
    return fl != NULL ? fl->fd : -1;
}

uint64_t fastlane_missed(const struct fastlane *fl)
{
    return fl != NULL ? fl->missed : 0;
}
