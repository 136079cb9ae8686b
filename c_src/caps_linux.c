/*
 * caps_linux.c: Linux capabilities through libcap-ng (caps.h). Every
 * libcap-ng result is checked and returned; privs_steps.c reports.
 *
 * Runs with whatever the calling stage holds: the start (up to full
 * root), the capture stage (CAP_NET_RAW and CAP_NET_ADMIN permitted),
 * the drop. Syscalls: capget, capset, prctl (PR_CAPBSET_DROP,
 * PR_CAP_AMBIENT), reads of /proc/self/status by libcap-ng.
 */
#include "platform.h"
#if !EPCAP_LINUX
#error "caps_linux.c is Linux's (platform.h): build with PLATFORM=portable"
#endif

#include <cap-ng.h>
#include <unistd.h>

#include "caps.h"

/* Capability numbers are below 64 in every kernel's sets. */
#define CAPS_MAX 64
#define BIT(c) ((caps_set)1 << (c))

const caps_set caps_net = BIT(CAP_NET_RAW) | BIT(CAP_NET_ADMIN);

int caps_read(void)
{
    return capng_get_caps_process() == 0 ? 0 : -1;
}

bool caps_may(enum caps_right r)
{
    static const unsigned caps[] = {
        [CAPS_CHROOT] = CAP_SYS_CHROOT,
        [CAPS_SETGROUPS] = CAP_SETGID,
        [CAPS_SETPCAP] = CAP_SETPCAP,
    };

    return capng_have_capability(CAPNG_EFFECTIVE, caps[r]) == 1;
}

int caps_empty_bounding(void)
{
    capng_clear(CAPNG_SELECT_BOUNDS);
    return capng_apply(CAPNG_SELECT_BOUNDS) == 0 ? 0 : -1;
}

int caps_keep(caps_set keep, int *cap)
{
    caps_set held = 0;

    *cap = -1;
    if (caps_read() < 0)
        return -1;
    for (unsigned c = 0; c < CAPS_MAX; c++)
        if ((keep & BIT(c)) != 0 &&
            capng_have_capability(CAPNG_PERMITTED, c) == 1)
            held |= BIT(c);
    capng_clear(CAPNG_SELECT_CAPS);
    for (unsigned c = 0; c < CAPS_MAX; c++)
        if ((held & BIT(c)) != 0 &&
            capng_update(CAPNG_ADD, CAPNG_PERMITTED, c) != 0) {
            *cap = (int)c;
            return -1;
        }
    if (capng_apply(CAPNG_SELECT_CAPS) != 0)
        return -1;
    capng_clear(CAPNG_SELECT_AMBIENT);
    return capng_apply(CAPNG_SELECT_AMBIENT) == 0 ? 0 : -1;
}

int caps_raise(caps_set caps, int *cap)
{
    *cap = -1;
    if (caps_read() < 0)
        return -1;
    for (unsigned c = 0; c < CAPS_MAX; c++)
        if ((caps & BIT(c)) != 0 &&
            capng_have_capability(CAPNG_PERMITTED, c) == 1 &&
            capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, c) != 0) {
            *cap = (int)c;
            return -1;
        }
    return capng_apply(CAPNG_SELECT_CAPS) == 0 ? 0 : -1;
}

int caps_left(caps_set may, bool bounding, const char **set, int *cap)
{
    static const struct {
        capng_type_t type;
        const char *name;
    } sets[] = {{CAPNG_EFFECTIVE, "effective"},
                {CAPNG_PERMITTED, "permitted"},
                {CAPNG_INHERITABLE, "inheritable"},
                {CAPNG_AMBIENT, "ambient"},
                {CAPNG_BOUNDING_SET, "bounding"}};

    if (caps_read() < 0)
        return -1;
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        caps_set ok = sets[i].type == CAPNG_PERMITTED ? may : 0;
        if (sets[i].type == CAPNG_BOUNDING_SET && !bounding)
            continue;
        for (unsigned c = 0; c < CAPS_MAX; c++)
            if ((ok & BIT(c)) == 0 &&
                capng_have_capability(sets[i].type, c) == 1) {
                *set = sets[i].name;
                *cap = (int)c;
                return 1;
            }
    }
    return 0;
}

int caps_net_raw_regained(void)
{
    if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
                     CAP_NET_RAW) != 0)
        return -1;
    return capng_apply(CAPNG_SELECT_CAPS) == 0 ? 1 : 0;
}

bool caps_can_capture(void)
{
    if (capng_get_caps_process() != 0)
        return geteuid() == 0;
    return capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_RAW) == 1 ||
           capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW) == 1;
}
