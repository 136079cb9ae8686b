/*
 * privs_steps.c: the steps of the privilege path (privs.c), one function
 * each, used by both the start (becoming the caller) and the final drop:
 * changing ids, keeping or clearing capabilities, emptying the bounding
 * set, sealing, and proving the result. Every call is checked, every
 * libcap-ng result included; any failure is fatal (exit 77), because a
 * port that silently keeps a privilege is worse than no port. `stage'
 * names the step in messages ("start", "drop", "capabilities").
 *
 * The capabilities themselves are caps.h's (libcap-ng on Linux, none on
 * the portable path: platform.h).
 *
 * Runs with whatever the stage that calls it holds (up to root's rights
 * in the start and in a root caller's drop); each step only gives up.
 * Syscalls: those of caps_linux.c, prctl, setgroups, setresgid, setresuid,
 * getresuid, getresgid, setuid, seteuid, setgid, setegid; with
 * GROUPS_CALLER, initgroups reads the group database through NSS.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#if EPCAP_LINUX
#include <sys/prctl.h>
#endif

#include "caps.h"
#include "epcap_proto.h"
#include "privs_steps.h"
#include "report.h"
#include "state.h"

#define FAIL(st, ...) \
    epcap_fatal((st), EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM, __VA_ARGS__)

/* A decimal id as sudo writes it or a root caller gives it to -u or -g:
 * digits only, below UINT_MAX ((uid_t)-1 is no one). 0, or -1.
 * Runs with any privileges; pure. */
int privs_parse_id(const char *s, unsigned long *id)
{
    char *end = NULL;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    *id = strtoul(s, &end, 10);
    return errno == 0 && *end == '\0' && *id < UINT_MAX ? 0 : -1;
}

/* The process's capabilities, read afresh. Any privileges. */
void privs_read_caps(struct epcap *st, const char *stage)
{
    if (caps_read() < 0)
        FAIL(st, "%s: reading the capabilities failed", stage);
}

/* Empty the bounding set while CAP_SETPCAP is effective (root, or a file
 * that grants it), once. Without it no_new_privs is what keeps the
 * bounding set from mattering: it only limits what an execve could
 * gain, and none can. Whether it is empty. Runs with the capabilities
 * last read (privs_read_caps). */
bool privs_empty_bounding(struct epcap *st, const char *stage)
{
    if (st->caller.bounding_empty)
        return true;
    if (!caps_may(CAPS_SETPCAP)) {
#if EPCAP_LINUX /* the portable path has no bounding set to speak of */
        epcap_log(st, 1, "%s: bounding set kept: CAP_SETPCAP not held", stage);
#endif
        return false;
    }
    if (caps_empty_bounding() < 0)
        FAIL(st, "%s: emptying the bounding set failed", stage);
    st->caller.bounding_empty = true;
    return true;
}

static void set_groups(struct epcap *st, uid_t uid, gid_t gid,
                       enum privs_groups groups, const char *stage)
{
    int rc = 0;

    if (groups == GROUPS_CALLER) {
        /* NSS, with the rights the stage holds (root in the start). */
        const struct passwd *pw = getpwuid(uid);
        rc = pw != NULL ? initgroups(pw->pw_name, gid) : setgroups(1, &gid);
    } else if (groups == GROUPS_NONE && caps_may(CAPS_SETGROUPS)) {
        rc = setgroups(0, NULL);
    } else if (groups == GROUPS_NONE) {
        epcap_log(st, 1,
                  "%s: supplementary groups kept (the user's own): "
                  "CAP_SETGID not held",
                  stage);
    }
    if (rc < 0)
        FAIL(st, "%s: setting the groups of uid %u: %s", stage, (unsigned)uid,
             strerror(errno));
}

/* Every uid and gid to uid and gid: setresgid before setresuid (after it
 * the gid could not change), all three ids so no saved id leads back.
 * keep_caps: PR_SET_KEEPCAPS around the change, so the permitted set
 * survives the uid change long enough to be cut down. Unchanged ids need
 * no privilege (file capabilities). Runs with the stage's privileges. */
