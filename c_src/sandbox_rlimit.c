/*
 * sandbox_rlimit.c: resource limits, and the sandbox self-test.
 *
 * Linked into every variant of the port. It provides:
 *
 *   sandbox_limit_resources()  no new descriptors, no new processes; the
 *                              whole sandbox when RESTRICT_PROCESS=rlimit
 *                              (SANDBOX_RLIMIT), and the first layer under
 *                              seccomp, pledge and capsicum;
 *   sandbox_selftest()         the hidden --sandbox-selftest option: try
 *                              one forbidden operation after restriction
 *                              and report what happened.
 *
 * Runs after privs_drop(), without privileges: a limit lowered now cannot
 * be raised again (that needs CAP_SYS_RESOURCE, which is gone).
 *
 * Syscalls: fcntl (probing descriptors), setrlimit (prlimit64 on Linux);
 * in the self-test, whichever call it is asked to try.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/ptrace.h>
#endif

#include "sandbox.h"

/* loop.c polls at most stdin, stdout and one capture descriptor (the
 * adaptive default's two rings are polled one at a time, fastlane.c). */
#define POLL_FDS_MAX 3

#ifdef SANDBOX_RLIMIT
const char *sandbox_name(void)
{
    return "rlimit";
}

void sandbox_apply(struct epcap *st)
{
    sandbox_limit_memory(st);
    sandbox_limit_resources(st);
    epcap_log(st, 1, "sandbox: resource limits set");
}
#endif

static void set_limit(struct epcap *st, int resource, const char *name,
                      rlim_t value)
{
    struct rlimit rl = {.rlim_cur = value, .rlim_max = value};

    if (setrlimit(resource, &rl) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "setrlimit(%s, %lu): %s", name, (unsigned long)value,
                    strerror(errno));
}

/* The lowest descriptor number not in use: where the next one would go. */
int sandbox_free_fd(void)
{
    struct rlimit rl;
    rlim_t fd = 0;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        rl.rlim_cur = 1024 * 1024;
    if (rl.rlim_cur > INT_MAX)
        rl.rlim_cur = INT_MAX;
    while (fd < rl.rlim_cur && fcntl((int)fd, F_GETFD) != -1)
        fd++;
    return (int)fd;
}

/* The process's address space in bytes (VmSize), or 0 if unknown. */
static rlim_t mapped_bytes(void)
{
    FILE *fp = fopen("/proc/self/statm", "re");
    unsigned long pages = 0;

    if (fp == NULL)
        return 0;
    if (fscanf(fp, "%lu", &pages) != 1)
        pages = 0;
    fclose(fp);
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (rlim_t)pages * (rlim_t)page : 0;
}

/*
 * RLIMIT_AS = what is mapped now (the ring, the buffers, libraries, a
 * sanitizer's shadow) plus EPCAP_AS_HEADROOM. Everything the loop needs is
 * allocated by now; what comes later is small, except what a FILTER
 * command makes libpcap's compiler and optimizer take, which grows much
 * faster than the expression (tens of GB for 64 KiB). With the limit that
 * compile fails with "out of memory" in a few seconds and the old filter
 * stays. The size is read from /proc/self/statm by sandbox_measure_memory
 * while /proc can still be seen (before the chroot of privs_drop); what
 * is mapped between then and now comes out of the headroom.
 */
void sandbox_measure_memory(struct epcap *st)
{
    st->mapped = (unsigned long long)mapped_bytes();
}

void sandbox_limit_memory(struct epcap *st)
{
    if (st->mapped == 0) { /* no /proc (not Linux): the limit is skipped */
        epcap_log(st, 1, "sandbox: RLIMIT_AS not set: no /proc/self/statm");
        return;
    }
    /* Never above what the caller already set: a hard limit cannot be
     * raised, and the caller's own is theirs to keep. */
    rlim_t want = (rlim_t)(st->mapped + EPCAP_AS_HEADROOM);
    struct rlimit now;
    if (getrlimit(RLIMIT_AS, &now) == 0 && now.rlim_max != RLIM_INFINITY &&
        now.rlim_max < want)
        want = now.rlim_max;
    set_limit(st, RLIMIT_AS, "RLIMIT_AS", want);
}

