/*
 * fuzz_options.c: libFuzzer harness for the port's command line.
 *
 * The input is split into arguments on NUL bytes (the last one need not
 * end with NUL), "epcap" is put in front as argv[0], and options_parse
 * (options.c) runs over it twice, with options_free after each run, as a
 * test or a second call would. argv is a heap copy of exactly the input,
 * so a read past an argument's end is an ASan report.
 *
 * Invariants checked beyond the sanitizers:
 *   - success leaves every value in the range --help documents, and the
 *     two runs agree (getopt's state is fully reset by optind = 0);
 *   - failure leaves a message, NUL-terminated within the buffer;
 *   - argv is not modified (the "+" in the option string: no permuting).
 *
 * Not part of the port: built only by `make fuzz` (c_src/Makefile).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "epcap_proto.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define ARGS_MAX 256

static void check_ok(const struct epcap_opts *o)
{
    if (o->snaplen < 1 || o->snaplen > EPCAP_SNAPLEN_MAX)
        abort();
    if (o->buffer_size != 0 && o->buffer_size < 65536)
        abort();
    if (o->timeout_mode == TIMEOUT_MS && o->timeout_ms <= 0)
        abort();
    if (o->env_count < 0 || o->env_count > 16)
        abort();
    for (int i = 0; i < o->env_count; i++) {
        const char *eq = strchr(o->env[i], '=');
        if (eq == NULL || eq == o->env[i])
            abort();
    }
    if (o->cluster_id < -1 || o->cluster_id > 255)
        abort();
    if (o->credit < -1 || o->credit > EPCAP_CREDIT_MAX)
        abort();
    if (o->count < 0 || o->duration < 0 || o->duration > 31 * 24 * 3600)
        abort();
    if (o->datalink < -1 || o->datalink > 0xffff)
        abort();
    if (o->file != NULL && o->interface != NULL)
        abort();
    if (o->pcapng && o->write_file == NULL)
        abort();
}

static int parse(struct epcap_opts *o, int argc, char **argv, char *err,
                 size_t errlen)
{
    memset(err, 'x', errlen);
    int rc = options_parse(o, argc, argv, err, errlen);
    if (rc != 0 && rc != -1)
        abort();
    if (memchr(err, '\0', errlen) == NULL)
        abort();
    if (rc == -1 && errlen > 1 && err[0] == '\0')
        abort(); /* a one-byte buffer holds only the NUL */
    if (rc == 0)
        check_ok(o);
    return rc;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *argv[ARGS_MAX + 2];
    char *copy[ARGS_MAX + 2];
    int argc = 0;
    char err[256];
    struct epcap_opts a, b;

    /* Each argument ends with a NUL; the last one may end with the input.
     * A copy of exactly each argument, so ASan sees any overread. */
    argv[argc++] = strdup("epcap");
    if (argv[0] == NULL)
        abort();
    for (size_t i = 0; i < size && argc <= ARGS_MAX;) {
        const unsigned char *nul = memchr(data + i, '\0', size - i);
        size_t n = nul != NULL ? (size_t)(nul - (data + i)) : size - i;
        char *s = malloc(n + 1);
        if (s == NULL)
            abort();
        memcpy(s, data + i, n);
        s[n] = '\0';
        argv[argc++] = s;
        i += n + 1;
    }
    argv[argc] = NULL;
    memcpy(copy, argv, sizeof(char *) * (size_t)(argc + 1));

    int ra = parse(&a, argc, argv, err, sizeof(err));
    int rb = parse(&b, argc, argv, err, sizeof(err));
    if (ra != rb)
        abort();
    if (ra == 0 && (a.snaplen != b.snaplen || a.env_count != b.env_count ||
                    a.credit != b.credit || a.verbose != b.verbose ||
                    (a.filter == NULL) != (b.filter == NULL) ||
                    (a.filter != NULL && strcmp(a.filter, b.filter) != 0)))
        abort();
    options_free(&a);
    options_free(&b);
    if (a.filter != NULL || b.filter != NULL)
        abort();
    /* Small error buffers truncate, never overflow. */
    for (size_t len = 1; len < 8; len += 3) {
        struct epcap_opts c;
        (void)parse(&c, argc, argv, err, len);
        options_free(&c);
    }
    if (memcmp(copy, argv, sizeof(char *) * (size_t)(argc + 1)) != 0)
        abort();
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
