/*
 * test_frame.c: unit tests for the output buffer (frame.c).
 *
 * Frames are written to a temporary file (to read back large frames at
 * once) or to a pipe (to see what a full, nonblocking stdout does), and
 * the bytes read back are checked against the layout in epcap_proto.h:
 * u32 BE length counting tag and body, the tag, then for PACKETS the
 * records u64 sec, u32 fraction, u32 caplen, u32 len, caplen bytes.
 *
 * Needs: a writable temporary directory, pipe2, fcntl(F_GETPIPE_SZ),
 * and one thread (the reader in the obuf_drain test).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "epcap_proto.h"
#include "frame.h"

/* The capacity main.c gives stdout's buffer. */
#define CAP (EPCAP_OUT_CAP)

struct bytes {
    unsigned char *b;
    size_t n;
};

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int temp_fd(void)
{
    char path[] = "/tmp/epcap-test-frame-XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0);
    return fd;
}

/* Everything written to a temporary file so far. */
static struct bytes file_contents(int fd)
{
    struct bytes r;
    off_t size = lseek(fd, 0, SEEK_END);

    assert_true(size >= 0);
    r.n = (size_t)size;
    r.b = malloc(r.n + 1);
    assert_non_null(r.b);
    size_t got = 0;
    while (got < r.n) {
        ssize_t k = pread(fd, r.b + got, r.n - got, (off_t)got);
        assert_true(k > 0);
        got += (size_t)k;
    }
    return r;
}

/* Deterministic packet bytes, different for each seed. */
static unsigned char *make_data(size_t n, unsigned seed)
{
    unsigned char *d = malloc(n > 0 ? n : 1);

    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)(i * 31 + seed * 7 + (i >> 8));
    return d;
}

static struct pcap_pkthdr hdr(time_t sec, suseconds_t frac, uint32_t caplen,
                              uint32_t len)
{
    struct pcap_pkthdr h;

    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = sec;
    h.ts.tv_usec = frac;
    h.caplen = caplen;
    h.len = len;
    return h;
}

/* Check a frame header at p; returns the frame's body. */
static const unsigned char *check_frame(const unsigned char *p, uint32_t length,
                                        uint8_t tag)
{
    assert_int_equal(get32(p), length);
    assert_int_equal(p[4], tag);
    return p + EPCAP_FRAME_HEADER;
}

/* Check one record at p; returns the byte after it. */
static const unsigned char *check_record(const unsigned char *p, uint64_t sec,
                                         uint32_t frac, uint32_t caplen,
                                         uint32_t len,
                                         const unsigned char *data)
{
    assert_true(get64(p) == sec);
    assert_int_equal(get32(p + 8), frac);
    assert_int_equal(get32(p + 12), caplen);
    assert_int_equal(get32(p + 16), len);
    assert_memory_equal(p + EPCAP_RECORD_HEADER, data, caplen);
    return p + EPCAP_RECORD_HEADER + caplen;
}

/* One packet */

