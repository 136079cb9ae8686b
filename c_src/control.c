/*
 * control.c: carrying out the commands that arrive on stdin.
 *
 * Runs inside the event loop, after privileges are dropped and the
 * sandbox is in place: everything here works on the handle that is
 * already open (pcap_inject, pcap_setfilter, pcap_stats) and allocates
 * only what a filter compilation needs. A failed command is answered
 * with a REPLY carrying the error code and libpcap's message; it never
 * ends the port. Only a malformed stream does (see cmd.c).
 *
 * Syscalls: sendto and sendmmsg on the packet socket (inject), setsockopt
 * (filter), getsockopt (stats), write (stdout).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "capture.h"
#include "control.h"
#include "epcap_proto.h"
#include "platform.h"
#include "frame.h"
#include "multi.h"
#include "report.h"
#include "signals.h"
#include "state.h"
#include "wire.h"

static void reply_error(struct epcap *st, uint32_t id, int code,
                        const char *msg)
{
    epcap_reply(st, id, (uint16_t)code, msg, strlen(msg));
}

/* One packet out; 0 or -1 with libpcap's reason in the handle. */
static int inject_one(struct epcap *st, const unsigned char *p, size_t len)
{
    if (pcap_inject(st->pcap, p, len) < 0) {
        st->cnt.inject_failed++;
        return -1;
    }
    st->cnt.injected++;
    return 0;
}

static void cmd_inject(struct epcap *st, const struct epcap_cmd *cmd)
{
    if (!st->opt.inject) {
        reply_error(st, cmd->id, EPCAP_E_INJECT_DISABLED,
                    "the port was started without inject");
        return;
    }
    if (inject_one(st, cmd->body, cmd->body_len) < 0)
        reply_error(st, cmd->id, EPCAP_E_INJECT_FAILED, pcap_geterr(st->pcap));
}

#if EPCAP_LINUX
/*
 * A batch leaves with sendmmsg(2), up to INJECT_VECTOR packets per call,
 * on the capture's own packet socket (bound to its interface, so the
 * kernel never shows our own packets back to us): one system call per
 * few hundred packets instead of one each. sendmmsg stops at the first
 * packet it cannot send; that one is counted as failed, with the reason,
 * and the batch goes on after it. Layout already checked by the caller.
 */
#define INJECT_VECTOR 256

static void inject_many(struct epcap *st, const unsigned char *p, size_t len,
                        uint32_t *sent, uint32_t *failed, char *why,
                        size_t *whylen, size_t whymax)
{
    struct mmsghdr msgs[INJECT_VECTOR];
    struct iovec iov[INJECT_VECTOR];
    size_t off = 0;
    unsigned retries = 0;

    memset(msgs, 0, sizeof(msgs));
    while (off < len) {
        unsigned n = 0;
        size_t end = off;
        while (n < INJECT_VECTOR && end < len) {
            iov[n].iov_base = (void *)(p + end + 4);
            iov[n].iov_len = wire_get32(p + end);
            msgs[n].msg_hdr.msg_iov = &iov[n];
            msgs[n].msg_hdr.msg_iovlen = 1;
            end += 4 + iov[n].iov_len;
            n++;
        }
        int r = sendmmsg(st->pcap_fd, msgs, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == ENOBUFS) && retries++ < 100) {
            /* The socket's send buffer is full (the socket is
             * non-blocking for the capture): wait for room, briefly. */
            struct pollfd pfd = {.fd = st->pcap_fd, .events = POLLOUT};
            (void)poll(&pfd, 1, 10);
            continue;
        }
        retries = 0;
        unsigned ok = r > 0 ? (unsigned)r : 0;
        for (unsigned i = 0; i < ok; i++)
            off += 4 + iov[i].iov_len;
        *sent += ok;
        st->cnt.injected += ok;
        if (r < 0) {
            /* The first packet of this call failed: skip it. */
            if ((*failed)++ == 0)
                *whylen =
                    (size_t)snprintf(why, whymax, "send: %s", strerror(errno));
            if (*whylen >= whymax)
                *whylen = whymax - 1;
            st->cnt.inject_failed++;
            off += 4 + iov[0].iov_len;
        }
    }
}
#endif

static void cmd_inject_batch(struct epcap *st, const struct epcap_cmd *cmd)
{
    unsigned char body[8 + PCAP_ERRBUF_SIZE];
    uint32_t sent = 0, failed = 0;
    size_t msglen = 0;
    size_t off = 0;

    if (!st->opt.inject) {
        reply_error(st, cmd->id, EPCAP_E_INJECT_DISABLED,
                    "the port was started without inject");
        return;
    }
    /* Check the whole layout first: a malformed batch sends nothing. */
    while (off + 4 <= cmd->body_len &&
           wire_get32(cmd->body + off) <= cmd->body_len - off - 4)
        off += 4 + wire_get32(cmd->body + off);
    if (off != cmd->body_len) {
        reply_error(st, cmd->id, EPCAP_E_BAD_COMMAND,
                    "inject batch: a packet length runs past the frame");
        return;
    }
    if (EPCAP_LINUX && st->pcap_fd >= 0) {
#if EPCAP_LINUX
        inject_many(st, cmd->body, cmd->body_len, &sent, &failed,
                    (char *)body + 8, &msglen, PCAP_ERRBUF_SIZE);
#endif
    } else {
        /* A capture file: libpcap refuses, and says why. The portable
         * path (platform.h) sends each packet with pcap_inject. */
        for (off = 0; off < cmd->body_len;
             off += 4 + wire_get32(cmd->body + off)) {
            if (inject_one(st, cmd->body + off + 4,
                           wire_get32(cmd->body + off)) == 0) {
                sent++;
            } else if (failed++ == 0) {
                const char *why = pcap_geterr(st->pcap);
                msglen = strnlen(why, PCAP_ERRBUF_SIZE);
                memcpy(body + 8, why, msglen);
            }
        }
    }
    wire_put32(body, sent);
    wire_put32(body + 4, failed);
    epcap_reply(st, cmd->id, failed == 0 ? EPCAP_E_OK : EPCAP_E_INJECT_FAILED,
                body, 8 + msglen);
}

