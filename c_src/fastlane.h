/*
 * fastlane.h: the adaptive default's second, immediate-mode lane
 * (fastlane.c). Its state is its own: the rest of the port holds a
 * pointer (NULL: no fast lane) and uses these calls only.
 */
#ifndef EPCAP_FASTLANE_H
#define EPCAP_FASTLANE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

struct epcap;
struct fastlane;

/* The adaptive default's second, immediate-mode ring: it only has to
 * hold what arrives while the port notices a burst (64 slots on lo: a
 * quarter of the 256 measured in 32 MiB). With the main ring, 40 MiB in
 * all. */
#define EPCAP_FAST_BUFFER (8 * 1024 * 1024)

/* Open lane A beside st->pcap (configured, not yet activated); leaves
 * st->fl NULL when it cannot be had. */
void fastlane_open(struct epcap *st);
void fastlane_free(struct fastlane *fl);
int fastlane_set_filter(struct fastlane *fl, const char *expr,
                        bpf_u_int32 netmask);
/* Read lane A now, if it is to be read: each packet goes to cb. */
void fastlane_read(struct epcap *st, pcap_handler cb, unsigned char *user);
/* on_packet's question: deliver this packet, or is it a copy? */
bool fastlane_accept(struct fastlane *fl, const struct pcap_pkthdr *h,
                     const unsigned char *data);
void fastlane_tick(struct epcap *st, bool reading);
bool fastlane_reads_a(const struct fastlane *fl);
long long fastlane_wait_ns(const struct fastlane *fl);
/* Lane A's descriptor, or -1. */
int fastlane_fd(const struct fastlane *fl);
/* Packets lost by one lane and too late from the other. */
uint64_t fastlane_missed(const struct fastlane *fl);

#endif