static void test_one_packet(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const unsigned char data[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    /* A second count above 2^32 checks the high half of the u64. */
    const time_t sec = (time_t)0x100000002LL;
    struct pcap_pkthdr h = hdr(sec, 123456, sizeof(data), 60);

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    assert_int_equal(obuf_pending(&ob), 0);
    obuf_packet(&ob, &h, data);
    obuf_close_batch(&ob);
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER + 6);
    const unsigned char expect[] = {
        0,
        0,
        0,
        1 + 20 + 6,          /* length: tag + record */
        EPCAP_FRAME_PACKETS, /* tag */
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2, /* sec */
        0,
        0x01,
        0xe2,
        0x40, /* fraction 123456 */
        0,
        0,
        0,
        6, /* caplen */
        0,
        0,
        0,
        60, /* len */
        0xde,
        0xad,
        0xbe,
        0xef,
        0x00,
        0x01,
    };
    assert_int_equal(r.n, sizeof(expect));
    assert_memory_equal(r.b, expect, sizeof(expect));
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

static void test_empty_packet(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    struct pcap_pkthdr h = hdr(7, 8, 0, 1514);
    unsigned char none = 0;

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    obuf_packet(&ob, &h, &none);
    assert_int_equal(obuf_drain(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER);
    const unsigned char *p = check_frame(r.b, 1 + 20, EPCAP_FRAME_PACKETS);
    check_record(p, 7, 8, 0, 1514, &none);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

/* Several packets in one batch frame */

static void test_several_packets_one_frame(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const uint32_t sizes[] = {60, 1, 1514, 9000, 0, 300};
    enum {
        N = sizeof(sizes) / sizeof(sizes[0])
    };
    unsigned char *data[N];
    size_t body = 0;

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    for (unsigned i = 0; i < N; i++) {
        data[i] = make_data(sizes[i], i);
        struct pcap_pkthdr h =
            hdr(1000 + i, 999999 - i, sizes[i], sizes[i] + i);
        obuf_packet(&ob, &h, data[i]);
        body += EPCAP_RECORD_HEADER + sizes[i];
        assert_int_equal(obuf_pending(&ob), EPCAP_FRAME_HEADER + body);
    }
    obuf_close_batch(&ob);
    assert_int_equal(obuf_flush(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, EPCAP_FRAME_HEADER + body);
    const unsigned char *p =
        check_frame(r.b, (uint32_t)(1 + body), EPCAP_FRAME_PACKETS);
    for (unsigned i = 0; i < N; i++)
        p = check_record(p, 1000 + i, 999999 - i, sizes[i], sizes[i] + i,
                         data[i]);
    assert_ptr_equal(p, r.b + r.n);
    for (unsigned i = 0; i < N; i++)
        free(data[i]);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

/* A batch is closed once its body reaches EPCAP_BATCH_BYTES */

static void test_batch_closes_past_limit(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const uint32_t caplen = 1000;
    const size_t rec = EPCAP_RECORD_HEADER + caplen;
    /* Records needed for the body to pass the limit: 258 of 1020. */
    const size_t fill = (EPCAP_BATCH_BYTES + rec - 1) / rec;
    unsigned char *data = make_data(caplen, 3);

    assert_true((fill - 1) * rec < EPCAP_BATCH_BYTES);
    assert_true(fill * rec > EPCAP_BATCH_BYTES);
    assert_int_equal(obuf_init(&ob, fd, CAP), 0);

    for (size_t i = 0; i < fill - 1; i++) {
        struct pcap_pkthdr h = hdr((time_t)i, 0, caplen, caplen);
        obuf_packet(&ob, &h, data);
    }
    /* Still open: flush writes nothing. */
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), EPCAP_FRAME_HEADER + (fill - 1) * rec);
    assert_int_equal(lseek(fd, 0, SEEK_END), 0);

    /* This record takes the body past the limit: the frame closes, and
     * flush writes all of it without an explicit close. */
    struct pcap_pkthdr h = hdr((time_t)(fill - 1), 0, caplen, caplen);
    obuf_packet(&ob, &h, data);
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);
    assert_int_equal(lseek(fd, 0, SEEK_END),
                     (off_t)(EPCAP_FRAME_HEADER + fill * rec));

    /* The next packet opens a new frame. */
    h = hdr(424242, 17, caplen, caplen + 1);
    obuf_packet(&ob, &h, data);
    assert_int_equal(obuf_pending(&ob), EPCAP_FRAME_HEADER + rec);
    obuf_close_batch(&ob);
    assert_int_equal(obuf_flush(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, 2 * EPCAP_FRAME_HEADER + (fill + 1) * rec);
    const unsigned char *p =
        check_frame(r.b, (uint32_t)(1 + fill * rec), EPCAP_FRAME_PACKETS);
    for (size_t i = 0; i < fill; i++)
        p = check_record(p, i, 0, caplen, caplen, data);
    p = check_frame(p, (uint32_t)(1 + rec), EPCAP_FRAME_PACKETS);
    p = check_record(p, 424242, 17, caplen, caplen + 1, data);
    assert_ptr_equal(p, r.b + r.n);
    /* No frame exceeds the documented maximum. */
    assert_true(get32(r.b) + 4 <= EPCAP_FRAME_MAX);

    free(data);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

/* The largest packet */

static void test_max_packet_intact(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const uint32_t caplen = EPCAP_SNAPLEN_MAX;
    unsigned char *data = make_data(caplen, 9);
    unsigned char small[] = {1, 2, 3};

    assert_int_equal(caplen, 262144);
    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    struct pcap_pkthdr h = hdr(1, 2, caplen, caplen);
    obuf_packet(&ob, &h, data);
    /* Its body alone passes the batch limit: the frame is closed. */
    assert_int_equal(obuf_flush(&ob), 0);
    h = hdr(3, 4, sizeof(small), sizeof(small));
    obuf_packet(&ob, &h, small);
    assert_int_equal(obuf_drain(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, 2 * (EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER) +
                              caplen + sizeof(small));
    const unsigned char *p =
        check_frame(r.b, 1 + EPCAP_RECORD_HEADER + caplen, EPCAP_FRAME_PACKETS);
    p = check_record(p, 1, 2, caplen, caplen, data);
    p = check_frame(p, 1 + EPCAP_RECORD_HEADER + sizeof(small),
                    EPCAP_FRAME_PACKETS);
    p = check_record(p, 3, 4, sizeof(small), sizeof(small), small);
    assert_ptr_equal(p, r.b + r.n);
    free(data);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

static void test_caplen_clamped(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const uint32_t claimed = EPCAP_SNAPLEN_MAX + 1;
    unsigned char *data = make_data(claimed, 5);

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    struct pcap_pkthdr h = hdr(10, 20, claimed, 300000);
    obuf_packet(&ob, &h, data);
    assert_int_equal(obuf_drain(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER +
                              EPCAP_SNAPLEN_MAX);
    const unsigned char *p = check_frame(
        r.b, 1 + EPCAP_RECORD_HEADER + EPCAP_SNAPLEN_MAX, EPCAP_FRAME_PACKETS);
    /* caplen is clamped; the original length is passed on as given. */
    p = check_record(p, 10, 20, EPCAP_SNAPLEN_MAX, 300000, data);
    assert_ptr_equal(p, r.b + r.n);
    free(data);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

/* Control frames */

static void test_frame_closes_batch(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const unsigned char pkt[] = {9, 8, 7, 6, 5};
    const unsigned char rhdr[] = {0, 0, 0, 42, 0, 0}; /* id 42, code 0 */
    const char body[] = "hello";

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    struct pcap_pkthdr h = hdr(5, 6, sizeof(pkt), sizeof(pkt));
    obuf_packet(&ob, &h, pkt);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_REPLY, rhdr, sizeof(rhdr),
                                body, strlen(body)),
                     0);
    /* Both frames are closed now: flush writes all of them. */
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);

    struct bytes r = file_contents(fd);
    const unsigned char *p = check_frame(
        r.b, 1 + EPCAP_RECORD_HEADER + sizeof(pkt), EPCAP_FRAME_PACKETS);
    p = check_record(p, 5, 6, sizeof(pkt), sizeof(pkt), pkt);
    p = check_frame(p, (uint32_t)(1 + sizeof(rhdr) + strlen(body)),
                    EPCAP_FRAME_REPLY);
    assert_memory_equal(p, rhdr, sizeof(rhdr));
    assert_memory_equal(p + sizeof(rhdr), body, strlen(body));
    p += sizeof(rhdr) + strlen(body);
    assert_ptr_equal(p, r.b + r.n);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

static void test_frame_header_or_body_only(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const unsigned char whdr[] = {0, 12};
    const char msg[] = "promisc";

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_EOF, NULL, 0, NULL, 0), 0);
    assert_int_equal(obuf_pending(&ob), EPCAP_FRAME_HEADER);
    assert_int_equal(
        obuf_frame(&ob, EPCAP_FRAME_WARNING, whdr, sizeof(whdr), NULL, 0), 0);
    assert_int_equal(
        obuf_frame(&ob, EPCAP_FRAME_ERROR, NULL, 0, msg, strlen(msg)), 0);
    assert_int_equal(obuf_pending(&ob),
                     3 * EPCAP_FRAME_HEADER + sizeof(whdr) + strlen(msg));
    assert_int_equal(obuf_flush(&ob), 0);

    struct bytes r = file_contents(fd);
    const unsigned char expect[] = {
        0,
        0,
        0,
        1,
        EPCAP_FRAME_EOF,
        0,
        0,
        0,
        3,
        EPCAP_FRAME_WARNING,
        0,
        12,
        0,
        0,
        0,
        8,
        EPCAP_FRAME_ERROR,
        'p',
        'r',
        'o',
        'm',
        'i',
        's',
        'c',
    };
    assert_int_equal(r.n, sizeof(expect));
    assert_memory_equal(r.b, expect, sizeof(expect));
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

/* When the buffer has no room, obuf_frame writes what is pending first. */
static void test_frame_drains_when_full(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    unsigned char a[30], b[30];

    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    assert_int_equal(obuf_init(&ob, fd, 64), 0);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_REPLY, NULL, 0, a, 30), 0);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_REPLY, NULL, 0, b, 30), 0);
    assert_int_equal(lseek(fd, 0, SEEK_END), EPCAP_FRAME_HEADER + 30);
    assert_int_equal(obuf_pending(&ob), EPCAP_FRAME_HEADER + 30);
    /* A frame that can never fit is refused, not overflowed. */
    unsigned char big[100] = {0};
    assert_int_equal(
        obuf_frame(&ob, EPCAP_FRAME_REPLY, NULL, 0, big, sizeof(big)), -1);
    assert_int_equal(obuf_flush(&ob), 0);

    struct bytes r = file_contents(fd);
    assert_int_equal(r.n, 2 * (EPCAP_FRAME_HEADER + 30));
    const unsigned char *p = check_frame(r.b, 31, EPCAP_FRAME_REPLY);
    assert_memory_equal(p, a, 30);
    p = check_frame(p + 30, 31, EPCAP_FRAME_REPLY);
    assert_memory_equal(p, b, 30);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

/* obuf_flush leaves an open batch alone */

static void test_flush_skips_open_batch(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    const unsigned char ready[] = {0, 1, 0, 0, 0, 1};
    const unsigned char pkt[] = {0xaa, 0xbb};
    const size_t pkt_frame = EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER + 2;

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    assert_int_equal(
        obuf_frame(&ob, EPCAP_FRAME_READY, ready, sizeof(ready), "lo", 2), 0);
    struct pcap_pkthdr h = hdr(1, 1, 2, 2);
    obuf_packet(&ob, &h, pkt);

    /* Only the READY frame goes out; the batch waits. */
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), pkt_frame);
    assert_int_equal(lseek(fd, 0, SEEK_END),
                     EPCAP_FRAME_HEADER + sizeof(ready) + 2);

    /* More packets join the same open frame. */
    obuf_packet(&ob, &h, pkt);
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), pkt_frame + EPCAP_RECORD_HEADER + 2);

    obuf_close_batch(&ob);
    obuf_close_batch(&ob); /* closing twice is harmless */
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);

    struct bytes r = file_contents(fd);
    const unsigned char *p =
        check_frame(r.b, 1 + sizeof(ready) + 2, EPCAP_FRAME_READY);
    assert_memory_equal(p, ready, sizeof(ready));
    assert_memory_equal(p + sizeof(ready), "lo", 2);
    p = check_frame(p + sizeof(ready) + 2, 1 + 2 * (EPCAP_RECORD_HEADER + 2),
                    EPCAP_FRAME_PACKETS);
    p = check_record(p, 1, 1, 2, 2, pkt);
    p = check_record(p, 1, 1, 2, 2, pkt);
    assert_ptr_equal(p, r.b + r.n);
    free(r.b);
    obuf_free(&ob);
    close(fd);
}

