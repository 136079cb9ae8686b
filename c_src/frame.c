/*
 * frame.c: building frames in the output buffer and writing them to stdout.
 *
 * The per-packet path is obuf_packet: a bounds-free append of a 20-byte
 * record header and the packet into one preallocated buffer. No syscall
 * and no allocation happen per packet; the loop writes whatever one poll
 * wakeup produced with as few write(2) calls as the pipe accepts.
 *
 * Room is guaranteed by the caller: it stops reading packets once
 * EPCAP_OUT_HIGH bytes are pending, and the buffer holds that much plus
 * one maximal frame plus slack for control frames.
 *
 * Syscalls: write, ppoll and clock_gettime (in obuf_drain). Runs with whatever privileges the
 * process holds at the time; needs none.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epcap_time.h"
#include "frame.h"
#include "signals.h"
#include "wire.h"

#define NO_BATCH SIZE_MAX

int obuf_init(struct obuf *ob, int fd, size_t cap)
{
    ob->buf = malloc(cap);
    if (ob->buf == NULL)
        return -1;
    ob->cap = cap;
    ob->start = 0;
    ob->end = 0;
    ob->batch = NO_BATCH;
    ob->fd = fd;
    ob->frac_unit = 1000000000L;
    return 0;
}

void obuf_free(struct obuf *ob)
{
    free(ob->buf);
    ob->buf = NULL;
}

size_t obuf_pending(const struct obuf *ob)
{
    return ob->end - ob->start;
}

/* Move unwritten bytes to the front so appends have the whole tail. */
static void compact(struct obuf *ob)
{
    if (ob->start == 0)
        return;
    size_t n = ob->end - ob->start;
    memmove(ob->buf, ob->buf + ob->start, n);
    if (ob->batch != NO_BATCH)
        ob->batch -= ob->start;
    ob->start = 0;
    ob->end = n;
}

static int reserve(struct obuf *ob, size_t n)
{
    if (ob->end + n <= ob->cap)
        return 0;
    compact(ob);
    return ob->end + n <= ob->cap ? 0 : -1;
}

/* Room for n more bytes at the end, for writers of other formats
 * (pcapout.c); the caller advances ob->end by what it wrote. NULL only
 * if the caller ignored EPCAP_OUT_HIGH. */
unsigned char *obuf_tail(struct obuf *ob, size_t n)
{
    return reserve(ob, n) == 0 ? ob->buf + ob->end : NULL;
}

void obuf_close_batch(struct obuf *ob)
{
    if (ob->batch == NO_BATCH)
        return;
    wire_put32(ob->buf + ob->batch, (uint32_t)(ob->end - ob->batch - 4));
    ob->batch = NO_BATCH;
}

/* One record into the open batch of frames tagged `tag' (opened here
 * when none is); ifindex written when the tag is IFPACKETS. Inlined in
 * both callers, so the classic path pays no test for the tag. */
static inline __attribute__((always_inline)) void
packet_record(struct obuf *ob, uint8_t tag, const struct pcap_pkthdr *h,
              const unsigned char *data, uint32_t ifindex)
{
    uint32_t caplen = h->caplen;

    /* A corrupt file may claim more than any link allows: keep the
     * protocol's bound rather than trust it. */
    if (caplen > EPCAP_SNAPLEN_MAX)
        caplen = EPCAP_SNAPLEN_MAX;
    if (ob->batch == NO_BATCH) {
        if (reserve(ob, EPCAP_FRAME_MAX) < 0)
            return; /* unreachable while the caller honours OUT_HIGH */
        ob->batch = ob->end;
        ob->buf[ob->end + 4] = tag;
        ob->end += EPCAP_FRAME_HEADER;
    }
    long sec = (long)h->ts.tv_sec, frac = (long)h->ts.tv_usec;
    epcap_ts_normalize(&sec, &frac, ob->frac_unit);
    unsigned char *p = ob->buf + ob->end;
    p = wire_put64(p, (uint64_t)sec);
    p = wire_put32(p, (uint32_t)frac);
    p = wire_put32(p, caplen);
    p = wire_put32(p, h->len);
    if (tag == EPCAP_FRAME_IFPACKETS)
        p = wire_put32(p, ifindex);
    memcpy(p, data, caplen);
    ob->end = (size_t)(p - ob->buf) + caplen;
    if (ob->end - ob->batch - EPCAP_FRAME_HEADER >= EPCAP_BATCH_BYTES)
        obuf_close_batch(ob);
}

void obuf_packet(struct obuf *ob, const struct pcap_pkthdr *h,
                 const unsigned char *data)
{
    packet_record(ob, EPCAP_FRAME_PACKETS, h, data, 0);
}

int obuf_datalink(struct obuf *ob, uint32_t dlt)
{
    unsigned char body[4];

    wire_put32(body, dlt);
    return obuf_frame(ob, EPCAP_FRAME_DATALINK, NULL, 0, body, sizeof(body));
}

