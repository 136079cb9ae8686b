/*
 * test_options.c: unit tests for options_parse (options.c).
 *
 * Pure: no file, device or privilege is touched; options_parse only reads
 * argv and fills struct epcap_opts. Every rejected value must also leave a
 * message that names the option, because that message is what the Erlang
 * side returns and what a shell user reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "epcap_proto.h"
#include "options.h"

#define ERRLEN 256

/* argv as options_parse sees it: "epcap" then the arguments, NULL-ended. */
#define ARGV(...) ((char *[]){"epcap", __VA_ARGS__, NULL})
#define ARGC(...) \
    ((int)(sizeof((char *[]){"epcap", __VA_ARGS__}) / sizeof(char *)))

/* Parse and expect success; the caller frees with options_free. */
#define PARSE_OK(o, ...)                                                   \
    do {                                                                   \
        char err_[ERRLEN];                                                 \
        int rc_ = options_parse((o), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), \
                                err_, sizeof(err_));                       \
        if (rc_ != 0)                                                      \
            print_error("options_parse failed: %s\n", err_);               \
        assert_int_equal(rc_, 0);                                          \
    } while (0)

/* Parse, expect failure, and expect the message to contain `needle`. */
#define PARSE_BAD(needle, ...)                                              \
    do {                                                                    \
        struct epcap_opts o_;                                               \
        char err_[ERRLEN];                                                  \
        int rc_ = options_parse(&o_, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__),  \
                                err_, sizeof(err_));                        \
        options_free(&o_);                                                  \
        assert_int_equal(rc_, -1);                                          \
        assert_true(err_[0] != '\0');                                       \
        if (strstr(err_, (needle)) == NULL)                                 \
            fail_msg("message '%s' does not contain '%s'", err_, (needle)); \
    } while (0)

/* Defaults */

