/*
 * fuzz_cmd.c: libFuzzer harness for the command stream on stdin.
 *
 * What the owner writes to the port's stdin is parsed by cmd_decode
 * (cmd.c) and carried out by control_handle (control.c). This harness
 * feeds the input through both, as loop.c's decode_commands does: frames
 * are decoded one after another until the stream is corrupt (the port
 * would exit 65), incomplete (it would wait), or a STOP ends it.
 *
 * The first byte of the input chooses the port's state; the rest is the
 * stdin stream. The state is one the port can be in after READY:
 *
 *   bit 0  the handle: a pcap_open_dead handle (the brief's choice:
 *          inject, stats and setfilter all fail on it, so every error
 *          reply runs) or a capture file opened from memory (setfilter
 *          succeeds, so the filter-change path runs to the end);
 *   bit 1  is_file: a capture file (stats invalid, no recheck) or live;
 *   bit 2  --inject given;
 *   bit 3  a selectable descriptor, as a live capture has: with bit 1
 *          clear this keeps the filter for the userland recheck, and the
 *          next FILTER frees it (capture.c);
 *   bit 4  --credit given (flow control), so CREDIT adds and saturates.
 *
 * Output goes to /dev/null through the port's own output buffer, sized as
 * main.c sizes it and drained after every input. Every frame the port would write is built in full.
 * Anything that would end the port (epcap_fatal's exit) is a finding:
 * libFuzzer reports "fuzz target exited".
 *
 * Invariants checked beyond the sanitizers: a decoded frame never claims
 * more than it was given, the credit stays within [0, EPCAP_CREDIT_MAX],
 * and the counters only move as the commands say.
 *
 * A second pass on a fresh state feeds the same stream through the port's
 * own input buffer (input_decode), in reads of what fits, as
 * input.c's input_read does. ASan's max_allocation_size_mb (below) makes
 * any allocation larger than the protocol's largest command a finding:
 * no byte sequence, in any state (after STOP included), may make the port
 * allocate more.
 *
 * Not part of the port: built only by `make fuzz` (c_src/Makefile).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cmd.h"
#include "control.h"
#include "epcap_proto.h"
#include "frame.h"
#include "input.h"
#include "state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* ASan's hook, so the name is the sanitizer's, not ours. */
const char *__asan_default_options(void); // NOLINT(bugprone-reserved-identifier)

/* The port's largest allocation is its output buffer (main.c's size,
 * made once in LLVMFuzzerInitialize); the input buffer holds at most one
 * command of EPCAP_CMD_MAX (4 MiB) and its length prefix, which the loop
 * below checks exactly. ASan refuses anything above 64 MiB (libFuzzer's
 * own buffers take 20): 4 GiB asked for by a hostile length is a finding
 * even on a machine that could have given it. */
#define ALLOC_LIMIT_MB 64
_Static_assert(EPCAP_OUT_CAP <=
                   (size_t)ALLOC_LIMIT_MB * 1024 * 1024,
               "the output buffer must fit under the fuzzer's limit");
_Static_assert(4 + (size_t)EPCAP_CMD_MAX <= (size_t)ALLOC_LIMIT_MB * 1024 * 1024,
               "a command must fit under the fuzzer's limit");
const char *__asan_default_options(void) // NOLINT(bugprone-reserved-identifier)
{
    return "max_allocation_size_mb=64:allocator_may_return_null=0";
}
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

enum {
    MODE_OFFLINE_HANDLE = 1 << 0,
    MODE_IS_FILE = 1 << 1,
    MODE_INJECT = 1 << 2,
    MODE_SELECTABLE = 1 << 3,
    MODE_CREDIT = 1 << 4,
};

/* A valid, empty, nanosecond pcap file: header only, little-endian. */
static const unsigned char empty_pcap[24] = {
    0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
};

static int devnull = -1;

/* Allocated once: main.c's size is 4 MiB and more, and a fresh one per
 * input would cost more than the input. Every input ends with the buffer
 * drained, which leaves it as obuf_init does. */
static struct obuf out;

static void die(const char *what)
{
    perror(what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0)
        die("fuzz_cmd: /dev/null");
    if (obuf_init(&out, devnull,
                  EPCAP_OUT_CAP) < 0)
        die("fuzz_cmd: obuf_init");
    return 0;
}

static pcap_t *open_handle(unsigned mode)
{
    if (!(mode & MODE_OFFLINE_HANDLE))
        return pcap_open_dead_with_tstamp_precision(
            DLT_EN10MB, EPCAP_SNAPLEN_MAX, PCAP_TSTAMP_PRECISION_NANO);
    /* fmemopen needs a writable buffer only for "w" modes; pcap_close
     * closes the FILE. */
    FILE *fp = fmemopen((void *)empty_pcap, sizeof(empty_pcap), "r");
    char errbuf[PCAP_ERRBUF_SIZE];
    if (fp == NULL)
        die("fuzz_cmd: fmemopen");
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fprintf(stderr, "fuzz_cmd: %s\n", errbuf);
        abort();
    }
    return p;
}

