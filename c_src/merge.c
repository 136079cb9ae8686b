/*
 * merge.c: time-stamp order across several live interfaces (merge.h).
 *
 * The loop reads every live interface in turn (multi.c); each one's
 * packets come in its own order and join its queue. Packets go out
 * oldest first across the queues; a tie goes to the lower interface
 * index, and a queue's own order is never changed (a kernel that stamps
 * one packet before its predecessor keeps them as delivered). At most
 * EPCAP_LIVE_IFACES_MAX queues: the choice is a scan of the heads,
 * cheaper than a heap for so few. Storage is one buffer of bytes and one
 * of slots, filled in reading order; slots given out are reclaimed by
 * merge_compact, which moves the held packets down in place.
 *
 * merge_ready decides when the oldest may go: once due, and once every
 * interface with nothing held has been read to its end since (a
 * watermark per interface). The due time alone is not enough: a read
 * cut short by the owner's credit or a full buffer leaves older packets
 * in another ring.
 *
 * Pure: memory only, so it is unit-tested alone (test/c/test_merge.c).
 * Privileges: none needed; allocated before the drop, used in the
 * sandbox.
 */
#include <stdlib.h>
#include <string.h>

#include "merge.h"

static void clear_queues(struct merge *m)
{
    for (unsigned i = 0; i < EPCAP_LIVE_IFACES_MAX; i++)
        m->head[i] = m->tail[i] = MERGE_NONE;
}

int merge_init(struct merge *m, unsigned nifs)
{
    memset(m, 0, sizeof(*m));
    clear_queues(m);
    m->nifs = nifs < EPCAP_LIVE_IFACES_MAX ? nifs : EPCAP_LIVE_IFACES_MAX;
    m->pkts = malloc(MERGE_PKTS * sizeof(*m->pkts));
    m->data = malloc(MERGE_BYTES + EPCAP_SNAPLEN_MAX);
    if (m->pkts == NULL || m->data == NULL) {
        merge_free(m);
        return -1;
    }
    return 0;
}

void merge_free(struct merge *m)
{
    free(m->pkts);
    free(m->data);
    m->pkts = NULL;
    m->data = NULL;
}

bool merge_full(const struct merge *m)
{
    return m->len >= MERGE_BYTES || m->n + 1 >= MERGE_PKTS;
}

/* Slot i to the end of its interface's queue. */
static void enqueue(struct merge *m, size_t i)
{
    uint32_t q = m->pkts[i].ifindex;

    m->pkts[i].next = MERGE_NONE;
    if (m->tail[q] == MERGE_NONE)
        m->head[q] = i;
    else
        m->pkts[m->tail[q]].next = i;
    m->tail[q] = i;
}

bool merge_add(struct merge *m, uint32_t ifindex, const struct pcap_pkthdr *h,
               const unsigned char *data, long long due)
{
    size_t caplen = h->caplen;

    if (caplen > EPCAP_SNAPLEN_MAX)
        caplen = EPCAP_SNAPLEN_MAX; /* a live ring never holds more */
    if (ifindex >= EPCAP_LIVE_IFACES_MAX || m->n >= MERGE_PKTS ||
        m->len + caplen > MERGE_BYTES + EPCAP_SNAPLEN_MAX)
        return false;
    struct merge_pkt *p = &m->pkts[m->n];
    p->h = *h;
    p->h.caplen = (bpf_u_int32)caplen;
    p->ifindex = ifindex;
    p->due = due;
    p->off = m->len;
    p->out = false;
    memcpy(m->data + m->len, data, caplen);
    m->len += caplen;
    if (ifindex >= m->queues)
        m->queues = ifindex + 1;
    enqueue(m, m->n++);
    m->held++;
    return true;
}

void merge_compact(struct merge *m)
{
    size_t n = 0, len = 0;

    clear_queues(m);
    for (size_t i = 0; i < m->n; i++) {
        struct merge_pkt p = m->pkts[i];
        if (p.out)
            continue;
        /* Destinations never pass their sources: in place. */
        memmove(m->data + len, m->data + p.off, p.h.caplen);
        p.off = len;
        len += p.h.caplen;
        m->pkts[n] = p;
        enqueue(m, n++);
    }
    m->n = n;
    m->len = len;
}

static bool older(const struct pcap_pkthdr *a, const struct pcap_pkthdr *b)
{
    return a->ts.tv_sec < b->ts.tv_sec ||
           (a->ts.tv_sec == b->ts.tv_sec && a->ts.tv_usec < b->ts.tv_usec);
}

const struct merge_pkt *merge_peek(const struct merge *m)
{
    const struct merge_pkt *best = NULL;

    for (unsigned q = 0; q < m->queues; q++) {
        if (m->head[q] == MERGE_NONE)
            continue;
        const struct merge_pkt *p = &m->pkts[m->head[q]];
        if (best == NULL || older(&p->h, &best->h))
            best = p;
    }
    return best;
}

void merge_seen(struct merge *m, uint32_t ifindex, long long t)
{
    if (ifindex < EPCAP_LIVE_IFACES_MAX && t > m->seen[ifindex])
        m->seen[ifindex] = t;
}

const struct merge_pkt *merge_ready(const struct merge *m, long long now)
{
    const struct merge_pkt *p = merge_peek(m);

    if (p == NULL || p->due > now)
        return NULL;
    for (unsigned q = 0; q < m->nifs; q++)
        if (q != p->ifindex && m->head[q] == MERGE_NONE && m->seen[q] < p->due)
            return NULL;
    return p;
}

const unsigned char *merge_pop(struct merge *m, const struct merge_pkt *p)
{
    size_t i = (size_t)(p - m->pkts);
    uint32_t q = p->ifindex;
    m->head[q] = p->next;
    if (m->head[q] == MERGE_NONE)
        m->tail[q] = MERGE_NONE;
    m->pkts[i].out = true;
    m->held--;
    if (m->held == 0) { /* all out: the next add starts at the bottom */
        m->n = 0;
        m->len = 0;
    }
    return m->data + p->off;
}
