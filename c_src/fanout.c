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
 * Privileges: fanout_parse runs with any; fanout_join runs in
 * capture_open after pcap_activate, before the drop and the sandbox, so
 * the seccomp allow-list needs no PACKET_FANOUT (it is refused after the
 * drop like every setsockopt but the filter's).
 *
 * Syscalls: setsockopt(SOL_PACKET, PACKET_FANOUT) once.
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
#endif
#include "fanout.h"
#include "report.h"
#include "state.h"

#if EPCAP_LINUX
static const struct {
    const char *name;
    int mode;
} modes[] = {
    {"hash", PACKET_FANOUT_HASH},     {"lb", PACKET_FANOUT_LB},
    {"cpu", PACKET_FANOUT_CPU},       {"rollover", PACKET_FANOUT_ROLLOVER},
    {"random", PACKET_FANOUT_RND},    {"qm", PACKET_FANOUT_QM},
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
             "or defrag", arg);
    return -1;
}

void fanout_join(struct epcap *st)
{
    const struct epcap_fanout *fo = &st->opt.fanout;
    int arg = fo->group | (int)((unsigned)(fo->mode | (int)fo->flags) << 16);

    if (fo->group < 0)
        return;
    if (setsockopt(pcap_fileno(st->pcap), SOL_PACKET, PACKET_FANOUT, &arg,
                   sizeof(arg)) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_CAPTURE,
                    "%s: fan-out group %d: %s%s", st->device,
                    fo->group, strerror(errno),
                    errno == EINVAL ? " (the group exists with another mode "
                                      "or flags, or on another interface)"
                                    : "");
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
