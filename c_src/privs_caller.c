/*
 * privs_caller.c: who started the port, and who it becomes.
 *
 * privs_identify() decides, before an option is read, how the port was
 * started and who the caller is (doc/SECURITY.md, "Threat model"):
 *
 *   root        real uid 0, no launcher's variable: the caller is root
 *               and keeps root's rights until privs_drop()
 *   sudo        real uid 0 and a launcher names another user (SUDO_UID
 *               from sudo or run0, PKEXEC_UID, DOAS_USER): the caller is
 *               that user, with its passwd group and its own groups
 *   setuid      effective uid 0 from the file's setuid bit: the caller is
 *               the real uid and gid, with the groups it came with
 *   file caps   the kernel marked the start secure (AT_SECURE) without
 *               uid 0: the caller is the real uid and gid
 *   plain       none of these: nothing to give up, nothing changes
 *
 * privs_pick_target() decides who the port runs as after the drop.
 *
 * Runs with whatever the start gave (up to full root): each function
 * says what it reads. Syscalls: getuid family, getauxval; open and read
 * of the passwd and group databases through NSS (as root, for a sudo
 * caller and for a root caller's -u and -g).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epcap_proto.h"
#include "platform.h"
#if EPCAP_LINUX
#include <sys/auxv.h>
#endif
#include "privs.h"
#include "privs_steps.h"
#include "report.h"
#include "state.h"

/* The user the port becomes when root started it and -u is not given. */
#define DEFAULT_ROOT_USER "nobody"

/* The longest user name DOAS_USER may carry (useradd's limit is 32). */
#define LAUNCHER_NAME_MAX 256

/* For -v and messages. Pure. */
const char *privs_start_name(enum epcap_start mode)
{
    switch (mode) {
    case EPCAP_START_ROOT: return "root";
    case EPCAP_START_SUDO: return "sudo";
    case EPCAP_START_SETUID: return "setuid";
    case EPCAP_START_FILE_CAPS: return "file-capabilities";
    case EPCAP_START_PLAIN: return "unprivileged";
    }
    return "unknown";
}

/* Whether the kernel ran us with more rights than the caller has (a
 * setuid or setgid bit, file capabilities). Reads only. */
static bool kernel_says_secure(void)
{
#if EPCAP_LINUX
    return getauxval(AT_SECURE) != 0;
#elif defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__APPLE__)
    return issetugid() != 0;
#else
    return getuid() != geteuid() || getgid() != getegid();
#endif
}

/* No variable left (the caller chose them all). Runs as root. */
static int empty_environment(void)
{
#if EPCAP_LINUX
    return clearenv();
#else
    extern char **environ;
    static char *none[] = {NULL};

    environ = none;
    return 0;
#endif
}

/*
 * The user a launcher that runs us as root acted for: sudo's (and
 * systemd's run0's) SUDO_UID, pkexec's PKEXEC_UID, or doas's DOAS_USER
 * copied into name (looked up only once the environment is gone). -1:
 * none was named (a root caller); 0 with a name: DOAS_USER. A variable
 * that is there but does not name a user is fatal: failing open would
 * make the caller root. Runs as root; reads the environment only, no NSS.
 */
static long launcher_uid(struct epcap *st, char name[LAUNCHER_NAME_MAX])
{
    static const char *const ids[] = {"SUDO_UID", "PKEXEC_UID"};
    unsigned long id;

    name[0] = '\0';
    for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
        if (getenv(ids[i]) == NULL)
            continue;
        if (privs_parse_id(getenv(ids[i]), &id) < 0)
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                        "start: %s is set but is not a user id", ids[i]);
        return (long)id;
    }
    const char *doas = getenv("DOAS_USER");
    if (doas == NULL)
        return -1;
    if (doas[0] == '\0' || strlen(doas) >= LAUNCHER_NAME_MAX)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "start: DOAS_USER is set but is not a user name");
    strcpy(name, doas);
    return 0;
}

/*
 * The launcher's user from passwd: its uid (for DOAS_USER) and its own
 * group, as login gives it. SUDO_GID is not needed, so it cannot be
 * abused. Runs as root, through NSS, once the environment is empty (the
 * caller chose it, and NSS must not read it); nothing the caller controls
 * is read but the name or uid the launcher vouched for.
 */
