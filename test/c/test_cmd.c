/*
 * test_cmd.c: unit tests for cmd_decode (cmd.c).
 *
 * Pure: frames are literal byte arrays. Buffers are heap copies of exactly
 * the bytes under test, so a run under valgrind or ASan catches any read
 * past what cmd_decode was given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "epcap_proto.h"

/* A heap copy of exactly n bytes (at least one byte is allocated). */
static unsigned char *dup_bytes(const void *p, size_t n)
{
    unsigned char *b = malloc(n > 0 ? n : 1);

    assert_non_null(b);
    if (n > 0)
        memcpy(b, p, n);
    return b;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Decode exactly the first n bytes of frame. */
static enum cmd_status decode(const void *frame, size_t n,
                              struct epcap_cmd *cmd, size_t *used,
                              const char **why)
{
    unsigned char *b = dup_bytes(frame, n);
    enum cmd_status st = cmd_decode(b, n, cmd, used, why);

    free(b);
    return st;
}

/* A STOP frame, id 0x01020304, body "abc". */
static const unsigned char stop_abc[] = {
    0,
    0,
    0,
    8,              /* length: tag + id + body */
    EPCAP_CMD_STOP, /* tag */
    0x01,
    0x02,
    0x03,
    0x04, /* id */
    'a',
    'b',
    'c',
};

static void test_need_more_short_header(void **state)
{
    (void)state;
    struct epcap_cmd cmd;
    size_t used = 12345;
    const char *why = NULL;

    for (size_t n = 0; n < 4; n++) {
        assert_int_equal(decode(stop_abc, n, &cmd, &used, &why), CMD_NEED_MORE);
        assert_int_equal(used, 12345);
    }
    /* Even a header that will turn out bad needs its four bytes first. */
    const unsigned char zero[] = {0, 0, 0};
    assert_int_equal(decode(zero, sizeof(zero), &cmd, &used, &why),
                     CMD_NEED_MORE);
    assert_null(why);
}

static void test_need_more_partial_frame(void **state)
{
    (void)state;
    struct epcap_cmd cmd;
    size_t used = 12345;
    const char *why = NULL;

    for (size_t n = 4; n < sizeof(stop_abc); n++) {
        assert_int_equal(decode(stop_abc, n, &cmd, &used, &why), CMD_NEED_MORE);
        assert_int_equal(used, 12345);
    }
    assert_null(why);
}

static void test_complete_frame(void **state)
{
    (void)state;
    struct epcap_cmd cmd;
    size_t used = 0;
    const char *why = NULL;
    unsigned char *b = dup_bytes(stop_abc, sizeof(stop_abc));

    assert_int_equal(cmd_decode(b, sizeof(stop_abc), &cmd, &used, &why),
                     CMD_OK);
    assert_int_equal(cmd.tag, EPCAP_CMD_STOP);
    assert_int_equal(cmd.id, 0x01020304);
    assert_int_equal(cmd.body_len, 3);
    assert_ptr_equal(cmd.body, b + 9); /* points into the buffer */
    assert_memory_equal(cmd.body, "abc", 3);
    assert_int_equal(used, sizeof(stop_abc));
    free(b);
}

static void test_empty_body(void **state)
{
    (void)state;
    struct epcap_cmd cmd;
    size_t used = 0;
    const char *why = NULL;
    /* Exactly EPCAP_CMD_MIN: tag and id, nothing else; id all ones. */
    const unsigned char f[] = {0,    0,    0,    EPCAP_CMD_MIN, 0xfe,
                               0xff, 0xff, 0xff, 0xff};

    assert_int_equal(decode(f, sizeof(f), &cmd, &used, &why), CMD_OK);
    assert_int_equal(cmd.tag, 0xfe); /* unknown tags are the caller's job */
    assert_int_equal(cmd.id, 0xffffffffu);
    assert_int_equal(cmd.body_len, 0);
    assert_int_equal(used, 9);
}

static void test_trailing_bytes_not_used(void **state)
{
    (void)state;
    struct epcap_cmd cmd;
    size_t used = 0;
    const char *why = NULL;
    unsigned char f[sizeof(stop_abc) + 2];

    memcpy(f, stop_abc, sizeof(stop_abc));
    f[sizeof(stop_abc)] = 0;
    f[sizeof(stop_abc) + 1] = 0;
    assert_int_equal(decode(f, sizeof(f), &cmd, &used, &why), CMD_OK);
    assert_int_equal(used, sizeof(stop_abc));
    assert_int_equal(cmd.body_len, 3);
}

static void test_two_frames_back_to_back(void **state)
{
    (void)state;
    const unsigned char two[] = {
        0, 0, 0, 6, 1, 0,    0,    0,    7,    'x', /* tag 1, id 7, "x" */
        0, 0, 0, 5, 2, 0xaa, 0xbb, 0xcc, 0xdd,      /* tag 2, id, empty */
        0, 0, 0,                                    /* start of a third */
    };
    unsigned char *b = dup_bytes(two, sizeof(two));
    size_t len = sizeof(two), off = 0, used = 0;
    struct epcap_cmd cmd;
    const char *why = NULL;

    assert_int_equal(cmd_decode(b + off, len - off, &cmd, &used, &why), CMD_OK);
    assert_int_equal(cmd.tag, 1);
    assert_int_equal(cmd.id, 7);
    assert_int_equal(cmd.body_len, 1);
    assert_int_equal(cmd.body[0], 'x');
    assert_int_equal(used, 10);
    off += used;

    assert_int_equal(cmd_decode(b + off, len - off, &cmd, &used, &why), CMD_OK);
    assert_int_equal(cmd.tag, 2);
    assert_int_equal(cmd.id, 0xaabbccdd);
    assert_int_equal(cmd.body_len, 0);
    assert_ptr_equal(cmd.body, b + off + 9);
    assert_int_equal(used, 9);
    off += used;

    assert_int_equal(cmd_decode(b + off, len - off, &cmd, &used, &why),
                     CMD_NEED_MORE);
    assert_int_equal(off, 19);
    free(b);
}

static void check_bad(uint32_t length)
{
    unsigned char f[16] = {0};
    struct epcap_cmd cmd;
    size_t used = 777;
    const char *why = NULL;

    put32(f, length);
    /* Bad from the header alone, and still bad with more bytes behind. */
    for (size_t n = 4; n <= sizeof(f); n += 4) {
        why = NULL;
        assert_int_equal(decode(f, n, &cmd, &used, &why), CMD_BAD);
        assert_non_null(why);
        assert_true(why[0] != '\0');
        assert_int_equal(used, 777);
    }
}

static void test_too_short_is_bad(void **state)
{
    (void)state;

    for (uint32_t n = 0; n < EPCAP_CMD_MIN; n++)
        check_bad(n);
}

static void test_too_long_is_bad(void **state)
{
    (void)state;

    check_bad(EPCAP_CMD_MAX + 1u);
    check_bad(0x80000000u);
    check_bad(0xffffffffu);
}

static void test_max_length_needs_more(void **state)
{
    (void)state;
    struct epcap_cmd cmd;
    size_t used = 0;
    const char *why = NULL;
    unsigned char hdr[4];

    put32(hdr, EPCAP_CMD_MAX);
    assert_int_equal(decode(hdr, sizeof(hdr), &cmd, &used, &why),
                     CMD_NEED_MORE);
    assert_null(why);
}

static void test_max_length_frame(void **state)
{
    (void)state;
    const size_t total = 4 + (size_t)EPCAP_CMD_MAX;
    unsigned char *b = malloc(total);
    struct epcap_cmd cmd;
    size_t used = 0;
    const char *why = NULL;

    assert_non_null(b);
    put32(b, EPCAP_CMD_MAX);
    b[4] = EPCAP_CMD_STOP;
    put32(b + 5, 99);
    for (size_t i = 9; i < total; i++)
        b[i] = (unsigned char)i;

    /* One byte short of the largest frame. */
    assert_int_equal(cmd_decode(b, total - 1, &cmd, &used, &why),
                     CMD_NEED_MORE);
    /* The whole of it. */
    assert_int_equal(cmd_decode(b, total, &cmd, &used, &why), CMD_OK);
    assert_int_equal(cmd.tag, EPCAP_CMD_STOP);
    assert_int_equal(cmd.id, 99);
    assert_int_equal(cmd.body_len, EPCAP_CMD_MAX - EPCAP_CMD_MIN);
    assert_ptr_equal(cmd.body, b + 9);
    assert_int_equal(cmd.body[cmd.body_len - 1], (unsigned char)(total - 1));
    assert_int_equal(used, total);
    assert_null(why);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_need_more_short_header),
        cmocka_unit_test(test_need_more_partial_frame),
        cmocka_unit_test(test_complete_frame),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_trailing_bytes_not_used),
        cmocka_unit_test(test_two_frames_back_to_back),
        cmocka_unit_test(test_too_short_is_bad),
        cmocka_unit_test(test_too_long_is_bad),
        cmocka_unit_test(test_max_length_needs_more),
        cmocka_unit_test(test_max_length_frame),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
