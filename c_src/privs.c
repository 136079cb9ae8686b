/*
 * privs.c: giving up the identity the port was started with.
 *
 * Runs once, after the capture handle is open (which needed root or
 * CAP_NET_RAW) and before any packet or command is handled. The sequence
 * is linear and every step is checked; a failed step is fatal, because a
 * port that silently keeps root is worse than no port.
 *
 *   resolve user and group (needs /etc, so before chroot)
 *   chroot and chdir("/")          (needs CAP_SYS_CHROOT)
 *   setgroups, setgid, setuid      (needs CAP_SETGID, CAP_SETUID)
 *   prove: setuid(0) now fails
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

#include "epcap.h"

static int to_id(const char *s, unsigned long *id)
{
    char *end = NULL;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    *id = strtoul(s, &end, 10);
    return errno == 0 && *end == '\0' && *id < UINT_MAX ? 0 : -1;
}

static void lookup(struct epcap *st, uid_t *uid, gid_t *gid)
{
    const struct epcap_opts *o = &st->opt;
    unsigned long id;

    if (o->user != NULL) {
        struct passwd *pw = getpwnam(o->user);
        if (pw != NULL) {
            *uid = pw->pw_uid;
            *gid = pw->pw_gid;
        } else if (to_id(o->user, &id) == 0) {
            *uid = (uid_t)id;
        } else {
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                        "user: no such user: %s", o->user);
        }
    }
    if (o->group != NULL) {
        struct group *gr = getgrnam(o->group);
        if (gr != NULL)
            *gid = gr->gr_gid;
        else if (to_id(o->group, &id) == 0)
            *gid = (gid_t)id;
        else
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_BADARG,
                        "group: no such group: %s", o->group);
    }
}

static void set_ids(struct epcap *st, uid_t uid, gid_t gid)
{
    /* Only a privileged process may (and must) clear its groups. */
    if (geteuid() == 0 && setgroups(1, &gid) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "group: setgroups(%u): %s", (unsigned)gid,
                    strerror(errno));
    /* All three ids, so a setuid binary cannot switch back through the
     * saved set-user-ID. */
    if (setresgid(gid, gid, gid) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "group: setgid(%u): %s", (unsigned)gid, strerror(errno));
    if (setresuid(uid, uid, uid) < 0)
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "user: setuid(%u): %s", (unsigned)uid, strerror(errno));
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                    "user: could regain uid 0 after dropping to %u",
                    (unsigned)uid);
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
    uid_t uid = getuid();
    gid_t gid = getgid();

    if (st->opt.cpu_affinity != NULL)
        set_affinity(st);
    lookup(st, &uid, &gid);
    if (st->opt.chroot_dir != NULL) {
        if (chroot(st->opt.chroot_dir) < 0 || chdir("/") < 0)
            epcap_fatal(st, EPCAP_EXIT_NOPERM, EPCAP_E_SYSTEM,
                        "chroot: %s: %s", st->opt.chroot_dir,
                        strerror(errno));
    }
    set_ids(st, uid, gid);
}

/* Whether pcap_activate on a live interface can succeed: root, or
 * CAP_NET_RAW in the effective or permitted set (setuid or file
 * capabilities). Asked by the Erlang side before it reaches for sudo. */
bool privs_can_capture(void)
{
    if (geteuid() == 0)
        return true;
    if (capng_get_caps_process() < 0)
        return false;
    return capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW) ||
           capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW);
}
