/*
 * test_seccomp.c: unit tests for the parts of sandbox_seccomp.c that can
 * be checked without loading a filter: the violation report (its text and
 * its ERROR frame) and the rule groups (what the allow-list holds for a
 * live capture, a file, with and without --inject).
 *
 * sandbox_seccomp.c is included, not linked, so its static functions can
 * be called directly.
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
#include "test_child.h"

#define AUDIT_I386 0x40000003u

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
    const unsigned char head[8] = {0,
                                   0,
                                   0,
                                   (unsigned char)(4 + strlen(msg)),
                                   EPCAP_FRAME_ERROR,
                                   0,
                                   EPCAP_E_SANDBOX_VIOLATION,
                                   1};
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
    static const char *const socket_calls[] = {"getsockopt",  "setsockopt",
                                               "recvfrom",    "sendto",
                                               "getsockname", "ioctl"};
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
        "execve",       "execveat", "fork",   "vfork",     "clone",
        "clone3",       "connect",  "bind",   "accept",    "openat2",
        "ptrace",       "kill",     "setuid", "setresuid", "capset",
        "prctl",        "seccomp",  "bpf",    "dup",       "dup2",
        "dup3",         "pipe",     "pipe2",  "eventfd2",  "memfd_create",
        "rt_sigaction", "unlink",   "mkdir",  "chroot"};
    for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
        if (has_rule(text, never[i]))
            fail_msg("the filter has a rule for %s", never[i]);
    }
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
