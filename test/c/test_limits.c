/*
 * test_limits.c: unit tests for sandbox_limits.c, the resource limits
 * every sandbox backend but null applies. They change the process for
 * good, so each runs in a forked child that reports through its exit
 * status.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cap-ng.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "epcap_proto.h"
#include "sandbox.h"
#include "state.h"
#include "test_child.h"

/* ---- resource limits ---- */

static int limits_child(void)
{
    struct epcap st;
    struct rlimit before, rl;

    init_state(&st);
    int a = open("/dev/null", O_RDONLY);
    int b = open("/dev/null", O_RDONLY);
    if (a < 0 || b != a + 1 || close(a) < 0)
        return 10;
    if (getrlimit(RLIMIT_FSIZE, &before) < 0)
        return 11;
    sandbox_limit_resources(&st);
    /* The hole left by a is where the limit sits: nothing new fits. */
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != (rlim_t)a ||
        rl.rlim_max != (rlim_t)a)
        return 12;
    if (open("/dev/null", O_RDONLY) >= 0 || errno != EMFILE)
        return 13;
    if (fcntl(b, F_GETFD) < 0) /* still usable above the limit */
        return 14;
    if (getrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_cur != 0 ||
        rl.rlim_max != 0)
        return 15;
    if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur != before.rlim_cur)
        return 16;
    return 0;
}

static void test_limits_leave_no_room_for_new_descriptors(void **state)
{
    (void)state;
    assert_int_equal(in_child(limits_child), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_leave_no_room_for_new_descriptors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