void privs_change_ids(struct epcap *st, uid_t uid, gid_t gid,
                      enum privs_groups groups, bool keep_caps,
                      const char *stage)
{
#if EPCAP_LINUX
    if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        FAIL(st, "%s: prctl(PR_SET_KEEPCAPS): %s", stage, strerror(errno));
#else
    (void)keep_caps;
#endif
    set_groups(st, uid, gid, groups, stage);
    if (setresgid(gid, gid, gid) < 0)
        FAIL(st, "%s: setresgid(%u): %s", stage, (unsigned)gid,
             strerror(errno));
    if (setresuid(uid, uid, uid) < 0)
        FAIL(st, "%s: setresuid(%u): %s", stage, (unsigned)uid,
             strerror(errno));
#if EPCAP_LINUX
    if (keep_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        FAIL(st, "%s: prctl(PR_SET_KEEPCAPS): %s", stage, strerror(errno));
#endif
}

/* Of the capabilities in keep, those permitted now stay permitted; every
 * other one, and every effective, inheritable and ambient one, goes.
 * Runs with whatever is left after an id change, or the capture's. */
void privs_keep_caps(struct epcap *st, caps_set keep, const char *stage)
{
    int cap = -1;

    if (caps_keep(keep, &cap) == 0)
        return;
    if (cap >= 0)
        FAIL(st, "%s: keeping capability %d failed", stage, cap);
    FAIL(st, "%s: reducing the capabilities (ambient included) failed", stage);
}

/* Make those of caps that are permitted effective. Runs as the caller
 * with the capture capabilities permitted. */
void privs_raise_caps(struct epcap *st, caps_set caps, const char *stage)
{
    int cap = -1;

    if (caps_raise(caps, &cap) == 0)
        return;
    if (cap >= 0)
        FAIL(st, "%s: raising capability %d failed", stage, cap);
    FAIL(st, "%s: raising the network capabilities failed", stage);
}

/* No execve can gain privileges again (setuid bits, file capabilities),
 * and no process of the same user may ptrace this one, which holds (or
 * will hold) a packet socket, or open its descriptors through /proc.
 * Needs no privilege. */
void privs_seal(struct epcap *st, const char *stage)
{
#if EPCAP_LINUX
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        FAIL(st, "%s: prctl(PR_SET_NO_NEW_PRIVS): %s", stage, strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        FAIL(st, "%s: prctl(PR_SET_DUMPABLE): %s", stage, strerror(errno));
#else
    (void)st;
    (void)stage;
#endif
}

static void prove_ids(struct epcap *st, const struct privs_proof *want,
                      const char *stage)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
        r != want->uid || e != want->uid || s != want->uid || rg != want->gid ||
        eg != want->gid || sg != want->gid)
        FAIL(st, "%s: the ids are not uid %u gid %u after the change", stage,
             (unsigned)want->uid, (unsigned)want->gid);
    if (setuid(0) == 0 || seteuid(0) == 0)
        FAIL(st, "%s: uid 0 could be regained as uid %u", stage,
             (unsigned)want->uid);
    if (want->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
        FAIL(st, "%s: gid 0 could be regained as gid %u", stage,
             (unsigned)want->gid);
}

static void prove_caps(struct epcap *st, const struct privs_proof *want,
                       const char *stage)
{
    const char *set = "";
    int cap = -1;
    int left = caps_left(want->permitted, want->bounding_empty, &set, &cap);

    if (left < 0)
        FAIL(st, "%s: reading the capabilities back failed", stage);
    if (left > 0)
        FAIL(st, "%s: capability %d still in the %s set", stage, cap, set);
    if ((want->permitted & caps_net) != 0)
        return; /* the capture stage keeps them */
    int back = caps_net_raw_regained();
    if (back < 0)
        FAIL(st, "%s: libcap-ng refused to try CAP_NET_RAW", stage);
    if (back > 0)
        FAIL(st, "%s: CAP_NET_RAW could be regained", stage);
}

/* The proof that a step did what it says: every id the one wanted, uid 0
 * (and gid 0) out of reach, no capability effective and none permitted
 * beyond want->permitted (nor, when that holds none of them, regainable),
 * no inheritable or ambient one, the bounding set empty where it was
 * emptied, no_new_privs set. Runs after the step, with what it left. */
void privs_prove(struct epcap *st, const struct privs_proof *want,
                 const char *stage)
{
    prove_ids(st, want, stage);
    prove_caps(st, want, stage);
#if EPCAP_LINUX
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        FAIL(st, "%s: no_new_privs is not set", stage);
#endif
}
