#!/bin/sh
# Install everything searchd needs to build and test on Debian 12, and the
# indexers `make bench` compares it with (xapian-omega, recollcmd; xapian-tools
# for xapian-delve).
# systemd provides systemd-socket-activate and systemd-analyze for the tests.
# man-db (and the groff-base it pulls in) renders the man pages in t065.
# clang, libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) and llvm
# (llvm-symbolizer, for readable stacks) build and run `make fuzz`.
# The one list of build dependencies: README, .ci/run and developers all use it.
set -eu

PACKAGES="
    build-essential
    autoconf
    automake
    libtool
    pkg-config
    libxapian-dev
    libevent-dev
    libjansson-dev
    libxxhash-dev
    libgumbo-dev
    libseccomp-dev
    libxml2-dev
    check
    valgrind
    man-db
    python3
    socat
    systemd
    xapian-omega
    recollcmd
    xapian-tools
    clang
    libclang-rt-14-dev
    llvm
"

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PACKAGES
