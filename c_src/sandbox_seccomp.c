/*
 * sandbox_seccomp.c: the Linux sandbox, a libseccomp allow-list
 * (RESTRICT_PROCESS=seccomp, the default on Linux).
 *
 * Runs once, last in startup: after privs_drop() has changed the user,
 * dropped every capability and set no_new_privs (which lets an
 * unprivileged process load a filter). From here on the port may only
 * read commands, write frames, read packets from the socket (or file) it
 * already holds, manage its memory and exit. It cannot open a file, make
 * a socket or a process, run a program, or map executable memory.
 *
 * The list was taken from strace -f of real runs: live capture on a veth
 * and on lo (TPACKET_V2 and V3), a capture file, pcap_stats, pcap_setfilter,
 * pcap_inject and exit; the comments say which of them needs what.
 * Arguments are pinned where it is cheap: the packet socket's descriptor,
 * socket option levels and names, fcntl commands, no PROT_EXEC.
 *
 * Anything else traps (SCMP_ACT_TRAP): the kernel skips the call and sends
 * SIGSYS; the handler below names the call on stderr, also in an ERROR
 * frame for the owner, and exits with SANDBOX_EXIT_VIOLATION. A call from
 * a foreign ABI (i386 int 0x80, or x32 on x86_64) traps the same way. The
 * handler cannot be replaced (rt_sigaction is not allowed) and a blocked
 * SIGSYS is delivered by force, so trapping is as final as killing; it
 * only adds the report.
 *
 * Paths are closed with Landlock as well, where the kernel has it: the
 * only path access left is making new files in the directory of a
 * rotating dump (see restrict_paths).
 *
 * Syscalls made here: rt_sigaction, landlock_*, prctl and seccomp.
 */
#include "platform.h"
#if !EPCAP_LINUX
#error \
    "sandbox_seccomp.c is Linux's (platform.h): build with RESTRICT_PROCESS=rlimit"
#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/if_packet.h>
#include <linux/landlock.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump.h"
#include "epcap_proto.h"
#include "fastlane.h"
#include "frame.h"
#include "ngfile.h"
#include "report.h"
#include "sandbox.h"
#include "state.h"

/* Landlock rights newer than the oldest headers we build with. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/* Syscall numbers named in a report; the native tables stop below 500. */
#define NAMES_MAX 1024

/* Longest report: the prefix, a name or number, the arch in hex. */
#define REPORT_MAX 160

/* How long the handler waits for a slow owner to take the last frames. */
#define REPORT_WAIT_MS 1000

/*
 * What the SIGSYS handler needs. A signal handler gets no user data, so
 * this is the one static pointer in the program: set once, before the
 * handler is installed and the filter loaded, and only read afterwards.
 * The names are resolved up front because the handler may not allocate.
 */
struct trap_report {
    struct epcap *st;
    uint32_t arch;
    char *names[NAMES_MAX];
};

static const struct trap_report *trap;

const char *sandbox_name(void)
{
    return "seccomp";
}

/* ---- the report: async-signal-safe from here to on_sigsys ---- */

static size_t put_str(char *buf, size_t at, const char *s)
{
    while (*s != '\0' && at < REPORT_MAX - 1)
        buf[at++] = *s++;
    return at;
}

static size_t put_num(char *buf, size_t at, unsigned long v, unsigned base)
{
    char digits[24];
    size_t n = 0;

    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while (n > 0 && at < REPORT_MAX - 1)
        buf[at++] = digits[--n];
    return at;
}

/* The call's name, or its number when it has no native name (a foreign
 * ABI, x32): all the ERROR frame says (code sandbox_violation). */
static size_t format_name(char *buf, size_t at, int nr, uint32_t arch)
{
    const char *name = arch == trap->arch && nr >= 0 && nr < NAMES_MAX
                           ? trap->names[nr]
                           : NULL;

    at = name != NULL ? put_str(buf, at, name)
                      : put_num(buf, at, (unsigned long)(unsigned)nr, 10);
    buf[at] = '\0';
    return at;
}

