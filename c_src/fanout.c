/*
 * fanout.c: --fanout MODE:GROUP, Linux's PACKET_FANOUT (packet(7)).
 *
 * Several captures of one interface join one group; the kernel hands
 * each packet to one member only: by flow hash (hash: a flow stays on one
 * member while the group keeps its members), in turn (lb), by the CPU
 * that received it (cpu), to the first member with room (rollover), at
 * random (random) or by the packet's receive queue (qm). Flags: rollover
 * (go to another member when the chosen one's ring is full, instead of
 * dropping) and defrag (reassemble IP fragments first, so they hash
 * together). The group lives as long as one member's socket does.
 *
 * The kernel picks the member before the member's own filter runs, so
 * every member must have the same filter, or packets one member rejects
 * are lost for all. A member uses one ring: with --fanout the adaptive
 * default (two sockets, fastlane.c) is the block ring alone, as
 * options.c sets it, since a second socket outside the group would get
 * a copy of every packet of the interface.
 *
 * A group is named by its number alone within a network namespace, and
 * the kernel lets any packet socket join any group of its interface:
 * no owner is checked. A caller could join root's group, or another
 * program's (an IDS's AF_PACKET cluster), and take a share of the
 * packets meant for it (shown with random mode: root's capture lost half
 * of them). So before joining, and again after (a group made by someone
 * else in between), the port asks the kernel's packet socket diagnostics
 * (NETLINK_SOCK_DIAG, what ss -0 reads; no privilege needed) who holds a
 * socket in that group: every member must belong to the port's own user
 * (a socket's uid is the one that made it), or the start ends with
 * permission_denied. A group of the caller's own ports is what --fanout
 * is for. doc/SECURITY.md, "Fan-out groups".
 *
 * Privileges: fanout_parse runs with any; fanout_join runs in
 * capture_open after pcap_activate, as the caller with no effective
 * capability, before the drop and the sandbox, so the seccomp
 * allow-list needs no PACKET_FANOUT (it is refused after the drop like
 * every setsockopt but the filter's) and no netlink socket.
 *
 * Syscalls: setsockopt(SOL_PACKET, PACKET_FANOUT) once; socket(AF_NETLINK,
 * NETLINK_SOCK_DIAG), sendto, recvfrom and close twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "epcap_proto.h"
#include "platform.h"
#if EPCAP_LINUX
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <unistd.h>
#endif
#include "fanout.h"
#include "report.h"
#include "state.h"

#if EPCAP_LINUX
static const struct {
    const char *name;
    int mode;
} modes[] = {
    {"hash", PACKET_FANOUT_HASH},  {"lb", PACKET_FANOUT_LB},
    {"cpu", PACKET_FANOUT_CPU},    {"rollover", PACKET_FANOUT_ROLLOVER},
    {"random", PACKET_FANOUT_RND}, {"qm", PACKET_FANOUT_QM},
};

static int parse_mode(struct epcap_fanout *fo, const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strlen(modes[i].name) == n && strncmp(modes[i].name, s, n) == 0) {
            fo->mode = modes[i].mode;
            return 0;
        }
    return -1;
}

static int parse_flags(struct epcap_fanout *fo, const char *s)
{
    if (*s == '\0')
        return -1;
    while (*s != '\0') {
        size_t n = strcspn(s, ",");
        if (n == 8 && strncmp(s, "rollover", n) == 0)
            fo->flags |= PACKET_FANOUT_FLAG_ROLLOVER;
        else if (n == 6 && strncmp(s, "defrag", n) == 0)
            fo->flags |= PACKET_FANOUT_FLAG_DEFRAG;
        else
            return -1;
        s += n;
        if (*s == ',' && *++s == '\0')
            return -1;
    }
    return 0;
}

int fanout_parse(struct epcap_fanout *fo, const char *arg, char *err,
                 size_t errlen)
{
    const char *colon = strchr(arg, ':');
    char *end = NULL;

    fo->flags = 0;
    if (colon == NULL || parse_mode(fo, arg, (size_t)(colon - arg)) < 0)
        goto bad;
    errno = 0;
    long group = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || group < 0 || group > 65535 ||
        (colon[1] < '0' || colon[1] > '9'))
        goto bad;
    if (*end == ':' ? parse_flags(fo, end + 1) < 0 : *end != '\0')
        goto bad;
    fo->group = (int)group;
    return 0;
bad:
    snprintf(err, errlen,
             "--fanout: %s: want MODE:GROUP[:FLAG[,FLAG]], MODE one of hash, "
             "lb, cpu, rollover, random, qm, GROUP 0..65535, FLAG rollover "
             "or defrag",
             arg);
    return -1;
}

/* The uid of one socket of the dump if it is in group (PACKET_DIAG_FANOUT's
 * low 16 bits); -1 if it is not; -2 if it is but has no uid attribute
 * (a foreign member for the caller: fail closed). */
