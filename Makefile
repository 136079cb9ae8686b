# epcap: a privilege-separated libpcap port for Erlang/OTP and Elixir.
#
#   make          build the port (priv/epcap), the Erlang application and
#                 its EEP-48 docs; installs nothing (this is what Mix runs
#                 for a dependency), and names the Debian packages the
#                 port needs when one is missing
#   make run      build, then sniff the embedded sample capture
#                 (make run IFACE=lo FILTER='icmp' captures live, as root)
#   make test     build and run every test (C units, EUnit, Common Test),
#                 then make quality: sanitizers, valgrind, lint, dialyzer,
#                 fuzzing (test/fuzz/README.md)
#   make bench    throughput, latency and CPU against tcpdump and a C
#                 reader, and against a baseline revision (BASE=rev|none)
#   make docs     edoc into doc/edoc
#   make install  the application where erl looks, the port in
#                 PREFIX/lib/epcap, the man page
#   make install-setcap, install-setuid, install-sudo
#                 as root: make install, then let the members of group
#                 epcap capture with the installed port (file
#                 capabilities, recommended; setuid root; or a sudoers
#                 rule, which it prints), refusing a PREFIX that anyone
#                 but root can change. CAPTURE_GROUP=grp picks the group,
#                 CAPTURE_WORLD=yes gives it to every local user, INJECT=yes
#                 lets callers who are not root inject (doc/SECURITY.md).
#   make setcap, make setuid
#                 the same for priv/epcap in a source tree root owns
#                 (tests)
#
# make run, make test and the quality targets install missing Debian
# packages with apt-get when run as root; make (all) never does.

# `sudo make test` (or run) acts as root: a port that sees SUDO_UID with
# a real uid of 0 takes the user in it for its caller (doc/SECURITY.md).
unexport SUDO_UID SUDO_GID SUDO_USER SUDO_COMMAND

# The port is built with -Werror here (the project's own build, make test,
# CI), not when epcap is a dependency: rebar3 runs c_src/Makefile itself,
# and Mix's make manager sets IS_DEP. EPCAP_WERROR=no turns it off.
EPCAP_WERROR ?= $(if $(IS_DEP),no,yes)
export EPCAP_WERROR

ERL ?= erl
ERLC ?= erlc
ERLC_FLAGS = -Wall +warnings_as_errors +debug_info -I include
BUILD = _build
EX_EBIN = $(BUILD)/examples
SAMPLE = $(BUILD)/sample.pcap

BUILD_PKGS = gcc make pkg-config libpcap-dev libcap-ng-dev libseccomp-dev \
	erlang-nox erlang-dev erlang-eunit erlang-common-test erlang-tools \
	erlang-edoc erlang-dialyzer
TEST_PKGS = $(BUILD_PKGS) libcmocka-dev tcpdump tshark iproute2 \
	iputils-ping procps util-linux libcap2-bin sudo elixir
# test/epcap_dep_SUITE: epcap as a dependency of a rebar3 and a Mix
# project, through a local git clone.
TEST_PKGS += rebar3 git passwd
# make check, fuzz, valgrind, lint, dialyzer and the PropEr properties.
TEST_PKGS += clang libclang-rt-14-dev valgrind cppcheck clang-tidy clang-format \
	erlang-proper erlang-proper-dev

# make bench only: the live burst's generator and the injection peer.
BENCH_PKGS = $(BUILD_PKGS) tcpdump iproute2 netsniff-ng tcpreplay

