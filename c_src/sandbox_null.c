/*
 * sandbox_null.c: no restriction at all (RESTRICT_PROCESS=null).
 *
 * For debugging only: strace, gdb and valgrind see the port as it runs
 * without a filter in the way. Privileges are still dropped by
 * privs_drop(); only the process restriction is missing, and the port
 * says so on stderr every time it starts, so a null build cannot pass
 * for a sandboxed one unnoticed.
 *
 * Syscalls: write (the notice).
 */
#include <stdio.h>

#include "sandbox.h"

const char *sandbox_name(void)
{
    return "null";
}

void sandbox_apply(struct epcap *st)
{
    (void)st;
    fputs("epcap: warning: built with RESTRICT_PROCESS=null: "
          "the process is not sandboxed\n",
          stderr);
}
