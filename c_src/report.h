/*
 * report.h: errors, warnings, -v logging, READY and REPLY frames
 * (report.c).
 */
#ifndef EPCAP_REPORT_H
#define EPCAP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct epcap;

void epcap_fatal(struct epcap *st, int exit_code, int err_code, const char *fmt,
                 ...) __attribute__((noreturn, format(printf, 4, 5)));
int epcap_error_frame(struct epcap *st, int err_code, bool fatal,
                      const char *msg);
void epcap_warn(struct epcap *st, int err_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void epcap_log(struct epcap *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void epcap_send_ready(struct epcap *st);
void epcap_reply(struct epcap *st, uint32_t id, uint16_t code, const void *body,
                 size_t len);

#endif