void sandbox_limit_resources(struct epcap *st)
{
    /*
     * RLIMIT_NOFILE caps the number a new descriptor may get, not how
     * many are open, and a new descriptor always takes the lowest free
     * number. So the lowest free number is the tightest limit: no new
     * descriptor fits below it, and the ones already open above it (the
     * packet socket, libpcap's eventfd, a capture file) keep working. Not
     * 0 or 1 as in OpenSSH's single-pipe child, nor "highest + 1", which
     * leaves any hole below it free to fill: poll(2) fails with EINVAL
     * when nfds exceeds the limit, so it never goes below the most
     * descriptors loop.c polls at once.
     */
    rlim_t nofile = (rlim_t)sandbox_free_fd();
    /* A rotating dump opens each new file before moving it onto the
     * dump descriptor: room for exactly that one. */
    if (st->dump.rotating)
        nofile++;
    if (nofile < POLL_FDS_MAX)
        nofile = POLL_FDS_MAX;
    set_limit(st, RLIMIT_NOFILE, "RLIMIT_NOFILE", nofile);

    /*
     * RLIMIT_NPROC is checked at fork against the number of processes the
     * real user owns, so 0 stops this process from forking however many
     * other processes that user (often the shared "nobody") runs, and it
     * limits no one else. It is not enforced for uid 0 or a holder of
     * CAP_SYS_RESOURCE or CAP_SYS_ADMIN: privs_drop refuses the first and
     * has dropped the others. Set after the uid change, because setuid
     * into a user who is over the limit would flag the process.
     */
    set_limit(st, RLIMIT_NPROC, "RLIMIT_NPROC", 0);

    /*
     * RLIMIT_FSIZE is deliberately left alone: stdout may be a regular
     * file (epcap ... > capture.frames), and a write past the limit kills
     * the port with SIGXFSZ, as it did in the classic port; and dump files
     * (--dump-size) are bounded by rotation, not by a signal.
     */
}

/* ---- the self-test ---- */

static const unsigned char probe_frame[14] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5};

static long try_open(struct epcap *st)
{
    (void)st;
#ifdef SYS_open
    return syscall(SYS_open, "/dev/null", O_WRONLY);
#else
    return openat(AT_FDCWD, "/dev/null", O_WRONLY);
#endif
}

static long try_openat(struct epcap *st)
{
    (void)st;
    return openat(AT_FDCWD, "/dev/null", O_WRONLY);
}

static long try_open_read(struct epcap *st)
{
    (void)st;
    return openat(AT_FDCWD, "/etc/passwd", O_RDONLY);
}

static long try_execve(struct epcap *st)
{
    char *const argv[] = {"sh", "-c", "exit 0", NULL};
    char *const envp[] = {NULL};

    (void)st;
    return execve("/bin/sh", argv, envp);
}

/* A second capture socket: what a compromised port would want most. */
static long try_socket(struct epcap *st)
{
    (void)st;
    return socket(AF_PACKET, SOCK_RAW, 0);
}

/* A connection out, to send captured traffic elsewhere. */
static long try_socket_tcp(struct epcap *st)
{
    (void)st;
    return socket(AF_INET, SOCK_STREAM, 0);
}

/* pcap_lookupnet's probe: refused with EACCES under seccomp, not trapped. */
static long try_socket_probe(struct epcap *st)
{
    (void)st;
    return socket(AF_INET, SOCK_DGRAM, 0);
}

static long try_fork(struct epcap *st)
{
    (void)st;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    return pid;
}

static long try_setuid(struct epcap *st)
{
    (void)st;
    return setuid(0);
}

