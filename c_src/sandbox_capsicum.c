/*
 * sandbox_capsicum.c: the FreeBSD sandbox, Capsicum capability mode
 * (RESTRICT_PROCESS=capsicum, the default on FreeBSD).
 *
 * Written against the FreeBSD cap_enter(2), cap_rights_limit(2) and
 * cap_ioctls_limit(2) manual pages; compiled only on FreeBSD and NOT
 * tested by this project's suites, which run on Linux.
 *
 * Runs once, after privs_drop(). Each descriptor is first limited to the
 * rights the loop needs, then the process enters capability mode, where
 * no global namespace (paths, new sockets, pids) can be reached:
 *
 *   stdin          read, event (poll), fcntl
 *   stdout/stderr  write, event, fcntl
 *   capture        read, event, and the BPF ioctls for statistics, filter
 *                  changes and direction; write only with --inject
 *
 * A call outside capability mode fails with ECAPMODE, and one beyond a
 * descriptor's rights with ENOTCAPABLE: Capsicum returns errors rather
 * than killing, so a violation reaches the owner as an ordinary failure
 * of the command that caused it.
 *
 * The resource limits of sandbox_limits.c are applied first.
 *
 * Syscalls: setrlimit, cap_rights_limit, cap_fcntls_limit,
 * cap_ioctls_limit, cap_enter.
 */
#ifndef __FreeBSD__
#error \
    "sandbox_capsicum.c needs FreeBSD's Capsicum: build with RESTRICT_PROCESS=seccomp, rlimit or null"
#endif

#include <sys/capsicum.h>
#include <sys/ioctl.h>
#include <net/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "report.h"
#include "sandbox.h"
#include "state.h"

const char *sandbox_name(void)
{
    return "capsicum";
}

static void limit_fd(struct epcap *st, int fd, const char *what,
                     cap_rights_t *rights)
{
    /* EBADF: a standard descriptor the caller closed; nothing to limit. */
    if (cap_rights_limit(fd, rights) < 0 && errno != EBADF)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "cap_rights_limit(%s): %s", what, strerror(errno));
    if (cap_fcntls_limit(fd, CAP_FCNTL_GETFL | CAP_FCNTL_SETFL) < 0 &&
        errno != EBADF)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "cap_fcntls_limit(%s): %s", what, strerror(errno));
}

/* One capture descriptor: a file's, or a live interface's (only
 * interface 0 injects, epcap_proto.h). */
static void limit_capture(struct epcap *st, int fd, bool inject)
{
    static const unsigned long bpf_ioctls[] = {BIOCGSTATS, BIOCSETF, BIOCFLUSH,
                                               BIOCSDIRECTION, FIONREAD};
    cap_rights_t rights;

    if (fd < 0)
        return;
    cap_rights_init(&rights, CAP_READ, CAP_EVENT, CAP_FCNTL, CAP_IOCTL);
    if (inject)
        cap_rights_set(&rights, CAP_WRITE);
    limit_fd(st, fd, "capture", &rights);
    if (!st->is_file &&
        cap_ioctls_limit(fd, bpf_ioctls,
                         sizeof(bpf_ioctls) / sizeof(bpf_ioctls[0])) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "cap_ioctls_limit(capture): %s", strerror(errno));
}

void sandbox_apply(struct epcap *st)
{
    cap_rights_t rights;

    sandbox_limit_resources(st);
    cap_rights_init(&rights, CAP_READ, CAP_EVENT, CAP_FCNTL);
    limit_fd(st, STDIN_FILENO, "stdin", &rights);
    cap_rights_init(&rights, CAP_WRITE, CAP_EVENT, CAP_FCNTL);
    limit_fd(st, STDOUT_FILENO, "stdout", &rights);
    limit_fd(st, STDERR_FILENO, "stderr", &rights);
    limit_capture(st, pcap_fileno(st->pcap), st->opt.inject);
    for (uint32_t i = 1; i < st->nlive; i++)
        limit_capture(st, pcap_fileno(st->live[i].pcap), false);
    if (cap_enter() < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "cap_enter: %s",
                    strerror(errno));
    epcap_log(st, 1, "sandbox: entered capability mode");
}
