/*
 * platform.h: the one boundary between what only Linux has and what any
 * POSIX system with libpcap has.
 *
 * EPCAP_LINUX is 1 on Linux, unless the build asks for the portable path
 * with -DEPCAP_PORTABLE (make variants builds _build/variants/
 * epcap-portable that way on Linux, to prove the path builds and runs;
 * FreeBSD and OpenBSD take it by construction). Everything Linux-only
 * is behind it, in one of two ways:
 *
 *   whole files, chosen by c_src/Makefile (PLATFORM=linux|portable):
 *     caps_linux.c      capabilities through libcap-ng (-lcap-ng)
 *                       | caps_none.c: there are none to keep or clear
 *     fastlane.c        the adaptive default's second ring (TPACKET_V2
 *                       beside V3, SO_ATTACH_FILTER, <linux/filter.h>)
 *                       | fastlane_none.c: the one ring libpcap gives
 *     sandbox_seccomp.c seccomp and Landlock (-lseccomp) | rlimit,
 *                       pledge (OpenBSD) or capsicum (FreeBSD)
 *   #if EPCAP_LINUX in the file that needs it:
 *     fanout.c          PACKET_FANOUT (elsewhere --fanout is refused)
 *     control.c         sendmmsg for inject batches (elsewhere one
 *                       pcap_inject per packet)
 *     options.c         -a, sched_setaffinity's cpu_set_t (elsewhere
 *                       refused)
 *     privs_*.c         prctl (keepcaps, no_new_privs, dumpable),
 *                       getauxval(AT_SECURE), clearenv
 *     signals.c         PR_SET_PDEATHSIG
 *     sandbox_selftest.c  the self-tests of Linux calls
 *
 * Differences of the C library, not the kernel, are said where they are
 * (filehead.c: fopencookie or funopen).
 */
#ifndef EPCAP_PLATFORM_H
#define EPCAP_PLATFORM_H

#if defined(__linux__) && !defined(EPCAP_PORTABLE)
#define EPCAP_LINUX 1
#else
#define EPCAP_LINUX 0
#endif

#endif
