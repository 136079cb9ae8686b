/*
 * lat_reader.c: the floor for make bench's latency table. Not part of
 * epcap: a plain libpcap reader, as small as a reader can be.
 *
 *   lat_reader IFACE FILTER COUNT   live, immediate mode, nanosecond stamps
 *   lat_reader - COUNT              a pcap stream on stdin (epcap -w -)
 *
 * It prints "ready" once the capture is open (on stdin: once the stream's
 * header is in, which epcap writes when it is capturing), then blocks in poll(2) (or
 * read(2) on stdin) like any reader, and for each packet takes the time of
 * day as soon as libpcap hands it over: latency = that time minus the
 * packet's kernel time stamp. After COUNT packets, or 10 s without one,
 * it prints every latency in nanoseconds on one line and exits 0.
 * make bench's sender (test/epcap_bench.erl) sends the traffic, the same
 * for every reader it compares.
 */
#include <poll.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct lat {
    long long *ns;
    int n, want, nano;
};

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h,
                      const unsigned char *data)
{
    struct lat *l = (struct lat *)user;
    struct timespec now;

    (void)data;
    clock_gettime(CLOCK_REALTIME, &now);
    long long ts = (long long)h->ts.tv_sec * 1000000000LL +
                   (long long)h->ts.tv_usec * (l->nano ? 1 : 1000);
    if (l->n < l->want)
        l->ns[l->n++] = (long long)now.tv_sec * 1000000000LL + now.tv_nsec - ts;
}

static pcap_t *open_live(const char *dev, const char *filter)
{
    char err[PCAP_ERRBUF_SIZE];
    struct bpf_program prog;
    pcap_t *p = pcap_create(dev, err);

    if (p == NULL || pcap_set_immediate_mode(p, 1) != 0 ||
        pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0 ||
        pcap_activate(p) < 0 || pcap_compile(p, &prog, filter, 1, 0) < 0 ||
        pcap_setfilter(p, &prog) < 0 || pcap_setnonblock(p, 1, err) < 0) {
        fprintf(stderr, "lat_reader: %s: %s\n", dev,
                p ? pcap_geterr(p) : err);
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct lat l = {0};
    int live = argc == 4;
    pcap_t *p;

    if (argc != 4 && !(argc == 3 && strcmp(argv[1], "-") == 0)) {
        fprintf(stderr, "usage: lat_reader IFACE FILTER COUNT | - COUNT\n");
        return 64;
    }
    l.want = atoi(argv[argc - 1]);
    l.ns = calloc((size_t)(l.want > 0 ? l.want : 1), sizeof(*l.ns));
    if (live) {
        p = open_live(argv[1], argv[2]);
    } else if ((p = pcap_fopen_offline_with_tstamp_precision(
                    stdin, PCAP_TSTAMP_PRECISION_NANO, err)) == NULL) {
        fprintf(stderr, "lat_reader: stdin: %s\n", err);
        return 1;
    }
    /* On stdin the stream's file header has arrived, which epcap -w -
     * writes only once its capture is open. */
    printf("ready\n");
    fflush(stdout);
    l.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    while (l.n < l.want) {
        if (live) {
            struct pollfd fd = {pcap_get_selectable_fd(p), POLLIN, 0};
            if (poll(&fd, 1, 10000) <= 0)
                break;
        }
        int rc = pcap_dispatch(p, live ? -1 : 1, on_packet,
                               (unsigned char *)&l);
        if (rc < 0 || (rc == 0 && !live))
            break;
    }
    for (int i = 0; i < l.n; i++)
        printf("%lld%c", l.ns[i], i + 1 < l.n ? ' ' : '\n');
    if (l.n == 0)
        printf("\n");
    pcap_close(p);
    return 0;
}