/* "sandbox violation: NAME (syscall NR, arch 0xARCH)", for stderr. */
static size_t format_report(char *buf, int nr, uint32_t arch)
{
    bool native = arch == trap->arch;
    size_t at = put_str(buf, 0, SANDBOX_VIOLATION_PREFIX);

    at = format_name(buf, at, nr, arch);
    at = put_str(buf, at, " (syscall ");
    at = put_num(buf, at, (unsigned long)(unsigned)nr, 10);
    at = put_str(buf, at, ", arch 0x");
    at = put_num(buf, at, arch, 16);
    at = put_str(buf, at, native ? ")" : ", not the native ABI)");
    buf[at] = '\0';
    return at;
}

/* Write all of [p, p+n) to a non-blocking descriptor, waiting a bounded
 * time for room: a handler must not hang on an owner that stopped reading. */
static int write_bounded(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, REPORT_WAIT_MS) <= 0)
            return -1;
    }
    return 0;
}

/*
 * Tell the owner too: finish the frames already queued (a partly written
 * frame must be completed before another can start), then one ERROR frame.
 * Captured packets still queued are delivered on the way.
 */
static void report_frame(struct obuf *ob, const char *msg, size_t len)
{
    unsigned char frame[EPCAP_FRAME_HEADER + 3 + REPORT_MAX];
    uint32_t flen = (uint32_t)(1 + 3 + len);

    obuf_close_batch(ob);
    if (write_bounded(ob->fd, ob->buf + ob->start, ob->end - ob->start) < 0)
        return;
    frame[0] = (unsigned char)(flen >> 24);
    frame[1] = (unsigned char)(flen >> 16);
    frame[2] = (unsigned char)(flen >> 8);
    frame[3] = (unsigned char)flen;
    frame[4] = EPCAP_FRAME_ERROR;
    frame[5] = 0;
    frame[6] = EPCAP_E_SANDBOX_VIOLATION;
    frame[7] = 1; /* fatal */
    memcpy(frame + 8, msg, len);
    (void)write_bounded(ob->fd, frame, 8 + len);
}

/* SYS_SECCOMP (asm-generic/siginfo.h): the kernel's own code for a
 * filter's trap. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
    char msg[REPORT_MAX];

    (void)sig;
    (void)uctx;
    /* Only the kernel's seccomp trap counts: a SIGSYS queued by another
     * process of the same user (si_code SI_QUEUE, SI_USER, ...) is not a
     * violation and must not end the capture as one. */
    if (si->si_code != SYS_SECCOMP)
        return;
    size_t len = format_report(msg, si->si_syscall, si->si_arch);
    (void)!write(STDERR_FILENO, "epcap: ", 7);
    (void)!write(STDERR_FILENO, msg, len);
    (void)!write(STDERR_FILENO, "\n", 1);
    if (trap->st->frames && trap->st->out.buf != NULL) {
        char name[REPORT_MAX];
        size_t n = format_name(name, 0, si->si_syscall, si->si_arch);
        report_frame(&trap->st->out, name, n);
    }
    _exit(SANDBOX_EXIT_VIOLATION);
}

/* ---- building the filter ---- */

/* Every rule is checked: a rule that silently failed to load would be a
 * hole (or a false kill) that no test names. */
static void rule(struct epcap *st, scmp_filter_ctx ctx, uint32_t action, int nr,
                 unsigned argc, const struct scmp_arg_cmp *args)
{
    int rc = seccomp_rule_add_array(ctx, action, nr, argc, args);

    if (rc < 0) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "seccomp_rule_add(%s): %s", name ? name : "?",
                    strerror(-rc));
    }
}

#define ALLOW(nr, ...)                                             \
    do {                                                           \
        const struct scmp_arg_cmp args_[] = {__VA_ARGS__};         \
        rule(st, ctx, SCMP_ACT_ALLOW, (nr),                        \
             (unsigned)(sizeof(args_) / sizeof(args_[0])), args_); \
    } while (0)

#define ALLOW_ANY(nr) rule(st, ctx, SCMP_ACT_ALLOW, (nr), 0, NULL)

/* Commands in, frames out, and the waits between them (loop.c, frame.c,
 * report.c, and libpcap's poll in pcap_dispatch). */
