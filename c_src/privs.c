/*
 * privs.c: the privilege path, one staged sequence (privs.h).
 *
 *   privs_start      LAUNCHED -> CAPTURE, the port's first act, before an
 *                    option is read: a sudo, setuid or file-capability
 *                    start becomes its caller, as dumpcap does: every uid
 *                    and gid the caller's, the environment emptied,
 *                    no_new_privs, not dumpable, and of all capabilities
 *                    only CAP_NET_RAW and CAP_NET_ADMIN left, permitted,
 *                    none effective; proven. A root caller keeps root's
 *                    rights; a plain one has nothing to give up.
 *   privs_net_raise  in CAPTURE: those two effective, for pcap_activate
 *   privs_net_done   CAPTURE -> CALLER: right after the activation, or as
 *                    soon as the options show no interface will be
 *                    opened; gone from every set. Everything else the
 *                    port does before the drop (name lookups, compiling
 *                    filters, -D, -L, opening capture files, -w and dump
 *                    files) runs as the caller with no capability.
 *   privs_drop       CALLER -> DROPPED, once the handle is open, before
 *                    any packet or command is handled: one linear
 *                    sequence, every step checked and proven:
 *
 *     pick the user and group         (a root caller: -u/-g or nobody)
 *     chroot into an empty directory  (needs CAP_SYS_CHROOT; skipped without)
 *     empty the bounding set          (needs CAP_SETPCAP; skipped without)
 *     drop supplementary groups, setresgid, setresuid
 *     clear every capability set      (permitted, effective, inheritable,
 *                                      ambient)
 *     no_new_privs, not dumpable
 *     prove it: uid 0 and a capability cannot be regained
 *
 * Each entry point checks the stage it expects; a step out of order or
 * backwards is fatal. The steps themselves are privs_steps.c's, who the
 * caller is privs_caller.c's. Any failure is fatal (exit 77).
 *
 * Syscalls: those of privs_steps.c and privs_caller.c; mkdir, rmdir,
 * chdir, chroot and sched_setaffinity in the drop.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "epcap_proto.h"
#include "platform.h"
#include "privs.h"
#include "privs_steps.h"
#include "report.h"
#include "state.h"

/* Where the empty root is made; both are writable only by root, or
 * sticky. The directory is removed again before the port enters it. */
static const char *const empty_parents[] = {"/run", "/tmp"};

/* The hint a permission error carries on stderr (a shell); an owner
 * reading frames gets the code alone and gives its own hint. */
const char *const privs_permission_hint =
    "to capture without root, install the port with file capabilities "
    "(sudo make install install-setcap, recommended; or install-setuid, "
    "or install-sudo and sudo -n) and run PREFIX/lib/epcap/epcap; "
    "see doc/SECURITY.md";

/* For messages. Pure. */
const char *privs_stage_name(enum privs_stage stage)
{
    switch (stage) {
    case PRIVS_LAUNCHED: return "launched";
    case PRIVS_CAPTURE: return "capture";
    case PRIVS_CALLER: return "caller";
    case PRIVS_DROPPED: return "dropped";
    }
    return "unknown";
}

/* The entry point `what' runs in stage `want' only: anything else is a
 * step out of order or backwards, a bug that must not go on. */
static void expect_stage(struct epcap *st, enum privs_stage want,
                         const char *what)
{
    if (st->privs != want)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "privileges: %s in stage %s, expected %s", what,
                    privs_stage_name(st->privs), privs_stage_name(want));
}

/* LAUNCHED -> CAPTURE. Runs with whatever the start gave (up to full
 * root) until it returns; then as the caller (privs.h). */
void privs_start(struct epcap *st)
{
    const struct epcap_caller *c = &st->caller;

    expect_stage(st, PRIVS_LAUNCHED, "privs_start");
    privs_identify(st);
    if (privs_secure_start(st) && !c->root) {
        privs_read_caps(st, "start");
        (void)privs_empty_bounding(st, "start");
        privs_change_ids(st, c->uid, c->gid,
                         c->mode == EPCAP_START_SUDO ? GROUPS_CALLER
                                                     : GROUPS_KEEP,
                         true, "start");
        privs_keep_caps(st, caps_net, "start");
        privs_seal(st, "start");
        privs_prove(st,
                    &(struct privs_proof){.uid = c->uid,
                                          .gid = c->gid,
                                          .permitted = caps_net,
                                          .bounding_empty = c->bounding_empty},
                    "start");
    }
    st->privs = PRIVS_CAPTURE;
}

/* In CAPTURE: the kept network capabilities effective, for pcap_activate
 * only. A root or plain start is left as it is. Runs as the caller with
 * them permitted. */
