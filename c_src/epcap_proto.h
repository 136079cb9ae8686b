/*
 * epcap_proto.h: the wire protocol between the epcap port and its owner.
 *
 * This header is the one definition of the protocol. The Erlang constants
 * in include/epcap_proto.hrl are generated from it (make proto), and
 * tools/proto_check.escript (make proto-check, part of make test) fails
 * when the include or doc/PROTOCOL.md's tables disagree with it: the
 * version, every tag, every frame's fields (the @layout lines below),
 * every error and exit code, every limit.
 *
 * Every message in either direction is one frame:
 *
 *     +----------------+--------+------------------------+
 *     | length: u32 BE | tag u8 | body (length - 1 bytes) |
 *     +----------------+--------+------------------------+
 *
 * The length counts the tag and the body, never itself: this is Erlang's
 * {packet, 4}. All integers are unsigned big-endian. Strings are UTF-8
 * without a terminating NUL and run to the end of the body unless a length
 * precedes them.
 *
 * Port -> owner (stdout) frames, tag EPCAP_FRAME_*:
 *
 *   READY    u16 version, u32 datalink, u32 snaplen, u8 tstamp precision
 *            (6 = microseconds, 9 = nanoseconds), u8 source (EPCAP_SOURCE_*),
 *            u8 start (EPCAP_START_*: how the port was started), u32 uid
 *            and u32 gid it runs as now, u8 flags (EPCAP_READY_*), then
 *            the interface name or file path.
 *            Sent once, after the handle is active, the filter set and
 *            every privilege given up.
 *   PACKETS  one or more packet records, back to back:
 *              u64 seconds, u32 fraction (unit given by READY's precision),
 *              u32 caplen, u32 original length, caplen bytes of packet.
 *   EOF      empty. The capture file is exhausted; the port waits for STOP
 *            or the end of stdin (2 s at most), then exits 0.
 *   ERROR    u16 code (EPCAP_ERRORS), u8 fatal (1: the port ends after
 *            this frame, once the owner closes stdin or 2 s have passed),
 *            then the message. The code is the cause; the message is
 *            libpcap's (or the system's) words and nothing else: no hint
 *            about what to do (permission_denied's hint is the owner's to
 *            give, the port adds it only on stderr), and for
 *            sandbox_violation just the system call's name (its number,
 *            in decimal, for a call from a foreign ABI).
 *   WARNING  u16 code (EPCAP_ERRORS), then the message. Capture goes on.
 *   REPLY    u32 id (copied from the command), u16 code (0 = ok, otherwise
 *            EPCAP_ERRORS), then a command-specific body.
 *   INTERFACE  (--interfaces only) u32 index, u32 datalink, u32 snaplen,
 *            u8 the interface's own if_tsresol (6, 9, or 0x80 | n for
 *            2^-n), then three strings, each a u16 length and its bytes
 *            (at most EPCAP_IFACE_STR_MAX): name, description, filter.
 *            Sent after READY for each interface known at the start, and
 *            before the first packet of each one a file reveals later.
 *   DATALINK u32 datalink. Without --interfaces, sent before the first
 *            packet of a link type other than the last one's (READY's
 *            at first): a pcapng file with several link types.
 *   IFPACKETS  (--interfaces only, in place of PACKETS) records of
 *            u64 seconds, u32 fraction, u32 caplen, u32 length,
 *            u32 interface index, caplen bytes of packet.
 *   DATALINKS
 *            the answer to -L when stdout is not a terminal, instead of
 *            READY: the link types of the interface, each as u32 number,
 *            u16 length + name, u16 length + description (empty when
 *            libpcap has none). The port then exits 0. A failure to open
 *            the interface is a fatal ERROR frame, as for a capture.
 *
 * Owner -> port (stdin) frames, tag EPCAP_CMD_*: after the tag, a u32 id
 * chosen by the owner (echoed in any REPLY), then the command body.
 * A frame whose length is below EPCAP_CMD_MIN or above EPCAP_CMD_MAX, or a
 * stream that ends inside a frame, is a protocol error: the port reports it
 * on stderr and exits with EPCAP_EXIT_PROTOCOL. An unknown tag inside a
 * well-formed frame gets a REPLY with EPCAP_E_UNKNOWN_COMMAND.
 *
 *   STOP     empty body. Flush what is captured and exit 0. No reply.
 *   INJECT   body: one packet. Sent on the interface. No reply on
 *            success; a REPLY with EPCAP_E_INJECT_FAILED (message:
 *            libpcap's) or EPCAP_E_INJECT_DISABLED on failure.
 *   INJECT_BATCH
 *            body: packets, each as u32 length + bytes. REPLY always:
 *            u32 sent, u32 failed, then the first failure's message. Code
 *            0 when all were sent, EPCAP_E_INJECT_FAILED otherwise.
 *   FILTER   body: a filter expression (may be empty: capture all).
 *            REPLY 0, or EPCAP_E_BAD_FILTER with libpcap's message; on
 *            error the old filter stays. Packets captured under the old
 *            filter precede the REPLY on stdout; none after it.
 *   STATS    empty body. REPLY body: u8 flags (bit 0: the libpcap counters
 *            are valid; a capture file has none), then u64 each:
 *            received, dropped, ifdropped (libpcap's pcap_stats),
 *            delivered packets, delivered bytes, injected, inject failed,
 *            credit stalls, output stalls, filter changes.
 *   CREDIT   body: u32 packets. Adds to the port's credit when it was
 *            started with --credit (flow control): the port reads no more
 *            packets than it has credit for, and the kernel drops the rest
 *            (counted in STATS). No reply.
 *   IFSTATS  empty body. REPLY body: one record per interface, in index
 *            order: u32 interface, u8 flags (bit 0: the libpcap counters
 *            are valid; a capture file's interfaces have none, and
 *            received 0), u64 received, dropped, ifdropped (that
 *            interface's pcap_stats), delivered (its packets written).
 *            STATS stays the sum over all interfaces.
 *
 * Several live interfaces (-i A -i B ..., at most EPCAP_LIVE_IFACES_MAX):
 * indexes 0..N-1 in the order given; READY names the first and carries
 * its link type and snaplen. Each round the port reads every ready
 * handle and writes what it holds in time-stamp order. The filter is
 * compiled once per link type and set on every interface; INJECT and
 * INJECT_BATCH go out on interface 0.
 *
 * Numbering rule: tags and error codes are never reused or renumbered;
 * new ones are appended and EPCAP_PROTOCOL_VERSION is bumped.
 */
