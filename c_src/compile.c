/*
 * compile.c: checking a filter without capturing (epcap --compile).
 *
 * Needs no privilege and opens nothing: libpcap compiles the expression
 * against a dead handle of the requested link type and snaplen. On
 * success the BPF program is printed one instruction a line, as
 * `tcpdump -d` does, and the exit code is 0; a bad expression prints
 * libpcap's message on stderr and exits EPCAP_EXIT_OPEN. Backs
 * epcap:compile/2 on the Erlang side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "epcap_proto.h"
#include "options.h"

/* A link type by number or by name (EN10MB, LINUX_SLL, RAW, ...). */
int compile_datalink(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    if (s[0] >= '0' && s[0] <= '9')
        return *end == '\0' && v >= 0 && v <= 0xffff ? (int)v : -1;
    return pcap_datalink_name_to_val(s);
}

int compile_main(const struct epcap_opts *opt)
{
    int dlt = opt->datalink >= 0 ? opt->datalink : DLT_EN10MB;
    pcap_t *p = pcap_open_dead(dlt, opt->snaplen);
    struct bpf_program prog;

    if (p == NULL) {
        fprintf(stderr, "epcap: compile: out of memory\n");
        return EPCAP_EXIT_SOFTWARE;
    }
    if (pcap_compile(p, &prog, opt->filter ? opt->filter : "", 1,
                     PCAP_NETMASK_UNKNOWN) < 0) {
        fprintf(stderr, "epcap: %s\n", pcap_geterr(p));
        pcap_close(p);
        return EPCAP_EXIT_OPEN;
    }
    for (u_int i = 0; i < prog.bf_len; i++)
        printf("%s\n", bpf_image(&prog.bf_insns[i], (int)i));
    pcap_freecode(&prog);
    pcap_close(p);
    return fflush(stdout) == 0 ? EPCAP_EXIT_OK : EPCAP_EXIT_IOERR;
}
