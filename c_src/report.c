/*
 * report.c: how the port tells its owner and the user what happened.
 *
 * Every fatal path ends here. When stdout carries frames (the port runs
 * under Erlang) the message is an ERROR frame, so the Erlang side can
 * return {error, {Code, Message}} or log it with logger; otherwise, or
 * when the frame cannot be written, it goes to stderr as
 * "epcap: what: why". Warnings and -v logging follow the same rule
 * (WARNING frames; logging with the code EPCAP_E_LOG): nothing of ours
 * reaches the Erlang VM's console. Pending
 * output (packets already captured) is written out before the error, so
 * nothing captured is lost. The exit code is one of EPCAP_EXITS, never an
 * errno.
 *
 * Privileges: whatever the port holds when it reports: from a usage
 * error before the drop to a failure in the loop, in the sandbox; it
 * needs none.
 *
 * Syscalls: write (stderr and stdout), poll (draining stdout).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "epcap_time.h"
#include "frame.h"
#include "report.h"
#include "state.h"
#include "wire.h"

#define MSG_MAX 1024

static int warning_frame(struct epcap *st, int err_code, const char *msg);

/*
 * Wait, bounded, for the owner to close stdin before exiting. The owner
 * may be writing a command at this moment; if this process were gone, the
 * write would fail with EPIPE and the Erlang VM would close the port and
 * discard what it had not read yet: the very frame that says why. Reads
 * and drops whatever arrives. Syscalls: ppoll, read.
 */
static void linger(void)
{
    unsigned char buf[4096];
    struct timespec until, left;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += EPCAP_LINGER_SECONDS;
    while (epcap_time_left(&until, &left)) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int rc = ppoll(&pfd, 1, &left, NULL);
        if (rc <= 0 && !(rc < 0 && errno == EINTR))
            return; /* timed out, or poll failed: go anyway */
        if (rc > 0) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return; /* the owner closed its end */
        }
    }
}

/*
 * Before a fatal exit, write out what was captured: the header and every
 * packet a shell stream (-w) holds, and the current dump file's buffer,
 * as tcpdump writes every good packet of a damaged file before its
 * error. obuf_drain waits for the reader, but once SIGTERM or SIGINT
 * asks for the end only EPCAP_LINGER_SECONDS more. Errors here are
 * ignored: the exit that follows reports the first one. Runs once, even
 * if writing fails and calls back here.
 */
static void save_what_is_held(struct epcap *st)
{
    if (st->exiting)
        return;
    st->exiting = true;
    if (st->dump.fd >= 0 && st->dump.out.buf != NULL)
        (void)obuf_drain(&st->dump.out);
    if (st->output != OUTPUT_FRAMES && st->out.buf != NULL)
        (void)obuf_drain(&st->out);
}

void epcap_fatal(struct epcap *st, int exit_code, int err_code, const char *fmt,
                 ...)
{
    char msg[MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    save_what_is_held(st);
    if (st->frames && st->out.buf != NULL &&
        epcap_error_frame(st, err_code, true, msg) == 0 &&
        obuf_drain(&st->out) == 0) {
        if (st->ready_sent)
            linger();
    } else {
        fprintf(stderr, "epcap: %s\n", msg);
    }
    exit(exit_code);
}

int epcap_error_frame(struct epcap *st, int err_code, bool fatal,
                      const char *msg)
{
    unsigned char hdr[3];

    wire_put16(hdr, (uint16_t)err_code);
    hdr[2] = fatal ? 1 : 0;
    return obuf_frame(&st->out, EPCAP_FRAME_ERROR, hdr, sizeof(hdr), msg,
                      strlen(msg));
}

void epcap_warn(struct epcap *st, int err_code, const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (warning_frame(st, err_code, msg) < 0)
        fprintf(stderr, "epcap: warning: %s\n", msg);
}

/* A WARNING frame queued for the owner; -1 when stdout carries none. */
static int warning_frame(struct epcap *st, int err_code, const char *msg)
{
    unsigned char hdr[2];

    if (!st->frames || st->out.buf == NULL)
        return -1;
    wire_put16(hdr, (uint16_t)err_code);
    return obuf_frame(&st->out, EPCAP_FRAME_WARNING, hdr, sizeof(hdr), msg,
                      strlen(msg));
}

void epcap_log(struct epcap *st, int level, const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;

    if (st->opt.verbose < level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (warning_frame(st, EPCAP_E_LOG, msg) < 0)
        fprintf(stderr, "epcap: %s\n", msg);
}

void epcap_send_ready(struct epcap *st)
{
    unsigned char hdr[22];
    const char *name = st->is_file ? st->opt.file : st->device;
    int prec = pcap_get_tstamp_precision(st->pcap);
    uint8_t flags = (st->ran_as.chroot ? EPCAP_READY_CHROOT : 0) |
                    (st->opt.inject ? EPCAP_READY_INJECT : 0);

    wire_put16(hdr, EPCAP_PROTOCOL_VERSION);
    wire_put32(hdr + 2, (uint32_t)pcap_datalink(st->pcap));
    wire_put32(hdr + 6, (uint32_t)pcap_snapshot(st->pcap));
    hdr[10] = prec == PCAP_TSTAMP_PRECISION_NANO ? 9 : 6;
    hdr[11] = st->is_file ? EPCAP_SOURCE_FILE : EPCAP_SOURCE_LIVE;
    hdr[12] = (uint8_t)st->caller.mode;
    wire_put32(hdr + 13, (uint32_t)st->ran_as.uid);
    wire_put32(hdr + 17, (uint32_t)st->ran_as.gid);
    hdr[21] = flags;
    if (obuf_frame(&st->out, EPCAP_FRAME_READY, hdr, sizeof(hdr), name,
                   strlen(name)) < 0 ||
        obuf_drain(&st->out) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM,
                    "stdout: writing the ready frame: %s", strerror(errno));
    st->ready_sent = true;
    for (uint32_t i = 0; st->opt.interface_info && i < st->ifaces.n; i++)
        if (iface_frame(st, i) < 0)
            epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM,
                        "stdout: writing an interface frame: %s",
                        strerror(errno));
}

void epcap_reply(struct epcap *st, uint32_t id, uint16_t code, const void *body,
                 size_t len)
{
    unsigned char hdr[6];

    wire_put32(hdr, id);
    wire_put16(hdr + 4, code);
    if (obuf_frame(&st->out, EPCAP_FRAME_REPLY, hdr, sizeof(hdr), body, len) <
        0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM,
                    "stdout: writing a reply: %s", strerror(errno));
}
