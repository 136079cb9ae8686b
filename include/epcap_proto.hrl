%% Generated from c_src/epcap_proto.h by c_src/proto_hrl.sh: do not edit.
%% The protocol is described in doc/PROTOCOL.md.
-define(EPCAP_PROTOCOL_VERSION, 7).
-define(EPCAP_FRAME_HEADER, 5).
-define(EPCAP_RECORD_HEADER, 20).
-define(EPCAP_RECORD_HEADER_IF, 24).
-define(EPCAP_IFACE_STR_MAX, 1024).
-define(EPCAP_SNAPLEN_MAX, 262144).
-define(EPCAP_SNAPLEN_DEFAULT, 262144).
-define(EPCAP_BATCH_BYTES, (256 * 1024)).
-define(EPCAP_CMD_MIN, 5).
-define(EPCAP_CMD_MAX, (4 * 1024 * 1024)).
-define(EPCAP_FILTER_MAX, (64 * 1024)).
-define(EPCAP_LIVE_IFACES_MAX, 16).
-define(EPCAP_CREDIT_MAX, 2147483647).
-define(EPCAP_STATS_COUNTERS, 10).
-define(EPCAP_IFSTATS_RECORD, 37).
-define(EPCAP_READY_CHROOT, 1).
-define(EPCAP_READY_INJECT, 2).
-define(EPCAP_EXIT_SANDBOX_VIOLATION, 159).
-define(EPCAP_LIST_NONE, "-").
-define(EPCAP_FRAME_READY, 1).
-define(EPCAP_FRAME_PACKETS, 2).
-define(EPCAP_FRAME_EOF, 3).
-define(EPCAP_FRAME_ERROR, 4).
-define(EPCAP_FRAME_WARNING, 5).
-define(EPCAP_FRAME_REPLY, 6).
-define(EPCAP_FRAME_INTERFACE, 7).
-define(EPCAP_FRAME_DATALINK, 8).
-define(EPCAP_FRAME_IFPACKETS, 9).
-define(EPCAP_FRAME_DATALINKS, 10).
-define(EPCAP_CMD_STOP, 1).
-define(EPCAP_CMD_INJECT, 2).
-define(EPCAP_CMD_INJECT_BATCH, 3).
-define(EPCAP_CMD_FILTER, 4).
-define(EPCAP_CMD_STATS, 5).
-define(EPCAP_CMD_CREDIT, 6).
-define(EPCAP_CMD_IFSTATS, 7).
-define(EPCAP_SOURCE_LIVE, 0).
-define(EPCAP_SOURCE_FILE, 1).
-define(EPCAP_START_PLAIN, 0).
-define(EPCAP_START_ROOT, 1).
-define(EPCAP_START_SUDO, 2).
-define(EPCAP_START_SETUID, 3).
-define(EPCAP_START_FILE_CAPS, 4).
-define(EPCAP_ERRORS, [
    {1, badarg},
    {2, no_such_device},
    {3, permission_denied},
    {4, promisc_permission_denied},
    {5, rfmon_not_supported},
    {6, interface_down},
    {7, bad_filter},
    {8, file},
    {9, capture},
    {10, tstamp_precision_not_supported},
    {11, tstamp_type_not_supported},
    {12, promisc_not_supported},
    {13, capture_not_supported},
    {14, unknown_command},
    {15, system},
    {16, warning},
    {17, unsupported},
    {18, inject_failed},
    {19, inject_disabled},
    {20, bad_command},
    {21, dump},
    {22, log},
    {23, sandbox_violation}
]).
-define(EPCAP_EXITS, [
    {0, normal},
    {64, usage},
    {65, protocol},
    {66, open},
    {70, software},
    {71, oserr},
    {74, ioerr},
    {75, capture},
    {77, noperm}
]).
-define(EPCAP_E_BADARG, 1).
-define(EPCAP_E_NO_SUCH_DEVICE, 2).
-define(EPCAP_E_PERMISSION_DENIED, 3).
-define(EPCAP_E_PROMISC_PERMISSION_DENIED, 4).
-define(EPCAP_E_RFMON_NOT_SUPPORTED, 5).
-define(EPCAP_E_INTERFACE_DOWN, 6).
-define(EPCAP_E_BAD_FILTER, 7).
-define(EPCAP_E_FILE, 8).
-define(EPCAP_E_CAPTURE, 9).
-define(EPCAP_E_TSTAMP_PRECISION_NOT_SUPPORTED, 10).
-define(EPCAP_E_TSTAMP_TYPE_NOT_SUPPORTED, 11).
-define(EPCAP_E_PROMISC_NOT_SUPPORTED, 12).
-define(EPCAP_E_CAPTURE_NOT_SUPPORTED, 13).
-define(EPCAP_E_UNKNOWN_COMMAND, 14).
-define(EPCAP_E_SYSTEM, 15).
-define(EPCAP_E_WARNING, 16).
-define(EPCAP_E_UNSUPPORTED, 17).
-define(EPCAP_E_INJECT_FAILED, 18).
-define(EPCAP_E_INJECT_DISABLED, 19).
-define(EPCAP_E_BAD_COMMAND, 20).
-define(EPCAP_E_DUMP, 21).
-define(EPCAP_E_LOG, 22).
-define(EPCAP_E_SANDBOX_VIOLATION, 23).
-define(EPCAP_EXIT_OK, 0).
-define(EPCAP_EXIT_USAGE, 64).
-define(EPCAP_EXIT_PROTOCOL, 65).
-define(EPCAP_EXIT_OPEN, 66).
-define(EPCAP_EXIT_SOFTWARE, 70).
-define(EPCAP_EXIT_OSERR, 71).
-define(EPCAP_EXIT_IOERR, 74).
-define(EPCAP_EXIT_CAPTURE, 75).
-define(EPCAP_EXIT_NOPERM, 77).
-define(EPCAP_IF_FLAGS, [
    up,
    running,
    loopback,
    wireless,
    connected,
    disconnected
]).
