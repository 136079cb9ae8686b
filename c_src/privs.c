/*
 * privs.c: giving up what is left once the handle is open.
 *
 * By the time this runs, privs_start.c has made the process its caller:
 * a root caller still has root's rights; sudo, setuid and
 * file-capability callers are themselves, with at most CAP_NET_RAW and
 * CAP_NET_ADMIN permitted. privs_drop() runs once, after the handle is
 * open and before any packet or command is handled: one linear sequence,
 * every step checked, every failure fatal, because a port that silently
 * keeps a privilege is worse than no port:
 *
 *   pick the user and group         (reads /etc/passwd: before chroot)
 *   chroot into an empty directory  (needs CAP_SYS_CHROOT; skipped without)
 *   empty the bounding set          (needs CAP_SETPCAP; skipped without)
 *   drop supplementary groups, setresgid, setresuid
 *   clear every capability set      (permitted, effective, inheritable,
 *                                    ambient)
 *   no_new_privs, not dumpable
 *   prove it: uid 0 and a capability cannot be regained
 *
 * Syscalls: getuid family, setgroups, setresgid, setresuid, capget,
 * capset, prctl, mkdir, rmdir, chdir, chroot, sched_setaffinity; open and
 * read of /etc/passwd and /etc/group.
 */
#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "epcap_proto.h"
#include "privs.h"
#include "report.h"
#include "state.h"

/* Where the empty root is made; both are writable only by root, or
 * sticky. The directory is removed again before the port enters it. */
static const char *const empty_parents[] = {"/run", "/tmp"};

/* The user the port becomes when root started it and -u is not given. */
#define DEFAULT_ROOT_USER "nobody"

/* Capability numbers are below 64 in every kernel's sets. */
#define CAPS_MAX 64

/* The hint a permission error carries on stderr (a shell); an owner
 * reading frames gets the code alone and gives its own hint. */
const char *const privs_permission_hint =
    "to capture without root, give the port file capabilities "
    "(make setcap, recommended) or make it setuid root (make setuid), "
    "or run it through sudo ({exec, \"sudo -n\"} with a sudoers rule); "
    "see doc/SECURITY.md";

struct target {
    uid_t uid;
    gid_t gid;
};

/* ---- choosing who to become ---- */

static int to_id(const char *s, unsigned long *id)
{
    char *end = NULL;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    *id = strtoul(s, &end, 10);
    return errno == 0 && *end == '\0' && *id < UINT_MAX ? 0 : -1;
}

static void lookup_user(struct epcap *st, const char *user, struct target *t)
{
    struct passwd *pw = getpwnam(user);
    unsigned long id;

    if (pw != NULL) {
        t->uid = pw->pw_uid;
        t->gid = pw->pw_gid;
    } else if (to_id(user, &id) == 0) {
        t->uid = (uid_t)id;
    } else {
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "user: no such user: %s", user);
    }
}

static void lookup_group(struct epcap *st, const char *group,
                         struct target *t)
{
    struct group *gr = getgrnam(group);
    unsigned long id;

    if (gr != NULL)
        t->gid = gr->gr_gid;
    else if (to_id(group, &id) == 0)
        t->gid = (gid_t)id;
    else
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "group: no such group: %s", group);
}

/* A caller who is not root stays itself (policy.c refused -u and -g).
 * A root caller becomes -u/-g, or "nobody". Never root again: uid 0
 * without capabilities still owns most of the system's files. */
static void pick_target(struct epcap *st, struct target *t)
{
    bool by_root = st->caller.root;
    const char *user = st->opt.user;

    t->uid = getuid();
    t->gid = getgid();
    if (!by_root)
        return;
    if (user == NULL)
        user = DEFAULT_ROOT_USER;
    lookup_user(st, user, t);
    if (st->opt.group != NULL)
        lookup_group(st, st->opt.group, t);
    if (t->uid == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "user: the port does not run as root after opening; "
                    "give an unprivileged user with -u");
    if (t->gid == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "group: the port does not keep gid 0 after opening; "
                    "give a group with -g");
}

/* ---- the drop, in order ---- */

static bool have(unsigned cap)
{
    return capng_have_capability(CAPNG_EFFECTIVE, cap) == 1;
}

/* An empty root that stays empty: made, entered, removed. Nothing can be
 * created in a removed directory, and no other process can reach it. */
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
                    "/tmp: %s (give one with -d)", strerror(errno));
    if (chdir(dir) < 0 || rmdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "chroot: %s: %s", dir, strerror(errno));
    st->ran_as.chroot = true;
    epcap_log(st, 1, "privs: chroot into an empty directory (was %s)", dir);
}

