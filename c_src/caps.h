/*
 * caps.h: the capabilities the privilege path keeps, raises, clears and
 * proves gone (privs_steps.c). caps_linux.c does it through libcap-ng;
 * caps_none.c is the portable path (platform.h), where a process has no
 * capabilities beyond what its uid gives, so there is nothing to keep,
 * raise or clear, and the proof is the ids'.
 *
 * Every function runs with whatever the calling stage holds and returns
 * what failed; privs_steps.c reports it (fatal).
 */
#ifndef EPCAP_CAPS_H
#define EPCAP_CAPS_H

#include <stdbool.h>
#include <stdint.h>

/* A set of capabilities, bit n for capability n (all are below 64). */
typedef uint64_t caps_set;

/* The only capabilities a caller's capture needs: packet sockets, and
 * the kernel buffer, monitor mode and promiscuity of an interface
 * (CAP_NET_RAW, CAP_NET_ADMIN). None on the portable path. */
extern const caps_set caps_net;

/* What the privilege path asks it may do. */
enum caps_right {
    CAPS_CHROOT,    /* CAP_SYS_CHROOT */
    CAPS_SETGROUPS, /* CAP_SETGID */
    CAPS_SETPCAP,   /* CAP_SETPCAP: empty the bounding set */
};

/* Read the process's capabilities; -1 on failure. */
int caps_read(void);
/* Whether r was effective when last read (caps_read). */
bool caps_may(enum caps_right r);
/* Empty the bounding set; -1 on failure. */
int caps_empty_bounding(void);
/* Of keep, those permitted now stay permitted, nothing else anywhere
 * (effective, inheritable, ambient); -1 with *cap (or -1) on failure. */
int caps_keep(caps_set keep, int *cap);
/* Those of caps that are permitted become effective; -1 with *cap (or
 * -1) on failure. */
int caps_raise(caps_set caps, int *cap);
/* The proof: 1 with *set and *cap naming a capability still held beyond
 * `may' (in the permitted set; none anywhere else; the bounding set only
 * if `bounding'), 0 for none, -1 if they cannot be read. */
int caps_left(caps_set may, bool bounding, const char **set, int *cap);
/* 1 if CAP_NET_RAW could be made effective again, 0 if not, -1 if that
 * cannot be tried. */
int caps_net_raw_regained(void);
/* Whether pcap_activate on a live interface can succeed for this
 * process, as far as its privileges tell. */
bool caps_can_capture(void);

#endif
