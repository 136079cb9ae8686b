/*
 * test_fanout.c: unit tests for fanout_parse (fanout.c) and --fanout in
 * options_parse. Pure: nothing is opened or joined.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_packet.h>

#include "fanout.h"
#include "options.h"

static void parses(const char *arg, int group, int mode, unsigned flags)
{
    struct epcap_fanout fo = {-1, 0, 0};
    char err[256] = "";

    if (fanout_parse(&fo, arg, err, sizeof(err)) != 0)
        fail_msg("%s: %s", arg, err);
    assert_int_equal(fo.group, group);
    assert_int_equal(fo.mode, mode);
    assert_int_equal(fo.flags, flags);
}

static void refuses(const char *arg)
{
    struct epcap_fanout fo = {-1, 0, 0};
    char err[256] = "";

    assert_int_equal(fanout_parse(&fo, arg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--fanout"));
    assert_non_null(strstr(err, "MODE:GROUP"));
    assert_int_equal(fo.group, -1);
}

static void test_modes_and_groups(void **state)
{
    (void)state;
    parses("hash:7", 7, PACKET_FANOUT_HASH, 0);
    parses("lb:0", 0, PACKET_FANOUT_LB, 0);
    parses("cpu:65535", 65535, PACKET_FANOUT_CPU, 0);
    parses("rollover:1", 1, PACKET_FANOUT_ROLLOVER, 0);
    parses("random:2", 2, PACKET_FANOUT_RND, 0);
    parses("qm:3", 3, PACKET_FANOUT_QM, 0);
}

static void test_flags(void **state)
{
    (void)state;
    parses("hash:7:defrag", 7, PACKET_FANOUT_HASH, PACKET_FANOUT_FLAG_DEFRAG);
    parses("lb:1:rollover,defrag", 1, PACKET_FANOUT_LB,
           PACKET_FANOUT_FLAG_ROLLOVER | PACKET_FANOUT_FLAG_DEFRAG);
}

static void test_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "hash",
                         "hash:",
                         ":7",
                         "bogus:7",
                         "hash:-1",
                         "hash:65536",
                         "hash:7x",
                         "hash: 7",
                         "hash:+7",
                         "hash:7:",
                         "hash:7:foo",
                         "hash:7:defrag,",
                         "hash:7:,defrag",
                         "HASH:7",
                         "hashx:7",
                         "has:7"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refuses(bad[i]);
}

static void test_options(void **state)
{
    (void)state;
    struct epcap_opts o;
    char err[256];
    char *ok[] = {"epcap", "-i", "eth0", "--fanout", "hash:7", NULL};
    char *file[] = {"epcap", "-r", "x.pcap", "--fanout", "hash:7", NULL};

    assert_int_equal(options_parse(&o, 5, ok, err, sizeof(err)), 0);
    assert_int_equal(o.fanout.group, 7);
    options_free(&o);
    assert_int_equal(options_parse(&o, 5, file, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fanout"));
    options_free(&o);
    char *none[] = {"epcap", "-i", "eth0", NULL};
    assert_int_equal(options_parse(&o, 3, none, err, sizeof(err)), 0);
    assert_int_equal(o.fanout.group, -1);
    options_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes_and_groups),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
