/*
 * test_vectors.c: the C side of the shared protocol vectors.
 *
 * test/protocol_vectors.txt holds whole frames in hex; the Erlang side
 * (test/epcap_codec_tests.erl) decodes the same lines. Here every "out"
 * vector must be exactly what the port's own encoders write, and every
 * "in" vector must decode to the command it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "control.h"
#include "epcap_proto.h"
#include "frame.h"
#include "listing.h"
#include "report.h"
#include "state.h"

#define VECTORS "../test/protocol_vectors.txt"

static int vector(const char *name, unsigned char *out, size_t *len)
{
    FILE *fp = fopen(VECTORS, "r");
    char line[4096], n[64], dir[8], hex[4000];

    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (line[0] == '#' || sscanf(line, "%63s %7s %3999s", n, dir, hex) != 3)
            continue;
        if (strcmp(n, name) != 0)
            continue;
        *len = strlen(hex) / 2;
        for (size_t i = 0; i < *len; i++) {
            unsigned int b;
            assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
            out[i] = (unsigned char)b;
        }
        fclose(fp);
        return 0;
    }
    fclose(fp);
    fail_msg("vector %s not found", name);
    return -1;
}

/* A port state whose stdout is a temporary file we can read back. */
static void setup_state(struct epcap *st, FILE **tmp)
{
    memset(st, 0, sizeof(*st));
    *tmp = tmpfile();
    assert_non_null(*tmp);
    st->frames = true;
    assert_int_equal(obuf_init(&st->out, fileno(*tmp), 1 << 20), 0);
}

static void expect_output(struct epcap *st, FILE *tmp, const char *name)
{
    unsigned char want[2048], got[2048];
    size_t wlen = 0;

    assert_int_equal(obuf_drain(&st->out), 0);
    vector(name, want, &wlen);
    long n = ftell(tmp);
    assert_int_equal((size_t)n, wlen);
    rewind(tmp);
    assert_int_equal(fread(got, 1, wlen, tmp), wlen);
    assert_memory_equal(got, want, wlen);
    obuf_free(&st->out);
    fclose(tmp);
}

/* The live vector: a setuid start running as uid and gid 1000 that may
 * inject; the file vector: root's start dropped to 65534 in a chroot. */
static void ready(int dlt, int snaplen, int prec, const char *name, bool file,
                  const char *vec)
{
    struct epcap st;
    FILE *tmp;

    setup_state(&st, &tmp);
    st.caller.mode = file ? EPCAP_START_ROOT : EPCAP_START_SETUID;
    st.ran_as.uid = st.ran_as.gid = file ? 65534 : 1000;
    st.ran_as.chroot = file;
    st.opt.inject = !file;
    st.pcap = pcap_open_dead_with_tstamp_precision(dlt, snaplen, prec);
    assert_non_null(st.pcap);
    st.is_file = file;
    if (file)
        st.opt.file = name;
    else
        st.device = name;
    epcap_send_ready(&st);
    pcap_close(st.pcap);
    fseek(tmp, 0, SEEK_END);
    expect_output(&st, tmp, vec);
}

static void test_ready(void **state)
{
    (void)state;
    ready(1, 262144, PCAP_TSTAMP_PRECISION_NANO, "lo", false, "ready");
    ready(113, 65535, PCAP_TSTAMP_PRECISION_MICRO, "/tmp/x.pcap", true,
          "ready_file_micro");
}

static void test_packets(void **state)
{
    static const unsigned char data[] = {0xde, 0xad, 0xbe, 0xef};
    struct pcap_pkthdr h1 = {{1700000000, 123456789}, 4, 60};
    struct pcap_pkthdr h2 = {{1700000001, 999999999}, 0, 0};
    struct epcap st;
    FILE *tmp;

    (void)state;
    setup_state(&st, &tmp);
    obuf_packet(&st.out, &h1, data);
    obuf_close_batch(&st.out);
    expect_output(&st, tmp, "packets_one");

    setup_state(&st, &tmp);
    obuf_packet(&st.out, &h1, data);
    obuf_packet(&st.out, &h2, data);
    obuf_close_batch(&st.out);
    expect_output(&st, tmp, "packets_two");
}

