/*
 * epcap_nif_peer.c: the NIF-binding peer for make bench's latency table.
 * Not part of epcap, and not ewpcap itself (it cannot be fetched here):
 * the same design in as few lines, written for the comparison. A thread
 * of its own (enif_thread_create) opens libpcap in immediate mode with
 * nanosecond stamps, blocks in poll(2) on the capture, and sends each
 * packet to the owner with enif_send as
 * {packet, DataLinkType, TimeNs, Length, Packet}: one wakeup for the
 * thread, one for the owner's scheduler, no port, no pipe, no middleman.
 *
 *   epcap_nif_peer:start(Iface, Filter, Owner) -> {ok, Ref} | {error, Msg}
 *   epcap_nif_peer:stop(Ref) -> ok
 *
 * Needs the rights to capture (make bench runs as root).
 */
#include <erl_nif.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <string.h>

struct peer {
    pcap_t *p;
    ErlNifPid owner;
    ErlNifTid tid;
    int dlt, stop, running;
};

static ErlNifResourceType *peer_type;

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h,
                      const unsigned char *data)
{
    struct peer *pr = (struct peer *)user;
    ErlNifEnv *env = enif_alloc_env();
    ERL_NIF_TERM bin;
    unsigned char *b = enif_make_new_binary(env, h->caplen, &bin);

    memcpy(b, data, h->caplen);
    ErlNifSInt64 ns = (ErlNifSInt64)h->ts.tv_sec * 1000000000LL + h->ts.tv_usec;
    ERL_NIF_TERM msg = enif_make_tuple5(
        env, enif_make_atom(env, "packet"), enif_make_int(env, pr->dlt),
        enif_make_int64(env, ns), enif_make_uint(env, h->len), bin);
    enif_send(NULL, &pr->owner, env, msg);
    enif_free_env(env);
}

static void *loop(void *arg)
{
    struct peer *pr = arg;
    struct pollfd fd = {pcap_get_selectable_fd(pr->p), POLLIN, 0};

    while (!pr->stop) {
        if (poll(&fd, 1, 100) > 0 &&
            pcap_dispatch(pr->p, -1, on_packet, (unsigned char *)pr) < 0)
            break;
    }
    return NULL;
}

static ERL_NIF_TERM error(ErlNifEnv *env, const char *msg)
{
    return enif_make_tuple2(env, enif_make_atom(env, "error"),
                            enif_make_string(env, msg, ERL_NIF_LATIN1));
}

static ERL_NIF_TERM start(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    char dev[64], filter[256], err[PCAP_ERRBUF_SIZE];
    struct bpf_program prog;

    (void)argc;
    if (enif_get_string(env, argv[0], dev, sizeof(dev), ERL_NIF_LATIN1) <= 0 ||
        enif_get_string(env, argv[1], filter, sizeof(filter), ERL_NIF_LATIN1) <= 0)
        return enif_make_badarg(env);
    struct peer *pr = enif_alloc_resource(peer_type, sizeof(*pr));
    memset(pr, 0, sizeof(*pr));
    if (!enif_get_local_pid(env, argv[2], &pr->owner)) {
        enif_release_resource(pr);
        return enif_make_badarg(env);
    }
    pr->p = pcap_create(dev, err);
    if (pr->p == NULL || pcap_set_immediate_mode(pr->p, 1) != 0 ||
        pcap_set_tstamp_precision(pr->p, PCAP_TSTAMP_PRECISION_NANO) != 0 ||
        pcap_activate(pr->p) < 0 || pcap_compile(pr->p, &prog, filter, 1, 0) < 0 ||
        pcap_setfilter(pr->p, &prog) < 0 || pcap_setnonblock(pr->p, 1, err) < 0) {
        ERL_NIF_TERM e = error(env, pr->p ? pcap_geterr(pr->p) : err);
        enif_release_resource(pr);
        return e;
    }
    pr->dlt = pcap_datalink(pr->p);
    if (enif_thread_create("epcap_nif_peer", &pr->tid, loop, pr, NULL) != 0) {
        enif_release_resource(pr);
        return error(env, "enif_thread_create failed");
    }
    pr->running = 1;
    ERL_NIF_TERM ref = enif_make_resource(env, pr);
    enif_release_resource(pr);
    return enif_make_tuple2(env, enif_make_atom(env, "ok"), ref);
}

static void halt_thread(struct peer *pr)
{
    if (pr->running) {
        pr->stop = 1;
        enif_thread_join(pr->tid, NULL);
        pr->running = 0;
    }
}

static ERL_NIF_TERM stop(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[])
{
    struct peer *pr;

    (void)argc;
    if (!enif_get_resource(env, argv[0], peer_type, (void **)&pr))
        return enif_make_badarg(env);
    halt_thread(pr);
    return enif_make_atom(env, "ok");
}

static void peer_dtor(ErlNifEnv *env, void *obj)
{
    struct peer *pr = obj;

    (void)env;
    halt_thread(pr);
    if (pr->p != NULL)
        pcap_close(pr->p);
}

static int load(ErlNifEnv *env, void **priv, ERL_NIF_TERM info)
{
    (void)priv;
    (void)info;
    peer_type = enif_open_resource_type(env, NULL, "epcap_nif_peer", peer_dtor,
                                        ERL_NIF_RT_CREATE, NULL);
    return peer_type == NULL;
}

static ErlNifFunc funcs[] = {
    {"start", 3, start, ERL_NIF_DIRTY_JOB_IO_BOUND},
    {"stop", 1, stop, ERL_NIF_DIRTY_JOB_IO_BOUND},
};

ERL_NIF_INIT(epcap_nif_peer, funcs, load, NULL, NULL, NULL)