static void test_flush_empty(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_drain(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);
    assert_int_equal(lseek(fd, 0, SEEK_END), 0);
    obuf_free(&ob);
    close(fd);
}

static void test_flush_error(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    close(fd);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_EOF, NULL, 0, NULL, 0), 0);
    errno = 0;
    assert_int_equal(obuf_flush(&ob), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(obuf_pending(&ob), EPCAP_FRAME_HEADER);
    obuf_free(&ob);
}

/* A full, nonblocking pipe */

struct pipe_pair {
    int r, w;
    size_t size;
};

static struct pipe_pair nonblocking_pipe(void)
{
    int fds[2];
    struct pipe_pair pp;

    assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    pp.r = fds[0];
    pp.w = fds[1];
    int size = fcntl(pp.w, F_GETPIPE_SZ);
    assert_true(size > 0);
    pp.size = (size_t)size;
    return pp;
}

/* Read whatever the pipe holds now, appending to *acc. */
static size_t read_available(int fd, struct bytes *acc, size_t cap)
{
    size_t total = 0;

    for (;;) {
        assert_true(acc->n < cap);
        ssize_t k = read(fd, acc->b + acc->n, cap - acc->n);
        if (k < 0 && errno == EAGAIN)
            return total;
        assert_true(k > 0);
        acc->n += (size_t)k;
        total += (size_t)k;
        if (acc->n == cap)
            return total;
    }
}

