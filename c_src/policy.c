/*
 * policy.c: what a caller who is not root may ask of the port.
 *
 * The rule (doc/SECURITY.md): a caller who is not root gets capture on
 * network interfaces (and injection where the installer allowed it),
 * reads only files they can read, writes only files they can write, and
 * nothing else, whatever the options, environment, stdin and files. The
 * identity part is privs_caller.c's; this file refuses the options that
 * would reach past it, before any of them is acted on:
 *
 *   -u, -g, -d       root only: a usage error that names the option and
 *                    never the path, so it tells nothing about the file
 *                    system
 *   -e               only PCAP_* variables (libpcap's documented prefix)
 *   -B               at most EPCAP_BUFFER_MAX_USER: kernel memory pinned
 *                    for one port
 *   --fanout         group numbers from EPCAP_FANOUT_GROUP_MIN_USER only
 *   --inject         only if the installer allowed it (EPCAP_INJECT_POLICY)
 *   -i               only a network interface the kernel knows, or "any":
 *                    libpcap opens other sources by name (D-Bus, whose
 *                    unixexec: transport runs a program; usbmon,
 *                    Bluetooth, netfilter log, ...)
 *
 * A root caller may ask for all of it.
 *
 * Runs as the caller, with no effective capability.
 * Syscalls: socket and ioctl (if_nametoindex), stat of the policy file.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "epcap_proto.h"
#include "live.h"
#include "policy.h"
#include "report.h"
#include "state.h"

/* Names libpcap gives to capture sources that are not network
 * interfaces; it picks the source by this prefix before the kernel is
 * asked, so a kernel interface so named would not protect us. */
static const char *const source_prefixes[] = {
    "dbus", "usbmon", "bluetooth", "nflog", "nfqueue", "dpdk", "netmap",
    "vale", "rpcap",  "dag",       "snf",   "septel",  "rdma", "mlx",
};

static int refuse(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return -1;
}

static int check_env(const struct epcap_opts *o, char *err, size_t errlen)
{
    for (int i = 0; i < o->env_count; i++)
        if (strncmp(o->env[i], "PCAP_", 5) != 0) {
            snprintf(err, errlen,
                     "env: %.*s: a caller who is not root may set only "
                     "PCAP_* variables",
                     (int)strcspn(o->env[i], "="), o->env[i]);
            return -1;
        }
    return 0;
}

/* Owned by root and writable by no one else; not a symlink. */
static bool roots_alone(const char *path, bool dir)
{
    struct stat sb;

    return lstat(path, &sb) == 0 &&
           (dir ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode)) &&
           sb.st_uid == 0 && (sb.st_mode & 022) == 0;
}

/* The installer's choice: a file that only root can have made, in a
 * directory only root can change (so no one else can have put a link to
 * some other root-owned file there). */
bool policy_inject_allowed(void)
{
    char dir[sizeof(EPCAP_INJECT_POLICY)];

    memcpy(dir, EPCAP_INJECT_POLICY, sizeof(dir));
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return false;
    *slash = '\0';
    return roots_alone(dir, true) && roots_alone(EPCAP_INJECT_POLICY, false);
}

int policy_check_options(const struct epcap *st, char *err, size_t errlen)
{
    const struct epcap_opts *o = &st->opt;
    bool privileged = st->caller.mode != EPCAP_START_PLAIN;

    if (st->caller.root)
        return 0;
    if (o->user != NULL)
        return refuse(err, errlen,
                      "user: only root may choose the user the "
                      "port runs as; it runs as its caller");
    if (o->group != NULL)
        return refuse(err, errlen,
                      "group: only root may choose the group "
                      "the port runs as; it keeps its caller's");
    if (o->chroot_dir != NULL)
        return refuse(err, errlen,
                      "chroot: only root may choose a chroot "
                      "directory");
    /* The test variants' hook (never in priv/epcap): some self-tests
     * (inject) would act past the policy. */
    if (o->sandbox_selftest != NULL)
        return refuse(err, errlen, "sandbox-selftest: for root's tests only");
    if (check_env(o, err, errlen) < 0)
        return -1;
    if (o->fanout.group >= 0 && o->fanout.group < EPCAP_FANOUT_GROUP_MIN_USER) {
        snprintf(err, errlen,
                 "fanout: group %d: numbers below %d are root's (programs "
                 "such as an IDS join small fixed numbers); a caller who is "
                 "not root picks %d..65535",
                 o->fanout.group, EPCAP_FANOUT_GROUP_MIN_USER,
                 EPCAP_FANOUT_GROUP_MIN_USER);
        return -1;
    }
    if (privileged && o->inject && !policy_inject_allowed())
        return refuse(err, errlen,
                      "inject: this install lets only root inject (the "
                      "installer allows others with make setcap INJECT=yes "
                      "or make setuid INJECT=yes; see doc/SECURITY.md)");
    return 0;
}

/* The kernel buffer to ask for (0: the default). Called once the output
 * mode is known, so the warning reaches the owner. */
int policy_buffer_size(struct epcap *st)
{
    const struct epcap_opts *o = &st->opt;

    if (st->caller.root || o->buffer_size <= EPCAP_BUFFER_MAX_USER)
        return o->buffer_size;
    epcap_warn(st, EPCAP_E_WARNING,
               "buffer: %d bytes lowered to %d, the most a caller who is "
               "not root may pin in the kernel",
               o->buffer_size, EPCAP_BUFFER_MAX_USER);
    return EPCAP_BUFFER_MAX_USER;
}

int policy_ring_size(struct epcap *st, uint32_t nlive)
{
    int size = st->buffer_size > 0 ? st->buffer_size : EPCAP_BUFFER_DEFAULT;

    if (st->caller.root || nlive < 2 ||
        (long long)size * nlive <= EPCAP_BUFFER_MAX_USER)
        return size;
    int each = EPCAP_BUFFER_MAX_USER / (int)nlive;
    epcap_warn(st, EPCAP_E_WARNING,
               "buffer: %d bytes on each of %u interfaces lowered to %d: "
               "%d in all is the most a caller who is not root may pin in "
               "the kernel",
               size, nlive, each, EPCAP_BUFFER_MAX_USER);
    return each;
}

bool policy_device_allowed(const struct epcap *st, const char *name, char *why,
                           size_t len)
{
    if (st->caller.root || strcmp(name, "any") == 0)
        return true;
    for (size_t i = 0; i < sizeof(source_prefixes) / sizeof(*source_prefixes);
         i++)
        if (strncmp(name, source_prefixes[i], strlen(source_prefixes[i])) ==
            0) {
            snprintf(why, len,
                     "not a network interface: a caller who is "
                     "not root may capture only on network "
                     "interfaces (or any)");
            return false;
        }
    if (strlen(name) >= IF_NAMESIZE || strpbrk(name, ":/ ") != NULL ||
        if_nametoindex(name) == 0) {
        snprintf(why, len,
                 "no such network interface (a caller who is not "
                 "root may capture only on network interfaces, "
                 "or any)");
        return false;
    }
    return true;
}
