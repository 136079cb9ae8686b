/*
 * loop.h: the event loop (loop.c).
 */
#ifndef EPCAP_LOOP_H
#define EPCAP_LOOP_H

struct epcap;

/* Packets taken from a capture file per pcap_dispatch call (a count of
 * -1 would read the whole file in one call). */
#define EPCAP_FILE_CHUNK 4096

/* Run until the capture ends; returns the exit code. */
int loop_run(struct epcap *st);
/* Before the sandbox: a larger stdout pipe, where allowed. */
void loop_tune_output(void);

#endif
