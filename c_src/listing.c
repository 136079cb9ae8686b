/*
 * listing.c: -D (interfaces) and -L (link types of an interface).
 *
 * -D needs no privilege: pcap_findalldevs reads what the kernel tells any
 * user, and runs as the caller. A caller who is not root is shown only
 * the sources it may open. Its output is lines for people and for
 * epcap:interfaces/0 alike.
 *
 * The format of both is defined in epcap_proto.h (-D's lines,
 * EPCAP_LIST_NONE, the DATALINKS frame) and doc/PROTOCOL.md.
 *
 * -L activates the interface (so it needs the right to capture) and
 * answers with a DATALINKS frame, or to a terminal with one line
 * "NUMBER<TAB>NAME<TAB>DESCRIPTION" per link type.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "epcap_proto.h"
#include "frame.h"
#include "listing.h"
#include "policy.h"
#include "report.h"
#include "state.h"
#include "wire.h"

static const char *address(const struct sockaddr *sa, char *buf, size_t len)
{
    if (sa == NULL)
        return EPCAP_LIST_NONE;
    if (sa->sa_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                         buf, (socklen_t)len);
    if (sa->sa_family == AF_INET6)
        return inet_ntop(AF_INET6,
                         &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
                         (socklen_t)len);
    return EPCAP_LIST_NONE;
}

static void print_flags(bpf_u_int32 f)
{
    const char *sep = "";

#define FLAG(bit, name)            \
    if (f & (bit)) {               \
        printf("%s%s", sep, name); \
        sep = ",";                 \
    }
    FLAG(PCAP_IF_UP, "up")
    FLAG(PCAP_IF_RUNNING, "running")
    FLAG(PCAP_IF_LOOPBACK, "loopback")
    FLAG(PCAP_IF_WIRELESS, "wireless")
    if ((f & PCAP_IF_CONNECTION_STATUS) == PCAP_IF_CONNECTION_STATUS_CONNECTED)
        FLAG(PCAP_IF_CONNECTION_STATUS, "connected")
    if ((f & PCAP_IF_CONNECTION_STATUS) ==
        PCAP_IF_CONNECTION_STATUS_DISCONNECTED)
        FLAG(PCAP_IF_CONNECTION_STATUS, "disconnected")
#undef FLAG
    if (*sep == '\0')
        printf(EPCAP_LIST_NONE);
}

/* A caller who is not root sees only what it may open (policy.c). */
int listing_interfaces(const struct epcap *st)
{
    char why[160];

    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;

    if (pcap_findalldevs(&all, errbuf) < 0) {
        fprintf(stderr, "epcap: listing interfaces: %s\n", errbuf);
        return EPCAP_EXIT_OPEN;
    }
    for (pcap_if_t *d = all; d != NULL; d = d->next) {
        if (!policy_device_allowed(st, d->name, why, sizeof(why)))
            continue;
        printf("%s\t", d->name);
        print_flags(d->flags);
        printf("\t%s\n", d->description ? d->description : EPCAP_LIST_NONE);
        for (pcap_addr_t *a = d->addresses; a != NULL; a = a->next) {
            char ab[INET6_ADDRSTRLEN], mb[INET6_ADDRSTRLEN],
                bb[INET6_ADDRSTRLEN];
            if (a->addr == NULL || (a->addr->sa_family != AF_INET &&
                                    a->addr->sa_family != AF_INET6))
                continue;
            printf("\t%s\t%s\t%s\t%s\n",
                   a->addr->sa_family == AF_INET ? "inet" : "inet6",
                   address(a->addr, ab, sizeof(ab)),
                   address(a->netmask, mb, sizeof(mb)),
                   address(a->broadaddr, bb, sizeof(bb)));
        }
    }
    pcap_freealldevs(all);
    return fflush(stdout) == 0 ? EPCAP_EXIT_OK : EPCAP_EXIT_IOERR;
}

/* One DATALINKS record: u32 number, u16 + name, u16 + description. */
static size_t put_datalink(unsigned char *p, int dlt, const char *name,
                           const char *desc)
{
    size_t nl = strlen(name), dl = strlen(desc);
    unsigned char *at = wire_put32(p, (uint32_t)dlt);

    /* Wire strings carry their length, never a NUL (epcap_proto.h). */
    at = wire_put16(at, (uint16_t)nl);
    memcpy(at, name, nl); // NOLINT(bugprone-not-null-terminated-result)
    at = wire_put16(at + nl, (uint16_t)dl);
    memcpy(at, desc, dl); // NOLINT(bugprone-not-null-terminated-result)
    return (size_t)(at + dl - p);
}

/* Runs with the capture open and the start's privileges still held (the
 * listing needs nothing more than the open handle). To a terminal, lines
 * "NUMBER<TAB>NAME<TAB>DESCRIPTION"; otherwise one DATALINKS frame. */
int listing_datalinks(struct epcap *st)
{
    int *dlts = NULL;
    int n = pcap_list_datalinks(st->pcap, &dlts);

    if (n < 0)
        epcap_fatal(st, EPCAP_EXIT_CAPTURE, EPCAP_E_CAPTURE, "%s: %s",
                    st->device, pcap_geterr(st->pcap));
    /* Names and descriptions are libpcap's constants, far below 256. */
    unsigned char *body = malloc((size_t)n * (4 + 2 + 256 + 2 + 256) + 1);
    size_t len = 0;
    if (body == NULL)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const char *name = pcap_datalink_val_to_name(dlts[i]);
        const char *desc = pcap_datalink_val_to_description(dlts[i]);
        if (st->frames)
            len += put_datalink(body + len, dlts[i],
                                name && strlen(name) < 256 ? name : "",
                                desc && strlen(desc) < 256 ? desc : "");
        else
            printf("%d\t%s\t%s\n", dlts[i], name ? name : EPCAP_LIST_NONE,
                   desc ? desc : EPCAP_LIST_NONE);
    }
    pcap_free_datalinks(dlts);
    int rc = st->frames ? (obuf_frame(&st->out, EPCAP_FRAME_DATALINKS, NULL, 0,
                                      body, len) == 0 &&
                           obuf_drain(&st->out) == 0)
                        : fflush(stdout) == 0;
    free(body);
    return rc ? EPCAP_EXIT_OK : EPCAP_EXIT_IOERR;
}
