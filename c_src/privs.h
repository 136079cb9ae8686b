/*
 * privs.h: who started the port and what it may still do
 * (privs_start.c: becoming the caller; privs.c: the final drop).
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
    uid_t uid;           /* the caller's; the process's own until the drop */
    gid_t gid;
    bool root;           /* uid 0: may use -u, -g, -d, -e, any source */
    bool bounding_empty; /* emptied at the start (CAP_SETPCAP was held) */
};

/* What privs_drop() left, for -v and the READY frame. */
struct epcap_ran_as {
    uid_t uid;
    gid_t gid;
    bool chroot;
};

/* The first act, becoming the caller; privs_net_raise for
 * pcap_activate, privs_net_done once no interface is to be opened;
 * privs_drop once the handle is open. Each exits on failure. */
void privs_start(struct epcap *st);
void privs_net_raise(struct epcap *st);
void privs_net_done(struct epcap *st);
void privs_drop(struct epcap *st);
const char *privs_start_name(enum epcap_start mode);
bool privs_can_capture(void);
/* What a permission error tells the user to set up (doc/SECURITY.md). */
extern const char *const privs_permission_hint;

#endif
