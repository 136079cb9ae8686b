/*
 * test_anyif.c: anyif.c, the `any' device's packets told apart by the
 * interface index of their SLL2 header: names from the table taken at
 * the start, "ifindex-N" for one created later, the same interface for
 * every packet of an index, interface 0 for a packet too short to say
 * and past the table's bound. A dead handle stands for `any'; the
 * output is a pcap stream, so no interface block is written.
 */
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anyif.h"
#include "iface.h"
#include "pcapng.h"
#include "state.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static struct epcap *open_any(void)
{
    struct epcap *st = calloc(1, sizeof(*st));
    struct epcap_iface any = {.dlt = DLT_LINUX_SLL2, .name = "any"};

    assert_non_null(st);
    st->opt.interface_info = true;
    st->device = "any";
    st->nlive = 1;
    st->output = OUTPUT_PCAP;
    st->dump.fd = -1;
    st->pcap = pcap_open_dead(DLT_LINUX_SLL2, 262144);
    assert_non_null(st->pcap);
    assert_int_equal(iface_add(&st->ifaces, &any), 0);
    anyif_open(st);
    assert_non_null(st->anyif);
    return st;
}

static void close_any(struct epcap *st)
{
    anyif_free(st);
    iface_free(&st->ifaces);
    pcap_close(st->pcap);
    free(st);
}

/* The interface of a packet whose SLL2 header names kindex. */
static uint32_t iface_of(struct epcap *st, uint32_t kindex)
{
    unsigned char pkt[20] = {0};
    struct pcap_pkthdr h = {.caplen = sizeof(pkt), .len = sizeof(pkt)};

    pkt[4] = (unsigned char)(kindex >> 24);
    pkt[5] = (unsigned char)(kindex >> 16);
    pkt[6] = (unsigned char)(kindex >> 8);
    pkt[7] = (unsigned char)kindex;
    st->cur_if = 12345;
    anyif_packet(st, &h, pkt);
    return st->cur_if;
}

/* lo is known by name; each index is one interface, a copy of `any'. */
static void test_known_name(void **state)
{
    struct epcap *st = open_any();
    unsigned lo = if_nametoindex("lo");

    (void)state;
    assert_true(lo > 0);
    assert_int_equal(iface_of(st, lo), 1);
    assert_int_equal(iface_of(st, lo), 1);
    assert_int_equal(st->ifaces.n, 2);
    assert_string_equal(st->ifaces.v[1].name, "lo");
    assert_null(st->ifaces.v[1].description);
    assert_int_equal(st->ifaces.v[1].dlt, DLT_LINUX_SLL2);
    close_any(st);
}

/* An index the start did not know: its placeholder name, and why. */
static void test_unknown_index(void **state)
{
    struct epcap *st = open_any();
    char want[32];

    (void)state;
    assert_int_equal(iface_of(st, 0x7ffffff0u), 1);
    snprintf(want, sizeof(want), ANYIF_UNKNOWN_NAME, 0x7ffffff0u);
    assert_string_equal(st->ifaces.v[1].name, want);
    assert_string_equal(st->ifaces.v[1].name, "ifindex-2147483632");
    assert_non_null(strstr(st->ifaces.v[1].description,
                           "not there when the capture started"));
    close_any(st);
}

/* A packet shorter than the index stays on interface 0. */
static void test_short_packet(void **state)
{
    struct epcap *st = open_any();
    unsigned char pkt[7] = {0, 0, 0, 0, 0, 0, 1};
    struct pcap_pkthdr h = {.caplen = sizeof(pkt), .len = 100};

    (void)state;
    st->cur_if = 9;
    anyif_packet(st, &h, pkt);
    assert_int_equal(st->cur_if, 0);
    assert_int_equal(st->ifaces.n, 1);
    close_any(st);
}

/* Indexes met in any order, each again later: always its own
 * interface, numbered in the order first met. */
static void test_many_indexes(void **state)
{
    enum {
        N = 3000
    };
    struct epcap *st = open_any();
    static uint32_t k[N], got[N];

    (void)state;
    srand(18);
    for (uint32_t i = 0; i < N; i++)
        k[i] = 1000 + i * 7; /* distinct */
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rand() % (i + 1), t = k[i];
        k[i] = k[j];
        k[j] = t;
    }
    for (uint32_t i = 0; i < N; i++)
        got[i] = iface_of(st, k[i]);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(got[i], i + 1);
    for (uint32_t i = N; i-- > 0;)
        assert_int_equal(iface_of(st, k[i]), i + 1);
    assert_int_equal(st->ifaces.n, N + 1);
    close_any(st);
}

/* At most PCAPNG_IF_MAX interfaces: the packets of one more stay on
 * interface 0; those of the known ones keep theirs. */
static void test_table_bound(void **state)
{
    struct epcap *st = open_any();

    (void)state;
    for (uint32_t i = 1; i < PCAPNG_IF_MAX; i++)
        assert_int_equal(iface_of(st, 100000 + i), i);
    assert_int_equal(st->ifaces.n, PCAPNG_IF_MAX);
    assert_int_equal(iface_of(st, 5), 0);
    assert_int_equal(iface_of(st, 100001), 1);
    assert_int_equal(iface_of(st, 6), 0);
    assert_int_equal(st->ifaces.n, PCAPNG_IF_MAX);
    close_any(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_name),
        cmocka_unit_test(test_unknown_index),
        cmocka_unit_test(test_short_packet),
        cmocka_unit_test(test_many_indexes),
        cmocka_unit_test(test_table_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
