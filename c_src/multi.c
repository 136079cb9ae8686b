/*
 * multi.c: a capture of several live interfaces, once they are open
 * (live.c): reading them in rounds, merged in time-stamp order, the
 * filter per link type, and each interface's counters.
 *
 * Each round reads every interface in index order into merge.c's
 * buffer (at most MERGE_BYTES or MERGE_PKTS, and the credit). A packet
 * is held until the other interfaces can no longer bring an older one
 * (multi_hold_ns: the kernel's block timeout and its timer's granularity)
 * and every interface with none held has been read to its end since
 * (merge_ready), then given to the loop's handler, oldest first across
 * interfaces (doc/PROTOCOL.md); the loop wakes for the next one due
 * (multi_wait_ns). At the end everything held goes out. Without --interfaces a DATALINK frame comes
 * before the first packet of another link type than the last one's.
 * Nothing captured is dropped here: a round delivers every packet it
 * took, waiting for the owner to take output when the buffer is full.
 *
 * Privileges: none; runs after the final drop, in the sandbox (the
 * packet sockets' poll, mmap rings, getsockopt for statistics and
 * setsockopt for filters, allowed per socket by the backends).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fastlane.h"
#include "frame.h"
#include "live.h"
#include "merge.h"
#include "multi.h"
#include "report.h"
#include "state.h"

/* The program for link type dlt, or NULL. */
static const struct bpf_program *prog_for(const struct multi *mu, int dlt)
{
    for (unsigned i = 0; i < mu->nprogs; i++)
        if (mu->dlts[i] == dlt)
            return &mu->progs[i];
    return NULL;
}

static void free_progs(struct bpf_program *progs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        pcap_freecode(&progs[i]);
}

static const char *dlt_name(int dlt)
{
    const char *name = pcap_datalink_val_to_name(dlt);

    return name != NULL ? name : "unknown";
}

/* expr compiled for every link type of the capture into progs/dlts;
 * the number of programs, or -1 with mu->err naming the interface. */
static int compile_all(struct epcap *st, const char *expr,
                       struct bpf_program *progs, int *dlts)
{
    struct multi *mu = &st->multi;
    unsigned n = 0;

    for (uint32_t i = 0; i < st->nlive; i++) {
        const struct live_if *l = &st->live[i];
        bool have = false;
        for (unsigned k = 0; k < n; k++)
            have = have || dlts[k] == l->dlt;
        if (have)
            continue;
        if (pcap_compile(l->pcap, &progs[n], expr, 1, l->netmask) < 0) {
            snprintf(mu->err, sizeof(mu->err),
                     "filter on interface %u (%s), link type %s: %s", i,
                     l->name, dlt_name(l->dlt), pcap_geterr(l->pcap));
            free_progs(progs, n);
            return -1;
        }
        dlts[n++] = l->dlt;
    }
    return (int)n;
}

int multi_set_filter(struct epcap *st, const char *expr)
{
    struct multi *mu = &st->multi;
    struct bpf_program progs[EPCAP_LIVE_IFACES_MAX];
    int dlts[EPCAP_LIVE_IFACES_MAX];
    int n = compile_all(st, expr, progs, dlts);

    if (n < 0)
        return -1;
    for (uint32_t i = 0; i < st->nlive; i++) {
        const struct live_if *l = &st->live[i];
        int k = 0;
        while (dlts[k] != l->dlt)
            k++;
        if (pcap_setfilter(l->pcap, &progs[k]) < 0) {
            /* The kernel refused (no memory): the interfaces before this
             * one have the new filter already, so say which. */
            snprintf(mu->err, sizeof(mu->err),
                     "filter on interface %u (%s): %s (interfaces 0 to %u "
                     "have the new filter)",
                     i, l->name, pcap_geterr(l->pcap), i);
            free_progs(progs, (unsigned)n);
            return -1;
        }
    }
    /* Kept to check what the rings took in under the old filter. */
    free_progs(mu->progs, mu->nprogs);
    memcpy(mu->progs, progs, sizeof(progs[0]) * (size_t)n);
    memcpy(mu->dlts, dlts, sizeof(dlts[0]) * (size_t)n);
    mu->nprogs = (unsigned)n;
    mu->recheck = true;
    return 0;
}

/* How long a packet waits for older ones of the other interfaces. A
 * block ring hands a packet over up to its timeout after the stamp,
 * plus the kernel timer's granularity (a jiffy: 10 ms at HZ 100);
 * immediate mode at once. With no timeout (-t infinity) a block goes
 * only when full, which no wait covers: there the order holds within
 * what the port reads at once. */