static void test_defaults(void **state)
{
    (void)state;
    struct epcap_opts o;
    char err[ERRLEN];
    char *argv[] = {"epcap", NULL};

    assert_int_equal(options_parse(&o, 1, argv, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_null(o.interface);
    assert_null(o.file);
    assert_null(o.filter);
    assert_int_equal(o.snaplen, 262144);
    assert_int_equal(o.snaplen, EPCAP_SNAPLEN_DEFAULT);
    assert_false(o.promisc);
    assert_false(o.monitor);
    assert_int_equal(o.timeout_mode, TIMEOUT_ADAPTIVE);
    assert_int_equal(o.timeout_ms, EPCAP_TIMEOUT_DEFAULT);
    assert_int_equal(o.buffer_size, 0);
    assert_int_equal(o.direction, PCAP_D_INOUT);
    assert_false(o.direction_set);
    assert_int_equal(o.precision, -1);
    assert_null(o.user);
    assert_null(o.group);
    assert_null(o.chroot_dir);
    assert_int_equal(o.env_count, 0);
    assert_int_equal(o.verbose, 0);
    assert_false(o.inject);
    assert_int_equal(o.cluster_id, -1);
    assert_null(o.cpu_affinity);
    assert_false(o.help);
    assert_false(o.version);
    options_free(&o);
}

/* Every option, long and short */

static void test_interface(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-i", "eth0");
    assert_string_equal(o.interface, "eth0");
    options_free(&o);
    PARSE_OK(&o, "--interface", "lo");
    assert_string_equal(o.interface, "lo");
    options_free(&o);
    PARSE_OK(&o, "--interface=veth1");
    assert_string_equal(o.interface, "veth1");
    options_free(&o);
}

static void test_file(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-r", "/tmp/a.pcap");
    assert_string_equal(o.file, "/tmp/a.pcap");
    assert_null(o.interface);
    options_free(&o);
    PARSE_OK(&o, "--file", "b.pcapng");
    assert_string_equal(o.file, "b.pcapng");
    options_free(&o);
}

static void test_snaplen(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-s", "96");
    assert_int_equal(o.snaplen, 96);
    options_free(&o);
    PARSE_OK(&o, "--snaplen", "1");
    assert_int_equal(o.snaplen, 1);
    options_free(&o);
    PARSE_OK(&o, "--snaplen=262144");
    assert_int_equal(o.snaplen, 262144);
    options_free(&o);
    PARSE_OK(&o, "-s1500");
    assert_int_equal(o.snaplen, 1500);
    options_free(&o);
}

static void test_flags(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-P", "-M", "-v", "-h");
    assert_true(o.promisc);
    assert_true(o.monitor);
    assert_int_equal(o.verbose, 1);
    assert_true(o.help);
    assert_false(o.inject);
    assert_false(o.version);
    options_free(&o);

    PARSE_OK(&o, "--promiscuous", "--monitor", "--verbose", "--help",
             "--inject", "--version");
    assert_true(o.promisc);
    assert_true(o.monitor);
    assert_int_equal(o.verbose, 1);
    assert_true(o.help);
    assert_true(o.inject);
    assert_true(o.version);
    options_free(&o);
}

static void test_verbose_counts(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-vvv", "--verbose");
    assert_int_equal(o.verbose, 4);
    options_free(&o);
}

static void test_buffer_size(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-B", "65536");
    assert_int_equal(o.buffer_size, 65536);
    options_free(&o);
    PARSE_OK(&o, "--buffer-size", "2147483647");
    assert_int_equal(o.buffer_size, 2147483647);
    options_free(&o);
}

static void test_user_group_chroot(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-u", "nobody", "-g", "nogroup", "-d", "/var/empty");
    assert_string_equal(o.user, "nobody");
    assert_string_equal(o.group, "nogroup");
    assert_string_equal(o.chroot_dir, "/var/empty");
    options_free(&o);
    PARSE_OK(&o, "--user", "u1", "--group", "g1", "--chroot", "/srv");
    assert_string_equal(o.user, "u1");
    assert_string_equal(o.group, "g1");
    assert_string_equal(o.chroot_dir, "/srv");
    options_free(&o);
}

static void test_cluster_id(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "--cluster-id", "0");
    assert_int_equal(o.cluster_id, 0);
    options_free(&o);
    PARSE_OK(&o, "--cluster-id=255");
    assert_int_equal(o.cluster_id, 255);
    options_free(&o);
}

static void test_cpu_affinity(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-a", "0,2-3");
    assert_string_equal(o.cpu_affinity, "0,2-3");
    /* Parsed with the options, before any privilege is used. */
    assert_int_equal(CPU_COUNT(&o.cpus), 3);
    assert_true(CPU_ISSET(0, &o.cpus) && CPU_ISSET(2, &o.cpus) &&
                CPU_ISSET(3, &o.cpus));
    options_free(&o);
    PARSE_OK(&o, "--cpu-affinity", "7");
    assert_string_equal(o.cpu_affinity, "7");
    options_free(&o);
    PARSE_BAD("cpu", "-a", "");
    PARSE_BAD("cpu", "-a", "0,x");
    PARSE_BAD("cpu", "--cpu-affinity", "1 2");
    PARSE_BAD("cpu", "-a", "3-1");
    PARSE_BAD("cpu", "-a", "1--2");
    PARSE_BAD("cpu", "-a", ",1");
    PARSE_BAD("cpu", "-a", "99999");
}

/* The CPU lists of test/cpu_list_vectors.txt, also read by
 * test/epcap_opts_tests.erl: the port takes what epcap_opts takes. Run
 * from c_src/, as make unit does. */
static void test_cpu_list_vectors(void **state)
{
    (void)state;
    FILE *fp = fopen("../test/cpu_list_vectors.txt", "r");
    char line[256];
    int seen = 0;

    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *list = strchr(line, ' ');
        list = list == NULL ? line + strlen(line) : list + 1;
        bool accept = strncmp(line, "accept", 6) == 0;
        assert_true(accept || strncmp(line, "refuse", 6) == 0);
        if (accept) {
            struct epcap_opts o;
            PARSE_OK(&o, "-a", list);
            options_free(&o);
        } else {
            PARSE_BAD("cpu_affinity", "-a", list);
        }
        seen++;
    }
    fclose(fp);
    assert_true(seen > 10);
}

