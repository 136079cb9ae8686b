/*
 * loop.c: the event loop, where the capture waits for work. (Waiting
 * for a slow reader happens in frame.c's obuf_drain, at the end and for
 * large records; for the owner to close stdin in report.c's linger, before
 * a fatal exit; for room on a full socket in control.c's inject batch,
 * 10 ms at a time.)
 *
 * One process, one ppoll over stdin (commands), stdout (only while
 * output is backed up) and each live interface's handle (one, or one per
 * -i: multi.c reads them in rounds merged by time; a file is always
 * readable). Stats, filter changes and injection all need
 * the live handle, and only one writer may touch stdout, so everything
 * happens here in turn. The adaptive default has two rings (fastlane.c):
 * the immediate one is polled while it is on and the block ring's copies
 * are read with it; otherwise the block ring is polled, and the loop
 * wakes every millisecond to look at the rate.
 *
 * Each wakeup takes every packet the kernel has ready (pcap_dispatch with
 * no count), appends them to one output buffer and writes it with as few
 * write(2) calls as the pipe takes: a busy capture moves in large batches
 * and an idle one is still delivered at once. When EPCAP_OUT_HIGH bytes are
 * waiting for a slow owner the loop stops reading packets, so the kernel
 * drops and counts them instead of this process growing.
 *
 * End of file on stdin means the owner is gone: the port exits at once.
 * A STOP command, SIGTERM or SIGINT flush what is held, with what the
 * kernel holds in blocks not yet retired (take_the_rest), and exit 0.
 *
 * Privileges: none; runs after the final drop, in the sandbox.
 *
 * Syscalls: ppoll, read (stdin), write (stdout), those of pcap_dispatch
 * (poll, recvfrom or the mmap ring), fcntl at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anyif.h"
#include "capture.h"
#include "cmd.h"
#include "control.h"
#include "dump.h"
#include "epcap_proto.h"
#include "epcap_time.h"
#include "fastlane.h"
#include "frame.h"
#include "input.h"
#include "loop.h"
#include "multi.h"
#include "ngfile.h"
#include "pcapout.h"
#include "report.h"
#include "signals.h"
#include "state.h"
#include "wire.h"

#define EPCAP_PIPE_SIZE (1024 * 1024)

static bool count_reached(const struct epcap *st)
{
    return st->opt.count > 0 && (long long)st->cnt.delivered >= st->opt.count;
}

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h,
                      const unsigned char *data)
{
    struct epcap *st = (struct epcap *)user;
    struct pcap_pkthdr fixed;

    if (st->is_file && !st->head.pcapng) {
        fixed = *h;
        epcap_ts_fix(&fixed, st->ts_up);
        h = &fixed;
    }
    if (st->recheck_active && pcap_offline_filter(&st->recheck, h, data) == 0)
        return; /* taken in under the old filter */
    if (st->fl != NULL && !fastlane_accept(st->fl, h, data))
        return; /* the other lane's copy of a packet already delivered */
    if (st->anyif != NULL)
        anyif_packet(st, h, data); /* which interface: st->cur_if */
    if (st->dump.fd >= 0)
        dump_packet(st, h, data);
    if (st->opt.dump_only || st->owner_gone)
        ;
    else if (st->output == OUTPUT_FRAMES && st->opt.interface_info)
        obuf_packet_if(&st->out, h, data, st->cur_if);
    else if (st->output == OUTPUT_FRAMES)
        obuf_packet(&st->out, h, data);
    else
        pcapout_packet(st, h, data);
    st->cnt.delivered++;
    st->cnt.delivered_bytes += h->caplen;
    if (st->cur_if < st->ifaces.n)
        st->ifaces.v[st->cur_if].delivered++;
    if (count_reached(st))
        st->done = true;
    if (st->done || obuf_pending(&st->out) >= EPCAP_OUT_HIGH ||
        (st->opt.credit >= 0 && --st->credit <= 0)) {
        if (st->ng != NULL)
            ngfile_break(st);
        else if (st->cur != NULL) /* NULL: several interfaces (multi.c) */
            pcap_breakloop(st->cur);
    }
}