#define HOLD_SLACK_NS (10 * 1000000LL)

long long multi_hold_ns(const struct epcap *st)
{
    long long t = st->opt.timeout_mode == TIMEOUT_IMMEDIATE ||
                          st->opt.timeout_mode == TIMEOUT_INFINITY
                      ? 0
                      : (long long)st->opt.timeout_ms * 1000000LL;

    return t + HOLD_SLACK_NS;
}

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A packet of interface mu->cur into the merge (after the recheck). */
static void collect(unsigned char *user, const struct pcap_pkthdr *h,
                    const unsigned char *data)
{
    struct epcap *st = (struct epcap *)user;
    struct multi *mu = &st->multi;
    const struct live_if *l = &st->live[mu->cur];

    if (mu->recheck) {
        const struct bpf_program *p = prog_for(mu, l->dlt);
        if (p != NULL && pcap_offline_filter(p, h, data) == 0)
            return; /* taken in under the old filter */
    }
    /* merge_full is asked after each packet and stops the read, so the
     * packet in hand always fits. */
    (void)merge_add(&mu->merge, mu->cur, h, data, mu->due);
    if (merge_full(&mu->merge))
        pcap_breakloop(l->pcap);
}

/* One packet to the loop's handler: its link type announced when it
 * changes (classic frames only), the output made room for first. */
static void give(struct epcap *st, pcap_handler cb, const struct merge_pkt *p,
                 const unsigned char *data)
{
    struct multi *mu = &st->multi;
    int dlt = st->live[p->ifindex].dlt;

    if (dlt != mu->cur_dlt && st->output == OUTPUT_FRAMES &&
        !st->opt.interface_info && !st->opt.dump_only &&
        obuf_datalink(&st->out, (uint32_t)dlt) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                    strerror(errno));
    mu->cur_dlt = dlt;
    if (obuf_pending(&st->out) >= EPCAP_OUT_HIGH) {
        obuf_close_batch(&st->out);
        if (obuf_drain(&st->out) < 0)
            epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                        strerror(errno));
    }
    st->cur_if = p->ifindex;
    cb((unsigned char *)st, &p->h, data);
}

static bool count_reached(const struct epcap *st)
{
    return st->opt.count > 0 && (long long)st->cnt.delivered >= st->opt.count;
}

/* Give out the oldest packets: those that may go (merge_ready; all of
 * them with `all'), at most `max' and, with flow control, the credit
 * (a round may read one packet past it: read_limit). Stops at -c's
 * count. */
static void release(struct epcap *st, pcap_handler cb, bool all, size_t max)
{
    struct merge *m = &st->multi.merge;
    const struct merge_pkt *p;
    long long now = now_ns();
    bool limited = !all && st->opt.credit >= 0;

    while (max > 0 && !count_reached(st) && (!limited || st->credit > 0) &&
           (p = all ? merge_peek(m) : merge_ready(m, now)) != NULL) {
        const struct merge_pkt one = *p;
        give(st, cb, &one, merge_pop(m, p));
        max--;
    }
}

/* Room for a round: slots given out are reclaimed; when the packets
 * held fill it (a burst longer than the hold), the older half goes
 * now, in order. */
static void make_room(struct epcap *st, pcap_handler cb)
{
    struct merge *m = &st->multi.merge;

    if (!merge_full(m))
        return;
    merge_compact(m);
    if (!merge_full(m))
        return;
    release(st, cb, true, m->held / 2 + 1);
    merge_compact(m);
}

/* How many packets to read from interface i: all (-1), the credit left,
 * or none. Held packets count against the credit, but an interface with
 * none held may read up to the credit itself: until it is read to its
 * end or shows a packet of its own, nothing held may go (merge_ready),
 * and the owner grants more only for what it gets. What goes out stays
 * within the credit (release); what is read past it waits in the
 * merge, whose size bounds it. */
static int read_limit(const struct epcap *st, uint32_t i, long long budget)
{
    if (st->opt.credit < 0)
        return -1;
    if (st->multi.merge.head[i] == MERGE_NONE && budget < st->credit)
        budget = st->credit;
    return budget <= 0 ? 0 : budget > INT_MAX ? INT_MAX : (int)budget;
}

/* Read interface i into the merge, within cnt (read_limit): 1 when its
 * ring was read to its end (noted with the time the read began), 0 when
 * not, -1 when it failed. */
