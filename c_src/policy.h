/*
 * policy.h: what a caller who is not root may ask for (policy.c).
 */
#ifndef EPCAP_POLICY_H
#define EPCAP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct epcap;

/* The most kernel buffer (-B) a caller who is not root may ask for:
 * pinned memory per port, about half a second of 1 M packets/s in
 * immediate mode. Root may ask for more. */
#define EPCAP_BUFFER_MAX_USER (128 * 1024 * 1024)

/* Fan-out group numbers below this are root's, as ports below 1024 are:
 * the kernel checks no owner, and the programs that a user could wait
 * for with a group made first (an IDS's AF_PACKET cluster: Suricata's
 * 99, Zeek's 23) use small fixed numbers. fanout.c keeps a port out of
 * another user's existing group; this keeps a user from making such a
 * group before the program starts. */
#define EPCAP_FANOUT_GROUP_MIN_USER 1024

/* Present (regular, owned by root, writable by no one else): callers
 * who are not root may inject. The installer's choice (make setcap
 * INJECT=yes). */
#ifndef EPCAP_INJECT_POLICY
#define EPCAP_INJECT_POLICY "/etc/epcap/inject"
#endif

/* 0, or -1 with the refusal in err. */
int policy_check_options(const struct epcap *st, char *err, size_t errlen);
/* The kernel buffer to ask for (0: the default), warning if the caller
 * asked for more than it may have. */
int policy_buffer_size(struct epcap *st);
/* The ring each of nlive live interfaces gets: the buffer asked for (or
 * EPCAP_BUFFER_DEFAULT); for a caller who is not root at most
 * EPCAP_BUFFER_MAX_USER over all of them (the bound is per port), lowered
 * with a warning. */
int policy_ring_size(struct epcap *st, uint32_t nlive);
bool policy_device_allowed(const struct epcap *st, const char *name, char *why,
                           size_t len);
bool policy_inject_allowed(void);

#endif
