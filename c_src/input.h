/*
 * input.h: commands from the owner on stdin (input.c).
 */
#ifndef EPCAP_INPUT_H
#define EPCAP_INPUT_H

struct epcap;

/* The input buffer, before the loop starts (exits on no memory). */
void input_init(struct epcap *st);
/* Read what stdin holds and handle every whole command in it; the end of
 * stdin marks the owner gone (st->stdin_open false, st->done true). A
 * protocol error is fatal. */
void input_read(struct epcap *st);
/* Handle the whole command frames at the head of st->in and make room for
 * the next (never more than a command's maximum). -1 with *why on a
 * protocol error. */
int input_decode(struct epcap *st, const char **why);

#endif
