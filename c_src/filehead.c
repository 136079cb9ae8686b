/*
 * filehead.c: what a capture file says about itself before libpcap reads
 * it: its format (pcap or pcapng) and its own time stamp precision.
 *
 * libpcap 1.10 hands over every time stamp in the precision the handle
 * was opened with and does not say what the file holds. Two things need
 * to know: the shell path (-w) writes a file out with the precision it
 * has, as `tcpdump --time-stamp-precision=P -r F -w -` does for the
 * file's own P; and a pcap file's seconds and fraction are unsigned
 * 32-bit fields that libpcap passes as signed ones, so the port must
 * know when to read them back as unsigned (epcap_ts_fix in epcap_time.h).
 *
 * The first bytes are read here, exactly as many as needed (the magic;
 * for pcapng the section header and the first interface block), never
 * more: a pipe from a live `tcpdump -w -` is not held up. libpcap then
 * reads from a stdio stream (fopencookie or funopen) that replays those bytes and
 * continues with the descriptor, so it sees the file unchanged, a pipe
 * included. A file too short or too odd to tell is taken as microsecond
 * pcap; libpcap then says what is wrong with it.
 *
 * Runs before privileges are dropped, on a descriptor already opened with
 * the invoking user's rights. Syscalls: read.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filehead.h"
#include "signals.h"

#define MAGIC_NANO 0xa1b23c4du
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_BOM 0x1a2b3c4du
#define OPT_TSRESOL 9

/* A section header or interface block larger than this is not looked
 * into (libpcap's own limit for a block is 16 MiB). */
#define HEAD_BLOCK_MAX (1024 * 1024)

struct head {
    int fd;
    FILE *under;        /* owns fd; closed with the stream */
    unsigned char *buf; /* bytes read ahead, replayed first */
    size_t len, pos, cap;
    bool eof;
};

static uint32_t get32(const unsigned char *p, bool swap)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const unsigned char *p, bool swap)
{
    uint16_t v;

    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

/* Read until n bytes are held in all; false at end of file or error. */
static bool want(struct head *h, size_t n)
{
    if (n > h->cap) {
        unsigned char *p = realloc(h->buf, n);
        if (p == NULL)
            return false;
        h->buf = p;
        h->cap = n;
    }
    while (h->len < n && !h->eof) {
        ssize_t r = read(h->fd, h->buf + h->len, n - h->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            h->eof = true; /* libpcap meets the same end, and says so */
            break;
        }
        h->len += (size_t)r;
    }
    return h->len >= n;
}

/* if_tsresol: 10^-v, or 2^-v with the top bit; finer than a
 * microsecond is nanosecond to libpcap's two precisions. */
static bool tsresol_is_nano(unsigned v)
{
    return (v & 0x80) ? (v & 0x7f) >= 20 : v > 6;
}

/* The options of the first interface block, at off..end in the buffer. */
static bool idb_nano(const unsigned char *p, size_t off, size_t end, bool swap)
{
    while (off + 4 <= end) {
        uint16_t code = get16(p + off, swap), len = get16(p + off + 2, swap);
        if (code == 0)
            break;
        if (code == OPT_TSRESOL && len == 1 && off + 5 <= end)
            return tsresol_is_nano(p[off + 4]);
        off += 4 + ((size_t)len + 3) / 4 * 4;
    }
    return false;
}

static void look_pcapng(struct head *h, struct epcap_filehead *fh)
{
    fh->pcapng = true;
    if (!want(h, 12))
        return;
    bool swap = get32(h->buf + 8, false) != PCAPNG_BOM;
    size_t shb = get32(h->buf + 4, swap);
    if (shb < 28 || shb > HEAD_BLOCK_MAX || !want(h, shb + 8))
        return;
    if (get32(h->buf + shb, swap) != PCAPNG_IDB)
        return; /* no interface first: micro, libpcap's default */
    size_t idb = get32(h->buf + shb + 4, swap);
    if (idb < 20 || idb > HEAD_BLOCK_MAX || !want(h, shb + idb))
        return;
    fh->nano = idb_nano(h->buf, shb + 16, shb + idb - 4, swap);
}

static void look(struct head *h, struct epcap_filehead *fh)
{
    if (!want(h, 4))
        return;
    uint32_t m = get32(h->buf, false), s = __builtin_bswap32(m);
    if (m == PCAPNG_SHB)
        look_pcapng(h, fh);
    else
        fh->nano = m == MAGIC_NANO || s == MAGIC_NANO;
}

static ssize_t head_read(void *cookie, char *out, size_t n)
{
    struct head *h = cookie;

    if (h->pos < h->len) {
        size_t k = h->len - h->pos < n ? h->len - h->pos : n;
        memcpy(out, h->buf + h->pos, k);
        h->pos += k;
        return (ssize_t)k;
    }
    /* EINTR from SIGTERM or SIGINT (signals_window_open) ends the read:
     * libpcap reports an error, and the loop sees the request. */
    for (;;) {
        ssize_t r = read(h->fd, out, n);
        if (r >= 0 || errno != EINTR || signals_terminated())
            return r;
    }
}

static int head_close(void *cookie)
{
    struct head *h = cookie;
    int rc = fclose(h->under);

    free(h->buf);
    free(h);
    return rc;
}

/*
 * Look at the head of fp and return a stream that reads the same bytes
 * from the start; fp belongs to it from then on. NULL (errno set) only
 * when out of memory, with fp still the caller's.
 */
/* The replaying stream: glibc's and FreeBSD's fopencookie, or the BSDs'
 * funopen (a C library difference, not the kernel's: platform.h). */
#if defined(__GLIBC__) || defined(__FreeBSD__)
static FILE *open_stream(struct head *h)
{
    cookie_io_functions_t io = {.read = head_read, .close = head_close};

    return fopencookie(h, "rb", io);
}
#else
static int head_read_int(void *cookie, char *out, int n)
{
    return (int)head_read(cookie, out, n < 0 ? 0 : (size_t)n);
}

static FILE *open_stream(struct head *h)
{
    return funopen(h, head_read_int, NULL, NULL, head_close);
}
#endif

FILE *filehead_open(FILE *fp, struct epcap_filehead *fh)
{
    struct head *h = calloc(1, sizeof(*h));

    memset(fh, 0, sizeof(*fh));
    if (h == NULL)
        return NULL;
    h->fd = fileno(fp);
    h->under = fp;
    look(h, fh);
    FILE *out = open_stream(h);
    if (out == NULL) {
        free(h->buf);
        free(h);
        return NULL;
    }
    fh->stream = h;
    return out;
}
