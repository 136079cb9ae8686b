/*
 * sandbox.h: restricting the port once its privileges are gone.
 *
 * One interface, one backend per file, chosen at build time with
 * RESTRICT_PROCESS (c_src/Makefile):
 *
 *   seccomp   sandbox_seccomp.c   Linux default: a libseccomp allow-list
 *                                 and Landlock, plus the resource limits
 *   rlimit    sandbox_rlimit.c    resource limits only (any POSIX system)
 *   null      sandbox_null.c      nothing; for debugging only
 *   pledge    sandbox_pledge.c    OpenBSD pledge(2), plus the limits
 *   capsicum  sandbox_capsicum.c  FreeBSD cap_enter(2), plus the limits
 *
 * main.c calls sandbox_apply() once, after privs_drop() and before the
 * READY frame: a port that reports ready is already restricted. A backend
 * that cannot apply its restriction exits; it never carries on quietly.
 *
 * sandbox_limits.c is linked into every build: the resource limits the
 * backends share. sandbox_selftest.c holds the self-test that proves a
 * restriction by breaking it (--sandbox-selftest, used by the sandbox
 * suite): it is linked only into the test variants (make variants,
 * built with EPCAP_SELFTEST into ../_build/variants), never into the
 * shipped priv/epcap, which does not know the option.
 */
#ifndef EPCAP_SANDBOX_H
#define EPCAP_SANDBOX_H

#include <signal.h>

#include "epcap_proto.h"

struct epcap;

/* Address space the port may still map once restricted (RLIMIT_AS,
 * sandbox_limits.c): the loop allocates nothing large; this bounds what
 * libpcap's filter compiler may take for a FILTER command. */
#define EPCAP_AS_HEADROOM (1024ULL * 1024 * 1024)

/* Exit status of a port stopped by the sandbox (epcap_proto.h): the
 * seccomp backend's SIGSYS handler exits with it after naming the system
 * call on stderr (and in an ERROR frame, code sandbox_violation, when the
 * output stream is between frames). */
#define SANDBOX_EXIT_VIOLATION EPCAP_EXIT_SANDBOX_VIOLATION
_Static_assert(EPCAP_EXIT_SANDBOX_VIOLATION == 128 + SIGSYS,
               "EPCAP_EXIT_SANDBOX_VIOLATION is 128 + SIGSYS");

/* The stderr message's prefix before the call's name. */
#define SANDBOX_VIOLATION_PREFIX "sandbox violation: "

/* Exit status of a self-test whose forbidden call came back instead of
 * stopping the port (the backend does not cover that call). */
#define SANDBOX_EXIT_SELFTEST_SURVIVED EPCAP_EXIT_SOFTWARE

/* The backend compiled in: "seccomp", "rlimit", "null", ... */
const char *sandbox_name(void);

/* Restrict the process for the rest of its life. Exits on failure. */
void sandbox_apply(struct epcap *st);

/* sandbox_limits.c: no new descriptors, no new processes. Exits on
 * failure. Used by every backend except null. */
void sandbox_limit_resources(struct epcap *st);
/* RLIMIT_AS: what is mapped plus EPCAP_AS_HEADROOM (sandbox_limits.c).
 * Measured before privs_drop (which may chroot away from /proc), limited
 * when the sandbox is applied. */
void sandbox_measure_memory(struct epcap *st);
void sandbox_limit_memory(struct epcap *st);

/* sandbox_limits.c: the lowest descriptor number not in use, where
 * RLIMIT_NOFILE is set (one above it when a dump rotates). */
int sandbox_free_fd(void);

/* sandbox_selftest.c, test variants only: attempt the forbidden
 * operation named by their --sandbox-selftest NAME[@ready] option (open, openat, open-read, execve,
 * socket, socket-tcp, socket-probe, fork, setuid, mmap-exec,
 * mprotect-exec, inject, write-socket, kill, dump-escape, dump-absolute,
 * dump-hijack, ptrace, and on x86_64 x32 and i386), before the READY frame or, with
 * @ready, after it. Never returns:
 * the sandbox stops the port, or the port reports what the call returned
 * and exits with SANDBOX_EXIT_SELFTEST_SURVIVED. */
void sandbox_selftest(struct epcap *st) __attribute__((noreturn));

#endif
