# packetlog — build, test and run.
#   make setup     apt packages the build and the tests need (idempotent; root or sudo)
#   make build     debug build
#   make release   release build
#   make test      setup + build + the whole test suite (live lab tests need root)
#   make run       live DNS logging on the default interface into ./logs
#   make install   release binary to $(PREFIX)/bin (+ plugins.conf, systemd unit when present)

SHELL := /bin/bash
SWIFT ?= swift
# Extra flags for every swift build/test, e.g. SWIFT_BUILD_FLAGS="--scratch-path /tmp/pl-build".
SWIFT_BUILD_FLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc/packetlog
UNITDIR ?= /etc/systemd/system
APT_PACKAGES := libpcap-dev unbound dnsutils iproute2 tcpdump python3
SUDO := $(shell [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && echo sudo)

.PHONY: setup build release test check run install

setup:
	@missing=$$(for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "setup: installing" $$missing; \
	    $(SUDO) apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else echo "setup: $(APT_PACKAGES) already installed"; fi
	@# The tests run their own unbound inside network namespaces: stop the distribution's.
	@if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then \
	    $(SUDO) systemctl disable --now unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true; \
	elif [ -x /etc/init.d/unbound ]; then \
	    $(SUDO) /etc/init.d/unbound stop >/dev/null 2>&1 || true; \
	fi

build:
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release:
	$(SWIFT) build -c release --product packetlog $(SWIFT_BUILD_FLAGS)

# Checks that need nothing outside this repository (no ../shared).
check:
	bash -n scripts/lab.sh
	bash -n scripts/make-fixtures.sh
	bash -n .ci/run
	@size=$$(stat -c %s Tests/EndToEndTests/Fixtures/lab-dns.pcap); \
	    if [ "$$size" -gt 102400 ]; then echo "lab-dns.pcap is $$size bytes (limit 100 KiB)"; exit 1; fi

test: setup
	$(MAKE) --no-print-directory check
	SWIFT="$(SWIFT)" SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" scripts/test.sh

run: setup release
	mkdir -p logs
	"$$($(SWIFT) build -c release $(SWIFT_BUILD_FLAGS) --show-bin-path)/packetlog" --protocol dns -d logs -v

install: release
	install -D -m 0755 "$$($(SWIFT) build -c release $(SWIFT_BUILD_FLAGS) --show-bin-path)/packetlog" "$(DESTDIR)$(PREFIX)/bin/packetlog"
	@for f in plugins.conf packaging/plugins.conf; do \
	    if [ -f "$$f" ]; then install -D -m 0644 "$$f" "$(DESTDIR)$(SYSCONFDIR)/plugins.conf"; echo "installed $$f"; break; fi; done
	@for f in packaging/*.service; do \
	    if [ -f "$$f" ]; then install -D -m 0644 "$$f" "$(DESTDIR)$(UNITDIR)/$$(basename "$$f")"; echo "installed $$f"; fi; done

# libFuzzer targets (docs/fuzzing.md): each runs FUZZ_SECONDS; FUZZ_TARGETS picks some (default all).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz:
	SWIFT="$(SWIFT)" scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Performance (docs/performance.md): throughput on a 2M-packet capture against
# tcpdump and a libpcap read loop; the allocation guard (0 allocations per
# packet in the steady state, Benchmarks/ — a separate package).
.PHONY: bench bench-alloc alloc-check
bench:
	scripts/bench.sh

alloc-check:
	scripts/alloc-check.sh

bench-alloc:
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --target DNSAllocations
