/*
 * privs_steps.h: the steps the privilege path is made of (privs_steps.c)
 * and who the caller is (privs_caller.c). Internal to privs*.c: the rest
 * of the port uses privs.h.
 */
#ifndef EPCAP_PRIVS_STEPS_H
#define EPCAP_PRIVS_STEPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "caps.h"

struct epcap;

/* What the supplementary groups become when the ids change. */
enum privs_groups {
    GROUPS_KEEP,   /* as they are (exec kept the caller's) */
    GROUPS_CALLER, /* the caller's own, from the group database */
    GROUPS_NONE,   /* none, where CAP_SETGID allows; else kept */
};

/* What a step must have left, checked by privs_prove. */
struct privs_proof {
    uid_t uid;           /* every uid */
    gid_t gid;           /* every gid */
    caps_set permitted;  /* what may still be permitted (none effective) */
    bool bounding_empty; /* the bounding set must be empty */
};

/* privs_steps.c */
int privs_parse_id(const char *s, unsigned long *id);
void privs_read_caps(struct epcap *st, const char *stage);
bool privs_empty_bounding(struct epcap *st, const char *stage);
void privs_change_ids(struct epcap *st, uid_t uid, gid_t gid,
                      enum privs_groups groups, bool keep_caps,
                      const char *stage);
void privs_keep_caps(struct epcap *st, caps_set keep, const char *stage);
void privs_raise_caps(struct epcap *st, caps_set caps, const char *stage);
void privs_seal(struct epcap *st, const char *stage);
void privs_prove(struct epcap *st, const struct privs_proof *want,
                 const char *stage);

/* privs_caller.c */
void privs_identify(struct epcap *st);
bool privs_secure_start(const struct epcap *st);
void privs_pick_target(struct epcap *st, uid_t *uid, gid_t *gid);

#endif