static int read_one(struct epcap *st, uint32_t i, int cnt)
{
    struct multi *mu = &st->multi;

    mu->cur = i;
    long long start = now_ns();
    int n = pcap_dispatch(st->live[i].pcap, cnt, collect, (unsigned char *)st);
    if (n == PCAP_ERROR)
        return -1;
    bool all = n >= 0 && (cnt < 0 || n < cnt);
    if (all)
        merge_seen(&mu->merge, i, start);
    return all ? 1 : 0;
}

/* Read every interface into the merge, within the credit: first those
 * with nothing held (they hold back the others' packets), then the
 * rest. An interface that fails (it vanished, or went down) is left for
 * the rest of the round; the first such one is returned (its index),
 * else -1. */
static int read_round(struct epcap *st)
{
    struct multi *mu = &st->multi;
    bool drained = true;
    bool empty[EPCAP_LIVE_IFACES_MAX] = {false};
    int failed = -1;

    mu->due = now_ns() + multi_hold_ns(st);
    for (uint32_t i = 0; i < st->nlive; i++)
        empty[i] = mu->merge.head[i] == MERGE_NONE;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < st->nlive; i++) {
            if (empty[i] != (pass == 0))
                continue;
            long long budget = st->credit - (long long)mu->merge.held;
            int cnt = merge_full(&mu->merge) ? 0 : read_limit(st, i, budget);
            int r = cnt == 0 ? 0 : read_one(st, i, cnt);
            if (r < 0 && failed < 0)
                failed = (int)i;
            drained = drained && r > 0;
        }
    /* Every ring read to its end: what comes next passed the new filter
     * in the kernel. */
    if (drained && mu->recheck) {
        free_progs(mu->progs, mu->nprogs);
        mu->nprogs = 0;
        mu->recheck = false;
    }
    return failed;
}

int multi_read(struct epcap *st, pcap_handler cb)
{
    st->cur = NULL; /* no handle for on_packet to break: multi.c bounds
                       what it reads */
    make_room(st, cb);
    size_t before = st->multi.merge.held;
    int failed = read_round(st);
    int n = (int)(st->multi.merge.held - before);
    if (failed >= 0) {
        /* The capture ends: first everything taken from the rings, the
         * other interfaces' included, goes out (held packets are in no
         * kernel ring any more). epcap_fatal writes out the output. */
        const struct live_if *l = &st->live[failed];
        release(st, cb, true, SIZE_MAX);
        obuf_close_batch(&st->out);
        epcap_fatal(st, EPCAP_EXIT_CAPTURE, EPCAP_E_CAPTURE, "%s: %s", l->name,
                    pcap_geterr(l->pcap));
    }
    release(st, cb, false, SIZE_MAX);
    return n;
}

void multi_flush(struct epcap *st, pcap_handler cb)
{
    if (st->nlive > 1)
        release(st, cb, true, SIZE_MAX);
}

long long multi_wait_ns(const struct epcap *st)
{
    const struct merge_pkt *p;

    if (st->nlive < 2 || (p = merge_peek(&st->multi.merge)) == NULL)
        return -1;
    /* Past due and still held: a ring must be read (merge_ready). */
    long long left = p->due - now_ns();
    return left > 0 ? left : 0;
}

bool live_stats(const struct epcap *st, uint32_t i, struct pcap_stat *ps)
{
    memset(ps, 0, sizeof(*ps));
    if (st->is_file || i >= st->nlive ||
        pcap_stats(st->live[i].pcap, ps) != 0) {
        memset(ps, 0, sizeof(*ps));
        return false;
    }
    /* The adaptive default's block ring takes every packet, so its counts
     * are the capture's; it adds what it had to skip (fastlane.c). */
    if (i == 0)
        ps->ps_drop += (u_int)fastlane_missed(st->fl);
    return true;
}

bool live_stats_sum(const struct epcap *st, struct pcap_stat *sum)
{
    bool valid = st->nlive > 0;

    memset(sum, 0, sizeof(*sum));
    for (uint32_t i = 0; valid && i < st->nlive; i++) {
        struct pcap_stat ps;
        valid = live_stats(st, i, &ps);
        sum->ps_recv += ps.ps_recv;
        sum->ps_drop += ps.ps_drop;
        sum->ps_ifdrop += ps.ps_ifdrop;
    }
    if (!valid)
        memset(sum, 0, sizeof(*sum));
    return valid;
}