static void enter_chroot(struct epcap *st)
{
    const char *dir = st->opt.chroot_dir;

    if (dir == NULL && !have(CAP_SYS_CHROOT)) {
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

/* Needs CAP_SETPCAP, which file capabilities usually do not include;
 * without it no_new_privs is what keeps the bounding set from mattering:
 * it can only ever limit what an execve could gain, and none can. */
static bool empty_bounding_set(struct epcap *st)
{
    if (st->caller.bounding_empty)
        return true;
    if (!have(CAP_SETPCAP)) {
        epcap_log(st, 1, "privs: bounding set kept: CAP_SETPCAP not held");
        return false;
    }
    capng_clear(CAPNG_SELECT_BOUNDS);
    if (capng_apply(CAPNG_SELECT_BOUNDS) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: emptying the bounding set failed");
    return true;
}

/* All three ids, so a setuid binary cannot switch back through the saved
 * set-user-ID. Unchanged ids need no privilege (file capabilities). */
static void change_ids(struct epcap *st, const struct target *t)
{
    if (have(CAP_SETGID)) {
        if (setgroups(0, NULL) < 0)
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                        "group: setgroups: %s", strerror(errno));
    } else {
        epcap_log(st, 1, "privs: supplementary groups kept (the user's "
                         "own): CAP_SETGID not held");
    }
    if (setresgid(t->gid, t->gid, t->gid) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "group: setresgid(%u): %s", (unsigned)t->gid,
                    strerror(errno));
    if (setresuid(t->uid, t->uid, t->uid) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "user: setresuid(%u): %s", (unsigned)t->uid,
                    strerror(errno));
}

/* The uid change already emptied the sets of a process that was root;
 * file capabilities stay until cleared here. */
static void clear_caps(struct epcap *st)
{
    capng_clear(CAPNG_SELECT_CAPS);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: clearing them failed");
    capng_clear(CAPNG_SELECT_AMBIENT);
    if (capng_apply(CAPNG_SELECT_AMBIENT) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: clearing the ambient set failed");
}

/* No execve can gain privileges again (setuid bits, file capabilities),
 * and no process of the same user may ptrace this one, which holds a
 * packet socket, or open its descriptors through /proc. */
static void seal(struct epcap *st)
{
#ifdef __linux__
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
#else
    (void)st;
#endif
}

/* ---- the proof ---- */

static int count_caps(capng_type_t type)
{
    int n = 0;

    for (unsigned cap = 0; cap < CAPS_MAX; cap++)
        n += capng_have_capability(type, cap) == 1;
    return n;
}

static void prove_caps(struct epcap *st, bool bounding_empty)
{
    static const struct {
        capng_type_t type;
        const char *name;
    } sets[] = {{CAPNG_EFFECTIVE, "effective"},
                {CAPNG_PERMITTED, "permitted"},
                {CAPNG_INHERITABLE, "inheritable"},
                {CAPNG_AMBIENT, "ambient"},
                {CAPNG_BOUNDING_SET, "bounding"}};

    if (capng_get_caps_process() != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: reading them back failed");
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        if (sets[i].type == CAPNG_BOUNDING_SET && !bounding_empty)
            continue;
        int n = count_caps(sets[i].type);
        if (n != 0)
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                        "capabilities: %d left in the %s set after the drop",
                        n, sets[i].name);
    }
    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_RAW);
    if (capng_apply(CAPNG_SELECT_CAPS) == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: CAP_NET_RAW could be regained");
}

static void prove(struct epcap *st, const struct target *t,
                  bool bounding_empty)
{
    if (setuid(0) == 0 || seteuid(0) == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "user: uid 0 could be regained after dropping to %u",
                    (unsigned)t->uid);
    if (t->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "group: gid 0 could be regained after dropping to %u",
                    (unsigned)t->gid);
    prove_caps(st, bounding_empty);
#ifdef __linux__
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "prctl: no_new_privs is not set");
#endif
}

static void set_affinity(struct epcap *st)
{
    const char *s = st->opt.cpu_affinity;
    cpu_set_t set;

    CPU_ZERO(&set);
    while (*s != '\0') {
        char *end;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (end == s)
            goto bad;
        if (*end == '-') {
            s = end + 1;
            hi = strtoul(s, &end, 10);
            if (end == s || hi < lo)
                goto bad;
        }
        if (hi >= CPU_SETSIZE)
            goto bad;
        for (unsigned long c = lo; c <= hi; c++)
            CPU_SET(c, &set);
        s = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            goto bad;
    }
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "cpu_affinity: %s: %s", st->opt.cpu_affinity,
                    strerror(errno));
    return;
bad:
    epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                "cpu_affinity: invalid CPU list '%s'", st->opt.cpu_affinity);
}

void privs_drop(struct epcap *st)
{
    struct target t;

    if (st->opt.cpu_affinity != NULL)
        set_affinity(st);
    pick_target(st, &t);
    if (capng_get_caps_process() != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: reading them failed");
    enter_chroot(st);
    bool bounding_empty = empty_bounding_set(st);
    change_ids(st, &t);
    clear_caps(st);
    seal(st);
    prove(st, &t, bounding_empty);
    st->ran_as.uid = t.uid;
    st->ran_as.gid = t.gid;
    epcap_log(st, 1, "privs: running as uid %u gid %u, no capabilities",
              (unsigned)t.uid, (unsigned)t.gid);
}

/* Whether pcap_activate on a live interface can succeed: CAP_NET_RAW in
 * the effective or permitted set (root, setuid root, file capabilities).
 * Asked by the Erlang side before it reaches for sudo. */
bool privs_can_capture(void)
{
    if (capng_get_caps_process() != 0)
        return geteuid() == 0;
    return capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW) == 1 ||
           capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW) == 1;
}
