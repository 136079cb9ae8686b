/*
 * wire.h: big-endian integers in frames, the protocol's byte order
 * (epcap_proto.h). Each put returns the byte after what it wrote.
 */
#ifndef EPCAP_WIRE_H
#define EPCAP_WIRE_H

#include <stdint.h>

static inline unsigned char *wire_put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return p + 2;
}

static inline unsigned char *wire_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return p + 4;
}

static inline unsigned char *wire_put64(unsigned char *p, uint64_t v)
{
    return wire_put32(wire_put32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

static inline uint32_t wire_get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

#endif
