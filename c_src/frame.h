/*
 * frame.h: the output buffer, frames built in it and written to a
 * descriptor (frame.c).
 */
#ifndef EPCAP_FRAME_H
#define EPCAP_FRAME_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "epcap_proto.h"

/* Stop reading the capture while this much output waits for the owner:
 * the kernel then drops (and counts) instead of this process growing. */
#define EPCAP_OUT_HIGH (4 * 1024 * 1024)

/* The size every output buffer is made with: EPCAP_OUT_HIGH, one
 * maximal frame past it, and room for control frames. */
#define EPCAP_OUT_CAP (EPCAP_OUT_HIGH + 2 * (size_t)EPCAP_FRAME_MAX)

/* How long a port that ends on its own (end of a file, a fatal error)
 * waits for the owner to stop it or close stdin, so a command in flight
 * never meets a dead pipe; and how long a reader gets after the end was
 * asked (obuf_drain). */
#define EPCAP_LINGER_SECONDS 2

/* Output buffer: frames waiting to be written to a descriptor. */
struct obuf {
    unsigned char *buf;
    size_t cap;
    size_t start; /* first byte not yet written */
    size_t end;   /* first free byte */
    size_t batch; /* offset of the open PACKETS frame, or SIZE_MAX */
    int fd;
    long frac_unit; /* fractions per second of the handle's stamps */
};

int obuf_init(struct obuf *ob, int fd, size_t cap);
void obuf_free(struct obuf *ob);
void obuf_packet(struct obuf *ob, const struct pcap_pkthdr *h,
                 const unsigned char *data);
/* A DATALINK frame: the packets after it have link type dlt. */
int obuf_datalink(struct obuf *ob, uint32_t dlt);
/* The same with the packet's interface index (an IFPACKETS frame). */
void obuf_packet_if(struct obuf *ob, const struct pcap_pkthdr *h,
                    const unsigned char *data, uint32_t ifindex);
void obuf_close_batch(struct obuf *ob);
unsigned char *obuf_tail(struct obuf *ob, size_t n);
int obuf_frame(struct obuf *ob, uint8_t tag, const void *hdr, size_t hdrlen,
               const void *body, size_t bodylen);
size_t obuf_pending(const struct obuf *ob);
int obuf_flush(struct obuf *ob);
int obuf_drain(struct obuf *ob);
int obuf_write_all(struct obuf *ob, const void *p, size_t n);
/* A capture file record (pcapout.c, ngout.c): its header, the packet
 * and a trailer (tail may be NULL when tlen is 0), appended to the
 * buffer; one that does not fit goes out on its own, in pieces. Its
 * size, or 0 if writing it failed (the next flush reports the error). */
size_t obuf_record(struct obuf *ob, const unsigned char *hdr, size_t hlen,
                   const unsigned char *data, size_t caplen,
                   const unsigned char *tail, size_t tlen);

#endif
