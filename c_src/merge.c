/*
 * merge.c: time-stamp order across several live interfaces (merge.h).
 *
 * Each round the loop reads every live interface in turn (multi.c);
 * each interface's packets arrive in its own order, so a round holds one
 * run per interface. The runs are merged by time stamp, oldest first;
 * a tie goes to the lower interface index, and a run's own order is
 * never changed (a kernel that stamps one packet before its
 * predecessor keeps them as delivered). At most EPCAP_LIVE_IFACES_MAX
 * runs: the choice is a scan of the heads, cheaper than a heap for so
 * few.
 *
 * Pure: memory only, so it is unit-tested alone (test/c/test_merge.c).
 * Privileges: none needed; allocated before the drop, used in the
 * sandbox.
 */
#include <stdlib.h>
#include <string.h>

#include "epcap_proto.h"
#include "merge.h"

int merge_init(struct merge *m)
{
    memset(m, 0, sizeof(*m));
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

void merge_reset(struct merge *m)
{
    m->n = 0;
    m->len = 0;
    m->runs = 0;
}

void merge_begin_run(struct merge *m)
{
    if (m->runs < EPCAP_LIVE_IFACES_MAX)
        m->run_start[m->runs++] = m->n;
}

void merge_seal(struct merge *m)
{
    m->run_start[m->runs] = m->n;
    for (unsigned r = 0; r < m->runs; r++)
        m->head[r] = m->run_start[r];
}

bool merge_full(const struct merge *m)
{
    return m->len >= MERGE_BYTES || m->n + 1 >= MERGE_PKTS;
}

bool merge_add(struct merge *m, uint32_t ifindex, const struct pcap_pkthdr *h,
               const unsigned char *data)
{
    size_t caplen = h->caplen;

    if (caplen > EPCAP_SNAPLEN_MAX)
        caplen = EPCAP_SNAPLEN_MAX; /* a live ring never holds more */
    if (m->n >= MERGE_PKTS || m->len + caplen > MERGE_BYTES + EPCAP_SNAPLEN_MAX)
        return false;
    struct merge_pkt *p = &m->pkts[m->n++];
    p->h = *h;
    p->h.caplen = (bpf_u_int32)caplen;
    p->ifindex = ifindex;
    p->off = m->len;
    memcpy(m->data + m->len, data, caplen);
    m->len += caplen;
    if (m->runs == 0)
        merge_begin_run(m);
    return true;
}

static bool older(const struct pcap_pkthdr *a, const struct pcap_pkthdr *b)
{
    return a->ts.tv_sec < b->ts.tv_sec ||
           (a->ts.tv_sec == b->ts.tv_sec && a->ts.tv_usec < b->ts.tv_usec);
}

const struct merge_pkt *merge_next(struct merge *m, const unsigned char **data)
{
    const struct merge_pkt *best = NULL;
    unsigned from = 0;

    for (unsigned r = 0; r < m->runs; r++) {
        if (m->head[r] >= m->run_start[r + 1])
            continue;
        const struct merge_pkt *p = &m->pkts[m->head[r]];
        if (best == NULL || older(&p->h, &best->h)) {
            best = p;
            from = r;
        }
    }
    if (best == NULL)
        return NULL;
    m->head[from]++;
    *data = m->data + best->off;
    return best;
}
