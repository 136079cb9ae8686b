/*
 * cmd.h: decoding command frames from stdin (cmd.c; pure, no I/O).
 */
#ifndef EPCAP_CMD_H
#define EPCAP_CMD_H

#include <stddef.h>
#include <stdint.h>

/* A decoded command frame; body points into the input buffer. */
struct epcap_cmd {
    uint8_t tag;
    uint32_t id;
    const unsigned char *body;
    size_t body_len;
};

enum cmd_status {
    CMD_NEED_MORE = 0,
    CMD_OK = 1,
    CMD_BAD = -1
};

enum cmd_status cmd_decode(const unsigned char *buf, size_t len,
                           struct epcap_cmd *cmd, size_t *used,
                           const char **why);

#endif
