/*
 * anyif.h: the `any` device's packets told apart by the interface they
 * came from (anyif.c), with --interfaces.
 *
 * libpcap's LINKTYPE_LINUX_SLL2 header carries each packet's kernel
 * interface index (u32, network order, at offset 4). With --interfaces
 * on `any`, the port asks for that link type (unless -y chose one) and
 * turns each index into an interface of its table (iface.h): interface
 * 0 stays `any` itself (the capture's handle: READY's, its statistics,
 * and any packet whose index cannot be read), and each real interface
 * becomes one more, described (INTERFACE frame, pcapng Interface
 * Description Block) before its first packet. Names come from
 * if_nameindex, taken before the privileges go (the sandbox refuses
 * the socket it needs); an index created later has the name
 * "ifindex-N" (ANYIF_UNKNOWN_NAME) and says so in its description.
 */
#ifndef EPCAP_ANYIF_H
#define EPCAP_ANYIF_H

#include <pcap/pcap.h>

struct epcap;

/* The name of an interface the table taken at the start did not know
 * (created later), from its kernel index. */
#define ANYIF_UNKNOWN_NAME "ifindex-%u"

/* The link type to ask of a live handle (st->datalink, from the
 * options): -y's, else SLL2 for `any' alone with --interfaces, else -1
 * (the interface's default). */
int anyif_datalink(const struct epcap *st);

/* Once the capture is open, before the privilege drop: when the handle
 * is `any' with SLL2 and --interfaces was given, the table of interface
 * names (st->anyif); otherwise nothing. Exits on failure. */
void anyif_open(struct epcap *st);

/* The packet's interface into st->cur_if: its table index, a new
 * interface added and described first. Runs in the sandbox. */
void anyif_packet(struct epcap *st, const struct pcap_pkthdr *h,
                  const unsigned char *data);

void anyif_free(struct epcap *st);

#endif