static void allow_io(struct epcap *st, scmp_filter_ctx ctx)
{
    /* stdin, a capture file, the packet socket. */
    ALLOW_ANY(SCMP_SYS(read));
    /* stdout and stderr only: a write to the packet socket would inject
     * a packet (injection is sendto, below, and only if asked). Named
     * descriptors, not "anything but the socket": the kernel reads fd as
     * 32 bits, so a "not equal" test on the 64-bit register is passed by
     * the socket's number with a high bit set. */
    ALLOW(SCMP_SYS(write), SCMP_A0_32(SCMP_CMP_EQ, STDOUT_FILENO));
    ALLOW(SCMP_SYS(write), SCMP_A0_32(SCMP_CMP_EQ, STDERR_FILENO));
    /* glibc's fatal messages (fortify, malloc checks) before abort(). */
    ALLOW(SCMP_SYS(writev), SCMP_A0_32(SCMP_CMP_EQ, STDERR_FILENO));
    ALLOW_ANY(SCMP_SYS(ppoll));
#ifdef __NR_poll
    ALLOW_ANY(SCMP_SYS(poll));
#endif
    /* O_NONBLOCK on stdin and stdout (loop.c), and libpcap's toggling
     * of it around the socket drain in pcap_setfilter. */
    ALLOW(SCMP_SYS(fcntl), SCMP_A1_32(SCMP_CMP_EQ, F_GETFL));
    ALLOW(SCMP_SYS(fcntl), SCMP_A1_32(SCMP_CMP_EQ, F_SETFL));
    /* pcap_close at exit. */
    ALLOW_ANY(SCMP_SYS(close));
    /* exit() hands back what stdio read ahead of a capture file: glibc
     * seeks its descriptor back by the unread amount. */
    FILE *file = !st->is_file     ? NULL
                 : st->ng != NULL ? ngfile_stream(st)
                                  : pcap_file(st->pcap);
    if (file != NULL)
        ALLOW(SCMP_SYS(lseek), SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)fileno(file)));
}

/* The packet socket: statistics, filter changes, injection, teardown.
 * A capture file has no socket and gets none of these. */
static void allow_socket(struct epcap *st, scmp_filter_ctx ctx, int sock,
                         bool inject)
{
    uint32_t fd = (uint32_t)sock;

    /* pcap_stats. */
    ALLOW(SCMP_SYS(getsockopt), SCMP_A0_32(SCMP_CMP_EQ, fd),
          SCMP_A1_32(SCMP_CMP_EQ, SOL_PACKET),
          SCMP_A2_32(SCMP_CMP_EQ, PACKET_STATISTICS));
    /* pcap_dispatch reads the pending socket error when poll reports
     * POLLERR (an interface that went down or vanished; also seen while
     * injecting at full speed on a veth), to say what happened. */
    ALLOW(SCMP_SYS(getsockopt), SCMP_A0_32(SCMP_CMP_EQ, fd),
          SCMP_A1_32(SCMP_CMP_EQ, SOL_SOCKET),
          SCMP_A2_32(SCMP_CMP_EQ, SO_ERROR));
    /* ... and looks up the socket's interface and reads its flags, to
     * tell "went down" from "disappeared". */
    ALLOW(SCMP_SYS(getsockname), SCMP_A0_32(SCMP_CMP_EQ, fd));
    ALLOW(SCMP_SYS(ioctl), SCMP_A0_32(SCMP_CMP_EQ, fd),
          SCMP_A1_32(SCMP_CMP_EQ, SIOCGIFFLAGS));
    /* pcap_setfilter: a reject-all program, a drain, the new program;
     * SO_DETACH_FILTER when the kernel cannot run it. */
    ALLOW(SCMP_SYS(setsockopt), SCMP_A0_32(SCMP_CMP_EQ, fd),
          SCMP_A1_32(SCMP_CMP_EQ, SOL_SOCKET),
          SCMP_A2_32(SCMP_CMP_EQ, SO_ATTACH_FILTER));
    ALLOW(SCMP_SYS(setsockopt), SCMP_A0_32(SCMP_CMP_EQ, fd),
          SCMP_A1_32(SCMP_CMP_EQ, SOL_SOCKET),
          SCMP_A2_32(SCMP_CMP_EQ, SO_DETACH_FILTER));
    ALLOW(SCMP_SYS(recvfrom), SCMP_A0_32(SCMP_CMP_EQ, fd));
    /* Not PACKET_RX_RING: after munmap a port could ask for a ring far
     * past the buffer limit, and no capability is needed for it. So the
     * port never runs pcap_close on a live handle (main.c): exit frees
     * the ring. Self-test rx-ring. */
    /* pcap_inject is send(fd, buf, len, 0): no destination address, so
     * a packet cannot be redirected to another interface. */
    if (inject) {
        ALLOW(SCMP_SYS(sendto), SCMP_A0_32(SCMP_CMP_EQ, fd),
              SCMP_A4_64(SCMP_CMP_EQ, 0));
        /* Batches (control.c): one call for hundreds of packets. Its
         * message headers are in memory seccomp cannot read, so a
         * compromised port could name another interface of its network
         * namespace in them (doc/SECURITY.md); only with inject. */
        ALLOW(SCMP_SYS(sendmmsg), SCMP_A0_32(SCMP_CMP_EQ, fd),
              SCMP_A3_32(SCMP_CMP_EQ, 0));
    }
}

