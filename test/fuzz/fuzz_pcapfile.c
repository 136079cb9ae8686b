/*
 * fuzz_pcapfile.c: libFuzzer harness for capture files (-r PATH).
 *
 * A capture file is untrusted input: libpcap parses it, and the port
 * copies each record into PACKETS frames (obuf_packet in frame.c), where
 * a record's caplen is bounded by EPCAP_SNAPLEN_MAX whatever the file
 * claims. The input is opened from memory as a pcap or pcapng file with
 * nanosecond precision, as capture.c opens files, and read the way
 * loop.c reads one: EPCAP_FILE_CHUNK packets per pcap_dispatch, the
 * batch closed after each, output written once EPCAP_OUT_HIGH bytes wait.
 *
 * The first byte picks a filter from a short list (none, or one libpcap
 * applies in userland to a file); the rest is the file.
 *
 * The frames written are read back and checked against the protocol
 * (doc/PROTOCOL.md) and against what libpcap handed over: each is a
 * PACKETS frame no larger than EPCAP_FRAME_MAX whose records fill it
 * exactly; each record carries the packet's time stamp, lengths and bytes,
 * with caplen cut to EPCAP_SNAPLEN_MAX; there is one record per packet.
 *
 * Every fraction must also be below 10^9, as PROTOCOL.md says: a capture
 * file's record may claim any fraction and libpcap passes it on, and
 * frame.c carries the excess into the seconds. The input that showed the
 * gap is kept in test/fuzz/regressions/pcapfile.
 *
 * The same input is then read the way the shell path reads it (-r F -w -):
 * through filehead.c, at the file's own precision, into a pcap stream
 * (pcapout.c), the stream drained at the end as epcap_fatal drains it
 * after damage. The stream must parse, and never hold less than the
 * Erlang path got: as many records, each with at least the bytes of the
 * frame's record (a frame cuts at EPCAP_SNAPLEN_MAX, the stream does not),
 * and, for a pcap file, the same instant (the frame's seconds and
 * fraction, normalised, against the stream's raw unsigned fields).
 *
 * Not part of the port: built only by `make fuzz` (c_src/Makefile).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "epcap_proto.h"
#include "epcap_time.h"
#include "filehead.h"
#include "frame.h"
#include "loop.h"
#include "pcapout.h"
#include "state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const filters[] = {
    NULL, "", "tcp", "udp port 53 or arp", "greater 100", "vlan and ip6",
    "ether[0] & 1 != 0", "len < 64",
};

static int out_fd = -1;
/* The port's output buffer, sized as main.c sizes it, made once: a fresh
 * 5 MiB buffer per input would cost more than the input. Each input
 * ends with it drained, which leaves it as obuf_init does. */
static struct obuf out;
static unsigned char *readback;
static size_t readback_cap;
/* The shell path's stream, and the input as a file for filehead.c. */
static int shell_fd = -1, in_fd = -1;
static struct obuf shell_out;

/* What libpcap handed over, packet by packet, to compare with the
 * records written. */
struct seen {
    uint64_t sec;
    uint32_t frac, caplen, len;
    unsigned char head[16]; /* the first bytes of the packet */
};
static struct seen *seen;
static size_t seen_len, seen_cap;