static bool has_room(const struct epcap *st)
{
    return !st->done && obuf_pending(&st->out) < EPCAP_OUT_HIGH &&
           (st->opt.credit < 0 || st->credit > 0);
}

static void capture_some(struct epcap *st)
{
    int count = st->is_file ? EPCAP_FILE_CHUNK : -1;

    if (st->opt.credit >= 0 && st->is_file && st->credit < count)
        count = (int)st->credit;
    /* The adaptive default's immediate-mode lane first (fastlane.c): it
     * holds the newest packets at light load. */
    fastlane_read(st, on_packet, (unsigned char *)st);
    /* A file may be a FIFO or a device that blocks in read: SIGTERM and
     * SIGINT get in there too (signals.c), and end it as in ppoll. */
    if (st->is_file)
        signals_window_open(false);
    int n = !has_room(st)    ? PCAP_ERROR_BREAK
            : st->ng != NULL ? ngfile_dispatch(st, count, on_packet)
            : st->nlive > 1  ? multi_read(st, on_packet)
                             : pcap_dispatch(st->pcap, count, on_packet,
                                             (unsigned char *)st);
    if (st->is_file)
        signals_window_close();

    obuf_close_batch(&st->out);
    dump_flush(st);
    /* A dispatch that was not cut short has emptied the ring: whatever
     * comes next passed the kernel's current filter. */
    if (n >= 0 && st->recheck_active)
        capture_recheck_done(st);
    if (n == PCAP_ERROR && st->is_file && signals_terminated()) {
        st->done = true; /* the read was interrupted by the request */
        return;
    }
    if (n == PCAP_ERROR)
        epcap_fatal(st, EPCAP_EXIT_CAPTURE, EPCAP_E_CAPTURE, "%s: %s",
                    st->is_file ? st->opt.file : st->device,
                    capture_geterr(st));
    if (n == 0 && st->is_file && !st->eof_sent) {
        st->eof_sent = true;
        /* A shell stream just ends. The owner of a frame stream is told,
         * and may still ask for stats; it ends the port with STOP or by
         * closing stdin, so none of its commands meets a dead pipe. */
        if (st->output != OUTPUT_FRAMES) {
            st->done = true;
            return;
        }
        if (obuf_frame(&st->out, EPCAP_FRAME_EOF, NULL, 0, NULL, 0) < 0)
            epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                        strerror(errno));
        /* ... but not forever: an owner that sends nothing gets the end
         * after EPCAP_LINGER_SECONDS. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        now.tv_sec += EPCAP_LINGER_SECONDS;
        if (!st->has_deadline || now.tv_sec < st->deadline.tv_sec)
            st->deadline = now;
        st->has_deadline = true;
    }
}

/* Whether to read packets now; counts each transition to a pause. */
static bool may_capture(struct epcap *st)
{
    if (st->eof_sent)
        return false;
    bool no_credit = st->opt.credit >= 0 && st->credit <= 0;
    bool backed_up = obuf_pending(&st->out) >= EPCAP_OUT_HIGH;

    if (no_credit || backed_up) {
        if (!st->stalled) {
            if (no_credit)
                st->cnt.credit_stalls++;
            else
                st->cnt.output_stalls++;
        }
        st->stalled = true;
        return false;
    }
    st->stalled = false;
    return true;
}

static void flush_output(struct epcap *st)
{
    if (obuf_flush(&st->out) < 0) {
        if (errno == EPIPE)
            exit(EPCAP_EXIT_OK); /* the reader is gone, by its choice */
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                    strerror(errno));
    }
}

static void set_nonblocking(struct epcap *st, int fd, const char *name)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "%s: fcntl: %s", name,
                    strerror(errno));
}

