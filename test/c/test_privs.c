/*
 * test_privs.c: unit tests for privs.c, sandbox_rlimit.c and the parts of
 * sandbox_seccomp.c that can be checked without loading a filter.
 *
 * sandbox_seccomp.c is included, not linked, so its static functions (the
 * report formatter, the frame writer, the rule groups) can be called
 * directly. Anything that changes the process for good (resource limits,
 * the privilege drop, a seccomp filter) runs in a forked child that
 * reports through its exit status. The privilege cases need root and are
 * skipped without it.
 */
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

#include "sandbox_seccomp.c"

#define AUDIT_I386 0x40000003u

static void init_state(struct epcap *st)
{
    memset(st, 0, sizeof(*st));
    st->pcap_fd = -1;
    st->opt.cluster_id = -1;
    st->opt.credit = -1;
    st->opt.datalink = -1;
}

/* Run fn in a child; its exit status. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void skip_unless_root(void)
{
    if (geteuid() != 0)
        skip();
}

/* ---- the violation report ---- */

static struct epcap report_st;

static void setup_trap(void)
{
    static bool done;

    if (done)
        return;
    init_state(&report_st);
    install_handler(&report_st);
    done = true;
}

static void test_report_names_a_native_call(void **state)
{
    char got[REPORT_MAX], want[REPORT_MAX];
    uint32_t arch = seccomp_arch_native();

    (void)state;
    setup_trap();
    size_t n = format_report(got, __NR_openat, arch);
    snprintf(want, sizeof(want),
             "sandbox violation: openat (syscall %d, arch 0x%x)", __NR_openat,
             arch);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
}

static void test_report_numbers_a_foreign_call(void **state)
{
    char got[REPORT_MAX];

    (void)state;
    setup_trap();
    format_report(got, 20, AUDIT_I386);
    assert_string_equal(got, "sandbox violation: 20 (syscall 20, arch "
                             "0x40000003, not the native ABI)");
    /* A number past the table (x32 on x86_64) has no name either. */
    format_report(got, 0x40000027, seccomp_arch_native());
    assert_non_null(strstr(got, "sandbox violation: 1073741863 (syscall "
                                "1073741863, arch 0x"));
}

/* The report finishes a half-written frame before its own, so the owner
 * never sees a torn stream. */
static void test_report_frame_completes_pending_output(void **state)
{
    int fds[2];
    struct obuf ob;
    unsigned char got[256];
    const char *msg = "openat"; /* the call alone (epcap_proto.h) */

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(obuf_init(&ob, fds[1], 4096), 0);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_EOF, NULL, 0, NULL, 0), 0);
    assert_int_equal(obuf_frame(&ob, EPCAP_FRAME_EOF, NULL, 0, NULL, 0), 0);
    /* As if a write had stopped three bytes into the second frame. */
    assert_int_equal(write(fds[1], ob.buf, 8), 8);
    ob.start = 8;
    report_frame(&ob, msg, strlen(msg));
    close(fds[1]);

    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], got + len, sizeof(got) - len)) > 0)
        len += (size_t)n;
    close(fds[0]);
    obuf_free(&ob);
    assert_int_equal(len, 10 + 8 + strlen(msg));
    static const unsigned char two_eofs[10] = {0, 0, 0, 1, 3, 0, 0, 0, 1, 3};
    assert_memory_equal(got, two_eofs, 10);
    const unsigned char head[8] = {0, 0, 0, (unsigned char)(4 + strlen(msg)),
                                   EPCAP_FRAME_ERROR, 0, EPCAP_E_SANDBOX_VIOLATION, 1};
    assert_memory_equal(got + 10, head, 8);
    assert_memory_equal(got + 18, msg, strlen(msg));
}

/* ---- the filter, as libseccomp compiles it ---- */

static char *filter_text(struct epcap *st)
{
    scmp_filter_ctx ctx = new_filter(st);
    FILE *fp = tmpfile();
    static char text[256 * 1024];

    assert_non_null(fp);
    allow_io(st, ctx);
    allow_packet_socket(st, ctx);
    allow_memory(st, ctx);
    allow_process(st, ctx);
    refuse_probes(st, ctx);
    assert_int_equal(seccomp_export_pfc(ctx, fileno(fp)), 0);
    seccomp_release(ctx);
    rewind(fp);
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    return text;
}

static bool has_rule(const char *text, const char *name)
{
    char key[64];

    snprintf(key, sizeof(key), "syscall \"%s\"", name);
    return strstr(text, key) != NULL;
}

static void test_filter_allows_injection_only_when_asked(void **state)
{
    struct epcap st;

    (void)state;
    init_state(&st);
    st.pcap_fd = 5;
    assert_false(has_rule(filter_text(&st), "sendto"));
    st.opt.inject = true;
    assert_true(has_rule(filter_text(&st), "sendto"));
}

static void test_filter_gives_a_file_no_socket_calls(void **state)
{
    struct epcap st;

    (void)state;
    init_state(&st);
    st.is_file = true;
    st.pcap = pcap_open_dead(DLT_EN10MB, 65535);
    assert_non_null(st.pcap);
    const char *text = filter_text(&st);
    pcap_close(st.pcap);
    static const char *const socket_calls[] = {
        "getsockopt", "setsockopt", "recvfrom", "sendto", "getsockname",
        "ioctl"};
    for (size_t i = 0; i < sizeof(socket_calls) / sizeof(*socket_calls); i++)
        assert_false(has_rule(text, socket_calls[i]));
}

static void test_filter_has_no_way_out(void **state)
{
    struct epcap st;

    (void)state;
    init_state(&st);
    st.pcap_fd = 5;
    st.opt.inject = true;
    const char *text = filter_text(&st);
    static const char *const never[] = {
        "execve", "execveat", "fork", "vfork", "clone", "clone3", "connect",
        "bind", "accept", "openat2", "ptrace", "kill", "setuid", "setresuid",
        "capset", "prctl", "seccomp", "bpf", "dup", "dup2", "dup3", "pipe",
        "pipe2", "eventfd2", "memfd_create", "rt_sigaction", "unlink",
        "mkdir", "chroot"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
        if (has_rule(text, never[i]))
            fail_msg("the filter has a rule for %s", never[i]);
    }
}

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
        cmocka_unit_test(test_report_names_a_native_call),
        cmocka_unit_test(test_report_numbers_a_foreign_call),
        cmocka_unit_test(test_report_frame_completes_pending_output),
        cmocka_unit_test(test_filter_allows_injection_only_when_asked),
        cmocka_unit_test(test_filter_gives_a_file_no_socket_calls),
        cmocka_unit_test(test_filter_has_no_way_out),
        cmocka_unit_test(test_limits_leave_no_room_for_new_descriptors),
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