/* Filter: the trailing arguments */

static void test_filter_joined(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "tcp", "port", "80");
    assert_string_equal(o.filter, "tcp port 80");
    options_free(&o);
    assert_null(o.filter);

    PARSE_OK(&o, "-i", "eth0", "-s", "128", "udp");
    assert_string_equal(o.filter, "udp");
    assert_string_equal(o.interface, "eth0");
    assert_int_equal(o.snaplen, 128);
    options_free(&o);

    /* One argument already holding spaces is kept as is. */
    PARSE_OK(&o, "host 10.0.0.1 and", "not", "arp");
    assert_string_equal(o.filter, "host 10.0.0.1 and not arp");
    options_free(&o);
}

static void test_filter_after_double_dash(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-v", "--", "-x", "tcp");
    assert_int_equal(o.verbose, 1);
    assert_string_equal(o.filter, "-x tcp");
    options_free(&o);
}

static void test_filter_stops_option_parsing(void **state)
{
    (void)state;
    struct epcap_opts o;

    /* "+" in the optstring: options end at the first filter word, so an
     * option-looking word inside the filter is not reordered or parsed. */
    PARSE_OK(&o, "tcp", "-v");
    assert_int_equal(o.verbose, 0);
    assert_string_equal(o.filter, "tcp -v");
    options_free(&o);
}

/* Numbers */

static void test_number_junk_rejected(void **state)
{
    (void)state;
    const char *junk[] = {"12x", "", " 5", "+5", "0x10", "5 ", "1e3", "abc"};

    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        char *v = (char *)junk[i];
        PARSE_BAD("snaplen", "-s", v);
        PARSE_BAD("snaplen", "--snaplen", v);
        PARSE_BAD("buffer", "-B", v);
        PARSE_BAD("cluster", "--cluster-id", v);
        PARSE_BAD("timeout", "-t", v);
    }
}

static void test_number_negative_rejected(void **state)
{
    (void)state;

    PARSE_BAD("snaplen", "-s", "-1");
    PARSE_BAD("snaplen", "--snaplen=-1");
    PARSE_BAD("buffer", "-B", "-1");
    PARSE_BAD("buffer", "--buffer-size", "-65536");
    PARSE_BAD("cluster", "--cluster-id", "-1");
    PARSE_BAD("timeout", "-t", "-1");
    PARSE_BAD("timeout", "--timeout", "-250");
}

static void test_number_out_of_range_rejected(void **state)
{
    (void)state;

    PARSE_BAD("snaplen", "-s", "0");
    PARSE_BAD("snaplen", "-s", "262145");
    PARSE_BAD("snaplen", "-s", "99999999999999999999999");
    PARSE_BAD("buffer", "-B", "65535");
    PARSE_BAD("buffer", "-B", "2147483648");
    PARSE_BAD("cluster", "--cluster-id", "256");
    PARSE_BAD("timeout", "-t", "2147483648");
    PARSE_BAD("timeout", "-t", "99999999999999999999999");
}

static void test_number_message_shape(void **state)
{
    (void)state;
    struct epcap_opts o;
    char err[ERRLEN];

    assert_int_equal(options_parse(&o, ARGC("-s", "12x"), ARGV("-s", "12x"),
                                   err, sizeof(err)),
                     -1);
    options_free(&o);
    assert_string_equal(err, "snaplen: invalid value '12x': expected an "
                             "integer in 1..262144");
}

