/*
 * fastlane_none.c: the portable path (platform.h) has no second lane:
 * the adaptive default is the one ring libpcap gives, with the 1 ms
 * timeout. fastlane_open leaves st->fl NULL, and every call of
 * fastlane.h answers as for a capture without a fast lane.
 *
 * Privileges: none needed. Syscalls: none.
 */
#include "fastlane.h"
#include "report.h"
#include "state.h"

void fastlane_open(struct epcap *st)
{
    st->fl = NULL;
    epcap_log(st, 2, "fast lane: not on this platform: one ring");
}

void fastlane_free(struct fastlane *fl)
{
    (void)fl;
}

int fastlane_set_filter(struct fastlane *fl, const char *expr,
                        bpf_u_int32 netmask)
{
    (void)fl;
    (void)expr;
    (void)netmask;
    return 0;
}

void fastlane_read(struct epcap *st, pcap_handler cb, unsigned char *user)
{
    (void)st;
    (void)cb;
    (void)user;
}

bool fastlane_accept(struct fastlane *fl, const struct pcap_pkthdr *h,
                     const unsigned char *data)
{
    (void)fl;
    (void)h;
    (void)data;
    return true;
}

void fastlane_tick(struct epcap *st, bool reading)
{
    (void)st;
    (void)reading;
}

bool fastlane_reads_a(const struct fastlane *fl)
{
    (void)fl;
    return false;
}

long long fastlane_wait_ns(const struct fastlane *fl)
{
    (void)fl;
    return -1;
}

int fastlane_fd(const struct fastlane *fl)
{
    (void)fl;
    return -1;
}

uint64_t fastlane_missed(const struct fastlane *fl)
{
    (void)fl;
    return 0;
}