static void loop_init(struct epcap *st)
{
    input_init(st);
    st->credit = st->opt.credit;
    /* Only the frame protocol has a command channel: a shell pipeline's
     * stdin (a terminal, /dev/null, closed) is left alone. */
    st->stdin_open = st->output == OUTPUT_FRAMES;
    if (st->stdin_open)
        set_nonblocking(st, STDIN_FILENO, "stdin");
    set_nonblocking(st, STDOUT_FILENO, "stdout");
    if (st->opt.duration > 0) {
        clock_gettime(CLOCK_MONOTONIC, &st->deadline);
        st->deadline.tv_sec += st->opt.duration;
        st->has_deadline = true;
    }
}

/* Time left before --duration ends the capture; NULL when none. */
static const struct timespec *time_left(struct epcap *st, struct timespec *left)
{
    if (!st->has_deadline)
        return NULL;
    if (!epcap_time_left(&st->deadline, left))
        st->done = true;
    return left;
}

/*
 * Called before the sandbox closes (it needs an fcntl the sandbox does
 * not allow). A 64 KiB pipe wakes the reader for every quarter of a
 * batch; a larger one (up to the unprivileged limit, 1 MiB by default)
 * lets a busy capture move whole batches per wakeup. Not a pipe, or not
 * allowed: keep what there is.
 */
void loop_tune_output(void)
{
#ifdef F_SETPIPE_SZ
    (void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, EPCAP_PIPE_SIZE);
#endif
}

/* The sooner of wait and ns nanoseconds from now (ns < 0: none). The
 * adaptive default looks at the rate every millisecond while its
 * immediate-mode lane is off (fastlane.c); several interfaces wake when
 * the next held packet is due (multi.c). */
static const struct timespec *sooner(const struct timespec *wait, long long ns,
                                     struct timespec *left)
{
    if (ns < 0 || (wait != NULL &&
                   (long long)wait->tv_sec * 1000000000LL + wait->tv_nsec < ns))
        return wait;
    left->tv_sec = (time_t)(ns / 1000000000LL);
    left->tv_nsec = (long)(ns % 1000000000LL);
    return left;
}

/* A block ring (TPACKET_V3: -t N, the adaptive default's lane B, each
 * of several interfaces) hands a packet over only when its block retires,
 * full or at the block timeout, so one the kernel took just before the end
 * can still sit in an open block. The last read therefore goes on until
 * the blocks open at the end have retired: the block timeout plus the
 * timer's granularity (multi_hold_ns), reading as they come. With no
 * timeout (-t infinity) a block retires only when full, which no wait
 * covers; immediate mode has no blocks: both end at once.
 * Privileges: none; in the sandbox (ppoll, clock_gettime). */
static void read_open_blocks(struct epcap *st)
{
    enum epcap_timeout_mode m = st->opt.timeout_mode;
    struct timespec end, left;

    if (m != TIMEOUT_MS && m != TIMEOUT_ADAPTIVE)
        return;
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long ns = end.tv_nsec + multi_hold_ns(st);
    end.tv_sec += (time_t)(ns / 1000000000LL);
    end.tv_nsec = (long)(ns % 1000000000LL);
    while (!count_reached(st) && epcap_time_left(&end, &left)) {
        struct pollfd fds[EPCAP_LIVE_IFACES_MAX];
        for (uint32_t i = 0; i < st->nlive; i++)
            fds[i] = (struct pollfd){.fd = st->live[i].fd, .events = POLLIN};
        if (ppoll(fds, st->nlive, &left, NULL) < 0 && errno != EINTR)
            return; /* what was read so far still goes out */
        st->done = false;
        capture_some(st);
        flush_output(st); /* room for the next read */
    }
}

/* The end was asked for (STOP, SIGTERM, SIGINT, the owner gone): what
 * the kernel has already captured is taken too, whatever the credit,
 * including the packets in blocks not yet retired (read_open_blocks). A
 * count or the end of a file needs nothing more.
 * Privileges: none; in the sandbox. */