static void test_error_message_truncated_safely(void **state)
{
    (void)state;
    struct epcap_opts o;
    char err[8];

    memset(err, 'X', sizeof(err));
    assert_int_equal(options_parse(&o, ARGC("-s", "12x"), ARGV("-s", "12x"),
                                   err, sizeof(err)),
                     -1);
    options_free(&o);
    assert_int_equal(strlen(err), sizeof(err) - 1);
}

/* Timeout */

static void test_timeout(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-t", "immediate");
    assert_int_equal(o.timeout_mode, TIMEOUT_IMMEDIATE);
    options_free(&o);
    PARSE_OK(&o, "-t", "adaptive");
    assert_int_equal(o.timeout_mode, TIMEOUT_ADAPTIVE);
    assert_int_equal(o.timeout_ms, EPCAP_TIMEOUT_DEFAULT);
    options_free(&o);
    PARSE_OK(&o, "--timeout", "infinity");
    assert_int_equal(o.timeout_mode, TIMEOUT_INFINITY);
    options_free(&o);
    PARSE_OK(&o, "-t", "0");
    assert_int_equal(o.timeout_mode, TIMEOUT_IMMEDIATE);
    options_free(&o);
    PARSE_OK(&o, "--timeout=250");
    assert_int_equal(o.timeout_mode, TIMEOUT_MS);
    assert_int_equal(o.timeout_ms, 250);
    options_free(&o);
    PARSE_OK(&o, "-t", "2147483647");
    assert_int_equal(o.timeout_mode, TIMEOUT_MS);
    assert_int_equal(o.timeout_ms, 2147483647);
    options_free(&o);
    /* The last one given wins. */
    PARSE_OK(&o, "-t", "250", "-t", "infinity");
    assert_int_equal(o.timeout_mode, TIMEOUT_INFINITY);
    options_free(&o);
    PARSE_BAD("timeout", "-t", "Immediate");
    PARSE_BAD("timeout", "-t", "forever");
}

/* Direction */

static void test_direction(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-Q", "in");
    assert_int_equal(o.direction, PCAP_D_IN);
    assert_true(o.direction_set);
    options_free(&o);
    PARSE_OK(&o, "--direction", "out");
    assert_int_equal(o.direction, PCAP_D_OUT);
    assert_true(o.direction_set);
    options_free(&o);
    PARSE_OK(&o, "--direction=inout");
    assert_int_equal(o.direction, PCAP_D_INOUT);
    assert_true(o.direction_set);
    options_free(&o);
    PARSE_BAD("direction", "-Q", "both");
    PARSE_BAD("direction", "--direction", "");
    PARSE_BAD("direction", "-Q", "IN");
}

/* Time stamp precision */

static void test_precision(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "--time-stamp-precision", "micro");
    assert_int_equal(o.precision, PCAP_TSTAMP_PRECISION_MICRO);
    options_free(&o);
    PARSE_OK(&o, "--time-stamp-precision=nano");
    assert_int_equal(o.precision, PCAP_TSTAMP_PRECISION_NANO);
    options_free(&o);
    PARSE_BAD("precision", "--time-stamp-precision", "milli");
    PARSE_BAD("precision", "--time-stamp-precision", "");
}

/* Environment */

static void test_env(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-e", "PCAP_X=1", "--env", "EMPTY=", "--env=A=b=c");
    assert_int_equal(o.env_count, 3);
    assert_string_equal(o.env[0], "PCAP_X=1");
    assert_string_equal(o.env[1], "EMPTY=");
    assert_string_equal(o.env[2], "A=b=c");
    options_free(&o);
    PARSE_BAD("env", "-e", "=x");
    PARSE_BAD("env", "-e", "noequals");
    PARSE_BAD("env", "--env", "");
}

