/*
 * test_child.h: what the tests that change the process share: a state as
 * main.c starts it, and a child to change instead of the test runner.
 */
#ifndef EPCAP_TEST_CHILD_H
#define EPCAP_TEST_CHILD_H

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"

static inline void init_state(struct epcap *st)
{
    memset(st, 0, sizeof(*st));
    st->pcap_fd = -1;
    st->opt.cluster_id = -1;
    st->opt.credit = -1;
    st->opt.datalink = -1;
}

/* Run fn in a child, which changes the process for good; its exit
 * status. */
static inline int in_child(int (*fn)(void))
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

static inline void skip_unless_root(void)
{
    if (geteuid() != 0)
        skip();
}

#endif
