/*
 * pcapng.c: the pcapng block reader (pcapng.h).
 *
 * One block at a time: its 8-byte header is read and its length checked
 * (at least 12 bytes, a multiple of 4, at most r->block_max) before the
 * rest is read into one reused buffer; every field and option inside is
 * then bounded by that length. The byte order is each section's own.
 * The rules follow libpcap's reader where it reads a file at all, so the
 * two agree on every file libpcap reads (the fuzzer checks that), and
 * read on where libpcap stops: a second link type, another snap length,
 * a section in the other byte order.
 *
 * Runs after the privilege drop, inside the sandbox, on a stream opened
 * by the caller before it. Syscalls: read (through stdio); memory from
 * malloc for the block buffer and the interface table.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BOM 0x1a2b3c4du
/* Reserved block type 0, which no reader interprets: what a section
 * header with a bad magic before the first interface becomes. */
#define BT_SKIPPED 0x00000000u

#define OPT_END 0
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_FILTER 11
#define IF_TSOFFSET 14
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define ISB_IFRECV 4
#define ISB_USRDELIV 8

/* Header (type, length) and trailer (length) of every block. */
#define BLOCK_OVERHEAD 12
#define SHB_MIN 28
#define IDB_MIN 20
#define EPB_FIXED 20
#define PB_FIXED 20
#define SPB_FIXED 4
#define ISB_FIXED 12

static uint32_t get32(const struct pcapng *r, const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const struct pcapng *r, const unsigned char *p)
{
    uint16_t v;

    memcpy(&v, p, 2);
    return r->swap ? __builtin_bswap16(v) : v;
}

static uint64_t get64(const struct pcapng *r, const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return r->swap ? __builtin_bswap64(v) : v;
}

static int fail(struct pcapng *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct pcapng *r, const char *fmt, ...)
{
    char what[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof(r->err), "pcapng block at offset %llu: %s",
             (unsigned long long)r->offset, what);
    return -1;
}

uint32_t pcapng_max_snaplen(uint16_t linktype)
{
    switch (linktype) {
    case 231: return 128u * 1024 * 1024; /* D-Bus */
    case 279: return 8u * 1024 * 1024;   /* EBHSCR */
    case 249: return 1024u * 1024;       /* USBPcap */
    default: return 262144;              /* libpcap's MAXIMUM_SNAPLEN */
    }
}

/* n more bytes from the stream into the buffer at off: 1, 0 when the
 * stream ended before the first of them, -1 with r->err otherwise. */
static int fill(struct pcapng *r, size_t off, size_t n)
{
    if (off + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < off + n)
            cap *= 2;
        unsigned char *p = realloc(r->buf, cap);
        if (p == NULL)
            return fail(r, "out of memory for a %zu-byte block", off + n);
        r->buf = p;
        r->cap = cap;
    }
    size_t got = fread_unlocked(r->buf + off, 1, n, r->fp);
    if (got == n)
        return 1;
    if (got == 0 && off == 0 && !ferror(r->fp))
        return 0;
    if (ferror(r->fp))
        return fail(r, "read error after %zu of %zu bytes", got, n);
    return fail(r, "truncated: %zu bytes of %zu", off + got, off + n);
}

/*
 * The next block into r->buf: 1 with its type and total length, 0 at the
 * end of the file, -1 with r->err. A section header sets the byte order
 * from its magic before its length is read.
 */
static int read_block(struct pcapng *r, uint32_t *type, uint32_t *len)
{
    int rc = fill(r, 0, 8);

    if (rc <= 0)
        return rc;
    size_t have = 8;
    memcpy(type, r->buf, 4);
    if (*type == BT_SHB) {
        if ((rc = fill(r, 8, 4)) <= 0)
            return rc < 0 ? -1 : fail(r, "truncated section header");
        have = 12;
        uint32_t bom;
        memcpy(&bom, r->buf + 8, 4);
        if (bom == BOM || bom == __builtin_bswap32(BOM))
            r->swap = bom != BOM;
        else if (r->nif == 0 && r->sections > 0)
            *type = BT_SKIPPED; /* libpcap skips it there, unread */
        else
            return fail(r, "section header with a bad byte-order magic 0x%08x",
                        bom);
    } else {
        *type = get32(r, r->buf);
    }
    *len = get32(r, r->buf + 4);
    uint32_t min = *type == BT_SHB ? SHB_MIN : BLOCK_OVERHEAD;
    /* The file's first block is read as libpcap reads it: its length
     * need not be a multiple of 4 (libpcap reads on after it). */
    bool first = r->offset == 0;
    if (*len < min || (*len % 4 != 0 && !first) || *len > r->block_max)
        return fail(r, "bad block length %u (type 0x%x)", *len, *type);
    if ((rc = fill(r, have, *len - have)) <= 0)
        return rc < 0 ? -1 : fail(r, "truncated block");
    /* The trailer repeats the length: checked as libpcap checks it (on
     * every block but the file's first). */
    if (r->offset > 0 && get32(r, r->buf + *len - 4) != *len)
        return fail(r, "block length %u in its header, %u in its trailer", *len,
                    get32(r, r->buf + *len - 4));
    return 1;
}