static void launcher_account(struct epcap *st, const char *name)
{
    struct epcap_caller *c = &st->caller;
    struct passwd *pw = name[0] != '\0' ? getpwnam(name) : getpwuid(c->uid);

    if (pw == NULL)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: the launcher's user has no passwd entry");
    c->uid = pw->pw_uid;
    c->gid = pw->pw_gid;
    if (c->uid == 0) { /* root ran the launcher (DOAS_USER=root) */
        c->mode = EPCAP_START_ROOT;
        c->root = true;
    }
}

/*
 * How the port was started (the comment at the top). A launcher's
 * variable is trusted only with a real uid of 0: no one else can make
 * this process's real uid 0, and the launcher sets it itself. A root
 * shell that still carries SUDO_UID from an earlier sudo is treated as
 * that user: the safe mistake (doc/SECURITY.md). A sudo caller's account
 * is read with the environment already emptied: clearenv comes between
 * reading the launcher's variables and the passwd lookup. Runs with what
 * the start gave.
 */
void privs_identify(struct epcap *st)
{
    struct epcap_caller *c = &st->caller;
    char name[LAUNCHER_NAME_MAX] = "";

    c->uid = getuid();
    c->gid = getgid();
    if (c->uid == 0) {
        long su = launcher_uid(st, name);
        if (su > 0 || name[0] != '\0') {
            c->mode = EPCAP_START_SUDO;
            c->uid = (uid_t)su;
        } else {
            c->mode = EPCAP_START_ROOT;
        }
    } else if (geteuid() == 0) {
        c->mode = EPCAP_START_SETUID;
    } else if (kernel_says_secure() || geteuid() != c->uid ||
               getegid() != c->gid) {
        c->mode = EPCAP_START_FILE_CAPS;
    } else {
        c->mode = EPCAP_START_PLAIN;
    }
    c->root = c->mode == EPCAP_START_ROOT;
    if (!privs_secure_start(st))
        return;
    /* The caller chose our environment; libpcap and NSS must not read
     * it (the launcher's variables were read above). */
    if (empty_environment() != 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "start: clearenv failed");
    if (c->mode == EPCAP_START_SUDO)
        launcher_account(st, name);
}

/* Started with privileges on behalf of someone else: the port becomes
 * that caller, and only it holds the network capabilities. */
bool privs_secure_start(const struct epcap *st)
{
    return st->caller.mode == EPCAP_START_SUDO ||
           st->caller.mode == EPCAP_START_SETUID ||
           st->caller.mode == EPCAP_START_FILE_CAPS;
}

/* -u for a root caller: a name from passwd, else a number. Runs as root,
 * through NSS. */
static void lookup_user(struct epcap *st, const char *user, uid_t *uid,
                        gid_t *gid)
{
    struct passwd *pw = getpwnam(user);
    unsigned long id;

    if (pw != NULL) {
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
    } else if (privs_parse_id(user, &id) == 0) {
        *uid = (uid_t)id;
    } else {
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "user: no such user: %s", user);
    }
}

/* -g for a root caller, as lookup_user. Runs as root, through NSS. */
static void lookup_group(struct epcap *st, const char *group, gid_t *gid)
{
    struct group *gr = getgrnam(group);
    unsigned long id;

    if (gr != NULL)
        *gid = gr->gr_gid;
    else if (privs_parse_id(group, &id) == 0)
        *gid = (gid_t)id;
    else
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "group: no such group: %s", group);
}

/* Who to become at the drop. A caller who is not root stays itself
 * (policy.c refused -u and -g). A root caller becomes -u/-g, or
 * "nobody". Never root again: uid 0 without capabilities still owns most
 * of the system's files. Runs as the caller: NSS as root for a root
 * caller. */
void privs_pick_target(struct epcap *st, uid_t *uid, gid_t *gid)
{
    const char *user = st->opt.user;

    *uid = getuid();
    *gid = getgid();
    if (!st->caller.root)
        return;
    if (user == NULL)
        user = DEFAULT_ROOT_USER;
    lookup_user(st, user, uid, gid);
    if (st->opt.group != NULL)
        lookup_group(st, st->opt.group, gid);
    if (*uid == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "user: the port does not run as root after opening; "
                    "give an unprivileged user with -u");
    if (*gid == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                    "group: the port does not keep gid 0 after opening; "
                    "give a group with -g");
}
