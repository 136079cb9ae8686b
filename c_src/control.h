/*
 * control.h: carrying out one command from stdin (control.c).
 */
#ifndef EPCAP_CONTROL_H
#define EPCAP_CONTROL_H

#include "cmd.h"

struct epcap;

void control_handle(struct epcap *st, const struct epcap_cmd *cmd);

#endif