static void setup(struct epcap *st, unsigned mode)
{
    memset(st, 0, sizeof(*st));
    st->frames = true;
    st->stdin_open = true;
    st->pcap_fd = (mode & MODE_SELECTABLE) ? devnull : -1;
    st->is_file = (mode & MODE_IS_FILE) != 0;
    if (st->is_file)
        st->opt.file = "fuzz.pcap";
    else
        st->device = "any"; /* named in messages, as the port does */
    st->opt.inject = (mode & MODE_INJECT) != 0;
    st->opt.credit = (mode & MODE_CREDIT) ? 1 : -1;
    st->opt.cluster_id = -1;
    st->opt.datalink = -1;
    st->credit = st->opt.credit;
    st->pcap = open_handle(mode);
    st->out = out;
}

static void check(const struct epcap *st, const struct epcap_counters *before,
                  const struct epcap_cmd *cmd)
{
    if (st->credit < (st->opt.credit < 0 ? -1 : 0) ||
        st->credit > EPCAP_CREDIT_MAX)
        abort();
    if (st->cnt.filter_changes < before->filter_changes ||
        st->cnt.filter_changes > before->filter_changes + 1)
        abort();
    /* Only INJECT and INJECT_BATCH move the inject counters. */
    if (cmd->tag != EPCAP_CMD_INJECT && cmd->tag != EPCAP_CMD_INJECT_BATCH &&
        (st->cnt.injected != before->injected ||
         st->cnt.inject_failed != before->inject_failed))
        abort();
    if (st->recheck_active && (st->is_file || st->pcap_fd < 0))
        abort();
}

/* The port's input path: reads of what fits into st.in, each followed by
 * input_decode, until the stream is done, corrupt or used up. */
static void through_input_buffer(const unsigned char *data, size_t size)
{
    struct epcap st;
    size_t off = 1;
    const char *why = NULL;

    setup(&st, data[0]);
    st.in.cap = 64 * 1024;
    st.in.buf = malloc(st.in.cap);
    if (st.in.buf == NULL)
        die("fuzz_cmd: malloc");
    while (!st.done && off < size) {
        size_t n = st.in.cap - st.in.len;
        if (n > size - off)
            n = size - off;
        memcpy(st.in.buf + st.in.len, data + off, n);
        st.in.len += n;
        off += n;
        if (input_decode(&st, &why) < 0) {
            if (why == NULL)
                abort();
            break;
        }
        if (st.in.len > 4 + (size_t)EPCAP_CMD_MAX ||
            st.in.cap > 4 + (size_t)EPCAP_CMD_MAX)
            abort();
        if (obuf_pending(&st.out) >= EPCAP_OUT_HIGH && obuf_flush(&st.out) < 0)
            die("fuzz_cmd: flush");
    }
    if (obuf_drain(&st.out) < 0)
        die("fuzz_cmd: drain");
    out = st.out;
    free(st.in.buf);
    capture_recheck_done(&st);
    pcap_close(st.pcap);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct epcap st;
    size_t off = 1;

    if (size == 0)
        return 0;
    through_input_buffer(data, size);
    setup(&st, data[0]);
    while (!st.done) {
        struct epcap_cmd cmd;
        size_t used = 0;
        const char *why = NULL;
        enum cmd_status rc =
            cmd_decode(data + off, size - off, &cmd, &used, &why);
        if (rc == CMD_BAD) {
            if (why == NULL)
                abort(); /* the port would print a NULL reason */
            break;
        }
        if (rc == CMD_NEED_MORE)
            break;
        if (used < 4 + EPCAP_CMD_MIN || used > size - off ||
            cmd.body != data + off + 4 + EPCAP_CMD_MIN ||
            cmd.body_len != used - 4 - EPCAP_CMD_MIN)
            abort();
        struct epcap_counters before = st.cnt;
        control_handle(&st, &cmd);
        check(&st, &before, &cmd);
        off += used;
        /* The loop writes between wakeups; so do we, now and then. */
        if (obuf_pending(&st.out) >= EPCAP_OUT_HIGH && obuf_flush(&st.out) < 0)
            die("fuzz_cmd: flush");
    }
    if (obuf_drain(&st.out) < 0)
        die("fuzz_cmd: drain");
    if (obuf_pending(&st.out) != 0)
        abort();
    out = st.out;
    capture_recheck_done(&st);
    pcap_close(st.pcap);
    return 0;
}
