/*
 * sandbox_limits.c: the resource limits every backend but null applies
 * (sandbox.h): no new descriptors, no new processes, bounded memory.
 * The whole sandbox when RESTRICT_PROCESS=rlimit (sandbox_rlimit.c), and
 * the first layer under seccomp, pledge and capsicum.
 *
 * sandbox_measure_memory runs before privs_drop (it reads /proc, which a
 * chroot hides); the rest after it, without privileges: a limit lowered
 * now cannot be raised again (that needs CAP_SYS_RESOURCE, which is gone).
 *
 * Syscalls: fcntl (probing descriptors), getrlimit and setrlimit
 * (prlimit64 on Linux), open and read of /proc/self/statm.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "report.h"
#include "sandbox.h"
#include "state.h"

/* loop.c polls at most stdin, stdout and one capture descriptor per
 * live interface (the adaptive default's two rings are polled one at a
 * time, fastlane.c). */
#define POLL_FDS_FIXED 2

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
    rlim_t poll_fds = POLL_FDS_FIXED + (st->nlive > 0 ? st->nlive : 1);
    if (nofile < poll_fds)
        nofile = poll_fds;
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
