/*
 * sandbox_pledge.c: the OpenBSD sandbox, pledge(2)
 * (RESTRICT_PROCESS=pledge, the default on OpenBSD).
 *
 * Written against the OpenBSD pledge(2) manual page; compiled only on
 * OpenBSD and NOT tested by this project's suites, which run on Linux.
 *
 * Runs once, after privs_drop(). The promises keep what the event loop
 * needs and nothing else:
 *
 *   stdio  read and write on descriptors already open (stdin, stdout,
 *          the bpf(4) descriptor libpcap holds), poll, memory, clocks,
 *          exit
 *   bpf    BIOCGSTATS on that descriptor, for pcap_stats
 *
 * No "rpath", "wpath", "inet", "proc" or "exec": no file, socket or
 * process can be made, and an empty execpromises forbids execve outright.
 * Limits to know about: pledge allows no other bpf ioctl, so changing the
 * filter after startup (BIOCSETF) is a violation with this backend; and
 * "stdio" cannot tell a write of a frame from a write of an injected
 * packet, so injection is not confined to --inject here. A violation kills
 * the process with an uncatchable SIGABRT, logged by the kernel with the
 * offending call; the owner sees {port_exit, {signal, sigabrt}}.
 *
 * The resource limits of sandbox_limits.c are applied first.
 *
 * Syscalls: setrlimit, pledge.
 */
#ifndef __OpenBSD__
#error \
    "sandbox_pledge.c needs OpenBSD's pledge(2): build with RESTRICT_PROCESS=seccomp, rlimit or null"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "report.h"
#include "sandbox.h"
#include "state.h"

const char *sandbox_name(void)
{
    return "pledge";
}

void sandbox_apply(struct epcap *st)
{
    sandbox_limit_resources(st);
    if (pledge("stdio bpf", "") < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "pledge: %s",
                    strerror(errno));
    epcap_log(st, 1, "sandbox: pledged stdio bpf");
}