/* Protocol 5: an interface described, a change of link type, a packet
 * with its interface index. */
static void test_v5_frames(void **state)
{
    static const unsigned char data[] = {0xde, 0xad, 0xbe, 0xef};
    struct pcap_pkthdr h1 = {{1700000000, 123456789}, 4, 60};
    struct epcap_iface eth0 = {.dlt = 1,
                               .linktype = 1,
                               .snaplen = 65535,
                               .tsresol = 9,
                               .name = "eth0",
                               .filter = "tcp"};
    unsigned char dlt[4] = {0, 0, 0, 12};
    struct epcap st;
    FILE *tmp;

    (void)state;
    setup_state(&st, &tmp);
    assert_int_equal(iface_add(&st.ifaces, &eth0), 0);
    assert_int_equal(iface_frame(&st, 0), 0);
    iface_free(&st.ifaces);
    expect_output(&st, tmp, "interface");

    setup_state(&st, &tmp);
    assert_int_equal(obuf_frame(&st.out, EPCAP_FRAME_DATALINK, NULL, 0, dlt, 4),
                     0);
    expect_output(&st, tmp, "datalink");

    setup_state(&st, &tmp);
    obuf_packet_if(&st.out, &h1, data, 3);
    obuf_close_batch(&st.out);
    expect_output(&st, tmp, "ifpackets_one");
}

static void test_control(void **state)
{
    struct epcap st;
    FILE *tmp;

    (void)state;
    setup_state(&st, &tmp);
    assert_int_equal(obuf_frame(&st.out, EPCAP_FRAME_EOF, NULL, 0, NULL, 0), 0);
    expect_output(&st, tmp, "eof");

    setup_state(&st, &tmp);
    assert_int_equal(
        epcap_error_frame(&st, EPCAP_E_BAD_FILTER, true, "syntax error"), 0);
    expect_output(&st, tmp, "error_bad_filter");

    setup_state(&st, &tmp);
    assert_int_equal(
        epcap_error_frame(&st, EPCAP_E_SANDBOX_VIOLATION, true, "openat"), 0);
    expect_output(&st, tmp, "error_sandbox_violation");

    setup_state(&st, &tmp);
    epcap_warn(&st, EPCAP_E_PROMISC_NOT_SUPPORTED,
               "promiscuous mode not supported");
    expect_output(&st, tmp, "warning_promisc");

    setup_state(&st, &tmp);
    epcap_reply(&st, 7, EPCAP_E_UNKNOWN_COMMAND, NULL, 0);
    expect_output(&st, tmp, "reply_unknown_command");
}

/* -L's answer (listing.c): a dead Ethernet handle offers one link type. */
static void test_datalinks(void **state)
{
    struct epcap st;
    FILE *tmp;

    (void)state;
    setup_state(&st, &tmp);
    st.pcap = pcap_open_dead(DLT_EN10MB, 65535);
    assert_non_null(st.pcap);
    assert_int_equal(listing_datalinks(&st), EPCAP_EXIT_OK);
    pcap_close(st.pcap);
    expect_output(&st, tmp, "datalinks_en10mb");
}

static void test_commands(void **state)
{
    unsigned char buf[64];
    size_t len = 0, used = 0;
    struct epcap_cmd cmd;
    const char *why = NULL;

    (void)state;
    vector("cmd_stop", buf, &len);
    assert_int_equal(cmd_decode(buf, len, &cmd, &used, &why), CMD_OK);
    assert_int_equal(used, len);
    assert_int_equal(cmd.tag, EPCAP_CMD_STOP);
    assert_int_equal(cmd.id, 0);
    assert_int_equal(cmd.body_len, 0);

    vector("cmd_unknown", buf, &len);
    assert_int_equal(cmd_decode(buf, len, &cmd, &used, &why), CMD_OK);
    assert_int_equal(cmd.tag, 0x7f);
    assert_int_equal(cmd.id, 0x01020304);
    assert_int_equal(cmd.body_len, 2);
    assert_int_equal(cmd.body[0], 0xab);
    assert_int_equal(cmd.body[1], 0xcd);
}