/* A string option, cut at PCAPNG_STR_MAX and at a NUL. */
static char *opt_string(const unsigned char *v, size_t n)
{
    const unsigned char *nul = memchr(v, 0, n);

    if (nul != NULL)
        n = (size_t)(nul - v);
    if (n > PCAPNG_STR_MAX)
        n = PCAPNG_STR_MAX;
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, v, n);
        s[n] = '\0';
    }
    return s;
}

/* Walk the options at r->buf[off .. len - 4): fn for each, until
 * opt_endofopt or the end. -1 with r->err for an option that runs past
 * the block. */
typedef int (*opt_fn)(struct pcapng *r, void *ctx, uint16_t code,
                      const unsigned char *v, uint16_t n);

static int walk_options(struct pcapng *r, size_t off, uint32_t len, opt_fn fn,
                        void *ctx)
{
    size_t end = (size_t)len - 4;

    while (off + 4 <= end) {
        uint16_t code = get16(r, r->buf + off), n = get16(r, r->buf + off + 2);
        if (code == OPT_END)
            break;
        size_t padded = ((size_t)n + 3) & ~(size_t)3;
        if (padded > end - off - 4)
            return fail(r, "option %u of length %u runs past its block", code,
                        n);
        if (fn(r, ctx, code, r->buf + off + 4, n) < 0)
            return -1;
        off += 4 + padded;
    }
    return 0;
}

static int shb_option(struct pcapng *r, void *ctx, uint16_t code,
                      const unsigned char *v, uint16_t n)
{
    (void)ctx;
    char **slot = code == SHB_HARDWARE   ? &r->shb_hardware
                  : code == SHB_OS       ? &r->shb_os
                  : code == SHB_USERAPPL ? &r->shb_userappl
                                         : NULL;
    if (slot != NULL && *slot == NULL && r->sections == 1)
        *slot = opt_string(v, n);
    return 0;
}

static int section(struct pcapng *r, uint32_t len)
{
    uint16_t major = get16(r, r->buf + 12), minor = get16(r, r->buf + 14);

    /* The file's version; a later section's is not looked at (libpcap
     * reads on through one before the first interface). */
    if (major != 1 && r->sections == 0)
        return fail(r, "unsupported pcapng version %u.%u", major, minor);
    r->sections++;
    r->section_first = r->nif;
    /* The options only describe the file: damage in them loses no
     * packet, and libpcap does not read them either. */
    if (walk_options(r, SHB_MIN - 4, len, shb_option, NULL) < 0)
        r->err[0] = '\0';
    return 0;
}

/* if_tsresol: 10^-v, or 2^-(v & 0x7f) with the top bit. */
static int set_tsresol(struct pcapng *r, struct pcapng_if *ifp, uint8_t v)
{
    unsigned e = v & 0x7f;

    if ((v & 0x80) ? e > 63 : e > 19)
        return fail(r, "if_tsresol 0x%02x is finer than 64 bits hold", v);
    ifp->tsresol = v;
    ifp->units = pcapng_units(v);
    return 0;
}

uint64_t pcapng_units(uint8_t tsresol)
{
    unsigned e = tsresol & 0x7f;
    uint64_t units = 1;

    for (unsigned i = 0; i < e; i++)
        units *= (tsresol & 0x80) ? 2 : 10;
    return units;
}

