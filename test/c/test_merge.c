/*
 * test_merge.c: merge.c, the time-stamp order of one round's packets
 * across several live interfaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

static void add(struct merge *m, uint32_t ifindex, long sec, long frac,
                unsigned char byte)
{
    struct pcap_pkthdr h = {.caplen = 1, .len = 1};

    h.ts.tv_sec = sec;
    h.ts.tv_usec = frac;
    assert_true(merge_add(m, ifindex, &h, &byte));
}

/* Yields the packets' first bytes in order into out; their number. */
static size_t drain(struct merge *m, unsigned char *out, uint32_t *ifs)
{
    const struct merge_pkt *p;
    const unsigned char *data;
    size_t n = 0;

    merge_seal(m);
    while ((p = merge_next(m, &data)) != NULL) {
        ifs[n] = p->ifindex;
        out[n++] = data[0];
    }
    return n;
}

/* Runs interleave by time; ties go to the lower interface; each run
 * keeps its own order even when its stamps go backwards. */
static void test_order(void **state)
{
    struct merge m;
    unsigned char out[16];
    uint32_t ifs[16];

    (void)state;
    assert_int_equal(merge_init(&m), 0);
    merge_reset(&m);
    merge_begin_run(&m);
    add(&m, 0, 1, 100, 'a');
    add(&m, 0, 1, 300, 'c');
    add(&m, 0, 1, 250, 'd'); /* backwards within its run: stays after c */
    merge_begin_run(&m);
    add(&m, 1, 1, 200, 'b');
    add(&m, 1, 1, 300, 'C'); /* c's stamp: after c (higher index), and
                                after d, which is older */
    add(&m, 1, 2, 0, 'e');
    merge_begin_run(&m); /* an interface with nothing */
    assert_int_equal(drain(&m, out, ifs), 6);
    assert_memory_equal(out, "abcdCe", 6);
    assert_int_equal(ifs[1], 1);
    assert_int_equal(ifs[3], 0);
    assert_int_equal(ifs[4], 1);
    merge_free(&m);
}

/* A new round starts empty; a full round says so before it overflows. */
static void test_rounds_and_limits(void **state)
{
    struct merge m;
    unsigned char out[4];
    uint32_t ifs[4];
    static unsigned char big[EPCAP_SNAPLEN_MAX];
    struct pcap_pkthdr h = {.caplen = EPCAP_SNAPLEN_MAX,
                            .len = EPCAP_SNAPLEN_MAX};

    (void)state;
    assert_int_equal(merge_init(&m), 0);
    merge_reset(&m);
    merge_begin_run(&m);
    add(&m, 0, 5, 0, 'x');
    assert_int_equal(drain(&m, out, ifs), 1);
    merge_reset(&m);
    assert_int_equal(drain(&m, out, ifs), 0);
    merge_reset(&m);
    merge_begin_run(&m);
    size_t n = 0;
    while (!merge_full(&m)) {
        assert_true(merge_add(&m, 0, &h, big));
        n++;
    }
    /* One maximal packet more always fits (the one in hand). */
    assert_true(merge_add(&m, 0, &h, big));
    assert_int_equal(n, MERGE_BYTES / EPCAP_SNAPLEN_MAX);
    merge_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_rounds_and_limits),
    };
    return cmocka_run_group_tests_name("merge", tests, NULL, NULL);
}
