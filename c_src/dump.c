/*
 * dump.c: writing what is captured to pcap or pcapng files inside the
 * port, as dumpcap -w does, with rotation by size and time and a ring of
 * files, besides (or instead of) delivering packets to the owner.
 *
 * Privileges: the directory is opened by dump_prepare() as the caller
 * (privs.c), before any chroot. Every file, the first one included,
 * is created by dump_start()/rotation with openat() on that directory
 * after privileges are dropped, so files belong to the user the port runs
 * as, and the sandbox needs no path lookup: only openat, unlinkat and
 * dup2 pinned to the directory and the dump descriptor.
 *
 * Each file is new: whatever has its name is removed first, then the
 * file is created with O_EXCL | O_NOFOLLOW. A symlink or a hard link
 * someone planted under that name is removed, never written through.
 *
 * The current file always sits on the same descriptor number (dup2), so
 * the sandbox can pin write() to it.
 *
 * Names: without rotation the path as given; with rotation
 * STEM_NNNNN.EXT, numbered from 1, and with a ring of N files the oldest
 * is removed as the N+1th is created.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "epcap_proto.h"
#include "frame.h"
#include "pcapout.h"
#include "report.h"
#include "state.h"

#define DUMP_MODE 0644

static void name_of(const struct epcap_dump *d, unsigned seq, char *out,
                    size_t len)
{
    if (!d->rotating)
        snprintf(out, len, "%s%s", d->stem, d->ext);
    else
        snprintf(out, len, "%s_%05u%s", d->stem, seq, d->ext);
}

/* Before privileges go: the directory, and the names. */
void dump_prepare(struct epcap *st)
{
    struct epcap_dump *d = &st->dump;
    const struct epcap_opts *o = &st->opt;
    char dir[PATH_MAX], base[PATH_MAX];

    if (o->dump_file == NULL)
        return;
    if (strlen(o->dump_file) >= PATH_MAX)
        epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                    "dump: path too long");
    strcpy(dir, o->dump_file);
    strcpy(base, o->dump_file);
    const char *b = basename(base);
    const char *dot = strrchr(b, '.');
    size_t stem = dot != NULL && dot != b ? (size_t)(dot - b) : strlen(b);
    if (stem == 0 || stem >= sizeof(d->stem) ||
        strlen(b) - stem >= sizeof(d->ext))
        epcap_fatal(st, EPCAP_EXIT_USAGE, EPCAP_E_BADARG,
                    "dump: bad file name: %s", o->dump_file);
    memcpy(d->stem, b, stem);
    d->stem[stem] = '\0';
    strcpy(d->ext, b + stem);
    d->rotating = o->dump_size > 0 || o->dump_seconds > 0;
    d->w.fmt = o->dump_pcapng ? OUTPUT_PCAPNG : OUTPUT_PCAP;

    d->dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->dirfd < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_DUMP, "dump: %s: %s",
                    o->dump_file, strerror(errno));
    d->fd = -1;
}

/* Open file number seq onto the dump descriptor and write its header. */
static int open_next(struct epcap *st, unsigned seq)
{
    struct epcap_dump *d = &st->dump;
    char name[sizeof(d->stem) + sizeof(d->ext) + 16];

    name_of(d, seq, name, sizeof(name));
    if (unlinkat(d->dirfd, name, 0) < 0 && errno != ENOENT)
        return -1;
    int fd = openat(d->dirfd, name, EPCAP_DUMP_OPEN_FLAGS, DUMP_MODE);
    if (fd < 0)
        return -1;
    if (d->fd < 0) {
        d->fd = fd;
    } else if (dup2(fd, d->fd) < 0 || close(fd) < 0) {
        return -1;
    }
    d->out.fd = d->fd;
    d->seq = seq;
    d->bytes = 0;
    clock_gettime(CLOCK_MONOTONIC, &d->opened);
    if (pcapout_write_header(&d->out, &d->w) < 0)
        return -1;
    if (d->rotating && st->opt.dump_files > 0 &&
        seq > (unsigned)st->opt.dump_files) {
        name_of(d, seq - (unsigned)st->opt.dump_files, name, sizeof(name));
        if (unlinkat(d->dirfd, name, 0) < 0 && errno != ENOENT)
            return -1;
    }
    return 0;
}

/* After privileges go, before the sandbox: the first file. */
void dump_start(struct epcap *st)
{
    struct epcap_dump *d = &st->dump;

    if (st->opt.dump_file == NULL)
        return;
    if (obuf_init(&d->out, -1, EPCAP_OUT_CAP) < 0)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "dump: out of memory");
    pcapout_writer(st, d->w.fmt, &d->w);
    if (open_next(st, 1) < 0)
        epcap_fatal(st, EPCAP_EXIT_OPEN, EPCAP_E_DUMP, "dump: %s: %s",
                    st->opt.dump_file, strerror(errno));
}

static bool time_to_rotate(const struct epcap *st)
{
    const struct epcap_dump *d = &st->dump;
    struct timespec now;

    if (st->opt.dump_seconds <= 0)
        return false;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec - d->opened.tv_sec >= st->opt.dump_seconds;
}

/* One packet into the current file's buffer, rotating first if due. */
void dump_packet(struct epcap *st, const struct pcap_pkthdr *h,
                 const unsigned char *data)
{
    struct epcap_dump *d = &st->dump;

    if (d->rotating && d->bytes > 0 &&
        ((st->opt.dump_size > 0 && d->bytes >= (uint64_t)st->opt.dump_size) ||
         time_to_rotate(st))) {
        pcapout_dump_stats(st); /* pcapng: each file ends with them */
        dump_flush(st);
        if (open_next(st, d->seq + 1) < 0)
            epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_DUMP,
                        "dump: rotating to file %u: %s", d->seq + 1,
                        strerror(errno));
    }
    d->bytes += pcapout_write_packet(&d->out, &d->w, st->cur_if, h, data);
    if (obuf_pending(&d->out) >= EPCAP_OUT_HIGH)
        dump_flush(st);
}

/* Write out what the buffer holds. The file is a regular file: a write
 * that fails is a full disk or an I/O error, and the capture stops with
 * that reason rather than lose packets quietly. */
void dump_flush(struct epcap *st)
{
    struct epcap_dump *d = &st->dump;

    if (d->fd < 0 || obuf_pending(&d->out) == 0)
        return;
    if (obuf_drain(&d->out) < 0)
        epcap_fatal(st, EPCAP_EXIT_IOERR, EPCAP_E_DUMP, "dump: writing %s: %s",
                    st->opt.dump_file, strerror(errno));
}
