/*
 * privs.h: who started the port and what it may still do
 * (privs.c: the staged sequence; privs_steps.c: its steps;
 * privs_caller.c: who the caller is).
 */
#ifndef EPCAP_PRIVS_H
#define EPCAP_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

#include "epcap_proto.h"

struct epcap;

/* Who asked for this capture, decided before anything else is read. */
struct epcap_caller {
    enum epcap_start mode;
    uid_t uid; /* the caller's; the process's own until the drop */
    gid_t gid;
    bool root;           /* uid 0: may use -u, -g, -d, -e, any source */
    bool bounding_empty; /* emptied at the start (CAP_SETPCAP was held) */
};

/*
 * The privilege path is one sequence of stages, held in the state
 * (st->privs) and only ever moving forward. Each entry point checks that
 * the process is in the stage it expects; a call out of order or back to
 * an earlier stage is fatal (a bug, exit 70):
 *
 *   LAUNCHED  as exec'd: whatever the start gave, up to full root
 *   CAPTURE   privs_start: the caller, with the capture capabilities
 *             (CAP_NET_RAW, CAP_NET_ADMIN) permitted, none effective;
 *             a root caller is still root, a plain one has nothing
 *   CALLER    privs_net_done: the caller, the capabilities gone (a root
 *             caller keeps root's rights until the drop)
 *   DROPPED   privs_drop: the final user and group, no capability in
 *             any set, no_new_privs, proven
 */
enum privs_stage {
    PRIVS_LAUNCHED = 0,
    PRIVS_CAPTURE,
    PRIVS_CALLER,
    PRIVS_DROPPED,
};

/* What privs_drop() left, for -v and the READY frame. */
struct epcap_ran_as {
    uid_t uid;
    gid_t gid;
    bool chroot;
};

/* LAUNCHED -> CAPTURE: the first act, becoming the caller. */
void privs_start(struct epcap *st);
/* In CAPTURE: the capture capabilities effective, for pcap_activate. */
void privs_net_raise(struct epcap *st);
/* CAPTURE -> CALLER: once the handle is active, or no interface is to
 * be opened. */
void privs_net_done(struct epcap *st);
/* CALLER -> DROPPED: once the handle is open. Each exits on failure. */
void privs_drop(struct epcap *st);
const char *privs_stage_name(enum privs_stage stage);
const char *privs_start_name(enum epcap_start mode);
bool privs_can_capture(void);
/* What a permission error tells the user to set up (doc/SECURITY.md). */
extern const char *const privs_permission_hint;

#endif
