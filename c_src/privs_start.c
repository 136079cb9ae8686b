/*
 * privs_start.c: who started the port, and becoming that caller.
 *
 * privs_start() is the port's very first act, before an option is read.
 * It decides how the port was started and who the caller is
 * (doc/SECURITY.md, "Threat model"):
 *
 *   root        real uid 0, no SUDO_UID: the caller is root and keeps
 *               root's rights until privs_drop()
 *   sudo        real uid 0 and a launcher names another user (SUDO_UID
 *               from sudo or run0, PKEXEC_UID, DOAS_USER): the caller is
 *               that user, with its passwd group and its own groups
 *   setuid      effective uid 0 from the file's setuid bit: the caller is
 *               the real uid and gid, with the groups it came with
 *   file caps   the kernel marked the start secure (AT_SECURE) without
 *               uid 0: the caller is the real uid and gid
 *   plain       none of these: nothing to give up, nothing changes
 *
 * For sudo, setuid and file capabilities it then becomes the caller, as
 * dumpcap does: every uid and gid set to the caller's, the environment
 * emptied, no_new_privs, not dumpable, and of all capabilities only
 * CAP_NET_RAW and CAP_NET_ADMIN left in the permitted set (none
 * effective). privs_net_raise() makes them effective for the activation
 * of a live interface; privs_net_done() drops them right after, or as
 * soon as the options show that no interface will be opened. Everything
 * else the port does before privs_drop() -- reading options, name
 * lookups, compiling filters, -D, -L, opening capture files, -w and dump
 * files -- runs as the caller with no effective capability. Each step is checked and the result proven;
 * any failure is fatal (exit 77).
 *
 * Runs with: whatever the start gave (up to full root), until it returns.
 * Syscalls: getuid family, getauxval, prctl, capget, capset, setgroups,
 * setresgid, setresuid, sigaction, sigprocmask; /etc/passwd and
 * /etc/group through NSS for a sudo caller's groups.
 */
#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#include <sys/prctl.h>
#endif

#include "epcap_proto.h"
#include "privs.h"
#include "report.h"
#include "state.h"

/* The only capabilities a caller's capture needs: packet sockets, and
 * the kernel buffer, monitor mode and promiscuity of an interface. */
static const unsigned net_caps[] = {CAP_NET_RAW, CAP_NET_ADMIN};

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

static bool kernel_says_secure(void)
{
#ifdef __linux__
    return getauxval(AT_SECURE) != 0;
#else
    return issetugid() != 0;
#endif
}

/* A decimal id as sudo writes it; -1 if absent or malformed. */
static long env_id(const char *name)
{
    const char *s = getenv(name);
    char *end = NULL;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v >= (unsigned long)UINT_MAX)
        return -1;
    return (long)v;
}

/* The longest user name DOAS_USER may carry (useradd's limit is 32). */
#define LAUNCHER_NAME_MAX 256

/*
 * The user a launcher that runs us as root acted for: sudo's (and
 * systemd's run0's) SUDO_UID, pkexec's PKEXEC_UID, or doas's DOAS_USER
 * copied into name (looked up only once the environment is gone). -1:
 * none was named (a root caller); 0 with a name: DOAS_USER. A variable
 * that is there but does not name a user is fatal: failing open would
 * make the caller root. Reads the environment only: no NSS.
 */
static long launcher_uid(struct epcap *st, char name[LAUNCHER_NAME_MAX])
{
    static const char *const ids[] = {"SUDO_UID", "PKEXEC_UID"};

    name[0] = '\0';
    for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
        if (getenv(ids[i]) == NULL)
            continue;
        long id = env_id(ids[i]);
        if (id < 0)
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                        "start: %s is set but is not a user id", ids[i]);
        return id;
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

/* The launcher's user from passwd, once the environment is empty: its
 * uid (for DOAS_USER) and its own group, as login gives it. SUDO_GID is
 * not needed, so it cannot be abused. */
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
 * that user: the safe mistake (doc/SECURITY.md). For a sudo start the
 * caller's account is read later, by launcher_account.
 */
static void identify(struct epcap *st, char name[LAUNCHER_NAME_MAX])
{
    struct epcap_caller *c = &st->caller;

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
}

/* Started with privileges on behalf of someone else: the port becomes
 * that caller, and only it holds the network capabilities. */
static bool secure_start(const struct epcap *st)
{
    return st->caller.mode == EPCAP_START_SUDO ||
           st->caller.mode == EPCAP_START_SETUID ||
           st->caller.mode == EPCAP_START_FILE_CAPS;
}

/* sudo gave root's groups; the caller gets its own, as login would. A
 * setuid start already has the caller's (exec keeps them). */
static void caller_groups(struct epcap *st)
{
    struct epcap_caller *c = &st->caller;
    struct passwd *pw = getpwuid(c->uid);
    int rc = pw != NULL ? initgroups(pw->pw_name, c->gid)
                        : setgroups(1, &c->gid);

    if (rc < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: setting the groups of uid %u: %s",
                    (unsigned)c->uid, strerror(errno));
}