/* Packets of `caplen` bytes until at least `bytes` are pending, closed. */
static size_t fill_packets(struct obuf *ob, const unsigned char *data,
                           uint32_t caplen, size_t bytes)
{
    size_t count = 0;

    while (obuf_pending(ob) < bytes) {
        struct pcap_pkthdr h =
            hdr((time_t)count, (suseconds_t)count, caplen, caplen);
        obuf_packet(ob, &h, data);
        count++;
    }
    obuf_close_batch(ob);
    return count;
}

/* Check a stream of PACKETS frames holding `count` records as above. */
static void check_packet_stream(const struct bytes *r,
                                const unsigned char *data, uint32_t caplen,
                                size_t count)
{
    const unsigned char *p = r->b, *end = r->b + r->n;
    size_t seen = 0;

    while (p < end) {
        assert_true(end - p >= EPCAP_FRAME_HEADER);
        uint32_t length = get32(p);
        assert_int_equal(p[4], EPCAP_FRAME_PACKETS);
        assert_true(length + (size_t)4 <= (size_t)(end - p));
        assert_true(length + (size_t)4 <= EPCAP_FRAME_MAX);
        const unsigned char *q = p + EPCAP_FRAME_HEADER;
        const unsigned char *fend = p + 4 + length;
        while (q < fend) {
            q = check_record(q, seen, (uint32_t)seen, caplen, caplen, data);
            seen++;
        }
        assert_ptr_equal(q, fend);
        p = fend;
    }
    assert_int_equal(seen, count);
}

