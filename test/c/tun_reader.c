/*
 * tun_reader.c: a test helper (not a unit test) that gives a tun device
 * carrier. A tun has no carrier until a process holds it open, so the
 * kernel drops what is routed into it; epcap_multi_SUITE runs this in
 * its namespace to capture traffic on a tun.
 *
 *   tun_reader NAME
 *
 * Attaches to the existing tun NAME (IFF_TUN | IFF_NO_PI), prints
 * "ready", then reads and discards what the kernel sends into it until
 * stdin closes (or at most 60 s). Runs with whatever privileges it is
 * started with (CAP_NET_ADMIN, or the tun's owner, to attach).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_S 60

/* The tun NAME opened and attached; its fd, or -1 (reported). */
static int open_tun(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "tun_reader: /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (strlen(name) >= sizeof(ifr.ifr_name)) {
        fprintf(stderr, "tun_reader: %s: name too long\n", name);
        close(fd);
        return -1;
    }
    memcpy(ifr.ifr_name, name, strlen(name) + 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "tun_reader: %s: TUNSETIFF: %s\n", name,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    unsigned char buf[65536];
    time_t end = time(NULL) + LIMIT_S;
    int fd;

    if (argc != 2) {
        fprintf(stderr, "usage: tun_reader NAME\n");
        return 64;
    }
    fd = open_tun(argv[1]);
    if (fd < 0)
        return 1;
    printf("ready\n");
    fflush(stdout);
    while (time(NULL) < end) {
        struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
                              {.fd = fd, .events = POLLIN}};

        if (poll(p, 2, 1000) < 0 && errno != EINTR)
            break;
        if (p[0].revents && read(0, buf, sizeof(buf)) <= 0)
            break;
        if ((p[1].revents & POLLIN) && read(fd, buf, sizeof(buf)) < 0 &&
            errno != EINTR)
            break;
    }
    close(fd);
    return 0;
}