/* The capture's packet sockets: one per live interface (live.c; only
 * interface 0's injects, epcap_proto.h), and the adaptive default's
 * second one (fastlane.c: its own filter changes, poll and ring; never
 * injects). */
static void allow_packet_socket(struct epcap *st, scmp_filter_ctx ctx)
{
    if (st->pcap_fd < 0)
        return;
    allow_socket(st, ctx, st->pcap_fd, st->opt.inject); /* live[0].fd */
    for (uint32_t i = 1; i < st->nlive; i++)
        allow_socket(st, ctx, st->live[i].fd, false);
    if (fastlane_fd(st->fl) >= 0)
        allow_socket(st, ctx, fastlane_fd(st->fl), false);
}

/* dump.c: writing the current dump file, and rotation: a new file in the
 * dump directory only, with the flags dump.c uses, moved onto the same
 * descriptor, and the oldest of a ring removed from that directory.
 * Landlock (below) keeps the paths in that directory. The move is pinned
 * at both ends: RLIMIT_NOFILE leaves exactly one free number, so a new
 * file always gets it, and nothing else (the packet socket) can be moved
 * onto the dump descriptor to be written to. */
static void allow_dump(struct epcap *st, scmp_filter_ctx ctx)
{
    const uint32_t fd = (uint32_t)st->dump.fd;
    const uint32_t dir = (uint32_t)st->dump.dirfd;
    const uint32_t next = (uint32_t)sandbox_free_fd();

    if (st->dump.fd < 0)
        return;
    ALLOW(SCMP_SYS(write), SCMP_A0_32(SCMP_CMP_EQ, fd));
    if (!st->dump.rotating)
        return;
    ALLOW(SCMP_SYS(openat), SCMP_A0_32(SCMP_CMP_EQ, dir),
          SCMP_A2_32(SCMP_CMP_EQ, EPCAP_DUMP_OPEN_FLAGS));
#ifdef __NR_dup2
    ALLOW(SCMP_SYS(dup2), SCMP_A0_32(SCMP_CMP_EQ, next),
          SCMP_A1_32(SCMP_CMP_EQ, fd));
#endif
    ALLOW(SCMP_SYS(dup3), SCMP_A0_32(SCMP_CMP_EQ, next),
          SCMP_A1_32(SCMP_CMP_EQ, fd));
    ALLOW(SCMP_SYS(unlinkat), SCMP_A0_32(SCMP_CMP_EQ, dir),
          SCMP_A2_32(SCMP_CMP_EQ, 0));
}

/* malloc and the ring: anything but executable memory. */
static void allow_memory(struct epcap *st, scmp_filter_ctx ctx)
{
    ALLOW_ANY(SCMP_SYS(brk));
    ALLOW(SCMP_SYS(mmap), SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    ALLOW(SCMP_SYS(mprotect), SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    ALLOW_ANY(SCMP_SYS(munmap));
    ALLOW_ANY(SCMP_SYS(mremap));
    ALLOW_ANY(SCMP_SYS(madvise));
}

/* Signals, time, exit, and the crash path. */
static void allow_process(struct epcap *st, scmp_filter_ctx ctx)
{
    /* SIGTERM/SIGINT handlers return; ppoll restarts after a stop. */
    ALLOW_ANY(SCMP_SYS(rt_sigreturn));
    ALLOW_ANY(SCMP_SYS(rt_sigprocmask));
    ALLOW_ANY(SCMP_SYS(restart_syscall));
    /* Normally the vDSO; the syscalls are its fallback. */
    ALLOW_ANY(SCMP_SYS(clock_gettime));
    ALLOW_ANY(SCMP_SYS(gettimeofday));
    ALLOW_ANY(SCMP_SYS(exit));
    ALLOW_ANY(SCMP_SYS(exit_group));
    /* abort() (a failed assertion or fortify check) must die of SIGABRT,
     * not be reported as a sandbox violation: raise() is tgkill on our
     * own pid, which it asks for with getpid. */
    ALLOW_ANY(SCMP_SYS(getpid));
    ALLOW(SCMP_SYS(tgkill), SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)getpid()),
          SCMP_A2_32(SCMP_CMP_EQ, SIGABRT));
}

