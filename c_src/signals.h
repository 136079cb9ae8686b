/*
 * signals.h: termination flags and the parent-death notice (signals.c).
 * Calls nothing else of the port: its callers report its failures.
 */
#ifndef EPCAP_SIGNALS_H
#define EPCAP_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* 0, or -1 with errno (the call that failed named in *what). */
int signals_reset(const char **what);
int signals_init(const char **what);
int signals_watch_parent(pid_t parent);
bool signals_terminated(void);
void signals_window_open(bool exit_now);
void signals_window_close(void);
const sigset_t *signals_poll_mask(void);

#endif