/* Keep only the two network capabilities, in the permitted set only.
 * With CAP_SETPCAP (root, or a file that grants it) the bounding set is
 * emptied first, while that is still possible. */
static void keep_net_caps(struct epcap *st)
{
    if (capng_get_caps_process() != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: reading the capabilities failed");
    bool held[2];
    for (size_t i = 0; i < 2; i++)
        held[i] = capng_have_capability(CAPNG_PERMITTED, net_caps[i]) == 1;
    capng_clear(CAPNG_SELECT_BOTH);
    for (size_t i = 0; i < 2; i++)
        if (held[i] &&
            capng_update(CAPNG_ADD, CAPNG_PERMITTED, net_caps[i]) != 0)
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                        "start: keeping capability %u failed", net_caps[i]);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: reducing the capabilities failed");
    capng_clear(CAPNG_SELECT_AMBIENT);
    if (capng_apply(CAPNG_SELECT_AMBIENT) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: clearing the ambient set failed");
}

static void empty_bounding_while_root(struct epcap *st)
{
    if (capng_get_caps_process() != 0 ||
        capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) != 1)
        return;
    capng_clear(CAPNG_SELECT_BOUNDS);
    if (capng_apply(CAPNG_SELECT_BOUNDS) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: emptying the bounding set failed");
    st->caller.bounding_empty = true;
}

/* setresgid before setresuid (after it, the gid could not change), all
 * three ids so no saved id leads back; KEEPCAPS so the permitted set
 * survives the uid change long enough to be cut to the two we keep. */
static void become(struct epcap *st)
{
    const struct epcap_caller *c = &st->caller;

#ifdef __linux__
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
#endif
    if (st->caller.mode == EPCAP_START_SUDO)
        caller_groups(st);
    if (setresgid(c->gid, c->gid, c->gid) < 0 ||
        setresuid(c->uid, c->uid, c->uid) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: becoming uid %u gid %u: %s", (unsigned)c->uid,
                    (unsigned)c->gid, strerror(errno));
#ifdef __linux__
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
#endif
}

static void seal_start(struct epcap *st)
{
#ifdef __linux__
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: prctl: %s", strerror(errno));
#else
    (void)st;
#endif
}

/* The proof: every id is the caller's, uid 0 cannot come back, and no
 * capability is effective or permitted beyond the two. */
static void prove_start(struct epcap *st)
{
    const struct epcap_caller *c = &st->caller;
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
        r != c->uid || e != c->uid || s != c->uid || rg != c->gid ||
        eg != c->gid || sg != c->gid)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: ids are not the caller's after the change");
    if (setuid(0) == 0 || seteuid(0) == 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: uid 0 could be regained");
    if (capng_get_caps_process() != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: reading the capabilities back failed");
    for (unsigned cap = 0; cap < 64; cap++) {
        bool net = cap == CAP_NET_RAW || cap == CAP_NET_ADMIN;
        if (capng_have_capability(CAPNG_EFFECTIVE, cap) == 1 ||
            (!net && capng_have_capability(CAPNG_PERMITTED, cap) == 1))
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                        "start: capability %u still held", cap);
    }
#ifdef __linux__
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "start: no_new_privs is not set");
#endif
}

/* SIGTERM and SIGINT end the port at once until the loop takes them
 * over (signals_init): a start blocked in open() on a FIFO must stay
 * killable by its caller. The mask and dispositions come from whoever
 * ran us, so both are reset. */
static void default_signals(struct epcap *st)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (signal(SIGTERM, SIG_DFL) == SIG_ERR ||
        signal(SIGINT, SIG_DFL) == SIG_ERR ||
        sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "start: signals: %s",
                    strerror(errno));
}

void privs_start(struct epcap *st)
{
    char name[LAUNCHER_NAME_MAX];

    identify(st, name);
    default_signals(st);
    if (!secure_start(st))
        return;
    /* The caller chose our environment; libpcap and NSS must not read
     * it (the launcher's variables were read above). */
    if (clearenv() != 0)
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM,
                    "start: clearenv failed");
    if (st->caller.mode == EPCAP_START_SUDO)
        launcher_account(st, name);
    if (st->caller.root)
        return;
    empty_bounding_while_root(st);
    become(st);
    keep_net_caps(st);
    seal_start(st);
    prove_start(st);
}

/* Make the kept network capabilities effective, for pcap_activate only.
 * A root or plain start is left as it is. */
void privs_net_raise(struct epcap *st)
{
    if (!secure_start(st))
        return;
    if (capng_get_caps_process() != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: reading them failed");
    for (size_t i = 0; i < 2; i++)
        if (capng_have_capability(CAPNG_PERMITTED, net_caps[i]) == 1)
            capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, net_caps[i]);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: raising the network ones failed");
}

/* The network capabilities are no longer needed (the handle is active,
 * or this run opens no interface: a file, --compile, -D): gone from every
 * set, so nothing that follows -- header parsing, name lookups, file
 * opens -- runs with them even permitted. */
void privs_net_done(struct epcap *st)
{
    if (!secure_start(st))
        return;
    capng_clear(CAPNG_SELECT_CAPS);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "capabilities: dropping the network ones failed");
}
