/*
 * sandbox_selftest.c: proving a sandbox by breaking it.
 *
 * The --sandbox-selftest NAME[@ready] option (sandbox.h): once the
 * process is restricted, try one forbidden operation and report what
 * happened. The sandbox suite runs it against every backend; a backend
 * that lets the call come back fails the test. Linked only into the test
 * variants (make variants, main.c and options.c built with
 * EPCAP_SELFTEST); the shipped priv/epcap has neither the option nor
 * this code.
 *
 * Runs after privs_drop() and sandbox_apply(), without privileges.
 * Syscalls: whichever call it is asked to try.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump.h"
#include "epcap_proto.h"
#include "platform.h"
#if EPCAP_LINUX
#include <linux/if_packet.h>
#include <sys/ptrace.h>
#endif
#include "report.h"
#include "sandbox.h"
#include "state.h"

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
#if EPCAP_LINUX
    return socket(AF_PACKET, SOCK_RAW, 0);
#else
    return socket(AF_INET, SOCK_RAW, 0);
#endif
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

#if EPCAP_LINUX
/* What a compromised port would do once it has unmapped its ring: ask
 * for a new one, far past the buffer limit (1 GiB of blocks). */
static long try_rx_ring(struct epcap *st)
{
    struct tpacket_req3 req = {.tp_block_size = 1U << 22,
                               .tp_block_nr = 256,
                               .tp_frame_size = 1U << 16,
                               .tp_frame_nr = (1U << 22) / (1U << 16) * 256,
                               .tp_retire_blk_tov = 1};

    return setsockopt(st->pcap_fd, SOL_PACKET, PACKET_RX_RING, &req,
                      sizeof(req));
}
#endif

static long try_kill(struct epcap *st)
{
    return kill(st->parent, 0);
}

#if EPCAP_LINUX
static long try_ptrace(struct epcap *st)
{
    (void)st;
    return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}
#endif

#if defined(__x86_64__) && EPCAP_LINUX
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

enum selftest_needs {
    NEEDS_NOTHING,
    NEEDS_SOCKET,
    NEEDS_ROTATING_DUMP
};

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
#if EPCAP_LINUX
    {"ptrace", try_ptrace, NEEDS_NOTHING},
    {"rx-ring", try_rx_ring, NEEDS_SOCKET},
#endif
#if defined(__x86_64__) && EPCAP_LINUX
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

    if (len >= sizeof(name) ||
        (spec[len] != '\0' && strcmp(spec + len, "@ready") != 0))
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
                    "failed: %s",
                    t->name, sandbox_name(), strerror(err));
    epcap_fatal(st, SANDBOX_EXIT_SELFTEST_SURVIVED, EPCAP_E_SYSTEM,
                "sandbox selftest: %s came back under the %s sandbox: "
                "succeeded (%ld)",
                t->name, sandbox_name(), rc);
}