/* An open that could write or create anything traps; see below. */
static void refuse_reads(struct epcap *st, scmp_filter_ctx ctx)
{
    const uint32_t mask = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
    const struct scmp_arg_cmp at_flags[] = {
        SCMP_A2_32(SCMP_CMP_MASKED_EQ, mask, O_RDONLY)};

    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1, at_flags);
#ifdef __NR_open
    const struct scmp_arg_cmp flags[] = {
        SCMP_A1_32(SCMP_CMP_MASKED_EQ, mask, O_RDONLY)};
    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 1, flags);
#endif
}

/*
 * Two probes libpcap makes after startup fail with EACCES instead of
 * trapping, because it takes their failure in its stride:
 *
 *  - read-only opens: pcap_stats on a promiscuous handle reads
 *    /sys/class/net/IF/statistics/rx_*_errors and counts a failed open
 *    as zero. An open that could write or create anything traps.
 *  - socket(AF_INET, SOCK_DGRAM, 0): pcap_lookupnet asks one for the
 *    interface's netmask when a filter is changed; without it the filter
 *    compiles with PCAP_NETMASK_UNKNOWN (only "ip broadcast" needs one).
 *    Any other socket traps.
 *
 * Nothing is opened or created either way.
 */
static void refuse_probes(struct epcap *st, scmp_filter_ctx ctx)
{
    const struct scmp_arg_cmp inet_dgram[] = {
        SCMP_A0_32(SCMP_CMP_EQ, AF_INET), SCMP_A1_32(SCMP_CMP_EQ, SOCK_DGRAM),
        SCMP_A2_32(SCMP_CMP_EQ, 0)};

    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 3, inet_dgram);
    /* Name lookups by pcap_compile on a filter change ("port http",
     * "host gw"): glibc asks nscd over a unix socket, then reads /etc
     * (refused above), then asks DNS over UDP. All refused, the name is
     * unknown and the FILTER command fails with libpcap's message. */
    const struct scmp_arg_cmp unix_any[] = {SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX)};
    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, unix_any);
    const int udp_families[] = {AF_INET, AF_INET6};
    for (size_t i = 0; i < sizeof(udp_families) / sizeof(udp_families[0]);
         i++) {
        const struct scmp_arg_cmp udp[] = {
            SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)udp_families[i]),
            SCMP_A1_32(SCMP_CMP_MASKED_EQ,
                       ~(uint32_t)(SOCK_CLOEXEC | SOCK_NONBLOCK), SOCK_DGRAM),
            SCMP_A2_32(SCMP_CMP_EQ, 0)};
        rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 3, udp);
    }
    /* ...and before any of that, glibc stats /etc/nsswitch.conf to see
     * whether it changed. A refused stat tells nothing about any file. */
    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 0, NULL);
    /* The resolver asks for the host name (for its search domain). */
    rule(st, ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(uname), 0, NULL);
    /* The resolver's one-time initialisation (pthread_once) wakes any
     * waiters: there are none in this single-threaded process. */
    ALLOW(SCMP_SYS(futex), SCMP_A1_32(SCMP_CMP_EQ, FUTEX_WAKE_PRIVATE));
    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(statx), 0, NULL);
#ifdef __NR_stat
    rule(st, ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(stat), 0, NULL);
#endif
    refuse_reads(st, ctx);
}

