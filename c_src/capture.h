/*
 * capture.h: opening the libpcap handle and setting its filter
 * (capture.c).
 */
#ifndef EPCAP_CAPTURE_H
#define EPCAP_CAPTURE_H

struct epcap;

/* Kernel capture buffer when none is given. libpcap falls back to
 * TPACKET_V2 in immediate mode, with one ring frame per packet sized for
 * the interface MTU; at libpcap's 2 MiB default that ring holds about a
 * millisecond of 1 M packets/s traffic on a veth. 32 MiB holds 16 ms. */
#define EPCAP_BUFFER_DEFAULT (32 * 1024 * 1024)

/* Open the file or interface; exits on failure. */
void capture_open(struct epcap *st);
/* Compile and install a filter; -1 with the reason in pcap_geterr. */
int capture_set_filter(struct epcap *st, const char *expr);
/* Why the last filter or read failed (libpcap's, or ngfile.c's). */
const char *capture_geterr(struct epcap *st);
/* The ring has been drained once since the last filter change. */
void capture_recheck_done(struct epcap *st);
/* libpcap status -> protocol error code. */
int capture_map_error(int pcap_status);

#endif
