/*
 * test_merge.c: merge.c, the time-stamp order of the packets held from
 * several live interfaces.
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
    assert_true(merge_add(m, ifindex, &h, &byte, sec));
}

/* Pops up to max packets: their first bytes into out, interfaces into
 * ifs; their number. */
static size_t pop(struct merge *m, size_t max, unsigned char *out,
                  uint32_t *ifs)
{
    size_t n = 0;

    const struct merge_pkt *p;

    while (n < max && (p = merge_peek(m)) != NULL) {
        ifs[n] = p->ifindex;
        out[n++] = merge_pop(m, p)[0];
    }
    return n;
}

/* Queues interleave by time; ties go to the lower interface; each queue
 * keeps its own order even when its stamps go backwards. */
static void test_order(void **state)
{
    struct merge m;
    unsigned char out[16];
    uint32_t ifs[16];

    (void)state;
    assert_int_equal(merge_init(&m, 2), 0);
    add(&m, 0, 1, 100, 'a');
    add(&m, 0, 1, 300, 'c');
    add(&m, 0, 1, 250, 'd'); /* backwards within its queue: after c */
    add(&m, 1, 1, 200, 'b');
    add(&m, 1, 1, 300, 'C'); /* c's stamp: after c (higher index), and
                                after d, which is older */
    add(&m, 1, 2, 0, 'e');
    assert_int_equal(pop(&m, 16, out, ifs), 6);
    assert_memory_equal(out, "abcdCe", 6);
    assert_int_equal(ifs[1], 1);
    assert_int_equal(ifs[3], 0);
    assert_int_equal(ifs[4], 1);
    assert_null(merge_peek(&m));
    merge_free(&m);
}

/* Packets held across rounds keep their order after a compaction, and
 * a later round's older packet goes before an earlier round's newer. */
static void test_held_and_compacted(void **state)
{
    struct merge m;
    unsigned char out[16];
    uint32_t ifs[16];

    (void)state;
    assert_int_equal(merge_init(&m, 2), 0);
    add(&m, 1, 1, 500, 'x');
    add(&m, 0, 1, 100, 'p');
    add(&m, 0, 1, 600, 'y');
    assert_int_equal(pop(&m, 1, out, ifs), 1); /* p */
    merge_compact(&m);
    assert_int_equal(m.n, 2);
    add(&m, 0, 1, 700, 'z');
    add(&m, 1, 1, 400, 'w'); /* behind x in its queue, whatever its stamp */
    assert_int_equal(pop(&m, 16, out + 1, ifs + 1), 4);
    assert_memory_equal(out, "pxwyz", 5);
    /* All out: the buffer starts again at the bottom. */
    assert_int_equal(m.n, 0);
    assert_int_equal(m.len, 0);
    merge_free(&m);
}

/* A full buffer says so while one maximal packet still fits. */
static void test_limits(void **state)
{
    struct merge m;
    static unsigned char big[EPCAP_SNAPLEN_MAX];
    struct pcap_pkthdr h = {.caplen = EPCAP_SNAPLEN_MAX,
                            .len = EPCAP_SNAPLEN_MAX};
    size_t n = 0;

    (void)state;
    assert_int_equal(merge_init(&m, 2), 0);
    while (!merge_full(&m)) {
        assert_true(merge_add(&m, 0, &h, big, 0));
        n++;
    }
    assert_true(merge_add(&m, 1, &h, big, 0)); /* the one in hand */
    assert_int_equal(n, MERGE_BYTES / EPCAP_SNAPLEN_MAX);
    assert_false(merge_add(&m, EPCAP_LIVE_IFACES_MAX, &h, big, 0));
    merge_free(&m);
}

/* The oldest goes once due and once every interface with nothing held
 * has been read to its end since: a read cut short (the credit) leaves
 * older packets in that ring. An interface with packets held never
 * holds back an older one of another. */
static void test_ready(void **state)
{
    struct merge m;
    struct pcap_pkthdr h = {.caplen = 1, .len = 1};
    const struct merge_pkt *p;

    (void)state;
    assert_int_equal(merge_init(&m, 3), 0);
    h.ts.tv_usec = 200;
    assert_true(merge_add(&m, 0, &h, (const unsigned char *)"b", 100));
    merge_seen(&m, 0, 50);
    merge_seen(&m, 1, 100);
    merge_seen(&m, 2, 99); /* its ring last emptied before b was due */
    assert_null(merge_ready(&m, 99));  /* not due */
    assert_null(merge_ready(&m, 500)); /* interface 2 may hold older */
    merge_seen(&m, 2, 40);             /* an older read changes nothing */
    assert_null(merge_ready(&m, 500));
    merge_seen(&m, 2, 100);
    p = merge_ready(&m, 100);
    assert_non_null(p);
    assert_int_equal(p->ifindex, 0);
    /* Interface 1, not read to its end since, shows one of its own:
     * newer than b, so b may go; older, and it goes first. */
    h.ts.tv_usec = 300;
    assert_true(merge_add(&m, 1, &h, (const unsigned char *)"c", 900));
    merge_seen(&m, 2, 50);
    assert_int_equal(merge_ready(&m, 100)->ifindex, 0);
    h.ts.tv_usec = 100;
    assert_true(merge_add(&m, 2, &h, (const unsigned char *)"a", 900));
    assert_null(merge_ready(&m, 100)); /* a is oldest, not due */
    p = merge_ready(&m, 900);
    assert_non_null(p);
    assert_int_equal(merge_pop(&m, p)[0], 'a');
    /* Interface 2 empty again, last read to its end at 100: b may go,
     * c (due 900) not before 2 is read again at 900. */
    p = merge_ready(&m, 900);
    assert_non_null(p);
    assert_int_equal(merge_pop(&m, p)[0], 'b');
    assert_null(merge_ready(&m, 900));
    merge_seen(&m, 0, 900);
    merge_seen(&m, 2, 900);
    p = merge_ready(&m, 900);
    assert_non_null(p);
    assert_int_equal(merge_pop(&m, p)[0], 'c');
    assert_null(merge_ready(&m, 1000));
    merge_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_held_and_compacted),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_ready),
    };
    return cmocka_run_group_tests_name("merge", tests, NULL, NULL);
}