static long try_mmap_exec(struct epcap *st)
{
    (void)st;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

static long try_mprotect_exec(struct epcap *st)
{
    (void)st;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    return mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

/* An Ethernet broadcast of the local experimental ethertype. */
static long try_inject(struct epcap *st)
{
    return send(st->pcap_fd, probe_frame, sizeof(probe_frame), 0);
}

static long try_write_socket(struct epcap *st)
{
    return write(st->pcap_fd, probe_frame, sizeof(probe_frame));
}

static long try_kill(struct epcap *st)
{
    return kill(st->parent, 0);
}

#ifdef __linux__
static long try_ptrace(struct epcap *st)
{
    (void)st;
    return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}
#endif

#if defined(__x86_64__) && defined(__linux__)
/* getpid through the x32 ABI: the same number with bit 30 set. */
static long try_x32(struct epcap *st)
{
    (void)st;
    return syscall(0x40000000L | SYS_getpid);
}

/* getpid (20) through the i386 ABI. */
static long try_i386(struct epcap *st)
{
    long rc = 20;

    (void)st;
    __asm__ volatile("int $0x80" : "+a"(rc) : : "memory");
    if (rc < 0 && rc > -4096) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
}
#endif

/* Where a dump file may not go: out of its directory, either way. Same
 * flags as dump.c, so only Landlock (not the seccomp pin) can refuse. */
static long try_dump_path(struct epcap *st, const char *path)
{
    int fd = openat(st->dump.dirfd, path, EPCAP_DUMP_OPEN_FLAGS, 0644);
    if (fd >= 0) {
        (void)unlinkat(st->dump.dirfd, path, 0);
        close(fd);
    }
    return fd;
}

static long try_dump_escape(struct epcap *st)
{
    return try_dump_path(st, "../epcap-selftest-escape");
}

static long try_dump_absolute(struct epcap *st)
{
    return try_dump_path(st, "/tmp/epcap-selftest-escape");
}

/* The packet socket moved onto the dump descriptor, which may be written. */
static long try_dump_hijack(struct epcap *st)
{
    return dup2(st->pcap_fd, st->dump.fd);
}

enum selftest_needs { NEEDS_NOTHING, NEEDS_SOCKET, NEEDS_ROTATING_DUMP };

struct selftest {
    const char *name;
    long (*attempt)(struct epcap *st);
    enum selftest_needs needs;
};

static const struct selftest selftests[] = {
    {"open", try_open, NEEDS_NOTHING},
    {"openat", try_openat, NEEDS_NOTHING},
    {"open-read", try_open_read, NEEDS_NOTHING},
    {"execve", try_execve, NEEDS_NOTHING},
    {"socket", try_socket, NEEDS_NOTHING},
    {"socket-tcp", try_socket_tcp, NEEDS_NOTHING},
    {"socket-probe", try_socket_probe, NEEDS_NOTHING},
    {"fork", try_fork, NEEDS_NOTHING},
    {"setuid", try_setuid, NEEDS_NOTHING},
    {"mmap-exec", try_mmap_exec, NEEDS_NOTHING},
    {"mprotect-exec", try_mprotect_exec, NEEDS_NOTHING},
    {"inject", try_inject, NEEDS_SOCKET},
    {"write-socket", try_write_socket, NEEDS_SOCKET},
    {"kill", try_kill, NEEDS_NOTHING},
    {"dump-escape", try_dump_escape, NEEDS_ROTATING_DUMP},
    {"dump-absolute", try_dump_absolute, NEEDS_ROTATING_DUMP},
    {"dump-hijack", try_dump_hijack, NEEDS_ROTATING_DUMP},
#ifdef __linux__
    {"ptrace", try_ptrace, NEEDS_NOTHING},
#endif
#if defined(__x86_64__) && defined(__linux__)
    {"x32", try_x32, NEEDS_NOTHING},
    {"i386", try_i386, NEEDS_NOTHING},
#endif
};

static const struct selftest *find_selftest(struct epcap *st, const char *name)
{
    for (size_t i = 0; i < sizeof(selftests) / sizeof(selftests[0]); i++)
        if (strcmp(selftests[i].name, name) == 0) {
            if ((selftests[i].needs == NEEDS_SOCKET && st->pcap_fd < 0) ||
                (selftests[i].needs == NEEDS_ROTATING_DUMP &&
                 !st->dump.rotating))
                epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                            "sandbox-selftest: %s needs a %s", name,
                            selftests[i].needs == NEEDS_SOCKET
                                ? "live capture"
                                : "rotating dump");
            return &selftests[i];
        }
    epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                "sandbox-selftest: unknown test '%s'", name);
}

/*
 * NAME tries before the READY frame, so the owner's start fails; NAME@ready
 * sends READY first, so the port dies while the owner holds it running.
 */
void sandbox_selftest(struct epcap *st)
{
    char name[32];
    const char *spec = st->opt.sandbox_selftest;
    size_t len = strcspn(spec, "@");

    if (len >= sizeof(name) || (spec[len] != '\0' &&
                                strcmp(spec + len, "@ready") != 0))
        epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                    "sandbox-selftest: bad test '%s'", spec);
    memcpy(name, spec, len);
    name[len] = '\0';
    const struct selftest *t = find_selftest(st, name);
    if (spec[len] == '@')
        epcap_send_ready(st);

    errno = 0;
    long rc = t->attempt(st);
    int err = errno;
    if (rc < 0)
        epcap_fatal(st, SANDBOX_EXIT_SELFTEST_SURVIVED, EPCAP_E_SYSTEM,
                    "sandbox selftest: %s came back under the %s sandbox: "
                    "failed: %s", t->name, sandbox_name(), strerror(err));
    epcap_fatal(st, SANDBOX_EXIT_SELFTEST_SURVIVED, EPCAP_E_SYSTEM,
                "sandbox selftest: %s came back under the %s sandbox: "
                "succeeded (%ld)", t->name, sandbox_name(), rc);
}
