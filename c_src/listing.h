/*
 * listing.h: -D and -L, the interfaces and link types as lines on
 * stdout (listing.c).
 */
#ifndef EPCAP_LISTING_H
#define EPCAP_LISTING_H

struct epcap;

/* Each returns the port's exit code. */
int listing_interfaces(const struct epcap *st);
int listing_datalinks(const struct epcap *st);

#endif
