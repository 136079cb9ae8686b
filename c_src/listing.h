/*
 * listing.h: -D and -L, the interfaces as lines on stdout and the link
 * types as a DATALINKS frame (lines on a terminal) (listing.c).
 */
#ifndef EPCAP_LISTING_H
#define EPCAP_LISTING_H

struct epcap;

/* Each returns the port's exit code. */
int listing_interfaces(const struct epcap *st);
int listing_datalinks(struct epcap *st);

#endif
