/*
 * input.c: commands from the owner on stdin: reading them, cutting the
 * stream into frames (bounded before anything is allocated) and handing
 * each to control.c. The loop (loop.c) calls input_read when stdin is
 * readable; the end of stdin means the owner is gone.
 *
 * Privileges: none; runs after the final drop, in the sandbox.
 *
 * Syscalls: read (stdin), and malloc/realloc's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "control.h"
#include "epcap_proto.h"
#include "input.h"
#include "report.h"
#include "state.h"
#include "wire.h"

#define IN_INITIAL (64 * 1024)

void input_init(struct epcap *st)
{
    st->in.buf = malloc(IN_INITIAL);
    if (st->in.buf == NULL)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM, "out of memory");
    st->in.cap = IN_INITIAL;
    st->in.len = 0;
}

/* Make room for the frame at the head of the input buffer. Its length
 * is bounded here, whatever happened before: after a STOP the decoder
 * has not looked at what follows, and nothing may make the port allocate
 * more than the protocol's largest command. */
static int grow_input(struct epcap *st, const char **why)
{
    struct ibuf *in = &st->in;
    uint32_t n = wire_get32(in->buf);
    size_t want = 4 + (size_t)n;

    if (n < EPCAP_CMD_MIN || n > EPCAP_CMD_MAX) {
        *why = "command frame length out of bounds";
        return -1;
    }
    if (want <= in->cap)
        return 0;
    unsigned char *p = realloc(in->buf, want);
    if (p == NULL)
        epcap_fatal(st, EPCAP_EXIT_SOFTWARE, EPCAP_E_SYSTEM,
                    "stdin: out of memory for a %zu-byte command", want);
    in->buf = p;
    in->cap = want;
    return 0;
}

int input_decode(struct epcap *st, const char **why)
{
    struct ibuf *in = &st->in;
    size_t off = 0;

    while (!st->done) {
        struct epcap_cmd cmd;
        size_t used = 0;
        enum cmd_status rc =
            cmd_decode(in->buf + off, in->len - off, &cmd, &used, why);
        if (rc == CMD_BAD)
            return -1;
        if (rc == CMD_NEED_MORE)
            break;
        control_handle(st, &cmd);
        off += used;
    }
    memmove(in->buf, in->buf + off, in->len - off);
    in->len -= off;
    if (st->done)
        in->len = 0; /* after STOP nothing more is read or kept */
    else if (in->len >= 4)
        return grow_input(st, why);
    return 0;
}

void input_read(struct epcap *st)
{
    struct ibuf *in = &st->in;
    ssize_t n = read(STDIN_FILENO, in->buf + in->len, in->cap - in->len);

    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        epcap_fatal(st, EPCAP_EXIT_OSERR, EPCAP_E_SYSTEM, "stdin: %s",
                    strerror(errno));
    }
    if (n == 0) {
        if (in->len > 0)
            epcap_fatal(st, EPCAP_EXIT_PROTOCOL, EPCAP_E_SYSTEM,
                        "stdin: protocol error: end of file inside a "
                        "%zu-byte partial command",
                        in->len);
        epcap_log(st, 1, "stdin closed: owner gone, exiting");
        st->stdin_open = false;
        st->done = true;
        return;
    }
    in->len += (size_t)n;
    const char *why = NULL;
    if (input_decode(st, &why) < 0)
        epcap_fatal(st, EPCAP_EXIT_PROTOCOL, EPCAP_E_SYSTEM,
                    "stdin: protocol error: %s", why);
}
