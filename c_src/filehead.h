/*
 * filehead.h: what a capture file says about itself (filehead.c).
 */
#ifndef EPCAP_FILEHEAD_H
#define EPCAP_FILEHEAD_H

#include <stdbool.h>
#include <stdio.h>

struct epcap_filehead {
    bool pcapng;  /* pcapng, else pcap (or not a capture file) */
    bool nano;    /* its own stamps are finer than microseconds (pcapng:
                    those of its first interface) */
    void *stream; /* the replaying stream's state: freed when the stream
                     is closed, held here so that an exit before that
                     (a fatal error) leaves it reachable, not leaked */
};

/* A stream that replays what was read of fp's head, then the rest of
 * fp; NULL when out of memory. */
FILE *filehead_open(FILE *fp, struct epcap_filehead *fh);

#endif