/*
 * A filter for the native ABI only. seccomp_init starts with the native
 * architecture and nothing else; the bad-architecture action traps i386
 * calls on x86_64 (and 32-bit calls on aarch64), and libseccomp's x86_64
 * filter sends calls with the x32 bit to the same action. The test suite
 * checks both with the i386 and x32 self-tests.
 */
static scmp_filter_ctx new_filter(struct epcap *st)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);

    if (ctx == NULL)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "seccomp_init: failed");
    int rc = seccomp_arch_exist(ctx, seccomp_arch_native());
    if (rc == 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    if (rc < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "seccomp: native architecture: %s", strerror(-rc));
    return ctx;
}

static void install_handler(struct epcap *st)
{
    struct trap_report *t = calloc(1, sizeof(*t));
    struct sigaction sa;

    if (t == NULL)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    t->st = st;
    t->arch = seccomp_arch_native();
    for (int nr = 0; nr < NAMES_MAX; nr++)
        t->names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    trap = t; /* kept for the life of the process */

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "sigaction(SIGSYS): %s", strerror(errno));
}

/* ---- paths: Landlock ---- */

/* Every filesystem right the running kernel's Landlock knows: ABI 1 has
 * bits 0-12, 2 adds REFER, 3 TRUNCATE, 5 IOCTL_DEV. Naming one it does not
 * know is an error. */
static uint64_t landlock_rights(long abi)
{
    uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;

    if (abi >= 2)
        all |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        all |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return all;
}

/* What a rotating dump does in its directory: make a file, open it for
 * writing (truncated), remove the oldest of the ring. */
static void allow_dump_dir(struct epcap *st, int ruleset, uint64_t handled)
{
    struct landlock_path_beneath_attr beneath = {
        .allowed_access =
            handled &
            (LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_WRITE_FILE |
             LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_REMOVE_FILE),
        .parent_fd = st->dump.dirfd,
    };

    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
                &beneath, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "landlock_add_rule(dump directory): %s", strerror(errno));
}

/*
 * No path may be opened, made or removed through the filesystem, except
 * new files in the directory of a rotating dump. The seccomp rules for
 * those calls pin the directory's descriptor, but a filter cannot read a
 * path: "../x" or "/x" would leave the directory, and so would ".." out
 * of a chroot, since the descriptor was opened outside it. Landlock checks
 * where a path leads. Without it (Linux before 5.13, or disabled) only a
 * rotating dump loses anything, and the port says so.
 */
static void restrict_paths(struct epcap *st)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
                       LANDLOCK_CREATE_RULESET_VERSION);

    if (abi < 0) {
        if (st->dump.rotating)
            epcap_warn(st, EPCAP_E_UNSUPPORTED,
                       "dump: no Landlock (%s): new dump files are kept to "
                       "their directory by descriptor only",
                       strerror(errno));
        epcap_log(st, 1, "sandbox: no Landlock: %s", strerror(errno));
        return;
    }
    struct landlock_ruleset_attr attr = {.handled_access_fs =
                                             landlock_rights(abi)};
    int ruleset =
        (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
    if (ruleset < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "landlock_create_ruleset: %s", strerror(errno));
    if (st->dump.rotating)
        allow_dump_dir(st, ruleset, attr.handled_access_fs);
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "landlock_restrict_self: %s", strerror(errno));
    close(ruleset);
    epcap_log(st, 1, "sandbox: Landlock ABI %ld: no paths%s", abi,
              st->dump.rotating ? " but new files in the dump directory" : "");
}

void sandbox_apply(struct epcap *st)
{
    install_handler(st);

    scmp_filter_ctx ctx = new_filter(st);
    allow_io(st, ctx);
    allow_packet_socket(st, ctx);
    allow_dump(st, ctx);
    allow_memory(st, ctx);
    allow_process(st, ctx);
    refuse_probes(st, ctx);
    /* The filter as libseccomp compiled it, for review (-vvv); before the
     * limits, since the export needs a descriptor of its own. */
    if (st->opt.verbose >= 3)
        (void)seccomp_export_pfc(ctx, STDERR_FILENO);

    sandbox_limit_memory(st);
    restrict_paths(st); /* before the limits: it needs a descriptor */
    sandbox_limit_resources(st);
    int rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "seccomp_load: %s",
                    strerror(-rc));
    epcap_log(st, 1, "sandbox: seccomp filter loaded");
}
