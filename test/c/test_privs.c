/*
 * test_privs.c: unit tests for the privilege path (privs.c and its
 * steps): the start as each kind of caller, the final drop, the stages.
 * Anything that changes the process for good runs in a forked child that
 * reports through its exit status. The cases that change ids need root
 * and are skipped without it.
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
#include "privs.h"
#include "state.h"
#include "test_child.h"

/* ---- the privilege drop (root only) ---- */

static int drop_child(void)
{
    struct epcap st;
    struct passwd *pw = getpwnam("nobody");

    init_state(&st);
    st.caller.mode = EPCAP_START_ROOT;
    st.caller.root = true;
    st.privs = PRIVS_CALLER;
    st.opt.user = "nobody";
    if (pw == NULL)
        return 20;
    privs_drop(&st);
    uid_t r, e, s;
    if (getresuid(&r, &e, &s) < 0 || r != pw->pw_uid || e != r || s != r)
        return 21;
    if (getgroups(0, NULL) != 0)
        return 22;
    if (capng_get_caps_process() != 0 ||
        capng_have_capabilities(CAPNG_SELECT_BOTH) != CAPNG_NONE)
        return 23;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
        prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
        return 24;
    /* An empty root that no longer exists anywhere. */
    if (access("/etc/passwd", F_OK) == 0 || access("/run", F_OK) == 0)
        return 25;
    return 0;
}

static void test_drop_from_root_to_nobody(void **state)
{
    (void)state;
    skip_unless_root();
    assert_int_equal(in_child(drop_child), 0);
}

static int root_target_child(void)
{
    struct epcap st;

    init_state(&st);
    st.caller.mode = EPCAP_START_ROOT;
    st.caller.root = true;
    st.privs = PRIVS_CALLER;
    st.opt.user = "root";
    privs_drop(&st); /* exits */
    return 0;
}

static void test_drop_refuses_to_stay_root(void **state)
{
    (void)state;
    skip_unless_root();
    assert_int_equal(in_child(root_target_child), EPCAP_EXIT_NOPERM);
}

/* ---- the start: becoming the caller (root only) ---- */

/* Both starts end the same way: every id the caller's, CAP_NET_RAW and
 * CAP_NET_ADMIN permitted and nothing effective, no way back to root, and
 * a file only root may read stays unreadable. */
static int check_caller(const struct epcap *st, uid_t uid, gid_t gid,
                        const char *secret)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid)
        return 40;
    if (getresgid(&rg, &eg, &sg) < 0 || rg != gid || eg != gid || sg != gid)
        return 41;
    if (st->caller.uid != uid || st->caller.root)
        return 42;
    if (capng_get_caps_process() != 0 ||
        capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW) != 1 ||
        capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN) != 1 ||
        capng_have_capability(CAPNG_PERMITTED, CAP_SYS_ADMIN) != 0 ||
        capng_have_capability(CAPNG_PERMITTED, CAP_DAC_OVERRIDE) != 0 ||
        capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_FULL)
        return 43;
    for (unsigned cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (capng_have_capability(CAPNG_EFFECTIVE, cap) == 1)
            return 44;
    if (setuid(0) == 0 || seteuid(0) == 0)
        return 45;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
        prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
        return 46;
    if (open(secret, O_RDONLY) >= 0 || errno != EACCES)
        return 47;
    return 0;
}

static int secret_file(char *path)
{
    int fd = mkstemp(path);

    if (fd < 0 || fchmod(fd, 0600) < 0)
        return -1;
    return close(fd);
}

/* As a setuid binary: real uid nobody, effective root. */
static int setuid_start_child(void)
{
    struct epcap st;
    struct passwd *pw = getpwnam("nobody");
    char path[] = "/tmp/epcap-test-privs.XXXXXX";

    init_state(&st);
    if (pw == NULL || secret_file(path) < 0)
        return 30;
    if (unsetenv("SUDO_UID") < 0 || setgroups(0, NULL) < 0 ||
        setresgid(pw->pw_gid, 0, 0) < 0 || setresuid(pw->pw_uid, 0, 0) < 0)
        return 31;
    privs_start(&st);
    int rc = st.caller.mode != EPCAP_START_SETUID
                 ? 32
                 : check_caller(&st, pw->pw_uid, pw->pw_gid, path);
    if (getenv("PATH") != NULL)
        rc = 33; /* the caller's environment is gone */
    return rc;
}