ERL_SRC = $(wildcard src/*.erl)
ERL_BEAM = $(patsubst src/%.erl,ebin/%.beam,$(ERL_SRC))
EX_SRC = $(wildcard examples/*.erl)

.PHONY: all port variants chunks erlang examples deps test-deps bench-deps \
	test unit eunit ct exunit proto proto-check run bench docs clean setcap \
	setuid

# Safe as a dependency's build: nothing is installed here.
all: port erlang chunks

# Install what is missing; say what to install when we may not.
define ensure_pkgs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	      || { echo "apt-get install failed:$$missing" >&2; exit 1; }; \
	  else \
	    echo "missing Debian packages:$$missing" >&2; \
	    echo "install them (sudo apt-get install$$missing) or run as root" >&2; \
	    exit 1; \
	  fi; \
	fi
endef

deps:
	$(call ensure_pkgs,$(BUILD_PKGS))

test-deps:
	$(call ensure_pkgs,$(TEST_PKGS))

port:
	$(MAKE) -C c_src

# The other sandbox backends, for tests (_build/variants, never shipped).
variants:
	$(MAKE) -C c_src variants

erlang: $(ERL_BEAM) ebin/epcap.app

# EEP-48 docs in doc/chunks and inside the beams (tools/edoc_chunks.escript).
chunks: $(BUILD)/chunks.stamp

$(BUILD)/chunks.stamp: $(ERL_BEAM)
	@mkdir -p $(BUILD)
	escript tools/edoc_chunks.escript ebin
	@touch $@

ebin/%.beam: src/%.erl include/epcap_proto.hrl
	@mkdir -p ebin
	$(ERLC) $(ERLC_FLAGS) -o ebin $<

ebin/epcap.app: src/epcap.app.src $(ERL_SRC)
	@mkdir -p ebin
	@mods=$$(ls src/*.erl | sed 's|src/\(.*\)\.erl|\1|' | paste -sd, -); \
	sed "s/{modules, \[\]}/{modules, [$$mods]}/" $< > $@

examples: erlang
	@mkdir -p $(EX_EBIN)
	$(ERLC) $(ERLC_FLAGS) -o $(EX_EBIN) $(EX_SRC)

# The Erlang protocol constants are generated from the C header.
proto:
	sh c_src/proto_hrl.sh c_src/epcap_proto.h > include/epcap_proto.hrl

# The include must be what the header generates, and doc/PROTOCOL.md's
# tables (and the README's version) what the header says.
proto-check:
	@sh c_src/proto_hrl.sh c_src/epcap_proto.h | diff -u include/epcap_proto.hrl - \
	  && echo "include/epcap_proto.hrl matches c_src/epcap_proto.h" \
	  || { echo "include/epcap_proto.hrl is stale: run make proto" >&2; exit 1; }
	@escript tools/proto_check.escript c_src/epcap_proto.h \
	  include/epcap_proto.hrl doc/PROTOCOL.md README.md doc/epcap.1 \
	  c_src/options.c

$(SAMPLE): examples
	$(ERL) -noshell -pa ebin -pa $(EX_EBIN) \
	  -eval 'ok = epcap_samplegen:cli([sample, "$(SAMPLE)"]), halt().'

run: deps all examples $(SAMPLE)
	@EPCAP_FILE="$(if $(IFACE),,$(SAMPLE))" EPCAP_IFACE="$(IFACE)" \
	  EPCAP_FILTER="$(FILTER)" EPCAP_COUNT="$(COUNT)" \
	  $(ERL) -noshell -pa ebin -pa $(EX_EBIN) -eval 'sniff:run()'

unit: port
	$(MAKE) -C c_src test

eunit: erlang examples
	@mkdir -p $(BUILD)/test
	$(ERLC) $(ERLC_FLAGS) -DTEST -o $(BUILD)/test test/*_tests.erl $(EX_SRC)
	$(ERL) -noshell -pa ebin -pa $(BUILD)/test -env EPCAP_ROOT $(CURDIR) -eval \
	  'Ms = [list_to_atom(filename:basename(F, ".beam")) || F <- filelib:wildcard("$(BUILD)/test/*.beam")], halt(case eunit:test(Ms, []) of ok -> 0; _ -> 1 end).'

ct: port variants erlang examples
	$(MAKE) -C c_src helpers
	@mkdir -p $(BUILD)/ct_logs
	ct_run -noshell -sname ct_$$$$ -dir test -logdir $(BUILD)/ct_logs \
	  -include $(CURDIR)/include -pa $(CURDIR)/ebin -pa $(CURDIR)/$(EX_EBIN) \
	  $(if $(SUITE),-suite $(SUITE)) $(if $(CASE),-case $(CASE)) \
	  -erl_args -env EPCAP_ROOT $(CURDIR)

# ExUnit from the compiled Erlang code, without mix (works offline).
exunit: erlang examples
	elixir -pa ebin -pa $(EX_EBIN) \
	  -r test/elixir/test_helper.exs $(foreach t,$(wildcard test/elixir/*_test.exs),-r $(t))

test: test-deps all variants proto-check unit eunit ct exunit quality
	@echo "make test: all suites passed"

bench-deps:
	$(call ensure_pkgs,$(BENCH_PKGS))

bench: bench-deps all examples
	sh test/bench.sh

# A long live run under seccomp with stats, filter changes and injection;
# not part of make test. make soak MINUTES=30
MINUTES ?= 5
soak: deps all examples
	sh test/soak.sh $(MINUTES)

# make install [PREFIX=/usr/local] [DESTDIR=...]: the OTP application
# where this machine's erl looks for libraries (code:lib_dir(), on Debian
# /usr/lib/erlang/lib; ERL_LIBDIR=... to choose), the port also as
# PREFIX/lib/epcap/epcap (a program of its own that releases name with
# {progname, Path}) and on PATH as PREFIX/bin/epcap, and the man page.
# The installed copies are stripped (priv/epcap keeps its -g symbols).
PREFIX ?= /usr/local
VSN = $(shell sed -n 's/.*{vsn, "\(.*\)"}.*/\1/p' src/epcap.app.src)
ERL_LIBDIR ?= $(shell $(ERL) -noshell -eval 'io:format("~s~n", [code:lib_dir()]), halt().')
APPDIR = $(DESTDIR)$(ERL_LIBDIR)/epcap-$(VSN)
PORTDIR = $(PREFIX)/lib/epcap
PORT_INSTALLED = $(PORTDIR)/epcap

install: all
	install -d $(APPDIR)/ebin $(APPDIR)/priv $(APPDIR)/include \
	  $(APPDIR)/doc/chunks $(DESTDIR)$(PORTDIR) $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 ebin/*.beam ebin/epcap.app $(APPDIR)/ebin
	install -s -m 0755 priv/epcap $(APPDIR)/priv
	install -m 0644 include/*.hrl $(APPDIR)/include
	if [ -d doc/chunks ]; then install -m 0644 doc/chunks/*.chunk $(APPDIR)/doc/chunks; fi
	install -s -m 0755 priv/epcap $(DESTDIR)$(PORT_INSTALLED)
	ln -sf $(PORT_INSTALLED) $(DESTDIR)$(PREFIX)/bin/epcap
	install -m 0644 doc/epcap.1 $(DESTDIR)$(PREFIX)/share/man/man1/epcap.1

# The three ways to let callers who are not root capture
# (doc/SECURITY.md, "Installing"), each on the installed copy
# PREFIX/lib/epcap/epcap, never on a release's or a build's own copy:
# sudo runs, and setcap marks, whatever file has the name they are given,
# so the name must be one only root can change. Each target refuses a
# PREFIX where someone else could (epcap_trust, the check the Erlang side
# makes before it runs a privileged port), then prints what to put in
# sudoers and in the release's configuration.
#
#   make install-setcap  file capabilities (recommended)
#   make install-setuid  setuid root
#   make install-sudo    no privilege of its own; prints the sudoers rule
#
# For the members of CAPTURE_GROUP (epcap, made if missing), or every
# local user with CAPTURE_WORLD=yes; INJECT as below. A rebuild or an
# upgrade of an application using epcap leaves the installed copy alone;
# make install replaces it and clears its privileges (run the target
# again).
install-setcap: install
	$(call require_root)
	$(call trusted_path,$(PORT_INSTALLED))
	$(call capture_access,0,$(DESTDIR)$(PORT_INSTALLED))
	setcap $(SETCAP_CAPS) $(DESTDIR)$(PORT_INSTALLED)
	getcap $(DESTDIR)$(PORT_INSTALLED)
	$(call inject_policy)
	$(call print_config,$(CONFIG_ERL),$(CONFIG_EX))

install-setuid: install
	$(call require_root)
	$(call trusted_path,$(PORT_INSTALLED))
	$(call capture_access,4,$(DESTDIR)$(PORT_INSTALLED))
	ls -l $(DESTDIR)$(PORT_INSTALLED)
	$(call inject_policy)
	$(call print_config,$(CONFIG_ERL),$(CONFIG_EX))

# Run by root through sudo: root's, mode 0755, no capability (chown
# clears them) and no setuid bit; the sudoers rule says who may.
SUDO_WHO = $(if $(filter yes,$(CAPTURE_WORLD)),ALL,%$(CAPTURE_GROUP))
SUDOERS_RULE = $(SUDO_WHO) ALL=(root) NOPASSWD: $(PORT_INSTALLED)

install-sudo: install
	$(call require_root)
	$(call trusted_path,$(PORT_INSTALLED))
	$(call capture_access,,)
	chown root:root $(DESTDIR)$(PORT_INSTALLED)
	chmod 0755 $(DESTDIR)$(PORT_INSTALLED)
	$(call inject_policy)
	@echo "make $@: the sudoers rule (visudo -f /etc/sudoers.d/epcap):"
	@echo "    $(SUDOERS_RULE)"
	$(call print_config,$(CONFIG_ERL_SUDO),$(CONFIG_EX_SUDO))

.PHONY: install install-setcap install-setuid install-sudo

# What the release's configuration says for each.
CONFIG_ERL = [{progname, "$(PORT_INSTALLED)"}]
CONFIG_EX = progname: "$(PORT_INSTALLED)"
CONFIG_ERL_SUDO = [{progname, "$(PORT_INSTALLED)"}, {exec, "sudo -n"}]
CONFIG_EX_SUDO = progname: "$(PORT_INSTALLED)", exec: "sudo -n"

# Refuse a path whose file or any directory above it someone other than
# root can change (src/epcap_trust.erl says why). A DESTDIR staging tree
# is not where the file will be: the package's own install must check.
define trusted_path
	@if [ -n "$(DESTDIR)" ]; then \
	  echo "make $@: DESTDIR set: $(1) not checked (every directory up to /" \
	    "must be root's and writable by no one else)"; \
	else \
	  $(ERL) -noshell -pa $(CURDIR)/ebin -eval \
	    'case epcap_trust:check("$(1)") of ok -> halt(0); {error, W} -> io:format(standard_error, "make $@: refusing: ~ts~n", [W]), halt(1) end.' \
	  || { echo "make $@: sudo and file capabilities trust the path:" \
	         "choose a PREFIX whose every directory is root's and writable" \
	         "by no one else" >&2; exit 1; }; \
	fi
endef

# The release's configuration for the installed copy, for Erlang and
# Elixir.
define print_config
	@echo "make $@: name the installed port in the release's sys.config:"
	@echo '    [{epcap, $(strip $(1))}].'
	@echo "make $@: or in Elixir's config/runtime.exs:"
	@echo '    config :epcap, $(strip $(2))'
endef

docs: erlang
	$(ERL) -noshell -eval 'edoc:application(epcap, ".", [{dir, "doc/edoc"}]), halt().'

# make setcap and make setuid give the build's own priv/epcap the same
# rights, for a root-owned source tree (the tests run so); they refuse a
# tree someone else can change. Releases and users: the install-*
# targets above. Both change the built binary in place; a rebuild
# replaces it and drops them. chown and chmod come first: a chown clears
# file capabilities and the setuid bit.
#
# By default the port goes to one group (created if missing, as Debian's
# wireshark group for dumpcap): only its members may run it. CAPTURE_WORLD=yes
# gives it to every local user, who may then see every local user's
# traffic (loopback included). Injection by callers who are not root is
# off unless INJECT=yes, which writes the machine-wide policy file
# $(INJECT_POLICY) (it applies to every copy of the port); INJECT=no
# removes it; without INJECT the file is left as it is.
SETCAP_CAPS ?= cap_net_raw,cap_net_admin+ep
CAPTURE_GROUP ?= epcap
CAPTURE_WORLD ?= no
INJECT ?=
INJECT_POLICY = /etc/epcap/inject
CAPTURE_OWNER = root:$(if $(filter yes,$(CAPTURE_WORLD)),root,$(CAPTURE_GROUP))
CAPTURE_MODE = $(if $(filter yes,$(CAPTURE_WORLD)),0755,0750)

define require_root
	@[ "$$(id -u)" = 0 ] || { echo "make $@: run as root" >&2; exit 1; }
endef

# The group (made if missing) or the warning for every user; with a mode
# prefix (0, or 4 for setuid), the file is given to them.
define capture_access
	@if [ "$(CAPTURE_WORLD)" = yes ]; then \
	  echo "make $@: WARNING: every local user may run the port and capture" \
	    "all traffic the interfaces carry, other users' loopback traffic" \
	    "included" >&2; \
	elif ! getent group $(CAPTURE_GROUP) >/dev/null; then \
	  groupadd --system $(CAPTURE_GROUP) && \
	  echo "make $@: created group $(CAPTURE_GROUP); add users with" \
	    "usermod -aG $(CAPTURE_GROUP) USER"; \
	fi
	$(if $(1),chown $(CAPTURE_OWNER) $(or $(2),priv/epcap))
	$(if $(1),chmod $(1)$(patsubst 0%,%,$(CAPTURE_MODE)) $(or $(2),priv/epcap))
endef

define inject_policy
	@case "$(INJECT)" in \
	yes) install -d -o root -g root -m 0755 $(dir $(INJECT_POLICY)) && \
	  install -o root -g root -m 0644 /dev/null $(INJECT_POLICY) && \
	  echo "make $@: callers who are not root may inject ($(INJECT_POLICY))" ;; \
	no) rm -f $(INJECT_POLICY) && \
	  echo "make $@: $(INJECT_POLICY) removed: only root may inject" ;; \
	"") if [ -e $(INJECT_POLICY) ]; then \
	    echo "make $@: $(INJECT_POLICY) left as it is: callers who are not" \
	      "root may inject (INJECT=no removes it)"; fi ;; \
	*) echo "make $@: INJECT=$(INJECT): yes or no" >&2; exit 1 ;; \
	esac
endef

setcap: port erlang
	$(call require_root)
	$(call trusted_path,$(CURDIR)/priv/epcap)
	$(call capture_access,0)
	setcap $(SETCAP_CAPS) priv/epcap
	getcap priv/epcap
	$(call inject_policy)

setuid: port erlang
	$(call require_root)
	$(call trusted_path,$(CURDIR)/priv/epcap)
	$(call capture_access,4)
	ls -l priv/epcap
	$(call inject_policy)

clean:
	$(MAKE) -C c_src clean
	rm -rf ebin doc/chunks $(BUILD)

# ---- Quality: sanitizers, fuzzing, valgrind, lint, dialyzer ----------
#
#   make check        ASan+UBSan: the C unit tests, and _build/variants/epcap-asan
#                     reading capture files through epcap
#                     (test/epcap_asan_SUITE, checked against tcpdump)
#   make valgrind     memcheck over offline captures (_build/variants/epcap-null)
#   make lint         cppcheck, clang-tidy, the call graph (no circle
#                     between files) and clang-format over c_src
#   make dialyzer     dialyzer over src and examples (PLT cached in
#                     _build/dialyzer)
#   make fuzz         each libFuzzer harness for FUZZ_SECONDS (60)
#   make fuzz-replay  the harnesses over their seeds and saved crashes
#   make quality      all of the above (part of make test)
#
# Every finding fails the target. The PropEr properties
# (test/epcap_prop_tests.erl) run in make eunit.

FUZZ_SECONDS ?= 60
QUALITY = $(BUILD)/quality
QUALITY_HELPER = $(ERL) -noshell -pa ebin -pa $(EX_EBIN) -pa $(QUALITY) \
	-s epcap_quality_helper main

.PHONY: check valgrind lint format dialyzer fuzz fuzz-replay fuzz-seeds quality \
	quality-helper

quality-helper: erlang examples
	@mkdir -p $(QUALITY)
	$(ERLC) $(ERLC_FLAGS) -o $(QUALITY) test/fuzz/epcap_quality_helper.erl \
	  test/epcap_corpus.erl

check: test-deps all examples
	$(MAKE) -C c_src check
	EPCAP_ASAN=$(CURDIR)/_build/variants/epcap-asan $(MAKE) ct SUITE=epcap_asan_SUITE

fuzz-seeds: quality-helper
	@$(QUALITY_HELPER) seeds $(BUILD)/fuzz/seeds test/protocol_vectors.txt

fuzz: test-deps fuzz-seeds
	$(MAKE) -C c_src fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz-replay: test-deps fuzz-seeds
	$(MAKE) -C c_src fuzz-replay

lint: test-deps
	$(MAKE) -C c_src lint

# Rewrite the C sources in the one style (.clang-format) that make lint
# checks.
format:
	$(MAKE) -C c_src format

# The PLT holds erts, kernel and stdlib; dialyzer brings it up to date
# by itself when OTP changes. Warnings make dialyzer exit 2.
DIALYZER_PLT = $(BUILD)/dialyzer/erts_kernel_stdlib.plt
DIALYZER_FLAGS = -Wunmatched_returns -Werror_handling -Wunknown

$(DIALYZER_PLT):
	@mkdir -p $(dir $@)
	dialyzer --build_plt --apps erts kernel stdlib --output_plt $@.tmp \
	  || [ $$? -eq 2 ]
	mv $@.tmp $@

# The application (what goes into ebin) and the examples, which use its
# API. The beams are compiled afresh, with +debug_info: dialyzer needs
# the abstract code, and ebin may hold beams built some other way.
dialyzer: test-deps $(DIALYZER_PLT)
	@rm -rf $(BUILD)/dialyzer/ebin && mkdir -p $(BUILD)/dialyzer/ebin
	$(ERLC) $(ERLC_FLAGS) -o $(BUILD)/dialyzer/ebin $(ERL_SRC) $(EX_SRC)
	dialyzer --plt $(DIALYZER_PLT) $(DIALYZER_FLAGS) $(BUILD)/dialyzer/ebin

# valgrind: _build/variants/epcap-null (seccomp and the rlimit backend stop valgrind
# itself: it does not know the seccomp call, and it refuses the lower
# RLIMIT_NOFILE) over good capture files while a stream of commands
# (test/fuzz/epcap_quality_helper.erl) arrives on stdin, held open
# through a FIFO; once the EOF frame is out, STOP, as epcap_port sends
# it. Then over broken files, which end the port with its own error.
# Any valgrind error or leak exits 99.
VALGRIND = valgrind --quiet --vgdb=no --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes
VG = $(BUILD)/valgrind

valgrind: test-deps all variants quality-helper
	@rm -rf $(VG) && mkdir -p $(VG)
	@$(QUALITY_HELPER) valgrind-inputs $(VG)
	@set -e; for f in $(VG)/good-* $(VG)/bad-*; do \
	  n=$$(basename $$f); rm -f $(VG)/in; mkfifo $(VG)/in; \
	  timeout 600 $(VALGRIND) --log-file=$(VG)/$$n.vg _build/variants/epcap-null \
	    --credit 1 -r $$f < $(VG)/in > $(VG)/$$n.out 2> $(VG)/$$n.err & \
	  pid=$$!; exec 3> $(VG)/in; \
	  cat $(VG)/commands.bin >&3 2>/dev/null || true; \
	  while kill -0 $$pid 2>/dev/null && [ "$$(tail -c 5 $(VG)/$$n.out \
	      | od -An -tx1 | tr -d ' \n')" != 0000000103 ]; do sleep 0.1; done; \
	  cat $(VG)/stop.bin >&3 2>/dev/null || true; \
	  rc=0; wait $$pid || rc=$$?; exec 3>&-; \
	  if [ -s $(VG)/$$n.vg ] || [ $$rc -eq 99 ]; then \
	    cat $(VG)/$$n.vg $(VG)/$$n.err; \
	    echo "valgrind: $$n: errors (exit $$rc)" >&2; exit 1; fi; \
	  case $$n:$$rc in \
	    good-*:0) $(QUALITY_HELPER) check-output $(VG)/$$n.out ;; \
	    bad-*:66|bad-*:75) echo "valgrind: $$n: exit $$rc, $$(tail -n 1 $(VG)/$$n.err)" ;; \
	    *) cat $(VG)/$$n.err; \
	       echo "valgrind: $$n: unexpected exit $$rc" >&2; exit 1 ;; \
	  esac; \
	done
	@echo "valgrind: no error, no leak"

# What CI runs after the suites; about five minutes on two cores, most of
# it the fuzzers (FUZZ_SECONDS each, two at a time) and the PLT.
quality: check valgrind lint dialyzer fuzz-replay fuzz
	@echo "make quality: no finding"