void privs_net_raise(struct epcap *st)
{
    expect_stage(st, PRIVS_CAPTURE, "privs_net_raise");
    if (privs_secure_start(st))
        privs_raise_caps(st, caps_net, "capabilities");
}

/* CAPTURE -> CALLER: the network capabilities are no longer needed (the
 * handle is active, or this run opens no interface: a file, --compile,
 * -D): gone from every set, so nothing that follows -- header parsing,
 * name lookups, file opens -- runs with them even permitted. Runs as the
 * caller with them permitted (and effective after privs_net_raise). */
void privs_net_done(struct epcap *st)
{
    expect_stage(st, PRIVS_CAPTURE, "privs_net_done");
    if (privs_secure_start(st))
        privs_keep_caps(st, 0, "capabilities");
    st->privs = PRIVS_CALLER;
}

/* An empty root that stays empty: made, entered, removed. Nothing can be
 * created in a removed directory, and no other process can reach it.
 * Runs as a root caller (CAP_SYS_CHROOT). */
static void chroot_empty(struct epcap *st)
{
    char dir[64];

    for (size_t i = 0; i < sizeof(empty_parents) / sizeof(*empty_parents);
         i++) {
        snprintf(dir, sizeof(dir), "%s/epcap.XXXXXX", empty_parents[i]);
        if (mkdtemp(dir) != NULL)
            break;
        dir[0] = '\0';
    }
    if (dir[0] == '\0')
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "chroot: cannot make an empty directory in /run or "
                    "/tmp: %s (give one with -d)",
                    strerror(errno));
    if (chdir(dir) < 0 || rmdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM, "chroot: %s: %s",
                    dir, strerror(errno));
    st->ran_as.chroot = true;
    epcap_log(st, 1, "privs: chroot into an empty directory (was %s)", dir);
}

/* -d, or an empty directory when CAP_SYS_CHROOT is held. Runs as the
 * caller, before the ids change. */
static void enter_chroot(struct epcap *st)
{
    const char *dir = st->opt.chroot_dir;

    if (dir == NULL && !caps_may(CAPS_CHROOT)) {
        epcap_log(st, 1, "privs: no chroot: CAP_SYS_CHROOT not held");
        return;
    }
    if (dir == NULL) {
        chroot_empty(st);
        return;
    }
    if (chroot(dir) < 0 || chdir("/") < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM, "chroot: %s: %s%s",
                    dir, strerror(errno),
                    errno == EPERM ? " (needs root or CAP_SYS_CHROOT)" : "");
    st->ran_as.chroot = true;
    epcap_log(st, 1, "privs: chroot into %s", dir);
}

/* -a, parsed with the options; needs no privilege for the process itself. */
static void set_affinity(struct epcap *st)
{
#if EPCAP_LINUX
    if (st->opt.cpu_affinity == NULL)
        return;
    if (sched_setaffinity(0, sizeof(st->opt.cpus), &st->opt.cpus) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "cpu_affinity: %s: %s", st->opt.cpu_affinity,
                    strerror(errno));
#else
    (void)st; /* options.c refused -a */
#endif
}

/* CALLER -> DROPPED: the sequence at the top. Runs as the caller (a root
 * caller with root's rights) until it returns; then with no privilege. */
void privs_drop(struct epcap *st)
{
    uid_t uid;
    gid_t gid;

    expect_stage(st, PRIVS_CALLER, "privs_drop");
    set_affinity(st);
    privs_pick_target(st, &uid, &gid);
    privs_read_caps(st, "drop");
    enter_chroot(st);
    bool bounding_empty = privs_empty_bounding(st, "drop");
    privs_change_ids(st, uid, gid, GROUPS_NONE, false, "drop");
    privs_keep_caps(st, 0, "drop");
    privs_seal(st, "drop");
    privs_prove(st,
                &(struct privs_proof){.uid = uid,
                                      .gid = gid,
                                      .permitted = 0,
                                      .bounding_empty = bounding_empty},
                "drop");
    st->ran_as.uid = uid;
    st->ran_as.gid = gid;
    st->privs = PRIVS_DROPPED;
    epcap_log(st, 1, "privs: running as uid %u gid %u, no capabilities",
              (unsigned)uid, (unsigned)gid);
}

/* Whether pcap_activate on a live interface can succeed: CAP_NET_RAW in
 * the effective or permitted set (root, setuid root, file capabilities).
 * Asked by the Erlang side before it reaches for sudo. Runs in CAPTURE;
 * reads, changes nothing. */
bool privs_can_capture(void)
{
    return caps_can_capture();
}