static void test_setuid_start_becomes_the_caller(void **state)
{
    (void)state;
    skip_unless_root();
    assert_int_equal(in_child(setuid_start_child), 0);
}

/* As sudo leaves it: all ids root, SUDO_UID and SUDO_GID the caller's. */
static int sudo_start_child(void)
{
    struct epcap st;
    struct passwd *pw = getpwnam("nobody");
    char path[] = "/tmp/epcap-test-privs.XXXXXX", uid[16], gid[16];

    init_state(&st);
    if (pw == NULL || secret_file(path) < 0)
        return 30;
    snprintf(uid, sizeof(uid), "%u", (unsigned)pw->pw_uid);
    snprintf(gid, sizeof(gid), "%u", (unsigned)pw->pw_gid);
    /* SUDO_GID is ignored: the group comes from passwd. */
    if (setenv("SUDO_UID", uid, 1) < 0 || setenv("SUDO_GID", "0", 1) < 0)
        return 31;
    privs_start(&st);
    if (st.caller.mode != EPCAP_START_SUDO)
        return 32;
    /* nobody's own groups, not root's */
    gid_t groups[64];
    int n = getgroups(64, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == 0)
            return 34;
    return check_caller(&st, pw->pw_uid, pw->pw_gid, path);
}

static void test_sudo_start_becomes_sudo_uid(void **state)
{
    (void)state;
    skip_unless_root();
    assert_int_equal(in_child(sudo_start_child), 0);
}

/* A launcher's variable that names no user fails closed: not root. */
static int bad_sudo_uid_child(void)
{
    struct epcap st;

    init_state(&st);
    if (setenv("SUDO_UID", "alice", 1) < 0)
        return 30;
    privs_start(&st); /* exits 77 */
    return 0;
}

static void test_bad_sudo_uid_is_fatal(void **state)
{
    (void)state;
    skip_unless_root();
    assert_int_equal(in_child(bad_sudo_uid_child), EPCAP_EXIT_NOPERM);
}

/* Root with no SUDO_UID stays root until the drop. */
static int root_start_child(void)
{
    struct epcap st;

    init_state(&st);
    if (unsetenv("SUDO_UID") < 0 || unsetenv("PKEXEC_UID") < 0 ||
        unsetenv("DOAS_USER") < 0)
        return 30;
    privs_start(&st);
    if (st.caller.mode != EPCAP_START_ROOT || !st.caller.root || geteuid() != 0)
        return 31;
    return 0;
}

/* The stages only move forward: a drop before the capture privileges
 * are done, or a second start, is a bug and ends the port. */
static int drop_too_early_child(void)
{
    struct epcap st;

    init_state(&st);
    st.caller.mode = EPCAP_START_PLAIN;
    st.privs = PRIVS_CAPTURE;
    privs_drop(&st); /* exits 70 */
    return 0;
}

static int start_twice_child(void)
{
    struct epcap st;

    init_state(&st);
    if (unsetenv("SUDO_UID") < 0 || unsetenv("PKEXEC_UID") < 0 ||
        unsetenv("DOAS_USER") < 0)
        return 30;
    privs_start(&st);
    if (st.privs != PRIVS_CAPTURE)
        return 31;
    privs_net_done(&st);
    privs_start(&st); /* exits 70 */
    return 0;
}

static void test_stage_out_of_order_is_fatal(void **state)
{
    (void)state;
    assert_int_equal(in_child(drop_too_early_child), EPCAP_EXIT_SOFTWARE);
    assert_int_equal(in_child(start_twice_child), EPCAP_EXIT_SOFTWARE);
}

static void test_root_start_keeps_root(void **state)
{
    (void)state;
    skip_unless_root();
    assert_int_equal(in_child(root_start_child), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_from_root_to_nobody),
        cmocka_unit_test(test_drop_refuses_to_stay_root),
        cmocka_unit_test(test_setuid_start_becomes_the_caller),
        cmocka_unit_test(test_sudo_start_becomes_sudo_uid),
        cmocka_unit_test(test_root_start_keeps_root),
        cmocka_unit_test(test_stage_out_of_order_is_fatal),
        cmocka_unit_test(test_bad_sudo_uid_is_fatal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