#ifndef EPCAP_PROTO_H
#define EPCAP_PROTO_H

#define EPCAP_PROTOCOL_VERSION 7

/* Bytes before the body of every frame: the length and the tag. */
#define EPCAP_FRAME_HEADER 5

/* Per-packet record header in a PACKETS frame: sec, fraction, caplen, len. */
#define EPCAP_RECORD_HEADER 20

/* The same in an IFPACKETS frame, with the interface index after len. */
#define EPCAP_RECORD_HEADER_IF 24

/* Longest name, description or filter in an INTERFACE frame (longer
 * ones are cut): the frame stays small whatever a file claims. */
#define EPCAP_IFACE_STR_MAX 1024

/* Largest snaplen accepted, and the largest record in a PACKETS frame:
 * libpcap's MAXIMUM_SNAPLEN, its maximum for most link types. A capture
 * file may hold larger packets where libpcap allows them (D-Bus 128 MiB,
 * EBHSCR 8 MiB, USBPcap 1 MiB): their records are cut to this, the
 * length field unchanged; shell streams (-w) and dump files carry them
 * whole. */
#define EPCAP_SNAPLEN_MAX 262144

/* Default snaplen: the largest, so nothing is truncated unless asked. */
#define EPCAP_SNAPLEN_DEFAULT 262144

/*
 * A PACKETS frame is closed once its body passes this size, so a busy
 * capture moves in large writes and one Erlang message carries thousands
 * of small packets. A frame may exceed it by one record (at most
 * EPCAP_RECORD_HEADER + EPCAP_SNAPLEN_MAX bytes).
 */
#define EPCAP_BATCH_BYTES (256 * 1024)

/* Largest frame the port writes: one full batch plus one maximal record
 * (with an interface index, the larger kind). */
#define EPCAP_FRAME_MAX \
    (EPCAP_FRAME_HEADER + EPCAP_BATCH_BYTES + EPCAP_RECORD_HEADER_IF + \
     EPCAP_SNAPLEN_MAX)

/* Command frames: tag + id at least; at most one maximal packet per
 * inject plus room for batches (bounded before anything is allocated). */
#define EPCAP_CMD_MIN 5
#define EPCAP_CMD_MAX (4 * 1024 * 1024)

/* Longest filter expression accepted by FILTER (and on the command line
 * in spirit: libpcap has no limit, but a sane bound keeps the compiler's
 * work bounded). */
#define EPCAP_FILTER_MAX (64 * 1024)

/* Most live interfaces in one capture (-i repeated): each holds a
 * kernel ring (two with the adaptive default) and a descriptor, so the
 * port's memory and its sandbox's descriptor limit stay bounded. */
#define EPCAP_LIVE_IFACES_MAX 16

/* Credit is capped so a runaway owner cannot overflow the counter. */
#define EPCAP_CREDIT_MAX 2147483647