static void test_env_limit(void **state)
{
    (void)state;
    enum {
        MAX = 16
    };
    char *argv[1 + 2 * (MAX + 1) + 1];
    char vals[MAX + 1][32];
    struct epcap_opts o;
    char err[ERRLEN];

    argv[0] = "epcap";
    for (int i = 0; i < MAX + 1; i++) {
        snprintf(vals[i], sizeof(vals[i]), "K%d=%d", i, i);
        argv[1 + 2 * i] = "-e";
        argv[2 + 2 * i] = vals[i];
    }
    argv[1 + 2 * (MAX + 1)] = NULL;

    /* 16 are accepted. */
    assert_int_equal(options_parse(&o, 1 + 2 * MAX, argv, err, sizeof(err)), 0);
    assert_int_equal(o.env_count, MAX);
    assert_string_equal(o.env[MAX - 1], "K15=15");
    options_free(&o);

    /* The 17th is not. */
    assert_int_equal(
        options_parse(&o, 1 + 2 * (MAX + 1), argv, err, sizeof(err)), -1);
    options_free(&o);
    assert_non_null(strstr(err, "env"));
}

/* Combinations */

static void test_file_and_interface_rejected(void **state)
{
    (void)state;

    PARSE_BAD("file", "-r", "a.pcap", "-i", "eth0");
    PARSE_BAD("interface", "--interface", "eth0", "--file", "a.pcap");
}

static void test_file_dash_rejected(void **state)
{
    (void)state;

    PARSE_BAD("file", "-r", "-");
    PARSE_BAD("file", "--file=-");
}

static void test_empty_names_rejected(void **state)
{
    (void)state;

    PARSE_BAD("file", "-r", "");
    PARSE_BAD("interface", "-i", "");
}

static void test_direction_with_file_rejected(void **state)
{
    (void)state;

    PARSE_BAD("direction", "-r", "a.pcap", "-Q", "in");
    PARSE_BAD("direction", "--direction", "inout", "--file", "a.pcap");
}

/* A section comment goes into pcapng output only: without it, refused
 * (as the Erlang side refuses {capture_comment, _} without pcapng). */
static void test_capture_comment_needs_pcapng(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_BAD("capture-comment", "-w", "-", "--capture-comment", "x");
    PARSE_BAD("capture-comment", "--capture-comment", "x");
    PARSE_BAD("capture-comment", "--dump", "d.pcap", "--capture-comment", "x");
    PARSE_OK(&o, "-w", "-", "--pcapng", "--capture-comment", "x");
    options_free(&o);
    PARSE_OK(&o, "--dump", "d", "--dump-pcapng", "--capture-comment", "x");
    options_free(&o);
}

static void test_direction_with_interface_ok(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "-i", "eth0", "-Q", "out", "icmp");
    assert_int_equal(o.direction, PCAP_D_OUT);
    assert_string_equal(o.filter, "icmp");
    options_free(&o);
}

/* Unknown options and missing values */

static void test_unknown_option_rejected(void **state)
{
    (void)state;

    PARSE_BAD("-x", "-x");
    PARSE_BAD("unknown", "-x");
    PARSE_BAD("--bogus", "--bogus");
    PARSE_BAD("--bogus", "-v", "--bogus=1");
    /* Ambiguous abbreviation: --ti is --timeout or --time-stamp-... */
    PARSE_BAD("--ti", "--ti", "5");
}

static void test_missing_value_rejected(void **state)
{
    (void)state;

    /* Each message must at least point at the option. */
    PARSE_BAD("-s", "-s");
    PARSE_BAD("-i", "-v", "-i");
    PARSE_BAD("-t", "--timeout");
    PARSE_BAD("-e", "--env");
    PARSE_BAD("--cluster-id", "--cluster-id");
    PARSE_BAD("--time-stamp-precision", "--time-stamp-precision");
}

/*
 * Known bug: the optstring does not begin with ':' after '+', so
 * getopt_long returns '?' (not ':') for a missing value and the message
 * says "unknown option" for an option that exists.
 */