static void die(const char *what)
{
    perror(what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    out_fd = memfd_create("fuzz_pcapfile", MFD_CLOEXEC);
    if (out_fd < 0)
        die("fuzz_pcapfile: memfd_create");
    if (obuf_init(&out, out_fd,
                  EPCAP_OUT_CAP) < 0)
        die("fuzz_pcapfile: obuf_init");
    shell_fd = memfd_create("fuzz_pcapfile_shell", MFD_CLOEXEC);
    in_fd = memfd_create("fuzz_pcapfile_in", MFD_CLOEXEC);
    if (shell_fd < 0 || in_fd < 0)
        die("fuzz_pcapfile: memfd_create");
    if (obuf_init(&shell_out, shell_fd,
                  EPCAP_OUT_CAP) < 0)
        die("fuzz_pcapfile: obuf_init");
    return 0;
}

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h,
                      const unsigned char *data)
{
    struct epcap *st = (struct epcap *)user;
    struct pcap_pkthdr fixed = *h;

    /* As loop.c's on_packet: a pcap file's fields are unsigned. */
    if (!st->head.pcapng) {
        epcap_ts_fix(&fixed, st->ts_up);
        h = &fixed;
    }
    if (seen_len == seen_cap) {
        size_t cap = seen_cap ? 2 * seen_cap : 256;
        struct seen *p = realloc(seen, cap * sizeof(*seen));
        if (p == NULL)
            die("fuzz_pcapfile: realloc");
        seen = p;
        seen_cap = cap;
    }
    struct seen *s = &seen[seen_len++];
    /* The port normalises what a file claims (epcap_ts_normalize); the
     * file was opened with nanosecond precision. */
    long sec = (long)h->ts.tv_sec, frac = (long)h->ts.tv_usec;
    epcap_ts_normalize(&sec, &frac, 1000000000L);
    s->sec = (uint64_t)sec;
    s->frac = (uint32_t)frac;
    s->caplen = h->caplen > EPCAP_SNAPLEN_MAX ? EPCAP_SNAPLEN_MAX : h->caplen;
    s->len = h->len;
    memset(s->head, 0, sizeof(s->head));
    memcpy(s->head, data, s->caplen < sizeof(s->head) ? s->caplen
                                                      : sizeof(s->head));
    obuf_packet(&st->out, h, data);
    st->cnt.delivered++;
    st->cnt.delivered_bytes += h->caplen;
    if (obuf_pending(&st->out) >= EPCAP_OUT_HIGH)
        pcap_breakloop(st->pcap);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One record against what libpcap gave for the same packet. */
static void check_record(const unsigned char *r, uint64_t i)
{
    if (i >= seen_len)
        abort(); /* more records than packets */
    const struct seen *s = &seen[i];
    uint64_t sec = (uint64_t)get32(r) << 32 | get32(r + 4);
    uint32_t frac = get32(r + 8), caplen = get32(r + 12), len = get32(r + 16);
    size_t head = caplen < sizeof(s->head) ? caplen : sizeof(s->head);

    if (sec != s->sec || frac != s->frac || caplen != s->caplen ||
        len != s->len || memcmp(r + EPCAP_RECORD_HEADER, s->head, head) != 0)
        abort();
    if (frac >= 1000000000u)
        abort();
}

/* Check what was written; returns the number of records. */
static uint64_t check_output(void)
{
    off_t end = lseek(out_fd, 0, SEEK_CUR);
    uint64_t records = 0;

    if (end < 0)
        die("fuzz_pcapfile: lseek");
    if ((size_t)end > readback_cap) {
        free(readback);
        readback_cap = (size_t)end;
        readback = malloc(readback_cap);
        if (readback == NULL)
            die("fuzz_pcapfile: malloc");
    }
    if (pread(out_fd, readback, (size_t)end, 0) != end)
        die("fuzz_pcapfile: pread");
    for (size_t off = 0; off < (size_t)end;) {
        if ((size_t)end - off < EPCAP_FRAME_HEADER)
            abort();
        uint32_t n = get32(readback + off);
        if (n < 1 || n > EPCAP_FRAME_MAX - 4 || n > (size_t)end - off - 4 ||
            readback[off + 4] != EPCAP_FRAME_PACKETS)
            abort();
        const unsigned char *r = readback + off + EPCAP_FRAME_HEADER;
        size_t left = n - 1;
        if (left == 0)
            abort(); /* a PACKETS frame holds one record or more */
        while (left > 0) {
            if (left < EPCAP_RECORD_HEADER)
                abort();
            uint32_t caplen = get32(r + 12);
            if (caplen > EPCAP_SNAPLEN_MAX ||
                caplen > left - EPCAP_RECORD_HEADER)
                abort();
            check_record(r, records);
            r += EPCAP_RECORD_HEADER + caplen;
            left -= EPCAP_RECORD_HEADER + caplen;
            records++;
        }
        off += 4 + n;
    }
    if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
        die("fuzz_pcapfile: reset");
    return records;
}

static void read_file(struct epcap *st)
{
    for (;;) {
        int n = pcap_dispatch(st->pcap, EPCAP_FILE_CHUNK, on_packet,
                              (unsigned char *)st);
        obuf_close_batch(&st->out);
        if (obuf_pending(&st->out) >= EPCAP_OUT_HIGH &&
            obuf_drain(&st->out) < 0)
            die("fuzz_pcapfile: drain");
        if (n == 0 || n == PCAP_ERROR)
            break; /* end of file, or the port's exit 75 */
    }
}

/* The input as a stream, through filehead.c as capture.c opens it; the
 * handle at precision prec, or at the file's own when prec is -1. */
static pcap_t *open_input(struct epcap *st, int prec)
{
    char errbuf[PCAP_ERRBUF_SIZE];

    if (lseek(in_fd, 0, SEEK_SET) < 0)
        die("fuzz_pcapfile: lseek");
    FILE *fp = fdopen(dup(in_fd), "rb");
    if (fp == NULL)
        die("fuzz_pcapfile: fdopen");
    FILE *in = filehead_open(fp, &st->head);
    if (in == NULL)
        die("fuzz_pcapfile: filehead_open");
    if (prec < 0)
        prec = st->head.nano ? PCAP_TSTAMP_PRECISION_NANO
                             : PCAP_TSTAMP_PRECISION_MICRO;
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(in, prec, errbuf);
    if (p == NULL) {
        fclose(in);
        return NULL; /* not a capture file: the port's exit 66 */
    }
    st->ts_up = !st->head.pcapng && !st->head.nano &&
                prec == PCAP_TSTAMP_PRECISION_NANO ? 1000 : 1;
    return p;
}

/* The shell path: every record into a pcap stream. */
static void on_shell_packet(unsigned char *user, const struct pcap_pkthdr *h,
                            const unsigned char *data)
{
    struct epcap *st = (struct epcap *)user;
    struct pcap_pkthdr fixed = *h;

    if (!st->head.pcapng) {
        epcap_ts_fix(&fixed, st->ts_up);
        h = &fixed;
    }
    if (pcapout_write_packet(&st->out, &st->w, 0, h, data) == 0)
        abort();
    st->cnt.delivered++;
    if (obuf_pending(&st->out) >= EPCAP_OUT_HIGH)
        pcap_breakloop(st->pcap);
}

static uint32_t host32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* The stream against what the frames held (seen[]). */
static void check_shell(const struct epcap *st, size_t frames)
{
    off_t end = lseek(shell_fd, 0, SEEK_CUR);
    uint64_t unit = st->w.nano ? 1000000000u : 1000000u;

    if (end < 24)
        abort(); /* the header is always written */
    unsigned char *b =
        mmap(NULL, (size_t)end, PROT_READ, MAP_PRIVATE, shell_fd, 0);
    if (b == MAP_FAILED)
        die("fuzz_pcapfile: mmap");
    if (host32(b + 20) != st->linktype || host32(b + 16) != st->w.snaplen)
        abort();
    size_t off = 24, n = 0;
    while (off < (size_t)end) {
        if ((size_t)end - off < 16 || n >= frames)
            abort();
        uint32_t caplen = host32(b + off + 8);
        if (caplen > (size_t)end - off - 16 || caplen < seen[n].caplen ||
            host32(b + off + 12) != seen[n].len ||
            memcmp(b + off + 16, seen[n].head,
                   seen[n].caplen < 16 ? seen[n].caplen : 16) != 0)
            abort();
        uint64_t ns = (uint64_t)host32(b + off) * 1000000000u +
                      (uint64_t)host32(b + off + 4) * (1000000000u / unit);
        if (!st->head.pcapng &&
            ns != seen[n].sec * 1000000000u + seen[n].frac)
            abort();
        off += 16 + caplen;
        n++;
    }
    if (n != frames)
        abort(); /* the shell path wrote less than the Erlang path got */
    munmap(b, (size_t)end);
    if (ftruncate(shell_fd, 0) < 0 || lseek(shell_fd, 0, SEEK_SET) < 0)
        die("fuzz_pcapfile: reset");
}

static void shell_pass(const char *filter, size_t frames)
{
    struct epcap st;

    memset(&st, 0, sizeof(st));
    st.pcap_fd = -1;
    st.is_file = true;
    st.opt.file = "fuzz.pcap";
    st.opt.precision = -1;
    st.output = OUTPUT_PCAP;
    st.pcap = open_input(&st, -1);
    if (st.pcap == NULL)
        abort(); /* the frames pass opened the same bytes */
    st.linktype = (uint32_t)pcap_datalink(st.pcap);
    pcapout_writer(&st, OUTPUT_PCAP, &st.w);
    st.out = shell_out;
    if (filter != NULL && capture_set_filter(&st, filter) < 0)
        abort(); /* it compiled for the frames pass */
    if (pcapout_write_header(&st.out, &st.w) < 0)
        abort();
    for (;;) {
        int n = pcap_dispatch(st.pcap, EPCAP_FILE_CHUNK, on_shell_packet,
                              (unsigned char *)&st);
        if (obuf_pending(&st.out) >= EPCAP_OUT_HIGH &&
            obuf_drain(&st.out) < 0)
            die("fuzz_pcapfile: drain");
        if (n == 0 || n == PCAP_ERROR)
            break;
    }
    if (obuf_drain(&st.out) < 0) /* as epcap_fatal's save_what_is_held */
        die("fuzz_pcapfile: drain");
    shell_out = st.out;
    check_shell(&st, frames);
    pcap_close(st.pcap);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct epcap st;

    if (size < 2)
        return 0; /* no file at all: nothing for libpcap to read */
    if (ftruncate(in_fd, 0) < 0 ||
        pwrite(in_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
        die("fuzz_pcapfile: input");
    seen_len = 0;
    memset(&st, 0, sizeof(st));
    st.pcap_fd = -1;
    st.is_file = true;
    st.frames = true;
    st.opt.file = "fuzz.pcap";
    st.pcap = open_input(&st, PCAP_TSTAMP_PRECISION_NANO);
    if (st.pcap == NULL)
        return 0; /* not a capture file: the port's exit 66 */
    st.out = out;
    const char *filter =
        filters[data[0] % (sizeof(filters) / sizeof(filters[0]))];
    /* A filter that libpcap cannot compile for this link type is the
     * port's exit 66, not a finding. */
    if (filter != NULL && capture_set_filter(&st, filter) < 0) {
        pcap_close(st.pcap);
        return 0;
    }
    if (st.recheck_active)
        abort(); /* files are filtered by libpcap, never rechecked */
    read_file(&st);
    if (obuf_drain(&st.out) < 0)
        die("fuzz_pcapfile: drain");
    if (obuf_pending(&st.out) != 0)
        abort();
    out = st.out;
    if (check_output() != st.cnt.delivered || seen_len != st.cnt.delivered)
        abort();
    pcap_close(st.pcap);
    shell_pass(filter, seen_len);
    return 0;
}
