/*
 * listing.c: -D (interfaces) and -L (link types of an interface).
 *
 * -D needs no privilege: pcap_findalldevs reads what the kernel tells any
 * user, and runs as the caller. A caller who is not root is shown only
 * the sources it may open. Its output is for people and for epcap:interfaces/0 alike: one
 * line per interface, "NAME<TAB>FLAGS<TAB>DESCRIPTION", then one line per
 * address starting with a tab: "<TAB>FAMILY<TAB>ADDRESS<TAB>NETMASK
 * <TAB>BROADCAST" (empty fields as "-"). FLAGS is a comma-separated list
 * of up, running, loopback, wireless, connected, disconnected.
 *
 * -L activates the interface (so it needs the right to capture) and
 * prints "NUMBER<TAB>NAME<TAB>DESCRIPTION" for each link type.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "epcap_proto.h"
#include "listing.h"
#include "policy.h"
#include "state.h"

static const char *address(const struct sockaddr *sa, char *buf, size_t len)
{
    if (sa == NULL)
        return "-";
    if (sa->sa_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                         buf, (socklen_t)len);
    if (sa->sa_family == AF_INET6)
        return inet_ntop(AF_INET6,
                         &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
                         (socklen_t)len);
    return "-";
}

static void print_flags(bpf_u_int32 f)
{
    const char *sep = "";

#define FLAG(bit, name)                                                     \
    if (f & (bit)) {                                                        \
        printf("%s%s", sep, name);                                          \
        sep = ",";                                                          \
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
        printf("-");
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
        printf("\t%s\n", d->description ? d->description : "-");
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

int listing_datalinks(const struct epcap *st)
{
    int *dlts = NULL;
    int n = pcap_list_datalinks(st->pcap, &dlts);

    if (n < 0) {
        fprintf(stderr, "epcap: %s: %s\n", st->device,
                pcap_geterr(st->pcap));
        return EPCAP_EXIT_CAPTURE;
    }
    for (int i = 0; i < n; i++) {
        const char *name = pcap_datalink_val_to_name(dlts[i]);
        const char *desc = pcap_datalink_val_to_description(dlts[i]);
        printf("%d\t%s\t%s\n", dlts[i], name ? name : "-", desc ? desc : "-");
    }
    pcap_free_datalinks(dlts);
    return fflush(stdout) == 0 ? EPCAP_EXIT_OK : EPCAP_EXIT_IOERR;
}
