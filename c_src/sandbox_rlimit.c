/*
 * sandbox_rlimit.c: the resource limits alone as the sandbox
 * (RESTRICT_PROCESS=rlimit): for a system with none of the other
 * backends. The limits themselves are sandbox_limits.c's, shared by every
 * backend but null.
 *
 * Runs after privs_drop(), without privileges.
 * Syscalls: those of sandbox_limits.c (setrlimit, fcntl).
 */
#include "report.h"
#include "sandbox.h"

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