static void test_flush_full_pipe(void **state)
{
    (void)state;
    struct obuf ob;
    struct pipe_pair pp = nonblocking_pipe();
    const uint32_t caplen = 1500;
    unsigned char *data = make_data(caplen, 11);

    assert_int_equal(obuf_init(&ob, pp.w, CAP), 0);
    /* Three times what the pipe holds, over several frames. */
    size_t count = fill_packets(&ob, data, caplen, 3 * pp.size);
    size_t total = obuf_pending(&ob);

    assert_int_equal(obuf_flush(&ob), 1);
    size_t left = obuf_pending(&ob);
    assert_true(left > 0);
    assert_true(left < total);
    /* Nothing was read: another try still finds the pipe full. */
    assert_int_equal(obuf_flush(&ob), 1);
    assert_int_equal(obuf_pending(&ob), left);

    struct bytes acc = {malloc(total), 0};
    assert_non_null(acc.b);
    int rounds = 0;
    for (;;) {
        assert_true(read_available(pp.r, &acc, total) > 0);
        int rc = obuf_flush(&ob);
        assert_true(rc == 0 || rc == 1);
        /* What is pending plus what was read (or sits in the pipe) is
         * everything. */
        assert_true(obuf_pending(&ob) <= total - acc.n);
        rounds++;
        assert_true(rounds < 10000);
        if (rc == 0)
            break;
    }
    assert_int_equal(obuf_pending(&ob), 0);
    while (acc.n < total)
        assert_true(read_available(pp.r, &acc, total) > 0);
    check_packet_stream(&acc, data, caplen, count);

    /* The buffer is reusable after a complete flush. */
    struct pcap_pkthdr h = hdr(0, 0, caplen, caplen);
    obuf_packet(&ob, &h, data);
    obuf_close_batch(&ob);
    assert_int_equal(obuf_flush(&ob), 0);
    acc.n = 0;
    read_available(pp.r, &acc, total);
    assert_int_equal(acc.n, EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER + caplen);
    check_packet_stream(&acc, data, caplen, 1);

    free(acc.b);
    free(data);
    obuf_free(&ob);
    close(pp.r);
    close(pp.w);
}

