/*
 * cmd.c: decoding command frames read from stdin.
 *
 * Pure: no I/O, no allocation, so it can be unit-tested and fuzzed alone.
 * The length is checked against EPCAP_CMD_MIN and EPCAP_CMD_MAX before
 * anything else, so a hostile or broken owner can never make the port
 * allocate or wait for more than EPCAP_CMD_MAX bytes.
 *
 * Privileges: none; called from the loop, after the final drop, in the
 * sandbox.
 */
#include "cmd.h"
#include "epcap_proto.h"
#include "wire.h"

/*
 * Decode the first frame of buf. CMD_OK: *cmd is filled and *used bytes
 * were consumed. CMD_NEED_MORE: buf holds only part of a frame.
 * CMD_BAD: the stream is corrupt; *why says how.
 */
enum cmd_status cmd_decode(const unsigned char *buf, size_t len,
                           struct epcap_cmd *cmd, size_t *used,
                           const char **why)
{
    if (len < 4)
        return CMD_NEED_MORE;
    uint32_t n = wire_get32(buf);
    if (n < EPCAP_CMD_MIN) {
        *why = "command frame shorter than tag and id";
        return CMD_BAD;
    }
    if (n > EPCAP_CMD_MAX) {
        *why = "command frame longer than the limit";
        return CMD_BAD;
    }
    if (len - 4 < n)
        return CMD_NEED_MORE;
    cmd->tag = buf[4];
    cmd->id = wire_get32(buf + 5);
    cmd->body = buf + 4 + EPCAP_CMD_MIN;
    cmd->body_len = n - EPCAP_CMD_MIN;
    *used = 4 + (size_t)n;
    return CMD_OK;
}
