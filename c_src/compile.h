/*
 * compile.h: --compile, and link type names (compile.c).
 */
#ifndef EPCAP_COMPILE_H
#define EPCAP_COMPILE_H

struct epcap_opts;

/* A link type by number or name; -1 if it is neither. */
int compile_datalink(const char *s);
/* Print the filter's BPF program; returns the port's exit code. */
int compile_main(const struct epcap_opts *opt);

#endif
