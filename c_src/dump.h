/*
 * dump.h: capture files written by the port (--dump, as dumpcap -w;
 * dump.c).
 */
#ifndef EPCAP_DUMP_H
#define EPCAP_DUMP_H

#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "frame.h"
#include "pcapout.h"

struct epcap;

/* Every file is new (its name unlinked first), never reached through a
 * symlink; the seccomp filter pins openat to exactly these flags. */
#define EPCAP_DUMP_OPEN_FLAGS \
    (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

struct epcap_dump {
    int dirfd; /* the directory, opened before privileges go */
    int fd;    /* the current file; always this number, or -1 */
    char stem[256];
    char ext[32];
    bool rotating;
    struct pcapw w;
    unsigned seq;   /* number of the current file, from 1 */
    uint64_t bytes; /* written to the current file */
    struct timespec opened;
    struct obuf out;
};

void dump_prepare(struct epcap *st);
void dump_start(struct epcap *st);
void dump_packet(struct epcap *st, const struct pcap_pkthdr *h,
                 const unsigned char *data);
void dump_flush(struct epcap *st);

#endif