static void cmd_filter(struct epcap *st, const struct epcap_cmd *cmd)
{
    char expr[EPCAP_FILTER_MAX + 1];

    if (cmd->body_len > EPCAP_FILTER_MAX ||
        memchr(cmd->body, '\0', cmd->body_len) != NULL) {
        reply_error(st, cmd->id, EPCAP_E_BAD_FILTER,
                    "filter too long or contains NUL");
        return;
    }
    memcpy(expr, cmd->body, cmd->body_len);
    expr[cmd->body_len] = '\0';
    /* Packets already taken under the old filter go out first, all of
     * them now: compiling may take long (libpcap's optimizer grows much
     * faster than the expression; RLIMIT_AS bounds its memory), and
     * SIGTERM or SIGINT meanwhile end the port at once. */
    obuf_close_batch(&st->out);
    if (obuf_drain(&st->out) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                    strerror(errno));
    signals_window_open(true);
    int rc = capture_set_filter(st, expr);
    signals_window_close();
    if (rc < 0) {
        reply_error(st, cmd->id, EPCAP_E_BAD_FILTER, capture_geterr(st));
        return;
    }
    st->cnt.filter_changes++;
    epcap_reply(st, cmd->id, EPCAP_E_OK, NULL, 0);
}

static void cmd_stats(struct epcap *st, const struct epcap_cmd *cmd)
{
    unsigned char body[1 + 8 * EPCAP_STATS_COUNTERS];
    struct pcap_stat ps;
    const struct epcap_counters *c = &st->cnt;
    bool valid = live_stats_sum(st, &ps); /* every interface's */

    const uint64_t v[EPCAP_STATS_COUNTERS] = {
        ps.ps_recv,        ps.ps_drop,         ps.ps_ifdrop,
        c->delivered,      c->delivered_bytes, c->injected,
        c->inject_failed,  c->credit_stalls,   c->output_stalls,
        c->filter_changes,
    };
    body[0] = valid ? 1 : 0;
    for (int i = 0; i < EPCAP_STATS_COUNTERS; i++)
        wire_put64(body + 1 + 8 * i, v[i]);
    epcap_reply(st, cmd->id, EPCAP_E_OK, body, sizeof(body));
}

/* One record per interface (epcap_proto.h, IFSTATS); a pcapng file may
 * name thousands, so the body is allocated (2.4 MiB at the reader's
 * 65536-interface bound, within the output buffer once drained). */
static void cmd_ifstats(struct epcap *st, const struct epcap_cmd *cmd)
{
    size_t len = (size_t)st->ifaces.n * EPCAP_IFSTATS_RECORD;
    unsigned char *body = malloc(len > 0 ? len : 1);

    if (body == NULL) {
        reply_error(st, cmd->id, EPCAP_E_SYSTEM, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < st->ifaces.n; i++) {
        struct pcap_stat ps;
        unsigned char *p = body + (size_t)i * EPCAP_IFSTATS_RECORD;
        bool valid = live_stats(st, i, &ps);
        p = wire_put32(p, i);
        *p++ = valid ? 1 : 0;
        p = wire_put64(p, ps.ps_recv);
        p = wire_put64(p, ps.ps_drop);
        p = wire_put64(p, ps.ps_ifdrop);
        (void)wire_put64(p, st->ifaces.v[i].delivered);
    }
    epcap_reply(st, cmd->id, EPCAP_E_OK, body, len);
    free(body);
}

static void cmd_credit(struct epcap *st, const struct epcap_cmd *cmd)
{
    if (cmd->body_len != 4) {
        reply_error(st, cmd->id, EPCAP_E_BAD_COMMAND,
                    "credit: body must be a u32");
        return;
    }
    st->credit += wire_get32(cmd->body);
    if (st->credit > EPCAP_CREDIT_MAX)
        st->credit = EPCAP_CREDIT_MAX;
}

void control_handle(struct epcap *st, const struct epcap_cmd *cmd)
{
    switch (cmd->tag) {
    case EPCAP_CMD_STOP:
        epcap_log(st, 1, "stop requested");
        st->done = true;
        st->stopping = true;
        break;
    case EPCAP_CMD_INJECT: cmd_inject(st, cmd); break;
    case EPCAP_CMD_INJECT_BATCH: cmd_inject_batch(st, cmd); break;
    case EPCAP_CMD_FILTER: cmd_filter(st, cmd); break;
    case EPCAP_CMD_STATS: cmd_stats(st, cmd); break;
    case EPCAP_CMD_CREDIT: cmd_credit(st, cmd); break;
    case EPCAP_CMD_IFSTATS: cmd_ifstats(st, cmd); break;
    default:
        epcap_log(st, 1, "unknown command %u", cmd->tag);
        reply_error(st, cmd->id, EPCAP_E_UNKNOWN_COMMAND, "unknown command");
        break;
    }
}
