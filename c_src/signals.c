/*
 * signals.c: termination requests and the death of the parent.
 *
 * Until signals_init() runs, just before the sandbox and the loop,
 * SIGTERM and SIGINT keep their default action (signals_reset, the
 * port's first act, makes sure of it): nothing is captured yet, and a start blocked in open() or read()
 * of a FIFO (-r, -w, --dump) must end when asked. From then on they only
 * set a flag: the loop sees it, writes out what it holds, and exits 0, so
 * nothing already captured is lost. Both signals stay blocked except
 * inside ppoll, so a signal can never slip in between checking the flag
 * and going to sleep. SIGPIPE is ignored: a closed stdout
 * shows up as EPIPE from write and ends the port through the normal path.
 *
 * On Linux (platform.h) the kernel sends SIGTERM when the parent (the Erlang VM, or
 * sudo) dies, so the port never outlives its owner even when the VM is
 * killed without closing the pipe.
 *
 * The flags below are mutable globals, as signal handlers need (and the
 * mask ppoll uses, set once by signals_init); with sandbox_seccomp.c's
 * pointer for its SIGSYS handler they are the only ones (state.h).
 * This file calls nothing else of the port: a failure is returned, and
 * main.c reports it.
 *
 * Privileges: signals_reset and the parent-death signal run first, with
 * whatever the port started with; none is needed.
 */
#include <string.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "platform.h"
#if EPCAP_LINUX
#include <sys/prctl.h>
#endif
#include "signals.h"

static volatile sig_atomic_t terminated;
static volatile sig_atomic_t exit_at_once;
static sigset_t poll_mask;

static void on_signal(int sig)
{
    (void)sig;
    terminated = 1;
    if (exit_at_once)
        _exit(EPCAP_EXIT_OK);
}

bool signals_terminated(void)
{
    return terminated != 0;
}

const sigset_t *signals_poll_mask(void)
{
    return &poll_mask;
}

/*
 * The first act of all: SIGTERM and SIGINT end the port at once until
 * signals_init takes them over, so a start blocked in open() on a FIFO
 * stays killable by its caller. The mask and dispositions come from
 * whoever ran us, so both are reset. 0, or -1 with errno and the failed
 * call's name in *what. Runs with whatever the start gave.
 */
int signals_reset(const char **what)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    *what = "signal";
    if (signal(SIGTERM, SIG_DFL) == SIG_ERR ||
        signal(SIGINT, SIG_DFL) == SIG_ERR)
        return -1;
    *what = "sigprocmask";
    return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* 0, or -1 with errno and the failed call's name in *what. */
int signals_init(const char **what)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    *what = "sigaction";
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0)
        return -1;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    *what = "sigprocmask";
    if (sigprocmask(SIG_BLOCK, &block, &poll_mask) < 0)
        return -1;
    sigdelset(&poll_mask, SIGTERM);
    sigdelset(&poll_mask, SIGINT);
    return 0;
}

/* Called again after every credential change: Linux clears the
 * parent-death signal when the effective uid or gid changes. */
int signals_watch_parent(pid_t parent)
{
#if EPCAP_LINUX
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
        return -1;
    /* The parent may have died before prctl took effect. */
    if (getppid() != parent)
        terminated = 1;
#else
    (void)parent;
#endif
    return 0;
}

/*
 * Let SIGTERM and SIGINT in outside ppoll, for a call that may block or
 * run long: reading a capture file that is a FIFO or a slow device (the
 * handler has no SA_RESTART, so the read fails with EINTR and the caller
 * sees signals_terminated()), or compiling a FILTER command's expression,
 * which libpcap's optimizer can make take minutes (exit_now: the process
 * exits at once, status 0; the caller has written out what it held).
 * sigprocmask only: the seccomp filter allows no sigaction.
 */
void signals_window_open(bool exit_now)
{
    sigset_t set;

    exit_at_once = exit_now ? 1 : 0;
    if (terminated && exit_now)
        _exit(EPCAP_EXIT_OK);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    (void)sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void signals_window_close(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    (void)sigprocmask(SIG_BLOCK, &set, NULL);
    exit_at_once = 0;
}