static void test_missing_value_says_missing(void **state)
{
    (void)state;

    PARSE_BAD("-s: missing value", "-s");
    PARSE_BAD("--snaplen: missing value", "--snaplen");
    PARSE_BAD("--bogus: unknown option", "--bogus=1");
    PARSE_BAD("-x: unknown option", "-vx");
    PARSE_BAD("missing value", "-v", "-i");
}

/* getopt state is reset on every call */

static void test_parse_repeatedly(void **state)
{
    (void)state;
    struct epcap_opts o;
    char err[ERRLEN];

    PARSE_OK(&o, "-s", "100", "-P", "tcp");
    assert_int_equal(o.snaplen, 100);
    assert_true(o.promisc);
    assert_string_equal(o.filter, "tcp");
    options_free(&o);

    /* Nothing carries over from the previous call. */
    PARSE_OK(&o, "-v", "udp");
    assert_int_equal(o.snaplen, EPCAP_SNAPLEN_DEFAULT);
    assert_false(o.promisc);
    assert_int_equal(o.verbose, 1);
    assert_string_equal(o.filter, "udp");
    options_free(&o);

    /* A failure in the middle of a cluster of short options leaves
     * getopt pointing inside "-vx"; the next call must start afresh. */
    assert_int_equal(
        options_parse(&o, ARGC("-vxP"), ARGV("-vxP"), err, sizeof(err)), -1);
    options_free(&o);
    PARSE_OK(&o, "-M");
    assert_true(o.monitor);
    assert_int_equal(o.verbose, 0);
    assert_false(o.promisc);
    assert_null(o.filter);
    options_free(&o);

    /* And a call with no arguments after one with many. */
    char *argv[] = {"epcap", NULL};
    assert_int_equal(options_parse(&o, 1, argv, err, sizeof(err)), 0);
    assert_null(o.filter);
    assert_false(o.monitor);
    options_free(&o);
}

static void test_error_cleared_on_success(void **state)
{
    (void)state;
    struct epcap_opts o;
    char err[ERRLEN];

    strcpy(err, "stale");
    PARSE_OK(&o, "-v");
    options_free(&o);
    char *argv[] = {"epcap", "-v", NULL};
    assert_int_equal(options_parse(&o, 2, argv, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    options_free(&o);
}

static void test_free_twice_safe(void **state)
{
    (void)state;
    struct epcap_opts o;

    PARSE_OK(&o, "tcp");
    options_free(&o);
    options_free(&o);
    assert_null(o.filter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cpu_list_vectors),
        cmocka_unit_test(test_interface),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_snaplen),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_verbose_counts),
        cmocka_unit_test(test_buffer_size),
        cmocka_unit_test(test_user_group_chroot),
        cmocka_unit_test(test_cluster_id),
        cmocka_unit_test(test_cpu_affinity),
        cmocka_unit_test(test_filter_joined),
        cmocka_unit_test(test_filter_after_double_dash),
        cmocka_unit_test(test_filter_stops_option_parsing),
        cmocka_unit_test(test_number_junk_rejected),
        cmocka_unit_test(test_number_negative_rejected),
        cmocka_unit_test(test_number_out_of_range_rejected),
        cmocka_unit_test(test_number_message_shape),
        cmocka_unit_test(test_error_message_truncated_safely),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_direction),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_env_limit),
        cmocka_unit_test(test_file_and_interface_rejected),
        cmocka_unit_test(test_file_dash_rejected),
        cmocka_unit_test(test_empty_names_rejected),
        cmocka_unit_test(test_direction_with_file_rejected),
        cmocka_unit_test(test_direction_with_interface_ok),
        cmocka_unit_test(test_unknown_option_rejected),
        cmocka_unit_test(test_missing_value_rejected),
        cmocka_unit_test(test_missing_value_says_missing),
        cmocka_unit_test(test_parse_repeatedly),
        cmocka_unit_test(test_error_cleared_on_success),
        cmocka_unit_test(test_free_twice_safe),
        cmocka_unit_test(test_capture_comment_needs_pcapng),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