static int idb_option(struct pcapng *r, void *ctx, uint16_t code,
                      const unsigned char *v, uint16_t n)
{
    struct pcapng_if *ifp = ctx;

    switch (code) {
    case IF_TSRESOL:
        if (n != 1)
            return fail(r, "if_tsresol of length %u", n);
        return set_tsresol(r, ifp, v[0]);
    case IF_TSOFFSET:
        if (n != 8)
            return fail(r, "if_tsoffset of length %u", n);
        ifp->tsoffset = (int64_t)get64(r, v);
        return 0;
    case IF_NAME:
        if (ifp->name == NULL)
            ifp->name = opt_string(v, n);
        return 0;
    case IF_DESCRIPTION:
        if (ifp->description == NULL)
            ifp->description = opt_string(v, n);
        return 0;
    case IF_FILTER: /* a type byte, 0 for a libpcap expression */
        if (ifp->filter == NULL && n > 1 && v[0] == 0)
            ifp->filter = opt_string(v + 1, (size_t)n - 1);
        return 0;
    default: return 0;
    }
}

static int interface(struct pcapng *r, uint32_t len)
{
    if (len < IDB_MIN)
        return fail(r, "interface block of %u bytes", len);
    if (r->nif >= PCAPNG_IF_MAX)
        return fail(r, "more than %d interfaces", PCAPNG_IF_MAX);
    if (r->nif == r->ifcap) {
        uint32_t cap = r->ifcap ? 2 * r->ifcap : 8;
        struct pcapng_if *p = realloc(r->ifs, cap * sizeof(*p));
        if (p == NULL)
            return fail(r, "out of memory for %u interfaces", cap);
        r->ifs = p;
        r->ifcap = cap;
    }
    struct pcapng_if *ifp = &r->ifs[r->nif];
    memset(ifp, 0, sizeof(*ifp));
    ifp->linktype = get16(r, r->buf + 8);
    ifp->snaplen = get32(r, r->buf + 12);
    ifp->max_caplen = pcapng_max_snaplen(ifp->linktype);
    ifp->section = r->sections - 1;
    ifp->tsresol = 6;
    ifp->units = 1000000;
    r->nif++; /* owned by the table from here: freed with it */
    if (walk_options(r, IDB_MIN - 4, len, idb_option, ifp) < 0)
        return -1;
    /* A D-Bus interface's packets may be larger than a block otherwise. */
    if (ifp->max_caplen + 256u > r->block_max)
        r->block_max = ifp->max_caplen + 256u;
    return 0;
}

static int isb_option(struct pcapng *r, void *ctx, uint16_t code,
                      const unsigned char *v, uint16_t n)
{
    struct pcapng_stats *s = ctx;
    uint64_t *slot[] = {&s->ifrecv, &s->ifdrop, &s->filteraccept, &s->osdrop,
                        &s->usrdeliv};

    if (code >= ISB_IFRECV && code <= ISB_USRDELIV && n == 8) {
        *slot[code - ISB_IFRECV] = get64(r, v);
        s->have |= 1u << code;
    }
    return 0;
}

static int statistics(struct pcapng *r, uint32_t len)
{
    if (len < BLOCK_OVERHEAD + ISB_FIXED)
        return 0; /* too short to hold statistics: skipped, as libpcap does */
    uint64_t idx = (uint64_t)r->section_first + get32(r, r->buf + 8);
    if (idx >= r->nif)
        return 0; /* statistics of no interface: nothing to keep */
    struct pcapng_stats s = {.present = true,
                             .ts = (uint64_t)get32(r, r->buf + 12) << 32 |
                                   get32(r, r->buf + 16)};
    /* Damaged statistics are left out, not fatal: no packet is lost
     * (libpcap does not read them at all). */
    if (walk_options(r, 8 + ISB_FIXED, len, isb_option, &s) < 0)
        r->err[0] = '\0';
    else
        r->ifs[idx].stats = s;
    return 0;
}

/* The packet's interface, checked: the index across the file. */
static int packet_if(struct pcapng *r, uint32_t id, uint32_t *idx)
{
    if ((uint64_t)r->section_first + id >= r->nif)
        return fail(r,
                    "a packet on interface %u, which has no "
                    "description block in its section",
                    id);
    *idx = r->section_first + id;
    return 0;
}

/* Caplen bytes of packet at data offset off, within the block's body. */
static int packet_data(struct pcapng *r, struct pcapng_pkt *p, size_t off,
                       uint32_t len)
{
    const struct pcapng_if *ifp = &r->ifs[p->ifindex];

    if (p->caplen > ifp->max_caplen)
        return fail(r, "captured length %u above the link type's %u", p->caplen,
                    ifp->max_caplen);
    if (p->caplen > (size_t)len - 4 - off)
        return fail(r, "captured length %u past the end of its block",
                    p->caplen);
    p->data = r->buf + off;
    return 1;
}

