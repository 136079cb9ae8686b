# epcap: a privilege-separated libpcap port for Erlang/OTP and Elixir.
#
#   make run      build, then sniff the embedded sample capture
#                 (make run IFACE=lo FILTER='icmp' captures live, as root)
#   make test     build and run every test (C units, EUnit, Common Test)
#   make bench    throughput against tcpdump on the same files
#   make docs     edoc into doc/edoc
#   make setcap   as root: let priv/epcap capture without sudo (file
#                 capabilities, recommended); make setuid: setuid root
#                 instead. CAPTURE_GROUP=grp limits either to one group.
#
# Missing Debian packages are installed with apt-get when run as root.

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

ERL_SRC = $(wildcard src/*.erl)
ERL_BEAM = $(patsubst src/%.erl,ebin/%.beam,$(ERL_SRC))
EX_SRC = $(wildcard examples/*.erl)

.PHONY: all port erlang examples deps test-deps test unit eunit ct exunit proto \
	proto-check run bench docs clean setcap setuid

all: deps port erlang

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

erlang: $(ERL_BEAM) ebin/epcap.app

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

proto-check:
	@sh c_src/proto_hrl.sh c_src/epcap_proto.h | diff -u include/epcap_proto.hrl - \
	  && echo "include/epcap_proto.hrl matches c_src/epcap_proto.h" \
	  || { echo "include/epcap_proto.hrl is stale: run make proto" >&2; exit 1; }

$(SAMPLE): examples
	$(ERL) -noshell -pa ebin -pa $(EX_EBIN) \
	  -eval 'ok = epcap_samplegen:cli([sample, "$(SAMPLE)"]), halt().'

run: all examples $(SAMPLE)
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

ct: erlang examples
	@mkdir -p $(BUILD)/ct_logs
	ct_run -noshell -sname ct_$$$$ -dir test -logdir $(BUILD)/ct_logs \
	  -include $(CURDIR)/include -pa $(CURDIR)/ebin -pa $(CURDIR)/$(EX_EBIN) \
	  $(if $(SUITE),-suite $(SUITE)) $(if $(CASE),-case $(CASE)) \
	  -erl_args -env EPCAP_ROOT $(CURDIR)

# ExUnit from the compiled Erlang code, without mix (works offline).
exunit: erlang examples
	elixir -pa ebin -pa $(EX_EBIN) \
	  -r test/elixir/test_helper.exs -r test/elixir/epcap_test.exs

test: test-deps all proto-check unit eunit ct exunit
	@echo "make test: all suites passed"

bench: all examples
	sh test/bench.sh

# make install [PREFIX=/usr/local] [DESTDIR=...]: the OTP application
# under lib/erlang/lib, the port on PATH, the man page.
PREFIX ?= /usr/local
VSN = $(shell sed -n 's/.*{vsn, "\(.*\)"}.*/\1/p' src/epcap.app.src)
APPDIR = $(DESTDIR)$(PREFIX)/lib/erlang/lib/epcap-$(VSN)

install: all
	install -d $(APPDIR)/ebin $(APPDIR)/priv $(APPDIR)/include \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 ebin/*.beam ebin/epcap.app $(APPDIR)/ebin
	install -m 0755 priv/epcap $(APPDIR)/priv
	install -m 0644 include/*.hrl $(APPDIR)/include
	ln -sf $(PREFIX)/lib/erlang/lib/epcap-$(VSN)/priv/epcap $(DESTDIR)$(PREFIX)/bin/epcap
	install -m 0644 doc/epcap.1 $(DESTDIR)$(PREFIX)/share/man/man1/epcap.1

.PHONY: install

docs: erlang
	$(ERL) -noshell -eval 'edoc:application(epcap, ".", [{dir, "doc/edoc"}]), halt().'

# The three ways to be allowed to capture are in doc/SECURITY.md. Both
# targets change the built binary in place; a rebuild replaces it and
# drops them. chown and chmod come first: a chown clears file
# capabilities and the setuid bit.
SETCAP_CAPS ?= cap_net_raw,cap_net_admin+ep
CAPTURE_GROUP ?=
CAPTURE_MODE = $(if $(CAPTURE_GROUP),0750,0755)

define require_root
	@[ "$$(id -u)" = 0 ] || { echo "make $@: run as root" >&2; exit 1; }
endef

setcap: port
	$(call require_root)
	chown root:$(or $(CAPTURE_GROUP),root) priv/epcap
	chmod $(CAPTURE_MODE) priv/epcap
	setcap $(SETCAP_CAPS) priv/epcap
	getcap priv/epcap

setuid: port
	$(call require_root)
	chown root:$(or $(CAPTURE_GROUP),root) priv/epcap
	chmod 4$(patsubst 0%,%,$(CAPTURE_MODE)) priv/epcap
	ls -l priv/epcap

clean:
	$(MAKE) -C c_src clean
	rm -rf ebin $(BUILD)