static void take_the_rest(struct epcap *st)
{
    if (st->is_file || count_reached(st))
        return;
    st->credit = EPCAP_CREDIT_MAX;
    st->done = false; /* has_room's "no more": this read is the last */
    capture_some(st);
    read_open_blocks(st);
    st->done = true;
}

/* The owner closed stdin: no one reads stdout any more, but dump files
 * are the caller's own and end as at STOP: what the kernel has already
 * captured, the packets several interfaces' merge holds, and the dump's
 * buffer (its header, when no packet came) go into them. */
static void owner_gone(struct epcap *st)
{
    if (st->dump.fd < 0)
        return;
    st->owner_gone = true; /* nothing more for stdout */
    take_the_rest(st);
    multi_flush(st, on_packet);
    dump_flush(st);
}

int loop_run(struct epcap *st)
{
    loop_init(st);
    st->cur = st->pcap;
    bool commands = st->stdin_open;

    while (!st->done && !signals_terminated()) {
        struct pollfd fds[2 + EPCAP_LIVE_IFACES_MAX];
        nfds_t n = 0, live = 0;
        bool capture = may_capture(st);
        bool file_ready = st->is_file && capture;
        const struct timespec zero = {0, 0};
        struct timespec left, held;
        /* Held packets wait for a read too: not while it is paused. */
        const struct timespec *wait = sooner(
            sooner(time_left(st, &left), fastlane_wait_ns(st->fl), &left),
            capture ? multi_wait_ns(st) : -1, &held);

        if (commands)
            fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        if (obuf_pending(&st->out) > 0)
            fds[n++] = (struct pollfd){.fd = STDOUT_FILENO, .events = POLLOUT};
        live = n;
        /* The adaptive default's immediate ring, while it is on, sees
         * every packet first; the block ring's copies are read with it. */
        if (capture && fastlane_reads_a(st->fl))
            fds[n++] =
                (struct pollfd){.fd = fastlane_fd(st->fl), .events = POLLIN};
        else
            for (uint32_t i = 0; capture && i < st->nlive; i++)
                fds[n++] =
                    (struct pollfd){.fd = st->live[i].fd, .events = POLLIN};
        if (ppoll(fds, n, file_ready ? &zero : wait, signals_poll_mask()) < 0) {
            if (errno == EINTR)
                continue;
            epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "ppoll: %s",
                        strerror(errno));
        }
        if (commands && fds[0].revents != 0) {
            input_read(st);
            if (!st->stdin_open) {
                owner_gone(st);
                return EPCAP_EXIT_OK;
            }
        }
        if (st->done)
            break;
        bool ready = file_ready || (capture && multi_wait_ns(st) == 0);
        for (nfds_t i = live; i < n; i++)
            ready = ready || fds[i].revents != 0;
        if (ready)
            capture_some(st);
        fastlane_tick(st, capture);
        flush_output(st);
    }
    /* The owner asked for the end and gets everything up to it. */
    if (signals_terminated() || st->stopping)
        take_the_rest(st);
    multi_flush(st, on_packet); /* what several interfaces' merge holds */
    obuf_close_batch(&st->out);
    pcapout_finish(st);
    dump_flush(st);
    if (obuf_drain(&st->out) < 0 && errno == ETIMEDOUT)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM,
                    "stdout: the reader took nothing for %d s after the end "
                    "was asked; %zu bytes not written",
                    EPCAP_LINGER_SECONDS, obuf_pending(&st->out));
    if (obuf_pending(&st->out) > 0 && errno != EPIPE)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_SYSTEM, "stdout: %s",
                    strerror(errno));
    if (st->output != OUTPUT_FRAMES)
        pcapout_summary(st);
    epcap_log(st, 1, "exiting");
    return EPCAP_EXIT_OK;
}