static int enhanced(struct pcapng *r, uint32_t len, struct pcapng_pkt *p,
                    bool obsolete)
{
    if (len < BLOCK_OVERHEAD + EPB_FIXED)
        return fail(r, "packet block of %u bytes", len);
    uint32_t id = obsolete ? get16(r, r->buf + 8) : get32(r, r->buf + 8);
    if (packet_if(r, id, &p->ifindex) < 0)
        return -1;
    p->ts = (uint64_t)get32(r, r->buf + 12) << 32 | get32(r, r->buf + 16);
    p->caplen = get32(r, r->buf + 20);
    p->len = get32(r, r->buf + 24);
    return packet_data(r, p, 28, len);
}

/* A Simple Packet Block: interface 0 of its section, no time stamp, the
 * captured length the smaller of the length and the snap length. */
static int simple(struct pcapng *r, uint32_t len, struct pcapng_pkt *p)
{
    if (len < BLOCK_OVERHEAD + SPB_FIXED)
        return fail(r, "simple packet block of %u bytes", len);
    if (packet_if(r, 0, &p->ifindex) < 0)
        return -1;
    const struct pcapng_if *ifp = &r->ifs[p->ifindex];
    uint32_t snap = ifp->snaplen == 0 || ifp->snaplen > ifp->max_caplen
                        ? ifp->max_caplen
                        : ifp->snaplen;
    p->ts = 0;
    p->len = get32(r, r->buf + 8);
    p->caplen = p->len < snap ? p->len : snap;
    return packet_data(r, p, 12, len);
}

/* One block: 1 with a packet in p, 0 for any other block, -1 on damage. */
static int block(struct pcapng *r, uint32_t type, uint32_t len,
                 struct pcapng_pkt *p)
{
    switch (type) {
    case BT_SHB: return section(r, len);
    case BT_IDB: return interface(r, len);
    case BT_ISB: return statistics(r, len);
    case BT_EPB: return enhanced(r, len, p, false);
    case BT_PB: return enhanced(r, len, p, true);
    case BT_SPB: return simple(r, len, p);
    default: return 0; /* unknown, custom, name resolution, ...: skipped */
    }
}

int pcapng_next(struct pcapng *r, struct pcapng_pkt *p)
{
    for (;;) {
        uint32_t type = 0, len = 0;
        int rc = read_block(r, &type, &len);
        if (rc <= 0)
            return rc;
        rc = block(r, type, len, p);
        r->offset += len;
        if (rc != 0)
            return rc;
    }
}

int pcapng_open(struct pcapng *r, FILE *fp)
{
    uint32_t type = 0, len = 0;

    memset(r, 0, sizeof(*r));
    r->fp = fp;
    r->block_max = PCAPNG_BLOCK_MAX;
    int rc = read_block(r, &type, &len);
    if (rc == 0 || (rc > 0 && type != BT_SHB)) {
        snprintf(r->err, sizeof(r->err), "not a pcapng file");
        return -1;
    }
    while (rc > 0 && r->nif == 0) {
        if (type == BT_EPB || type == BT_PB || type == BT_SPB)
            return fail(r, "a packet block before any interface "
                           "description block");
        struct pcapng_pkt unused;
        rc = block(r, type, len, &unused);
        r->offset += len;
        if (rc >= 0 && r->nif == 0)
            rc = read_block(r, &type, &len);
    }
    if (rc == 0 && r->nif == 0)
        snprintf(r->err, sizeof(r->err),
                 "the capture file has no interface description blocks");
    return r->nif > 0 ? 0 : -1;
}

void pcapng_time(const struct pcapng_if *ifp, uint64_t ts, uint64_t unit,
                 int64_t *sec, uint64_t *frac)
{
    uint64_t f = ts % ifp->units;

    /* Modulo 2^64, as libpcap adds it: a file's if_tsoffset is any
     * 64-bit value, and a signed sum could overflow. */
    *sec = (int64_t)(ts / ifp->units + (uint64_t)ifp->tsoffset);
    *frac = ifp->units == unit
                ? f
                : (uint64_t)((unsigned __int128)f * unit / ifp->units);
}

void pcapng_close(struct pcapng *r)
{
    for (uint32_t i = 0; i < r->nif; i++) {
        free(r->ifs[i].name);
        free(r->ifs[i].description);
        free(r->ifs[i].filter);
    }
    free(r->ifs);
    free(r->buf);
    free(r->shb_hardware);
    free(r->shb_os);
    free(r->shb_userappl);
    memset(r, 0, sizeof(*r));
}
