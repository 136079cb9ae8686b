/*
 * caps_none.c: the portable path's capabilities (platform.h): there are
 * none. A process's rights come from its uid alone, so the privilege
 * path has nothing to keep, raise or clear; changing the uid (and
 * proving uid 0 cannot come back) is the whole drop. A sudo, setuid or
 * set-group start becomes its caller at once with nothing kept: it can
 * capture where the caller may open the capture device (BSD: read access
 * to /dev/bpf, usually through a group).
 *
 * Runs with whatever the calling stage holds; makes no system call but
 * geteuid.
 */
#include <unistd.h>

#include "caps.h"

const caps_set caps_net = 0;

int caps_read(void)
{
    return 0;
}

/* Root may do all of it, anyone else none; nothing to empty. */
bool caps_may(enum caps_right r)
{
    return r != CAPS_SETPCAP && geteuid() == 0;
}

int caps_empty_bounding(void)
{
    return 0;
}

int caps_keep(caps_set keep, int *cap)
{
    (void)keep;
    *cap = -1;
    return 0;
}

int caps_raise(caps_set caps, int *cap)
{
    (void)caps;
    *cap = -1;
    return 0;
}

int caps_left(caps_set may, bool bounding, const char **set, int *cap)
{
    (void)may;
    (void)bounding;
    *set = "";
    *cap = -1;
    return 0;
}

int caps_net_raw_regained(void)
{
    return 0;
}

bool caps_can_capture(void)
{
    return geteuid() == 0;
}
