/*
 * epcap_time.h: time stamps as the protocol promises them, and deadlines.
 * Inline: on the per-packet path.
 */
#ifndef EPCAP_TIME_H
#define EPCAP_TIME_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * libpcap 1.10 reads a pcap file's seconds and fraction as signed 32-bit
 * values (and, for a nanosecond handle over a microsecond file, multiplies
 * the fraction by 1000): a file dated after 2038 comes out negative. Make
 * them the unsigned 32-bit fields the format defines (seconds valid to
 * 2106). pcapng stamps are 64-bit and live ones come from the kernel:
 * nothing to do there. Assumes a 64-bit time_t.
 */
static inline void epcap_ts_fix(struct pcap_pkthdr *h, long up)
{
    h->ts.tv_sec = (time_t)(uint32_t)h->ts.tv_sec;
    h->ts.tv_usec =
        (suseconds_t)((uint64_t)(uint32_t)(h->ts.tv_usec / up) * (uint64_t)up);
}

/*
 * A time stamp as the protocol promises it: seconds since 1970, not
 * negative, and a fraction below one second in `unit' (10^6 or 10^9).
 * A capture file may claim anything; the excess fraction is carried into
 * the seconds and a time before 1970 becomes 0.
 */
static inline void epcap_ts_normalize(long *sec, long *frac, long unit)
{
    if (*frac >= unit || *frac < 0) {
        *sec += *frac / unit;
        *frac %= unit;
        if (*frac < 0) {
            *frac += unit;
            (*sec)--;
        }
    }
    if (*sec < 0)
        *sec = *frac = 0;
}

/* Time from now until `until' (CLOCK_MONOTONIC) in *left; false, with
 * *left zero, once it has passed. */
static inline bool epcap_time_left(const struct timespec *until,
                                   struct timespec *left)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    left->tv_sec = until->tv_sec - now.tv_sec;
    left->tv_nsec = until->tv_nsec - now.tv_nsec;
    if (left->tv_nsec < 0) {
        left->tv_nsec += 1000000000L;
        left->tv_sec--;
    }
    if (left->tv_sec < 0) {
        left->tv_sec = left->tv_nsec = 0;
        return false;
    }
    return true;
}

#endif