static void decode(const char *name, struct epcap_cmd *cmd, unsigned char *buf)
{
    size_t len = 0, used = 0;
    const char *why = NULL;

    vector(name, buf, &len);
    assert_int_equal(cmd_decode(buf, len, cmd, &used, &why), CMD_OK);
    assert_int_equal(used, len);
}

static void test_v2_commands(void **state)
{
    unsigned char buf[64];
    struct epcap_cmd cmd;

    (void)state;
    decode("cmd_inject", &cmd, buf);
    assert_int_equal(cmd.tag, EPCAP_CMD_INJECT);
    assert_int_equal(cmd.body_len, 4);
    decode("cmd_inject_batch", &cmd, buf);
    assert_int_equal(cmd.tag, EPCAP_CMD_INJECT_BATCH);
    assert_int_equal(cmd.id, 5);
    assert_int_equal(cmd.body_len, 4 + 2 + 4 + 1);
    decode("cmd_filter", &cmd, buf);
    assert_int_equal(cmd.tag, EPCAP_CMD_FILTER);
    assert_memory_equal(cmd.body, "tcp", 3);
    decode("cmd_stats", &cmd, buf);
    assert_int_equal(cmd.tag, EPCAP_CMD_STATS);
    assert_int_equal(cmd.id, 7);
    decode("cmd_credit", &cmd, buf);
    assert_int_equal(cmd.tag, EPCAP_CMD_CREDIT);
    assert_int_equal(cmd.body_len, 4);
}

/* The port's own handlers produce exactly the reply vectors. */
static void test_v2_replies(void **state)
{
    unsigned char buf[64];
    struct epcap_cmd cmd;
    struct epcap st;
    FILE *tmp;

    (void)state;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);

    setup_state(&st, &tmp);
    st.pcap = dead;
    st.is_file = true;
    st.cnt = (struct epcap_counters){4, 5, 6, 7, 8, 9, 10};
    decode("cmd_stats", &cmd, buf);
    control_handle(&st, &cmd);
    expect_output(&st, tmp, "reply_stats_file");

    setup_state(&st, &tmp);
    st.opt.inject = false;
    decode("cmd_inject_batch", &cmd, buf);
    control_handle(&st, &cmd);
    expect_output(&st, tmp, "reply_inject_disabled");
    pcap_close(dead);
}

/* v7: IFSTATS, one record per interface; a file's have no counters. */
static void test_v7_ifstats(void **state)
{
    unsigned char buf[64];
    struct epcap_cmd cmd;
    struct epcap st;
    FILE *tmp;

    (void)state;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    setup_state(&st, &tmp);
    st.pcap = dead;
    st.is_file = true;
    struct epcap_iface one = {.dlt = DLT_EN10MB, .delivered = 4};
    assert_int_equal(iface_add(&st.ifaces, &one), 0);
    decode("cmd_ifstats", &cmd, buf);
    assert_int_equal(cmd.tag, EPCAP_CMD_IFSTATS);
    assert_int_equal(cmd.id, 8);
    control_handle(&st, &cmd);
    expect_output(&st, tmp, "reply_ifstats_file");
    iface_free(&st.ifaces);
    pcap_close(dead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready),       cmocka_unit_test(test_packets),
        cmocka_unit_test(test_control),     cmocka_unit_test(test_datalinks),
        cmocka_unit_test(test_v5_frames),   cmocka_unit_test(test_commands),
        cmocka_unit_test(test_v2_commands), cmocka_unit_test(test_v2_replies),
        cmocka_unit_test(test_v7_ifstats),
    };
    return cmocka_run_group_tests_name("protocol vectors", tests, NULL, NULL);
}