/* A record that says which interface the packet came from (--interfaces). */
void obuf_packet_if(struct obuf *ob, const struct pcap_pkthdr *h,
                    const unsigned char *data, uint32_t ifindex)
{
    packet_record(ob, EPCAP_FRAME_IFPACKETS, h, data, ifindex);
}

int obuf_frame(struct obuf *ob, uint8_t tag, const void *hdr, size_t hdrlen,
               const void *body, size_t bodylen)
{
    size_t n = EPCAP_FRAME_HEADER + hdrlen + bodylen;

    obuf_close_batch(ob);
    if (reserve(ob, n) < 0) {
        if (obuf_drain(ob) < 0 || reserve(ob, n) < 0)
            return -1;
    }
    unsigned char *p = wire_put32(ob->buf + ob->end, (uint32_t)(n - 4));
    *p++ = tag;
    if (hdrlen > 0)
        memcpy(p, hdr, hdrlen);
    if (bodylen > 0)
        memcpy(p + hdrlen, body, bodylen);
    ob->end += n;
    return 0;
}

/*
 * Write what is pending without blocking. Returns 0 when all is written,
 * 1 when the pipe is full (poll for POLLOUT), -1 on error with errno set.
 * Only closed frames are written; an open batch stays until closed.
 */
int obuf_flush(struct obuf *ob)
{
    size_t limit = ob->batch == NO_BATCH ? ob->end : ob->batch;

    while (ob->start < limit) {
        ssize_t n = write(ob->fd, ob->buf + ob->start, limit - ob->start);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            return -1;
        }
        ob->start += (size_t)n;
    }
    if (ob->start == ob->end)
        ob->start = ob->end = 0;
    return 0;
}

/*
 * Write everything, waiting for the reader as long as it takes, until
 * SIGTERM, SIGINT or the parent's death asks for the end: the reader then
 * gets EPCAP_LINGER_SECONDS more, and what it has not taken by then is
 * given up (-1 with ETIMEDOUT; obuf_pending says how much). The signals
 * get in only while waiting (signals.c), so a stuck reader can never make
 * the port unkillable.
 */
int obuf_drain(struct obuf *ob)
{
    struct timespec until = {0, 0}, left;

    obuf_close_batch(ob);
    for (;;) {
        int rc = obuf_flush(ob);
        if (rc <= 0)
            return rc;
        struct timespec *wait = NULL;
        if (signals_terminated()) {
            if (until.tv_sec == 0) {
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += EPCAP_LINGER_SECONDS;
            }
            if (!epcap_time_left(&until, &left)) {
                errno = ETIMEDOUT;
                return -1;
            }
            wait = &left;
        }
        struct pollfd pfd = {.fd = ob->fd, .events = POLLOUT};
        if (ppoll(&pfd, 1, wait, signals_poll_mask()) < 0 && errno != EINTR)
            return -1;
    }
}

/*
 * Write n bytes straight to the descriptor, after everything pending:
 * for a record too large for the buffer (a shell stream or dump file may
 * carry packets up to libpcap's largest snaplen, 128 MiB for D-Bus).
 * Waits for the pipe as long as it takes; -1 with errno on error.
 */
int obuf_write_all(struct obuf *ob, const void *p, size_t n)
{
    const unsigned char *b = p;

    if (obuf_drain(ob) < 0)
        return -1;
    while (n > 0) {
        ssize_t w = write(ob->fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = ob->fd, .events = POLLOUT};
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return -1;
            if (signals_terminated()) {
                errno = EINTR; /* SIGTERM, SIGINT: a stuck reader */
                return -1;
            }
            continue;
        }
        if (w < 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A record: its header, the packet, and (pcapng) padding and trailer,
 * appended to the buffer; one that does not fit goes out on its own, in
 * pieces. Its size, or 0 if writing it failed (the next flush of this
 * buffer reports the error). */
size_t obuf_record(struct obuf *ob, const unsigned char *hdr, size_t hlen,
                   const unsigned char *data, size_t caplen,
                   const unsigned char *tail, size_t tlen)
{
    size_t n = hlen + caplen + tlen;
    unsigned char *o = obuf_tail(ob, n);

    if (ob->buf == NULL) /* never after obuf_init; says so to the analyzer */
        return 0;
    if (o == NULL) {
        if (obuf_write_all(ob, hdr, hlen) < 0 ||
            obuf_write_all(ob, data, caplen) < 0 ||
            (tlen > 0 && obuf_write_all(ob, tail, tlen) < 0))
            return 0;
        return n;
    }
    memcpy(o, hdr, hlen);
    memcpy(o + hlen, data, caplen);
    if (tlen > 0)
        memcpy(o + hlen + caplen, tail, tlen);
    ob->end += n;
    return n;
}