/* After a partial write the unwritten bytes move to the front of the
 * buffer (compaction) when a new batch needs room; order must hold. */
static void test_compaction_keeps_order(void **state)
{
    (void)state;
    struct obuf ob;
    struct pipe_pair pp = nonblocking_pipe();
    const uint32_t caplen = 4000;
    unsigned char *data = make_data(caplen, 13);
    /* Room for one maximal frame plus a little: the second batch only
     * fits once the written part of the first is reclaimed. */
    const size_t cap = EPCAP_FRAME_MAX + 2 * pp.size;

    assert_int_equal(obuf_init(&ob, pp.w, cap), 0);
    size_t first = fill_packets(&ob, data, caplen, 2 * pp.size);
    assert_true(obuf_pending(&ob) + EPCAP_FRAME_MAX > cap);
    assert_int_equal(obuf_flush(&ob), 1);

    struct bytes acc = {malloc(16 * pp.size + EPCAP_FRAME_MAX), 0};
    assert_non_null(acc.b);
    size_t acc_cap = 16 * pp.size + EPCAP_FRAME_MAX;
    read_available(pp.r, &acc, acc_cap);
    assert_true(acc.n > 0);

    /* Keep numbering where the first batch stopped. */
    size_t count = first;
    for (int i = 0; i < 3; i++) {
        struct pcap_pkthdr h =
            hdr((time_t)count, (suseconds_t)count, caplen, caplen);
        obuf_packet(&ob, &h, data);
        count++;
    }
    obuf_close_batch(&ob);

    int rounds = 0;
    for (;;) {
        int rc = obuf_flush(&ob);
        assert_true(rc == 0 || rc == 1);
        read_available(pp.r, &acc, acc_cap);
        if (rc == 0)
            break;
        assert_true(++rounds < 10000);
    }
    read_available(pp.r, &acc, acc_cap);
    check_packet_stream(&acc, data, caplen, count);

    free(acc.b);
    free(data);
    obuf_free(&ob);
    close(pp.r);
    close(pp.w);
}

/* obuf_drain waits for a slow reader */

struct reader {
    int fd;
    struct bytes got;
    size_t cap;
};