static long member_uid(const struct nlmsghdr *h, int group)
{
    const struct packet_diag_msg *m = NLMSG_DATA(h);
    const char *a = (const char *)(m + 1);
    const char *end = (const char *)h + h->nlmsg_len;
    long uid = -2;
    bool in = false;

    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
        return -1;
    while (end - a >= NLA_HDRLEN) {
        const struct nlattr *na = (const struct nlattr *)(const void *)a;
        if (na->nla_len < NLA_HDRLEN || na->nla_len > end - a)
            break;
        uint32_t v;
        if (na->nla_len >= NLA_HDRLEN + sizeof(v)) {
            memcpy(&v, a + NLA_HDRLEN, sizeof(v));
            if (na->nla_type == PACKET_DIAG_FANOUT)
                in = (int)(v & 0xffff) == group;
            else if (na->nla_type == PACKET_DIAG_UID)
                uid = (long)v;
        }
        a += NLA_ALIGN(na->nla_len);
    }
    return in ? uid : -1;
}

/* Reads the dump's answer: 1 and *who if a member of group is not uid's,
 * 0 if none, -1 with errno on failure. */
static int read_members(int nl, int group, uid_t uid, long *who)
{
    union {
        struct nlmsghdr h; /* alignment */
        char b[16384];
    } u;
    char *buf = u.b;
    int foreign = 0;

    for (;;) {
        ssize_t n = recv(nl, buf, sizeof(u.b), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? (errno = EPROTO, -1) : -1;
        size_t len = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
             NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return foreign;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                errno = e->error < 0 ? -e->error : EPROTO;
                return -1;
            }
            long mu = member_uid(h, group);
            if (mu != -1 && mu != (long)uid && !foreign) {
                foreign = 1;
                *who = mu;
            }
        }
    }
}

/* Whether someone but uid holds a socket in group, in this network
 * namespace: 1 (*who: that uid, -2 if the kernel did not say), 0, or -1
 * with errno. */
static int group_foreign(int group, uid_t uid, long *who)
{
    struct {
        struct nlmsghdr nlh;
        struct packet_diag_req req;
    } q = {
        .nlh = {.nlmsg_len = sizeof(q),
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
        .req = {.sdiag_family = AF_PACKET,
                .pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FANOUT},
    };
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

    if (nl < 0)
        return -1;
    int rc = send(nl, &q, sizeof(q), 0) == (ssize_t)sizeof(q)
                 ? read_members(nl, group, uid, who)
                 : -1;
    int saved = errno;
    close(nl);
    errno = saved;
    return rc;
}

/* Ends the port unless every member of the group is the port's own user. */
static void check_members(struct epcap *st)
{
    int group = st->opt.fanout.group;
    long who = -2;
    int rc = group_foreign(group, geteuid(), &who);

    /* A kernel without packet diagnostics (CONFIG_PACKET_DIAG): only
     * root, who chose the number and may join any group anyway, goes on. */
    if (rc < 0 && st->caller.root)
        epcap_warn(st, EPCAP_E_WARNING,
                   "%s: fan-out group %d: cannot see its members (%s): "
                   "joining unchecked",
                   st->device, group, strerror(errno));
    else if (rc < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_SYSTEM,
                    "%s: fan-out group %d: cannot see its members (%s): "
                    "refusing to join a group that may be another user's",
                    st->device, group, strerror(errno));
    if (rc > 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_PERMISSION_DENIED,
                    "%s: fan-out group %d holds a socket of uid %ld: a port "
                    "joins only a group of its own user's sockets (pick "
                    "another group number)",
                    st->device, group, who);
}

void fanout_join(struct epcap *st)
{
    const struct epcap_fanout *fo = &st->opt.fanout;
    int arg = fo->group | (int)((unsigned)(fo->mode | (int)fo->flags) << 16);

    if (fo->group < 0)
        return;
    check_members(st);
    if (setsockopt(pcap_fileno(st->pcap), SOL_PACKET, PACKET_FANOUT, &arg,
                   sizeof(arg)) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE,
                    "%s: fan-out group %d: %s%s", st->device, fo->group,
                    strerror(errno),
                    errno == EINVAL ? " (the group exists with another mode "
                                      "or flags, or on another interface)"
                                    : "");
    /* Someone else may have made the group between the look and the
     * join: leaving it is exiting. */
    check_members(st);
    epcap_log(st, 1, "%s: fan-out group %d", st->device, fo->group);
}
#else
int fanout_parse(struct epcap_fanout *fo, const char *arg, char *err,
                 size_t errlen)
{
    (void)fo;
    snprintf(err, errlen, "--fanout %s: fan-out groups need Linux", arg);
    return -1;
}

void fanout_join(struct epcap *st)
{
    (void)st;
}
#endif
