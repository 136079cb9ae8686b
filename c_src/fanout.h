/*
 * fanout.h: joining a Linux packet fan-out group (fanout.c), so several
 * captures on one interface share its packets: --fanout MODE:GROUP.
 */
#ifndef EPCAP_FANOUT_H
#define EPCAP_FANOUT_H

#include <stdbool.h>
#include <stddef.h>

struct epcap;

/* What --fanout asked for. group -1: no fan-out. */
struct epcap_fanout {
    int group;      /* 0..65535 */
    int mode;       /* PACKET_FANOUT_HASH, _LB, _CPU, ... */
    unsigned flags; /* PACKET_FANOUT_FLAG_ROLLOVER, _DEFRAG */
};

/* Parse MODE:GROUP[:FLAG[,FLAG]] (hash:7, lb:1:rollover,defrag); 0, or
 * -1 with a message for the user in err. Runs with any privileges: it
 * only reads its argument. */
int fanout_parse(struct epcap_fanout *fo, const char *arg, char *err,
                 size_t errlen);

/* Join the group on the live capture's packet socket, after activation
 * and before the privileges are dropped and the sandbox closes (a
 * setsockopt the sandbox does not allow). Fatal when the kernel refuses
 * (a group of another mode or flags, or on another interface). */
void fanout_join(struct epcap *st);

#endif