static void *reader_main(void *arg)
{
    struct reader *rd = arg;

    for (;;) {
        if (rd->got.n == rd->cap)
            return NULL; /* more than expected: the test will fail */
        ssize_t k = read(rd->fd, rd->got.b + rd->got.n, rd->cap - rd->got.n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return NULL;
        rd->got.n += (size_t)k;
        usleep(200); /* slower than the writer, so the pipe fills */
    }
}

static void test_drain_waits_for_reader(void **state)
{
    (void)state;
    struct obuf ob;
    struct pipe_pair pp = nonblocking_pipe();
    const uint32_t caplen = 900;
    unsigned char *data = make_data(caplen, 17);

    /* The reader blocks; only the writer side is nonblocking. */
    int fl = fcntl(pp.r, F_GETFL);
    assert_int_equal(fcntl(pp.r, F_SETFL, fl & ~O_NONBLOCK), 0);
    assert_int_equal(obuf_init(&ob, pp.w, CAP), 0);

    size_t count = fill_packets(&ob, data, caplen, 4 * pp.size);
    /* Leave a batch open: drain must close and write it too. */
    struct pcap_pkthdr h =
        hdr((time_t)count, (suseconds_t)count, caplen, caplen);
    obuf_packet(&ob, &h, data);
    count++;
    size_t total = obuf_pending(&ob);

    struct reader rd = {pp.r, {malloc(total + 1), 0}, total + 1};
    assert_non_null(rd.got.b);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader_main, &rd), 0);

    assert_int_equal(obuf_drain(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);
    close(pp.w);
    assert_int_equal(pthread_join(th, NULL), 0);

    assert_int_equal(rd.got.n, total);
    check_packet_stream(&rd.got, data, caplen, count);

    free(rd.got.b);
    free(data);
    obuf_free(&ob);
    close(pp.r);
}

/* pending counts */

static void test_pending_counts(void **state)
{
    (void)state;
    struct obuf ob;
    int fd = temp_fd();
    unsigned char d[100] = {0};
    size_t want = 0;

    assert_int_equal(obuf_init(&ob, fd, CAP), 0);
    assert_int_equal(obuf_pending(&ob), 0);

    struct pcap_pkthdr h = hdr(0, 0, 10, 10);
    obuf_packet(&ob, &h, d);
    want += EPCAP_FRAME_HEADER + EPCAP_RECORD_HEADER + 10;
    assert_int_equal(obuf_pending(&ob), want);

    h = hdr(0, 0, 100, 100);
    obuf_packet(&ob, &h, d);
    want += EPCAP_RECORD_HEADER + 100; /* same frame: no new header */
    assert_int_equal(obuf_pending(&ob), want);

    obuf_close_batch(&ob);
    assert_int_equal(obuf_pending(&ob), want);

    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_REPLY, d, 6, d, 7), 0);
    want += EPCAP_FRAME_HEADER + 6 + 7;
    assert_int_equal(obuf_pending(&ob), want);

    assert_int_equal(obuf_flush(&ob), 0);
    assert_int_equal(obuf_pending(&ob), 0);
    /* Fully written: the buffer rewinds, so the next append starts at
     * the front and never needs a memmove. */
    assert_int_equal(ob.start, 0);
    assert_int_equal(ob.end, 0);
    assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)want);
    obuf_free(&ob);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_packet),
        cmocka_unit_test(test_empty_packet),
        cmocka_unit_test(test_several_packets_one_frame),
        cmocka_unit_test(test_batch_closes_past_limit),
        cmocka_unit_test(test_max_packet_intact),
        cmocka_unit_test(test_caplen_clamped),
        cmocka_unit_test(test_frame_closes_batch),
        cmocka_unit_test(test_frame_header_or_body_only),
        cmocka_unit_test(test_frame_drains_when_full),
        cmocka_unit_test(test_flush_skips_open_batch),
        cmocka_unit_test(test_flush_empty),
        cmocka_unit_test(test_flush_error),
        cmocka_unit_test(test_flush_full_pipe),
        cmocka_unit_test(test_compaction_keeps_order),
        cmocka_unit_test(test_drain_waits_for_reader),
        cmocka_unit_test(test_pending_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
