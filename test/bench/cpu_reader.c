/*
 * cpu_reader.c: the floor for make bench's CPU-per-packet table. Not part
 * of epcap: a plain libpcap reader that counts packets, as tcpdump -w
 * /dev/null would without writing them.
 *
 *   cpu_reader IFACE FILTER COUNT [BUFFER_KIB]
 *
 * It opens IFACE with the block ring (1 ms timeout, BUFFER_KIB, default
 * 32768 like epcap's), prints "ready" once capturing, blocks in poll(2)
 * and counts until COUNT packets or 2 s without one. Then it prints
 * "packets=N dropped=D cpu_ns=T", T being the CPU time of the process
 * (user and system) from "ready" to the last packet, and exits 0.
 */
#include <poll.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h,
                      const unsigned char *data)
{
    (void)h;
    (void)data;
    (*(long *)user)++;
}

static long long cpu_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct bpf_program prog;
    struct pcap_stat ps = {0};
    long n = 0, want;
    pcap_t *p;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: cpu_reader IFACE FILTER COUNT [BUFFER_KIB]\n");
        return 64;
    }
    want = atol(argv[3]);
    p = pcap_create(argv[1], err);
    if (p == NULL || pcap_set_timeout(p, 1) != 0 ||
        pcap_set_buffer_size(p, (argc == 5 ? atoi(argv[4]) : 32768) * 1024) != 0 ||
        pcap_activate(p) < 0 || pcap_compile(p, &prog, argv[2], 1, 0) < 0 ||
        pcap_setfilter(p, &prog) < 0 || pcap_setnonblock(p, 1, err) < 0) {
        fprintf(stderr, "cpu_reader: %s: %s\n", argv[1],
                p ? pcap_geterr(p) : err);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    long long t0 = cpu_ns(), t1 = t0;
    while (n < want) {
        struct pollfd fd = {pcap_get_selectable_fd(p), POLLIN, 0};
        if (poll(&fd, 1, 2000) <= 0)
            break;
        long before = n;
        if (pcap_dispatch(p, -1, on_packet, (unsigned char *)&n) < 0)
            break;
        if (n > before)
            t1 = cpu_ns();
    }
    (void)pcap_stats(p, &ps);
    printf("packets=%ld dropped=%u cpu_ns=%lld\n", n, ps.ps_drop, t1 - t0);
    pcap_close(p);
    return 0;
}
