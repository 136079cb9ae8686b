/*
 * capture.h: opening the libpcap handle and setting its filter
 * (capture.c).
 */
#ifndef EPCAP_CAPTURE_H
#define EPCAP_CAPTURE_H

struct epcap;

/* Open the file or interface; exits on failure. */
void capture_open(struct epcap *st);
/* Compile and install a filter; -1 with the reason in pcap_geterr. */
int capture_set_filter(struct epcap *st, const char *expr);
/* Why the last filter or read failed (libpcap's, or ngfile.c's). */
const char *capture_geterr(struct epcap *st);
/* The ring has been drained once since the last filter change. */
void capture_recheck_done(struct epcap *st);

#endif