/*
 * The fields of every frame body, in order, one @layout line per frame
 * (tools/proto_check.escript compares them with doc/PROTOCOL.md's "Frame
 * layouts"). Types: u8/u16/u32/u64 big-endian; bytes(F) is as many bytes
 * as field F says; str is UTF-8 to the end of the body; [..]* repeats to
 * the end of the body; lenstr16 is a u16 length then that many bytes.
 *
 * @layout READY u16 version, u32 datalink, u32 snaplen, u8 precision, u8 source, u8 start, u32 uid, u32 gid, u8 flags, str name
 * @layout PACKETS [u64 seconds, u32 fraction, u32 caplen, u32 length, bytes(caplen) packet]*
 * @layout EOF
 * @layout ERROR u16 code, u8 fatal, str message
 * @layout WARNING u16 code, str message
 * @layout REPLY u32 id, u16 code, str body
 * @layout DATALINKS [u32 number, lenstr16 name, lenstr16 description]*
 * @layout INTERFACE u32 index, u32 datalink, u32 snaplen, u8 tsresol, lenstr16 name, lenstr16 description, lenstr16 filter
 * @layout DATALINK u32 datalink
 * @layout IFPACKETS [u64 seconds, u32 fraction, u32 caplen, u32 length, u32 interface, bytes(caplen) packet]*
 * @layout STOP u32 id
 * @layout INJECT u32 id, str packet
 * @layout INJECT_BATCH u32 id, [u32 length, bytes(length) packet]*
 * @layout FILTER u32 id, str expression
 * @layout STATS u32 id
 * @layout CREDIT u32 id, u32 packets
 * @layout STATS_REPLY u8 flags, u64 received, u64 dropped, u64 ifdropped, u64 delivered, u64 delivered_bytes, u64 injected, u64 inject_failed, u64 credit_stalls, u64 output_stalls, u64 filter_changes
 * @layout INJECT_BATCH_REPLY u32 sent, u32 failed, str message
 * @layout IFSTATS u32 id
 * @layout IFSTATS_REPLY [u32 interface, u8 flags, u64 received, u64 dropped, u64 ifdropped, u64 delivered]*
 */

/* Frame tags, port -> owner. */
enum epcap_frame_tag {
    EPCAP_FRAME_READY = 1,   /* handle active, filter set */
    EPCAP_FRAME_PACKETS = 2, /* a batch of packet records */
    EPCAP_FRAME_EOF = 3,     /* capture file exhausted */
    EPCAP_FRAME_ERROR = 4,   /* an error; fatal ones end the port */
    EPCAP_FRAME_WARNING = 5, /* a warning; capture goes on */
    EPCAP_FRAME_REPLY = 6,   /* the answer to a command */
    EPCAP_FRAME_INTERFACE = 7, /* describes an interface (--interfaces) */
    EPCAP_FRAME_DATALINK = 8,  /* the link type of the packets that follow */
    EPCAP_FRAME_IFPACKETS = 9, /* packet records with interface indexes */
    EPCAP_FRAME_DATALINKS = 10, /* -L's answer: the link types */
};

/* Command tags, owner -> port. */
enum epcap_cmd_tag {
    EPCAP_CMD_STOP = 1,         /* flush and exit 0 */
    EPCAP_CMD_INJECT = 2,       /* send one packet */
    EPCAP_CMD_INJECT_BATCH = 3, /* send many packets, one reply */
    EPCAP_CMD_FILTER = 4,       /* replace the filter */
    EPCAP_CMD_STATS = 5,        /* report counters */
    EPCAP_CMD_CREDIT = 6,       /* allow more packets (flow control) */
    EPCAP_CMD_IFSTATS = 7,      /* report counters per interface */
};

/* Number of u64 counters in a STATS reply, after the flags byte. */
#define EPCAP_STATS_COUNTERS 10

/* Bytes of one record in an IFSTATS reply: interface, flags, four u64. */
#define EPCAP_IFSTATS_RECORD 37

/* READY's source byte. */
enum epcap_source {
    EPCAP_SOURCE_LIVE = 0, /* a live interface */
    EPCAP_SOURCE_FILE = 1, /* a capture file */
};

/* READY's start byte: how the port was started (doc/SECURITY.md). */
enum epcap_start {
    EPCAP_START_PLAIN = 0,     /* no privilege: the caller's own process */
    EPCAP_START_ROOT = 1,      /* real uid 0 */
    EPCAP_START_SUDO = 2,      /* real uid 0 through sudo: SUDO_UID's */
    EPCAP_START_SETUID = 3,    /* setuid root */
    EPCAP_START_FILE_CAPS = 4, /* file capabilities (or setgid) */
};

/* READY's flags: the port runs in an empty (or -d) root; INJECT is
 * allowed (--inject, and for a caller who is not root the installer's
 * policy). */
#define EPCAP_READY_CHROOT 1
#define EPCAP_READY_INJECT 2

/*
 * Error codes: X(number, C name, Erlang atom). The atom is what the owner
 * sees in {error, {Atom, Message}}.
 */
#define EPCAP_ERRORS(X)                                                     \
    X(1, BADARG, "badarg")                       /* bad option value */    \
    X(2, NO_SUCH_DEVICE, "no_such_device")       /* interface missing */   \
    X(3, PERMISSION_DENIED, "permission_denied") /* may not capture */     \
    X(4, PROMISC_PERMISSION_DENIED, "promisc_permission_denied")           \
    X(5, RFMON_NOT_SUPPORTED, "rfmon_not_supported")                       \
    X(6, INTERFACE_DOWN, "interface_down")                                 \
    X(7, BAD_FILTER, "bad_filter")       /* filter does not compile */     \
    X(8, FILE, "file")                   /* capture file unreadable */     \
    X(9, CAPTURE, "capture")             /* any other libpcap failure */   \
    X(10, TSTAMP_PRECISION_NOT_SUPPORTED, "tstamp_precision_not_supported") \
    X(11, TSTAMP_TYPE_NOT_SUPPORTED, "tstamp_type_not_supported")          \
    X(12, PROMISC_NOT_SUPPORTED, "promisc_not_supported") /* warning */    \
    X(13, CAPTURE_NOT_SUPPORTED, "capture_not_supported")                  \
    X(14, UNKNOWN_COMMAND, "unknown_command")                              \
    X(15, SYSTEM, "system")              /* a system call failed */        \
    X(16, WARNING, "warning")            /* libpcap's generic warning */   \
    X(17, UNSUPPORTED, "unsupported") /* option not built in */     \
    X(18, INJECT_FAILED, "inject_failed")                                  \
    X(19, INJECT_DISABLED, "inject_disabled") /* started without inject */ \
    X(20, BAD_COMMAND, "bad_command") /* a command body is malformed */  \
    X(21, DUMP, "dump")                  /* a dump file cannot be written */ \
    X(22, LOG, "log")       /* -v logging in a WARNING frame: not a problem */ \
    X(23, SANDBOX_VIOLATION, "sandbox_violation") /* message: the call */

#define EPCAP_ERROR_ENUM(num, name, atom) EPCAP_E_##name = num,
enum epcap_error { EPCAP_E_OK = 0, EPCAP_ERRORS(EPCAP_ERROR_ENUM) };
#undef EPCAP_ERROR_ENUM

/*
 * Exit codes of the port program (sysexits.h values where one fits).
 * A fatal error that the owner can act on is sent as an ERROR frame first.
 */
#define EPCAP_EXITS(X)                                                      \
    X(0, OK, "normal")             /* eof, stop, or stdin closed */        \
    X(64, USAGE, "usage")          /* bad command line */                  \
    X(65, PROTOCOL, "protocol")    /* malformed frame on stdin */          \
    X(66, OPEN, "open")            /* interface or file could not open */  \
    X(70, SOFTWARE, "software")    /* internal error, out of memory */     \
    X(71, OSERR, "oserr")          /* a system call failed */              \
    X(74, IOERR, "ioerr")          /* stdout failed */                     \
    X(75, CAPTURE, "capture")      /* reading packets failed */            \
    X(77, NOPERM, "noperm")        /* privilege drop failed */

/*
 * Exit status of a port stopped by its sandbox: 128 + SIGSYS (31 on
 * Linux; sandbox.h checks it), what a shell reports for a process killed
 * by SIGSYS, so a trapped call and a kernel kill look the same. Not one
 * of EPCAP_EXITS on purpose: it must read as a signal death to anything
 * that looks at the status.
 */
#define EPCAP_EXIT_SANDBOX_VIOLATION 159

/*
 * -D's listing is text, for people and for epcap:interfaces/0 alike (it
 * needs no privilege and cannot fail but by exiting EPCAP_EXIT_OPEN with
 * the reason on stderr): one line per interface,
 * NAME TAB FLAGS TAB DESCRIPTION, then one line per address,
 * TAB FAMILY TAB ADDRESS TAB NETMASK TAB BROADCAST; an empty field is
 * EPCAP_LIST_NONE. FLAGS are EPCAP_IF_FLAGS' names joined by commas.
 * FAMILY is inet or inet6.
 */
#define EPCAP_LIST_NONE "-"
#define EPCAP_IF_FLAGS(X)                                                   \
    X(UP, "up")                                                             \
    X(RUNNING, "running")                                                   \
    X(LOOPBACK, "loopback")                                                 \
    X(WIRELESS, "wireless")                                                 \
    X(CONNECTED, "connected")                                               \
    X(DISCONNECTED, "disconnected")

#define EPCAP_EXIT_ENUM(num, name, atom) EPCAP_EXIT_##name = num,
enum epcap_exit { EPCAP_EXITS(EPCAP_EXIT_ENUM) };
#undef EPCAP_EXIT_ENUM

#endif
